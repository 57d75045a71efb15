"""The elastic-net family of priors: flat, Gaussian (ridge), Laplace (lasso), elastic net.

All priors in this module have the penalty ``P(u) = l1 |u| + l2 u^2`` (Laplace:
``l2 = 0``; Gaussian: ``l1 = 0``; flat: both 0), which is what the exact coordinate
descent of :mod:`bayesreg.solvers` relies on.  Each knows its mapping to and from
scikit-learn's ``alpha`` (and ``l1_ratio``).  :class:`PenaltyFactor` gives every weight
its own rates ``f_j l1`` and ``f_j l2`` (glmnet's ``penalty.factor``); ``f_j = 0`` leaves
``w_j`` unpenalised (flat).

Two ways to tie a prior to scikit-learn's ``alpha`` (see ``docs/design.md``):

* **fixed noise**: ``sigma`` is known, and e.g. ``Laplace.from_alpha(alpha, n, sigma)``
  is the prior whose MAP is scikit-learn's ``Lasso(alpha)``;
* **noise-scaled**: the prior carries the likelihood's ``1 / sigma^2``,
  ``p(w | sigma) propto exp(-P_1(w) / sigma^2)``, where ``P_1`` is the penalty of the
  prior at unit noise, ``from_alpha(alpha, n)``.  Then the posterior mode in ``w`` is
  scikit-learn's solution for *any* prior on ``sigma``.  :meth:`Prior.scaled_by_noise`
  turns the unit-noise prior into ``p(w | sigma)``, and
  ``Laplace.from_alpha(alpha, n, sigma) == Laplace.from_alpha(alpha, n).scaled_by_noise(sigma)``.

Priors are immutable, compare by value and are JAX pytrees, so a compiled sampler or
solver is reused when only the prior's parameters change.
"""

from __future__ import annotations

import dataclasses
import math
from numbers import Real
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
from jax.scipy.special import log_ndtr
from numpy.typing import ArrayLike
from numpyro.distributions import constraints
from numpyro.distributions.util import promote_shapes

from bayesreg.priors.base import Prior, check_derived
from bayesreg.priors.base import check_positive as _check_positive
from bayesreg.priors.base import positive_field as _positive_field
from bayesreg.priors.base import pytree as _pytree

__all__ = [
    "ElasticNetDistribution",
    "ElasticNetFamily",
    "ElasticNetPrior",
    "Flat",
    "Gaussian",
    "Laplace",
    "PenaltyFactor",
    "PenaltyFactorDistribution",
    "elastic_net_prox",
]


def elastic_net_prox(v, step, l1, l2, *, positive: bool = False):
    """``argmin_u (1 / 2 step) (u - v)^2 + l1 |u| + l2 u^2``, elementwise.

    ``S(v, step l1) / (1 + 2 step l2)`` with the soft threshold
    ``S(v, k) = sign(v) max(|v| - k, 0)``, clipped at 0 when ``positive``.  The rates
    broadcast against ``v`` (one rate per weight is allowed).
    """
    shrunk = jnp.sign(v) * jnp.maximum(jnp.abs(v) - step * l1, 0.0)
    out = shrunk / (1.0 + 2.0 * step * l2)
    return jnp.maximum(out, 0.0) if positive else out


