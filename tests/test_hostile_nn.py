"""Hostile input against ``bayesreg.MLPRegressor``: the right answer or a clear error.

The same corruptions as every other estimator (:mod:`test_hostile_estimators`, whose
generators are imported: NaN and infinity in a cell, empty rows or columns, 1-D and 3-D
``X``, ``y`` of the wrong length or with several columns, strings, objects, complex
numbers, dates, categories, bad sample weights, float64-overflowing magnitudes; ints,
float32, bools, numeric strings, lists, DataFrames and a column-vector ``y``) are given
to the network's ``fit``, ``predict``, ``score``, ``sample_posterior`` (with the sampler
replaced by a recorder, so that a rejection is proven to come before it), and, on a
posterior, ``predict(return_std=True)``, ``predictive_interval``, ``sample_y`` and
``canonical_posterior``.  Its hyperparameters and the sampler's settings are attacked
too.  Every call is counted for the end-of-run summary ("HOSTILE INPUT
MLPRegressor.fit: ...").

What the right answer is (:class:`Expect` of :mod:`test_hostile_estimators`):

* ``SAME``: another spelling of valid float64 data.  The network is deterministic given
  ``random_state`` and the float64 data, so the fit must equal the fit on the float64
  data to 1e-9 relative (in practice it is bit for bit: the data are copied to C order
  before anything is computed);
* ``REFERENCE``: valid but awkward data where the network has an identity that holds at
  *every* stationary point of ``F(theta) = 1/2 sum s_i (y_i - f(x_i))^2 + P(w)
  (+ kappa/2 ||b||^2)``, derived at each check (:func:`check_identity`).  One holds on
  all data: at a stationary point the training R^2 is >= 0
  (:func:`assert_no_worse_than_the_mean`).  ``X`` or ``y`` rescaled by 1e+-12 ..
  1e+-100 has no other (tanh is not scale-free, so no scaled fit is known): a finite
  answer, and R^2 >= 0 where the certificate says stationary (:func:`test_far_scales`);
* ``REJECT``: no right answer; an answer fails the test.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace

import arviz as az
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pytest
import xarray as xr
from _hostile import answer_or_clear_error, assert_finite
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning, NotFittedError

# Generators and checks shared with every other estimator.  Importing them does not
# re-collect that module's tests: none of these names starts with "test".
from test_hostile_estimators import (
    BAD_N_SAMPLES,
    BAD_SEEDS,
    SAME_RTOL,
    SCORE_REJECTS,
    SETTINGS,
    Expect,
    Hostile,
    _must_reject,
    _rejects,
    _same,
    _unnamed_model,
    check_method,
    clean_data,
    hostile_X,
)

import bayesreg
import bayesreg.nn.estimator as estimator_module
from bayesreg.inference import SamplingWarning
from bayesreg.nn.posterior import predictive_draws

#: A network small enough to fit in a tenth of a second once compiled; the weights'
#: Gaussian prior (alpha = 1) and the hidden biases' (scale 3) make its posterior proper.
NET = {
    "hidden_layer_sizes": (3,),
    "activation": "tanh",
    "alpha": 1.0,
    "bias_scale": 3.0,
    "random_state": 0,
    "max_iter": 3000,
}
#: How close to 0 a quantity that is 0 at every stationary point must be at the MAP.
#: The solve stops at a relative stationarity of tol = 1e-10 (then a Newton polish); the
#: identities below give such a quantity as (a combination of gradient entries) / alpha
#: with alpha = 1, so 1e-8 leaves two orders of magnitude.
STATIONARY_ATOL = 1e-8


def make_net(**overrides) -> bayesreg.MLPRegressor:
    return bayesreg.MLPRegressor(**{**NET, **overrides})


def _id(value) -> str:
    """A test id that is the same in every process (no memory addresses): xdist needs it."""
    if isinstance(value, dist.Distribution):
        return f"{type(value).__name__}{tuple(value.batch_shape)}"
    return repr(value)


# == fitting, with the solver's convergence warnings counted ===============================
class Fitted:
    """A fitted network and the ConvergenceWarnings its solve raised."""

    def __init__(self, model, n_convergence_warnings: int):
        self.model = model
        self.n_convergence_warnings = n_convergence_warnings


def fit_counting(model, X, y, sample_weight=None, ignore=()) -> Fitted:
    """``model.fit`` with its ConvergenceWarnings counted; any other warning fails.

    A network's solve that stops at ``max_iter`` warns (and returns the point it
    reached): on valid but awkward data that is an answer, whose warning must match the
    float64 fit's.  Every other warning (overflow, invalid value) is a defect.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y, sample_weight=sample_weight)
    others = [w for w in caught if not issubclass(w.category, (ConvergenceWarning, *ignore))]
    assert not others, [f"{w.category.__name__}: {w.message}" for w in others]
    return Fitted(model, sum(issubclass(w.category, ConvergenceWarning) for w in caught))


def assert_network_finite(model) -> None:
    assert_finite(model.theta_, model.sigma_, model.loss_)


