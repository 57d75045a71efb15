"""The sampled posterior: its mode is the MAP, and NUTS reproduces a known posterior."""

import warnings

import arviz as az
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
import scipy.stats
import xarray as xr
from numpyro.infer.util import log_density
from sklearn.datasets import load_diabetes

import bayesreg
from bayesreg.inference import SamplingWarning, warn_on_diagnostics
from bayesreg.model import JeffreysNoise, RegressionData, make_linear_model

DIABETES = load_diabetes(as_frame=True)


def _log_joint(est, data: RegressionData, coef, sigma):
    """log p(y, coef, intercept_centered = ybar | sigma) of the model sample_posterior samples."""
    model = make_linear_model(fit_intercept=data.fit_intercept)
    prior = est._unit_noise_prior(data.n_samples)
    params = {"coef": jnp.asarray(coef), "sigma": jnp.asarray(sigma)}
    if data.fit_intercept:
        params["intercept_centered"] = jnp.asarray(data.y_offset)
    args = (
        jnp.asarray(data.X - data.x_offset),
        jnp.asarray(data.y),
        jnp.asarray(data.sample_weight),
        jnp.asarray(data.x_offset),
        prior,
    )
    return float(log_density(model, args, {}, params)[0])


@pytest.mark.parametrize(
    "est",
    [
        bayesreg.Ridge(alpha=0.3),
        bayesreg.Lasso(alpha=0.2, tol=1e-12),
        bayesreg.ElasticNet(alpha=0.05, l1_ratio=0.6, tol=1e-12),
        bayesreg.Lasso(alpha=0.5, positive=False, fit_intercept=False, tol=1e-12),
    ],
    ids=lambda e: repr(e),
)
@pytest.mark.parametrize("sigma_factor", [0.3, 1.0, 4.0])
def test_sampled_log_density_is_maximal_at_coef(est, sigma_factor):
    # For every noise scale sigma, log p(w, y | sigma) of the sampled (noise-scaled) model
    # decreases when any coordinate of coef_ moves either way: coef_ is its mode.
    X, y = DIABETES.data.to_numpy(), DIABETES.target.to_numpy()
    weights = np.random.default_rng(0).uniform(0.2, 2.0, size=y.size)
    est.fit(X, y, sample_weight=weights)
    data = RegressionData.from_arrays(X, y, est._weights(weights), est.fit_intercept)
    X_t, y_t = data.centered()
    sigma = sigma_factor * np.sqrt(np.sum((y_t - X_t @ est.coef_) ** 2) / y.size)
    at_map = _log_joint(est, data, est.coef_, sigma)
    se = sigma / np.sqrt(np.sum(X_t**2, axis=0))
    for j in range(X.shape[1]):
        # A step of 1e-3 standard errors lowers the log density by ~5e-7 (quadratic) or
        # more (at a kink), far above its rounding error (~1e-12 here).
        step = 1e-3 * max(se[j], abs(est.coef_[j]))
        for direction in (-1.0, 1.0):
            moved = est.coef_.copy()
            moved[j] += direction * step
            assert _log_joint(est, data, moved, sigma) < at_map, (j, direction)


def _nig_posterior(X, y, alpha, sample_weight=None, fit_intercept=True):
    """Closed-form marginal posterior of the noise-scaled ridge model with p(sigma) = 1/sigma.

    With A = X~'X~ + alpha I, m = A^{-1} X~'y~ and S = y~'y~ - m'A m,
    sigma^2 | y ~ InvGamma(a, S/2) with a = (n - fit_intercept) / 2, and
    w | y ~ t_{2a}(m, (S / 2a) A^{-1}): Var(w_j) = S A^{-1}_jj / (2a - 2).
    The centred intercept b_c | sigma ~ N(ybar, sigma^2 / sum(s)), so
    intercept = b_c - xbar'w has mean ybar - xbar'm and variance
    E[sigma^2] (1 / sum(s) + xbar' A^{-1} xbar), E[sigma^2] = S / (2a - 2).
    """
    data = RegressionData.from_arrays(X, y, sample_weight, fit_intercept)
    X_t, y_t = data.centered()
    A = X_t.T @ X_t + alpha * np.eye(X.shape[1])
    A_inv = np.linalg.inv(A)
    m = A_inv @ X_t.T @ y_t
    S = y_t @ y_t - m @ A @ m
    a = (np.count_nonzero(data.sample_weight) - int(fit_intercept)) / 2
    e_sigma2 = S / (2 * a - 2)
    xbar = data.x_offset
    intercept_var = e_sigma2 * (1 / data.sample_weight.sum() + xbar @ A_inv @ xbar)
    # E[sigma] = sqrt(S/2) Gamma(a - 1/2) / Gamma(a); E[sigma^2] = S / (2a - 2).
    e_sigma = np.sqrt(S / 2) * np.exp(scipy.special.gammaln(a - 0.5) - scipy.special.gammaln(a))
    return {
        "coef": (m, np.sqrt(np.diag(A_inv) * e_sigma2)),
        "intercept": (data.intercept(m), np.sqrt(intercept_var) if fit_intercept else 0.0),
        "sigma": (e_sigma, np.sqrt(e_sigma2 - e_sigma**2)),
    }


