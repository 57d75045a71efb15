"""The general MAP solver (proximal gradient, L-BFGS) against exact and brute-force optima."""

from __future__ import annotations

import dataclasses
import itertools
from typing import ClassVar

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_diabetes

from bayesreg import ElasticNetPrior, Gaussian, Laplace, solve_map
from bayesreg.model import RegressionData
from bayesreg.priors.base import NoFiniteModeError, Prior, pytree
from bayesreg.priors.bridge import Bridge, bridge_threshold
from bayesreg.priors.heavy_tailed import Cauchy
from bayesreg.solvers import proximal
from bayesreg.solvers.closed_form import ridge_solve
from bayesreg.solvers.proximal import (
    gradient_mapping,
    lipschitz_constant,
    local_optima,
    solve_map_general,
)


@pytree
@dataclasses.dataclass(frozen=True)
class SmoothGaussian(Prior):
    """``N(0, scale^2)`` handed to the L-BFGS path: ``P(w) = ||w||^2 / (2 scale^2)``."""

    scale: float = 1.0
    map_solver: ClassVar[str] = "smooth"

    def penalty(self, w):
        return 0.5 * jnp.sum(jnp.asarray(w) ** 2) / self.scale**2


@pytree
@dataclasses.dataclass(frozen=True)
class NoMode(Prior):
    """A prior whose posterior has no finite mode."""

    map_solver: ClassVar[None] = None
    no_map_reason: ClassVar[str] = "the density is unbounded at 0"


def _problem(n, p, seed, *, weighted=False, scale=1.0):
    rng = np.random.default_rng(seed)
    cov = 0.5 ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    X = scale * rng.multivariate_normal(np.zeros(p), cov, size=n)
    coef = np.where(rng.random(p) < 0.5, rng.normal(0, 3, p), 0.0)
    y = X @ coef + 1.5 + rng.normal(size=n)
    weight = rng.choice([0.25, 1.0, 3.0], size=n) if weighted else None
    return X, y, weight


def _F(X_t, y_t, penalty, w):
    """``F(w)`` with the penalty written in numpy (independent of the prior's code)."""
    r = y_t - X_t @ w
    return 0.5 * r @ r + penalty(w)


def _smallest_eigenvalue(X_t):
    return float(np.linalg.eigvalsh(X_t.T @ X_t)[0]) if X_t.shape[0] >= X_t.shape[1] else 0.0


