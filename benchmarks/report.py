"""Ratios, targets (issue 6) and the markdown report from the measured rows."""

from __future__ import annotations

import math

import numpy as np
import problems

PEERS = ("celer", "skglm")
SAMPLER_LABELS = {
    "bayesreg": "bayesreg",
    "numpyro": "numpyro (plain)",
    "blackjax": "blackjax",
    "nutpie": "nutpie (PyMC model)",
    "pymc": "PyMC pm.sample (its own NUTS)",
}
SECTION_TITLES = {
    "a": "(a) diabetes, noise-scaled lasso posterior (alpha = 0.1)",
    "b": "(b) large n, noise-scaled lasso posterior",
    "c": "(c) posteriordb diamonds",
    "d": "(d) diabetes, noise-scaled ridge posterior (normal-inverse-gamma)",
}


def _ok(rows):
    return [r for r in rows if r.get("status") == "ok"]


def _ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


# -- comparisons added to the rows ---------------------------------------------------------
def add_map_comparisons(rows: list[dict]) -> None:
    """Per problem and estimator: time ratios to scikit-learn and to the faster of celer
    and skglm, and each solution's largest coefficient difference to the tightest one
    (the smallest certified gap).  The coefficients are then dropped from the rows."""
    groups: dict = {}
    for row in _ok(rows):
        groups.setdefault((row["problem"], row["estimator"]), {})[row["library"]] = row
    for group in groups.values():
        sklearn = group.get("sklearn")
        peers = [group[p]["warm"]["best_s"] for p in PEERS if p in group]
        fastest_peer = min(peers) if peers else None
        tightest = min(group.values(), key=lambda r: r["gap"])
        for row in group.values():
            row["warm_vs_sklearn"] = _ratio(
                row["warm"]["best_s"], sklearn and sklearn["warm"]["best_s"]
            )
            row["cold_vs_sklearn"] = _ratio(row["cold_s"], sklearn and sklearn["cold_s"])
            row["warm_vs_fastest_peer"] = _ratio(row["warm"]["best_s"], fastest_peer)
            row["max_coef_diff"] = float(
                np.max(np.abs(np.asarray(row["coef"]) - np.asarray(tightest["coef"])), initial=0.0)
            )
            row["tightest"] = tightest["library"]
    for row in rows:
        row.pop("coef", None)


def add_path_comparisons(rows: list[dict]) -> None:
    groups: dict = {}
    for row in _ok(rows):
        groups.setdefault(row["problem"], {})[row["library"]] = row
    for group in groups.values():
        for row in group.values():
            for peer in ("sklearn", "celer", "skglm"):
                other = group.get(peer)
                row[f"warm_vs_{peer}"] = _ratio(
                    row["warm"]["best_s"], other and other["warm"]["best_s"]
                )


def steady(row: dict) -> dict:
    """The second call when it ran (compiled, warmed), else the first."""
    return row["calls"][-1]


def add_sampling_comparisons(rows: list[dict]) -> None:
    """Each first call's largest ``|z|`` of posterior means against bayesreg's first call
    (4 devices) in the same section: ``z = (m - m_ref) / sqrt(mcse^2 + mcse_ref^2)``."""
    for section in {r["section"] for r in rows}:
        ok = [r for r in _ok(rows) if r["section"] == section]
        reference = next((r for r in ok if r["sampler"] == "bayesreg" and r["devices"] > 1), None)
        if reference is None:
            continue
        ref = reference["calls"][0]
        for row in ok:
            if row is reference:
                continue
            call = row["calls"][0]
            if len(call["means"]) != len(ref["means"]):
                continue
            diff = np.asarray(call["means"]) - np.asarray(ref["means"])
            se = np.hypot(np.asarray(call["mcse"]), np.asarray(ref["mcse"]))
            row["max_z_vs_bayesreg"] = float(np.max(np.abs(diff) / se))


# -- targets ---------------------------------------------------------------------------------
def _target(section, subject, target, measured, met):
    return {
        "section": section,
        "subject": subject,
        "target": target,
        "measured": measured,
        "met": None if met is None else bool(met),
    }


def _find(rows, **keys):
    return next((r for r in _ok(rows) if all(r.get(k) == v for k, v in keys.items())), None)


