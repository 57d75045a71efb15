"""Hostile input against the prior constructors, the alpha conversions, the paths and
``solve_map``, ``load_prostate`` and ``posterior_path``.

Each call goes through :func:`_hostile.answer_or_clear_error` (tallied per entry point for
the end-of-run "HOSTILE INPUT" lines).  Hypothesis draws a hostile value for one
argument -- NaN, infinities, 0, negative numbers, bools, strings, None, complex numbers,
dates, dicts, lists and arrays of the wrong shape, subnormal and huge numbers -- and the
call must either refuse it with a clear ValueError / TypeError (before JAX runs) or give
the right answer:

* a prior built from a value keeps it and its penalty is the formula of its docstring at
  a few weights (computed independently here, in numpy);
* ``from_alpha`` followed by ``to_alpha`` gives the alpha back (1e-12 relative: a few
  roundings);
* a path on valid data spelt another way (ints, float32, lists) equals the path on the
  float64 data; on rescaled data and with a constant column it is scikit-learn's path
  (fitted values within the duality-gap bound of each point);
* ``solve_map`` equals the estimator's fit; ``load_prostate`` has its 97 x 8 table.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import arviz as az
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pandas as pd
import pytest
import sklearn.linear_model as sk
from _hostile import answer_or_clear_error, assert_finite
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning

import bayesreg
from bayesreg import estimators as estimators_module
from bayesreg.datasets import load_prostate
from bayesreg.model import RegressionData
from bayesreg.posterior_path import posterior_path

SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}

#: Values hostile to a numeric parameter.  Some are valid (0-d arrays, numpy scalars,
#: subnormal and huge numbers): those must give the right answer.
HOSTILE_NUMBERS = [
    math.nan,
    math.inf,
    -math.inf,
    0.0,
    -0.0,
    -1.0,
    -1e-300,
    True,
    False,
    "1.0",
    b"1",
    None,
    1 + 0j,
    [1.0],
    (1.0,),
    {"value": 1.0},
    {1.0},
    np.array([1.0, 2.0]),
    np.array([[1.0]]),
    np.array([]),
    np.array(np.nan),
    np.array(2.0),
    np.array("1.0"),
    np.float32(2.0),
    np.float16(0.5),
    np.int64(3),
    np.uint8(0),
    np.bool_(True),
    np.datetime64("2020-01-01"),
    np.timedelta64(1, "D"),
    jnp.asarray(2.0),
    jnp.asarray([1.0, 2.0]),
    5e-324,
    1e-300,
    1e-200,
    1e-150,
    1e150,
    1e300,
    1.7976931348623157e308,
]
hostile_numbers = st.sampled_from(HOSTILE_NUMBERS)

W = np.array([-2.0, -0.5, 0.0, 0.25, 3.0])  # weights where penalties are compared


def _as_positive_number(value) -> float | None:
    """The number a valid positive parameter stands for, or None when it is not one."""
    if isinstance(value, bool | np.bool_ | str | bytes | complex | dict | set | list | tuple):
        return None
    try:
        array = np.asarray(value)
    except Exception:
        return None
    if array.ndim != 0 or array.dtype.kind not in "iuf":
        return None
    number = float(array)
    return number if math.isfinite(number) and number > 0 else None


def _penalty_formula(name: str, params: dict[str, float], w: np.ndarray) -> float:
    """Each prior's penalty ``P(w)``, written from its docstring (not from its code)."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
        if name == "Gaussian":
            return float(np.sum(w * w) / (2.0 * params["scale"] ** 2))
        if name == "Laplace":
            return float(np.sum(np.abs(w)) / params["scale"])
        if name == "ElasticNetPrior":
            return float(params["l1"] * np.sum(np.abs(w)) + params["l2"] * np.sum(w * w))
        if name == "Bridge":
            p, s = params["power"], params["scale"]
            return float(np.sum((np.abs(w) / s) ** p))
        if name == "StudentT":
            nu, s = params["df"], params["scale"]
            return float(0.5 * (nu + 1.0) * np.sum(np.log1p(w * w / (nu * s * s))))
        if name == "Cauchy":
            return float(np.sum(np.log1p(w * w / params["scale"] ** 2)))
    return math.nan


# (class, the parameter made hostile, the other parameters, whether 0 is allowed)
PRIOR_PARAMETERS = [
    (bayesreg.Gaussian, "scale", {}, False),
    (bayesreg.Laplace, "scale", {}, False),
    (bayesreg.ElasticNetPrior, "l1", {"l2": 1.0}, True),
    (bayesreg.ElasticNetPrior, "l2", {"l1": 1.0}, True),
    (bayesreg.Bridge, "power", {"scale": 1.0}, False),
    (bayesreg.Bridge, "scale", {"power": 1.5}, False),
    (bayesreg.StudentT, "df", {"scale": 1.0}, False),
    (bayesreg.StudentT, "scale", {"df": 3.0}, False),
    (bayesreg.Cauchy, "scale", {}, False),
    (bayesreg.Horseshoe, "scale_global", {}, False),
    (bayesreg.RegularizedHorseshoe, "scale_global", {}, False),
    (bayesreg.RegularizedHorseshoe, "slab_scale", {}, False),
    (bayesreg.RegularizedHorseshoe, "slab_df", {}, False),
    (bayesreg.BayesianLasso, "r", {}, False),
    (bayesreg.BayesianLasso, "delta", {}, False),
    (bayesreg.HierarchicalLasso, "n_samples", {}, False),
    (bayesreg.HierarchicalElasticNet, "n_samples", {}, False),
]


