"""The fast Gaussian sampler draws the same posterior as the numpyro model, compiled once.

:mod:`bayesreg.gaussian_sampler` samples Gaussian-likelihood posteriors from the
sufficient statistics in whitened coordinates, with a flat intercept integrated out and
drawn exactly afterwards.  Every check compares with something it does not share code
with:

* closed forms, written here from the textbook formulas: the normal-inverse-gamma
  posterior of the noise-scaled Gaussian prior with Jeffreys' noise prior (``Ridge``,
  with sample weights, zero weights, no intercept and penalty factors), and the Gaussian
  posterior of a Gaussian prior with a known noise scale (with a flat or a Gaussian
  intercept prior);
* the numpyro-model sampler (``sampler="numpyro-model"``) on the Laplace, elastic-net,
  Student-t priors and a proper noise prior (slow);
* a small simulation-based calibration of the fast path itself (slow).

Posterior means and standard deviations must lie within ``z*`` Monte Carlo standard
errors (arviz's ``mcse``), ``z*`` the Bonferroni bound for a family-wise error of 0.001
over the quantities compared in a test.  No test times anything: a second call "does not
recompile" is checked by counting the compiled programs.
"""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import numpyro.distributions as dist
import pytest
import scipy.special
import scipy.stats
from numpyro.distributions import constraints
from sklearn.datasets import load_diabetes

import bayesreg
from bayesreg import gaussian_sampler
from bayesreg.inference import GAUSSIAN_SAMPLER, NUMPYRO_MODEL_SAMPLER, SamplingWarning
from bayesreg.likelihoods import Normal, StudentT
from bayesreg.model import RegressionData

FAMILY_WISE_ERROR = 0.001
FLAT_NOISE = dist.ImproperUniform(constraints.positive, (), ())
SAMPLER = {"num_warmup": 500, "num_samples": 1000, "num_chains": 4}


def _z_star(n_compared: int) -> float:
    return float(scipy.stats.norm.isf(FAMILY_WISE_ERROR / (2 * n_compared)))


def _data(n=60, p=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) @ np.linalg.cholesky(0.5 * np.eye(p) + 0.5).T
    X[:, 0] = 3.0 * X[:, 0] + 10.0  # a shifted, scaled column: centring and whitening matter
    w = rng.standard_normal(p)
    y = 2.0 + X @ w + 0.7 * rng.standard_normal(n)
    return X, y


def _z_scores(tree, exact: dict) -> tuple[np.ndarray, np.ndarray]:
    """``(mean - exact mean) / MCSE`` and ``(sd - exact sd) / MCSE(sd)`` for every quantity."""
    names = list(exact)
    mcse_mean = az.mcse(tree, var_names=names, method="mean")
    mcse_sd = az.mcse(tree, var_names=names, method="sd")
    z_mean, z_sd = [], []
    for name in names:
        draws = tree["posterior"][name]
        mean, sd = exact[name]
        z_mean.append(np.ravel((draws.mean(("chain", "draw")).values - mean) / mcse_mean[name]))
        z_sd.append(np.ravel((draws.std(("chain", "draw")).values - sd) / mcse_sd[name]))
    return np.abs(np.concatenate(z_mean)), np.abs(np.concatenate(z_sd))


def _assert_matches(tree, exact: dict, request, label: str) -> None:
    z_mean, z_sd = _z_scores(tree, exact)
    z_star = _z_star(z_mean.size + z_sd.size)
    stats = tree["sample_stats"]
    request.node.user_properties.append(
        (
            "summary",
            f"GAUSSIAN SAMPLER {label}: max |z| mean {z_mean.max():.2f} sd {z_sd.max():.2f} "
            f"(z* {z_star:.2f}, {z_mean.size + z_sd.size} compared), leapfrog steps mean "
            f"{stats['n_steps'].values.mean():.1f}, divergences {int(stats['diverging'].sum())}",
        )
    )
    assert tree["posterior"].attrs["sampler"] == GAUSSIAN_SAMPLER
    assert int(stats["diverging"].sum()) == 0
    assert z_mean.max() <= z_star, z_mean
    assert z_sd.max() <= z_star, z_sd


