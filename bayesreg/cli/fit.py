"""``bayesreg fit``: a penalized fit and its posterior from a CSV file, without a notebook.

The command flows one way: options -> model (:mod:`bayesreg.cli.models`) -> a check that
no output would be overwritten -> the data (:mod:`bayesreg.cli.csv_data`) -> the MAP and,
with ``--sample``, the posterior -> the tables (:mod:`bayesreg.cli.results`) and figures
(:mod:`bayesreg.cli.figures`) -> the output files, each staged in full and then
published atomically (:mod:`bayesreg._atomic`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

import bayesreg
from bayesreg._atomic import discard, publish, stage
from bayesreg.cli._common import CLIError, use_parallel_chains
from bayesreg.cli.csv_data import DataError, Table, read_table
from bayesreg.cli.figures import map_figure, posterior_figure
from bayesreg.cli.models import (
    LIKELIHOODS,
    MODELS_HELP,
    PARAMETER_OPTIONS,
    PRIORS,
    Model,
    UsageError,
    choose_model,
)
from bayesreg.cli.results import Results

__all__ = ["add_parser", "run"]

SAMPLING_DEFAULTS = {"num_samples": 1000, "num_warmup": 1000, "num_chains": 4, "seed": 0}
HDI_PROB = 0.94
COEFFICIENTS = "coefficients.csv"
POSTERIOR = "posterior.nc"
MAP_FIGURE = "coefficients.png"
MAP_VS_POSTERIOR_FIGURE = "map_vs_posterior.png"
POSTERIOR_FIGURE = "posterior.png"

DESCRIPTION = """\
Fit a Bayesian linear model to the columns of a CSV file: print the MAP (the penalized
fit, equal to scikit-learn's) with its optimality certificate and, with --sample, the
posterior summary from NUTS; write a coefficient table, the posterior and a figure to an
output folder.
"""

EPILOG = (
    MODELS_HELP
    + f"""
the data file:
  UTF-8 text with a header row naming the columns, then one row per observation with
  one value per column (--delimiter to change ',').  Missing values are empty cells and
  NA, N/A, #N/A, NaN and null, in any case; --drop-incomplete leaves out the rows with
  one in a column used.  Every value used must be a finite number (the logistic target:
  any two labels).

outputs (in --output-dir, default ./bayesreg-output):
  {COEFFICIENTS}    one row per coefficient (parameter 'coef', its feature), then
                      'intercept' and 'sigma' where the model has them: the MAP in full
                      precision ('map', empty where there is none) and, with --sample,
                      arviz's summary: mean, sd, HDI bounds, ess_bulk, ess_tail, r_hat,
                      mcse_mean, mcse_sd
  {MAP_FIGURE}    without --sample: the MAP per coefficient
  {POSTERIOR}        with --sample: the posterior as an arviz DataTree (netCDF-4, read it
                      with xarray.open_datatree(path, engine="h5netcdf"))
  {MAP_VS_POSTERIOR_FIGURE}  with --sample: MAP against posterior mean, median and HDI
  {POSTERIOR_FIGURE}       instead, for a prior without a MAP
  No file is overwritten without --force: the command stops before fitting when one
  exists.  Each file is written in full to a temporary file, then renamed, so none is
  ever left half written; an error says which files were written.

exit status:
  0  success (warnings, e.g. of poor convergence, are printed as 'bayesreg: warning:')
  1  the data, the output folder or the fit failed: one line 'bayesreg: error: ...'
  2  the command line is wrong: an unknown option or a bad value (argparse's usage and
     error), or a model or option that does not exist (one line 'bayesreg fit: error:')
  130  interrupted (Ctrl-C); no partial file is left

examples:
  bayesreg fit data.csv --target y --prior laplace --alpha 0.1
  bayesreg fit data.csv --target y --prior laplace --alpha 0.1 --sample --output-dir lasso
  bayesreg fit data.csv --target y --features age,bmi,bp --prior horseshoe --sample
  bayesreg fit data.csv --target sick --likelihood logistic --prior laplace --C 0.5
"""
)


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    if any(not name for name in names):
        raise argparse.ArgumentTypeError(f"empty column name in {text!r}")
    return names


def _delimiter(text: str) -> str:
    text = {"\\t": "\t", "tab": "\t"}.get(text, text)
    if len(text) != 1 or text in '\r\n"':
        raise argparse.ArgumentTypeError(f"a delimiter is one character (or 'tab'), got {text!r}")
    return text


def add_parser(sub) -> argparse.ArgumentParser:
    """Add the ``fit`` command to the ``bayesreg`` subcommands ``sub``."""
    fit = sub.add_parser(
        "fit",
        help="fit a model to a CSV file: the MAP, and the posterior with --sample",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fit.add_argument("csv", type=Path, metavar="CSV", help="the data file (with a header row)")

    data = fit.add_argument_group("data")
    data.add_argument("--target", required=True, metavar="NAME", help="the column to predict")
    data.add_argument(
        "--features",
        type=_names,
        action="append",
        metavar="A,B,...",
        help="the feature columns, comma-separated (repeatable; default: all other columns)",
    )
    data.add_argument(
        "--exclude",
        type=_names,
        action="append",
        metavar="A,B,...",
        help="columns to leave out of the default features (e.g. an id or a text column)",
    )
    data.add_argument(
        "--drop-incomplete",
        action="store_true",
        help="leave out rows with a missing value in a column used, and say how many",
    )
    data.add_argument(
        "--delimiter",
        type=_delimiter,
        default=",",
        metavar="CHAR",
        help="the field separator (default: ','; 'tab' for tabs)",
    )

    model = fit.add_argument_group("model (see 'models' below)")
    model.add_argument(
        "--prior",
        required=True,
        choices=PRIORS,
        metavar="PRIOR",
        help=f"the prior of the weights (the penalty): {', '.join(PRIORS)}",
    )
    model.add_argument(
        "--likelihood",
        choices=LIKELIHOODS,
        default="normal",
        metavar="NAME",
        help=f"the distribution of the target: {', '.join(LIKELIHOODS)} (default: normal)",
    )
    model.add_argument(
        "--alpha",
        type=float,
        metavar="A",
        help="penalty strength in scikit-learn's parametrisation (default 1.0)",
    )
    model.add_argument(
        "--C",
        dest="C",
        type=float,
        metavar="C",
        help="logistic: scikit-learn's inverse penalty strength C (default 1.0; inf: none)",
    )
    model.add_argument(
        "--l1-ratio", type=float, metavar="R", help="elastic-net: the L1 share R in [0, 1] (0.5)"
    )
    model.add_argument(
        "--scale", type=float, metavar="S", help="the prior's scale, in units of w (1.0)"
    )
    model.add_argument(
        "--df", type=float, metavar="D", help="student-t prior: degrees of freedom (3)"
    )
    model.add_argument("--power", type=float, metavar="P", help="bridge prior: the exponent P > 0")
    model.add_argument(
        "--slab-scale", type=float, metavar="Q", help="regularized-horseshoe: slab scale (2)"
    )
    model.add_argument(
        "--slab-df",
        type=float,
        metavar="V",
        help="regularized-horseshoe: slab degrees of freedom (4)",
    )
    model.add_argument(
        "--lambda-shape", type=float, metavar="R", help="bayesian-lasso: shape of lambda^2 (1)"
    )
    model.add_argument(
        "--lambda-rate", type=float, metavar="D", help="bayesian-lasso: rate of lambda^2 (1)"
    )
    model.add_argument(
        "--likelihood-df",
        type=float,
        metavar="D",
        help="student-t likelihood: degrees of freedom (4)",
    )
    model.add_argument(
        "--no-intercept",
        action="store_true",
        help="fit no intercept (by default it is fitted, with a flat prior: never penalized)",
    )

    posterior = fit.add_argument_group("posterior")
    posterior.add_argument(
        "--sample", action="store_true", help="also draw the posterior by NUTS and summarise it"
    )
    posterior.add_argument(
        "--num-samples", type=int, metavar="N", help="draws kept per chain (default: 1000)"
    )
    posterior.add_argument(
        "--num-warmup", type=int, metavar="N", help="warm-up iterations per chain (default: 1000)"
    )
    posterior.add_argument("--num-chains", type=int, metavar="N", help="chains (default: 4)")
    posterior.add_argument("--seed", type=int, metavar="N", help="seed of the sampler (default: 0)")
    posterior.add_argument(
        "--hdi-prob",
        type=float,
        metavar="P",
        help=f"mass of the highest-density intervals, in (0, 1) (default: {HDI_PROB})",
    )

    output = fit.add_argument_group("output")
    output.add_argument(
        "--output-dir",
        type=Path,
        default=Path("bayesreg-output"),
        metavar="DIR",
        help="folder of the output files, created if missing (default: ./bayesreg-output)",
    )
    output.add_argument(
        "--force", action="store_true", help="replace output files that exist already"
    )
    output.add_argument(
        "--quiet", action="store_true", help="print nothing but warnings and errors"
    )
    fit.set_defaults(subparser=fit, run=run)
    return fit


# -- the command line -------------------------------------------------------------------
def _model(args: argparse.Namespace) -> Model:
    given = {
        name: getattr(args, name) for name in PARAMETER_OPTIONS if getattr(args, name) is not None
    }
    return choose_model(
        args.prior,
        args.likelihood,
        given,
        fit_intercept=not args.no_intercept,
        sample=args.sample,
    )


def _sampling(args: argparse.Namespace) -> dict | None:
    """The sampler settings with their defaults (None without --sample), or a UsageError."""
    options = {**SAMPLING_DEFAULTS, "hdi_prob": HDI_PROB}
    given = {name: getattr(args, name) for name in options if getattr(args, name) is not None}
    if not args.sample:
        if given:
            name = next(iter(given))
            raise UsageError(f"--{name.replace('_', '-')} needs --sample (it sets the sampler)")
        return None
    settings = {**options, **given}
    for name, low in (("num_samples", 1), ("num_warmup", 0), ("num_chains", 1), ("seed", 0)):
        if settings[name] < low:
            raise UsageError(f"--{name.replace('_', '-')} must be >= {low}, got {settings[name]}")
    if settings["seed"] >= 2**32:
        raise UsageError(f"--seed must be < 2^32, got {settings['seed']}")
    if not 0 < settings["hdi_prob"] < 1:
        raise UsageError(f"--hdi-prob must be in (0, 1), got {settings['hdi_prob']:g}")
    return settings


def _columns(args: argparse.Namespace) -> tuple[list[str] | None, list[str]]:
    features = None if args.features is None else [n for names in args.features for n in names]
    exclude = [] if args.exclude is None else [n for names in args.exclude for n in names]
    if features is not None and exclude:
        raise UsageError("give --features or --exclude, not both")
    return features, exclude


def _output_names(model: Model, sample: bool) -> list[str]:
    if not sample:
        return [COEFFICIENTS, MAP_FIGURE]
    figure = MAP_VS_POSTERIOR_FIGURE if model.has_map else POSTERIOR_FIGURE
    return [COEFFICIENTS, POSTERIOR, figure]


# -- checks before the fit --------------------------------------------------------------
def _check_output_dir(directory: Path, names: list[str], *, force: bool, data: Path) -> None:
    """Fail now, before any work, if the outputs could not be written or would replace a file."""
    shown = str(directory)
    if directory.is_dir():
        if not os.access(directory, os.W_OK | os.X_OK):
            raise CLIError(f"--output-dir {shown!r} is not writable")
        existing = [name for name in names if os.path.lexists(directory / name)]
        if existing and not force:
            listed = ", ".join(existing)
            verb = "exists" if len(existing) == 1 else "exist"
            raise CLIError(
                f"{listed} already {verb} in {shown}: pass --force to replace, or choose "
                "another --output-dir"
            )
        for name in existing:
            path = directory / name
            if path.is_dir():
                raise CLIError(f"{path} is a directory: remove it, or choose another --output-dir")
            if path.exists() and data.exists() and os.path.samefile(path, data):
                raise CLIError(f"{path} is the data file itself: choose another --output-dir")
        return
    if os.path.lexists(directory):
        raise CLIError(f"--output-dir {shown!r} exists and is not a directory")
    ancestor = directory.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        raise CLIError(f"cannot create --output-dir {shown!r}: {ancestor} is not a writable folder")


def _classes(table: Table) -> np.ndarray:
    return np.unique(table.y.astype(str) if table.y.dtype == object else table.y)


def _check_target(table: Table, model: Model, data: Path, sample: bool) -> None:
    """What the model needs of the target and the number of rows, said in the data's terms."""
    n = table.y.shape[0]
    if model.labels:
        classes = _classes(table)
        shown = ", ".join(_label(c) for c in classes[:5]) + (", ..." if classes.size > 5 else "")
        if classes.size < 2:
            raise CLIError(
                f"--likelihood logistic needs two classes in the target {table.target!r}, "
                f"which holds only {shown}"
            )
        if classes.size > 2:
            raise CLIError(
                f"--likelihood logistic fits two classes; the target {table.target!r} holds "
                f"{classes.size}: {shown}"
            )
    if model.family == "poisson" and np.any(table.y < 0):
        i = int(np.flatnonzero(table.y < 0)[0])
        raise CLIError(
            f"--likelihood poisson needs counts >= 0 in the target {table.target!r}; line "
            f"{table.lines[i]} of {data} has {table.y[i]:g}"
        )
    needed = 2 if (sample and model.fit_intercept) else 1
    if n < needed:
        raise CLIError(
            f"{data} has {n} usable row{'s' * (n != 1)}; "
            + ("sampling the posterior with an intercept needs 2" if sample else "a fit needs 1")
        )


def _check_scale(table: Table) -> None:
    """Every column's sum of squares must be a float64: the solvers square the data."""
    columns = list(zip(table.features, table.X.T, strict=True))
    if table.y.dtype != object:
        columns.append((table.target, table.y))
    for name, values in columns:
        with np.errstate(over="ignore"):
            overflows = not np.isfinite(np.sum(np.square(values)))
        if overflows:
            raise CLIError(
                f"column {name!r} has values up to {np.max(np.abs(values)):.3g}, too large to "
                "square in float64 (the sum of squares overflows): rescale it"
            )


def _label(value) -> str:
    return f"{value:g}" if isinstance(value, float | np.floating) else repr(str(value))


# -- the fit ------------------------------------------------------------------------------
def _fit(estimator, table: Table, settings: dict | None):
    """Fit the MAP (and sample the posterior); return the posterior or None."""
    X, y = table.X, table.y
    if settings is None:
        estimator.fit(X, y)
        return None
    posterior = estimator.sample_posterior(
        X,
        y,
        num_samples=settings["num_samples"],
        num_warmup=settings["num_warmup"],
        num_chains=settings["num_chains"],
        random_state=settings["seed"],
    )
    # The estimator saw a numpy array, so it labelled the features x0, x1, ...
    return posterior.map_over_datasets(
        lambda ds: ds.assign_coords(feature=table.features) if "feature" in ds.dims else ds
    )


def _check_finite(estimator, model: Model, table: Table, posterior) -> None:
    values = [np.ravel(estimator.coef_)]
    if model.fit_intercept:
        values.append(np.ravel(estimator.intercept_))
    if posterior is not None:
        values += [
            np.ravel(posterior["posterior"][name].to_numpy())
            for name in ("coef", "intercept", "sigma")
            if name in posterior["posterior"].data_vars
        ]
    if all(np.all(np.isfinite(v)) for v in values):
        return
    column_max = np.max(np.abs(table.X), axis=0)
    j = int(np.argmax(column_max))
    scale = f"largest |value| {column_max[j]:.3g} in {table.features[j]!r}"
    if not model.labels:
        scale += f", {float(np.max(np.abs(table.y))):.3g} in the target {table.target!r}"
    raise CLIError(
        f"the fit gave values that are not finite numbers (the data's {scale}): rescale "
        "the columns (e.g. to units near 1) and run again"
    )


def _certificate_line(estimator, model: Model) -> str | None:
    if not model.has_map:
        return None
    result = estimator.map_
    if model.family != "written":
        return f"MAP certificate: {result.certificate}"
    if result.weights_map is None:
        if model.likelihood == "laplace":
            return "MAP: solved exactly as a linear program (no certificate is computed)"
        return (
            f"MAP: {result.n_iter} majorise-minimise rounds (no certificate is computed); the "
            "Student-t likelihood is not convex: a local mode"
        )
    weights = result.weights_map
    line = f"MAP certificate (of the weights at the mode's sigma): {weights.certificate}"
    if not weights.convex:
        line += f"; the problem is not convex: a local mode ({weights.solver})"
    return line


def _results(estimator, model: Model, table: Table, posterior, hdi_prob: float) -> Results:
    coef_map = intercept_map = sigma_map = None
    if model.has_map:
        coef_map = np.ravel(estimator.coef_)
        intercept_map = float(np.ravel(estimator.intercept_)[0]) if model.fit_intercept else None
        sigma_map = float(estimator.sigma_) if model.family == "written" else None
    return Results.collect(
        table.features,
        coef_map=coef_map,
        intercept_map=intercept_map,
        sigma_map=sigma_map,
        posterior=posterior,
        hdi_prob=hdi_prob,
        fit_intercept=model.fit_intercept,
        has_sigma=model.has_sigma,
    )


# -- the outputs --------------------------------------------------------------------------
def _write_outputs(directory: Path, files: dict[str, Callable[[Path], None]], *, force: bool):
    """Stage every file in full, then publish them one by one; return the paths written."""
    created = not directory.exists()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CLIError(
            f"cannot create --output-dir {str(directory)!r}: {err.strerror or err}"
        ) from None
    staged: dict[str, Path] = {}
    try:
        for name, write in files.items():
            staged[name] = stage(directory / name, write)
    except (OSError, ValueError) as err:
        discard(staged.values())
        if created:
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise CLIError(
            f"cannot write {name} in {directory}: {_one_line(err)}; no file was written"
        ) from None
    except BaseException:
        discard(staged.values())
        raise
    written: list[Path] = []
    names = list(staged)
    try:
        for name in names:
            target = directory / name
            try:
                publish(staged[name], target, overwrite=force)
            except FileExistsError:
                raise CLIError(
                    f"{name} appeared in {directory} during the fit and was not replaced "
                    f"(pass --force to replace it); written: {_listing(written)}"
                ) from None
            except OSError as err:
                raise CLIError(
                    f"cannot write {target}: {_one_line(err)}; written: {_listing(written)}"
                ) from None
            written.append(target)
    finally:
        discard(staged[name] for name in names[len(written) :])
    return written


def _listing(paths: list[Path]) -> str:
    return ", ".join(str(p) for p in paths) or "nothing"


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


def _attributes(args: argparse.Namespace, model: Model, table: Table) -> dict[str, str]:
    return {
        "bayesreg_version": bayesreg.__version__,
        "bayesreg_command": getattr(args, "command_line", ""),
        "model": model.label(table.y.shape[0]),
        "data_file": str(args.csv),
        "target": table.target,
    }


# -- the command ------------------------------------------------------------------------
def run(args: argparse.Namespace) -> None:
    """Run ``bayesreg fit``.

    A wrong command line exits with status 2 through argparse; a :class:`CLIError`
    (bad data, an output that exists, a failed fit) is reported by the caller as one
    line with exit status 1.  Warnings are collected and printed at the end, one line
    each, as ``bayesreg: warning: ...``.
    """
    parser: argparse.ArgumentParser = args.subparser
    try:
        model = _model(args)
        settings = _sampling(args)
        features, exclude = _columns(args)
    except UsageError as err:
        # One line, as argparse's own errors end, without repeating the long usage.
        parser.exit(2, f"{parser.prog}: error: {err}\n")

    def say(*lines: str) -> None:
        if not args.quiet:
            print(*lines, sep="\n", flush=True)

    _check_output_dir(
        args.output_dir, _output_names(model, args.sample), force=args.force, data=args.csv
    )
    try:
        table = read_table(
            args.csv,
            target=args.target,
            features=features,
            exclude=exclude,
            labels=model.labels,
            drop_incomplete=args.drop_incomplete,
            delimiter=args.delimiter,
        )
    except DataError as err:
        raise CLIError(str(err)) from None
    _check_target(table, model, args.csv, args.sample)
    _check_scale(table)
    say(*_introduction(args, model, table, settings))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if settings is not None:
            use_parallel_chains(settings["num_chains"])
        estimator = model.build(table.y.shape[0])
        start = time.perf_counter()
        try:
            posterior = _fit(estimator, table, settings)
        except ValueError as err:  # the estimators' own checks (NoFiniteModeError, ...)
            raise CLIError(f"the fit failed: {_one_line(err)}") from None
        seconds = time.perf_counter() - start
        _check_finite(estimator, model, table, posterior)
        hdi_prob = HDI_PROB if settings is None else settings["hdi_prob"]
        results = _results(estimator, model, table, posterior, hdi_prob)
        say("", *results.table(), "", *_diagnostics(estimator, model, results, seconds))
        files = _output_files(args, model, table, results, posterior)
        written = _write_outputs(args.output_dir, files, force=args.force)
    say("Wrote " + ", ".join(str(path) for path in written))
    for message in dict.fromkeys(_one_line(w.message) for w in caught):
        print(f"bayesreg: warning: {message}", file=sys.stderr)


def _introduction(args, model: Model, table: Table, settings: dict | None) -> list[str]:
    """What is fitted to what: the data, the model, its objective and prior."""
    n = table.y.shape[0]
    dropped = ""
    if table.n_dropped:
        columns = ", ".join(f"{c!r} in {k}" for c, k in table.dropped_columns.items())
        dropped = (
            f" ({table.n_dropped} of {table.n_read} left out as incomplete: missing {columns})"
        )
    lines = [
        f"Data: {args.csv}, {n} row{'s' * (n != 1)}{dropped}, {len(table.features)} "
        f"feature{'s' * (len(table.features) != 1)}, "
        f"target {table.target!r}",
        f"Model: {model.label(n)}",
        *(f"  {line}" for line in model.describe(n)),
    ]
    if model.labels:
        classes = _classes(table)
        lines.append(
            f"  P({table.target} = {_label(classes[1])}) = sigmoid(b + x'w); the other class "
            f"is {_label(classes[0])}"
        )
    if settings is not None:
        lines.append(
            f"Sampling the posterior by NUTS: {settings['num_chains']} chains x "
            f"{settings['num_samples']} draws after {settings['num_warmup']} warm-up ..."
        )
    return lines


def _diagnostics(estimator, model: Model, results: Results, seconds: float) -> list[str]:
    """The MAP's optimality certificate, the sampler's diagnostics and the time taken."""
    lines = []
    certificate = _certificate_line(estimator, model)
    if certificate:
        lines.append(certificate)
    if results.stats:
        summaries = [row.summary for row in results.rows]
        lines.append(
            f"NUTS: {results.n_draws} draws, {results.divergences} divergent transitions, "
            f"min bulk ESS {min(s['ess_bulk'] for s in summaries):.0f}, "
            f"max R-hat {max(s['r_hat'] for s in summaries):.3f}"
        )
    what = "MAP" if not results.stats else "MAP and NUTS" if model.has_map else "NUTS"
    lines.append(f"{what}: {seconds:.1f} s")
    return lines


def _output_files(args, model: Model, table: Table, results: Results, posterior):
    """Each output file's name and the function that writes it."""
    title = f"{model.label(table.y.shape[0])} on {args.csv.name}, target {table.target!r}"
    files: dict[str, Callable[[Path], None]] = {
        COEFFICIENTS: lambda path: path.write_text(results.csv_text(), encoding="utf-8")
    }
    if posterior is None:
        figure = map_figure(table.features, results.coef_map, title)
        files[MAP_FIGURE] = lambda path: figure.savefig(path, format="png", dpi=150)
        return files
    tree = posterior.copy()
    tree.attrs = {**tree.attrs, **_attributes(args, model, table)}
    files[POSTERIOR] = lambda path: tree.to_netcdf(path, engine="h5netcdf")
    coef_map = results.coef_map if model.has_map else None
    figure = posterior_figure(posterior, coef_map, results.hdi_prob, title)
    name = MAP_VS_POSTERIOR_FIGURE if model.has_map else POSTERIOR_FIGURE
    files[name] = lambda path: figure.savefig(path, format="png", dpi=150)
    return files
