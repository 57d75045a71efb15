"""The MAP of a network: a stationary point of ``F``, polished to solver precision.

``F(theta) = g(theta) + P_1(w)`` with the smooth part ``g`` (the half sum of squared
residuals, plus the hidden biases' penalty if they have a prior) and the weights'
penalty ``P_1`` (:func:`bayesreg.nn.objective.network_objective`).  ``F`` is not convex,
so the answer is the stationary point reached from the start ``theta_0``, as for any
penalised training; a different start may reach another.

* Smooth penalties (Gaussian, Student-t, flat, ...): L-BFGS from ``theta_0``, then Newton
  steps with the exact Hessian (by JAX) until the gradient is at rounding level.
* Penalties with a kink at 0 (Laplace, elastic net, bridge): proximal gradient with
  backtracking [1]_,

  ``w <- prox_{tP_1}(w - t grad_w g)``,   ``b <- b - t grad_b g``,

  whose soft threshold sets weights exactly to 0; once the set of nonzero weights has
  settled, Newton steps on the nonzero weights and the biases (where ``F`` is smooth)
  finish the solve, keeping the zeros and refusing steps that change a sign.

Certificate.  The *prox-gradient mapping* ``G_t(theta) = (theta - T_t(theta)) / t`` of
the step ``T_t`` above is 0 exactly at the stationary points of ``F``; for the Laplace
prior and a small ``t`` it is the subgradient of least norm: ``grad g + sign(w) / s``
at a nonzero weight and ``sign(grad g) max(|grad g| - 1/s, 0)`` at a zero one.
:class:`NetworkMAP` reports ``||G_t||_inf`` relative to ``1 + ||grad g(theta_0)||_inf``,
and the smallest eigenvalue of the Hessian of ``F`` over the free coordinates (the
biases and the nonzero weights, less the biases of units whose outgoing weights are all
0, on which ``F`` does not depend): positive means a strict local minimum, and then
``||theta - theta*|| <= ||G|| / lambda_min`` to first order.

References
----------
.. [1] A. Beck, "First-Order Methods in Optimization", SIAM, 2017, chapter 10.
"""

from __future__ import annotations

import dataclasses
import warnings
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from bayesreg.nn.architecture import Architecture, Parameters
from bayesreg.nn.objective import network_objective, smooth_part
from bayesreg.priors import Prior
from bayesreg.priors.elastic_net import ElasticNetFamily

__all__ = ["NEWTON_MAX_PARAMETERS", "NetworkMAP", "solve_network_map", "uses_proximal_steps"]

#: Above this many parameters the Hessian (``n_parameters^2`` numbers) is not formed:
#: no Newton polish and no second-order check.
NEWTON_MAX_PARAMETERS = 3000
_NEWTON_STEPS = 30
#: Hessian eigenvalues below this fraction of the largest are rounding-level curvature.
_DEGENERATE = 1e-10


@dataclasses.dataclass(frozen=True)
class NetworkMAP:
    """A stationary point of the network's objective, with its certificate.

    Attributes
    ----------
    params : Parameters
    theta : ndarray
        The flat parameter vector (weights of each layer, then biases).
    objective : float
        ``F(theta)``.
    stationarity : float
        ``||G_t(theta)||_inf / (1 + ||grad g(theta_0)||_inf)``: 0 at a stationary point.
    hessian_min_eigenvalue : float
        Smallest eigenvalue of the Hessian of ``F`` over the free coordinates; NaN when
        the network has more than :data:`NEWTON_MAX_PARAMETERS` parameters.
    n_flat_directions, n_negative_directions : int
        Eigenvalues of that Hessian below ``1e-10`` times the largest in magnitude
        (directions of rounding-level curvature: duplicated units, a switched-off unit's
        weights near 0, where the minimum is degenerate rather than strict), and
        eigenvalues below minus that (a saddle).
    n_zero_weights : int
        Weights that are exactly 0.
    n_iter : int
        First-order iterations (L-BFGS or proximal gradient) and Newton steps.
    converged : bool
        ``stationarity <= tol``.
    """

    params: Parameters
    theta: np.ndarray
    objective: float
    stationarity: float
    hessian_min_eigenvalue: float
    n_flat_directions: int
    n_negative_directions: int
    n_zero_weights: int
    n_iter: int
    converged: bool

    @property
    def is_strict_local_minimum(self) -> bool:
        """The Hessian over the free coordinates is positive definite beyond rounding."""
        return bool(self.hessian_min_eigenvalue > 0 and self.n_flat_directions == 0)

    @property
    def is_local_minimum(self) -> bool:
        """No direction of negative curvature beyond rounding: a strict or a degenerate
        minimum to second order (False when the Hessian was not formed)."""
        computed = not np.isnan(self.hessian_min_eigenvalue)
        return bool(computed and self.n_negative_directions == 0)


