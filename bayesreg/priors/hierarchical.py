"""Hierarchical priors: a hyperprior on the penalty strength.

* :class:`BayesianLasso`: Park & Casella's (2008) Laplace prior with scale
  ``sigma / lambda`` and a gamma prior on ``lambda^2``;
* :class:`HierarchicalRidge`, :class:`HierarchicalLasso`,
  :class:`HierarchicalElasticNet`: the noise-scaled Gaussian, Laplace and elastic-net
  priors of scikit-learn's Ridge, Lasso and ElasticNet (see
  :mod:`bayesreg.priors.elastic_net`) with a prior on their ``alpha``, so that the
  penalty strength is inferred with the weights ("full Bayes") instead of being
  cross-validated.

None of them has a MAP that bayesreg computes: they are for posterior sampling, and
the fixed-alpha priors give the point estimates.
"""

from __future__ import annotations

import dataclasses
from numbers import Real
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist

from bayesreg.priors.base import Prior
from bayesreg.priors.base import positive_field as _positive_field
from bayesreg.priors.base import pytree as _pytree
from bayesreg.priors.elastic_net import (
    ElasticNetPrior,
    Gaussian,
    Laplace,
)

__all__ = [
    "BayesianLasso",
    "HierarchicalElasticNet",
    "HierarchicalLasso",
    "HierarchicalRidge",
]


@_pytree
@dataclasses.dataclass(frozen=True)
class BayesianLasso(Prior):
    """The Bayesian lasso (Park & Casella, 2008): Laplace weights with a random rate.

    ``w_j | sigma, lambda ~ Laplace(0, sigma / lambda)`` independently, i.e.

    ``p(w | sigma, lambda) = prod_j (lambda / 2 sigma) exp(-lambda |w_j| / sigma)``,

    and ``lambda^2 ~ Gamma(shape=r, rate=delta)``.  Given ``lambda`` and ``sigma`` the
    negative log prior is the lasso penalty ``(lambda / sigma) ||w||_1``.

    Parameters
    ----------
    r : float, default 1.0
        Shape ``r > 0`` of the gamma prior of ``lambda^2``.
    delta : float, default 1.0
        Rate ``delta > 0`` of the gamma prior of ``lambda^2``.  Park & Casella (2008)
        use ``r = 1``, ``delta = 1.78`` for the diabetes data.

    Notes
    -----
    Park & Casella complete the model with ``pi(sigma^2) propto 1 / sigma^2``, which is
    ``p(sigma) propto 1 / sigma``: :class:`bayesreg.model.JeffreysNoise`, the default
    noise prior of :func:`bayesreg.model.make_linear_model`.  Conditioning the Laplace
    scale on ``sigma`` (rather than fixing it) makes the posterior unimodal in
    ``(w, sigma^2)`` for fixed ``lambda`` (their section 2 and appendix A).

    *Noise.*  The conditional prior already carries ``sigma``, so there is no separate
    noise-scaled form: ``sample_coef(p, sigma)`` draws ``Laplace(0, sigma / lambda)``
    and ``sample_coef(p)`` (the fixed-noise form) draws ``Laplace(0, 1 / lambda)``,
    i.e. ``sigma = 1``.  :meth:`scaled_by_noise` raises ``NotImplementedError`` rather
    than return an object that would silently apply ``sigma`` twice.

    Sites: ``lambda_sq`` (``lambda^2``, scalar) and ``coef`` (plate ``feature``).

    *No MAP.*  Integrating ``lambda`` out gives a penalty ``-log p(w | sigma)`` that
    couples all weights through ``lambda`` and is not convex; the joint mode in
    ``(w, lambda^2)`` is not a lasso solution and depends on how ``lambda`` is
    parametrised (and with ``delta -> 0`` the joint density is unbounded as
    ``lambda -> inf`` at ``w = 0``).  bayesreg computes no MAP for it: use a Lasso
    (:class:`~bayesreg.priors.Laplace`) for a point estimate, or the posterior median,
    which is what Park & Casella report.

    References
    ----------
    .. [1] T. Park and G. Casella, "The Bayesian lasso", J. Amer. Statist. Assoc.
       103(482), 2008.
    """

    r: float = 1.0
    delta: float = 1.0
    name: ClassVar[str] = "bayesian lasso"
    conditions_on_noise: ClassVar[bool] = True
    map_solver: ClassVar[None] = None
    convex: ClassVar[bool] = False
    no_map_reason: ClassVar[str] = (
        "the bayesian lasso prior has no MAP in bayesreg: with lambda integrated out its "
        "penalty couples all weights and is not convex, and the joint mode in "
        "(w, lambda^2) is not a lasso solution (it depends on the parametrisation of "
        "lambda, and is unbounded at w = 0 as delta -> 0). Use Lasso / a Laplace prior "
        "for a point estimate, or sample the posterior (sample_posterior) and report its "
        "median."
    )

    def __post_init__(self):
        _positive_field(self, "r")
        _positive_field(self, "delta")

    def scaled_by_noise(self, sigma) -> Prior:
        raise NotImplementedError(
            "the bayesian lasso's conditional prior Laplace(0, sigma / lambda) already "
            "carries sigma: call sample_coef(n_features, sigma) instead of "
            "scaled_by_noise(sigma)."
        )

    def penalty(self, w) -> jax.Array:
        """Not defined: see :attr:`no_map_reason` (raises NoFiniteModeError)."""
        self.check_map()
        raise AssertionError("unreachable")  # pragma: no cover

    def sample_coef(self, n_features: int, sigma=None) -> jax.Array:
        lam_sq = numpyro.sample("lambda_sq", dist.Gamma(self.r, self.delta))
        noise = 1.0 if sigma is None else sigma
        with numpyro.plate("feature", n_features):
            return numpyro.sample("coef", dist.Laplace(0.0, noise / jnp.sqrt(lam_sq)))


