"""Simulation-based calibration of bayesreg's posteriors (Talts et al., 2018).

For each prior with the Gaussian likelihood, in the form ``LinearRegression(prior)``
samples (the prior as written) and, for the Gaussian, Laplace and elastic-net priors,
in the noise-scaled form of ``Ridge/Lasso/ElasticNet.sample_posterior``, and for the
Gaussian and Laplace priors with the logistic likelihood: parameters from the prior,
data from the model, NUTS on the package's numpyro model, and the rank of every true
value among the posterior draws must be uniform (chi-square and KS, Bonferroni at a
family-wise 0.001 per case).  :mod:`_sbc` writes out the design and the math.

A negative control samples a deliberately wrong posterior (the prior scale halved)
and must be rejected by the same statistics at the same number of replications, so
the uniformity tests cannot pass vacuously.  The fast tests check the machinery on a
conjugate normal model whose posterior is exact, and check the simulation against the
densities the docstrings write (SBC alone cannot tell a sampler and a simulation that
agree on the same wrong model).
"""

from __future__ import annotations

import jax
import numpy as np
import pytest
from _sbc import (
    FAMILY_WISE_LEVEL,
    N_RANKED,
    LinearCase,
    LogisticCase,
    n_bins,
    ranks,
    run_sbc,
    uniformity_pvalues,
)
from scipy import stats

import bayesreg

#: Replications per case: 20 expected counts in each of 20 rank bins.
N_REPLICATIONS = 400
#: The horseshoe's NUTS trees are ~10x larger: the minimum of 200 replications.
N_REPLICATIONS_HORSESHOE = 200
#: Replications whose chain may mix poorly (bulk ESS < L or split R-hat > 1.05).  Those
#: seen are near-noiseless data (true sigma < 0.05, 1 in 25 prior draws), above all
#: with the noise-scaled Laplace and elastic-net priors, whose scale shrinks as
#: sigma^2: 5 of 400 there, at most 2 of 400 in the other cases.
MAX_POORLY_MIXED = 0.02
#: The non-centred horseshoe mixes poorly where the data pin the weights (small sigma,
#: large signals: trees at the maximum depth, tau slow): 13 of 200 measured.
MAX_POORLY_MIXED_HORSESHOE = 0.10

CASES = [
    LinearCase("gaussian/as-written", bayesreg.Gaussian(1.0), noise_scaled=False),
    LinearCase("laplace/as-written", bayesreg.Laplace(1.0), noise_scaled=False),
    LinearCase("elastic-net/as-written", bayesreg.ElasticNetPrior(1.0, 0.5), noise_scaled=False),
    # The docs recommend target_accept_prob 0.95-0.99 for the horseshoe; the top of it.
    LinearCase(
        "horseshoe/as-written",
        bayesreg.Horseshoe(0.1),
        noise_scaled=False,
        target_accept_prob=0.99,
    ),
    # Park & Casella's hyperparameters; the prior conditions on sigma in either form.
    LinearCase("bayesian-lasso", bayesreg.BayesianLasso(1.0, 1.78), noise_scaled=False),
    LinearCase("gaussian/noise-scaled", bayesreg.Gaussian(1.0), noise_scaled=True),
    LinearCase("laplace/noise-scaled", bayesreg.Laplace(1.0), noise_scaled=True),
    LinearCase("elastic-net/noise-scaled", bayesreg.ElasticNetPrior(1.0, 0.5), noise_scaled=True),
    LogisticCase("logistic/gaussian", bayesreg.Gaussian(1.0)),
    LogisticCase("logistic/laplace", bayesreg.Laplace(1.0)),
]


def _replications(case) -> int:
    return N_REPLICATIONS_HORSESHOE if "horseshoe" in case.name else N_REPLICATIONS


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_posterior_ranks_are_uniform(case, request):
    result = run_sbc(case, _replications(case), seed=20180416)
    request.node.user_properties.append(("summary", result.summary()))
    print(result.summary(), result.table(), sep="\n")
    # A correct sampler fails this with probability <= 0.001.
    assert result.uniform, f"{result.summary()}\n{result.table()}"
    # Diagnostics: the L kept draws of a replication are about independent and its
    # chain has settled, except in a few (see SBCResult.poorly_mixed).
    divergent = result.divergences.sum() / result.num_steps.size
    if "horseshoe" in case.name:
        assert result.poorly_mixed.mean() <= MAX_POORLY_MIXED_HORSESHOE, result.summary()
        # Its funnel: a few divergent transitions remain even at 0.99 (0.4% measured).
        assert divergent < 0.01, result.summary()
    else:
        assert result.poorly_mixed.mean() <= MAX_POORLY_MIXED, result.summary()
        assert result.divergences.sum() == 0, result.summary()