def _centred(X, y, weight, fit_intercept):
    keep = weight > 0
    X, y, weight = X[keep], y[keep], weight[keep]
    if fit_intercept:
        x_bar, y_bar = weight @ X / weight.sum(), weight @ y / weight.sum()
    else:
        x_bar, y_bar = np.zeros(X.shape[1]), 0.0
    root = np.sqrt(weight)
    return (X - x_bar) * root[:, None], (y - y_bar) * root, x_bar, y_bar, weight.sum(), keep.sum()


def normal_inverse_gamma(X, y, alpha_diag, weight=None, fit_intercept=True) -> dict:
    """Exact moments of the noise-scaled Gaussian prior with Jeffreys' ``1 / sigma``.

    ``w | sigma ~ N(m, sigma^2 A^-1)``, ``sigma^2 ~ InvGamma(a, J / 2)`` with
    ``A = X~'X~ + diag(alpha)``, ``m = A^-1 X~'y~``, ``J = ||y~ - X~ m||^2 + m' diag(alpha) m``
    and ``a = (n_obs - 1 - k) / 2`` with ``k`` the weights whose ``alpha_j = 0`` (flat, so
    their prior has no normalising ``1 / sigma``) and without the ``- 1`` when there is no
    intercept (which is flat too); so ``w`` is
    multivariate t with ``Var w = J / (2a - 2) A^-1``, ``E sigma = sqrt(J/2)
    Gamma(a - 1/2) / Gamma(a)``, ``E sigma^2 = J / (2a - 2)``, and the intercept
    ``b = b_c - xbar'w`` with ``b_c ~ N(ybar, sigma^2 / W)`` independent of ``w``.
    """
    weight = np.ones(len(y)) if weight is None else np.asarray(weight, float)
    Xt, yt, x_bar, y_bar, W, n_obs = _centred(X, y, weight, fit_intercept)
    A = Xt.T @ Xt + np.diag(alpha_diag)
    m = np.linalg.solve(A, Xt.T @ yt)
    J = np.sum((yt - Xt @ m) ** 2) + m @ (alpha_diag * m)
    a = (n_obs - int(fit_intercept) - np.count_nonzero(alpha_diag == 0)) / 2
    e_sigma2 = J / (2 * a - 2)
    e_sigma = np.sqrt(J / 2) * np.exp(scipy.special.gammaln(a - 0.5) - scipy.special.gammaln(a))
    A_inv = np.linalg.inv(A)
    exact = {
        "coef": (m, np.sqrt(e_sigma2 * np.diag(A_inv))),
        "sigma": (e_sigma, np.sqrt(e_sigma2 - e_sigma**2)),
    }
    if fit_intercept:
        var_b = e_sigma2 * (1.0 / W + x_bar @ A_inv @ x_bar)
        exact["intercept"] = (y_bar - x_bar @ m, np.sqrt(var_b))
    return exact


def gaussian_known_noise(X, y, prior_sd, sigma, intercept_prior=None) -> dict:
    """Exact moments with a known noise scale: ``theta = (b, w) ~ N(mu, Sigma)``.

    ``Sigma^-1 = Z'Z / sigma^2 + P`` and ``mu = Sigma (Z'y / sigma^2 + P mu_0)`` with
    ``Z = [1, X]`` (not centred: an independent computation) and the prior precision
    ``P = diag(1 / s_b^2 or 0 (flat intercept), 1 / prior_sd^2)``.
    """
    Z = np.column_stack([np.ones(len(y)), X])
    mu_b, p_b = (
        (0.0, 0.0) if intercept_prior is None else (intercept_prior[0], intercept_prior[1] ** -2)
    )
    precision = np.r_[p_b, np.full(X.shape[1], 1.0 / prior_sd**2)]
    mu_0 = np.r_[mu_b, np.zeros(X.shape[1])]
    cov = np.linalg.inv(Z.T @ Z / sigma**2 + np.diag(precision))
    mean = cov @ (Z.T @ y / sigma**2 + precision * mu_0)
    sd = np.sqrt(np.diag(cov))
    return {"intercept": (mean[0], sd[0]), "coef": (mean[1:], sd[1:])}