def _prior_id(case) -> str:
    return f"{case[0].__name__}.{case[1]}"


# Checks every numeric parameter of every prior against hostile values: refused, or the
# prior keeps the number and its penalty is the docstring's formula (inf only where the
# formula overflows too; never NaN).
@pytest.mark.parametrize("case", PRIOR_PARAMETERS, ids=_prior_id)
@settings(max_examples=40, **SETTINGS)
@given(value=hostile_numbers)
def test_prior_constructor_hostile(hostile_tally, case, value):
    cls, name, others, zero_ok = case
    tally = hostile_tally(f"{cls.__name__}()")
    number = _as_positive_number(value)
    if zero_ok and number is None and _is_zero(value):
        number = 0.0

    def check(prior):
        assert number is not None, f"{cls.__name__}({name}={value!r}) was accepted"
        assert float(getattr(prior, name)) == number
        params = {**others, name: number}
        expected = _penalty_formula(cls.__name__, params, W)
        if math.isnan(expected):  # hierarchical and shrinkage priors: no penalty
            return
        got = float(prior.penalty(W))
        assert not math.isnan(got), f"{prior!r}.penalty is NaN"
        # XLA flushes subnormal results to 0: a penalty below 1e-300 may read 0.
        assert_allclose(got, expected, rtol=1e-12, atol=1e-300)

    answer_or_clear_error(tally, lambda: cls(**others, **{name: value}), check)


def _is_zero(value) -> bool:
    try:
        array = np.asarray(value)
    except Exception:
        return False
    return (
        not isinstance(value, bool | np.bool_)
        and array.ndim == 0
        and array.dtype.kind in "iuf"
        and float(array) == 0
    )


# Checks that the priors without parameters, or with numpyro hyperpriors, refuse what is
# not a proper scalar distribution with positive support.
BAD_ALPHA_PRIORS = [
    None,
    "gamma",
    1.0,
    dist.Normal(0.0, 1.0),
    dist.ImproperUniform(dist.constraints.positive, (), ()),
    dist.Gamma(jnp.ones(2), 1.0),
    dist.MultivariateNormal(jnp.zeros(2), jnp.eye(2)),
    bayesreg.Laplace(1.0),
]


@pytest.mark.parametrize(
    "make",
    [
        lambda a: bayesreg.HierarchicalRidge(alpha_prior=a),
        lambda a: bayesreg.HierarchicalLasso(10, alpha_prior=a),
        lambda a: bayesreg.HierarchicalElasticNet(10, alpha_prior=a),
    ],
    ids=["HierarchicalRidge", "HierarchicalLasso", "HierarchicalElasticNet"],
)
@pytest.mark.parametrize(
    "alpha_prior",
    BAD_ALPHA_PRIORS,
    ids=lambda a: type(a).__name__ + str(getattr(a, "batch_shape", "")),
)
def test_alpha_prior_must_be_a_proper_positive_distribution(hostile_tally, make, alpha_prior):
    name = make(dist.Gamma(1.0, 1.0)).__class__.__name__
    answer_or_clear_error(
        hostile_tally(f"{name}()"),
        lambda: make(alpha_prior),
        lambda prior: pytest.fail(f"{name}(alpha_prior={alpha_prior!r}) was accepted"),
    )


# Checks HierarchicalElasticNet's l1_ratio: refused outside [0, 1], kept inside.
@settings(max_examples=40, **SETTINGS)
@given(value=hostile_numbers | st.sampled_from([0.0, 0.5, 1.0, 1.0 + 1e-12]))
def test_hierarchical_elastic_net_l1_ratio_hostile(hostile_tally, value):
    number = _as_positive_number(value)
    if number is None and _is_zero(value):
        number = 0.0

    def check(prior):
        assert number is not None and 0.0 <= number <= 1.0, f"l1_ratio={value!r} accepted"
        assert float(prior.l1_ratio) == number

    answer_or_clear_error(
        hostile_tally("HierarchicalElasticNet()"),
        lambda: bayesreg.HierarchicalElasticNet(10, l1_ratio=value),
        check,
    )


