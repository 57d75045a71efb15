"""Every fast path of the exact MAP solvers gives the slow path's answer.

The fast paths (issue 6, "Speed and scale") and the slower computation each is checked
against:

* working sets for many features (``p > GRAM_MAX_FEATURES``) against Gram-based
  coordinate descent on all features and against scikit-learn at ``tol=1e-12``;
* the polish from the Gram matrix (Cholesky and one refinement step) against the QR
  of ``X~_S``;
* the kernel form of ridge for ``p > n`` (an ``n x n`` Cholesky) against the primal
  ``p x p`` normal equations;
* the vectorised centring and float64-range checks against the per-column originals;
* refits that must not compile anything (counted with ``_cd_loop._cache_size()``).

Tolerances come from the certificates.  Both answers carry a duality gap ``G >= F(w) -
min F``, so their objectives differ by at most the larger gap; with a strongly convex
penalty (``l2_j >= l2_min > 0``), ``F(w) - min F >= l2_min ||w - w*||^2`` bounds the
distance, ``||w_a - w_b|| <= sqrt(G_a / l2_min) + sqrt(G_b / l2_min)``.  A gap of an
exact point is rounding, of order ``eps ||y~||^2``, so each gap is taken at least
``1e-13 ||y~||^2`` (the solvers' own rounding margin).
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest
import scipy.linalg
import sklearn.linear_model as sk
from hypothesis import given, settings
from hypothesis import strategies as st

import bayesreg
from bayesreg import ElasticNetPrior, Gaussian, Laplace, solve_map
from bayesreg._validation import check_squares_fit_float64
from bayesreg.model import RegressionData
from bayesreg.solvers import GRAM_MAX_FEATURES, centered_exactly
from bayesreg.solvers.certificate import certify

solvers = importlib.import_module("bayesreg.solvers")
cd = importlib.import_module("bayesreg.solvers.coordinate_descent")
closed_form = importlib.import_module("bayesreg.solvers.closed_form")

TOL = 1e-12
GAP_ROUNDING = 1e-13  # relative: the gap of an exact point is rounding of this order
P_WIDE = GRAM_MAX_FEATURES + 44  # solved on working sets


def _problem(n, p, seed=0, *, sparse=0.05):
    """Equicorrelated columns (rho = 0.5) of mixed scales, a sparse truth, an offset."""
    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((n, p)) + rng.standard_normal((n, 1))) * rng.uniform(0.5, 2.0, p)
    coef = np.where(rng.random(p) < sparse, rng.choice([-2.0, 2.0], p), 0.0)
    y = 1.5 + X @ coef + rng.standard_normal(n)
    return X, y


def _alpha_max(data: RegressionData, positive: bool = False) -> float:
    """The smallest l1 rate that zeroes every weight (with w >= 0: max_j X~_j'y~)."""
    X_t, y_t = data.centered()
    xty = X_t.T @ y_t
    value = float(np.max(xty if positive else np.abs(xty)))
    assert value > 0, "no weight can be positive: flip y"
    return value


def _slow_path(monkeypatch, data, prior, **kwargs):
    """The same problem by Gram-based coordinate descent on all features."""
    with monkeypatch.context() as m:
        m.setattr(solvers, "GRAM_MAX_FEATURES", 10**9)
        result = solve_map(data, prior, **kwargs)
    assert not result.solver.startswith("working-set")
    return result


def _gap_bound(result, y_norm2: float) -> float:
    return max(result.certificate.duality_gap, GAP_ROUNDING * y_norm2)


def _assert_same_optimum(fast, slow, data, l2_min: float) -> float:
    """Both certified exact, equal objectives within the gaps, and (l2 > 0) close weights."""
    _, y_t = data.centered()
    y_norm2 = float(y_t @ y_t)
    for result in (fast, slow):
        assert result.certificate.converged, result.certificate
        assert result.certificate.relative_gap <= 1e-12, (result.certificate, result.solver)
    gap_fast, gap_slow = _gap_bound(fast, y_norm2), _gap_bound(slow, y_norm2)
    objective_difference = abs(fast.certificate.objective - slow.certificate.objective)
    assert objective_difference <= max(gap_fast, gap_slow)
    distance = float(np.linalg.norm(fast.coef - slow.coef))
    if l2_min > 0:
        assert distance <= np.sqrt(gap_fast / l2_min) + np.sqrt(gap_slow / l2_min)
    # Zeros are exact zeros on both paths, and on the same features.
    np.testing.assert_array_equal(fast.coef == 0, slow.coef == 0)
    return distance


# -- working sets (p >> n) ----------------------------------------------------------------
CASES = {
    "lasso": dict(l1=0.1, l2=0.0),
    "elastic-net": dict(l1=0.05, l2=0.5),
    "lasso-positive": dict(l1=0.1, l2=0.0, positive=True),
    "elastic-net-weighted": dict(l1=0.05, l2=0.5, weighted=True),
    "lasso-factors": dict(l1=0.1, l2=0.0, factors=True),
    "elastic-net-factors-positive": dict(l1=0.05, l2=0.5, factors=True, positive=True),
    "lasso-no-intercept": dict(l1=0.1, l2=0.0, fit_intercept=False),
}


def _case_problem(case: dict, n=40, p=P_WIDE, seed=3):
    X, y = _problem(n, p, seed=seed)
    rng = np.random.default_rng(seed + 1)
    weights = rng.uniform(0.2, 3.0, n) if case.get("weighted") else None
    if case.get("weighted"):
        weights[:3] = 0.0  # rows that take no part
    if case.get("positive") and np.max((X - X.mean(0)).T @ (y - y.mean())) <= 0:
        y = -y  # otherwise w = 0 is the answer with w >= 0
    data = RegressionData.from_arrays(X, y, weights, case.get("fit_intercept", True))
    scale = _alpha_max(data, case.get("positive", False))
    prior = (
        Laplace(1.0 / (case["l1"] * scale))
        if case["l2"] == 0
        else ElasticNetPrior(case["l1"] * scale, case["l2"] * scale)
    )
    if case.get("factors"):
        factor = rng.uniform(0.5, 2.0, p)
        factor[[0, 7]] = 0.0  # unpenalised weights: in every working set
        prior = prior.with_penalty_factor(factor)
    return data, prior


@pytest.mark.parametrize("name", list(CASES))
def test_working_set_equals_the_full_gram_descent(name, monkeypatch, request):
    # The working-set solver and Gram descent on all p features reach the same exact,
    # certified optimum (objectives within the gaps; with l2 > 0 weights within
    # sqrt(G / l2_min); the same exact zeros).
    case = CASES[name]
    data, prior = _case_problem(case)
    positive = case.get("positive", False)
    fast = solve_map(data, prior, positive=positive, tol=1e-4, max_iter=100_000)
    assert fast.solver.startswith("working-set"), fast.solver
    slow = _slow_path(monkeypatch, data, prior, positive=positive, tol=1e-4, max_iter=100_000)
    _, l2 = prior.rates(data.n_features)
    l2_min = float(np.min(l2)) if not case.get("factors") else 0.0
    distance = _assert_same_optimum(fast, slow, data, l2_min)
    support = int(np.count_nonzero(fast.coef))
    assert 0 < support < data.n_features  # a real selection, not all or nothing
    if positive:
        assert np.all(fast.coef >= 0)
    if case.get("factors") and not positive:
        assert np.all(fast.coef[[0, 7]] != 0)  # unpenalised weights are fitted
    request.node.user_properties.append(
        (
            "summary",
            f"working set vs full Gram CD ({name}, n=40, p={P_WIDE}): support {support}, "
            f"||w_ws - w_gram|| = {distance:.1e}, relative gaps "
            f"{fast.certificate.relative_gap:.1e} / {slow.certificate.relative_gap:.1e}",
        )
    )


@pytest.mark.parametrize(
    ("estimator", "kwargs"),
    [
        ("Lasso", {}),
        ("Lasso", {"positive": True}),
        ("ElasticNet", {"l1_ratio": 0.5}),
        ("ElasticNet", {"l1_ratio": 0.8, "positive": True}),
    ],
    ids=["lasso", "lasso-positive", "elastic-net", "elastic-net-positive"],
)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_working_set_estimators_equal_sklearn(estimator, kwargs, weighted, request):
    # bayesreg's estimator on p >> n (working sets) equals scikit-learn's at tol=1e-12,
    # within test_sklearn_equivalence's criterion max|w - w_sk| <= 1e-6 max(1, max|w_sk|),
    # and its objective is never above scikit-learn's (ours is certified optimal).
    n, p = 50, P_WIDE
    X, y = _problem(n, p, seed=11)
    weights = np.random.default_rng(12).uniform(0.2, 3.0, n) if weighted else None
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    xty = Xc.T @ yc
    if kwargs.get("positive") and np.max(xty) <= 0:
        y, xty = -y, -xty  # otherwise w = 0 is the answer with w >= 0
    largest = np.max(xty) if kwargs.get("positive") else np.max(np.abs(xty))
    alpha = 0.1 * largest / n / kwargs.get("l1_ratio", 1.0)
    ours = getattr(bayesreg, estimator)(alpha=alpha, **kwargs).fit(X, y, sample_weight=weights)
    assert ours.map_.solver.startswith("working-set"), ours.map_.solver
    assert ours.map_.certificate.relative_gap <= 1e-12
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's ConvergenceWarning at this tol
        ref = getattr(sk, estimator)(alpha=alpha, tol=TOL, max_iter=10**6, **kwargs).fit(
            X, y, sample_weight=weights
        )
    assert 0 < np.count_nonzero(ours.coef_) < p  # a real selection
    deviation = float(np.max(np.abs(ours.coef_ - ref.coef_)))
    assert deviation <= 1e-6 * max(1.0, float(np.max(np.abs(ref.coef_))))
    assert abs(ours.intercept_ - ref.intercept_) <= 1e-6 * max(1.0, abs(ref.intercept_))

    def objective(coef, intercept):
        s = np.ones(n) if weights is None else weights
        r = y - X @ coef - intercept
        rho = kwargs.get("l1_ratio", 1.0)
        return (s @ (r * r)) / (2 * s.sum()) + alpha * (
            rho * np.abs(coef).sum() + 0.5 * (1 - rho) * coef @ coef
        )

    excess = objective(ref.coef_, ref.intercept_) - objective(ours.coef_, ours.intercept_)
    assert excess >= -1e-12 * objective(ours.coef_, ours.intercept_)
    request.node.user_properties.append(
        (
            "summary",
            f"working set vs sklearn tol=1e-12 ({estimator} {kwargs}, weighted={weighted}, "
            f"{n}x{p}): max|dw| {deviation:.1e}, sklearn objective excess {excess:.1e}",
        )
    )


def test_working_set_from_a_warm_start(monkeypatch):
    # A warm start far from the answer (another alpha's solution, and random weights)
    # ends at the same exact optimum as a cold start.
    data, prior = _case_problem(CASES["lasso"], seed=5)
    cold = solve_map(data, prior, tol=1e-4)
    other = solve_map(data, Laplace(prior.scale * 3.0), tol=1e-4).coef
    rng = np.random.default_rng(0)
    for w0 in (other, rng.normal(0.0, 1.0, data.n_features)):
        warm = solve_map(data, prior, tol=1e-4, w0=w0)
        _assert_same_optimum(warm, cold, data, 0.0)
    slow = _slow_path(monkeypatch, data, prior, tol=1e-4, w0=other)
    _assert_same_optimum(cold, slow, data, 0.0)


@settings(max_examples=12, deadline=None, derandomize=True, database=None)
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(8, 60),
    fraction=st.floats(0.01, 0.9),
    l2=st.sampled_from([0.0, 0.01, 1.0]),
    positive=st.booleans(),
)
def test_working_set_property(seed, n, fraction, l2, positive):
    # Any p >> n problem, any penalty from nearly alpha_max to small: the working-set
    # answer is certified exact and satisfies the optimality conditions on all features,
    # |X~_j' r - 2 l2 w_j| <= l1 (= l1 sign(w_j) off zero), to rounding.
    X, y = _problem(n, P_WIDE, seed=seed, sparse=0.1)
    if positive and np.max((X - X.mean(0)).T @ (y - y.mean())) <= 0:
        y = -y  # otherwise w = 0 is the answer with w >= 0
    data = RegressionData.from_arrays(X, y)
    l1 = fraction * _alpha_max(data, positive)
    prior = Laplace(1.0 / l1) if l2 == 0 else ElasticNetPrior(l1, l2 * l1)
    result = solve_map(data, prior, positive=positive, tol=1e-4, max_iter=100_000)
    assert result.certificate.converged, (result.certificate, result.solver)
    X_t, y_t = data.centered()
    _, l2_rate = prior.rates(P_WIDE)
    grad = X_t.T @ (y_t - X_t @ result.coef) - 2.0 * l2_rate * result.coef
    slack = 1e-9 * float(np.max(np.abs(X_t.T @ y_t)))
    on = result.coef != 0
    assert np.all((grad[~on] if positive else np.abs(grad[~on])) <= l1 + slack)
    np.testing.assert_allclose(grad[on], l1 * np.sign(result.coef[on]), atol=slack, rtol=0)


