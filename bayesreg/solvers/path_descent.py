"""The elastic-net MAP along a whole grid of penalty strengths, in one compiled kernel.

Along a decreasing grid ``l1_1 > l1_2 > ... > l1_K`` (the rates ``l1_k = n alpha_k rho``,
``l2_k = n alpha_k (1 - rho) / 2`` of the noise-scaled prior at unit noise) the problem
at every point is

``min_w  F_k(w) = 1/2 w' H w - g' w + 1/2 ||y~||^2 + l1_k ||w||_1 + l2_k ||w||^2``

with the same Gram matrix ``H = X~'X~`` and ``g = X~'y~``.  :func:`gram_path` forms them
once and runs the whole grid in a single compiled ``lax.scan``: each point is warm-started
at the previous one and runs cyclic coordinate descent epochs until its duality gap
(computed from ``H w``, ``g`` and ``||y~||^2`` as in
:mod:`~bayesreg.solvers.coordinate_descent`) is ``<= tol ||y~||^2``.  The epochs sweep a
*working set* only: the sequential strong rule of Tibshirani et al. (2012) keeps feature
``j`` at point ``k`` when

``|g_j - (H w_{k-1})_j| >= 2 l1_k - l1_{k-1}``

or ``w_j != 0``; once the working set's own gap is below tolerance, the features that
violate ``|X~_j' R| <= l1_k`` are added, so the strong rule only saves work, never
changes the answer (the stopping rule is the gap of the full problem).

:func:`polish_path` then makes each point exact, as :func:`~bayesreg.solvers.solve_map`
does: the optimality conditions on the support ``S`` with signs ``s``,
``(H_SS + 2 l2 I) w_S = g_S - l1 s``, are solved directly, and the solution is kept when
its signs agree and its duality gap (again from Gram quantities) is at rounding level;
weights that come out with the wrong sign leave ``S`` and the solve is repeated.  For a
small padded ``p`` (up to 64) this happens inside the kernel, where each point first tries
the previous point's support and signs at its own rates: along a stretch of the path
where the support does not change that is already the exact answer (the lasso path is
piecewise linear), with no epoch at all.  Where the support solve fails, descent goes on
to a 1000x tighter gap and tries again (:func:`solve_point`); a point that still fails is
left to the caller (``solve_map``, with its active-set method).

When a ``p x p`` Gram matrix does not pay (``p > n``, or very many features),
:func:`working_set_path` runs the same kernel one point at a time on the Gram matrix of a
working set of columns (ever-active features, the strong rule's, and KKT violators,
checked against all columns with one ``X~' R`` per solve); its Gram blocks are computed
once and reused along the path, and a point where descent crawls (a support of nearly
``n`` features) is finished by the exact active-set method on the working set.

Compilation.  The kernel is compiled once per (padded ``p``, padded grid length,
``positive``): ``p`` is padded to a power of two with inert zero columns
(:func:`~bayesreg.solvers.coordinate_descent.padded_size`) and the grid to a power of
two by repeating its last point (converged on arrival), so other grids,
other data and other ``n`` reuse it.

References
----------
.. [1] J. Friedman, T. Hastie and R. Tibshirani, "Regularization paths for generalized
   linear models via coordinate descent", J. Stat. Softw. 33(1), 2010.
.. [2] R. Tibshirani, J. Bien, J. Friedman, T. Hastie, N. Simon, J. Taylor and
   R. J. Tibshirani, "Strong rules for discarding predictors in lasso-type problems",
   J. R. Stat. Soc. B 74(2), 2012.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg
import scipy.linalg.blas
import scipy.linalg.lapack

from bayesreg.priors.elastic_net import elastic_net_prox
from bayesreg.solvers.certificate import Certificate, duality_gap, kkt_violation
from bayesreg.solvers.coordinate_descent import active_set, padded_size

__all__ = [
    "GramPath",
    "gram_matrix",
    "gram_path",
    "polish_path",
    "solve_point",
    "working_set_path",
]

# A relative duality gap this small is the exact optimum up to rounding (as in solve_map).
EXACT_GAP = 1e-12


class GramPath(NamedTuple):
    """Coordinate-descent points of a path and what certifies them.

    Attributes
    ----------
    coefs : ndarray of shape (n_alphas, n_features)
        The weights at each point (exact zeros off the support).
    certificates : list of Certificate or None
        A point solved exactly in the kernel (its support solve kept the signs and
        brought the gap to rounding level) carries its certificate, from Gram
        quantities in the unit-noise scale; the others (None) stopped at
        ``gap <= tol ||y~||^2`` and are left to :func:`polish_point`.
    n_iter : ndarray of int, shape (n_alphas,)
        Epochs spent at each point.
    """

    coefs: np.ndarray
    certificates: list
    n_iter: np.ndarray


# Kernel outcome of a point: still running, solved exactly, or stopped at tol unpolished.
_RUNNING, _EXACT, _AT_TOL = 0, 1, 2

# The in-kernel support solve is a masked Cholesky of the padded p x p system, so it
# pays only for small padded sizes; larger ones are polished on the support in numpy.
_KERNEL_POLISH_MAX_SIZE = 64


@partial(jax.jit, static_argnames=("positive", "polish"))
def _path_kernel(H, g, y_norm2, w0, l1s, l2s, tol, max_epochs, *, positive: bool, polish: bool):
    size = H.shape[0]
    diag = jnp.diag(H)
    usable = diag > 0  # padded or all-zero columns stay at 0
    inv_diag = jnp.where(usable, 1.0 / jnp.where(usable, diag, 1.0), 0.0)
    floor = EXACT_GAP * y_norm2

    def correlation_excess(v, l1):
        # > 0 where X~_j' R violates the l1 part's bound (sign-aware when positive).
        return (v if positive else jnp.abs(v)) - l1

    def residual_summaries(w, Hw):
        g_w = g @ w
        r2 = jnp.maximum(y_norm2 - 2.0 * g_w + w @ Hw, 0.0)
        return g - Hw, r2, y_norm2 - g_w

    def gaps_of(w, Hw, ws, l1, l2):
        v, r2, r_y = residual_summaries(w, Hw)
        full = duality_gap(w, v, r2, r_y, l1, l2, positive)
        # Off the working set w_j = 0: zeroing X~_j' R there gives the gap of the
        # problem restricted to the working set.
        restricted = duality_gap(w, jnp.where(ws, v, 0.0), r2, r_y, l1, l2, positive)
        return full, restricted, v

    def one_point(carry, rates):
        w, Hw, l1_prev = carry
        l1, l2 = rates
        v = g - Hw
        strong = (correlation_excess(v, 2.0 * l1 - l1_prev) >= 0) | (w != 0)
        strong = strong & usable

        def update(i, state):
            w, Hw, order = state
            j = order[i]
            z = w[j] + (g[j] - Hw[j]) * inv_diag[j]
            prox = elastic_net_prox(z, inv_diag[j], l1, l2, positive=positive)
            new = jnp.where(usable[j], prox, 0.0)
            delta = new - w[j]
            # Coordinates that stay at 0 skip their O(p) update of H w.
            Hw = jax.lax.cond(delta != 0, lambda: Hw + delta * H[j], lambda: Hw)
            return w.at[j].set(new), Hw, order

        def epoch(state):
            w, Hw, ws, n_epochs, _, _, target, status, deadline = state
            (order,) = jnp.nonzero(ws, size=size, fill_value=0)
            w, Hw, _ = jax.lax.fori_loop(0, jnp.sum(ws), update, (w, Hw, order))
            full, restricted, v = gaps_of(w, Hw, ws, l1, l2)
            # The working set's own problem is solved: add the features that violate
            # their optimality condition outside it.
            grow = (restricted <= target) & (full > target)
            ws = ws | (grow & (correlation_excess(v, l1) > 0) & usable)
            return w, Hw, ws, n_epochs + 1, full, restricted, target, status, deadline

        def support_solve(state):
            # (H_SS + 2 l2 I) u_S = g_S - l1 s on the support S with signs s; the
            # identity fills the rest of the padded matrix so one Cholesky serves.
            w, Hw, ws, n_epochs, full, restricted, target, _, deadline = state
            support = w != 0
            signs = jnp.sign(w)
            pair = support[:, None] & support[None, :]
            A = jnp.where(pair, H, 0.0) + jnp.diag(jnp.where(support, 2.0 * l2, 1.0))
            b = jnp.where(support, g - l1 * signs, 0.0)
            u = jax.scipy.linalg.cho_solve(jax.scipy.linalg.cho_factor(A), b)
            u = jnp.where(support, u, 0.0)
            keeps = jnp.all(jnp.where(support, jnp.sign(u) == signs, True))
            keeps = keeps & jnp.all(jnp.isfinite(u))
            Hu = H @ u
            v, r2, r_y = residual_summaries(u, Hu)
            gap_u = duality_gap(u, v, r2, r_y, l1, l2, positive)
            exact = keeps & (gap_u <= floor)
            # Not exact: the support is not yet right; descend to a 1000x tighter gap
            # and try again, down to rounding level (as solve_map does).
            at_floor = target <= floor
            new_status = jnp.where(exact, _EXACT, jnp.where(at_floor, _AT_TOL, _RUNNING))
            # Descending below tol pays only while the support settles quickly; a point
            # that crawls (|S| near n, collinear columns) is left to the exact active-set
            # method on the host after twice its epochs so far.
            first_tightening = target == tol * y_norm2
            deadline = jnp.where(
                first_tightening, jnp.minimum(deadline, 2 * n_epochs + 50), deadline
            )
            return (
                jnp.where(exact, u, w),
                jnp.where(exact, Hu, Hw),
                ws,
                n_epochs,
                jnp.where(exact, gap_u, full),
                restricted,
                jnp.where(jnp.isinf(target), tol * y_norm2, jnp.maximum(target * 1e-3, floor)),
                new_status,
                deadline,
            )

        def stop_at_tol(state):
            return (*state[:7], jnp.asarray(_AT_TOL), state[8])

        def step(state):
            reached = state[4] <= state[6]
            return jax.lax.cond(reached, support_solve if polish else stop_at_tol, epoch, state)

        def not_done(state):
            return (state[7] == _RUNNING) & (state[3] < state[8])

        full, restricted, _ = gaps_of(w, Hw, strong, l1, l2)
        # With the kernel's support solve, the first step solves the previous point's
        # support and signs at the new rates: along a stretch of the path where the
        # support does not change, that is the exact answer with no epoch at all (the
        # lasso path is piecewise linear in l1).  An infinite target asks for it.
        target = jnp.inf if polish else tol * y_norm2
        state = (
            w,
            Hw,
            strong,
            jnp.asarray(0),
            full,
            restricted,
            target,
            jnp.asarray(_RUNNING),
            jnp.asarray(max_epochs),
        )
        w, Hw, _, n_epochs, full, _, _, status, _ = jax.lax.while_loop(not_done, step, state)
        v, r2, _ = residual_summaries(w, Hw)
        objective = 0.5 * r2 + l1 * jnp.sum(jnp.abs(w)) + l2 * (w @ w)
        kkt = kkt_violation(w, v, l1, l2, positive)
        return (w, Hw, l1), (w, full, objective, kkt, n_epochs, status)

    Hw0 = H @ w0
    v0 = g - Hw0
    l1_start = jnp.maximum(l1s[0], jnp.max(jnp.abs(v0)))
    _, outputs = jax.lax.scan(one_point, (w0, Hw0, l1_start), (l1s, l2s))
    return outputs


def gram_matrix(X_t: np.ndarray) -> np.ndarray:
    """``X~' X~`` by BLAS ``syrk`` (half the flops of a product, no copy of ``X~``)."""
    if X_t.shape[0] == 0 or X_t.shape[1] == 0:
        return X_t.T @ X_t
    if X_t.flags.f_contiguous:
        upper = scipy.linalg.blas.dsyrk(1.0, X_t, trans=1)
    else:
        # A C-ordered (n, p) array is the Fortran-ordered (p, n) array X~'.
        upper = scipy.linalg.blas.dsyrk(1.0, np.ascontiguousarray(X_t).T, trans=0)
    upper = np.triu(upper)
    return upper + np.triu(upper, 1).T


