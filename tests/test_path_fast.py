"""The compiled path kernel gives each point's exact MAP, certified, without recompiling.

Identities checked:

* the fast path (one compiled scan over the grid on the Gram matrix, or the working-set
  path for many features) == one ``solve_map`` per alpha (the slow path it replaces), to
  1e-8 of the path's largest coefficient: both are exact optima (polished), so they
  differ only by rounding;
* == scikit-learn's ``lasso_path`` / ``enet_path`` run to ``tol=1e-12``, and
  ``regularization_path`` with intercept and sample weights == scikit-learn's
  ``ElasticNet`` at each alpha;
* every point's certificate, recomputed independently from explicit residuals
  (:func:`bayesreg.solvers.certificate.certify`), has ``gap <= tol ||y~||^2``, and the
  reported ``dual_gaps`` are that gap in scikit-learn's scale;
* the kernel compiles once per padded shape: another grid of the same length, another
  data set of the same shape or a grid of another length that pads to the same size
  add no compiled program (counted with the jitted function's cache size).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn.linear_model as sk
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning

import bayesreg.path as path_module
from bayesreg.model import RegressionData
from bayesreg.model_selection import LassoCV
from bayesreg.path import _path_by_solve_map, enet_path, lasso_path, regularization_path
from bayesreg.solvers import centered_exactly
from bayesreg.solvers.certificate import certify
from bayesreg.solvers.path_descent import _path_kernel

EQUAL_RTOL = 1e-8  # fast vs slow path / scikit-learn, relative to the largest coefficient
SK = dict(tol=1e-12, max_iter=10**6)


def _problem(seed: int, n: int, p: int, *, rho: float = 0.5, weighted: bool = False):
    """Equicorrelated columns off centre, a sparse signal and noise."""
    rng = np.random.default_rng(seed)
    X = np.sqrt(1 - rho) * rng.standard_normal((n, p)) + np.sqrt(rho) * rng.standard_normal((n, 1))
    X = X * 10.0 ** rng.uniform(-0.5, 0.5, p) + rng.normal(0, 2, p)
    beta = np.zeros(p)
    k = min(5, p)
    beta[rng.choice(p, k, replace=False)] = rng.choice([-1.0, 1.0], k) * rng.uniform(1, 3, k)
    y = X @ beta + rng.standard_normal(n) + 3.0
    sw = rng.exponential(1.0, n) + 0.05 if weighted else None
    return X, y, sw


@pytest.fixture
def count_solve_map(monkeypatch):
    """Counts the points the fast path hands back to ``solve_map``."""
    calls = []
    original = path_module.solve_map

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(path_module, "solve_map", counted)
    return calls


def _slow_path(X, y, sw, alphas, *, l1_ratio, positive, fit_intercept=True, tol=1e-4):
    weights = None if sw is None else sw * (len(y) / sw.sum())
    data = RegressionData.from_arrays(X, y, weights, fit_intercept)
    return _path_by_solve_map(data, alphas, l1_ratio, positive, tol, 1000, None)


def _assert_certified_independently(path, X, y, sw, fit_intercept, tol):
    """Each point's gap from explicit residuals is <= tol ||y~||^2, as reported."""
    weights = None if sw is None else sw * (len(y) / sw.sum())
    data = RegressionData.from_arrays(X, y, weights, fit_intercept)
    X_t, y_t = centered_exactly(data)
    n = len(y)
    worst = 0.0
    for k, alpha in enumerate(path.alphas):
        l1 = n * alpha * path.l1_ratio
        l2 = n * alpha * (1 - path.l1_ratio) / 2
        cert = certify(X_t, y_t, path.coefs[:, k], l1, l2, positive=False, tol=tol)
        assert cert.relative_gap <= tol, (k, cert)
        # The reported gap (Gram quantities) and the explicit one agree to rounding.
        assert path.dual_gaps[k] * n == pytest.approx(cert.duality_gap, abs=1e-10 * (y_t @ y_t))
        worst = max(worst, cert.relative_gap)
    return worst


