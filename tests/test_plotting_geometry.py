"""Tests of bayesreg.plotting.geometry: the constraint picture and the posterior plane.

What is drawn is checked as numbers (artists' data and the returned values), against
computations written here from the raw data: centred least squares, an exact solve of
the constrained problem, the KKT multiplier, closed-form and brute-force integrals over
the noise scale, and Monte Carlo on the joint posterior of (w, sigma).
"""

from __future__ import annotations

import itertools

import arviz as az
import matplotlib as mpl
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.collections import PathCollection
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from scipy import integrate, optimize, stats
from scipy.special import logsumexp
from sklearn.datasets import load_diabetes
from sklearn.exceptions import NotFittedError

import bayesreg
from bayesreg.datasets import load_prostate
from bayesreg.marginal_posterior import coef_marginal_log_density
from bayesreg.model import RegressionData
from bayesreg.plotting.geometry import (
    plot_constraint,
    plot_posterior_plane,
)
from bayesreg.priors import ElasticNetPrior, Gaussian, Laplace

MAP_LABEL = "MAP = tangent point (coef_)"
MAP_CONTOUR_LABEL = "loss contour through the MAP"


# -- data and independent computations ---------------------------------------------------
def _diabetes():
    data = load_diabetes(as_frame=True)
    return data.data[["bmi", "s5"]], data.target


def _prostate():
    data = load_prostate(as_frame=True)
    return data.data[["lcavol", "lweight"]], data.target


DATASETS = {"diabetes": _diabetes, "prostate": _prostate}
# Lasso alphas with the MAP strictly inside a quadrant, and on a corner (w_2 = 0 exactly):
# diabetes' s5 enters the path at alpha = 2.012, prostate's lweight at about 0.15.
INTERIOR_ALPHA = {"diabetes": 0.5, "prostate": 0.05}
CORNER_ALPHA = {"diabetes": 2.05, "prostate": 0.3}
RIDGE_ALPHA = {"diabetes": 0.5, "prostate": 20.0}


def _centred(X, y):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return X - X.mean(axis=0), y - y.mean()


def _lasso_loss(Xc, yc, w):
    """scikit-learn's Lasso data term (1 / 2n) ||yc - Xc w||^2, row by row."""
    r = yc[:, None] - Xc @ np.atleast_2d(w).T
    return (r * r).sum(axis=0) / (2 * len(yc))


def _ridge_loss(Xc, yc, w):
    """scikit-learn's Ridge data term ||yc - Xc w||^2, row by row."""
    r = yc[:, None] - Xc @ np.atleast_2d(w).T
    return (r * r).sum(axis=0)


def _l1_constrained_minimum(Xc, yc, t):
    """argmin (1/2n)||yc - Xc w||^2 s.t. ||w||_1 <= t, by enumerating the diamond's faces.

    The loss is a convex quadratic; if its minimiser is outside the diamond, the
    constrained minimum is on the boundary: the best point of the four edges (each a
    1-D quadratic minimised in closed form and clipped to the segment).
    """
    ols = np.linalg.solve(Xc.T @ Xc, Xc.T @ yc)
    if np.abs(ols).sum() <= t:
        return ols
    n = len(yc)
    H = Xc.T @ Xc / n  # Hessian of the loss
    vertices = np.array([[t, 0.0], [0.0, t], [-t, 0.0], [0.0, -t], [t, 0.0]])
    best, best_loss = None, np.inf
    for a, b in itertools.pairwise(vertices):
        d = b - a
        grad_a = -Xc.T @ (yc - Xc @ a) / n
        s = np.clip(-(d @ grad_a) / (d @ H @ d), 0.0, 1.0)
        w = a + s * d
        loss = _lasso_loss(Xc, yc, w)[0]
        if loss < best_loss:
            best, best_loss = w, loss
    return best


def _l2_constrained_minimum(Xc, yc, t):
    """argmin ||yc - Xc w||^2 s.t. ||w||_2 <= t: w(mu) = (Xc'Xc + mu I)^-1 Xc'yc with
    ||w(mu)|| = t, a 1-D root in mu (||w(mu)|| decreases in mu)."""
    G, b = Xc.T @ Xc, Xc.T @ yc

    def w_of(mu):
        return np.linalg.solve(G + mu * np.eye(2), b)

    mu = optimize.brentq(lambda mu: np.linalg.norm(w_of(mu)) - t, 0.0, 1e12, xtol=1e-14)
    return w_of(mu), mu


def _line(ax, label):
    lines = [line for line in ax.get_lines() if line.get_label() == label]
    assert len(lines) == 1, [line.get_label() for line in ax.get_lines()]
    return lines[0]


@pytest.fixture
def ax():
    fig = Figure()
    yield fig.add_subplot()
    fig.clear()


