"""Exact MAP for elastic-net-family priors: proximal coordinate descent plus an active-set polish.

Coordinate descent (Friedman, Hastie & Tibshirani, 2010) minimises
``F(w) = 1/2 w' H w - g' w + h(w)`` with the Gram matrix ``H = X~'X~`` and
``g = X~'y~``, one coordinate at a time:

``w_j <- prox_{h_j / H_jj}(w_j + (g_j - (H w)_j) / H_jj)``,

with ``h_j(u) = l1_j |u| + l2_j u^2`` (the same rates for every ``j``, or one pair per
weight for :class:`~bayesreg.priors.PenaltyFactor`), keeping ``H w`` up to date (``O(p)``
per update).  The proximal step is soft thresholding, so zeros are exact zeros.  The
compiled loop stops when the duality gap (computed from the Gram quantities every epoch,
see :mod:`~bayesreg.solvers.certificate`) is ``<= tol ||y~||^2``.  With unpenalised
weights ``U`` (``l1_j = l2_j = 0``) the dual direction is the residual projected off
``X~_U``, ``rho = R - X~_U H_UU^+ X~_U' R``, whose summaries follow from ``H`` and ``g``
too: ``X~' rho = X~' R - H_{:U} a``, ``||rho||^2 = ||R||^2 - a' X~_U' R`` and
``rho' y~ = R' y~ - a' g_U`` with ``a = H_UU^+ X~_U' R``.

The polish then makes the answer exact.  On the support ``S`` with signs ``s`` the
optimality conditions are linear,

``(X~_S' X~_S + 2 diag(l2_S)) w_S = X~_S' y~ - l1_S * s``,

and are solved by a QR factorisation of ``[X~_S; diag(sqrt(2 l2_S))]``.  The polished
point replaces the coordinate-descent one only if its signs agree with ``s`` (those of
unpenalised weights may change) and its explicitly computed duality gap is smaller, so
the polish can never make an answer worse.  When coordinate descent crawls (``p > n``,
nearly collinear columns) and the polish cannot fix its support, :func:`active_set`
finishes the job exactly (Osborne, Presnell & Turlach, 2000), under the same rule.

Compilation.  The loop is compiled once per (padded ``p``, padded number of unpenalised
weights, ``positive``); ``p`` is padded to a power of two with inert zero columns, and
the rates are array arguments of that padded length, so refits with other data, another
``n``, another ``alpha``, another prior of the family or other penalty factors reuse it
(unless the number of unpenalised weights moves to another power of two; none at all is
its own case, so the common fit pays nothing for them).

References
----------
.. [1] J. Friedman, T. Hastie and R. Tibshirani, "Regularization paths for generalized
   linear models via coordinate descent", J. Stat. Softw. 33(1), 2010.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg

from bayesreg.priors import ElasticNetFamily as Prior
from bayesreg.priors.elastic_net import elastic_net_prox
from bayesreg.solvers.certificate import duality_gap

__all__ = [
    "active_set",
    "cyclic_coordinate_descent",
    "gram_descent",
    "padded_size",
    "polish",
]


def padded_size(p: int) -> int:
    """The compiled problem size for ``p`` features: the next power of two, at least 8."""
    return max(8, 1 << max(p - 1, 0).bit_length())


@partial(jax.jit, static_argnames=("positive",))
def _cd_loop(H, g, y_norm2, w0, l1, l2, free, free_mask, tol, max_epochs, *, positive: bool):
    diag = jnp.diag(H)
    usable = diag > 0  # padded or all-zero columns stay at 0
    inv_diag = jnp.where(usable, 1.0 / jnp.where(usable, diag, 1.0), 0.0)
    # free: indices of the unpenalised weights, padded with masked-out entries.
    H_free = H[:, free]
    H_free_free = H_free[free]
    pair_mask = free_mask[:, None] & free_mask[None, :]

    def dual_of(w, v, r2, r_y):
        if free.shape[0] == 0:
            return None, True
        select = free_mask & ((w[free] > 0) | (v[free] > 0)) if positive else free_mask
        # a = H_UU^+ X~_U' R on the selected entries: the others get an identity block.
        M = jnp.where(pair_mask & select[:, None] & select[None, :], H_free_free, 0.0)
        M = M + jnp.diag(jnp.where(select, 0.0, 1.0))
        v_free = jnp.where(select, v[free], 0.0)
        a = jnp.where(select, jnp.linalg.pinv(M, hermitian=True) @ v_free, 0.0)
        v_rho = v - H_free @ a
        # Projected entries have X~_j' rho = 0 up to rounding; the others must be <= 0.
        unprojected = free_mask & ~select
        feasible = jnp.all(jnp.where(unprojected, v_rho[free], 0.0) <= 0) if positive else True
        return (v_rho, r2 - a @ v_free, r_y - a @ g[free]), feasible

    def gap_of(w, Hw):
        g_w = g @ w
        v = g - Hw
        r2 = jnp.maximum(y_norm2 - 2.0 * g_w + w @ Hw, 0.0)
        r_y = y_norm2 - g_w
        dual, feasible = dual_of(w, v, r2, r_y)
        gap = duality_gap(w, v, r2, r_y, l1, l2, positive, dual=dual)
        return jnp.where(feasible, gap, jnp.inf)

    def update(j, carry):
        w, Hw = carry
        z = w[j] + (g[j] - Hw[j]) * inv_diag[j]
        prox = elastic_net_prox(z, inv_diag[j], l1[j], l2[j], positive=positive)
        new = jnp.where(usable[j], prox, 0.0)
        delta = new - w[j]
        # Most lasso coordinates stay at 0: skip their O(p) update of H w.
        Hw = jax.lax.cond(delta != 0, lambda: Hw + delta * H[j], lambda: Hw)
        return w.at[j].set(new), Hw

    def epoch(state):
        w, Hw, n_epochs, _ = state
        w, Hw = jax.lax.fori_loop(0, w.shape[0], update, (w, Hw))
        return w, Hw, n_epochs + 1, gap_of(w, Hw)

    def not_done(state):
        _, _, n_epochs, gap = state
        return (gap > tol * y_norm2) & (n_epochs < max_epochs)

    Hw0 = H @ w0
    state = (w0, Hw0, jnp.asarray(0), gap_of(w0, Hw0))
    w, _, n_epochs, gap = jax.lax.while_loop(not_done, epoch, state)
    return w, n_epochs, gap


def gram_descent(
    H: np.ndarray,
    g: np.ndarray,
    y_norm2: float,
    l1: np.ndarray,
    l2: np.ndarray,
    *,
    positive: bool,
    tol: float,
    max_iter: int,
    w0: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Coordinate descent on ``1/2 w'Hw - g'w + 1/2 y_norm2 + h(w)`` from Gram quantities.

    ``H = X~'X~``, ``g = X~'y~`` and ``y_norm2 = ||y~||^2`` of any ``p`` columns (all of
    them, or a working set); ``l1`` and ``l2`` hold one rate per column.  Stops when the
    duality gap is ``<= tol y_norm2`` or after ``max_iter`` epochs.  Returns the weights
    and the number of epochs run.
    """
    p = H.shape[0]
    size = padded_size(p)
    H_padded = np.zeros((size, size))
    H_padded[:p, :p] = H
    start = np.zeros(size)
    if w0 is not None:
        start[:p] = np.maximum(w0, 0.0) if positive else w0
    free = np.flatnonzero((l1 == 0) & (l2 == 0))
    n_free = padded_size(free.size) if free.size else 0
    free_idx = np.zeros(n_free, dtype=np.int32)
    free_idx[: free.size] = free
    # numpy arguments go to the compiled loop as they are: jit's own transfer is cheaper
    # than jnp.asarray's dispatch, which dominated small fits.
    w, n_epochs, _ = _cd_loop(
        H_padded,
        _padded(g, size),
        float(y_norm2),
        start,
        _padded(l1, size),
        _padded(l2, size),
        free_idx,
        np.arange(n_free) < free.size,
        float(tol),
        int(max_iter),
        positive=bool(positive),
    )
    return np.asarray(w, dtype=np.float64)[:p], int(n_epochs)


