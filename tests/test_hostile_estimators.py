"""Hostile input against every estimator: the right answer or a clear error, never a NaN.

Each estimator's ``fit``, ``predict``, ``score``, ``sample_posterior``,
``predict(return_std=True)`` and ``sample_y`` is given data that hypothesis corrupts in
one way (:data:`CORRUPTIONS`): NaN or infinity in a random cell, empty rows or columns,
1-D or 3-D ``X``, ``y`` of the wrong length or with several columns, strings, objects,
complex numbers, dates, categories and missing values (numpy arrays and pandas frames),
integer, float32, bool and string-encoded numbers, constant and duplicate columns,
``X`` or ``y`` scaled by 1e-8 or 1e8 (and by 1e±200, past what float64 squares hold), a
single sample, a single class, and bad sample weights.  Every call goes through
:func:`_hostile.answer_or_clear_error`, which counts it for the end-of-run summary
("HOSTILE INPUT Ridge.fit: ...") and fails on a JAX traceback or an exception other than
a clear ValueError / TypeError; a warning (overflow, convergence) fails the test too,
since pytest turns warnings into errors.

What "the right answer" is depends on the corruption (:class:`Expect`):

* ``SAME``: the input is a different spelling of valid float64 data (ints, float32,
  bools, numeric strings, lists, DataFrames, a column-vector ``y``, string class
  labels): the answer must equal the fit on that float64 data, to 1e-9 relative (the
  solvers are deterministic; the slack is BLAS summation order on copied arrays);
* ``REFERENCE``: constant and duplicate columns, rescaled data, a single sample, all
  columns constant: the answer must be scikit-learn's (or, where scikit-learn has no such
  estimator, an exact identity of the model), with tolerances stated at each check;
* ``REJECT``: NaN, infinity, empty, wrong shapes, non-numbers, a single class, bad
  weights, magnitudes whose squares overflow float64: there is no right answer, so an
  answer fails the test.
"""

from __future__ import annotations

import enum
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import scipy.linalg
import scipy.sparse
import sklearn.linear_model as sk
from _hostile import answer_or_clear_error, assert_finite
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning

import bayesreg
import bayesreg.estimators as estimators_module
import bayesreg.glm as glm_module
import bayesreg.linear_regression as linear_regression_module

SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
SAME_RTOL = 1e-9


# == the estimators ========================================================================
@dataclass(frozen=True)
class Spec:
    """An estimator under test: how to make it, what its targets are, its reference."""

    name: str  # tally prefix: the class name
    make: Callable[[], object]
    task: str  # "regression", "classification" or "counts"
    min_samples: int = 1  # the fewest samples it fits (CV folds, a scale to estimate)
    slow: bool = False  # seconds per fit: fewer examples


SPECS = {
    "Ridge": Spec("Ridge", lambda: bayesreg.Ridge(alpha=1.0), "regression"),
    "Lasso": Spec("Lasso", lambda: bayesreg.Lasso(alpha=0.1), "regression"),
    "ElasticNet": Spec(
        "ElasticNet", lambda: bayesreg.ElasticNet(alpha=0.1, l1_ratio=0.5), "regression"
    ),
    "RidgeCV": Spec("RidgeCV", lambda: bayesreg.RidgeCV(alphas=(0.1, 1.0, 10.0)), "regression", 2),
    "LassoCV": Spec("LassoCV", lambda: bayesreg.LassoCV(alphas=4, cv=3), "regression", 3),
    "ElasticNetCV": Spec(
        "ElasticNetCV", lambda: bayesreg.ElasticNetCV(alphas=4, cv=3), "regression", 3
    ),
    "BayesianRidge": Spec("BayesianRidge", bayesreg.BayesianRidge, "regression"),
    "LinearRegression": Spec("LinearRegression", bayesreg.LinearRegression, "regression"),
    "LinearRegression-laplace": Spec(
        "LinearRegression",
        lambda: bayesreg.LinearRegression(prior=bayesreg.Laplace(1.0)),
        "regression",
    ),
    "LinearRegression-student_t": Spec(
        "LinearRegression",
        lambda: bayesreg.LinearRegression(likelihood="student_t"),
        "regression",
        2,
        slow=True,
    ),
    "LogisticRegression": Spec(
        "LogisticRegression", lambda: bayesreg.LogisticRegression(C=1.0), "classification", 2
    ),
    "PoissonRegressor": Spec(
        "PoissonRegressor", lambda: bayesreg.PoissonRegressor(alpha=1.0), "counts"
    ),
}
FAST = [key for key, spec in SPECS.items() if not spec.slow]


