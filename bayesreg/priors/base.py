"""The interface every prior on regression weights implements, and shared validation.

A prior ``p(w_j)`` on every weight is the negative exponential of a penalty,
``P(w) = -sum_j log p(w_j) + const``, and the MAP under a Gaussian likelihood with
noise scale ``sigma`` minimises ``(1 / 2 sigma^2) ||y - Xw - b||^2 + P(w)``.

A :class:`Prior` knows

* its density, as a numpyro distribution of one weight (:meth:`Prior.distribution`),
  and the numpyro sample sites of all the weights (:meth:`Prior.sample_coef`; a
  hierarchical prior adds its latent variables there, e.g. the horseshoe's scales);
* its penalty (:meth:`Prior.penalty`), and how its MAP is found
  (:attr:`Prior.map_solver`): exactly by coordinate descent for the elastic-net
  family, by proximal gradient (:meth:`Prior.prox`) or by gradient descent on the
  penalty, or not at all when the posterior has no finite mode
  (:attr:`Prior.no_map_reason`);
* how it changes with the noise scale in the noise-scaled form
  (:meth:`Prior.scaled_by_noise`): ``p(w | sigma) propto exp(-P_1(w) / sigma^2)``.

Priors are frozen dataclasses registered as JAX pytrees (:func:`pytree`): immutable,
compared by value, and a compiled sampler or solver is reused when only their
parameters change.
"""

from __future__ import annotations

import dataclasses
import math
from numbers import Real
from typing import ClassVar, Literal

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist

__all__ = [
    "NoFiniteModeError",
    "Prior",
    "check_derived",
    "check_positive",
    "positive_field",
    "pytree",
]

MapSolver = Literal["elastic-net", "proximal", "smooth"]


class NoFiniteModeError(ValueError):
    """The posterior has no mode at a finite point, so there is no MAP to return."""


#: The smallest positive normal float64.  Smaller (subnormal) parameters are flushed to 0
#: by XLA on CPU, so a penalty would divide by 0 where numpy would not.
_TINY = float(np.finfo(np.float64).tiny)
#: Parameters used squared must have a square between ``_TINY`` and float64's largest.
_SQUARE_LOW, _SQUARE_HIGH = math.sqrt(_TINY), math.sqrt(float(np.finfo(np.float64).max))


def check_positive(
    name: str, value: object, *, allow_zero: bool = False, squared: bool = False
) -> None:
    """Validate a concrete parameter; JAX tracers pass through.

    Concrete scalars (Python, numpy or JAX, 0-d arrays included) must be finite and
    positive (or >= 0), and, where 0 is not allowed, not subnormal (below 2.2e-308, which
    XLA flushes to 0: a penalty would divide by 0);
    ``squared`` parameters (a scale whose square the density uses) must lie between
    1.5e-154 and 1.3e154, where the square is a normal float64.  Bools, strings, None,
    complex numbers, containers, arrays with more than one element and any other object
    are refused.  (JAX rebuilds priors without calling the constructor, see
    :func:`pytree`, so no placeholder ever reaches this check.)
    """
    if isinstance(value, jax.core.Tracer):
        return
    if not isinstance(value, Real | np.ndarray | np.generic | jax.Array) or isinstance(
        value, bool | np.bool_
    ):
        raise TypeError(f"{name} must be a real number, got {value!r}.")
    array = np.asarray(value)
    if array.ndim != 0 or array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a real number, got {value!r}.")
    number = float(array)
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}.")
    if number == 0 or (allow_zero and not squared and number < _TINY):
        return  # where 0 is allowed, a subnormal, flushed to 0 by XLA, is as good as 0
    low, high = (_SQUARE_LOW, _SQUARE_HIGH) if squared else (_TINY, math.inf)
    if not low <= number <= high:
        detail = (
            "its square must be a normal float64" if squared else "smaller numbers are subnormal"
        )
        raise ValueError(
            f"{name} must lie between {low:.2g} and {high:.2g} ({detail}), got {value!r}."
        )


def positive_field(obj, name: str, *, allow_zero: bool = False, squared: bool = False) -> None:
    """Check the field ``name`` of a frozen dataclass as :func:`check_positive` does, and
    store a concrete value as a Python int or float (a numpy float32 or a 0-d array would
    otherwise set the precision of every computation with it)."""
    value = getattr(obj, name)
    check_positive(name, value, allow_zero=allow_zero, squared=squared)
    if not isinstance(value, jax.core.Tracer):
        object.__setattr__(obj, name, np.asarray(value).item())


def check_derived(name: str, value: float, inputs: str, *, squared: bool = False) -> float:
    """A parameter computed from the user's (``inputs`` says how), checked as
    :func:`check_positive` checks it, with a message that names what it came from."""
    try:
        check_positive(name, value, squared=squared)
    except ValueError as err:
        raise ValueError(
            f"{inputs} gives {name} = {value:.3g}, which float64 cannot use: {err} Choose "
            "values of more ordinary size (rescale the data)."
        ) from None
    return float(value)


