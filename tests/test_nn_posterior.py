"""The network's posterior by NUTS (``bayesreg.nn.posterior``, ``MLPRegressor``).

* With no hidden layer the network is a linear model, and its NUTS posterior must be
  the exact normal-inverse-gamma posterior of ``bayesreg.Ridge`` (Gaussian prior) and
  the posterior of ``bayesreg.Lasso`` (Laplace prior), to Monte Carlo error.
* The teaching network (one tanh layer of 10 units on ``sin(pi x)``): the posterior's
  layout, its predictions checked against a forward pass written here, the bands, and
  R-hat of raw weights, canonical weights and fitted values.
* Improper posteriors and bad input are refused before any fit or tracing.
* A hierarchical prior samples; scikit-learn's estimator contract holds.
"""

from __future__ import annotations

import time
import warnings

import arviz as az
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from _hostile import assert_clear_error
from scipy import stats
from sklearn.datasets import load_diabetes
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

import bayesreg
import bayesreg.nn.estimator as estimator_module
from bayesreg.inference import SamplingWarning
from bayesreg.nn import alpha_from_mse_penalty, canonical_posterior, predictive_draws
from bayesreg.priors import NoFiniteModeError

# -- the linear network against the linear models ----------------------------------------
FAMILY_ERROR = 1e-3  # chance that any of a test's comparisons fails for a correct sampler


def diabetes() -> tuple[pd.DataFrame, np.ndarray]:
    """Four standardised diabetes features (bmi, bp, s5, age) and the standardised target."""
    data = load_diabetes()
    names = ["bmi", "bp", "s5", "age"]
    columns = [data.feature_names.index(n) for n in names]
    X = data.data[:, columns]
    X = (X - X.mean(0)) / X.std(0)
    y = (data.target - data.target.mean()) / data.target.std()
    return pd.DataFrame(X, columns=names), y


# The linear network's variables and the linear model's names for the same quantities.
LINEAR_NAMES = {"w_out": "coef", "b_out": "intercept", "sigma": "sigma"}


def mcse_z_scores(network: xr.DataTree, linear: xr.DataTree) -> dict[str, np.ndarray]:
    """|difference| / combined MCSE of the posterior mean and sd of every quantity.

    Both trees' Monte Carlo standard errors come from arviz (``az.mcse``), which accounts
    for each sampler's autocorrelation (exact iid draws have ESS ~ the number of draws).
    """
    z = {}
    for stat in ("mean", "sd"):
        se_net = az.mcse(network, var_names=list(LINEAR_NAMES), method=stat)
        se_lin = az.mcse(linear, var_names=list(LINEAR_NAMES.values()), method=stat)
        for ours, theirs in LINEAR_NAMES.items():
            a = network["posterior"][ours]
            b = linear["posterior"][theirs]
            reduce = (lambda d: d.mean(("chain", "draw"))) if stat == "mean" else None
            if reduce is None:
                va, vb = a.std(("chain", "draw")).values, b.std(("chain", "draw")).values
            else:
                va, vb = reduce(a).values, reduce(b).values
            combined = np.sqrt(se_net[ours].values ** 2 + se_lin[theirs].values ** 2)
            z[f"{stat} {ours}"] = np.atleast_1d(np.abs(va - vb) / combined)
    return z


def bonferroni_bound(z: dict[str, np.ndarray]) -> float:
    """Two-sided normal quantile at FAMILY_ERROR / (number of comparisons)."""
    m = sum(v.size for v in z.values())
    return float(stats.norm.isf(FAMILY_ERROR / (2 * m)))


