"""Choosing the prior's strength by cross-validation: LassoCV, ElasticNetCV, RidgeCV.

Each estimator takes scikit-learn 1.9's parameters, chooses ``alpha_`` (and
``l1_ratio_``) exactly as scikit-learn does on the same folds, and is then the
corresponding bayesreg estimator at the chosen strength: ``coef_`` is the exact MAP,
``map_`` carries its certificate and ``sample_posterior`` draws the posterior of the
noise-scaled prior at ``alpha_``.  Choosing a prior scale by predictive performance and
then conditioning on it is an empirical-Bayes step, not a full hierarchical posterior;
the posterior drawn is the one at the chosen scale.

* :class:`LassoCV` and :class:`ElasticNetCV` compute, on each training fold, the MAP
  along the decreasing ``alpha`` grid with warm starts (:func:`bayesreg.path.solve_path`:
  one compiled kernel per fold, see :mod:`bayesreg.solvers.path_descent`) and score the
  held-out mean squared error from the path's coefficients and intercepts.
* :class:`RidgeCV` with ``cv=None`` uses the exact leave-one-out errors of the Gaussian
  prior's MAP from one singular value decomposition (no refits); with ``cv`` given it
  scores K-fold refits as scikit-learn's grid search does.
"""

from __future__ import annotations

import inspect
import numbers
import warnings
from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.utils import check_scalar
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight

from bayesreg.estimators import ElasticNet, Lasso, Ridge
from bayesreg.model import RegressionData
from bayesreg.path import alpha_grid, solve_path
from bayesreg.priors import ElasticNetPrior, Gaussian, Laplace, Prior

__all__ = ["ElasticNetCV", "LassoCV", "RidgeCV"]


# -- the coordinate-descent CV estimators ------------------------------------------------
_LINEAR_MODEL_CV_CONSTRAINTS: dict = {
    "eps": [Interval(Real, 0, None, closed="neither")],
    "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
    "fit_intercept": ["boolean"],
    "precompute": [StrOptions({"auto"}), "array-like", "boolean"],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "copy_X": ["boolean"],
    "cv": ["cv_object"],
    "verbose": ["verbose"],
    "n_jobs": [Integral, None],
    "positive": ["boolean"],
    "random_state": ["random_state"],
    "selection": [StrOptions({"cyclic", "random"})],
}


def _raw_weights(sample_weight, X: np.ndarray) -> np.ndarray | None:
    """The weights as scikit-learn's LinearModelCV keeps them: a scalar is no weights."""
    if sample_weight is None or isinstance(sample_weight, numbers.Number):
        return None
    return _check_sample_weight(sample_weight, X, dtype=np.float64)


def _fold_mse_path(
    X: np.ndarray,
    y: np.ndarray,
    sample_weight: np.ndarray | None,
    train: np.ndarray,
    test: np.ndarray,
    alphas: np.ndarray,
    *,
    l1_ratio: float,
    fit_intercept: bool,
    positive: bool,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, int]:
    """Held-out mean squared error of the training fold's MAP at each alpha.

    As in scikit-learn's ``_path_residuals``: the training weights are rescaled to sum
    to the training fold's size, and the held-out error is the mean (weighted by the
    test weights, when given) of the squared residuals.  Returns the errors and the
    number of path points that did not reach ``tol``.
    """
    sw_train = sw_test = None
    if sample_weight is not None:
        sw_train = sample_weight[train] * (len(train) / np.sum(sample_weight[train]))
        sw_test = sample_weight[test]
    data = RegressionData.from_arrays(X[train], y[train], sw_train, fit_intercept)
    path = solve_path(
        data, alphas, l1_ratio=l1_ratio, positive=positive, tol=tol, max_iter=max_iter
    )
    residues = X[test] @ path.coefs + path.intercepts - y[test][:, None]
    if sw_test is None:
        mse = np.mean(residues**2, axis=0)
    else:
        mse = np.average(residues**2, weights=sw_test, axis=0)
    return mse, sum(not c.converged for c in path.certificates)


