"""The benchmark harness (benchmarks/run.py): its certificate and a quick end-to-end run.

The duality gap of ``benchmarks/problems.py`` judges every solver in the benchmark, so it
is checked against scikit-learn's own ``dual_gap_`` (the same dual point for the lasso:
the centred residual rescaled into the dual feasible set) and against the defining
property of a gap, ``P(w) - P(w*) <= gap(w)``, with ``w*`` solved to 1e-14.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet, Lasso, Ridge

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


problems = _load("problems")


def _objective(estimator, X, y, coef, intercept, alpha):
    r = y - X @ coef - intercept
    if estimator == "Ridge":
        return r @ r + alpha * coef @ coef
    rho = 1.0 if estimator == "Lasso" else problems.L1_RATIO
    return r @ r / (2 * len(y)) + alpha * (rho * np.abs(coef).sum() + 0.5 * (1 - rho) * coef @ coef)


@pytest.mark.parametrize("name", ["diabetes 442x10", "synthetic 60x150"])
@pytest.mark.parametrize("tol", [1e-1, 1e-3])
def test_lasso_gap_equals_sklearn_dual_gap(name, tol):
    # For the lasso both use theta = r * min(1, n alpha / ||X~'r||_inf) on centred data,
    # so the two gaps are the same number up to rounding.
    X, y = problems.make_problem(name)
    alpha = problems.alpha_for("Lasso", X, y)
    fit = Lasso(alpha=alpha, tol=tol).fit(X, y)
    gap = problems.enet_duality_gap(X, y, fit.coef_, fit.intercept_, alpha, 1.0)
    assert fit.dual_gap_ > 1e-10  # a loose tol leaves a gap worth comparing
    assert gap == pytest.approx(fit.dual_gap_, rel=1e-8)


@pytest.mark.parametrize("estimator", ["Lasso", "ElasticNet", "Ridge"])
def test_gap_bounds_suboptimality(estimator):
    # Weak duality: P(w) - P(w*) <= gap(w) for any w, and gap(w*) ~ 0 at the optimum.
    X, y = problems.make_problem("synthetic 80x30")
    alpha = problems.alpha_for(estimator, X, y)
    if estimator == "Ridge":
        best = Ridge(alpha=alpha).fit(X, y)
    else:
        cls = Lasso if estimator == "Lasso" else ElasticNet
        kwargs = {} if estimator == "Lasso" else {"l1_ratio": problems.L1_RATIO}
        best = cls(alpha=alpha, tol=1e-14, max_iter=100_000, **kwargs).fit(X, y)
    f_best = _objective(estimator, X, y, best.coef_, best.intercept_, alpha)
    gap_best = problems.duality_gap(estimator, X, y, best.coef_, best.intercept_, alpha)
    assert abs(gap_best) <= 1e-9 * f_best
    rng = np.random.default_rng(0)
    for _ in range(20):
        coef = best.coef_ + 0.05 * rng.standard_normal(X.shape[1])
        intercept = best.intercept_ + 0.05 * rng.standard_normal()
        excess = _objective(estimator, X, y, coef, intercept, alpha) - f_best
        gap = problems.duality_gap(estimator, X, y, coef, intercept, alpha)
        assert excess > 0
        assert excess <= gap * (1 + 1e-9)
        if estimator != "Ridge":
            # Not vacuous: within a small factor of the true excess.  (Ridge's dual
            # point r costs ||X'r||^2 / alpha, so its gap is ~ lambda_max(X'X) / alpha
            # times the excess: still a valid bound, and 0 at the optimum.)
            assert gap <= 100 * excess


def _numbers(value, path="results"):
    """Every number in a JSON tree, with where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _numbers(item, f"{path}.{key}")
    elif isinstance(value, list):
        for k, item in enumerate(value):
            yield from _numbers(item, f"{path}[{k}]")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path, value


@pytest.mark.slow
def test_quick_run_writes_every_section(tmp_path, request):
    # Peers missing from this environment are rows marked "not installed", not a crash.
    command = [sys.executable, str(BENCHMARKS / "run.py"), "--quick", "--output-dir", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "benchmarks.json").read_text())
    markdown = (tmp_path / "benchmarks.md").read_text()
    assert {"environment", "settings", "map", "path", "sampling", "targets"} <= set(results)
    problems_run = results["settings"]["map_problems"]
    assert problems_run
    for section in ("map", "path"):
        assert {r["problem"] for r in results[section]} == set(problems_run)
    assert {(r["problem"], r["estimator"]) for r in results["map"]} == {
        (p, e) for p in problems_run for e in ("Lasso", "ElasticNet", "Ridge")
    }
    assert {r["section"] for r in results["sampling"]} == set("abcd")
    for section in ("map", "path", "sampling"):
        rows = results[section]
        assert all(r["status"] in ("ok", "not installed") for r in rows), [
            r.get("error") for r in rows if r["status"] == "error"
        ]
        ours = [r for r in rows if r.get("library", r.get("sampler")) == "bayesreg"]
        assert ours and all(r["status"] == "ok" for r in ours)
    bad = [(where, v) for where, v in _numbers(results) if not math.isfinite(v)]
    assert not bad
    for row in results["map"] + results["path"]:
        if row["status"] == "ok":
            gap = row.get("relative_gap", row.get("max_relative_gap"))
            assert gap <= problems.TARGET_GAP
    for row in results["sampling"]:
        if row["status"] == "ok":
            assert all(c["min_bulk_ess"] > 0 and c["wall_s"] > 0 for c in row["calls"])
    assert results["targets"] and all(t["met"] in (True, False, None) for t in results["targets"])
    for heading in ("## MAP: one fit", "## Lasso path: 100 alphas", "## Sampling"):
        assert heading in markdown
    assert "| problem | estimator | library |" in markdown
    assert "| sampler | chains | call |" in markdown
    table_rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    assert len(table_rows) >= len(results["map"]) + len(results["path"])
    assert results["environment"]["versions"]["bayesreg"]
    request.node.user_properties.append(
        (
            "summary",
            f"benchmarks --quick: {results['environment']['total_s']:.0f} s, "
            f"{sum(t['met'] is True for t in results['targets'])} targets met, "
            f"{sum(t['met'] is False for t in results['targets'])} missed (quick sizes)",
        )
    )