# -- the constraint picture ------------------------------------------------------------
@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("case", ["lasso-interior", "lasso-corner", "ridge"])
def test_tangent_point_is_coef_and_budget_is_its_norm(dataset, case, ax):
    X, y = DATASETS[dataset]()
    if case == "ridge":
        est = bayesreg.Ridge(alpha=RIDGE_ALPHA[dataset]).fit(X, y)
    else:
        alphas = INTERIOR_ALPHA if case == "lasso-interior" else CORNER_ALPHA
        est = bayesreg.Lasso(alpha=alphas[dataset]).fit(X, y)
    drawn = plot_constraint(est, X, y, ax=ax)

    # The marker is the solver's MAP, bit for bit.
    point = _line(ax, MAP_LABEL).get_xydata()
    assert point.shape == (1, 2)
    assert np.array_equal(point[0], est.coef_)
    assert np.array_equal(drawn.coef_map, est.coef_)

    order = 2 if case == "ridge" else 1
    assert drawn.budget == np.linalg.norm(est.coef_, order)
    # The region's boundary, as drawn, is the ball of that radius.
    assert any(np.array_equal(line.get_xydata(), drawn.region) for line in ax.get_lines())
    norms = np.linalg.norm(drawn.region, order, axis=1)
    np.testing.assert_allclose(norms, drawn.budget, rtol=1e-13)


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("which", ["interior", "corner"])
def test_lasso_map_solves_the_constrained_problem(dataset, which, ax):
    # Lagrange: min (1/2n)||r||^2 + alpha ||w||_1 and min (1/2n)||r||^2 s.t.
    # ||w||_1 <= ||w_alpha||_1 have the same solution; solved here on the diamond's faces.
    X, y = DATASETS[dataset]()
    alpha = (INTERIOR_ALPHA if which == "interior" else CORNER_ALPHA)[dataset]
    est = bayesreg.Lasso(alpha=alpha).fit(X, y)
    drawn = plot_constraint(est, X, y, ax=ax)
    Xc, yc = _centred(X, y)
    w_constrained = _l1_constrained_minimum(Xc, yc, drawn.budget)
    scale = np.abs(est.coef_).max()
    np.testing.assert_allclose(w_constrained, est.coef_, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(drawn.ols, np.linalg.solve(Xc.T @ Xc, Xc.T @ yc), rtol=1e-12)


@pytest.mark.parametrize("dataset", DATASETS)
def test_ridge_map_solves_the_constrained_problem(dataset, ax):
    # min ||r||^2 + alpha ||w||^2 and min ||r||^2 s.t. ||w||_2 <= ||w_alpha||_2: the same w,
    # and the multiplier found by the 1-D root is alpha.
    X, y = DATASETS[dataset]()
    alpha = RIDGE_ALPHA[dataset]
    est = bayesreg.Ridge(alpha=alpha).fit(X, y)
    drawn = plot_constraint(est, X, y, ax=ax)
    Xc, yc = _centred(X, y)
    w_constrained, mu = _l2_constrained_minimum(Xc, yc, drawn.budget)
    np.testing.assert_allclose(w_constrained, est.coef_, rtol=1e-9)
    np.testing.assert_allclose(mu, alpha, rtol=1e-8)
    assert drawn.penalty_level == pytest.approx(drawn.budget**2, rel=1e-14)


def test_slsqp_on_the_constrained_problem_agrees(ax):
    # A generic solver, independent of the face enumeration: w = u - v with u, v >= 0 and
    # sum(u + v) <= t makes the L1 constraint smooth.
    X, y = _prostate()
    est = bayesreg.Lasso(alpha=0.1).fit(X, y)
    t = plot_constraint(est, X, y, ax=ax).budget
    Xc, yc = _centred(X, y)

    def loss(z):
        return _lasso_loss(Xc, yc, z[:2] - z[2:])[0]

    result = optimize.minimize(
        loss,
        np.full(4, t / 4),
        method="SLSQP",
        bounds=[(0, None)] * 4,
        constraints=[{"type": "ineq", "fun": lambda z: t - z.sum()}],
        options={"ftol": 1e-16, "maxiter": 1000},
    )
    assert result.success, result.message
    np.testing.assert_allclose(result.x[:2] - result.x[2:], est.coef_, atol=1e-6)


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize(
    "make",
    [
        lambda d: bayesreg.Lasso(alpha=INTERIOR_ALPHA[d]),
        lambda d: bayesreg.Lasso(alpha=CORNER_ALPHA[d]),
        lambda d: bayesreg.Ridge(alpha=RIDGE_ALPHA[d]),
        lambda d: bayesreg.ElasticNet(alpha=INTERIOR_ALPHA[d], l1_ratio=0.4),
    ],
    ids=["lasso-interior", "lasso-corner", "ridge", "elastic-net"],
)
def test_multiplier_is_alpha(dataset, make, ax):
    X, y = DATASETS[dataset]()
    est = make(dataset).fit(X, y)
    drawn = plot_constraint(est, X, y, ax=ax)
    assert drawn.alpha == est.alpha
    assert drawn.multiplier == pytest.approx(est.alpha, rel=1e-8)
    # Independently for the lasso: |X_j'(y - X w)| / n = alpha on the active set.
    if isinstance(est, bayesreg.Lasso):
        Xc, yc = _centred(X, y)
        active = est.coef_ != 0
        correlation = np.abs(Xc.T @ (yc - Xc @ est.coef_))[active] / len(yc)
        np.testing.assert_allclose(correlation, est.alpha, rtol=1e-8)


@pytest.mark.parametrize(
    "est",
    [bayesreg.LassoCV(cv=5), bayesreg.RidgeCV(alphas=(1.0, 10.0, 100.0))],
    ids=["LassoCV", "RidgeCV"],
)
def test_cv_estimators_use_the_chosen_alpha(est, ax):
    X, y = _prostate()
    est.fit(X, y)
    drawn = plot_constraint(est, X, y, ax=ax)
    assert drawn.alpha == est.alpha_
    assert drawn.multiplier == pytest.approx(est.alpha_, rel=1e-8)


@settings(max_examples=25, deadline=None)
@given(fraction=st.floats(0.01, 0.98))
def test_lasso_lagrange_link_over_alpha(fraction):
    # For every alpha below alpha_max: multiplier = alpha, the face enumeration at the
    # budget returns coef_, and the tangent point is a corner iff a weight is 0.
    X, y = _prostate()
    Xc, yc = _centred(X, y)
    alpha = fraction * np.abs(Xc.T @ yc).max() / len(yc)
    est = bayesreg.Lasso(alpha=alpha).fit(X, y)
    fig = Figure()
    drawn = plot_constraint(est, X, y, ax=fig.add_subplot())
    assert drawn.multiplier == pytest.approx(alpha, rel=1e-8)
    w_constrained = _l1_constrained_minimum(Xc, yc, drawn.budget)
    np.testing.assert_allclose(w_constrained, est.coef_, atol=1e-9 * np.abs(est.coef_).max())
    on_corner = any(np.array_equal(v, est.coef_) for v in drawn.region)
    assert on_corner == bool(np.any(est.coef_ == 0))


@settings(max_examples=15, deadline=None)
@given(log_alpha=st.floats(-2.0, 4.0))
def test_ridge_lagrange_link_over_alpha(log_alpha):
    X, y = _diabetes()
    alpha = 10.0**log_alpha
    est = bayesreg.Ridge(alpha=alpha).fit(X, y)
    fig = Figure()
    drawn = plot_constraint(est, X, y, ax=fig.add_subplot())
    assert drawn.multiplier == pytest.approx(alpha, rel=1e-8)
    Xc, yc = _centred(X, y)
    w_constrained, mu = _l2_constrained_minimum(Xc, yc, drawn.budget)
    np.testing.assert_allclose(w_constrained, est.coef_, rtol=1e-8)
    assert mu == pytest.approx(alpha, rel=1e-7)


@pytest.mark.parametrize("kind", ["lasso", "ridge"])
def test_map_contour_has_the_level_of_the_map(kind, ax):
    X, y = _prostate()
    Xc, yc = _centred(X, y)
    if kind == "lasso":
        est, loss = bayesreg.Lasso(alpha=0.1).fit(X, y), _lasso_loss
    else:
        est, loss = bayesreg.Ridge(alpha=20.0).fit(X, y), _ridge_loss
    drawn = plot_constraint(est, X, y, ax=ax)
    level = loss(Xc, yc, est.coef_)[0]
    assert drawn.loss_at_map == pytest.approx(level, rel=1e-12)
    contour = _line(ax, MAP_CONTOUR_LABEL).get_xydata()
    np.testing.assert_array_equal(contour, drawn.map_contour)
    np.testing.assert_allclose(loss(Xc, yc, contour), level, rtol=1e-10)
    # The contour passes through the tangent point: its closest point is within the
    # spacing of the drawn points (721 over the ellipse).
    gap = np.min(np.linalg.norm(contour - est.coef_, axis=1))
    spacing = np.max(np.linalg.norm(np.diff(contour, axis=0), axis=1))
    assert gap <= spacing
    # The other contours lie at their reported levels.
    assert len(drawn.contours) >= 3
    for points, value in zip(drawn.contours, drawn.levels, strict=True):
        np.testing.assert_allclose(loss(Xc, yc, points), value, rtol=1e-10)
    assert drawn.loss_at_ols == pytest.approx(loss(Xc, yc, drawn.ols)[0], rel=1e-12)


def test_explicit_levels_are_drawn(ax):
    X, y = _prostate()
    Xc, yc = _centred(X, y)
    est = bayesreg.Lasso(alpha=0.1).fit(X, y)
    levels = [0.3, 0.4, 0.5]
    drawn = plot_constraint(est, X, y, ax=ax, levels=levels)
    np.testing.assert_array_equal(drawn.levels, levels)
    for points, value in zip(drawn.contours, levels, strict=True):
        np.testing.assert_allclose(_lasso_loss(Xc, yc, points), value, rtol=1e-10)


@pytest.mark.parametrize("dataset", DATASETS)
def test_lasso_corner_tangent_point_is_a_vertex(dataset, ax):
    X, y = DATASETS[dataset]()
    est = bayesreg.Lasso(alpha=CORNER_ALPHA[dataset]).fit(X, y)
    assert np.count_nonzero(est.coef_ == 0) == 1  # one weight exactly zero
    drawn = plot_constraint(est, X, y, ax=ax)
    assert any(np.array_equal(vertex, est.coef_) for vertex in drawn.region)


def test_ridge_circle_radius_is_the_norm(ax):
    X, y = _diabetes()
    est = bayesreg.Ridge(alpha=0.5).fit(X, y)
    drawn = plot_constraint(est, X, y, ax=ax)
    radius = np.linalg.norm(est.coef_)
    np.testing.assert_allclose(np.linalg.norm(drawn.region, axis=1), radius, rtol=1e-13)
    # The circle is the whole circle: its points span every direction.
    angles = np.sort(np.arctan2(drawn.region[:, 1], drawn.region[:, 0]))
    assert np.max(np.diff(angles)) < 0.01


def test_elastic_net_ball(ax):
    X, y = _prostate()
    est = bayesreg.ElasticNet(alpha=0.1, l1_ratio=0.3).fit(X, y)
    drawn = plot_constraint(est, X, y, ax=ax)
    level = 0.3 * np.abs(est.coef_).sum() + 0.35 * est.coef_ @ est.coef_
    assert drawn.budget == pytest.approx(level, rel=1e-14)
    values = 0.3 * np.abs(drawn.region).sum(axis=1) + 0.35 * (drawn.region**2).sum(axis=1)
    np.testing.assert_allclose(values, level, rtol=1e-12)


def test_limits_labels_and_aspect(ax):
    X, y = _diabetes()
    est = bayesreg.Lasso(alpha=CORNER_ALPHA["diabetes"]).fit(X, y)
    drawn = plot_constraint(est, X, y, ax=ax)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert (x0, x1) == drawn.xlim and (y0, y1) == drawn.ylim
    for point in [np.zeros(2), drawn.ols, drawn.coef_map, *drawn.region]:
        assert x0 < point[0] < x1 and y0 < point[1] < y1
    assert ax.get_aspect() == 1.0
    assert ax.get_xlabel() == "coefficient of bmi" and ax.get_ylabel() == "coefficient of s5"
    assert r"\alpha = 2.05" in ax.get_legend().get_title().get_text()


def test_feature_names(ax):
    X, y = _prostate()
    est = bayesreg.Lasso(alpha=0.1).fit(X.to_numpy(), y.to_numpy())
    drawn = plot_constraint(est, X.to_numpy(), y.to_numpy(), ax=ax)
    assert drawn.feature_names == ["w1", "w2"] and ax.get_xlabel() == "w1"
    drawn = plot_constraint(est, X.to_numpy(), y, ax=ax, feature_names=["a", "b"])
    assert drawn.feature_names == ["a", "b"] and ax.get_ylabel() == "coefficient of b"
    with pytest.raises(ValueError, match="feature_names"):
        plot_constraint(est, X.to_numpy(), y, ax=ax, feature_names=["a"])


def test_alpha_zero_draws_the_least_squares_point(ax):
    X, y = _prostate()
    est = bayesreg.Ridge(alpha=0.0).fit(X, y)
    drawn = plot_constraint(est, X, y, ax=ax)
    np.testing.assert_allclose(drawn.coef_map, drawn.ols, rtol=1e-12)
    assert abs(drawn.multiplier) < 1e-8
    # The contours are then spaced by the one through the origin: radii j/4 of its radius
    # in the metric Xc'Xc (ridge: L - L_ols = radius^2), three inside, more outwards.
    Xc, _ = _centred(X, y)
    origin_radius = np.sqrt(drawn.ols @ Xc.T @ Xc @ drawn.ols)
    radii = np.sqrt(drawn.levels - drawn.loss_at_ols)
    np.testing.assert_allclose(radii / origin_radius, np.arange(1, len(radii) + 1) / 4, rtol=1e-9)
    assert 4 <= len(radii) <= 6


def test_sample_weight_is_used(ax):
    X, y = _prostate()
    weight = np.random.default_rng(0).uniform(0.2, 2.0, size=len(y))
    est = bayesreg.Lasso(alpha=0.1).fit(X, y, sample_weight=weight)
    drawn = plot_constraint(est, X, y, sample_weight=weight, ax=ax)
    assert drawn.multiplier == pytest.approx(0.1, rel=1e-8)
    with pytest.raises(ValueError, match="fitted on"):
        plot_constraint(est, X, y, ax=ax)  # the unweighted data: coef_ is not optimal


def test_constraint_errors(ax):
    X, y = _prostate()
    with pytest.raises(NotFittedError):
        plot_constraint(bayesreg.Lasso(alpha=0.1), X, y, ax=ax)
    from sklearn.linear_model import Lasso as SkLasso

    with pytest.raises(TypeError, match=r"bayesreg\.Lasso"):
        plot_constraint(SkLasso(alpha=0.1).fit(X, y), X, y, ax=ax)
    full = load_prostate(as_frame=True)
    three = bayesreg.Lasso(alpha=0.1).fit(full.data.iloc[:, :3], full.target)
    with pytest.raises(ValueError, match="exactly 2 weights"):
        plot_constraint(three, full.data.iloc[:, :3], full.target, ax=ax)
    est = bayesreg.Lasso(alpha=0.1).fit(X, y)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\)"):
        plot_constraint(est, full.data.iloc[:, :3], y, ax=ax)
    with pytest.raises(ValueError, match="KKT violation"):
        plot_constraint(est, X, y.sample(frac=1.0, random_state=0).to_numpy(), ax=ax)
    with pytest.raises(ValueError, match="alpha_max"):
        plot_constraint(bayesreg.Lasso(alpha=5.0).fit(X, y), X, y, ax=ax)
    with pytest.raises(ValueError, match="positive=True"):
        plot_constraint(bayesreg.Lasso(alpha=0.1, positive=True).fit(X, y), X, y, ax=ax)
    factor = bayesreg.Lasso(alpha=0.1, penalty_factor=[1.0, 2.0]).fit(X, y)
    with pytest.raises(ValueError, match="penalty_factor"):
        plot_constraint(factor, X, y, ax=ax)
    with pytest.raises(ValueError, match="least-squares loss"):
        plot_constraint(est, X, y, ax=ax, levels=[0.0])
    with pytest.raises(ValueError, match="levels"):
        plot_constraint(est, X, y, ax=ax, levels=-1)