class _PathCVMixin:
    """Choose ``(alpha, l1_ratio)`` by K-fold CV along warm-started MAP paths, then refit."""

    def _l1_ratios(self) -> np.ndarray:
        return np.atleast_1d(np.asarray(self.l1_ratio, dtype=np.float64))

    def _choose_by_cv(self, X: np.ndarray, y: np.ndarray, sample_weight) -> None:
        l1_ratios = self._l1_ratios()
        if np.any(~np.isfinite(l1_ratios)) or np.any((l1_ratios < 0) | (l1_ratios > 1)):
            raise ValueError(f"l1_ratio must lie in [0, 1], got {self.l1_ratio!r}.")
        if isinstance(self.alphas, Integral):
            grids = [
                alpha_grid(
                    X,
                    y,
                    l1_ratio=float(rho),
                    fit_intercept=self.fit_intercept,
                    positive=self.positive,
                    eps=self.eps,
                    n_alphas=int(self.alphas),
                    sample_weight=sample_weight,
                )
                for rho in l1_ratios
            ]
        else:
            for index, alpha in enumerate(self.alphas):
                check_scalar(
                    alpha, f"alphas[{index}]", Real, min_val=0.0, include_boundaries="left"
                )
            grids = list(np.tile(np.sort(self.alphas)[::-1], (len(l1_ratios), 1)))
        folds = list(check_cv(self.cv).split(X, y))
        mse_paths = np.empty((len(l1_ratios), len(folds), len(grids[0])))
        not_converged = 0
        for i, (rho, grid) in enumerate(zip(l1_ratios, grids, strict=True)):
            for k, (train, test) in enumerate(folds):
                mse_paths[i, k], missed = _fold_mse_path(
                    X,
                    y,
                    sample_weight,
                    train,
                    test,
                    np.asarray(grid, dtype=np.float64),
                    l1_ratio=float(rho),
                    fit_intercept=self.fit_intercept,
                    positive=self.positive,
                    tol=self.tol,
                    max_iter=self.max_iter,
                )
                not_converged += missed
        if not_converged:
            warnings.warn(
                f"{type(self).__name__}: {not_converged} MAP(s) on the CV paths did not "
                f"reach tol={self.tol:g}; increase max_iter (now {self.max_iter}).",
                ConvergenceWarning,
                stacklevel=3,
            )
        # The fold-averaged error decides; the first minimum wins, along the grid and
        # then over l1_ratio (scikit-learn's order).
        mean_mse = mse_paths.mean(axis=1)
        best_mse = np.inf
        for rho, grid, errors in zip(l1_ratios, grids, mean_mse, strict=True):
            i_best = int(np.argmin(errors))
            if errors[i_best] < best_mse:
                best_alpha, best_rho, best_mse = grid[i_best], rho, errors[i_best]
        self.mse_path_ = np.squeeze(np.moveaxis(mse_paths, 2, 1))
        self.alpha_ = float(best_alpha)
        self.l1_ratio_ = float(best_rho)
        if isinstance(self.alphas, Integral):
            self.alphas_ = np.asarray(grids)
            if len(l1_ratios) == 1:
                self.alphas_ = self.alphas_[0]
        else:
            self.alphas_ = np.asarray(grids[0])

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None):
        """Choose ``alpha_`` by cross-validation, then fit the exact MAP at it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), float or None
            Used in every training fold (rescaled to sum to the fold's size) and to
            weight each held-out fold's squared errors; the CV error is the unweighted
            mean over folds of those weighted errors (scikit-learn's convention).

        Returns
        -------
        self

        Raises
        ------
        ValueError
            On invalid parameters or data, before any path is computed.
        """
        self._check_params()
        data = self._validated_data(X, y, sample_weight, reset=True)
        self._choose_by_cv(data.X, data.y, _raw_weights(sample_weight, data.X))
        # The refit is the base estimator's fit: its prior reads alpha_ (and l1_ratio_).
        return super().fit(X, y, sample_weight=sample_weight)