def map_targets(rows: list[dict]) -> list[dict]:
    out = []
    for ours in [r for r in _ok(rows) if r["library"] == "bayesreg"]:
        subject = f"{ours['problem']} {ours['estimator']}"
        n, p = problems.shape_of(ours["problem"])
        ratio = ours.get("warm_vs_sklearn")
        out.append(_target("map", subject, "warm fit <= 1.0x sklearn", _x(ratio), _le(ratio, 1.0)))
        if p > n and ours["estimator"] != "Ridge":
            ratio = ours.get("warm_vs_fastest_peer")
            out.append(
                _target(
                    "map", subject, "warm fit <= 1.5x min(celer, skglm)", _x(ratio), _le(ratio, 1.5)
                )
            )
        out.append(
            _target(
                "map",
                subject,
                "first fit in a fresh process < 1 s",
                _s(ours["cold_s"]),
                ours["cold_s"] < 1.0,
            )
        )
        compiles = ours["refit_other_alpha_compiles"] + ours["refit_other_y_compiles"]
        out.append(
            _target(
                "map",
                subject,
                "refit (other alpha, other y): 0 compilations",
                f"{compiles} compilations",
                compiles == 0,
            )
        )
        second = ours.get("second_process_compiles")
        if second is not None:  # measured on the first problem only
            out.append(
                _target(
                    "map",
                    subject,
                    "second process: 0 compilations (persistent cache)",
                    f"{second} compilations",
                    second == 0,
                )
            )
        out.append(
            _target(
                "map",
                subject,
                f"relative gap <= {problems.TARGET_GAP:g}",
                f"{ours['relative_gap']:.1e}",
                ours["relative_gap"] <= problems.TARGET_GAP,
            )
        )
    return out


def path_targets(rows: list[dict]) -> list[dict]:
    out = []
    for ours in [r for r in _ok(rows) if r["library"] == "bayesreg"]:
        for peer, name in (("sklearn", "lasso_path"), ("celer", "celer_path")):
            ratio = ours.get(f"warm_vs_{peer}")
            out.append(
                _target(
                    "path", ours["problem"], f"warm path <= 1.0x {name}", _x(ratio), _le(ratio, 1.0)
                )
            )
        out.append(
            _target(
                "path",
                ours["problem"],
                f"max relative gap <= {problems.TARGET_GAP:g}",
                f"{ours['max_relative_gap']:.1e}",
                ours["max_relative_gap"] <= problems.TARGET_GAP,
            )
        )
    return out


def sampling_targets(rows: list[dict]) -> list[dict]:
    out = []
    ours = {
        s: _find(rows, section=s, sampler="bayesreg", devices=4, empty_cache=None) for s in "abcd"
    }
    if ours["a"]:
        first = ours["a"]["calls"][0]["wall_s"]
        out.append(
            _target(
                "sampling",
                ours["a"]["case"],
                "first posterior in a fresh process (compilation included; import apart) < 2 s",
                f"{_s(first)} (import {_s(ours['a']['import_s'])})",
                first < 2.0,
            )
        )
        peers = [
            steady(r)["ess_per_s"]
            for r in _ok(rows)
            if r["section"] == "a" and r["sampler"] in ("blackjax", "nutpie")
        ]
        best = max(peers) if peers else None
        ratio = _ratio(steady(ours["a"])["ess_per_s"], best)
        out.append(
            _target(
                "sampling",
                ours["a"]["case"],
                "ESS/s >= max(blackjax, nutpie)",
                _x(ratio),
                _ge(ratio, 1.0),
            )
        )
    for section, factor in (("b", 10.0), ("c", 20.0)):
        row = ours[section]
        numpyro = [r for r in _ok(rows) if r["section"] == section and r["sampler"] == "numpyro"]
        if row is None:
            continue
        for theirs in numpyro:
            # Compare the same call (the second only when both ran it).
            k = min(len(row["calls"]), len(theirs["calls"])) - 1
            ratio = _ratio(row["calls"][k]["ess_per_s"], theirs["calls"][k]["ess_per_s"])
            out.append(
                _target(
                    "sampling",
                    f"{row['case']} ({theirs['case']})"
                    if row["case"] != theirs["case"]
                    else row["case"],
                    f"ESS/s >= {factor:g}x plain numpyro",
                    _x(ratio),
                    _ge(ratio, factor),
                )
            )
    if ours["c"]:
        hits = sum(c["max_depth_hits"] or 0 for c in ours["c"]["calls"])
        out.append(
            _target(
                "sampling",
                ours["c"]["case"],
                "no draws at max tree depth",
                f"{hits} draws",
                hits == 0,
            )
        )
        z = ours["c"]["calls"][0].get("exact_max_z")
        out.append(
            _target(
                "sampling",
                ours["c"]["case"],
                "means within 4 MCSE of the exact posterior",
                "n/a" if z is None else f"max z {z:.1f}",
                None if z is None else z <= 4.0,
            )
        )
    if ours["d"]:
        first = ours["d"]["calls"][0]
        efficiency = first["min_bulk_ess"] / first["n_draws"]
        out.append(
            _target(
                "sampling",
                ours["d"]["case"],
                "exact iid draws (min bulk ESS >= 0.8 x draws)",
                f"{efficiency:.2f} x draws",
                efficiency >= 0.8,
            )
        )
    for row in ours.values():
        if row is None or len(row["calls"]) < 2:
            continue
        compiles = row["calls"][1]["compiles"]
        out.append(
            _target(
                "sampling",
                row["case"],
                "second call: 0 compilations",
                f"{compiles} compilations",
                compiles == 0,
            )
        )
    return out


