"""Persistence: a saved estimator loads back identical, and a damaged file is refused.

Acceptance criterion: for every bayesreg estimator, fitted or not, with or without a
posterior, ``load(save(est))`` has the same class, the same parameters (priors and
numpyro distributions included) and the same fitted attributes, arrays bit for bit with
their dtypes and the posterior DataTree identical, also when loaded by another Python
process; it predicts, scores and samples exactly like the original and can be refit.
A file that is truncated, has a flipped byte or was edited either loads to an estimator
identical to the saved one (the byte was padding) or is refused with a clear
``ValueError``; never a silently different estimator.  The identity checks here are
written from scratch (``assert_same``), not with the module's own encoder.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import doctest
import json
import pickle
import re
import struct
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import h5netcdf
import h5py
import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pandas as pd
import pytest
import sklearn.linear_model
import xarray as xr
from _hostile import answer_or_clear_error
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpyro.distributions import constraints
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import KFold, LeaveOneOut, StratifiedKFold
from sklearn.utils.validation import check_is_fitted

import bayesreg
from bayesreg import persistence
from bayesreg.inference import SamplingWarning
from bayesreg.model import JeffreysNoise
from bayesreg.persistence import ALLOWED_TYPES, load, save
from bayesreg.priors.adapters import DistributionPrior

# -- data -----------------------------------------------------------------------------------
_RNG = np.random.default_rng(20261122)
N, P = 40, 3
X = _RNG.standard_normal((N, P))
X_DF = pd.DataFrame(X, columns=["age", "bmi", "bp"])
Y = X @ np.array([1.0, 0.0, -2.0]) + 0.5 + 0.7 * _RNG.standard_normal(N)
Y_CLASS = np.array(["low", "mid", "high"])[
    np.digitize(X[:, 0] - X[:, 2] + _RNG.standard_normal(N), [-1.0, 1.0])
]
Y_BINARY = (X[:, 0] + _RNG.standard_normal(N) > 0).astype(np.int64)
Y_COUNT = _RNG.poisson(np.exp(0.3 * X[:, 0] + 0.5))

# A tiny posterior: enough draws to test persistence, not to trust the posterior.
TINY = {"num_samples": 50, "num_warmup": 50, "num_chains": 2, "random_state": 0}

# Each case: an estimator (unfitted), the data to fit it with.
FITTED_CASES = {
    "Ridge": (lambda: bayesreg.Ridge(alpha=0.5), X_DF, Y),
    "Ridge-positive-factors": (
        lambda: bayesreg.Ridge(alpha=2.0, positive=True, penalty_factor=[0.0, 1.0, 2.0]),
        X,
        Y,
    ),
    "Lasso": (lambda: bayesreg.Lasso(alpha=0.05), X_DF, Y),
    "ElasticNet-factors": (
        lambda: bayesreg.ElasticNet(
            alpha=0.1, l1_ratio=0.3, penalty_factor=np.array([1.0, 0.0, 2.0])
        ),
        X,
        Y,
    ),
    "RidgeCV": (
        lambda: bayesreg.RidgeCV(alphas=np.array([0.1, 1.0, 10.0]), store_cv_results=True),
        X_DF,
        Y,
    ),
    "LassoCV-KFold": (
        lambda: bayesreg.LassoCV(alphas=12, cv=KFold(3, shuffle=True, random_state=0)),
        X,
        Y,
    ),
    "ElasticNetCV": (
        lambda: bayesreg.ElasticNetCV(alphas=10, cv=3, l1_ratio=[0.2, 1.0]),
        X_DF,
        Y,
    ),
    "BayesianRidge": (lambda: bayesreg.BayesianRidge(compute_score=True), X_DF, Y),
    "LinearRegression-numpyro": (
        lambda: bayesreg.LinearRegression(
            prior=dist.StudentT(3.0, 0.0, 2.0),
            intercept_prior=dist.Normal(0.0, 10.0),
            noise_prior=dist.FoldedDistribution(dist.StudentT(3.0, 0.0, 10.0)),
        ),
        X_DF,
        Y,
    ),
    "LinearRegression-student-t": (
        lambda: bayesreg.LinearRegression(prior=bayesreg.Laplace(1.0), likelihood="student_t"),
        X,
        Y,
    ),
    "LinearRegression-bridge": (
        lambda: bayesreg.LinearRegression(prior=bayesreg.Bridge(0.5, 1.0), noise_scale=0.7),
        X,
        Y,
    ),
    "LogisticRegression-3-classes": (
        lambda: bayesreg.LogisticRegression(C=0.5, class_weight={"low": 2.0, "mid": 1.0}),
        X_DF,
        Y_CLASS,
    ),
    "LogisticRegression-unpenalised": (
        lambda: bayesreg.LogisticRegression(C=np.inf, random_state=np.random.RandomState(3)),
        X,
        Y_BINARY,
    ),
    "PoissonRegressor": (lambda: bayesreg.PoissonRegressor(alpha=0.1), X_DF, Y_COUNT),
    "MLPRegressor-l1": (
        lambda: bayesreg.MLPRegressor(
            (4,), "tanh", penalty="l1", alpha=0.5, bias_scale=3.0, random_state=0
        ),
        X_DF,
        Y,
    ),
}

ESTIMATOR_CLASSES = [
    bayesreg.Ridge,
    bayesreg.Lasso,
    bayesreg.ElasticNet,
    bayesreg.RidgeCV,
    bayesreg.LassoCV,
    bayesreg.ElasticNetCV,
    bayesreg.BayesianRidge,
    bayesreg.LinearRegression,
    bayesreg.LogisticRegression,
    bayesreg.PoissonRegressor,
    bayesreg.MLPRegressor,
]


# -- identity, checked from scratch -----------------------------------------------------------
def fitted_attributes(estimator) -> dict:
    return {k: v for k, v in vars(estimator).items() if k.endswith("_") and not k.startswith("_")}


def assert_same(a, b, where: str = "value") -> None:
    """``a`` and ``b`` are the same value: same types all the way down, same bits."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, np.ndarray):
        assert (a.dtype, a.shape) == (b.dtype, b.shape), f"{where}: {a.dtype}{a.shape}"
        if a.dtype.kind == "O":
            for i, (x, y) in enumerate(zip(a.flat, b.flat, strict=True)):
                assert_same(x, y, f"{where}[{i}]")
        else:
            assert a.tobytes() == b.tobytes(), f"{where}: values differ"
    elif isinstance(a, jax.Array):
        assert_same(np.asarray(a), np.asarray(b), where)
    elif type(a) is float:
        assert struct.pack("<d", a) == struct.pack("<d", b), f"{where}: {a!r} != {b!r}"
    elif isinstance(a, np.generic):
        assert a.tobytes() == b.tobytes(), f"{where}: {a!r} != {b!r}"
    elif isinstance(a, tuple) and hasattr(a, "_fields"):
        for field in a._fields:
            assert_same(getattr(a, field), getattr(b, field), f"{where}.{field}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), f"{where}: lengths {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert len(a) == len(b), f"{where}: keys {list(a)} != {list(b)}"
        for (key, value), (other_key, other_value) in zip(a.items(), b.items(), strict=True):
            assert_same(key, other_key, f"{where} key {key!r}")
            assert_same(value, other_value, f"{where}[{key!r}]")
    elif dataclasses.is_dataclass(a):
        for field in dataclasses.fields(a):
            assert_same(getattr(a, field.name), getattr(b, field.name), f"{where}.{field.name}")
    elif isinstance(a, xr.DataTree):
        assert_same_tree(a, b, where)
    elif isinstance(a, dist.Distribution):
        assert_same_distribution(a, b, where)
    elif isinstance(a, constraints.Constraint):
        assert_same(vars(a), vars(b), where)
    elif isinstance(a, np.random.RandomState):
        assert_same(a.get_state(legacy=False), b.get_state(legacy=False), where)
    elif isinstance(a, KFold | StratifiedKFold | LeaveOneOut):
        assert_same(vars(a), vars(b), where)
    elif isinstance(a, BaseEstimator):
        assert_identical(a, b)
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def assert_same_distribution(a, b, where: str) -> None:
    """Same class, same constructor arguments, same shapes and support."""
    for name in type(a).arg_constraints:
        assert_same(getattr(a, name), getattr(b, name), f"{where}.{name}")
    assert (a.batch_shape, a.event_shape) == (b.batch_shape, b.event_shape), where
    assert_same(a.support, b.support, f"{where}.support")
    if hasattr(a, "base_dist"):
        assert_same(a.base_dist, b.base_dist, f"{where}.base_dist")


def assert_same_tree(a: xr.DataTree, b: xr.DataTree, where: str) -> None:
    """xarray's ``identical`` plus what it does not check: dtypes, bits, attribute types."""
    assert a.identical(b), f"{where}: the DataTrees are not identical"
    assert a.name == b.name
    assert [n.path for n in a.subtree] == [n.path for n in b.subtree], f"{where}: groups"
    for node_a, node_b in zip(a.subtree, b.subtree, strict=True):
        here = f"{where}{node_a.path}"
        assert_same(dict(node_a.attrs), dict(node_b.attrs), f"{here}.attrs")
        ds_a, ds_b = node_a.to_dataset(inherit=False), node_b.to_dataset(inherit=False)
        assert list(ds_a.variables) == list(ds_b.variables), f"{here}: variables"
        assert list(ds_a.coords) == list(ds_b.coords), f"{here}: coordinates"
        for name in ds_a.variables:
            var_a, var_b = ds_a.variables[name], ds_b.variables[name]
            assert var_a.dims == var_b.dims, f"{here}.{name}: dims"
            assert_same(np.asarray(var_a.values), np.asarray(var_b.values), f"{here}.{name}")
            assert_same(dict(var_a.attrs), dict(var_b.attrs), f"{here}.{name}.attrs")


def assert_identical(original, loaded) -> None:
    """The loaded estimator is the saved one: class, parameters and fitted state."""
    assert type(loaded) is type(original)
    assert_same(original.get_params(deep=False), loaded.get_params(deep=False), "params")
    assert_same(fitted_attributes(original), fitted_attributes(loaded), "fitted")
    assert set(vars(original)) == set(vars(loaded))


def roundtrip(estimator, tmp_path: Path, name: str = "model.nc"):
    path = save(estimator, tmp_path / name)
    assert path == tmp_path / name
    return load(path)


# -- fitted estimators, every class -------------------------------------------------------------
@pytest.mark.parametrize("case", list(FITTED_CASES))
def test_fitted_estimator_round_trips_identically(case, tmp_path):
    make, X_fit, y_fit = FITTED_CASES[case]
    estimator = make().fit(X_fit, y_fit)
    loaded = roundtrip(estimator, tmp_path)
    assert_identical(estimator, loaded)
    # Behaviour, bit for bit: predictions, score, and (classifier) probabilities.
    assert_same(estimator.predict(X_fit), loaded.predict(X_fit), "predict")
    assert_same(estimator.score(X_fit, y_fit), loaded.score(X_fit, y_fit), "score")
    if hasattr(estimator, "predict_proba"):
        assert_same(estimator.predict_proba(X_fit), loaded.predict_proba(X_fit), "proba")
    # The loaded estimator refits like a fresh one with the same parameters.
    refit, fresh = loaded.fit(X_fit, y_fit), clone(estimator).fit(X_fit, y_fit)
    for name in ("coef_", "intercept_", "coefs_", "intercepts_"):
        if hasattr(fresh, name):
            assert_same(getattr(fresh, name), getattr(refit, name), f"refit {name}")


def test_every_exported_estimator_class_is_covered():
    """The round-trip cases above fit every estimator class bayesreg exports."""
    exported = {
        getattr(bayesreg, name)
        for name in bayesreg.__all__
        if isinstance(getattr(bayesreg, name), type)
        and issubclass(getattr(bayesreg, name), BaseEstimator)
    }
    fitted = {type(make()) for make, _, _ in FITTED_CASES.values()}
    assert exported == set(ESTIMATOR_CLASSES) == fitted


@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=lambda c: c.__name__)
def test_unfitted_estimator_round_trips_unfitted(cls, tmp_path):
    estimator = cls()
    loaded = roundtrip(estimator, tmp_path)
    assert_identical(estimator, loaded)
    assert fitted_attributes(loaded) == {}
    with pytest.raises(NotFittedError):
        check_is_fitted(loaded)


# -- posteriors ---------------------------------------------------------------------------------
POSTERIOR_CASES = {
    "Ridge": (lambda: bayesreg.Ridge(alpha=1.0), X_DF, Y),
    "Lasso-alpha-prior": (lambda: bayesreg.Lasso(alpha=0.05), X, Y),
    "BayesianRidge": (lambda: bayesreg.BayesianRidge(), X_DF, Y),
    "LinearRegression-horseshoe": (
        lambda: bayesreg.LinearRegression(prior=bayesreg.Horseshoe(1.0)),
        X,
        Y,
    ),
    "LogisticRegression-3-classes": (lambda: bayesreg.LogisticRegression(C=1.0), X_DF, Y_CLASS),
    "PoissonRegressor": (lambda: bayesreg.PoissonRegressor(alpha=0.1), X, Y_COUNT),
    "MLPRegressor": (
        lambda: bayesreg.MLPRegressor((3,), "tanh", alpha=1.0, bias_scale=3.0, random_state=0),
        X,
        Y,
    ),
}


def _sample(case: str):
    make, X_fit, y_fit = POSTERIOR_CASES[case]
    estimator = make()
    kwargs = dict(TINY)
    if case == "BayesianRidge":
        kwargs.pop("num_warmup")
    if case == "Lasso-alpha-prior":
        kwargs["alpha_prior"] = dist.Gamma(2.0, 20.0)
    with warnings.catch_warnings():
        # 50 draws may not converge; convergence is not what these tests are about.
        warnings.simplefilter("ignore", SamplingWarning)
        estimator.sample_posterior(X_fit, y_fit, **kwargs)
    return estimator


class _Sampled(dict):
    """Each case sampled once, when a test first asks for it."""

    def __missing__(self, case: str):
        self[case] = estimator = _sample(case)
        return estimator


@pytest.fixture(scope="module")
def sampled():
    """The sampled estimators, shared by the tests of this module."""
    return _Sampled()


# NUTS compiles for every model: the default run samples the Ridge and the logistic
# regression (which the damage and new-process tests share); the slow run all of them.
_SLOW_POSTERIORS = {
    "Lasso-alpha-prior",
    "LinearRegression-horseshoe",
    "PoissonRegressor",
    "MLPRegressor",
}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, marks=pytest.mark.slow) if case in _SLOW_POSTERIORS else case
        for case in POSTERIOR_CASES
    ],
)
def test_posterior_round_trips_identically(case, sampled, tmp_path, request):
    estimator = sampled[case]
    loaded = roundtrip(estimator, tmp_path)
    assert_identical(estimator, loaded)
    assert isinstance(loaded.posterior_, xr.DataTree)
    _, X_fit, y_fit = POSTERIOR_CASES[case]
    assert_same(estimator.predict(X_fit), loaded.predict(X_fit), "predict")
    assert_same(estimator.score(X_fit, y_fit), loaded.score(X_fit, y_fit), "score")
    if hasattr(estimator, "sample_y"):
        mean, std = estimator.predict(X_fit, return_std=True)
        assert_same((mean, std), loaded.predict(X_fit, return_std=True), "return_std")
        assert_same(
            estimator.sample_y(X_fit, 5, random_state=1),
            loaded.sample_y(X_fit, 5, random_state=1),
            "sample_y",
        )
    post = loaded.posterior_["posterior"]
    draws = post["coef"] if "coef" in post else post["w_out"]
    request.node.user_properties.append(
        (
            "summary",
            f"PERSISTENCE posterior {case}: {draws.size} {draws.name} draws and "
            f"{len(list(loaded.posterior_.subtree))} groups bit-identical after load",
        )
    )


