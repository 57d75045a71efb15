"""Hostile input against every public function of ``bayesreg.plotting``.

Each plotting function gets, for one argument at a time, a hostile value drawn by
hypothesis: posterior draws with NaN or infinity, the wrong dimensions or none, unfitted
and unsuitable estimators, probabilities outside (0, 1), NaN, 0 and negative strengths,
grids that are not increasing, strings, None, arrays of the wrong shape.  Every call
goes through :func:`_hostile.answer_or_clear_error` (tallied per function): it must be
refused with a clear ValueError / TypeError, or draw the right picture, checked on the
numbers it returns -- the Lp boundaries have norm ``radius``, the per-coefficient
summaries are those of the draws, the path drawn is the path given, the bands are
ordered, the errors are finite and the training error is nondecreasing in alpha.
A warning (a matplotlib complaint about NaN limits, an overflow) fails the test.
"""

from __future__ import annotations

import itertools
import math

import arviz as az
import numpy as np
import pytest
import xarray as xr
from _hostile import answer_or_clear_error, assert_finite
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from numpy.testing import assert_allclose

import bayesreg
from bayesreg.plotting import (
    plot_bias_variance,
    plot_constraint,
    plot_lp_balls,
    plot_lp_balls_3d,
    plot_map_vs_posterior,
    plot_posterior_plane,
    plot_predictive_bands,
    plot_prior_penalty,
    plot_regularization_path,
    teaching_priors,
)
from bayesreg.plotting.balls import lp_norm

SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
HOSTILE_SCALARS = [
    math.nan,
    math.inf,
    -math.inf,
    0.0,
    -1.0,
    True,
    "1",
    None,
    1 + 1j,
    [0.5],
    np.array([0.5, 0.6]),
    np.datetime64("2020-01-01"),
]


def _ax():
    return Figure().add_subplot()


def _fail(what):
    def fail(answer):
        raise AssertionError(f"{what} was accepted: {answer!r}")

    return fail


def _draws_tree(values: np.ndarray, features=None, var="coef") -> xr.DataTree:
    """A posterior DataTree holding ``values`` of shape (chain, draw, feature)."""
    features = features or [f"x{j}" for j in range(values.shape[-1])]
    return az.from_dict(
        {"posterior": {var: values}}, coords={"feature": features}, dims={var: ["feature"]}
    )


# == plot_lp_balls and plot_lp_balls_3d ======================================================
HOSTILE_POWERS = [
    [],
    [math.nan],
    [0.0],
    [-1.0],
    ["1"],
    [True],
    [None],
    "12",
    None,
    [1 + 1j],
    np.array([[1.0, 2.0]]),
    [1e-300],
    [1e300],
    [math.inf],
    [0.5, 1.0],
    np.array([2.0, 3.0]),
    (np.float32(1.5),),
    2,
]
HOSTILE_RADII = [*HOSTILE_SCALARS, 1e-300, 1e300, 1.7e308, np.float32(2.0), 3]


def _valid_powers(powers):
    values = (
        (powers,) if isinstance(powers, int | float) and not isinstance(powers, bool) else powers
    )
    if isinstance(values, str) or values is None:
        return None
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if array.ndim != 1 or array.size == 0 or any(isinstance(v, bool) for v in values):
        return None
    return array if np.all(array > 0) else None


def _check_balls(powers, radius, three_d):
    def check(drawn):
        valid = _valid_powers(powers)
        number = radius if isinstance(radius, int | float | np.floating) else None
        assert valid is not None and number is not None and not isinstance(radius, bool)
        assert math.isfinite(number) and number > 0
        points = drawn.vertices if three_d else drawn.boundaries
        for p, boundary in zip(drawn.powers, points, strict=True):
            boundary = np.asarray(boundary).reshape(-1, 3 if three_d else 2)
            assert_finite(boundary)
            # Every point drawn lies on ||x||_p = radius (to a few roundings).
            norms = lp_norm(boundary, p)
            assert_allclose(norms, float(radius), rtol=1e-9)

    return check


# Checks the Lp balls (2-D and 3-D) with hostile powers and radii: refused, or every
# boundary point at Lp norm equal to the radius.
@pytest.mark.parametrize("three_d", [False, True], ids=["2d", "3d"])
@settings(max_examples=40, **SETTINGS)
@given(
    powers=st.sampled_from(HOSTILE_POWERS) | st.just((0.5, 1.0)),
    radius=st.sampled_from(HOSTILE_RADII) | st.just(1.0),
)
def test_lp_balls_hostile(hostile_tally, three_d, powers, radius):
    fig = Figure()
    valid = _valid_powers(powers)
    n = 1 if valid is None else valid.size

    def call():
        if three_d:
            axes = [fig.add_subplot(1, n, i + 1, projection="3d") for i in range(n)]
            return plot_lp_balls_3d(powers, radius=radius, ax=axes)
        return plot_lp_balls(powers, radius=radius, ax=fig.add_subplot())

    name = "plot_lp_balls_3d" if three_d else "plot_lp_balls"
    answer_or_clear_error(hostile_tally(name), call, _check_balls(powers, radius, three_d))


