"""Regularization paths: the posterior mode as the prior's strength runs over a grid.

A regularization path is the family of MAP estimates ``w(alpha)`` for a decreasing grid
``alpha_1 > alpha_2 > ... > alpha_K`` of penalty strengths, i.e. of prior scales: for
the lasso the Laplace scale is ``s = sigma^2 / (n alpha)``, so walking down the grid
walks the prior from a spike that forces every weight to zero towards a flat prior.
Each mode is computed exactly by :func:`bayesreg.solvers.solve_map`, warm-started at the
previous one (Friedman, Hastie & Tibshirani, 2010), and carries its own optimality
certificate.

:func:`regularization_path` is the general entry point (elastic-net family, intercept,
sample weights); :func:`lasso_path` and :func:`enet_path` take scikit-learn's signature
and return scikit-learn's ``(alphas, coefs, dual_gaps)``, with the same grid and (to
solver precision) the same coefficients.  :func:`alpha_grid` is scikit-learn's grid.

References
----------
.. [1] J. Friedman, T. Hastie and R. Tibshirani, "Regularization paths for generalized
   linear models via coordinate descent", J. Stat. Softw. 33(1), 2010.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_array, check_X_y

from bayesreg._validation import (
    check_same_length,
    check_single_target,
    check_squares_fit_float64,
    column_names,
    explain_conversion_error,
    reject_complex_and_dates,
    reject_non_numeric_columns,
)
from bayesreg.model import RegressionData
from bayesreg.priors import ElasticNetPrior, Laplace, Prior
from bayesreg.solvers import Certificate, centered_exactly, check_solver_settings, solve_map
from bayesreg.solvers.path_descent import gram_matrix, gram_path, polish_path, working_set_path

__all__ = [
    "RegularizationPath",
    "alpha_grid",
    "enet_path",
    "lasso_path",
    "regularization_path",
]

# scikit-learn's floor for alpha_max: below it the grid is this constant.
_RESOLUTION = float(np.finfo(np.float64).resolution)


class RegularizationPath(NamedTuple):
    """The MAP along a grid of penalty strengths, with what certifies each point.

    Attributes
    ----------
    alphas : ndarray of shape (n_alphas,)
        The grid, in decreasing order (scikit-learn's ``alpha``).
    coefs : ndarray of shape (n_features, n_alphas)
        ``coefs[:, k]`` is the MAP weight vector at ``alphas[k]`` (exact zeros where the
        l1 part of the penalty sets them to zero), as in scikit-learn's ``lasso_path``.
    intercepts : ndarray of shape (n_alphas,)
        The intercepts ``b_k = ybar - xbar' coefs[:, k]`` (zeros without an intercept).
    dual_gaps : ndarray of shape (n_alphas,)
        Duality gaps in the scale of scikit-learn's objective
        ``1/(2n) ||y - Xw - b||^2_S + alpha rho ||w||_1 + alpha (1 - rho) ||w||^2 / 2``
        (what ``enet_path`` returns as ``dual_gaps``).
    certificates : tuple of Certificate
        Each point's certificate in the unit-noise scale of :func:`solve_map`.
    n_iter : ndarray of int, shape (n_alphas,)
        Coordinate-descent epochs spent on each point (0 where the closed form solved it).
    l1_ratio : float
        ``rho`` of the path.
    """

    alphas: np.ndarray
    coefs: np.ndarray
    intercepts: np.ndarray
    dual_gaps: np.ndarray
    certificates: tuple[Certificate, ...]
    n_iter: np.ndarray
    l1_ratio: float

    @property
    def converged(self) -> bool:
        """Whether every point is optimal within its tolerance."""
        return all(c.converged for c in self.certificates)


def _unit_noise_prior(alpha: float, l1_ratio: float, n_samples: int) -> Prior:
    """The prior whose MAP is scikit-learn's ``ElasticNet(alpha, l1_ratio)`` on n rows.

    The same prior objects as :class:`bayesreg.Lasso` and :class:`bayesreg.ElasticNet`
    use, so a point of the path and the estimator's fit are the same computation.
    """
    if l1_ratio == 1.0:
        return Laplace.from_alpha(alpha, n_samples)
    return ElasticNetPrior.from_alpha(alpha, l1_ratio, n_samples)


def alpha_grid(
    X: ArrayLike,
    y: ArrayLike,
    *,
    l1_ratio: float = 1.0,
    eps: float = 1e-3,
    n_alphas: int = 100,
    fit_intercept: bool = True,
    sample_weight: ArrayLike | None = None,
    positive: bool = False,
    Xy: ArrayLike | None = None,
) -> np.ndarray:
    """scikit-learn's grid of penalty strengths, from the all-zero threshold down.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    l1_ratio : float, default 1.0
        ``rho`` in (0, 1]; the grid needs an l1 part.
    eps : float, default 1e-3
        ``alpha_min / alpha_max``.
    n_alphas : int, default 100
    fit_intercept : bool, default True
        Centre ``X`` and ``y`` at their (weighted) means first.
    sample_weight : array-like of shape (n_samples,) or None
    positive : bool, default False
        The threshold of the non-negative problem: only positive correlations count.
    Xy : array-like of shape (n_features,) or None
        A precomputed ``X~' S y~``, used as given (as scikit-learn does).

    Returns
    -------
    ndarray of shape (n_alphas,)
        ``geomspace(alpha_max, eps * alpha_max, n_alphas)``, or ``n_alphas`` copies of
        ``1e-15`` when ``alpha_max <= 1e-15``.

    Notes
    -----
    The lasso's MAP is zero exactly when ``0`` is in the subdifferential at ``w = 0``:
    ``|X~_j' S y~| <= n alpha rho`` for every ``j``.  Hence

    ``alpha_max = ||X~' S y~||_inf / (n rho)``,

    with ``n = sum_i s_i`` (``max_j (X~' S y~)_j^+`` in place of the sup norm when
    ``positive``).  The operations follow scikit-learn's ``_alpha_grid`` one for one,
    so the grid is equal to the last bit.
    """
    if l1_ratio == 0:
        raise ValueError(
            "the automatic alpha grid needs an l1 part (l1_ratio > 0); give the alphas."
        )
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    sw = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if Xy is not None:
        Xyw = np.asarray(Xy, dtype=np.float64)
    else:
        if fit_intercept:
            y = y - np.average(y, axis=0, weights=sw)
            X_mean = np.average(X, axis=0, weights=sw)
        yw = y if sw is None else y * sw
        Xyw = X.T @ yw - X_mean * np.sum(yw, axis=0) if fit_intercept else X.T @ yw
    Xyw = Xyw.reshape(Xyw.shape[0], -1)
    n_samples = X.shape[0] if sw is None else sw.sum()
    if not positive:
        top = np.sqrt(np.max(np.sum(Xyw**2, axis=1))) / (n_samples * l1_ratio)
    else:
        top = max(0, np.max(Xyw)) / (n_samples * l1_ratio)
    if top <= _RESOLUTION:
        return np.full(n_alphas, _RESOLUTION)
    return np.geomspace(top, top * eps, num=n_alphas)


def _check_alphas(alphas) -> np.ndarray:
    """A user's grid (a number or a 1-D array) as a float array in decreasing order."""
    raw = np.asarray(alphas)
    if raw.dtype.kind not in "iuf" or raw.ndim > 1:
        raise ValueError(f"alphas must be a number or a 1-D array of numbers, got {alphas!r}.")
    grid = raw.astype(np.float64).reshape(-1)
    if grid.size == 0:
        raise ValueError("alphas is empty: give at least one penalty strength.")
    if not np.all(np.isfinite(grid)) or np.any(grid < 0):
        raise ValueError(f"alphas must be finite and >= 0, got {alphas!r}.")
    return np.sort(grid)[::-1]


def _check_grid_settings(eps, n_alphas) -> None:
    if isinstance(eps, bool) or not isinstance(eps, Real) or not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}.")
    if isinstance(n_alphas, bool) or not isinstance(n_alphas, Integral) or n_alphas < 1:
        raise ValueError(f"the number of alphas must be an integer >= 1, got {n_alphas!r}.")


def _check_vector(values, n_features: int, name: str) -> np.ndarray | None:
    """None, or finite float64 values of shape (n_features,)."""
    if values is None:
        return None
    try:
        vector = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an array of numbers, got {values!r}.") from err
    if vector.shape != (n_features,):
        raise ValueError(
            f"{name} must have shape ({n_features},), one value per feature; got {vector.shape}."
        )
    if not np.all(np.isfinite(vector)):
        raise ValueError(f"{name} must be finite, got {vector!r}.")
    return vector


def _check_flag(name: str, value) -> None:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {value!r}.")


def _check_l1_ratio(l1_ratio) -> float:
    if isinstance(l1_ratio, bool) or not isinstance(l1_ratio, Real) or not 0 <= l1_ratio <= 1:
        raise ValueError(f"l1_ratio must be a number in [0, 1], got {l1_ratio!r}.")
    return float(l1_ratio)


def solve_path(
    data: RegressionData,
    alphas: np.ndarray,
    *,
    l1_ratio: float = 1.0,
    positive: bool = False,
    tol: float = 1e-4,
    max_iter: int = 1000,
    coef_init: np.ndarray | None = None,
) -> RegularizationPath:
    """The MAP of ``data`` at each alpha of a decreasing grid, warm-started along it.

    The functional core of :func:`regularization_path`: ``data`` already carries the
    weights as the objective uses them (rescaled to sum to ``n`` for scikit-learn's
    elastic net) and the intercept setting; the prior at ``alpha`` is
    ``ElasticNetPrior.from_alpha(alpha, l1_ratio, n)`` (``Laplace`` when ``rho = 1``).

    With an l1 part (``l1_ratio > 0``, every ``alpha > 0``) the whole grid runs in one
    compiled kernel (:mod:`bayesreg.solvers.path_descent`): coordinate descent on the
    Gram matrix with strong rules, each point then solved exactly on its support and
    certified from Gram quantities (for many features, on the Gram matrix of a growing
    working set).  A point that the support solve cannot make exact, and every grid
    without an l1 part, is solved by :func:`bayesreg.solvers.solve_map`, so each point
    is ``solve_map``'s answer either way.
    """
    alphas = np.asarray(alphas, dtype=np.float64)
    n = data.n_samples
    l1s = n * alphas * l1_ratio
    l2s = n * alphas * (1.0 - l1_ratio) / 2.0
    fast = l1_ratio > 0 and np.all(alphas > 0) and np.all(np.isfinite(l1s) & np.isfinite(l2s))
    if fast:
        return _fast_path(data, alphas, l1s, l2s, l1_ratio, positive, tol, max_iter, coef_init)
    return _path_by_solve_map(data, alphas, l1_ratio, positive, tol, max_iter, coef_init)


# With p <= n (and p up to this many features) the p x p Gram matrix pays for itself,
# as in scikit-learn's precompute="auto"; with p > n the working set's Gram matrix is
# cheaper than forming and sweeping all of H.
_GRAM_MAX_FEATURES = 2048


def _fast_path(data, alphas, l1s, l2s, l1_ratio, positive, tol, max_iter, coef_init):
    X_t, y_t = centered_exactly(data)
    n, p = X_t.shape
    w0 = None if coef_init is None else np.asarray(coef_init, dtype=np.float64)
    if p <= _GRAM_MAX_FEATURES and p <= max(n, 16):
        H = gram_matrix(X_t)
        g = X_t.T @ y_t
        y_norm2 = float(y_t @ y_t)
        descent = gram_path(
            H, g, y_norm2, l1s, l2s, positive=positive, tol=tol, max_iter=max_iter, w0=w0
        )
        coefs, certificates, n_iter = polish_path(
            H, g, y_norm2, descent, l1s, l2s, positive=positive, tol=tol, max_iter=max_iter
        )
    else:
        coefs, n_iter, certificates = working_set_path(
            X_t, y_t, l1s, l2s, positive=positive, tol=tol, max_iter=max_iter, w0=w0
        )
    for k, certificate in enumerate(certificates):
        if certificate is None:
            # The support solve could not make this point exact: solve_map finishes it.
            result = solve_map(
                data,
                _unit_noise_prior(float(alphas[k]), l1_ratio, n),
                positive=positive,
                tol=tol,
                max_iter=max(max_iter - int(n_iter[k]), 1),
                w0=coefs[k],
            )
            coefs[k] = result.coef
            certificates[k] = result.certificate
            n_iter[k] += result.n_iter
    coefs = np.ascontiguousarray(coefs.T)
    intercepts = (
        data.y_offset - data.x_offset @ coefs if data.fit_intercept else np.zeros(len(alphas))
    )
    return RegularizationPath(
        alphas=alphas,
        coefs=coefs,
        intercepts=np.asarray(intercepts, dtype=np.float64),
        # solve_map's objective is n times scikit-learn's.
        dual_gaps=np.array([c.duality_gap for c in certificates]) / n,
        certificates=tuple(certificates),
        n_iter=np.asarray(n_iter, dtype=int),
        l1_ratio=float(l1_ratio),
    )


def _path_by_solve_map(data, alphas, l1_ratio, positive, tol, max_iter, coef_init):
    """One ``solve_map`` per alpha, warm-started at the previous point."""
    n = data.n_samples
    k = len(alphas)
    coefs = np.zeros((data.n_features, k))
    intercepts = np.zeros(k)
    dual_gaps = np.zeros(k)
    n_iter = np.zeros(k, dtype=int)
    certificates = []
    w = None if coef_init is None else np.asarray(coef_init, dtype=np.float64)
    for i, alpha in enumerate(alphas):
        result = solve_map(
            data,
            _unit_noise_prior(float(alpha), l1_ratio, n),
            positive=positive,
            tol=tol,
            max_iter=max_iter,
            w0=w,
        )
        w = result.coef
        coefs[:, i] = w
        intercepts[i] = result.intercept
        # solve_map's objective is n times scikit-learn's.
        dual_gaps[i] = result.certificate.duality_gap / n
        n_iter[i] = result.n_iter
        certificates.append(result.certificate)
    return RegularizationPath(
        alphas=np.asarray(alphas, dtype=np.float64),
        coefs=coefs,
        intercepts=intercepts,
        dual_gaps=dual_gaps,
        certificates=tuple(certificates),
        n_iter=n_iter,
        l1_ratio=float(l1_ratio),
    )


def _warn_if_not_converged(path: RegularizationPath, tol: float, max_iter: int) -> None:
    missed = [
        f"{a:.3g}" for a, c in zip(path.alphas, path.certificates, strict=True) if not c.converged
    ]
    if missed:
        warnings.warn(
            f"the MAP at alpha = {', '.join(missed)} did not reach tol={tol:g}; "
            f"increase max_iter (now {max_iter}).",
            ConvergenceWarning,
            stacklevel=3,
        )


def _check_Xy(X, y) -> tuple[np.ndarray, np.ndarray]:
    reject_non_numeric_columns(X)
    reject_complex_and_dates(X, "X")
    reject_complex_and_dates(y, "y")
    check_single_target(y)
    check_same_length(X, y)
    try:
        X_valid, y_valid = check_X_y(X, y, dtype=np.float64, y_numeric=True, accept_sparse=False)
    except (ValueError, TypeError) as err:
        explain_conversion_error(X, y, err)
        raise
    check_squares_fit_float64(X_valid, y_valid, feature_names=column_names(X, X_valid.shape[1]))
    return X_valid, y_valid


def regularization_path(
    X: ArrayLike,
    y: ArrayLike,
    *,
    l1_ratio: float = 1.0,
    alphas: ArrayLike | None = None,
    n_alphas: int = 100,
    eps: float = 1e-3,
    fit_intercept: bool = True,
    sample_weight: ArrayLike | None = None,
    tol: float = 1e-4,
    max_iter: int = 1000,
    positive: bool = False,
    coef_init: ArrayLike | None = None,
) -> RegularizationPath:
    """The elastic-net MAP along a grid of penalty strengths, with intercepts.

    At each ``alpha`` the answer is ``bayesreg.ElasticNet(alpha, l1_ratio=l1_ratio,
    fit_intercept=..., positive=...).fit(X, y, sample_weight)`` (``bayesreg.Lasso`` when
    ``l1_ratio = 1``), i.e. scikit-learn's solution, computed with warm starts.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    l1_ratio : float, default 1.0
        ``rho`` in [0, 1] (1: lasso / Laplace prior; 0 needs explicit ``alphas``).
    alphas : array-like or None, default None
        The grid; sorted in decreasing order.  None: :func:`alpha_grid`.
    n_alphas : int, default 100
        Grid size when ``alphas`` is None.
    eps : float, default 1e-3
        ``alpha_min / alpha_max`` when ``alphas`` is None.
    fit_intercept : bool, default True
    sample_weight : array-like of shape (n_samples,) or None
        Non-negative weights, used as scikit-learn's ``ElasticNet`` uses them
        (rescaled to sum to ``n_samples``).
    tol, max_iter : float, int
        Coordinate descent stops at relative duality gap ``tol`` or after ``max_iter``
        epochs; an exact active-set polish follows (see :func:`bayesreg.solve_map`).
    positive : bool, default False
    coef_init : array-like of shape (n_features,) or None
        Start of the first point.

    Returns
    -------
    RegularizationPath

    Warns
    -----
    sklearn.exceptions.ConvergenceWarning
        When a point of the path is not certified optimal within ``tol``.

    Notes
    -----
    At ``alpha`` the path point minimises

    ``J(w, b) = 1/(2n) sum_i s_i (y_i - b - x_i'w)^2
    + alpha rho ||w||_1 + alpha (1 - rho) ||w||^2 / 2``,

    which is ``sigma^2 / n`` times the negative log posterior under the noise-scaled
    elastic-net prior ``p(w_j | sigma) propto exp(-(n alpha / sigma^2) (rho |w_j| +
    (1 - rho) w_j^2 / 2))``.  Along a decreasing grid the solution moves continuously
    (for ``rho < 1``, or a unique lasso solution), so the previous point is an excellent
    start; coordinate descent then needs few epochs and the support changes by a few
    features at a time.
    """
    l1_ratio = _check_l1_ratio(l1_ratio)
    check_solver_settings(tol, max_iter, positive=positive)
    _check_flag("fit_intercept", fit_intercept)
    if alphas is None:
        _check_grid_settings(eps, n_alphas)
    X, y = _check_Xy(X, y)
    coef_init = _check_vector(coef_init, X.shape[1], "coef_init")
    n = X.shape[0]
    if sample_weight is not None:
        sample_weight = check_array(
            sample_weight, ensure_2d=False, dtype=np.float64, input_name="sample_weight"
        )
        if sample_weight.shape != (n,):
            raise ValueError(f"sample_weight must have shape ({n},), got {sample_weight.shape}.")
        if np.any(sample_weight < 0) or not sample_weight.sum() > 0:
            raise ValueError("sample_weight must be non-negative with a positive sum.")
    if alphas is None:
        grid = alpha_grid(
            X,
            y,
            l1_ratio=l1_ratio,
            eps=eps,
            n_alphas=n_alphas,
            fit_intercept=fit_intercept,
            sample_weight=sample_weight,
            positive=positive,
        )
    else:
        grid = _check_alphas(alphas)
    weights = None if sample_weight is None else sample_weight * (n / sample_weight.sum())
    data = RegressionData.from_arrays(X, y, weights, fit_intercept)
    path = solve_path(
        data,
        grid,
        l1_ratio=l1_ratio,
        positive=positive,
        tol=tol,
        max_iter=max_iter,
        coef_init=coef_init,
    )
    _warn_if_not_converged(path, tol, max_iter)
    return path


def enet_path(
    X: ArrayLike,
    y: ArrayLike,
    *,
    l1_ratio: float = 0.5,
    eps: float = 1e-3,
    n_alphas: int | None = None,
    alphas: int | ArrayLike | None = None,
    precompute="auto",
    Xy: ArrayLike | None = None,
    copy_X: bool = True,
    coef_init: ArrayLike | None = None,
    verbose=False,
    return_n_iter: bool = False,
    positive: bool = False,
    check_input: bool = True,
    tol: float = 1e-4,
    max_iter: int = 1000,
):
    """Elastic-net path with scikit-learn's signature and return value.

    Like ``sklearn.linear_model.enet_path`` this neither centres the data nor fits an
    intercept: it minimises, at each alpha,

    ``1/(2n) ||y - Xw||^2 + alpha rho ||w||_1 + alpha (1 - rho) ||w||^2 / 2``,

    the MAP of the noise-scaled elastic-net prior with no intercept.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    l1_ratio : float, default 0.5
    eps : float, default 1e-3
    n_alphas : int or None, default None
        Grid size (scikit-learn's older spelling of an integer ``alphas``).
    alphas : int, array-like or None, default None
        An integer is the size of the automatic grid (:func:`alpha_grid` with
        ``fit_intercept=False``); an array is the grid, sorted decreasing; None is 100
        points (or ``n_alphas``).
    Xy : array-like of shape (n_features,) or None
        Precomputed ``X'y`` for the grid, as scikit-learn uses it.
    coef_init : array-like of shape (n_features,) or None
    return_n_iter : bool, default False
    positive : bool, default False
    tol, max_iter : float, int
        As for :func:`regularization_path` (scikit-learn's ``**params``).
    precompute, copy_X, verbose, check_input
        Accepted for compatibility; the solver always works on the Gram matrix and never
        modifies ``X``.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
    coefs : ndarray of shape (n_features, n_alphas)
    dual_gaps : ndarray of shape (n_alphas,)
        In the scale of the objective above.
    n_iters : list of int
        Only when ``return_n_iter``.
    """
    l1_ratio = _check_l1_ratio(l1_ratio)
    check_solver_settings(tol, max_iter, positive=positive)
    _check_flag("return_n_iter", return_n_iter)
    X, y = _check_Xy(X, y)
    coef_init = _check_vector(coef_init, X.shape[1], "coef_init")
    size = 100 if n_alphas is None else n_alphas
    if alphas is None or isinstance(alphas, Integral):
        # scikit-learn's path works on a Fortran-ordered copy of X; X'y then sums in
        # the same order, so the grid agrees to the last bit.
        X = np.asfortranarray(X)
        size = size if alphas is None else alphas
        _check_grid_settings(eps, size)
        if np.ndim(Xy) == 2 and np.shape(Xy)[1] == 1:  # (n_features, 1): one target
            Xy = np.asarray(Xy)[:, 0]
        Xy = _check_vector(Xy, X.shape[1], "Xy")
        grid = alpha_grid(
            X,
            y,
            Xy=Xy,
            l1_ratio=l1_ratio,
            fit_intercept=False,
            positive=positive,
            eps=eps,
            n_alphas=int(size),
        )
    else:
        grid = _check_alphas(alphas)
    data = RegressionData.from_arrays(X, y, None, fit_intercept=False)
    path = solve_path(
        data,
        grid,
        l1_ratio=l1_ratio,
        positive=positive,
        tol=tol,
        max_iter=max_iter,
        coef_init=coef_init,
    )
    _warn_if_not_converged(path, tol, max_iter)
    if return_n_iter:
        return path.alphas, path.coefs, path.dual_gaps, [int(k) for k in path.n_iter]
    return path.alphas, path.coefs, path.dual_gaps


def lasso_path(
    X: ArrayLike,
    y: ArrayLike,
    *,
    eps: float = 1e-3,
    n_alphas: int | None = None,
    alphas: int | ArrayLike | None = None,
    precompute="auto",
    Xy: ArrayLike | None = None,
    copy_X: bool = True,
    coef_init: ArrayLike | None = None,
    verbose=False,
    return_n_iter: bool = False,
    positive: bool = False,
    tol: float = 1e-4,
    max_iter: int = 1000,
):
    """Lasso path with scikit-learn's signature and return value.

    ``enet_path`` with ``l1_ratio=1``: at each alpha the MAP of ``w_j | sigma ~
    Laplace(0, sigma^2 / (n alpha))``, i.e. the minimiser of

    ``1/(2n) ||y - Xw||^2 + alpha ||w||_1``

    (no intercept, no centring, as in ``sklearn.linear_model.lasso_path``).

    Parameters
    ----------
    X, y, eps, n_alphas, alphas, precompute, Xy, copy_X, coef_init, verbose,
    return_n_iter, positive, tol, max_iter
        As for :func:`enet_path`.

    Returns
    -------
    alphas, coefs, dual_gaps[, n_iters]
        As for :func:`enet_path`.
    """
    return enet_path(
        X,
        y,
        l1_ratio=1.0,
        eps=eps,
        n_alphas=n_alphas,
        alphas=alphas,
        Xy=Xy,
        coef_init=coef_init,
        return_n_iter=return_n_iter,
        positive=positive,
        tol=tol,
        max_iter=max_iter,
    )