def uses_proximal_steps(prior: Prior) -> bool:
    """Whether the prior's penalty has a kink (a proximal step is needed for exact zeros)."""
    if isinstance(prior, ElasticNetFamily):
        return bool(np.any(np.asarray(prior.l1) > 0))
    return prior.map_solver == "proximal"


def solve_network_map(
    architecture: Architecture,
    prior: Prior,
    X: np.ndarray,
    y: np.ndarray,
    sample_weight: np.ndarray,
    theta_init: np.ndarray,
    *,
    bias_penalty: float = 0.0,
    tol: float = 1e-10,
    max_iter: int = 20000,
) -> NetworkMAP:
    """Minimise ``F`` from ``theta_init`` (see the module notes).

    Parameters
    ----------
    architecture : Architecture
    prior : Prior
        The weights' prior at unit noise; its penalty is ``P_1``.
    X, y, sample_weight : ndarray
        The data, float64.
    theta_init : ndarray
        The start.
    bias_penalty : float, default 0
        ``kappa`` in the hidden biases' penalty ``kappa / 2 * ||b||^2`` (0: flat).
    tol : float, default 1e-10
        Relative stationarity at which the solve stops.
    max_iter : int, default 20000
        Most first-order iterations.

    Warns
    -----
    ConvergenceWarning
        When ``tol`` is not reached.
    """
    prior.check_map()
    X = jnp.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    s = np.asarray(sample_weight, dtype=float)
    kappa = float(bias_penalty)
    problem = _Problem(architecture, prior, (X, jnp.asarray(y), jnp.asarray(s), jnp.asarray(kappa)))
    # For y in extreme units, solve in units of its spread c (see _output_scaling): the
    # same minimiser, with the conditioning and tolerance of ordinarily scaled data.
    spread, d = _output_scaling(architecture, y, s)
    weights = architecture.weight_mask()
    scaled = _Problem(
        architecture,
        _ScaledPrior(prior, jnp.asarray(d[weights]), spread),
        (X, jnp.asarray(y / spread), jnp.asarray(s), jnp.asarray(kappa / spread**2)),
    )
    theta0 = np.asarray(theta_init, dtype=float) / d
    scale = 1.0 + float(np.max(np.abs(scaled.smooth_gradient(theta0))))
    polish = theta0.size <= NEWTON_MAX_PARAMETERS
    if uses_proximal_steps(prior):
        # The proximal steps find the zeros; Newton finishes the nonzero part.  If it
        # cannot, the proximal steps go on to the tolerance.
        coarse = max(tol, 1e-6) if polish else tol
        theta, step, n_iter = scaled.proximal_gradient(theta0, coarse * scale, max_iter)
        if polish:
            theta, n_newton = _newton_polish(scaled, theta, weights, tol * scale)
            n_iter += n_newton
            if _stationarity(scaled, weights, theta, step) > tol * scale:
                theta, step, k = scaled.proximal_gradient(theta, tol * scale, max_iter)
                n_iter += k
    else:
        theta, n_iter = _lbfgs(scaled, theta0, tol=tol * scale, max_iter=max_iter)
        step = None
        if polish:
            theta, n_newton = _newton_polish(scaled, theta, weights, tol * scale)
            n_iter += n_newton
    stationarity = _stationarity(scaled, weights, theta, step) / scale
    scaled_theta, theta = theta, theta * d
    if polish:
        # Which directions are flat is judged in the scaled problem (scale-free); the
        # smallest eigenvalue is reported for F itself (same signs, by Sylvester's law).
        scaled_hessian = scaled.hessian(scaled_theta)
        free = _free(scaled_theta, weights, scaled_hessian)
        flat, negative = _curvature_counts(np.linalg.eigvalsh(scaled_hessian[np.ix_(free, free)]))
        eigenvalues = np.linalg.eigvalsh(problem.hessian(theta)[np.ix_(free, free)])
        min_eig = float(eigenvalues[0]) if eigenvalues.size else np.inf
    else:
        min_eig, flat, negative = float("nan"), 0, 0
    converged = stationarity <= tol
    if not converged:
        advice = (
            "Increase max_iter, or standardise X."
            if n_iter >= max_iter
            else "The solver stalled before max_iter: standardise X (saturated units)."
        )
        if architecture.activation == "relu" and architecture.hidden_layer_sizes:
            advice = (
                "ReLU networks are not differentiable where a unit's input is 0 at an "
                "observation, and their minima often lie there, where no gradient vanishes: "
                "use activation='tanh' for a certified MAP, or accept the point."
            )
        warnings.warn(
            f"the network's MAP solve stopped at relative stationarity {stationarity:.2e} > "
            f"tol={tol:g} after {n_iter} iterations. {advice}",
            ConvergenceWarning,
            stacklevel=3,
        )
    return NetworkMAP(
        params=architecture.unravel(theta).to_numpy(),
        theta=theta,
        objective=problem.value(theta),
        stationarity=float(stationarity),
        hessian_min_eigenvalue=min_eig,
        n_flat_directions=flat,
        n_negative_directions=negative,
        n_zero_weights=int(np.sum(theta[weights] == 0)),
        n_iter=int(n_iter),
        converged=bool(converged),
    )