@pytest.mark.parametrize(
    "ax", ["axes", None, 3, [], "3d-for-2d"], ids=["string", "none-3d", "int", "empty", "3d"]
)
def test_lp_balls_axes_hostile(hostile_tally, ax):
    if ax == "3d-for-2d":
        answer_or_clear_error(
            hostile_tally("plot_lp_balls"),
            lambda: plot_lp_balls((1.0,), ax=Figure().add_subplot(projection="3d")),
            _fail("3-D axes for the 2-D balls"),
        )
        return
    if ax is None:  # one 2-D axes for the 3-D balls
        ax = Figure().add_subplot()
    answer_or_clear_error(
        hostile_tally("plot_lp_balls_3d"),
        lambda: plot_lp_balls_3d((1.0, 2.0), ax=ax),
        _fail(f"ax={ax!r}"),
    )


# == plot_prior_penalty and teaching_priors ====================================================
HOSTILE_PRIORS = [
    [],
    {},
    "laplace",
    None,
    [bayesreg.Laplace(1.0), "gaussian"],
    {"a": 1.0},
    np.array([1.0]),
    bayesreg.Laplace(1.0),
    [bayesreg.Gaussian(1.0), bayesreg.Horseshoe(1.0)],
    {"bridge": bayesreg.Bridge(0.5, 2.0)},
    [bayesreg.StudentT(3.0, 1e-100)],
    [bayesreg.Laplace(1e-300)],
]
HOSTILE_GRIDS = [
    None,
    [0.0],
    [],
    [[0.0, 1.0]],
    [1.0, 0.0],
    [0.0, 0.0, 1.0],
    [0.0, math.nan, 1.0],
    [-math.inf, 0.0],
    ["a", "b"],
    "abc",
    np.linspace(-1e300, 1e300, 5),
    np.linspace(-1e-300, 1e-300, 5),
    np.array([-2, -1, 0, 1, 2]),
    np.linspace(-3.0, 3.0, 7, dtype=np.float32),
    [True, False],
]


def _valid_priors(priors) -> list | None:
    if isinstance(priors, bayesreg.Prior):
        return [priors]
    values = list(priors.values()) if isinstance(priors, dict) else priors
    if not isinstance(values, list) or not values:
        return None
    return values if all(isinstance(p, bayesreg.Prior) for p in values) else None


def _valid_grid(w):
    if w is None:
        return np.linspace(-3.0, 3.0, 601)
    try:
        grid = np.asarray(w)
    except ValueError:
        return None
    if grid.dtype.kind not in "iuf" or grid.ndim != 1 or grid.size < 2:
        return None
    grid = grid.astype(np.float64)
    return grid if np.all(np.isfinite(grid)) and np.all(np.diff(grid) > 0) else None


# Checks plot_prior_penalty with hostile priors and grids: refused, or densities whose
# log is minus the drawn penalty plus its shift, never NaN.
@settings(max_examples=60, **SETTINGS)
@given(priors=st.sampled_from(HOSTILE_PRIORS), w=st.sampled_from(HOSTILE_GRIDS))
def test_prior_penalty_hostile(hostile_tally, priors, w):
    priors_ok, grid = _valid_priors(priors), _valid_grid(w)

    def check(drawn):
        assert priors_ok is not None and grid is not None, f"priors={priors!r}, w={w!r}"
        assert_allclose(drawn.w, grid)
        assert not np.any(np.isnan(drawn.densities)), "NaN density"
        assert not np.any(np.isnan(drawn.penalties)), "NaN penalty"
        assert np.all(drawn.densities >= 0)
        assert_finite(drawn.offsets)
        positive = (drawn.densities > 0) & np.isfinite(drawn.densities)
        # P_i(w) = -log p_i(w) - c_i where the density is positive and finite.
        expected = (
            -np.log(drawn.densities[positive])
            - np.broadcast_to(drawn.offsets[:, None], drawn.densities.shape)[positive]
        )
        assert_allclose(drawn.penalties[positive], expected, rtol=1e-9, atol=1e-9)

    answer_or_clear_error(
        hostile_tally("plot_prior_penalty"),
        lambda: plot_prior_penalty(priors, w=w, ax=Figure().subplots(1, 2)),
        check,
    )


