"""Any numpyro distribution as a prior on the weights, and conversion of user input.

:func:`as_prior` accepts a bayesreg :class:`~bayesreg.priors.base.Prior` as it is and
turns a numpyro distribution into one: a zero-centred ``Normal`` or ``Laplace`` becomes
the :class:`~bayesreg.priors.elastic_net.Gaussian` or
:class:`~bayesreg.priors.elastic_net.Laplace` prior, whose MAP is solved exactly (with
exact zeros for the Laplace); any other distribution on the real line becomes a
:class:`DistributionPrior`, whose MAP is found by gradient descent on ``-log p``.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
from numpyro.distributions import constraints

from bayesreg.priors.base import Prior, pytree
from bayesreg.priors.elastic_net import Flat, Gaussian, Laplace

__all__ = ["DistributionPrior", "as_prior"]


@pytree
@dataclasses.dataclass(frozen=True, eq=False)
class DistributionPrior(Prior):
    """The prior ``w_j ~ distribution``, independently for every weight.

    Parameters
    ----------
    distribution_ : numpyro.distributions.Distribution
        A univariate distribution on the real line (batch shape ``()`` or
        ``(n_features,)``).

    Notes
    -----
    The penalty is ``-sum_j log p(w_j)``; it is smooth for the usual continuous
    distributions but need not be convex (a Student-t is not), so the MAP is found by
    L-BFGS from several starts.  There is no noise-scaled form: the prior is used as it
    is, as in a model written in Stan or brms.
    """

    distribution_: dist.Distribution
    name: ClassVar[str] = "distribution"
    map_solver: ClassVar[str] = "smooth"
    convex: ClassVar[bool] = False

    def distribution(self) -> dist.Distribution:
        return self.distribution_

    def penalty(self, w):
        return -jnp.sum(self.distribution_.log_prob(jnp.asarray(w)))

    def scaled_by_noise(self, sigma) -> Prior:
        raise TypeError(
            f"a numpyro {type(self.distribution_).__name__} prior has no noise-scaled "
            "form; use it in the fixed-noise form (bayesreg.LinearRegression)."
        )

    def __repr__(self) -> str:
        return f"DistributionPrior({self.distribution_!r})"


def _zero(value) -> bool:
    return bool(np.all(np.asarray(value) == 0))


def as_prior(obj, *, what: str = "prior") -> Prior:
    """``obj`` as a :class:`Prior`: None is flat, a numpyro distribution is wrapped.

    Raises
    ------
    TypeError
        When ``obj`` is neither a bayesreg prior, a numpyro distribution nor None, or
        is a distribution that is not univariate on the real line.
    """
    if obj is None:
        return Flat()
    if isinstance(obj, Prior):
        return obj
    if not isinstance(obj, dist.Distribution):
        raise TypeError(
            f"{what} must be a bayesreg prior (e.g. bayesreg.Gaussian(1.0)), a numpyro "
            f"distribution (e.g. numpyro.distributions.Normal(0, 1)) or None, got {obj!r}."
        )
    if obj.event_shape != () or obj.support is not constraints.real:
        raise TypeError(
            f"{what} must be a univariate distribution on the whole real line, got "
            f"{type(obj).__name__} with support {obj.support} and event shape "
            f"{obj.event_shape}."
        )
    if obj.batch_shape == ():
        if type(obj) is dist.Normal and _zero(obj.loc):
            return Gaussian(float(obj.scale))
        if type(obj) is dist.Laplace and _zero(obj.loc):
            return Laplace(float(obj.scale))
    return DistributionPrior(obj)