def assert_same_network(fitted: Fitted, reference: Fitted) -> None:
    """Same data, same start, same deterministic solve: the same network."""
    model, ref = fitted.model, reference.model
    assert fitted.n_convergence_warnings == reference.n_convergence_warnings
    scale = max(1.0, float(np.max(np.abs(ref.theta_))))
    assert_allclose(model.theta_, ref.theta_, rtol=SAME_RTOL, atol=SAME_RTOL * scale)
    assert model.sigma_ == pytest.approx(ref.sigma_, rel=SAME_RTOL, abs=1e-300)


#: Slack of the R^2 >= 0 identity below: exact at a stationary point; the solve stops at
#: a relative stationarity of 1e-10, which moves R^2 by far less than this.
R2_SLACK = 1e-6


def _any_names(call):
    """``call()``, letting pass scikit-learn's warnings that X's column names (or their
    absence) differ from the fit's: the checks below predict on the float64 array."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "X has feature names", UserWarning)
        warnings.filterwarnings("ignore", "X does not have valid feature names", UserWarning)
        return call()


def training_r2(model, X, y, sample_weight=None) -> float:
    """The weighted R^2 of the MAP on its own training data."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float).reshape(-1)
    s = np.ones_like(y) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    residual = y - _any_names(lambda: model.predict(X))
    spread = y - np.average(y, weights=s)
    return 1.0 - float(np.sum(s * residual**2) / np.sum(s * spread**2))


def assert_no_worse_than_the_mean(fitted: Fitted, X, y, sample_weight=None) -> None:
    """At every stationary point the training R^2 is >= 0: the net beats its own b_out.

    With ``g_i = f(x_i) - b_out``, stationarity in the output weights ``v`` gives
    ``sum_j v_j dF/dv_j = -sum_i s_i r_i g_i + v . dP/dv = 0``, and ``v . dP/dv`` is
    ``alpha ||v||^2`` (L2) or ``alpha ||v||_1`` (L1), so ``<r, g>_s >= 0``; stationarity
    in the flat ``b_out`` gives ``sum_i s_i r_i = 0``.  Centring both (``y~``, ``g~``
    with weights ``s``), ``r = y~ - g~`` and ``<r, g~>_s >= 0``, i.e. ``||g~||^2 <=
    <y~, g~>``, so ``||r||^2 = ||y~||^2 - 2 <y~, g~> + ||g~||^2 <= ||y~||^2 - ||g~||^2``:
    ``R^2 >= ||g~||^2 / ||y~||^2 >= 0``.  Checked wherever the certificate says
    ``converged`` (not for a constant y, where R^2 is not defined).
    """
    y = np.asarray(y, dtype=float).reshape(-1)
    if not fitted.model.map_.converged or len(y) < 2 or np.ptp(y) == 0:
        return
    r2 = training_r2(fitted.model, X, y, sample_weight)
    assert r2 >= -R2_SLACK, (
        f"training R^2 = {r2:.3g} < 0 at a MAP certified stationary "
        f"(stationarity {fitted.model.map_.stationarity:.2e}): no stationary point fits "
        "worse than its output bias alone"
    )


# == REFERENCE: identities at every stationary point =======================================
#: Each awkward kind, and the hyperparameters under which its identity is exact.
IDENTITY_KINDS = {
    "constant-y": {},
    "single-sample": {},
    "all-constant": {},
    "constant-column": {"bias_scale": None},
    "duplicate-column": {},
}
FAR_SCALES = [1e-100, 1e-12, 1e12, 1e100]


def identity_data(kind: str, X, y, value: float = 0.0, at: int = 0) -> Hostile:
    """Awkward data of ``kind``; ``value`` (a constant) and ``at`` (a column) where used."""
    n, p = X.shape
    if kind == "constant-y":
        y = np.full(n, value)
    elif kind == "single-sample":
        X, y = X[:1], y[:1]
    elif kind == "all-constant":
        X = np.ones_like(X) * np.arange(1.0, p + 1.0)
    elif kind == "constant-column":
        X = np.insert(X, at, value, axis=1)
    elif kind == "duplicate-column":
        X = np.column_stack([X, X[:, at]])
    return Hostile(kind, X, y, Expect.REFERENCE)


def _identity_case(draw, X, y):
    kind = draw(st.sampled_from(sorted(IDENTITY_KINDS)))
    p = X.shape[1]
    value = draw(st.sampled_from([0.0, 1.0, -3.5, 2.5, -1e3, 1e3]))
    at = draw(st.integers(0, p if kind == "constant-column" else p - 1))
    return identity_data(kind, X, y, value, at)


def _far_scale(draw, X, y):
    """No identity: ``tanh`` is not scale-free, so only a finite answer is known."""
    scale = draw(st.sampled_from(FAR_SCALES))
    which = draw(st.sampled_from(["X", "y"]))
    Xs, ys = (X * scale, y) if which == "X" else (X, y * scale)
    return Hostile(f"{which}-times-{scale:g}", Xs, ys, Expect.REFERENCE)