def clean_data(n: int, p: int, seed: int, task: str) -> tuple[np.ndarray, np.ndarray]:
    """Valid float64 data: X (n, p) standard normal, y a linear signal plus noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    eta = X @ np.linspace(1.0, -1.0, p) + 0.5 * rng.normal(size=n)
    if task == "classification":
        y = (eta > np.median(eta)).astype(np.int64)
        if n >= 2 and y.min() == y.max():
            y[0] = 1 - y[0]
        return X, y
    if task == "counts":
        return X, rng.poisson(np.exp(0.3 * eta)).astype(np.float64)
    return X, 2.0 + eta


# == the corruptions =======================================================================
class Expect(enum.Enum):
    SAME = "the fit on the float64 data"
    REFERENCE = "scikit-learn's answer, or an identity of the model"
    REJECT = "a clear error"


@dataclass
class Hostile:
    """One corrupted input and what must come of it."""

    name: str
    X: object
    y: object
    expect: Expect
    X64: np.ndarray | None = None  # SAME: the float64 data it stands for
    y64: np.ndarray | None = None
    sample_weight: object = None
    ignore: tuple = ()  # warning categories the corruption legitimately raises


def _cell(draw, shape) -> tuple[int, ...]:
    return tuple(draw(st.integers(0, size - 1)) for size in shape)


def _frame(X) -> pd.DataFrame:
    return pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])


WORDS = np.array(["Oslo", "Lima", "Pune", "Kyiv"], dtype=object)


REJECT_KINDS = [
    "X-nan",
    "X-inf",
    "y-nan",
    "y-inf",
    "no-rows",
    "no-columns",
    "X-1d",
    "X-3d",
    "y-2-columns",
    "y-3d",
    "y-short",
    "y-long",
    "X-complex",
    "X-words",
    "X-datetime64",
    "X-timedelta64",
    "frame-category",
    "frame-string",
    "frame-datetime",
    "frame-Int64-NA",
    "X-None",
    "y-None",
    "X-sparse",
    "X-ragged",
    "weight-nan",
    "weight-negative",
    "weight-zero",
    "weight-short",
    "X-overflow",
    "y-overflow",
    "X-underflow",
]


def _rejects(draw, X, y, task, kind=None):
    """Corruptions with no right answer: every one must be refused."""
    n, p = X.shape
    kind = kind or draw(st.sampled_from(REJECT_KINDS))
    X, y = X.copy(), y.copy()
    weight = None
    if kind == "X-nan":
        X[_cell(draw, X.shape)] = np.nan
    elif kind == "X-inf":
        X[_cell(draw, X.shape)] = draw(st.sampled_from([np.inf, -np.inf]))
    elif kind in ("y-nan", "y-inf"):
        y = y.astype(np.float64)
        y[_cell(draw, y.shape)] = np.nan if kind == "y-nan" else np.inf
    elif kind == "no-rows":
        X, y = X[:0], y[:0]
    elif kind == "no-columns":
        X = X[:, :0]
    elif kind == "X-1d":
        X = X[:, 0]
    elif kind == "X-3d":
        X = X[:, :, None]
    elif kind == "y-2-columns":
        y = np.column_stack([y, y])
    elif kind == "y-3d":
        y = y[:, None, None]
    elif kind == "y-short":
        y = y[:-1]
    elif kind == "y-long":
        y = np.r_[y, y[:1]]
    elif kind == "X-complex":
        X = X + 1j * draw(st.sampled_from([0.0, 1.0]))
    elif kind == "X-words":
        X = np.column_stack([X, WORDS[np.arange(n) % 4]]).astype(object)
    elif kind == "X-datetime64":
        X = (np.datetime64("2020-01-01") + (10 * X).astype("timedelta64[D]")).astype(
            "datetime64[D]"
        )
    elif kind == "X-timedelta64":
        X = (1000 * X).astype("timedelta64[s]")
    elif kind == "frame-category":
        X = _frame(X).assign(city=pd.Categorical(WORDS[np.arange(n) % 4]))
    elif kind == "frame-string":
        X = _frame(X).assign(city=pd.array(list(WORDS[np.arange(n) % 4]), dtype="string"))
    elif kind == "frame-datetime":
        X = _frame(X).assign(day=pd.date_range("2020-01-01", periods=n))
    elif kind == "frame-Int64-NA":
        X = _frame(X).assign(count=pd.array([None, *list(range(n - 1))], dtype="Int64"))
    elif kind == "X-None":
        X = None
    elif kind == "y-None":
        y = None
    elif kind == "X-sparse":
        X = scipy.sparse.csr_matrix(X)
    elif kind == "X-ragged":
        X = [list(row) for row in X]
        X[-1] = X[-1][:-1] if p > 1 else [*X[-1], 1.0]
    elif kind == "weight-nan":
        weight = np.ones(n)
        weight[_cell(draw, (n,))] = np.nan
    elif kind == "weight-negative":
        weight = np.ones(n)
        weight[_cell(draw, (n,))] = -1.0
    elif kind == "weight-zero":
        weight = np.zeros(n)
    elif kind == "weight-short":
        weight = np.ones(n + 1)
    elif kind == "X-overflow":
        # Squares past float64's 1.8e308: X'X is not representable.
        X = X * 10.0 ** draw(st.integers(160, 300))
    elif kind == "y-overflow":
        if task != "regression":
            y = y.astype(np.float64)
            y[0] = np.nan  # classification / counts: y cannot be rescaled; any rejection
        else:
            y = y * 10.0 ** draw(st.integers(160, 300))
    elif kind == "X-underflow":
        # A non-constant column whose spread squared is below float64's smallest number.
        j = draw(st.integers(0, p - 1))
        X[:, j] = X[:, j] * 10.0 ** -draw(st.integers(170, 300))
    return Hostile(kind, X, y, Expect.REJECT, sample_weight=weight)


SAME_KINDS = [
    "X-int64",
    "X-int8",
    "X-uint8",
    "X-float32",
    "X-float16",
    "X-bool",
    "X-numeric-strings",
    "X-object-numbers",
    "X-list",
    "X-fortran",
    "X-strided-view",
    "frame-mixed-dtypes",
    "y-column-vector",
    "y-list",
    "y-series",
    "y-int",
    "y-float32",
    "y-bool",
    "y-object",
]


def _same(draw, X, y, task, kind=None):
    """Valid data spelt another way: the answer must equal the float64 fit."""
    kind = kind or draw(st.sampled_from(SAME_KINDS))
    X64, y64 = X.copy(), y.copy()
    Xh, yh, ignore = X64, y64, ()
    if kind == "X-int64":
        X64 = np.round(4.0 * X)
        Xh = X64.astype(np.int64)
    elif kind == "X-int8":
        X64 = np.clip(np.round(20.0 * X), -128, 127)
        Xh = X64.astype(np.int8)
    elif kind == "X-uint8":
        X64 = np.clip(np.round(40.0 * X + 100.0), 0, 255)
        Xh = X64.astype(np.uint8)
    elif kind == "X-float32":
        Xh = X.astype(np.float32)
        X64 = Xh.astype(np.float64)
    elif kind == "X-float16":
        Xh = X.astype(np.float16)
        X64 = Xh.astype(np.float64)
    elif kind == "X-bool":
        Xh = X > 0
        X64 = Xh.astype(np.float64)
    elif kind == "X-numeric-strings":
        Xh = X.astype(str)  # the shortest repr: converts back exactly
    elif kind == "X-object-numbers":
        Xh = X.astype(object)
    elif kind == "X-list":
        Xh = X.tolist()
    elif kind == "X-fortran":
        Xh = np.asfortranarray(X)
    elif kind == "X-strided-view":
        wide = np.repeat(X, 2, axis=1)
        Xh = wide[:, ::2]
    elif kind == "frame-mixed-dtypes":
        frame = _frame(X)
        frame["f0"] = frame["f0"].astype(np.float32)
        X64 = X.copy()
        X64[:, 0] = X[:, 0].astype(np.float32)
        if X.shape[1] > 1:
            frame["f1"] = X[:, 1] > 0
            X64[:, 1] = X[:, 1] > 0
        Xh = frame
    elif kind == "y-column-vector":
        yh = y[:, None]
        ignore = (DataConversionWarning,)
    elif kind == "y-list":
        yh = y.tolist()
    elif kind == "y-series":
        yh = pd.Series(y, name="target", index=np.arange(100, 100 + len(y)))
    elif kind == "y-int":
        if task == "regression":
            y64 = np.round(y)
        yh = y64.astype(np.int64)
    elif kind == "y-float32":
        yh = y.astype(np.float32)
        y64 = yh.astype(np.float64)
    elif kind == "y-bool":
        if task == "classification":
            yh = y.astype(bool)  # classes False < True, as 0 < 1
        else:
            y64 = (y > np.median(y)).astype(np.float64)
            yh = y64.astype(bool)
    elif kind == "y-object":
        if task == "classification":
            yh = np.array(["no", "yes"], dtype=object)[y]  # "no" < "yes", as 0 < 1
        else:
            yh = y.astype(object)
    return Hostile(kind, Xh, yh, Expect.SAME, X64=X64, y64=y64, ignore=ignore)


def _reference(draw, X, y, task):
    """Valid but awkward data whose answer scikit-learn (or the model) fixes."""
    kind = draw(
        st.sampled_from(
            [
                "constant-column",
                "duplicate-column",
                "all-constant",
                "X-times-1e-8",
                "X-times-1e8",
                "y-times-1e-8",
                "y-times-1e8",
                "single-sample",
            ]
        )
    )
    _n, p = X.shape
    if kind == "constant-column":
        value = draw(st.sampled_from([0.0, 1.0, -3.5, 1e3]))
        at = draw(st.integers(0, p))
        X = np.insert(X, at, value, axis=1)
    elif kind == "duplicate-column":
        j = draw(st.integers(0, p - 1))
        X = np.column_stack([X, X[:, j]])
    elif kind == "all-constant":
        X = np.ones_like(X) * np.arange(1.0, p + 1.0)
    elif kind.startswith("X-times"):
        X = X * float(kind.split("-")[-1])
    elif kind.startswith("y-times"):
        if task != "regression":
            kind = "X-times-" + kind.split("-")[-1]
            X = X * float(kind.split("-")[-1])
        else:
            y = y * float(kind.split("-")[-1])
    elif kind == "single-sample":
        X, y = X[:1], y[:1]
    return Hostile(kind, X, y, Expect.REFERENCE)


#: Scales between 1e8 and the overflow guard (sums of squares up to 1e300): no
#: scikit-learn reference converges there (its own gap is rounding), so the answer is
#: checked against the estimator on the unscaled data through an exact identity.
FAR_SCALES = [1e-100, 1e-50, 1e-12, 1e12, 1e50, 1e100]


def _far_scale(draw, X, y, task):
    """``X`` or ``y`` times a far scale; X64, y64 keep the unscaled data."""
    scale = draw(st.sampled_from(FAR_SCALES))
    which = draw(st.sampled_from(["X", "y"])) if task == "regression" else "X"
    Xs, ys = (X * scale, y) if which == "X" else (X, y * scale)
    return Hostile(f"{which}-times-{scale:g}", Xs, ys, Expect.REFERENCE, X64=X, y64=y)


@st.composite
def hostile_data(draw, task: str, min_samples: int = 1):
    """A hostile input for an estimator of ``task``: a corruption of clean data."""
    n = draw(st.sampled_from([max(min_samples, 4), 12, 30]))
    p = draw(st.sampled_from([1, 3]))
    X, y = clean_data(n, p, draw(st.integers(0, 2**16)), task)
    family = draw(st.sampled_from([_rejects, _same, _reference, _far_scale]))
    return family(draw, X, y, task)


# == checking an answer ====================================================================
def _fit(spec: Spec, X, y, sample_weight=None, ignore=()):
    with warnings.catch_warnings():
        for category in ignore:
            warnings.simplefilter("ignore", category)
        return spec.make().fit(X, y, sample_weight=sample_weight)


def assert_fitted_finite(model) -> None:
    assert_finite(model.coef_, model.intercept_)
    for name in ("sigma_", "alpha_", "lambda_"):
        if hasattr(model, name) and np.ndim(getattr(model, name)) == 0:
            assert_finite(getattr(model, name))


def assert_same_fit(model, reference) -> None:
    scale = max(1.0, float(np.max(np.abs(reference.coef_), initial=0.0)))
    assert_allclose(model.coef_, reference.coef_, rtol=SAME_RTOL, atol=SAME_RTOL * scale)
    assert_allclose(model.intercept_, reference.intercept_, rtol=SAME_RTOL, atol=SAME_RTOL * scale)


def _quiet(fit):
    """scikit-learn's fit with its convergence warnings silenced (it is the reference).

    Its Newton solvers also warn when they fall back to L-BFGS on an ill-conditioned
    Hessian (rescaled data); the answer is then L-BFGS's at the same tight tol (whose
    steps may overflow: the reference is then compared by objective, or not at all).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        warnings.simplefilter("ignore", RuntimeWarning)  # its L-BFGS overflowing exp(X w)
        return fit()


