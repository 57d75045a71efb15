"""The prior-first LinearRegression: its MAP against scikit-learn and independent optimisers,
its posterior against exact integrals, and the posterior predictive it reports."""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import numpyro.distributions as dist
import pytest
import scipy.integrate
import scipy.optimize
import scipy.stats
import sklearn.linear_model as sk
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_diabetes
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

import bayesreg
from bayesreg.priors import NoFiniteModeError
from bayesreg.priors.shrinkage import Horseshoe

RTOL = 1e-8  # exact solvers on both sides; the MAP is unique in every example


def _problem(seed: int, n: int, p: int, weighted: bool):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.3, 3.0, size=p) + rng.normal(size=p)
    y = X @ rng.normal(size=p) + 1.5 + rng.normal(size=n)
    weights = rng.uniform(0.2, 3.0, size=n) if weighted else None
    return X, y, weights


def _close(ours, theirs, rtol=RTOL):
    scale = max(1.0, float(np.max(np.abs(theirs))))
    assert np.max(np.abs(np.asarray(ours) - theirs)) <= rtol * scale, (ours, theirs)


problems = st.tuples(
    st.integers(0, 10_000), st.integers(2, 60), st.integers(1, 12), st.booleans(), st.booleans()
)


@settings(max_examples=25, deadline=None)
@given(problems)
def test_no_prior_is_ordinary_least_squares(problem):
    # With a flat prior the MAP of w is scikit-learn's LinearRegression (the minimum-norm
    # least-squares solution when X is rank deficient, p > n included).
    seed, n, p, weighted, fit_intercept = problem
    X, y, weights = _problem(seed, n, p, weighted)
    ours = bayesreg.LinearRegression(fit_intercept=fit_intercept).fit(X, y, weights)
    theirs = sk.LinearRegression(fit_intercept=fit_intercept).fit(X, y, weights)
    _close(ours.coef_, theirs.coef_, 1e-7)
    _close(ours.intercept_, theirs.intercept_, 1e-7)


@settings(max_examples=25, deadline=None)
@given(problems, st.floats(0.1, 10.0), st.floats(0.05, 5.0))
# Coordinate descent crawled here (n = 2, p = 9) and stopped on a wrong support after
# 1e5 epochs; the active-set finish makes it exact.
@example(problem=(621, 2, 9, False, False), sigma=0.125, scale=3.0)
def test_fixed_noise_gaussian_and_laplace_priors_are_ridge_and_lasso(problem, sigma, scale):
    # Known sigma: w ~ N(0, tau^2) is Ridge(alpha = sigma^2 / tau^2) and
    # w ~ Laplace(0, s) is Lasso(alpha = sigma^2 / (n s)) (unweighted, as Lasso's
    # alpha is defined per sample).
    seed, n, p, _, fit_intercept = problem
    X, y, _ = _problem(seed, n, p, False)
    ridge = bayesreg.LinearRegression(
        dist.Normal(0.0, scale), noise_scale=sigma, fit_intercept=fit_intercept
    ).fit(X, y)
    theirs = sk.Ridge(alpha=sigma**2 / scale**2, fit_intercept=fit_intercept).fit(X, y)
    _close(ridge.coef_, theirs.coef_)
    _close(ridge.intercept_, theirs.intercept_)
    lasso = bayesreg.LinearRegression(
        bayesreg.Laplace(scale), noise_scale=sigma, fit_intercept=fit_intercept
    ).fit(X, y)
    theirs = sk.Lasso(
        alpha=sigma**2 / (n * scale), fit_intercept=fit_intercept, tol=1e-12, max_iter=10**6
    ).fit(X, y)
    _close(lasso.coef_, theirs.coef_, 1e-6)
    np.testing.assert_array_equal(lasso.coef_ == 0, theirs.coef_ == 0)


def _quantile_objective(X, y, coef, intercept, alpha, weights):
    residual = y - X @ coef - intercept
    return np.sum(weights * 0.5 * np.abs(residual)) / weights.sum() + alpha * np.sum(np.abs(coef))