def _quiet_sample(estimator, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return estimator.sample_posterior(X, y, **{**SAMPLER, **kwargs})


# -- the reference formulas are right ----------------------------------------------------
def test_normal_inverse_gamma_reference_matches_monte_carlo():
    # Independent iid draws from the NIG posterior (sigma^2 from scipy's invgamma, then
    # w | sigma from numpy's multivariate normal) reproduce the closed-form moments
    # within 5 standard errors of 200000 draws.
    X, y = _data()
    alpha = np.full(X.shape[1], 2.0)
    exact = normal_inverse_gamma(X, y, alpha)
    Xt, yt, x_bar, y_bar, W, n = _centred(X, y, np.ones(len(y)), True)
    A = Xt.T @ Xt + np.diag(alpha)
    m = np.linalg.solve(A, Xt.T @ yt)
    J = np.sum((yt - Xt @ m) ** 2) + m @ (alpha * m)
    rng = np.random.default_rng(1)
    draws = 200_000
    sigma2 = scipy.stats.invgamma((n - 1) / 2, scale=J / 2).rvs(draws, random_state=rng)
    z = rng.standard_normal((draws, len(m))) @ np.linalg.cholesky(np.linalg.inv(A)).T
    w = m + np.sqrt(sigma2)[:, None] * z
    b = y_bar + np.sqrt(sigma2 / W) * rng.standard_normal(draws) - w @ x_bar
    for name, values in {"coef": w, "sigma": np.sqrt(sigma2), "intercept": b}.items():
        mean, sd = exact[name]
        se = np.std(values, axis=0) / np.sqrt(draws)
        assert np.all(np.abs(values.mean(axis=0) - mean) <= 5 * se), name
        assert np.all(np.abs(values.std(axis=0) / sd - 1) <= 5 / np.sqrt(2 * draws)), name


# -- the fast path against closed forms ---------------------------------------------------
def _sample_noise_scaled(X, y, prior, *, sample_weight=None, fit_intercept=True, seed=0):
    """NUTS on the noise-scaled model (``Ridge``'s own sample_posterior draws exactly)."""
    data = RegressionData.from_arrays(X, y, sample_weight, fit_intercept)
    coef = bayesreg.solvers.solve_map(data, prior).coef
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return bayesreg.inference.sample_linear_posterior(
            data,
            prior,
            coef_init=coef,
            feature_names=[f"x{j}" for j in range(X.shape[1])],
            random_state=seed,
            **SAMPLER,
        )


@pytest.mark.parametrize(
    ("case", "fit_intercept"),
    [("plain", True), ("no intercept", False), ("weights with zeros", True)],
)
def test_ridge_matches_normal_inverse_gamma(case, fit_intercept, request):
    X, y = _data()
    weight = None
    if case == "weights with zeros":
        weight = np.random.default_rng(3).uniform(0.2, 3.0, len(y))
        weight[:7] = 0.0  # dropped: the exact posterior never sees them
        y = y.copy()
        y[:7] = 1e6  # and their values cannot matter
    alpha = 2.0
    prior = bayesreg.Gaussian.from_alpha(alpha)
    tree = _sample_noise_scaled(X, y, prior, sample_weight=weight, fit_intercept=fit_intercept)
    exact = normal_inverse_gamma(
        X, y, np.full(X.shape[1], alpha), weight=weight, fit_intercept=fit_intercept
    )
    _assert_matches(tree, exact, request, f"Ridge NIG {case}")
    if not fit_intercept:
        assert np.all(tree["posterior"]["intercept"].values == 0)
    if weight is not None:
        assert tree["observed_data"].sizes["obs_id"] == len(y) - 7


def test_penalty_factor_matches_normal_inverse_gamma(request):
    # Ridge with factors f: the prior precision of w_j is alpha f_j / sigma^2, and
    # f_j = 0 leaves w_j flat: the NIG posterior with A = X~'X~ + alpha diag(f).
    X, y = _data()
    factor = np.array([0.0, 1.0, 3.0, 0.5, 1.0])
    prior = bayesreg.Gaussian.from_alpha(4.0).with_penalty_factor(factor)
    tree = _sample_noise_scaled(X, y, prior, seed=1)
    exact = normal_inverse_gamma(X, y, 4.0 * factor)
    _assert_matches(tree, exact, request, "Ridge NIG penalty factors")


@pytest.mark.parametrize("intercept_prior", [None, (1.0, 0.5)], ids=["flat", "gaussian"])
def test_known_noise_matches_gaussian_posterior(intercept_prior, request):
    # A known sigma and the prior as written (fixed-noise form): a Gaussian posterior.
    # With a Gaussian intercept prior the centred intercept is sampled, not integrated.
    X, y = _data()
    sigma, prior_sd = 0.8, 0.3
    model = bayesreg.LinearRegression(
        prior=dist.Normal(0.0, prior_sd),
        noise_scale=sigma,
        intercept_prior=None if intercept_prior is None else dist.Normal(*intercept_prior),
    )
    tree = _quiet_sample(model, X, y, random_state=2)
    exact = gaussian_known_noise(X, y, prior_sd, sigma, intercept_prior)
    _assert_matches(tree, exact, request, f"known noise, intercept prior {intercept_prior}")
    assert np.all(tree["posterior"]["sigma"].values == sigma)


# -- what the fast path takes, and what it returns ----------------------------------------
@pytest.mark.parametrize(
    ("prior", "kwargs", "expected"),
    [
        (bayesreg.Laplace(1.0), {}, True),
        (bayesreg.Gaussian(1.0), {"noise_prior": dist.HalfNormal(1.0)}, True),
        (bayesreg.StudentT(3.0, 1.0), {"intercept_prior": dist.Normal(0.0, 5.0)}, True),
        (
            bayesreg.Flat(),
            {"noise_prior": dist.ImproperUniform(constraints.positive, (), ())},
            True,
        ),
        (bayesreg.Horseshoe(), {}, False),  # latent scales: the numpyro model
        (bayesreg.Laplace(1.0), {"likelihood": StudentT(4.0)}, False),
        (bayesreg.Laplace(1.0), {"noise_prior": dist.Uniform(0.0, 10.0)}, False),
        (bayesreg.Laplace(1.0), {"intercept_prior": dist.Normal(np.zeros(1), 1.0)}, False),
        (bayesreg.Laplace(1.0), {"n_features": gaussian_sampler.FAST_PATH_MAX_FEATURES + 1}, False),
    ],
)
def test_applies_only_where_the_model_is_gaussian_with_a_density(prior, kwargs, expected):
    kwargs = {"likelihood": Normal(), "n_features": 3, **kwargs}
    assert gaussian_sampler.applies(prior, **kwargs) is expected


def test_tree_has_the_layout_of_the_numpyro_path():
    # Both samplers return the same groups, variables, dims and sample_stats names,
    # so predict(return_std), sample_y, plots and persistence read either.
    X, y = _data(n=40, p=3)
    data = RegressionData.from_arrays(X, y)
    prior = bayesreg.Laplace(0.5)
    coef = bayesreg.Lasso(alpha=0.01).fit(X, y).coef_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # short chains on purpose
        trees = {
            name: bayesreg.inference.sample_linear_posterior(
                data,
                prior,
                coef_init=coef,
                feature_names=["a", "b", "c"],
                num_warmup=100,
                num_samples=50,
                random_state=0,
                sampler=name,
            )
            for name in ("auto", "numpyro-model")
        }
    fast, slow = trees["auto"], trees["numpyro-model"]
    assert fast["posterior"].attrs["sampler"] == GAUSSIAN_SAMPLER
    assert slow["posterior"].attrs["sampler"] == NUMPYRO_MODEL_SAMPLER
    assert set(fast.children) == set(slow.children)
    for group in fast.children:
        a, b = fast[group].to_dataset(), slow[group].to_dataset()
        assert list(a.data_vars) == list(b.data_vars) or set(a.data_vars) == set(b.data_vars)
        for name in a.data_vars:
            assert a[name].dims == b[name].dims, (group, name)
            assert a[name].dtype.kind == b[name].dtype.kind, (group, name)
    assert list(fast["posterior"]["feature"].values) == ["a", "b", "c"]
    for key in ("chain_method", "num_warmup", "likelihood"):
        assert fast["posterior"].attrs[key] == slow["posterior"].attrs[key]
    # The pointwise log likelihood is that of the draws.
    post = fast["posterior"]
    mean = post["intercept"].values[..., None] + post["coef"].values @ X.T
    expected = scipy.stats.norm.logpdf(y, mean, post["sigma"].values[..., None])
    np.testing.assert_allclose(fast["log_likelihood"]["y"].values, expected, rtol=1e-12)
    # tree_depth is derived from the leapfrog steps as arviz derives it.
    stats = fast["sample_stats"]
    np.testing.assert_array_equal(
        stats["tree_depth"].values, np.floor(np.log2(stats["n_steps"].values)).astype(int) + 1
    )


def test_unknown_sampler_is_refused_before_sampling():
    X, y = _data(n=20, p=2)
    with pytest.raises(ValueError, match='sampler must be "auto" or "numpyro-model"'):
        bayesreg.inference.sample_linear_posterior(
            RegressionData.from_arrays(X, y),
            bayesreg.Laplace(1.0),
            coef_init=np.zeros(2),
            feature_names=["a", "b"],
            sampler="fast",
        )


def test_refit_same_shape_or_other_alpha_does_not_recompile():
    # The whole chain is one jitted program; its cache grows by one entry for a new
    # shape and not at all for new data of the same shape or another alpha.
    X, y = _data(n=50, p=4, seed=5)
    sampler = {"num_warmup": 50, "num_samples": 30, "num_chains": 2}
    compiled = gaussian_sampler._run_chain_jit._cache_size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        bayesreg.Lasso(alpha=0.05).sample_posterior(X, y, random_state=0, **sampler)
        after_first = compiled()
        X2, y2 = _data(n=50, p=4, seed=6)
        bayesreg.Lasso(alpha=0.05).sample_posterior(X2, y2, random_state=1, **sampler)
        bayesreg.Lasso(alpha=0.3).sample_posterior(X, y, random_state=2, **sampler)
        assert compiled() == after_first
        bayesreg.Lasso(alpha=0.05).sample_posterior(X[:, :3], y, random_state=0, **sampler)
    assert compiled() == after_first + 1  # a new shape is a new program (not vacuous)


def test_draws_depend_on_the_seed_only():
    X, y = _data(n=50, p=4, seed=5)
    sampler = {"num_warmup": 50, "num_samples": 30, "num_chains": 2}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        first, again, other = (
            bayesreg.Lasso(alpha=0.05).sample_posterior(X, y, random_state=s, **sampler)
            for s in (3, 3, 4)
        )
    np.testing.assert_array_equal(first["posterior"]["coef"], again["posterior"]["coef"])
    assert not np.array_equal(first["posterior"]["coef"], other["posterior"]["coef"])


# -- the fast path against the numpyro model (slow) ---------------------------------------
_DIABETES = load_diabetes(return_X_y=True)


@pytest.mark.slow
@pytest.mark.parametrize(
    "make",
    [
        lambda: bayesreg.Lasso(alpha=0.1),
        lambda: bayesreg.ElasticNet(alpha=0.1, l1_ratio=0.5),
        lambda: bayesreg.LinearRegression(prior=bayesreg.StudentT(3.0, 20.0)),
        lambda: bayesreg.LinearRegression(
            prior=bayesreg.Laplace(50.0),
            noise_prior=dist.HalfNormal(100.0),
            intercept_prior=dist.Normal(150.0, 20.0),
        ),
    ],
    ids=["Lasso", "ElasticNet", "StudentT-prior", "Laplace-halfnormal-noise-normal-intercept"],
)
def test_fast_path_matches_numpyro_model(make, request):
    # Both samplers draw the same posterior: every mean and sd agrees within z* times
    # the combined Monte Carlo standard error sqrt(MCSE_fast^2 + MCSE_model^2).
    X, y = _DIABETES
    estimator = make()
    fast = estimator.sample_posterior(X, y, random_state=0)
    data = RegressionData.from_arrays(X, y)
    names = ["intercept", "coef", "sigma"]
    if isinstance(estimator, bayesreg.LinearRegression):
        from bayesreg.priors.adapters import as_prior

        kwargs = {
            "noise_scaled": False,
            "noise_prior": estimator.noise_prior,
            "intercept_prior": estimator.intercept_prior,
        }
        prior = as_prior(estimator.prior)
    else:
        kwargs = {}
        prior = estimator._prior(data)
    slow = bayesreg.inference.sample_linear_posterior(
        data,
        prior,
        coef_init=estimator.coef_,
        feature_names=[f"x{j}" for j in range(X.shape[1])],
        random_state=1,
        sampler="numpyro-model",
        **kwargs,
    )
    assert fast["posterior"].attrs["sampler"] == GAUSSIAN_SAMPLER
    assert slow["posterior"].attrs["sampler"] == NUMPYRO_MODEL_SAMPLER
    z = []
    for method, stat in (("mean", "mean"), ("sd", "std")):
        se_fast = az.mcse(fast, var_names=names, method=method)
        se_slow = az.mcse(slow, var_names=names, method=method)
        for name in names:
            a = getattr(fast["posterior"][name], stat)(("chain", "draw")).values
            b = getattr(slow["posterior"][name], stat)(("chain", "draw")).values
            se = np.sqrt(se_fast[name].values ** 2 + se_slow[name].values ** 2)
            z.append(np.ravel(np.abs(a - b) / se))
    z = np.concatenate(z)
    z_star = _z_star(z.size)
    ess = az.ess(fast, var_names=names)
    request.node.user_properties.append(
        (
            "summary",
            f"GAUSSIAN SAMPLER vs numpyro model {request.node.callspec.id}: max |z| "
            f"{z.max():.2f} (z* {z_star:.2f}, {z.size} compared), min bulk ESS fast "
            f"{min(float(ess[v].min()) for v in names):.0f}",
        )
    )
    assert z.max() <= z_star, z


@pytest.mark.slow
def test_simulation_based_calibration_of_the_fast_path(request):
    # SBC (Talts et al., 2018) of the fast path itself, which tests/_sbc.py (it runs the
    # numpyro models) does not reach: w ~ Laplace(0, 0.5) as written, b ~ N(0, 2^2),
    # sigma ~ HalfNormal(1), y ~ N(b + Xw, sigma^2), n = 20, p = 3, a fresh design per
    # replication.  The rank of the truth among 99 thinned draws is uniform on 0..99
    # when the draws are exact: chi-square over 10 bins, each statistic at 0.001 / k.
    rng = np.random.default_rng(2024)
    n, p, reps, kept = 20, 3, 200, 99
    ranks = {name: [] for name in ("w0", "w1", "w2", "b", "sigma")}
    for rep in range(reps):
        X = rng.standard_normal((n, p))
        w = rng.laplace(0.0, 0.5, p)
        b = 2.0 * rng.standard_normal()
        sigma = abs(rng.standard_normal())
        y = b + X @ w + sigma * rng.standard_normal(n)
        # The sampler alone (LinearRegression would first fit the MAP, which takes longer
        # than the sampling): centred at least squares, which the draws must not feel.
        data = RegressionData.from_arrays(X, y)
        centre = np.linalg.lstsq(*data.centered(), rcond=None)[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)
            tree = bayesreg.inference.sample_linear_posterior(
                data,
                bayesreg.Laplace(0.5),
                coef_init=centre,
                feature_names=["w0", "w1", "w2"],
                noise_scaled=False,
                noise_prior=dist.HalfNormal(1.0),
                intercept_prior=dist.Normal(0.0, 2.0),
                num_warmup=300,
                num_samples=990,
                num_chains=1,
                random_state=rep,
            )
        assert tree["posterior"].attrs["sampler"] == GAUSSIAN_SAMPLER
        post = tree["posterior"]
        coef = post["coef"].values[0, ::10]
        truth = {"w0": w[0], "w1": w[1], "w2": w[2], "b": b, "sigma": sigma}
        draws = {
            "w0": coef[:, 0],
            "w1": coef[:, 1],
            "w2": coef[:, 2],
            "b": post["intercept"].values[0, ::10],
            "sigma": post["sigma"].values[0, ::10],
        }
        for name in ranks:
            ranks[name].append(int(np.sum(draws[name][:kept] < truth[name])))
    threshold = FAMILY_WISE_ERROR / len(ranks)
    p_values = {}
    for name, values in ranks.items():
        counts = np.bincount(np.asarray(values) // 10, minlength=10)
        p_values[name] = scipy.stats.chisquare(counts).pvalue
    request.node.user_properties.append(
        (
            "summary",
            f"SBC fast Gaussian path (Laplace prior, normal intercept, half-normal noise): "
            f"{reps} reps, min chi-square p {min(p_values.values()):.3f} "
            f"(threshold {threshold:.1e})",
        )
    )
    assert min(p_values.values()) > threshold, p_values