class ElasticNetCV(_PathCVMixin, ElasticNet):
    """Elastic net with ``alpha`` and ``l1_ratio`` chosen by cross-validation; MAP at the choice.

    A drop-in for ``sklearn.linear_model.ElasticNetCV``: for each ``l1_ratio`` the
    held-out mean squared error of the MAP along the ``alpha`` grid is averaged over the
    folds, and the pair with the smallest average is chosen.  Then the estimator is
    :class:`bayesreg.ElasticNet` at ``alpha_``, ``l1_ratio_``: it minimises

    ``1 / (2 n) ||y - Xw - b||^2_S + alpha_ rho_ ||w||_1 + 0.5 alpha_ (1 - rho_) ||w||^2_2``,

    the negative log posterior (times ``sigma^2 / n``) of the noise-scaled prior
    ``p(w_j | sigma) propto exp(-(n alpha_ / sigma^2) (rho_ |w_j| + (1 - rho_) w_j^2 / 2))``.

    Parameters
    ----------
    l1_ratio : float or list of float, default 0.5
        The ``rho`` values to try, in [0, 1] (0 needs explicit ``alphas``).
    eps : float, default 1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    alphas : int or array-like, default 100
        Grid size of the automatic grid (from ``alpha_max`` of the full data, per
        ``l1_ratio``), or the grid itself (sorted decreasing, the same for every ratio).
    fit_intercept : bool, default True
    precompute : "auto", bool or array-like, default "auto"
        Accepted for compatibility; the solver always works on the Gram matrix.
    max_iter : int, default 1000
    tol : float, default 1e-4
        Coordinate descent's relative duality gap, on the CV paths and in the refit; an
        exact active-set polish follows (see :func:`bayesreg.solve_map`).
    cv : int, cross-validation generator, iterable or None, default None
        As in scikit-learn: None is 5-fold and an integer ``k`` is ``KFold(k)`` without
        shuffling.
    copy_X, verbose, n_jobs, random_state, selection
        Accepted for compatibility; folds are fitted one after the other and the MAP is
        unique, so they change nothing.
    positive : bool, default False

    Attributes
    ----------
    alpha_ : float
        The chosen penalty strength.
    l1_ratio_ : float
        The chosen ``rho``.
    mse_path_ : ndarray of shape (n_l1_ratio, n_alphas, n_folds)
        Held-out mean squared errors (squeezed: ``(n_alphas, n_folds)`` for one ratio).
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
        The grids used.
    coef_, intercept_, map_, n_iter_, dual_gap_, posterior_, n_features_in_,
    feature_names_in_
        As for :class:`bayesreg.ElasticNet` at ``alpha_``, ``l1_ratio_``.

    Notes
    -----
    The fold paths start at the largest alpha (all zeros) and walk down the grid with
    warm starts, each point an exact MAP with its certificate.  Exact ties in the
    averaged error go to the first alpha on the grid and the first ``l1_ratio``.
    """

    _parameter_constraints: dict = {  # noqa: RUF012 - scikit-learn's class attribute
        **_LINEAR_MODEL_CV_CONSTRAINTS,
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), "array-like"],
    }

    def __init__(
        self,
        *,
        l1_ratio=0.5,
        eps=1e-3,
        alphas=100,
        fit_intercept=True,
        precompute="auto",
        max_iter=1000,
        tol=1e-4,
        cv=None,
        copy_X=True,
        verbose=0,
        n_jobs=None,
        positive=False,
        random_state=None,
        selection="cyclic",
    ):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.copy_X = copy_X
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.positive = positive
        self.random_state = random_state
        self.selection = selection

    def _unit_noise_prior(self, n_samples: int) -> Prior:
        return ElasticNetPrior.from_alpha(self.alpha_, self.l1_ratio_, n_samples)