def _check_against_exact(data, prior, positive, ours, exact):
    # F = f + h with f = ||y~ - X~w||^2 / 2 mu_f-strongly convex (mu_f = lambda_min(X~'X~))
    # and h mu_h-strongly convex (mu_h = 2 l2), t = 1/L.  With w+ = w - t G_t(w) and w* a
    # fixed point, prox_th contracts by 1 / (1 + t mu_h) and the gradient step by
    # 1 - t mu_f, so ||w+ - w*|| <= q ||w - w*||, q = (1 - t mu_f) / (1 + t mu_h), and
    # ||w - w*|| <= t ||G|| / (1 - q) = (1 + t mu_h) ||G|| / (mu_f + mu_h) for either
    # answer; the two are within the sum of their bounds.
    X_t, y_t = data.centered()
    mu = _smallest_eigenvalue(X_t) + 2.0 * prior.l2
    step = 1.0 / lipschitz_constant(X_t)
    bounds = [
        (1.0 + step * 2.0 * prior.l2)
        * np.linalg.norm(gradient_mapping(X_t, y_t, prior, w, positive=positive, step=step))
        for w in (ours.coef, exact.coef)
    ]
    deviation = np.linalg.norm(ours.coef - exact.coef)
    size = max(1.0, np.linalg.norm(exact.coef))
    assert deviation <= sum(bounds) / mu + 1e-12 * size
    assert deviation <= 1e-8 * size
    assert abs(ours.intercept - exact.intercept) <= 1e-8 * (1.0 + abs(exact.intercept))
    assert ours.certificate.converged
    assert ours.certificate.kkt_violation <= ours.certificate.tol
    assert ours.certificate.objective >= exact.certificate.objective - 1e-12 * (
        1.0 + exact.certificate.objective
    )
    if positive:
        assert np.all(ours.coef >= 0)
    return deviation / size


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    p=st.sampled_from([2, 5]),
    extra=st.integers(3, 25),
    kind=st.sampled_from(["laplace", "elastic-net", "gaussian"]),
    rate=st.floats(0.05, 30.0),
    fit_intercept=st.booleans(),
    weighted=st.booleans(),
    positive=st.booleans(),
)
# A strongly convex prior (2 l2 t > 1) where the bound needs its (1 + t mu_h) factor.
@example(
    seed=974,
    p=2,
    extra=3,
    kind="gaussian",
    rate=7.5,
    fit_intercept=False,
    weighted=False,
    positive=False,
)
def test_convex_priors_match_exact_coordinate_descent(
    seed, p, extra, kind, rate, fit_intercept, weighted, positive
):
    # Laplace, elastic net and Gaussian have a prox and are convex: FISTA must reach the
    # same MAP as the exact coordinate descent (or the closed form).
    X, y, weight = _problem(p + extra, p, seed, weighted=weighted)
    data = RegressionData.from_arrays(X, y, weight, fit_intercept)
    prior = {
        "laplace": Laplace(1.0 / rate),
        "elastic-net": ElasticNetPrior(rate, 0.3 * rate),
        "gaussian": Gaussian(1.0 / np.sqrt(rate)),
    }[kind]
    ours = solve_map_general(data, prior, positive=positive, tol=1e-12)
    exact = solve_map(data, prior, positive=positive, tol=1e-14, max_iter=100_000)
    _check_against_exact(data, prior, positive, ours, exact)
    assert ours.convex
    assert ours.start_objectives == ()
    assert ours.solver == "proximal-gradient (FISTA, adaptive restart)"


@pytest.mark.parametrize("positive", [False, True])
def test_wide_elastic_net_matches_coordinate_descent(positive):
    # p > n: the loop works on X~ instead of the Gram matrix; 2 l2 = 1 keeps F strongly
    # convex.
    X, y, weight = _problem(15, 40, seed=3, weighted=True)
    data = RegressionData.from_arrays(X, y, weight)
    prior = ElasticNetPrior(2.0, 0.5)
    ours = solve_map_general(data, prior, positive=positive, tol=1e-12)
    exact = solve_map(data, prior, positive=positive, tol=1e-14, max_iter=100_000)
    _check_against_exact(data, prior, positive, ours, exact)


def test_lasso_on_diabetes_matches_coordinate_descent():
    # scikit-learn's Lasso(alpha=0.1) on the diabetes data as a prior: the default
    # tolerance already gives the exact answer to 1e-7, a tighter one to 1e-10.
    X, y = load_diabetes(return_X_y=True)
    data = RegressionData.from_arrays(X, y)
    prior = Laplace.from_alpha(0.1, X.shape[0])
    exact = solve_map(data, prior, tol=1e-14, max_iter=100_000)
    size = np.linalg.norm(exact.coef)
    default = solve_map_general(data, prior)
    assert default.certificate.converged
    assert np.linalg.norm(default.coef - exact.coef) <= 1e-7 * size
    tight = solve_map_general(data, prior, tol=1e-12)
    _check_against_exact(data, prior, False, tight, exact)
    np.testing.assert_array_equal(tight.coef == 0, exact.coef == 0)