def _l1_fitted_values_bound(X, model, sk_model, n) -> float:
    """How far the lasso / elastic-net fitted values of two near-optimal fits may differ.

    ``J(w) - J* >= (1 / 2n) ||X~(w - w*)||^2`` (the data term is a strongly convex
    function of the fitted values), so ``||X~ w_1 - X~ w_2|| <= sqrt(2n gap_1) +
    sqrt(2n gap_2)`` with each fit's duality gap (an upper bound on ``J(w) - J*``); plus
    rounding, 1e-9 of the fitted values' size.
    """
    gaps = max(float(model.dual_gap_), 0.0), max(float(np.max(sk_model.dual_gap_)), 0.0)
    size = float(np.linalg.norm(X @ sk_model.coef_)) + 1.0
    return sum(math.sqrt(2.0 * n * g) for g in gaps) + 1e-9 * size


def check_against_reference(key: str, hostile: Hostile, model) -> None:
    """The answer to a REFERENCE corruption is scikit-learn's, or an identity of the model."""
    assert_fitted_finite(model)
    X = np.asarray(hostile.X, dtype=np.float64)
    y = np.asarray(hostile.y, dtype=np.float64)
    n = X.shape[0]
    coef = np.atleast_2d(model.coef_)
    if hostile.name == "single-sample" or hostile.name == "all-constant":
        # scikit-learn: nothing varies, so every weight is 0 and the intercept fits y.
        assert np.all(np.abs(coef) <= 1e-12), coef
        if key == "PoissonRegressor":
            # (All-zero counts have no MAP: refused, so never here.)
            expected_intercept = math.log(np.mean(y))
        else:
            expected_intercept = float(np.mean(y))
        if key != "LogisticRegression":
            assert model.intercept_ == pytest.approx(expected_intercept, rel=1e-9, abs=1e-12)
    if hostile.name == "constant-column":
        # The centred column is 0: its weight is 0 (as scikit-learn's), the rest unchanged.
        const = np.flatnonzero(np.ptp(X, axis=0) == 0)
        scale = max(1.0, float(np.max(np.abs(coef))))
        assert np.all(np.abs(coef[:, const]) <= 1e-9 * scale), coef
        rest = np.delete(X, const, axis=1)
        without = SPECS[key].make().fit(rest, hostile.y)
        assert_allclose(
            np.delete(coef, const, axis=1), np.atleast_2d(without.coef_), rtol=1e-7, atol=1e-9
        )
        return
    if hostile.X64 is not None:  # a far scale
        check_far_scale(key, hostile, model)
        return
    reference = REFERENCES.get(key)
    if reference is not None:
        reference(hostile, model, X, y, n)


