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
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

__all__ = ["ridge_solve", "ridge_svd"]


def ridge_solve(X_t: np.ndarray, y_t: np.ndarray, l2: float) -> np.ndarray:
    """``argmin_w 1/2 ||y_t - X_t w||^2 + l2 ||w||^2`` (minimum-norm if ``l2 = 0``)."""
    n, p = X_t.shape
    if l2 > 0 and n > 0 and p > 0:
        try:
            if p <= n:
                gram = X_t.T @ X_t
                gram[np.diag_indices(p)] += 2.0 * l2
                factor = scipy.linalg.cho_factor(gram, check_finite=False)
                return scipy.linalg.cho_solve(factor, X_t.T @ y_t, check_finite=False)
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