def test_rcparams_unchanged_and_new_figure():
    import matplotlib.pyplot as plt

    before = dict(mpl.rcParams)
    X, y = _prostate()
    est = bayesreg.Lasso(alpha=0.3).fit(X, y)
    drawn = plot_constraint(est, X, y)
    plane = plot_posterior_plane(est, X, y, grid_size=40)
    assert drawn.ax.figure is not plane.ax.figure
    plt.close(drawn.ax.figure)
    plt.close(plane.ax.figure)
    assert dict(mpl.rcParams) == before


# -- the marginal posterior density ------------------------------------------------------
def _regression_data(X, y, weight=None):
    return RegressionData.from_arrays(np.asarray(X), np.asarray(y), weight)


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("prior_kind", ["laplace", "gaussian"])
def test_closed_form_and_quadrature_agree(dataset, prior_kind):
    X, y = DATASETS[dataset]()
    data = _regression_data(X, y)
    if prior_kind == "laplace":
        est = bayesreg.Lasso(alpha=CORNER_ALPHA[dataset]).fit(X, y)
        prior = Laplace.from_alpha(est.alpha, len(y))
    else:
        est = bayesreg.Ridge(alpha=RIDGE_ALPHA[dataset]).fit(X, y)
        prior = Gaussian.from_alpha(est.alpha)
    plane = plot_posterior_plane(est, X, y, ax=Figure().add_subplot(), grid_size=60)
    mesh = np.stack(np.meshgrid(plane.grid_x, plane.grid_y), axis=-1)
    closed = coef_marginal_log_density(data, prior, mesh, method="closed-form")
    quad = coef_marginal_log_density(data, prior, mesh, method="quadrature")
    # The same unnormalised quantity (same constants), and the same normalised density.
    np.testing.assert_allclose(quad, closed, rtol=0, atol=1e-9)
    p_closed = np.exp(closed - logsumexp(closed))
    p_quad = np.exp(quad - logsumexp(quad))
    np.testing.assert_allclose(p_quad, p_closed, rtol=0, atol=1e-8 * p_closed.max())


