"""The bias-variance picture: training, test and cross-validated error against the penalty.

As the penalty strength ``alpha`` grows (the prior narrows), the MAP moves from the
least-squares fit towards zero.  Its training error can only grow; its error on new
data first falls, while shrinking removes more variance than it adds bias, then rises.
The strength that a data analyst can choose without the test set, by cross-validation
or (for the Gaussian prior) by maximising the evidence, is marked against the
test-optimal one.
"""

from __future__ import annotations

import dataclasses
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from sklearn.model_selection import LeaveOneOut, check_cv
from sklearn.utils.validation import check_array

from bayesreg._validation import (
    check_same_length,
    check_single_target,
    check_squares_fit_float64,
    column_names,
    explain_conversion_error,
    reject_complex_and_dates,
    reject_non_numeric_columns,
)
from bayesreg.empirical_bayes import BayesianRidge
from bayesreg.estimators import Ridge
from bayesreg.model_selection import ElasticNetCV, LassoCV, RidgeCV
from bayesreg.path import regularization_path
from bayesreg.plotting._common import new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["BiasVariancePlot", "plot_bias_variance", "ridge_alpha_grid"]

PENALTIES = ("ridge", "lasso", "elasticnet")
#: Grid size of the default ridge grid.
N_ALPHAS = 100
#: Relative duality gap of the lasso and elastic-net MAPs on the paths (scikit-learn's
#: default 1e-4 leaves errors of 1e-4 relative in the curves; the curves are exact).
PATH_TOL = 1e-10
#: Most coordinate-descent epochs per path point.
PATH_MAX_ITER = 100_000


@dataclasses.dataclass(frozen=True, eq=False)
class BiasVariancePlot:
    """What :func:`plot_bias_variance` drew.

    Attributes
    ----------
    ax : matplotlib.axes.Axes
        The axes drawn on.
    penalty : str
        ``"ridge"``, ``"lasso"`` or ``"elasticnet"``.
    alphas : ndarray of shape (n_alphas,)
        The grid of penalty strengths (scikit-learn's ``alpha``), increasing.
    train_mse, test_mse : ndarray of shape (n_alphas,)
        Mean squared error of the MAP fitted on the training data at each alpha, on the
        training and on the test data.
    cv_mse, cv_se : ndarray of shape (n_alphas,)
        Cross-validated mean squared error (the mean over folds of each held-out fold's
        MSE; over observations for leave-one-out) and its standard error.
    alpha_cv : float
        The CV choice: ``alpha_`` of :class:`bayesreg.RidgeCV`, :class:`bayesreg.LassoCV`
        or :class:`bayesreg.ElasticNetCV` on the training data, the same folds and grid.
    alpha_1se : float
        The one-standard-error rule: the largest alpha whose CV error is within one
        standard error of the smallest.
    alpha_eb : float or None
        Ridge only: the empirical-Bayes choice ``lambda_ / alpha_`` of
        :class:`bayesreg.BayesianRidge` on the training data.
    alpha_test_best : float
        The grid's alpha with the smallest test error.
    """

    ax: Axes
    penalty: str
    alphas: np.ndarray
    train_mse: np.ndarray
    test_mse: np.ndarray
    cv_mse: np.ndarray
    cv_se: np.ndarray
    alpha_cv: float
    alpha_1se: float
    alpha_eb: float | None
    alpha_test_best: float


# -- input checks -----------------------------------------------------------------------
def _checked_split(X, y, name: str) -> tuple[np.ndarray, np.ndarray]:
    reject_non_numeric_columns(X)
    reject_complex_and_dates(X, f"X_{name}")
    reject_complex_and_dates(y, f"y_{name}")
    check_single_target(y)
    check_same_length(X, y)
    try:
        X_valid = check_array(X, dtype=np.float64, input_name=f"X_{name}")
        y_valid = check_array(y, ensure_2d=False, dtype=np.float64, input_name=f"y_{name}")
    except (ValueError, TypeError) as err:
        explain_conversion_error(X, y, err)
        raise
    y_valid = y_valid.reshape(-1)  # check_single_target let through (n,) and (n, 1)
    check_squares_fit_float64(X_valid, y_valid, feature_names=column_names(X, X_valid.shape[1]))
    return X_valid, y_valid


