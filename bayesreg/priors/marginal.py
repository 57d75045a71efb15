"""The exact marginal density of one weight under a prior, the horseshoe included.

A prior with a closed-form density uses its numpyro distribution; the horseshoe, a
scale mixture of normals with no closed form, is integrated numerically.
"""

from __future__ import annotations

import math

import numpy as np
import numpyro.distributions as dist
from numpy.typing import ArrayLike
from numpyro.distributions import constraints
from scipy import special

from bayesreg.priors.base import Prior, check_positive
from bayesreg.priors.shrinkage import Horseshoe

__all__ = ["horseshoe_conditional_log_density", "prior_log_density"]

#: Carvalho, Polson & Scott's constant ``K = 1 / sqrt(2 pi^3)``.
_K = 1.0 / math.sqrt(2.0 * math.pi**3)
#: Above this ``E_1(x)`` nears the smallest double, so ``e^x E_1(x)`` uses its asymptotic
#: series ``(1 / x) sum_k (-1)^k k! / x^k``; ten terms leave an error below
#: ``10! / 600^10 ~ 6e-22`` relative.
_LOG_E1_ASYMPTOTIC_FROM = math.log(600.0)
_E1_TERMS = 10
#: Trapezoid rule in ``t = log tau`` for the horseshoe's global scale: step and the
#: half-width of the range around ``log|w|`` and 0 (see ``_horseshoe_marginal_log_density``).
_TAU_STEP = 0.05
_TAU_MARGIN = 20.0


def _log_scaled_e1(log_x: np.ndarray) -> np.ndarray:
    """``log(e^x E_1(x))`` from ``log x`` (``+inf`` at ``x = 0``), accurate for every ``x``.

    Taking ``log x`` keeps ``x = w^2 / 2 tau^2`` from overflowing for huge ``w``.
    """
    log_x = np.asarray(log_x, dtype=np.float64)
    out = np.empty_like(log_x)
    small = log_x <= _LOG_E1_ASYMPTOTIC_FROM
    x = np.exp(log_x[small])
    with np.errstate(divide="ignore"):
        out[small] = np.log(special.exp1(x)) + x
    inverse = np.exp(-log_x[~small])
    series = np.zeros_like(inverse)
    term = np.ones_like(inverse)
    for k in range(_E1_TERMS):
        series += term
        term = -term * (k + 1) * inverse
    out[~small] = np.log(series) - log_x[~small]
    return out


def horseshoe_conditional_log_density(w: ArrayLike, tau: float = 1.0) -> np.ndarray:
    """``log p(w | tau)``: the horseshoe density of one weight given the global scale.

    With ``w | lambda ~ N(0, lambda^2 tau^2)`` and ``lambda ~ C+(0, 1)``, integrating
    ``lambda`` out gives (Carvalho, Polson & Scott, 2010)

    ``p(w | tau) = (K / tau) exp(x) E_1(x)``,  ``x = w^2 / (2 tau^2)``,
    ``K = 1 / sqrt(2 pi^3)``,

    with ``E_1`` the exponential integral.  It is infinite at ``w = 0`` (a log pole,
    ``p ~ (K / tau) log(2 tau^2 / w^2)``) and has Cauchy tails (``p ~ 2 K tau / w^2``).

    Parameters
    ----------
    w : array-like
        Points, any shape.
    tau : float, default 1.0
        The global scale ``tau > 0``.

    Returns
    -------
    ndarray
        ``log p(w | tau)``, the shape of ``w``; ``+inf`` where ``w = 0``.

    Notes
    -----
    Substituting ``kappa = 1 / (1 + lambda^2)`` (the shrinkage weight) turns the mixture
    integral into ``(1 / tau sqrt(2 pi^3)) int_0^inf e^(-x s) / (1 + s) ds``
    (``s = lambda^2``), which is ``e^x E_1(x)``.  The bounds
    ``(1/2) e^(-x) log(1 + 2/x) < E_1(x) < e^(-x) log(1 + 1/x)`` give the paper's
    Theorem 1, ``(K / 2) log(1 + 4 tau^2 / w^2) < tau p(w | tau) < K log(1 + 2 tau^2 / w^2)``.

    References
    ----------
    .. [1] C. M. Carvalho, N. G. Polson and J. G. Scott, "The horseshoe estimator for
       sparse signals", Biometrika 97(2), 2010.
    """
    check_positive("tau", tau)
    w = np.asarray(w, dtype=np.float64)
    with np.errstate(divide="ignore"):
        log_x = 2.0 * np.log(np.abs(w) / tau) - math.log(2.0)
    return math.log(_K / tau) + _log_scaled_e1(log_x)