def test_quadrature_matches_brute_force_integral_for_elastic_net():
    # The general path (no closed form): against scipy's adaptive quadrature of
    # int sigma^-(n-1) exp(-RSS / 2 sigma^2) prod_j p(w_j | sigma) dsigma / sigma, with the
    # elastic-net density exp(-(l1 |w| + l2 w^2) / sigma^2) / Z normalised numerically.
    X, y = _prostate()
    data = _regression_data(X, y)
    n = len(y)
    est = bayesreg.ElasticNet(alpha=0.1, l1_ratio=0.5).fit(X, y)
    prior = ElasticNetPrior.from_alpha(0.1, 0.5, n)
    Xc, yc = _centred(X, y)
    points = np.array([est.coef_, est.coef_ + np.array([0.05, -0.1]), [0.4, 0.0], [0.7, 0.5]])

    def log_integral(w):
        rss = float(np.sum((yc - Xc @ w) ** 2))

        def log_integrand(sigma):
            l1, l2 = prior.l1 / sigma**2, prior.l2 / sigma**2
            z = integrate.quad(lambda u: 2 * np.exp(-l1 * u - l2 * u * u), 0, np.inf)[0]
            log_prior = np.sum(-l1 * np.abs(w) - l2 * w * w) - 2 * np.log(z)
            return -(n - 1) * np.log(sigma) - rss / (2 * sigma**2) + log_prior - np.log(sigma)

        # Scale out the peak so that quad integrates a number of order 1.
        sigmas = np.sqrt(rss / (n - 1)) * np.exp(np.linspace(-0.5, 0.5, 201))
        peak = max(log_integrand(s) for s in sigmas)
        value = integrate.quad(
            lambda s: np.exp(log_integrand(s) - peak),
            sigmas[0] / 3,
            sigmas[-1] * 3,
            epsabs=0,
            epsrel=1e-12,
            limit=200,
        )[0]
        return peak + np.log(value)

    expected = np.array([log_integral(w) for w in points])
    got = coef_marginal_log_density(data, prior, points)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-8)