_ALPHA_NO_MAP = (
    "the {name} prior has no MAP in bayesreg: the joint mode in (w, alpha) is not the "
    "fixed-alpha penalized solution. At w = 0 the joint density grows like "
    "alpha^(p/2) p(alpha) (ridge) or alpha^p p(alpha) (lasso), so it favours w = 0 "
    "with alpha -> inf, and is unbounded there when p(alpha) has polynomial tails; it "
    "also depends on how alpha is parametrised. For a point estimate use a fixed-alpha "
    "estimator (Ridge / Lasso / ElasticNet, alpha by cross-validation) or empirical "
    "Bayes (alpha maximising the marginal likelihood); otherwise sample the posterior "
    "(sample_posterior)."
)


def _default_alpha_prior() -> dist.Distribution:
    return dist.Gamma(1.0, 1.0)


def _check_alpha_prior(alpha_prior) -> None:
    if not isinstance(alpha_prior, dist.Distribution):
        raise TypeError(f"alpha_prior must be a numpyro distribution, got {alpha_prior!r}.")
    name = type(alpha_prior).__name__
    if isinstance(alpha_prior, dist.ImproperUniform):
        raise ValueError(
            f"alpha_prior must be a proper distribution, got the improper {name}: the "
            "posterior of alpha would be improper."
        )
    if alpha_prior.batch_shape != () or alpha_prior.event_shape != ():
        raise ValueError(
            f"alpha_prior must be a scalar distribution, got {name} with batch shape "
            f"{alpha_prior.batch_shape} and event shape {alpha_prior.event_shape}."
        )
    lower = getattr(alpha_prior.support, "lower_bound", None)
    if lower is None:
        raise ValueError(
            f"alpha_prior must have positive support, got {name} with support "
            f"{alpha_prior.support}."
        )
    try:
        lower = float(lower)
    except TypeError:  # a placeholder while JAX rebuilds the pytree
        return
    if not lower >= 0:
        raise ValueError(
            f"alpha_prior must have positive support, got {name} with support "
            f"{alpha_prior.support}."
        )


def _describe(d: dist.Distribution) -> str:
    params = ", ".join(f"{k}={getattr(d, k)!r}" for k in d.arg_constraints if hasattr(d, k))
    return f"{type(d).__name__}({params})"


