"""Exact iid draws from Ridge's posterior: the normal-inverse-gamma model.

The model (what :meth:`bayesreg.Ridge.sample_posterior` samples, see
:mod:`bayesreg.model`): with observation weights ``s_i``,

``y_i ~ N(b + x_i' w, sigma^2 / s_i)``, ``w_j | sigma ~ N(0, sigma^2 / lambda_j)``,
``p(b) propto 1``, ``p(sigma) propto 1 / sigma`` (Jeffreys),

where ``lambda_j = alpha`` (``alpha f_j`` with penalty factors; ``lambda_j = 0`` is a
flat prior on ``w_j``).  Write ``Lambda = diag(lambda)``, ``X~, y~`` the centred,
weighted data, ``W = sum_i s_i``, ``n`` the number of observations with ``s_i > 0``,
``k`` the number of flat weights (``lambda_j = 0``), and

``A = X~'X~ + Lambda``, ``m = A^{-1} X~'y~``,
``J = ||y~ - X~ m||^2 + m' Lambda m = y~'y~ - m' X~'y~``.

Derivation.  With ``b_c = b + xbar' w`` (unit Jacobian) the weighted residual sum of
squares splits as ``||y~ - X~ w||^2 + W (b_c - ybar)^2``, and completing the square in
``w`` gives ``||y~ - X~ w||^2 + w' Lambda w = J + (w - m)' A (w - m)``.  So

``p(w, b_c, sigma | y) propto sigma^{-n} sigma^{-(p - k)} sigma^{-1}
exp(-[J + (w - m)' A (w - m) + W (b_c - ybar)^2] / (2 sigma^2))``

(likelihood, the ``p - k`` proper Gaussian priors, Jeffreys).  Integrating ``b_c``
gives ``sigma sqrt(2 pi / W)``, integrating ``w`` gives ``(2 pi)^{p/2} sigma^p
|A|^{-1/2}``, hence ``p(sigma | y) propto sigma^{-(n - 1 - k) - 1} exp(-J / (2
sigma^2))``; with ``v = sigma^2`` (``d sigma = dv / (2 sigma)``)

``p(v | y) propto v^{-(n - 1 - k)/2 - 1} exp(-(J / 2) / v)``,

that is ``sigma^2 | y ~ InvGamma(a, J / 2)`` with shape ``a = (n - 1 - k) / 2``
(``n - k`` without an intercept, which removes the ``sigma sqrt(2 pi / W)`` factor).
Then ``w | sigma, y ~ N(m, sigma^2 A^{-1})``, ``b_c | sigma, y ~ N(ybar, sigma^2 /
W)`` independent of ``w``, and the intercept is ``b = b_c - xbar' w``.  The posterior
is proper iff ``a > 0`` and ``A`` is positive definite (the flat columns of ``X~`` are
linearly independent); with ``alpha > 0`` and no zero factor that is ``n >= 2`` (``n
>= 1`` without an intercept).  Marginally ``w | y`` is a multivariate t with ``2a``
degrees of freedom, centre ``m`` and scale ``(J / 2a) A^{-1}``.

Drawing.  ``sigma^2 = (J / 2) / g`` with ``g ~ Gamma(a, 1)``, then ``w = m + sigma R
e`` with ``e ~ N(0, I_p)`` and any ``R`` with ``R R' = A^{-1}``:

* ``p <= n`` (or some ``lambda_j = 0``): ``A = D^{-1} C D^{-1}`` with ``D =
  diag(A)^{-1/2}``, the Cholesky factor ``C = L L'`` and ``R = D L^{-T}``.  The Jacobi
  scaling keeps it accurate for badly scaled columns, and the Cholesky factor, unlike
  eigenvectors, is unique and moves little when ``A`` does (the same draws from a
  ``random_state`` whether ``A`` was summed on one device or several).  ``A`` comes from
  the sufficient statistics (:class:`~bayesreg.sufficient_statistics.
  GaussianStatistics`), split across devices for large ``n``.
* ``p > n`` with every ``lambda_j > 0``: ``A`` is ``p x p`` but ``X~`` has rank at most
  ``n``.  With ``Z = X~ Lambda^{-1/2}``, ``A = Lambda^{1/2} (I + Z'Z) Lambda^{1/2}``;
  the ``n x n`` eigendecomposition ``Z Z' = U diag(t) U'`` and ``B = U'Z`` (so ``B B' =
  diag(t)``) give

  ``(I + Z'Z)^{-1/2} = I + B' diag(h(t)) B``,
  ``h(t) = ((1 + t)^{-1/2} - 1) / t = -1 / (sqrt(1 + t) (1 + sqrt(1 + t)))``

  (square it: ``2h + t h^2 = -1 / (1 + t)``, and ``(I + Z'Z)^{-1} = I - B' diag(1 / (1
  + t)) B`` by Woodbury).  So ``R = Lambda^{-1/2} (I + B' diag(h) B)``: ``O(n^2 p)``
  once and ``O(n p)`` per draw, never a ``p x p`` matrix; ``h`` is smooth at ``t = 0``,
  so directions the data do not see (``t ~ 0``) need no accuracy.  Also ``m =
  Lambda^{-1/2} Z' (I + Z Z')^{-1} y~ = Lambda^{-1/2} B' (c / (1 + t))`` with ``c =
  U'y~``, and ``J = y~' (I + Z Z')^{-1} y~ = sum_j c_j^2 / (1 + t_j)``, without
  cancellation.

Other noise priors.  A conjugate prior for this model is ``sigma^2 ~ InvGamma(a0,
b0)`` (then ``a -> a + a0``, ``J / 2 -> J / 2 + b0``); numpyro's ``noise_prior`` is a
distribution of ``sigma``, and ``InverseGamma`` on ``sigma`` is not that, so any given
``noise_prior`` is sampled by NUTS, and only Jeffreys' default is drawn exactly.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import scipy.linalg
import scipy.stats
import xarray as xr
from sklearn.utils import check_random_state

from bayesreg.inference import _add_log_likelihood
from bayesreg.likelihoods import Normal
from bayesreg.model import RegressionData
from bayesreg.priors import ElasticNetFamily, Prior
from bayesreg.sufficient_statistics import GaussianStatistics

__all__ = [
    "SAMPLER_NAME",
    "ImproperPosteriorError",
    "NormalInverseGamma",
    "gaussian_prior_precisions",
    "sample_normal_inverse_gamma",
]

#: ``posterior.attrs["sampler"]`` of the exact draws.
SAMPLER_NAME = "exact normal-inverse-gamma"
_EPS = np.finfo(np.float64).eps


class ImproperPosteriorError(ValueError):
    """The normal-inverse-gamma posterior does not integrate (flat prior, too few rows)."""


def gaussian_prior_precisions(prior: Prior, n_features: int) -> np.ndarray | None:
    """``lambda_j``, the prior precisions at unit noise, when ``prior`` is Gaussian or flat.

    The unit-noise penalty of the elastic-net family is ``sum_j l1_j |w_j| + l2_j w_j^2``;
    with ``l1 = 0`` it is ``w' Lambda w / 2`` with ``lambda_j = 2 l2_j``.

    Returns
    -------
    ndarray of shape (n_features,) or None
        None when the prior is not of that form (an L1 part, another family).
    """
    if not isinstance(prior, ElasticNetFamily):
        return None
    l1, l2 = prior.rates(n_features)
    if np.any(l1 != 0):
        return None
    return 2.0 * np.asarray(l2, dtype=np.float64)


@dataclasses.dataclass(frozen=True)
class _CholeskyRoot:
    """``R = D L^{-T}`` with ``R R' = A^{-1}`` (the dense, Jacobi-scaled form)."""

    root: np.ndarray  # (p, p)

    def apply(self, e: np.ndarray) -> np.ndarray:
        return e @ self.root.T

    def inverse_precision(self) -> np.ndarray:
        return self.root @ self.root.T