# Checks Flat takes no parameter at all.
@pytest.mark.parametrize("value", [1.0, None, "scale"], ids=repr)
def test_flat_takes_no_parameters(hostile_tally, value):
    answer_or_clear_error(
        hostile_tally("Flat()"),
        lambda: bayesreg.Flat(value),
        lambda prior: pytest.fail(f"Flat({value!r}) was accepted"),
    )


# == penalty factors =======================================================================
HOSTILE_FACTORS = [
    None,
    "1,2,3",
    1.0,
    -1.0,
    math.nan,
    True,
    [1.0, math.nan, 2.0],
    [1.0, math.inf, 2.0],
    [1.0, -2.0, 0.5],
    [[1.0, 2.0, 3.0]],
    [],
    ["a", "b", "c"],
    [True, False, True],
    np.array([1, 0, 2], dtype=np.int64),
    np.array([1.0, 0.0, 2.0], dtype=np.float32),
    [0.0, 0.0, 0.0],
    (0.5, 1.0, 2.0),
    jnp.asarray([1.0, 2.0, 3.0]),
    np.array([1 + 0j, 1, 1]),
    np.array(["2020-01-01"] * 3, dtype="datetime64[D]"),
]
HOSTILE_BASES = [
    None,
    "laplace",
    1.0,
    bayesreg.Horseshoe(),
    bayesreg.StudentT(3.0),
    bayesreg.Laplace(1.0).with_penalty_factor([1.0, 1.0, 1.0]),
    dist.Laplace(0.0, 1.0),
]


def _valid_factor(factor) -> np.ndarray | None:
    """The factors as float64 when they are a valid 1-D array of finite numbers >= 0."""
    if isinstance(factor, str | bool | float | type(None)):
        return None
    try:
        array = np.asarray(factor)
    except Exception:
        return None
    if array.ndim != 1 or array.size == 0 or array.dtype.kind not in "iuf":
        return None
    array = array.astype(np.float64)
    return array if np.all(np.isfinite(array)) and np.all(array >= 0) else None


# Checks PenaltyFactor (the constructor and Laplace.with_penalty_factor) on hostile
# factors: refused, or the penalty is sum_j f_j |w_j| / s.
@pytest.mark.parametrize("how", ["PenaltyFactor()", "Laplace.with_penalty_factor"])
@pytest.mark.parametrize("factor", HOSTILE_FACTORS, ids=repr)
def test_penalty_factor_hostile(hostile_tally, how, factor):
    base = bayesreg.Laplace(0.5)
    expected = _valid_factor(factor)

    def make():
        if how == "PenaltyFactor()":
            return bayesreg.PenaltyFactor(base, factor)
        return base.with_penalty_factor(factor)

    def check(prior):
        assert expected is not None, f"factor {factor!r} was accepted"
        w = W[: expected.size]
        assert float(prior.penalty(w)) == pytest.approx(float(expected @ np.abs(w)) / 0.5)

    answer_or_clear_error(hostile_tally(how), make, check)


@pytest.mark.parametrize("base", HOSTILE_BASES, ids=lambda b: type(b).__name__)
def test_penalty_factor_base_hostile(hostile_tally, base):
    answer_or_clear_error(
        hostile_tally("PenaltyFactor()"),
        lambda: bayesreg.PenaltyFactor(base, [1.0, 1.0, 1.0]),
        lambda prior: pytest.fail(f"PenaltyFactor(base={base!r}) was accepted"),
    )


# == the alpha conversions ==================================================================
# (label, from_alpha with the hostile value in each slot, to_alpha on the result)
def _round_trip(label, value, slot):
    """``from_alpha`` with ``value`` in ``slot``, and the alpha recovered by ``to_alpha``."""
    args = {"alpha": 0.3, "n_samples": 20, "noise_scale": 1.5, "l1_ratio": 0.4, "power": 1.5}
    args[slot] = value
    a, n, s = args["alpha"], args["n_samples"], args["noise_scale"]
    if label == "Gaussian":
        prior = bayesreg.Gaussian.from_alpha(a, s)
        return prior, (lambda p: p.to_alpha(s)), args
    if label == "Laplace":
        prior = bayesreg.Laplace.from_alpha(a, n, s)
        return prior, (lambda p: p.to_alpha(n, s)), args
    if label == "ElasticNetPrior":
        prior = bayesreg.ElasticNetPrior.from_alpha(a, args["l1_ratio"], n, s)
        return prior, (lambda p: p.to_alpha(n, s)), args
    prior = bayesreg.Bridge.from_alpha(a, args["power"], n, s)
    return prior, (lambda p: p.to_alpha(n, s)), args


CONVERSION_SLOTS = {
    "Gaussian": ["alpha", "noise_scale"],
    "Laplace": ["alpha", "n_samples", "noise_scale"],
    "ElasticNetPrior": ["alpha", "l1_ratio", "n_samples", "noise_scale"],
    "Bridge": ["alpha", "power", "n_samples", "noise_scale"],
}


