"""``bayesreg fit``: the MAP of a CSV file equals scikit-learn's, the posterior loads back,
no file is ever overwritten without --force, and bad input gets one clear line.

Every run goes through ``bayesreg.cli.main`` in this process (stdout and stderr
captured), except ``test_installed_script_*``, which run the installed ``bayesreg``
script as a user does.  The reference answers are scikit-learn's, fitted on the file as
pandas reads it (an independent CSV reader), at ``tol=1e-12``.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import io
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import pytest
import sklearn.linear_model as sk
import xarray as xr
from _hostile import answer_or_clear_error
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_diabetes

import bayesreg
from bayesreg import _atomic, cli
from bayesreg.cli import fit as cli_fit
from bayesreg.cli.models import LIKELIHOODS, PARAMETER_OPTIONS, PRIORS

SK_TOL = 1e-12
#: ``max |MAP - scikit-learn| <= MAP_RTOL * max(1, max |coef_sk|)``: both solve the same
#: convex problem far below this (ours to rounding, scikit-learn to a 1e-12 gap).
MAP_RTOL = 1e-8
#: The terminal prints 6 significant digits: half a unit in the 6th digit.
PRINTED_RTOL = 5e-6
TINY_SAMPLING = ("--sample", "--num-samples", "50", "--num-warmup", "50", "--num-chains", "2")


# -- running the command ----------------------------------------------------------------
@pytest.fixture(autouse=True)
def _keep_jax_devices(monkeypatch):
    """In this process, leave JAX's device count alone: the command would ask for one CPU
    device per chain, a process-wide setting that would outlive the test."""
    monkeypatch.setattr(cli_fit, "use_parallel_chains", lambda num_chains: None)


@dataclasses.dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


def run_cli(*argv) -> Run:
    """``bayesreg ARGV`` in this process: the exit status and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main([str(a) for a in argv])
        except SystemExit as exit_:
            code = exit_.code
    return Run(code, out.getvalue(), err.getvalue())


def fit_cli(*argv) -> Run:
    """``bayesreg fit ARGV`` in this process."""
    return run_cli("fit", *argv)


def assert_one_line_error(run: Run, *fragments: str) -> str:
    """Exit status 1 with exactly one stderr line, 'bayesreg: error: ...', naming ``fragments``."""
    assert run.code == 1, (run.code, run.out, run.err)
    assert "Traceback" not in run.err
    (line,) = run.err_lines
    assert line.startswith("bayesreg: error: "), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def assert_usage_error(run: Run, *fragments: str) -> str:
    """Exit status 2 (a wrong command line), the last stderr line 'bayesreg fit: error: ...'."""
    assert run.code == 2, (run.code, run.out, run.err)
    assert "Traceback" not in run.err
    line = run.err_lines[-1]
    assert line.startswith("bayesreg fit: error: "), run.err
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def write_csv(path: Path, header, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def coefficients(directory: Path) -> pd.DataFrame:
    """coefficients.csv as pandas reads it (empty cells: NaN)."""
    return pd.read_csv(directory / "coefficients.csv", keep_default_na=False, na_values=[""])


def coef_map(table: pd.DataFrame) -> pd.Series:
    coefs = table[table["parameter"] == "coef"]
    return pd.Series(coefs["map"].to_numpy(float), index=coefs["feature"].astype(str).to_numpy())


def printed_table(out: str) -> dict[str, list[str]]:
    """The rows of the printed table: parameter -> its cells (an HDI '[a, b]' is one cell)."""
    lines = out.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("parameter"))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        if set(line) == {"-"}:
            continue
        cells = re.findall(r"\[[^\]]*\]|\S+", line)
        rows[cells[0]] = cells[1:]
    return rows


def max_deviation(ours, reference) -> float:
    ours, reference = np.asarray(ours, float), np.asarray(reference, float)
    return float(np.max(np.abs(ours - reference)) / max(1.0, float(np.max(np.abs(reference)))))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def diabetes_csv(tmp_path_factory) -> Path:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    frame = X.assign(progression=y)
    frame["high"] = np.where(y > 140, "yes", "no")
    frame["visits"] = np.round(y / 20).astype(int)
    path = tmp_path_factory.mktemp("data") / "diabetes.csv"
    frame.to_csv(path, index=False)
    return path


def diabetes_Xy(path: Path, target: str = "progression"):
    frame = pd.read_csv(path)
    features = [c for c in frame.columns if c not in ("progression", "high", "visits")]
    return frame[features].to_numpy(float), frame[target].to_numpy(), features


# -- the MAP is scikit-learn's ----------------------------------------------------------
REGRESSIONS = {
    "laplace": (
        ["--prior", "laplace", "--alpha", "0.1"],
        lambda: sk.Lasso(alpha=0.1, tol=SK_TOL, max_iter=1_000_000),
    ),
    "gaussian": (["--prior", "gaussian", "--alpha", "0.1"], lambda: sk.Ridge(alpha=0.1)),
    "elastic-net": (
        ["--prior", "elastic-net", "--alpha", "0.01", "--l1-ratio", "0.7"],
        lambda: sk.ElasticNet(alpha=0.01, l1_ratio=0.7, tol=SK_TOL, max_iter=1_000_000),
    ),
    "flat": (["--prior", "flat"], lambda: sk.LinearRegression()),
}


@pytest.mark.parametrize("prior", list(REGRESSIONS))
def test_map_equals_scikit_learn(prior, diabetes_csv, tmp_path, request):
    # The MAP of the prior is scikit-learn's penalized fit on the same file.
    options, make_reference = REGRESSIONS[prior]
    out = tmp_path / "out"
    run = fit_cli(
        diabetes_csv, "--target", "progression", "--exclude", "high,visits", *options,
        "--output-dir", out,
    )  # fmt: skip
    assert run.code == 0, run.err
    assert "Traceback" not in run.err
    X, y, features = diabetes_Xy(diabetes_csv)
    reference = make_reference().fit(X, y)

    table = coefficients(out)
    written = coef_map(table)
    assert list(written.index) == features
    deviation = max_deviation(written.to_numpy(), reference.coef_)
    assert deviation <= MAP_RTOL, deviation
    (intercept,) = table.loc[table["parameter"] == "intercept", "map"]
    assert abs(intercept - reference.intercept_) <= MAP_RTOL * max(1.0, abs(reference.intercept_))
    # Exact zeros stay exact (the lasso's sparsity is a property of the mode).
    np.testing.assert_array_equal(written.to_numpy() == 0, reference.coef_ == 0)

    # The printed table says the same, to its 6 significant digits.
    printed = printed_table(run.out)
    for feature, value in zip(features, reference.coef_, strict=True):
        (cell,) = printed[feature]
        if value == 0:
            assert cell == "0"
        else:
            assert float(cell) == pytest.approx(value, rel=PRINTED_RTOL)
    assert float(printed["intercept"][0]) == pytest.approx(reference.intercept_, rel=PRINTED_RTOL)
    assert re.search(r"^MAP certificate.*optimal within tol", run.out, re.MULTILINE)
    assert sorted(p.name for p in out.iterdir()) == ["coefficients.csv", "coefficients.png"]
    assert (out / "coefficients.png").read_bytes().startswith(b"\x89PNG")
    request.node.user_properties.append(
        ("summary", f"CLI fit --prior {prior}: max |MAP - scikit-learn| / scale {deviation:.1e}")
    )