def _checked_alphas(alphas) -> np.ndarray:
    if np.size(alphas) == 0:
        raise ValueError("alphas is empty: give at least one penalty strength, or None.")
    grid = check_array(alphas, ensure_2d=False, dtype=np.float64, input_name="alphas")
    if grid.ndim != 1:
        raise ValueError(f"alphas must be a non-empty 1-D sequence, got shape {grid.shape}.")
    if np.any(grid <= 0):
        raise ValueError(
            f"alphas must be > 0 (the x axis is logarithmic), got {alphas!r}; "
            "drop alpha = 0 (least squares) or give a small positive value."
        )
    return np.unique(grid)  # sorted increasing, each strength once


def _checked_penalty(penalty, l1_ratio) -> float:
    if penalty not in PENALTIES:
        raise ValueError(f"penalty must be one of {PENALTIES}, got {penalty!r}.")
    if isinstance(l1_ratio, bool) or not isinstance(l1_ratio, Real):
        raise ValueError(f"l1_ratio must be a number in (0, 1], got {l1_ratio!r}.")
    if penalty == "elasticnet":
        if not 0.0 < l1_ratio <= 1.0:
            raise ValueError(
                f"l1_ratio must be in (0, 1] for penalty='elasticnet', got {l1_ratio!r} "
                "(l1_ratio = 0 is ridge: use penalty='ridge')."
            )
    elif l1_ratio != 1.0:
        raise ValueError(
            f"l1_ratio={l1_ratio!r} is used only with penalty='elasticnet'; "
            f"penalty={penalty!r} takes none."
        )
    return float(l1_ratio)


def ridge_alpha_grid(X: ArrayLike, n_alphas: int = N_ALPHAS) -> np.ndarray:
    """A log grid of ridge strengths from nearly least squares to nearly all shrunk.

    With the singular values ``d_k`` of the centred design, the ridge MAP shrinks the
    least-squares fit along the ``k``-th principal direction by ``d_k^2 / (d_k^2 +
    alpha)``.  The grid runs from ``alpha = d_min^2 / 100`` (every direction kept at
    99% or more) to ``alpha = 100 d_max^2`` (every direction shrunk to 1% or less),
    ``d_min`` the smallest non-zero singular value.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_alphas : int, default 100

    Returns
    -------
    ndarray of shape (n_alphas,), increasing
    """
    X = check_array(X, dtype=np.float64)
    d2 = np.linalg.svd(X - X.mean(axis=0), compute_uv=False) ** 2
    if d2.size == 0 or d2[0] <= 0:
        raise ValueError("X has no variation: every column is constant.")
    d2 = d2[d2 > d2[0] * np.finfo(np.float64).eps * max(X.shape)]
    return np.geomspace(d2[-1] / 100.0, 100.0 * d2[0], n_alphas)


# -- the errors -------------------------------------------------------------------------
def _mse(X: np.ndarray, y: np.ndarray, coefs: np.ndarray, intercepts: np.ndarray) -> np.ndarray:
    """``mean_i (y_i - b_k - x_i' w_k)^2`` for each column ``k`` of ``coefs``."""
    residuals = y[:, None] - X @ coefs - intercepts
    return np.mean(residuals**2, axis=0)


def _ridge_fits(X, y, alphas) -> tuple[np.ndarray, np.ndarray]:
    """The ridge MAP at each alpha (:class:`bayesreg.Ridge`, exact closed form)."""
    fits = [Ridge(alpha=float(alpha)).fit(X, y) for alpha in alphas]
    coefs = np.column_stack([fit.coef_ for fit in fits])
    intercepts = np.array([fit.intercept_ for fit in fits])
    return coefs, intercepts