def check_identity(hostile: Hostile, fitted: Fitted, require_converged: bool = True) -> None:
    """The answer on awkward data: finite, and the identity of its kind.

    With ``v`` the output weights, ``h_ij`` unit j's input at row i, ``r_i`` the
    residuals and the output bias flat (so ``sum_i s_i r_i = 0`` at a stationary point):

    * ``constant-y`` (``y_i = c``): ``sum_j v_j dF/dv_j = -sum_i s_i r_i (f_i - b_out) +
      alpha ||v||^2``, and ``f_i - b_out = c - b_out - r_i`` with ``sum s_i r_i = 0``,
      so it is ``sum s_i r_i^2 + alpha ||v||^2 = 0``: ``r = 0`` and ``v = 0``; then the
      first layer's gradient is ``alpha W``, so ``W = 0``.  Every weight is 0 and
      ``b_out = c``.
    * ``single-sample`` and ``all-constant`` (every row equal): ``tanh(h_ij)`` does not
      depend on i, so ``dF/dv_j = -tanh(h_j) sum_i s_i r_i + alpha v_j = alpha v_j``:
      ``v = 0``, then ``W = 0``, and ``b_out`` is the weighted mean of ``y``; the hidden
      biases' gradient is then ``kappa b`` (``kappa = sigma^2 / bias_scale^2``, 0 for
      one sample), so with ``kappa > 0`` they are 0 too.
    * ``constant-column`` (``x_ik = c`` for all i) with flat hidden biases: unit j's
      data gradient in ``W_kj`` is ``c`` times that in ``b_j``, which is 0 at a
      stationary point, so ``alpha W_kj = 0``: the column's weights are 0.
    * ``duplicate-column`` (``x_k = x_m``): the data gradients in ``W_k.`` and
      ``W_m.`` are equal, so ``alpha W_k. = alpha W_m.``: equal rows.

    (All need alpha > 0 and the Gaussian prior, and a converged solve: with
    ``require_converged=False`` a solve that warned is accepted as flagged, finite.)
    """
    model = fitted.model
    assert_network_finite(model)
    assert_finite(_any_names(lambda: model.predict(np.asarray(hostile.X, dtype=float))))
    if hostile.name not in IDENTITY_KINDS:
        return  # a far scale: finite here; its R^2 identity in test_far_scales
    assert_no_worse_than_the_mean(fitted, hostile.X, hostile.y)
    if not require_converged and (fitted.n_convergence_warnings or not model.map_.converged):
        return
    assert fitted.n_convergence_warnings == 0 and model.map_.converged, model.map_
    X = np.asarray(hostile.X, dtype=float)
    y = np.asarray(hostile.y, dtype=float)
    W1 = model.coefs_[0]
    b_out = float(model.intercepts_[-1][0])
    scale = 1.0 + float(np.max(np.abs(y)))
    if hostile.name in ("constant-y", "single-sample", "all-constant"):
        all_weights = np.concatenate([np.ravel(W) for W in model.coefs_])
        assert np.max(np.abs(all_weights)) <= STATIONARY_ATOL * scale, all_weights
        assert b_out == pytest.approx(float(np.mean(y)), abs=STATIONARY_ATOL * scale)
    if hostile.name == "all-constant":
        hidden = np.concatenate(model.intercepts_[:-1])
        assert np.max(np.abs(hidden)) <= STATIONARY_ATOL * scale, hidden
    if hostile.name == "constant-column":
        const = np.flatnonzero(np.ptp(X, axis=0) == 0)
        c = float(np.max(np.abs(X[0, const])))
        assert np.max(np.abs(W1[const])) <= STATIONARY_ATOL * (1.0 + c) * scale, W1[const]
    if hostile.name == "duplicate-column":
        twin = int(np.argmax(np.all(X[:, :-1] == X[:, [-1]], axis=0)))
        assert_allclose(W1[-1], W1[twin], rtol=0, atol=STATIONARY_ATOL * scale)


# == the hostile data ======================================================================
@st.composite
def hostile_data(draw, min_samples: int = 1):
    """A corruption of clean regression data (few shapes: each new one compiles)."""
    n = draw(st.sampled_from([max(min_samples, 6), 12]))
    p = draw(st.sampled_from([1, 3]))
    X, y = clean_data(n, p, draw(st.integers(0, 2**16)), "regression")
    family = draw(st.sampled_from(["reject", "same", "identity", "far"]))
    if family == "reject":
        return _rejects(draw, X, y, "regression")
    if family == "same":
        return _same(draw, X, y, "regression")
    if family == "identity":
        return _identity_case(draw, X, y)
    return _far_scale(draw, X, y)


def check_fit(hostile: Hostile, tally, require_converged: bool = False) -> None:
    overrides = IDENTITY_KINDS.get(hostile.name, {})

    def call():
        return fit_counting(
            make_net(**overrides), hostile.X, hostile.y, hostile.sample_weight, hostile.ignore
        )

    if hostile.expect is Expect.REJECT:
        check = _must_reject(hostile)
    elif hostile.expect is Expect.SAME:

        def check(fitted):
            assert_network_finite(fitted.model)
            assert_same_network(fitted, fit_counting(make_net(), hostile.X64, hostile.y64))
            assert_no_worse_than_the_mean(fitted, hostile.X64, hostile.y64)

    else:

        def check(fitted):
            check_identity(hostile, fitted, require_converged)

    answer_or_clear_error(tally, call, check)