@dataclasses.dataclass(frozen=True)
class _WoodburyRoot:
    """``R = Lambda^{-1/2} (I + B' diag(h) B)`` with ``R R' = A^{-1}`` (the ``p > n`` form)."""

    inv_sqrt_precisions: np.ndarray  # (p,)
    B: np.ndarray  # (n, p)
    h: np.ndarray  # (n,)
    t: np.ndarray  # (n,)

    def apply(self, e: np.ndarray) -> np.ndarray:
        return (e + ((e @ self.B.T) * self.h) @ self.B) * self.inv_sqrt_precisions

    def inverse_precision(self) -> np.ndarray:
        inner = np.eye(self.B.shape[1]) - (self.B.T / (1.0 + self.t)) @ self.B
        return inner * np.outer(self.inv_sqrt_precisions, self.inv_sqrt_precisions)


@dataclasses.dataclass(frozen=True)
class NormalInverseGamma:
    """The exact posterior of the noise-scaled ridge model with Jeffreys' noise prior.

    ``sigma^2 | y ~ InvGamma(shape, rate)``, ``w | sigma, y ~ N(mean, sigma^2 A^{-1})``,
    ``b_c | sigma, y ~ N(y_offset, sigma^2 / weight_sum)`` and ``b = b_c - x_offset' w``
    (see the module notes for the derivation).  Build it with :meth:`from_data`.

    Attributes
    ----------
    mean : ndarray of shape (p,)
        ``m = A^{-1} X~'y~``, the MAP and the posterior mean of ``w``.
    shape : float
        ``a = (n - fit_intercept - k) / 2``.
    rate : float
        ``J / 2``.
    log_det_precision : float
        ``log |A|``.
    x_offset : ndarray of shape (p,)
    y_offset : float
    weight_sum : float
    fit_intercept : bool
    method : str
        ``"cholesky"`` (dense ``p x p``) or ``"woodbury"`` (``n x n``, for ``p > n``).
    """

    mean: np.ndarray
    shape: float
    rate: float
    log_det_precision: float
    x_offset: np.ndarray
    y_offset: float
    weight_sum: float
    fit_intercept: bool
    method: str
    _root: _CholeskyRoot | _WoodburyRoot = dataclasses.field(repr=False)

    @classmethod
    def from_data(
        cls,
        data: RegressionData,
        precisions: np.ndarray,
        *,
        statistics: GaussianStatistics | None = None,
    ) -> NormalInverseGamma:
        """The posterior of ``data`` under ``w_j | sigma ~ N(0, sigma^2 / precisions_j)``.

        Parameters
        ----------
        data : RegressionData
        precisions : ndarray of shape (n_features,)
            ``lambda_j >= 0`` (0: flat), e.g. from :func:`gaussian_prior_precisions`.
        statistics : GaussianStatistics or None
            The sufficient statistics of ``data`` if already computed (used when
            ``p <= n``); None computes them (across devices for large ``n``).

        Raises
        ------
        ImproperPosteriorError
            When the posterior is improper: ``n - fit_intercept - k <= 0`` observations
            for the noise, or ``A`` singular to float64 precision (flat weights on
            collinear columns).
        """
        precisions = np.asarray(precisions, dtype=np.float64)
        p = data.n_features
        if (
            precisions.shape != (p,)
            or np.any(precisions < 0)
            or not np.all(np.isfinite(precisions))
        ):
            raise ValueError(
                f"precisions must be {p} finite non-negative numbers, got shape {precisions.shape}."
            )
        keep = data.sample_weight > 0
        n_obs = int(np.count_nonzero(keep))
        n_flat = int(np.count_nonzero(precisions == 0))
        dof = n_obs - int(data.fit_intercept) - n_flat
        if dof <= 0:
            raise ImproperPosteriorError(
                f"the posterior is improper: {n_obs} observations with positive weight, "
                f"{int(data.fit_intercept)} intercept and {n_flat} unpenalised weights leave "
                f"{dof} degrees of freedom for the noise; it needs at least 1."
            )
        X_t, y_t = data.centered()
        if n_obs < keep.size:
            X_t, y_t = X_t[keep], y_t[keep]
        if p > n_obs and n_flat == 0:
            mean, root, log_det, rss_shrunk = _woodbury(X_t, y_t, precisions)
            method = "woodbury"
        else:
            if statistics is None:
                statistics = GaussianStatistics.from_data(data, centered=(X_t, y_t))
            mean, root, log_det = _cholesky(statistics.gram, statistics.xty, precisions)
            residual = y_t - X_t @ mean
            rss_shrunk = float(residual @ residual + mean @ (precisions * mean))
            method = "cholesky"
        if not rss_shrunk > 0:
            raise ImproperPosteriorError(
                "the posterior is improper: the fit is exact (J = ||y~ - X~ m||^2 + "
                "alpha ||m||^2 = 0, e.g. a constant y), so p(sigma | y) piles up at 0."
            )
        return cls(
            mean=mean,
            shape=0.5 * dof,
            rate=0.5 * rss_shrunk,
            log_det_precision=log_det,
            x_offset=np.asarray(data.x_offset, dtype=np.float64),
            y_offset=float(data.y_offset),
            weight_sum=float(data.sample_weight.sum()),
            fit_intercept=data.fit_intercept,
            method=method,
            _root=root,
        )

    @property
    def inverse_precision(self) -> np.ndarray:
        """``A^{-1}`` (``p x p``; for tests and small ``p``): ``Cov(w | sigma) / sigma^2``."""
        return self._root.inverse_precision()

    def sample(self, rng: np.random.RandomState, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
        """iid draws of ``intercept``, ``coef`` and ``sigma``, and their log density ``lp``.

        Parameters
        ----------
        rng : numpy RandomState
        shape : tuple of int
            Leading shape of the draws, e.g. ``(num_chains, num_samples)``.

        Returns
        -------
        dict
            ``coef`` of shape ``(*shape, p)``; ``intercept``, ``sigma`` and ``lp`` of
            shape ``shape``.  ``lp`` is the normalised log posterior density of
            ``(intercept, coef, sigma)`` at the draw.
        """
        p = self.mean.size
        sigma2 = self.rate / rng.standard_gamma(self.shape, size=shape)
        sigma = np.sqrt(sigma2)
        e = rng.standard_normal((*shape, p))
        coef = self.mean + sigma[..., None] * self._root.apply(e)
        # log N(w | m, sigma^2 A^{-1}) with (w - m)' A (w - m) / sigma^2 = |e|^2.
        lp = (
            -0.5 * np.sum(e * e, axis=-1)
            + 0.5 * self.log_det_precision
            - p * np.log(sigma)
            - 0.5 * p * math.log(2.0 * math.pi)
        )
        lp = lp + self._log_sigma_density(sigma)
        if self.fit_intercept:
            e_b = rng.standard_normal(shape)
            centered = self.y_offset + sigma * e_b / math.sqrt(self.weight_sum)
            intercept = centered - coef @ self.x_offset
            lp = lp - 0.5 * e_b**2 - np.log(sigma) + 0.5 * math.log(self.weight_sum / (2 * math.pi))
        else:
            intercept = np.zeros(shape)
        return {"intercept": intercept, "coef": coef, "sigma": sigma, "lp": lp}

    def _log_sigma_density(self, sigma: np.ndarray) -> np.ndarray:
        """``log p(sigma | y) = log InvGamma(sigma^2; a, J/2) + log(2 sigma)``."""
        log_invgamma = scipy.stats.invgamma.logpdf(sigma**2, self.shape, scale=self.rate)
        return log_invgamma + np.log(2.0 * sigma)


def _cholesky(gram: np.ndarray, xty: np.ndarray, precisions: np.ndarray):
    """``m``, ``R`` and ``log|A|`` from ``A = gram + Lambda`` (Jacobi-scaled Cholesky)."""
    A = gram + np.diag(precisions)
    diag = np.diag(A).copy()
    if np.any(diag <= 0):
        raise ImproperPosteriorError(
            "the posterior is improper: an unpenalised weight's column of X is constant "
            "(zero after centring), so the data say nothing about it."
        )
    d = 1.0 / np.sqrt(diag)
    singular = ImproperPosteriorError(
        "the posterior is improper: the unpenalised columns of X (after centring) are "
        "linearly dependent to float64 precision, so X'X + alpha I is singular."
    )
    try:
        L = scipy.linalg.cholesky(A * d[:, None] * d[None, :], lower=True)
    except np.linalg.LinAlgError:
        raise singular from None
    # C has unit diagonal, so each pivot L_jj^2 is in (0, 1]: the part of column j not
    # explained by the columns before it.  Below p eps that part is rounding.
    if np.min(np.diag(L)) ** 2 <= L.shape[0] * _EPS:
        raise singular
    root = d[:, None] * scipy.linalg.solve_triangular(L, np.eye(L.shape[0]), lower=True).T
    mean = root @ (root.T @ xty)
    log_det = float(2.0 * np.sum(np.log(np.diag(L))) - 2.0 * np.sum(np.log(d)))
    return mean, _CholeskyRoot(root), log_det


def _woodbury(X_t: np.ndarray, y_t: np.ndarray, precisions: np.ndarray):
    """``m``, ``R``, ``log|A|`` and ``J`` from ``Z Z'`` (``n x n``), ``Z = X~ Lambda^{-1/2}``."""
    inv_sqrt = 1.0 / np.sqrt(precisions)
    Z = X_t * inv_sqrt
    t, U = np.linalg.eigh(Z @ Z.T)
    # Z Z' is positive semi-definite: a negative t is rounding of a zero.
    t = np.maximum(t, 0.0)
    B = U.T @ Z
    c = U.T @ y_t
    mean = inv_sqrt * (B.T @ (c / (1.0 + t)))
    rss_shrunk = float(np.sum(c**2 / (1.0 + t)))
    log_det = float(np.sum(np.log(precisions)) + np.sum(np.log1p(t)))
    root_1p = np.sqrt(1.0 + t)
    h = -1.0 / (root_1p * (1.0 + root_1p))
    return mean, _WoodburyRoot(inv_sqrt, B, h, t), log_det, rss_shrunk


def sample_normal_inverse_gamma(
    data: RegressionData,
    posterior: NormalInverseGamma,
    *,
    feature_names: Sequence[str],
    num_samples: int = 1000,
    num_chains: int = 4,
    random_state=None,
) -> xr.DataTree:
    """``num_chains x num_samples`` iid draws of ``posterior`` as the NUTS path's DataTree.

    Parameters
    ----------
    data : RegressionData
        The data of ``posterior``; rows of zero weight are left out of
        ``log_likelihood`` and ``observed_data``, as in
        :func:`bayesreg.inference.sample_linear_posterior`.
    posterior : NormalInverseGamma
    feature_names : sequence of str
    num_samples, num_chains : int
        The "chains" are iid draws too; they keep arviz's ``(chain, draw)`` layout.
    random_state : None, int or numpy RandomState

    Returns
    -------
    xarray.DataTree
        ``posterior`` (``intercept``, ``coef`` over ``feature``, ``sigma``; attrs
        ``sampler``, ``chain_method="iid"``, ``num_warmup=0``, ``likelihood``),
        ``sample_stats`` (``lp``: the normalised log posterior density of the draw;
        ``diverging``: all False), ``log_likelihood`` and ``observed_data``.
    """
    rng = check_random_state(random_state)
    draws = posterior.sample(rng, (num_chains, num_samples))
    keep = data.sample_weight > 0
    obs_id = np.flatnonzero(keep)
    base = {"chain": np.arange(num_chains), "draw": np.arange(num_samples)}
    sample_dims = ("chain", "draw")
    post = xr.Dataset(
        {
            "intercept": (sample_dims, draws["intercept"]),
            "coef": ((*sample_dims, "feature"), draws["coef"]),
            "sigma": (sample_dims, draws["sigma"]),
        },
        coords={**base, "feature": list(feature_names)},
        attrs={
            "sampler": SAMPLER_NAME,
            "chain_method": "iid",
            "num_warmup": 0,
            "likelihood": Normal.name,
        },
    )
    stats = xr.Dataset(
        {
            "lp": (sample_dims, draws["lp"]),
            "diverging": (sample_dims, np.zeros((num_chains, num_samples), dtype=bool)),
        },
        coords=base,
    )
    observed = xr.Dataset({"y": (("obs_id",), data.y[keep])}, coords={"obs_id": obs_id})
    tree = xr.DataTree.from_dict(
        {"posterior": post, "sample_stats": stats, "observed_data": observed}
    )
    _add_log_likelihood(tree, data.X[keep], data.y[keep], data.sample_weight[keep], Normal())
    return tree
