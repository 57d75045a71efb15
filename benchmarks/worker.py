"""One measurement in a fresh interpreter: ``python benchmarks/worker.py '<json spec>'``.

A fresh process makes the first call honest: it pays for imports (timed apart), JIT or
numba compilation and caches.  The worker then times refits in the same process and
prints one JSON line (the last line of stdout) for ``run.py``.

Specs (``kind`` and its fields):

* ``map``: ``library``, ``problem``, ``estimator``, ``tol``, ``budget_s``;
* ``path``: ``library``, ``problem``, ``tol``, ``budget_s``;
* ``sample``: ``sampler``, ``case``, ``chain_method``, ``settings``, ``second_call``,
  ``seed``, ``reference`` (compare with posteriordb's exact moments).
"""

from __future__ import annotations

import json
import logging
import math
import statistics
import sys
import time
import traceback
import warnings

import numpy as np
import problems


class CompileCounter(logging.Handler):
    """Counts XLA compilations that were not read from the persistent compilation cache.

    JAX logs "Finished XLA compilation" for every executable it builds when
    ``jax_log_compiles`` is on, also when ``compile_or_get_cached`` found it on disk; such a
    hit is reported as a ``/jax/compilation_cache/cache_hits`` monitoring event, and is
    not counted as a compilation.
    """

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.logged = 0
        self.cache_hits = 0

    @property
    def count(self) -> int:
        return self.logged - self.cache_hits

    def emit(self, record):
        if record.getMessage().startswith("Finished XLA compilation"):
            self.logged += 1

    def _on_event(self, name, **kwargs):
        if name == "/jax/compilation_cache/cache_hits":
            self.cache_hits += 1

    def install(self) -> CompileCounter:
        if "jax" in sys.modules:
            import jax

            logger = logging.getLogger("jax")
            logger.addHandler(self)
            logger.propagate = False
            jax.config.update("jax_log_compiles", True)
            jax.monitoring.register_event_listener(self._on_event)
        return self

    def since(self, start: int) -> int:
        return self.count - start


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def time_calls(fn, budget_s: float) -> dict:
    """Best and median seconds per call of ``fn`` in a warmed process.

    Calls shorter than 20 ms are grouped so one sample lasts >= 20 ms; samples are
    taken until ``budget_s`` is spent (at least 2, at most 9; one when a single call
    takes more than ``5 budget_s``).
    """
    first, _ = timed(fn)
    if first > 5 * budget_s:
        return {"best_s": first, "median_s": first, "n": 1}
    number = max(1, math.ceil(0.02 / max(first, 1e-9)))
    samples = [first] if number == 1 else []
    while len(samples) < 9 and (len(samples) < 2 or sum(samples) * number < budget_s):
        total, _ = timed(lambda: [fn() for _ in range(number)])
        samples.append(total / number)
    return {"best_s": min(samples), "median_s": statistics.median(samples), "n": len(samples)}


def _warnings(caught) -> list[str]:
    return sorted({f"{w.category.__name__}: {str(w.message)[:160]}" for w in caught})