def test_ridge_closed_form_is_the_multivariate_t():
    # docs/design.md: w | y ~ t_{n-1}(coef_, (S / (n-1)) A^-1), A = Xc'Xc + alpha I,
    # S = yc'yc - m'A m.  Log-density differences must agree.
    X, y = _diabetes()
    alpha = 0.5
    est = bayesreg.Ridge(alpha=alpha).fit(X, y)
    Xc, yc = _centred(X, y)
    n = len(y)
    A = Xc.T @ Xc + alpha * np.eye(2)
    m = np.linalg.solve(A, Xc.T @ yc)
    S = yc @ yc - m @ A @ m
    t = stats.multivariate_t(loc=m, shape=S / (n - 1) * np.linalg.inv(A), df=n - 1)
    points = est.coef_ + np.random.default_rng(1).normal(scale=40.0, size=(50, 2))
    got = coef_marginal_log_density(_regression_data(X, y), Gaussian.from_alpha(alpha), points)
    expected = t.logpdf(points)
    np.testing.assert_allclose(got - got[0], expected - expected[0], rtol=0, atol=1e-9)


def test_density_errors():
    X, y = _prostate()
    data = _regression_data(X, y)
    with pytest.raises(ValueError, match="no closed form"):
        coef_marginal_log_density(
            data, ElasticNetPrior(1.0, 1.0), np.zeros(2), method="closed-form"
        )
    with pytest.raises(ValueError, match="coef must have shape"):
        coef_marginal_log_density(data, Laplace(1.0), np.zeros(3))
    with pytest.raises(ValueError, match="method"):
        coef_marginal_log_density(data, Laplace(1.0), np.zeros(2), method="exact")


