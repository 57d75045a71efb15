"""Heavy-tailed priors on each weight: Student-t and Cauchy.

Their penalties grow only logarithmically, ``log(1 + w^2 / (nu s^2))``, so large
weights are barely shrunk while small ones are pulled towards 0: a smooth,
non-convex compromise between ridge and subset selection.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpyro.distributions as dist

from bayesreg.priors.base import Prior
from bayesreg.priors.base import positive_field as _positive_field
from bayesreg.priors.base import pytree as _pytree

__all__ = ["Cauchy", "StudentT"]

#: The largest degrees of freedom: lgamma((df + 1) / 2) - lgamma(df / 2), about
#: log(df / 2) / 2, is a difference of two numbers of size df log(df) / 2, which keeps
#: no correct digit in float64 beyond about 1e15.
_MAX_DF = 1e15


@_pytree
@dataclasses.dataclass(frozen=True)
class StudentT(Prior):
    """Student-t prior ``w_j ~ t_nu(0, s)`` on each weight.

    Density and penalty::

        p(w) = Gamma((nu + 1) / 2) / (Gamma(nu / 2) sqrt(nu pi) s)
               (1 + w^2 / (nu s^2))^(-(nu + 1) / 2)
        P(w) = ((nu + 1) / 2) sum_j log(1 + w_j^2 / (nu s^2)).

    Parameters
    ----------
    df : float
        Degrees of freedom ``0 < nu <= 1e15``; ``nu = 1`` is :class:`Cauchy`, ``nu -> inf``
        the Gaussian ``N(0, s^2)``.
    scale : float, default 1.0
        Scale ``s > 0``.

    Notes
    -----
    The Student-t is a scale mixture of normals, ``w | v ~ N(0, v s^2)`` with
    ``v ~ InvGamma(nu / 2, nu / 2)``, which is how it adapts its shrinkage per weight.
    The penalty is not convex: its second derivative
    ``P''(w) = (nu + 1) (nu s^2 - w^2) / (nu s^2 + w^2)^2`` is negative for
    ``|w| > sqrt(nu) s``, down to ``-(nu + 1) / (8 nu s^2)`` at ``w^2 = 3 nu s^2``.  The
    MAP problem ``(1 / 2 sigma^2) ||y - Xw - b||^2 + P(w)`` is therefore non-convex in
    general: the posterior can have several modes (typically one near 0 and one near
    the least-squares fit for a weakly identified weight), a gradient-based solver finds
    a local mode that depends on where it starts, and the MAP is not a certified global
    optimum.  It is convex (log-concave posterior, a unique mode) when the smallest
    eigenvalue of ``X_c' X_c / sigma^2`` exceeds ``(nu + 1) / (8 nu s^2)``.

    *Noise-scaled form.*  :meth:`scaled_by_noise` returns ``t_nu(0, s sigma)``: the
    prior is a location-scale family whose scale is multiplied by the noise, as for
    the noise-scaled Gaussian ``N(0, sigma^2 / alpha)``, so ``w / sigma`` has a prior
    that does not depend on the units of ``y``.  Unlike the elastic-net family this is
    not ``exp(-P(w) / sigma^2)``: the joint mode in ``w`` then depends on ``sigma``.

    References
    ----------
    .. [1] A. Gelman, A. Jakulin, M. G. Pittau and Y.-S. Su, "A weakly informative
       default prior distribution for logistic and other regression models",
       Ann. Appl. Statist. 2(4), 2008.
    """

    df: float
    scale: float = 1.0
    name: ClassVar[str] = "student-t"
    map_solver: ClassVar[str] = "smooth"
    convex: ClassVar[bool] = False

    def __post_init__(self):
        _positive_field(self, "df")
        if not isinstance(self.df, jax.core.Tracer) and self.df > _MAX_DF:
            raise ValueError(
                f"df must be at most {_MAX_DF:g}, got {self.df!r}: beyond it the Student-t "
                "is the Gaussian N(0, scale^2) to double precision, and its normalising "
                "constant lgamma((df + 1) / 2) - lgamma(df / 2) loses every digit to "
                "cancellation. Use bayesreg.Gaussian(scale)."
            )
        _positive_field(self, "scale", squared=True)

    def distribution(self) -> dist.Distribution:
        return dist.StudentT(self.df, 0.0, self.scale)

    def penalty(self, w) -> jax.Array:
        """``P(w) = ((nu + 1) / 2) sum_j log(1 + w_j^2 / (nu s^2))``."""
        w = jnp.asarray(w)
        return 0.5 * (self.df + 1.0) * jnp.sum(jnp.log1p(w * w / (self.df * self.scale**2)))

    def scaled_by_noise(self, sigma) -> StudentT:
        """``t_nu(0, s sigma)``: the scale times the noise (see Notes)."""
        return StudentT(self.df, self.scale * sigma)


@_pytree
@dataclasses.dataclass(frozen=True)
class Cauchy(Prior):
    """Cauchy prior ``w_j ~ Cauchy(0, s)``: the Student-t with one degree of freedom.

    Density and penalty::

        p(w) = 1 / (pi s (1 + w^2 / s^2))
        P(w) = sum_j log(1 + w_j^2 / s^2).

    Parameters
    ----------
    scale : float, default 1.0
        Scale ``s > 0``.

    Notes
    -----
    It has no mean: a weight is allowed to be very large, and a weight the data do not
    support is shrunk strongly towards 0.
    The penalty is not convex (the Student-t case ``nu = 1``: ``P''(w) < 0`` for
    ``|w| > s``, down to ``-1 / (4 s^2)``), so the MAP problem is non-convex in general:
    a solver finds a local mode that depends on its start, and the posterior can be
    multimodal.  It is convex when the smallest eigenvalue of ``X_c' X_c / sigma^2``
    exceeds ``1 / (4 s^2)``.

    *Noise-scaled form.*  :meth:`scaled_by_noise` returns ``Cauchy(0, s sigma)``, the
    scale times the noise (see :class:`StudentT`).

    References
    ----------
    .. [1] A. Gelman, A. Jakulin, M. G. Pittau and Y.-S. Su, "A weakly informative
       default prior distribution for logistic and other regression models",
       Ann. Appl. Statist. 2(4), 2008.
    """

    scale: float = 1.0
    name: ClassVar[str] = "cauchy"
    map_solver: ClassVar[str] = "smooth"
    convex: ClassVar[bool] = False

    def __post_init__(self):
        _positive_field(self, "scale", squared=True)

    @property
    def df(self) -> float:
        """Degrees of freedom, 1."""
        return 1.0

    def distribution(self) -> dist.Distribution:
        return dist.Cauchy(0.0, self.scale)

    def penalty(self, w) -> jax.Array:
        """``P(w) = sum_j log(1 + w_j^2 / s^2)``."""
        w = jnp.asarray(w)
        return jnp.sum(jnp.log1p(w * w / self.scale**2))

    def scaled_by_noise(self, sigma) -> Cauchy:
        """``Cauchy(0, s sigma)``: the scale times the noise."""
        return Cauchy(self.scale * sigma)
