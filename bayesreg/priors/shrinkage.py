"""Global-local shrinkage priors: the horseshoe and the regularized ("Finnish") horseshoe.

Each weight is ``w_j = z_j lambda_j tau`` with ``z_j ~ N(0, 1)``: a global scale
``tau`` pulls all weights towards 0 and heavy-tailed local scales ``lambda_j`` let a
few escape.  Their marginal density has a pole at ``w = 0``, so the posterior has no
finite mode (no penalized counterpart): these priors are for sampling only.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist

from bayesreg.priors.base import NoFiniteModeError, Prior
from bayesreg.priors.base import check_positive as _check_positive
from bayesreg.priors.base import positive_field as _positive_field
from bayesreg.priors.base import pytree as _pytree

__all__ = ["Horseshoe", "RegularizedHorseshoe"]

_NO_MAP = (
    "the {name} prior has no finite posterior mode: its marginal density of one weight "
    "is unbounded at w = 0 (a pole, p(w) ~ log(1 / |w|)), and its joint density in "
    "(w, lambda, tau) is unbounded as tau -> 0 with w = 0, so there is no MAP or "
    "penalty to minimise. Draw from the posterior instead (sample_posterior), or use a "
    "Laplace or Student-t prior when you need a point estimate."
)


class _HorseshoeBase(Prior):
    """Shared pieces: no MAP, the global scale, the expected-number-of-nonzeros rule."""

    map_solver: ClassVar[None] = None
    convex: ClassVar[bool] = False

    @property
    def no_map_reason(self) -> str:  # type: ignore[override]
        return _NO_MAP.format(name=self.name)

    def distribution(self) -> dist.Distribution:
        raise NotImplementedError(
            f"the {self.name} prior has no closed-form marginal density of one weight; "
            "it is defined by its sample sites (sample_coef). " + self.no_map_reason
        )

    def penalty(self, w) -> jax.Array:
        """Not defined: the posterior has no finite mode (raises NoFiniteModeError)."""
        self.check_map()
        raise AssertionError("unreachable")  # pragma: no cover

    def prox(self, v, step, *, positive: bool = False) -> jax.Array:
        """Not defined: the posterior has no finite mode (raises NoFiniteModeError)."""
        self.check_map()
        raise AssertionError("unreachable")  # pragma: no cover

    def check_map(self) -> None:
        raise NoFiniteModeError(self.no_map_reason)

    @classmethod
    def from_expected_nonzero(cls, n_nonzero: float, n_features: int, n_samples: int, **kwargs):
        """The prior whose global scale encodes about ``n_nonzero`` relevant weights.

        Piironen & Vehtari (2017, eq. 3.12) choose ``tau_0 = p0 / (D - p0) sigma /
        sqrt(n)``, with ``p0`` the prior guess of the number of nonzero weights among
        ``D``.  This returns ``scale_global = p0 / ((D - p0) sqrt(n))``, the factor that
        the noise-scaled form (:meth:`scaled_by_noise`, what the estimators sample)
        multiplies by ``sigma``.  Other keyword arguments go to the constructor.
        """
        _check_positive("n_nonzero", n_nonzero)
        _check_positive("n_features", n_features)
        _check_positive("n_samples", n_samples)
        if not n_nonzero < n_features:
            raise ValueError(
                f"n_nonzero must be smaller than n_features, got {n_nonzero!r} >= {n_features!r}."
            )
        return cls(n_nonzero / ((n_features - n_nonzero) * math.sqrt(n_samples)), **kwargs)


@_pytree
@dataclasses.dataclass(frozen=True)
class Horseshoe(_HorseshoeBase):
    """Horseshoe prior (Carvalho, Polson & Scott, 2010).

    ``w_j | lambda_j, tau ~ N(0, lambda_j^2 tau^2)``, ``lambda_j ~ C+(0, 1)``,
    ``tau ~ C+(0, scale_global)``, with ``C+`` the half-Cauchy.

    Parameters
    ----------
    scale_global : float, default 1.0
        Scale ``tau_0 > 0`` of the half-Cauchy prior of the global scale ``tau``; see
        :meth:`from_expected_nonzero`.

    Notes
    -----
    Density: given ``tau``, the marginal of one weight has no closed form, but is
    bounded by ``(K / 2) log(1 + 4 tau^2 / w^2) < p(w | tau) < K log(1 + 2 tau^2 / w^2)``
    with ``K = 1 / (tau sqrt(2 pi^3))`` (Carvalho et al., 2010, Theorem 1): a pole at
    ``w = 0`` and Cauchy-like tails.  There is no penalty: the posterior has no finite
    mode, so :attr:`map_solver` is None, :meth:`check_map` and :meth:`penalty` raise
    :class:`~bayesreg.priors.NoFiniteModeError`, and the prior is for sampling only.

    Sampling is non-centred (better geometry for NUTS): sites ``tau`` (scalar),
    ``lambda`` and ``coef_raw`` (``z_j ~ N(0, 1)``) in the plate ``feature``, and the
    deterministic ``coef = coef_raw * lambda * tau``.

    Noise-scaled form: ``tau ~ C+(0, scale_global sigma)``, the weights measured in units
    of the noise (Piironen & Vehtari, 2017, section 3.3).

    References
    ----------
    .. [1] C. M. Carvalho, N. G. Polson and J. G. Scott, "The horseshoe estimator for
       sparse signals", Biometrika 97(2), 2010.
    .. [2] J. Piironen and A. Vehtari, "Sparsity information and regularization in the
       horseshoe and other shrinkage priors", Electron. J. Statist. 11(2), 2017.
    """

    scale_global: float = 1.0
    name: ClassVar[str] = "horseshoe"

    def __post_init__(self):
        _positive_field(self, "scale_global")

    def scaled_by_noise(self, sigma) -> Horseshoe:
        """``tau ~ C+(0, scale_global sigma)``."""
        return Horseshoe(self.scale_global * sigma)

    def sample_coef(self, n_features: int, sigma=None) -> jax.Array:
        prior = self if sigma is None else self.scaled_by_noise(sigma)
        tau = numpyro.sample("tau", dist.HalfCauchy(prior.scale_global))
        with numpyro.plate("feature", n_features):
            lam = numpyro.sample("lambda", dist.HalfCauchy(1.0))
            z = numpyro.sample("coef_raw", dist.Normal(0.0, 1.0))
            return numpyro.deterministic("coef", z * lam * tau)


@_pytree
@dataclasses.dataclass(frozen=True)
class RegularizedHorseshoe(_HorseshoeBase):
    """Regularized ("Finnish") horseshoe prior (Piironen & Vehtari, 2017).

    ``w_j | lambda_j, tau, c ~ N(0, tau^2 lambda~_j^2)`` with
    ``lambda~_j^2 = c^2 lambda_j^2 / (c^2 + tau^2 lambda_j^2)``,
    ``lambda_j ~ C+(0, 1)``, ``tau ~ C+(0, scale_global)`` and
    ``c^2 ~ InvGamma(slab_df / 2, slab_df slab_scale^2 / 2)``.

    Parameters
    ----------
    scale_global : float, default 1.0
        Scale ``tau_0 > 0`` of the half-Cauchy prior of ``tau``; see
        :meth:`from_expected_nonzero`.
    slab_scale : float, default 2.0
        Scale ``s > 0`` of the slab: large weights have the prior
        ``w_j ~ t_{slab_df}(0, slab_scale)`` (approximately), in the units of ``w``.
    slab_df : float, default 4.0
        Degrees of freedom ``nu > 0`` of the slab.

    Notes
    -----
    For ``tau^2 lambda_j^2 << c^2`` the weight is shrunk as by the horseshoe; for
    ``tau^2 lambda_j^2 >> c^2`` its prior is ``N(0, c^2)``, and ``c^2``'s
    inverse-gamma prior makes that slab a Student-t with ``slab_df`` degrees of freedom
    and scale ``slab_scale``.  Weights that the data identify only weakly are thus
    regularized, which the plain horseshoe does not do.  The marginal density still has
    a pole at 0: no finite posterior mode, no penalty (see :class:`Horseshoe`).

    Sampling is non-centred: sites ``tau``, ``c2`` (scalars), ``lambda`` and
    ``coef_raw`` in the plate ``feature``, deterministic ``coef``.

    Noise-scaled form: ``tau ~ C+(0, scale_global sigma)``; the slab stays in the units
    of ``w`` (as in Piironen & Vehtari, 2017, whose ``tau_0`` carries ``sigma`` and
    whose slab scale does not).

    References
    ----------
    .. [1] J. Piironen and A. Vehtari, "Sparsity information and regularization in the
       horseshoe and other shrinkage priors", Electron. J. Statist. 11(2), 2017.
    """

    scale_global: float = 1.0
    slab_scale: float = 2.0
    slab_df: float = 4.0
    name: ClassVar[str] = "regularized horseshoe"

    def __post_init__(self):
        _positive_field(self, "scale_global")
        _positive_field(self, "slab_scale", squared=True)
        _positive_field(self, "slab_df")

    def scaled_by_noise(self, sigma) -> RegularizedHorseshoe:
        """``tau ~ C+(0, scale_global sigma)``; the slab is unchanged."""
        return RegularizedHorseshoe(self.scale_global * sigma, self.slab_scale, self.slab_df)

    def sample_coef(self, n_features: int, sigma=None) -> jax.Array:
        prior = self if sigma is None else self.scaled_by_noise(sigma)
        tau = numpyro.sample("tau", dist.HalfCauchy(prior.scale_global))
        half_df = 0.5 * self.slab_df
        c2 = numpyro.sample("c2", dist.InverseGamma(half_df, half_df * self.slab_scale**2))
        with numpyro.plate("feature", n_features):
            lam = numpyro.sample("lambda", dist.HalfCauchy(1.0))
            z = numpyro.sample("coef_raw", dist.Normal(0.0, 1.0))
            # tau lambda~ = c t / sqrt(1 + t^2) with t = tau lambda / c; hypot keeps it
            # finite and accurate for the huge lambda that half-Cauchy draws produce.
            c = jnp.sqrt(c2)
            t = tau * lam / c
            return numpyro.deterministic("coef", z * c * t / jnp.hypot(1.0, t))