class ElasticNetFamily(Prior):
    """A prior on each regression weight, ``p(u) propto exp(-l1 |u| - l2 u^2)``.

    Subclasses define :attr:`l1`, :attr:`l2` (the rates of the penalty),
    :meth:`distribution` and :meth:`scaled_by_noise`.  The penalty, its proximal
    operator, its convex conjugate and the optimality conditions follow from the two
    rates, so a solver needs nothing else.

    Notes
    -----
    With ``P(u) = l1 |u| + l2 u^2``:

    * proximal operator: ``prox_{tP}(v) = S(v, t l1) / (1 + 2 t l2)`` with the soft
      threshold ``S(v, k) = sign(v) max(|v| - k, 0)``; with ``positive=True`` the
      result is clipped at 0;
    * convex conjugate: ``P*(v) = (|v| - l1)_+^2 / (4 l2)`` (for ``l2 > 0``), the
      indicator of ``|v| <= l1`` for ``l2 = 0``;
    * subdifferential: ``l1 sign(u) + 2 l2 u`` for ``u != 0`` and ``[-l1, l1]`` at 0.

    The rates are scalars here and arrays of one rate per weight for
    :class:`PenaltyFactor`; everything above holds weight by weight.
    """

    map_solver: ClassVar[str] = "elastic-net"

    @property
    def l1(self):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def l2(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def rates(self, n_features: int) -> tuple[np.ndarray, np.ndarray]:
        """The rates ``(l1_j, l2_j)`` of each of ``n_features`` weights, as float64 arrays.

        Raises
        ------
        ValueError
            If the prior has its own number of weights (:class:`PenaltyFactor`) and it is
            not ``n_features``.
        """
        shape = (int(n_features),)
        l1 = np.broadcast_to(np.asarray(self.l1, dtype=np.float64), shape)
        l2 = np.broadcast_to(np.asarray(self.l2, dtype=np.float64), shape)
        return l1, l2

    def with_penalty_factor(self, factor: ArrayLike) -> PenaltyFactor:
        """This prior with the rates of weight ``j`` multiplied by ``factor[j]``.

        See :class:`PenaltyFactor`; ``factor[j] = 0`` leaves ``w_j`` unpenalised.
        """
        return PenaltyFactor(self, factor)

    # -- the penalty view ------------------------------------------------------------
    def penalty(self, w) -> jax.Array:
        """``P(w) = sum_j l1 |w_j| + l2 w_j^2``: the negative log density up to a constant."""
        w = jnp.asarray(w)
        l1, l2 = self.l1, self.l2
        if jnp.ndim(l1) == 0 and jnp.ndim(l2) == 0:
            return l1 * jnp.sum(jnp.abs(w)) + l2 * jnp.sum(w * w)
        return jnp.sum(l1 * jnp.abs(w)) + jnp.sum(l2 * (w * w))

    def prox(self, v, step, *, positive: bool = False) -> jax.Array:
        """``argmin_u (1 / 2 step) (u - v)^2 + P(u)``, elementwise (``u >= 0`` if positive)."""
        return elastic_net_prox(jnp.asarray(v), step, self.l1, self.l2, positive=positive)


@_pytree
@dataclasses.dataclass(frozen=True)
class Flat(ElasticNetFamily):
    """The improper flat prior ``p(w) propto 1``: no penalty (ordinary least squares).

    Examples
    --------
    >>> Flat().penalty([1.0, -2.0])
    Array(0., dtype=float64)
    """

    name: ClassVar[str] = "flat"

    @property
    def l1(self):
        return 0.0

    @property
    def l2(self):
        return 0.0

    def distribution(self) -> dist.Distribution:
        return dist.ImproperUniform(constraints.real, (), ())

    def scaled_by_noise(self, sigma) -> Flat:
        return self


@_pytree
@dataclasses.dataclass(frozen=True)
class Gaussian(ElasticNetFamily):
    """Gaussian prior ``w_j ~ N(0, scale^2)``: the ridge penalty.

    Parameters
    ----------
    scale : float
        Standard deviation ``tau`` of each weight, > 0.

    Notes
    -----
    The penalty is ``||w||^2 / (2 tau^2)``.  With a Gaussian likelihood of noise
    ``sigma``, the MAP solves scikit-learn's Ridge objective
    ``||y - Xw - b||^2 + alpha ||w||^2`` with ``alpha = sigma^2 / tau^2``
    (multiply the negative log posterior by ``2 sigma^2``).  In the noise-scaled form
    ``tau = sigma / sqrt(alpha)``: the conjugate normal-inverse-gamma model.
    """

    scale: float = 1.0
    name: ClassVar[str] = "gaussian"

    def __post_init__(self):
        _positive_field(self, "scale", squared=True)

    @property
    def l1(self):
        return 0.0

    @property
    def l2(self):
        return 0.5 / self.scale**2

    def distribution(self) -> dist.Distribution:
        return dist.Normal(0.0, self.scale)

    def scaled_by_noise(self, sigma) -> Gaussian:
        return Gaussian(self.scale * sigma)

    @classmethod
    def from_alpha(cls, alpha: float, noise_scale: float = 1.0) -> Gaussian | Flat:
        """The prior whose MAP is ``sklearn.linear_model.Ridge(alpha)``.

        ``tau = noise_scale / sqrt(alpha)``; ``alpha = 0`` gives :class:`Flat`.
        """
        _check_positive("alpha", alpha, allow_zero=True)
        _check_positive("noise_scale", noise_scale)
        if alpha == 0:
            return Flat()
        scale = float(noise_scale) / math.sqrt(float(alpha))
        inputs = f"alpha={alpha!r} with noise_scale={noise_scale!r}"
        return cls(check_derived("the prior scale", scale, inputs, squared=True))

    def to_alpha(self, noise_scale: float = 1.0) -> float:
        """Ridge's ``alpha = noise_scale^2 / scale^2``."""
        _check_positive("noise_scale", noise_scale, squared=True)
        alpha = float(noise_scale) ** 2 / float(self.scale) ** 2
        return check_derived("alpha", alpha, f"noise_scale={noise_scale!r} with {self!r}")


@_pytree
@dataclasses.dataclass(frozen=True)
class Laplace(ElasticNetFamily):
    """Laplace prior ``w_j ~ Laplace(0, scale)``, density ``exp(-|w| / s) / (2 s)``: the lasso.

    Parameters
    ----------
    scale : float
        Scale ``s`` of each weight, > 0.

    Notes
    -----
    The penalty is ``||w||_1 / s``.  With a Gaussian likelihood of noise ``sigma`` and
    ``n`` samples, multiplying the negative log posterior by ``sigma^2 / n`` gives
    scikit-learn's Lasso objective ``(1 / 2n) ||y - Xw - b||^2 + alpha ||w||_1`` with
    ``alpha = sigma^2 / (n s)`` (Tibshirani, 1996, section 5).

    References
    ----------
    .. [1] R. Tibshirani, "Regression shrinkage and selection via the lasso",
       J. R. Statist. Soc. B 58(1), 1996.
    """

    scale: float = 1.0
    name: ClassVar[str] = "laplace"

    def __post_init__(self):
        _positive_field(self, "scale")

    @property
    def l1(self):
        return 1.0 / self.scale

    @property
    def l2(self):
        return 0.0

    def distribution(self) -> dist.Distribution:
        return dist.Laplace(0.0, self.scale)

    def scaled_by_noise(self, sigma) -> Laplace:
        return Laplace(self.scale * sigma**2)

    @classmethod
    def from_alpha(cls, alpha: float, n_samples: int, noise_scale: float = 1.0) -> Laplace | Flat:
        """The prior whose MAP is ``sklearn.linear_model.Lasso(alpha)`` on ``n_samples`` rows.

        ``s = noise_scale^2 / (n_samples alpha)``; ``alpha = 0`` gives :class:`Flat`.
        """
        _check_positive("alpha", alpha, allow_zero=True)
        _check_positive("n_samples", n_samples)
        _check_positive("noise_scale", noise_scale, squared=True)
        if alpha == 0:
            return Flat()
        scale = float(noise_scale) ** 2 / (float(n_samples) * float(alpha))
        inputs = f"alpha={alpha!r} with n_samples={n_samples!r}, noise_scale={noise_scale!r}"
        return cls(check_derived("the prior scale", scale, inputs))

    def to_alpha(self, n_samples: int, noise_scale: float = 1.0) -> float:
        """Lasso's ``alpha = noise_scale^2 / (n_samples scale)``."""
        _check_positive("n_samples", n_samples)
        _check_positive("noise_scale", noise_scale, squared=True)
        alpha = float(noise_scale) ** 2 / (float(n_samples) * float(self.scale))
        inputs = f"n_samples={n_samples!r}, noise_scale={noise_scale!r} with {self!r}"
        return check_derived("alpha", alpha, inputs)


@_pytree
@dataclasses.dataclass(frozen=True)
class ElasticNetPrior(ElasticNetFamily):
    """Elastic-net prior, density ``exp(-l1 |w| - l2 w^2) / Z(l1, l2)``.

    Parameters
    ----------
    l1 : float
        Rate of the absolute-value part, >= 0.
    l2 : float
        Rate of the quadratic part, >= 0; ``l1 + l2 > 0``.

    Notes
    -----
    The normalising constant is, with ``a = l1 / (2 sqrt(l2))``,

    ``Z = 2 int_0^inf exp(-l1 u - l2 u^2) du = sqrt(pi / l2) exp(a^2) erfc(a)``,

    computed as ``log Z = log(2 sqrt(pi / l2)) + a^2 + log Phi(-a sqrt 2)`` to stay
    finite for large ``a``.  ``|w|`` is a normal ``N(-l1 / (2 l2), 1 / (2 l2))``
    truncated to ``[0, inf)`` (Li & Lin, 2010).

    scikit-learn's ElasticNet objective is
    ``(1/2n) ||r||^2 + alpha rho ||w||_1 + (alpha (1 - rho) / 2) ||w||^2``; multiplying
    the negative log posterior by ``sigma^2 / n`` maps
    ``alpha = sigma^2 (l1 + 2 l2) / n`` and ``rho = l1 / (l1 + 2 l2)``.

    References
    ----------
    .. [1] Q. Li and N. Lin, "The Bayesian elastic net", Bayesian Analysis 5(1), 2010.
    .. [2] H. Zou and T. Hastie, "Regularization and variable selection via the
       elastic net", J. R. Statist. Soc. B 67(2), 2005.
    """

    l1: float = 1.0
    l2: float = 1.0
    name: ClassVar[str] = "elastic-net"

    def __post_init__(self):
        _positive_field(self, "l1", allow_zero=True)
        _positive_field(self, "l2", allow_zero=True)
        concrete = not any(isinstance(v, jax.core.Tracer) for v in (self.l1, self.l2))
        if concrete and float(self.l1) + float(self.l2) == 0:
            raise ValueError("l1 and l2 cannot both be 0 (that is the improper Flat prior).")

    def distribution(self) -> dist.Distribution:
        return ElasticNetDistribution(self.l1, self.l2)

    def scaled_by_noise(self, sigma) -> ElasticNetPrior:
        return ElasticNetPrior(self.l1 / sigma**2, self.l2 / sigma**2)

    @classmethod
    def from_alpha(
        cls, alpha: float, l1_ratio: float, n_samples: int, noise_scale: float = 1.0
    ) -> Prior:
        """The prior whose MAP is ``sklearn.linear_model.ElasticNet(alpha, l1_ratio)``.

        ``l1 = n alpha rho / sigma^2`` and ``l2 = n alpha (1 - rho) / (2 sigma^2)``.
        """
        _check_positive("alpha", alpha, allow_zero=True)
        _check_l1_ratio(l1_ratio)
        _check_positive("n_samples", n_samples)
        _check_positive("noise_scale", noise_scale, squared=True)
        if alpha == 0:
            return Flat()
        rate = float(n_samples) * float(alpha) / float(noise_scale) ** 2
        inputs = f"alpha={alpha!r} with n_samples={n_samples!r}, noise_scale={noise_scale!r}"
        rate = check_derived("the penalty rate n alpha / noise_scale^2", rate, inputs)
        rho = float(l1_ratio)  # a numpy float16 or float32 would set the rates' precision
        return cls(rate * rho, 0.5 * rate * (1.0 - rho))

    def to_alpha(self, n_samples: int, noise_scale: float = 1.0) -> tuple[float, float]:
        """ElasticNet's ``(alpha, l1_ratio)``."""
        _check_positive("n_samples", n_samples)
        _check_positive("noise_scale", noise_scale, squared=True)
        total = float(self.l1) + 2.0 * float(self.l2)
        alpha = float(noise_scale) ** 2 * total / float(n_samples)
        inputs = f"n_samples={n_samples!r}, noise_scale={noise_scale!r} with {self!r}"
        return check_derived("alpha", alpha, inputs), float(self.l1) / total


def _check_l1_ratio(l1_ratio: float) -> None:
    if isinstance(l1_ratio, bool) or not isinstance(l1_ratio, Real):
        raise TypeError(f"l1_ratio must be a real number in [0, 1], got {l1_ratio!r}.")
    if not 0.0 <= l1_ratio <= 1.0:  # also rejects NaN
        raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio!r}.")