# -- the polish from the Gram matrix -------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "p", "l2"), [(5000, 20, 0.0), (5000, 20, 30.0), (300, 100, 0.0)], ids=str
)
def test_gram_polish_equals_the_qr_polish(n, p, l2, monkeypatch):
    # On the support of a coordinate-descent point, the Cholesky-of-the-Gram solve with
    # one refinement step equals the QR solve of [X~_S; sqrt(2 l2) I] to 1e-12 relative.
    X, y = _problem(n, p, seed=p, sparse=0.3)
    data = RegressionData.from_arrays(X, y)
    X_t, y_t = centered_exactly(data)
    l1 = 0.05 * _alpha_max(data)
    prior = Laplace(1.0 / l1) if l2 == 0 else ElasticNetPrior(l1, l2)
    gram = (X_t.T @ X_t, X_t.T @ y_t)
    w, _ = cd.cyclic_coordinate_descent(
        X_t, y_t, prior, positive=False, tol=1e-10, max_iter=100_000, gram=gram
    )
    by_gram = cd.polish(X_t, y_t, w, l1, l2, positive=False, gram=gram)
    formed = cd.polish(X_t, y_t, w, l1, l2, positive=False)  # Gram formed on S
    with monkeypatch.context() as m:
        m.setattr(cd, "_GRAM_CONDITION", np.inf)  # every system goes to QR
        by_qr = cd.polish(X_t, y_t, w, l1, l2, positive=False)
    assert by_gram is not None and by_qr is not None
    scale = float(np.max(np.abs(by_qr)))
    np.testing.assert_allclose(by_gram, by_qr, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(formed, by_qr, rtol=0, atol=1e-12 * scale)
    cert = certify(X_t, y_t, by_gram, l1, l2, positive=False, tol=0.0, xty=gram[1])
    assert cert.relative_gap <= 1e-12


def test_ill_conditioned_support_falls_back_to_qr():
    # Two nearly equal columns (condition number of X~_S about 1e6, of the Gram 1e12):
    # the Gram route declines and the QR route solves; the answer is the exact optimum.
    rng = np.random.default_rng(0)
    n = 400
    base = rng.standard_normal((n, 3))
    X = np.column_stack([base, base[:, 0] + 1e-6 * rng.standard_normal(n)])
    y = X @ np.array([1.0, -2.0, 0.5, 1.0]) + 0.01 * rng.standard_normal(n)
    X_t, y_t = X - X.mean(axis=0), y - y.mean()
    support, signs = np.arange(4), np.ones(4)
    l1, l2 = np.zeros(4), np.zeros(4)
    assert cd._solve_on_support_by_gram(X_t, y_t, support, signs, l1, l2, None) is None
    u = cd._solve_on_support(X_t, y_t, support, signs, l1, l2)
    np.testing.assert_allclose(u, np.linalg.lstsq(X_t, y_t, rcond=None)[0], rtol=1e-6)


def test_large_n_lasso_equals_sklearn(request):
    # n >> p: the Gram path with its Gram polish equals scikit-learn at tol=1e-12.
    n, p = 20000, 30
    X, y = _problem(n, p, seed=2, sparse=0.3)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    alpha = 0.1 * np.max(np.abs(Xc.T @ yc)) / n
    ours = bayesreg.Lasso(alpha=alpha).fit(X, y)
    assert ours.map_.solver == "coordinate-descent+polish"
    ref = sk.Lasso(alpha=alpha, tol=TOL, max_iter=10**6).fit(X, y)
    deviation = float(np.max(np.abs(ours.coef_ - ref.coef_)))
    assert deviation <= 1e-6 * max(1.0, float(np.max(np.abs(ref.coef_))))
    request.node.user_properties.append(
        ("summary", f"n >> p Lasso (20000x30) vs sklearn tol=1e-12: max|dw| {deviation:.1e}")
    )


# -- ridge with p > n ----------------------------------------------------------------------
def test_ridge_with_more_features_than_samples_factors_the_n_by_n_system(monkeypatch):
    # p > n: the only Cholesky factorisation is of the n x n kernel X~X~' + 2 l2 I, and
    # the answer equals the primal solve of (X~'X~ + 2 l2 I) w = X~'y~.
    n, p, l2 = 30, 400, 0.7
    X, y = _problem(n, p, seed=1)
    data = RegressionData.from_arrays(X, y)
    shapes = []
    original = scipy.linalg.cho_factor

    def spy(a, *args, **kwargs):
        shapes.append(np.shape(a))
        return original(a, *args, **kwargs)

    monkeypatch.setattr(closed_form.scipy.linalg, "cho_factor", spy)
    result = solve_map(data, Gaussian(np.sqrt(1.0 / (2.0 * l2))))
    monkeypatch.undo()
    assert result.solver == "closed-form"
    assert shapes == [(n, n)]
    X_t, y_t = data.centered()
    primal = np.linalg.solve(X_t.T @ X_t + 2.0 * l2 * np.eye(p), X_t.T @ y_t)
    np.testing.assert_allclose(result.coef, primal, rtol=1e-8, atol=1e-10 * np.abs(primal).max())


def test_ridge_estimator_kernel_form_equals_sklearn():
    # The estimator on p > n (kernel form) equals scikit-learn's Ridge (its own solver).
    X, y = _problem(25, 300, seed=4)
    ours = bayesreg.Ridge(alpha=2.0).fit(X, y)
    ref = sk.Ridge(alpha=2.0, solver="svd").fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-9, atol=1e-12)
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-9, abs=1e-12)


