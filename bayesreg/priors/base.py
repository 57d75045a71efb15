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

__all__ = ["NoFiniteModeError", "Prior", "check_positive", "pytree"]

MapSolver = Literal["elastic-net", "proximal", "smooth"]


class NoFiniteModeError(ValueError):
    """The posterior has no mode at a finite point, so there is no MAP to return."""


def check_positive(name: str, value: object, *, allow_zero: bool = False) -> None:
    """Validate a concrete parameter; JAX tracers and pytree placeholders pass through.

    Concrete scalars (Python, numpy or JAX, 0-d arrays included) must be finite and
    positive (or >= 0); bools, strings, None, complex numbers and arrays with more than
    one element are refused.
    """
    if isinstance(value, jax.core.Tracer):
        return
    if value is None or isinstance(value, (bool, np.bool_, str, bytes, complex, list, tuple)):
        raise TypeError(f"{name} must be a real number, got {value!r}.")
    if isinstance(value, (Real, np.ndarray, np.generic, jax.Array)):
        array = np.asarray(value)
        if array.ndim != 0 or array.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be a real number, got {value!r}.")
        number = float(array)
        if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
            bound = ">= 0" if allow_zero else "> 0"
            raise ValueError(f"{name} must be a finite number {bound}, got {value!r}.")
    # Anything else is a placeholder JAX puts in a pytree while transforming it.


def pytree(cls):
    """Register a frozen dataclass as a JAX pytree whose fields are all leaves."""
    fields = [f.name for f in dataclasses.fields(cls)]
    return jax.tree_util.register_dataclass(cls, data_fields=fields, meta_fields=[])


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
