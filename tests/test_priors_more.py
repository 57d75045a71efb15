"""Bridge, heavy-tailed, shrinkage and hierarchical priors: densities, samplers, prox."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
import scipy.integrate
import scipy.optimize
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from numpyro.infer import Predictive

from bayesreg.priors import (
    BayesianLasso,
    Bridge,
    Cauchy,
    Flat,
    Gaussian,
    GeneralizedNormal,
    HierarchicalElasticNet,
    HierarchicalLasso,
    HierarchicalRidge,
    Horseshoe,
    Laplace,
    NoFiniteModeError,
    RegularizedHorseshoe,
    StudentT,
)
from bayesreg.priors.bridge import bridge_threshold

POWERS = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 3.0, 4.0]
KS_LEVEL = 1e-4  # a correct sampler fails one KS test in 10^4


def _ks_one_sample(draws, cdf):
    return scipy.stats.kstest(np.asarray(draws), cdf).pvalue


# -- the generalized Gaussian distribution ------------------------------------------------


@pytest.mark.parametrize("power", POWERS)
@pytest.mark.parametrize("scale", [0.4, 2.5])
def test_generalized_normal_is_scipy_gennorm(power, scale):
    # log_prob, cdf and normalisation against scipy.stats.gennorm(power, scale=scale).
    d = GeneralizedNormal(power, scale)
    x = np.linspace(-6.0, 6.0, 49) * scale
    reference = scipy.stats.gennorm(power, scale=scale)
    np.testing.assert_allclose(d.log_prob(jnp.asarray(x)), reference.logpdf(x), rtol=1e-12)
    np.testing.assert_allclose(d.cdf(jnp.asarray(x)), reference.cdf(x), rtol=1e-10, atol=1e-14)
    mass = 2 * scipy.integrate.quad(lambda u: float(jnp.exp(d.log_prob(u))), 0, np.inf)[0]
    assert mass == pytest.approx(1.0, rel=1e-8)
    assert float(d.variance) == pytest.approx(reference.var(), rel=1e-10)


@pytest.mark.parametrize("power", POWERS)
def test_generalized_normal_sampler_matches_gennorm(power):
    # Kolmogorov-Smirnov, 20000 draws of the exact Gamma-based sampler vs scipy's CDF.
    draws = GeneralizedNormal(power, 1.7).sample(jax.random.key(1), (20_000,))
    reference = scipy.stats.gennorm(power, scale=1.7)
    assert _ks_one_sample(draws, reference.cdf) > KS_LEVEL
    # The second moment, within 4 Monte Carlo standard errors (more power on the scale).
    squares = np.asarray(draws) ** 2
    assert abs(squares.mean() - reference.var()) <= 4 * squares.std() / np.sqrt(squares.size)


def test_generalized_normal_batches():
    # Broadcast parameters give a batch of independent distributions.
    d = GeneralizedNormal(jnp.array([0.5, 2.0]), 1.0)
    assert d.batch_shape == (2,)
    assert d.sample(jax.random.key(0), (5,)).shape == (5, 2)


# -- the bridge prior -------------------------------------------------------------------


def _bridge_objective(u, v, step, prior):
    return (u - v) ** 2 / (2 * step) + prior.lam * abs(u) ** prior.power


def _brute_force_prox(v, step, prior, lower=None):
    # Global minimiser of the 1-D problem: it lies between 0 and v, so scan that
    # interval on a dense grid and polish the best point with a bounded scalar search.
    lo, hi = (min(0.0, v), max(0.0, v)) if lower is None else (max(lower, min(0.0, v)), max(0.0, v))
    if hi - lo == 0:
        return lo
    grid = np.linspace(lo, hi, 20_001)
    values = (grid - v) ** 2 / (2 * step) + prior.lam * np.abs(grid) ** prior.power
    i = int(np.argmin(values))
    a, b = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    found = scipy.optimize.minimize_scalar(
        lambda u: _bridge_objective(u, v, step, prior),
        bounds=(a, b),
        method="bounded",
        options={"xatol": 1e-14 * (1 + abs(v))},
    )
    candidates = [found.x, grid[i], 0.0 if lo <= 0.0 <= hi else lo]
    return min(candidates, key=lambda u: _bridge_objective(u, v, step, prior))


@settings(max_examples=400, deadline=None)
@given(
    power=st.sampled_from(POWERS),
    scale=st.floats(0.2, 5.0),
    v=st.floats(-30, 30),
    step=st.floats(1e-2, 1e2),
    positive=st.booleans(),
)
def test_bridge_prox_is_the_global_minimiser(power, scale, v, step, positive):
    # prox(v, t) = argmin_u (u - v)^2 / 2t + lam |u|^p, checked against a dense grid +
    # bounded search, for convex (p >= 1) and non-convex (p < 1) penalties alike.
    prior = Bridge(power, scale)
    ours = float(prior.prox(v, step, positive=positive))
    brute = _brute_force_prox(v, step, prior, lower=0.0 if positive else None)
    f_ours = _bridge_objective(ours, v, step, prior)
    f_brute = _bridge_objective(brute, v, step, prior)
    assert f_ours <= f_brute + 1e-12 * (1 + abs(f_brute))
    # Away from the tie at |v| = T (p < 1), the minimiser is unique.
    f_zero = _bridge_objective(0.0, v, step, prior)
    f_other = _bridge_objective(brute if brute != 0 else ours, v, step, prior)
    if power >= 1 or abs(f_zero - f_other) > 1e-8 * (1 + f_zero):
        assert ours == pytest.approx(brute, abs=1e-6 * (1 + abs(v)))


@pytest.mark.parametrize("power", [0.3, 0.5, 0.8, 1.5, 3.0, 4.0])
def test_bridge_prox_solves_the_stationarity_equation_to_float64_precision(power):
    # Nonzero prox points satisfy u - v + t lam p |u|^(p-1) sign(u) = 0 to rounding.
    prior = Bridge(power, 0.8)
    rng = np.random.default_rng(0)
    v = rng.uniform(-20, 20, 2000)
    step = rng.uniform(1e-3, 5.0, 2000)
    u = np.asarray(prior.prox(jnp.asarray(v), jnp.asarray(step)))
    nonzero = u != 0
    assert nonzero.sum() > 500
    u, v, k = u[nonzero], v[nonzero], step[nonzero] * prior.lam
    residual = u - v + k * power * np.abs(u) ** (power - 1) * np.sign(u)
    assert np.max(np.abs(residual) / (np.abs(u) + np.abs(v))) < 1e-13
    assert np.all(np.sign(u) == np.sign(v))


def test_bridge_half_thresholding_matches_xu_et_al():
    # p = 1/2: Xu et al. (2012) minimise (u - v)^2 + mu |u|^(1/2) (mu = 2 k here) by the
    # half-thresholding function: 0 for |v| <= (54^(1/3) / 4) mu^(2/3), and otherwise
    # (2/3) v (1 + cos(2 pi / 3 - (2/3) arccos((mu / 8) (|v| / 3)^(-3/2)))).
    prior = Bridge(0.5, 1.0)
    step = 0.7
    mu = 2 * step * prior.lam
    threshold = 54 ** (1 / 3) / 4 * mu ** (2 / 3)
    v = np.concatenate([np.linspace(-8, 8, 801), [threshold * 0.999999, threshold * 1.000001]])
    with np.errstate(divide="ignore"):
        phi = np.arccos(np.clip(mu / 8 * (np.abs(v) / 3) ** -1.5, -1, 1))
    closed = np.where(
        np.abs(v) > threshold, 2 / 3 * v * (1 + np.cos(2 * np.pi / 3 - 2 / 3 * phi)), 0.0
    )
    np.testing.assert_allclose(prior.prox(jnp.asarray(v), step), closed, rtol=1e-12, atol=1e-14)
    ours_threshold, jump = bridge_threshold(0.5, step * prior.lam)
    assert ours_threshold == pytest.approx(threshold, rel=1e-14)
    # The prox jumps from 0 to beta at the threshold.
    assert float(prior.prox(threshold * (1 + 1e-9), step)) == pytest.approx(jump, rel=1e-4)


@pytest.mark.parametrize("power", [0.3, 0.8])
def test_bridge_threshold_is_where_zero_stops_being_the_minimiser(power):
    # At |v| = T the objective's value at 0 equals its value at beta, where it is
    # stationary: the defining conditions of the threshold.
    k = 1.3
    threshold, beta = bridge_threshold(power, k)

    def g(x):
        return (x - threshold) ** 2 / 2 + k * x**power

    assert g(beta) == pytest.approx(g(0.0), rel=1e-13)
    assert beta - threshold + k * power * beta ** (power - 1) == pytest.approx(0.0, abs=1e-13)
    with pytest.raises(ValueError, match="0 < power < 1"):
        bridge_threshold(1.5, k)


@pytest.mark.parametrize("scale", [0.3, 1.0, 4.0])
def test_bridge_one_is_laplace_and_two_is_gaussian(scale):
    # Bridge(1, s) = Laplace(s); Bridge(2, s) = N(0, s^2 / 2) = Gaussian(s / sqrt 2):
    # same log density, penalty and prox.
    w = jnp.linspace(-5.0, 5.0, 41)
    step = jnp.linspace(0.01, 3.0, 41)
    pairs = [(Bridge(1.0, scale), Laplace(scale)), (Bridge(2.0, scale), Gaussian(scale / 2**0.5))]
    for bridge, classic in pairs:
        np.testing.assert_allclose(
            bridge.distribution().log_prob(w), classic.distribution().log_prob(w), rtol=1e-13
        )
        assert float(bridge.penalty(w)) == pytest.approx(float(classic.penalty(w)), rel=1e-13)
        for positive in (False, True):
            np.testing.assert_allclose(
                bridge.prox(w, step, positive=positive),
                classic.prox(w, step, positive=positive),
                rtol=1e-13,
                atol=1e-15,
            )


def test_bridge_convexity_depends_on_power():
    assert not Bridge(0.5).convex
    assert Bridge(1.0).convex and Bridge(1.5).convex
    assert Bridge(0.5).map_solver == "proximal"


@settings(max_examples=50)
@given(
    alpha=st.floats(1e-6, 1e4),
    power=st.floats(0.2, 5.0),
    n=st.integers(1, 100_000),
    sigma=st.floats(1e-2, 1e2),
)
def test_bridge_alpha_round_trip_and_the_two_forms(alpha, power, n, sigma):
    # lam = n alpha / sigma^2, and back; from_alpha at noise sigma equals the unit-noise
    # prior scaled by sigma (DESIGN.md's two forms); power 1 is Laplace.from_alpha.
    prior = Bridge.from_alpha(alpha, power, n, noise_scale=sigma)
    assert prior.lam == pytest.approx(n * alpha / sigma**2, rel=1e-10)
    assert prior.to_alpha(n, noise_scale=sigma) == pytest.approx(alpha, rel=1e-10)
    scaled = Bridge.from_alpha(alpha, power, n).scaled_by_noise(sigma)
    assert scaled.power == prior.power
    assert scaled.scale == pytest.approx(prior.scale, rel=1e-10)
    lasso = Bridge.from_alpha(alpha, 1.0, n, noise_scale=sigma)
    assert lasso.scale == pytest.approx(Laplace.from_alpha(alpha, n, sigma).scale, rel=1e-12)


def test_bridge_alpha_zero_is_flat():
    assert Bridge.from_alpha(0.0, 0.5, 10) == Flat()


@pytest.mark.parametrize("power", [0.5, 1.5, 3.0])
def test_bridge_noise_scaled_penalty_is_divided_by_sigma_squared(power):
    # p(w | sigma) propto exp(-P(w) / sigma^2).
    prior, sigma = Bridge(power, 1.3), 2.7
    w = jnp.array([0.3, -1.2, 2.0])
    assert float(prior.scaled_by_noise(sigma).penalty(w)) == pytest.approx(
        float(prior.penalty(w)) / sigma**2, rel=1e-12
    )


def test_bridge_prox_is_jittable_and_power_is_static():
    # power selects the algorithm (static); scale is a traced leaf.
    traces = []

    @jax.jit
    def prox(prior, v):
        traces.append(1)
        return prior.prox(v, 0.5)

    v = jnp.linspace(-3, 3, 7)
    for scale in (0.5, 1.0, 2.0):
        np.testing.assert_allclose(
            prox(Bridge(1.5, scale), v), Bridge(1.5, scale).prox(v, 0.5), rtol=1e-14
        )
    assert len(traces) == 1
    prox(Bridge(0.5, 1.0), v)
    assert len(traces) == 2


# -- heavy-tailed priors ----------------------------------------------------------------

SMOOTH_PRIORS = [StudentT(3.0, 0.7), StudentT(0.5, 2.0), Cauchy(1.4), Bridge(0.5, 1.1), Bridge(3.0)]


@pytest.mark.parametrize("prior", SMOOTH_PRIORS, ids=repr)
def test_penalty_is_negative_log_density_up_to_a_constant(prior):
    # P(w) - P(w0) = -(log p(w) - log p(w0)), for w across the real line.
    w = np.linspace(-6.0, 6.0, 41)
    log_p = np.asarray(prior.distribution().log_prob(jnp.asarray(w)))
    penalty = np.array([float(prior.penalty(jnp.asarray([x]))) for x in w])
    np.testing.assert_allclose(penalty - penalty[7], -(log_p - log_p[7]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("prior", "reference"), [
    (StudentT(3.0, 0.7), scipy.stats.t(3.0, scale=0.7)),
    (StudentT(0.5, 2.0), scipy.stats.t(0.5, scale=2.0)),
    (Cauchy(1.4), scipy.stats.cauchy(scale=1.4)),
])  # fmt: skip
def test_heavy_tailed_density_and_sampler(prior, reference):
    # The density is scipy's and integrates to 1; 20000 draws pass a KS test.
    d = prior.distribution()
    x = np.linspace(-20, 20, 81)
    np.testing.assert_allclose(d.log_prob(jnp.asarray(x)), reference.logpdf(x), rtol=1e-12)
    mass = 2 * scipy.integrate.quad(lambda u: float(jnp.exp(d.log_prob(u))), 0, np.inf)[0]
    assert mass == pytest.approx(1.0, rel=1e-7)
    assert _ks_one_sample(d.sample(jax.random.key(2), (20_000,)), reference.cdf) > KS_LEVEL


def test_cauchy_is_student_t_with_one_degree_of_freedom():
    w = jnp.linspace(-5.0, 5.0, 11)
    assert float(Cauchy(1.3).penalty(w)) == pytest.approx(float(StudentT(1.0, 1.3).penalty(w)))
    np.testing.assert_allclose(
        Cauchy(1.3).distribution().log_prob(w), StudentT(1.0, 1.3).distribution().log_prob(w)
    )


def test_heavy_tailed_noise_scaling_multiplies_the_scale():
    # A location-scale family scaled by the noise: w / sigma has the unit-noise prior.
    assert StudentT(4.0, 0.5).scaled_by_noise(3.0) == StudentT(4.0, 1.5)
    assert Cauchy(0.5).scaled_by_noise(3.0) == Cauchy(1.5)
    assert StudentT(4.0).map_solver == "smooth" and not StudentT(4.0).convex


def test_student_t_penalty_curvature_bound_in_the_docstring():
    # min_w P''(w) = -(nu + 1) / (8 nu s^2), attained at w^2 = 3 nu s^2.
    prior = StudentT(2.5, 0.9)
    w = jnp.linspace(0.0, 10.0, 100_001)
    curvature = jax.vmap(jax.grad(jax.grad(lambda x: prior.penalty(x[None]))))(w)
    nu, s = 2.5, 0.9
    assert float(curvature.min()) == pytest.approx(-(nu + 1) / (8 * nu * s**2), rel=1e-8)
    assert float(w[jnp.argmin(curvature)]) == pytest.approx(math.sqrt(3 * nu) * s, abs=2e-4)


# -- shrinkage and hierarchical priors: sampling only --------------------------------------

NO_MAP_PRIORS = [
    Horseshoe(0.1),
    RegularizedHorseshoe(0.1),
    BayesianLasso(1.0, 1.78),
    HierarchicalRidge(),
    HierarchicalLasso(50),
    HierarchicalElasticNet(50, 0.5),
]


@pytest.mark.parametrize("prior", NO_MAP_PRIORS, ids=repr)
def test_no_map_priors_refuse_a_map(prior):
    # No finite mode (or none bayesreg computes): check_map and penalty raise, naming
    # the prior and what to do instead.
    assert prior.map_solver is None
    with pytest.raises(NoFiniteModeError, match=prior.name) as info:
        prior.check_map()
    assert "sample" in str(info.value)
    with pytest.raises(NoFiniteModeError, match=prior.name):
        prior.penalty(jnp.zeros(3))


@pytest.mark.parametrize("prior", [Horseshoe(), RegularizedHorseshoe()], ids=repr)
def test_horseshoe_has_no_density_of_one_weight(prior):
    with pytest.raises(NotImplementedError, match="no finite posterior mode"):
        prior.distribution()


def test_horseshoe_from_expected_nonzero():
    # Piironen & Vehtari (2017): tau_0 = p0 / (D - p0) sigma / sqrt(n); sigma comes from
    # the noise-scaled form.
    prior = Horseshoe.from_expected_nonzero(3, 20, 100)
    assert prior.scale_global == pytest.approx(3 / (17 * 10))
    assert prior.scaled_by_noise(2.0).scale_global == pytest.approx(2 * 3 / (17 * 10))
    reg = RegularizedHorseshoe.from_expected_nonzero(5, 50, 400, slab_scale=1.5, slab_df=6.0)
    assert (reg.scale_global, reg.slab_scale, reg.slab_df) == (pytest.approx(5 / 900), 1.5, 6.0)
    assert reg.scaled_by_noise(3.0) == RegularizedHorseshoe(reg.scale_global * 3.0, 1.5, 6.0)
    with pytest.raises(ValueError, match="n_nonzero"):
        Horseshoe.from_expected_nonzero(20, 20, 100)


def _prior_predictive(prior, n_features, n_draws, seed, sigma=None):
    def model():
        prior.sample_coef(n_features, sigma)

    return {
        k: np.asarray(v)
        for k, v in Predictive(model, num_samples=n_draws)(jax.random.key(seed)).items()
    }


def _horseshoe_abs_cdf(log_x, tau0):
    # |w| = |z| lambda tau with log lambda and log(tau / tau0) independent with density
    # sech(t) / pi, so t = log(lambda tau / tau0) has the convolution density
    # (2 / pi^2) t / sinh(t).  Then P(|w| <= x) = E_t[2 Phi(x / (tau0 e^t)) - 1].
    t = np.linspace(-40.0, 40.0, 4001)
    with np.errstate(over="ignore"):
        density = np.where(t == 0, 1.0, t / np.sinh(np.where(t == 0, 1.0, t))) * 2 / np.pi**2
    inner = 2 * scipy.special.ndtr(np.exp(log_x[:, None] - np.log(tau0) - t[None, :])) - 1
    return scipy.integrate.trapezoid(inner * density, t, axis=1)


@pytest.mark.parametrize("sigma", [None, 2.5])
def test_horseshoe_prior_predictive_matches_its_marginal(sigma):
    # Non-centred draws coef = coef_raw * lambda * tau vs the CDF of |w| by quadrature
    # over the product of the two half-Cauchy scales (tau0 = scale_global * sigma).
    prior = Horseshoe(0.3)
    draws = _prior_predictive(prior, 3, 20_000, seed=3, sigma=sigma)
    assert draws["coef"].shape == (20_000, 3) and draws["tau"].shape == (20_000,)
    assert draws["lambda"].shape == draws["coef_raw"].shape == (20_000, 3)
    tau0 = 0.3 * (1.0 if sigma is None else sigma)
    grid = np.linspace(-40.0, 40.0, 1601)
    cdf = _horseshoe_abs_cdf(grid, tau0)
    assert cdf[0] == pytest.approx(0.0, abs=1e-6) and cdf[-1] == pytest.approx(1.0, abs=1e-6)

    def cdf_of_log_abs(y):
        return np.interp(y, grid, cdf)

    assert _ks_one_sample(np.log(np.abs(draws["coef"][:, 0])), cdf_of_log_abs) > KS_LEVEL
    assert _ks_one_sample(draws["tau"], scipy.stats.halfcauchy(scale=tau0).cdf) > KS_LEVEL


@pytest.mark.parametrize("sigma", [None, 0.5])
def test_regularized_horseshoe_matches_the_centred_construction(sigma):
    # Non-centred sample_coef vs an independent numpy/scipy simulation of the centred
    # model: c^2 ~ InvGamma(nu/2, nu s^2/2), lambda~ = sqrt(c^2 l^2 / (c^2 + tau^2 l^2)),
    # w ~ N(0, tau^2 lambda~^2); two-sample KS on log|w|.
    prior = RegularizedHorseshoe(0.2, slab_scale=1.5, slab_df=3.0)
    sites = _prior_predictive(prior, 2, 20_000, seed=4, sigma=sigma)
    draws = sites["coef"][:, 0]
    rng = np.random.default_rng(5)
    n = 20_000
    tau0 = 0.2 * (1.0 if sigma is None else sigma)
    tau = np.abs(scipy.stats.cauchy.rvs(scale=tau0, size=n, random_state=rng))
    lam = np.abs(scipy.stats.cauchy.rvs(size=n, random_state=rng))
    c2 = scipy.stats.invgamma.rvs(1.5, scale=1.5 * 1.5**2, size=n, random_state=rng)
    lam_tilde_sq = c2 * lam**2 / (c2 + tau**2 * lam**2)
    reference = rng.normal(0.0, tau * np.sqrt(lam_tilde_sq))
    result = scipy.stats.ks_2samp(np.log(np.abs(draws)), np.log(np.abs(reference)))
    assert result.pvalue > KS_LEVEL
    assert _ks_one_sample(sites["c2"], scipy.stats.invgamma(1.5, scale=1.5 * 1.5**2).cdf) > KS_LEVEL
    # The slab caps each weight's scale: tau lambda~ <= c, so |w| <= |z| c.
    bound = np.abs(sites["coef_raw"]) * np.sqrt(sites["c2"])[:, None]
    assert np.all(np.abs(sites["coef"]) <= bound * (1 + 1e-12))


def test_bayesian_lasso_prior_predictive():
    # w | sigma, lambda ~ Laplace(0, sigma / lambda), lambda^2 ~ Gamma(r, delta), so
    # P(|w| > x) = E[exp(-lambda x / sigma)], by quadrature over lambda^2.
    prior, sigma = BayesianLasso(r=1.5, delta=0.8), 2.0
    draws = _prior_predictive(prior, 2, 20_000, seed=6, sigma=sigma)
    assert draws["lambda_sq"].shape == (20_000,)
    gamma = scipy.stats.gamma(1.5, scale=1 / 0.8)

    # Integrate over u = log lambda^2 on a fine grid (the integrand is smooth in u).
    u = np.linspace(-40.0, 6.0, 20_001)
    weight = gamma.pdf(np.exp(u)) * np.exp(u)
    grid = np.concatenate([[0.0], np.geomspace(1e-4, 1e4, 600)])
    survival = np.exp(-np.exp(u / 2)[None, :] * grid[:, None] / sigma) * weight[None, :]
    table = 1 - scipy.integrate.trapezoid(survival, u, axis=1)
    assert table[0] == pytest.approx(0.0, abs=1e-10)  # the grid holds all the mass
    p = _ks_one_sample(np.abs(draws["coef"][:, 0]), lambda x: np.interp(x, grid, table))
    assert p > KS_LEVEL
    assert _ks_one_sample(draws["lambda_sq"], gamma.cdf) > KS_LEVEL
    # Without sigma the fixed-noise form uses sigma = 1.
    unit = _prior_predictive(prior, 1, 20_000, seed=7)["coef"][:, 0]
    assert scipy.stats.ks_2samp(np.abs(unit) * sigma, np.abs(draws["coef"][:, 1])).pvalue > KS_LEVEL


def test_bayesian_lasso_has_no_separate_noise_scaled_form():
    with pytest.raises(NotImplementedError, match="sample_coef"):
        BayesianLasso().scaled_by_noise(2.0)


def test_hierarchical_ridge_marginal_is_student_t():
    # w | sigma, alpha ~ N(0, sigma^2 / alpha) with alpha ~ Gamma(a, b) is a Student-t
    # with 2a degrees of freedom and scale sigma sqrt(b / a).
    a, b, sigma = 2.5, 1.5, 0.7
    prior = HierarchicalRidge(dist.Gamma(a, b))
    draws = _prior_predictive(prior, 2, 20_000, seed=8, sigma=sigma)
    reference = scipy.stats.t(2 * a, scale=sigma * math.sqrt(b / a))
    assert _ks_one_sample(draws["coef"][:, 0], reference.cdf) > KS_LEVEL
    assert draws["alpha"].shape == (20_000,)


def test_hierarchical_lasso_marginal_is_lomax():
    # w | sigma, alpha ~ Laplace(0, sigma^2 / (n alpha)), alpha ~ Gamma(a, b):
    # P(|w| > x) = E[exp(-n alpha x / sigma^2)] = (b / (b + n x / sigma^2))^a.
    a, b, n, sigma = 1.5, 2.0, 30, 1.3
    prior = HierarchicalLasso(n, dist.Gamma(a, b))
    draws = np.abs(_prior_predictive(prior, 2, 20_000, seed=9, sigma=sigma)["coef"][:, 0])
    assert _ks_one_sample(draws, lambda x: 1 - (b / (b + n * x / sigma**2)) ** a) > KS_LEVEL


def test_hierarchical_elastic_net_ends():
    # Given alpha, l1_ratio = 1 is the Lasso prior and 0 the Gaussian with l2 = n alpha/2.
    alpha, n, sigma = 0.3, 40, 1.7
    lasso_end = HierarchicalElasticNet(n, 1.0).conditional(alpha, sigma)
    assert float(lasso_end.l1) == pytest.approx(
        float(HierarchicalLasso(n).conditional(alpha, sigma).l1)
    )
    assert float(lasso_end.l2) == 0.0
    ridge_end = HierarchicalElasticNet(n, 0.0).conditional(alpha, sigma)
    assert float(ridge_end.l2) == pytest.approx(n * alpha / (2 * sigma**2))
    draws = _prior_predictive(HierarchicalElasticNet(n, 0.4), 3, 100, seed=0, sigma=sigma)
    assert draws["coef"].shape == (100, 3) and np.all(np.isfinite(draws["coef"]))


def test_hierarchical_priors_compare_by_value():
    assert HierarchicalRidge() == HierarchicalRidge(dist.Gamma(1.0, 1.0))
    assert HierarchicalRidge() != HierarchicalRidge(dist.Gamma(2.0, 1.0))
    assert HierarchicalRidge() != HierarchicalRidge(dist.Exponential(1.0))
    assert hash(HierarchicalLasso(10)) == hash(HierarchicalLasso(10))
    assert repr(HierarchicalLasso(10)) == (
        "HierarchicalLasso(n_samples=10, alpha_prior=Gamma(concentration=1.0, rate=1.0))"
    )


# -- construction-time validation -----------------------------------------------------------

bad_numbers = st.one_of(
    st.floats(max_value=0.0),
    st.sampled_from([math.nan, math.inf, -math.inf, True, "1.0", None, [1.0]]),
)

CONSTRUCTORS = {
    "Bridge.power": (lambda x: Bridge(x), "power"),
    "Bridge.scale": (lambda x: Bridge(1.5, x), "scale"),
    "StudentT.df": (lambda x: StudentT(x), "df"),
    "StudentT.scale": (lambda x: StudentT(3.0, x), "scale"),
    "Cauchy.scale": (lambda x: Cauchy(x), "scale"),
    "Horseshoe.scale_global": (lambda x: Horseshoe(x), "scale_global"),
    "RegularizedHorseshoe.slab_scale": (lambda x: RegularizedHorseshoe(1.0, x), "slab_scale"),
    "RegularizedHorseshoe.slab_df": (lambda x: RegularizedHorseshoe(1.0, 1.0, x), "slab_df"),
    "BayesianLasso.r": (lambda x: BayesianLasso(x), "r"),
    "BayesianLasso.delta": (lambda x: BayesianLasso(1.0, x), "delta"),
    "HierarchicalLasso.n_samples": (lambda x: HierarchicalLasso(x), "n_samples"),
    "Bridge.from_alpha": (lambda x: Bridge.from_alpha(1.0, x, 10), "power"),
}


@settings(max_examples=150)
@given(which=st.sampled_from(sorted(CONSTRUCTORS)), value=bad_numbers)
def test_bad_parameters_raise_naming_the_parameter(which, value):
    make, name = CONSTRUCTORS[which]
    with pytest.raises((ValueError, TypeError), match=name):
        make(value)


@pytest.mark.parametrize(
    ("alpha_prior", "message"),
    [
        (dist.Normal(0.0, 1.0), "positive support"),
        (dist.ImproperUniform(dist.constraints.positive, (), ()), "proper"),
        (dist.Gamma(jnp.ones(2), 1.0), "scalar"),
        (2.0, "numpyro distribution"),
    ],
)
def test_bad_alpha_priors_raise(alpha_prior, message):
    with pytest.raises((ValueError, TypeError), match=message):
        HierarchicalRidge(alpha_prior)


def test_bad_l1_ratio_raises():
    with pytest.raises(ValueError, match="l1_ratio"):
        HierarchicalElasticNet(10, 1.5)
    with pytest.raises(ValueError, match="l1_ratio"):
        HierarchicalElasticNet(10, -0.1)


# -- pytrees: a compiled function is reused when only parameters change ------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda x: StudentT(3.0 + x, 1.0 + x),
        lambda x: Cauchy(1.0 + x),
        lambda x: Bridge(0.5, 1.0 + x),
        lambda x: Horseshoe(1.0 + x),
        lambda x: RegularizedHorseshoe(1.0 + x, 2.0 + x, 3.0 + x),
        lambda x: BayesianLasso(1.0 + x, 2.0 + x),
        lambda x: HierarchicalRidge(dist.Gamma(1.0 + x, 2.0 + x)),
        lambda x: HierarchicalLasso(10 + int(10 * x), dist.LogNormal(x, 1.0 + x)),
        lambda x: HierarchicalElasticNet(10, 0.5 + x / 4, dist.Gamma(1.0 + x, 1.0)),
    ],
)
def test_priors_are_pytrees_so_jit_reuses_compilation(make):
    # jit over a prior-predictive draw: one trace for two different parameter values,
    # and the draws follow the parameters.
    traces = []

    @jax.jit
    def draw(prior, key):
        traces.append(1)
        return numpyro.handlers.seed(lambda: prior.sample_coef(4, 1.5), key)()

    first = draw(make(0.0), jax.random.key(0))
    second = draw(make(1.0), jax.random.key(0))
    assert len(traces) == 1
    assert first.shape == second.shape == (4,)
    assert not np.allclose(first, second)
