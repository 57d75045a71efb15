"""Prior objects: densities, penalties, proximal operators and the alpha mappings."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.optimize
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from bayesreg import ElasticNetPrior, Flat, Gaussian, Laplace
from bayesreg.priors import ElasticNetDistribution

positive = st.floats(1e-3, 1e3)
alphas = st.floats(1e-6, 1e4)
n_samples = st.integers(1, 100_000)
l1_ratios = st.floats(0.0, 1.0)

PRIORS = [Gaussian(0.7), Laplace(1.3), ElasticNetPrior(0.8, 2.5), ElasticNetPrior(3.0, 0.01)]


# -- the alpha mappings (DESIGN.md's two forms) ------------------------------------------


@given(alpha=alphas, sigma=positive)
def test_gaussian_alpha_round_trip(alpha, sigma):
    # Ridge: alpha = sigma^2 / tau^2, and back.
    prior = Gaussian.from_alpha(alpha, noise_scale=sigma)
    assert prior.scale == pytest.approx(sigma / math.sqrt(alpha), rel=1e-12)
    assert prior.to_alpha(noise_scale=sigma) == pytest.approx(alpha, rel=1e-12)


@given(alpha=alphas, n=n_samples, sigma=positive)
def test_laplace_alpha_round_trip(alpha, n, sigma):
    # Lasso: alpha = sigma^2 / (n s), and back.
    prior = Laplace.from_alpha(alpha, n, noise_scale=sigma)
    assert prior.scale == pytest.approx(sigma**2 / (n * alpha), rel=1e-12)
    assert prior.to_alpha(n, noise_scale=sigma) == pytest.approx(alpha, rel=1e-12)


@given(alpha=alphas, rho=l1_ratios, n=n_samples, sigma=positive)
def test_elastic_net_alpha_round_trip(alpha, rho, n, sigma):
    # ElasticNet: alpha = sigma^2 (l1 + 2 l2) / n, l1_ratio = l1 / (l1 + 2 l2), and back.
    prior = ElasticNetPrior.from_alpha(alpha, rho, n, noise_scale=sigma)
    back_alpha, back_rho = prior.to_alpha(n, noise_scale=sigma)
    assert back_alpha == pytest.approx(alpha, rel=1e-12)
    assert back_rho == pytest.approx(rho, rel=1e-12, abs=1e-15)


@given(alpha=alphas, rho=l1_ratios, n=n_samples, sigma=positive)
def test_fixed_noise_form_is_the_noise_scaled_form_at_that_noise(alpha, rho, n, sigma):
    # from_alpha(alpha, n, sigma) == from_alpha(alpha, n).scaled_by_noise(sigma): the two
    # forms of DESIGN.md agree, parameter by parameter.
    pairs = [
        (Gaussian.from_alpha(alpha, sigma), Gaussian.from_alpha(alpha).scaled_by_noise(sigma)),
        (Laplace.from_alpha(alpha, n, sigma), Laplace.from_alpha(alpha, n).scaled_by_noise(sigma)),
        (
            ElasticNetPrior.from_alpha(alpha, rho, n, sigma),
            ElasticNetPrior.from_alpha(alpha, rho, n).scaled_by_noise(sigma),
        ),
    ]
    for fixed, scaled in pairs:
        assert type(fixed) is type(scaled)
        np.testing.assert_allclose(
            jax.tree_util.tree_leaves(fixed),
            jax.tree_util.tree_leaves(scaled),
            rtol=1e-12,
            atol=1e-300,  # subnormal l1_ratio draws
        )


@given(alpha=alphas, n=n_samples)
def test_elastic_net_prior_at_the_ends_is_laplace_or_gaussian(alpha, n):
    # l1_ratio = 1 is the Laplace prior of Lasso; l1_ratio = 0 the Gaussian prior with
    # penalty (n alpha / 2) ||w||^2.
    lasso_end = ElasticNetPrior.from_alpha(alpha, 1.0, n)
    assert lasso_end.l1 == pytest.approx(Laplace.from_alpha(alpha, n).l1, rel=1e-12)
    assert lasso_end.l2 == 0.0
    ridge_end = ElasticNetPrior.from_alpha(alpha, 0.0, n)
    assert ridge_end.l1 == 0.0
    assert ridge_end.l2 == pytest.approx(n * alpha / 2, rel=1e-12)


def test_alpha_zero_is_the_flat_prior():
    # alpha = 0 is no penalty: the improper flat prior.
    assert Gaussian.from_alpha(0.0) == Flat()
    assert Laplace.from_alpha(0.0, 10) == Flat()
    assert ElasticNetPrior.from_alpha(0.0, 0.5, 10) == Flat()


# -- penalties are negative log densities ------------------------------------------------


@pytest.mark.parametrize("prior", PRIORS, ids=repr)
def test_penalty_is_negative_log_density_up_to_a_constant(prior):
    # P(w) - P(0) = -(log p(w) - log p(0)) for every w.
    w = np.linspace(-4.0, 4.0, 41)
    log_p = prior.distribution().log_prob(jnp.asarray(w))
    penalty = np.array([float(prior.penalty(jnp.asarray([x]))) for x in w])
    np.testing.assert_allclose(penalty - penalty[20], -(log_p - log_p[20]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("l1", "l2"), [(1.0, 1.0), (0.0, 2.0), (5.0, 0.0), (40.0, 0.05), (0.01, 30.0), (1e3, 1.0)]
)
def test_elastic_net_density_integrates_to_one(l1, l2):
    # int exp(log_prob) = 1, by adaptive quadrature on each half-line.
    d = ElasticNetDistribution(l1, l2)

    def density(x):
        return float(jnp.exp(d.log_prob(x)))

    mass = 2 * scipy.integrate.quad(density, 0, np.inf, epsabs=1e-13, epsrel=1e-11)[0]
    assert mass == pytest.approx(1.0, rel=1e-8)


@pytest.mark.parametrize(("l1", "l2"), [(1.0, 1.0), (4.0, 0.25), (0.3, 5.0), (1.0, 0.0)])
def test_elastic_net_sampler_matches_its_density(l1, l2):
    # Kolmogorov-Smirnov: 20000 draws of |w| against the CDF of exp(-l1 u - l2 u^2) on
    # u >= 0, integrated independently (numpy trapezoid on a fine grid); and the sign is
    # symmetric.
    draws = np.asarray(ElasticNetDistribution(l1, l2).sample(jax.random.key(0), (20_000,)))
    grid = np.linspace(0.0, 60.0 / max(l1, math.sqrt(l2)), 400_001)
    density = np.exp(-l1 * grid - l2 * grid**2)
    cdf = scipy.integrate.cumulative_trapezoid(density, grid, initial=0.0)
    cdf /= cdf[-1]
    result = scipy.stats.kstest(np.abs(draws), lambda x: np.interp(x, grid, cdf))
    assert result.pvalue > 1e-4
    assert scipy.stats.binomtest(int(np.sum(draws > 0)), draws.size).pvalue > 1e-4


# -- proximal operators -----------------------------------------------------------------


@settings(max_examples=60)
@given(
    v=st.floats(-50, 50),
    step=st.floats(1e-3, 1e2),
    prior_index=st.integers(0, len(PRIORS) - 1),
    positive_only=st.booleans(),
)
def test_prox_is_the_minimiser(v, step, prior_index, positive_only):
    # prox(v, t) = argmin_u (u - v)^2 / (2t) + P(u), checked by a bounded scalar search.
    prior = PRIORS[prior_index]

    def objective(u):
        return (u - v) ** 2 / (2 * step) + float(prior.penalty(jnp.asarray([u])))

    lower = 0.0 if positive_only else -60.0
    found = scipy.optimize.minimize_scalar(
        objective, bounds=(lower, 60.0), method="bounded", options={"xatol": 1e-12}
    )
    ours = float(prior.prox(v, step, positive=positive_only))
    assert objective(ours) <= objective(found.x) + 1e-9
    assert ours == pytest.approx(found.x, abs=1e-5)


def test_laplace_prox_gives_exact_zeros():
    # Soft thresholding: |v| <= step / s maps to exactly 0.0.
    prior = Laplace(0.5)  # threshold step / s = 2 step
    out = prior.prox(jnp.array([-1.9, -1.0, 0.0, 1.0, 1.99, 2.5]), 1.0)
    np.testing.assert_array_equal(np.asarray(out)[:5], 0.0)
    assert float(out[5]) == pytest.approx(0.5)


# -- objects: immutable, compared by value, pytrees ---------------------------------------


def test_priors_are_values():
    # Equal parameters give equal priors; reprs show the parameters; they are frozen.
    assert Laplace(2.0) == Laplace(2.0)
    assert Laplace(2.0) != Laplace(3.0)
    assert Laplace(2.0) != Gaussian(2.0)
    assert repr(ElasticNetPrior(1.0, 2.0)) == "ElasticNetPrior(l1=1.0, l2=2.0)"
    assert hash(Gaussian(1.0)) == hash(Gaussian(1.0))
    with pytest.raises(AttributeError):
        Laplace(1.0).scale = 2.0  # type: ignore[misc]


def test_priors_are_pytrees_so_jit_reuses_compilation():
    # A jitted function of a prior compiles once per prior type, not per parameter value.
    traces = []

    @jax.jit
    def penalty_at_one(prior):
        traces.append(1)
        return prior.penalty(jnp.ones(3))

    assert float(penalty_at_one(Laplace(1.0))) == pytest.approx(3.0)
    assert float(penalty_at_one(Laplace(0.5))) == pytest.approx(6.0)
    assert len(traces) == 1
