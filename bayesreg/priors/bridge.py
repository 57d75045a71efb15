"""The bridge (Lp) penalty and its prior, the generalized Gaussian distribution.

``P(w) = lam sum_j |w_j|^p`` is the negative log of the generalized Gaussian density
``p(w) = p / (2 s Gamma(1 / p)) exp(-(|w| / s)^p)`` with ``lam = s^-p`` (Frank &
Friedman, 1993; Fu, 1998).  ``p = 1`` is the lasso (Laplace prior), ``p = 2`` ridge
(Gaussian prior); ``p < 1`` is non-convex and sets weights exactly to zero, ``p > 1``
is strictly convex and does not.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpyro.distributions as dist
from jax.scipy.special import gammaln
from numpyro.distributions import constraints
from numpyro.distributions.util import promote_shapes

from bayesreg.priors.base import Prior, check_derived, pytree
from bayesreg.priors.base import check_positive as _check_positive
from bayesreg.priors.base import positive_field as _positive_field
from bayesreg.priors.elastic_net import Flat

__all__ = ["Bridge", "GeneralizedNormal", "bridge_threshold"]

# Bisection steps in log|u|: the bracket is at most ~1500 wide (|log| of the smallest
# to the largest double), and 2^-110 * 1500 is far below one ulp of log|u|.
_BISECTION_STEPS = 110
_LOG_TINY = math.log(5e-324)
#: The logs of the smallest normal and the largest float64: where a rate must lie.
_LOG_TINY_FLOAT = math.log(2.2250738585072014e-308)
_LOG_MAX_FLOAT = math.log(1.7976931348623157e308)
#: The largest power: |w|^1000 stays finite for |w| < 2 and scale = lam^(-1/p) keeps
#: lam to about 1000 eps.
_MAX_POWER = 1000.0


class GeneralizedNormal(dist.Distribution):
    """Generalized normal (exponential power) distribution, centred at 0.

    Density ``p(x) = power / (2 scale Gamma(1 / power)) exp(-(|x| / scale)^power)`` on
    the real line; ``power = 2`` is ``N(0, scale^2 / 2)``, ``power = 1`` is
    ``Laplace(0, scale)``.  It is ``scipy.stats.gennorm(power, scale=scale)``.

    Parameters
    ----------
    power : float or array
        Shape ``p > 0``.
    scale : float or array
        Scale ``s > 0``.

    Notes
    -----
    Exact sampler: ``(|x| / s)^p ~ Gamma(1 / p, 1)`` (substitute ``g = (|x| / s)^p`` in
    the density of ``|x|``), so ``x = sign * s * G^(1 / p)`` with a fair random sign
    (Nardon & Pianca, 2009).  The variance is ``s^2 Gamma(3 / p) / Gamma(1 / p)``.

    References
    ----------
    .. [1] M. Nardon and P. Pianca, "Simulation techniques for generalized Gaussian
       densities", J. Statist. Comput. Simul. 79(11), 2009.
    """

    arg_constraints: ClassVar = {"power": constraints.positive, "scale": constraints.positive}
    support = constraints.real
    reparametrized_params: ClassVar = []

    def __init__(self, power=1.0, scale=1.0, *, validate_args=None):
        self.power, self.scale = promote_shapes(power, scale)
        batch_shape = jax.lax.broadcast_shapes(jnp.shape(power), jnp.shape(scale))
        super().__init__(batch_shape=batch_shape, validate_args=validate_args)

    def log_prob(self, value):
        p, s = self.power, self.scale
        log_norm = jnp.log(p) - jnp.log(2.0 * s) - gammaln(1.0 / p)
        return log_norm - (jnp.abs(value) / s) ** p

    def sample(self, key, sample_shape=()):
        shape = sample_shape + self.batch_shape
        key_gamma, key_sign = jax.random.split(key)
        p = jnp.broadcast_to(jnp.asarray(self.power, float), shape)
        s = jnp.broadcast_to(jnp.asarray(self.scale, float), shape)
        g = jax.random.gamma(key_gamma, 1.0 / p, shape)
        sign = jnp.where(jax.random.bernoulli(key_sign, 0.5, shape), 1.0, -1.0)
        return sign * s * g ** (1.0 / p)

    def cdf(self, value):
        # P(X <= x) = 1/2 + sign(x) P(1 / p, (|x| / s)^p) / 2, P the regularised gamma.
        g = jax.scipy.special.gammainc(
            1.0 / self.power, (jnp.abs(value) / self.scale) ** self.power
        )
        return 0.5 + 0.5 * jnp.sign(value) * g

    @property
    def mean(self):
        return jnp.zeros(self.batch_shape)

    @property
    def variance(self):
        p = self.power
        return jnp.broadcast_to(
            self.scale**2 * jnp.exp(gammaln(3.0 / p) - gammaln(1.0 / p)), self.batch_shape
        )


def bridge_threshold(power: float, k):
    """The smallest ``|v|`` whose bridge proximal point is not 0, and the jump there.

    For ``power = p < 1`` the global minimiser of ``(u - v)^2 / 2 + k |u|^p`` is 0 for
    ``|v| < T`` and ``sign(v) x_+ >= sign(v) beta`` for ``|v| > T``, with

    ``beta = (2 k (1 - p))^(1 / (2 - p))`` and ``T = beta (2 - p) / (2 (1 - p))``.

    Returns ``(T, beta)``; see :meth:`Bridge.prox` for the derivation.
    """
    if not 0 < power < 1:
        raise ValueError(f"the bridge threshold exists for 0 < power < 1, got {power!r}.")
    beta = (2.0 * k * (1.0 - power)) ** (1.0 / (2.0 - power))
    return beta * (2.0 - power) / (2.0 * (1.0 - power)), beta


@functools.partial(jax.jit, static_argnames="p")
def _root_in_log(a, k, p, log_lo, log_hi):
    """Bisect ``h(y) = e^y - a + k p e^((p - 1) y)`` on ``[log_lo, log_hi]``; h increasing there."""

    def step(_, bracket):
        lo, hi = bracket
        mid = 0.5 * (lo + hi)
        x = jnp.exp(mid)
        positive = x - a + k * p * jnp.exp((p - 1.0) * mid) > 0
        return jnp.where(positive, lo, mid), jnp.where(positive, mid, hi)

    lo, hi = jax.lax.fori_loop(0, _BISECTION_STEPS, step, (log_lo, log_hi))
    return jnp.exp(0.5 * (lo + hi))


@dataclasses.dataclass(frozen=True)
class Bridge(Prior):
    """Bridge prior: generalized Gaussian weights, the ``L_p`` (bridge) penalty.

    Density of each weight and penalty (its negative log, without the constant)::

        p(w) = power / (2 s Gamma(1 / power)) exp(-(|w| / s)^power)
        P(w) = lam sum_j |w_j|^power,   lam = s^-power.

    Parameters
    ----------
    power : float
        Exponent ``0 < p <= 1000``.  ``p >= 1`` is convex; ``p < 1`` is not (the MAP problem
        then has local minima and the solver's answer is only a local MAP).
    scale : float, default 1.0
        Scale ``s > 0``.

    Notes
    -----
    *Alpha mapping.*  With a Gaussian likelihood of noise ``sigma`` and ``n`` samples,
    multiplying the negative log posterior by ``sigma^2 / n`` gives
    ``(1 / 2n) ||y - Xw - b||^2 + alpha sum_j |w_j|^p`` with ``alpha = sigma^2 lam / n``,
    scikit-learn's Lasso convention (``p = 1`` is ``Laplace.from_alpha(alpha, n)``).
    Noise-scaled form: ``p(w | sigma) propto exp(-lam ||w||_p^p / sigma^2)``, the bridge
    prior with scale ``s sigma^(2 / p)``.

    *Proximal operator* (:meth:`prox`) of ``t P``: ``u = sign(v) x`` with ``x >= 0``
    minimising ``g(x) = (x - a)^2 / 2 + k x^p``, ``a = |v|``, ``k = t lam``.

    * ``p = 1``: soft thresholding, ``x = max(a - k, 0)``; ``p = 2``: ``x = a / (1 + 2k)``.
    * ``p > 1``: ``g`` is strictly convex and ``x`` is the unique root of
      ``g'(x) = x - a + k p x^(p - 1)`` in ``[0, a]``; since both terms of
      ``x + k p x^(p-1) = a`` are at most ``a`` and one is at least ``a / 2``, the root
      lies in ``[min(a/2, (a / 2kp)^(1/(p-1))), min(a, (a / kp)^(1/(p-1)))]``, which
      is bisected in ``log x`` to double precision.
    * ``p < 1`` (non-convex): ``g'(0+) = +inf`` and ``g'`` decreases then increases, so
      ``g`` has at most one local minimum ``x_+ > 0`` besides ``x = 0``.  At the
      threshold ``a = T`` both are global minima: ``g'(x) = 0`` and ``g(x) = g(0)``, i.e.
      ``x - a + k p x^(p-1) = 0`` and ``x / 2 - a + k x^(p-1) = 0``; subtracting gives
      ``x = beta = (2 k (1 - p))^(1/(2-p))`` and then ``T = beta + k p beta^(p-1) =
      beta (2 - p) / (2 (1 - p))`` (Marjanovic & Solo, 2012; ``p = 1/2`` gives the
      half-thresholding constant ``(54^(1/3) / 4) (2k)^(2/3)`` of Xu et al., 2012).
      For ``a > T``, ``g'(beta) = T - a < 0 < g'(a)`` and ``g'`` increases on
      ``[beta, a]``, so ``x_+`` is bisected there; for ``a <= T``, ``x = 0``.
      The prox jumps from 0 to ``beta`` at ``|v| = T``.

    With ``positive=True`` the minimiser over ``u >= 0`` is the above clipped at 0 (for
    ``v < 0`` both terms increase with ``u >= 0``).

    ``power`` is a static (compile-time) part of the pytree: it selects the proximal
    algorithm and whether the problem is convex, so a jitted solver recompiles when
    ``power`` changes but not when ``scale`` does.

    References
    ----------
    .. [1] I. E. Frank and J. H. Friedman, "A statistical view of some chemometrics
       regression tools", Technometrics 35(2), 1993.
    .. [2] W. J. Fu, "Penalized regressions: the bridge versus the lasso", J. Comput.
       Graph. Statist. 7(3), 1998.
    .. [3] G. Marjanovic and V. Solo, "On l_q optimization and matrix completion",
       IEEE Trans. Signal Process. 60(11), 2012.
    .. [4] Z. Xu, X. Chang, F. Xu and H. Zhang, "L_1/2 regularization: a thresholding
       representation theory and a fast solver", IEEE Trans. Neural Netw. Learn. Syst.
       23(7), 2012.
    """

    power: float
    scale: float = 1.0
    name: ClassVar[str] = "bridge"
    map_solver: ClassVar[str] = "proximal"

    def __post_init__(self):
        _positive_field(self, "power")
        if isinstance(self.power, jax.core.Tracer):
            raise TypeError("power is static: it cannot be a traced JAX value.")
        object.__setattr__(self, "power", float(self.power))
        if self.power > _MAX_POWER:
            raise ValueError(
                f"power must be at most {_MAX_POWER:g}, got {self.power!r}: |w|^power then "
                "over- or underflows float64 for any |w| much different from 1 (it is a box "
                "constraint |w| <= scale), and scale = lam^(-1/power) rounds to 1."
            )
        _positive_field(self, "scale")
        if not isinstance(self.scale, jax.core.Tracer):
            # lam = scale^-power must be a normal float64 (the penalty's rate).
            log_lam = -self.power * math.log(float(self.scale))
            if not _LOG_TINY_FLOAT <= log_lam <= _LOG_MAX_FLOAT:
                raise ValueError(
                    f"scale={self.scale!r} with power={self.power!r} gives the penalty rate "
                    f"lam = scale^-power = exp({log_lam:.4g}), beyond float64's range "
                    "(exp(-708) to exp(709)). Choose a scale nearer 1."
                )

    @property
    def convex(self) -> bool:  # type: ignore[override]
        """``power >= 1``: a convex penalty, so a local MAP is the MAP."""
        return self.power >= 1.0

    @property
    def lam(self):
        """The penalty rate ``lam = scale^-power``."""
        return self.scale ** (-self.power)

    def distribution(self) -> GeneralizedNormal:
        return GeneralizedNormal(self.power, self.scale)

    def penalty(self, w) -> jax.Array:
        """``P(w) = lam sum_j |w_j|^power``: the negative log density up to a constant."""
        return self.lam * jnp.sum(jnp.abs(jnp.asarray(w)) ** self.power)

    def prox(self, v, step, *, positive: bool = False) -> jax.Array:
        """``argmin_u (1 / 2 step) (u - v)^2 + P(u)``, elementwise (``u >= 0`` if positive).

        The global minimiser, also for ``power < 1`` (see the class Notes).
        """
        v = jnp.asarray(v, float)
        k = jnp.asarray(step, float) * self.lam
        a = jnp.abs(v)
        p = self.power
        if p == 1.0:
            x = jnp.maximum(a - k, 0.0)
        elif p == 2.0:
            x = a / (1.0 + 2.0 * k)
        else:
            a, k = jnp.broadcast_arrays(a, k)
            nonzero = a > 0
            safe_a = jnp.where(nonzero, a, 1.0)
            log_a = jnp.log(safe_a)
            if p > 1.0:
                log_kp = jnp.log(k * p)
                log_hi = jnp.minimum(log_a, (log_a - log_kp) / (p - 1.0))
                log_lo = jnp.minimum(
                    log_a - math.log(2.0), (log_a - math.log(2.0) - log_kp) / (p - 1.0)
                )
                log_lo = jnp.clip(log_lo, _LOG_TINY, log_hi)
            else:
                threshold, beta = bridge_threshold(p, k)
                nonzero = a > threshold
                log_hi = log_a
                log_lo = jnp.minimum(jnp.log(beta), log_a)
            x = jnp.where(nonzero, _root_in_log(safe_a, k, p, log_lo, log_hi), 0.0)
        out = jnp.sign(v) * x
        return jnp.maximum(out, 0.0) if positive else out

    def scaled_by_noise(self, sigma) -> Bridge:
        """``p(w | sigma) propto exp(-lam ||w||_p^p / sigma^2)``: scale ``s sigma^(2 / p)``."""
        return Bridge(self.power, self.scale * sigma ** (2.0 / self.power))

    @classmethod
    def from_alpha(
        cls, alpha: float, power: float, n_samples: int, noise_scale: float = 1.0
    ) -> Bridge | Flat:
        """The prior whose MAP minimises ``(1/2n) ||y - Xw - b||^2 + alpha sum_j |w_j|^power``.

        ``lam = n_samples alpha / noise_scale^2``, ``s = lam^(-1 / power)``;
        ``alpha = 0`` gives :class:`~bayesreg.priors.Flat`.
        """
        _check_positive("alpha", alpha, allow_zero=True)
        _check_positive("power", power)
        _check_positive("n_samples", n_samples)
        _check_positive("noise_scale", noise_scale, squared=True)
        if alpha == 0:
            return Flat()
        lam = float(n_samples) * float(alpha) / float(noise_scale) ** 2
        inputs = f"alpha={alpha!r} with n_samples={n_samples!r}, noise_scale={noise_scale!r}"
        lam = check_derived("the penalty rate lam", lam, inputs)
        # s = lam^(-1/p), in logs: the power itself may overflow for a small p.
        log_scale = -math.log(lam) / float(power)
        if not _LOG_TINY_FLOAT <= log_scale <= _LOG_MAX_FLOAT:
            raise ValueError(
                f"{inputs} and power={power!r} gives the scale lam^(-1/power) = "
                f"exp({log_scale:.4g}), beyond float64's range. Choose values of more "
                "ordinary size (rescale the data)."
            )
        return cls(power, math.exp(log_scale))

    def to_alpha(self, n_samples: int, noise_scale: float = 1.0) -> float:
        """The bridge objective's ``alpha = noise_scale^2 lam / n_samples``."""
        _check_positive("n_samples", n_samples)
        _check_positive("noise_scale", noise_scale, squared=True)
        alpha = float(noise_scale) ** 2 * float(self.lam) / float(n_samples)
        inputs = f"n_samples={n_samples!r}, noise_scale={noise_scale!r} with {self!r}"
        return check_derived("alpha", alpha, inputs)


pytree(Bridge, meta_fields=("power",))