def test_linear_network_with_gaussian_prior_is_exact_ridge_posterior(request):
    # No hidden layer, identity output: f(x) = x w + b.  With penalty "l2" and Jeffreys'
    # noise prior the model is y ~ N(Xw + b, sigma^2), w | sigma ~ N(0, sigma^2 / alpha),
    # b flat, p(sigma) ~ 1/sigma: exactly Ridge(alpha)'s normal-inverse-gamma posterior
    # (objective ||r||^2 + alpha ||w||^2 = 2 (1/2 ||r||^2 + alpha/2 ||w||^2)).
    X, y = diabetes()
    alpha = 20.0
    net = bayesreg.MLPRegressor((), "identity", penalty="l2", alpha=alpha, random_state=0)
    start = time.perf_counter()
    nuts = net.sample_posterior(X, y, num_samples=600, num_warmup=300, random_state=1)
    seconds = time.perf_counter() - start
    exact = bayesreg.Ridge(alpha=alpha).sample_posterior(X, y, num_samples=5000, random_state=2)
    assert exact["posterior"].attrs["sampler"] == "exact normal-inverse-gamma"
    assert list(nuts["posterior"]["feature"].values) == list(X.columns)
    z = mcse_z_scores(nuts, exact)
    bound = bonferroni_bound(z)
    worst = max(float(v.max()) for v in z.values())
    ess = az.ess(nuts, var_names=list(LINEAR_NAMES))
    min_ess = min(float(v.min()) for v in ess.data_vars.values())
    request.node.user_properties.append(
        (
            "summary",
            f"NN linear (l2) NUTS vs exact Ridge NIG, diabetes p=4: max |z| {worst:.2f} "
            f"(Bonferroni bound {bound:.2f}) over means and sds; min ESS {min_ess:.0f}/2400; "
            f"{seconds:.0f} s",
        )
    )
    for key, value in z.items():
        assert np.all(value < bound), (key, value, bound)
    # The MAP of the same estimator is Ridge's solution (closed form) to solver precision.
    ridge = bayesreg.Ridge(alpha=alpha).fit(X, y)
    np.testing.assert_allclose(net.coefs_[-1][:, 0], ridge.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(net.intercepts_[-1][0], ridge.intercept_, atol=1e-10)


@pytest.mark.slow
def test_linear_network_with_laplace_prior_is_lasso_posterior(request):
    # Lasso(alpha_lasso): (1/2n) ||r||^2 + alpha_lasso ||w||_1 = F / n with
    # F = 1/2 ||r||^2 + n alpha_lasso ||w||_1: the network's "l1" penalty with
    # alpha = n alpha_lasso.  Both noise-scaled Laplace posteriors, both by NUTS.
    X, y = diabetes()
    alpha_lasso = 0.02
    net = bayesreg.MLPRegressor(
        (), "identity", penalty="l1", alpha=len(y) * alpha_lasso, random_state=0
    )
    nuts = net.sample_posterior(X, y, num_samples=1000, num_warmup=500, random_state=1)
    lasso = bayesreg.Lasso(alpha=alpha_lasso)
    reference = lasso.sample_posterior(X, y, num_samples=1000, num_warmup=500, random_state=3)
    z = mcse_z_scores(nuts, reference)
    bound = bonferroni_bound(z)
    worst = max(float(v.max()) for v in z.values())
    request.node.user_properties.append(
        (
            "summary",
            f"NN linear (l1) NUTS vs Lasso NUTS, diabetes p=4, alpha_lasso={alpha_lasso}: "
            f"max |z| {worst:.2f} (Bonferroni bound {bound:.2f}) over means and sds",
        )
    )
    for key, value in z.items():
        assert np.all(value < bound), (key, value, bound)
    # And the two MAPs agree (a proximal solve each, both certified).
    np.testing.assert_allclose(net.coefs_[-1][:, 0], lasso.coef_, atol=1e-7)


# -- the teaching network ------------------------------------------------------------------
N_TRAIN, N_CHAINS, N_DRAWS = 80, 4, 300


@pytest.fixture(scope="module")
def teaching():
    """y = sin(pi x) + N(0, 0.1^2) on [-1, 1], 80 training points; (10,) tanh, lam = 0.01.

    Returns the estimator, the training data, the posterior and the sampler's warnings.
    """
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 100)
    y = np.sin(np.pi * x) + 0.1 * rng.standard_normal(100)
    X = pd.DataFrame({"x": x[:N_TRAIN]})
    alpha = alpha_from_mse_penalty("l2", 0.01, N_TRAIN)  # MSE + 0.01 sum w^2
    net = bayesreg.MLPRegressor(
        (10,), "tanh", penalty="l2", alpha=alpha, bias_scale=5.0, random_state=0
    )
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as record:
        # A divergence or two may be reported: kept for the summary, not an error.
        warnings.simplefilter("always", SamplingWarning)
        tree = net.sample_posterior(
            X, y[:N_TRAIN], num_samples=N_DRAWS, num_warmup=N_DRAWS, random_state=1
        )
    seconds = time.perf_counter() - start
    assert all(w.category is SamplingWarning for w in record), [str(w.message) for w in record]
    sampler_warnings = [str(w.message) for w in record]
    return net, X, y[:N_TRAIN], tree, sampler_warnings, seconds