def _ridge_errors(X, y, X_test, y_test, alphas, folds):
    coefs, intercepts = _ridge_fits(X, y, alphas)
    train_mse = _mse(X, y, coefs, intercepts)
    test_mse = _mse(X_test, y_test, coefs, intercepts)
    if folds is None:
        # Exact leave-one-out from one SVD: cv_results_ holds each observation's squared
        # leave-one-out error at each alpha.
        chooser = RidgeCV(alphas=alphas, store_cv_results=True).fit(X, y)
        held_out = chooser.cv_results_.T  # (n_alphas, n_samples)
    else:
        held_out = np.empty((len(alphas), len(folds)))
        for k, (train, test) in enumerate(folds):
            fold_coefs, fold_intercepts = _ridge_fits(X[train], y[train], alphas)
            held_out[:, k] = _mse(X[test], y[test], fold_coefs, fold_intercepts)
        chooser = RidgeCV(alphas=alphas, cv=folds, scoring="neg_mean_squared_error").fit(X, y)
    return train_mse, test_mse, held_out, chooser.alpha_


def _path_errors(X, y, X_test, y_test, alphas, folds, l1_ratio):
    path = regularization_path(
        X, y, l1_ratio=l1_ratio, alphas=alphas, tol=PATH_TOL, max_iter=PATH_MAX_ITER
    )
    order = np.argsort(path.alphas)  # the path runs down the grid; the plot runs up
    grid = path.alphas[order]
    coefs, intercepts = path.coefs[:, order], path.intercepts[order]
    train_mse = _mse(X, y, coefs, intercepts)
    test_mse = _mse(X_test, y_test, coefs, intercepts)
    cv = list(LeaveOneOut().split(X)) if folds is None else folds
    settings = {"alphas": grid, "cv": cv, "tol": PATH_TOL, "max_iter": PATH_MAX_ITER}
    if l1_ratio == 1.0:
        chooser = LassoCV(**settings)
    else:
        chooser = ElasticNetCV(l1_ratio=l1_ratio, **settings)
    chooser.fit(X, y)
    held_out = chooser.mse_path_.reshape(len(grid), len(cv))[::-1]  # alphas_ decrease
    return grid, train_mse, test_mse, held_out, chooser.alpha_


def _one_se_alpha(alphas: np.ndarray, cv_mse: np.ndarray, cv_se: np.ndarray) -> float:
    best = int(np.argmin(cv_mse))
    within = cv_mse <= cv_mse[best] + cv_se[best]
    return float(alphas[within].max())