def _scale_of(hostile: Hostile) -> tuple[float, float]:
    """``(c_X, c_y)``: the factors of a far-scale corruption."""
    which, _, scale = hostile.name.split("-", 2)
    return (float(scale), 1.0) if which == "X" else (1.0, float(scale))


def check_far_scale(key: str, hostile: Hostile, model) -> None:
    """The fit on ``(c_X X, c_y y)`` is the fit on ``(X, y)`` mapped by an exact identity.

    Put ``w = (c_y / c_X) u``: the objective on the scaled data is ``c_y^2`` times the
    objective on the unscaled data in ``u``, with the penalty strength changed, so

    * least squares: ``coef = (c_y / c_X) ols(X, y)``;
    * ridge, ``||y - Xw||^2 + alpha ||w||^2``: ``coef = (c_y / c_X) ridge(X, y, alpha /
      c_X^2)``;
    * lasso, ``(1/2n) ||y - Xw||^2 + alpha ||w||_1``: ``coef = (c_y / c_X) lasso(X, y,
      alpha / (c_X c_y))``; LassoCV's grid scales by ``c_X c_y`` too and its CV errors by
      ``c_y^2``, so it picks the same point;
    * elastic net: ``coef = (c_y / c_X) enet(X, y, alpha', rho')`` with ``alpha' rho' =
      alpha rho / (c_X c_y)`` and ``alpha' (1 - rho') = alpha (1 - rho) / c_X^2``;
    * BayesianRidge, and LinearRegression with a Laplace prior: identities of the model
      that hold at any scale (ridge at ``lambda_ / alpha_``; the lasso at ``sigma_^2 /
      n``); the GLMs, whose penalty does not rescale: a certified MAP.

    Both fits are exact to a few ``cond * eps`` (cond < 1e4 for these data): weights to
    1e-6 relative, fitted values (which the lasso fixes even where its weights are not
    unique) to 1e-8.
    """
    c_X, c_y = _scale_of(hostile)
    X0, y0 = hostile.X64, hostile.y64
    ratio = c_y / c_X
    reference = None
    if key == "Ridge":
        reference = bayesreg.Ridge(alpha=1.0 / c_X**2).fit(X0, y0)
    elif key == "Lasso":
        reference = bayesreg.Lasso(alpha=0.1 / (c_X * c_y), tol=1e-12).fit(X0, y0)
    elif key == "LassoCV":
        X_c, y_c = hostile.X - np.mean(hostile.X, axis=0), hostile.y - np.mean(hostile.y)
        if np.max(np.abs(X_c.T @ y_c)) / len(y_c) <= np.finfo(np.float64).resolution:
            # scikit-learn's grid is 1e-15 throughout when alpha_max <= 1e-15 (an
            # absolute rule, not scale-free): every weight is then 0.
            assert np.all(model.coef_ == 0.0)
            return
        reference = SPECS[key].make().fit(X0, y0)
    elif key == "ElasticNet":
        # alpha' rho' = alpha rho / (c_X c_y), alpha' (1 - rho') = alpha (1 - rho) / c_X^2.
        a, b = 0.1 * 0.5 / (c_X * c_y), 0.1 * 0.5 / c_X**2
        reference = bayesreg.ElasticNet(alpha=a + b, l1_ratio=a / (a + b), tol=1e-12)
        reference.fit(X0, y0)
    elif key == "LinearRegression":
        reference = bayesreg.LinearRegression().fit(X0, y0)
    elif key == "LinearRegression-laplace":
        # No scale-free form (the prior is fixed), but at any scale the joint mode's
        # weights are the lasso at alpha = sigma_^2 / n.
        X, y = np.asarray(hostile.X), np.asarray(hostile.y)
        _laplace_identity(hostile, model, X, y, len(y))
        return
    elif key in ("LogisticRegression", "PoissonRegressor"):
        # The penalty does not rescale; the MAP must still be certified by its KKT.
        assert model.map_.certificate.converged, model.map_.certificate
        return
    elif key == "BayesianRidge":
        X, y = hostile.X, hostile.y
        ridge = bayesreg.Ridge(alpha=model.lambda_ / model.alpha_).fit(X, y)
        scale = float(np.max(np.abs(ridge.coef_)))
        assert_allclose(model.coef_, ridge.coef_, rtol=1e-7, atol=1e-9 * scale)
        return
    if reference is None:
        return  # finite (checked) is all that is known: the penalty does not rescale
    fitted = model.predict(hostile.X)
    expected = c_y * reference.predict(X0)
    assert_allclose(
        model.coef_,
        ratio * reference.coef_,
        rtol=1e-6,
        atol=1e-8 * abs(ratio) * float(np.max(np.abs(reference.coef_), initial=0.0)),
    )
    size = float(np.linalg.norm(expected))
    assert np.linalg.norm(fitted - expected) <= 1e-8 * size + 1e-300


def _ridge_reference(hostile, model, X, y, n):
    ref = sk.Ridge(alpha=1.0, solver="svd").fit(X, y)
    # Both exact to about cond(X~'X~ + I) eps; the data here have cond < 1e4.
    scale = max(1e-300, float(np.max(np.abs(ref.coef_))))
    assert_allclose(model.coef_, ref.coef_, rtol=1e-8, atol=1e-9 * scale)
    if hostile.name == "duplicate-column":
        assert model.coef_[-1] == pytest.approx(
            model.coef_[np.argmax(np.all(X[:, :-1] == X[:, [-1]], axis=0))],
            rel=1e-9,
            abs=1e-12 * scale,
        )


def _l1_reference(make_sk, strictly_convex: bool = False):
    def check(hostile, model, X, y, n):
        ref = _quiet(lambda: make_sk().fit(X, y))
        # The fitted values are unique even where the weights are not (duplicate columns).
        bound = _l1_fitted_values_bound(X, model, ref, n)
        assert np.linalg.norm(model.predict(X) - ref.predict(X)) <= bound
        if strictly_convex and hostile.name == "duplicate-column":
            # A ridge part makes the optimum unique, hence symmetric: equal halves.
            twin = int(np.argmax(np.all(X[:, :-1] == X[:, [-1]], axis=0)))
            scale = float(np.max(np.abs(model.coef_), initial=0.0))
            assert model.coef_[-1] == pytest.approx(model.coef_[twin], abs=1e-9 * scale)

    return check


def _cv_reference(make_sk, base):
    def check(hostile, model, X, y, n):
        ref = _quiet(lambda: make_sk().fit(X, y))
        if not math.isclose(model.alpha_, ref.alpha_, rel_tol=1e-9):
            # A tie of the CV errors, broken differently by rounding: both must be minima.
            ours = np.atleast_1d(model.mse_path_.mean(axis=-1))
            assert np.min(ours) == pytest.approx(np.min(ref.mse_path_.mean(axis=-1)), rel=1e-6)
        refit = base(model.alpha_).fit(X, y)
        assert_allclose(model.coef_, refit.coef_, rtol=1e-9, atol=1e-12)

    return check