# -- the posterior plane ---------------------------------------------------------------
@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("case", ["lasso-interior", "lasso-corner", "ridge"])
def test_grid_mode_is_the_map_and_hdr_mass(dataset, case, ax):
    X, y = DATASETS[dataset]()
    if case == "ridge":
        est = bayesreg.Ridge(alpha=RIDGE_ALPHA[dataset]).fit(X, y)
    else:
        alphas = INTERIOR_ALPHA if case == "lasso-interior" else CORNER_ALPHA
        est = bayesreg.Lasso(alpha=alphas[dataset]).fit(X, y)
    plane = plot_posterior_plane(est, X, y, ax=ax)
    cell = np.array([plane.grid_x[1] - plane.grid_x[0], plane.grid_y[1] - plane.grid_y[0]])
    assert np.all(np.abs(plane.grid_mode - est.coef_) <= cell)
    assert plane.density.sum() * plane.cell_area == pytest.approx(1.0, rel=1e-12)
    # Each HDR {p >= level} holds at least its probability of the grid mass, and the
    # cells strictly above the level hold less: the level is the largest that does.
    for prob, level, mass in zip(plane.hdr_probs, plane.hdr_levels, plane.hdr_masses, strict=True):
        held = plane.density[plane.density >= level].sum() * plane.cell_area
        above = plane.density[plane.density > level].sum() * plane.cell_area
        assert held == pytest.approx(mass, rel=1e-12)
        assert above < prob <= held
        assert held - prob < 1e-3
    # The filled contours are drawn at those levels.
    (filled,) = [c for c in ax.collections if isinstance(c, ContourSet) and c.filled]
    np.testing.assert_array_equal(filled.levels[:-1], plane.hdr_levels)
    assert np.array_equal(_line(ax, "MAP (coef_)").get_xydata()[0], est.coef_)
    np.testing.assert_array_equal(_line(ax, "posterior mean").get_xydata()[0], plane.posterior_mean)