class LassoCV(_PathCVMixin, Lasso):
    """The lasso with ``alpha`` chosen by cross-validation; the Laplace MAP at the choice.

    A drop-in for ``sklearn.linear_model.LassoCV``: the held-out mean squared error of
    the MAP along the ``alpha`` grid is averaged over the folds and the smallest wins.
    Then the estimator is :class:`bayesreg.Lasso` at ``alpha_``: it minimises

    ``1 / (2 n) ||y - Xw - b||^2_S + alpha_ ||w||_1``,

    ``sigma^2 / n`` times the negative log posterior of ``w_j | sigma ~ Laplace(0,
    sigma^2 / (n alpha_))``.

    Parameters
    ----------
    eps, alphas, fit_intercept, precompute, max_iter, tol, copy_X, cv, verbose, n_jobs,
    positive, random_state, selection
        As for :class:`ElasticNetCV`.

    Attributes
    ----------
    alpha_ : float
    mse_path_ : ndarray of shape (n_alphas, n_folds)
    alphas_ : ndarray of shape (n_alphas,)
    coef_, intercept_, map_, n_iter_, dual_gap_, posterior_, n_features_in_,
    feature_names_in_
        As for :class:`bayesreg.Lasso` at ``alpha_``.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> import bayesreg.model_selection as ms
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = ms.LassoCV(cv=5).fit(X, y)
    >>> model.mse_path_.shape
    (100, 5)
    """

    _parameter_constraints: dict = _LINEAR_MODEL_CV_CONSTRAINTS

    def __init__(
        self,
        *,
        eps=1e-3,
        alphas=100,
        fit_intercept=True,
        precompute="auto",
        max_iter=1000,
        tol=1e-4,
        copy_X=True,
        cv=None,
        verbose=False,
        n_jobs=None,
        positive=False,
        random_state=None,
        selection="cyclic",
    ):
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.copy_X = copy_X
        self.cv = cv
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.positive = positive
        self.random_state = random_state
        self.selection = selection

    def _l1_ratios(self) -> np.ndarray:
        return np.ones(1)

    def _choose_by_cv(self, X, y, sample_weight) -> None:
        super()._choose_by_cv(X, y, sample_weight)
        del self.l1_ratio_  # the lasso has none, as in scikit-learn

    def _unit_noise_prior(self, n_samples: int) -> Prior:
        return Laplace.from_alpha(self.alpha_, n_samples)


# -- ridge: exact leave-one-out -----------------------------------------------------------
class _Identity(RegressorMixin, BaseEstimator):
    """A "model" whose predictions are its input: scores precomputed predictions."""

    def fit(self, X=None, y=None):  # pragma: no cover - never fitted
        return self

    def predict(self, predictions):
        return predictions


class _Linear(RegressorMixin, BaseEstimator):
    """A fixed linear predictor ``X w + b``, for scoring a fold's MAP with a scorer."""

    def __init__(self, coef=None, intercept=0.0):
        self.coef = coef
        self.intercept = intercept

    def fit(self, X=None, y=None):  # pragma: no cover - never fitted
        return self

    def predict(self, X):
        return np.asarray(X, dtype=np.float64) @ self.coef + self.intercept


def _accepts_sample_weight(scorer) -> bool:
    """Whether a scorer takes ``sample_weight`` (scikit-learn's grid search then passes it)."""
    accept = getattr(scorer, "_accept_sample_weight", None)
    if accept is not None:
        return bool(accept())
    return "sample_weight" in inspect.signature(scorer).parameters


