"""Tests of bayesreg.posterior_path: the posterior summarised along a grid of alphas."""

from __future__ import annotations

import math
import warnings

import arviz as az
import numpy as np
import numpyro.distributions as dist
import pytest
from scipy import stats

import bayesreg
from bayesreg import estimators
from bayesreg.inference import SamplingWarning
from bayesreg.posterior_path import PosteriorPath, posterior_path

N_CHAINS, N_DRAWS = 2, 201  # 0.9 * 402 draws is not an integer: one HDI convention fits all
SAMPLER = {"num_samples": N_DRAWS, "num_warmup": 200, "num_chains": N_CHAINS}


def _problem(n: int = 60):
    """Three features, one of them without effect, and moderate noise."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 3))
    y = 1.0 + X @ np.array([1.5, 0.0, -0.7]) + 0.8 * rng.standard_normal(n)
    return X, y


def _shortest_interval(values: np.ndarray, prob: float) -> tuple[float, float]:
    """The narrowest interval of sorted draws holding at least ``ceil(prob n)`` of them."""
    x = np.sort(values)
    k = math.ceil(prob * x.size)
    widths = x[k - 1 :] - x[: x.size - k + 1]
    i = int(np.argmin(widths))
    return float(x[i]), float(x[i + k - 1])


# -- the bookkeeping, with a stand-in sampler whose draws are known ------------------------

OFFSETS = stats.norm.ppf((np.arange(N_CHAINS * N_DRAWS) + 0.5) / (N_CHAINS * N_DRAWS))


@pytest.fixture
def fake_sampler(monkeypatch):
    """Replace NUTS by draws ``coef_init + c_j z_i`` on a normal quantile grid ``z``.

    The draws of feature ``j`` at any alpha are the MAP plus ``c_j = j + 1`` times the
    same symmetric grid, so their median is the MAP and their HDI is known.  Each call
    records its prior and warns once, as the real sampler may.
    """
    calls = []

    def sample(data, prior, *, coef_init, feature_names, num_samples, num_chains, **kwargs):
        calls.append({"prior": prior, "data": data, **kwargs})
        p = len(feature_names)
        draws = coef_init + np.outer(OFFSETS, np.arange(1, p + 1))
        draws = draws.reshape(num_chains, num_samples, p)
        diverging = np.zeros((num_chains, num_samples), dtype=bool)
        diverging[0, : len(calls)] = True  # call k has k divergences
        warnings.warn("stand-in diagnostics", SamplingWarning, stacklevel=2)
        return az.from_dict(
            {
                "posterior": {"coef": draws, "sigma": np.ones((num_chains, num_samples))},
                "sample_stats": {"diverging": diverging},
            },
            coords={"feature": list(feature_names)},
            dims={"coef": ["feature"]},
        )

    monkeypatch.setattr(estimators, "sample_linear_posterior", sample)
    return calls


def test_summaries_follow_the_draws_and_the_grid_is_sorted(fake_sampler):
    X, y = _problem()
    alphas = [0.03, 0.3, 0.1]
    with pytest.warns(SamplingWarning) as caught:
        bands = posterior_path(
            bayesreg.Lasso(), X, y, alphas, hdi_prob=0.9, random_state=5, **SAMPLER
        )

    # Decreasing, as a regularization path; one warning per alpha, naming it.
    np.testing.assert_array_equal(bands.alphas, [0.3, 0.1, 0.03])
    assert [str(w.message) for w in caught] == [
        f"at alpha={a:.4g}: stand-in diagnostics" for a in bands.alphas
    ]
    # The same integer seed at every alpha, each alpha with its own prior.
    assert [call["random_state"] for call in fake_sampler] == [5, 5, 5]
    assert [call["prior"].to_alpha(X.shape[0]) for call in fake_sampler] == pytest.approx(
        bands.alphas, rel=1e-12
    )

    assert bands.feature_names == ["x0", "x1", "x2"]
    for k, alpha in enumerate(bands.alphas):
        coef = bayesreg.Lasso(alpha=alpha).fit(X, y).coef_
        np.testing.assert_array_equal(bands.coef_map[:, k], coef)
        draws = coef + np.outer(OFFSETS, [1.0, 2.0, 3.0])
        np.testing.assert_allclose(bands.median[:, k], np.median(draws, axis=0), atol=1e-12)
        np.testing.assert_allclose(bands.mean[:, k], draws.mean(axis=0), atol=1e-12)
        hdi = np.array([_shortest_interval(draws[:, j], 0.9) for j in range(3)])
        np.testing.assert_allclose(bands.lower[:, k], hdi[:, 0], atol=1e-12)
        np.testing.assert_allclose(bands.upper[:, k], hdi[:, 1], atol=1e-12)
        # Symmetric grid: median = MAP, and the HDI is MAP +- c_j z_0.95 to grid resolution.
        np.testing.assert_allclose(bands.median[:, k], coef, atol=1e-12)
        z = stats.norm.ppf(0.95) * np.array([1.0, 2.0, 3.0])
        np.testing.assert_allclose(bands.upper[:, k] - coef, z, rtol=0.02)
    np.testing.assert_array_equal(bands.divergences, [1, 2, 3])
    assert bands.min_ess.shape == bands.max_rhat.shape == (3,)


def test_feature_names_come_from_dataframe_columns(fake_sampler):
    pd = pytest.importorskip("pandas")
    X, y = _problem()
    frame = pd.DataFrame(X, columns=["age", "bmi", "bp"])
    with pytest.warns(SamplingWarning):
        bands = posterior_path(bayesreg.Lasso(), frame, y, [0.1], **SAMPLER)
    assert bands.feature_names == ["age", "bmi", "bp"]
    np.testing.assert_array_equal(
        bands.coef_map[:, 0], bayesreg.Lasso(alpha=0.1).fit(frame, y).coef_
    )


def test_sample_weight_and_noise_prior_reach_every_fit_and_sampler(fake_sampler):
    X, y = _problem()
    weight = np.linspace(0.5, 2.0, X.shape[0])
    noise_prior = dist.HalfNormal(3.0)
    with pytest.warns(SamplingWarning):
        bands = posterior_path(
            bayesreg.Lasso(),
            X,
            y,
            [0.1, 0.01],
            sample_weight=weight,
            noise_prior=noise_prior,
            **SAMPLER,
        )
    assert [call["noise_prior"] for call in fake_sampler] == [noise_prior, noise_prior]
    for k, call in enumerate(fake_sampler):
        # Lasso rescales the weights to sum to n, as scikit-learn does.
        np.testing.assert_allclose(call["data"].sample_weight, weight * X.shape[0] / weight.sum())
        expected = bayesreg.Lasso(alpha=bands.alphas[k]).fit(X, y, sample_weight=weight).coef_
        np.testing.assert_array_equal(bands.coef_map[:, k], expected)
        assert np.any(expected != bayesreg.Lasso(alpha=bands.alphas[k]).fit(X, y).coef_)


def test_a_fitted_estimator_is_left_alone(fake_sampler):
    X, y = _problem()
    est = bayesreg.ElasticNet(alpha=5.0, l1_ratio=0.3).fit(X, y)
    before = est.coef_.copy()
    with pytest.warns(SamplingWarning):
        bands = posterior_path(est, X, y, [0.2], **SAMPLER)
    assert est.alpha == 5.0
    np.testing.assert_array_equal(est.coef_, before)
    assert not hasattr(est, "posterior_")
    expected = bayesreg.ElasticNet(alpha=0.2, l1_ratio=0.3).fit(X, y).coef_
    np.testing.assert_array_equal(bands.coef_map[:, 0], expected)


# -- bad input fails before anything is sampled --------------------------------------------


@pytest.fixture
def no_sampling(monkeypatch):
    def sample(*args, **kwargs):
        raise AssertionError("the sampler ran before the input was checked")

    monkeypatch.setattr(estimators, "sample_linear_posterior", sample)


@pytest.mark.parametrize(
    ("estimator", "alphas", "kwargs", "error", "message"),
    [
        (bayesreg.Lasso(), [[0.1, 0.2]], {}, ValueError, "1-D array"),
        (bayesreg.Lasso(), [], {}, ValueError, "non-empty"),
        (bayesreg.Lasso(), [0.1, 0.0], {}, ValueError, "finite and > 0"),
        (bayesreg.Lasso(), [0.1, -1.0], {}, ValueError, "finite and > 0"),
        (bayesreg.Lasso(), [0.1, np.nan], {}, ValueError, "finite and > 0"),
        (bayesreg.Lasso(), [np.inf], {}, ValueError, "finite and > 0"),
        (bayesreg.Lasso(), ["a"], {}, ValueError, "array of numbers"),
        (bayesreg.Lasso(), [0.1, 0.1], {}, ValueError, "repeated"),
        (bayesreg.Lasso(), [0.1], {"hdi_prob": 1.0}, ValueError, "hdi_prob"),
        (bayesreg.Lasso(), [0.1], {"hdi_prob": True}, ValueError, "hdi_prob"),
        (bayesreg.Lasso(), [0.1], {"num_samples": 0}, ValueError, "num_samples"),
        (bayesreg.Lasso(), [0.1], {"num_chains": 1.5}, ValueError, "num_chains"),
        (bayesreg.Lasso(), [0.1], {"random_state": "x"}, ValueError, "random_state|seed"),
        (bayesreg.Lasso(), [0.1], {"noise_prior": 1.0}, TypeError, "noise_prior"),
        (bayesreg.Lasso(tol=-1.0), [0.1], {}, ValueError, "tol"),
        (bayesreg.LassoCV(), [0.1], {}, TypeError, "Ridge, Lasso or ElasticNet"),
        (bayesreg.RidgeCV(), [0.1], {}, TypeError, "Ridge, Lasso or ElasticNet"),
        (bayesreg.BayesianRidge(), [0.1], {}, TypeError, "Ridge, Lasso or ElasticNet"),
        ("Lasso", [0.1], {}, TypeError, "Ridge, Lasso or ElasticNet"),
    ],
)
def test_bad_input_raises_before_sampling(no_sampling, estimator, alphas, kwargs, error, message):
    X, y = _problem()
    with pytest.raises(error, match=message):
        posterior_path(estimator, X, y, alphas, **kwargs)


def test_bad_data_raises_before_sampling(no_sampling):
    X, y = _problem()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        posterior_path(bayesreg.Lasso(), X, y, [0.1, 0.01])
    with pytest.raises(ValueError, match="y must have shape"):
        posterior_path(bayesreg.Lasso(), _problem()[0], np.c_[y, y], [0.1])


def test_posterior_path_checks_its_own_shapes():
    good = {
        "alphas": [1.0, 0.1],
        "feature_names": ["a", "b", "c"],
        **{name: np.zeros((3, 2)) for name in ("coef_map", "mean", "median", "lower", "upper")},
        "hdi_prob": 0.9,
        "divergences": [0, 0],
        "min_ess": [100.0, 100.0],
        "max_rhat": [1.0, 1.0],
        "num_samples": 10,
        "num_chains": 2,
    }
    assert PosteriorPath(**good).n_features == 3
    with pytest.raises(ValueError, match=r"lower must have shape \(n_features, n_alphas\)"):
        PosteriorPath(**{**good, "lower": np.zeros((2, 3))})
    with pytest.raises(ValueError, match="min_ess must have shape"):
        PosteriorPath(**{**good, "min_ess": [1.0]})


# -- the real sampler ----------------------------------------------------------------------


@pytest.mark.slow
def test_real_posterior_path_reproduces_lone_fits_and_lone_posteriors():
    """Two alphas by NUTS; each is the estimator's own fit and own posterior.

    MAP: ``coef_map[:, k]`` is ``Lasso(alpha_k).fit(X, y).coef_`` (the same computation).
    Posterior: with an integer seed, ``sample_posterior(X, y, random_state=seed)`` at
    ``alpha_k`` alone gives the same draws, so the summaries equal ``np.median`` and
    :func:`arviz.hdi` of those draws (and a shortest interval computed here).
    """
    X, y = _problem()
    alphas = np.array([0.3, 0.03])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bands = posterior_path(bayesreg.Lasso(), X, y, alphas, random_state=3, **SAMPLER)
    for warning in caught:  # few draws: R-hat may exceed 1.01, and then says at which alpha
        assert issubclass(warning.category, SamplingWarning)
        assert str(warning.message).startswith("at alpha=")

    np.testing.assert_array_equal(bands.alphas, alphas)
    assert bands.coef_map[1, 0] == 0.0  # the null feature is exactly zero at alpha = 0.3 ...
    for k, alpha in enumerate(alphas):
        lone = bayesreg.Lasso(alpha=alpha)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)
            tree = lone.sample_posterior(X, y, random_state=3, **SAMPLER)
        np.testing.assert_array_equal(bands.coef_map[:, k], lone.coef_)
        np.testing.assert_array_equal(
            bands.coef_map[:, k], bayesreg.Lasso(alpha=alpha).fit(X, y).coef_
        )
        draws = tree["posterior"]["coef"].transpose("chain", "draw", "feature").to_numpy()
        flat = draws.reshape(-1, 3)
        np.testing.assert_allclose(bands.median[:, k], np.median(flat, axis=0), rtol=1e-12)
        np.testing.assert_allclose(bands.mean[:, k], flat.mean(axis=0), rtol=1e-12)
        hdi = az.hdi(tree, prob=0.9, var_names=["coef"])["coef"].transpose("feature", "ci_bound")
        np.testing.assert_allclose(bands.lower[:, k], hdi.sel(ci_bound="lower"), rtol=1e-12)
        np.testing.assert_allclose(bands.upper[:, k], hdi.sel(ci_bound="upper"), rtol=1e-12)
        shortest = np.array([_shortest_interval(flat[:, j], 0.9) for j in range(3)])
        np.testing.assert_allclose(bands.lower[:, k], shortest[:, 0], rtol=1e-12)
        np.testing.assert_allclose(bands.upper[:, k], shortest[:, 1], rtol=1e-12)
        assert bands.divergences[k] == int(tree["sample_stats"]["diverging"].sum())
        ess = float(az.ess(tree, var_names=["coef"])["coef"].min())
        assert bands.min_ess[k] == pytest.approx(ess, rel=1e-12)
    # ... and its posterior still has width there: no atom at zero.
    assert bands.lower[1, 0] < 0.0 < bands.upper[1, 0]
