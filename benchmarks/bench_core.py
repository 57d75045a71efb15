"""Time bayesreg's MAP against scikit-learn, and its NUTS posterior against plain numpyro.

Run ``python benchmarks/bench_core.py`` (``make bench``).  It prints markdown tables and
writes them to ``benchmarks/results.md``, with the raw numbers, versions and machine in
``benchmarks/results.json``.

Two parts:

* MAP.  Ridge, Lasso and ElasticNet on the diabetes data (442 x 10) and on synthetic
  1000 x 100 and 200 x 1000 problems, ours against scikit-learn's at the same ``tol``
  (1e-8, and scikit-learn's default 1e-4).  *Cold* is the first fit in a fresh
  interpreter (a subprocess; for us it includes JAX's compilation), imports excluded and
  timed apart; *warm* is the median of repeated fits in one process.
* NUTS.  4 chains x (1000 warm-up + 1000 draws) on diabetes, by
  ``bayesreg.Lasso(alpha=0.1).sample_posterior`` and by the numpyro model a user would
  write by hand (Laplace prior on ``coef``, wide normal intercept, half-normal ``sigma``),
  each in a fresh interpreter, first and second call: wall time, the smallest bulk ESS over
  ``coef``, ``intercept`` and ``sigma`` and ESS per second.  Both run with one CPU device
  (numpyro vectorises the chains) and with one CPU device per chain (chains in parallel).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import timeit
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
PROBLEMS = ("diabetes 442x10", "synthetic 1000x100", "synthetic 200x1000")
ESTIMATORS = ("Ridge", "Lasso", "ElasticNet")
TOLS = (1e-8, 1e-4)
COLD_TOL = 1e-4
MAX_ITER = 100_000
L1_RATIO = 0.5
NUTS_SETTINGS = {"num_samples": 1000, "num_warmup": 1000, "num_chains": 4}
NUTS_ALPHA = 0.1
SEED = 0


# -- problems ----------------------------------------------------------------------------


def make_problem(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The design and target of a named problem (synthetic ones with sparse true weights)."""
    if name.startswith("diabetes"):
        from sklearn.datasets import load_diabetes

        return load_diabetes(return_X_y=True)
    n, p = (int(v) for v in name.split()[-1].split("x"))
    rng = np.random.default_rng(SEED)
    # Equicorrelated features (rho = 0.5): harder for coordinate descent than independent ones.
    X = rng.standard_normal((n, p)) + rng.standard_normal((n, 1))
    coef = np.zeros(p)
    support = rng.choice(p, size=max(p // 10, 5), replace=False)
    coef[support] = rng.choice([-1.0, 1.0], size=support.size) * rng.uniform(1, 3, support.size)
    y = 3.0 + X @ coef + rng.standard_normal(n)
    return X, y


def alpha_for(estimator: str, X: np.ndarray, y: np.ndarray) -> float:
    """Ridge: 1.  Lasso, elastic net: a tenth of the smallest alpha that zeroes every weight."""
    if estimator == "Ridge":
        return 1.0
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    alpha_max = np.max(np.abs(Xc.T @ yc)) / X.shape[0]
    return 0.1 * alpha_max / (1.0 if estimator == "Lasso" else L1_RATIO)


def make_estimator(library: str, estimator: str, alpha: float, tol: float):
    if library == "bayesreg":
        import bayesreg as module
    else:
        import sklearn.linear_model as module
    kwargs = {"alpha": alpha, "tol": tol}
    if estimator != "Ridge":
        kwargs["max_iter"] = MAX_ITER
    if estimator == "ElasticNet":
        kwargs["l1_ratio"] = L1_RATIO
    return getattr(module, estimator)(**kwargs)


def objective(estimator: str, alpha: float, X, y, coef, intercept) -> float:
    """scikit-learn's objective for ``estimator`` at ``(coef, intercept)``."""
    r = y - X @ coef - intercept
    if estimator == "Ridge":
        return float(r @ r + alpha * coef @ coef)
    rho = 1.0 if estimator == "Lasso" else L1_RATIO
    penalty = alpha * (rho * np.abs(coef).sum() + 0.5 * (1 - rho) * coef @ coef)
    return float(r @ r / (2 * X.shape[0]) + penalty)


# -- workers (run in fresh interpreters) -------------------------------------------------


def worker_map_cold(library: str, problem: str, estimator: str) -> dict:
    """Import time and the first fit's time in this (fresh) interpreter."""
    start = time.perf_counter()
    make_estimator(library, estimator, 1.0, COLD_TOL)  # imports the library
    import_s = time.perf_counter() - start
    X, y = make_problem(problem)
    est = make_estimator(library, estimator, alpha_for(estimator, X, y), COLD_TOL)
    start = time.perf_counter()
    est.fit(X, y)
    return {"import_s": import_s, "first_fit_s": time.perf_counter() - start}


def _numpyro_by_hand(X, y, alpha: float, seed: int, chain_method: str):
    """What a user writes without bayesreg: a Laplace-prior regression in plain numpyro."""
    import jax
    import numpyro
    import numpyro.distributions as dist
    from numpyro.infer import MCMC, NUTS

    n, p = X.shape
    # The Laplace scale bayesreg's noise-scaled prior has at the MAP's noise estimate.
    import sklearn.linear_model

    fit = sklearn.linear_model.Lasso(alpha=alpha).fit(X, y)
    sigma2 = np.sum((y - fit.predict(X)) ** 2) / (n - 1)
    scale = sigma2 / (n * alpha)

    def model(X, y=None):
        intercept = numpyro.sample("intercept", dist.Normal(0.0, 1000.0))
        coef = numpyro.sample("coef", dist.Laplace(0.0, scale).expand([p]).to_event(1))
        sigma = numpyro.sample("sigma", dist.HalfNormal(100.0))
        numpyro.sample("y", dist.Normal(intercept + X @ coef, sigma), obs=y)

    mcmc = MCMC(NUTS(model), chain_method=chain_method, progress_bar=False, **NUTS_SETTINGS)
    mcmc.run(jax.random.key(seed), X, y)
    return mcmc


def worker_nuts(sampler: str, devices: int) -> dict:
    """Two NUTS runs on diabetes in this (fresh) interpreter: wall time and bulk ESS."""
    import jax

    if devices > 1:
        jax.config.update("jax_num_cpu_devices", devices)
    import arviz as az

    import bayesreg  # float64 for both samplers (bayesreg turns jax_enable_x64 on)

    X, y = make_problem("diabetes")
    chain_method = (
        "parallel" if jax.local_device_count() >= NUTS_SETTINGS["num_chains"] else "vectorized"
    )
    names = ["coef", "intercept", "sigma"]
    calls = []
    for call, seed in (("first", SEED), ("second", SEED + 1)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            if sampler == "bayesreg":
                tree = bayesreg.Lasso(alpha=NUTS_ALPHA).sample_posterior(
                    X, y, random_state=seed, **NUTS_SETTINGS
                )
            else:
                tree = az.from_numpyro(
                    _numpyro_by_hand(X, y, NUTS_ALPHA, seed, chain_method), log_likelihood=False
                )
            wall = time.perf_counter() - start
        ess = az.ess(tree, var_names=names, method="bulk")
        rhat = az.rhat(tree, var_names=names)
        min_ess = min(float(v.min()) for v in ess.data_vars.values())
        calls.append(
            {
                "call": call,
                "wall_s": wall,
                "min_bulk_ess": min_ess,
                "ess_per_s": min_ess / wall,
                "max_rhat": max(float(v.max()) for v in rhat.data_vars.values()),
                "divergences": int(tree["sample_stats"]["diverging"].sum()),
                "warnings": sorted({str(w.message)[:120] for w in caught}),
            }
        )
    return {"devices": jax.local_device_count(), "chain_method": chain_method, "calls": calls}


def _in_fresh_interpreter(*args: str) -> dict:
    """Run this script as a worker in a new interpreter and return its JSON answer."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- the benchmark -----------------------------------------------------------------------


def _warm_seconds(est, X, y) -> float:
    """Median seconds per fit over 5 repeats of enough fits to take >= 0.2 s each."""
    timer = timeit.Timer(lambda: est.fit(X, y))
    number, _ = timer.autorange()
    return statistics.median(timer.repeat(repeat=5, number=number)) / number


def bench_map(log) -> list[dict]:
    import bayesreg  # noqa: F401 - float64 JAX before anything is compiled

    rows = []
    for problem in PROBLEMS:
        X, y = make_problem(problem)
        for estimator in ESTIMATORS:
            alpha = alpha_for(estimator, X, y)
            cold = {
                lib: _in_fresh_interpreter("map-cold", lib, problem, estimator)
                for lib in ("bayesreg", "sklearn")
            }
            for tol in TOLS:
                ours = make_estimator("bayesreg", estimator, alpha, tol)
                theirs = make_estimator("sklearn", estimator, alpha, tol)
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    ours.fit(X, y)
                    theirs.fit(X, y)
                    ours_s = _warm_seconds(ours, X, y)
                    theirs_s = _warm_seconds(theirs, X, y)
                f_ours = objective(estimator, alpha, X, y, ours.coef_, ours.intercept_)
                f_theirs = objective(estimator, alpha, X, y, theirs.coef_, theirs.intercept_)
                row = {
                    "problem": problem,
                    "estimator": estimator,
                    "alpha": alpha,
                    "tol": tol,
                    "ours_warm_s": ours_s,
                    "sklearn_warm_s": theirs_s,
                    "warm_ratio": ours_s / theirs_s,
                    "ours_certificate": ours.map_.certificate._asdict(),
                    "ours_solver": ours.map_.solver,
                    "max_abs_coef_diff": float(np.max(np.abs(ours.coef_ - theirs.coef_))),
                    "sklearn_objective_excess": (f_theirs - f_ours) / abs(f_ours),
                    "nonzeros": int(np.count_nonzero(ours.coef_)),
                    "warnings": sorted(
                        {f"{w.category.__name__}: {w.message}"[:160] for w in caught}
                    ),
                }
                if tol == COLD_TOL:
                    row["ours_cold"] = cold["bayesreg"]
                    row["sklearn_cold"] = cold["sklearn"]
                    row["cold_ratio"] = (
                        cold["bayesreg"]["first_fit_s"] / cold["sklearn"]["first_fit_s"]
                    )
                rows.append(row)
                log(
                    f"  {problem:20s} {estimator:10s} tol={tol:.0e}: ours {ours_s * 1e3:8.2f} ms, "
                    f"sklearn {theirs_s * 1e3:8.2f} ms"
                )
    return rows


def bench_nuts(log) -> list[dict]:
    rows = []
    for devices in (1, NUTS_SETTINGS["num_chains"]):
        for sampler in ("bayesreg", "numpyro"):
            result = _in_fresh_interpreter("nuts", sampler, str(devices))
            for call in result["calls"]:
                rows.append(
                    {
                        "sampler": sampler,
                        "devices": result["devices"],
                        "chain_method": result["chain_method"],
                        **call,
                    }
                )
                log(
                    f"  {sampler:8s} {result['chain_method']:10s} {call['call']:6s}: "
                    f"{call['wall_s']:6.1f} s, min ESS {call['min_bulk_ess']:6.0f}"
                )
    return rows


def environment() -> dict:
    import jax
    import numpyro
    import sklearn
    from threadpoolctl import threadpool_info

    import bayesreg

    threads = {
        env: os.environ[env]
        for env in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "XLA_FLAGS")
        if env in os.environ
    }
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "bayesreg": bayesreg.__version__,
        "jax": jax.__version__,
        "numpyro": numpyro.__version__,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "nproc": os.cpu_count(),
        "loadavg_start": list(os.getloadavg()),
        "thread_env": threads,
        "threadpools": [
            {k: pool.get(k) for k in ("internal_api", "num_threads", "version")}
            for pool in threadpool_info()
        ],
    }


# -- report ------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


def markdown(env: dict, map_rows: list[dict], nuts_rows: list[dict]) -> str:
    lines = [
        "# bayesreg core benchmark",
        "",
        f"{env['date']}; Python {env['python']}, jax {env['jax']}, numpyro {env['numpyro']}, "
        f"scikit-learn {env['sklearn']}; {env['nproc']} CPUs, {env['platform']}; "
        f"load average {env['loadavg_start'][0]:.1f} at the start, "
        f"{env['loadavg_end'][0]:.1f} at the end; BLAS threads: "
        + ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in env["threadpools"])
        + ".",
        "",
        "## MAP: ours against scikit-learn",
        "",
        "Warm: median time of a fit in a warmed-up process.  Cold: the first fit in a fresh "
        f"interpreter at tol={COLD_TOL:g} (ours includes JAX compilation), imports excluded.  "
        "Ratios are ours / scikit-learn.  Excess: scikit-learn's objective above ours, "
        "relative (ours is certified optimal).  Lasso and elastic net use a tenth of the "
        f"alpha that zeroes every weight, l1_ratio={L1_RATIO}; ridge alpha=1; max_iter="
        f"{MAX_ITER} for both.",
        "",
        "| problem | estimator | tol | ours warm ms | sklearn warm ms | warm ratio | "
        "ours cold s | sklearn cold s | cold ratio | max abs coef diff | sklearn excess | "
        "our rel. gap |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in map_rows:
        cold = " | ".join(
            [
                f"{r['ours_cold']['first_fit_s']:.3g}",
                f"{r['sklearn_cold']['first_fit_s']:.3g}",
                f"{r['cold_ratio']:.3g}",
            ]
            if "ours_cold" in r
            else ["", "", ""]
        )
        lines.append(
            f"| {r['problem']} | {r['estimator']} | {r['tol']:.0e} | {_ms(r['ours_warm_s'])} | "
            f"{_ms(r['sklearn_warm_s'])} | {r['warm_ratio']:.2f} | {cold} | "
            f"{r['max_abs_coef_diff']:.1e} | {r['sklearn_objective_excess']:.1e} | "
            f"{r['ours_certificate']['relative_gap']:.1e} |"
        )
    imports = {
        lib: statistics.median(r[f"{key}_cold"]["import_s"] for r in map_rows if "ours_cold" in r)
        for lib, key in (("bayesreg", "ours"), ("scikit-learn", "sklearn"))
    }
    lines += [
        "",
        f"Import time in a fresh interpreter (median): bayesreg {imports['bayesreg']:.2f} s, "
        f"scikit-learn {imports['scikit-learn']:.2f} s.",
    ]
    flagged = [r for r in map_rows if r["warnings"]]
    for r in flagged:
        lines.append(
            f"- warnings, {r['problem']} {r['estimator']} tol={r['tol']:.0e}: "
            + "; ".join(r["warnings"])
        )
    lines += [
        "",
        "## NUTS on diabetes: 4 chains x (1000 warm-up + 1000 draws)",
        "",
        f"bayesreg: `Lasso(alpha={NUTS_ALPHA}).sample_posterior` (noise-scaled Laplace prior, "
        "Jeffreys noise prior, dense mass matrix, chains started near the MAP).  numpyro: the "
        "hand-written model (Laplace prior of fixed scale, Normal(0, 1000) intercept, "
        "HalfNormal(100) sigma, numpyro's defaults: diagonal mass, uniform init).  Both in "
        "float64, each in a fresh interpreter; ESS is the smallest bulk ESS over coef, "
        "intercept and sigma, per second of wall time (compilation included).",
        "",
        "| sampler | chains | call | wall s | min bulk ESS | ESS/s | max R-hat | divergences |",
        "|---|---|---|--:|--:|--:|--:|--:|",
    ]
    for r in nuts_rows:
        lines.append(
            f"| {r['sampler']} | {r['chain_method']} ({r['devices']} device"
            f"{'s' if r['devices'] > 1 else ''}) | {r['call']} | {r['wall_s']:.1f} | "
            f"{r['min_bulk_ess']:.0f} | {r['ess_per_s']:.0f} | {r['max_rhat']:.3f} | "
            f"{r['divergences']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--output-dir", type=Path, default=HERE, help="default: benchmarks/")
    args = parser.parse_args(argv)
    if args.worker:
        kind, *rest = args.worker
        if kind == "map-cold":
            answer = worker_map_cold(*rest)
        else:
            answer = worker_nuts(rest[0], int(rest[1]))
        print(json.dumps(answer))
        return 0

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    env = environment()
    start = time.perf_counter()
    log("MAP ...")
    map_rows = bench_map(log)
    log("NUTS ...")
    nuts_rows = bench_nuts(log)
    env["loadavg_end"] = list(os.getloadavg())
    env["total_s"] = time.perf_counter() - start
    report = markdown(env, map_rows, nuts_rows)
    print(report)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "results.md").write_text(report)
    results = {"environment": env, "map": map_rows, "nuts": nuts_rows}
    (args.output_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    log(f"wrote {args.output_dir / 'results.md'} and results.json in {env['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