# Checks fit on every kind of corrupted input: rejected clearly, the float64 fit, or the
# identity of the awkward kind.
@settings(max_examples=60, **SETTINGS)
@given(data=st.data())
def test_fit_hostile(hostile_tally, data):
    hostile = data.draw(hostile_data(), label="hostile")
    check_fit(hostile, hostile_tally("MLPRegressor.fit"))


@pytest.mark.slow
@settings(max_examples=250, **SETTINGS)
@given(data=st.data())
def test_fit_hostile_many(hostile_tally, data):
    hostile = data.draw(hostile_data(), label="hostile")
    check_fit(hostile, hostile_tally("MLPRegressor.fit"))


# Checks each awkward kind's identity on set cases, where the solve must converge (the
# random draws above accept a solve that warned: a constant column of 1e3 with flat
# biases makes W_kj and b_j nearly interchangeable, a condition number ~ 1e12, and the
# solve may stop there with a ConvergenceWarning).
IDENTITY_CASES = [
    ("constant-y", 2.5, 0),
    ("constant-y", -1e3, 0),
    ("single-sample", 0.0, 0),
    ("all-constant", 0.0, 0),
    ("constant-column", 1.0, 1),
    ("constant-column", -3.5, 3),
    ("constant-column", 0.0, 0),
    ("duplicate-column", 0.0, 1),
    ("duplicate-column", 0.0, 2),
]


@pytest.mark.parametrize(("kind", "value", "at"), IDENTITY_CASES)
def test_identities(hostile_tally, kind, value, at):
    X, y = clean_data(12, 3, 7, "regression")
    hostile = identity_data(kind, X, y, value, at)
    check_fit(hostile, hostile_tally("MLPRegressor.fit"), require_converged=True)


# Checks the L1 penalty's exact zeros: with P = alpha sum |w| the stationarity condition
# in a constant column's weight (flat hidden biases) is 0 in alpha d|W_kj|, which holds
# only at W_kj = 0, so the proximal solve must return exact zeros; for a constant y,
# sum_i s_i r_i^2 + alpha ||v||_1 = 0 likewise makes every weight exactly 0.
@pytest.mark.parametrize("kind", ["constant-column", "constant-y"])
def test_l1_identities_are_exact_zeros(hostile_tally, kind):
    X, y = clean_data(12, 3, 7, "regression")
    if kind == "constant-column":
        X = np.column_stack([X, np.full(12, 2.0)])
    else:
        y = np.full(12, 1.5)
    net = make_net(penalty="l1", alpha=0.5, bias_scale=None)

    def check(fitted):
        model = fitted.model
        assert_network_finite(model)
        assert fitted.n_convergence_warnings == 0 and model.map_.converged, model.map_
        if kind == "constant-column":
            assert np.all(model.coefs_[0][-1] == 0.0), model.coefs_[0]
        else:
            assert all(np.all(W == 0.0) for W in model.coefs_), model.coefs_
            assert model.intercepts_[-1][0] == pytest.approx(1.5, abs=STATIONARY_ATOL)

    answer_or_clear_error(hostile_tally("MLPRegressor.fit"), lambda: fit_counting(net, X, y), check)


# Checks X or y rescaled far from 1 (every far scale, both): a finite answer, and where
# its certificate says it is stationary, no worse than its output bias alone (training
# R^2 >= 0, :func:`assert_no_worse_than_the_mean`).
@pytest.mark.parametrize("which", ["X", "y"])
@pytest.mark.parametrize("scale", FAR_SCALES)
@pytest.mark.parametrize("p", [1, 3])
def test_far_scales(hostile_tally, request, which, scale, p):
    X, y = clean_data(12, p, 3, "regression")
    Xs, ys = (X * scale, y) if which == "X" else (X, y * scale)

    def check(fitted):
        assert_network_finite(fitted.model)
        r2 = training_r2(fitted.model, Xs, ys)
        request.node.user_properties.append(
            (
                "summary",
                f"MLPRegressor far scale {which}*{scale:g} (p={p}): training R^2 {r2:.3g}, "
                f"stationarity {fitted.model.map_.stationarity:.1e}, "
                f"{fitted.n_convergence_warnings} ConvergenceWarning(s)",
            )
        )
        assert_no_worse_than_the_mean(fitted, Xs, ys)

    answer_or_clear_error(
        hostile_tally("MLPRegressor.fit"), lambda: fit_counting(make_net(), Xs, ys), check
    )