# Checks from_alpha with a hostile alpha, n_samples, noise scale, l1_ratio or power:
# refused, or to_alpha gives the alpha (and l1_ratio) back; alpha = 0 is the Flat prior.
@pytest.mark.parametrize(
    ("label", "slot"),
    [(label, slot) for label, slots in CONVERSION_SLOTS.items() for slot in slots],
)
@settings(max_examples=40, **SETTINGS)
@given(value=hostile_numbers)
def test_from_alpha_round_trip_hostile(hostile_tally, label, slot, value):
    tally = hostile_tally(f"{label}.from_alpha")
    made = {}

    def call():
        made["prior"], made["to_alpha"], made["args"] = _round_trip(label, value, slot)
        return made["prior"]

    def check(prior):
        args = made["args"]
        number = _as_positive_number(value)
        if slot in ("alpha", "l1_ratio") and _is_zero(value):
            number = 0.0
        assert number is not None, f"{label}.from_alpha({slot}={value!r}) was accepted"
        if slot == "l1_ratio":
            assert number <= 1.0, f"l1_ratio={value!r} accepted"
        if args["alpha"] == 0 or (slot == "alpha" and number == 0):
            assert isinstance(prior, bayesreg.Flat)
            return
        back = made["to_alpha"](prior)
        if label == "ElasticNetPrior":
            assert back[0] == pytest.approx(float(args["alpha"]), rel=1e-12)
            assert back[1] == pytest.approx(float(args["l1_ratio"]), rel=1e-12, abs=1e-15)
        else:
            # lam -> lam^(-1/p) -> lam loses about p eps |log lam| (Bridge's power p).
            power = float(args["power"]) if label == "Bridge" else 1.0
            assert back == pytest.approx(float(args["alpha"]), rel=1e-12 * max(1.0, power))

    answer_or_clear_error(tally, call, check)


# Checks to_alpha with a hostile n_samples or noise scale: refused, or the formula.
@pytest.mark.parametrize("label", ["Gaussian", "Laplace", "ElasticNetPrior", "Bridge"])
@settings(max_examples=40, **SETTINGS)
@given(value=hostile_numbers, slot=st.sampled_from(["n_samples", "noise_scale"]))
def test_to_alpha_hostile(hostile_tally, label, value, slot):
    prior = {
        "Gaussian": bayesreg.Gaussian(2.0),
        "Laplace": bayesreg.Laplace(2.0),
        "ElasticNetPrior": bayesreg.ElasticNetPrior(1.0, 0.5),
        "Bridge": bayesreg.Bridge(1.5, 2.0),
    }[label]
    if label == "Gaussian" and slot == "n_samples":
        slot = "noise_scale"
    kwargs = {"noise_scale": value} if slot == "noise_scale" else {"n_samples": value}
    if label != "Gaussian":
        kwargs.setdefault("n_samples", 10)

    def check(answer):
        number = _as_positive_number(value)
        assert number is not None, f"{label}.to_alpha({slot}={value!r}) was accepted"
        n = float(kwargs.get("n_samples", 1.0))
        s = float(kwargs.get("noise_scale", 1.0))
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            expected = {
                "Gaussian": np.float64(s) ** 2 / 4.0,
                "Laplace": np.float64(s) ** 2 / (n * 2.0),
                "ElasticNetPrior": np.float64(s) ** 2 * 2.0 / n,
                "Bridge": np.float64(s) ** 2 * 2.0**-1.5 / n,
            }[label]
        first = answer[0] if isinstance(answer, tuple) else answer
        assert math.isfinite(first), f"{label}.to_alpha gave {answer!r}: not finite"
        assert first == pytest.approx(float(expected), rel=1e-12)

    answer_or_clear_error(
        hostile_tally(f"{label}.to_alpha"), lambda: prior.to_alpha(**kwargs), check
    )