@pytest.mark.parametrize("group", ["common", "bridge", "Common", "", None, 1, ["common"]])
def test_teaching_priors_hostile(hostile_tally, group):
    def check(priors):
        assert group in ("common", "bridge")
        assert priors and all(isinstance(p, bayesreg.Prior) for p in priors.values())

    answer_or_clear_error(hostile_tally("teaching_priors"), lambda: teaching_priors(group), check)


# == plot_map_vs_posterior =====================================================================
RNG = np.random.default_rng(0)
DRAWS = RNG.normal(size=(2, 50, 3)) + np.array([1.0, 0.0, -2.0])


def _hostile_posterior(kind: str):
    """(posterior, coef_map length, valid?) for a hostile posterior argument."""
    if kind == "nan-draw":
        values = DRAWS.copy()
        values[1, 7, 2] = np.nan
        return _draws_tree(values), False
    if kind == "inf-draw":
        values = DRAWS.copy()
        values[0, 0, 0] = np.inf
        return _draws_tree(values), False
    if kind == "no-draws":
        empty = xr.DataArray(DRAWS[:, :0], dims=("chain", "draw", "feature"), name="coef")
        return xr.DataTree.from_dict({"posterior": empty.to_dataset()}), False
    if kind == "no-chain-dim":
        return xr.DataArray(DRAWS[0], dims=("draw", "feature")), False
    if kind == "two-feature-dims":
        return xr.DataArray(DRAWS[..., None], dims=("chain", "draw", "feature", "k")), False
    if kind == "missing-var":
        return _draws_tree(DRAWS, var="beta"), False
    if kind == "numpy-array":
        return DRAWS, False
    if kind == "string":
        return "posterior", False
    if kind == "no-posterior-group":
        return xr.DataTree.from_dict(
            {"prior": xr.Dataset({"coef": (("chain", "draw", "feature"), DRAWS)})}
        ), False
    if kind == "one-draw":
        return _draws_tree(DRAWS[:1, :1]), True
    if kind == "dataset":
        return _draws_tree(DRAWS)["posterior"].to_dataset(), True
    if kind == "dataarray":
        return _draws_tree(DRAWS)["posterior"]["coef"], True
    if kind == "int-draws":
        return _draws_tree(np.round(DRAWS * 10).astype(np.int64)), True
    if kind == "float32-draws":
        return _draws_tree(DRAWS.astype(np.float32)), True
    return _draws_tree(DRAWS), True


POSTERIOR_KINDS = [
    "nan-draw",
    "inf-draw",
    "no-draws",
    "no-chain-dim",
    "two-feature-dims",
    "missing-var",
    "numpy-array",
    "string",
    "no-posterior-group",
    "one-draw",
    "dataset",
    "dataarray",
    "int-draws",
    "float32-draws",
    "clean",
]
HOSTILE_VECTORS = [
    [1.0, 0.0],
    [1.0, 0.0, -2.0, 3.0],
    [1.0, math.nan, -2.0],
    [1.0, math.inf, -2.0],
    "abc",
    None,
    [[1.0, 0.0, -2.0]],
    [True, False, True],
    np.array([1, 0, -2]),
]
HOSTILE_PROBS = [0.0, 1.0, -0.5, 1.5, math.nan, "0.9", True, None, [0.9], 0.94, 1e-300, 0.5]