def test_corner_map_but_no_mass_on_the_axis(ax):
    # The teaching point: the lasso MAP sets w_2 = 0 exactly, the posterior does not.
    X, y = _prostate()
    est = bayesreg.Lasso(alpha=CORNER_ALPHA["prostate"]).fit(X, y)
    plane = plot_posterior_plane(est, X, y, ax=ax)
    assert est.coef_[1] == 0.0
    assert 0.5 < plane.prob_positive[1] < 0.95
    assert plane.posterior_mean[1] > 0.02  # ~ 0.036: well off the axis
    # The marginal median lies between the mean and the MAP here.
    assert 0 < plane.posterior_median[1] < plane.posterior_mean[1]


def _joint_log_target(Xc, yc, alpha, w, log_sigma):
    """log p(w, log sigma | y) of the lasso model, intercept integrated, up to a constant.

    sigma^-(n-1) exp(-RSS / 2 sigma^2) prod_j Laplace(w_j; 0, sigma^2 / (n alpha)), with
    Jeffreys' dsigma / sigma = d log sigma.
    """
    n = len(yc)
    sigma2 = np.exp(2 * log_sigma)
    rss = ((yc[None, :] - w @ Xc.T) ** 2).sum(axis=1)
    scale = sigma2 / (n * alpha)
    log_prior = (-np.abs(w) / scale[:, None] - np.log(2 * scale)[:, None]).sum(axis=1)
    return -(n - 1) * log_sigma - rss / (2 * sigma2) + log_prior


def test_grid_mean_matches_importance_sampling(ax):
    # An independent Monte Carlo estimate of E[w | y]: self-normalised importance sampling
    # on the joint (w, log sigma).  Proposal: a t for w around the MAP with the spread of
    # least squares, then log sigma | w normal around the mode of sigma given w.  Any
    # proposal is valid; this one keeps the effective sample size near a quarter.
    X, y = _prostate()
    alpha = CORNER_ALPHA["prostate"]
    est = bayesreg.Lasso(alpha=alpha).fit(X, y)
    plane = plot_posterior_plane(est, X, y, ax=ax)
    Xc, yc = _centred(X, y)
    n = len(yc)
    rng = np.random.default_rng(20240601)
    ols = np.linalg.solve(Xc.T @ Xc, Xc.T @ yc)
    rss_ols = np.sum((yc - Xc @ ols) ** 2)
    cov = rss_ols / (n - 3) * np.linalg.inv(Xc.T @ Xc)
    proposal_w = stats.multivariate_t(loc=est.coef_, shape=cov, df=5, seed=rng)
    size = 40_000
    w = proposal_w.rvs(size)
    rss = ((yc[None, :] - w @ Xc.T) ** 2).sum(axis=1)
    centre = 0.5 * np.log((rss + 2 * n * alpha * np.abs(w).sum(axis=1)) / (n + 3))
    u = centre + 0.1 * rng.standard_normal(size)
    log_proposal = proposal_w.logpdf(w) + stats.norm.logpdf(u, centre, 0.1)
    log_weight = _joint_log_target(Xc, yc, alpha, w, u) - log_proposal
    weight = np.exp(log_weight - log_weight.max())
    weight /= weight.sum()
    ess = 1.0 / np.sum(weight**2)
    assert ess > 0.1 * size  # the proposal covers the target
    mean = weight @ w
    mcse = np.sqrt(np.sum(weight[:, None] ** 2 * (w - mean) ** 2, axis=0))
    np.testing.assert_array_less(np.abs(plane.posterior_mean - mean), 4 * mcse)
    # P(w_2 > 0) too.
    prob = weight @ (w[:, 1] > 0)
    prob_mcse = np.sqrt(np.sum(weight**2 * ((w[:, 1] > 0) - prob) ** 2))
    assert abs(plane.prob_positive[1] - prob) < 4 * prob_mcse