@pytest.mark.parametrize("scale", [0.05, 1.0, 30.0])
@pytest.mark.parametrize("positive", [False, True])
def test_smooth_path_reaches_the_closed_form_ridge(scale, positive):
    # A Gaussian prior given to L-BFGS: F is (mu = lambda_min + 1/scale^2)-strongly convex
    # with L_F = L + 1/scale^2, so ||w - w*|| <= 2 ||G_t(w)|| / mu at t = 1/L_F.  The exact
    # answer: the ridge normal equations, or with w >= 0 the NNLS of the augmented
    # system [X~; I / scale] w ~ [y~; 0].
    X, y, weight = _problem(40, 6, seed=11, weighted=True)
    data = RegressionData.from_arrays(X, y, weight)
    X_t, y_t = data.centered()
    prior = SmoothGaussian(scale)
    ours = solve_map_general(data, prior, positive=positive, tol=1e-10)
    if positive:
        augmented = np.vstack([X_t, np.eye(6) / scale])
        exact, _ = scipy.optimize.nnls(augmented, np.concatenate([y_t, np.zeros(6)]))
    else:
        exact = ridge_solve(X_t, y_t, 0.5 / scale**2)
    mu = _smallest_eigenvalue(X_t) + 1.0 / scale**2
    step = 1.0 / (lipschitz_constant(X_t) + 1.0 / scale**2)
    residual = gradient_mapping(X_t, y_t, prior, ours.coef, positive=positive, step=step)
    deviation = np.linalg.norm(ours.coef - exact)
    size = max(1.0, np.linalg.norm(exact))
    assert deviation <= 2.0 * np.linalg.norm(residual) / mu + 1e-12 * size
    assert deviation <= 1e-8 * size
    assert ours.certificate.converged
    assert ours.solver.startswith("L-BFGS-B")
    assert ours.convex


def _brute_force(fun, grad, starts, bounds=None):
    """Local minima of ``fun`` from every start (scipy), sorted by value."""
    found = []
    for start in starts:
        method = "L-BFGS-B" if bounds is not None else "BFGS"
        options = {"gtol": 1e-10, "ftol": 1e-15} if bounds is not None else {"gtol": 1e-10}
        res = scipy.optimize.minimize(
            fun, start, jac=grad, method=method, bounds=bounds, options=options
        )
        found.append((float(res.fun), np.asarray(res.x)))
    return sorted(found, key=lambda item: item[0])


def _distinct_minima(found, rtol=1e-5):
    kept = []
    for value, w in found:
        if all(np.linalg.norm(w - v) > rtol * max(1.0, np.linalg.norm(v)) for _, v in kept):
            kept.append((value, w))
    return kept


@pytest.mark.parametrize(
    ("seed", "positive"),
    [
        (0, False),
        (1, True),
        pytest.param(1, False, marks=pytest.mark.slow),
        pytest.param(0, True, marks=pytest.mark.slow),
    ],
)
def test_cauchy_map_is_the_brute_force_global_minimum(seed, positive):
    # Two weakly informed features and a Cauchy(0.1) prior: P'' = 2 (s^2 - w^2) /
    # (s^2 + w^2)^2 is far more negative than the data's curvature, so F has several
    # local minima (one near 0 and one near the data's value per coordinate).  The
    # answer must be the global one that scipy finds from a 9 x 9 grid of starts.
    rng = np.random.default_rng(seed)
    X = 0.2 * rng.normal(size=(30, 2))
    y = X @ np.array([3.0, 2.5]) + 0.3 * rng.normal(size=30)
    data = RegressionData.from_arrays(X, y)
    X_t, y_t = data.centered()
    prior = Cauchy(0.1)
    ours = solve_map_general(data, prior, positive=positive, random_state=seed, n_starts=12)

    def fun(w):
        return _F(X_t, y_t, lambda w: np.sum(np.log1p(w * w / 0.01)), w)

    def grad(w):
        return X_t.T @ (X_t @ w - y_t) + 2.0 * w / (0.01 + w * w)

    reach = 2.0 * np.abs(ridge_solve(X_t, y_t, 0.0)).max() + 1.0
    axis = np.linspace(0.0 if positive else -reach, reach, 9)
    starts = [np.array(point) for point in itertools.product(axis, axis)]
    bounds = [(0.0, None)] * 2 if positive else None
    minima = _distinct_minima(_brute_force(fun, grad, starts, bounds))
    assert len(minima) >= 2  # the instance is genuinely non-convex
    best_value, best_w = minima[0]
    assert minima[1][0] - best_value > 1e-6  # a unique global minimum
    assert abs(ours.certificate.objective - best_value) <= 1e-10 * (1.0 + abs(best_value))
    np.testing.assert_allclose(ours.coef, best_w, rtol=1e-6, atol=1e-7)
    assert not ours.convex
    assert len(ours.start_objectives) == 12
    assert ours.certificate.objective == min(ours.start_objectives)
    assert ours.certificate.converged


