"""Bad input fails early and clearly: a ValueError or TypeError naming the problem.

Every rejection must happen in numpy, before anything reaches JAX: the solvers
(``solve_map`` and its compiled coordinate-descent loop ``_cd_loop``) and the NUTS
sampler (``sample_linear_posterior``) are replaced by sentinels that fail the test when
called.  A wiring test shows the sentinels do fire on valid input, so a passing
rejection test cannot be vacuous.
"""

from __future__ import annotations

import contextlib
import importlib
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import DataConversionWarning, NotFittedError

import bayesreg
import bayesreg.estimators as estimators_module
from bayesreg import ElasticNetPrior, Gaussian, Laplace

# ``bayesreg.solvers.coordinate_descent`` is shadowed by the function of that name that
# bayesreg.solvers re-exports, so ``import ... as`` would give the function: ask for the module.
cd_module = importlib.import_module("bayesreg.solvers.coordinate_descent")

ESTIMATORS = [bayesreg.Ridge, bayesreg.Lasso, bayesreg.ElasticNet]
METHODS = ["fit", "sample_posterior"]
N, P = 20, 3

# Small sampler settings: never reached by rejected input (the sampler is a sentinel).
SAMPLER_KW = {"num_samples": 10, "num_warmup": 10, "num_chains": 2}


