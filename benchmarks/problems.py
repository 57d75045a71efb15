"""The benchmark's problems and the one certificate every MAP solution is judged by.

Problems are named ``"diabetes 442x10"`` or ``"synthetic NxP"``; a synthetic problem has
equicorrelated Gaussian features (correlation ``rho = 0.5``), a sparse true weight
vector and unit Gaussian noise, from a seed fixed by its shape, so every process that
builds it gets the same bytes.

:func:`enet_duality_gap` is written from Fenchel duality, independently of every
solver measured, and is applied to every solution (scikit-learn's, celer's, skglm's and
bayesreg's alike).
"""

from __future__ import annotations

import numpy as np

#: Correlation between every pair of synthetic features.
RHO = 0.5
#: The elastic net's mixing parameter in every comparison.
L1_RATIO = 0.5
#: Ridge's penalty in every comparison.
RIDGE_ALPHA = 1.0
#: Lasso and elastic net use this fraction of the alpha that zeroes every weight.
ALPHA_FRACTION = 0.1
#: The target relative duality gap (scikit-learn's default ``tol``; see
#: :func:`relative_gap`).
TARGET_GAP = 1e-4


def shape_of(name: str) -> tuple[int, int]:
    """``(n, p)`` from a problem name ``"... NxP"``."""
    n, p = (int(v) for v in name.split()[-1].split("x"))
    return n, p