@settings(max_examples=15, deadline=None)
@given(problems, st.floats(0.1, 5.0), st.sampled_from([None, 0.2, 2.0]))
def test_laplace_likelihood_is_least_absolute_deviations(problem, sigma, prior_scale):
    # y_i ~ Laplace(mu_i, sigma / s_i) with w ~ Laplace(0, s) and known sigma is
    # scikit-learn's QuantileRegressor(quantile=0.5, alpha = sigma / (2 S s)), S = sum_i s_i:
    # its loss (1/S) sum s_i |r_i| / 2 + alpha ||w||_1 is sigma / (2S) times our negative
    # log posterior.  A linear program can have several optima, so the objective values are
    # compared (both solved by HiGHS to its tolerance).
    seed, n, p, weighted, fit_intercept = problem
    X, y, weights = _problem(seed, n, p, weighted)
    weights = np.ones(n) if weights is None else weights
    prior = None if prior_scale is None else bayesreg.Laplace(prior_scale)
    alpha = 0.0 if prior_scale is None else sigma / (2 * weights.sum() * prior_scale)
    ours = bayesreg.LinearRegression(
        prior, likelihood="laplace", noise_scale=sigma, fit_intercept=fit_intercept
    ).fit(X, y, weights)
    theirs = sk.QuantileRegressor(
        quantile=0.5, alpha=alpha, fit_intercept=fit_intercept, solver="highs"
    ).fit(X, y, sample_weight=weights)
    f_ours = _quantile_objective(X, y, ours.coef_, ours.intercept_, alpha, weights)
    f_theirs = _quantile_objective(X, y, theirs.coef_, theirs.intercept_, alpha, weights)
    assert f_ours <= f_theirs * (1 + 1e-7) + 1e-12
    assert f_theirs <= f_ours * (1 + 1e-7) + 1e-12


def _negative_log_posterior(params, X, y, log_lik, log_prior_w, log_prior_b, log_prior_sigma):
    coef, intercept, sigma = params[:-2], params[-2], params[-1]
    if sigma <= 0:
        return np.inf
    return -(
        np.sum(log_lik(y, X @ coef + intercept, sigma))
        + np.sum(log_prior_w(coef))
        + log_prior_b(intercept)
        + log_prior_sigma(sigma)
    )


def _scipy_mode(f, start):
    """Independent joint mode: scipy's BFGS with numerical gradients, in (w, b, sigma)."""
    best = scipy.optimize.minimize(f, start, method="BFGS", options={"gtol": 1e-8})
    return best.x, best.fun


def test_joint_mode_with_priors_on_everything_matches_an_independent_optimiser():
    # The brms-style model w ~ N(0, 1), b ~ t_3(8, 10), sigma ~ half-t_3(0, 10), Gaussian
    # likelihood: the block-coordinate MAP is the minimiser found by scipy from the
    # least-squares start, and the gradient of the objective vanishes there.
    X, y, _ = _problem(7, 40, 3, False)
    model = bayesreg.LinearRegression(
        prior=dist.Normal(0.0, 1.0),
        intercept_prior=dist.StudentT(3.0, 8.0, 10.0),
        noise_prior=dist.FoldedDistribution(dist.StudentT(3.0, 0.0, 10.0)),
    ).fit(X, y)

    def f(params):
        return _negative_log_posterior(
            params,
            X,
            y,
            lambda y, m, s: scipy.stats.norm.logpdf(y, m, s),
            lambda w: scipy.stats.norm.logpdf(w, 0, 1),
            lambda b: scipy.stats.t.logpdf(b, 3, 8, 10),
            lambda s: np.log(2) + scipy.stats.t.logpdf(s, 3, 0, 10),
        )

    ols = sk.LinearRegression().fit(X, y)
    start = np.r_[ols.coef_, ols.intercept_, np.std(y - ols.predict(X))]
    mode, value = _scipy_mode(f, start)
    ours = np.r_[model.coef_, model.intercept_, model.sigma_]
    # Finite-difference BFGS stops at a gradient of ~1e-8, i.e. a point ~1e-6 from the
    # mode; ours must be at least as good.
    np.testing.assert_allclose(ours, mode, rtol=1e-5, atol=1e-5)
    assert f(ours) <= value + 1e-10