def test_flat_prior_prints_the_noise_scale_at_the_mode(diabetes_csv, tmp_path):
    # The joint mode of (w, b, sigma) under p(sigma) propto 1/sigma has
    # sigma^2 = RSS / (n + 1): d/dsigma [-(n + 1) log sigma - RSS / (2 sigma^2)] = 0.
    out = tmp_path / "out"
    run = fit_cli(
        diabetes_csv, "--target", "progression", "--exclude", "high,visits", "--prior", "flat",
        "--output-dir", out,
    )  # fmt: skip
    assert run.code == 0, run.err
    X, y, _ = diabetes_Xy(diabetes_csv)
    residuals = y - sk.LinearRegression().fit(X, y).predict(X)
    expected = math.sqrt(residuals @ residuals / (len(y) + 1))
    table = coefficients(out)
    (sigma,) = table.loc[table["parameter"] == "sigma", "map"]
    assert sigma == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("options", "make_reference", "rtol"),
    [
        # --alpha A means C = 1 / (n A); newton-cholesky converges to rounding for L2.
        (
            ["--prior", "gaussian", "--alpha", "0.01"],
            lambda n: sk.LogisticRegression(
                C=1 / (n * 0.01), solver="newton-cholesky", tol=SK_TOL, max_iter=1000
            ),
            1e-8,
        ),
        # L1 needs saga, which converges slowly: its tolerance is ~1e-6 (tests/test_glm.py).
        (
            ["--prior", "laplace", "--C", "0.5"],
            lambda n: sk.LogisticRegression(
                C=0.5, l1_ratio=1.0, solver="saga", tol=SK_TOL, max_iter=100_000
            ),
            1e-6,
        ),
    ],
)
def test_logistic_map_equals_scikit_learn(options, make_reference, rtol, diabetes_csv, tmp_path):
    out = tmp_path / "out"
    run = fit_cli(
        diabetes_csv, "--target", "high", "--likelihood", "logistic",
        "--exclude", "progression,visits", *options, "--output-dir", out,
    )  # fmt: skip
    assert run.code == 0, run.err
    X, labels, _ = diabetes_Xy(diabetes_csv, "high")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # saga's ConvergenceWarning: checked by the tolerance
        reference = make_reference(len(labels)).fit(X, labels)
    assert list(reference.classes_) == ["no", "yes"]
    assert "P(high = 'yes') = sigmoid(b + x'w)" in run.out
    table = coefficients(out)
    assert max_deviation(coef_map(table), reference.coef_[0]) <= rtol
    (intercept,) = table.loc[table["parameter"] == "intercept", "map"]
    assert abs(intercept - reference.intercept_[0]) <= rtol * max(1.0, abs(reference.intercept_[0]))


def test_poisson_map_equals_scikit_learn(diabetes_csv, tmp_path):
    out = tmp_path / "out"
    run = fit_cli(
        diabetes_csv, "--target", "visits", "--likelihood", "poisson", "--prior", "gaussian",
        "--alpha", "0.01", "--exclude", "progression,high", "--output-dir", out,
    )  # fmt: skip
    assert run.code == 0, run.err
    X, y, _ = diabetes_Xy(diabetes_csv, "visits")
    reference = sk.PoissonRegressor(
        alpha=0.01, solver="newton-cholesky", tol=SK_TOL, max_iter=10_000
    ).fit(X, y)
    table = coefficients(out)
    assert max_deviation(coef_map(table), reference.coef_) <= 1e-8


# -- the model table --------------------------------------------------------------------
#: Every pair the help text offers (with --sample where the prior has no MAP).
OFFERED = {
    "normal": set(PRIORS),
    "student-t": set(PRIORS) - {"elastic-net"},
    "laplace": {"laplace", "flat", "horseshoe", "regularized-horseshoe", "bayesian-lasso"},
    "logistic": {"gaussian", "laplace", "elastic-net", "flat"},
    "poisson": {"gaussian", "flat"},
}