# Checks plot_map_vs_posterior with a hostile posterior, MAP, reference, hdi_prob or
# near_zero: refused, or the mean and median of the draws, an interval that holds the
# median, and near-zero fractions that are fractions of the draws.
@settings(max_examples=100, **SETTINGS)
@given(
    kind=st.sampled_from(POSTERIOR_KINDS),
    slot=st.sampled_from(["posterior", "coef_map", "reference", "hdi_prob", "near_zero"]),
    data=st.data(),
)
def test_map_vs_posterior_hostile(hostile_tally, kind, slot, data):
    posterior, valid = _hostile_posterior(kind if slot == "posterior" else "clean")
    kwargs = {"coef_map": [1.0, 0.0, -2.0], "hdi_prob": 0.9}
    if slot in ("coef_map", "reference"):
        kwargs[slot] = data.draw(st.sampled_from(HOSTILE_VECTORS))
        # None is valid for both: no reference, or no MAP (a prior without a mode).
        valid = kwargs[slot] is None or _vector_ok(kwargs[slot])
    elif slot == "hdi_prob":
        kwargs["hdi_prob"] = data.draw(st.sampled_from(HOSTILE_PROBS))
        value = kwargs["hdi_prob"]
        valid = isinstance(value, float) and 0 < value < 1
    elif slot == "near_zero":
        value = data.draw(st.sampled_from([*HOSTILE_SCALARS, 0.1, [0.1, 0.2, 0.3]]))
        kwargs["near_zero"] = value
        if value is None:  # the default: no near-zero probabilities
            valid = True
        elif isinstance(value, list) and len(value) == 3:
            valid = _vector_ok(value) and min(value) > 0
        else:
            valid = isinstance(value, float) and math.isfinite(value) and value > 0

    def check(drawn):
        assert valid, f"{slot}={kwargs.get(slot, kind)!r} was accepted"
        if isinstance(posterior, xr.DataArray):
            values = posterior
        elif isinstance(posterior, xr.DataTree):
            values = posterior["posterior"]["coef"]
        else:
            values = posterior["coef"]
        draws = np.asarray(values, dtype=np.float64).reshape(-1, 3)
        assert_finite(drawn.mean, drawn.median, drawn.lower, drawn.upper)
        assert_allclose(drawn.mean, draws.mean(axis=0), rtol=1e-6)
        assert_allclose(drawn.median, np.median(draws, axis=0), rtol=1e-6)
        # An HDI is an interval between two draws (for a tiny mass, anywhere dense).
        assert np.all(drawn.lower <= drawn.upper)
        assert np.all(draws.min(axis=0) <= drawn.lower) and np.all(drawn.upper <= draws.max(axis=0))
        if drawn.prob_near_zero is not None:
            widths = np.broadcast_to(np.asarray(kwargs["near_zero"], dtype=float), (3,))
            assert_allclose(drawn.prob_near_zero, np.mean(np.abs(draws) < widths, axis=0))

    answer_or_clear_error(
        hostile_tally("plot_map_vs_posterior"),
        lambda: plot_map_vs_posterior(posterior, ax=_ax(), **kwargs),
        check,
    )


def _vector_ok(values) -> bool:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if isinstance(values, list) and any(isinstance(v, bool) for v in values):
        return False
    return array.shape == (3,) and bool(np.all(np.isfinite(array)))


# == plot_constraint and plot_posterior_plane ==================================================
def _plane_data(seed=0, n=30):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, X @ np.array([2.0, -0.5]) + 0.5 * rng.normal(size=n)


@pytest.fixture(scope="module")
def plane_fits():
    X, y = _plane_data()
    return (
        X,
        y,
        {
            "lasso": bayesreg.Lasso(alpha=0.1).fit(X, y),
            "ridge": bayesreg.Ridge(alpha=1.0).fit(X, y),
            "enet": bayesreg.ElasticNet(alpha=0.1, l1_ratio=0.5).fit(X, y),
        },
    )


def _hostile_plane_call(kind, X, y, fits):
    """(estimator, X, y, extra kwargs, valid?) for a hostile argument of the plane plots."""
    est = fits["lasso"]
    if kind == "unfitted":
        return bayesreg.Lasso(alpha=0.1), X, y, {}, False
    if kind == "sklearn-estimator":
        from sklearn.linear_model import Lasso

        return Lasso(alpha=0.1).fit(X, y), X, y, {}, False
    if kind == "string":
        return "lasso", X, y, {}, False
    if kind == "three-features":
        X3 = np.column_stack([X, X[:, 0] ** 2])
        return bayesreg.Lasso(alpha=0.1).fit(X3, y), X3, y, {}, False
    if kind == "positive":
        return bayesreg.Lasso(alpha=0.1, positive=True).fit(X, y), X, y, {}, False
    if kind == "penalty-factor":
        return bayesreg.Lasso(alpha=0.1, penalty_factor=[1.0, 2.0]).fit(X, y), X, y, {}, False
    if kind == "other-data":
        X2, y2 = _plane_data(seed=5)
        return est, X2, y2, {}, False
    if kind == "X-nan":
        Xn = X.copy()
        Xn[3, 1] = np.nan
        return est, Xn, y, {}, False
    if kind == "X-one-column":
        return est, X[:, :1], y, {}, False
    if kind == "y-short":
        return est, X, y[:-1], {}, False
    if kind == "all-zero-map":
        return bayesreg.Lasso(alpha=1e3).fit(X, y), X, y, {}, None  # plane: fine; constraint: no
    if kind == "collinear":
        Xc = np.column_stack([X[:, 0], 2.0 * X[:, 0]])
        return bayesreg.Ridge(alpha=1.0).fit(Xc, y), Xc, y, {}, None
    if kind == "feature-names-3":
        return est, X, y, {"feature_names": ["a", "b", "c"]}, False
    if kind == "feature-names-string":
        return est, X, y, {"feature_names": "ab"}, False
    if kind == "int-X":
        Xi = np.round(3 * X).astype(int)
        return bayesreg.Lasso(alpha=0.1).fit(Xi, y), Xi, y, {}, True
    if kind in ("ridge", "enet"):
        return fits[kind], X, y, {}, True
    return est, X, y, {}, True