# -- centring and range checks -------------------------------------------------------------
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_centering_equals_the_model_centering(fit_intercept, weighted):
    # centered_exactly equals RegressionData.centered() bit for bit, except the columns
    # constant on the weighted rows, which are exactly 0 (with an intercept).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 5)) * 1e3
    X[:, 2] = 7.3  # constant
    X[:, 4] = np.where(np.arange(30) < 3, 1.0, 0.1)  # constant on the rows with weight
    weights = rng.uniform(0.5, 2.0, 30) if weighted else np.ones(30)
    if weighted:
        weights[:3] = 0.0
    data = RegressionData.from_arrays(X, rng.normal(size=30), weights, fit_intercept)
    X_t, y_t = centered_exactly(data)
    X_ref, y_ref = data.centered()
    constant = [2, 4] if weighted else [2]
    keep = [j for j in range(5) if not (fit_intercept and j in constant)]
    np.testing.assert_array_equal(X_t[:, keep], X_ref[:, keep])
    np.testing.assert_array_equal(y_t, y_ref)
    if fit_intercept:
        assert np.all(X_t[:, constant] == 0.0)
    assert not np.shares_memory(X_t, data.X)  # the user's data is never written


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [(3, 1e200, "X column 'x3' has values up to"), (1, 1e-160, "X column 'x1' varies by only")],
)
def test_range_check_names_the_first_offending_column(column, value, match):
    # The whole-array check names the first offending column, as the per-column loop did,
    # and passes every column that is fine (spread 1e-140 is fine: its squares are 1e-280).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 6))
    X[:, 5] = 1.0 + 1e-140 * rng.normal(size=20)  # narrow but representable: accepted
    X[:, 0] = 1e-145 * rng.normal(size=20)  # narrow, centred squares 1e-290: accepted
    check_squares_fit_float64(X, rng.normal(size=20))
    X[:, column] = value * rng.normal(size=20)
    X[:, 4] = 1e300  # a later offender is not the one named
    with pytest.raises(ValueError, match=match):
        check_squares_fit_float64(X, rng.normal(size=20))