# -- MAP ------------------------------------------------------------------------------------
def run_map(spec: dict) -> dict:
    import map_solvers

    library, estimator, tol = spec["library"], spec["estimator"], spec["tol"]
    import_s, _ = timed(lambda: map_solvers.import_library(library))
    compiles = CompileCounter().install()
    X, y = problems.make_problem(spec["problem"])
    alpha = problems.alpha_for(estimator, X, y)
    rng = np.random.default_rng(1)
    y_other = y + rng.standard_normal(len(y))
    out: dict = {"import_s": import_s}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = map_solvers.make_estimator(library, estimator, alpha, tol)
        out["cold_s"], _ = timed(lambda: est.fit(X, y))
        out["cold_compiles"] = compiles.count
        for label, make, target in (
            (
                "other_alpha",
                lambda: map_solvers.make_estimator(library, estimator, 0.7 * alpha, tol),
                y,
            ),
            (
                "other_y",
                lambda: map_solvers.make_estimator(library, estimator, alpha, tol),
                y_other,
            ),
        ):
            other = make()
            start = compiles.count
            out[f"refit_{label}_s"], _ = timed(lambda o=other, t=target: o.fit(X, t))
            out[f"refit_{label}_compiles"] = compiles.since(start)
        start = compiles.count
        out["warm"] = time_calls(lambda: est.fit(X, y), spec["budget_s"])
        out["warm_compiles"] = compiles.since(start)
    coef, intercept = np.asarray(est.coef_, dtype=float).ravel(), float(est.intercept_)
    gap = problems.duality_gap(estimator, X, y, coef, intercept, alpha)
    out.update(
        alpha=alpha,
        gap=gap,
        relative_gap=problems.relative_gap(estimator, gap, y),
        nonzeros=int(np.count_nonzero(coef)),
        coef=coef.tolist(),
        intercept=intercept,
        warnings=_warnings(caught),
    )
    return out