def targets(results: dict) -> list[dict]:
    out = []
    if "map" in results:
        out += map_targets(results["map"])
    if "path" in results:
        out += path_targets(results["path"])
    if "sampling" in results:
        out += sampling_targets(results["sampling"])
    return out


def _le(value, bound):
    return None if value is None else value <= bound


def _ge(value, bound):
    return None if value is None else value >= bound


# -- formatting --------------------------------------------------------------------------------
def _x(ratio) -> str:
    return "n/a" if ratio is None else f"{ratio:.2f}x"


def _s(seconds) -> str:
    return "n/a" if seconds is None else f"{seconds:.2f} s"


def _ms(seconds) -> str:
    if seconds is None:
        return ""
    return f"{seconds * 1e3:.3g}"


def _g(value, fmt=".1e") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return format(value, fmt)


def _met(met) -> str:
    return {True: "met", False: "**missed**", None: "n/a"}[met]


# Why a target is missed, where we know: (start of the target, a word of the subject or
# "", the explanation).  The first match is shown beside a missed target.
WHY_MISSED = [
    (
        "warm fit <= 1.0x sklearn",
        "Ridge",
        "the same Cholesky of the same Gram as scikit-learn's; on top, an exactly centred "
        "copy of X and the duality-gap certificate (two more passes over X)",
    ),
    (
        "warm fit <= 1.0x sklearn",
        "",
        "about 1 ms of Python per fit that scikit-learn does not spend: the exact support "
        "solve (polish) and the duality-gap certificate, and validation; the compiled "
        "descent itself takes about 0.2 ms on diabetes",
    ),
    (
        "warm fit <= 1.5x min(celer, skglm)",
        "",
        "celer's dual extrapolation and skglm's Anderson acceleration converge in fewer "
        "epochs; ours solves each working set by plain coordinate descent, then exactly "
        "(relative gap 1e-16 against their 1e-5 to 1e-10)",
    ),
    (
        "first fit in a fresh process",
        "",
        "the fit itself takes a few hundred ms at this size; compiling each new padded "
        "shape adds 0.5-1 s, and a persistent-cache hit still pays JAX's tracing",
    ),
    (
        "refit",
        "",
        "the other alpha's working set grew to the next power of two, a shape this process "
        "had not compiled (once per size; the persistent cache keeps it)",
    ),
    (
        "second process",
        "",
        "an executable the persistent cache did not hold (JAX caches only what it compiled "
        "in an earlier process with the same shapes and flags)",
    ),
    (
        "warm path",
        "",
        "the exact support solve runs inside the compiled scan only for padded p <= 64; "
        "above, points whose descent crawls are finished one by one in Python",
    ),
    (
        "second call: 0 compilations",
        "diamonds",
        "LinearRegression's joint MAP (L-BFGS) jits its objective again on every fit; the "
        "sampler itself is reused",
    ),
]


def _why_missed(t) -> str:
    if t["met"] is not False:
        return ""
    for start, word, why in WHY_MISSED:
        if t["target"].startswith(start) and word in t["subject"]:
            return why
    return ""


def _targets_table(target_rows) -> list[str]:
    if not target_rows:
        return []
    lines = ["| subject | target | measured | | why, where missed |", "|---|---|--:|---|---|"]
    for t in target_rows:
        lines.append(
            f"| {t['subject']} | {t['target']} | {t['measured']} | {_met(t['met'])} "
            f"| {_why_missed(t)} |"
        )
    met = sum(t["met"] is True for t in target_rows)
    missed = sum(t["met"] is False for t in target_rows)
    return [f"Targets: {met} met, {missed} missed.", "", *lines, ""]


def _status_cell(row) -> str | None:
    if row.get("status") == "not installed":
        return "not installed"
    if row.get("status") == "error":
        return f"error: {row.get('error', '')[:120]}".replace("|", "/").replace("\n", " ")
    return None