def numpy_network(tree: xr.DataTree, X: np.ndarray) -> np.ndarray:
    """f(x) = tanh(x W_1 + b_1) w_out + b_out for every draw, in numpy: (chain, draw, n)."""
    post = tree["posterior"]
    W1, b1 = post["W_1"].values, post["b_1"].values  # (c, d, 1, h), (c, d, h)
    w_out, b_out = post["w_out"].values, post["b_out"].values
    hidden = np.tanh(np.einsum("np,cdph->cdnh", X, W1) + b1[:, :, None, :])
    return np.einsum("cdnh,cdh->cdn", hidden, w_out) + b_out[..., None]


@pytest.mark.slow
def test_teaching_posterior_layout(teaching):
    net, X, y, tree, _, _ = teaching
    post = tree["posterior"]
    assert set(post.data_vars) == {"W_1", "b_1", "w_out", "b_out", "sigma"}
    assert post["W_1"].dims == ("chain", "draw", "feature", "hidden_1")
    assert post["b_1"].dims == ("chain", "draw", "hidden_1")
    assert post["w_out"].dims == ("chain", "draw", "hidden_1")
    assert post["b_out"].dims == post["sigma"].dims == ("chain", "draw")
    assert post.sizes["chain"] == N_CHAINS and post.sizes["draw"] == N_DRAWS
    assert list(post["feature"].values) == ["x"]
    np.testing.assert_array_equal(post["hidden_1"].values, np.arange(10))
    assert np.all(post["sigma"].values > 0)
    np.testing.assert_array_equal(tree["observed_data"]["y"].values, y)
    # log_likelihood: log N(y_i | f(x_i), sigma^2), per draw and observation.
    loglik = tree["log_likelihood"]["y"]
    assert loglik.dims == ("chain", "draw", "obs_id")
    assert loglik.shape == (N_CHAINS, N_DRAWS, N_TRAIN)
    expected = stats.norm.logpdf(
        y, numpy_network(tree, X.to_numpy()), post["sigma"].values[..., None]
    )
    np.testing.assert_allclose(loglik.values, expected, rtol=1e-10, atol=1e-10)
    assert post.attrs["activation"] == "tanh" and post.attrs["hidden_layer_sizes"] == [10]
    assert net.posterior_ is tree