@pytest.mark.slow
def test_posterior_with_alpha_prior_keeps_alpha_draws(sampled, tmp_path):
    """The hierarchical (alpha_prior) posterior has an ``alpha`` variable; it comes back."""
    estimator = sampled["Lasso-alpha-prior"]
    assert "alpha" in estimator.posterior_["posterior"]
    loaded = roundtrip(estimator, tmp_path)
    assert_same(
        estimator.posterior_["posterior"]["alpha"].values,
        loaded.posterior_["posterior"]["alpha"].values,
        "alpha draws",
    )


def test_file_is_plain_netcdf4_readable_by_xarray(sampled, tmp_path):
    """The layout: marker attributes, an ``arrays`` group, the posterior groups, JSON."""
    estimator = sampled["Ridge"]
    path = save(estimator, tmp_path / "ridge.nc")
    with xr.open_datatree(path, engine="h5netcdf") as tree:
        assert tree.attrs["bayesreg_format"] == "bayesreg-estimator"
        assert int(tree.attrs["format_version"]) == 1
        assert tree.attrs["bayesreg_version"] == bayesreg.__version__
        assert len(tree.attrs["sha256"]) == 64
        assert set(tree.children) == {"arrays", "posterior_"}
        assert set(tree["posterior_"].children) == set(estimator.posterior_.children)
        # A reader that knows nothing of bayesreg gets the draws and the coefficients.
        coef = tree["posterior_/posterior"]["coef"]
        assert coef.dims == ("chain", "draw", "feature")
        assert list(coef["feature"].values) == ["age", "bmi", "bp"]
        assert_same(coef.values, estimator.posterior_["posterior"]["coef"].values, "coef")
        assert_same(tree["arrays"]["fitted.coef_"].values, estimator.coef_, "coef_")
        manifest = json.loads(tree.attrs["bayesreg_estimator"])
    assert manifest["estimator"]["type"] == "bayesreg.Ridge"
    assert manifest["estimator"]["params"]["alpha"] == 1.0
    assert manifest["estimator"]["fitted"]["map_"]["type"] == "bayesreg.MAPResult"