# Seed 3: all eight starts without zeroed weights end at the dense local optimum, and
# the global one is sparse.
@pytest.mark.parametrize("seed", [3, pytest.param(0, marks=pytest.mark.slow)])
def test_bridge_half_map_is_the_brute_force_global_minimum(seed):
    # The L_1/2 penalty is not smooth at 0, so brute force enumerates the faces: for every
    # sign pattern s in {-1, 0, 1}^2, minimise F(s * u) over u > 0 on the nonzero
    # coordinates from a grid of starts; the global minimum is the best face minimum.
    rng = np.random.default_rng(seed)
    X = 0.3 * rng.normal(size=(30, 2))
    y = X @ np.array([2.0, -1.0]) + 0.3 * rng.normal(size=30)
    data = RegressionData.from_arrays(X, y)
    X_t, y_t = data.centered()
    prior = Bridge(0.5, 0.25)
    lam = 0.25**-0.5

    def penalty(w):
        return lam * np.sum(np.sqrt(np.abs(w)))

    ours = solve_map_general(data, prior, random_state=seed)

    found = []
    for signs in itertools.product([-1.0, 0.0, 1.0], repeat=2):
        s = np.array(signs)
        free = s != 0
        if not free.any():
            found.append((_F(X_t, y_t, penalty, np.zeros(2)), np.zeros(2)))
            continue

        def fun(u, s=s, free=free):
            w = np.zeros(2)
            w[free] = s[free] * u
            return _F(X_t, y_t, penalty, w)

        def grad(u, s=s, free=free):
            w = np.zeros(2)
            w[free] = s[free] * u
            return s[free] * (X_t.T @ (X_t @ w - y_t))[free] + 0.5 * lam / np.sqrt(u)

        k = int(free.sum())
        starts = [np.array(point) for point in itertools.product([0.05, 0.5, 1.5, 4.0], repeat=k)]
        for value, u in _brute_force(fun, grad, starts, [(1e-12, None)] * k):
            w = np.zeros(2)
            w[free] = s[free] * u
            found.append((value, w))
    minima = _distinct_minima(sorted(found, key=lambda item: item[0]))
    assert len(minima) >= 2
    best_value, best_w = minima[0]
    assert minima[1][0] - best_value > 1e-6
    assert abs(ours.certificate.objective - best_value) <= 1e-10 * (1.0 + abs(best_value))
    np.testing.assert_allclose(ours.coef, best_w, rtol=1e-6, atol=1e-7)
    assert ours.certificate.converged
    assert "monotone APG, non-convex, best of 8 starts" in ours.solver


def _one_feature(c_hat):
    # X~ = (1, 0)', y~ = (c_hat, 1)' without intercept: F(w) = ((w - c_hat)^2 + 1) / 2 + P(w).
    return RegressionData.from_arrays(np.array([[1.0], [0.0]]), np.array([c_hat, 1.0]), None, False)


def test_cauchy_one_feature_two_local_optima():
    # F'(w) = 0  <=>  (w - c)(s^2 + w^2) + 2w = 0, a cubic; with c = 3, s = 0.1 its roots
    # are two local minima (F'' = 1 + 2 (s^2 - w^2) / (s^2 + w^2)^2 > 0) around a local
    # maximum.  The global minimum is the one near 0; the start at least squares (w = c)
    # ends at the other, so both values appear among the starts' objectives.
    c, s = 3.0, 0.1
    roots = np.sort(np.roots([1.0, -c, s * s + 2.0, -c * s * s]).real)
    curvature = 1.0 + 2.0 * (s * s - roots**2) / (s * s + roots**2) ** 2
    minima = roots[curvature > 0]
    assert len(minima) == 2
    values = 0.5 * ((minima - c) ** 2 + 1.0) + np.log1p(minima**2 / s**2)
    data = _one_feature(c)
    result = solve_map_general(data, Cauchy(s), random_state=0)
    best = np.argmin(values)
    # Stopped at |F'(w)| <= tol (1 + |X~'y~|) = 4e-8, so |w - w*| <= 4e-8 / F''(w*) to
    # first order (a factor 2 of slack for the second).
    assert abs(result.coef[0] - minima[best]) <= 2.0 * 4e-8 / curvature[curvature > 0][best]
    np.testing.assert_allclose(result.certificate.objective, values.min(), rtol=1e-12)
    for value in values:
        assert np.min(np.abs(np.array(result.start_objectives) - value)) <= 1e-10 * value
    assert "2 distinct optima" in result.solver
    optima = local_optima(data, Cauchy(s), random_state=0)
    order = np.argsort(values)
    np.testing.assert_allclose(
        [w[0] for _, w in optima], minima[order], atol=2.0 * 4e-8 / curvature[curvature > 0].min()
    )