def cyclic_coordinate_descent(
    X_t: np.ndarray,
    y_t: np.ndarray,
    prior: Prior,
    *,
    positive: bool,
    tol: float,
    max_iter: int,
    w0: np.ndarray | None = None,
    gram: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, int]:
    """Minimise ``1/2 ||y_t - X_t w||^2 + h(w)`` by cyclic proximal coordinate descent.

    ``h`` is the penalty of ``prior``, with the rates ``prior.rates(p)`` (which checks
    that a prior with penalty factors has one per feature).  ``gram`` is
    ``(X_t'X_t, X_t'y_t)`` when the caller has it already.  Returns the weights (exact
    zeros off the support) and the number of epochs run.
    """
    l1_rates, l2_rates = prior.rates(X_t.shape[1])
    H, g = (X_t.T @ X_t, X_t.T @ y_t) if gram is None else gram
    return gram_descent(
        H,
        g,
        float(y_t @ y_t),
        np.asarray(l1_rates, dtype=np.float64),
        np.asarray(l2_rates, dtype=np.float64),
        positive=positive,
        tol=tol,
        max_iter=max_iter,
        w0=w0,
    )


def _padded(a: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros(size)
    out[: a.shape[0]] = a
    return out


def _solve_on_support(X_t, y_t, support, signs, l1, l2, gram=None) -> np.ndarray | None:
    """``w_S`` solving ``(X~_S'X~_S + 2 diag(l2_S)) w_S = X~_S'y~ - l1_S * s``, or None.

    None when the support is empty or the system is singular (more free directions
    than equations).  A well-conditioned system is solved from the Gram matrix (taken
    from ``gram = (X~'X~, X~'y~)`` when given, else formed on ``S``; see
    :func:`_solve_on_support_by_gram`); otherwise, or when that fails, by a QR
    factorisation of ``[X~_S; diag(sqrt(2 l2_S))]``.
    """
    if support.size == 0:
        return None
    l1_s, l2_s = l1[support], l2[support]
    u = _solve_on_support_by_gram(X_t, y_t, support, signs, l1_s, l2_s, gram)
    if u is not None:
        return u
    A = X_t[:, support]
    ridge = l2_s > 0
    if ridge.any():
        A = np.vstack([A, np.diag(np.sqrt(2.0 * l2_s))[ridge]])
    if A.shape[0] < support.size:
        return None
    # (A'A) u = A'y~ - l1 s with A = QR:  u = R^{-1} (Q'y~ - R^{-T} l1 s).
    Q, R = np.linalg.qr(A)
    r_diag = np.abs(np.diag(R))
    if r_diag.min() <= 1e-12 * r_diag.max():
        return None
    rhs = Q[: X_t.shape[0]].T @ y_t
    if np.any(l1_s > 0):
        rhs = rhs - scipy.linalg.solve_triangular(R, l1_s * signs, trans="T")
    return scipy.linalg.solve_triangular(R, rhs)


# The Gram route squares the condition number: below this ratio of the Cholesky factor's
# smallest to largest diagonal entry (condition number of the Gram above 1e8, of X~_S
# above 1e4) the QR route is used, so that the refined solution keeps QR's accuracy.
_GRAM_CONDITION = 1e-4


def _solve_on_support_by_gram(X_t, y_t, support, signs, l1_s, l2_s, gram) -> np.ndarray | None:
    """The same system from the Gram matrix: Cholesky, then one step of refinement.

    ``M = X~_S'X~_S + 2 diag(l2_S)`` (from ``gram`` when given: nothing of size ``n`` is
    formed) is factored by Cholesky, and the solution refined once with the residual of
    the optimality conditions computed from the data, ``X~_S'(y~ - X~_S u) - 2 l2_S u -
    l1_S s`` (corrected semi-normal equations; Bjorck, 1987), which recovers the accuracy
    the Gram lost when ``M`` is well conditioned.  ``n |S|^2`` operations against QR's
    ``2 (n + |S|) |S|^2``.  None when ``M`` is not well conditioned.
    """
    X_s = X_t[:, support]
    if gram is None:
        M, rhs = X_s.T @ X_s, X_s.T @ y_t
    else:
        M, rhs = gram[0][np.ix_(support, support)], gram[1][support]
    M[np.diag_indices(support.size)] += 2.0 * l2_s
    try:
        factor = scipy.linalg.cho_factor(M, check_finite=False)
    except scipy.linalg.LinAlgError:
        return None
    r_diag = np.abs(np.diag(factor[0]))
    if not r_diag.min() > _GRAM_CONDITION * r_diag.max():
        return None
    u = scipy.linalg.cho_solve(factor, rhs - l1_s * signs, check_finite=False)
    residual = X_s.T @ (y_t - X_s @ u) - 2.0 * l2_s * u - l1_s * signs
    return u + scipy.linalg.cho_solve(factor, residual, check_finite=False)


# How far along a null-space descent direction the target is put: far enough that a
# weight always reaches zero first (the objective falls without bound in the orthant).
_LONG_STEP = 1e12


def _null_space_descent(A: np.ndarray, l1_signs: np.ndarray) -> np.ndarray:
    """``-P_N (l1 * s)``, the steepest descent within the null space ``N`` of ``A``."""
    _, singular_values, vt = np.linalg.svd(A, full_matrices=True)
    rank = int(np.sum(singular_values > 1e-12 * singular_values.max(initial=0.0)))
    null = vt[rank:]
    return -(null.T @ (null @ l1_signs))


def _rates(l1, l2, shape) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.broadcast_to(np.asarray(l1, dtype=np.float64), shape),
        np.broadcast_to(np.asarray(l2, dtype=np.float64), shape),
    )