# -- parameters: priors, distributions, exact floats ---------------------------------------------
BAYESREG_PRIORS = [
    bayesreg.Flat(),
    bayesreg.Gaussian(2.0),
    bayesreg.Laplace(0.5),
    bayesreg.ElasticNetPrior(1.0, 2.0),
    bayesreg.Laplace(1.0).with_penalty_factor([0.0, 1.0, 2.5]),
    bayesreg.Bridge(0.5, 2.0),
    bayesreg.StudentT(3.0, 1.5),
    bayesreg.Cauchy(2.0),
    bayesreg.Horseshoe(0.5),
    bayesreg.RegularizedHorseshoe(0.5, 2.0, 4.0),
    bayesreg.BayesianLasso(1.0, 2.0),
    bayesreg.HierarchicalRidge(alpha_prior=dist.Gamma(2.0, 1.0)),
    bayesreg.HierarchicalLasso(n_samples=30, alpha_prior=dist.Exponential(1.0)),
    bayesreg.HierarchicalElasticNet(n_samples=30, l1_ratio=0.3),
    DistributionPrior(dist.StudentT(3.0, 0.0, 2.0)),
]


def test_every_exported_prior_is_covered():
    exported = {
        getattr(bayesreg, name)
        for name in bayesreg.__all__
        if isinstance(getattr(bayesreg, name), type)
        and issubclass(getattr(bayesreg, name), bayesreg.Prior)
        and getattr(bayesreg, name) is not bayesreg.Prior
    }
    assert exported <= {type(p) for p in BAYESREG_PRIORS}


