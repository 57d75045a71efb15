"""Tests of bayesreg.plotting.selection: the bias-variance curves are the fits' errors.

Every error drawn is recomputed here from independent scikit-learn fits (tol 1e-10),
the chosen strengths are compared with scikit-learn's and bayesreg's CV estimators and
with BayesianRidge, and the artists are read back.  Real data: diabetes (a random
train/test split) and prostate (the ESL split, standardised by the training set).
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn import linear_model as sk
from sklearn.datasets import load_diabetes
from sklearn.model_selection import KFold, train_test_split
from sklearn.preprocessing import StandardScaler

import bayesreg
from bayesreg.datasets import load_prostate
from bayesreg.plotting.selection import BiasVariancePlot, plot_bias_variance, ridge_alpha_grid

#: Relative deviation allowed between an error here and scikit-learn's at tol=1e-10.
RTOL = 1e-8


def _axes():
    fig = Figure()
    FigureCanvasAgg(fig)
    return fig.add_subplot()


def _diabetes():
    X, y = load_diabetes(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0)
    return X_tr, y_tr, X_te, y_te


def _prostate():
    data = load_prostate()
    train = data.train
    scaler = StandardScaler().fit(data.data[train])
    return (
        scaler.transform(data.data[train]),
        data.target[train],
        scaler.transform(data.data[~train]),
        data.target[~train],
    )


DATASETS = {"diabetes": _diabetes, "prostate": _prostate}


def _mse(model, X, y) -> float:
    return float(np.mean((y - model.predict(X)) ** 2))


def _line(ax, label: str) -> np.ndarray:
    (line,) = [line for line in ax.get_lines() if line.get_label() == label]
    return line.get_xydata()


def _vertical(ax, label_start: str) -> float:
    (line,) = [line for line in ax.get_lines() if line.get_label().startswith(label_start)]
    xs = np.unique(line.get_xdata())
    assert xs.size == 1
    return float(xs[0])


@pytest.fixture(scope="module", params=sorted(DATASETS))
def data(request):
    return DATASETS[request.param]()


@pytest.fixture(scope="module")
def ridge_plot(data):
    folds = KFold(5, shuffle=True, random_state=0)
    return plot_bias_variance(*data, penalty="ridge", cv=folds, ax=_axes()), folds


@pytest.fixture(scope="module")
def lasso_plot(data):
    return plot_bias_variance(*data, penalty="lasso", cv=5, ax=_axes())


# -- the errors are those of independent fits -------------------------------------------
def test_ridge_errors_equal_scikit_learns(data, ridge_plot):
    X_tr, y_tr, X_te, y_te = data
    drawn, _ = ridge_plot
    assert isinstance(drawn, BiasVariancePlot) and drawn.penalty == "ridge"
    assert np.all(np.diff(drawn.alphas) > 0)
    for k, alpha in enumerate(drawn.alphas):
        fit = sk.Ridge(alpha=alpha, tol=1e-10, solver="svd").fit(X_tr, y_tr)
        assert drawn.train_mse[k] == pytest.approx(_mse(fit, X_tr, y_tr), rel=RTOL)
        assert drawn.test_mse[k] == pytest.approx(_mse(fit, X_te, y_te), rel=RTOL)
    i_best = int(np.argmin(drawn.test_mse))
    assert drawn.alpha_test_best == drawn.alphas[i_best]


@pytest.mark.parametrize("penalty", ["lasso", "elasticnet"])
def test_lasso_and_elastic_net_errors_equal_scikit_learns(data, penalty):
    X_tr, y_tr, X_te, y_te = data
    l1_ratio = 1.0 if penalty == "lasso" else 0.5
    alphas = None if penalty == "lasso" else np.geomspace(1e-3, 10.0, 25)
    drawn = plot_bias_variance(
        X_tr, y_tr, X_te, y_te, penalty=penalty, l1_ratio=l1_ratio, alphas=alphas, ax=_axes()
    )
    if penalty == "lasso":  # scikit-learn's grid, increasing
        grid = bayesreg.path.alpha_grid(X_tr, y_tr)
        np.testing.assert_allclose(drawn.alphas, grid[::-1], rtol=1e-14)
    for k, alpha in enumerate(drawn.alphas):
        fit = sk.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-10, max_iter=1_000_000)
        fit.fit(X_tr, y_tr)
        assert drawn.train_mse[k] == pytest.approx(_mse(fit, X_tr, y_tr), rel=RTOL)
        assert drawn.test_mse[k] == pytest.approx(_mse(fit, X_te, y_te), rel=RTOL)


def test_training_error_is_nondecreasing_in_alpha(data, ridge_plot, lasso_plot):
    # For a < a' with exact minimisers w, w' of L + a P and L + a' P: adding the two
    # optimality inequalities gives (a - a')(P(w) - P(w')) <= 0, so P(w) >= P(w'), and
    # then L(w) <= L(w') + a (P(w') - P(w)) <= L(w').  Only rounding can break it.
    for drawn in (ridge_plot[0], lasso_plot):
        steps = np.diff(drawn.train_mse)
        assert np.all(steps >= -1e-12 * drawn.train_mse[1:])
        assert drawn.train_mse[-1] > drawn.train_mse[0]  # and it does grow


# -- cross-validation -------------------------------------------------------------------
def test_ridge_kfold_curve_and_choice_equal_scikit_learns(data, ridge_plot):
    X_tr, y_tr, _, _ = data
    drawn, folds = ridge_plot
    splits = list(folds.split(X_tr))
    fold_mse = np.empty((len(drawn.alphas), len(splits)))
    for k, alpha in enumerate(drawn.alphas):
        for f, (train, test) in enumerate(splits):
            fit = sk.Ridge(alpha=alpha, solver="svd").fit(X_tr[train], y_tr[train])
            fold_mse[k, f] = _mse(fit, X_tr[test], y_tr[test])
    np.testing.assert_allclose(drawn.cv_mse, fold_mse.mean(axis=1), rtol=RTOL)
    se = fold_mse.std(axis=1, ddof=1) / np.sqrt(len(splits))
    np.testing.assert_allclose(drawn.cv_se, se, rtol=1e-6)
    assert drawn.alpha_cv == drawn.alphas[np.argmin(drawn.cv_mse)]
    chooser = sk.RidgeCV(alphas=drawn.alphas, cv=folds, scoring="neg_mean_squared_error")
    assert drawn.alpha_cv == chooser.fit(X_tr, y_tr).alpha_
    ours = bayesreg.RidgeCV(alphas=drawn.alphas, cv=folds, scoring="neg_mean_squared_error")
    assert drawn.alpha_cv == ours.fit(X_tr, y_tr).alpha_


def test_ridge_leave_one_out_equals_ridgecv_gcv(data):
    # cv=None: the exact leave-one-out errors; scikit-learn's RidgeCV computes them by
    # its own GCV code, and both choose the same alpha.
    X_tr, y_tr, X_te, y_te = data
    drawn = plot_bias_variance(X_tr, y_tr, X_te, y_te, cv=None, ax=_axes())
    sk_cv = sk.RidgeCV(alphas=drawn.alphas, store_cv_results=True).fit(X_tr, y_tr)
    squared = sk_cv.cv_results_  # (n_samples, n_alphas) squared leave-one-out errors
    np.testing.assert_allclose(drawn.cv_mse, squared.mean(axis=0), rtol=1e-7)
    se = squared.std(axis=0, ddof=1) / np.sqrt(squared.shape[0])
    np.testing.assert_allclose(drawn.cv_se, se, rtol=1e-6)
    assert drawn.alpha_cv == sk_cv.alpha_
    assert drawn.alpha_cv == bayesreg.RidgeCV(alphas=drawn.alphas).fit(X_tr, y_tr).alpha_
    assert "leave-one-out CV error" in [line.get_label() for line in drawn.ax.get_lines()]


def test_lasso_cv_curve_and_choice_equal_scikit_learns(data, lasso_plot):
    X_tr, y_tr, _, _ = data
    drawn = lasso_plot
    sk_cv = sk.LassoCV(alphas=drawn.alphas, cv=5, tol=1e-10, max_iter=1_000_000)
    sk_cv.fit(X_tr, y_tr)
    mse_path = sk_cv.mse_path_[::-1]  # scikit-learn's runs down the grid
    np.testing.assert_allclose(drawn.cv_mse, mse_path.mean(axis=1), rtol=1e-7)
    np.testing.assert_allclose(drawn.cv_se, mse_path.std(axis=1, ddof=1) / np.sqrt(5), rtol=1e-5)
    assert drawn.alpha_cv == sk_cv.alpha_
    assert drawn.alpha_cv == drawn.alphas[np.argmin(drawn.cv_mse)]
    assert drawn.alpha_eb is None


def test_lasso_leave_one_out_is_the_mean_of_n_held_out_errors():
    X_tr, y_tr, X_te, y_te = _prostate()
    alphas = np.geomspace(1e-3, 0.5, 4)
    drawn = plot_bias_variance(
        X_tr, y_tr, X_te, y_te, penalty="lasso", alphas=alphas, cv=None, ax=_axes()
    )
    squared = np.empty((alphas.size, y_tr.size))
    for i in range(y_tr.size):
        keep = np.arange(y_tr.size) != i
        for k, alpha in enumerate(alphas):
            fit = sk.Lasso(alpha=alpha, tol=1e-10, max_iter=1_000_000).fit(X_tr[keep], y_tr[keep])
            squared[k, i] = (y_tr[i] - fit.predict(X_tr[i : i + 1])[0]) ** 2
    np.testing.assert_allclose(drawn.cv_mse, squared.mean(axis=1), rtol=1e-7)
    np.testing.assert_allclose(
        drawn.cv_se, squared.std(axis=1, ddof=1) / np.sqrt(y_tr.size), rtol=1e-6
    )


def test_folds_are_drawn_once_for_a_shuffling_splitter(data):
    # KFold(shuffle=True) without a seed splits differently on every call: the curve
    # and the CV estimator must see the same folds, or the marked choice is not the
    # curve's minimum.
    X_tr, y_tr, X_te, y_te = data
    for penalty in ("ridge", "lasso"):
        drawn = plot_bias_variance(
            X_tr, y_tr, X_te, y_te, penalty=penalty, cv=KFold(5, shuffle=True), ax=_axes()
        )
        assert drawn.alpha_cv == drawn.alphas[np.argmin(drawn.cv_mse)]


def test_one_standard_error_rule(ridge_plot, lasso_plot):
    for drawn in (ridge_plot[0], lasso_plot):
        best = int(np.argmin(drawn.cv_mse))
        threshold = drawn.cv_mse[best] + drawn.cv_se[best]
        admissible = [a for a, e in zip(drawn.alphas, drawn.cv_mse, strict=True) if e <= threshold]
        assert drawn.alpha_1se == max(admissible)
        assert drawn.alpha_1se >= drawn.alpha_cv


# -- empirical Bayes --------------------------------------------------------------------
def test_empirical_bayes_alpha_is_bayesian_ridges_posterior_mode(data, ridge_plot):
    # BayesianRidge's posterior mean (= mode) at its (alpha_, lambda_) minimises
    # alpha_/2 ||y - Xw - b||^2 + lambda_/2 ||w||^2: Ridge with alpha = lambda_ / alpha_.
    X_tr, y_tr, _, _ = data
    drawn, _ = ridge_plot
    evidence = bayesreg.BayesianRidge().fit(X_tr, y_tr)
    assert drawn.alpha_eb == evidence.lambda_ / evidence.alpha_
    ridge = sk.Ridge(alpha=drawn.alpha_eb, solver="svd").fit(X_tr, y_tr)
    np.testing.assert_allclose(ridge.coef_, evidence.coef_, rtol=1e-8, atol=0)
    assert ridge.intercept_ == pytest.approx(evidence.intercept_, rel=1e-10)
    # scikit-learn's own BayesianRidge reaches the same evidence maximum (its fixed-point
    # iteration stops at tol; run it to 1e-12).
    sk_evidence = sk.BayesianRidge(tol=1e-12, max_iter=100_000).fit(X_tr, y_tr)
    assert drawn.alpha_eb == pytest.approx(sk_evidence.lambda_ / sk_evidence.alpha_, rel=1e-8)


# -- what is drawn ----------------------------------------------------------------------
def test_artists_show_the_numbers(ridge_plot):
    drawn, _ = ridge_plot
    ax = drawn.ax
    assert ax.get_xscale() == "log"
    np.testing.assert_array_equal(_line(ax, "training error"), np.c_[drawn.alphas, drawn.train_mse])
    np.testing.assert_array_equal(_line(ax, "test error"), np.c_[drawn.alphas, drawn.test_mse])
    np.testing.assert_array_equal(_line(ax, "5-fold CV error"), np.c_[drawn.alphas, drawn.cv_mse])
    (band,) = [c for c in ax.collections if c.get_label() == "CV ± 1 SE"]
    vertices = band.get_paths()[0].vertices
    for x, low, high in zip(
        drawn.alphas, drawn.cv_mse - drawn.cv_se, drawn.cv_mse + drawn.cv_se, strict=True
    ):
        ys = vertices[vertices[:, 0] == x, 1]
        assert ys.min() == pytest.approx(low) and ys.max() == pytest.approx(high)
    assert _vertical(ax, "CV choice") == drawn.alpha_cv
    assert _vertical(ax, "1-SE rule") == drawn.alpha_1se
    assert _vertical(ax, "empirical Bayes") == drawn.alpha_eb
    assert _vertical(ax, "test optimum") == drawn.alpha_test_best
    low, high = ax.get_xlim()
    assert low < drawn.alphas[0] and high > drawn.alphas[-1]


def test_lasso_draws_no_empirical_bayes_line(lasso_plot):
    labels = [line.get_label() for line in lasso_plot.ax.get_lines()]
    assert not any(label.startswith("empirical Bayes") for label in labels)


def test_default_ridge_grid_spans_least_squares_to_full_shrinkage(data):
    # Shrinkage factors d_k^2 / (d_k^2 + alpha) of the principal directions: all >= 0.99
    # at the grid's start, all <= 0.01 at its end.
    X_tr = data[0]
    grid = ridge_alpha_grid(X_tr)
    d2 = np.linalg.svd(X_tr - X_tr.mean(0), compute_uv=False) ** 2
    assert np.all(d2 / (d2 + grid[0]) >= 0.99 - 1e-12)
    assert np.all(d2 / (d2 + grid[-1]) <= 0.01 + 1e-12)
    assert grid.size == 100 and np.all(np.diff(grid) > 0)


# -- bad input --------------------------------------------------------------------------
def test_bad_input_is_refused_with_a_clear_message():
    X_tr, y_tr, X_te, y_te = _prostate()
    with pytest.raises(ValueError, match="penalty must be one of"):
        plot_bias_variance(X_tr, y_tr, X_te, y_te, penalty="l1")
    with pytest.raises(ValueError, match="X has 67 samples but y has 66"):
        plot_bias_variance(X_tr, y_tr[:-1], X_te, y_te)
    with pytest.raises(ValueError, match="X has 30 samples but y has 29"):
        plot_bias_variance(X_tr, y_tr, X_te, y_te[:-1])
    with pytest.raises(ValueError, match="X_test has 7 features but X_train has 8"):
        plot_bias_variance(X_tr, y_tr, X_te[:, :7], y_te)
    for bad in ([0.0, 1.0], [-1.0], []):
        with pytest.raises(ValueError, match="alphas"):
            plot_bias_variance(X_tr, y_tr, X_te, y_te, alphas=bad)
    with pytest.raises(ValueError, match="only with penalty='elasticnet'"):
        plot_bias_variance(X_tr, y_tr, X_te, y_te, penalty="ridge", l1_ratio=0.5)
    with pytest.raises(ValueError, match=r"in \(0, 1\]"):
        plot_bias_variance(X_tr, y_tr, X_te, y_te, penalty="elasticnet", l1_ratio=0.0)
    X_nan = X_tr.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        plot_bias_variance(X_nan, y_tr, X_te, y_te)
    with pytest.raises(ValueError, match="y must have shape"):
        plot_bias_variance(X_tr, np.c_[y_tr, y_tr], X_te, y_te)


def test_rcparams_unchanged_and_a_new_figure_without_ax():
    import matplotlib.pyplot as plt

    before = dict(mpl.rcParams)
    n_figures = len(plt.get_fignums())
    drawn = plot_bias_variance(*_prostate(), penalty="ridge")
    try:
        assert dict(mpl.rcParams) == before
        assert len(plt.get_fignums()) == n_figures + 1
        assert drawn.ax.figure.number == plt.get_fignums()[-1]
    finally:
        plt.close(drawn.ax.figure)
