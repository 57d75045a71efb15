"""The linear model: data preparation and the numpyro model.

A model is a likelihood, a prior on the weights, an intercept (flat, never penalised,
unless a prior is given for it) and a noise scale.  With observation weights ``s_i`` the
Gaussian likelihood is

``y_i ~ N(b + x_i' w, sigma^2 / s_i)``,

so that ``-log p(y | w, b, sigma) = (1 / 2 sigma^2) sum_i s_i r_i^2 + n log sigma + const``.

Centering.  With ``xbar`` and ``ybar`` the ``s``-weighted means, write
``b = b_c - xbar' w``; then ``r_i = y_i - b_c - (x_i - xbar)' w`` and, because the
intercept's prior is flat, profiling (MAP) or integrating (posterior) ``b_c`` out leaves
the centred, weighted problem in ``X~ = sqrt(S) (X - xbar)``, ``y~ = sqrt(S) (y - ybar)``.
The map ``(b, w) -> (b_c, w)`` has unit Jacobian, so sampling ``b_c`` instead of ``b``
leaves the posterior unchanged and decorrelates the intercept from the weights.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints

from bayesreg.likelihoods import Likelihood, Normal
from bayesreg.priors import Prior

__all__ = ["JeffreysNoise", "RegressionData", "make_linear_model"]


@dataclasses.dataclass(frozen=True, eq=False)
class RegressionData:
    """Validated float64 data of a weighted linear regression, with its centred form.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,)
        Non-negative observation weights ``s_i`` with a positive sum.
    fit_intercept : bool
        Whether the model has a (flat-prior) intercept; if not, nothing is centred.
    """

    X: np.ndarray
    y: np.ndarray
    sample_weight: np.ndarray
    fit_intercept: bool

    @classmethod
    def from_arrays(cls, X, y, sample_weight=None, fit_intercept: bool = True) -> RegressionData:
        # C order whatever the caller's layout: the products of a Fortran-ordered X would
        # round differently, and an iterative solver can carry that difference far.
        X = np.asarray(X, dtype=np.float64, order="C")
        y = np.asarray(y, dtype=np.float64)
        n = X.shape[0]
        if y.shape != (n,):
            raise ValueError(f"y must have shape ({n},) to match X, got {y.shape}.")
        if sample_weight is None:
            sample_weight = np.ones(n)
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        if sample_weight.shape != (n,):
            raise ValueError(
                f"sample_weight must have shape ({n},) to match X, got {sample_weight.shape}."
            )
        if np.any(sample_weight < 0) or not np.all(np.isfinite(sample_weight)):
            raise ValueError("sample_weight must be finite and non-negative.")
        if not sample_weight.sum() > 0:
            raise ValueError("sample_weight sums to zero: at least one sample needs weight > 0.")
        return cls(X, y, sample_weight, bool(fit_intercept))

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @functools.cached_property
    def x_offset(self) -> np.ndarray:
        """Weighted column means ``xbar`` (zeros without an intercept)."""
        if not self.fit_intercept:
            return np.zeros(self.n_features)
        return self.sample_weight @ self.X / self.sample_weight.sum()

    @functools.cached_property
    def y_offset(self) -> float:
        """Weighted mean ``ybar`` (0 without an intercept)."""
        if not self.fit_intercept:
            return 0.0
        return float(self.sample_weight @ self.y / self.sample_weight.sum())

    def centered(self) -> tuple[np.ndarray, np.ndarray]:
        """``(X~, y~) = sqrt(S) (X - xbar, y - ybar)``, the problem the solvers see."""
        root_w = np.sqrt(self.sample_weight)
        X_t = (self.X - self.x_offset) * root_w[:, None]
        y_t = (self.y - self.y_offset) * root_w
        return X_t, y_t

    def intercept(self, coef: np.ndarray) -> float:
        """The intercept ``b = ybar - xbar' w`` that goes with the weights ``w``."""
        return self.y_offset - float(self.x_offset @ coef) if self.fit_intercept else 0.0

    @property
    def n_residual_dof(self) -> int:
        """Observations with positive weight, less one for the integrated intercept."""
        return int(np.count_nonzero(self.sample_weight)) - int(self.fit_intercept)