@pytest.mark.parametrize("prior", BAYESREG_PRIORS, ids=lambda p: type(p).__name__)
def test_bayesreg_prior_parameter_round_trips(prior, tmp_path):
    estimator = bayesreg.LinearRegression(prior=prior)
    loaded = roundtrip(estimator, tmp_path)
    assert_identical(estimator, loaded)
    if type(prior) is not DistributionPrior:  # which compares by identity
        assert loaded.prior == prior


# Each distribution with its arguments, and values in its support to evaluate it at.
DISTRIBUTIONS = [
    (dist.Normal(0.0, 1.5), [-1.0, 0.3]),
    (dist.Normal(np.zeros(3), 2), [[-1.0], [0.3]]),
    (dist.StudentT(3.0, 0.5, 10.0), [-1.0, 0.3]),
    (dist.Laplace(0, 2.0), [-1.0, 0.3]),
    (dist.Cauchy(1.0, 0.5), [-1.0, 0.3]),
    (dist.HalfNormal(2.0), [0.5, 3.0]),
    (dist.HalfCauchy(1.0), [0.5, 3.0]),
    (dist.Gamma(2.0, 0.5), [0.5, 3.0]),
    (dist.InverseGamma(2.0, 1.0), [0.5, 3.0]),
    (dist.Exponential(3.0), [0.5, 3.0]),
    (dist.Uniform(0.0, 5.0), [0.5, 3.0]),
    (dist.LogNormal(0.0, 1.0), [0.5, 3.0]),
    (dist.Beta(2.0, 3.0), [0.25, 0.5]),
    (dist.Logistic(0.0, 1.0), [-1.0, 0.3]),
    (dist.Gumbel(0.0, 1.0), [-1.0, 0.3]),
    (dist.Chi2(3.0), [0.5, 3.0]),
    (dist.Weibull(1.0, 2.0), [0.5, 3.0]),
    (dist.SoftLaplace(0.0, 1.0), [-1.0, 0.3]),
    (dist.FoldedDistribution(dist.StudentT(3.0, 0.0, 10.0)), [0.5, 3.0]),
    (dist.TruncatedNormal(0.0, 1.0, low=0.0), [0.5, 3.0]),
    (dist.TruncatedNormal(0.0, 1.0, high=1.0), [-1.0, 0.3]),
    (dist.TruncatedNormal(0.0, 1.0, low=-1.0, high=2.0), [-0.5, 0.3]),
    (dist.ImproperUniform(constraints.positive, (), ()), [0.5, 3.0]),
    (dist.ImproperUniform(constraints.real, (), ()), [-1.0, 0.3]),
    (dist.ImproperUniform(constraints.greater_than(1.0), (), ()), [1.5, 3.0]),
    (dist.ImproperUniform(constraints.interval(0.0, 2.0), (2,), ()), [0.5, 1.5]),
    (JeffreysNoise(), [0.5, 3.0]),
    (bayesreg.priors.GeneralizedNormal(1.5, 2.0), [-1.0, 0.3]),
    (bayesreg.priors.ElasticNetDistribution(1.0, 0.5), [-1.0, 0.3]),
    (dist.Normal(0.0, 1.0, validate_args=True), [-1.0, 0.3]),
]


@pytest.mark.parametrize(
    ("distribution", "points"), DISTRIBUTIONS, ids=lambda d: getattr(type(d), "__name__", "x")
)
def test_numpyro_distribution_parameter_round_trips(distribution, points, tmp_path):
    """As LinearRegression's noise prior: same arguments, same log density at points."""
    estimator = bayesreg.LinearRegression(noise_prior=distribution)
    loaded = roundtrip(estimator, tmp_path).noise_prior
    assert_same(distribution, loaded, "noise_prior")
    assert vars(distribution).get("_validate_args") == vars(loaded).get("_validate_args")
    values = np.asarray(points)
    assert_same(
        np.asarray(distribution.log_prob(values)), np.asarray(loaded.log_prob(values)), "log_prob"
    )


def test_all_allowed_distributions_are_tested():
    tested = {type(d) for d, _ in DISTRIBUTIONS}
    allowed = {
        cls
        for cls in ALLOWED_TYPES.values()
        if isinstance(cls, type) and issubclass(cls, dist.Distribution)
    }
    assert allowed == tested