def padded_grid_length(k: int) -> int:
    """The compiled grid length for ``k`` points: the next power of two."""
    return 1 << max(k - 1, 0).bit_length()


def gram_path(
    H: np.ndarray,
    g: np.ndarray,
    y_norm2: float,
    l1s: np.ndarray,
    l2s: np.ndarray,
    *,
    positive: bool,
    tol: float,
    max_iter: int,
    w0: np.ndarray | None = None,
) -> GramPath:
    """Coordinate descent along the grid of rates ``(l1s[k], l2s[k])``, warm-started.

    ``H`` (p x p) and ``g`` (p,) are ``X~'X~`` and ``X~'y~``; every ``l1s[k] > 0``, in
    decreasing order.  Each point runs until its gap is ``<= tol ||y~||^2`` (or
    ``max_iter`` epochs); for small ``p`` it is then solved exactly on its support in the
    kernel (see :class:`GramPath`).
    """
    p = g.shape[0]
    k = l1s.shape[0]
    size, k_size = padded_size(p), padded_grid_length(k)
    H_pad = np.zeros((size, size))
    H_pad[:p, :p] = H
    g_pad = np.zeros(size)
    g_pad[:p] = g
    start = np.zeros(size)
    if w0 is not None:
        start[:p] = np.maximum(w0, 0.0) if positive else w0
    # Extra grid points repeat the last one: converged on arrival, they cost one gap.
    l1_pad = np.concatenate([l1s, np.full(k_size - k, l1s[-1])])
    l2_pad = np.concatenate([l2s, np.full(k_size - k, l2s[-1])])
    W, gaps, objectives, kkts, epochs, status = (
        np.asarray(a)[:k]
        for a in _path_kernel(
            H_pad,
            g_pad,
            float(y_norm2),
            start,
            l1_pad,
            l2_pad,
            float(tol),
            int(max_iter),
            positive=bool(positive),
            polish=size <= _KERNEL_POLISH_MAX_SIZE,
        )
    )
    kkt_scale = float(np.max(np.abs(g), initial=0.0))
    kkts = kkts / kkt_scale if kkt_scale > 0 else kkts
    gaps = np.maximum(gaps, 0.0)
    relative = gaps / y_norm2 if y_norm2 > 0 else gaps
    certificates = [
        Certificate(objective=o, duality_gap=d, relative_gap=r, kkt_violation=c, tol=float(tol))
        if s == _EXACT
        else None
        for o, d, r, c, s in zip(
            objectives.tolist(),
            gaps.tolist(),
            relative.tolist(),
            kkts.tolist(),
            status.tolist(),
            strict=True,
        )
    ]
    return GramPath(
        coefs=W[:, :p].astype(np.float64), certificates=certificates, n_iter=epochs.astype(int)
    )