def polish(
    X_t: np.ndarray, y_t: np.ndarray, w: np.ndarray, l1, l2, *, positive: bool, gram=None
) -> np.ndarray | None:
    """Solve the optimality conditions exactly on the support of ``w`` with its signs.

    ``l1`` and ``l2`` are scalars or arrays with one rate per weight; ``gram`` is
    ``(X_t'X_t, X_t'y_t)`` when the caller has it (then nothing of size ``n`` is
    factored, see :func:`_solve_on_support_by_gram`).  Returns the
    polished weights, or None when the support's system is singular or the solution
    leaves the sign pattern (then the support itself was not yet right).  An unpenalised
    weight (``l1_j = l2_j = 0``) may change sign, unless ``positive``.
    """
    support = np.flatnonzero(w)
    if support.size == 0:
        return None
    l1, l2 = _rates(l1, l2, w.shape)
    signs = np.sign(w[support])
    u = _solve_on_support(X_t, y_t, support, signs, l1, l2, gram)
    if u is None:
        return None
    # The sign of an unpenalised weight does not enter its optimality condition.
    penalised = (l1[support] > 0) | (l2[support] > 0)
    if not np.all(np.sign(u[penalised]) == signs[penalised]) or (positive and np.any(u <= 0)):
        return None
    out = np.zeros_like(w)
    out[support] = u
    return out