PLANE_KINDS = [
    "unfitted",
    "sklearn-estimator",
    "string",
    "three-features",
    "positive",
    "penalty-factor",
    "other-data",
    "X-nan",
    "X-one-column",
    "y-short",
    "all-zero-map",
    "collinear",
    "feature-names-3",
    "feature-names-string",
    "int-X",
    "ridge",
    "enet",
    "clean",
]
HOSTILE_LEVELS = [-1, 0, 2.5, "3", None, [math.nan], [-1.0], [[1.0]], True, 3, [1e3, 1e4]]


def _loss_levels(levels):
    """Levels given as loss values: a finite 1-D array of real numbers (a float is one)."""
    if isinstance(levels, bool | str) or levels is None:
        return None
    try:
        array = np.atleast_1d(np.asarray(levels))
    except ValueError:
        return None
    if array.dtype.kind not in "if" or array.ndim != 1 or not np.all(np.isfinite(array)):
        return None
    return array.astype(np.float64)


# Checks plot_constraint with hostile estimators, data, levels and labels: refused, or a
# picture whose tangent point is the estimator's coef_ and whose least-squares point
# solves the normal equations.
@settings(max_examples=60, **SETTINGS)
@given(
    kind=st.sampled_from(PLANE_KINDS),
    levels=st.sampled_from(HOSTILE_LEVELS),
    which=st.sampled_from(["estimator-or-data", "levels"]),
)
def test_constraint_hostile(hostile_tally, plane_fits, kind, levels, which):
    X, y, fits = plane_fits
    if which == "levels":
        kind = "clean"
    else:
        levels = 3
    est, Xh, yh, kwargs, valid = _hostile_plane_call(kind, X, y, fits)
    count = isinstance(levels, int) and not isinstance(levels, bool)
    values = None if count else _loss_levels(levels)
    levels_ok = (count and levels >= 0) or values is not None

    def check(drawn):
        assert valid is True and levels_ok, f"{kind}, levels={levels!r} accepted"
        assert_allclose(drawn.coef_map, est.coef_)
        Xf = np.asarray(Xh, dtype=float)
        Xc, yc = Xf - Xf.mean(axis=0), yh - np.mean(yh)
        assert_allclose(drawn.ols, np.linalg.lstsq(Xc, yc, rcond=None)[0], rtol=1e-9)
        assert_finite(drawn.budget, drawn.xlim, drawn.ylim)
        if values is not None:  # losses given: drawn as given, none below the minimum
            assert_allclose(drawn.levels, values)
            assert np.all(values >= drawn.loss_at_ols)

    answer_or_clear_error(
        hostile_tally("plot_constraint"),
        lambda: plot_constraint(est, Xh, yh, ax=_ax(), levels=levels, **kwargs),
        check,
    )


HOSTILE_PLANE_KW = [
    ("grid_size", 10),
    ("grid_size", 20.5),
    ("grid_size", True),
    ("grid_size", "50"),
    ("hdi_probs", []),
    ("hdi_probs", [1.2]),
    ("hdi_probs", [math.nan]),
    ("hdi_probs", "0.5"),
    ("extent", [0.0, 1.0]),
    ("extent", [1.0, 0.0, -1.0, 1.0]),
    ("extent", [math.nan, 1.0, -1.0, 1.0]),
    ("extent", "abcd"),
    ("method", "exact"),
    ("method", None),
    ("posterior", "draws"),
    ("posterior", "nan-draws"),
    ("posterior", "three-features"),
    ("posterior", "wrong-names"),
    ("grid_size", 25),
    ("hdi_probs", np.array([0.5, 0.9], dtype=np.float32)),
    ("extent", (-1.0, 3.0, -2.0, 1.0)),
    ("method", "quadrature"),
    ("posterior", "draws-ok"),
]
VALID_PLANE_KW = {
    ("grid_size", 25),
    ("hdi_probs", "float32"),
    ("extent", (-1.0, 3.0, -2.0, 1.0)),
    ("method", "quadrature"),
    ("posterior", "draws-ok"),
}


