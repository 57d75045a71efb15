"""Likelihoods of a linear model with a noise scale: Gaussian, Student-t and Laplace.

Each likelihood is a location-scale family for ``y_i`` around the linear predictor
``mu_i = b + x_i' w`` with noise scale ``sigma``; an observation weight ``s_i`` scales
the observation's contribution to the data term:

=================  =================================  ===================================
likelihood         ``y_i | mu_i, sigma``              data term ``-log p`` in ``mu``
=================  =================================  ===================================
:class:`Normal`    ``N(mu_i, sigma^2 / s_i)``         ``s_i r_i^2 / (2 sigma^2)``
:class:`StudentT`  ``t_nu(mu_i, sigma / sqrt(s_i))``  ``(nu+1)/2 log(1 + s_i r_i^2/(nu sigma^2))``
:class:`Laplace`   ``Laplace(mu_i, sigma / s_i)``     ``s_i |r_i| / sigma``
=================  =================================  ===================================

with ``r_i = y_i - mu_i``.

Robustness.  The Student-t and Laplace likelihoods make a fit robust to outlying
*observations*: their data terms grow logarithmically (Student-t) or linearly (Laplace)
in a residual instead of quadratically, so one wild ``y_i`` cannot drag the fit.  An L1
*penalty* (a Laplace prior on the weights) does nothing of the kind: it shrinks the
weights and can set some to zero, but the squared loss still lets a single outlier move
every weight.  An L1 loss is a Laplace likelihood; an L1 penalty is a Laplace prior.

The Student-t data term is not convex: with outliers the MAP problem can have several
local optima.  The Laplace likelihood with a flat or Laplace prior is a linear program
(least absolute deviations; scikit-learn's ``QuantileRegressor(quantile=0.5)``).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist

from bayesreg.priors.base import check_positive, pytree

__all__ = [
    "Laplace",
    "Likelihood",
    "Normal",
    "StudentT",
    "gaussian_log_likelihood",
    "make_likelihood",
]


def gaussian_log_likelihood(y, mean, sigma, weight) -> np.ndarray:
    """Pointwise ``log N(y_i | mean_i, sigma^2 / weight_i)``, broadcast over leading draw axes.

    Parameters
    ----------
    y, weight : ndarray of shape (n,)
    mean : ndarray of shape (..., n)
    sigma : ndarray of shape (...)

    Returns
    -------
    ndarray of shape (..., n)
    """
    sigma = np.asarray(sigma)[..., None]
    z2 = weight * (y - mean) ** 2 / sigma**2
    return -0.5 * np.log(2.0 * np.pi) - np.log(sigma) + 0.5 * np.log(weight) - 0.5 * z2


class Likelihood:
    """A location-scale likelihood ``y_i ~ D(mu_i, sigma, s_i)`` of a linear model."""

    name: ClassVar[str] = "likelihood"
    #: Whether the data term is a weighted sum of squares (the exact linear solvers apply).
    is_gaussian: ClassVar[bool] = False

    def distribution(self, mean, sigma, weight) -> dist.Distribution:
        """The numpyro distribution of ``y`` given the linear predictor ``mean``."""
        raise NotImplementedError  # pragma: no cover - abstract

    def log_likelihood(self, y, mean, sigma, weight) -> np.ndarray:
        """Pointwise log density, broadcast over leading draw axes of ``mean`` and ``sigma``.

        Parameters
        ----------
        y, weight : ndarray of shape (n,)
        mean : ndarray of shape (..., n)
        sigma : ndarray of shape (...)
        """
        sigma = jnp.asarray(sigma)[..., None]
        return np.asarray(self.distribution(mean, sigma, weight).log_prob(y))

    def variance(self, sigma, weight=1.0):
        """``Var(y_i | mu_i, sigma)`` (infinite when it does not exist)."""
        raise NotImplementedError  # pragma: no cover - abstract


@pytree
@dataclasses.dataclass(frozen=True)
class Normal(Likelihood):
    """Gaussian likelihood ``y_i ~ N(mu_i, sigma^2 / s_i)``: least squares."""

    name: ClassVar[str] = "normal"
    is_gaussian: ClassVar[bool] = True

    def distribution(self, mean, sigma, weight) -> dist.Distribution:
        return dist.Normal(mean, sigma / jnp.sqrt(weight))

    def log_likelihood(self, y, mean, sigma, weight) -> np.ndarray:
        return gaussian_log_likelihood(y, mean, sigma, weight)

    def variance(self, sigma, weight=1.0):
        return np.asarray(sigma) ** 2 / weight


@pytree
@dataclasses.dataclass(frozen=True)
class StudentT(Likelihood):
    """Student-t likelihood ``y_i ~ t_df(mu_i, sigma / sqrt(s_i))``: robust regression.

    Parameters
    ----------
    df : float, default 4.0
        Degrees of freedom ``nu`` > 0; small ``nu`` means heavy tails (``nu = 1`` is the
        Cauchy), ``nu -> inf`` the Gaussian.

    Notes
    -----
    ``t_nu`` is a scale mixture of normals, ``y_i | u_i ~ N(mu_i, sigma^2 / (s_i u_i))``
    with ``u_i ~ Gamma(nu/2, nu/2)``, which gives the MM (EM) weights
    ``s_i (nu + 1) / (nu + s_i r_i^2 / sigma^2)`` used by the MAP solver: an
    observation with a large residual gets a small weight.  The variance is
    ``sigma^2 nu / ((nu - 2) s_i)`` for ``nu > 2``.

    References
    ----------
    .. [1] K. L. Lange, R. J. A. Little and J. M. G. Taylor, "Robust statistical
       modeling using the t distribution", JASA 84(408), 1989.
    """

    df: float = 4.0
    name: ClassVar[str] = "student_t"

    def __post_init__(self):
        check_positive("df", self.df)

    def distribution(self, mean, sigma, weight) -> dist.Distribution:
        return dist.StudentT(self.df, mean, sigma / jnp.sqrt(weight))

    def variance(self, sigma, weight=1.0):
        sigma2 = np.asarray(sigma) ** 2 / weight
        return sigma2 * self.df / (self.df - 2.0) if self.df > 2 else np.full_like(sigma2, np.inf)

    def mm_weights(self, residual, sigma, weight) -> np.ndarray:
        """The weights of the least-squares majoriser of the data term at ``residual``."""
        return weight * (self.df + 1.0) / (self.df + weight * residual**2 / sigma**2)


@pytree
@dataclasses.dataclass(frozen=True)
class Laplace(Likelihood):
    """Laplace likelihood ``y_i ~ Laplace(mu_i, sigma / s_i)``: least absolute deviations.

    Its data term ``sum_i s_i |r_i| / sigma`` is scikit-learn's ``QuantileRegressor``
    loss at ``quantile=0.5`` (the pinball loss is ``|r| / 2`` there).  The variance is
    ``2 sigma^2 / s_i^2``.
    """

    name: ClassVar[str] = "laplace"

    def distribution(self, mean, sigma, weight) -> dist.Distribution:
        return dist.Laplace(mean, sigma / weight)

    def variance(self, sigma, weight=1.0):
        return 2.0 * np.asarray(sigma) ** 2 / np.asarray(weight) ** 2


_BY_NAME = {"normal": Normal, "student_t": StudentT, "laplace": Laplace}


def make_likelihood(name: str, df: float | None = None) -> Likelihood:
    """The likelihood called ``name`` (``"normal"``, ``"student_t"`` or ``"laplace"``)."""
    if name not in _BY_NAME:
        raise ValueError(f"likelihood must be one of {sorted(_BY_NAME)}, got {name!r}.")
    if name == "student_t":
        return StudentT(4.0 if df is None else df)
    return _BY_NAME[name]()