def _ridge_cv_reference(hostile, model, X, y, n):
    ref = sk.RidgeCV(alphas=(0.1, 1.0, 10.0)).fit(X, y)
    assert model.best_score_ == pytest.approx(ref.best_score_, rel=1e-6, abs=1e-12)
    refit = bayesreg.Ridge(alpha=model.alpha_).fit(X, y)
    assert_allclose(model.coef_, refit.coef_, rtol=1e-9, atol=1e-12)


def _bayesian_ridge_identity(hostile, model, X, y, n):
    # The posterior mean at (alpha_, lambda_) is the ridge fit with alpha = lambda_ / alpha_.
    ridge = bayesreg.Ridge(alpha=model.lambda_ / model.alpha_).fit(X, y)
    scale = max(1e-300, float(np.max(np.abs(ridge.coef_))))
    assert_allclose(model.coef_, ridge.coef_, rtol=1e-7, atol=1e-9 * scale)


def _ols_reference(hostile, model, X, y, n):
    ref = sk.LinearRegression().fit(X, y)
    # Least-squares fitted values are unique (duplicate columns included).
    size = float(np.linalg.norm(ref.predict(X))) + 1e-300
    assert np.linalg.norm(model.predict(X) - ref.predict(X)) <= 1e-8 * size


def _laplace_identity(hostile, model, X, y, n):
    # At the joint mode the weights are the lasso at alpha = sigma^2 / (n s), s = 1: the
    # fitted values agree within the lasso's gap bound plus the joint solver's accuracy
    # in sigma (tol 1e-10 on the objective: about 1e-6 of the spread of y).
    lasso = bayesreg.Lasso(alpha=model.sigma_**2 / n, tol=1e-12).fit(X, y)
    bound = math.sqrt(2.0 * n * max(float(lasso.dual_gap_), 0.0)) + 1e-6 * float(
        np.linalg.norm(y - np.mean(y))
    )
    assert np.linalg.norm(model.predict(X) - lasso.predict(X)) <= bound


def _logistic_objective(coef, intercept, X, y) -> float:
    """scikit-learn's binary objective at C = 1: sum of log losses + ||w||^2 / 2."""
    z = X @ np.ravel(coef) + float(np.ravel(intercept)[0])
    sign = np.where(y == np.max(y), 1.0, -1.0)
    return float(np.sum(np.logaddexp(0.0, -sign * z)) + 0.5 * np.sum(np.square(coef)))


def _poisson_objective(coef, intercept, X, y) -> float:
    """scikit-learn's Poisson objective at alpha = 1, up to a constant:
    mean(exp(z) - y z) + ||w||^2 / 2 (half the mean deviance, less its y log y terms)."""
    z = X @ np.ravel(coef) + float(intercept)
    return float(np.mean(np.exp(z) - y * z) + 0.5 * np.sum(np.square(coef)))


def _glm_reference(make_sk, objective):
    def check(hostile, model, X, y, n):
        ref = _quiet(lambda: make_sk().fit(X, y))
        ours = objective(model.coef_, model.intercept_, X, y)
        theirs = objective(ref.coef_, ref.intercept_, X, y)
        # Our MAP is certified by its KKT conditions; it must be at least as good as
        # scikit-learn's Newton (or its L-BFGS fallback on rescaled data) at tol 1e-12,
        # and where both reach the optimum the weights agree (test_glm: 1e-6).
        assert model.map_.certificate.converged, model.map_.certificate
        if not math.isfinite(theirs):  # scikit-learn's fit overflowed: only ours stands
            return
        assert ours <= theirs + 1e-10 * max(1.0, abs(theirs))
        if theirs <= ours + 1e-12 * max(1.0, abs(ours)):
            scale = max(1.0, float(np.max(np.abs(ref.coef_))))
            assert_allclose(
                np.ravel(model.coef_), np.ravel(ref.coef_), rtol=1e-6, atol=1e-6 * scale
            )

    return check


_logistic_reference = _glm_reference(
    lambda: sk.LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-12, max_iter=1000),
    _logistic_objective,
)
_poisson_reference = _glm_reference(
    lambda: sk.PoissonRegressor(alpha=1.0, solver="newton-cholesky", tol=1e-12, max_iter=1000),
    _poisson_objective,
)


REFERENCES = {
    "Ridge": _ridge_reference,
    "Lasso": _l1_reference(lambda: sk.Lasso(alpha=0.1, tol=1e-14, max_iter=100_000)),
    "ElasticNet": _l1_reference(
        lambda: sk.ElasticNet(alpha=0.1, l1_ratio=0.5, tol=1e-14, max_iter=100_000),
        strictly_convex=True,
    ),
    "RidgeCV": _ridge_cv_reference,
    "LassoCV": _cv_reference(
        lambda: sk.LassoCV(alphas=4, cv=3, tol=1e-10, max_iter=100_000),
        lambda a: bayesreg.Lasso(alpha=a),
    ),
    "ElasticNetCV": _cv_reference(
        lambda: sk.ElasticNetCV(alphas=4, cv=3, tol=1e-10, max_iter=100_000),
        lambda a: bayesreg.ElasticNet(alpha=a),
    ),
    "BayesianRidge": _bayesian_ridge_identity,
    "LinearRegression": _ols_reference,
    "LinearRegression-laplace": _laplace_identity,
    "LogisticRegression": _logistic_reference,
    "PoissonRegressor": _poisson_reference,
}


def _must_reject(hostile: Hostile):
    def fail(answer):
        raise AssertionError(
            f"{hostile.name}: answered {answer!r} where there is no right answer; expected "
            "a clear error."
        )

    return fail


# == fit ===================================================================================
def check_fit(key: str, hostile: Hostile, tally) -> None:
    spec = SPECS[key]

    def call():
        return _fit(spec, hostile.X, hostile.y, hostile.sample_weight, hostile.ignore)

    if hostile.expect is Expect.REJECT:
        check = _must_reject(hostile)
    elif hostile.expect is Expect.SAME:

        def check(model):
            assert_fitted_finite(model)
            assert_same_fit(model, _fit(spec, hostile.X64, hostile.y64))

    else:

        def check(model):
            check_against_reference(key, hostile, model)

    answer_or_clear_error(tally, call, check)


# Checks fit on every kind of corrupted input: rejected clearly, or the right answer.
@pytest.mark.parametrize("key", FAST)
@settings(max_examples=60, **SETTINGS)
@given(data=st.data())
def test_fit_hostile(hostile_tally, key, data):
    spec = SPECS[key]
    hostile = data.draw(hostile_data(spec.task, spec.min_samples), label="hostile")
    check_fit(key, hostile, hostile_tally(f"{spec.name}.fit"))