def ridge_loo_errors(data: RegressionData, alphas: ArrayLike) -> np.ndarray:
    """Exact leave-one-out errors of the ridge MAP for each alpha, from one SVD.

    Parameters
    ----------
    data : RegressionData
        Weights ``s_i`` as Ridge uses them (not rescaled) and the intercept setting.
    alphas : array-like of shape (n_alphas,)
        Ridge's ``alpha`` values, > 0.

    Returns
    -------
    ndarray of shape (n_samples, n_alphas)
        ``sqrt(s_i) (y_i - yhat_{-i})``: the weighted leave-one-out errors, whose mean
        square is scikit-learn's GCV criterion.

    Notes
    -----
    In the weighted, centred variables ``X~ = sqrt(S)(X - xbar)``, ``y~ = sqrt(S)(y -
    ybar)`` the fitted values of the Gaussian prior's MAP with a flat-prior intercept
    are ``yhat~ = H y~`` with the hat matrix

    ``H = q q' / (q'q) + X~ (X~'X~ + alpha I)^{-1} X~'``,   ``q = sqrt(s)``,

    (``X~' q = 0``, so the intercept's projection and the penalised part are
    orthogonal).  For a linear smoother with a fixed penalty matrix, leaving row ``i``
    out changes the fit in closed form (the Sherman-Morrison identity), and the
    leave-one-out error is exactly

    ``e_i = r_i / (1 - h_ii)``,   ``r = y~ - H y~``.

    With the thin SVD ``X~ = U D V'`` and ``f_k = d_k^2 / (d_k^2 + alpha)``:
    ``r = y~ - U diag(f) U' y~`` and ``1 - h_ii = 1 - sum_k f_k u_ik^2 - s_i / sum s``.
    For ``n <= p`` (``U`` square) they are evaluated as ``U diag(1 - f) U' y~`` and
    ``sum_k (1 - f_k) u_ik^2 - s_i / sum s``, which keeps their accuracy when ``alpha``
    is small (Rifkin & Lippert, 2007; scikit-learn's ``_RidgeGCV``).

    References
    ----------
    .. [1] R. Rifkin and R. Lippert, "Notes on regularized least squares", MIT-CSAIL-TR
       2007-025, 2007.
    .. [2] G. H. Golub, M. Heath and G. Wahba, "Generalized cross-validation as a method
       for choosing a good ridge parameter", Technometrics 21(2), 1979.
    """
    X_t, y_t = data.centered()
    q = np.sqrt(data.sample_weight)
    n, p = X_t.shape
    U, d, _ = np.linalg.svd(X_t, full_matrices=False)
    Uy, Uq = U.T @ y_t, U.T @ q
    d2 = d**2
    out = np.empty((n, len(np.atleast_1d(alphas))))
    eps = np.finfo(np.float64).eps
    for k, alpha in enumerate(np.atleast_1d(alphas)):
        alpha = float(alpha)
        if n <= p:  # U is square: work with 1 - f = alpha / (d^2 + alpha)
            shrink = alpha / (d2 + alpha)
            resid = U @ (shrink * Uy)
            one_minus_h = (U**2) @ shrink
            size = one_minus_h.copy()
            q_resid = U @ (shrink * Uq)
        else:  # 1 - f - 1 = -d^2 / (d^2 + alpha), plus the identity
            shrink = alpha / (d2 + alpha) - 1.0
            resid = U @ (shrink * Uy) + y_t
            one_minus_h = (U**2) @ shrink + 1.0
            size = (U**2) @ np.abs(shrink) + 1.0
            q_resid = U @ (shrink * Uq) + q
        if data.fit_intercept:
            # q'q is sum s; (I - X~ (.)^{-1} X~') q = q since X~' q = 0 (up to rounding).
            intercept_part = q_resid * q / (q @ q)
            one_minus_h = one_minus_h - intercept_part
            size = size + np.abs(intercept_part)
        # 1 - h_ii is a difference of terms of size ``size``: where it is within their
        # rounding, the sample has leverage 1 to float64 precision (as many parameters as
        # samples, or alpha negligible against X~'X~) and its error r_i / (1 - h_ii) is
        # rounding over rounding: NaN, not a number that could win.
        unreliable = (q > 0) & (np.abs(one_minus_h) <= 100.0 * (p + 2) * eps * size)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[:, k] = np.where(unreliable, np.nan, resid / np.where(unreliable, 1.0, one_minus_h))
    return out