def _gram_certificate(H_S, g, H_cols, y_norm2, w, support, l1, l2, positive, tol, v=None):
    """Certificate of ``w`` (support ``S``) from Gram quantities; ``v = X~' R`` if known.

    ``H_cols`` is ``H[:, S]`` (all rows), ``H_S`` is ``H[S][:, S]``.
    """
    l1, l2 = np.float64(l1), np.float64(l2)  # numpy scalars: the gap's masks are arrays
    w_S = w[support]
    if v is None:
        v = g - H_cols @ w_S
    g_w = float(g[support] @ w_S)
    r2 = max(y_norm2 - 2.0 * g_w + float(w_S @ (H_S @ w_S)), 0.0)
    r_y = y_norm2 - g_w
    gap = max(float(duality_gap(w, v, r2, r_y, l1, l2, positive)), 0.0)
    h = l1 * float(np.sum(np.abs(w_S))) + l2 * float(w_S @ w_S)
    kkt_scale = float(np.max(np.abs(g), initial=0.0))
    kkt = float(kkt_violation(w, v, l1, l2, positive))
    return Certificate(
        objective=0.5 * r2 + h,
        duality_gap=gap,
        relative_gap=gap / y_norm2 if y_norm2 > 0 else gap,
        kkt_violation=kkt / kkt_scale if kkt_scale > 0 else kkt,
        tol=float(tol),
    )