@pytest.mark.parametrize("likelihood", LIKELIHOODS)
@pytest.mark.parametrize("prior", PRIORS)
def test_every_pair_exists_or_says_which_do(prior, likelihood, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text(GOOD)
    options = ["--power", "1.5"] if prior == "bridge" else []
    run = fit_cli(
        data, "--target", "y", "--prior", prior, "--likelihood", likelihood, *options,
        "--sample", "--num-samples", "0", "--output-dir", tmp_path / "out",
    )  # fmt: skip
    # --num-samples 0 is refused after the model is chosen: a valid pair gets that far.
    line = assert_usage_error(run)
    if prior in OFFERED[likelihood]:
        assert "--num-samples must be >= 1" in line, line
    else:
        assert "takes --" in line or "only with --prior" in line, line


@pytest.fixture(scope="module")
def prostate_csv(tmp_path_factory) -> Path:
    from bayesreg.datasets import load_prostate

    data = load_prostate()
    frame = pd.DataFrame(data.data, columns=data.feature_names).assign(lpsa=data.target)
    path = tmp_path_factory.mktemp("data") / "prostate.csv"
    frame.to_csv(path, index=False)
    return path


WIRING = {
    "student-t prior and likelihood": (
        "--prior student-t --df 5 --scale 2 --likelihood student-t --likelihood-df 6",
        lambda n: bayesreg.LinearRegression(
            prior=bayesreg.StudentT(5.0, 2.0), likelihood="student_t", df=6.0
        ),
    ),
    "laplace likelihood": (
        "--prior laplace --scale 0.5 --likelihood laplace",
        lambda n: bayesreg.LinearRegression(prior=bayesreg.Laplace(0.5), likelihood="laplace"),
    ),
    "bridge": (
        "--prior bridge --power 1.5 --scale 0.5",
        lambda n: bayesreg.LinearRegression(prior=bayesreg.Bridge(1.5, 0.5)),
    ),
    "gaussian as written, no intercept": (
        "--prior gaussian --scale 0.3 --no-intercept",
        lambda n: bayesreg.LinearRegression(prior=bayesreg.Gaussian(0.3), fit_intercept=False),
    ),
    "logistic elastic net from alpha": (
        "--likelihood logistic --prior elastic-net --alpha 0.01 --l1-ratio 0.3 --target svi",
        lambda n: bayesreg.LogisticRegression(C=1 / (n * 0.01), l1_ratio=0.3),
    ),
}


@pytest.mark.parametrize("case", list(WIRING))
def test_options_reach_the_estimator(case, prostate_csv, tmp_path):
    # The command's answer is the library's, called directly with the documented mapping.
    options, make = WIRING[case]
    options = options.split()
    target = options[options.index("--target") + 1] if "--target" in options else "lpsa"
    if "--target" not in options:
        options += ["--target", target]
    out = tmp_path / "out"
    run = fit_cli(prostate_csv, *options, "--output-dir", out)
    assert run.code == 0, run.err
    frame = pd.read_csv(prostate_csv)
    # Row-major, as the command reads it: the same sums in the same order, bit for bit.
    X = np.ascontiguousarray(frame.drop(columns=target).to_numpy(float))
    y = frame[target].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = make(len(y)).fit(X, y)
    table = coefficients(out)
    np.testing.assert_allclose(coef_map(table), np.ravel(estimator.coef_), rtol=1e-12, atol=0)
    rows = set(table["parameter"])
    assert ("intercept" in rows) == ("--no-intercept" not in options)
    if hasattr(estimator, "sigma_"):
        (sigma,) = table.loc[table["parameter"] == "sigma", "map"]
        assert sigma == pytest.approx(estimator.sigma_, rel=1e-12)


# -- the posterior ----------------------------------------------------------------------
@pytest.mark.slow  # one NUTS compile: 20-30 s on a loaded 2-core machine
def test_sample_writes_the_posterior_the_summary_reports(diabetes_csv, tmp_path, request):
    out = tmp_path / "out"
    run = fit_cli(
        diabetes_csv, "--target", "progression", "--exclude", "high,visits", "--prior", "laplace",
        "--alpha", "0.1", *TINY_SAMPLING, "--seed", "1", "--output-dir", out,
    )  # fmt: skip
    assert run.code == 0, run.err
    assert all(line.startswith("bayesreg: warning: ") for line in run.err_lines), run.err
    assert sorted(p.name for p in out.iterdir()) == [
        "coefficients.csv",
        "map_vs_posterior.png",
        "posterior.nc",
    ]
    assert (out / "map_vs_posterior.png").read_bytes().startswith(b"\x89PNG")
    X, y, features = diabetes_Xy(diabetes_csv)

    with xr.open_datatree(out / "posterior.nc", engine="h5netcdf") as loaded:
        tree = loaded.load()
    post = tree["posterior"]
    assert post["coef"].dims == ("chain", "draw", "feature")
    assert post["coef"].shape == (2, 50, len(features))
    assert list(post["feature"].values) == features
    assert "bayesreg fit" in tree.attrs["bayesreg_command"]
    assert tree.attrs["model"] == "Lasso(alpha=0.1)"

    table = coefficients(out)
    # The MAP column is scikit-learn's lasso ...
    reference = sk.Lasso(alpha=0.1, tol=SK_TOL, max_iter=1_000_000).fit(X, y)
    assert max_deviation(coef_map(table), reference.coef_) <= MAP_RTOL
    # ... and the summary columns are those of the draws in posterior.nc: the mean and
    # standard deviation computed here, the HDI, ESS and R-hat by arviz on the file.
    coefs = table[table["parameter"] == "coef"].set_index("feature")
    draws = post["coef"].to_numpy().reshape(-1, len(features))
    np.testing.assert_allclose(coefs["mean"], draws.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(coefs["sd"], draws.std(axis=0, ddof=1), rtol=1e-10)
    hdi = az.hdi(tree, prob=0.94, var_names=["coef"])["coef"]
    np.testing.assert_array_equal(coefs["hdi94_lb"], hdi.sel(ci_bound="lower").to_numpy())
    np.testing.assert_array_equal(coefs["hdi94_ub"], hdi.sel(ci_bound="upper").to_numpy())
    np.testing.assert_allclose(
        coefs["ess_bulk"], az.ess(tree, var_names=["coef"])["coef"].to_numpy(), rtol=1e-12
    )
    np.testing.assert_allclose(
        coefs["r_hat"], az.rhat(tree, var_names=["coef"])["coef"].to_numpy(), rtol=1e-12
    )
    for name in ("intercept", "sigma"):
        (mean,) = table.loc[table["parameter"] == name, "mean"]
        assert mean == pytest.approx(float(post[name].mean()), rel=1e-12)
    (sigma_map,) = table.loc[table["parameter"] == "sigma", "map"]
    assert math.isnan(sigma_map)  # the noise-scaled lasso's MAP has no sigma

    # The printed table reports the same numbers, rounded.
    printed = printed_table(run.out)
    for feature in features:
        _, mean, sd, interval, ess, rhat = printed[feature]
        assert float(mean) == pytest.approx(coefs.loc[feature, "mean"], rel=5e-4, abs=1e-12)
        assert float(sd) == pytest.approx(coefs.loc[feature, "sd"], rel=5e-3)
        lower, upper = (float(v) for v in interval.strip("[]").split(", "))
        assert lower == pytest.approx(coefs.loc[feature, "hdi94_lb"], rel=5e-4)
        assert upper == pytest.approx(coefs.loc[feature, "hdi94_ub"], rel=5e-4)
        assert int(ess) == round(coefs.loc[feature, "ess_bulk"])
        assert float(rhat) == pytest.approx(coefs.loc[feature, "r_hat"], abs=5e-4)
    divergent = int(tree["sample_stats"]["diverging"].sum())
    assert f"NUTS: 100 draws, {divergent} divergent transitions" in run.out
    request.node.user_properties.append(
        (
            "summary",
            f"CLI fit --sample: 2 x 50 draws, min bulk ESS {coefs['ess_bulk'].min():.0f}, "
            f"max R-hat {coefs['r_hat'].max():.3f}, {divergent} divergent",
        )
    )


@pytest.mark.slow
def test_horseshoe_samples_without_a_map(diabetes_csv, tmp_path):
    out = tmp_path / "out"
    run = fit_cli(
        diabetes_csv, "--target", "progression", "--features", "bmi,bp,s5", "--prior",
        "horseshoe", "--scale", "100", *TINY_SAMPLING, "--output-dir", out,
    )  # fmt: skip
    assert run.code == 0, run.err
    assert sorted(p.name for p in out.iterdir()) == [
        "coefficients.csv",
        "posterior.nc",
        "posterior.png",
    ]
    table = coefficients(out)
    assert list(table.columns[:3]) == ["parameter", "feature", "map"]
    assert table["map"].isna().all()  # no finite mode, no MAP
    with xr.open_datatree(out / "posterior.nc", engine="h5netcdf") as tree:
        coef = tree["posterior"]["coef"].load()
    assert list(coef["feature"].values) == ["bmi", "bp", "s5"]
    np.testing.assert_allclose(
        table.loc[table["parameter"] == "coef", "mean"], coef.mean(("chain", "draw")), rtol=1e-12
    )
    assert "MAP" not in printed_table(run.out)["bmi"]
    assert "no finite mode" in run.out


# -- files: never overwritten without --force, written atomically ------------------------
def _lasso(csv_path: Path, out: Path, alpha: str = "0.1", *extra) -> Run:
    return fit_cli(
        csv_path, "--target", "progression", "--exclude", "high,visits", "--prior", "laplace",
        "--alpha", alpha, "--output-dir", out, *extra,
    )  # fmt: skip


def test_no_overwrite_without_force(diabetes_csv, tmp_path):
    out = tmp_path / "out"
    assert _lasso(diabetes_csv, out).code == 0
    before = {p.name: digest(p) for p in out.iterdir()}
    run = _lasso(diabetes_csv, out, "0.5")
    assert_one_line_error(run, "coefficients.csv, coefficients.png already exist", "--force")
    assert run.out == ""  # stopped before reading the data or fitting
    assert {p.name: digest(p) for p in out.iterdir()} == before

    run = _lasso(diabetes_csv, out, "0.5", "--force")
    assert run.code == 0, run.err
    assert sorted(p.name for p in out.iterdir()) == sorted(before)  # no temporary left
    assert digest(out / "coefficients.csv") != before["coefficients.csv"]
    X, y, _ = diabetes_Xy(diabetes_csv)
    reference = sk.Lasso(alpha=0.5, tol=SK_TOL, max_iter=1_000_000).fit(X, y)
    assert max_deviation(coef_map(coefficients(out)), reference.coef_) <= MAP_RTOL


def test_one_existing_output_is_named_and_kept(diabetes_csv, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "coefficients.png").write_bytes(b"mine")
    (out / "unrelated.txt").write_bytes(b"also mine")
    line = assert_one_line_error(_lasso(diabetes_csv, out), "coefficients.png already exists")
    assert "coefficients.csv" not in line
    assert (out / "coefficients.png").read_bytes() == b"mine"
    assert sorted(p.name for p in out.iterdir()) == ["coefficients.png", "unrelated.txt"]


def test_a_file_appearing_during_the_fit_is_not_clobbered(diabetes_csv, tmp_path, monkeypatch):
    # The check before the fit passes; the figure's name is taken while the fit runs.
    out = tmp_path / "out"
    fit = cli_fit._fit

    def fit_then_someone_writes(*args, **kwargs):
        result = fit(*args, **kwargs)
        out.mkdir(exist_ok=True)
        (out / "coefficients.png").write_bytes(b"written meanwhile")
        return result

    monkeypatch.setattr(cli_fit, "_fit", fit_then_someone_writes)
    run = _lasso(diabetes_csv, out)
    line = assert_one_line_error(run, "coefficients.png appeared", "written: ")
    assert str(out / "coefficients.csv") in line  # says which file was written
    assert (out / "coefficients.png").read_bytes() == b"written meanwhile"
    assert sorted(p.name for p in out.iterdir()) == ["coefficients.csv", "coefficients.png"]


def test_a_failed_write_leaves_nothing_behind(diabetes_csv, tmp_path, monkeypatch):
    out = tmp_path / "new"
    map_figure = cli_fit.map_figure

    def full_disk_figure(*args, **kwargs):
        figure = map_figure(*args, **kwargs)

        def savefig(path, **kwargs):
            Path(path).write_bytes(b"half a PNG")
            raise OSError(28, "No space left on device")

        figure.savefig = savefig
        return figure

    monkeypatch.setattr(cli_fit, "map_figure", full_disk_figure)
    run = _lasso(diabetes_csv, out)
    assert_one_line_error(run, "No space left on device", "no file was written")
    assert not out.exists()  # created for the outputs, removed again: nothing was written


def test_data_file_is_never_an_output(diabetes_csv, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    data = out / "coefficients.csv"
    shutil.copy(diabetes_csv, data)
    before = digest(data)
    assert_one_line_error(_lasso(data, out, "0.1", "--force"), "is the data file itself")
    assert digest(data) == before


@pytest.mark.parametrize("overwrite", [False, True])
def test_atomic_publish(tmp_path, overwrite):
    target = tmp_path / "file.txt"
    target.write_text("old")
    staged = _atomic.stage(target, lambda path: path.write_text("new"))
    assert staged.parent == tmp_path and staged.name.startswith(".file.txt.")
    if overwrite:
        _atomic.publish(staged, target, overwrite=True)
        assert target.read_text() == "new"
    else:
        with pytest.raises(FileExistsError):
            _atomic.publish(staged, target, overwrite=False)
        assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]  # the temporary is gone


def test_atomic_stage_cleans_up_a_failed_write(tmp_path):
    def fails(path):
        path.write_text("partial")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        _atomic.stage(tmp_path / "file.txt", fails)
    assert list(tmp_path.iterdir()) == []


def test_atomic_publish_without_hard_links(tmp_path, monkeypatch):
    # Where the file system has no hard links, the name is reserved with O_EXCL instead.
    def no_links(source, target):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "file.txt"
    _atomic.write_atomically(target, lambda p: p.write_text("one"), overwrite=False)
    assert target.read_text() == "one"
    with pytest.raises(FileExistsError):
        _atomic.write_atomically(target, lambda p: p.write_text("two"), overwrite=False)
    assert target.read_text() == "one"
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]


# -- errors: one line, exit status 1, nothing written ------------------------------------
GOOD = "a,b,y\n1,2,3\n2,1,5\n3,5,4\n4,3,8\n"
ERROR_CASES = {
    "missing file": (None, [], "no such file"),
    "empty file": ("", [], "is empty"),
    "header only": ("a,b,y\n", [], "has a header but no data rows"),
    "no header": ("1,2,3\n4,5,6\n", [], "is all numbers: add a header row"),
    "empty column name": ("a,,y\n1,2,3\n", [], "column 2 of the header"),
    "duplicate names": ("a,b,a,y\n1,2,3,4\n", [], "names two columns 'a' (columns 1 and 3)"),
    "unknown target": (GOOD, ["--target", "z"], "the target 'z' is not a column"),
    "unknown feature": (GOOD, ["--features", "a,c"], "the feature 'c' is not a column"),
    "unknown excluded column": (GOOD, ["--exclude", "c"], "the excluded column 'c'"),
    "target as feature": (GOOD, ["--features", "a,y"], "cannot also be a feature"),
    "repeated feature": (GOOD, ["--features", "a,a"], "--features names 'a' more than once"),
    "only the target": ("y\n1\n2\n", [], "no feature columns"),
    "non-numeric feature": (
        "a,b,y\n1,2,3\n2,x7,5\n3,oops,4\n",
        [],
        "column 'b' of data.csv is not numeric: line 3 has 'x7'",
    ),
    "non-numeric target": ("a,y\n1,2\n2,big\n", [], "the target column 'y'"),
    "decimal comma": ('a,y\n"1,5",2\n2,3\n', [], "write the decimal point as '.'"),
    "underscore number": ("a,y\n1_000,2\n2,3\n", [], "line 2 has '1_000'"),
    "missing values": (
        "a,b,y\n1,,3\n2,NA,5\n3,1,null\n4,2,7\n",
        [],
        "in 3 of 4 rows",
        "'b' in 2 rows (first on line 2)",
        "--drop-incomplete",
    ),
    "infinite value": ("a,y\n1,2\n-inf,3\n", [], "infinite value on line 3 ('-inf')"),
    "overflowing number": ("a,y\n1e999,2\n2,3\n", [], "'1e999'"),
    "squares overflow": ("a,y\n1e300,2\n2,3\n3,1\n", [], "too large to square"),
    "ragged row": (
        "a,b,y\n1,2,3\n4,5\n",
        [],
        "line 3 of data.csv has 2 fields but the header has 3",
    ),
    "long row": ("a,b,y\n1,2,3,9\n", [], "has 4 fields but the header has 3"),
    "not utf-8": (b"a,y\n\xff\xfe,1\n", [], "is not UTF-8 text"),
    "NUL byte": (b"a,y\n1,\x002\n", [], "data.csv"),
    "semicolons": ("a;b;y\n1;2;3\n", [], "pass --delimiter ';'"),
    "no rows left": (
        "a,y\n,1\n2,\n",
        ["--drop-incomplete"],
        "no rows left: each of the 2 rows",
    ),
    "one class": (
        "a,y\n1,yes\n2,yes\n",
        ["--likelihood", "logistic"],
        "needs two classes in the target 'y', which holds only 'yes'",
    ),
    "three classes": (
        "a,y\n1,a\n2,b\n3,c\n",
        ["--likelihood", "logistic"],
        "fits two classes; the target 'y' holds 3",
    ),
    "negative count": (
        "a,y\n1,2\n2,-1\n",
        ["--likelihood", "poisson"],
        "needs counts >= 0 in the target 'y'; line 3",
    ),
    "one row to sample": ("a,y\n1,2\n", list(TINY_SAMPLING), "has 1 usable row"),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_bad_data_is_one_clear_line(case, tmp_path, monkeypatch):
    content, options, *fragments = ERROR_CASES[case]
    monkeypatch.chdir(tmp_path)  # the messages name the file as the user did
    data = Path("data.csv")
    if isinstance(content, bytes):
        data.write_bytes(content)
    elif content is not None:
        data.write_text(content, encoding="utf-8")
    if "--target" not in options:
        options = ["--target", "y", *options]
    prior = "gaussian" if "--likelihood" in options else "laplace"
    run = fit_cli(data, *options, "--prior", prior, "--output-dir", "out")
    assert_one_line_error(run, *fragments)
    assert run.out == ""
    assert not Path("out").exists()


def test_unusable_output_dir(tmp_path):
    data = write_csv(tmp_path / "data.csv", ["a", "y"], [[1, 2], [2, 3]])
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    options = [data, "--target", "y", "--prior", "gaussian"]
    assert_one_line_error(fit_cli(*options, "--output-dir", not_a_dir), "is not a directory")
    assert_one_line_error(
        fit_cli(*options, "--output-dir", not_a_dir / "sub"), "cannot create --output-dir"
    )


def test_drop_incomplete(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    rows = [[*(repr(float(v)) for v in X[i]), repr(float(y[i])), "note"] for i in range(20)]
    rows[3][1] = "NA"
    rows[7][3] = ""
    rows[11][0] = "nan"
    rows[12][4] = ""  # a missing value in a column that is not used drops nothing
    data = write_csv(tmp_path / "data.csv", ["a", "b", "c", "y", "comment"], rows)
    out = tmp_path / "out"
    options = ["--target", "y", "--exclude", "comment", "--prior", "laplace", "--alpha", "0.05"]

    line = assert_one_line_error(fit_cli(data, *options, "--output-dir", out), "in 3 of 20 rows")
    assert "'y' in 1 row (first on line 9)" in line
    run = fit_cli(data, *options, "--drop-incomplete", "--output-dir", out)
    assert run.code == 0, run.err
    assert "17 rows (3 of 20 left out as incomplete" in run.out
    keep = np.setdiff1d(np.arange(20), [3, 7, 11])
    reference = sk.Lasso(alpha=0.05, tol=SK_TOL, max_iter=100_000).fit(X[keep], y[keep])
    assert max_deviation(coef_map(coefficients(out)), reference.coef_) <= MAP_RTOL


def test_quiet_prints_nothing(tmp_path):
    data = write_csv(tmp_path / "data.csv", ["a", "y"], [[1, 2], [2, 3], [3, 5]])
    out = tmp_path / "out"
    run = fit_cli(data, "--target", "y", "--prior", "gaussian", "--quiet", "--output-dir", out)
    assert (run.code, run.out, run.err) == (0, "", "")
    assert sorted(p.name for p in out.iterdir()) == ["coefficients.csv", "coefficients.png"]


# -- the command line: wrong options exit 2 -----------------------------------------------
USAGE_CASES = {
    "no prior": (["--target", "y"], "the following arguments are required: --prior"),
    "unknown prior": (["--target", "y", "--prior", "lasso"], "invalid choice: 'lasso'"),
    "alpha for student-t": (
        ["--target", "y", "--prior", "student-t", "--alpha", "1"],
        "--alpha does not apply to --prior student-t --likelihood normal, which takes --df, "
        "--scale",
    ),
    "horseshoe without --sample": (
        ["--target", "y", "--prior", "horseshoe"],
        "has no finite posterior mode",
        "add --sample",
    ),
    "logistic horseshoe": (
        ["--target", "y", "--prior", "horseshoe", "--likelihood", "logistic", "--sample"],
        "--likelihood logistic takes --prior gaussian, laplace, elastic-net or flat",
    ),
    "poisson lasso": (
        ["--target", "y", "--prior", "laplace", "--likelihood", "poisson"],
        "--likelihood poisson takes --prior gaussian or flat",
    ),
    "robust elastic net": (
        ["--target", "y", "--prior", "elastic-net", "--likelihood", "student-t"],
        "--prior elastic-net takes --likelihood normal (ElasticNet) or logistic",
    ),
    "laplace likelihood, gaussian prior": (
        ["--target", "y", "--prior", "gaussian", "--scale", "1", "--likelihood", "laplace"],
        "only with --prior flat or laplace",
    ),
    "alpha and C": (
        "--target y --prior gaussian --likelihood logistic --C 1 --alpha 1".split(),
        "give one",
    ),
    "alpha and scale": (
        ["--target", "y", "--prior", "laplace", "--alpha", "1", "--scale", "2"],
        "--alpha and --scale are two ways",
    ),
    "bridge without power": (["--target", "y", "--prior", "bridge"], "needs --power"),
    "negative alpha": (
        ["--target", "y", "--prior", "laplace", "--alpha", "-1"],
        "--alpha must be a finite number >= 0",
    ),
    "nan scale": (
        ["--target", "y", "--prior", "cauchy", "--scale", "nan"],
        "--scale must be a finite number > 0",
    ),
    "l1 ratio": (
        ["--target", "y", "--prior", "elastic-net", "--l1-ratio", "2"],
        "--l1-ratio must be in [0, 1]",
    ),
    "sampler option without --sample": (
        ["--target", "y", "--prior", "laplace", "--num-samples", "10"],
        "--num-samples needs --sample",
    ),
    "zero draws": (
        ["--target", "y", "--prior", "laplace", "--sample", "--num-samples", "0"],
        "--num-samples must be >= 1",
    ),
    "hdi prob": (
        ["--target", "y", "--prior", "laplace", "--sample", "--hdi-prob", "1"],
        "--hdi-prob must be in (0, 1)",
    ),
    "features and exclude": (
        ["--target", "y", "--prior", "laplace", "--features", "a", "--exclude", "b"],
        "give --features or --exclude, not both",
    ),
    "bad delimiter": (
        ["--target", "y", "--prior", "laplace", "--delimiter", "::"],
        "a delimiter is one character",
    ),
    "empty feature name": (
        ["--target", "y", "--prior", "laplace", "--features", "a,,b"],
        "empty column name",
    ),
}


@pytest.mark.parametrize("case", list(USAGE_CASES))
def test_wrong_command_line_exits_2(case, tmp_path):
    options, *fragments = USAGE_CASES[case]
    data = tmp_path / "data.csv"
    data.write_text(GOOD)
    out = tmp_path / "out"
    assert_usage_error(fit_cli(data, *options, "--output-dir", out), *fragments)
    assert not out.exists()


def test_help_documents_every_option():
    run = run_cli("fit", "--help")
    assert run.code == 0
    text = run.out
    parser = cli._build_parser()
    (fit_parser,) = [
        choice
        for action in parser._subparsers._group_actions
        for name, choice in action.choices.items()
        if name == "fit"
    ]
    for action in fit_parser._actions:
        for option in action.option_strings:
            assert option in text, option
        assert action.help, action.dest
    for name in (*PRIORS, *LIKELIHOODS, *PARAMETER_OPTIONS.values()):
        assert name in text, name
    # The objectives (as the README writes them), the outputs, the exit statuses, examples.
    for phrase in (
        "||y - Xw - b||^2 + A ||w||^2",
        "(1/2n) ||y - Xw - b||^2 + A ||w||_1",
        "C = 1 / (n A)",
        "coefficients.csv",
        "posterior.nc",
        "map_vs_posterior.png",
        "exit status:",
        "  2  the command line is wrong",
        "examples:",
        "bayesreg fit data.csv --target y --prior laplace --alpha 0.1",
    ):
        assert phrase in text, phrase
    top = run_cli("--help").out
    assert "fit" in top and "demo" in top and "exit status" in top


# -- the installed script ---------------------------------------------------------------
def _script() -> list[str]:
    script = Path(sys.executable).parent / "bayesreg"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bayesreg.cli"]


def test_installed_script_fits_and_reports_errors_on_one_line(diabetes_csv, tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    out = tmp_path / "out"
    command = [*_script(), "fit", str(diabetes_csv), "--target", "progression"]
    command += ["--exclude", "high,visits", "--prior", "laplace", "--alpha", "0.1"]
    done = subprocess.run(
        [*command, "--output-dir", str(out)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "Model: Lasso(alpha=0.1)" in done.stdout
    X, y, _ = diabetes_Xy(diabetes_csv)
    reference = sk.Lasso(alpha=0.1, tol=SK_TOL, max_iter=1_000_000).fit(X, y)
    assert max_deviation(coef_map(coefficients(out)), reference.coef_) <= MAP_RTOL

    wrong = subprocess.run(
        [*_script(), "fit", str(diabetes_csv), "--target", "nope", "--prior", "laplace"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert wrong.returncode == 1
    assert wrong.stdout == ""
    (line,) = wrong.stderr.splitlines()
    assert line.startswith("bayesreg: error: the target 'nope' is not a column of")
    assert not (tmp_path / "bayesreg-output").exists()


# -- hostile CSV files ------------------------------------------------------------------
MISSING = ["", "NA", "NaN", "nan", "null", "  ", "N/A", "#N/A", "NULL"]
TEXT = ["abc", "1,5", "1.2.3", "--", "1e", "TRUE", "0x10", "1_000", "\u221e", "'3'"]
INFINITE = ["inf", "-inf", "Infinity", "1e999", "-1e400", "+INF"]
REJECT, ANSWER, EITHER = "reject", "answer", "either"


@dataclasses.dataclass
class Hostile:
    """A CSV file and what ``bayesreg fit`` must do with it."""

    text: bytes
    X: np.ndarray | None  # the data the answer must be fitted on (None: nothing to fit)
    y: np.ndarray | None
    expect: str  # REJECT, ANSWER or EITHER
    corruptions: list[str]


WHOLE = ["single row", "constant column", "constant target"]  # applied first
CELLS = ["missing", "text", "infinite", "huge", "tiny"]
ROWS = ["short row", "long row"]
HEADER = ["no header", "duplicate name", "empty name", "unicode names"]
BYTES = ["blank lines", "spaces", "quotes", "bom", "crlf", "empty file", "header only",
         "not utf-8"]  # fmt: skip


@st.composite
def hostile_csvs(draw, drop_incomplete: bool) -> Hostile:
    """A valid CSV file of random numbers, then one or two corruptions.

    The outcome follows from the corruptions: a value that is not a number, an infinite
    one, a broken header or row, an empty or undecodable file must be rejected; a
    missing value must be rejected, or with ``--drop-incomplete`` its row left out; a
    value whose square overflows float64 must be rejected, a huge one that does not may
    be; everything else (tiny values, one row, constant columns, blank lines, spaces,
    quotes, a byte-order mark, CRLF, non-ASCII names) must be answered.
    """
    n = draw(st.integers(2, 12))
    p = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = np.round(rng.normal(size=(n, p)) * 10.0 ** draw(st.integers(-3, 3)), 6)
    y = np.round(X @ rng.normal(size=p) + rng.normal(size=n), 6)
    kinds = draw(st.lists(st.sampled_from(WHOLE + CELLS + ROWS + HEADER + BYTES), min_size=1,
                          max_size=2))  # fmt: skip
    kinds.sort(key=lambda kind: kind not in WHOLE)
    outcomes = [ANSWER]
    if "single row" in kinds:
        n, X, y = 1, X[:1], y[:1]
    if "constant column" in kinds:
        X[:, draw(st.integers(0, p - 1))] = X[0, 0]
    if "constant target" in kinds:
        y[:] = y[0]
    cells = [[repr(float(v)) for v in [*X[i], y[i]]] for i in range(n)]
    keep = np.ones(n, dtype=bool)
    for kind in kinds:
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, p))
        if kind == "missing":
            cells[i][j] = draw(st.sampled_from(MISSING))
            keep[i] = False
        elif kind == "text":
            cells[i][j] = draw(st.sampled_from(TEXT))
        elif kind == "infinite":
            cells[i][j] = draw(st.sampled_from(INFINITE))
        elif kind in ("huge", "tiny"):
            values = [1e300, -1e300, 1e100, -1e60] if kind == "huge" else [1e-300, -5e-324]
            value = draw(st.sampled_from(values))
            cells[i][j] = repr(value)
            if j < p:
                X[i, j] = value
            else:
                y[i] = value
    # What the file must give, from its final cells (a later corruption may overwrite).
    for i, row in enumerate(cells):
        for cell in row:
            if cell in MISSING:
                outcomes.append(ANSWER if drop_incomplete else REJECT)
            elif cell in TEXT or cell in INFINITE:
                outcomes.append(REJECT)
            elif abs(float(cell)) > 1e150:  # its square overflows float64
                outcomes.append(REJECT)
            elif abs(float(cell)) > 1e50:
                outcomes.append(EITHER)
        keep[i] = not any(cell in MISSING for cell in row)
    if "short row" in kinds or "long row" in kinds:
        i = draw(st.integers(0, n - 1))
        cells[i] = cells[i][:-1] if "short row" in kinds else [*cells[i], "1.0"]
        outcomes.append(REJECT)
    header = [f"x{j}" for j in range(p)] + ["y"]
    if "unicode names" in kinds:
        header = [f"\u00e9t\u00e9 {j}" for j in range(p)] + ["y"]
    if "duplicate name" in kinds:
        j = draw(st.integers(0, p))
        header[j] = header[(j + 1) % (p + 1)]
        outcomes.append(REJECT)
    if "empty name" in kinds:
        header[draw(st.integers(0, p))] = draw(st.sampled_from(["", "  "]))
        outcomes.append(REJECT)
    rows = cells if "no header" in kinds else [header, *cells]
    if "no header" in kinds:
        outcomes.append(REJECT)
    out = io.StringIO()
    quoting = csv.QUOTE_ALL if "quotes" in kinds else csv.QUOTE_MINIMAL
    csv.writer(out, lineterminator="\n", quoting=quoting).writerows(rows)
    text = out.getvalue()
    if "blank lines" in kinds:
        text = text.replace("\n", "\n\n  \n", 2)  # an empty and a blank line
    if "spaces" in kinds and "quotes" not in kinds:
        text = text.replace(",", " , ")
    if "crlf" in kinds:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    if "bom" in kinds:
        data = b"\xef\xbb\xbf" + data
    if "not utf-8" in kinds:
        data = data.replace(b"y", b"y\xff", 1)
        outcomes.append(REJECT)
    if "header only" in kinds and "no header" not in kinds:
        data = data.split(b"\n", 1)[0] + b"\n"
        outcomes.append(REJECT)
    if "empty file" in kinds:
        data = b""
        outcomes.append(REJECT)
    if not keep.any():
        outcomes.append(REJECT)
    expect = max(outcomes, key=[ANSWER, EITHER, REJECT].index)
    return Hostile(data, X[keep], y[keep], expect, kinds)


KKT_RTOL = 1e-10


def optimality_violation(prior: str, alpha: float, X, y, coef, intercept) -> float:
    """The KKT violation of ``(coef, intercept)`` in units of rounding error (< 1: optimal).

    Lasso, ``(1/2n) ||y - Xw - b||^2 + alpha ||w||_1``: with centred data and
    ``g = X~'(X~ w - y~) / n``, ``g_j = -alpha sign(w_j)`` where ``w_j != 0`` and
    ``|g_j| <= alpha`` where ``w_j = 0``.  Ridge, ``||y - Xw - b||^2 + alpha ||w||^2``:
    ``X~'(X~ w - y~) + alpha w = 0``.  Both: ``b = mean(y) - mean(X) w``.  Each
    residual is divided by the rounding error of the sums that form it,
    ``RTOL (|X~|' (|y~| + |X~| |w|) + alpha |w|)`` (scaled by 1/n for the lasso) plus
    ``RTOL alpha`` with ``RTOL = 1e-10``: a million times float64's ``n eps`` for these
    sizes, yet a coefficient wrong in its 8th digit fails.
    """
    n = len(y)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    scale = np.abs(Xc).T @ (np.abs(yc) + np.abs(Xc) @ np.abs(coef))
    if prior == "laplace":
        g = Xc.T @ (Xc @ coef - yc) / n
        scale = scale / n
        residual = np.where(coef != 0, g + alpha * np.sign(coef), np.maximum(np.abs(g) - alpha, 0))
    else:
        residual = Xc.T @ (Xc @ coef - yc) + alpha * coef
        scale = scale + alpha * np.abs(coef)
    kkt = np.max(np.abs(residual) / (KKT_RTOL * (scale + alpha)))
    b = y.mean() - X.mean(axis=0) @ coef
    b_scale = np.abs(y).mean() + np.abs(X).mean(axis=0) @ np.abs(coef)
    return float(max(kkt, abs(intercept - b) / (KKT_RTOL * b_scale + 1e-300)))


def _reference(alpha: float, X: np.ndarray, y: np.ndarray, prior: str):
    """scikit-learn's fit, or None where it warns (did not converge) or is not finite."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        if prior == "laplace":
            reference = sk.Lasso(alpha=alpha, tol=SK_TOL, max_iter=100_000).fit(X, y)
        else:
            reference = sk.Ridge(alpha=alpha).fit(X, y)
    if caught or not np.all(np.isfinite(reference.coef_)):
        return None
    return reference


def check_hostile(case: Hostile, tally, prior: str, drop_incomplete: bool, stats) -> None:
    """One hostile file through ``bayesreg fit``: the right coefficients, or one clear line."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.csv"
        data.write_bytes(case.text)
        out = Path(tmp) / "out"
        options = ["--target", "y", "--prior", prior, "--alpha", "0.1", "--output-dir", out]
        if drop_incomplete:
            options.append("--drop-incomplete")

        def call():
            try:
                run = fit_cli(data, *options)
            except Exception as err:  # a bug, not a clear rejection
                raise AssertionError(f"main raised {type(err).__name__}: {err}") from err
            assert "Traceback" not in run.err, run.err
            if run.code == 1:
                line = assert_one_line_error(run)
                assert not out.exists() or not any(out.iterdir())
                raise ValueError(line.removeprefix("bayesreg: error: "))
            assert run.code == 0, (run.code, run.err)
            return coefficients(out)

        def check(table):
            assert case.expect != REJECT, f"{case.corruptions}: answered, must be rejected"
            written = coef_map(table).to_numpy()
            (intercept,) = table.loc[table["parameter"] == "intercept", "map"]
            # Optimal for the data the file holds (an independent check) ...
            violation = optimality_violation(prior, 0.1, case.X, case.y, written, intercept)
            assert violation <= 1.0, (case.corruptions, violation)
            stats["max KKT"] = max(stats["max KKT"], violation)
            # ... and scikit-learn's answer, where it converged (the MAP is unique).
            reference = _reference(0.1, case.X, case.y, prior)
            stats["compared"] += reference is not None
            if reference is not None:
                scale = max(1.0, float(np.max(np.abs(case.y))))
                assert max_deviation(written, reference.coef_) <= 1e-7, case.corruptions
                assert abs(intercept - reference.intercept_) <= 1e-7 * scale

        result = answer_or_clear_error(tally, call, check)
        if case.expect == ANSWER:
            assert not isinstance(result, ValueError), (case.corruptions, str(result))


HOSTILE_SETTINGS = {
    "deadline": None,
    # hostile_tally makes a new tally per example, which the end-of-run summary adds up.
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
}


def hostile_test(max_examples: int):
    stats = {"max KKT": 0.0, "compared": 0}

    @settings(max_examples=max_examples, **HOSTILE_SETTINGS)
    @given(data=st.data())
    def test(data, hostile_tally, request):
        drop = data.draw(st.booleans())
        case = data.draw(hostile_csvs(drop))
        prior = data.draw(st.sampled_from(["laplace", "gaussian"]))
        check_hostile(case, hostile_tally("bayesreg fit"), prior, drop, stats)
        summary = (
            f"CLI fit hostile CSVs ({max_examples} examples): answers optimal to KKT "
            f"{stats['max KKT']:.1e} x the rounding bound; {stats['compared']} also "
            "compared with a converged scikit-learn"
        )
        # One line for the whole test, updated after every example.
        properties = request.node.user_properties
        properties[:] = [(k, v) for k, v in properties if k != "summary"]
        properties.append(("summary", summary))

    return test


test_hostile_csv = hostile_test(25)
test_hostile_csv_many = pytest.mark.slow(hostile_test(300))


def test_hostile_5000_columns(tmp_path, hostile_tally):
    # A wide file: 30 rows, 5000 features.  The MAP is ridge's; the figure shows the 40
    # largest coefficients.
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(30, 5000)), rng.normal(size=30)
    header = [f"f{j}" for j in range(5000)] + ["y"]
    data = write_csv(tmp_path / "wide.csv", header, np.column_stack([X, y]).tolist())
    out = tmp_path / "out"

    def call():
        run = fit_cli(data, "--target", "y", "--prior", "gaussian", "--output-dir", out)
        if run.code == 1:
            raise ValueError(assert_one_line_error(run))
        assert run.code == 0, run.err
        return run

    def check(run):
        reference = sk.Ridge(alpha=1.0).fit(X, y)
        assert max_deviation(coef_map(coefficients(out)), reference.coef_) <= MAP_RTOL
        assert len(printed_table(run.out)) == 5001  # every coefficient, and the intercept
        assert (out / "coefficients.png").read_bytes().startswith(b"\x89PNG")

    result = answer_or_clear_error(hostile_tally("bayesreg fit"), call, check)
    assert isinstance(result, Run)