@pytest.mark.slow
def test_teaching_predictions_equal_a_numpy_forward_pass(teaching):
    net, _, _, tree, _, _ = teaching
    grid = np.linspace(-1.5, 1.5, 31)[:, None]  # beyond the data at both ends
    draws = predictive_draws(tree, net.architecture_, grid)
    manual = numpy_network(tree, grid)
    np.testing.assert_allclose(draws, manual, rtol=1e-11, atol=1e-12)
    # predict(return_std=True): E[f] and sqrt(Var f + E sigma^2) over all draws.
    flat = manual.reshape(-1, len(grid))
    sigma2 = np.mean(tree["posterior"]["sigma"].values ** 2)
    mean, sd = net.predict(pd.DataFrame({"x": grid[:, 0]}), return_std=True)
    np.testing.assert_allclose(mean, flat.mean(0), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(sd, np.sqrt(flat.var(0) + sigma2), rtol=1e-11)
    # The canonical posterior is the same function draw by draw.
    canonical = canonical_posterior(tree, net.architecture_)
    np.testing.assert_allclose(
        predictive_draws(canonical, net.architecture_, grid), draws, rtol=1e-10, atol=1e-12
    )


@pytest.mark.slow
def test_teaching_predictive_bands(teaching, request):
    net, _, _, tree, _, _ = teaching
    grid = np.linspace(-1.5, 1.5, 31)[:, None]
    prob = 0.9
    band = net.predictive_interval(pd.DataFrame({"x": grid[:, 0]}), prob=prob)
    f = numpy_network(tree, grid).reshape(-1, len(grid))
    n = f.shape[0]
    np.testing.assert_allclose(band["mean"].values, f.mean(0), rtol=1e-11, atol=1e-12)
    # A central band of the draws: the fraction of draws inside is prob up to the
    # quantiles' interpolation (at most 2 draws either side).
    inside = np.mean((f >= band["f_lower"].values) & (f <= band["f_upper"].values), axis=0)
    assert np.all(np.abs(inside - prob) <= 2.0 / n + 1e-12), inside
    # The observation band adds the noise: it contains the function band, and new
    # observations simulated here fall in it with frequency prob up to Monte Carlo error
    # (the band's own quantiles and this check's draws: sd <= sqrt(2 prob (1-prob) / n)).
    assert np.all(band["y_lower"].values < band["f_lower"].values)
    assert np.all(band["f_upper"].values < band["y_upper"].values)
    assert np.all(band["f_lower"].values < band["mean"].values)
    assert np.all(band["mean"].values < band["f_upper"].values)
    sigma = tree["posterior"]["sigma"].values.reshape(-1, 1)
    y_new = f + sigma * np.random.default_rng(123).standard_normal(f.shape)
    covered = np.mean((y_new >= band["y_lower"].values) & (y_new <= band["y_upper"].values), 0)
    tolerance = 5 * np.sqrt(2 * prob * (1 - prob) / n)
    assert np.all(np.abs(covered - prob) < tolerance), covered
    width = (band["f_upper"] - band["f_lower"]).values
    middle = np.abs(grid[:, 0]) <= 0.5
    outside = np.abs(grid[:, 0]) > 1.0
    # Where there are no data (|x| > 1) the band widens: measured 0.28 inside and 0.81
    # beyond with these draws; asserted with a wide margin.
    assert width[outside].mean() > 1.5 * width[middle].mean()
    request.node.user_properties.append(
        (
            "summary",
            f"NN teaching (10,) tanh L2 lam=0.01: 90% f-band width {width[middle].mean():.3f} "
            f"inside |x|<=0.5, {width[outside].mean():.3f} beyond the data |x|>1; "
            f"y-band coverage of simulated y {covered.min():.3f}..{covered.max():.3f}",
        )
    )


@pytest.mark.slow
def test_teaching_rhat_raw_vs_canonical_vs_fitted(teaching, request):
    # Chains sit at different but equivalent modes (units permuted or sign-flipped):
    # raw weights disagree across chains, canonical weights and fitted values do not.
    net, X, _, tree, sampler_warnings, seconds = teaching
    canonical = net.canonical_posterior()
    rhat_raw = az.rhat(tree, var_names=["w_out"])["w_out"].values
    rhat_canonical = az.rhat(canonical, var_names=["w_out"])["w_out"].values
    fitted = predictive_draws(tree, net.architecture_, X.to_numpy())
    rhat_fitted = np.asarray(az.rhat(xr.DataArray(fitted, dims=("chain", "draw", "obs"))))
    rhat_sigma = float(az.rhat(tree["posterior"]["sigma"].values))
    divergences = int(tree["sample_stats"]["diverging"].sum())
    ess_sigma = float(az.ess(tree["posterior"]["sigma"].values))
    request.node.user_properties.append(
        (
            "summary",
            f"NN teaching R-hat ({N_CHAINS}x{N_DRAWS}/{N_DRAWS}, {seconds:.0f} s): raw w_out "
            f"max {rhat_raw.max():.3f}, canonical w_out max {rhat_canonical.max():.3f}, "
            f"fitted values max {rhat_fitted.max():.4f}, sigma {rhat_sigma:.4f} (ESS "
            f"{ess_sigma:.0f}); {divergences} divergences; warnings: {len(sampler_warnings)}",
        )
    )
    assert rhat_canonical.max() < rhat_raw.max()
    assert rhat_fitted.max() < 1.05
    assert rhat_sigma < 1.05


# -- improper posteriors and bad input: refused before anything runs --------------------------
@pytest.fixture
def no_solver_no_sampler(monkeypatch):
    """Make any MAP solve or NUTS run fail the test."""

    def forbidden(*args, **kwargs):
        raise AssertionError("the solver or the sampler ran before the input was checked")

    monkeypatch.setattr(estimator_module, "sample_network_posterior", forbidden)
    monkeypatch.setattr(estimator_module, "solve_network_map", forbidden)


def tiny_data(n: int = 20, p: int = 1, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, p))
    return X, np.sin(np.pi * X[:, 0]) + 0.1 * rng.standard_normal(n)


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        (dict(alpha=1.0, bias_scale=None), "bias_scale"),
        (dict(alpha=0.0, bias_scale=5.0), "alpha"),
        (dict(penalty="l1", alpha=0.0, bias_scale=5.0), "alpha"),
    ],
    ids=["flat-biases", "flat-weights-l2", "flat-weights-l1"],
)
def test_improper_posterior_is_refused_before_sampling(kwargs, word, no_solver_no_sampler):
    X, y = tiny_data()
    net = bayesreg.MLPRegressor((3,), "tanh", random_state=0, **kwargs)
    with pytest.raises(ValueError, match="improper") as info:
        net.sample_posterior(X, y, num_samples=10, num_warmup=10)
    assert_clear_error(info.value)
    assert word in str(info.value)
    assert not hasattr(net, "coefs_") and not hasattr(net, "posterior_")


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        (dict(activation="softplus"), "activation"),
        (dict(penalty="l3"), "penalty"),
        (dict(alpha=-1.0), "alpha"),
        (dict(alpha=float("nan")), "alpha"),
        (dict(hidden_layer_sizes=(0,)), "hidden_layer_sizes"),
        (dict(hidden_layer_sizes=(3, -1)), "hidden_layer_sizes"),
        (dict(bias_scale=0.0), "bias_scale"),
        (dict(bias_scale=float("nan")), "bias_scale"),
        (dict(prior=bayesreg.PenaltyFactor(bayesreg.Laplace(1.0), [1.0, 2.0])), "rate"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
@pytest.mark.parametrize("method", ["fit", "sample_posterior"])
def test_bad_hyperparameters_get_clear_errors(kwargs, word, method, no_solver_no_sampler):
    X, y = tiny_data(p=2)
    params = dict(hidden_layer_sizes=(3,), activation="tanh", bias_scale=5.0, alpha=0.1)
    net = bayesreg.MLPRegressor(**{**params, **kwargs})
    with pytest.raises(ValueError) as info:
        getattr(net, method)(X, y)
    assert_clear_error(info.value)
    assert word in str(info.value)


@pytest.mark.parametrize("method", ["fit", "sample_posterior"])
def test_a_network_too_large_to_hold_is_refused(method, no_solver_no_sampler):
    # 10**9 units would allocate gigabytes before anything else failed.
    X, y = tiny_data()
    net = bayesreg.MLPRegressor((10**9,), "tanh", bias_scale=5.0)
    with pytest.raises(ValueError, match="hidden_layer_sizes") as info:
        getattr(net, method)(X, y)
    assert f"{estimator_module.MAX_PARAMETERS:,}" in str(info.value)


def test_prediction_errors_are_clear():
    X, y = tiny_data()
    net = bayesreg.MLPRegressor((3,), "tanh", alpha=0.1, bias_scale=5.0, random_state=0)
    net.fit(X, y)
    with pytest.raises(NotFittedError, match="sample_posterior") as info:
        net.predict(X, return_std=True)
    assert_clear_error(info.value)
    for prob in (0.0, 1.0, 1.5, -0.2, float("nan"), True, "0.9"):
        with pytest.raises(ValueError, match="prob") as info:
            net.predictive_interval(X, prob=prob)
        assert_clear_error(info.value)
    with pytest.raises(NotFittedError):
        net.predictive_interval(X, prob=0.9)


# -- a hierarchical prior ----------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::bayesreg.inference.SamplingWarning")
def test_horseshoe_network_samples_and_has_no_mode():
    X, y = tiny_data(n=25)
    net = bayesreg.MLPRegressor(
        (3,), "tanh", prior=bayesreg.Horseshoe(scale_global=1.0), bias_scale=5.0, random_state=0
    )
    with pytest.raises(NoFiniteModeError, match="sample_posterior") as info:
        net.fit(X, y)
    assert_clear_error(info.value)
    tree = net.sample_posterior(X, y, num_samples=30, num_warmup=30, num_chains=2, random_state=0)
    post = tree["posterior"]
    n_weights = net.architecture_.n_weights  # 1*3 + 3 = 6
    assert n_weights == 6
    assert set(post.data_vars) == {
        "W_1",
        "b_1",
        "w_out",
        "b_out",
        "sigma",
        "tau",
        "lambda",
        "coef_raw",
    }
    assert post["tau"].dims == ("chain", "draw")
    assert post["lambda"].dims == ("chain", "draw", "weight")
    assert post.sizes["weight"] == n_weights
    assert np.all(post["tau"].values > 0) and np.all(post["lambda"].values > 0)
    # The weights are the horseshoe's coef = coef_raw * lambda * tau, laid out as theta.
    assert post["coef_raw"].dims == ("chain", "draw", "weight")
    coef = post["coef_raw"].values * post["lambda"].values * post["tau"].values[..., None]
    flat = np.concatenate([post["W_1"].values.reshape(2, 30, -1), post["w_out"].values], axis=-1)
    np.testing.assert_allclose(flat, coef, rtol=1e-10, atol=1e-12)
    # No mode: the point prediction is the posterior predictive mean.
    assert net.map_ is None
    mean, sd = net.predict(X, return_std=True)
    np.testing.assert_allclose(net.predict(X), mean, rtol=1e-12)
    np.testing.assert_allclose(
        mean, predictive_draws(tree, net.architecture_, X).mean((0, 1)), rtol=1e-11, atol=1e-12
    )
    assert np.all(np.isfinite(mean)) and np.all(sd > 0)


# -- scikit-learn's estimator contract ------------------------------------------------------
# Each generated test checks one part of scikit-learn's estimator contract (the check's
# name is in the test id).  Both configurations take minutes (a MAP solve per fit, ~60
# fits), so both run with the slow tests.  A MAP solve that cannot certify its point
# warns (ConvergenceWarning), which is right and is not what these checks are about:
# a ReLU network's minima often lie on a kink (a unit's input exactly 0 at an
# observation) where no gradient vanishes, and scikit-learn's check data include
# X ~ N(100, 1), which saturates every tanh unit.
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks([bayesreg.MLPRegressor((5,), "tanh", alpha=0.1, random_state=0)])
def test_sklearn_contract_tanh(estimator, check):
    check(estimator)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(
    [bayesreg.MLPRegressor((4, 3), "relu", penalty="l1", alpha=0.1, random_state=0)],
    expected_failed_checks=lambda estimator: {
        # Weights and repeated rows give the same objective, but its rounding differs, and
        # a ReLU network's solve ends on a kink that the rounding can decide: the two fits
        # may stop at different non-smooth points (not certified: ConvergenceWarning).
        "check_sample_weight_equivalence_on_dense_data": (
            "a ReLU solve stops on a kink that rounding decides"
        ),
    },
    xfail_strict=False,
)
def test_sklearn_contract_relu_l1(estimator, check):
    check(estimator)