class JeffreysNoise(dist.ImproperUniform):
    """The improper scale-invariant prior ``p(sigma) propto 1 / sigma`` on ``(0, inf)``.

    Equivalently ``p(sigma^2) propto 1 / sigma^2``.  It is the default noise prior: the
    posterior does not depend on the units of ``y``, and with a Gaussian prior on the
    weights it is the limit ``a, b -> 0`` of the conjugate normal-inverse-gamma model.
    The posterior is proper when at least two observations have positive weight.
    """

    def __init__(self, *, validate_args=None):
        super().__init__(constraints.positive, (), (), validate_args=validate_args)

    def log_prob(self, value):
        return -jnp.log(value)


def make_linear_model(
    *,
    fit_intercept: bool,
    noise_scaled: bool = True,
    noise_prior: dist.Distribution | None = None,
    noise_scale: float | None = None,
    intercept_prior: dist.Distribution | None = None,
    likelihood: Likelihood | None = None,
) -> Callable:
    """Build the numpyro model ``model(X_c, y, weight, x_offset, prior)`` of a linear regression.

    Parameters
    ----------
    fit_intercept : bool
        Sample a flat-prior intercept (as ``intercept_centered``, see the module notes),
        and record ``intercept = intercept_centered - xbar' coef``.
    noise_scaled : bool, default True
        Sample ``coef`` by ``prior.sample_coef(p, sigma)``, the prior given ``sigma``
        (the noise-scaled form); otherwise ``prior.sample_coef(p)``, the prior as it is
        (the fixed-noise form), unless the prior is defined given ``sigma``
        (``prior.conditions_on_noise``, e.g. the Bayesian lasso).
    noise_prior : numpyro distribution or None
        Prior of ``sigma``; None is :class:`JeffreysNoise`.  Ignored when
        ``noise_scale`` is given.
    noise_scale : float or None
        Known noise scale; None samples ``sigma``.
    intercept_prior : numpyro distribution or None
        Prior of the intercept ``b``; None is flat.  It is added as a factor
        ``log p(b_c - xbar' w)`` on the centred intercept (the change of variables has
        unit Jacobian).
    likelihood : Likelihood or None
        Distribution of ``y`` around the linear predictor; None is
        :class:`~bayesreg.likelihoods.Normal`.

    Returns
    -------
    callable
        ``model(X_c, y, weight, x_offset, prior)`` with ``X_c`` the centred design
        (observations with zero weight removed), ``y`` the observations (None to sample
        them), ``weight`` the observation weights and ``prior`` a :class:`Prior`.  Sites:
        ``sigma``, ``coef`` (plate ``feature``), ``intercept_centered``, ``intercept``
        and ``y`` (plate ``obs_id``).
    """
    if noise_prior is None:
        noise_prior = JeffreysNoise()
    if likelihood is None:
        likelihood = Normal()

    def model(X_c, y, weight, x_offset, prior: Prior):
        n, p = X_c.shape
        if noise_scale is None:
            sigma = numpyro.sample("sigma", noise_prior)
        else:
            sigma = noise_scale
        given_noise = noise_scaled or prior.conditions_on_noise
        coef = prior.sample_coef(p, sigma if given_noise else None)
        mean = X_c @ coef
        if fit_intercept:
            b_c = numpyro.sample(
                "intercept_centered", dist.ImproperUniform(constraints.real, (), ())
            )
            intercept = numpyro.deterministic("intercept", b_c - x_offset @ coef)
            if intercept_prior is not None:
                numpyro.factor("intercept_prior", intercept_prior.log_prob(intercept))
            mean = mean + b_c
        with numpyro.plate("obs_id", n):
            numpyro.sample("y", likelihood.distribution(mean, sigma, weight), obs=y)

    return model