# == the paths ==============================================================================
def _path_data(n=15, p=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    return X, X @ np.array([2.0, -1.0, 0.0, 0.5])[:p] + 0.3 * rng.normal(size=n)


PATHS = {
    "regularization_path": lambda X, y, **kw: bayesreg.regularization_path(
        X, y, **{"n_alphas": 6, **kw}
    ),
    "lasso_path": lambda X, y, **kw: bayesreg.lasso_path(X, y, **{"alphas": 6, **kw}),
    "enet_path": lambda X, y, **kw: bayesreg.enet_path(X, y, **{"alphas": 6, **kw}),
}


def _path_arrays(result):
    if isinstance(result, tuple):
        return result[0], result[1]
    return result.alphas, result.coefs


def _data_kind(draw, X, y):
    """(X, y, expectation, X64, y64): a corrupted copy of the data."""
    kind = draw(
        st.sampled_from(
            [
                "X-nan",
                "y-inf",
                "no-rows",
                "X-1d",
                "X-3d",
                "y-2-columns",
                "y-short",
                "X-complex",
                "X-words",
                "X-datetime64",
                "X-overflow",
                "X-int",
                "X-float32",
                "X-list",
                "frame",
                "y-column-vector",
                "constant-column",
                "X-times-1e-8",
                "X-times-1e8",
                "y-times-1e8",
            ]
        )
    )
    X64, y64 = X.copy(), y.copy()
    if kind == "X-nan":
        X = X.copy()
        X[draw(st.integers(0, X.shape[0] - 1)), 0] = np.nan
        return kind, X, y, "reject", None, None
    if kind == "y-inf":
        return kind, X, np.r_[np.inf, y[1:]], "reject", None, None
    if kind == "no-rows":
        return kind, X[:0], y[:0], "reject", None, None
    if kind == "X-1d":
        return kind, X[:, 0], y, "reject", None, None
    if kind == "X-3d":
        return kind, X[:, :, None], y, "reject", None, None
    if kind == "y-2-columns":
        return kind, X, np.column_stack([y, y]), "reject", None, None
    if kind == "y-short":
        return kind, X, y[:-1], "reject", None, None
    if kind == "X-complex":
        return kind, X + 1j, y, "reject", None, None
    if kind == "X-words":
        return kind, np.column_stack([X, ["a"] * len(X)]).astype(object), y, "reject", None, None
    if kind == "X-datetime64":
        return kind, (X * 100).astype("datetime64[D]"), y, "reject", None, None
    if kind == "X-overflow":
        return kind, X * 1e200, y, "reject", None, None
    if kind == "X-int":
        X64 = np.round(3 * X)
        return kind, X64.astype(int), y, "same", X64, y64
    if kind == "X-float32":
        X32 = X.astype(np.float32)
        return kind, X32, y, "same", X32.astype(np.float64), y64
    if kind == "X-list":
        return kind, X.tolist(), y.tolist(), "same", X64, y64
    if kind == "frame":
        return kind, pd.DataFrame(X, columns=list("abcd")[: X.shape[1]]), y, "same", X64, y64
    if kind == "y-column-vector":
        return kind, X, y[:, None], "same-warns", X64, y64
    if kind == "constant-column":
        X = np.column_stack([X, np.full(len(X), 2.5)])
        return kind, X, y, "reference", None, None
    scale = float(kind.split("-")[-1])
    if kind.startswith("X"):
        return kind, X * scale, y, "reference", None, None
    return kind, X, y * scale, "reference", None, None


def _sklearn_path_check(name, X, y, result):
    """Each point of the path equals scikit-learn's at that alpha (same grid)."""
    alphas, coefs = _path_arrays(result)
    l1_ratio = 0.5 if name == "enet_path" else 1.0
    if name == "regularization_path":
        X_c, y_c = X - X.mean(axis=0), y - y.mean()
    else:
        X_c, y_c = X, y
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _, ref_coefs, ref_gaps = sk.enet_path(
            X_c, y_c, l1_ratio=l1_ratio, alphas=alphas, tol=1e-14, max_iter=100_000
        )
    n = len(y)
    for k in range(len(alphas)):
        # (1/2n)||X~(w - w*)||^2 <= J(w) - J*: fitted values within sqrt(2n gap) (our
        # gap is at rounding level), plus 1e-9 of their size for rounding.
        bound = math.sqrt(2.0 * n * max(ref_gaps[k], 0.0)) + 1e-9 * (
            np.linalg.norm(X_c @ ref_coefs[:, k]) + 1e-300
        )
        assert np.linalg.norm(X_c @ (coefs[:, k] - ref_coefs[:, k])) <= bound + 1e-12 * (
            np.linalg.norm(y_c)
        )


# Checks the three path functions on corrupted X and y: refused, the float64 path, or
# scikit-learn's path (a constant column's weight is 0 at every alpha).
@pytest.mark.parametrize("name", list(PATHS))
@settings(max_examples=40, **SETTINGS)
@given(data=st.data())
def test_path_data_hostile(hostile_tally, name, data):
    X, y = _path_data(seed=data.draw(st.integers(0, 50)))
    kind, Xh, yh, expect, X64, y64 = _data_kind(data.draw, X, y)
    path = PATHS[name]
    kwargs = {"l1_ratio": 0.5} if name == "enet_path" else {}

    def call():
        with warnings.catch_warnings():
            if expect == "same-warns":
                warnings.simplefilter("ignore", DataConversionWarning)
            return path(Xh, yh, **kwargs)

    def check(result):
        alphas, coefs = _path_arrays(result)
        assert_finite(alphas, coefs)
        assert expect != "reject", f"{kind} was accepted"
        if expect.startswith("same"):
            ref_alphas, ref_coefs = _path_arrays(path(X64, y64, **kwargs))
            assert_allclose(alphas, ref_alphas, rtol=1e-12)
            assert_allclose(coefs, ref_coefs, rtol=1e-9, atol=1e-12)
            return
        Xf = np.asarray(Xh, dtype=np.float64)
        yf = np.asarray(yh, dtype=np.float64)
        if kind == "constant-column":
            if name == "regularization_path":  # centred: the column is 0
                assert np.all(coefs[-1] == 0.0)
            return  # lasso_path / enet_path do not centre: the column is a feature
        _sklearn_path_check(name, Xf, yf, result)

    answer_or_clear_error(hostile_tally(name), call, check)


# (keyword, hostile values).  Valid ones must give the path of the clean settings.
PATH_KWARGS = {
    "eps": [-1.0, 0.0, math.nan, math.inf, "a", None, True, 1e-3, 0.5],
    "n_alphas": [0, -1, 2.5, True, "3", None, 3],
    "alphas": [[], [math.nan], [-1.0], "a", [[0.5, 0.1]], [0.5, 0.5], [0.0], [1e300], [0.1]],
    "tol": [-1.0, math.nan, math.inf, "a", None, True, 0.0, 1e-6],
    "max_iter": [0, -1, 2.5, None, "10", True, 50],
    "coef_init": [[1.0], [math.nan] * 4, "abcd", [[0.0] * 4], [0.0] * 4],
    "positive": ["yes", 1, None, True],
    "l1_ratio": [math.nan, 2.0, -0.5, "a", None, True, 0.7],
    "Xy": [[1.0], [math.nan] * 4, "abcd", [[1.0] * 4], [0.5] * 4],
    "sample_weight": [[1.0] * 14, [math.nan] * 15, [-1.0] * 15, [0.0] * 15, "w", [2.0] * 15],
    "fit_intercept": ["no", None, 0, False],
    "return_n_iter": ["yes", None, True],
}
PATH_SIGNATURES = {
    "regularization_path": {
        "eps",
        "n_alphas",
        "alphas",
        "tol",
        "max_iter",
        "coef_init",
        "positive",
        "l1_ratio",
        "sample_weight",
        "fit_intercept",
    },
    "lasso_path": {
        "eps",
        "n_alphas",
        "alphas",
        "tol",
        "max_iter",
        "coef_init",
        "positive",
        "Xy",
        "return_n_iter",
    },
    "enet_path": {
        "eps",
        "n_alphas",
        "alphas",
        "tol",
        "max_iter",
        "coef_init",
        "positive",
        "Xy",
        "return_n_iter",
        "l1_ratio",
    },
}
VALID_VALUES = {
    ("eps", 1e-3),
    ("eps", 0.5),
    ("n_alphas", 3),
    ("alphas", (0.5, 0.5)),
    ("alphas", (0.0,)),
    ("alphas", (1e300,)),
    ("alphas", (0.1,)),
    ("tol", 0.0),
    ("tol", 1e-6),
    ("max_iter", 50),
    ("coef_init", (0.0, 0.0, 0.0, 0.0)),
    ("positive", True),
    ("l1_ratio", 0.7),
    ("Xy", (0.5, 0.5, 0.5, 0.5)),
    ("sample_weight", (2.0,) * 15),
    ("fit_intercept", False),
    ("return_n_iter", True),
}


def _is_valid(keyword, value, name) -> bool:
    if isinstance(value, bool) and keyword not in ("positive", "fit_intercept", "return_n_iter"):
        return False
    if keyword == "n_alphas" and value is None:  # scikit-learn's paths: the default, 100
        return name != "regularization_path"
    key = tuple(value) if isinstance(value, list) else value
    return any((keyword, key) == valid for valid in VALID_VALUES)


# Checks every keyword of the three path functions with hostile values: refused before
# any solve, or (for the valid ones) a finite path that solves the problem it names.
@pytest.mark.parametrize("name", list(PATHS))
@settings(max_examples=50, **SETTINGS)
@given(data=st.data())
def test_path_keywords_hostile(hostile_tally, name, data):
    keyword = data.draw(st.sampled_from(sorted(PATH_SIGNATURES[name])))
    value = data.draw(st.sampled_from(PATH_KWARGS[keyword]))
    X, y = _path_data()
    kwargs = {keyword: value}
    if name == "enet_path" and keyword != "l1_ratio":
        kwargs["l1_ratio"] = 0.5
    if keyword == "n_alphas" and name != "regularization_path":
        kwargs["alphas"] = None
    if keyword in ("eps", "Xy") and name != "regularization_path":
        kwargs.setdefault("alphas", 6)

    def call():
        with warnings.catch_warnings():
            # max_iter=50 may stop a point short of tol: it says so, as scikit-learn does.
            if keyword == "max_iter":
                warnings.simplefilter("ignore", ConvergenceWarning)
            return PATHS[name](X, y, **kwargs)

    def check(result):
        assert _is_valid(keyword, value, name), f"{name}({keyword}={value!r}) was accepted"
        alphas, coefs = _path_arrays(result)
        assert_finite(alphas, coefs)
        assert coefs.shape == (X.shape[1], len(alphas))
        if keyword in ("positive",):
            assert np.all(coefs >= 0)
        # Settings that leave the problem as it was: each point is scikit-learn's.
        if keyword in ("tol", "coef_init", "eps", "n_alphas") or (
            keyword == "alphas" and value in ([0.1], [0.5, 0.5])
        ):
            _sklearn_path_check(name, X, y, result)

    answer_or_clear_error(hostile_tally(name), call, check)


# == solve_map ================================================================================
@pytest.fixture(scope="module")
def lasso_problem():
    X, y = _path_data(20, 4, 3)
    return X, y, RegressionData.from_arrays(X, y)


BAD_SOLVE_MAP = [
    ("data", None),
    ("data", "X"),
    ("data", (np.ones((3, 2)), np.ones(3))),
    ("data", np.ones((3, 2))),
    ("prior", None),
    ("prior", "laplace"),
    ("prior", dist.Laplace(0.0, 1.0)),
    ("prior", bayesreg.Horseshoe()),
    ("prior", bayesreg.BayesianLasso()),
    ("prior", bayesreg.HierarchicalLasso(20)),
    ("prior", bayesreg.Laplace(1.0).with_penalty_factor([1.0, 1.0])),
    ("tol", -1.0),
    ("tol", math.nan),
    ("tol", math.inf),
    ("tol", "a"),
    ("max_iter", 0),
    ("max_iter", -5),
    ("max_iter", 2.5),
    ("max_iter", None),
    ("w0", [1.0]),
    ("w0", [math.nan] * 4),
    ("w0", "abcd"),
    ("w0", [[0.0] * 4]),
    ("positive", "yes"),
    ("positive", None),
]
VALID_SOLVE_MAP = [
    ("tol", 0.0),
    ("tol", 1e-12),
    ("max_iter", 1),
    ("max_iter", np.int64(50)),
    ("w0", [0.0] * 4),
    ("w0", np.ones(4, dtype=np.float32)),
    ("positive", np.bool_(True)),
    ("prior", bayesreg.Laplace(np.float32(0.25))),
    ("prior", bayesreg.Laplace(0.25).with_penalty_factor([1, 2, 0, 1])),
]


# Checks solve_map refuses what is not data, a prior with a mode, or a valid setting,
# before any solve; and that valid odd settings give the lasso's answer.
@pytest.mark.parametrize(
    ("slot", "value", "valid"),
    [(*case, False) for case in BAD_SOLVE_MAP] + [(*case, True) for case in VALID_SOLVE_MAP],
    ids=lambda v: repr(v)[:30],
)
def test_solve_map_hostile(hostile_tally, lasso_problem, slot, value, valid):
    X, y, data = lasso_problem
    args = {"data": data, "prior": bayesreg.Laplace(0.25)}
    kwargs = {}
    if slot in args:
        args[slot] = value
    else:
        kwargs[slot] = value

    def call():
        with warnings.catch_warnings():
            if slot == "max_iter":  # one epoch may stop short of tol: it says so
                warnings.simplefilter("ignore", ConvergenceWarning)
            return bayesreg.solve_map(args["data"], args["prior"], **kwargs)

    def check(result):
        assert valid, f"solve_map({slot}={value!r}) was accepted"
        assert_finite(result.coef, result.intercept)
        prior = args["prior"]
        # The Laplace prior with scale s at unit noise is the lasso at alpha = 1 / (n s).
        factor = getattr(prior, "factor", None)
        scale = float(getattr(prior, "base", prior).scale)
        ref = bayesreg.Lasso(
            alpha=1.0 / (len(y) * scale),
            positive=bool(kwargs.get("positive", False)),
            penalty_factor=factor,
            tol=1e-12,
        ).fit(X, y)
        if slot != "max_iter" or result.certificate.converged:
            assert_allclose(result.coef, ref.coef_, rtol=1e-8, atol=1e-10)

    answer_or_clear_error(hostile_tally("solve_map"), call, check)


# == load_prostate =============================================================================
# Checks load_prostate's flags: bools (numpy's too) give the 97 x 8 table; anything else is
# refused rather than taken for its truth value.
@pytest.mark.parametrize(
    "kwargs",
    [
        {"return_X_y": "yes"},
        {"as_frame": 1},
        {"return_X_y": None},
        {"as_frame": "False"},
        {"return_X_y": np.bool_(True)},
        {"as_frame": True, "return_X_y": True},
        {"return_X_y": False},
    ],
    ids=repr,
)
def test_load_prostate_hostile(hostile_tally, kwargs):
    valid = all(isinstance(v, bool | np.bool_) for v in kwargs.values())

    def check(result):
        assert valid, f"load_prostate(**{kwargs!r}) was accepted"
        data, target = result if kwargs.get("return_X_y") else (result.data, result.target)
        assert np.shape(data) == (97, 8) and np.shape(target) == (97,)
        assert_finite(np.asarray(data, dtype=float), np.asarray(target, dtype=float))
        if kwargs.get("as_frame"):
            assert isinstance(data, pd.DataFrame)

    answer_or_clear_error(hostile_tally("load_prostate"), lambda: load_prostate(**kwargs), check)


def test_load_prostate_takes_keywords_only(hostile_tally):
    answer_or_clear_error(
        hostile_tally("load_prostate"),
        lambda: load_prostate(True),
        lambda result: pytest.fail("a positional flag was accepted"),
    )


# == posterior_path ===========================================================================
@pytest.fixture
def stand_in_sampler(monkeypatch):
    """NUTS replaced by draws ``coef_init + z_ij``: finite, known, and cheap."""

    def sample(data, prior, *, coef_init, feature_names, num_samples, num_chains, **kwargs):
        rng = np.random.default_rng(0)
        p = len(feature_names)
        draws = coef_init + rng.standard_normal((num_chains, num_samples, p))
        return az.from_dict(
            {
                "posterior": {"coef": draws, "sigma": np.ones((num_chains, num_samples))},
                "sample_stats": {"diverging": np.zeros((num_chains, num_samples), bool)},
            },
            coords={"feature": list(feature_names)},
            dims={"coef": ["feature"]},
        )

    monkeypatch.setattr(estimators_module, "sample_linear_posterior", sample)


POSTERIOR_PATH_BAD = [
    ("estimator", bayesreg.LassoCV()),
    ("estimator", bayesreg.LinearRegression()),
    ("estimator", "lasso"),
    ("estimator", None),
    ("alphas", []),
    ("alphas", [math.nan, 1.0]),
    ("alphas", [-1.0]),
    ("alphas", [0.0, 1.0]),
    ("alphas", [1.0, 1.0]),
    ("alphas", [[1.0, 0.5]]),
    ("alphas", "a"),
    ("alphas", None),
    ("hdi_prob", 0.0),
    ("hdi_prob", 1.0),
    ("hdi_prob", math.nan),
    ("hdi_prob", "0.9"),
    ("hdi_prob", True),
    ("num_samples", 0),
    ("num_chains", 2.5),
    ("num_warmup", -1),
    ("noise_prior", "halfcauchy"),
    ("random_state", "seed"),
    ("X", np.full((10, 2), np.nan)),
    ("y", np.ones(9)),
    ("X", np.ones((10, 2)) + 1j),
    ("sample_weight", -np.ones(10)),
]
POSTERIOR_PATH_VALID = [
    ("alphas", [0.1, 1.0]),
    ("alphas", np.array([1.0, 0.01], dtype=np.float32)),
    ("hdi_prob", np.float64(0.5)),
    ("X", np.round(3 * np.random.default_rng(5).normal(size=(10, 2))).astype(int)),
]


# Checks posterior_path refuses bad estimators, grids, probabilities, sampler settings and
# data before sampling; valid odd ones give finite summaries whose MAPs are the lasso's.
@pytest.mark.parametrize(
    ("slot", "value", "valid"),
    [(*c, False) for c in POSTERIOR_PATH_BAD] + [(*c, True) for c in POSTERIOR_PATH_VALID],
    ids=lambda v: repr(v)[:30],
)
def test_posterior_path_hostile(hostile_tally, stand_in_sampler, slot, value, valid):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(10, 2))
    args = {
        "estimator": bayesreg.Lasso(),
        "X": X,
        "y": X @ [1.0, -1.0] + rng.normal(size=10),
        "alphas": [0.5, 0.05],
    }
    kwargs = {"num_samples": 20, "num_warmup": 5, "num_chains": 2}
    if slot in args:
        args[slot] = value
    else:
        kwargs[slot] = value

    def check(result):
        assert valid, f"posterior_path({slot}={value!r}) was accepted"
        assert_finite(result.coef_map, result.mean, result.lower, result.upper)
        for k, alpha in enumerate(result.alphas):
            lasso = bayesreg.Lasso(alpha=float(alpha)).fit(args["X"], args["y"])
            assert_allclose(result.coef_map[:, k], lasso.coef_, rtol=1e-9, atol=1e-12)

    answer_or_clear_error(
        hostile_tally("posterior_path"),
        lambda: posterior_path(args["estimator"], args["X"], args["y"], args["alphas"], **kwargs),
        check,
    )


# A last check that the priors' dataclass fields are what the constructor was given: the
# stand-in for a JAX placeholder must not let a user's dict or set through.
@pytest.mark.parametrize("value", [{"scale": 1.0}, {1.0}, object()], ids=lambda v: type(v).__name__)
def test_prior_refuses_containers_and_objects(hostile_tally, value):
    answer_or_clear_error(
        hostile_tally("Gaussian()"),
        lambda: bayesreg.Gaussian(value),
        lambda prior: pytest.fail(f"Gaussian({value!r}) was accepted: {dataclasses.asdict(prior)}"),
    )
