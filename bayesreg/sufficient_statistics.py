"""What a Gaussian likelihood needs of the data: ``X~'X~``, ``X~'y~`` and ``y~'y~``.

With observation weights ``s_i`` (variance ``sigma^2 / s_i``) and the centred, weighted
data ``X~ = sqrt(S) (X - xbar)``, ``y~ = sqrt(S) (y - ybar)`` of
:class:`~bayesreg.model.RegressionData`,

``sum_i s_i (y_i - b - x_i' w)^2 = y~'y~ - 2 w' X~'y~ + w' X~'X~ w + W (b_c - ybar)^2``

with ``W = sum_i s_i`` and the centred intercept ``b_c = b + xbar' w``.  So the log
likelihood, its gradient and the MAP objective cost ``O(p^2)`` once these are known,
whatever ``n`` is; computing them is the only ``O(n p^2)`` step.  With several local
devices and many rows that step is split across the devices by rows
(:mod:`bayesreg.sharding`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bayesreg import sharding
from bayesreg.model import RegressionData

__all__ = ["GaussianStatistics"]


class GaussianStatistics(NamedTuple):
    """Sufficient statistics of the weighted Gaussian linear model.

    Attributes
    ----------
    gram : ndarray of shape (p, p)
        ``X~'X~``.
    xty : ndarray of shape (p,)
        ``X~'y~``.
    yty : float
        ``y~'y~``.
    n_obs : int
        Observations with positive weight (each contributes ``-log sigma``).
    weight_sum : float
        ``W = sum_i s_i``: the precision of the centred intercept is ``W / sigma^2``.
    half_log_weights : float
        ``1/2 sum_{s_i > 0} log s_i``, the constant that makes the log likelihood exact.
    x_offset : ndarray of shape (p,)
        ``xbar`` (zeros without an intercept).
    y_offset : float
        ``ybar`` (0 without an intercept).
    fit_intercept : bool
    """

    gram: np.ndarray
    xty: np.ndarray
    yty: float
    n_obs: int
    weight_sum: float
    half_log_weights: float
    x_offset: np.ndarray
    y_offset: float
    fit_intercept: bool

    @classmethod
    def from_data(
        cls,
        data: RegressionData,
        *,
        shard: bool | None = None,
        centered: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> GaussianStatistics:
        """The statistics of ``data`` (rows of zero weight contribute nothing).

        Parameters
        ----------
        data : RegressionData
        shard : bool or None, default None
            Compute ``X~'X~``, ``X~'y~``, ``y~'y~`` with the rows split across the local
            devices (:func:`bayesreg.sharding.sharded_gram`): True or False decides,
            None decides by the number of rows and devices
            (:func:`bayesreg.sharding.use_sharding`).  Either way the result is the
            same to rounding.
        centered : (X~, y~) or None
            ``data.centered()`` with or without its zero-weight rows, if the caller
            already has it (saves a copy of ``X``); None computes it.
        """
        keep = data.sample_weight > 0
        X_t, y_t = data.centered() if centered is None else centered
        if X_t.shape[0] != keep.sum():  # zero rows add nothing; n_obs counts the others
            X_t, y_t = X_t[keep], y_t[keep]
        weights = data.sample_weight[keep]
        if sharding.use_sharding(X_t.shape[0], shard):
            gram, xty, yty = sharding.sharded_gram(X_t, y_t)
        else:
            gram, xty, yty = X_t.T @ X_t, X_t.T @ y_t, float(y_t @ y_t)
        return cls(
            gram=gram,
            xty=xty,
            yty=yty,
            n_obs=int(keep.sum()),
            weight_sum=float(weights.sum()),
            half_log_weights=0.5 * float(np.sum(np.log(weights))),
            x_offset=np.asarray(data.x_offset, dtype=np.float64),
            y_offset=float(data.y_offset),
            fit_intercept=data.fit_intercept,
        )

    def residual_sum_of_squares(self, coef) -> float:
        """``||y~ - X~ w||^2 = y~'y~ - 2 w'X~'y~ + w'X~'X~ w``, clipped at 0."""
        coef = np.asarray(coef, dtype=np.float64)
        return max(self.yty - 2.0 * coef @ self.xty + coef @ self.gram @ coef, 0.0)
