"""Closed-form MAP under a Gaussian (or flat) prior: ridge regression by the SVD.

With ``X~ = U diag(s) V'`` (thin SVD), the minimiser of
``1/2 ||y~ - X~ w||^2 + l2 ||w||^2`` solves ``(X~'X~ + 2 l2 I) w = X~' y~``, i.e.

``w = V diag(s / (s^2 + 2 l2)) U' y~``.

This is exact for ``p > n`` and for rank-deficient ``X~`` (the SVD never forms
``X~'X~``).  For ``l2 = 0`` (flat prior) the singular values below
``max(n, p) eps s_max`` are dropped, giving the minimum-norm least-squares solution,
which is what scikit-learn returns for ``alpha = 0``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ridge_svd"]


def ridge_svd(X_t: np.ndarray, y_t: np.ndarray, l2: float) -> np.ndarray:
    """``argmin_w 1/2 ||y_t - X_t w||^2 + l2 ||w||^2`` by the thin SVD (min-norm if l2 = 0)."""
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