# -- pieces ---------------------------------------------------------------------------
# Compiled once per architecture and data shape: the architecture is a static argument,
# the prior (a pytree) and the data are traced, so a refit with another alpha or other
# data of the same shape compiles nothing.


def _objective(architecture, prior, data, theta):
    return network_objective(architecture, prior, data, theta)


_value = jax.jit(_objective, static_argnums=0)
_value_and_grad = jax.jit(jax.value_and_grad(_objective, argnums=3), static_argnums=0)
_hessian = jax.jit(jax.hessian(_objective, argnums=3), static_argnums=0)
_smooth_grad = jax.jit(jax.grad(smooth_part, argnums=2), static_argnums=0)


@partial(jax.jit, static_argnums=0)
def _proximal_gradient_loop(architecture, prior, data, theta0, tol, max_iter):
    """Proximal gradient with backtracking; stops at ``||G_t||_inf <= tol``."""
    n_weights = architecture.n_weights

    def smooth(theta):
        return smooth_part(architecture, data, theta)

    value_and_grad = jax.value_and_grad(smooth)

    def candidate(theta, value, grad, t):
        new = _prox_step(prior, n_weights, theta, grad, t)
        diff = new - theta
        bound = value + grad @ diff + 0.5 * (diff @ diff) / t
        return new, smooth(new) <= bound + 1e-14 * jnp.abs(value)

    def backtrack(theta, value, grad, step):
        def cond(state):
            _, _, ok, tries = state
            return ~ok & (tries < 60)

        def body(state):
            t, _, _, tries = state
            t = 0.5 * t
            new, ok = candidate(theta, value, grad, t)
            return t, new, ok, tries + 1

        new, ok = candidate(theta, value, grad, step)
        t, new, _, _ = jax.lax.while_loop(cond, body, (step, new, ok, 0))
        return t, new

    def cond(state):
        _, _, k, gmap = state
        return (k < max_iter) & (gmap > tol)

    def body(state):
        theta, step, k, _ = state
        value, grad = value_and_grad(theta)
        step, new = backtrack(theta, value, grad, 1.25 * step)
        gmap = jnp.max(jnp.abs(new - theta)) / step
        return new, step, k + 1, gmap

    init = (theta0, jnp.asarray(1.0), 0, jnp.asarray(jnp.inf))
    theta, step, k, _ = jax.lax.while_loop(cond, body, init)
    return theta, step, k