def _map_table(rows) -> list[str]:
    lines = [
        "| problem | estimator | library | tol | warm ms | warm median ms | / sklearn | "
        "/ min(celer, skglm) | cold ms | cold / sklearn | import s | refit alpha ms | "
        "refit y ms | compiles cold / refits | 2nd process cold ms | rel. gap | "
        "max abs coef diff | nonzeros |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        head = f"| {r['problem']} | {r['estimator']} | {r['library']} |"
        status = _status_cell(r)
        if status:
            lines.append(head + f" {status} |" + " |" * 14)
            continue
        refit_compiles = r["refit_other_alpha_compiles"] + r["refit_other_y_compiles"]
        lines.append(
            head + f" {r['tol']:.0e} | {_ms(r['warm']['best_s'])} | {_ms(r['warm']['median_s'])} | "
            f"{_g(r.get('warm_vs_sklearn'), '.2f')} | {_g(r.get('warm_vs_fastest_peer'), '.2f')} | "
            f"{_ms(r['cold_s'])} | {_g(r.get('cold_vs_sklearn'), '.3g')} | {r['import_s']:.2f} | "
            f"{_ms(r['refit_other_alpha_s'])} | {_ms(r['refit_other_y_s'])} | "
            f"{r['cold_compiles']} / {refit_compiles} | {_ms(r.get('second_process_cold_s'))} | "
            f"{r['relative_gap']:.1e} | {r['max_coef_diff']:.1e} | {r['nonzeros']} |"
        )
    return lines


def _path_table(rows) -> list[str]:
    lines = [
        "| problem | library | tol | warm s | warm median s | / lasso_path | / celer_path | "
        "/ skglm | cold s | import s | other y s | compiles cold / other y | "
        "max rel. gap |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        head = f"| {r['problem']} | {r['library']} |"
        status = _status_cell(r)
        if status:
            lines.append(head + f" {status} |" + " |" * 10)
            continue
        lines.append(
            head + f" {r['tol']:.0e} | {r['warm']['best_s']:.3g} | {r['warm']['median_s']:.3g} | "
            f"{_g(r.get('warm_vs_sklearn'), '.2f')} | {_g(r.get('warm_vs_celer'), '.2f')} | "
            f"{_g(r.get('warm_vs_skglm'), '.2f')} | {r['cold_s']:.3g} | {r['import_s']:.2f} | "
            f"{r['refit_other_y_s']:.3g} | {r['cold_compiles']} / {r['refit_other_y_compiles']} | "
            f"{r['max_relative_gap']:.1e} |"
        )
    return lines


def _sampling_table(rows) -> list[str]:
    lines = [
        "| sampler | chains | call | import s | wall s | of which model build s | min bulk ESS | "
        "ESS/s | max R-hat | divergences | max-depth draws | compiles | max z vs bayesreg | "
        "exact max z |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        how = r["chain_method"] or "default"
        if r.get("empty_cache"):
            how += ", empty compilation cache"
        head = f"| {SAMPLER_LABELS[r['sampler']]} | {how}, {r['devices']} dev |"
        status = _status_cell(r)
        if status:
            lines.append(head + f" | {status} |" + " |" * 10)
            continue
        for k, c in enumerate(r["calls"]):
            depth = "" if c["max_depth_hits"] is None else c["max_depth_hits"]
            z = _g(r.get("max_z_vs_bayesreg"), ".1f") if k == 0 else ""
            lines.append(
                head
                + f" {'first' if k == 0 else 'second'} | {r['import_s']:.1f} | {c['wall_s']:.2f} | "
                f"{_g(c.get('model_build_s') or None, '.1f')} | {c['min_bulk_ess']:.0f} | "
                f"{c['ess_per_s']:.0f} | {c['max_rhat']:.3f} | "
                f"{c['divergences']} | {depth} | {c['compiles']} | {z} | "
                f"{_g(c.get('exact_max_z'), '.1f')} |"
            )
        if len(r["calls"]) == 1:
            lines.append(head + " second | | not run: the first call took too long |" + " |" * 11)
    return lines


def _environment(env: dict) -> list[str]:
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v)
    missing = ", ".join(k for k, v in env["versions"].items() if not v)
    blas = ", ".join(f"{b['internal_api']} {b['num_threads']} threads" for b in env["blas"])
    jax = env["jax"]
    devices = ", ".join(jax.get("devices", [])) or jax.get("error", "")
    lines = [
        f"- Date: {env['date']}; total run time {env.get('total_s', 0):.0f} s.",
        f"- Machine: {env['cpu']}, {env['cores']} cores, {env['memory_gib']} GiB; GPU: "
        f"{', '.join(env['gpus']) or 'none'}; JAX backend {jax.get('backend', '?')} ({devices}).",
        f"- Load average: {env['loadavg_start'][0]:.1f} at the start, "
        f"{env.get('loadavg_end', [float('nan')])[0]:.1f} at the end; BLAS: {blas}; "
        f"thread variables: {env['thread_env'] or 'none'}.",
        f"- Python {env['python']}; {versions}.",
    ]
    if missing:
        lines.append(f"- Not installed: {missing}.")
    return lines


HOW_TO_READ = """\
How to read this.  Every row was measured in the same run, on the machine above; ratios
are bayesreg's time over the peer's (below 1: bayesreg is faster).  *Warm* is the best
(and median) time of one call in a process that already made that call; *cold* is the
first call in a fresh interpreter (a subprocess per library, problem and estimator), so it
includes JIT/numba compilation; imports are timed apart.  *Refit* is the first fit, in that
process, with another alpha (0.7x) or another y of the same shape; *compiles* counts XLA
compilations (JAX's compile log, less the executables read from the persistent
compilation cache), and "2nd process" repeats the cold fit in another fresh process (the
persistent cache spares it the compilations, not the tracing).

Every solution is judged by one duality gap (`benchmarks/problems.py`, written from
Fenchel duality, independent of every solver) of scikit-learn's objective, in units of
scikit-learn's `tol` (gap / (||y - mean(y)||^2 / n)).  Each library's `tol` starts at
1e-4 and is divided by 10 until that gap is <= 1e-4 (skglm's `tol` bounds the optimality
conditions, not the gap); "max abs coef diff" is to the solution with the smallest gap.
Lasso and elastic net (l1_ratio 0.5) use alpha = alpha_max / 10, Ridge alpha = 1.
Synthetic problems: equicorrelated Gaussian features (rho = 0.5), sparse truth, unit noise,
fixed seeds.  Paths: scikit-learn's 100-alpha grid (eps = 1e-3) on centred data, no
intercept, the same grid for every library.

Sampling: 4 chains x (1000 warm-up + 1000 draws) unless stated; min bulk ESS over
intercept, coef and sigma (`arviz.ess`); ESS/s per second of wall time of the call
(bayesreg's includes its MAP fit and the DataTree); first and second call in one fresh
process.  Every peer samples the same posterior, written by hand
(`benchmarks/samplers.py`); "max z vs bayesreg" is the largest |difference of posterior
means| / combined MCSE against bayesreg's first call (|z| up to ~3 is chance over a few
dozen means); "exact max z" compares with posteriordb's quadrature moments.
"dev" is the number of JAX CPU devices (4: `--xla_force_host_platform_device_count=4`,
chains in parallel).  The speed targets are issue 6's; timings on a shared, loaded
machine are noisy (see the load average).
"""


def markdown(results: dict) -> str:
    settings = results["settings"]
    all_targets = results.get("targets", [])
    lines = [
        "# Benchmarks",
        "",
        "Generated by `python benchmarks/run.py"
        + (" --quick" if settings["quick"] else "")
        + (" --large" if settings["large"] else "")
        + "` (`make bench`); every number is in `benchmarks.json` next to this page.",
        "",
        *_environment(results["environment"]),
        "",
        HOW_TO_READ,
    ]
    if settings["quick"]:
        lines += ["**Quick run**: tiny problems and few draws; the numbers mean nothing.", ""]
    for section, date in results.get("kept_from_earlier_run", {}).items():
        lines += [f"The {section} section is from an earlier run ({date}).", ""]
    if "map" in results:
        lines += [
            "## MAP: one fit",
            "",
            *_targets_table([t for t in all_targets if t["section"] == "map"]),
            *_map_table(results["map"]),
            "",
        ]
    if "path" in results:
        lines += [
            "## Lasso path: 100 alphas",
            "",
            *_targets_table([t for t in all_targets if t["section"] == "path"]),
            *_path_table(results["path"]),
            "",
        ]
    if "sampling" in results:
        nuts = settings["nuts"]
        lines += [
            "## Sampling",
            "",
            f"{nuts['num_chains']} chains x ({nuts['num_warmup']} warm-up + "
            f"{nuts['num_samples']} draws).",
            "",
            *_targets_table([t for t in all_targets if t["section"] == "sampling"]),
        ]
        for section in sorted({r["section"] for r in results["sampling"]}):
            rows = [r for r in results["sampling"] if r["section"] == section]
            cases = ", ".join(sorted({r["case"] for r in rows}))
            lines += [f"### {SECTION_TITLES[section]}", "", f"Cases: {cases}.", ""]
            lines += [*_sampling_table(rows), ""]
    return "\n".join(lines) + "\n"
