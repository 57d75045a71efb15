"""Exact MAP solvers and their optimality certificates, against independent computations."""

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from bayesreg import ElasticNetPrior, Flat, Gaussian, Laplace, solve_map
from bayesreg.model import RegressionData
from bayesreg.solvers import coordinate_descent as cd
from bayesreg.solvers.certificate import Certificate, certify
from bayesreg.solvers.closed_form import ridge_solve, ridge_svd


def _problem(n, p, seed=0, rho=0.5):
    rng = np.random.default_rng(seed)
    cov = rho ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    X = rng.multivariate_normal(np.zeros(p), cov, size=n)
    coef = np.where(rng.random(p) < 0.3, rng.normal(0, 3, p), 0.0)
    y = X @ coef + 1.5 + rng.normal(size=n)
    return X, y


def _objective(X_t, y_t, w, l1, l2):
    r = y_t - X_t @ w
    return 0.5 * r @ r + l1 * np.abs(w).sum() + l2 * w @ w


@pytest.mark.parametrize(("n", "p"), [(50, 5), (20, 60), (40, 40)])
def test_ridge_closed_form_solves_the_normal_equations(n, p):
    # (X~'X~ + 2 l2 I) w = X~'y~: the Cholesky solve (primal if p <= n, kernel if p > n)
    # equals the SVD formula V diag(s / (s^2 + 2 l2)) U'y~ and numpy's generic solve.
    X, y = _problem(n, p)
    X_t, y_t = RegressionData.from_arrays(X, y).centered()
    l2 = 0.7
    w = ridge_solve(X_t, y_t, l2)
    generic = np.linalg.solve(X_t.T @ X_t + 2 * l2 * np.eye(p), X_t.T @ y_t)
    np.testing.assert_allclose(w, ridge_svd(X_t, y_t, l2), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(w, generic, rtol=1e-9, atol=1e-11)


def test_flat_prior_on_rank_deficient_design_gives_the_minimum_norm_solution():
    # No penalty and duplicated columns: the MAP set is an affine space, and the solver
    # returns its minimum-norm point, pinv(X~) y~.
    X, y = _problem(30, 4)
    X = np.hstack([X, X[:, :2]])
    data = RegressionData.from_arrays(X, y)
    result = solve_map(data, Flat())
    X_t, y_t = data.centered()
    np.testing.assert_allclose(result.coef, np.linalg.pinv(X_t) @ y_t, rtol=1e-9)
    assert result.certificate.kkt_violation < 1e-12


@pytest.mark.parametrize(
    ("prior", "positive"),
    [(Laplace(0.05), False), (Laplace(0.05), True), (ElasticNetPrior(8.0, 3.0), False)],
    ids=["laplace", "laplace-positive", "elastic-net"],
)
@pytest.mark.parametrize(("n", "p"), [(60, 8), (25, 40)])
def test_coordinate_descent_reaches_the_independent_optimum(prior, positive, n, p):
    # Our objective value is no larger than that of an independent solver (L-BFGS-B on the
    # split w = u - v, u, v >= 0, which is smooth), and the certificate proves optimality.
    X, y = _problem(n, p, seed=n + p)
    data = RegressionData.from_arrays(X, y)
    X_t, y_t = data.centered()
    l1, l2 = prior.l1, prior.l2
    result = solve_map(data, prior, positive=positive, tol=1e-12, max_iter=100_000)

    def split_objective(uv):
        w = uv[:p] - uv[p:]
        r = y_t - X_t @ w
        value = 0.5 * r @ r + l1 * uv.sum() + l2 * w @ w
        g_w = -X_t.T @ r + 2 * l2 * w
        return value, np.concatenate([g_w + l1, -g_w + l1])

    bounds = [(0, None)] * p + [(0, 0) if positive else (0, None)] * p
    ref = scipy.optimize.minimize(
        split_objective,
        np.zeros(2 * p),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 50_000},
    )
    ours = _objective(X_t, y_t, result.coef, l1, l2)
    assert ours <= ref.fun + 1e-9 * max(1.0, abs(ref.fun))
    assert result.certificate.converged
    assert result.certificate.kkt_violation < 1e-9
    if positive:
        assert np.all(result.coef >= 0)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), scale=st.floats(1e-3, 10.0), l2=st.sampled_from([0.0, 0.5]))
def test_duality_gap_bounds_the_suboptimality_of_any_point(seed, scale, l2):
    # Weak duality: for any w, gap(w) >= F(w) - F(w*) >= 0 (w* certified optimal).
    X, y = _problem(30, 6, seed=1)
    X_t, y_t = RegressionData.from_arrays(X, y).centered()
    l1 = 4.0
    prior = ElasticNetPrior(l1, l2) if l2 else Laplace(1 / l1)
    best = solve_map(RegressionData.from_arrays(X, y), prior, tol=1e-14, max_iter=100_000)
    w = best.coef + scale * np.random.default_rng(seed).normal(size=6)
    cert = certify(X_t, y_t, w, l1, l2, positive=False, tol=1e-4)
    suboptimality = _objective(X_t, y_t, w, l1, l2) - best.certificate.objective
    assert cert.duality_gap >= suboptimality - 1e-9 * max(1.0, best.certificate.objective)
    assert suboptimality >= -1e-9