# == hyperparameters =======================================================================
def _mlp_param_cases():
    cases = []
    for name in ("alpha", "tol"):
        cases += [(name, v) for v in (-1.0, math.nan, math.inf, "1", None, True)]
    for name in ("bias_scale", "noise_scale"):
        cases += [(name, v) for v in (0.0, -2.0, math.nan, math.inf, "3", True)]
    cases += [("max_iter", v) for v in (0, -5, 2.5, "100", None, True)]
    cases += [
        ("hidden_layer_sizes", v)
        for v in ((0,), (-3,), (2.5,), (True,), "10", None, True, 10.0, [[3]], (3, 0))
    ]
    cases += [("activation", v) for v in ("sigmoid", "TANH", None, 1)]
    cases += [("penalty", v) for v in ("l3", "elasticnet", None, "L2")]
    cases += [
        ("prior", "laplace"),
        ("prior", 1.0),
        ("prior", dist.HalfNormal(1.0)),
        ("prior", dist.Exponential(1.0)),
        ("prior", dist.MultivariateNormal(jnp.zeros(2), jnp.eye(2))),
        ("prior", dist.Normal(0.0, jnp.ones(3))),  # a batch of 3: the weights are not 3
        ("noise_prior", "halfnormal"),
        ("noise_prior", 1.0),
        ("random_state", "seed"),
        ("random_state", -1),
        ("random_state", 2.5),
        ("random_state", 2**40),
    ]
    return cases


# Checks every kind of wrong hyperparameter is refused by fit with an error that names
# it, before anything is solved.
@pytest.mark.parametrize(("name", "value"), _mlp_param_cases(), ids=_id)
def test_hyperparameters_hostile(hostile_tally, name, value):
    X, y = clean_data(12, 3, 0, "regression")
    net = make_net(**{name: value})
    err = answer_or_clear_error(
        hostile_tally("MLPRegressor.fit"),
        lambda: fit_counting(net, X, y),
        _must_reject(Hostile(f"{name}={_id(value)}", X, y, Expect.REJECT)),
    )
    assert name in str(err), err
    assert not hasattr(net, "coefs_")


# The priors that have no finite mode: fit says so (bayesreg.NoFiniteModeError, a
# ValueError) and names the way out, sample_posterior.
@pytest.mark.parametrize("prior", [bayesreg.Horseshoe()], ids=_id)
def test_prior_without_mode_is_a_clear_error(hostile_tally, prior):
    X, y = clean_data(12, 3, 0, "regression")
    err = answer_or_clear_error(
        hostile_tally("MLPRegressor.fit"),
        lambda: fit_counting(make_net(prior=prior), X, y),
        _must_reject(Hostile("horseshoe", X, y, Expect.REJECT)),
    )
    assert "sample_posterior" in str(err) or "mode" in str(err), err


# == predict and score =====================================================================
N_FIT, P_FIT = 20, 3


@pytest.fixture(scope="module")
def fitted_net():
    X, y = clean_data(N_FIT, P_FIT, 1, "regression")
    return make_net().fit(X, y)


# Checks predict on corrupted X: refused, or the prediction on the float64 X; a wrong
# number of features is refused.
@settings(max_examples=40, **SETTINGS)
@given(data=st.data())
def test_predict_hostile(hostile_tally, fitted_net, data):
    hostile = data.draw(hostile_X("regression"), label="hostile")
    check_method(hostile_tally("MLPRegressor.predict"), hostile, fitted_net.predict)


# Checks score on corrupted X and y: refused, or R^2 on the float64 data; one sample has
# no R^2: refused.
@settings(max_examples=30, **SETTINGS)
@given(data=st.data())
def test_score_hostile(hostile_tally, fitted_net, data):
    X, y = clean_data(
        data.draw(st.sampled_from([4, 9])), P_FIT, data.draw(st.integers(0, 99)), "regression"
    )
    family = data.draw(st.sampled_from(["reject", "same", "single"]))
    if family == "reject":
        hostile = _rejects(data.draw, X, y, "regression", data.draw(st.sampled_from(SCORE_REJECTS)))
    elif family == "same":
        hostile = _same(data.draw, X, y, "regression")
    else:
        hostile = Hostile("single-sample", X[:1], y[:1], Expect.REJECT)

    def call():
        with warnings.catch_warnings():
            for category in hostile.ignore:
                warnings.simplefilter("ignore", category)
            return _unnamed_model(
                lambda: fitted_net.score(hostile.X, hostile.y, sample_weight=hostile.sample_weight)
            )

    def same(answer):
        expected = fitted_net.score(hostile.X64, hostile.y64)
        assert_finite(answer)
        assert answer == pytest.approx(expected, rel=SAME_RTOL, abs=1e-12)

    check = _must_reject(hostile) if hostile.expect is Expect.REJECT else same
    answer_or_clear_error(hostile_tally("MLPRegressor.score"), call, check)


# Before fit, every method refuses clearly (scikit-learn's NotFittedError, a ValueError).
@pytest.mark.parametrize(
    "method",
    ["predict", "predict_std", "score", "predictive_interval", "sample_y", "canonical_posterior"],
)
def test_unfitted_is_a_clear_error(hostile_tally, method):
    X, y = clean_data(5, P_FIT, 0, "regression")
    net = make_net()
    calls = {
        "predict": lambda: net.predict(X),
        "predict_std": lambda: net.predict(X, return_std=True),
        "score": lambda: net.score(X, y),
        "predictive_interval": lambda: net.predictive_interval(X),
        "sample_y": lambda: net.sample_y(X),
        "canonical_posterior": net.canonical_posterior,
    }
    err = answer_or_clear_error(
        hostile_tally(f"MLPRegressor.{method.removesuffix('_std')}"),
        calls[method],
        _must_reject(Hostile(f"unfitted {method}", X, y, Expect.REJECT)),
    )
    assert isinstance(err, NotFittedError), err