def test_bridge_one_feature_two_local_optima():
    # F(w) = ((w - c)^2 + 1)/2 + lam |w|^(1/2).  w = 0 is always a local minimum (P' is
    # infinite there); for c > T(lam) (bridge_threshold) the other, w+ solving
    # w - c + lam / (2 sqrt w) = 0 on [beta, c], is the global one.  With c = 1.01 T the
    # step from 0 (t = 0.95, threshold T(0.95 lam) = 0.95^(2/3) T > 0.95 c) stays at 0, so
    # the zero start ends at the worse optimum and the least-squares start at w+.
    lam = 1.0
    threshold, beta = bridge_threshold(0.5, lam)
    c = 1.01 * threshold
    w_plus = scipy.optimize.brentq(lambda w: w - c + 0.5 * lam / np.sqrt(w), beta, c, xtol=1e-15)
    value_zero = 0.5 * (c * c + 1.0)
    value_plus = 0.5 * ((w_plus - c) ** 2 + 1.0) + lam * np.sqrt(w_plus)
    assert value_plus < value_zero
    result = solve_map_general(_one_feature(c), Bridge(0.5, 1.0), random_state=0, tol=1e-12)
    np.testing.assert_allclose(result.coef, [w_plus], rtol=1e-9)
    assert result.start_objectives[0] == pytest.approx(value_zero, rel=1e-12)  # the zero start
    assert result.start_objectives[1] == pytest.approx(value_plus, rel=1e-12)  # least squares
    assert result.certificate.objective == pytest.approx(value_plus, rel=1e-12)


def test_no_finite_mode_is_refused():
    data = RegressionData.from_arrays(*_problem(20, 3, seed=0)[:2])
    with pytest.raises(NoFiniteModeError, match="unbounded at 0"):
        solve_map_general(data, NoMode())


def test_running_out_of_iterations_is_not_certified():
    # The residual is honest: stopped after 2 iterations, the point is not stationary.
    X, y, _ = _problem(60, 8, seed=5)
    data = RegressionData.from_arrays(X, y)
    result = solve_map_general(data, Laplace(0.05), max_iter=2)
    assert result.n_iter == 2
    assert not result.certificate.converged
    assert np.isnan(result.certificate.duality_gap)


def test_refits_with_other_prior_parameters_reuse_the_compiled_solvers():
    # The prior is a pytree argument: another alpha (or other data of the same shapes)
    # runs the same compiled loop.
    X, y, _ = _problem(50, 5, seed=7)
    X2, y2, _ = _problem(50, 5, seed=8)
    first = RegressionData.from_arrays(X, y)
    second = RegressionData.from_arrays(X2, y2)
    cases = [
        (proximal._pg_batch, [Laplace(0.1), Laplace(0.01), Laplace(2.0)], {}),
        (proximal._pg_batch, [Bridge(0.5, 0.3), Bridge(0.5, 2.0)], {"n_starts": 4}),
        (proximal._smooth_value_and_grad, [Cauchy(0.5), Cauchy(3.0)], {"n_starts": 3}),
    ]
    for compiled, priors, options in cases:
        solve_map_general(first, priors[0], random_state=0, **options)
        size = compiled._cache_size()
        for prior in priors[1:]:
            for data in (first, second):
                solve_map_general(data, prior, random_state=0, **options)
        assert compiled._cache_size() == size
