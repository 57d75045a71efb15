"""Tests of bayesreg.plotting.predictive: the bands drawn are the posterior's quantiles.

What is drawn is read back from the artists (line data, the polygons of the bands) and
compared with quantiles computed here from the posterior draws, with closed forms where
the posterior is known (BayesianRidge's Gaussian, Ridge's normal-inverse-gamma), and
with an independent Monte Carlo of the predictive.  Tolerances of Monte Carlo checks are
derived from the Monte Carlo standard error of a quantile.
"""

from __future__ import annotations

import arviz as az
import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy import optimize, stats
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge as SkRidge

import bayesreg
from bayesreg.likelihoods import Likelihood
from bayesreg.plotting.predictive import (
    GRID_MARGIN,
    PredictiveBandsPlot,
    plot_predictive_bands,
    predictive_quantiles,
)

PROB = 0.9
LEVELS = np.array([(1 - PROB) / 2, (1 + PROB) / 2])
#: Monte Carlo checks pass within this many standard errors (two-sided p ~ 6e-7).
N_SE = 5.0


def _gap_data(seed: int = 0, n: int = 40):
    """y = 1 + 2x + N(0, 0.3^2) on x in [0, 0.35] and [0.65, 1]: no data in between."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.uniform(0.0, 0.35, n // 2), rng.uniform(0.65, 1.0, n - n // 2)])
    y = 1.0 + 2.0 * x + 0.3 * rng.standard_normal(n)
    return x[:, None], y


def _axes():
    fig = Figure()
    FigureCanvasAgg(fig)
    return fig.add_subplot()


def _band(ax, label_start: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (x, lower, upper) of the fill_between polygon whose label starts so."""
    (poly,) = [c for c in ax.collections if c.get_label().startswith(label_start)]
    vertices = poly.get_paths()[0].vertices
    xs = np.unique(vertices[:, 0])
    lower = np.array([vertices[vertices[:, 0] == x, 1].min() for x in xs])
    upper = np.array([vertices[vertices[:, 0] == x, 1].max() for x in xs])
    return xs, lower, upper


def _line(ax, label: str):
    (line,) = [line for line in ax.get_lines() if line.get_label() == label]
    return line.get_xydata()


def _draws(estimator):
    """(b, w, sigma) draws, flattened over chains, computed here independently."""
    post = estimator.posterior_["posterior"]
    b = post["intercept"].values.reshape(-1)
    w = post["coef"].values.reshape(-1)
    sigma = post["sigma"].values.reshape(-1)
    return b, w, sigma


def _mixture_quantile_brentq(mu: np.ndarray, sigma: np.ndarray, level: float, noise) -> float:
    """The root of mean_s G((q - mu_s) / sigma_s) = level by Brent's method (one point)."""
    spread = 50.0 * (np.ptp(mu) + sigma.max() + 1.0)
    lo, hi = mu.min() - spread, mu.max() + spread
    return optimize.brentq(
        lambda q: np.mean(noise.cdf((q - mu) / sigma)) - level, lo, hi, xtol=1e-13, rtol=1e-14
    )


@pytest.fixture(scope="module")
def bayesian_ridge():
    X, y = _gap_data()
    est = bayesreg.BayesianRidge()
    est.sample_posterior(X, y, num_samples=1000, num_chains=4, random_state=0)
    return est, X, y


@pytest.fixture(scope="module")
def ridge_nuts():
    X, y = _gap_data(seed=1)
    est = bayesreg.Ridge(alpha=1.0)
    est.sample_posterior(X, y, num_samples=300, num_warmup=300, num_chains=2, random_state=0)
    return est, X, y