# Checks plot_posterior_plane with hostile estimators, data, grids, probabilities, extents,
# methods and draws: refused, or a normalised density (its cells sum to 1) whose regions
# hold their probabilities and whose densest cell is next to the MAP.
@settings(max_examples=60, **SETTINGS)
@given(
    kind=st.sampled_from(PLANE_KINDS),
    setting=st.sampled_from(HOSTILE_PLANE_KW),
    which=st.sampled_from(["estimator-or-data", "setting"]),
)
def test_posterior_plane_hostile(hostile_tally, plane_fits, kind, setting, which):
    X, y, fits = plane_fits
    if which == "setting":
        kind = "clean"
    else:
        setting = ("grid_size", 25)
    est, Xh, yh, kwargs, valid = _hostile_plane_call(kind, X, y, fits)
    valid = valid is not False  # a ridge posterior is proper on collinear columns too
    name, value = setting
    key = (name, "float32" if isinstance(value, np.ndarray) else value)
    setting_ok = any(key == valid_key for valid_key in VALID_PLANE_KW)
    if name == "posterior":
        rng = np.random.default_rng(1)
        values = rng.normal(size=(1, 30, 2)) + np.asarray(est.coef_ if kind != "string" else 0)
        value = {
            "draws": "draws",
            "nan-draws": _draws_tree(
                np.where(np.arange(60).reshape(1, 30, 2) == 7, np.nan, values)
            ),
            "three-features": _draws_tree(np.concatenate([values, values[..., :1]], axis=2)),
            "wrong-names": _draws_tree(values, features=["a", "b"]),
            "draws-ok": _draws_tree(values),
        }[value]
    kwargs[name] = value
    if name != "grid_size":
        kwargs.setdefault("grid_size", 25)

    def check(drawn):
        assert valid and setting_ok, f"{kind}, {setting!r} accepted"
        assert_finite(drawn.density, drawn.posterior_mean, drawn.grid_mode)
        assert float(np.sum(drawn.density) * drawn.cell_area) == pytest.approx(1.0, rel=1e-9)
        step = np.array([np.diff(drawn.grid_x[:2])[0], np.diff(drawn.grid_y[:2])[0]])
        assert np.all(np.abs(drawn.grid_mode - drawn.coef_map) <= step + 1e-12)

    answer_or_clear_error(
        hostile_tally("plot_posterior_plane"),
        lambda: plot_posterior_plane(est, Xh, yh, ax=_ax(), **kwargs),
        check,
    )


# == plot_regularization_path ==================================================================
@pytest.fixture(scope="module")
def lasso_path_result():
    X, y = _plane_data(2, 40)
    X = np.column_stack([X, X[:, 0] + 0.1 * np.random.default_rng(3).normal(size=40)])
    return bayesreg.regularization_path(X, y, n_alphas=8)


def _hostile_path(kind, path):
    alphas, coefs = path.alphas, path.coefs
    if kind == "nan-coef":
        bad = coefs.copy()
        bad[1, 2] = np.nan
        return (alphas, bad), False
    if kind == "inf-alpha":
        return (np.r_[np.inf, alphas[1:]], coefs), False
    if kind == "zero-alpha":
        return (np.r_[alphas[:-1], 0.0], coefs), False  # a log axis cannot show 0
    if kind == "negative-alpha":
        return (-alphas, coefs), False
    if kind == "shape-mismatch":
        return (alphas[:-1], coefs), False
    if kind == "coefs-1d":
        return (alphas, coefs[0]), False
    if kind == "empty":
        return (alphas[:0], coefs[:, :0]), False
    if kind == "one-element-tuple":
        return (alphas,), False
    if kind == "string":
        return "path", False
    if kind == "dict":
        return {"alphas": alphas, "coefs": coefs}, False
    if kind == "lasso-path-tuple":
        return (alphas, coefs, np.zeros_like(alphas)), True
    if kind == "list":
        return [list(alphas), coefs.tolist()], True
    if kind == "unsorted":
        order = np.random.default_rng(0).permutation(len(alphas))
        return (alphas[order], coefs[:, order]), True
    return path, True


PATH_KINDS = [
    "nan-coef",
    "inf-alpha",
    "zero-alpha",
    "negative-alpha",
    "shape-mismatch",
    "coefs-1d",
    "empty",
    "one-element-tuple",
    "string",
    "dict",
    "lasso-path-tuple",
    "list",
    "unsorted",
    "clean",
]
HOSTILE_FEATURES = [
    ("features", []),
    ("features", ["nope"]),
    ("features", [5]),
    ("features", [0, 0]),
    ("features", [1.5]),
    ("features", [True]),
    ("features", "x1"),
    ("features", [0, "x2"]),
    ("features", -1),
    ("feature_names", ["a", "b"]),
    ("feature_names", "abc"),
    ("feature_names", None),
    ("bands", "bands"),
    ("log_alpha", False),
]


