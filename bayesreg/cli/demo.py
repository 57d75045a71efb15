"""``bayesreg demo``: ridge and the lasso on the diabetes data, three ways.

``bayesreg demo`` fits ridge and the lasso on scikit-learn's diabetes data three ways,
scikit-learn's solver, the exact MAP of :mod:`bayesreg`, and the posterior by NUTS,
prints them side by side per feature and saves one figure comparing MAP and posterior.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from collections.abc import Sequence
from pathlib import Path

import arviz as az
import numpy as np
import sklearn.linear_model
import xarray as xr
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.datasets import load_diabetes

import bayesreg
from bayesreg._atomic import write_atomically, write_numbered
from bayesreg.cli._common import CLIError, use_parallel_chains
from bayesreg.cli.tables import format_table
from bayesreg.plotting import plot_map_vs_posterior

__all__ = ["add_parser"]

HDI_PROB = 0.94
REFERENCE_TOL = 1e-12
FIGURE_STEM = "map_vs_posterior"

# Both alphas are in scikit-learn's parametrisation.  Ridge: ||y - Xw - b||^2 + 0.1 ||w||^2
# on diabetes columns of unit norm shrinks the collinear s1/s2 pair hard while leaving the
# strong effects (bmi, bp, s5) near least squares.  Lasso: 1/(2n) ||.||^2 + 0.1 ||w||_1
# sets three of ten coefficients (age, s2, s4) exactly to zero, which the posterior,
# having no atom at zero, does not.
DEMO_MODELS = (("Ridge", 0.1), ("Lasso", 0.1))


def add_parser(sub) -> argparse.ArgumentParser:
    """Add the ``demo`` command to the ``bayesreg`` subcommands ``sub``."""
    demo = sub.add_parser(
        "demo",
        help="ridge and lasso on the diabetes data: scikit-learn, MAP and posterior",
        description=(
            "Fit Ridge(alpha=0.1) and Lasso(alpha=0.1) on scikit-learn's diabetes data with "
            "scikit-learn and with bayesreg, sample each posterior by NUTS, print a table per "
            "feature and save one figure comparing MAP and posterior."
        ),
    )
    demo.add_argument(
        "--output-dir",
        type=Path,
        default=Path("bayesreg-output"),
        help="directory of the figure, created if missing (default: ./bayesreg-output)",
    )
    demo.add_argument("--seed", type=int, default=0, help="seed of the samplers (default: 0)")
    demo.add_argument(
        "--num-samples", type=int, default=1000, help="draws kept per chain (default: 1000)"
    )
    demo.add_argument(
        "--num-warmup", type=int, default=1000, help="warm-up iterations per chain (default: 1000)"
    )
    demo.add_argument("--num-chains", type=int, default=4, help="chains (default: 4)")
    demo.add_argument(
        "--force",
        action="store_true",
        help=f"overwrite {FIGURE_STEM}.png instead of writing {FIGURE_STEM}-1.png, ...",
    )
    demo.set_defaults(subparser=demo, run=run)
    return demo


def _check_demo_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    for option, value, low in (
        ("--num-samples", args.num_samples, 1),
        ("--num-warmup", args.num_warmup, 0),
        ("--num-chains", args.num_chains, 1),
    ):
        if value < low:
            parser.error(f"{option} must be >= {low}, got {value}")


@dataclasses.dataclass(frozen=True)
class _ModelResult:
    """One model fitted three ways: scikit-learn, our MAP, and the posterior."""

    name: str
    alpha: float
    reference: sklearn.linear_model.Ridge | sklearn.linear_model.Lasso
    ours: bayesreg.Ridge | bayesreg.Lasso
    posterior: xr.DataTree
    seconds: float


def _fit_model(name: str, alpha: float, X, y, args: argparse.Namespace) -> _ModelResult:
    # scikit-learn at a tight tolerance, so the table shows the identity MAP = its fit
    # rather than its default stopping error (tol=1e-4 leaves ~0.03 on diabetes).
    reference = getattr(sklearn.linear_model, name)(
        alpha=alpha, tol=REFERENCE_TOL, max_iter=100_000
    ).fit(X, y)
    ours = getattr(bayesreg, name)(alpha=alpha)
    start = time.perf_counter()
    tree = ours.sample_posterior(
        X,
        y,
        num_samples=args.num_samples,
        num_warmup=args.num_warmup,
        num_chains=args.num_chains,
        random_state=args.seed,
    )
    return _ModelResult(name, alpha, reference, ours, tree, time.perf_counter() - start)


def _number(value: float) -> str:
    """Two decimals, with exact zeros (a lasso MAP's) printed as a bare 0."""
    return "0" if value == 0 else f"{value:.2f}"


def _table(rows: list[tuple[str, ...]], separate_last: bool) -> list[str]:
    """Right-aligned columns under a header, the first column left-aligned."""
    return format_table(rows, rules_before=(len(rows) - 1,) if separate_last else ())


def _report(result: _ModelResult, args: argparse.Namespace) -> str:
    """The per-feature table of one model, its certificate and its diagnostics."""
    reference, ours, tree = result.reference, result.ours, result.posterior
    post = tree["posterior"]
    means = post.mean(("chain", "draw"))
    hdi = az.hdi(tree, prob=HDI_PROB, var_names=["coef", "intercept"])

    rows = [("feature", "scikit-learn", "MAP", "post. mean", f"{HDI_PROB:.0%} HDI")]
    for j, feature in enumerate(ours.feature_names_):
        lower, upper = hdi["coef"].to_numpy()[j]
        rows.append(
            (
                feature,
                _number(reference.coef_[j]),
                _number(ours.coef_[j]),
                _number(float(means["coef"][j])),
                f"[{lower:.2f}, {upper:.2f}]",
            )
        )
    lower, upper = hdi["intercept"].to_numpy()
    rows.append(
        (
            "intercept",
            _number(reference.intercept_),
            _number(ours.intercept_),
            _number(float(means["intercept"])),
            f"[{lower:.2f}, {upper:.2f}]",
        )
    )

    deviation = float(np.max(np.abs(ours.coef_ - reference.coef_)))
    gaps = ""
    if hasattr(reference, "dual_gap_"):
        gaps = (
            f"; duality gap in its objective: ours {ours.dual_gap_:.1e}, "
            f"scikit-learn's {reference.dual_gap_:.1e}"
        )
    names = ["coef", "intercept", "sigma"]
    min_ess = min(float(v.min()) for v in az.ess(tree, var_names=names).data_vars.values())
    max_rhat = max(float(v.max()) for v in az.rhat(tree, var_names=names).data_vars.values())
    divergent = int(tree["sample_stats"]["diverging"].sum())
    return "\n".join(
        [
            f"{result.name}(alpha={result.alpha:g}): scikit-learn, the MAP, and the posterior "
            f"({args.num_chains} chains x {args.num_samples} draws, {args.num_warmup} warm-up)",
            "",
            *_table(rows, separate_last=True),
            "",
            f"MAP certificate: {ours.map_.certificate}",
            f"max |MAP - scikit-learn| over coef: {deviation:.1e} "
            f"(scikit-learn stops at tol={reference.tol:g}{gaps})",
            f"NUTS: {result.seconds:.1f} s; min bulk ESS {min_ess:.0f}, "
            f"max R-hat {max_rhat:.3f}, {divergent} divergent transitions",
        ]
    )


def _draw_figure(results: Sequence[_ModelResult]):
    """One figure, one panel per model, of MAP against posterior (no pyplot, no GUI)."""
    n_features = len(results[0].ours.feature_names_)
    fig = Figure(figsize=(5.0 * len(results), 1.5 + 0.45 * n_features), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(results), sharey=True, squeeze=False)[0]
    for k, (ax, result) in enumerate(zip(axes, results, strict=True)):
        plot_map_vs_posterior(
            result.posterior,
            result.ours.coef_,
            hdi_prob=HDI_PROB,
            reference=result.reference.coef_,
            reference_label="scikit-learn",
            ax=ax,
        )
        ax.set_title(f"{result.name}(alpha={result.alpha:g})")
        if k > 0:
            ax.get_legend().remove()
    fig.suptitle("Diabetes: the penalized fit is the posterior mode, not the posterior mean")
    return fig


def _write_figure(fig, directory: Path, stem: str, *, force: bool) -> Path:
    """Save ``fig`` as PNG under ``directory`` atomically, never replacing a file unless ``force``.

    The figure is staged in a hidden temporary file in the same directory, then either
    moved over ``stem.png`` (``force``) or linked to the first of ``stem.png``,
    ``stem-1.png``, ``stem-2.png``, ... that does not exist (:mod:`bayesreg._atomic`):
    a link fails rather than replaces, so a file that appears meanwhile is not
    overwritten either.
    """

    def write(path: Path) -> None:
        fig.savefig(path, format="png", dpi=150)

    if force:
        return write_atomically(directory / f"{stem}.png", write, overwrite=True)
    return write_numbered(directory, stem, ".png", write)


def _prepare_output_dir(directory: Path) -> Path:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise CLIError(f"--output-dir {str(directory)!r} exists and is not a directory") from None
    except OSError as err:
        raise CLIError(f"cannot create --output-dir {str(directory)!r}: {err.strerror}") from err
    if not os.access(directory, os.W_OK | os.X_OK):
        raise CLIError(f"--output-dir {str(directory)!r} is not writable")
    return directory


def run(args: argparse.Namespace) -> None:
    """Run ``bayesreg demo``; a :class:`CLIError` reports what went wrong."""
    _check_demo_args(args.subparser, args)
    directory = _prepare_output_dir(args.output_dir)
    use_parallel_chains(args.num_chains)

    data = load_diabetes(as_frame=True)
    X, y = data.data, data.target
    print(
        f"Diabetes data: {X.shape[0]} patients, {X.shape[1]} features "
        "(columns centred and scaled to unit norm); target: disease progression after a year.",
        flush=True,
    )
    results = []
    for name, alpha in DEMO_MODELS:
        print(f"\nSampling the {name} posterior ...", flush=True)
        result = _fit_model(name, alpha, X, y, args)
        results.append(result)
        print(_report(result, args), flush=True)

    fig = _draw_figure(results)
    try:
        path = _write_figure(fig, directory, FIGURE_STEM, force=args.force)
    except OSError as err:
        raise CLIError(f"cannot save the figure in {str(directory)!r}: {err}") from err
    print(f"\nFigure saved to {path}")