# -- the numbers drawn are the posterior's ----------------------------------------------
def test_mean_line_and_band_are_the_draws_mean_and_quantiles(bayesian_ridge):
    est, X, y = bayesian_ridge
    ax = _axes()
    drawn = plot_predictive_bands(est, X, y, ci_prob=PROB, ax=ax)
    assert isinstance(drawn, PredictiveBandsPlot) and drawn.ax is ax and drawn.prob == PROB
    b, w, _ = _draws(est)
    mu = b[:, None] + w[:, None] * drawn.x_grid
    # Same draws, same formula: equal to rounding.
    np.testing.assert_allclose(drawn.mean_line, mu.mean(axis=0), rtol=1e-12)
    lower, upper = np.quantile(mu, LEVELS, axis=0)
    np.testing.assert_allclose(drawn.mean_lower, lower, rtol=1e-12)
    np.testing.assert_allclose(drawn.mean_upper, upper, rtol=1e-12)
    # ... and that is what the artists show.
    np.testing.assert_allclose(
        _line(ax, "posterior mean of E[y | x]"), np.c_[drawn.x_grid, mu.mean(0)]
    )
    xs, band_lower, band_upper = _band(ax, "90% credible band")
    np.testing.assert_allclose(xs, drawn.x_grid)
    np.testing.assert_allclose(band_lower, lower, rtol=1e-12)
    np.testing.assert_allclose(band_upper, upper, rtol=1e-12)
    xs, pred_lower, pred_upper = _band(ax, "90% posterior predictive")
    np.testing.assert_allclose(pred_lower, drawn.predictive_lower, rtol=1e-12)
    np.testing.assert_allclose(pred_upper, drawn.predictive_upper, rtol=1e-12)
    np.testing.assert_allclose(ax.collections[-1].get_offsets(), np.c_[X[:, 0], y])


def test_predictive_band_solves_the_mixture_cdf_exactly(bayesian_ridge):
    # Given the draws, the predictive is the mixture (1/S) sum_s N(mu_s(x), sigma_s^2):
    # its quantile found here by Brent's method at a few points, one at a time.
    est, X, y = bayesian_ridge
    drawn = plot_predictive_bands(est, X, y, ci_prob=PROB, ax=_axes())
    b, w, sigma = _draws(est)
    for j in (0, 37, 50, len(drawn.x_grid) - 1):
        mu = b + w * drawn.x_grid[j]
        for level, edge in zip(
            LEVELS, (drawn.predictive_lower, drawn.predictive_upper), strict=True
        ):
            expected = _mixture_quantile_brentq(mu, sigma, level, stats.norm)
            assert edge[j] == pytest.approx(expected, rel=1e-10, abs=1e-10)


def test_predictive_band_agrees_with_sample_y_monte_carlo(bayesian_ridge):
    # An independent route: estimator.sample_y (numpyro's noise) with N draws.  The
    # sample p-quantile has standard error sqrt(p (1 - p) / N) / f(q), with f the
    # mixture's density at q.
    est, X, y = bayesian_ridge
    x_grid = np.array([-0.3, 0.1, 0.5, 0.9, 1.3])
    drawn = plot_predictive_bands(est, X, y, x_grid=x_grid, ci_prob=PROB, ax=_axes())
    n = 200_000
    samples = est.sample_y(x_grid[:, None], n_samples=n, random_state=1)
    b, w, sigma = _draws(est)
    for j, x in enumerate(x_grid):
        mu = b + w * x
        for level, edge in zip(
            LEVELS, (drawn.predictive_lower, drawn.predictive_upper), strict=True
        ):
            density = np.mean(stats.norm.pdf((edge[j] - mu) / sigma) / sigma)
            se = np.sqrt(level * (1 - level) / n) / density
            assert abs(np.quantile(samples[j], level) - edge[j]) < N_SE * se


def test_bands_match_the_closed_form_of_bayesian_ridge(bayesian_ridge):
    # At the evidence maximum (alpha_, lambda_) the posterior is Gaussian:
    # E[y|x] = b + w x ~ N(intercept_ + coef_ x, 1 / (alpha_ n) + (x - xbar)^2 Sigma),
    # and y~ adds N(0, 1 / alpha_).  The bands from S iid draws are within Monte Carlo
    # error of the exact quantiles m + z_p s.
    est, X, y = bayesian_ridge
    drawn = plot_predictive_bands(est, X, y, ci_prob=PROB, ax=_axes())
    x = drawn.x_grid
    n = X.shape[0]
    center = est.intercept_ + est.coef_[0] * x
    var_mean = 1.0 / (est.alpha_ * n) + (x - est.X_offset_[0]) ** 2 * est.sigma_[0, 0]
    var_pred = var_mean + 1.0 / est.alpha_
    b, w, sigma = _draws(est)
    s = b.size
    mu = b[:, None] + w[:, None] * x
    for k, level in enumerate(LEVELS):
        z = stats.norm.ppf(level)
        # Credible band: a sample quantile of S iid normal draws.
        exact = center + z * np.sqrt(var_mean)
        se = np.sqrt(level * (1 - level) / s) / stats.norm.pdf(z) * np.sqrt(var_mean)
        edge = drawn.mean_lower if k == 0 else drawn.mean_upper
        assert np.all(np.abs(edge - exact) < N_SE * se)
        # Predictive band: F_S(q*) = mean_s Phi((q* - mu_s) / sigma) has mean p and
        # standard deviation sd_s(Phi(.)) / sqrt(S); divide by the density at q*.
        exact = center + z * np.sqrt(var_pred)
        phi = stats.norm.cdf((exact - mu) / sigma[:, None])
        density = stats.norm.pdf(z) / np.sqrt(var_pred)  # of N(m, var_pred) at its quantile
        se = phi.std(axis=0, ddof=1) / np.sqrt(s) / density
        edge = drawn.predictive_lower if k == 0 else drawn.predictive_upper
        assert np.all(np.abs(edge - exact) < N_SE * se)