# -- compilations --------------------------------------------------------------------------
def test_refits_with_other_alpha_n_and_data_compile_nothing(request):
    # After one fit, refits with another alpha, another n (same p) and other data reuse
    # the compiled coordinate-descent loop: its cache does not grow.
    X, y = _problem(200, 10, seed=0, sparse=0.5)
    bayesreg.Lasso(alpha=0.01).fit(X, y)
    bayesreg.ElasticNet(alpha=0.01).fit(X, y)
    before = cd._cd_loop._cache_size()
    fits = 0
    for seed, n, alpha in [(1, 200, 0.05), (2, 57, 0.2), (3, 1000, 0.001), (4, 13, 0.1)]:
        X, y = _problem(n, 10, seed=seed, sparse=0.5)
        for estimator in (bayesreg.Lasso(alpha=alpha), bayesreg.ElasticNet(alpha=alpha)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # small n may stop at max_iter: irrelevant
                estimator.fit(X, y)
            fits += 1
    assert cd._cd_loop._cache_size() == before
    request.node.user_properties.append(
        ("summary", f"compilations: {fits} refits (other alpha, n, data) compiled 0 new loops")
    )


def test_working_set_sizes_are_compiled_once(request):
    # The working sets are powers of two, so the first pass over a few alphas compiles
    # at most one loop per power of two between 16 and the padded p, and a second pass
    # (refits of the same shapes, other alpha order) compiles nothing.
    X, y = _problem(40, P_WIDE, seed=8)
    alpha_max = np.max(np.abs((X - X.mean(0)).T @ (y - y.mean()))) / 40
    alphas = np.geomspace(0.5, 0.02, 4) * alpha_max
    cd._cd_loop.clear_cache()  # count from nothing, whatever ran before
    start = cd._cd_loop._cache_size()
    for alpha in alphas:
        bayesreg.Lasso(alpha=alpha).fit(X, y)
    first_pass = cd._cd_loop._cache_size() - start
    assert 1 <= first_pass <= int(np.log2(cd.padded_size(P_WIDE))) - 3
    for alpha in alphas[::-1]:
        bayesreg.Lasso(alpha=alpha).fit(X, y)
    assert cd._cd_loop._cache_size() - start == first_pass
    request.node.user_properties.append(
        (
            "summary",
            f"compilations: working sets on p={P_WIDE}, 4 alphas: {first_pass} loop sizes "
            "compiled; 4 refits: 0 more",
        )
    )