def _check_against_closed_form(tree, exact, fit_intercept=True):
    # Each posterior mean within 5 Monte Carlo standard errors of the exact mean, each
    # posterior sd within 10% of the exact sd.
    mcse = az.mcse(tree, var_names=["coef", "intercept", "sigma"], method="mean")
    for name in ("coef", "intercept", "sigma"):
        if name == "intercept" and not fit_intercept:
            continue
        draws = tree["posterior"][name]
        mean = draws.mean(("chain", "draw")).values
        sd = draws.std(("chain", "draw")).values
        exact_mean, exact_sd = exact[name]
        z = (mean - exact_mean) / mcse[name].values
        assert np.all(np.abs(z) < 5), (name, z)
        np.testing.assert_allclose(sd, exact_sd, rtol=0.10, err_msg=name)


def test_ridge_posterior_is_normal_inverse_gamma():
    # NUTS on the noise-scaled ridge model equals the closed-form NIG posterior (diabetes).
    # An explicit Jeffreys prior makes Ridge run NUTS rather than draw the NIG exactly.
    X, y = DIABETES.data, DIABETES.target
    alpha = 0.5
    est = bayesreg.Ridge(alpha=alpha)
    tree = est.sample_posterior(X, y, random_state=1, noise_prior=JeffreysNoise())
    assert tree["posterior"].attrs["num_warmup"] == 1000  # NUTS, not the exact draws
    _check_against_closed_form(tree, _nig_posterior(X.to_numpy(), y.to_numpy(), alpha))


@pytest.mark.slow
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_weighted_ridge_posterior_is_normal_inverse_gamma(fit_intercept):
    # Same identity with observation weights (some zero) and with and without intercept,
    # on correlated, badly scaled synthetic columns.
    rng = np.random.default_rng(3)
    n, p = 120, 6
    cov = 0.6 ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    X = rng.multivariate_normal(np.zeros(p), cov, size=n) * np.logspace(-1, 1.5, p) + 3.0
    y = X @ rng.normal(size=p) + 2.0 + rng.normal(size=n)
    weights = rng.uniform(0.0, 3.0, size=n)
    weights[:5] = 0.0
    est = bayesreg.Ridge(alpha=2.0, fit_intercept=fit_intercept)
    tree = est.sample_posterior(
        X, y, sample_weight=weights, random_state=2, noise_prior=JeffreysNoise()
    )
    exact = _nig_posterior(X, y, 2.0, weights, fit_intercept)
    _check_against_closed_form(tree, exact, fit_intercept)
    np.testing.assert_allclose(est.coef_, exact["coef"][0], rtol=1e-9)


@pytest.mark.filterwarnings("ignore::bayesreg.inference.SamplingWarning")  # short chains
def test_posterior_datatree_is_labelled_by_feature():
    # Groups, variables and dims of the returned DataTree; feature coords are the column
    # names; observed_data holds y unchanged.
    X, y = DIABETES.data, DIABETES.target
    est = bayesreg.Lasso(alpha=0.5)
    tree = est.sample_posterior(X, y, num_samples=200, num_warmup=200, num_chains=2, random_state=0)
    assert {"posterior", "sample_stats", "log_likelihood", "observed_data"} <= set(tree.children)
    post = tree["posterior"]
    assert set(post.data_vars) == {"intercept", "coef", "sigma"}
    assert post["coef"].dims == ("chain", "draw", "feature")
    assert list(post["feature"].values) == list(X.columns)
    assert post.sizes == {"chain": 2, "draw": 200, "feature": 10}
    np.testing.assert_array_equal(tree["observed_data"]["y"].values, y.to_numpy())
    assert tree["log_likelihood"]["y"].dims == ("chain", "draw", "obs_id")
    assert est.posterior_ is tree
    assert np.all(post["sigma"].values > 0)