# Checks plot_regularization_path with hostile paths and feature selections: refused, or
# the drawn coefficients are the path's, sorted by decreasing alpha.
@settings(max_examples=80, **SETTINGS)
@given(kind=st.sampled_from(PATH_KINDS), option=st.sampled_from([None, *HOSTILE_FEATURES]))
def test_regularization_path_hostile(hostile_tally, lasso_path_result, kind, option):
    path, valid = _hostile_path(kind, lasso_path_result)
    kwargs = {}
    if option is not None:
        kwargs[option[0]] = option[1]
    option_ok = option is None or option in (
        ("features", "x1"),
        ("features", [0, "x2"]),
        ("features", -1),
        ("feature_names", "abc"),  # a string is a sequence of 3 labels
        ("feature_names", None),
        ("log_alpha", False),
    )
    if kind == "zero-alpha" and option == ("log_alpha", False):
        valid = True  # a linear axis shows alpha = 0

    def check(drawn):
        assert valid and option_ok, f"path {kind}, {option!r} accepted"
        given = (path.alphas, path.coefs) if hasattr(path, "coefs") else (path[0], path[1])
        alphas, coefs = (np.asarray(a, dtype=np.float64) for a in given)
        order = np.argsort(-alphas, kind="stable")
        assert_allclose(drawn.alphas, alphas[order])
        assert_finite(drawn.coefs)
        assert_allclose(drawn.coefs, coefs[:, order][drawn.feature_indices])

    answer_or_clear_error(
        hostile_tally("plot_regularization_path"),
        lambda: plot_regularization_path(path, ax=_ax(), legend=False, **kwargs),
        check,
    )


# == plot_bias_variance =======================================================================
def _bias_data(seed=0, n=24):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, X @ np.array([1.0, -1.0, 0.0]) + 0.5 * rng.normal(size=n)


BIAS_KINDS = [
    ("X_train", "nan"),
    ("y_test", "inf"),
    ("X_test", "other-features"),
    ("y_train", "short"),
    ("X_train", "strings"),
    ("X_train", "complex"),
    ("X_train", "overflow"),
    ("penalty", "l3"),
    ("penalty", None),
    ("alphas", []),
    ("alphas", [0.0, 1.0]),
    ("alphas", [-1.0]),
    ("alphas", [math.nan]),
    ("alphas", [[1.0, 2.0]]),
    ("alphas", "abc"),
    ("cv", 0),
    ("cv", 1),
    ("cv", 100),
    ("cv", "five"),
    ("l1_ratio", 0.5),
    ("l1_ratio", math.nan),
    ("penalty+l1_ratio", 0.0),
    ("X_train", "int"),
    ("alphas", [1.0, 0.1, 0.1, 10.0]),
    ("penalty", "lasso"),
    ("cv", 3),
    ("X_train", "float32"),
]
VALID_BIAS = [
    ("X_train", "int"),
    ("alphas", [1.0, 0.1, 0.1, 10.0]),
    ("penalty", "lasso"),
    ("cv", 3),
    ("X_train", "float32"),
]


# Checks plot_bias_variance with hostile data, penalties, grids, folds and l1_ratio:
# refused, or finite errors with a training error nondecreasing in alpha (each MAP
# minimises the training error plus alpha times a penalty).
@settings(max_examples=50, **SETTINGS)
@given(case=st.sampled_from(BIAS_KINDS))
def test_bias_variance_hostile(hostile_tally, case):
    X, y = _bias_data()
    Xt, yt = _bias_data(1, 12)
    args = {"X_train": X, "y_train": y, "X_test": Xt, "y_test": yt}
    kwargs = {"alphas": [0.01, 0.1, 1.0, 10.0], "cv": 3}
    slot, value = case
    if slot in args:
        target = args[slot]
        if value == "nan":
            target = target.copy()
            target[0, 0] = np.nan
        elif value == "inf":
            target = np.r_[np.inf, target[1:]]
        elif value == "other-features":
            target = target[:, :2]
        elif value == "short":
            target = target[:-1]
        elif value == "strings":
            target = np.column_stack([target, ["a"] * len(target)]).astype(object)
        elif value == "complex":
            target = target + 1j
        elif value == "overflow":
            target = target * 1e200
        elif value == "int":
            target = np.round(3 * target).astype(int)
        elif value == "float32":
            target = target.astype(np.float32)
        args[slot] = target
    elif slot == "penalty+l1_ratio":
        kwargs.update(penalty="elasticnet", l1_ratio=value)
    else:
        kwargs[slot] = value
    valid = (slot, repr(value)) in {(k, repr(v)) for k, v in VALID_BIAS}

    def check(drawn):
        assert valid, f"{case!r} accepted"
        assert_finite(drawn.train_mse, drawn.test_mse, drawn.cv_mse, drawn.cv_se)
        order = np.argsort(drawn.alphas)
        train = np.asarray(drawn.train_mse)[order]
        assert np.all(np.diff(train) >= -1e-9 * train.max())

    answer_or_clear_error(
        hostile_tally("plot_bias_variance"),
        lambda: plot_bias_variance(*args.values(), ax=_ax(), **kwargs),
        check,
    )