@pytest.mark.slow
def test_bands_match_the_student_t_closed_form_of_ridge(ridge_nuts):
    # Ridge's noise-scaled Gaussian prior with Jeffreys' 1/sigma is conjugate: with
    # A = Xc'Xc + alpha, s^2 = (||yc - Xc w^||^2 + alpha w^2) / (n - 1),
    # b + w x ~ t_{n-1}(m(x), s^2 (1/n + (x - xbar)^2 / A)) and the predictive adds s^2.
    # NUTS draws are correlated: the standard errors use arviz's effective sample size.
    est, X, y = ridge_nuts
    drawn = plot_predictive_bands(est, X, y, ci_prob=PROB, ax=_axes())
    x, xs = drawn.x_grid, X[:, 0]
    n, xbar = xs.size, xs.mean()
    xc, yc = xs - xbar, y - y.mean()
    a = xc @ xc + est.alpha
    w_hat = xc @ yc / a
    s2 = (np.sum((yc - xc * w_hat) ** 2) + est.alpha * w_hat**2) / (n - 1)
    center = y.mean() + (x - xbar) * w_hat
    np.testing.assert_allclose(center, drawn.map_line, rtol=1e-10)  # the MAP is the centre
    scale_mean = np.sqrt(s2 * (1 / n + (x - xbar) ** 2 / a))
    scale_pred = np.sqrt(s2 * (1 + 1 / n + (x - xbar) ** 2 / a))
    post = est.posterior_["posterior"]
    mu = post["intercept"].values[..., None] + post["coef"].values[..., 0, None] * x
    sigma = post["sigma"].values
    t = stats.t(n - 1)
    for k, level in enumerate(LEVELS):
        z = t.ppf(level)
        ess = az.ess(mu, method="quantile", prob=level)
        exact = center + z * scale_mean
        se = np.sqrt(level * (1 - level) / ess) / (t.pdf(z) / scale_mean)
        edge = drawn.mean_lower if k == 0 else drawn.mean_upper
        assert np.all(np.abs(edge - exact) < N_SE * se)
        exact = center + z * scale_pred
        phi = stats.norm.cdf((exact - mu) / sigma[..., None])  # (chain, draw, grid)
        ess = az.ess(phi, method="mean")
        se = phi.reshape(-1, x.size).std(axis=0, ddof=1) / np.sqrt(ess) / (t.pdf(z) / scale_pred)
        edge = drawn.predictive_lower if k == 0 else drawn.predictive_upper
        assert np.all(np.abs(edge - exact) < N_SE * se)


def test_predictive_band_contains_the_credible_band_and_widens_away_from_the_centre(
    bayesian_ridge,
):
    # For a posterior of b + w x symmetric about its median, the noise only spreads each
    # draw, so the predictive interval contains the credible interval.  Both are
    # narrowest at the data's mean (the variance of b + w x is quadratic in x - xbar),
    # also in the middle of the gap where there are no data.
    est, X, y = bayesian_ridge
    drawn = plot_predictive_bands(est, X, y, x_grid=np.linspace(-1, 2, 301), ax=_axes())
    assert np.all(drawn.predictive_lower < drawn.mean_lower)
    assert np.all(drawn.predictive_upper > drawn.mean_upper)
    width = drawn.mean_upper - drawn.mean_lower
    narrowest = drawn.x_grid[np.argmin(width)]
    assert abs(narrowest - X.mean()) < 0.05
    assert 0.35 < narrowest < 0.65  # inside the gap
    assert width[0] > 3 * width.min() and width[-1] > 3 * width.min()