@pytest.mark.slow
def test_sbc_rejects_a_wrong_posterior(request):
    """The same statistics reject a posterior whose prior scale is half the truth's."""
    case = LinearCase(
        "negative-control: gaussian/as-written sampled with scale 0.5, data from scale 1",
        bayesreg.Gaussian(1.0),
        noise_scaled=False,
        sampled_prior=bayesreg.Gaussian(0.5),
    )
    result = run_sbc(case, N_REPLICATIONS, seed=20180416)
    request.node.user_properties.append(("summary", result.summary()))
    print(result.summary(), result.table(), sep="\n")
    assert not result.uniform, result.table()


# -- the machinery, on a posterior known exactly ----------------------------------------------
def _conjugate_ranks(n_replications, posterior_sd_factor, seed):
    """Ranks for ``theta ~ N(0, 1)``, ``y | theta ~ N(theta, 1)``: posterior ``N(y/2, 1/2)``.

    Draws come from ``N(y / 2, factor^2 / 2)``: exact when ``factor = 1``.
    """
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal((n_replications, 1))
    y = theta + rng.standard_normal((n_replications, 1))
    draws = y[:, None] / 2 + posterior_sd_factor * np.sqrt(0.5) * rng.standard_normal(
        (n_replications, N_RANKED, 1)
    )
    return ranks(theta, draws, rng)


def test_ranks_count_the_draws_below_and_break_ties_at_random():
    truth = np.array([[0.5, 2.0]])
    draws = np.array([[[0.1, 2.0], [0.7, 2.0], [0.2, 3.0], [0.9, 1.0]]])
    seen = set()
    for seed in range(50):
        rank, fraction = ranks(truth, draws, np.random.default_rng(seed))
        assert rank[0, 0] == 2  # 0.1 and 0.2 lie below 0.5
        seen.add(int(rank[0, 1]))  # 1 below 2.0 and 2 ties: rank 1, 2 or 3
        assert np.all((rank <= fraction * 5) & (fraction * 5 < rank + 1))
    assert seen == {1, 2, 3}


def test_bins_are_equally_likely_with_twenty_expected_counts():
    assert [n_bins(r) for r in (200, 400, 500, 1000)] == [10, 20, 25, 50]
    for r in (200, 400, 500, 1000):
        assert (N_RANKED + 1) % n_bins(r) == 0 and r / n_bins(r) >= 20


@pytest.mark.parametrize("sd_factor", [0.7, 1.5], ids=["30% too narrow", "50% too wide"])
def test_uniformity_tests_pass_the_exact_posterior_and_reject_a_wrong_one(sd_factor):
    """At the replications of the SBC tests, exact draws pass and wrong ones fail.

    Power (measured over 50 seeds at 400 replications): 1 for 30% too narrow or 50% too
    wide; about 3 in 4 for 20% too narrow, 0.86 for 30% too wide.
    """
    threshold = FAMILY_WISE_LEVEL / 2
    exact = uniformity_pvalues(*_conjugate_ranks(N_REPLICATIONS, 1.0, seed=1))
    wrong = uniformity_pvalues(*_conjugate_ranks(N_REPLICATIONS, sd_factor, seed=1))
    assert min(p.min() for p in exact) >= threshold, exact
    assert min(p.min() for p in wrong) < threshold, wrong


def test_exact_posterior_fails_at_the_stated_rate():
    """Under exact draws each p-value is uniform: the rejection rate at 5% is about 5%."""
    pvalues = np.array(
        [
            [p[0] for p in uniformity_pvalues(*_conjugate_ranks(N_REPLICATIONS, 1.0, seed))]
            for seed in range(200)
        ]
    )
    # Binomial(200, 0.05): mean 10, sd 3.1; 4 sd either side.
    rejected = np.sum(pvalues < 0.05, axis=0)
    assert np.all(np.abs(rejected - 10) <= 4 * np.sqrt(200 * 0.05 * 0.95)), rejected
    # The KS test of the fractional ranks is exact: its p-values are U(0, 1).
    assert stats.kstest(pvalues[:, 1], "uniform").pvalue > 1e-3