# == sample_posterior: rejected before the sampler =========================================
SAMPLER_KW = {"num_samples": 20, "num_warmup": 20, "num_chains": 1, "random_state": 0}


class SamplerReached(Exception):
    """Raised by the stand-in sampler, with the data it was given."""


def _recording_sampler(calls: list):
    def sampler(architecture, prior, X, y, sample_weight, **kwargs):
        calls.append((np.asarray(X), np.asarray(y), np.asarray(sample_weight)))
        raise SamplerReached

    return sampler


def _sample_or_reached(model, X, y, sample_weight=None, ignore=(), **kwargs):
    """``sample_posterior``, returning "reached" where it got to the (stand-in) sampler."""
    with warnings.catch_warnings():
        for category in ignore:
            warnings.simplefilter("ignore", category)
        try:
            model.sample_posterior(X, y, sample_weight=sample_weight, **{**SAMPLER_KW, **kwargs})
        except SamplerReached:
            return "reached"
    raise AssertionError("sample_posterior returned without calling the sampler")


# Checks sample_posterior on corrupted data: what has no right answer (and fewer than 2
# samples, which leave sigma nothing to estimate) is refused before the sampler; what is
# valid reaches it as the float64 data.
@settings(max_examples=30, **SETTINGS)
@given(data=st.data())
def test_sample_posterior_rejects_before_the_sampler(hostile_tally, monkeypatch, data):
    calls = []
    monkeypatch.setattr(estimator_module, "sample_network_posterior", _recording_sampler(calls))
    hostile = data.draw(hostile_data(), label="hostile")
    if hostile.name == "single-sample":
        hostile = replace(hostile, expect=Expect.REJECT)
    tally = hostile_tally("MLPRegressor.sample_posterior")
    overrides = IDENTITY_KINDS.get(hostile.name, {})
    overrides = {k: v for k, v in overrides.items() if k != "bias_scale"}  # must be proper

    # Valid but awkward data (far scales) may stop the MAP solve at max_iter, with a
    # ConvergenceWarning: an answer; what is checked is the data that reach the sampler.
    ignore = (*hostile.ignore, ConvergenceWarning)

    def call():
        return _sample_or_reached(
            make_net(**overrides), hostile.X, hostile.y, hostile.sample_weight, ignore
        )

    def check(answer):
        assert answer == "reached"
        ((X_seen, y_seen, w_seen),) = calls
        assert_finite(X_seen, y_seen, w_seen)
        if hostile.expect is Expect.SAME:
            assert_allclose(X_seen, hostile.X64, rtol=0, atol=0)
            assert_allclose(y_seen, hostile.y64, rtol=0, atol=0)

    if hostile.expect is Expect.REJECT:
        err = answer_or_clear_error(tally, call, _must_reject(hostile))
        assert calls == [], f"{hostile.name} reached the sampler before {err!r}"
    else:
        answer_or_clear_error(tally, call, check)


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
    ("target_accept_prob", 0.0),
    ("target_accept_prob", 1.0),
    ("target_accept_prob", math.nan),
    ("target_accept_prob", "0.9"),
    ("target_accept_prob", True),
    ("max_tree_depth", 0),
    ("max_tree_depth", 21),
    ("max_tree_depth", 2.5),
    ("max_tree_depth", True),
]
#: Models whose posterior is improper, or whose noise prior is not one of a scale.
BAD_SAMPLED_MODELS = [
    ("bias_scale", None),  # flat hidden biases: improper
    ("alpha", 0.0),  # flat weights: improper
    ("noise_prior", dist.Normal(0.0, 1.0)),  # sigma < 0 has prior mass
    ("noise_prior", dist.Normal(0.0, jnp.ones(2))),
]


# Checks sample_posterior's own settings, and models with no proper posterior, are refused
# before the MAP fit and the sampler, naming what is wrong.
@pytest.mark.parametrize(
    ("name", "value", "where"),
    [(*case, "sampler") for case in BAD_SAMPLER_SETTINGS]
    + [(*case, "model") for case in BAD_SAMPLED_MODELS],
    ids=_id,
)
def test_sample_posterior_settings_hostile(hostile_tally, monkeypatch, name, value, where):
    calls = []
    monkeypatch.setattr(estimator_module, "sample_network_posterior", _recording_sampler(calls))
    X, y = clean_data(12, 3, 0, "regression")
    model = make_net(**({name: value} if where == "model" else {}))
    kwargs = {name: value} if where == "sampler" else {}
    err = answer_or_clear_error(
        hostile_tally("MLPRegressor.sample_posterior"),
        lambda: _sample_or_reached(model, X, y, **kwargs),
        _must_reject(Hostile(f"{name}={_id(value)}", X, y, Expect.REJECT)),
    )
    assert calls == [] and not hasattr(model, "coefs_")
    if where == "sampler" or name == "noise_prior":
        assert name in str(err), err


