"""MAP under priors outside the elastic-net family: proximal gradient and L-BFGS.

With the Gaussian likelihood at unit noise and the flat intercept profiled out by
centring (:meth:`bayesreg.model.RegressionData.centered`), the MAP minimises

``F(w) = f(w) + P(w)``,   ``f(w) = 1/2 ||y~ - X~ w||^2``,

over ``w`` (``w >= 0`` if ``positive``), where ``P`` is the prior's penalty
(:meth:`~bayesreg.priors.base.Prior.penalty`, the negative log density, up to the
prior's additive constant).  ``f`` has the gradient ``X~'(X~ w - y~)``, which is
Lipschitz with ``L = ||X~||_2^2``, the largest eigenvalue of ``X~'X~``.  Two solvers,
chosen by :attr:`~bayesreg.priors.base.Prior.map_solver`:

* ``"proximal"`` (and ``"elastic-net"``, as a cross-check of the exact coordinate
  descent): proximal gradient with the prior's proximal operator
  ``prox_{tP}(v) = argmin_u (1 / 2t) ||u - v||^2 + P(u)``.  A convex prior gets FISTA
  with adaptive restart [1]_ [2]_ and step ``t = 1 / L``; a non-convex one the monotone
  accelerated proximal gradient of Li & Lin [3]_ with ``t = 0.95 / L``, whose every
  accumulation point is a stationary point.
* ``"smooth"``: L-BFGS-B on ``F`` with its gradient by JAX (bounds ``w >= 0`` if
  ``positive``), followed, if it stops short of the tolerance, by a few projected Newton
  steps on the free coordinates with the exact Hessian.

Optimality measure.  Both report the *prox-gradient mapping*

``G_t(w) = (w - prox_{tP}(w - t grad f(w))) / t``

(for ``"smooth"`` the projected-gradient mapping ``(w - max(w - t grad F(w), 0)) / t``
if ``positive``, else ``grad F(w)``), with ``t`` the solver's step.  ``G_t(w) = 0``
exactly at the stationary points of ``F`` (the fixed points of the proximal-gradient
step); for a convex ``F`` those are its minimisers, and if ``f`` is ``mu``-strongly
convex, ``||w - w*|| <= 2 ||G_t(w)|| / mu`` for ``t <= 1 / L``.  The solvers stop when

``||G_t(w)||_inf <= tol (1 + ||X~' y~||_inf)``,

and the certificate's ``kkt_violation`` is ``||G_t(w)||_inf / (1 + ||X~' y~||_inf)``,
so that ``certificate.converged`` (which falls back on the KKT violation when there is
no duality gap) is exactly that stopping rule.  For a non-convex prior it certifies a
stationary point, a local MAP at best; the global MAP is then sought by running from
several starts and keeping the best (:func:`local_optima` lists what they found).

Compilation.  The proximal-gradient loop is one ``jax.lax.while_loop`` inside
``jax.jit``, vectorised over the starts; the prior is a pytree argument, so a refit with
other data of the same shapes or other prior parameters (e.g. another ``alpha``) reuses
the compiled loop.  It works on the Gram matrix ``X~'X~`` (``p x p``) when ``n >= p``
and on ``X~`` otherwise.  The L-BFGS objective and gradient are compiled the same way.

References
----------
.. [1] A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding algorithm for
   linear inverse problems", SIAM J. Imaging Sci. 2(1), 2009.
.. [2] B. O'Donoghue and E. Candès, "Adaptive restart for accelerated gradient
   schemes", Found. Comput. Math. 15, 2015.
.. [3] H. Li and Z. Lin, "Accelerated proximal gradient methods for nonconvex
   programming", NeurIPS 2015.
.. [4] R. H. Byrd, P. Lu, J. Nocedal and C. Zhu, "A limited memory algorithm for bound
   constrained optimization", SIAM J. Sci. Comput. 16(5), 1995.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg
import scipy.optimize
from numpy.typing import ArrayLike
from sklearn.utils import check_random_state

import bayesreg.solvers as _solvers
from bayesreg.model import RegressionData
from bayesreg.priors.base import Prior
from bayesreg.solvers.certificate import Certificate
from bayesreg.solvers.closed_form import ridge_solve

__all__ = ["gradient_mapping", "lipschitz_constant", "local_optima", "solve_map_general"]

DEFAULT_STARTS = 8
# Step 0.95 / L for non-convex priors: F(prox step) <= F(w) - (1/t - L)/2 ||step||^2,
# the sufficient decrease the monotone scheme's convergence proof needs (t < 1 / L).
_NONCONVEX_STEP = 0.95
# Two local optima are the same when their weights differ by less than this, relative
# to the larger norm (or absolutely below 1).
DISTINCT_RTOL = 1e-6
# Projected Newton steps tried after L-BFGS-B, and the largest p that gets them.
_NEWTON_STEPS = 30
_NEWTON_MAX_FEATURES = 2000


class _Runs(NamedTuple):
    """What each start reached: weights (k, p), objective, sup-norm residual, iterations."""

    coefs: np.ndarray
    objectives: np.ndarray
    residuals: np.ndarray
    n_iters: np.ndarray
    polished: bool
    step: float


def lipschitz_constant(X_t: ArrayLike) -> float:
    """``L = ||X~||_2^2``, the Lipschitz constant of ``grad f`` (0 for an empty design).

    The largest eigenvalue of the smaller of ``X~'X~`` and ``X~ X~'`` by LAPACK, so the
    step ``1 / L`` is never too long (a power iteration approaches ``L`` from below).
    """
    X_t = np.asarray(X_t, dtype=np.float64)
    n, p = X_t.shape
    if n == 0 or p == 0:
        return 0.0
    gram = X_t.T @ X_t if p <= n else X_t @ X_t.T
    k = gram.shape[0]
    top = scipy.linalg.eigvalsh(gram, subset_by_index=[k - 1, k - 1], check_finite=False)
    return max(float(top[0]), 0.0)


def _step(L: float, convex: bool) -> float:
    # A zero design leaves f constant: any step is exact, and 1 keeps the scale of P.
    if L <= 0:
        return 1.0
    return (1.0 if convex else _NONCONVEX_STEP) / L


def gradient_mapping(
    X_t: ArrayLike,
    y_t: ArrayLike,
    prior: Prior,
    w: ArrayLike,
    *,
    positive: bool = False,
    step: float | None = None,
) -> np.ndarray:
    """The prox-gradient mapping ``G_t(w)``, zero exactly at stationary points of ``F``.

    Parameters
    ----------
    X_t, y_t : array_like
        The centred, weighted problem ``(X~, y~)``.
    prior : Prior
    w : array_like of shape (n_features,)
    positive : bool, default False
        Whether ``w >= 0`` is imposed.
    step : float or None
        ``t``; None uses the solver's, ``1 / L`` (``0.95 / L`` for a non-convex prior).

    Returns
    -------
    ndarray of shape (n_features,)
        ``(w - prox_{tP}(w - t X~'(X~ w - y~))) / t`` when the prior has a proximal
        operator (``map_solver`` "proximal" or "elastic-net"); for a "smooth" prior
        ``(w - max(w - t grad F(w), 0)) / t`` if ``positive``, else ``grad F(w)``.
    """
    X_t = np.asarray(X_t, dtype=np.float64)
    y_t = np.asarray(y_t, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if step is None:
        step = _step(lipschitz_constant(X_t), bool(prior.convex))
    grad_f = X_t.T @ (X_t @ w - y_t)
    if prior.map_solver == "smooth":
        grad = grad_f + np.asarray(jax.grad(lambda u: prior.penalty(u))(jnp.asarray(w)))
        if not positive:
            return grad
        return (w - np.maximum(w - step * grad, 0.0)) / step
    moved = np.asarray(prior.prox(jnp.asarray(w - step * grad_f), step, positive=positive))
    return (w - moved) / step


# -- proximal gradient: the compiled loop ------------------------------------------------


class _State(NamedTuple):
    x: jax.Array
    x_prev: jax.Array
    grad: jax.Array  # grad f(x)
    grad_prev: jax.Array
    objective: jax.Array  # F(x)
    forward: jax.Array  # prox_{tP}(x - t grad f(x)), the plain step from x
    residual: jax.Array  # ||x - forward||_inf / t
    theta: jax.Array
    n_iter: jax.Array


def _smooth_part(A, b, c, w, gram: bool):
    """``(f(w), grad f(w))`` from the Gram form (A, b, c) = (X~'X~, X~'y~, ||y~||^2 / 2)
    or the data form (A, b) = (X~, y~)."""
    if gram:
        Aw = A @ w
        # f = ||y~||^2/2 - g'w + w'Hw/2 >= 0; the clip removes rounding below 0.
        return jnp.maximum(c - b @ w + 0.5 * (w @ Aw), 0.0), Aw - b
    r = b - A @ w
    return 0.5 * (r @ r), -(A.T @ r)


def _pg_run(A, b, c, w0, prior, step, tol_abs, max_iter, *, positive, monotone, gram):
    def prox(v):
        return prior.prox(v, step, positive=positive)

    def evaluate(w):
        f, grad = _smooth_part(A, b, c, w, gram)
        forward = prox(w - step * grad)
        residual = jnp.max(jnp.abs(w - forward), initial=0.0) / step
        return f + prior.penalty(w), grad, forward, residual

    # Li & Lin accept the extrapolated step only with this much decrease; it is what the
    # plain step 0.95 / L guarantees, (1/t - L)/2 = (1 - 0.95)/(2t).
    delta = (1.0 - _NONCONVEX_STEP) / (2.0 * step)

    def body(s: _State) -> _State:
        theta_next = 0.5 * (1.0 + jnp.sqrt(1.0 + 4.0 * s.theta**2))
        beta = (s.theta - 1.0) / theta_next
        y = s.x + beta * (s.x - s.x_prev)
        # grad f is affine, so grad f(y) is the same combination of the stored gradients:
        # one product with A per iteration instead of two.
        grad_y = s.grad + beta * (s.grad - s.grad_prev)
        z = prox(y - step * grad_y)
        F_z, grad_z, forward_z, residual_z = evaluate(z)
        candidate = (z, grad_z, F_z, forward_z, residual_z)
        if monotone:
            accept = F_z <= s.objective - delta * jnp.sum((z - y) ** 2)

            def fallback():
                v = s.forward
                F_v, grad_v, forward_v, residual_v = evaluate(v)
                keep_z = F_z < F_v
                return jax.tree.map(
                    lambda a, b: jnp.where(keep_z, a, b),
                    candidate,
                    (v, grad_v, F_v, forward_v, residual_v),
                )

            new = jax.lax.cond(accept, lambda: candidate, fallback)
            theta = jnp.where(accept, theta_next, 1.0)
        else:
            # O'Donoghue & Candès' gradient scheme: restart the momentum when the step
            # z - x points against the prox-gradient direction y - z.
            restart = jnp.vdot(y - z, z - s.x) > 0
            new = candidate
            theta = jnp.where(restart, 1.0, theta_next)
        x, grad, objective, forward, residual = new
        return _State(x, s.x, grad, s.grad, objective, forward, residual, theta, s.n_iter + 1)

    def not_done(s: _State):
        return (s.residual > tol_abs) & (s.n_iter < max_iter)

    x0 = jnp.maximum(w0, 0.0) if positive else w0
    F0, grad0, forward0, residual0 = evaluate(x0)
    one = jnp.ones((), dtype=x0.dtype)
    state = _State(x0, x0, grad0, grad0, F0, forward0, residual0, one, jnp.asarray(0))
    s = jax.lax.while_loop(not_done, body, state)
    return s.x, s.objective, s.residual, s.n_iter


@partial(jax.jit, static_argnames=("positive", "monotone", "gram"))
def _pg_batch(A, b, c, W0, prior, step, tol_abs, max_iter, *, positive, monotone, gram):
    run = partial(_pg_run, positive=positive, monotone=monotone, gram=gram)
    in_axes = (None, None, None, 0, None, None, None, None)
    return jax.vmap(run, in_axes=in_axes)(A, b, c, W0, prior, step, tol_abs, max_iter)


def _proximal_runs(X_t, y_t, prior, starts, *, positive, tol_abs, max_iter) -> _Runs:
    n, p = X_t.shape
    convex = bool(prior.convex)
    step = _step(lipschitz_constant(X_t), convex)
    gram = n >= p
    if gram:
        A, b, c = X_t.T @ X_t, X_t.T @ y_t, 0.5 * float(y_t @ y_t)
    else:
        A, b, c = X_t, y_t, 0.0
    coefs, objectives, residuals, n_iters = _pg_batch(
        jnp.asarray(A),
        jnp.asarray(b),
        float(c),
        jnp.asarray(starts),
        prior,
        float(step),
        float(tol_abs),
        int(max_iter),
        positive=bool(positive),
        monotone=not convex,
        gram=gram,
    )
    coefs = np.asarray(coefs, dtype=np.float64)
    # The loop's objective and residual come from Gram quantities; recompute both
    # from explicit residuals for the report.
    objectives = np.array([_objective(X_t, y_t, prior, w) for w in coefs])
    residuals = np.array(
        [
            np.max(np.abs(gradient_mapping(X_t, y_t, prior, w, positive=positive, step=step)))
            for w in coefs
        ]
    )
    return _Runs(coefs, objectives, residuals, np.asarray(n_iters), False, step)


def _objective(X_t, y_t, prior, w) -> float:
    r = y_t - X_t @ w
    return 0.5 * float(r @ r) + float(prior.penalty(jnp.asarray(w)))


# -- smooth penalties: L-BFGS-B, then projected Newton -----------------------------------


def _smooth_F(w, X, y, prior):
    r = y - X @ w
    return 0.5 * (r @ r) + prior.penalty(w)


_smooth_value_and_grad = jax.jit(jax.value_and_grad(_smooth_F))
_smooth_hessian = jax.jit(jax.hessian(_smooth_F))


def _projected_gradient(w, grad, step, positive):
    if not positive:
        return np.max(np.abs(grad), initial=0.0)
    return np.max(np.abs(w - np.maximum(w - step * grad, 0.0)), initial=0.0) / step


def _lbfgs(X, y, prior, w0, *, positive, tol_abs, max_iter, step):
    args = (jnp.asarray(X), jnp.asarray(y), prior)

    def fun(w):
        value, grad = _smooth_value_and_grad(jnp.asarray(w), *args)
        return float(value), np.asarray(grad, dtype=np.float64)

    p = X.shape[1]
    result = scipy.optimize.minimize(
        fun,
        np.maximum(w0, 0.0) if positive else w0,
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, None)] * p if positive else None,
        # gtol is L-BFGS-B's bound on the projected gradient, our stopping rule; ftol 0
        # lets it go on until then (or until the line search fails at rounding level).
        options={
            "gtol": tol_abs,
            "ftol": 0.0,
            "maxiter": max_iter,
            "maxfun": 20 * max_iter,
            "maxcor": 20,
            "maxls": 50,
        },
    )
    w = np.asarray(result.x, dtype=np.float64)
    value, grad = fun(w)
    residual = _projected_gradient(w, grad, step, positive)
    n_iter = int(result.nit)
    polished = False
    if residual > tol_abs and p <= _NEWTON_MAX_FEATURES:
        w, value, residual, steps = _newton(fun, args, w, value, grad, positive, step, tol_abs)
        n_iter += steps
        polished = steps > 0
    return w, value, residual, n_iter, polished


def _newton(fun, args, w, value, grad, positive, step, tol_abs):
    """Projected Newton steps on the free coordinates with a backtracking line search.

    Free coordinates are those not held at the bound (``w_j > 0`` or ``grad_j < 0``).
    A step is kept when it lowers the residual and does not raise ``F`` beyond rounding;
    the loop stops when the Hessian of the free block is not positive definite (no
    Newton descent direction: a saddle or a non-convex region).
    """
    residual = _projected_gradient(w, grad, step, positive)
    n_steps = 0
    for _ in range(_NEWTON_STEPS):
        if residual <= tol_abs:
            break
        free = (w > 0) | (grad < 0) if positive else np.ones(w.shape, dtype=bool)
        hessian = np.asarray(_smooth_hessian(jnp.asarray(w), *args))[np.ix_(free, free)]
        try:
            factor = scipy.linalg.cho_factor(hessian, check_finite=True)
        except (scipy.linalg.LinAlgError, ValueError):
            break
        direction = -scipy.linalg.cho_solve(factor, grad[free])
        slack = 1e-12 * (1.0 + abs(value))
        for scale in 0.5 ** np.arange(30):
            trial = w.copy()
            trial[free] += scale * direction
            if positive:
                trial = np.maximum(trial, 0.0)
            trial_value, trial_grad = fun(trial)
            trial_residual = _projected_gradient(trial, trial_grad, step, positive)
            if trial_value <= value + slack and trial_residual < residual:
                break
        else:
            break
        w, value, grad, residual = trial, trial_value, trial_grad, trial_residual
        n_steps += 1
    return w, value, residual, n_steps


def _smooth_runs(X_t, y_t, prior, starts, *, positive, tol_abs, max_iter) -> _Runs:
    step = _step(lipschitz_constant(X_t), bool(prior.convex))
    rows = [
        _lbfgs(
            X_t, y_t, prior, w0, positive=positive, tol_abs=tol_abs, max_iter=max_iter, step=step
        )
        for w0 in starts
    ]
    coefs = np.array([row[0] for row in rows]).reshape(len(rows), X_t.shape[1])
    objectives = np.array([_objective(X_t, y_t, prior, w) for w in coefs])
    return _Runs(
        coefs,
        objectives,
        np.array([row[2] for row in rows]),
        np.array([row[3] for row in rows]),
        any(row[4] for row in rows),
        step,
    )


# -- starts and the public functions ------------------------------------------------------


def _starts(X_t, y_t, prior, *, positive, n_starts, random_state, w0) -> np.ndarray:
    """Starting points, in order: ``w0`` (if given), 0, least squares, random.

    A convex prior gets one start (``w0`` or 0).  The random starts are
    ``m * (u w_ls + rms(w_ls) z)`` with ``u ~ U(0, 1)``, ``z ~ N(0, I)`` and a random
    support ``m_j ~ Bernoulli(q)``, ``q ~ U(1/4, 1)``: anywhere between the penalty's
    pull to 0 and the data's pull to the least-squares weights ``w_ls`` (minimum-norm if
    ``p > n``), at their scale, and with some weights at 0, because a sparsifying
    penalty's local optima differ mostly in their supports, and the proximal step
    rarely turns a zero weight on or a large one off.
    """
    p = X_t.shape[1]
    first = [] if w0 is None else [np.asarray(w0, dtype=np.float64).reshape(p)]
    if prior.convex:
        return np.array(first or [np.zeros(p)])
    if n_starts is None:
        n_starts = DEFAULT_STARTS
    if n_starts < 1:
        raise ValueError(f"n_starts must be >= 1, got {n_starts!r}.")
    least_squares = ridge_solve(X_t, y_t, 0.0)
    starts = [*first, np.zeros(p), least_squares]
    rng = check_random_state(random_state)
    scale = float(np.sqrt(np.mean(least_squares**2))) if p else 0.0
    scale = scale if scale > 0 else 1.0
    while len(starts) < n_starts:
        point = rng.uniform() * least_squares + scale * rng.standard_normal(p)
        starts.append(point * (rng.uniform(size=p) < rng.uniform(0.25, 1.0)))
    starts = np.array(starts[:n_starts]).reshape(n_starts, p)
    return np.abs(starts) if positive else starts


def _run(data, prior, *, positive, tol, max_iter, n_starts, random_state, w0):
    prior.check_map()
    if prior.map_solver not in ("proximal", "smooth", "elastic-net"):
        raise ValueError(f"unknown map_solver {prior.map_solver!r} of the {prior.name} prior.")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter!r}.")
    X_t, y_t = _solvers.centered_exactly(data)
    scale = 1.0 + float(np.max(np.abs(X_t.T @ y_t), initial=0.0))
    starts = _starts(
        X_t, y_t, prior, positive=positive, n_starts=n_starts, random_state=random_state, w0=w0
    )
    runner = _smooth_runs if prior.map_solver == "smooth" else _proximal_runs
    runs = runner(
        X_t, y_t, prior, starts, positive=bool(positive), tol_abs=tol * scale, max_iter=max_iter
    )
    return runs, scale


def _distinct(coefs: np.ndarray, order: np.ndarray, rtol: float) -> list[int]:
    """Indices (in ``order``) of the first of each group of weights equal within ``rtol``."""
    kept: list[int] = []
    for i in order:
        if not any(
            np.linalg.norm(coefs[i] - coefs[j])
            <= rtol * max(1.0, np.linalg.norm(coefs[i]), np.linalg.norm(coefs[j]))
            for j in kept
        ):
            kept.append(int(i))
    return kept


def solve_map_general(
    data: RegressionData,
    prior: Prior,
    *,
    positive: bool = False,
    tol: float = 1e-8,
    max_iter: int = 10000,
    n_starts: int | None = None,
    random_state=None,
    w0: ArrayLike | None = None,
) -> _solvers.MAPResult:
    """The posterior mode of ``w`` under a prior solved by proximal gradient or L-BFGS.

    Minimises ``F(w) = 1/2 sum_i s_i (y_i - b - x_i' w)^2 + P(w)`` over ``w`` (``w >= 0``
    if ``positive``) and the flat intercept ``b``, i.e. ``1/2 ||y~ - X~ w||^2 + P(w)``
    in the centred variables, with ``b = ybar - xbar' w``.

    Parameters
    ----------
    data : RegressionData
    prior : Prior
        ``map_solver`` "proximal" (uses :meth:`~bayesreg.priors.base.Prior.prox`),
        "smooth" (uses the gradient of :meth:`~bayesreg.priors.base.Prior.penalty`) or
        "elastic-net" (solved through its prox, as a cross-check of coordinate descent).
    positive : bool, default False
        Constrain the weights to be non-negative.
    tol : float, default 1e-8
        Stop when ``||G_t(w)||_inf <= tol (1 + ||X~' y~||_inf)`` (see the module notes).
    max_iter : int, default 10000
        Most iterations per start.
    n_starts : int or None
        Starts for a non-convex prior (default 8): ``w0`` if given, 0, the least-squares
        weights, then random ones.  Ignored for a convex prior, which runs once from
        ``w0`` (or 0).
    random_state : int, RandomState instance or None
        Seeds the random starts.
    w0 : array_like of shape (n_features,) or None
        A starting point (a warm start).

    Returns
    -------
    MAPResult
        ``certificate``: ``objective = F(w)`` (with the penalty's constant, if
        :meth:`~bayesreg.priors.base.Prior.penalty` has one), ``duality_gap =
        relative_gap = nan`` and ``kkt_violation = ||G_t(w)||_inf / (1 + ||X~'y~||_inf)``;
        ``converged`` is true when that is ``<= tol``.  For a convex prior this proves
        the global MAP; otherwise a stationary point, the best of those found.
        ``n_iter``: iterations of the start that gave the answer (with projected Newton
        steps for "smooth").  ``convex``: ``prior.convex``.  ``start_objectives``: for a
        non-convex prior, ``F`` at the point each start reached, in start order.
        ``solver`` names the method and, for a non-convex prior, the number of starts
        and of distinct local optima among their end points (weights equal within
        ``1e-6`` relative are one optimum), e.g.
        ``"proximal-gradient (monotone APG, non-convex, best of 8 starts, 2 distinct
        optima)"``; :func:`local_optima` returns them.

    Raises
    ------
    NoFiniteModeError
        When the posterior has no finite mode (``prior.map_solver`` is None).
    """
    runs, scale = _run(
        data,
        prior,
        positive=positive,
        tol=tol,
        max_iter=max_iter,
        n_starts=n_starts,
        random_state=random_state,
        w0=w0,
    )
    # np.argmin keeps the earliest of equal objectives.
    best = int(np.argmin(runs.objectives))
    coef = runs.coefs[best]
    certificate = Certificate(
        objective=float(runs.objectives[best]),
        duality_gap=float("nan"),
        relative_gap=float("nan"),
        kkt_violation=float(runs.residuals[best]) / scale,
        tol=float(tol),
    )
    convex = bool(prior.convex)
    if prior.map_solver == "smooth":
        name = "L-BFGS-B" + ("+newton" if runs.polished else "")
    elif convex:
        name = "proximal-gradient (FISTA, adaptive restart)"
    else:
        name = "proximal-gradient (monotone APG"
    if not convex:
        k = len(runs.objectives)
        n_optima = len(
            _distinct(runs.coefs, np.argsort(runs.objectives, kind="stable"), DISTINCT_RTOL)
        )
        detail = (
            f"non-convex, best of {k} start{'s' if k > 1 else ''}, "
            f"{n_optima} distinct optim{'a' if n_optima > 1 else 'um'}"
        )
        name = f"{name}, {detail})" if name.endswith("APG") else f"{name} ({detail})"
    return _solvers.MAPResult(
        coef=coef,
        intercept=data.intercept(coef),
        certificate=certificate,
        n_iter=int(runs.n_iters[best]),
        solver=name,
        convex=convex,
        start_objectives=tuple(float(v) for v in runs.objectives) if not convex else (),
    )


def local_optima(
    data: RegressionData,
    prior: Prior,
    *,
    positive: bool = False,
    tol: float = 1e-8,
    max_iter: int = 10000,
    n_starts: int | None = None,
    random_state=None,
    w0: ArrayLike | None = None,
    rtol: float = DISTINCT_RTOL,
) -> list[tuple[float, np.ndarray]]:
    """The distinct points the starts of :func:`solve_map_general` reach, best first.

    Same arguments as :func:`solve_map_general` (the same ``random_state`` gives the
    same starts), plus ``rtol``: end points whose weights differ by at most
    ``rtol max(1, ||w_i||, ||w_j||)`` count once.  Returns ``(F(w), w)`` pairs sorted
    by ``F``; the first is the answer of :func:`solve_map_general`.  Every pair is a
    stationary point if its start converged (which :func:`gradient_mapping` checks).
    """
    runs, _ = _run(
        data,
        prior,
        positive=positive,
        tol=tol,
        max_iter=max_iter,
        n_starts=n_starts,
        random_state=random_state,
        w0=w0,
    )
    order = np.argsort(runs.objectives, kind="stable")
    return [
        (float(runs.objectives[i]), runs.coefs[i].copy())
        for i in _distinct(runs.coefs, order, rtol)
    ]