CASES = {
    "lasso": dict(l1_ratio=1.0),
    "enet-0.5": dict(l1_ratio=0.5),
    "enet-0.05": dict(l1_ratio=0.05),
    "positive": dict(l1_ratio=1.0, positive=True),
    "weighted": dict(l1_ratio=0.8, weighted=True),
    "no-intercept": dict(l1_ratio=1.0, fit_intercept=False),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize(("n", "p"), [(60, 12), (40, 90)], ids=["gram", "working-set"])
def test_fast_path_equals_solve_map(case, n, p, count_solve_map, request):
    # The fast path's point k must be solve_map's answer at alphas[k]: both exact optima.
    kw = dict(CASES[case])
    weighted = kw.pop("weighted", False)
    positive = kw.get("positive", False)
    fit_intercept = kw.pop("fit_intercept", True)
    X, y, sw = _problem(7, n, p, weighted=weighted)
    path = regularization_path(
        X, y, sample_weight=sw, fit_intercept=fit_intercept, n_alphas=30, **kw
    )
    handed_back = len(count_solve_map)
    slow = _slow_path(
        X,
        y,
        sw,
        path.alphas,
        l1_ratio=path.l1_ratio,
        positive=positive,
        fit_intercept=fit_intercept,
    )
    scale = max(float(np.max(np.abs(slow.coefs))), 1.0)
    dev = float(np.max(np.abs(path.coefs - slow.coefs))) / scale
    assert dev <= EQUAL_RTOL, dev
    np.testing.assert_allclose(path.intercepts, slow.intercepts, rtol=0, atol=1e-8 * scale * 10)
    assert path.converged
    if not positive:
        _assert_certified_independently(path, X, y, sw, fit_intercept, 1e-4)
    # The compiled kernel answered (almost) every point itself.
    assert handed_back <= 2, handed_back
    request.node.user_properties.append(
        (
            "summary",
            f"fast path {case} {n}x{p}: dev vs solve_map {dev:.1e}, "
            f"{handed_back}/30 points handed to solve_map",
        )
    )


def test_both_regimes_agree(monkeypatch):
    # The working-set path on the same data as the Gram scan: the same exact points.
    X, y, _ = _problem(3, 80, 40)
    gram = regularization_path(X, y, l1_ratio=0.7, n_alphas=40)
    monkeypatch.setattr(path_module, "_GRAM_MAX_FEATURES", 0)
    working_set = regularization_path(X, y, l1_ratio=0.7, n_alphas=40)
    scale = float(np.max(np.abs(gram.coefs)))
    assert np.max(np.abs(gram.coefs - working_set.coefs)) <= EQUAL_RTOL * scale
    assert np.array_equal(gram.coefs == 0, working_set.coefs == 0)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("positive", [False, True])
def test_diabetes_path_equals_sklearn_and_is_certified(
    l1_ratio, positive, count_solve_map, request
):
    # scikit-learn's default grid (eps=1e-3, 100 points); its points at tol=1e-12.
    X, y = load_diabetes(return_X_y=True)
    alphas, coefs, gaps = enet_path(X, y, l1_ratio=l1_ratio, positive=positive)
    ref_alphas, ref_coefs, _ = sk.enet_path(X, y, l1_ratio=l1_ratio, positive=positive, **SK)
    np.testing.assert_array_equal(alphas, ref_alphas)
    dev = float(np.max(np.abs(coefs - ref_coefs))) / float(np.max(np.abs(ref_coefs)))
    assert dev <= EQUAL_RTOL, dev
    assert np.all(gaps <= 1e-4 * (y @ y) / len(y))
    assert len(count_solve_map) == 0, "every point should come from the compiled kernel"
    request.node.user_properties.append(
        (
            "summary",
            f"diabetes enet_path l1_ratio={l1_ratio} positive={positive}: dev vs "
            f"sklearn(tol=1e-12) {dev:.1e}, max dual gap / (||y||^2/n) "
            f"{float(np.max(gaps)) * len(y) / (y @ y):.1e}",
        )
    )


def test_wide_lasso_path_equals_sklearn(count_solve_map):
    # p >> n: the working-set path, against scikit-learn's lasso_path.
    X, y, _ = _problem(11, 50, 400)
    X = np.asfortranarray(X)
    alphas, coefs, gaps = lasso_path(X, y, eps=1e-2, n_alphas=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _, ref_coefs, _ = sk.lasso_path(X, y, alphas=alphas, **SK)
    dev = float(np.max(np.abs(coefs - ref_coefs))) / float(np.max(np.abs(ref_coefs)))
    assert dev <= 1e-6, dev  # scikit-learn's own accuracy at gap 1e-12 on a p >> n design
    assert np.all(gaps <= 1e-4 * (y @ y) / len(y))
    assert len(count_solve_map) <= 2


def test_lasso_cv_folds_use_the_compiled_path(count_solve_map):
    # One compiled path per fold: at most 1% of the 5 x 100 fold points go to solve_map.
    X, y = load_diabetes(return_X_y=True)
    model = LassoCV(cv=5).fit(X, y)
    ref = sk.LassoCV(cv=5, tol=1e-12, max_iter=10**6).fit(X, y)
    assert model.alpha_ == ref.alpha_
    np.testing.assert_allclose(model.mse_path_, ref.mse_path_, rtol=1e-6)
    assert len(count_solve_map) <= 5, len(count_solve_map)


def test_constant_target_gives_zero_path():
    X, _, _ = _problem(0, 30, 5)
    path = regularization_path(X, np.full(30, 2.5), alphas=[1.0, 0.1, 0.01])
    assert np.all(path.coefs == 0)
    np.testing.assert_allclose(path.intercepts, 2.5)
    assert path.converged


def test_kernel_compiles_once_per_padded_shape():
    # Another grid of the same length, other data of the same shape, a grid length that
    # pads to the same power of two: the same compiled kernel.
    X, y, _ = _problem(1, 50, 9)
    regularization_path(X, y, n_alphas=100)
    compiled = _path_kernel._cache_size()
    regularization_path(X, y, n_alphas=100, eps=1e-2)  # another grid
    X2, y2, _ = _problem(2, 50, 9)
    regularization_path(X2, y2, n_alphas=100, l1_ratio=0.3)  # other data, other rho
    regularization_path(X2[:40], y2[:40], n_alphas=90)  # other n; 90 pads to 128 too
    X3, y3, _ = _problem(3, 50, 12)
    regularization_path(X3, y3, n_alphas=100)  # 12 features pad to 16 as 9 do
    assert _path_kernel._cache_size() == compiled