def test_student_t_likelihood_mode_is_stationary_and_robust():
    # With 10% gross outliers the Student-t MAP (nu = 4) stays near the true weights
    # while least squares does not; and it is a stationary point of the exact objective.
    rng = np.random.default_rng(11)
    n, p = 200, 3
    X = rng.normal(size=(n, p))
    true = np.array([1.0, -2.0, 0.5])
    y = X @ true + 0.5 + 0.3 * rng.normal(size=n)
    y[:20] += rng.choice([-1, 1], 20) * rng.uniform(20, 40, 20)
    robust = bayesreg.LinearRegression(likelihood="student_t", df=4.0).fit(X, y)
    ols = sk.LinearRegression().fit(X, y)
    assert np.max(np.abs(robust.coef_ - true)) < 0.15
    assert np.max(np.abs(ols.coef_ - true)) > 3 * np.max(np.abs(robust.coef_ - true))

    def f(params):
        return _negative_log_posterior(
            params,
            X,
            y,
            lambda y, m, s: scipy.stats.t.logpdf(y, 4.0, m, s),
            lambda w: np.zeros_like(w),
            lambda b: 0.0,
            lambda s: -np.log(s),
        )

    ours = np.r_[robust.coef_, robust.intercept_, robust.sigma_]
    grad = scipy.optimize.approx_fprime(ours, f, 1e-7)
    # The objective is O(n); a central optimum has gradient ~ rounding / step.
    assert np.max(np.abs(grad)) < 1e-3, grad
    _, value = _scipy_mode(f, ours)
    assert f(ours) <= value + 1e-8


def test_gaussian_intercept_prior_has_the_closed_form_mode():
    # Known sigma, w ~ N(0, tau^2 I), b ~ N(m, v): the mode solves the linear system
    # (X1'X1 / sigma^2 + D) theta = X1'y / sigma^2 + D mu with X1 = [X, 1].
    X, y, _ = _problem(3, 30, 4, False)
    sigma, tau, m, v = 0.7, 0.5, 3.0, 0.2
    model = bayesreg.LinearRegression(
        dist.Normal(0, tau), intercept_prior=dist.Normal(m, v**0.5), noise_scale=sigma
    ).fit(X, y)
    X1 = np.c_[X, np.ones(len(y))]
    D = np.diag(np.r_[np.full(4, 1 / tau**2), 1 / v])
    theta = np.linalg.solve(
        X1.T @ X1 / sigma**2 + D, X1.T @ y / sigma**2 + D @ np.r_[np.zeros(4), m]
    )
    np.testing.assert_allclose(np.r_[model.coef_, model.intercept_], theta, rtol=1e-7, atol=1e-9)


# -- the posterior -------------------------------------------------------------------------


def _grid_posterior_means(x, y, tau, b_prior, sigma_prior):
    """Exact posterior means of (w, b, sigma) for one feature by quadrature.

    Given (b, sigma) the weight has a Gaussian conditional posterior and integrates out in
    closed form; (b, sigma) are integrated on a fine grid covering the posterior.
    """
    n = y.size
    b_grid = np.linspace(-15, 25, 801)
    s_grid = np.linspace(0.3, 4.0, 600)
    B, S = np.meshgrid(b_grid, s_grid, indexing="ij")
    xx, xr = x @ x, (y[:, None, None] - B[None]).transpose(1, 2, 0) @ x
    rr = np.sum((y[:, None, None] - B[None]) ** 2, axis=0)
    precision = xx / S**2 + 1 / tau**2
    mean_w = (xr / S**2) / precision
    log_marginal = (
        -n * np.log(S)
        - rr / (2 * S**2)
        + 0.5 * mean_w**2 * precision
        - 0.5 * np.log(precision * tau**2)
        + b_prior(B)
        + sigma_prior(S)
    )
    weights = np.exp(log_marginal - log_marginal.max())
    weights /= weights.sum()
    return np.sum(weights * mean_w), np.sum(weights * B), np.sum(weights * S)