def test_quadrature_path_for_elastic_net(ax):
    X, y = _prostate()
    est = bayesreg.ElasticNet(alpha=0.1, l1_ratio=0.5).fit(X, y)
    plane = plot_posterior_plane(est, X, y, ax=ax, grid_size=60)
    assert plane.method == "quadrature"
    cell = np.array([plane.grid_x[1] - plane.grid_x[0], plane.grid_y[1] - plane.grid_y[0]])
    assert np.all(np.abs(plane.grid_mode - est.coef_) <= cell)


def _fake_posterior(draws, features):
    return az.from_dict(
        {"posterior": {"coef": draws}},
        coords={"feature": features},
        dims={"coef": ["feature"]},
    )


def test_draws_are_scattered_and_checked(ax):
    X, y = _prostate()
    est = bayesreg.Lasso(alpha=0.1).fit(X, y)
    draws = est.coef_ + np.random.default_rng(0).normal(scale=0.05, size=(2, 30, 2))
    plane = plot_posterior_plane(
        est, X, y, ax=ax, grid_size=40, posterior=_fake_posterior(draws, ["lcavol", "lweight"])
    )
    np.testing.assert_array_equal(plane.draws, draws.reshape(-1, 2))
    (scatter,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    np.testing.assert_array_equal(scatter.get_offsets(), draws.reshape(-1, 2))
    with pytest.raises(ValueError, match="not the estimator's"):
        plot_posterior_plane(
            est, X, y, ax=ax, grid_size=40, posterior=_fake_posterior(draws, ["a", "b"])
        )
    three = np.zeros((1, 5, 3))
    with pytest.raises(ValueError, match="3 features"):
        plot_posterior_plane(
            est, X, y, ax=ax, grid_size=40, posterior=_fake_posterior(three, ["a", "b", "c"])
        )


def test_posterior_plane_options_and_errors(ax):
    X, y = _prostate()
    est = bayesreg.Lasso(alpha=0.1).fit(X, y)
    plane = plot_posterior_plane(
        est, X, y, ax=ax, grid_size=30, extent=(0.3, 0.9, 0.0, 0.6), show_constraint=False
    )
    assert plane.grid_x[0] == 0.3 and plane.grid_y[-1] == 0.6 and plane.region is None
    assert plane.density.shape == (30, 30)
    # An all-zero MAP is allowed here (the posterior is still a picture).
    zero = bayesreg.Lasso(alpha=5.0).fit(X, y)
    assert np.all(plot_posterior_plane(zero, X, y, ax=ax, grid_size=30).coef_map == 0)
    with pytest.raises(ValueError, match="grid_size"):
        plot_posterior_plane(est, X, y, ax=ax, grid_size=5)
    with pytest.raises(ValueError, match="hdi_probs"):
        plot_posterior_plane(est, X, y, ax=ax, hdi_probs=(0.5, 1.0))
    with pytest.raises(ValueError, match="extent"):
        plot_posterior_plane(est, X, y, ax=ax, extent=(1.0, 0.0, 0.0, 1.0))
    with pytest.raises(NotFittedError):
        plot_posterior_plane(bayesreg.Ridge(), X, y, ax=ax)


@pytest.mark.slow
@pytest.mark.parametrize("case", ["lasso-corner", "ridge"])
def test_grid_posterior_matches_nuts(case, ax):
    X, y = _prostate()
    if case == "ridge":
        est = bayesreg.Ridge(alpha=RIDGE_ALPHA["prostate"])
    else:
        est = bayesreg.Lasso(alpha=CORNER_ALPHA["prostate"])
    tree = est.sample_posterior(X, y, num_samples=1000, num_chains=2, random_state=0)
    plane = plot_posterior_plane(est, X, y, ax=ax, posterior=tree)
    coef = tree["posterior"]["coef"].transpose("chain", "draw", "feature").to_numpy()
    for j in range(2):
        draws = coef[..., j]
        mcse = draws.std() / np.sqrt(az.ess(draws, method="mean"))
        assert abs(plane.posterior_mean[j] - draws.mean()) < 4 * mcse
    # The 90% HDR holds 90% of the draws: the density at each draw against the level.
    data = _regression_data(X, y)
    if case == "ridge":
        prior = Gaussian.from_alpha(est.alpha)
    else:
        prior = Laplace.from_alpha(est.alpha, len(y))
    mesh = np.stack(np.meshgrid(plane.grid_x, plane.grid_y), axis=-1)
    log_norm = logsumexp(coef_marginal_log_density(data, prior, mesh)) + np.log(plane.cell_area)
    log_p = coef_marginal_log_density(data, prior, coef) - log_norm
    inside = (log_p >= np.log(plane.hdr_levels[plane.hdr_probs == 0.9][0])).astype(float)
    mcse = inside.std() / np.sqrt(az.ess(inside, method="mean"))
    assert abs(inside.mean() - 0.9) < 4 * mcse