# -- the picture ------------------------------------------------------------------------
def plot_bias_variance(
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    *,
    penalty: str = "ridge",
    alphas: ArrayLike | None = None,
    cv=5,
    l1_ratio: float = 1.0,
    ax: Axes | None = None,
) -> BiasVariancePlot:
    """Draw training, test and cross-validated error of the MAP against the penalty strength.

    At each ``alpha`` of the grid the MAP ``(w_alpha, b_alpha)`` is fitted on the
    training data, exactly (:class:`bayesreg.Ridge` for ridge; the warm-started path
    :func:`bayesreg.regularization_path` to a relative duality gap of ``1e-10`` for the
    lasso and elastic net, also in the CV folds), and its
    mean squared error ``(1/m) sum_i (y_i - b_alpha - x_i' w_alpha)^2`` is drawn on the
    training and on the test data, on a logarithmic ``alpha`` axis.  The training error
    is nondecreasing in ``alpha`` (the MAP minimises it plus ``alpha`` times a
    penalty); the test error is the bias-variance trade-off.

    The cross-validated error is drawn with a band of one standard error: with ``K``
    folds and fold errors ``e_k(alpha)``, the mean ``CV(alpha) = (1/K) sum_k e_k`` and
    ``SE(alpha) = sd_k(e_k) / sqrt(K)`` (sample standard deviation; for leave-one-out
    the folds are the observations).  Vertical lines mark

    * the CV choice ``alpha_cv``, ``alpha_`` of :class:`bayesreg.RidgeCV` (scored by
      mean squared error), :class:`bayesreg.LassoCV` or :class:`bayesreg.ElasticNetCV`
      on the same grid and folds;
    * the one-standard-error rule: the largest ``alpha`` with ``CV(alpha) <=
      CV(alpha_cv) + SE(alpha_cv)`` (Hastie, Tibshirani & Friedman, 2009, §7.10);
    * for ridge, the empirical-Bayes choice: :class:`bayesreg.BayesianRidge` maximises
      the evidence over the noise precision ``alpha_`` and the weight precision
      ``lambda_``; its posterior mode, the minimiser of ``(alpha_/2) ||y - Xw - b||^2 +
      (lambda_/2) ||w||^2``, is ridge's with ``alpha_eb = lambda_ / alpha_``;
    * the test-optimal ``alpha`` of the grid (which an analyst cannot know).

    For the lasso and the elastic net bayesreg has no evidence maximiser: the Laplace
    prior's marginal likelihood has no closed form.  The fully Bayesian alternative puts
    a prior on ``alpha`` (``sample_posterior(..., alpha_prior=...)``) and is not drawn
    here.

    Parameters
    ----------
    X_train : array-like of shape (n_train, n_features)
    y_train : array-like of shape (n_train,)
    X_test : array-like of shape (n_test, n_features)
    y_test : array-like of shape (n_test,)
    penalty : {"ridge", "lasso", "elasticnet"}, default "ridge"
        ``"ridge"``: scikit-learn's ``Ridge`` objective ``||y - Xw - b||^2 + alpha
        ||w||^2`` (Gaussian prior).  ``"lasso"``: ``(1/2n) ||y - Xw - b||^2 + alpha
        ||w||_1`` (Laplace prior).  ``"elasticnet"``: ``(1/2n) ||y - Xw - b||^2 + alpha
        rho ||w||_1 + alpha (1 - rho) ||w||^2 / 2`` with ``rho = l1_ratio``.
    alphas : array-like of float > 0, optional
        The grid (sorted, duplicates dropped).  Default: ridge, :func:`ridge_alpha_grid`
        of ``X_train``; lasso and elastic net, scikit-learn's grid of 100 values from
        the smallest ``alpha`` that zeroes every weight down by a factor 1000
        (:func:`bayesreg.path.alpha_grid`).
    cv : int, cross-validation generator, iterable or None, default 5
        As scikit-learn's ``cv`` (an integer ``K`` is ``KFold(K)``, unshuffled); the
        folds are drawn once and shared by the curve and the CV estimator.  None is
        leave-one-out: exact from one SVD for ridge (:class:`bayesreg.RidgeCV`'s
        ``cv=None``), ``n_train`` path fits for the lasso.
    l1_ratio : float, default 1.0
        ``rho`` of the elastic net, in (0, 1]; only with ``penalty="elasticnet"``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; None creates a new figure.

    Returns
    -------
    BiasVariancePlot
        The axes, the error curves and the marked strengths.

    Raises
    ------
    ValueError
        If ``penalty`` is unknown, ``l1_ratio`` is out of range or given for a penalty
        that has none, ``alphas`` is empty or not positive, the training or test ``X``
        and ``y`` differ in length, are not finite or numeric, or ``X_test`` has a
        different number of features from ``X_train``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.model_selection import train_test_split
    >>> from bayesreg.plotting.selection import plot_bias_variance
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)
    >>> drawn = plot_bias_variance(X_tr, y_tr, X_te, y_te, penalty="ridge")
    >>> bool(np.all(np.diff(drawn.train_mse) >= 0))
    True

    References
    ----------
    .. [1] T. Hastie, R. Tibshirani and J. Friedman, "The Elements of Statistical
       Learning", 2nd ed., Springer, 2009, §3.4 and §7.10.
    .. [2] D. J. C. MacKay, "Bayesian interpolation", Neural Computation 4(3), 1992.
    """
    l1_ratio = _checked_penalty(penalty, l1_ratio)
    X, y = _checked_split(X_train, y_train, "train")
    X_test, y_test = _checked_split(X_test, y_test, "test")
    if X_test.shape[1] != X.shape[1]:
        raise ValueError(
            f"X_test has {X_test.shape[1]} features but X_train has {X.shape[1]}: give "
            "both the same columns."
        )
    grid = None if alphas is None else _checked_alphas(alphas)
    folds = None if cv is None else list(check_cv(cv).split(X, y))

    alpha_eb = None
    if penalty == "ridge":
        grid = ridge_alpha_grid(X) if grid is None else grid
        train_mse, test_mse, held_out, alpha_cv = _ridge_errors(X, y, X_test, y_test, grid, folds)
        evidence = BayesianRidge().fit(X, y)
        alpha_eb = float(evidence.lambda_ / evidence.alpha_)
    else:
        grid, train_mse, test_mse, held_out, alpha_cv = _path_errors(
            X, y, X_test, y_test, grid, folds, l1_ratio
        )
    n_held_out = held_out.shape[1]
    cv_mse = held_out.mean(axis=1)
    cv_se = held_out.std(axis=1, ddof=1) / np.sqrt(n_held_out)
    alpha_1se = _one_se_alpha(grid, cv_mse, cv_se)
    alpha_test_best = float(grid[np.argmin(test_mse)])

    ax = new_axes(ax, figsize=(7.0, 4.5))
    cv_name = "leave-one-out" if folds is None else f"{len(folds)}-fold"
    ax.plot(grid, train_mse, color="C0", linewidth=2.0, label="training error")
    ax.plot(grid, test_mse, color="C3", linewidth=2.0, label="test error")
    ax.plot(grid, cv_mse, color="C2", linestyle="--", label=f"{cv_name} CV error")
    ax.fill_between(
        grid, cv_mse - cv_se, cv_mse + cv_se, color="C2", alpha=0.2, linewidth=0, label="CV ± 1 SE"
    )
    marks = [
        (alpha_cv, "C2", "-", "CV choice"),
        (alpha_1se, "C2", "-.", "1-SE rule"),
        (alpha_eb, "C4", "-", "empirical Bayes"),
        (alpha_test_best, "C3", ":", "test optimum"),
    ]
    for value, color, style, name in marks:
        if value is not None:
            ax.axvline(
                value,
                color=color,
                linestyle=style,
                linewidth=1.2,
                label=f"{name}: α = {value:.3g}",
            )
    ax.set_xscale("log")
    # A margin of 2% of the log range, so a mark at either end of the grid stays visible.
    pad = 0.02 * np.log(grid[-1] / grid[0]) if grid.size > 1 else 0.1
    ax.set_xlim(grid[0] * np.exp(-pad), grid[-1] * np.exp(pad))
    ax.set_xlabel("penalty strength α (scikit-learn's alpha)")
    ax.set_ylabel("mean squared error")
    ax.annotate(
        "← less shrinkage: more variance",
        xy=(0.01, 0.01),
        xycoords="axes fraction",
        ha="left",
        va="bottom",
        fontsize="x-small",
        color="0.4",
    )
    ax.annotate(
        "more shrinkage: more bias →",
        xy=(0.99, 0.01),
        xycoords="axes fraction",
        ha="right",
        va="bottom",
        fontsize="x-small",
        color="0.4",
    )
    ax.legend(loc="upper left", fontsize="small")
    return BiasVariancePlot(
        ax=ax,
        penalty=penalty,
        alphas=grid,
        train_mse=train_mse,
        test_mse=test_mse,
        cv_mse=cv_mse,
        cv_se=cv_se,
        alpha_cv=float(alpha_cv),
        alpha_1se=alpha_1se,
        alpha_eb=alpha_eb,
        alpha_test_best=alpha_test_best,
    )