# -- helpers -----------------------------------------------------------------------------
@contextlib.contextmanager
def forbidden(*names):
    """Replace the solvers and the sampler by sentinels; yield the list of sentinels called.

    ``names`` picks which of ``solve_map``, ``_cd_loop``, ``sample_linear_posterior`` and
    ``sample_normal_inverse_gamma`` (Ridge's exact draws) to replace (all by default).
    """
    names = names or (
        "solve_map",
        "_cd_loop",
        "sample_linear_posterior",
        "sample_normal_inverse_gamma",
    )
    targets = {
        "solve_map": estimators_module,
        "_cd_loop": cd_module,
        "sample_linear_posterior": estimators_module,
        "sample_normal_inverse_gamma": estimators_module,
    }
    calls: list[str] = []

    def sentinel(name):
        def fail(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called: the input reached JAX unvalidated")

        return fail

    with pytest.MonkeyPatch.context() as mp:
        for name in names:
            mp.setattr(targets[name], name, sentinel(name))
        yield calls


def make_data(n=N, p=P, seed=0):
    """Valid float64 inputs: X (n, p), y (n,), sample_weight (n,)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X @ np.arange(1.0, p + 1.0) + rng.normal(size=n)
    return X, y, rng.uniform(0.5, 2.0, size=n)


def call(estimator, method, X, y, sample_weight=None, **kwargs):
    if method == "fit":
        return estimator.fit(X, y, sample_weight=sample_weight)
    return estimator.sample_posterior(X, y, sample_weight=sample_weight, **SAMPLER_KW, **kwargs)


def assert_rejected_early(estimator, method, X, y, sample_weight, exc, match, **kwargs):
    """``method`` raises ``exc`` matching ``match`` and no solver or sampler was called."""
    with forbidden() as calls:
        with pytest.raises(exc, match=match):
            call(estimator, method, X, y, sample_weight, **kwargs)
    assert calls == [], f"reached {calls} before rejecting the input"


def kwargs_id(kwargs: dict) -> str:
    return ",".join(f"{key}={value!r}" for key, value in kwargs.items())


def with_ids(cases, make_id=kwargs_id):
    """``pytest.param`` each case, its id made from its first element."""
    return [pytest.param(*case, id=make_id(case[0])) for case in cases]


def _with(index, value):
    def edit(a):
        a = a.copy()
        a[index] = value
        return a

    return edit


def _frame_with(column, values):
    def edit(X):
        df = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
        df[column] = values
        return df

    return edit


CITIES = ["Oslo", "Lima", "Pune", "Kyiv"] * (N // 4)
_strings = np.array(CITIES, dtype=object)

# (id, what to change: {"X"|"y"|"sample_weight": function of the valid array}, exception,
#  message fragment)
BAD_DATA = [
    ("X-nan", {"X": _with((3, 1), np.nan)}, ValueError, "Input X contains NaN"),
    ("X-inf", {"X": _with((0, 2), np.inf)}, ValueError, "Input X contains infinity"),
    ("X-neg-inf", {"X": _with((7, 0), -np.inf)}, ValueError, "Input X contains infinity"),
    ("y-nan", {"y": _with(5, np.nan)}, ValueError, "Input y contains NaN"),
    ("y-inf", {"y": _with(0, np.inf)}, ValueError, "Input y contains infinity"),
    ("w-nan", {"sample_weight": _with(2, np.nan)}, ValueError, "sample_weight contains NaN"),
    ("w-inf", {"sample_weight": _with(2, np.inf)}, ValueError, "sample_weight contains infin"),
    ("y-short", {"y": lambda y: y[:-1]}, ValueError, f"X has {N} samples but y has {N - 1}"),
    ("y-long", {"y": lambda y: np.r_[y, 0.0]}, ValueError, f"X has {N} samples but y has {N + 1}"),
    (
        "w-short",
        {"sample_weight": lambda w: w[:-2]},
        ValueError,
        f"sample_weight has {N - 2} entries but X has {N} samples",
    ),
    ("w-2d", {"sample_weight": lambda w: w[:, None]}, ValueError, "Sample weights must be 1D"),
    (
        "no-samples",
        {"X": lambda X: X[:0], "y": lambda y: y[:0], "sample_weight": lambda w: w[:0]},
        ValueError,
        r"Found array with 0 sample\(s\)",
    ),
    ("no-features", {"X": lambda X: X[:, :0]}, ValueError, r"Found array with 0 feature\(s\)"),
    ("X-1d", {"X": lambda X: X[:, 0]}, ValueError, "Expected 2D array, got 1D array"),
    ("X-3d", {"X": lambda X: X[:, :, None]}, ValueError, "Found array with dim 3"),
    ("X-complex", {"X": lambda X: X + 1j}, ValueError, "Complex data not supported"),
    (
        "X-object-strings",
        {"X": lambda X: np.column_stack([X[:, :1], _strings, X[:, 1:]]).astype(object)},
        ValueError,
        r"X has non-numeric values in columns \[1\]",
    ),
    (
        "X-unicode-array",
        {"X": lambda X: np.column_stack([X.astype(str)[:, :2], CITIES])},
        ValueError,
        r"X has non-numeric values in columns \[2\]",
    ),
    (
        "X-dataframe-object-strings",
        {"X": _frame_with("city", CITIES)},
        ValueError,
        r"X has non-numeric columns \['city'\]",
    ),
    (
        "X-dataframe-string-dtype",
        {"X": _frame_with("city", pd.array(CITIES, dtype="string"))},
        ValueError,
        r"X has non-numeric columns \['city'\]",
    ),
    (
        "X-dataframe-categorical",
        {"X": _frame_with("city", pd.Categorical(CITIES))},
        ValueError,
        r"X has non-numeric columns \['city'\]",
    ),
    ("y-strings", {"y": lambda y: _strings}, ValueError, "y contains non-numeric values"),
    (
        "y-two-columns",
        {"y": lambda y: np.column_stack([y, y])},
        ValueError,
        rf"y must have shape \(n_samples,\), got \({N}, 2\)",
    ),
    ("w-negative", {"sample_weight": _with(4, -1.0)}, ValueError, "Negative values in data"),
    (
        "w-all-zero",
        {"sample_weight": lambda w: np.zeros_like(w)},
        ValueError,
        "Sample weights must contain at least one non-zero number",
    ),
]


# -- the sentinels are real ---------------------------------------------------------------
# Checks the sentinels fire on valid input, so that "never called" in the other tests means
# the input was rejected before JAX rather than that the patch missed its target.
@pytest.mark.parametrize(
    ("estimator", "method", "forbid", "expected"),
    [
        (bayesreg.Ridge(), "fit", ("solve_map",), ["solve_map"]),
        (bayesreg.Lasso(alpha=0.1), "fit", ("_cd_loop",), ["_cd_loop"]),
        (bayesreg.ElasticNet(alpha=0.1), "fit", ("_cd_loop",), ["_cd_loop"]),
        (bayesreg.Lasso(alpha=0.1), "sample_posterior", ("sample_linear_posterior",), None),
        (bayesreg.Ridge(), "sample_posterior", ("sample_normal_inverse_gamma",), None),
    ],
    ids=["solve_map", "cd_loop-lasso", "cd_loop-enet", "sampler", "exact-sampler"],
)
def test_sentinels_fire_on_valid_input(estimator, method, forbid, expected):
    X, y, w = make_data()
    with forbidden(*forbid) as calls:
        with pytest.raises(AssertionError, match="was called"):
            call(estimator, method, X, y, w)
    assert calls == (expected or list(forbid))


# -- bad data, for fit and sample_posterior of every estimator -----------------------------
# Checks each kind of bad X / y / sample_weight raises the named error before any solver
# or sampler runs.
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("estimator_cls", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    ("edits", "exc", "match"), [case[1:] for case in BAD_DATA], ids=[c[0] for c in BAD_DATA]
)
def test_bad_data_is_rejected_before_jax(estimator_cls, method, edits, exc, match):
    X, y, w = make_data()
    inputs = {"X": X, "y": y, "sample_weight": w}
    for name, edit in edits.items():
        inputs[name] = edit(inputs[name])
    assert_rejected_early(estimator_cls(), method, **inputs, exc=exc, match=match)


# Checks a numpy object array holding a non-number object (not a string) gives a TypeError
# that names the column, as scikit-learn's own conversion does (without the column).
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("estimator_cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_object_cell_in_X_is_a_type_error_naming_the_column(estimator_cls, method):
    X, y, w = make_data()
    X = X.astype(object)
    X[4, 2] = {"not": "a number"}
    assert_rejected_early(
        estimator_cls(),
        method,
        X,
        y,
        w,
        exc=TypeError,
        match=r"X has non-numeric values in columns \[2\].*must be a string or a real number",
    )


# Checks a single NaN or infinity anywhere in X, y or sample_weight, for random shapes, is
# reported as such before any solver or sampler runs.
@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    n=st.integers(2, 25),
    p=st.integers(1, 6),
    where=st.sampled_from(["X", "y", "sample_weight"]),
    value=st.sampled_from([math.nan, math.inf, -math.inf]),
    estimator_cls=st.sampled_from(ESTIMATORS),
    method=st.sampled_from(METHODS),
)
def test_single_non_finite_value_anywhere_is_rejected(
    data, n, p, where, value, estimator_cls, method
):
    X, y, w = make_data(n, p)
    inputs = {"X": X, "y": y, "sample_weight": w}
    target = inputs[where]
    index = tuple(data.draw(st.integers(0, size - 1)) for size in target.shape)
    target[index] = value
    kind = "NaN" if math.isnan(value) else "infinity"
    match = f"Input {where} contains {kind}"
    assert_rejected_early(estimator_cls(), method, **inputs, exc=ValueError, match=match)


# Checks that X and y of different lengths are reported with both lengths, X's first.
@settings(max_examples=30, deadline=None)
@given(
    n_X=st.integers(1, 30),
    n_y=st.integers(1, 30),
    estimator_cls=st.sampled_from(ESTIMATORS),
    method=st.sampled_from(METHODS),
)
def test_length_mismatch_names_both_lengths(n_X, n_y, estimator_cls, method):
    if n_X == n_y:
        n_y += 1
    X, _, _ = make_data(n_X)
    _, y, _ = make_data(n_y)
    match = f"X has {n_X} samples but y has {n_y}"
    assert_rejected_early(estimator_cls(), method, X, y, None, exc=ValueError, match=match)


# -- bad hyperparameters -----------------------------------------------------------------
BAD_PARAMS = [
    ({"alpha": -1.0}, "'alpha' parameter"),
    ({"alpha": -1e-300}, "'alpha' parameter"),
    ({"alpha": math.nan}, "'alpha' parameter"),
    ({"alpha": math.inf}, "'alpha' parameter"),
    ({"alpha": "strong"}, "'alpha' parameter"),
    ({"tol": -1e-4}, "'tol' parameter"),
    ({"tol": math.nan}, "'tol' parameter"),
    ({"max_iter": 0}, "'max_iter' parameter"),
    ({"fit_intercept": "yes"}, "'fit_intercept' parameter"),
    ({"positive": None}, "'positive' parameter"),
]
BAD_L1_RATIOS = [1.5, -0.1, 1 + 1e-12, math.nan, math.inf, "half"]


# Checks invalid alpha, tol, max_iter and flags are refused, naming the parameter, before
# any solver or sampler runs.
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("estimator_cls", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(("params", "match"), with_ids(BAD_PARAMS))
def test_bad_hyperparameters_are_rejected(estimator_cls, method, params, match):
    X, y, w = make_data()
    assert_rejected_early(estimator_cls(**params), method, X, y, w, exc=ValueError, match=match)


# Checks l1_ratio outside [0, 1] (NaN included) is refused by ElasticNet.
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("l1_ratio", BAD_L1_RATIOS, ids=repr)
def test_l1_ratio_outside_unit_interval_is_rejected(method, l1_ratio):
    X, y, w = make_data()
    estimator = bayesreg.ElasticNet(l1_ratio=l1_ratio)
    assert_rejected_early(estimator, method, X, y, w, exc=ValueError, match="'l1_ratio' parameter")


# Checks that any negative alpha, however small, is refused (and NaN), for every estimator.
@settings(max_examples=40, deadline=None)
@given(
    alpha=st.floats(max_value=0.0, exclude_max=True, allow_infinity=True) | st.just(math.nan),
    estimator_cls=st.sampled_from(ESTIMATORS),
)
def test_any_negative_alpha_is_rejected(alpha, estimator_cls):
    X, y, w = make_data()
    assert_rejected_early(
        estimator_cls(alpha=alpha), "fit", X, y, w, exc=ValueError, match="'alpha' parameter"
    )


# -- sample_posterior's own arguments -------------------------------------------------------
BAD_SAMPLER_ARGS = [
    ({"num_samples": 0}, ValueError, "num_samples must be an integer >= 1, got 0"),
    ({"num_samples": -5}, ValueError, "num_samples must be an integer >= 1"),
    ({"num_samples": 10.0}, ValueError, "num_samples must be an integer >= 1, got 10.0"),
    ({"num_samples": True}, ValueError, "num_samples must be an integer >= 1, got True"),
    ({"num_samples": "100"}, ValueError, "num_samples must be an integer >= 1"),
    ({"num_samples": None}, ValueError, "num_samples must be an integer >= 1"),
    ({"num_chains": 0}, ValueError, "num_chains must be an integer >= 1, got 0"),
    ({"num_chains": -1}, ValueError, "num_chains must be an integer >= 1"),
    ({"num_chains": 2.5}, ValueError, "num_chains must be an integer >= 1"),
    ({"num_chains": np.int64(0)}, ValueError, "num_chains must be an integer >= 1"),
    ({"num_warmup": -1}, ValueError, "num_warmup must be an integer >= 0"),
    ({"noise_prior": "half-cauchy"}, TypeError, "noise_prior must be a numpyro distribution"),
    ({"random_state": "seed"}, ValueError, "cannot be used to seed"),
]


# Checks invalid num_samples / num_chains / num_warmup / noise_prior / random_state are
# refused before the MAP fit and before the sampler.
@pytest.mark.parametrize("estimator_cls", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(("kwargs", "exc", "match"), with_ids(BAD_SAMPLER_ARGS))
def test_bad_sampler_arguments_are_rejected(estimator_cls, kwargs, exc, match):
    X, y, w = make_data()
    estimator = estimator_cls()
    with forbidden() as calls:
        with pytest.raises(exc, match=match):
            estimator.sample_posterior(X, y, sample_weight=w, **{**SAMPLER_KW, **kwargs})
    assert calls == []
    assert not hasattr(estimator, "coef_"), "the MAP was fitted before the arguments failed"


# Checks the posterior needs two observations with positive weight (one without an
# intercept): with one, the error says so before the fit or the sampler.
@pytest.mark.parametrize("estimator_cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_posterior_needs_two_weighted_observations(estimator_cls):
    X, y, w = make_data()
    w = np.zeros(N)
    w[3] = 1.0
    assert_rejected_early(
        estimator_cls(),
        "sample_posterior",
        X,
        y,
        w,
        exc=ValueError,
        match="needs at least 2 observations with positive weight",
    )


# Checks the smallest valid sampler arguments (num_samples=1, num_warmup=0, num_chains=1)
# pass validation and reach the sampler unchanged (the sampler is a recording stub).
@pytest.mark.parametrize("estimator_cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_smallest_sampler_arguments_are_accepted(estimator_cls, monkeypatch):
    X, y, w = make_data()
    seen = {}

    def record(data, prior, **kwargs):
        seen.update(kwargs)
        return "posterior"

    monkeypatch.setattr(estimators_module, "sample_linear_posterior", record)
    # Ridge draws its normal-inverse-gamma posterior exactly: no warm-up to pass on.
    monkeypatch.setattr(estimators_module, "sample_normal_inverse_gamma", record)
    result = estimator_cls().sample_posterior(
        X, y, sample_weight=w, num_samples=1, num_warmup=0, num_chains=1
    )
    assert result == "posterior"
    assert (seen["num_samples"], seen.get("num_warmup", 0), seen["num_chains"]) == (1, 0, 1)


# -- predict -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted():
    """One fitted estimator of each kind on the valid data (fitted outside the sentinels)."""
    X, y, _ = make_data()
    return {cls.__name__: cls(alpha=0.1).fit(X, y) for cls in ESTIMATORS}


BAD_PREDICT = [
    ("too-few-features", lambda X: X[:, :2], ValueError, "X has 2 features, but {} is expecting 3"),
    ("too-many-features", lambda X: np.c_[X, X], ValueError, "X has 6 features, but {} is expec"),
    ("nan", _with((1, 1), np.nan), ValueError, "Input X contains NaN"),
    ("inf", _with((1, 1), np.inf), ValueError, "Input X contains infinity"),
    ("1d", lambda X: X[0], ValueError, "Expected 2D array, got 1D array"),
    (
        "object-strings",
        lambda X: np.column_stack([X[:, :2], _strings]).astype(object),
        ValueError,
        r"X has non-numeric values in columns \[2\]",
    ),
    (
        "dataframe-strings",
        lambda X: pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "city": CITIES}),
        ValueError,
        r"X has non-numeric columns \['city'\]",
    ),
]


# Checks predict rejects a wrong number of features and malformed X with the named error.
@pytest.mark.parametrize("name", [cls.__name__ for cls in ESTIMATORS])
@pytest.mark.parametrize(
    ("edit", "exc", "match"), [c[1:] for c in BAD_PREDICT], ids=[c[0] for c in BAD_PREDICT]
)
def test_predict_rejects_bad_X(fitted, name, edit, exc, match):
    X, _, _ = make_data()
    with forbidden() as calls:
        with pytest.raises(exc, match=match.format(name)):
            fitted[name].predict(edit(X))
    assert calls == []


# Checks predict before fit raises NotFittedError.
@pytest.mark.parametrize("estimator_cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_predict_before_fit_is_not_fitted_error(estimator_cls):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        estimator_cls().predict(make_data()[0])


# -- inputs are left alone, and accepted forms agree --------------------------------------
# Checks fit and predict leave the caller's float64 C-contiguous arrays (the case where
# no defensive copy is made on the way in) exactly as they were.
@pytest.mark.parametrize("params", [{}, {"positive": True}, {"fit_intercept": False}], ids=repr)
@pytest.mark.parametrize("estimator_cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_fit_does_not_modify_arrays(estimator_cls, params):
    X, y, w = make_data()
    X_before, y_before, w_before = X.copy(), y.copy(), w.copy()
    estimator = estimator_cls(alpha=0.1, **params).fit(X, y, sample_weight=w)
    estimator.predict(X)
    assert_array_equal(X, X_before)
    assert_array_equal(y, y_before)
    assert_array_equal(w, w_before)


# Checks fit and predict leave the caller's DataFrame and Series (values, dtypes, columns
# and index) as they were.
@pytest.mark.parametrize("estimator_cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_fit_does_not_modify_dataframes(estimator_cls):
    X, y, w = make_data()
    index = pd.RangeIndex(100, 100 + N)
    df = pd.DataFrame(
        {"a": X[:, 0], "b": X[:, 1].astype(np.float32), "c": (X[:, 2] > 0)}, index=index
    )
    y_s, w_s = pd.Series(y, index=index, name="target"), pd.Series(w, index=index)
    df_before, y_before, w_before = df.copy(deep=True), y_s.copy(), w_s.copy()
    estimator = estimator_cls(alpha=0.1).fit(df, y_s, sample_weight=w_s)
    estimator.predict(df)
    pd.testing.assert_frame_equal(df, df_before)
    pd.testing.assert_series_equal(y_s, y_before)
    pd.testing.assert_series_equal(w_s, w_before)
    assert list(estimator.feature_names_in_) == ["a", "b", "c"]


# Checks a DataFrame column of dtype object that holds numbers is accepted (scikit-learn
# converts it) and gives the same fit as the float column.
@pytest.mark.parametrize("estimator_cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_object_column_of_numbers_is_accepted(estimator_cls):
    X, y, _ = make_data()
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df_object = df.astype({"b": object})
    expected = estimator_cls(alpha=0.1).fit(df, y).coef_
    assert_allclose(estimator_cls(alpha=0.1).fit(df_object, y).coef_, expected, rtol=1e-12)


# Checks y of shape (n, 1) warns as scikit-learn does and fits exactly as y of shape (n,).
@pytest.mark.parametrize("estimator_cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_column_vector_y_warns_and_fits_like_1d(estimator_cls):
    X, y, w = make_data()
    flat = estimator_cls(alpha=0.1).fit(X, y, sample_weight=w)
    with pytest.warns(DataConversionWarning, match="column-vector y was passed"):
        column = estimator_cls(alpha=0.1).fit(X, y[:, None], sample_weight=w)
    assert_allclose(column.coef_, flat.coef_, rtol=1e-12, atol=1e-14)
    assert column.intercept_ == pytest.approx(flat.intercept_, rel=1e-12, abs=1e-14)
    assert column.predict(X).shape == (N,)


# -- the prior objects -------------------------------------------------------------------
BAD_SCALES = [
    (0.0, ValueError, r"scale must be a finite number > 0, got 0\.0"),
    (-1.0, ValueError, "scale must be a finite number > 0, got -1"),
    (math.nan, ValueError, "scale must be a finite number > 0, got nan"),
    (math.inf, ValueError, "scale must be a finite number > 0, got inf"),
    (-math.inf, ValueError, "scale must be a finite number > 0"),
    (np.float32(-2.0), ValueError, "scale must be a finite number > 0"),
    ("a", TypeError, "scale must be a real number, got 'a'"),
    (None, TypeError, "scale must be a real number, got None"),
]


# Checks Gaussian and Laplace refuse a scale that is not a finite positive number.
@pytest.mark.parametrize("prior_cls", [Gaussian, Laplace], ids=lambda c: c.__name__)
@pytest.mark.parametrize(("scale", "exc", "match"), with_ids(BAD_SCALES, repr))
def test_prior_scale_must_be_finite_positive(prior_cls, scale, exc, match):
    with pytest.raises(exc, match=match):
        prior_cls(scale=scale)


# Checks bool, complex, list and bad concrete-array scales are refused too.
@pytest.mark.parametrize("prior_cls", [Gaussian, Laplace], ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "scale",
    [True, np.array(-1.0), np.array(0.0), 1 + 2j, [1.0], np.ones(2)],
    ids=repr,
)
def test_prior_scale_rejects_bool_and_bad_arrays(prior_cls, scale):
    with pytest.raises((ValueError, TypeError), match="scale must be"):
        prior_cls(scale=scale)


BAD_ELASTIC_NET = [
    ({"l1": 0.0, "l2": 0.0}, ValueError, "l1 and l2 cannot both be 0"),
    ({"l1": -1.0, "l2": 1.0}, ValueError, "l1 must be a finite number >= 0"),
    ({"l1": 1.0, "l2": -1.0}, ValueError, "l2 must be a finite number >= 0"),
    ({"l1": math.nan, "l2": 1.0}, ValueError, "l1 must be a finite number >= 0, got nan"),
    ({"l1": 1.0, "l2": math.inf}, ValueError, "l2 must be a finite number >= 0, got inf"),
    ({"l1": "a", "l2": 1.0}, TypeError, "l1 must be a real number"),
]


# Checks ElasticNetPrior refuses negative, non-finite or non-numeric rates, and both zero.
@pytest.mark.parametrize(("kwargs", "exc", "match"), with_ids(BAD_ELASTIC_NET))
def test_elastic_net_prior_rates(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        ElasticNetPrior(**kwargs)


_ALPHA = "alpha must be a finite number >= 0"
_N = "n_samples must be a finite number > 0"
_NOISE = "noise_scale must be a finite number > 0"
BAD_CONVERSIONS = [
    (Gaussian.from_alpha, (-1.0,), ValueError, _ALPHA),
    (Gaussian.from_alpha, (math.nan,), ValueError, _ALPHA),
    (Gaussian.from_alpha, (1.0, 0.0), ValueError, _NOISE),
    (Laplace.from_alpha, (-0.5, 10), ValueError, _ALPHA),
    (Laplace.from_alpha, (1.0, 0), ValueError, _N),
    (Laplace.from_alpha, (1.0, -3), ValueError, _N),
    (Laplace.from_alpha, (1.0, None), TypeError, "n_samples must be a real number"),
    (ElasticNetPrior.from_alpha, (-1.0, 0.5, 10), ValueError, _ALPHA),
    (ElasticNetPrior.from_alpha, (1.0, 0.5, 0), ValueError, _N),
    (ElasticNetPrior.from_alpha, (1.0, 1.5, 10), ValueError, r"l1_ratio must be in \[0, 1\]"),
    (ElasticNetPrior.from_alpha, (1.0, math.nan, 10), ValueError, r"l1_ratio must be in \["),
    (ElasticNetPrior.from_alpha, (1.0, "a", 10), TypeError, "l1_ratio must be a real number"),
    (Laplace(1.0).to_alpha, (0,), ValueError, _N),
    (Gaussian(1.0).to_alpha, (-1.0,), ValueError, _NOISE),
    (ElasticNetPrior(1.0, 1.0).to_alpha, (0,), ValueError, _N),
]


def _conversion_id(case) -> str:
    convert, args = case[:2]
    return f"{convert.__qualname__}{args!r}"


# Checks the alpha conversions refuse a negative or NaN alpha, a non-positive sample count
# or noise scale, and an l1_ratio outside [0, 1].
@pytest.mark.parametrize(
    ("convert", "args", "exc", "match"),
    [pytest.param(*case, id=_conversion_id(case)) for case in BAD_CONVERSIONS],
)
def test_alpha_conversions_reject_bad_arguments(convert, args, exc, match):
    with pytest.raises(exc, match=match):
        convert(*args)
