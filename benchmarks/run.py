"""Every speed comparison of bayesreg against its peers, in one run.

``python benchmarks/run.py`` (``make bench``) times, side by side in one run,

1. MAP: Lasso, ElasticNet and Ridge fits by bayesreg, scikit-learn, celer and skglm;
2. paths: 100-alpha lasso paths by the same libraries;
3. sampling: NUTS posteriors by bayesreg, plain numpyro, blackjax, nutpie and PyMC,

and writes ``docs/benchmarks.md`` (tables with the targets of issue 6, met or missed) and
``docs/benchmarks.json`` (every number, the versions and the machine).  Every first call
runs in a fresh interpreter (``worker.py``), so compilation is included and imports are
timed apart.  Missing peers are reported as "not installed".

Options: ``--quick`` (tiny problems and few draws, for the smoke test and development),
``--only map|path|sampling``, ``--large`` (adds n = 10^6 and p = 10^4 scale problems,
for a GPU machine), ``--output-dir`` (default ``docs/``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import environment
import map_solvers
import numpy as np
import problems
import report
import samplers

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SECTIONS = ("map", "path", "sampling")

MAP_PROBLEMS = (
    "diabetes 442x10",
    "synthetic 1000x100",
    "synthetic 100000x100",
    "synthetic 200x5000",
    "synthetic 10000x1000",
)
QUICK_MAP_PROBLEMS = ("diabetes 442x10", "synthetic 40x300")
LARGE_MAP_PROBLEMS = ("synthetic 1000000x100", "synthetic 100000x1000", "synthetic 10000x10000")
ESTIMATORS = ("Lasso", "ElasticNet", "Ridge")
NUTS_SETTINGS = {"num_warmup": 1000, "num_samples": 1000, "num_chains": 4}
QUICK_NUTS_SETTINGS = {"num_warmup": 40, "num_samples": 40, "num_chains": 4}
FOUR_DEVICES = "--xla_force_host_platform_device_count=4"
#: A worker still running after this long is reported as timed out (x4 with --large).
WORKER_TIMEOUT_S = 900


def sampling_jobs(quick: bool, large: bool) -> list[dict]:
    """The sampler runs of section 3: (a) diabetes lasso, (b) large-n lasso,
    (c) posteriordb diamonds, (d) diabetes ridge."""
    big = "lasso synthetic 400x10" if quick else "lasso synthetic 10000x50"
    diamonds = "diamonds first 300" if quick else "diamonds"

    def job(section, case, sampler, chain_method=None, devices=4, **extra):
        return {
            "section": section,
            "case": case,
            "sampler": sampler,
            "chain_method": chain_method,
            "devices": devices,
            **extra,
        }

    jobs = [
        job("a", "lasso diabetes", "bayesreg"),
        # A first run on a new machine: nothing in the persistent compilation cache.
        job("a", "lasso diabetes", "bayesreg", empty_cache=True),
        job("a", "lasso diabetes", "bayesreg", devices=1),
        job("a", "lasso diabetes", "numpyro", "sequential", devices=1),
        job("a", "lasso diabetes", "numpyro", "vectorized", devices=1),
        job("a", "lasso diabetes", "numpyro", "parallel"),
        job("a", "lasso diabetes", "blackjax", "vmap", devices=1),
        job("a", "lasso diabetes", "nutpie", devices=1),
        job("a", "lasso diabetes", "pymc", devices=1),
        job("b", big, "bayesreg"),
        job("b", big, "numpyro", "parallel"),
        job("b", big, "blackjax", "vmap", devices=1),
        # posteriordb's exact moments are those of the whole data set.
        job("c", diamonds, "bayesreg", reference=not quick),
        job("c", diamonds, "numpyro", "parallel", reference=not quick),
        job("d", "ridge diabetes", "bayesreg"),
        job("d", "ridge diabetes", "numpyro", "parallel"),
    ]
    if quick:  # the smoke test: one row per sampler and section is enough
        jobs = [j for j in jobs if j["devices"] > 1 or j["sampler"] not in ("bayesreg", "numpyro")]
    if large:
        jobs += [
            job("b", "lasso synthetic 1000000x50", "bayesreg"),
            job("b", "lasso synthetic 1000000x50", "numpyro", "parallel"),
        ]
    return jobs


# -- workers ----------------------------------------------------------------------------------
def in_fresh_interpreter(spec: dict, devices: int = 1) -> dict:
    """Run ``worker.py`` on ``spec`` in a new interpreter (with ``devices`` host CPU
    devices for JAX); its JSON answer, or an error (a timeout after
    :data:`WORKER_TIMEOUT_S`)."""
    timeout_s = WORKER_TIMEOUT_S
    env = dict(os.environ)
    env.pop("XLA_PYTHON_CLIENT_PREALLOCATE", None)  # set for this process only
    flags = env.get("XLA_FLAGS", "").replace(FOUR_DEVICES, "").strip()
    env["XLA_FLAGS"] = f"{flags} {FOUR_DEVICES}".strip() if devices > 1 else flags
    command = [sys.executable, str(HERE / "worker.py"), json.dumps(spec)]
    with tempfile.TemporaryDirectory() as empty_cache:
        if spec.get("empty_cache"):
            env["BAYESREG_COMPILATION_CACHE_DIR"] = empty_cache
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, env=env, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout_s:.0f} s"}
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        return {"error": f"worker exited {result.returncode}: {result.stderr.strip()[-500:]}"}
    return json.loads(lines[-1])


# -- tolerance calibration ----------------------------------------------------------------------
def calibrate(achieved_gap, nominal: float = 1e-4, steps: int = 6) -> tuple[float, float]:
    """The largest ``nominal * 10^-k`` whose solution reaches :data:`problems.TARGET_GAP`.

    ``achieved_gap(tol)`` fits at ``tol`` and returns the relative duality gap.
    Returns ``(tol, gap)``; the last ``tol`` tried when none reaches it.
    """
    tol = nominal
    for _ in range(steps):
        gap = achieved_gap(tol)
        if gap <= problems.TARGET_GAP:
            break
        tol /= 10
    return tol, gap


def map_tolerance(library: str, estimator: str, X, y) -> tuple[float, float]:
    alpha = problems.alpha_for(estimator, X, y)

    def achieved(tol):
        est = map_solvers.make_estimator(library, estimator, alpha, tol).fit(X, y)
        gap = problems.duality_gap(estimator, X, y, est.coef_, est.intercept_, alpha)
        return problems.relative_gap(estimator, gap, y)

    return calibrate(achieved)


def path_tolerance(library: str, Xc, yc) -> tuple[float, float]:
    path = map_solvers.path_function(library)
    alphas = problems.path_alphas(Xc, yc)
    scale = yc @ yc / len(yc)

    def achieved(tol):
        coefs = np.asarray(path(Xc, yc, alphas, tol)).reshape(Xc.shape[1], len(alphas))
        return (
            max(
                problems.enet_duality_gap(Xc, yc, coefs[:, k], 0.0, a, 1.0, fit_intercept=False)
                for k, a in enumerate(alphas)
            )
            / scale
        )

    return calibrate(achieved)


# -- sections -----------------------------------------------------------------------------------
def bench_map(problem_names, budget_s: float, second_process: bool, log) -> list[dict]:
    """Section 1; ``second_process``: repeat bayesreg's cold fits on the first problem in
    another fresh process (does a persistent compilation cache spare compilation?)."""
    import warnings

    rows = []
    for problem in problem_names:
        X, y = problems.make_problem(problem)
        for estimator in ESTIMATORS:
            for library in map_solvers.MAP_LIBRARIES[estimator]:
                row = {"problem": problem, "estimator": estimator, "library": library}
                rows.append(row)
                if not map_solvers.installed(library):
                    row["status"] = "not installed"
                    continue
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        row["tol"], row["calibration_gap"] = map_tolerance(library, estimator, X, y)
                except Exception as error:
                    row.update(status="error", error=f"{type(error).__name__}: {error}"[:300])
                    continue
                spec = {
                    "kind": "map",
                    "library": library,
                    "problem": problem,
                    "estimator": estimator,
                    "tol": row["tol"],
                    "budget_s": budget_s,
                }
                answer = in_fresh_interpreter(spec)
                if (
                    second_process
                    and library == "bayesreg"
                    and problem == problem_names[0]
                    and "error" not in answer
                ):
                    # A second fresh process: does a persistent cache spare compilation?
                    again = in_fresh_interpreter(spec)
                    answer["second_process_cold_s"] = again.get("cold_s")
                    answer["second_process_compiles"] = again.get("cold_compiles")
                row.update(answer)
                row["status"] = "error" if "error" in answer else "ok"
                log(f"  map  {problem:22s} {estimator:10s} {library:9s} " + _brief(row))
    report.add_map_comparisons(rows)
    return rows


def bench_path(problem_names, budget_s: float, log) -> list[dict]:
    import warnings

    rows = []
    for problem in problem_names:
        Xc, yc = problems.centered(*problems.make_problem(problem))
        for library in map_solvers.PATH_LIBRARIES:
            row = {"problem": problem, "library": library}
            rows.append(row)
            if not map_solvers.installed(library):
                row["status"] = "not installed"
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    row["tol"], row["calibration_gap"] = path_tolerance(library, Xc, yc)
            except Exception as error:
                row.update(status="error", error=f"{type(error).__name__}: {error}"[:300])
                continue
            spec = {
                "kind": "path",
                "library": library,
                "problem": problem,
                "tol": row["tol"],
                "budget_s": budget_s,
            }
            answer = in_fresh_interpreter(spec)
            row.update(answer)
            row["status"] = "error" if "error" in answer else "ok"
            log(f"  path {problem:22s} {library:9s} " + _brief(row))
    report.add_path_comparisons(rows)
    return rows


def bench_sampling(jobs, settings: dict, second_call_limit_s: float, log) -> list[dict]:
    rows = []
    for job in jobs:
        row = dict(job)
        rows.append(row)
        missing = samplers.missing_packages(job["sampler"])
        if missing:
            row["status"] = "not installed"
            row["missing"] = missing
            log(
                f"  nuts {job['case']:26s} {job['sampler']:9s} not installed ({', '.join(missing)})"
            )
            continue
        spec = {
            "kind": "sample",
            "sampler": job["sampler"],
            "case": job["case"],
            "chain_method": job["chain_method"],
            "settings": settings,
            "second_call": True,
            "second_call_limit_s": second_call_limit_s,
            "seed": 0,
            "reference": job.get("reference", False),
            "empty_cache": job.get("empty_cache", False),
        }
        answer = in_fresh_interpreter(spec, devices=job["devices"])
        row.update(answer)
        row["status"] = "error" if "error" in answer else "ok"
        if row["status"] == "ok":
            walls = ", ".join(f"{c['wall_s']:.1f} s" for c in row["calls"])
            ess = ", ".join(f"{c['min_bulk_ess']:.0f}" for c in row["calls"])
            log(
                f"  nuts {job['case']:26s} {job['sampler']:9s} {job['chain_method'] or '':11s} "
                f"{job['devices']} dev: wall {walls}; min ESS {ess}"
            )
        else:
            log(f"  nuts {job['case']:26s} {job['sampler']:9s} ERROR {row['error'][:200]}")
    report.add_sampling_comparisons(rows)
    return rows


def _brief(row: dict) -> str:
    if row["status"] != "ok":
        return f"ERROR {row.get('error', '')[:200]}"
    gap = row.get("relative_gap", row.get("max_relative_gap"))
    return (
        f"tol {row['tol']:.0e}: cold {row['cold_s'] * 1e3:9.2f} ms, warm "
        f"{row['warm']['best_s'] * 1e3:9.3f} ms, rel. gap {gap:.1e}"
    )


def write(results: dict, output_dir: Path) -> None:
    """``benchmarks.json`` and ``benchmarks.md`` (with the targets) in ``output_dir``."""
    results["targets"] = report.targets(results)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "benchmarks.json").write_text(json.dumps(results, indent=1) + "\n")
    (output_dir / "benchmarks.md").write_text(report.markdown(results))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and few draws")
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only this section")
    parser.add_argument("--large", action="store_true", help="add n=1e6 / p=1e4 problems (GPU)")
    parser.add_argument("--output-dir", type=Path, default=ROOT / "docs", help="default: docs/")
    parser.add_argument(
        "--render", type=Path, metavar="JSON", help="only rewrite the markdown from this JSON"
    )
    args = parser.parse_args(argv)
    if args.render:
        write(json.loads(args.render.read_text()), args.output_dir)
        return 0
    # Only workers compute on the accelerator; this process must not reserve its memory.
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    sections = args.only or list(SECTIONS)
    map_problems = list(QUICK_MAP_PROBLEMS if args.quick else MAP_PROBLEMS)
    if args.large:
        map_problems += LARGE_MAP_PROBLEMS
    settings = QUICK_NUTS_SETTINGS if args.quick else NUTS_SETTINGS
    if args.large:
        global WORKER_TIMEOUT_S
        WORKER_TIMEOUT_S *= 4
    budget_s = 0.05 if args.quick else 1.0
    second_call_limit_s = 60.0 if args.quick else 120.0
    env = environment.describe()
    log(f"bayesreg benchmarks ({'quick' if args.quick else 'full'}): {', '.join(sections)}")
    start = time.perf_counter()
    results: dict = {
        "environment": env,
        "settings": {
            "quick": args.quick,
            "large": args.large,
            "sections": sections,
            "map_problems": map_problems,
            "estimators": list(ESTIMATORS),
            "target_relative_gap": problems.TARGET_GAP,
            "nuts": settings,
            "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        },
    }
    existing = args.output_dir / "benchmarks.json"
    if args.only and existing.exists():
        # Keep the sections this run does not repeat, and say when they were measured.
        earlier = json.loads(existing.read_text())
        for section in SECTIONS:
            if section not in sections and section in earlier:
                results[section] = earlier[section]
                results.setdefault("kept_from_earlier_run", {})[section] = earlier["environment"][
                    "date"
                ]
    steps = {
        "map": ("1. MAP fits", lambda: bench_map(map_problems, budget_s, not args.quick, log)),
        "path": ("2. lasso paths", lambda: bench_path(map_problems, budget_s, log)),
        "sampling": (
            "3. sampling",
            lambda: bench_sampling(
                sampling_jobs(args.quick, args.large), settings, second_call_limit_s, log
            ),
        ),
    }
    for section in SECTIONS:
        if section in sections:
            title, bench = steps[section]
            log(title)
            results[section] = bench()
            # Written after every section, so an interrupted run still leaves a report.
            env["loadavg_end"] = list(os.getloadavg())
            env["total_s"] = time.perf_counter() - start
            write(results, args.output_dir)
    log(f"wrote {args.output_dir / 'benchmarks.md'} and benchmarks.json in {env['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