def test_numpyro_priors_of_linear_regression_round_trip(tmp_path):
    estimator = bayesreg.LinearRegression(
        prior=dist.Laplace(0.5, 2.0),
        intercept_prior=dist.StudentT(3.0, 8.0, 10.0),
        noise_prior=dist.FoldedDistribution(dist.StudentT(3.0, 0.0, 10.0)),
        likelihood="student_t",
    ).fit(X, Y)
    loaded = roundtrip(estimator, tmp_path)
    assert_identical(estimator, loaded)
    assert_same(estimator.predict(X), loaded.predict(X), "predict")


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
)
def test_floats_round_trip_exactly(x, y, z):
    """Any double (NaN, infinities, -0.0, subnormals) and numpy scalars, bit for bit."""
    # Parameters are validated at fit, so an unfitted estimator holds anything.
    estimator = bayesreg.Ridge(alpha=x, tol=np.float64(y), penalty_factor=(np.float32(z), -0.0))
    with tempfile.TemporaryDirectory() as tmp:  # tmp_path would be shared by the examples
        loaded = roundtrip(estimator, Path(tmp))
    assert_same(estimator.get_params(), loaded.get_params(), "params")


def test_arrays_of_every_kind_round_trip(tmp_path):
    """JAX arrays, object arrays, empty and 0-d arrays, names that collide once sanitised."""
    estimator = bayesreg.Ridge(
        alpha={"x/y": np.arange(3, dtype=np.int32), "x_y": np.ones((2, 0), dtype=np.float32)},
        tol=jnp.asarray([0.5, 1.5]),
        penalty_factor=np.array([1, "a", None, 2.5], dtype=object),
        max_iter=[np.array(7, dtype=np.uint16), np.array(["é", ""]), np.array([True, False])],
    )
    loaded = roundtrip(estimator, tmp_path)
    assert_identical(estimator, loaded)


def _tricky_tree() -> xr.DataTree:
    """What netCDF cannot store as it is: bools, numpy scalars, None, lists, dicts, NaN."""
    attrs = {
        "flag": True,
        "numpy_flag": np.bool_(False),
        "count": np.int64(4),
        "ratio": np.float32(0.25),
        "missing": None,
        "nan": float("nan"),
        "dims": ["chain", "draw"],
        "empty": [],
        "pair": (1, "a"),
        "nested": {"a": [1, 2.5], 3: "three"},
        "array": np.array([1.0, -0.0]),
    }
    posterior = xr.Dataset(
        {
            "coef": (("chain", "draw", "feature"), _RNG.standard_normal((2, 3, 2)), attrs),
            "diverging": (("chain", "draw"), np.array([[True, False, True], [False] * 3])),
            "steps": (("chain", "draw"), np.arange(6, dtype=np.int32).reshape(2, 3)),
            "tiny": (("chain",), np.array([1.5, np.nan], dtype=np.float32)),
            "label": ((), np.array("run 1")),
            "none": (("empty",), np.zeros(0)),
        },
        coords={
            "chain": [0, 1],
            "draw": np.arange(3, dtype=np.uint8),
            "feature": np.array(["a", "bé"]),
            "feature_group": ("feature", np.array(["x", "y"], dtype=object)),
        },
        attrs=attrs,
    )
    observed = xr.Dataset({"y": ("obs_id", np.array(["yes", "no"]))}, coords={"obs_id": [3, 7]})
    return xr.DataTree.from_dict(
        {"/": xr.Dataset(attrs={"root": 1}), "/posterior": posterior, "/observed_data": observed},
        name="tricky",
    )


def test_a_posterior_of_every_dtype_and_attribute_round_trips(tmp_path):
    estimator = bayesreg.Ridge().fit(X, Y)
    estimator.posterior_ = _tricky_tree()
    loaded = roundtrip(estimator, tmp_path)
    assert_identical(estimator, loaded)
    assert loaded.posterior_["posterior"]["diverging"].dtype == bool
    assert loaded.posterior_["posterior"].attrs["flag"] is True


def test_a_posterior_netcdf_cannot_hold_is_refused(tmp_path):
    estimator = bayesreg.Ridge().fit(X, Y)
    tree = _tricky_tree()
    when = np.array(["2026-01-01", "2026-01-02"], dtype="datetime64[ns]")
    tree["posterior"] = tree["posterior"].to_dataset().assign(when=("chain", when))
    estimator.posterior_ = tree
    with pytest.raises(TypeError, match=r"'posterior_/posterior.when' has dtype datetime64"):
        save(estimator, tmp_path / "model.nc")
    assert list(tmp_path.iterdir()) == []


def test_containers_and_random_states_round_trip(tmp_path):
    """Tuples stay tuples, dict keys keep their types, RandomState its stream."""
    state = np.random.RandomState(7)
    state.standard_normal(3)  # mid-stream, with a cached Gaussian
    estimator = bayesreg.LogisticRegression(
        class_weight={1: 2.0, np.int64(2): 0.5, "x": np.float32(1.5), (1, "a"): None},
        random_state=state,
    )
    loaded = roundtrip(estimator, tmp_path)
    assert_identical(estimator, loaded)
    assert_same(state.standard_normal(4), loaded.random_state.standard_normal(4), "stream")
    cv = bayesreg.LassoCV(cv=StratifiedKFold(4, shuffle=True, random_state=2))
    assert_identical(cv, roundtrip(cv, tmp_path, "cv.nc"))
    loo = bayesreg.RidgeCV(cv=LeaveOneOut(), alphas=[0.5, 5.0])
    assert_identical(loo, roundtrip(loo, tmp_path, "loo.nc"))


def test_read_only_arrays_stay_read_only(tmp_path):
    factor = np.array([0.0, 1.0, 2.0])
    factor.flags.writeable = False
    estimator = bayesreg.Ridge(penalty_factor=factor).fit(X, Y)
    estimator.coef_.flags.writeable = False
    loaded = roundtrip(estimator, tmp_path)
    assert not loaded.penalty_factor.flags.writeable
    assert not loaded.coef_.flags.writeable
    assert not loaded.map_.coef.flags.writeable  # the same array as coef_ in the original
    assert_identical(estimator, loaded)


# -- another process ---------------------------------------------------------------------------
_CHILD = """
import sys, numpy as np, pandas as pd
from bayesreg.persistence import load
out = {}
for i, path in enumerate(sys.argv[3:]):
    est = load(path)
    X = np.load(sys.argv[1])
    if hasattr(est, "feature_names_in_"):
        X = pd.DataFrame(X, columns=est.feature_names_in_)
    out[f"{i}.coef_"] = est.coef_
    out[f"{i}.intercept_"] = np.asarray(est.intercept_)
    out[f"{i}.predict"] = est.predict(X)
    out[f"{i}.draws"] = est.posterior_["posterior"]["coef"].values
    if hasattr(est, "sample_y"):
        out[f"{i}.mean"], out[f"{i}.std"] = est.predict(X, return_std=True)
np.savez(sys.argv[2], **out)
"""