def _solve_support(H_S, g_S, signs, l1, l2) -> np.ndarray | None:
    """``(H_SS + 2 l2 I)^{-1} (g_S - l1 s)``, or None when the system is singular."""
    A = H_S + 2.0 * l2 * np.eye(H_S.shape[0])
    # LAPACK directly: scipy's cho_factor wrapper costs more than the factorisation here.
    factor, info = scipy.linalg.lapack.dpotrf(A, lower=False, clean=False)
    if info != 0:
        return None
    u, info = scipy.linalg.lapack.dpotrs(factor, g_S - l1 * signs, lower=False)
    return u if info == 0 and np.all(np.isfinite(u)) else None


# Support solves per point: the first on the support found, then (when some weights
# come out with the wrong sign) again without them.
_SUPPORT_ROUNDS = 3


def polish_point(H, g, y_norm2, w, l1, l2, *, positive, tol):
    """The exact point on the support of ``w``, certified, or None.

    Solves ``(H_SS + 2 l2 I) u = g_S - l1 s`` on the support ``S`` of ``w`` with its
    signs ``s``.  Weights that come out with the other sign (or <= 0 when ``positive``)
    were still shrinking towards zero in coordinate descent: they leave ``S`` and the
    solve is repeated (a few rounds).  Returns ``(weights, X~' R, certificate)`` once
    ``u`` keeps the signs and its relative duality gap is at rounding level
    (``<= EXACT_GAP``: that test, not the heuristic, decides); for ``w = 0`` the same
    test applies to ``w`` itself.  None otherwise (the support is not right).
    """
    support = np.flatnonzero(w)
    for _ in range(_SUPPORT_ROUNDS):
        if support.size == 0:
            zero = np.zeros_like(w)
            cert = _gram_certificate(
                np.zeros((0, 0)), g, H[:, :0], y_norm2, zero, support, l1, l2, positive, tol
            )
            return (zero, g.copy(), cert) if cert.relative_gap <= EXACT_GAP else None
        H_cols = H[:, support]
        H_S = H_cols[support]
        signs = np.sign(w[support])
        u = _solve_support(H_S, g[support], signs, l1, l2)
        if u is None:
            return None
        kept = (u > 0) if positive else (np.sign(u) == signs)
        if not kept.all():
            support = support[kept]
            continue
        polished = np.zeros_like(w)
        polished[support] = u
        cert = _gram_certificate(H_S, g, H_cols, y_norm2, polished, support, l1, l2, positive, tol)
        return (polished, g - H_cols @ u, cert) if cert.relative_gap <= EXACT_GAP else None
    return None