def _horseshoe_marginal_log_density(v: float) -> float:
    """``log p(v)`` for ``v != 0`` with ``tau ~ C+(0, 1)`` integrated out.

    ``p(v) = int_0^inf p(v | tau) 2 / (pi (1 + tau^2)) dtau``.  With ``tau = e^t`` and
    ``p(v | tau) = (K / tau) h(v^2 / 2 tau^2)``, ``h(x) = e^x E_1(x)``:

    ``p(v) = (2 K / pi) int_R h(v^2 e^(-2t) / 2) / (1 + e^(2t)) dt``.

    The integrand is analytic in the strip ``|Im t| < pi / 2`` (``1 / (1 + e^(2t))`` has
    its poles and ``h`` its branch cut at ``Im t = pi / 2``) and decays like
    ``e^(2 (t - log|v|))`` as ``t -> -inf`` and ``t e^(-2t)`` as ``t -> inf``.  The
    trapezoid rule then converges geometrically, with error ``~ exp(-pi^2 / step)``
    (Trefethen & Weideman, 2014): step 0.05 is far below rounding, and cutting the range
    ``20`` beyond ``log|v|`` and ``0`` drops tails below ``e^(-38)`` relative.
    """
    log_v = math.log(abs(v))
    t = np.arange(min(log_v, 0.0) - _TAU_MARGIN, max(log_v, 0.0) + _TAU_MARGIN, _TAU_STEP)
    log_h = _log_scaled_e1(2.0 * (log_v - t) - math.log(2.0))
    log_terms = log_h - np.logaddexp(0.0, 2.0 * t)
    return math.log(2.0 * _K / math.pi * _TAU_STEP) + float(special.logsumexp(log_terms))


def _horseshoe_log_density(prior: Horseshoe, w: np.ndarray) -> np.ndarray:
    # tau ~ C+(0, tau_0) is a scale family: p(w; tau_0) = p(w / tau_0; 1) / tau_0.
    tau0 = float(prior.scale_global)
    out = np.full(w.shape, np.inf)
    for index, value in np.ndenumerate(w):
        if value != 0.0:
            out[index] = _horseshoe_marginal_log_density(value / tau0) - math.log(tau0)
    return out


def prior_log_density(prior: Prior, w: ArrayLike) -> np.ndarray:
    """The exact log marginal density ``log p(w)`` of one weight under ``prior``.

    * A prior with a closed-form density (:class:`~bayesreg.priors.Gaussian`,
      :class:`~bayesreg.priors.Laplace`, :class:`~bayesreg.priors.ElasticNetPrior`,
      :class:`~bayesreg.priors.Bridge`, :class:`~bayesreg.priors.StudentT`,
      :class:`~bayesreg.priors.Cauchy`, a numpyro distribution wrapped as a prior):
      the ``log_prob`` of :meth:`~bayesreg.priors.Prior.distribution`.
    * :class:`~bayesreg.priors.Horseshoe` with global scale ``tau ~ C+(0, tau_0)``:
      both scales integrated out,
      ``p(w) = int_0^inf p(w | tau) 2 / (pi tau_0 (1 + tau^2 / tau_0^2)) dtau``, with
      ``p(w | tau)`` in closed form (:func:`horseshoe_conditional_log_density`) and the
      ``tau`` integral by the trapezoid rule in ``log tau``, which converges
      geometrically for this analytic integrand (to rounding at the step used).  This is the
      marginal of one weight under the prior as bayesreg samples it; the weights are
      not independent (they share ``tau``), so the sum of these is not the joint
      ``-log p(w)``.  ``p(w) = inf`` at ``w = 0``: ``p ~ (2 K / pi) log^2(1 / |w|)``,
      a stronger pole than the fixed-``tau`` horseshoe's ``log(1 / |w|)``, and the tails
      are ``~ log|w| / w^2``.

    Parameters
    ----------
    prior : Prior
        One of the priors above.
    w : array-like
        Points, any shape.

    Returns
    -------
    ndarray
        ``log p(w)`` in float64, the shape of ``w``.

    Raises
    ------
    TypeError
        If ``prior`` is not a bayesreg prior, or it has no univariate marginal density
        that can be computed here (the flat prior is improper; the regularized
        horseshoe and the hierarchical priors have latent scales that are not
        integrated out; a prior with per-feature parameters has no single density).
    ValueError
        If ``w`` holds NaN.

    References
    ----------
    .. [1] C. M. Carvalho, N. G. Polson and J. G. Scott, "The horseshoe estimator for
       sparse signals", Biometrika 97(2), 2010.
    .. [2] L. N. Trefethen and J. A. C. Weideman, "The exponentially convergent
       trapezoidal rule", SIAM Review 56(3), 2014.

    Examples
    --------
    >>> from bayesreg.priors import Gaussian
    >>> prior_log_density(Gaussian(1.0), [0.0])  # -log(sqrt(2 pi))
    array([-0.91893853])
    """
    if not isinstance(prior, Prior):
        raise TypeError(
            f"prior must be a bayesreg prior (e.g. bayesreg.priors.Laplace(1.0)), got {prior!r}."
        )
    w = np.asarray(w, dtype=np.float64)
    if np.isnan(w).any():
        raise ValueError("w holds NaN; pass the points at which to evaluate the density.")
    if isinstance(prior, Horseshoe):
        return _horseshoe_log_density(prior, w)
    try:
        distribution = prior.distribution()
    except NotImplementedError as error:
        raise TypeError(
            f"prior_log_density cannot compute the marginal density of one weight under "
            f"the {prior.name} prior: {error} Supported: Gaussian, Laplace, ElasticNetPrior, "
            "Bridge, StudentT, Cauchy, Horseshoe and numpyro distributions."
        ) from None
    if isinstance(distribution, dist.ImproperUniform):
        raise TypeError(
            f"the {prior.name} prior is improper: it has no density to evaluate or plot."
        )
    if (
        distribution.batch_shape != ()
        or distribution.event_shape != ()
        or distribution.support is not constraints.real
    ):
        raise TypeError(
            f"the {prior.name} prior has no single density of one weight on the real line "
            f"(batch shape {distribution.batch_shape}, support {distribution.support}); "
            "pass a prior whose parameters are scalars."
        )
    return np.asarray(distribution.log_prob(w), dtype=np.float64)