def test_loads_identically_in_a_new_process(sampled, tmp_path):
    cases = ["Ridge", "LogisticRegression-3-classes", "BayesianRidge"]
    paths = [str(save(sampled[case], tmp_path / f"{i}.nc")) for i, case in enumerate(cases)]
    np.save(tmp_path / "X.npy", X)
    subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-c",
            _CHILD,
            str(tmp_path / "X.npy"),
            str(tmp_path / "out.npz"),
            *paths,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    with np.load(tmp_path / "out.npz") as child:
        for i, case in enumerate(cases):
            estimator = sampled[case]
            X_case = X_DF if isinstance(POSTERIOR_CASES[case][1], pd.DataFrame) else X
            assert_same(estimator.coef_, child[f"{i}.coef_"], f"{case} coef_")
            assert_same(
                np.asarray(estimator.intercept_), child[f"{i}.intercept_"], f"{case} intercept_"
            )
            assert_same(estimator.predict(X_case), child[f"{i}.predict"], f"{case} predict")
            draws = estimator.posterior_["posterior"]["coef"].values
            assert_same(draws, child[f"{i}.draws"], f"{case} draws")
            if hasattr(estimator, "sample_y"):
                mean, std = estimator.predict(X_case, return_std=True)
                assert_same(mean, child[f"{i}.mean"], f"{case} mean")
                assert_same(std, child[f"{i}.std"], f"{case} std")


# -- saving: refusals, no overwrite, atomic ------------------------------------------------------
def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


class _SubclassedRidge(bayesreg.Ridge):
    pass


def _unsavable_cases():
    fitted = bayesreg.Ridge().fit(X, Y)
    complex_coef = bayesreg.Ridge().fit(X, Y)
    complex_coef.coef_ = complex_coef.coef_.astype(complex)
    extra = bayesreg.Ridge().fit(X, Y)
    extra.note = "mine"
    nul_names = bayesreg.Ridge().fit(pd.DataFrame(X, columns=["a", "b\x00c", "d"]), Y)
    return {
        "an int": (42, "model.nc", {}, "int"),
        "None": (None, "model.nc", {}, "NoneType"),
        "scikit-learn's Ridge": (sklearn.linear_model.Ridge().fit(X, Y), "model.nc", {}, "Ridge"),
        "the class": (bayesreg.Ridge, "model.nc", {}, "class Ridge"),
        "a subclass": (_SubclassedRidge(), "model.nc", {}, "_SubclassedRidge"),
        "path None": (fitted, None, {}, "path"),
        "path float": (fitted, 3.5, {}, "path"),
        "path bytes": (fitted, b"model.nc", {}, "path"),
        "path empty": (fitted, "", {}, "empty"),
        "path a directory": (fitted, ".", {}, "directory"),
        "overwrite a string": (fitted, "model.nc", {"overwrite": "yes"}, "overwrite"),
        "overwrite 1": (fitted, "model.nc", {"overwrite": 1}, "overwrite"),
        "callable scoring": (
            bayesreg.RidgeCV(scoring=lambda est, X, y: 0.0),
            "model.nc",
            {},
            "'scoring'",
        ),
        "unlisted distribution": (
            bayesreg.LinearRegression(noise_prior=dist.Poisson(1.0)),
            "model.nc",
            {},
            "'noise_prior'",
        ),
        "numpy Generator": (
            bayesreg.LogisticRegression(random_state=np.random.default_rng(0)),
            "model.nc",
            {},
            "'random_state'",
        ),
        "complex coef_": (complex_coef, "model.nc", {}, "'coef_'"),
        "extra attribute": (extra, "model.nc", {}, "'note'"),
        "NUL in a feature name": (nul_names, "model.nc", {}, "NUL"),
    }


def test_save_refuses_what_it_cannot_store_clearly(hostile_tally, tmp_path, monkeypatch):
    """Hostile arguments: a clear TypeError/ValueError, and no file (not even a temporary)."""
    monkeypatch.chdir(tmp_path)
    tally = hostile_tally("bayesreg.save")
    for label, (estimator, path, kwargs, expected) in _unsavable_cases().items():
        err = answer_or_clear_error(tally, lambda e=estimator, p=path, k=kwargs: save(e, p, **k))
        assert isinstance(err, TypeError | ValueError), f"{label}: saved"
        assert expected in str(err), f"{label}: {err}"
        assert sorted(p.name for p in tmp_path.iterdir()) == [], f"{label}: left files"
    # Unfitted estimators are not hostile: they are saved, and load back unfitted.
    for cls in ESTIMATOR_CLASSES:
        path = answer_or_clear_error(
            tally, lambda c=cls: save(c(), tmp_path / f"{c.__name__}.nc"), lambda p: load(p)
        )
        with pytest.raises(NotFittedError):
            check_is_fitted(load(path))
    assert tally.rejected == len(_unsavable_cases()) and tally.answered == len(ESTIMATOR_CLASSES)


def test_save_never_overwrites_unless_asked(tmp_path):
    path = tmp_path / "model.nc"
    path.write_bytes(b"the user's work")
    first, second = bayesreg.Ridge(alpha=1.0).fit(X, Y), bayesreg.Ridge(alpha=3.0).fit(X, Y)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save(first, path)
    assert path.read_bytes() == b"the user's work"
    assert save(first, path, overwrite=True) == path
    assert load(path).alpha == 1.0
    with pytest.raises(FileExistsError, match="exists"):
        save(second, path)
    assert load(path).alpha == 1.0
    save(second, path, overwrite=True)
    assert load(path).alpha == 3.0
    assert _leftovers(tmp_path) == []


def test_save_needs_an_existing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save(bayesreg.Ridge(), tmp_path / "missing" / "model.nc")
    assert list(tmp_path.iterdir()) == []