# == plot_predictive_bands ====================================================================
@pytest.fixture(scope="module")
def one_feature_posterior():
    rng = np.random.default_rng(0)
    X = rng.uniform(0.0, 1.0, (25, 1))
    y = 1.0 + 2.0 * X[:, 0] + 0.3 * rng.normal(size=25)
    est = bayesreg.BayesianRidge()
    est.sample_posterior(X, y, num_samples=200, num_chains=2, random_state=0)
    return est, X, y


PREDICTIVE_KINDS = [
    ("estimator", "unfitted"),
    ("estimator", "no-posterior"),
    ("estimator", "two-features"),
    ("estimator", "sklearn"),
    ("estimator", "nan-draws"),
    ("X", "nan"),
    ("X", "two-columns"),
    ("y", "short"),
    ("y", "inf"),
    ("x_grid", [0.5]),
    ("x_grid", [[0.0, 1.0]]),
    ("x_grid", [0.0, math.nan]),
    ("x_grid", "ab"),
    ("ci_prob", 0.0),
    ("ci_prob", 1.0),
    ("ci_prob", math.nan),
    ("ci_prob", "0.9"),
    ("ci_prob", True),
    ("x_grid", [1.0, 0.0, 0.5]),
    ("x_grid", np.array([0, 1, 2])),
    ("ci_prob", np.float64(0.5)),
    ("X", "int"),
]
VALID_PREDICTIVE = {
    ("x_grid", repr([1.0, 0.0, 0.5])),
    ("x_grid", "ints"),
    ("ci_prob", repr(np.float64(0.5))),
    ("X", repr("int")),
}


# Checks plot_predictive_bands with hostile estimators, data, grids and probabilities:
# refused, or bands ordered predictive-lower <= mean-lower <= mean <= mean-upper <=
# predictive-upper at every grid point.
@settings(max_examples=50, **SETTINGS)
@given(case=st.sampled_from(PREDICTIVE_KINDS))
def test_predictive_bands_hostile(hostile_tally, one_feature_posterior, case):
    est, X, y = one_feature_posterior
    slot, value = case
    kwargs = {}
    Xh, yh = X, y
    if slot == "estimator":
        if value == "unfitted":
            est = bayesreg.BayesianRidge()
        elif value == "no-posterior":
            est = bayesreg.BayesianRidge().fit(X, y)
        elif value == "two-features":
            X2 = np.column_stack([X, X**2])
            est = bayesreg.BayesianRidge()
            est.sample_posterior(X2, y, num_samples=20, num_chains=1, random_state=0)
        elif value == "sklearn":
            from sklearn.linear_model import BayesianRidge

            est = BayesianRidge().fit(X, y)
        elif value == "nan-draws":
            clone = bayesreg.BayesianRidge()
            clone.sample_posterior(X, y, num_samples=20, num_chains=1, random_state=0)
            coef = clone.posterior_["posterior"]["coef"]
            coef.values[0, 3, 0] = np.nan
            est = clone
    elif slot == "X":
        if value == "nan":
            Xh = X.copy()
            Xh[2, 0] = np.nan
        elif value == "two-columns":
            Xh = np.column_stack([X, X])
        elif value == "int":
            Xh = np.round(X).astype(int)
    elif slot == "y":
        yh = y[:-1] if value == "short" else np.r_[np.inf, y[1:]]
    else:
        kwargs[slot] = value
    key = "ints" if isinstance(value, np.ndarray) else repr(value)
    valid = (slot, key) in VALID_PREDICTIVE

    def check(drawn):
        assert valid, f"{case!r} accepted"
        bands = [
            drawn.predictive_lower,
            drawn.mean_lower,
            drawn.mean_line,
            drawn.mean_upper,
            drawn.predictive_upper,
        ]
        assert_finite(drawn.x_grid, *bands)
        for lower, upper in itertools.pairwise(bands):
            assert np.all(lower <= upper + 1e-12)

    answer_or_clear_error(
        hostile_tally("plot_predictive_bands"),
        lambda: plot_predictive_bands(est, Xh, yh, ax=_ax(), **kwargs),
        check,
    )