def test_map_line_is_estimator_predict():
    X, y = _gap_data(seed=1)
    est = _with_posterior(bayesreg.Ridge(alpha=1.0).fit(X, y), X, y)
    ax = _axes()
    drawn = plot_predictive_bands(est, X, y, ax=ax)
    np.testing.assert_array_equal(drawn.map_line, est.predict(drawn.x_grid[:, None]))
    np.testing.assert_array_equal(_line(ax, "MAP"), np.c_[drawn.x_grid, drawn.map_line])
    # ... which is scikit-learn's Ridge on the same data, not the posterior mean.
    sk = SkRidge(alpha=est.alpha).fit(X, y)
    np.testing.assert_allclose(drawn.map_line, sk.predict(drawn.x_grid[:, None]), rtol=1e-10)


def test_default_grid_extends_ten_percent_beyond_the_data(bayesian_ridge):
    est, X, y = bayesian_ridge
    drawn = plot_predictive_bands(est, X, y, ax=_axes())
    low, high = X.min(), X.max()
    margin = GRID_MARGIN * (high - low)
    assert drawn.x_grid[0] == pytest.approx(low - margin)
    assert drawn.x_grid[-1] == pytest.approx(high + margin)
    assert np.all(np.diff(drawn.x_grid) > 0)
    assert drawn.ax.get_xlim() == pytest.approx((low - margin, high + margin))


def test_hidden_band_and_map_are_not_drawn(bayesian_ridge):
    est, X, y = bayesian_ridge
    ax = _axes()
    drawn = plot_predictive_bands(est, X, y, show_mean_band=False, show_map=False, ax=ax)
    assert drawn.mean_lower is None and drawn.mean_upper is None and drawn.map_line is None
    labels = [c.get_label() for c in ax.collections] + [ln.get_label() for ln in ax.get_lines()]
    assert not any(label.startswith("90% credible") for label in labels)
    assert "MAP" not in labels
    assert any(label.startswith("90% posterior predictive") for label in labels)


def test_dataframe_input_names_the_axes_and_feeds_predict():
    pd = pytest.importorskip("pandas")
    X, y = _gap_data()
    frame, target = pd.DataFrame({"dose": X[:, 0]}), pd.Series(y, name="response")
    est = bayesreg.BayesianRidge()
    est.sample_posterior(frame, target, num_samples=200, num_chains=2, random_state=0)
    drawn = plot_predictive_bands(est, frame, target, ax=_axes())  # no feature-name warning
    assert drawn.ax.get_xlabel() == "dose" and drawn.ax.get_ylabel() == "response"
    np.testing.assert_allclose(drawn.map_line, est.intercept_ + est.coef_[0] * drawn.x_grid)


# -- other likelihoods: the noise comes from the estimator's likelihood -----------------
def _with_posterior(est, X, y, sigma_scale=0.3, n_draws=500, seed=0):
    """Give a MAP-fitted estimator made-up posterior draws (to test the noise family)."""
    rng = np.random.default_rng(seed)
    draws = {
        "intercept": 1.0 + 0.05 * rng.standard_normal((2, n_draws)),
        "coef": (2.0 + 0.1 * rng.standard_normal((2, n_draws)))[..., None],
        "sigma": sigma_scale * np.exp(0.1 * rng.standard_normal((2, n_draws))),
    }
    est.posterior_ = az.from_dict(
        {"posterior": draws}, coords={"feature": ["x0"]}, dims={"coef": ["feature"]}
    )
    return est


@pytest.mark.parametrize(
    ("likelihood", "noise"),
    [("student_t", stats.t(4.0)), ("laplace", stats.laplace()), ("normal", stats.norm())],
)
def test_predictive_noise_follows_the_likelihood(likelihood, noise):
    X, y = _gap_data()
    est = _with_posterior(bayesreg.LinearRegression(likelihood=likelihood).fit(X, y), X, y)
    drawn = plot_predictive_bands(est, X, y, x_grid=[-0.2, 0.4, 1.1], ax=_axes())
    b, w, sigma = _draws(est)
    for j, x in enumerate(drawn.x_grid):
        for level, edge in zip(
            LEVELS, (drawn.predictive_lower, drawn.predictive_upper), strict=True
        ):
            expected = _mixture_quantile_brentq(b + w * x, sigma, level, noise)
            assert edge[j] == pytest.approx(expected, rel=1e-10, abs=1e-10)