# The same, with many more examples (CI's slow run).
@pytest.mark.slow
@pytest.mark.parametrize("key", FAST)
@settings(max_examples=300, **SETTINGS)
@given(data=st.data())
def test_fit_hostile_many(hostile_tally, key, data):
    spec = SPECS[key]
    hostile = data.draw(hostile_data(spec.task, spec.min_samples), label="hostile")
    check_fit(key, hostile, hostile_tally(f"{spec.name}.fit"))


# Checks the Student-t likelihood's fit (seconds per fit) on fewer corrupted inputs.
@settings(max_examples=5, **SETTINGS)
@given(data=st.data())
def test_fit_hostile_student_t(hostile_tally, data):
    spec = SPECS["LinearRegression-student_t"]
    hostile = data.draw(hostile_data(spec.task, spec.min_samples), label="hostile")
    check_fit("LinearRegression-student_t", hostile, hostile_tally("LinearRegression.fit"))


# Checks the corruptions the issue names, each at least once per fast estimator.
NAMED = [
    "X-nan",
    "X-inf",
    "no-rows",
    "no-columns",
    "X-1d",
    "X-3d",
    "X-complex",
    "X-datetime64",
    "frame-category",
]


@pytest.mark.parametrize("key", FAST)
@pytest.mark.parametrize("kind", NAMED)
@settings(max_examples=1, **SETTINGS)
@given(data=st.data())
def test_named_rejections(hostile_tally, key, kind, data):
    spec = SPECS[key]
    X, y = clean_data(12, 3, 0, spec.task)
    hostile = _rejects(data.draw, X, y, spec.task, kind)
    check_fit(key, hostile, hostile_tally(f"{spec.name}.fit"))


# A single class for classification: scikit-learn refuses, and so must we.
@pytest.mark.parametrize("labels", [[1] * 6, ["a"] * 6, [True] * 6, [0]])
def test_single_class_is_a_clear_error(hostile_tally, labels):
    X = np.arange(len(labels) * 2, dtype=float).reshape(len(labels), 2)
    tally = hostile_tally("LogisticRegression.fit")
    err = answer_or_clear_error(
        tally,
        lambda: bayesreg.LogisticRegression().fit(X, labels),
        _must_reject(Hostile("single-class", X, labels, Expect.REJECT)),
    )
    assert "only one class" in str(err)


# == predict, predict_proba and score ======================================================
N_FIT, P_FIT = 20, 3


@pytest.fixture(scope="module")
def fitted():
    """Each fast estimator fitted on clean data with 3 features."""
    models = {}
    for key in FAST:
        X, y = clean_data(N_FIT, P_FIT, 1, SPECS[key].task)
        models[key] = SPECS[key].make().fit(X, y)
    return models


PREDICT_REJECTS = [
    kind
    for kind in REJECT_KINDS
    if kind.startswith(("X-", "no-", "frame-")) and kind not in ("X-overflow", "X-underflow")
]
X_SAME_KINDS = [
    "X-int64",
    "X-int8",
    "X-uint8",
    "X-float32",
    "X-float16",
    "X-bool",
    "X-numeric-strings",
    "X-object-numbers",
    "X-list",
    "X-fortran",
    "X-strided-view",
    "frame-mixed-dtypes",
]


@st.composite
def hostile_X(draw, task: str, scales=(1e-8, 1e8), p: int = P_FIT):
    """A hostile ``X`` for a model fitted on ``p`` features: refused, or a valid spelling."""
    X, y = clean_data(draw(st.sampled_from([1, 7])), p, draw(st.integers(0, 2**16)), task)
    family = draw(st.sampled_from(["reject", "same", "scale", "features"]))
    if family == "reject":
        return _rejects(draw, X, y, task, draw(st.sampled_from(PREDICT_REJECTS)))
    if family == "same":
        return _same(draw, X, y, task, draw(st.sampled_from(X_SAME_KINDS)))
    if family == "scale":
        scale = draw(st.sampled_from(scales))
        return Hostile(f"X-times-{scale:g}", X * scale, y, Expect.SAME, X64=X * scale, y64=y)
    columns = draw(st.sampled_from([p - 1, p + 1]))
    wrong = clean_data(len(X), columns, 0, task)[0]
    return Hostile(f"{columns}-features", wrong, y, Expect.REJECT)


def _check_same_output(expected_call):
    """The answer must equal the output on the float64 data (``expected_call()``)."""

    def check(answer):
        assert_finite(*(np.asarray(a, dtype=float) for a in np.atleast_1d(answer)))
        expected = expected_call()
        if isinstance(expected, tuple):
            for got, want in zip(answer, expected, strict=True):
                assert_allclose(got, want, rtol=SAME_RTOL, atol=1e-300)
        elif np.asarray(expected).dtype.kind in "fc":
            assert_allclose(answer, expected, rtol=SAME_RTOL, atol=1e-300)
        else:
            np.testing.assert_array_equal(answer, expected)

    return check