# == on a posterior: predict(return_std=True), predictive_interval, sample_y ===============
def _awkward_data():
    """Valid but awkward data: integer X with a constant and a duplicate column, 8 rows."""
    rng = np.random.default_rng(4)
    X = rng.integers(-3, 4, size=(8, 2))
    X = np.column_stack([X, np.full(8, 7), X[:, 0]])
    return X, np.tanh(X[:, 0] - X[:, 1]) + 0.3 * rng.normal(size=8)


P_AWKWARD = 4


def _synthetic_posterior(model, y, num_chains=2, num_draws=25) -> xr.DataTree:
    """Draws around the MAP, in the layout the sampler writes (``W_1 .. w_out, sigma``).

    The methods under test read ``posterior_`` only; building it from the MAP plus
    Gaussian jitter tests their input handling without paying for NUTS (the real run is
    :func:`test_sample_posterior_real_run_on_awkward_data`, slow).
    """
    arch = model.architecture_
    rng = np.random.default_rng(0)
    shape = (num_chains, num_draws)
    theta = model.theta_ + 0.05 * rng.standard_normal((*shape, model.theta_.size))
    draws = [arch.unravel(t).to_numpy() for t in theta.reshape(-1, theta.shape[-1])]
    names = ["feature", *(f"hidden_{i + 1}" for i in range(len(arch.hidden_layer_sizes)))]
    posterior, dims = {}, {}
    for i, layer in enumerate(arch.layer_names):
        W = np.stack([np.asarray(d.weights[i]) for d in draws]).reshape(*shape, -1)
        b = np.stack([np.asarray(d.biases[i]) for d in draws]).reshape(*shape, -1)
        if layer == "out":
            posterior["w_out"], dims["w_out"] = W, [names[-1]]
            posterior["b_out"] = b[..., 0]
        else:
            w_shape = np.asarray(draws[0].weights[i]).shape
            posterior[f"W_{layer}"] = W.reshape(*shape, *w_shape)
            dims[f"W_{layer}"] = [names[i], names[i + 1]]
            posterior[f"b_{layer}"], dims[f"b_{layer}"] = b, [names[i + 1]]
    posterior["sigma"] = model.sigma_ * np.exp(0.1 * rng.standard_normal(shape))
    coords = {"feature": list(model.feature_names_)}
    coords.update({f"hidden_{i + 1}": np.arange(h) for i, h in enumerate(arch.hidden_layer_sizes)})
    return az.from_dict(
        {"posterior": posterior, "observed_data": {"y": np.asarray(y, dtype=float)}},
        coords={**coords, "obs_id": np.arange(len(y))},
        dims={**dims, "y": ["obs_id"]},
    )


@pytest.fixture(scope="module")
def posterior_net():
    X, y = _awkward_data()
    net = make_net().fit(X, y)
    net.posterior_ = _synthetic_posterior(net, y)
    return net


def _check_dataset_same(expected_call):
    def check(answer):
        expected = expected_call()
        assert set(answer.data_vars) == set(expected.data_vars)
        for name in expected.data_vars:
            assert_finite(answer[name].values)
            assert_allclose(answer[name].values, expected[name].values, rtol=SAME_RTOL, atol=1e-300)

    return check


# Checks predict(return_std=True) on corrupted X: refused, or the float64 answer.
@settings(max_examples=25, **SETTINGS)
@given(data=st.data())
def test_predict_return_std_hostile(hostile_tally, posterior_net, data):
    hostile = data.draw(hostile_X("regression", p=P_AWKWARD), label="hostile")
    check_method(
        hostile_tally("MLPRegressor.predict"), hostile, posterior_net.predict, return_std=True
    )


BAD_PROBS = [0.0, 1.0, -0.5, 1.5, math.nan, math.inf, "0.9", None, True]


# Checks predictive_interval on corrupted X and prob: refused, or the bands at the
# float64 X.
@settings(max_examples=25, **SETTINGS)
@given(data=st.data())
def test_predictive_interval_hostile(hostile_tally, posterior_net, data):
    tally = hostile_tally("MLPRegressor.predictive_interval")
    if data.draw(st.booleans()):
        bad = data.draw(st.sampled_from(BAD_PROBS))
        X = clean_data(5, P_AWKWARD, 3, "regression")[0]
        err = answer_or_clear_error(
            tally,
            lambda: posterior_net.predictive_interval(X, prob=bad),
            _must_reject(Hostile(f"prob={bad!r}", X, None, Expect.REJECT)),
        )
        assert "prob" in str(err)
        return
    hostile = data.draw(hostile_X("regression", p=P_AWKWARD), label="hostile")
    if hostile.expect is Expect.REJECT:
        check = _must_reject(hostile)
    else:
        check = _check_dataset_same(lambda: posterior_net.predictive_interval(hostile.X64, 0.8))
    answer_or_clear_error(
        tally,
        lambda: _unnamed_model(lambda: posterior_net.predictive_interval(hostile.X, 0.8)),
        check,
    )