class ElasticNetDistribution(dist.Distribution):
    """Univariate density ``exp(-l1 |x| - l2 x^2) / Z(l1, l2)`` on the real line.

    See :class:`ElasticNetPrior` for the normalising constant and the sampler.
    ``l2 = 0`` is the Laplace distribution with scale ``1 / l1``.
    """

    arg_constraints: ClassVar = {
        "l1": constraints.nonnegative,
        "l2": constraints.nonnegative,
    }
    support = constraints.real
    reparametrized_params: ClassVar = []

    def __init__(self, l1=1.0, l2=1.0, *, validate_args=None):
        self.l1, self.l2 = promote_shapes(l1, l2)
        batch_shape = jax.lax.broadcast_shapes(jnp.shape(l1), jnp.shape(l2))
        super().__init__(batch_shape=batch_shape, validate_args=validate_args)

    def log_normalizer(self) -> jax.Array:
        """``log Z``; equals ``log(2 / l1)`` (Laplace) when ``l2 = 0``."""
        l1, l2 = jnp.asarray(self.l1, float), jnp.asarray(self.l2, float)
        safe_l2 = jnp.where(l2 > 0, l2, 1.0)
        a = l1 / (2.0 * jnp.sqrt(safe_l2))
        log_z = (
            jnp.log(2.0) + 0.5 * jnp.log(jnp.pi / safe_l2) + a * a + log_ndtr(-a * jnp.sqrt(2.0))
        )
        # The Laplace branch at l1 = 0 (taken only where l2 > 0) would be log(2 / 0):
        # inf there, and 0 * inf = NaN in the gradient that jnp.where routes through it.
        safe_l1 = jnp.where(l2 > 0, 1.0, l1)
        return jnp.where(l2 > 0, log_z, jnp.log(2.0 / safe_l1))

    def log_prob(self, value):
        return -self.l1 * jnp.abs(value) - self.l2 * value**2 - self.log_normalizer()

    def sample(self, key, sample_shape=()):
        shape = sample_shape + self.batch_shape
        key_abs, key_exp, key_sign = jax.random.split(key, 3)
        l1 = jnp.broadcast_to(jnp.asarray(self.l1, float), shape)
        l2 = jnp.broadcast_to(jnp.asarray(self.l2, float), shape)
        safe_l2 = jnp.where(l2 > 0, l2, 1.0)
        # |x| ~ N(mu, s^2) truncated to [0, inf): invert the CDF in the upper tail,
        # u ~ U(0, 1), |x| = mu + s * Phi^{-1}(1 - u (1 - Phi(-mu / s))), written with
        # log-space tails so that large l1 / sqrt(l2) stays accurate.
        s = 1.0 / jnp.sqrt(2.0 * safe_l2)
        mu = -l1 / (2.0 * safe_l2)
        u = jax.random.uniform(key_abs, shape, minval=jnp.finfo(float).tiny)
        log_tail = log_ndtr(mu / s)  # log P(Z > -mu/s)
        z = -jax.scipy.special.ndtri(jnp.exp(jnp.log(u) + log_tail))
        trunc = jnp.maximum(mu + s * z, 0.0)
        # l2 -> 0 (or a tail mass below exp(-700)) leaves the exponential with rate l1.
        laplace = jax.random.exponential(key_exp, shape) / jnp.where(l1 > 0, l1, 1.0)
        magnitude = jnp.where((l2 > 0) & (log_tail > -700.0), trunc, laplace)
        sign = jnp.where(jax.random.bernoulli(key_sign, 0.5, shape), 1.0, -1.0)
        return sign * magnitude

    @property
    def mean(self):
        return jnp.zeros(self.batch_shape)