@dataclasses.dataclass(frozen=True)
class _Problem:
    """``F`` for one architecture, prior and data set, with numpy in and out."""

    architecture: Architecture
    prior: Prior
    data: tuple

    def value(self, theta) -> float:
        return float(_value(self.architecture, self.prior, self.data, jnp.asarray(theta)))

    def value_and_grad(self, theta) -> tuple[float, np.ndarray]:
        value, grad = _value_and_grad(self.architecture, self.prior, self.data, jnp.asarray(theta))
        return float(value), np.asarray(grad, dtype=float)

    def hessian(self, theta) -> np.ndarray:
        return np.asarray(_hessian(self.architecture, self.prior, self.data, jnp.asarray(theta)))

    def smooth_gradient(self, theta) -> np.ndarray:
        return np.asarray(_smooth_grad(self.architecture, self.data, jnp.asarray(theta)))

    def proximal_gradient(self, theta0, tol, max_iter) -> tuple[np.ndarray, float, int]:
        theta, step, k = _proximal_gradient_loop(
            self.architecture, self.prior, self.data, jnp.asarray(theta0), tol, int(max_iter)
        )
        return np.asarray(theta, dtype=float), float(step), int(k)


def _output_scaling(architecture: Architecture, y, s) -> tuple[float, np.ndarray]:
    """The spread ``c`` of ``y`` and the scaling ``d`` with ``theta = d * theta'``.

    ``c`` is the weighted root mean square of ``y - ybar`` when that lies outside
    ``[1e-3, 1e3]``, and 1 otherwise: the solvers' paths (L-BFGS, proximal gradient)
    are not invariant to rescaling coordinates, so for ordinarily scaled ``y`` they run
    on ``theta`` itself and reach what a plain optimizer reaches from the same start;
    for ``y`` in very small or large units they would stall or stop early.  ``d`` is
    ``c`` at the output weights and bias and 1 elsewhere, so that
    ``f(x; d * theta') = c f'(x; theta')`` and ``F(d * theta') = c^2 F'(theta')`` with
    ``F'`` the objective for ``y / c``, the hidden biases' penalty ``kappa / c^2`` and
    the weights' penalty ``P_1(d * w') / c^2`` (:class:`_ScaledPrior`).
    """
    keep = s > 0
    centred = y[keep] - np.average(y[keep], weights=s[keep]) if keep.any() else y
    spread = float(np.sqrt(np.average(centred**2, weights=s[keep]))) if keep.any() else 0.0
    spread = spread if np.isfinite(spread) and not 1e-3 <= spread <= 1e3 else 1.0
    spread = spread if spread > 0 else 1.0
    d = np.ones(architecture.n_parameters)
    n_out = architecture.weight_shapes[-1][0]
    d[architecture.n_weights - n_out : architecture.n_weights] = spread
    d[-1] = spread
    return spread, d


@dataclasses.dataclass(frozen=True)
class _ScaledPrior:
    """The weights' penalty in the scaled coordinates ``w' = w / d``: ``P_1(d w') / c^2``.

    Its proximal operator: ``prox_{t P_1(d .) / c^2}(v) = prox_{(t d^2 / c^2) P_1}(d v) / d``
    (substitute ``u = d w'``), elementwise.
    """

    prior: Prior
    d: jax.Array
    c: float

    def penalty(self, w) -> jax.Array:
        return self.prior.penalty(self.d * w) / self.c**2

    def prox(self, v, step, *, positive: bool = False) -> jax.Array:
        moved = self.prior.prox(self.d * v, step * self.d**2 / self.c**2, positive=positive)
        return moved / self.d


jax.tree_util.register_pytree_node(
    _ScaledPrior,
    lambda p: ((p.prior, p.d, p.c), None),
    lambda _, children: _ScaledPrior(*children),
)


def _lbfgs(problem: _Problem, theta0, *, tol, max_iter) -> tuple[np.ndarray, int]:
    result = scipy.optimize.minimize(
        problem.value_and_grad,
        theta0,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "maxfun": 2 * max_iter, "gtol": tol, "ftol": 0.0},
    )
    return np.asarray(result.x, dtype=float), int(result.nit)


def _prox_step(prior, n_weights: int, theta, grad, step):
    """``T_t(theta)``: a gradient step, then the prior's prox on the weights (which come
    first in ``theta``)."""
    moved = theta - step * grad
    return moved.at[:n_weights].set(prior.prox(moved[:n_weights], step))