def _unnamed_model(call):
    """``call()``, letting pass scikit-learn's warning that a DataFrame meets a model fitted
    on an array (its documented behaviour: it warns and uses the columns in order)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "X has feature names", UserWarning)
        return call()


def check_method(tally, hostile: Hostile, method, *args, **kwargs) -> None:
    """``method(hostile.X, *args)``: refused, or equal to ``method(X64, *args)``."""
    if hostile.expect is Expect.REJECT:
        check = _must_reject(hostile)
    else:
        check = _check_same_output(lambda: method(hostile.X64, *args, **kwargs))
    answer_or_clear_error(
        tally, lambda: _unnamed_model(lambda: method(hostile.X, *args, **kwargs)), check
    )


# Checks predict (and LogisticRegression's predict_proba) on corrupted X: refused, or the
# prediction on the float64 data; a wrong number of features is refused.
@pytest.mark.parametrize("key", FAST)
@settings(max_examples=40, **SETTINGS)
@given(data=st.data())
def test_predict_hostile(hostile_tally, fitted, key, data):
    spec, model = SPECS[key], fitted[key]
    # exp(X w) overflows for a Poisson model at X of order 1e8: only shrink its X.
    scales = (1e-8,) if spec.task == "counts" else (1e-8, 1e8)
    hostile = data.draw(hostile_X(spec.task, scales), label="hostile")
    check_method(hostile_tally(f"{spec.name}.predict"), hostile, model.predict)
    if spec.task == "classification":
        check_method(hostile_tally(f"{spec.name}.predict_proba"), hostile, model.predict_proba)


SCORE_REJECTS = [k for k in REJECT_KINDS if k not in ("X-overflow", "X-underflow", "y-overflow")]


# Checks score on corrupted X and y: refused, or the score on the float64 data.  A single
# sample has no R^2 (nor Poisson D^2): refused too.
@pytest.mark.parametrize("key", FAST)
@settings(max_examples=40, **SETTINGS)
@given(data=st.data())
def test_score_hostile(hostile_tally, fitted, key, data):
    spec, model = SPECS[key], fitted[key]
    X, y = clean_data(
        data.draw(st.sampled_from([4, 9])), P_FIT, data.draw(st.integers(0, 99)), spec.task
    )
    family = data.draw(st.sampled_from(["reject", "same", "single"]))
    if family == "reject":
        hostile = _rejects(data.draw, X, y, spec.task, data.draw(st.sampled_from(SCORE_REJECTS)))
    elif family == "same":
        hostile = _same(data.draw, X, y, spec.task)
    else:
        hostile = Hostile("single-sample", X[:1], y[:1], Expect.REJECT, X64=X[:1], y64=y[:1])
        if spec.task == "classification":  # accuracy on one sample is defined
            hostile.expect = Expect.SAME
    tally = hostile_tally(f"{spec.name}.score")

    def call():
        with warnings.catch_warnings():
            for category in hostile.ignore:
                warnings.simplefilter("ignore", category)
            return _unnamed_model(
                lambda: model.score(hostile.X, hostile.y, sample_weight=hostile.sample_weight)
            )

    if hostile.expect is Expect.REJECT:
        check = _must_reject(hostile)
    else:
        check = _check_same_output(lambda: model.score(hostile.X64, hostile.y64))
    answer_or_clear_error(tally, call, check)


# == sample_posterior: rejected before the sampler =========================================
SAMPLER_KW = {"num_samples": 20, "num_warmup": 20, "num_chains": 1, "random_state": 0}
REACHED = "the sampler was reached"


class SamplerRecorder:
    """Stands in for the samplers (NUTS, Ridge's exact draws): records the data, samples nothing."""

    def __init__(self):
        self.calls: list[tuple[np.ndarray, np.ndarray]] = []

    def linear(self, data, prior, **kwargs):
        self.calls.append((data.X, data.y))
        return REACHED

    def glm(self, family, X, y, *args, **kwargs):
        self.calls.append((X, y))
        return REACHED


SAMPLED = [key for key in FAST if key != "BayesianRidge"]


# Checks sample_posterior on corrupted data: what has no right answer is refused before
# the sampler; what is valid reaches it as the float64 data (or clean, finite data).
@pytest.mark.parametrize("key", SAMPLED)
@settings(max_examples=40, **SETTINGS)
@given(data=st.data())
def test_sample_posterior_rejects_before_the_sampler(hostile_tally, monkeypatch, key, data):
    recorder = SamplerRecorder()
    monkeypatch.setattr(estimators_module, "sample_linear_posterior", recorder.linear)
    monkeypatch.setattr(estimators_module, "sample_normal_inverse_gamma", recorder.linear)
    monkeypatch.setattr(linear_regression_module, "sample_linear_posterior", recorder.linear)
    monkeypatch.setattr(glm_module, "_sample", recorder.glm)
    spec = SPECS[key]
    hostile = data.draw(hostile_data(spec.task, spec.min_samples), label="hostile")
    tally = hostile_tally(f"{spec.name}.sample_posterior")
    kwargs = {} if key == "BayesianRidge" else dict(SAMPLER_KW)

    def call():
        with warnings.catch_warnings():
            for category in hostile.ignore:
                warnings.simplefilter("ignore", category)
            return spec.make().sample_posterior(
                hostile.X, hostile.y, sample_weight=hostile.sample_weight, **kwargs
            )

    def check(answer):
        assert answer == REACHED
        ((X_seen, y_seen),) = recorder.calls
        assert_finite(X_seen, y_seen)
        if hostile.expect is Expect.SAME:
            assert_allclose(X_seen, hostile.X64, rtol=0, atol=0)
            if spec.task != "classification":
                assert_allclose(y_seen, hostile.y64, rtol=0, atol=0)

    if hostile.expect is Expect.REJECT:
        err = answer_or_clear_error(tally, call, _must_reject(hostile))
        assert recorder.calls == [], f"{hostile.name} reached the sampler before {err!r}"
    else:
        answer_or_clear_error(tally, call, check)


# Checks sample_posterior's own settings -- draws, warm-up, chains, seed, priors of the
# noise and of alpha, the target acceptance -- are refused before the fit and the sampler.
BAD_SAMPLER_SETTINGS = [
    ("num_samples", 0),
    ("num_samples", 2.5),
    ("num_samples", True),
    ("num_warmup", -1),
    ("num_warmup", None),
    ("num_chains", 0),
    ("num_chains", "2"),
    ("random_state", "seed"),
    ("random_state", -1),
    ("noise_prior", "halfnormal"),
    ("noise_prior", 1.0),
    ("alpha_prior", "gamma"),
    ("target_accept_prob", 0.0),
    ("target_accept_prob", 1.0),
    ("target_accept_prob", math.nan),
    ("target_accept_prob", "0.9"),
]


@pytest.mark.parametrize("key", ["Ridge", "Lasso", "LinearRegression", "LogisticRegression"])
@pytest.mark.parametrize(("name", "value"), BAD_SAMPLER_SETTINGS, ids=repr)
def test_sample_posterior_settings_hostile(hostile_tally, monkeypatch, key, name, value):
    recorder = SamplerRecorder()
    monkeypatch.setattr(estimators_module, "sample_linear_posterior", recorder.linear)
    monkeypatch.setattr(estimators_module, "sample_normal_inverse_gamma", recorder.linear)
    monkeypatch.setattr(linear_regression_module, "sample_linear_posterior", recorder.linear)
    monkeypatch.setattr(glm_module, "_sample", recorder.glm)
    spec = SPECS[key]
    X, y = clean_data(12, 3, 0, spec.task)
    kwargs = {**SAMPLER_KW, name: value}
    model = spec.make()
    answer_or_clear_error(
        hostile_tally(f"{spec.name}.sample_posterior"),
        lambda: model.sample_posterior(X, y, **kwargs),
        _must_reject(Hostile(f"{name}={value!r}", X, y, Expect.REJECT)),
    )
    assert recorder.calls == [] and not hasattr(model, "coef_")


# Checks BayesianRidge's sample_posterior (exact iid draws in numpy, no sampler to stub):
# refused, or finite draws equal to those from the float64 data with the same seed.
@settings(max_examples=40, **SETTINGS)
@given(data=st.data())
def test_bayesian_ridge_sample_posterior_hostile(hostile_tally, data):
    hostile = data.draw(hostile_data("regression"), label="hostile")
    tally = hostile_tally("BayesianRidge.sample_posterior")
    kwargs = {"num_samples": 20, "num_chains": 2, "random_state": 0}

    def call():
        with warnings.catch_warnings():
            for category in hostile.ignore:
                warnings.simplefilter("ignore", category)
            return bayesreg.BayesianRidge().sample_posterior(
                hostile.X, hostile.y, sample_weight=hostile.sample_weight, **kwargs
            )

    def check(tree):
        post = tree["posterior"]
        assert_finite(post["coef"].values, post["intercept"].values, post["sigma"].values)
        if hostile.expect is Expect.SAME:
            ref = bayesreg.BayesianRidge().sample_posterior(hostile.X64, hostile.y64, **kwargs)
            assert_allclose(
                post["coef"].values, ref["posterior"]["coef"].values, rtol=SAME_RTOL, atol=1e-12
            )

    if hostile.expect is Expect.REJECT:
        answer_or_clear_error(tally, call, _must_reject(hostile))
    else:
        answer_or_clear_error(tally, call, check)


# == predict(return_std=True) and sample_y on a sampled posterior ===========================
def _awkward_data():
    """Valid but awkward data: integer X with a constant and a duplicate column, 6 rows."""
    rng = np.random.default_rng(4)
    X = rng.integers(-3, 4, size=(6, 2))
    X = np.column_stack([X, np.full(6, 7), X[:, 0]])
    return X, X[:, 0] - X[:, 1] + 0.3 * rng.normal(size=6)


P_AWKWARD = 4


@pytest.fixture(scope="module")
def sampled():
    """A Ridge (one real, tiny NUTS run) and a BayesianRidge sampled on the awkward data.

    The NUTS run is the expensive part (its compilation): it is done once, here, and
    both checked (:func:`test_sample_posterior_real_run_on_awkward_data`) and used for
    ``predict(return_std=True)`` and ``sample_y``.
    """
    X, y = _awkward_data()
    ridge = bayesreg.Ridge(alpha=1.0)
    try:
        outcome = ridge.sample_posterior(X, y, **SAMPLER_KW)
    except Exception as err:
        outcome = err
    bayes = bayesreg.BayesianRidge()
    bayes.sample_posterior(X, y, num_samples=20, num_chains=1, random_state=0)
    return {"Ridge": ridge, "BayesianRidge": bayes, "outcome": outcome}


# Checks a real (tiny) NUTS run on valid but awkward data -- integer X with a constant and
# a duplicate column, 6 samples -- gives finite draws labelled by feature, with the MAP
# kept as coef_: 0 for the constant column, equal weights for the duplicates.
def test_sample_posterior_real_run_on_awkward_data(hostile_tally, sampled):
    model = sampled["Ridge"]

    def run():
        if isinstance(sampled["outcome"], BaseException):
            raise sampled["outcome"]
        return sampled["outcome"]

    def check(tree):
        coef = tree["posterior"]["coef"]
        assert coef.sizes["feature"] == P_AWKWARD
        assert_finite(coef.values, tree["posterior"]["sigma"].values)
        assert model.coef_[2] == pytest.approx(0.0, abs=1e-12)
        assert model.coef_[0] == pytest.approx(model.coef_[3], rel=1e-9)

    answer_or_clear_error(hostile_tally("Ridge.sample_posterior"), run, check)


# Checks predict(return_std=True) on corrupted X: refused, or the float64 answer.
@pytest.mark.parametrize("key", ["Ridge", "BayesianRidge"])
@settings(max_examples=30, **SETTINGS)
@given(data=st.data())
def test_predict_return_std_hostile(hostile_tally, sampled, key, data):
    hostile = data.draw(hostile_X("regression", p=P_AWKWARD), label="hostile")
    check_method(hostile_tally(f"{key}.predict"), hostile, sampled[key].predict, return_std=True)


BAD_N_SAMPLES = [0, -1, 2.5, True, "3", None, np.float64(2.0)]
BAD_SEEDS = ["seed", -1, 2.5, 2**40, [1, 2, -3]]


# Checks sample_y on corrupted X, n_samples and random_state: refused, or the draws from
# the float64 X with the same seed.
@pytest.mark.parametrize("key", ["Ridge", "BayesianRidge"])
@settings(max_examples=30, **SETTINGS)
@given(data=st.data())
def test_sample_y_hostile(hostile_tally, sampled, key, data):
    model = sampled[key]
    tally = hostile_tally(f"{key}.sample_y")
    what = data.draw(st.sampled_from(["X", "n_samples", "random_state"]))
    if what == "X":
        hostile = data.draw(hostile_X("regression", p=P_AWKWARD), label="hostile")
        check_method(tally, hostile, model.sample_y, 3, random_state=0)
        return
    X = clean_data(5, P_AWKWARD, 3, "regression")[0]
    if what == "n_samples":
        bad = data.draw(st.sampled_from(BAD_N_SAMPLES))
        call = lambda: model.sample_y(X, bad, random_state=0)  # noqa: E731
    else:
        bad = data.draw(st.sampled_from(BAD_SEEDS))
        call = lambda: model.sample_y(X, 2, random_state=bad)  # noqa: E731
    answer_or_clear_error(
        tally, call, _must_reject(Hostile(f"{what}={bad!r}", X, None, Expect.REJECT))
    )


# == p much larger than n ===================================================================
def _wide(n: int, seed: int, p: int = 5000):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    return X, X[:, :5] @ np.array([3.0, -2.0, 1.5, 1.0, -1.0]) + 0.5 * rng.normal(size=n)


# Checks 5000 features and 20-50 samples: Ridge's weights are scikit-learn's (closed
# forms on both sides, 1e-8 relative); Lasso's fitted values are within the duality-gap
# bound of scikit-learn's at tol=1e-14.
@pytest.mark.parametrize(("key", "n"), [("Ridge", 20), ("Ridge", 50), ("Lasso", 30)])
def test_p_much_larger_than_n(hostile_tally, key, n):
    X, y = _wide(n, n)
    tally = hostile_tally(f"{key}.fit")
    hostile = Hostile("p=5000", X, y, Expect.REFERENCE)
    answer_or_clear_error(
        tally,
        lambda: SPECS[key].make().fit(X, y),
        lambda model: REFERENCES[key](hostile, model, X, y, n),
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("key", "n"),
    [
        ("ElasticNet", 30),
        ("Lasso", 50),
        ("LinearRegression", 20),
        ("BayesianRidge", 30),
        ("LassoCV", 30),
    ],
)
def test_p_much_larger_than_n_slow(hostile_tally, key, n):
    X, y = _wide(n, n)
    tally = hostile_tally(f"{SPECS[key].name}.fit")
    hostile = Hostile("p=5000", X, y, Expect.REFERENCE)
    answer_or_clear_error(
        tally,
        lambda: SPECS[key].make().fit(X, y),
        lambda model: REFERENCES[key](hostile, model, X, y, n),
    )