def pytree(cls=None, *, meta_fields: tuple[str, ...] = ()):
    """Register a frozen dataclass as a JAX pytree: its fields are leaves but ``meta_fields``.

    JAX rebuilds the object from its leaves without calling the constructor: while it
    transforms a function the leaves are tracers or placeholders (``None``, ``object()``,
    abstract arrays), which the constructor's validation is for users' values and would
    refuse.  So the constructor validates strictly, and only what a user builds.
    """
    if cls is None:
        return lambda c: pytree(c, meta_fields=meta_fields)
    data_fields = [f.name for f in dataclasses.fields(cls) if f.name not in meta_fields]

    def flatten_with_keys(obj):
        leaves = [(jax.tree_util.GetAttrKey(n), getattr(obj, n)) for n in data_fields]
        return leaves, tuple(getattr(obj, n) for n in meta_fields)

    def flatten(obj):
        return [getattr(obj, n) for n in data_fields], tuple(getattr(obj, n) for n in meta_fields)

    def unflatten(meta, leaves):
        obj = object.__new__(cls)
        for n, v in zip(data_fields, leaves, strict=True):
            object.__setattr__(obj, n, v)
        for n, v in zip(meta_fields, meta, strict=True):
            object.__setattr__(obj, n, v)
        return obj

    jax.tree_util.register_pytree_with_keys(cls, flatten_with_keys, unflatten, flatten)
    return cls


class Prior:
    """A prior on the regression weights ``w_1, ..., w_p``.

    Subclasses define :meth:`distribution` (or override :meth:`sample_coef`),
    :meth:`penalty` and :meth:`scaled_by_noise`, and say how their MAP is found with
    :attr:`map_solver`.

    Attributes
    ----------
    name : str
        Used in reprs, tables and plots.
    map_solver : {"elastic-net", "proximal", "smooth"} or None
        ``"elastic-net"``: ``P(u) = l1 |u| + l2 u^2``, solved exactly by coordinate
        descent; ``"proximal"``: proximal gradient with :meth:`prox`; ``"smooth"``:
        gradient-based on :meth:`penalty`; None: the posterior has no finite mode,
        and :attr:`no_map_reason` says why.
    convex : bool
        Whether the penalty is convex, so that a local minimum is the MAP.
    conditions_on_noise : bool
        Whether the prior is written given ``sigma`` even in the fixed-noise form.
    """

    name: ClassVar[str] = "prior"
    map_solver: ClassVar[MapSolver | None] = "elastic-net"
    convex: ClassVar[bool] = True
    no_map_reason: ClassVar[str] = ""
    #: The prior is defined given the noise scale (e.g. Park & Casella's Laplace scale
    #: ``sigma / lambda``), so the model always passes ``sigma`` to :meth:`sample_coef`.
    conditions_on_noise: ClassVar[bool] = False

    def distribution(self) -> dist.Distribution:
        """The prior of one weight as a numpyro distribution (batch shape () or (p,))."""
        raise NotImplementedError(
            f"the {self.name} prior has no closed-form marginal density of one weight; "
            "it is defined by its sample sites (Prior.sample_coef)."
        )

    def penalty(self, w) -> jax.Array:
        """``P(w) = -sum_j log p(w_j)`` up to a constant (the negative log density)."""
        return -jnp.sum(self.distribution().log_prob(jnp.asarray(w)))

    def prox(self, v, step, *, positive: bool = False) -> jax.Array:
        """``argmin_u (1 / 2 step) (u - v)^2 + P(u)``, elementwise (``u >= 0`` if positive)."""
        raise NotImplementedError(f"the {self.name} prior has no proximal operator.")

    def scaled_by_noise(self, sigma) -> Prior:
        """The prior ``p(w | sigma) propto exp(-P(w) / sigma^2)`` of the noise-scaled form."""
        raise NotImplementedError  # pragma: no cover - abstract

    def sample_coef(self, n_features: int, sigma=None) -> jax.Array:
        """Sample the weights inside a numpyro model and return them.

        Emits the site ``coef`` in the plate ``feature`` (and any latent variables of a
        hierarchical prior).  ``sigma`` is the noise scale of the noise-scaled form,
        ``p(w | sigma)``; None uses the prior as it is (the fixed-noise form).
        """
        prior = self if sigma is None else self.scaled_by_noise(sigma)
        with numpyro.plate("feature", n_features):
            return numpyro.sample("coef", prior.distribution())

    def check_map(self) -> None:
        """Raise :class:`NoFiniteModeError` when the posterior has no finite mode."""
        if self.map_solver is None:
            raise NoFiniteModeError(self.no_map_reason)