def solve_point(H, g, y_norm2, l1, l2, w0, *, positive, tol, max_iter):
    """One point solved exactly from ``w0``: descend, polish, tighten, as ``solve_map`` does.

    Coordinate descent to ``gap <= tol ||y~||^2``, then the support solve; when that
    fails (the support is not yet right), descent to a 1000x tighter gap and again, down
    to rounding level.  Returns ``(w, certificate or None, epochs)``.
    """
    level, w, epochs = tol, w0, 0
    while True:
        step = gram_path(
            H,
            g,
            y_norm2,
            np.array([l1]),
            np.array([l2]),
            positive=positive,
            tol=level,
            max_iter=max(max_iter - epochs, 1),
            w0=w,
        )
        epochs += int(step.n_iter[0])
        w, certificate = step.coefs[0], step.certificates[0]
        if certificate is not None:
            return w, certificate._replace(tol=float(tol)), epochs
        polished = polish_point(H, g, y_norm2, w, l1, l2, positive=positive, tol=tol)
        if polished is not None:
            return polished[0], polished[2], epochs
        # The kernel's own support solve already tightened down to rounding level.
        kernel_polished = padded_size(g.shape[0]) <= _KERNEL_POLISH_MAX_SIZE
        if kernel_polished or level <= EXACT_GAP or epochs >= max_iter:
            return w, None, epochs
        if level == tol:
            # As in the kernel: below tol, twice the epochs so far and no more.
            max_iter = min(max_iter, 3 * epochs + 50)
        level = max(level * 1e-3, EXACT_GAP)


def polish_path(
    H: np.ndarray,
    g: np.ndarray,
    y_norm2: float,
    path: GramPath,
    l1s,
    l2s,
    *,
    positive,
    tol,
    max_iter,
) -> tuple[np.ndarray, list[Certificate | None], np.ndarray]:
    """The points of ``path`` that the kernel left at ``tol``, made exact.

    Each is solved on its support; where that fails, :func:`solve_point` descends
    further and tries again.  Returns the weights, per point a :class:`Certificate`
    (unit-noise scale, from Gram quantities) or None where even that failed (the caller
    solves it by other means), and the epochs.
    """
    coefs = path.coefs.copy()
    certificates = list(path.certificates)
    n_iter = path.n_iter.copy()
    for k, certificate in enumerate(certificates):
        if certificate is not None:
            continue
        result = polish_point(H, g, y_norm2, coefs[k], l1s[k], l2s[k], positive=positive, tol=tol)
        if result is not None:
            coefs[k], _, certificates[k] = result
            continue
        coefs[k], certificates[k], epochs = solve_point(
            H,
            g,
            y_norm2,
            l1s[k],
            l2s[k],
            coefs[k],
            positive=positive,
            tol=tol,
            max_iter=max(max_iter - int(n_iter[k]), 1),
        )
        n_iter[k] += epochs
    return coefs, certificates, n_iter