class _AlphaHyperprior(Prior):
    """A noise-scaled prior of a scikit-learn penalty whose ``alpha`` has a prior.

    Subclasses define :meth:`conditional`, the prior of the weights given ``alpha`` and
    ``sigma``.  Equality compares the parameters of ``alpha_prior`` by value.
    """

    map_solver: ClassVar[None] = None
    convex: ClassVar[bool] = False
    conditions_on_noise: ClassVar[bool] = True

    @property
    def no_map_reason(self) -> str:  # type: ignore[override]
        return _ALPHA_NO_MAP.format(name=self.name)

    def conditional(self, alpha, sigma=None) -> Prior:  # pragma: no cover - abstract
        """The prior of the weights given ``alpha`` and ``sigma`` (None: ``sigma = 1``)."""
        raise NotImplementedError

    def scaled_by_noise(self, sigma) -> Prior:
        raise NotImplementedError(
            f"the {self.name} prior is noise-scaled by construction: call "
            "sample_coef(n_features, sigma), or conditional(alpha, sigma) for a fixed alpha."
        )

    def penalty(self, w) -> jax.Array:
        """Not defined: see :attr:`no_map_reason` (raises NoFiniteModeError)."""
        self.check_map()
        raise AssertionError("unreachable")  # pragma: no cover

    def sample_coef(self, n_features: int, sigma=None) -> jax.Array:
        alpha = numpyro.sample("alpha", self.alpha_prior)
        prior = self.conditional(alpha, sigma)
        with numpyro.plate("feature", n_features):
            return numpyro.sample("coef", prior.distribution())

    # Equality and hashing by value: numpyro distributions compare by identity.
    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        mine, my_tree = jax.tree_util.tree_flatten(self)
        theirs, their_tree = jax.tree_util.tree_flatten(other)
        return my_tree == their_tree and all(
            np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(mine, theirs, strict=True)
        )

    def __hash__(self):
        return hash((type(self), jax.tree_util.tree_structure(self)))

    def __repr__(self):
        fields = ", ".join(
            f"{f.name}={_describe(v) if isinstance(v, dist.Distribution) else repr(v)}"
            for f in dataclasses.fields(self)
            for v in [getattr(self, f.name)]
        )
        return f"{type(self).__name__}({fields})"


@_pytree
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class HierarchicalRidge(_AlphaHyperprior):
    """Ridge's noise-scaled Gaussian prior with a prior on ``alpha``.

    ``w_j | sigma, alpha ~ N(0, sigma^2 / alpha)``, ``alpha ~ alpha_prior``, i.e.

    ``p(w | sigma, alpha) = (alpha / 2 pi sigma^2)^(p/2) exp(-alpha ||w||^2 / 2 sigma^2)``,

    whose negative log is, given ``alpha``, Ridge's penalty ``alpha ||w||^2`` divided by
    ``2 sigma^2`` (:meth:`bayesreg.priors.Gaussian.from_alpha`).

    Parameters
    ----------
    alpha_prior : numpyro distribution, default ``Gamma(1, 1)``
        Proper scalar prior of ``alpha`` with positive support.  The default, an
        exponential with mean 1, says that the prior variance of a weight is about the
        noise variance (with standardized features); choose it for your scale.

    Notes
    -----
    Sites: ``alpha`` (scalar) and ``coef`` (plate ``feature``).  Without ``sigma``
    (the fixed-noise form) ``sigma = 1``.  Given ``alpha`` this is the conjugate
    normal-inverse-gamma model, so the marginal likelihood of ``alpha`` is known in
    closed form (with ``sigma`` integrated against ``1 / sigma``):
    ``p(y | alpha) propto |I + X'X / alpha|^(-1/2) S(alpha)^(-m/2)``,
    ``S(alpha) = y'y - y'X (X'X + alpha I)^(-1) X'y``, ``m`` the residual degrees of
    freedom.  There is no MAP (see :attr:`no_map_reason`).

    References
    ----------
    .. [1] A. Gelman, J. B. Carlin, H. S. Stern, D. B. Dunson, A. Vehtari and
       D. B. Rubin, "Bayesian Data Analysis", 3rd ed., CRC Press, 2013, section 14.8.
    """

    alpha_prior: dist.Distribution = dataclasses.field(default_factory=_default_alpha_prior)
    name: ClassVar[str] = "hierarchical ridge"

    def __post_init__(self):
        _check_alpha_prior(self.alpha_prior)

    def conditional(self, alpha, sigma=None) -> Gaussian:
        noise = 1.0 if sigma is None else sigma
        return Gaussian(noise / jnp.sqrt(alpha))