@pytest.mark.slow
def test_brms_style_posterior_matches_quadrature():
    # b ~ N(0, 1), Intercept ~ t_3(8, 10), sigma ~ half-t_3(0, 10), one feature: NUTS
    # means within 5 Monte Carlo standard errors of the exact means by quadrature.
    rng = np.random.default_rng(5)
    x = rng.normal(size=25)
    y = 0.8 * x + 6.0 + 1.2 * rng.normal(size=25)
    model = bayesreg.LinearRegression(
        prior=dist.Normal(0.0, 1.0),
        intercept_prior=dist.StudentT(3.0, 8.0, 10.0),
        noise_prior=dist.FoldedDistribution(dist.StudentT(3.0, 0.0, 10.0)),
    )
    tree = model.sample_posterior(x[:, None], y, random_state=0)
    exact = _grid_posterior_means(
        x,
        y,
        1.0,
        lambda b: scipy.stats.t.logpdf(b, 3, 8, 10),
        lambda s: scipy.stats.t.logpdf(s, 3, 0, 10),
    )
    mcse = az.mcse(tree, var_names=["coef", "intercept", "sigma"], method="mean")
    post = tree["posterior"]
    for name, value in zip(("coef", "intercept", "sigma"), exact, strict=True):
        z = (float(post[name].mean()) - value) / float(mcse[name].values.ravel()[0])
        assert abs(z) < 5, (name, z)


DIABETES = load_diabetes()


@pytest.fixture(scope="module")
def sampled_ridge():
    est = bayesreg.Ridge(alpha=0.5)
    est.sample_posterior(DIABETES.data, DIABETES.target, random_state=3)
    return est


def test_predict_with_std_is_the_closed_form_predictive(sampled_ridge):
    # Noise-scaled ridge with p(sigma) = 1/sigma: y~ | y is Student-t with mean
    # b_hat + x'm and variance E[sigma^2] (1 + 1/n + (x - xbar)' A^-1 (x - xbar)).
    X, y = DIABETES.data, DIABETES.target
    n = y.size
    xbar = X.mean(axis=0)
    Xc, yc = X - xbar, y - y.mean()
    A = Xc.T @ Xc + 0.5 * np.eye(X.shape[1])
    m = np.linalg.solve(A, Xc.T @ yc)
    e_sigma2 = (yc @ yc - m @ A @ m) / (n - 1 - 2)
    rows = X[:20]
    exact_mean = y.mean() + (rows - xbar) @ m
    exact_var = e_sigma2 * (
        1 + 1 / n + np.einsum("ij,ij->i", rows - xbar, np.linalg.solve(A, (rows - xbar).T).T)
    )
    mean, std = sampled_ridge.predict(rows, return_std=True)
    # The mean's Monte Carlo error is below 0.1 predictive sd for 4000 draws (ESS > 1000).
    assert np.all(np.abs(mean - exact_mean) < 0.1 * np.sqrt(exact_var))
    np.testing.assert_allclose(std, np.sqrt(exact_var), rtol=0.05)
    np.testing.assert_array_equal(
        sampled_ridge.predict(rows), rows @ sampled_ridge.coef_ + sampled_ridge.intercept_
    )


def test_sample_y_draws_from_the_predictive(sampled_ridge):
    # Draws of sample_y have the mean and sd that predict(return_std=True) reports
    # (20000 draws: the sample mean is within 4 sd / sqrt(20000) of it).
    rows = DIABETES.data[:5]
    mean, std = sampled_ridge.predict(rows, return_std=True)
    draws = sampled_ridge.sample_y(rows, n_samples=20_000, random_state=0)
    assert draws.shape == (5, 20_000)
    assert np.all(np.abs(draws.mean(axis=1) - mean) < 4 * std / np.sqrt(20_000))
    np.testing.assert_allclose(draws.std(axis=1), std, rtol=0.03)
    again = sampled_ridge.sample_y(rows, n_samples=3, random_state=1)
    np.testing.assert_array_equal(again, sampled_ridge.sample_y(rows, n_samples=3, random_state=1))