# Checks sample_y on corrupted X, n_samples and random_state: refused, or the draws from
# the float64 X with the same seed.
@settings(max_examples=25, **SETTINGS)
@given(data=st.data())
def test_sample_y_hostile(hostile_tally, posterior_net, data):
    tally = hostile_tally("MLPRegressor.sample_y")
    what = data.draw(st.sampled_from(["X", "n_samples", "random_state"]))
    if what == "X":
        hostile = data.draw(hostile_X("regression", p=P_AWKWARD), label="hostile")
        check_method(tally, hostile, posterior_net.sample_y, 3, random_state=0)
        return
    X = clean_data(5, P_AWKWARD, 3, "regression")[0]
    if what == "n_samples":
        bad = data.draw(st.sampled_from(BAD_N_SAMPLES))
        call = lambda: posterior_net.sample_y(X, bad, random_state=0)  # noqa: E731
    else:
        bad = data.draw(st.sampled_from(BAD_SEEDS))
        call = lambda: posterior_net.sample_y(X, 2, random_state=bad)  # noqa: E731
    answer_or_clear_error(
        tally, call, _must_reject(Hostile(f"{what}={bad!r}", X, None, Expect.REJECT))
    )


def _check_canonical(model):
    """The canonical posterior computes the same function in every draw (1e-12)."""

    def check(tree):
        X = _awkward_data()[0].astype(float)
        arch = model.architecture_
        before = predictive_draws(model.posterior_, arch, X)
        after = predictive_draws(tree, arch, X)
        assert_finite(after)
        assert_allclose(after, before, rtol=1e-12, atol=1e-12)
        # The representative: for tanh, each unit's largest incoming weight or bias (in
        # magnitude) is >= 0; the units sorted by their hyperplane's offset -b_j/||W_.j||.
        W = tree["posterior"]["W_1"].values  # (chain, draw, feature, hidden)
        b = tree["posterior"]["b_1"].values
        incoming = np.concatenate([W, b[..., None, :]], axis=-2)
        largest = np.take_along_axis(
            incoming, np.argmax(np.abs(incoming), axis=-2)[..., None, :], axis=-2
        )
        assert np.all(largest >= 0.0), "tanh units not sign-fixed"
        offset = -b / np.sqrt(np.sum(W * W, axis=-2))
        assert np.all(np.diff(offset, axis=-1) >= 0.0), "units not sorted by offset"

    return check


# Checks canonical_posterior on a posterior of the awkward data: every draw, relabelled,
# computes the same function, in the documented representative.
def test_canonical_posterior_on_awkward_data(hostile_tally, posterior_net):
    answer_or_clear_error(
        hostile_tally("MLPRegressor.canonical_posterior"),
        posterior_net.canonical_posterior,
        _check_canonical(posterior_net),
    )


# == one real, tiny NUTS run =================================================================
# Checks a real NUTS run (2 chains, 40 draws) on the awkward data -- integer X with a
# constant and a duplicate column, 8 samples -- gives finite draws labelled by feature,
# and that every method reading the posterior answers finitely on it.  A short run may
# warn (R-hat, divergences): SamplingWarning is allowed here, nothing else.
@pytest.mark.slow
def test_sample_posterior_real_run_on_awkward_data(hostile_tally, request):
    X, y = _awkward_data()
    net = make_net()

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)
            return net.sample_posterior(
                X, y, num_samples=40, num_warmup=40, num_chains=2, random_state=0
            )

    def check(tree):
        post = tree["posterior"]
        assert list(post["W_1"].coords["feature"].values) == ["x0", "x1", "x2", "x3"]
        for name in ("W_1", "b_1", "w_out", "b_out", "sigma"):
            assert_finite(post[name].values)
        assert np.all(post["sigma"].values > 0)
        Xf = X.astype(float)
        mean, std = net.predict(Xf, return_std=True)
        assert_finite(mean, std)
        assert np.all(std > 0)
        band = net.predictive_interval(Xf, 0.9)
        assert np.all(band["f_lower"] <= band["mean"]) and np.all(band["mean"] <= band["f_upper"])
        assert_finite(net.sample_y(Xf, 3, random_state=0))
        _check_canonical(net)(net.canonical_posterior())
        n_divergent = int(tree["sample_stats"]["diverging"].sum())
        request.node.user_properties.append(
            (
                "summary",
                "MLPRegressor real NUTS on awkward data (8 rows, constant + duplicate "
                f"column): 2 chains x 40 draws, {n_divergent} divergent, "
                f"sigma mean {float(post['sigma'].mean()):.3g}",
            )
        )

    answer_or_clear_error(hostile_tally("MLPRegressor.sample_posterior"), run, check)


def test_predictive_interval_noise_draws_follow_random_state(posterior_net):
    # The band of f(x) has no randomness; the band of a new y draws the noise from
    # random_state: the same seed gives the same bands, another seed other y bands.
    X, _ = _awkward_data()
    first = posterior_net.predictive_interval(X, 0.9, random_state=1)
    again = posterior_net.predictive_interval(X, 0.9, random_state=np.random.RandomState(1))
    other = posterior_net.predictive_interval(X, 0.9, random_state=2)
    for name in first.data_vars:
        assert_allclose(again[name].values, first[name].values, rtol=0, atol=0)
    for name in ("mean", "f_lower", "f_upper"):
        assert_allclose(other[name].values, first[name].values, rtol=0, atol=0)
    assert np.any(other["y_lower"].values != first["y_lower"].values)