@_pytree
@dataclasses.dataclass(frozen=True, eq=False)
class PenaltyFactor(ElasticNetFamily):
    """An elastic-net-family prior with a penalty factor per weight (glmnet's ``penalty.factor``).

    Weight ``j`` has the rates ``l1_j = f_j l1`` and ``l2_j = f_j l2``, where ``l1, l2``
    are the rates of ``base``:

    ``p(w_j) propto exp(-f_j (l1 |w_j| + l2 w_j^2))``,  ``P(w) = sum_j f_j (l1 |w_j| + l2 w_j^2)``.

    Parameters
    ----------
    base : ElasticNetFamily
        The prior whose rates are scaled (:class:`Flat`, :class:`Gaussian`,
        :class:`Laplace` or :class:`ElasticNetPrior`).
    factor : array-like of shape (n_features,)
        Finite factors ``f_j >= 0``.  ``f_j = 0`` leaves ``w_j`` unpenalised (the
        improper flat prior); all zeros give ordinary least squares.

    Notes
    -----
    The factors are used as given.  glmnet rescales them to sum to the number of
    features ``p`` before fitting; to reproduce a glmnet fit with ``penalty.factor = g``
    use ``f = g p / sum(g)``.

    The length of ``factor`` must be the number of features of the data; the prior
    cannot know it, so the solvers (:meth:`rates`) and the sampler (:meth:`sample_coef`)
    check it.

    For a weight with ``f_j > 0`` and an absolute-value part, scaling a column of ``X``
    is the same as scaling its factor: ``f_j l1 |w_j| = l1 |f_j w_j|``, so the lasso
    with factors ``f`` on ``X`` is the plain lasso on the columns ``X_j / f_j`` with
    weights ``f_j w_j``.  The quadratic part scales with ``f_j^2`` under that change of
    variable instead, so no column rescaling turns an elastic net with factors into a
    plain one.

    The density (:meth:`distribution`) is the elastic-net density
    ``exp(-l1_j |w| - l2_j w^2) / Z(l1_j, l2_j)`` where a weight has a positive rate and
    the constant 1 where both its rates are 0.

    Examples
    --------
    >>> prior = Laplace(0.5).with_penalty_factor([0.0, 1.0, 2.0])
    >>> prior.l1
    array([0., 2., 4.])
    >>> float(prior.penalty([3.0, 1.0, -1.0]))
    6.0
    """

    base: ElasticNetFamily
    factor: np.ndarray
    name: ClassVar[str] = "penalty-factor"

    def __post_init__(self):
        if not isinstance(self.base, ElasticNetFamily) or isinstance(self.base, PenaltyFactor):
            raise TypeError(
                "base must be a prior of the elastic-net family without penalty factors "
                f"(Flat, Gaussian, Laplace or ElasticNetPrior), got {self.base!r}."
            )
        object.__setattr__(self, "factor", _checked_factor(self.factor))

    @property
    def l1(self):
        return self.factor * self.base.l1

    @property
    def l2(self):
        return self.factor * self.base.l2

    def rates(self, n_features: int) -> tuple[np.ndarray, np.ndarray]:
        self.check_n_features(n_features)
        return super().rates(n_features)

    def check_n_features(self, n_features: int) -> None:
        """Raise ValueError unless there is one factor per feature."""
        n_factors = np.shape(self.factor)[0]
        if n_factors != n_features:
            raise ValueError(
                f"penalty_factor has {n_factors} entries but X has {n_features} features: "
                "give one factor per feature."
            )

    def with_penalty_factor(self, factor: ArrayLike) -> PenaltyFactor:
        """The same base prior with the factors multiplied elementwise by ``factor``."""
        return PenaltyFactor(self.base, self.factor * _checked_factor(factor))

    def distribution(self) -> dist.Distribution:
        return PenaltyFactorDistribution(self.l1, self.l2)

    def scaled_by_noise(self, sigma) -> PenaltyFactor:
        return PenaltyFactor(self.base.scaled_by_noise(sigma), self.factor)

    def sample_coef(self, n_features: int, sigma=None) -> jax.Array:
        self.check_n_features(n_features)
        return super().sample_coef(n_features, sigma)

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        if not (isinstance(self.factor, np.ndarray) and isinstance(other.factor, np.ndarray)):
            return self is other
        return bool(self.base == other.base and np.array_equal(self.factor, other.factor))

    def __hash__(self) -> int:
        if not isinstance(self.factor, np.ndarray):
            return id(self)
        return hash((type(self), self.base, self.factor.shape, self.factor.tobytes()))