def test_a_file_appearing_while_saving_is_not_clobbered(tmp_path, monkeypatch):
    """Between the existence check and the final link another process creates the file."""
    path = tmp_path / "model.nc"
    write = persistence._write_verified

    def write_then_intrude(tree, temporary):
        write(tree, temporary)
        path.write_bytes(b"written meanwhile")

    monkeypatch.setattr(persistence, "_write_verified", write_then_intrude)
    with pytest.raises(FileExistsError, match="appeared while saving"):
        save(bayesreg.Ridge().fit(X, Y), path)
    assert path.read_bytes() == b"written meanwhile"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch, overwrite):
    path = tmp_path / "model.nc"
    if overwrite:
        save(bayesreg.Ridge(alpha=2.0).fit(X, Y), path)
        before = path.read_bytes()

    def fail_midway(tree, temporary):
        temporary.write_bytes(b"\x89HDF\r\n\x1a\n half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(persistence, "_write_verified", fail_midway)
    with pytest.raises(OSError, match="No space left"):
        save(bayesreg.Ridge().fit(X, Y), path, overwrite=overwrite)
    assert _leftovers(tmp_path) == []
    if overwrite:
        assert path.read_bytes() == before
    else:
        assert not path.exists()


# -- loading: damaged and foreign files -----------------------------------------------------------
@pytest.fixture(scope="module")
def saved_file(sampled, tmp_path_factory):
    """A Ridge with its posterior, saved: the file the damage tests start from."""
    path = tmp_path_factory.mktemp("saved") / "ridge.nc"
    save(sampled["Ridge"], path)
    return path


def _copy(saved_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "copy.nc"
    path.write_bytes(saved_file.read_bytes())
    return path


def _refused(tally, path: Path, expected: str) -> None:
    err = answer_or_clear_error(tally, lambda: load(path))
    assert isinstance(err, ValueError), f"loaded a file that should be refused ({expected})"
    assert str(path) in str(err) and expected in str(err), str(err)


def test_load_refuses_foreign_files(hostile_tally, tmp_path):
    tally = hostile_tally("bayesreg.load")
    cases = {
        "text.nc": (b"coef = [1, 2, 3]\n", "not a bayesreg file"),
        "picture.nc": (b"\x89PNG\r\n\x1a\n" + bytes(100), "not a bayesreg file"),
        "pickle.nc": (pickle.dumps(bayesreg.Ridge()), "not a bayesreg file"),
        "empty.nc": (b"", "truncated or corrupt"),
        "short.nc": (b"\x89HD", "truncated or corrupt"),
    }
    for name, (content, expected) in cases.items():
        (tmp_path / name).write_bytes(content)
        _refused(tally, tmp_path / name, expected)
    # A netCDF-4 file, but not one of ours.
    xr.Dataset({"coef": ("feature", [1.0, 2.0])}).to_netcdf(
        tmp_path / "other.nc", engine="h5netcdf"
    )
    _refused(tally, tmp_path / "other.nc", "not a bayesreg file")
    _refused(tally, tmp_path, "is a directory")
    for bad in (None, 42, b"model.nc"):
        err = answer_or_clear_error(tally, lambda b=bad: load(b))
        assert isinstance(err, TypeError)
    with pytest.raises(FileNotFoundError, match="no such file"):
        load(tmp_path / "missing.nc")
    assert tally.answered == 0


def _edit_attrs(path: Path, **attrs) -> None:
    with h5py.File(path, "r+") as file:
        for key, value in attrs.items():
            if value is None:
                del file.attrs[key]
            else:
                file.attrs[key] = value


def _manifest(path: Path) -> str:
    with h5py.File(path, "r") as file:
        value = file.attrs["bayesreg_estimator"]
    return value.decode() if isinstance(value, bytes) else str(value)


def _reseal(path: Path) -> None:
    """Recompute the checksum of an edited file, as a forger would."""
    with xr.open_datatree(path, engine="h5netcdf", **persistence._RAW) as tree:
        digest = persistence._digest(tree.load())
    _edit_attrs(path, sha256=digest)


def test_load_refuses_edited_files(hostile_tally, saved_file, tmp_path):
    tally = hostile_tally("bayesreg.load")
    mismatch = "modified after it was saved (checksum mismatch)"

    path = _copy(saved_file, tmp_path)
    _edit_attrs(path, bayesreg_estimator=_manifest(path).replace('"alpha":1.0', '"alpha":1.5'))
    _refused(tally, path, mismatch)

    path = _copy(saved_file, tmp_path)
    with h5py.File(path, "r+") as file:
        file["arrays/fitted.coef_"][0] += 1e-12
    _refused(tally, path, mismatch)

    path = _copy(saved_file, tmp_path)
    with h5py.File(path, "r+") as file:
        file["posterior_/posterior/coef"][0, 0, 0] = 0.0
    _refused(tally, path, mismatch)

    path = _copy(saved_file, tmp_path)
    with h5netcdf.File(path, "a") as file:
        group = file["arrays"]
        group.dimensions["extra#0"] = 2
        group.create_variable("extra", ("extra#0",), float, data=[1.0, 2.0])
    _refused(tally, path, mismatch)

    path = _copy(saved_file, tmp_path)
    with h5netcdf.File(path, "a") as file:
        file["posterior_/sample_stats"].attrs["note"] = "added"
    _refused(tally, path, mismatch)

    path = _copy(saved_file, tmp_path)
    _edit_attrs(path, note="added")
    _refused(tally, path, mismatch)

    path = _copy(saved_file, tmp_path)
    with h5py.File(path, "r+") as file:
        del file["posterior_/log_likelihood"]
    _refused(tally, path, mismatch)

    path = _copy(saved_file, tmp_path)
    _edit_attrs(path, sha256=None)
    _refused(tally, path, mismatch)

    path = _copy(saved_file, tmp_path)
    _edit_attrs(path, bayesreg_format=None)
    _refused(tally, path, "not a bayesreg file")

    path = _copy(saved_file, tmp_path)
    _edit_attrs(path, format_version=2)
    _refused(tally, path, "newer format version (2)")

    path = _copy(saved_file, tmp_path)
    _edit_attrs(path, format_version="one")
    _refused(tally, path, "corrupt")
    assert tally.answered == 0


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('"type":"bayesreg.Ridge"', '"type":"os.system"', "unknown estimator type 'os.system'"),
        (
            '"type":"bayesreg.MAPResult"',
            '"type":"builtins.eval"',
            "unknown type 'builtins.eval' in fitted.map_",
        ),
        (
            '"type":"bayesreg.MAPResult"',
            '"type":"bayesreg.Ridge"',
            "unknown type 'bayesreg.Ridge' in fitted.map_",
        ),
        ('"n_features_in_":', '"__class__":', "'__class__' is not a fitted attribute"),
        ('"n_features_in_":', '"predict":', "'predict' is not a fitted attribute"),
        ('"alpha":1.0', '"alpha":NaN', "non-JSON constant NaN"),
        ('"alpha":1.0', '"alpha":{"type":"float","value":"1e999"}', "malformed"),
        ('"dtype":"<f8"', '"dtype":"(2,)<f8"', "dtype '(2,)<f8'"),
    ],
)
def test_forged_files_with_a_valid_checksum_are_refused(
    old, new, expected, hostile_tally, saved_file, tmp_path
):
    """Edits a forger resealed: the allow-list, not the checksum, refuses them."""
    tally = hostile_tally("bayesreg.load")
    path = _copy(saved_file, tmp_path)
    manifest = _manifest(path)
    assert old in manifest
    _edit_attrs(path, bayesreg_estimator=manifest.replace(old, new, 1))
    _reseal(path)
    _refused(tally, path, expected)