def active_set(
    X_t: np.ndarray,
    y_t: np.ndarray,
    w: np.ndarray,
    l1,
    l2,
    *,
    positive: bool,
    max_steps: int | None = None,
) -> np.ndarray | None:
    """The exact minimiser by an active-set method (Osborne, Presnell & Turlach, 2000).

    Starts from the support of ``w`` (or from the unpenalised weights alone when that
    support's system is singular) and repeats: solve the optimality conditions on the
    support ``S`` with signs ``s``; move from the current point toward that solution,
    stopping where a penalised weight first reaches zero (it leaves ``S``); once the
    solution is reached, add the weight that violates ``|x_j' r| <= l1_j`` most, with the
    sign of ``x_j' r``.  Each move stays in one orthant, where the objective is a convex
    quadratic minimised by the target, so the objective never increases.  This finishes
    what coordinate descent leaves undone when it crawls (``p > n``, nearly collinear
    columns).  Returns None when a support's system is singular or after ``max_steps``.

    References
    ----------
    .. [1] M. R. Osborne, B. Presnell and B. A. Turlach, "A new approach to variable
       selection in least squares problems", IMA J. Numer. Anal. 20(3), 2000.
    """
    p = w.shape[0]
    l1, l2 = _rates(l1, l2, w.shape)
    free = (l1 == 0) & (l2 == 0)
    max_steps = 4 * (p + 1) if max_steps is None else max_steps
    current = np.where(free | (w != 0), w, 0.0)
    in_set = (current != 0) | free
    signs = np.sign(current)
    if _solve_on_support(X_t, y_t, np.flatnonzero(in_set), signs[in_set], l1, l2) is None:
        current, in_set, signs = np.zeros(p), free.copy(), np.zeros(p)
    # KKT violations below this are rounding: a relative 1e-13 of the largest |x_j' y~|.
    tolerance = 1e-13 * max(float(np.max(np.abs(X_t.T @ y_t), initial=0.0)), 1e-300)
    for _ in range(max_steps):
        support = np.flatnonzero(in_set)
        if support.size:
            target_s = _solve_on_support(X_t, y_t, support, signs[support], l1, l2)
            if target_s is None:
                # More weights than equations: the orthant's quadratic is flat along the
                # null space N of X~_S and falls linearly along -P_N (l1_S s), so move
                # that way until a weight reaches zero (Osborne et al., section 4).
                step = np.zeros(p)
                step[support] = _null_space_descent(X_t[:, support], l1[support] * signs[support])
                if not np.any(step):
                    return None
                target = current + step * _LONG_STEP
            else:
                target = np.zeros(p)
                target[support] = target_s
            # The first penalised weight to reach zero on the way to the target.
            step = target - current
            leaving = in_set & ~free & (np.sign(target) != signs) & (step != 0)
            if positive:
                leaving = in_set & (target <= 0) & (step != 0)
            if np.any(leaving):
                fractions = -current[leaving] / step[leaving]
                k = int(np.argmin(fractions))
                j = np.flatnonzero(leaving)[k]
                current = current + max(fractions[k], 0.0) * step
                current[j], in_set[j], signs[j] = 0.0, False, 0.0
                continue
            current = target
        correlation = X_t.T @ (y_t - X_t @ current) - 2.0 * l2 * current
        violation = np.abs(correlation) - l1
        if positive:
            violation = correlation - l1
        violation[in_set] = -np.inf
        j = int(np.argmax(violation))
        if violation[j] <= tolerance:
            return current
        in_set[j], signs[j] = True, np.sign(correlation[j])
    return None