# -- the simulated truth follows the documented model --------------------------------------
def _elastic_net_cdf(x, l1, l2):
    """CDF of the density ``exp(-l1 |x| - l2 x^2) / Z``, in closed form.

    On ``x >= 0`` the density is a normal ``N(-mu, 1 / (2 l2))``, ``mu = l1 / (2 l2)``,
    restricted to ``[0, inf)``, so ``P(X <= a | X >= 0) = 1 - Phi-bar(s (a + mu)) /
    Phi-bar(s mu)`` with ``s = sqrt(2 l2)`` and ``Phi-bar`` the normal survival
    function; by symmetry ``F(x) = 1/2 + sign(x) P(X <= |x| | X >= 0) / 2``.
    """
    s, mu = np.sqrt(2.0 * l2), l1 / (2.0 * l2)
    inner = 1.0 - np.exp(stats.norm.logsf(s * (np.abs(x) + mu)) - stats.norm.logsf(s * mu))
    return 0.5 + 0.5 * np.sign(x) * inner


def _probability_integral_transforms(case, X, y, truth) -> dict[str, np.ndarray]:
    """``F(v)`` of simulated values ``v`` under the distribution the docs give them.

    Each array is ``U(0, 1)`` exactly when the simulation follows the documented model;
    only the first weight is used, so that the values are independent across draws.
    """
    w = truth["coef"][:, 0]
    prior = case.prior
    given_noise = isinstance(case, LinearCase) and case.given_noise
    noise = truth["sigma"] if given_noise else 1.0
    pit = {}
    if isinstance(prior, bayesreg.Gaussian):  # N(0, (s sigma)^2) noise-scaled
        pit["coef"] = stats.norm.cdf(w / (prior.scale * noise))
    elif isinstance(prior, bayesreg.Laplace):  # Laplace(0, s sigma^2) noise-scaled
        pit["coef"] = stats.laplace.cdf(w / (prior.scale * noise**2))
    elif isinstance(prior, bayesreg.ElasticNetPrior):  # rates / sigma^2 noise-scaled
        pit["coef"] = _elastic_net_cdf(w, prior.l1 / noise**2, prior.l2 / noise**2)
    elif isinstance(prior, bayesreg.Horseshoe):
        scale = truth["lambda"][:, 0] * truth["tau"]
        pit["coef"] = stats.norm.cdf(w / scale)
        pit["tau"] = stats.halfcauchy.cdf(truth["tau"] / (prior.scale_global * noise))
        pit["lambda"] = stats.halfcauchy.cdf(truth["lambda"][:, 0])
    elif isinstance(prior, bayesreg.BayesianLasso):  # Laplace(0, sigma / lambda)
        pit["coef"] = stats.laplace.cdf(w * np.sqrt(truth["lambda_sq"]) / truth["sigma"])
        pit["lambda_sq"] = stats.gamma.cdf(truth["lambda_sq"], prior.r, scale=1 / prior.delta)
    if isinstance(case, LinearCase):
        pit["sigma"] = stats.halfnorm.cdf(truth["sigma"])
        pit["intercept"] = stats.norm.cdf(truth["intercept"] / 2.0)
        mean = truth["intercept"][:, None] + np.einsum("rnp,rp->rn", X, truth["coef"])
        pit["noise"] = stats.norm.cdf((y - mean)[:, 0] / truth["sigma"])
    else:
        # Given the linear predictor, y is Bernoulli: E[y - sigmoid(eta)] = 0, checked
        # through the randomised PIT u = F(y - 1) + V p(y) of a discrete variable.
        prob = 1.0 / (1.0 + np.exp(-np.einsum("rnp,rp->rn", X, truth["coef"])[:, 0]))
        v = np.random.default_rng(0).uniform(size=prob.shape)
        pit["y"] = np.where(y[:, 0] == 1, (1 - prob) + v * prob, v * (1 - prob))
    return pit


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_simulation_draws_the_documented_model(case):
    """The truth SBC ranks comes from the prior and likelihood the docstrings write.

    SBC checks the sampler against the simulation; this checks the simulation (and the
    prior's ``sample_coef``) against the documented densities, so that the two cannot
    agree on the same wrong model.
    """
    keys = jax.random.split(jax.random.key(5), 4000)
    X, y, truth = jax.jit(jax.vmap(case.simulate))(keys)
    X, y = np.asarray(X), np.asarray(y)
    truth = {name: np.asarray(value) for name, value in truth.items()}
    pit = _probability_integral_transforms(case, X, y, truth)
    pvalues = {name: stats.kstest(u, "uniform").pvalue for name, u in pit.items()}
    assert "coef" in pvalues
    assert min(pvalues.values()) >= FAMILY_WISE_LEVEL / len(pvalues), pvalues