def _newton_polish(problem: _Problem, theta, weights, tol) -> tuple[np.ndarray, int]:
    """Newton steps on the biases and nonzero weights, keeping zeros and signs.

    Stops when the gradient there is at most ``tol``, or when a step would not decrease
    ``F``, change a weight's sign, or the Hessian there has a negative eigenvalue (a
    saddle).  Directions whose eigenvalue is below ``1e-10`` times the largest in magnitude
    (a degenerate minimum, e.g. two units that are copies of each other) are not stepped
    along.
    Inert coordinates (:func:`_free`) are left alone.
    """
    theta = theta.copy()
    hessian = problem.hessian(theta)
    free = _free(theta, weights, hessian)
    sign = np.sign(theta)
    value = problem.value(theta)
    steps = 0
    for _ in range(_NEWTON_STEPS):
        grad = problem.value_and_grad(theta)[1][free]
        if not grad.size or np.max(np.abs(grad)) <= tol:
            break
        eigenvalues, vectors = np.linalg.eigh(hessian[np.ix_(free, free)])
        # Directions of curvature below rounding (duplicated or switched-off units make
        # the minimum degenerate) are left alone: a pseudo-inverse step.
        flat = _flat(eigenvalues)
        if np.any(eigenvalues[~flat] < 0) or np.all(flat):
            break  # a saddle, or nothing to step along: Newton would not head for a minimum
        keep = ~flat
        direction = -vectors[:, keep] @ ((vectors[:, keep].T @ grad) / eigenvalues[keep])
        t, accepted = 1.0, False
        while t > 1e-10:
            candidate = theta.copy()
            candidate[free] += t * direction
            keeps_signs = np.all(np.sign(candidate[free & weights]) == sign[free & weights])
            new_value = problem.value(candidate)
            if keeps_signs and new_value <= value + 1e-4 * t * float(grad @ direction) + (
                4 * np.finfo(float).eps * abs(value)
            ):
                accepted = True
                break
            t *= 0.5
        if not accepted:
            break
        theta, value, steps = candidate, new_value, steps + 1
        hessian = problem.hessian(theta)
    return theta, steps


def _flat(eigenvalues) -> np.ndarray:
    """Eigenvalues of rounding-level size compared with the largest in magnitude."""
    return np.abs(eigenvalues) <= _DEGENERATE * np.max(np.abs(eigenvalues))


def _curvature_counts(eigenvalues) -> tuple[int, int]:
    """``(flat, negative)`` directions of a Hessian from its eigenvalues."""
    if not eigenvalues.size:
        return 0, 0
    flat = _flat(eigenvalues)
    return int(flat.sum()), int(np.sum(~flat & (eigenvalues < 0)))


def _free(theta, weights, hessian) -> np.ndarray:
    """The coordinates ``F`` depends on near ``theta``: biases and nonzero weights, less
    the *inert* ones whose Hessian row (over those) is exactly 0 (the bias of a unit
    whose outgoing weights are all exactly 0: ``F`` does not depend on it, and it would
    make the Newton system singular)."""
    candidate = ~weights | (theta != 0)
    inert = np.all(hessian[:, candidate] == 0, axis=1)
    return candidate & ~inert


def _stationarity(problem: _Problem, weights, theta, step) -> float:
    """``||G_t(theta)||_inf``; the gradient of ``F`` when there is no proximal step.

    Written without the cancellation of ``(theta - T_t(theta)) / t``: at a nonzero
    weight ``G`` is ``grad g + grad P_1`` (the penalty is smooth there), at a zero one
    ``-prox_{tP_1}(-t grad g) / t``, at a bias ``grad g``.  For the elastic-net family
    ``t -> 0``, which gives the least-norm subgradient.
    """
    full = problem.value_and_grad(theta)[1]
    if step is None:
        return float(np.max(np.abs(full))) if full.size else 0.0
    grad = problem.smooth_gradient(theta)
    prior = problem.prior
    inner = prior.prior if isinstance(prior, _ScaledPrior) else prior
    t = 1e-8 if isinstance(inner, ElasticNetFamily) else step
    at_zero = -np.asarray(prior.prox(jnp.asarray(-t * grad[weights]), t)) / t
    mapping = np.where(theta != 0, full, 0.0)
    mapping[~weights] = grad[~weights]
    zero_weights = weights & (theta == 0)
    mapping[zero_weights] = at_zero[theta[weights] == 0]
    return float(np.max(np.abs(mapping))) if mapping.size else 0.0