@_pytree
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class HierarchicalLasso(_AlphaHyperprior):
    """Lasso's noise-scaled Laplace prior with a prior on ``alpha``.

    ``w_j | sigma, alpha ~ Laplace(0, sigma^2 / (n alpha))``, ``alpha ~ alpha_prior``:

    ``p(w | sigma, alpha) = (n alpha / 2 sigma^2)^p exp(-(n alpha / sigma^2) ||w||_1)``,

    whose negative log is, given ``alpha``, Lasso's penalty ``alpha ||w||_1`` times
    ``n / sigma^2`` (:meth:`bayesreg.priors.Laplace.from_alpha`).

    Parameters
    ----------
    n_samples : int
        ``n``, the number of samples of scikit-learn's ``(1 / 2n)`` data term.
    alpha_prior : numpyro distribution, default ``Gamma(1, 1)``
        Proper scalar prior of ``alpha`` with positive support; choose it on the scale
        of Lasso's ``alpha`` for your data (e.g. relative to ``alpha_max``).

    Notes
    -----
    Compare :class:`BayesianLasso`, whose Laplace scale is ``sigma / lambda`` rather
    than ``sigma^2 / (n alpha)``.  Sites ``alpha`` and ``coef``; ``sigma = 1`` without
    ``sigma``.  No MAP (see :attr:`no_map_reason`).

    References
    ----------
    .. [1] T. Park and G. Casella, "The Bayesian lasso", J. Amer. Statist. Assoc.
       103(482), 2008.
    """

    n_samples: int
    alpha_prior: dist.Distribution = dataclasses.field(default_factory=_default_alpha_prior)
    name: ClassVar[str] = "hierarchical lasso"

    def __post_init__(self):
        _positive_field(self, "n_samples")
        _check_alpha_prior(self.alpha_prior)

    def conditional(self, alpha, sigma=None) -> Laplace:
        noise_sq = 1.0 if sigma is None else sigma**2
        return Laplace(noise_sq / (self.n_samples * alpha))


@_pytree
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class HierarchicalElasticNet(_AlphaHyperprior):
    """ElasticNet's noise-scaled prior with a prior on ``alpha`` (``l1_ratio`` fixed).

    ``p(w | sigma, alpha) propto exp(-(n alpha / sigma^2) (rho ||w||_1 +
    (1 - rho) ||w||^2 / 2))``, normalised as :class:`~bayesreg.priors.ElasticNetPrior`
    with ``l1 = n alpha rho / sigma^2`` and ``l2 = n alpha (1 - rho) / (2 sigma^2)``;
    ``alpha ~ alpha_prior``.

    Parameters
    ----------
    n_samples : int
        ``n`` of scikit-learn's ``(1 / 2n)`` data term.
    l1_ratio : float, default 0.5
        ``rho`` in ``[0, 1]``: 1 is :class:`HierarchicalLasso`, 0 a ridge penalty
        ``(n alpha / 2) ||w||^2``.
    alpha_prior : numpyro distribution, default ``Gamma(1, 1)``
        Proper scalar prior of ``alpha`` with positive support.

    Notes
    -----
    Sites ``alpha`` and ``coef``; ``sigma = 1`` without ``sigma``.  No MAP (see
    :attr:`no_map_reason`).

    References
    ----------
    .. [1] Q. Li and N. Lin, "The Bayesian elastic net", Bayesian Analysis 5(1), 2010.
    """

    n_samples: int
    l1_ratio: float = 0.5
    alpha_prior: dist.Distribution = dataclasses.field(default_factory=_default_alpha_prior)
    name: ClassVar[str] = "hierarchical elastic net"

    def __post_init__(self):
        _positive_field(self, "n_samples")
        _positive_field(self, "l1_ratio", allow_zero=True)
        if isinstance(self.l1_ratio, Real | np.ndarray | np.generic | jax.Array) and not (
            isinstance(self.l1_ratio, jax.core.Tracer) or float(self.l1_ratio) <= 1.0
        ):
            raise ValueError(f"l1_ratio must be in [0, 1], got {self.l1_ratio!r}.")
        _check_alpha_prior(self.alpha_prior)

    def conditional(self, alpha, sigma=None) -> ElasticNetPrior:
        noise_sq = 1.0 if sigma is None else sigma**2
        rate = self.n_samples * alpha / noise_sq
        return ElasticNetPrior(rate * self.l1_ratio, 0.5 * rate * (1.0 - self.l1_ratio))