# -- paths ----------------------------------------------------------------------------------
def run_path(spec: dict) -> dict:
    import map_solvers

    library, tol = spec["library"], spec["tol"]
    import_s, path = timed(lambda: map_solvers.path_function(library))
    compiles = CompileCounter().install()
    X, y = problems.centered(*problems.make_problem(spec["problem"]))
    alphas = problems.path_alphas(X, y)
    y_other = y + np.random.default_rng(1).standard_normal(len(y))
    y_other -= y_other.mean()
    out: dict = {"import_s": import_s, "n_alphas": len(alphas)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out["cold_s"], coefs = timed(lambda: path(X, y, alphas, tol))
        out["cold_compiles"] = compiles.count
        start = compiles.count
        out["refit_other_y_s"], _ = timed(lambda: path(X, y_other, alphas, tol))
        out["refit_other_y_compiles"] = compiles.since(start)
        start = compiles.count
        out["warm"] = time_calls(lambda: path(X, y, alphas, tol), spec["budget_s"])
        out["warm_compiles"] = compiles.since(start)
    coefs = np.asarray(coefs, dtype=float).reshape(X.shape[1], len(alphas))
    gaps = [
        problems.enet_duality_gap(X, y, coefs[:, k], 0.0, a, 1.0, fit_intercept=False)
        for k, a in enumerate(alphas)
    ]
    scale = y @ y / len(y)
    out.update(
        max_gap=max(gaps),
        max_relative_gap=max(gaps) / scale,
        warnings=_warnings(caught),
    )
    return out


# -- sampling -------------------------------------------------------------------------------
def make_case(name: str):
    """``"lasso diabetes"``, ``"lasso synthetic NxP"``, ``"ridge diabetes"``,
    ``"diamonds"`` or ``"diamonds first N"``."""
    import samplers

    if name.startswith("diamonds"):
        rows = int(name.split()[-1]) if "first" in name else None
        X, y = samplers.diamonds_data(rows)
        return samplers.Case(name, "diamonds", X, y)
    model, problem = name.split(" ", 1)
    if problem == "diabetes":
        from sklearn.datasets import load_diabetes

        X, y = load_diabetes(return_X_y=True)
        alpha = 0.1 if model == "lasso" else problems.RIDGE_ALPHA
    else:
        X, y = problems.make_problem(problem)
        alpha = problems.alpha_for("Lasso" if model == "lasso" else "Ridge", X, y)
    return samplers.Case(name, model, X, y, alpha)


def diagnostics(draws) -> dict:
    """Smallest bulk ESS, largest R-hat, and per-scalar means and MCSEs (arviz)."""
    import arviz as az

    tree = az.from_dict({"posterior": draws.draws})
    ess = az.ess(tree, method="bulk")
    rhat = az.rhat(tree)
    mcse = az.mcse(tree, method="mean")
    names = ("intercept", "coef", "sigma")
    means, errors = [], []
    for name in names:
        means += np.atleast_1d(draws.draws[name].mean(axis=(0, 1))).tolist()
        errors += np.atleast_1d(np.asarray(mcse[name].values)).tolist()
    n_chains, n_draws = draws.draws["sigma"].shape[:2]
    return {
        "min_bulk_ess": min(float(np.min(ess[v].values)) for v in names),
        "max_rhat": max(float(np.max(rhat[v].values)) for v in names),
        "divergences": draws.divergences,
        "max_depth_hits": draws.max_depth_hits,
        "n_draws": n_chains * n_draws,
        "means": means,
        "mcse": errors,
    }


def exact_z(case_name: str, means, errors) -> float:
    """Largest ``|mean - exact| / MCSE`` against posteriordb's quadrature moments."""
    import samplers

    pdb = samplers._posteriordb()
    moments, _ = pdb.reference_moments("diamonds-diamonds")
    exact = np.r_[moments.theta_mean, moments.sigma_mean]  # intercept, coef..., sigma
    return float(np.max(np.abs(np.asarray(means) - exact) / np.asarray(errors)))


def run_sample(spec: dict) -> dict:
    import samplers

    sampler, settings = spec["sampler"], spec["settings"]
    start = time.perf_counter()
    if sampler == "bayesreg":
        import bayesreg  # noqa: F401
    elif sampler in ("numpyro", "blackjax"):
        import jax

        jax.config.update("jax_enable_x64", True)  # float64, as bayesreg runs
        import numpyro  # noqa: F401

        if sampler == "blackjax":
            import blackjax  # noqa: F401
    else:
        import pymc  # noqa: F401

        if sampler == "nutpie":
            import nutpie  # noqa: F401
    out: dict = {"import_s": time.perf_counter() - start}
    compiles = CompileCounter().install()
    case = make_case(spec["case"])
    if "jax" in sys.modules:
        import jax

        out["jax_devices"] = jax.local_device_count()
        out["jax_backend"] = jax.default_backend()

    def call(seed):
        if sampler == "bayesreg":
            return samplers.sample_bayesreg(case, seed, settings)
        if sampler == "numpyro":
            return samplers.sample_numpyro(case, seed, settings, spec["chain_method"])
        if sampler == "blackjax":
            return samplers.sample_blackjax(case, seed, settings)
        return made(seed, settings)

    calls = []
    made = None
    for index in range(2 if spec["second_call"] else 1):
        before = compiles.count
        build_s = 0.0
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            if made is None and sampler in ("nutpie", "pymc"):
                # Building and compiling the model is part of the first call.
                make = samplers.make_nutpie if sampler == "nutpie" else samplers.make_pymc
                build_s, made = timed(lambda: make(case))  # noqa: B023 - called at once
            draws = call(spec["seed"] + index)
            wall = time.perf_counter() - start
        result = {
            "wall_s": wall,
            "model_build_s": build_s,
            "compiles": compiles.since(before),
            **diagnostics(draws),
        }
        result["ess_per_s"] = result["min_bulk_ess"] / wall
        result["warnings"] = _warnings(caught)
        if spec.get("reference") and index == 0:
            result["exact_max_z"] = exact_z(spec["case"], result["means"], result["mcse"])
        calls.append(result)
        if wall - build_s > spec.get("second_call_limit_s", math.inf):
            break  # a second call would take as long again; reported as not run
    out["calls"] = calls
    return out


def main() -> int:
    spec = json.loads(sys.argv[1])
    runner = {"map": run_map, "path": run_path, "sample": run_sample}[spec["kind"]]
    try:
        answer = runner(spec)
    except Exception as error:  # reported in the table, never a crash of the whole run
        answer = {
            "error": f"{type(error).__name__}: {error}"[:500],
            "trace": traceback.format_exc(),
        }
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