def test_a_forged_prior_type_is_refused(hostile_tally, tmp_path):
    tally = hostile_tally("bayesreg.load")
    path = save(bayesreg.LinearRegression(prior=dist.Normal(1.0, 2.0)), tmp_path / "lr.nc")
    manifest = _manifest(path)
    forged = manifest.replace('"numpyro.distributions.Normal"', '"numpyro.distributions.Delta"')
    _edit_attrs(path, bayesreg_estimator=forged)
    _reseal(path)
    _refused(tally, path, "unknown type 'numpyro.distributions.Delta' in params.prior")


# Damage at random: any truncation, any flipped byte.  Offsets within 4 KiB of either end
# of the file (the HDF5 superblock, object headers and heaps) are tried as often as
# offsets anywhere in it; offsets are taken modulo the size (negative: from the end).
_OFFSETS = st.one_of(st.integers(-4096, 4095), st.integers(0, 2**32))


def _index(offset: int, size: int) -> int:
    return offset % size


_OUTCOMES = re.compile(
    r"truncated or corrupt|not a bayesreg file|checksum mismatch|newer format version|"
    r"is corrupt|cannot be loaded"
)


def _record_outcome(request, test: str, result) -> None:
    """Count the outcomes (identical, or which refusal) for the end-of-run summary."""
    counts = request.node.__dict__.setdefault("_outcomes", {})
    if isinstance(result, Exception):
        match = _OUTCOMES.search(str(result))
        label = match.group(0) if match else "other error"
    else:
        label = "loaded identical"
    counts[label] = counts.get(label, 0) + 1
    line = f"PERSISTENCE {test}: {sum(counts.values())} files: " + ", ".join(
        f"{n} {label}" for label, n in sorted(counts.items(), key=lambda kv: -kv[1])
    )
    properties = request.node.user_properties
    properties[:] = [p for p in properties if not (p[0] == "summary" and test in p[1])]
    properties.append(("summary", line))


def _check_identical(original):
    return lambda loaded: assert_identical(original, loaded)


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(length=_OFFSETS)
def test_truncated_files_are_refused(length, hostile_tally, sampled, saved_file, tmp_path, request):
    tally = hostile_tally("bayesreg.load")
    data = saved_file.read_bytes()
    path = tmp_path / "truncated.nc"
    path.write_bytes(data[: _index(length, len(data))])
    err = answer_or_clear_error(tally, lambda: load(path), _check_identical(sampled["Ridge"]))
    assert isinstance(err, ValueError)
    _record_outcome(request, "truncation", err)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(offset=_OFFSETS, flip=st.integers(1, 255))
def test_flipped_bytes_give_the_same_estimator_or_a_clear_error(
    offset, flip, hostile_tally, sampled, saved_file, tmp_path, request
):
    tally = hostile_tally("bayesreg.load")
    data = bytearray(saved_file.read_bytes())
    data[_index(offset, len(data))] ^= flip
    path = tmp_path / "flipped.nc"
    path.write_bytes(bytes(data))
    result = answer_or_clear_error(tally, lambda: load(path), _check_identical(sampled["Ridge"]))
    _record_outcome(request, "flipped byte", result)


# -- no code from the file ------------------------------------------------------------------------
def test_the_module_cannot_execute_code_from_a_file():
    """No pickle, marshal, eval, exec, compile, __import__ or importlib in the module."""
    source = Path(persistence.__file__).read_text()
    tree = ast.parse(source)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"pickle", "marshal", "shelve", "dill", "cloudpickle", "importlib"}
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not called & {"eval", "exec", "compile", "__import__"}


def test_load_runs_without_pickle_or_eval(sampled, tmp_path, monkeypatch):
    path = save(sampled["LogisticRegression-3-classes"], tmp_path / "clf.nc")

    def forbidden(*args, **kwargs):
        raise AssertionError("load used pickle or eval")

    for module, name in [
        (pickle, "loads"),
        (pickle, "load"),
        (builtins, "eval"),
        (builtins, "exec"),
    ]:
        monkeypatch.setattr(module, name, forbidden)
    loaded = load(path)
    monkeypatch.undo()
    assert_identical(sampled["LogisticRegression-3-classes"], loaded)


def test_docstring_example_runs():
    failures, tried = doctest.testmod(persistence, raise_on_error=False, verbose=False)
    assert tried > 0 and failures == 0


def test_allow_list_names_only_classes_from_known_packages():
    for name, cls in ALLOWED_TYPES.items():
        assert name.split(".")[0] in {"bayesreg", "numpyro", "numpy", "sklearn"}, name
        module = cls.__module__ if isinstance(cls, type) else type(cls).__module__
        assert module.split(".")[0] == name.split(".")[0], name