def test_log_likelihood_group_is_the_weighted_gaussian_density():
    # log_likelihood[y] = log N(y_i | intercept + x_i'coef, sigma^2 / s_i) per draw and
    # observation (scipy.stats as the independent reference); zero-weight rows are left out.
    X, y = DIABETES.data.to_numpy()[:80], DIABETES.target.to_numpy()[:80]
    weights = np.linspace(0.0, 1.5, 80)
    est = bayesreg.Ridge(alpha=1.0)
    tree = est.sample_posterior(
        X, y, sample_weight=weights, num_samples=50, num_warmup=50, num_chains=1, random_state=0
    )
    post = tree["posterior"]
    mean = post["intercept"].values[0][:, None] + post["coef"].values[0] @ X[1:].T
    scale = post["sigma"].values[0][:, None] / np.sqrt(weights[1:])
    expected = scipy.stats.norm.logpdf(y[1:], loc=mean, scale=scale)
    assert list(tree["log_likelihood"]["obs_id"].values) == list(range(1, 80))
    np.testing.assert_allclose(tree["log_likelihood"]["y"].values[0], expected, rtol=1e-10)


def _fake_tree(diverging, coef):
    posterior = xr.Dataset(
        {
            "coef": (("chain", "draw", "feature"), coef),
            "intercept": (("chain", "draw"), np.zeros(coef.shape[:2])),
            "sigma": (("chain", "draw"), np.ones(coef.shape[:2])),
        }
    )
    stats = xr.Dataset({"diverging": (("chain", "draw"), diverging)})
    return xr.DataTree.from_dict({"posterior": posterior, "sample_stats": stats})


def test_diagnostics_warn_on_divergences_and_rhat():
    # Divergences and R-hat > 1.01 each produce a SamplingWarning; a clean run none.
    rng = np.random.default_rng(0)
    good = rng.normal(size=(4, 500, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_on_diagnostics(_fake_tree(np.zeros((4, 500), bool), good))
    diverging = np.zeros((4, 500), bool)
    diverging[0, 3] = True
    with pytest.warns(SamplingWarning, match="1 divergent"):
        warn_on_diagnostics(_fake_tree(diverging, good))
    shifted = good + np.array([0.0, 0.0, 0.0, 3.0])[:, None, None]
    with pytest.warns(SamplingWarning, match="R-hat"):
        warn_on_diagnostics(_fake_tree(np.zeros((4, 500), bool), shifted))


@pytest.mark.slow
def test_fixed_noise_ridge_posterior_is_gaussian():
    # With sigma known, w | y ~ N(m, sigma^2 A^{-1}), A = X~'X~ + alpha I, exactly; the
    # sampled model with noise_scale=sigma must reproduce it.
    from bayesreg.inference import sample_linear_posterior

    X, y = DIABETES.data.to_numpy(), DIABETES.target.to_numpy()
    alpha, sigma = 0.5, 50.0
    data = RegressionData.from_arrays(X, y)
    X_t, y_t = data.centered()
    A_inv = np.linalg.inv(X_t.T @ X_t + alpha * np.eye(X.shape[1]))
    m = A_inv @ X_t.T @ y_t
    tree = sample_linear_posterior(
        data,
        bayesreg.Gaussian.from_alpha(alpha),
        coef_init=m,
        feature_names=list(DIABETES.data.columns),
        noise_scale=sigma,
        random_state=4,
    )
    assert np.all(tree["posterior"]["sigma"].values == sigma)
    exact = {
        "coef": (m, sigma * np.sqrt(np.diag(A_inv))),
        "intercept": (
            data.intercept(m),
            sigma * np.sqrt(1 / y.size + data.x_offset @ A_inv @ data.x_offset),
        ),
    }
    mcse = az.mcse(tree, var_names=["coef", "intercept"], method="mean")
    for name, (exact_mean, exact_sd) in exact.items():
        draws = tree["posterior"][name]
        z = (draws.mean(("chain", "draw")).values - exact_mean) / mcse[name].values
        assert np.all(np.abs(z) < 5), (name, z)
        np.testing.assert_allclose(draws.std(("chain", "draw")).values, exact_sd, rtol=0.10)