def test_waic_and_loo_from_the_pointwise_log_likelihood(sampled_ridge):
    # WAIC recomputed draw by draw with scipy's normal log density; PSIS-LOO (arviz)
    # agrees with it within its standard error on this well-specified model.
    post = sampled_ridge.posterior_["posterior"]
    b = post["intercept"].values.reshape(-1)
    w = post["coef"].values.reshape(-1, 10)
    s = post["sigma"].values.reshape(-1)
    log_lik = scipy.stats.norm.logpdf(DIABETES.target, b[:, None] + w @ DIABETES.data.T, s[:, None])
    lppd = scipy.special.logsumexp(log_lik, axis=0) - np.log(len(s))
    p_waic = log_lik.var(axis=0, ddof=1)
    waic = sampled_ridge.waic()
    np.testing.assert_allclose(waic.elpd, np.sum(lppd - p_waic), rtol=1e-10)
    np.testing.assert_allclose(waic.p_waic, p_waic.sum(), rtol=1e-10)
    loo = sampled_ridge.loo()
    assert abs(loo.elpd - waic.elpd) < waic.se


def test_predictive_needs_a_posterior():
    est = bayesreg.Lasso(alpha=0.1).fit(DIABETES.data, DIABETES.target)
    for call in (
        lambda: est.predict(DIABETES.data, return_std=True),
        lambda: est.sample_y(DIABETES.data),
        est.waic,
        est.loo,
    ):
        with pytest.raises(NotFittedError, match="sample_posterior"):
            call()


def test_refit_forgets_the_posterior(sampled_ridge):
    est = bayesreg.Ridge(alpha=0.5)
    est.posterior_ = sampled_ridge.posterior_
    est.fit(DIABETES.data, DIABETES.target)
    assert not hasattr(est, "posterior_")


# -- errors ----------------------------------------------------------------------------------


def test_prior_without_mode_refuses_fit_with_a_clear_error():
    with pytest.raises(NoFiniteModeError, match=r"(?i)horseshoe"):
        bayesreg.LinearRegression(Horseshoe()).fit(DIABETES.data, DIABETES.target)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"prior": "laplace"}, TypeError, "bayesreg prior"),
        ({"prior": dist.HalfNormal(1.0)}, TypeError, "whole real line"),
        ({"noise_prior": 1.0}, TypeError, "noise_prior must be a numpyro distribution"),
        (
            {"intercept_prior": dist.Normal(0, 1), "fit_intercept": False},
            ValueError,
            "fit_intercept",
        ),
        ({"likelihood": "cauchy"}, ValueError, "likelihood"),
        ({"noise_scale": -1.0}, ValueError, "noise_scale"),
        (
            {"prior": dist.Normal(0, 1), "likelihood": "laplace"},
            NotImplementedError,
            "linear program",
        ),
    ],
)
def test_bad_models_give_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        bayesreg.LinearRegression(**kwargs).fit(DIABETES.data[:30], DIABETES.target[:30])


@parametrize_with_checks(
    [bayesreg.LinearRegression(), bayesreg.LinearRegression(likelihood="student_t")]
)
def test_sklearn_estimator_contract(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check(estimator)


def test_non_convex_prior_fit_is_reproducible():
    """The random starts of a Bridge(0.5) MAP are seeded, so refits return the same optimum
    (on diabetes bmi/s5 at this strength two optima nearly tie, and an unseeded start once
    returned the worse one in 1 of 20 fits)."""
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X = X[["bmi", "s5"]].to_numpy()
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = (y - y.mean()).to_numpy() / y.std()
    prior = bayesreg.priors.Bridge(0.5, 1.0 / 0.155)
    fits = [bayesreg.LinearRegression(prior, noise_scale=1.0).fit(X, y).coef_ for _ in range(10)]
    for coef in fits[1:]:
        np.testing.assert_array_equal(coef, fits[0])