def working_set_path(
    X_t: np.ndarray,
    y_t: np.ndarray,
    l1s: np.ndarray,
    l2s: np.ndarray,
    *,
    positive: bool,
    tol: float,
    max_iter: int,
    w0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, list[Certificate | None]]:
    """The path for many features: each point on the Gram matrix of a working set.

    At point ``k`` the working set ``E`` holds the features ever nonzero, those kept by
    the sequential strong rule ``|X~_j' R_{k-1}| >= 2 l1_k - l1_{k-1}``, and any
    feature found violating ``|X~_j' R_k| <= l1_k`` after solving on ``E`` (then ``E``
    grows and the point is solved again).  ``H_EE`` grows by blocks.  A point whose
    restricted solution satisfies every feature's condition has the same duality gap
    as on ``E``, so the certificate computed on ``E``, with the KKT check over all
    columns, is the full problem's.

    Returns ``(coefs (K, p), n_iter (K,), certificates)``; a certificate is None where
    the point could not be made exact (the caller solves it again).
    """
    p = X_t.shape[1]
    k_total = l1s.shape[0]
    y_norm2 = float(y_t @ y_t)
    coefs = np.zeros((k_total, p))
    n_iter = np.zeros(k_total, dtype=int)
    certificates: list[Certificate | None] = []
    w = (
        np.zeros(p)
        if w0 is None
        else (np.maximum(w0, 0.0) if positive else np.asarray(w0, dtype=np.float64))
    )
    v = X_t.T @ (y_t - X_t @ w)
    l1_prev = max(float(l1s[0]), float(np.max(np.abs(v), initial=0.0)))
    # Gram blocks computed so far (the cache only grows); each point works on a subset.
    cached_cols = np.zeros(0, dtype=int)
    position = np.full(p, -1)
    H_cache = np.zeros((0, 0))
    g_cache = np.zeros(0)
    ever_active = np.zeros(p, dtype=bool)
    kkt_scale = float(np.max(np.abs(X_t.T @ y_t), initial=0.0))
    for k in range(k_total):
        l1, l2 = float(l1s[k]), float(l2s[k])
        excess = v if positive else np.abs(v)
        working = (excess >= 2.0 * l1 - l1_prev) | ever_active | (w != 0)
        while True:
            new = np.flatnonzero(working & (position < 0))
            if new.size:
                X_new = X_t[:, new]
                cross = X_t[:, cached_cols].T @ X_new
                H_cache = np.block([[H_cache, cross], [cross.T, gram_matrix(X_new)]])
                g_cache = np.concatenate([g_cache, X_new.T @ y_t])
                position[new] = np.arange(cached_cols.size, cached_cols.size + new.size)
                cached_cols = np.concatenate([cached_cols, new])
            cols = np.flatnonzero(working)
            index = position[cols]
            w_E, cert, epochs = solve_point(
                H_cache[np.ix_(index, index)],
                g_cache[index],
                y_norm2,
                l1,
                l2,
                w[cols],
                positive=positive,
                tol=tol,
                max_iter=max(max_iter - int(n_iter[k]), 1),
            )
            n_iter[k] += epochs
            if cert is None:
                # Coordinate descent crawls here: the active-set method is exact.
                finished = active_set(X_t[:, cols], y_t, w_E, l1, l2, positive=positive)
                H_E = H_cache[np.ix_(index, index)]
                exact = None
                if finished is not None:
                    exact = polish_point(
                        H_E, g_cache[index], y_norm2, finished, l1, l2, positive=positive, tol=tol
                    )
                if exact is not None:
                    w_E, _, cert = exact
            w = np.zeros(p)
            w[cols] = w_E
            v = X_t.T @ (y_t - X_t[:, cols] @ w_E)
            violating = ((v if positive else np.abs(v)) > l1) & ~working
            if not violating.any() or n_iter[k] >= max_iter:
                break
            working = working | violating
        if cert is not None:
            kkt = float(kkt_violation(w, v, l1, l2, positive))
            cert = cert._replace(kkt_violation=kkt / kkt_scale if kkt_scale > 0 else kkt)
            if violating.any():
                cert = None
        ever_active |= w != 0
        coefs[k] = w
        certificates.append(cert)
        l1_prev = l1
    return coefs, n_iter, certificates