class RidgeCV(Ridge):
    """Ridge with ``alpha`` chosen by (efficient leave-one-out) cross-validation; MAP at the choice.

    A drop-in for ``sklearn.linear_model.RidgeCV`` (single target).  With ``cv=None``
    every ``alpha`` is scored by the exact leave-one-out error from one SVD
    (:func:`ridge_loo_errors`); with ``cv`` given, by the mean over folds of
    ``scoring`` (default R^2) of the refits, as scikit-learn's grid search does.  Then
    the estimator is :class:`bayesreg.Ridge` at ``alpha_``: it minimises

    ``||y - Xw - b||^2_S + alpha_ ||w||^2_2``,

    ``2 sigma^2`` times the negative log posterior of ``w_j ~ N(0, sigma^2 / alpha_)``.

    Parameters
    ----------
    alphas : array-like of float, default (0.1, 1.0, 10.0)
        The strengths to try, in the given order (> 0 with ``cv=None``).
    fit_intercept : bool, default True
    scoring : str, callable or None, default None
        None: the (weighted) mean squared leave-one-out error for ``cv=None``, R^2 on
        each held-out fold otherwise.  A scorer is given the leave-one-out predictions
        (and the sample weights) for ``cv=None``.
    cv : int, cross-validation generator, iterable or None, default None
        None: efficient leave-one-out; an integer ``k`` is ``KFold(k)``.
    gcv_mode : {"auto", "svd", "eigen"} or None, default None
        Accepted for compatibility: the leave-one-out errors are always computed from
        the SVD of the centred design, which is exact for every shape.
    store_cv_results : bool, default False
        Keep the per-sample leave-one-out values in ``cv_results_`` (``cv=None`` only).
    alpha_per_target : bool, default False
        Accepted for compatibility; with a single target it changes nothing.

    Attributes
    ----------
    alpha_ : float
    best_score_ : float
        The score at ``alpha_`` (negative mean squared error for ``cv=None`` and
        ``scoring=None``).
    cv_results_ : ndarray of shape (n_samples, n_alphas)
        Squared weighted leave-one-out errors, or the leave-one-out predictions when
        ``scoring`` is given; only with ``store_cv_results``.
    coef_, intercept_, map_, n_iter_, dual_gap_, posterior_, n_features_in_,
    feature_names_in_
        As for :class:`bayesreg.Ridge` at ``alpha_``.

    Notes
    -----
    Ties go to the first alpha in the given order.  With sample weights, leave-one-out
    averages the weighted squared errors ``s_i e_i^2``, and K-fold scoring passes the
    held-out weights to the scorer when it accepts them (as scikit-learn 1.9's grid
    search does; otherwise it warns and scores unweighted).
    """

    _parameter_constraints: dict = {  # noqa: RUF012 - scikit-learn's class attribute
        "alphas": ["array-like", Interval(Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "cv": ["cv_object"],
        "gcv_mode": [StrOptions({"auto", "svd", "eigen"}), None],
        "store_cv_results": ["boolean"],
        "alpha_per_target": ["boolean"],
    }

    # What Ridge's fit reads and RidgeCV does not take as parameters: the refit is the
    # closed form, without a sign constraint, so tol only labels its certificate.
    positive = False
    tol = 1e-4

    def __init__(
        self,
        alphas=(0.1, 1.0, 10.0),
        *,
        fit_intercept=True,
        scoring=None,
        cv=None,
        gcv_mode=None,
        store_cv_results=False,
        alpha_per_target=False,
    ):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.cv = cv
        self.gcv_mode = gcv_mode
        self.store_cv_results = store_cv_results
        self.alpha_per_target = alpha_per_target

    def _unit_noise_prior(self, n_samples: int) -> Prior:
        return Gaussian.from_alpha(self.alpha_)

    def _max_epochs(self) -> int:
        return 10_000  # unused: the refit is the closed form

    def _checked_alphas(self) -> np.ndarray:
        strict = self.cv is None  # leave-one-out needs alpha > 0
        alphas = np.atleast_1d(np.asarray(self.alphas))
        if alphas.ndim != 1 or alphas.size == 0:
            raise ValueError(f"alphas must be a non-empty 1-D sequence, got {self.alphas!r}.")
        for index, alpha in enumerate(alphas):
            check_scalar(
                alpha,
                "alphas" if alphas.size == 1 else f"alphas[{index}]",
                Real,
                min_val=0.0,
                include_boundaries="neither" if strict else "left",
            )
        return alphas.astype(np.float64)

    def _loo_scores(self, data: RegressionData, alphas: np.ndarray, sample_weight):
        errors = ridge_loo_errors(data, alphas)
        if self.scoring is None:
            squared = errors**2
            return -squared.mean(axis=0), squared
        # Leave-one-out predictions in y's units: y - e with e = looe / sqrt(s); a row of
        # weight 0 does not move the fit, so its error is its residual (q=0 rows give 0/0).
        q = np.sqrt(data.sample_weight)
        predictions = np.empty_like(errors)
        positive = q > 0
        predictions[positive] = data.y[positive, None] - errors[positive] / q[positive, None]
        if not np.all(positive):
            for k, alpha in enumerate(alphas):
                refit = Ridge(alpha=alpha, fit_intercept=self.fit_intercept)
                refit.fit(data.X, data.y, sample_weight=data.sample_weight)
                predictions[~positive, k] = refit.predict(data.X[~positive])
        scorer = check_scoring(_Identity(), scoring=self.scoring)
        params = {} if sample_weight is None else {"sample_weight": data.sample_weight}
        # An alpha whose leave-one-out errors are not computable (NaN) scores NaN.
        scores = np.array(
            [
                np.nan
                if np.any(np.isnan(predictions[:, k]))
                else scorer(_Identity(), predictions[:, k], data.y, **params)
                for k in range(len(alphas))
            ]
        )
        return scores, predictions

    def _kfold_scores(self, X: np.ndarray, y: np.ndarray, sample_weight, alphas: np.ndarray):
        folds = list(check_cv(self.cv, y, classifier=False).split(X, y))
        scores = np.empty((len(folds), len(alphas)))
        scorer = check_scoring(_Linear(), scoring=self.scoring)
        weigh_scores = sample_weight is not None and _accepts_sample_weight(scorer)
        if sample_weight is not None and not weigh_scores:
            warnings.warn(
                f"The scoring {scorer} does not support sample_weight: the held-out "
                "scores are unweighted.",
                UserWarning,
                stacklevel=3,
            )
        for f, (train, test) in enumerate(folds):
            sw = None if sample_weight is None else sample_weight[train]
            params = {"sample_weight": sample_weight[test]} if weigh_scores else {}
            for k, alpha in enumerate(alphas):
                refit = Ridge(alpha=alpha, fit_intercept=self.fit_intercept)
                refit.fit(X[train], y[train], sample_weight=sw)
                model = _Linear(refit.coef_, refit.intercept_)
                scores[f, k] = scorer(model, X[test], y[test], **params)
        return scores.mean(axis=0)

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None):
        """Choose ``alpha_`` by leave-one-out or K-fold CV, then fit the exact MAP at it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), float or None
            Ridge's weights (used as given), in the fits and in the scores.

        Returns
        -------
        self
        """
        self._check_params()
        alphas = self._checked_alphas()
        if self.cv is not None and self.store_cv_results:
            raise ValueError("cv!=None and store_cv_results=True are incompatible")
        if self.cv is not None and self.alpha_per_target:
            raise ValueError("cv!=None and alpha_per_target=True are incompatible")
        data = self._validated_data(X, y, sample_weight, reset=True)
        n_weighted = int(np.count_nonzero(data.sample_weight))
        if self.cv is None and n_weighted < 2:
            raise ValueError(
                "RidgeCV's leave-one-out (cv=None) needs at least 2 samples with positive "
                f"weight, got {n_weighted} sample{'' if n_weighted == 1 else 's'} with "
                "positive weight: with one, no sample is left to predict it from."
            )
        if self.cv is None:
            scores, per_sample = self._loo_scores(data, alphas, sample_weight)
            if self.store_cv_results:
                self.cv_results_ = per_sample
        else:
            raw = None if sample_weight is None else data.sample_weight
            scores = self._kfold_scores(data.X, data.y, raw, alphas)
        if np.all(np.isnan(scores)):
            raise ValueError(
                "RidgeCV cannot compute the leave-one-out error at any alpha: some sample "
                "has leverage 1 to float64 precision (as many parameters as samples, or "
                "every alpha negligible against X'X). Use K-fold CV (cv=5), larger alphas, "
                "or rescale X."
            )
        # The first best wins (scikit-learn: strict improvement; its grid search ranks
        # ties to the first parameter); NaN scores never win.
        finite = np.where(np.isnan(scores), -np.inf, scores)
        best = int(np.argmax(finite))
        self.alpha_ = float(alphas[best])
        self.best_score_ = float(scores[best])
        return super().fit(X, y, sample_weight=sample_weight)
