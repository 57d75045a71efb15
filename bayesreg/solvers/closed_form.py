"""Closed-form MAP under a Gaussian (or flat) prior: ridge regression.

The minimiser of ``1/2 ||y~ - X~ w||^2 + l2 ||w||^2`` solves
``(X~'X~ + 2 l2 I) w = X~' y~``.  For ``l2 > 0`` the matrix is positive definite and is
factored by Cholesky in whichever form is smaller:

* ``p <= n``: the ``p x p`` primal system above;
* ``p > n``: the ``n x n`` kernel system, ``w = X~' (X~ X~' + 2 l2 I)^{-1} y~`` (the same
  ``w``, by the push-through identity).

For ``l2 = 0`` (flat prior), or if the factorisation fails numerically, the thin SVD
``X~ = U diag(s) V'`` gives ``w = V diag(s / (s^2 + 2 l2)) U' y~``, dropping singular
values below ``max(n, p) eps s_max`` when ``l2 = 0``: the minimum-norm least-squares
solution, which is what scikit-learn returns for ``alpha = 0``.

Per-weight rates ``l2_j`` (:class:`~bayesreg.priors.PenaltyFactor`) solve
``(X~'X~ + 2 diag(l2)) w = X~' y~``.  With every ``l2_j > 0`` the change of variable
``z = D^{1/2} w``, ``D = 2 diag(l2)``, makes it the ridge ``(Z'Z + I) z = Z' y~`` on the
columns ``Z = X~ D^{-1/2}``, solved as above; its kernel form is
``w = D^{-1} X~' (X~ D^{-1} X~' + I)^{-1} y~``.  Weights with ``l2_j = 0`` (the set
``U``) make that invalid, and are profiled out instead: with ``Pi`` the orthogonal
projection off the columns of ``X~_U``, the other weights ``w_S`` solve the ridge on
``(Pi X~_S, Pi y~)``, and ``w_U`` is the minimum-norm least-squares fit of
``y~ - X~_S w_S`` on ``X~_U`` (both by the SVD of ``X~_U``, with the rank cut-off above).
This is exact: for fixed ``w_S`` the best ``w_U`` leaves the residual ``Pi (y~ - X~_S w_S)``.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

__all__ = ["ridge_solve", "ridge_svd"]


def ridge_solve(X_t: np.ndarray, y_t: np.ndarray, l2, *, xty=None) -> np.ndarray:
    """``argmin_w 1/2 ||y_t - X_t w||^2 + sum_j l2_j w_j^2`` (minimum-norm where ``l2_j = 0``).

    ``l2`` is a scalar (the same rate for every weight) or an array of one rate per
    weight; ``xty`` is ``X_t'y_t`` when the caller has it.
    """
    l2 = np.asarray(l2, dtype=np.float64)
    if l2.ndim == 1 and l2.size and np.all(l2 == l2[0]):
        l2 = l2[0]
    if l2.ndim == 0:
        return _ridge_scalar(X_t, y_t, float(l2), xty)
    n, p = X_t.shape
    if l2.shape != (p,):
        raise ValueError(f"l2 has {l2.size} entries but X has {p} features.")
    free = l2 == 0
    if not free.any():
        root = np.sqrt(2.0 * l2)
        return _ridge_scalar(X_t / root, y_t, 0.5) / root
    U, s, _ = np.linalg.svd(X_t[:, free], full_matrices=False)
    cutoff = max(n, int(free.sum())) * np.finfo(np.float64).eps * (s[0] if s.size else 0.0)
    basis = U[:, s > cutoff]
    X_s = X_t[:, ~free]
    w = np.zeros(p)
    w[~free] = ridge_solve(X_s - basis @ (basis.T @ X_s), y_t - basis @ (basis.T @ y_t), l2[~free])
    w[free] = ridge_svd(X_t[:, free], y_t - X_s @ w[~free], 0.0)
    return w


def _ridge_scalar(X_t: np.ndarray, y_t: np.ndarray, l2: float, xty=None) -> np.ndarray:
    n, p = X_t.shape
    if l2 > 0 and n > 0 and p > 0:
        try:
            if p <= n:
                gram = X_t.T @ X_t
                gram[np.diag_indices(p)] += 2.0 * l2
                factor = scipy.linalg.cho_factor(gram, check_finite=False)
                rhs = X_t.T @ y_t if xty is None else xty
                return scipy.linalg.cho_solve(factor, rhs, check_finite=False)
            kernel = X_t @ X_t.T
            kernel[np.diag_indices(n)] += 2.0 * l2
            factor = scipy.linalg.cho_factor(kernel, check_finite=False)
            return X_t.T @ scipy.linalg.cho_solve(factor, y_t, check_finite=False)
        except scipy.linalg.LinAlgError:
            pass  # not numerically positive definite: the SVD below is exact regardless
    return ridge_svd(X_t, y_t, l2)


def ridge_svd(X_t: np.ndarray, y_t: np.ndarray, l2: float) -> np.ndarray:
    """The same minimiser by the thin SVD (minimum-norm if ``l2 = 0``)."""
    n, p = X_t.shape
    if n == 0 or p == 0:
        return np.zeros(p)
    U, s, Vt = np.linalg.svd(X_t, full_matrices=False)
    uty = U.T @ y_t
    if l2 > 0:
        d = s / (s * s + 2.0 * l2)
    else:
        cutoff = max(n, p) * np.finfo(np.float64).eps * (s[0] if s.size else 0.0)
        keep = s > cutoff
        d = np.zeros_like(s)
        d[keep] = 1.0 / s[keep]
    return Vt.T @ (d * uty)