def _checked_factor(factor):
    """A read-only float64 copy of the factors, validated; JAX tracers pass through.

    JAX rebuilds a PenaltyFactor without calling its constructor (see
    :func:`bayesreg.priors.base.pytree`), so only a user's factors arrive here.
    """
    if isinstance(factor, jax.core.Tracer):
        return factor
    if not isinstance(factor, np.ndarray | jax.Array | list | tuple):
        raise TypeError(f"penalty_factor must be a 1-D array of numbers, got {factor!r}.")
    array = np.asarray(factor)
    if array.ndim != 1 or array.dtype.kind not in "iuf":
        raise TypeError(
            f"penalty_factor must be a 1-D array of real numbers, got shape {array.shape} "
            f"and dtype {array.dtype}."
        )
    if array.size == 0:
        raise ValueError("penalty_factor is empty: give one factor per feature.")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"penalty_factor must be finite, got {array!r}.")
    if np.any(array < 0):
        raise ValueError(f"penalty_factor must be >= 0, got {array!r}.")
    array.flags.writeable = False
    return array


class PenaltyFactorDistribution(ElasticNetDistribution):
    """Elastic-net density where a rate is positive, improper flat where both rates are 0.

    ``log p(x_j) = -l1_j |x_j| - l2_j x_j^2 - log Z(l1_j, l2_j)`` where
    ``l1_j + l2_j > 0``, and ``log p(x_j) = 0`` where ``l1_j = l2_j = 0``.  Both the value
    and its gradients (in ``x`` and in the rates) are finite everywhere.  Drawing from it
    is possible only where every weight is penalised.
    """

    def _penalised(self):
        l1, l2 = jnp.asarray(self.l1, float), jnp.asarray(self.l2, float)
        penalised = (l1 > 0) | (l2 > 0)
        # Double where: the flat weights get the rates of a proper Laplace(1) so that
        # neither its value nor its gradient is inf or NaN before the outer where drops it.
        safe = ElasticNetDistribution(jnp.where(penalised, l1, 1.0), jnp.where(penalised, l2, 0.0))
        return penalised, safe

    def log_prob(self, value):
        penalised, safe = self._penalised()
        return jnp.where(penalised, safe.log_prob(value), 0.0)

    def sample(self, key, sample_shape=()):
        penalised, safe = self._penalised()
        if not isinstance(penalised, jax.core.Tracer) and not bool(jnp.all(penalised)):
            raise NotImplementedError(
                "cannot draw from the improper flat prior of an unpenalised weight "
                "(penalty factor 0)."
            )
        return jnp.where(penalised, safe.sample(key, sample_shape), jnp.nan)