def make_problem(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The design ``X`` (n, p) and target ``y`` (n,) of a named problem.

    Synthetic: ``x_i = sqrt(1 - rho) z_i + sqrt(rho) c_i 1`` with ``z_i ~ N(0, I_p)`` and
    ``c_i ~ N(0, 1)``, so ``corr(x_ij, x_ik) = rho``; ``k = max(5, min(p, n) // 10)``
    non-zero weights of random sign and size in [1, 3]; ``y = 3 + X w + e``, ``e ~ N(0, I)``.
    """
    if name.startswith("diabetes"):
        from sklearn.datasets import load_diabetes

        return load_diabetes(return_X_y=True)
    n, p = shape_of(name)
    rng = np.random.default_rng([n, p])
    X = np.sqrt(1.0 - RHO) * rng.standard_normal((n, p))
    X += np.sqrt(RHO) * rng.standard_normal((n, 1))
    k = min(p, max(5, min(p, n) // 10))
    coef = np.zeros(p)
    support = rng.choice(p, size=k, replace=False)
    coef[support] = rng.choice([-1.0, 1.0], size=k) * rng.uniform(1.0, 3.0, size=k)
    y = 3.0 + X @ coef + rng.standard_normal(n)
    return X, y


def centered(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``X`` and ``y`` minus their column means (what an intercept removes)."""
    return X - X.mean(axis=0), y - y.mean()


def alpha_max(X: np.ndarray, y: np.ndarray, l1_ratio: float = 1.0) -> float:
    """The smallest alpha whose (intercept-fitted) lasso / elastic net has ``w = 0``:
    ``max_j |x_j~' y~| / (n rho)`` on centred data."""
    Xc, yc = centered(X, y)
    return float(np.max(np.abs(Xc.T @ yc)) / (len(y) * l1_ratio))


def alpha_for(estimator: str, X: np.ndarray, y: np.ndarray) -> float:
    """Ridge: :data:`RIDGE_ALPHA`; lasso and elastic net: ``alpha_max / 10``."""
    if estimator == "Ridge":
        return RIDGE_ALPHA
    l1_ratio = 1.0 if estimator == "Lasso" else L1_RATIO
    return ALPHA_FRACTION * alpha_max(X, y, l1_ratio)


def path_alphas(X: np.ndarray, y: np.ndarray, n_alphas: int = 100, eps: float = 1e-3):
    """scikit-learn's lasso grid: ``n_alphas`` log-spaced from ``alpha_max`` down to
    ``eps * alpha_max`` (on data that are already centred)."""
    top = float(np.max(np.abs(X.T @ y)) / len(y))
    return top * np.logspace(0.0, np.log10(eps), n_alphas)


def enet_duality_gap(
    X: np.ndarray,
    y: np.ndarray,
    coef: np.ndarray,
    intercept: float,
    alpha: float,
    l1_ratio: float,
    fit_intercept: bool = True,
) -> float:
    """Duality gap of ``(coef, intercept)`` for scikit-learn's elastic-net objective.

    Primal, with ``r = y - X w - b``, ``l1 = alpha rho``, ``l2 = alpha (1 - rho)``:

    ``P(w, b) = ||r||^2 / (2n) + l1 ||w||_1 + (l2 / 2) ||w||^2``.

    Fenchel dual over ``theta`` with ``1' theta = 0`` when an intercept is fitted:

    ``D(theta) = (||y||^2 - ||y - theta||^2) / (2n) - g*(X' theta / n)``,

    where ``g*(v) = sum_j (|v_j| - l1)_+^2 / (2 l2)`` for ``l2 > 0``, and for the lasso
    (``l2 = 0``) the indicator of ``||v||_inf <= l1``.  The dual point is the centred
    residual (rescaled into ``||X' theta / n||_inf <= l1`` for the lasso), so the gap
    ``P - D >= 0`` is zero exactly at the minimiser and bounds ``P - P*`` everywhere.

    Parameters
    ----------
    X : ndarray of shape (n, p)
    y : ndarray of shape (n,)
    coef : ndarray of shape (p,)
    intercept : float
    alpha, l1_ratio : float
    fit_intercept : bool
        Whether ``b`` is a free variable (adds the constraint ``1' theta = 0``).

    Returns
    -------
    float
        ``P(w, b) - D(theta)`` in the objective's own scale.
    """
    n = len(y)
    coef = np.asarray(coef, dtype=float)
    l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
    r = y - X @ coef - intercept
    primal = r @ r / (2 * n) + l1 * np.abs(coef).sum() + 0.5 * l2 * coef @ coef
    theta = r - r.mean() if fit_intercept else r
    v = X.T @ theta / n
    if l2 > 0:
        conjugate = np.sum(np.maximum(np.abs(v) - l1, 0.0) ** 2) / (2 * l2)
    else:
        largest = np.max(np.abs(v)) if v.size else 0.0
        scale = 1.0 if largest <= l1 else l1 / largest
        theta = scale * theta
        conjugate = 0.0
    dual = (2.0 * theta @ y - theta @ theta) / (2 * n)
    return float(primal - (dual - conjugate))


def ridge_duality_gap(X, y, coef, intercept, alpha: float, fit_intercept: bool = True) -> float:
    """Duality gap for scikit-learn's Ridge objective ``||y - Xw - b||^2 + alpha ||w||^2``.

    It is ``2n`` times the elastic net's objective with ``l1_ratio = 0`` and
    ``alpha / n``, so its gap is ``2n`` times that gap (:func:`enet_duality_gap`).
    """
    n = len(y)
    return 2 * n * enet_duality_gap(X, y, coef, intercept, alpha / n, 0.0, fit_intercept)


def duality_gap(estimator: str, X, y, coef, intercept, alpha: float) -> float:
    """The gap of an intercept-fitted ``Lasso``, ``ElasticNet`` or ``Ridge`` solution."""
    if estimator == "Ridge":
        return ridge_duality_gap(X, y, coef, intercept, alpha)
    l1_ratio = 1.0 if estimator == "Lasso" else L1_RATIO
    return enet_duality_gap(X, y, coef, intercept, alpha, l1_ratio)


def relative_gap(estimator: str, gap: float, y: np.ndarray, fit_intercept: bool = True) -> float:
    """The gap in units of scikit-learn's ``tol``: it stops coordinate descent when
    ``gap <= tol ||y~||^2 / n`` in the ``1 / (2n)`` scale (``y~`` centred when an
    intercept is fitted); Ridge's gap is first divided by ``2n``."""
    n = len(y)
    yc = y - y.mean() if fit_intercept else y
    if estimator == "Ridge":
        gap = gap / (2 * n)
    return float(gap / (yc @ yc / n))