def test_zeros_are_exact_and_certified():
    # Lasso zeros are exactly 0.0, and each satisfies |X~_j' r| <= l1 (KKT) with the
    # certificate's KKT violation at rounding level.
    X, y = _problem(100, 30, seed=4)
    data = RegressionData.from_arrays(X, y)
    result = solve_map(data, Laplace(1 / 40.0), tol=1e-10)
    zeros = result.coef == 0
    assert 0 < zeros.sum() < 30
    X_t, y_t = data.centered()
    grad = X_t.T @ (y_t - X_t @ result.coef)
    assert np.all(np.abs(grad[zeros]) <= 40.0 * (1 + 1e-12))
    assert result.certificate.kkt_violation < 1e-12
    assert result.solver == "coordinate-descent+polish"


def test_polish_refuses_a_wrong_sign_pattern():
    # Forcing the support to include a coordinate whose exact solution has the other sign
    # leaves the sign pattern, so the polish returns None rather than a non-optimal point.
    X, y = _problem(60, 5, seed=2)
    X_t, y_t = RegressionData.from_arrays(X, y).centered()
    exact = solve_map(RegressionData.from_arrays(X, y), Gaussian(10.0)).coef
    wrong = exact.copy()
    j = int(np.argmax(np.abs(exact)))
    wrong[j] = -exact[j]
    assert cd.polish(X_t, y_t, wrong, 0.0, 0.005, positive=False) is None
    np.testing.assert_allclose(
        cd.polish(X_t, y_t, exact, 0.0, 0.005, positive=False), exact, rtol=1e-9
    )


def test_refits_of_other_shapes_and_alphas_reuse_the_compiled_loop():
    # p = 9..16 pad to 16 features: new n, new p within the bucket and new priors of the
    # same type compile nothing new.
    before = None
    for n, p, scale in [(40, 10, 0.1), (90, 12, 0.3), (15, 16, 0.05), (200, 9, 1.0)]:
        X, y = _problem(n, p, seed=n)
        solve_map(RegressionData.from_arrays(X, y), Laplace(scale), tol=1e-8)
        size = cd._cd_loop._cache_size()
        before = size if before is None else before
        assert size == before
    assert cd.padded_size(9) == cd.padded_size(16) == 16


@pytest.mark.parametrize(
    ("relative_gap", "kkt", "tol", "expected"),
    [
        (1e-13, 1e-6, 1e-12, True),  # gap within tol
        (1e-11, 1e-15, 1e-12, True),  # gap above tol but explained by rounding (KKT ~ eps)
        (1e-11, 1e-9, 1e-12, False),  # KKT not at machine precision: really not converged
        (1e-9, 1e-16, 1e-12, False),  # gap too large to be rounding
    ],
)
def test_converged_accepts_rounding_but_nothing_more(relative_gap, kkt, tol, expected):
    # converged = (relative gap <= tol) or (KKT <= 1000 eps and relative gap <= 1e-10).
    cert = Certificate(1.0, relative_gap, relative_gap, kkt, tol)
    assert cert.converged is expected


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 10_000),
    st.integers(2, 12),
    st.integers(1, 20),
    st.floats(0.01, 2.0),
    st.sampled_from([1.0, 0.7]),
    st.booleans(),
)
def test_active_set_from_zero_is_the_exact_elastic_net(seed, n, p, alpha, l1_ratio, positive):
    """The active-set finish alone, started at w = 0, reaches scikit-learn's solution
    (p > n included, where the system of a too-large support is singular and the method
    steps along its null space)."""
    import sklearn.linear_model as sk

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X @ rng.normal(size=p) + rng.normal(size=n)
    prior = (
        Laplace.from_alpha(alpha, n)
        if l1_ratio == 1.0
        else ElasticNetPrior.from_alpha(alpha, l1_ratio, n)
    )
    data = RegressionData.from_arrays(X, y, None, True)
    X_t, y_t = data.centered()
    l1, l2 = prior.rates(p)
    ours = cd.active_set(X_t, y_t, np.zeros(p), l1, l2, positive=positive)
    ref = sk.ElasticNet(
        alpha=alpha, l1_ratio=l1_ratio, positive=positive, tol=1e-14, max_iter=1_000_000
    ).fit(X, y)
    if ours is None:
        # Allowed only where the method gives up (a singular step with no descent); the
        # solver then keeps coordinate descent's answer.  It must not happen on these.
        pytest.fail("active_set gave up")
    objective = lambda w: 0.5 * np.sum((y_t - X_t @ w) ** 2) + np.sum(l1 * np.abs(w) + l2 * w**2)  # noqa: E731
    # The objective is what the method guarantees (the minimiser may not be unique when
    # p > n and l1_ratio = 1); it must be no worse than scikit-learn's to rounding.
    assert objective(ours) <= objective(ref.coef_) + 1e-9 * max(1.0, objective(ref.coef_))
    cert = certify(X_t, y_t, ours, l1, l2, positive=positive, tol=1e-12)
    assert cert.kkt_violation <= 1e-9


def test_certificate_text_leaves_out_a_gap_that_was_not_computed():
    with_gap = Certificate(
        objective=1.0, duality_gap=2e-13, relative_gap=1e-16, kkt_violation=3e-15, tol=1e-8
    )
    without = Certificate(
        objective=1.0,
        duality_gap=float("nan"),
        relative_gap=float("nan"),
        kkt_violation=3e-15,
        tol=1e-8,
    )
    assert str(with_gap).startswith("duality gap 2.000e-13 (relative 1.000e-16), KKT")
    assert str(without).startswith("KKT violation 3.000e-15")
    assert "nan" not in str(without)
