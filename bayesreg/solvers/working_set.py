"""Coordinate descent on a working set of features, for many features (``p`` large).

Gram-based coordinate descent (:mod:`~bayesreg.solvers.coordinate_descent`) forms
``H = X~'X~``: ``n p^2`` operations and ``p^2`` memory, 20 GB for ``p = 50 000``.  When the
penalty zeroes most weights it is wasted on columns that stay at zero.  A working-set
solver (Massias, Gramfort & Salmon, 2018; Bertrand et al., 2022) solves the problem
restricted to a small set ``W`` of columns, by the same Gram-based descent on
``H_WW = X~_W'X~_W`` (``n |W|^2``), and checks optimality on *all* columns with one product
``v = X~'R`` (``n p``):

1. from the current ``w`` (0 or a warm start), compute ``R = y~ - X~ w`` and ``v = X~'R``,
   and the full duality gap (:func:`~bayesreg.solvers.certificate.explicit_gap`); stop
   when it is ``<= tol ||y~||^2``;
2. rank the columns by how much they violate their optimality condition off the
   support, ``(|v_j| - l1_j) / l1_j`` (``v_j`` for ``w >= 0``); the support and the
   weights without an l1 rate (never zero at the optimum) rank first;
3. take ``W`` as the ``|W|`` best, where ``|W|`` starts at 16 and doubles whenever the
   support (with the weights that have no l1 rate) fills more than three quarters of
   it, so that a quarter of ``W`` is left for new columns and ``|W|`` is a power of two
   (the compiled loop sees few sizes); solve the restricted problem to ``tol / 10``;
4. go back to 1.

The restricted problem's dual point is the full problem's as soon as no column outside
``W`` violates its condition more than the worst in ``W``, and then the two gaps are
equal; until then the worst violators join ``W``.  So the loop ends with the full gap
``<= tol ||y~||^2`` (or when the epochs run out), after which
:func:`~bayesreg.solvers.solve_map` polishes the answer exactly as for the Gram solver.

References
----------
.. [1] M. Massias, A. Gramfort and J. Salmon, "Celer: a fast solver for the Lasso with
   dual extrapolation", ICML 2018.
.. [2] Q. Bertrand, Q. Klopfenstein, P.-A. Bannier, G. Gidel and M. Massias, "Beyond L1:
   faster and better sparse models with skglm", NeurIPS 2022.
"""

from __future__ import annotations

import numpy as np

from bayesreg.solvers.certificate import explicit_gap
from bayesreg.solvers.coordinate_descent import gram_descent

__all__ = ["MIN_WORKING_SET", "working_set_descent"]

#: The smallest working set.
MIN_WORKING_SET = 16

# The restricted problems are solved this much tighter than the full one, so that the
# full gap is met once the set holds the right columns.
_INNER_TOL_FACTOR = 0.1


def working_set_descent(
    X_t: np.ndarray,
    y_t: np.ndarray,
    l1: np.ndarray,
    l2: np.ndarray,
    *,
    positive: bool,
    tol: float,
    max_iter: int,
    w0: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Minimise ``1/2 ||y_t - X_t w||^2 + h(w)`` by coordinate descent on working sets.

    Parameters
    ----------
    X_t, y_t : ndarray
        The centred (weighted) design and target.
    l1, l2 : ndarray of shape (n_features,)
        Rates of ``h(w) = sum_j l1_j |w_j| + l2_j w_j^2``.
    positive : bool
        Constrain ``w >= 0``.
    tol : float
        Stop when the full duality gap is ``<= tol ||y~||^2``.
    max_iter : int
        Most epochs of coordinate descent, summed over the working sets.
    w0 : ndarray or None
        Warm start.

    Returns
    -------
    w : ndarray of shape (n_features,)
    n_epochs : int
    """
    p = X_t.shape[1]
    w = np.zeros(p) if w0 is None else (np.maximum(w0, 0.0) if positive else np.array(w0))
    y_norm2 = float(y_t @ y_t)
    always = l1 == 0  # ridge or unpenalised weights: nonzero at the optimum
    safe_l1 = np.where(always, 1.0, l1)
    n_epochs, size = 0, 0
    while True:
        residual = y_t - X_t @ w
        v = X_t.T @ residual
        gap, _ = explicit_gap(X_t, y_t, w, residual, v, l1, l2, positive=positive)
        if gap <= tol * y_norm2 or n_epochs >= max_iter or size == p:
            return w, n_epochs
        score = ((v if positive else np.abs(v)) - l1) / safe_l1
        score[always | (w != 0)] = np.inf
        n_kept = int(np.count_nonzero(always | (w != 0)))
        target = max(size, MIN_WORKING_SET)
        while 4 * n_kept > 3 * target:  # room for new columns: at least a quarter of W
            target *= 2
        size = min(p, target)
        working = np.sort(np.argpartition(-score, size - 1)[:size]) if size < p else np.arange(p)
        X_w = X_t[:, working]
        w_working, epochs = gram_descent(
            X_w.T @ X_w,
            X_w.T @ y_t,
            y_norm2,
            l1[working],
            l2[working],
            positive=positive,
            tol=_INNER_TOL_FACTOR * tol,
            max_iter=max_iter - n_epochs,
            w0=w[working],
        )
        n_epochs += epochs
        w = np.zeros(p)
        w[working] = w_working