@pytest.mark.slow
def test_student_t_posterior_by_nuts_gives_heavier_tailed_bands():
    # End to end with NUTS: the predictive band is the t_4 mixture, which is wider than
    # the normal mixture of the same draws (t_4's 95% point is 2.13 > 1.645).
    X, y = _gap_data(seed=2)
    est = bayesreg.LinearRegression(likelihood="student_t", df=4.0)
    est.sample_posterior(X, y, num_samples=300, num_warmup=300, num_chains=2, random_state=0)
    drawn = plot_predictive_bands(est, X, y, x_grid=[0.0, 0.5, 1.0], ax=_axes())
    b, w, sigma = _draws(est)
    mu = b[:, None] + w[:, None] * drawn.x_grid
    t_edges = predictive_quantiles(mu, sigma, LEVELS, stats.t(4.0))
    normal_edges = predictive_quantiles(mu, sigma, LEVELS)
    np.testing.assert_allclose(drawn.predictive_lower, t_edges[0], rtol=1e-12)
    np.testing.assert_allclose(drawn.predictive_upper, t_edges[1], rtol=1e-12)
    assert np.all(t_edges[1] - t_edges[0] > normal_edges[1] - normal_edges[0])


def test_predictive_quantiles_of_identical_components_are_theirs():
    mu = np.full((7, 3), 2.0)
    out = predictive_quantiles(mu, np.full(7, 0.5), [0.1, 0.5, 0.975])
    expected = 2.0 + 0.5 * stats.norm.ppf([0.1, 0.5, 0.975])
    np.testing.assert_allclose(out, np.repeat(expected[:, None], 3, axis=1), rtol=1e-12)


# -- bad input --------------------------------------------------------------------------
def test_errors_name_the_problem(bayesian_ridge):
    est, X, y = bayesian_ridge
    with pytest.raises(NotFittedError, match="sample_posterior"):
        plot_predictive_bands(bayesreg.Ridge().fit(X, y), X, y, ax=_axes())
    with pytest.raises(NotFittedError):
        plot_predictive_bands(bayesreg.Ridge(), X, y, ax=_axes())
    with pytest.raises(TypeError, match="bayesreg linear regressor"):
        plot_predictive_bands(SkRidge().fit(X, y), X, y, ax=_axes())
    two = np.c_[X, X**2]
    with pytest.raises(ValueError, match="one feature"):
        plot_predictive_bands(
            _with_posterior(bayesreg.Ridge().fit(two, y), two, y), two, y, ax=_axes()
        )
    with pytest.raises(ValueError, match="features"):
        plot_predictive_bands(est, two, y, ax=_axes())
    with pytest.raises(ValueError, match="one value per row"):
        plot_predictive_bands(est, X, y[:-1], ax=_axes())
    with pytest.raises(ValueError, match="shape"):
        plot_predictive_bands(est, X, y, x_grid=[[0.0, 1.0]], ax=_axes())
    with pytest.raises(ValueError, match=r"NaN|infinity"):
        plot_predictive_bands(est, X, y, x_grid=[0.0, np.nan], ax=_axes())
    for bad in (0.0, 1.0, 1.5, True, "0.9"):
        with pytest.raises(ValueError, match="ci_prob"):
            plot_predictive_bands(est, X, y, ci_prob=bad, ax=_axes())


def test_unsupported_likelihood_is_refused(monkeypatch):
    class Cauchy(Likelihood):
        name = "cauchy"

    X, y = _gap_data()
    est = _with_posterior(bayesreg.LinearRegression().fit(X, y), X, y)
    monkeypatch.setattr(est, "_likelihood", Cauchy)
    with pytest.raises(TypeError, match="no predictive band for the likelihood"):
        plot_predictive_bands(est, X, y, ax=_axes())


def test_rcparams_unchanged_and_a_new_figure_without_ax(bayesian_ridge):
    import matplotlib.pyplot as plt

    est, X, y = bayesian_ridge
    before = dict(mpl.rcParams)
    n_figures = len(plt.get_fignums())
    drawn = plot_predictive_bands(est, X, y)
    try:
        assert dict(mpl.rcParams) == before
        assert len(plt.get_fignums()) == n_figures + 1
        assert drawn.ax.figure.number == plt.get_fignums()[-1]
    finally:
        plt.close(drawn.ax.figure)
