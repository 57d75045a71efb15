"""Tests of bayesreg.plotting (what is drawn, not pixels) and of the ``bayesreg demo`` CLI."""

from __future__ import annotations

import hashlib
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import arviz as az
import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from scipy import stats
from sklearn.datasets import load_diabetes

from bayesreg import cli
from bayesreg.plotting import MapPosteriorPlot, plot_map_vs_posterior

N_CHAINS, N_DRAWS = 4, 101  # 0.94 * 404 draws is not an integer: one HDI convention fits all
FEATURES = ["age", "bmi", "skewed"]
NORMAL_MEAN, NORMAL_SCALE = np.array([-1.0, 3.0]), np.array([0.5, 2.0])
SKEW_SHIFT = 0.25


def _synthetic_draws() -> np.ndarray:
    """Draws of shape (chain, draw, feature) whose means and HDIs are known in closed form.

    Features 0 and 1 are the normal quantiles at the mid-points of ``n`` equal bins,
    ``mu + s Phi^-1((i + 1/2) / n)``: symmetric about ``mu`` (mean exactly ``mu``) with an
    HDI close to ``mu +- s z_0.97``.  Feature 2 is the same for an exponential shifted by
    ``SKEW_SHIFT``, whose HDI starts at its smallest draw: not the equal-tailed interval.
    """
    n = N_CHAINS * N_DRAWS
    u = (np.arange(n) + 0.5) / n
    columns = [m + s * stats.norm.ppf(u) for m, s in zip(NORMAL_MEAN, NORMAL_SCALE, strict=True)]
    columns.append(SKEW_SHIFT + stats.expon.ppf(u))
    draws = np.stack(columns, axis=-1)
    # Interleave the sorted values over chains and draws so no chain holds one tail.
    order = np.random.default_rng(0).permutation(n)
    return draws[order].reshape(N_CHAINS, N_DRAWS, len(columns))


def _posterior(draws: np.ndarray):
    return az.from_dict(
        {"posterior": {"coef": draws, "sigma": np.ones(draws.shape[:2])}},
        coords={"feature": FEATURES},
        dims={"coef": ["feature"]},
    )


def _shortest_interval(values: np.ndarray, prob: float) -> tuple[float, float]:
    """The narrowest interval of sorted draws holding at least ``ceil(prob n)`` of them."""
    x = np.sort(values)
    k = math.ceil(prob * x.size)
    widths = x[k - 1 :] - x[: x.size - k + 1]
    i = int(np.argmin(widths))
    return float(x[i]), float(x[i + k - 1])


def _axes():
    fig = Figure()
    FigureCanvasAgg(fig)
    return fig.add_subplot()


def _line(ax, label: str):
    (line,) = [line for line in ax.get_lines() if line.get_label() == label]
    return line


@pytest.mark.parametrize("hdi_prob", [0.94, 0.8])
def test_plot_draws_posterior_means_and_hdis(hdi_prob):
    draws = _synthetic_draws()
    coef_map = np.array([-0.9, 2.5, 0.3])
    drawn = plot_map_vs_posterior(_posterior(draws), coef_map, hdi_prob=hdi_prob, ax=_axes())

    assert isinstance(drawn, MapPosteriorPlot)
    assert drawn.features == FEATURES
    flat = draws.reshape(-1, draws.shape[-1])
    np.testing.assert_allclose(drawn.mean, flat.mean(axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(drawn.mean[:2], NORMAL_MEAN, rtol=0, atol=1e-12)
    expected = np.array([_shortest_interval(flat[:, j], hdi_prob) for j in range(flat.shape[1])])
    np.testing.assert_array_equal(drawn.lower, expected[:, 0])
    np.testing.assert_array_equal(drawn.upper, expected[:, 1])

    # Close to the exact HDIs: mu +- z s for the normals, [shift, shift - log(1 - p)] for
    # the exponential, to within a step of the quantile grid.
    # The grid's step near the 97% quantile is 0.04 standard deviations.
    z = stats.norm.ppf(0.5 + hdi_prob / 2)
    np.testing.assert_allclose((drawn.lower[:2] - NORMAL_MEAN) / NORMAL_SCALE, -z, atol=0.04)
    np.testing.assert_allclose((drawn.upper[:2] - NORMAL_MEAN) / NORMAL_SCALE, z, atol=0.04)
    assert drawn.lower[2] == flat[:, 2].min()
    assert drawn.upper[2] == pytest.approx(SKEW_SHIFT - np.log(1 - hdi_prob), abs=0.05)


def test_plot_draws_what_it_returns():
    draws = _synthetic_draws()
    coef_map = np.array([-0.9, 2.5, 0.0])
    reference = np.array([-0.8, 2.4, 0.1])
    ax = _axes()
    drawn = plot_map_vs_posterior(
        _posterior(draws), coef_map, reference=reference, reference_label="scikit-learn", ax=ax
    )

    assert drawn.ax is ax
    np.testing.assert_array_equal(drawn.coef_map, coef_map)
    np.testing.assert_array_equal(drawn.reference, reference)
    # One row per feature, first feature on top, labelled by the feature coordinate.
    np.testing.assert_array_equal(drawn.positions, [2.0, 1.0, 0.0])
    assert [t.get_text() for t in ax.get_yticklabels()] == FEATURES
    np.testing.assert_array_equal(ax.get_yticks(), drawn.positions)

    map_line = _line(ax, "MAP")
    np.testing.assert_array_equal(map_line.get_xdata(), coef_map)
    np.testing.assert_array_equal(map_line.get_ydata(), drawn.positions)
    mean_line = _line(ax, "posterior mean")
    np.testing.assert_array_equal(mean_line.get_xdata(), drawn.mean)
    assert map_line.get_marker() != mean_line.get_marker()
    reference_line = _line(ax, "scikit-learn")
    np.testing.assert_array_equal(reference_line.get_xdata(), reference)
    assert reference_line.get_marker() not in {map_line.get_marker(), mean_line.get_marker()}

    (intervals,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert intervals.get_label() == "94% HDI"
    segments = np.array(intervals.get_segments())  # (feature, end, xy)
    np.testing.assert_array_equal(segments[:, 0, 0], drawn.lower)
    np.testing.assert_array_equal(segments[:, 1, 0], drawn.upper)
    np.testing.assert_array_equal(segments[:, 0, 1], drawn.positions)


def test_plot_accepts_the_posterior_group_and_the_coef_array():
    tree = _posterior(_synthetic_draws())
    coef_map = np.zeros(3)
    whole = plot_map_vs_posterior(tree, coef_map, ax=_axes())
    for posterior in (tree["posterior"], tree["posterior"].to_dataset()["coef"]):
        part = plot_map_vs_posterior(posterior, coef_map, ax=_axes())
        np.testing.assert_array_equal(part.mean, whole.mean)
        np.testing.assert_array_equal(part.lower, whole.lower)
        assert part.reference is None


def test_plot_without_axes_makes_a_figure_and_leaves_the_style_alone():
    import matplotlib.pyplot as plt

    before = dict(mpl.rcParams)
    drawn = plot_map_vs_posterior(_posterior(_synthetic_draws()), np.zeros(3))
    try:
        assert drawn.ax.figure is not None
        assert dict(mpl.rcParams) == before
    finally:
        plt.close(drawn.ax.figure)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"coef_map": np.zeros(2)}, r"coef_map must have shape \(3,\)"),
        ({"reference": np.zeros(4)}, r"reference must have shape \(3,\)"),
        ({"hdi_prob": 1.0}, r"hdi_prob must be a number in \(0, 1\)"),
        ({"hdi_prob": 0.0}, r"hdi_prob must be a number in \(0, 1\)"),
        ({"var_name": "beta"}, "no variable 'beta'"),
        ({"var_name": "sigma"}, "one feature dimension"),
    ],
)
def test_plot_rejects_bad_input(kwargs, message):
    arguments = {"coef_map": np.zeros(3), **kwargs}
    with pytest.raises(ValueError, match=message):
        plot_map_vs_posterior(_posterior(_synthetic_draws()), ax=_axes(), **arguments)


def _near_zero_closed_form(eps: np.ndarray) -> np.ndarray:
    """``P(|w_j| < eps_j)`` of the distributions the synthetic draws are quantiles of."""
    normal = stats.norm.cdf((eps[:2] - NORMAL_MEAN) / NORMAL_SCALE) - stats.norm.cdf(
        (-eps[:2] - NORMAL_MEAN) / NORMAL_SCALE
    )
    skewed = stats.expon.cdf(eps[2] - SKEW_SHIFT)  # the draws are all > SKEW_SHIFT > 0
    return np.append(normal, skewed)


def test_plot_draws_posterior_medians():
    draws = _synthetic_draws()
    ax = _axes()
    drawn = plot_map_vs_posterior(_posterior(draws), np.array([-0.9, 2.5, 0.0]), ax=ax)

    flat = draws.reshape(-1, draws.shape[-1])
    np.testing.assert_array_equal(drawn.median, np.median(flat, axis=0))
    # Symmetric grids: the median is mu.  The exponential's is shift + log 2, to within
    # the grid's step there, 1 / (n f(median)) = 2 / n.
    np.testing.assert_allclose(drawn.median[:2], NORMAL_MEAN, rtol=0, atol=1e-12)
    assert drawn.median[2] == pytest.approx(SKEW_SHIFT + np.log(2.0), abs=2.0 / flat.shape[0])
    assert drawn.n_draws == flat.shape[0]

    median_line = _line(ax, "posterior median")
    np.testing.assert_array_equal(median_line.get_xdata(), drawn.median)
    np.testing.assert_array_equal(median_line.get_ydata(), drawn.positions)
    markers = {_line(ax, label).get_marker() for label in ("posterior mean", "MAP")}
    assert median_line.get_marker() not in markers
    # Without near_zero nothing is reported (the earlier behaviour).
    assert drawn.near_zero is None and drawn.prob_near_zero is None
    assert not ax.texts and not ax.patches


@pytest.mark.parametrize("near_zero", [1.0, [1.0, 2.0, 1.0], np.array([0.5, 4.0, 0.6])])
def test_plot_reports_the_probability_near_zero(near_zero):
    draws = _synthetic_draws()
    ax = _axes()
    drawn = plot_map_vs_posterior(_posterior(draws), np.zeros(3), near_zero=near_zero, ax=ax)

    eps = np.broadcast_to(np.asarray(near_zero, dtype=float), (3,))
    np.testing.assert_array_equal(drawn.near_zero, eps)
    flat = draws.reshape(-1, draws.shape[-1])
    np.testing.assert_array_equal(drawn.prob_near_zero, np.mean(np.abs(flat) < eps, axis=0))
    # The draws are quantiles at the mid-points of n equal bins: the count inside an
    # interval of probability P is within 1 of n P.
    np.testing.assert_allclose(
        drawn.prob_near_zero, _near_zero_closed_form(eps), rtol=0, atol=1.0 / flat.shape[0]
    )
    assert 0.0 < drawn.prob_near_zero.min() and drawn.prob_near_zero.max() < 1.0

    # The region |w_j| < eps_j is shaded on each row ...
    rectangles = sorted(ax.patches, key=lambda r: -r.get_y())
    np.testing.assert_allclose([r.get_x() for r in rectangles], -eps, rtol=1e-15)
    np.testing.assert_allclose([r.get_width() for r in rectangles], 2 * eps, rtol=1e-15)
    np.testing.assert_allclose(
        [r.get_y() + r.get_height() / 2 for r in rectangles], drawn.positions, atol=1e-12
    )
    # ... and the probabilities are written at the right edge, row by row.
    texts = [t for t in ax.texts if t.get_gid() == "prob_near_zero"]
    assert [t.get_position()[1] for t in texts] == list(drawn.positions)
    assert [float(t.get_text()) for t in texts] == pytest.approx(drawn.prob_near_zero, abs=0.005)
    assert all(t.get_position()[0] > 1.0 for t in texts)  # axes fraction: right of the axes
    (title,) = [t for t in ax.texts if t.get_gid() == "prob_near_zero_title"]
    expected = r"< 1 \mid" if np.ndim(near_zero) == 0 else r"< \varepsilon_j \mid"
    assert expected in title.get_text()


def test_plot_bounds_a_probability_no_draw_supports():
    draws = _synthetic_draws()
    ax = _axes()
    # Every draw of the skewed feature exceeds SKEW_SHIFT = 0.25.
    drawn = plot_map_vs_posterior(_posterior(draws), np.zeros(3), near_zero=[1.0, 1.0, 0.2], ax=ax)
    assert drawn.prob_near_zero[2] == 0.0
    texts = [t.get_text() for t in ax.texts if t.get_gid() == "prob_near_zero"]
    assert texts[2] == f"<{1 / draws[..., 2].size:.1g}" == "<0.002"


@pytest.mark.parametrize(
    ("near_zero", "message"),
    [
        (0.0, "near_zero must be finite and > 0"),
        (-1.0, "near_zero must be finite and > 0"),
        (np.nan, "near_zero must be finite and > 0"),
        ([1.0, np.inf, 1.0], "near_zero must be finite"),
        ([1.0, 2.0], r"near_zero must have shape \(3,\)"),
    ],
)
def test_plot_rejects_bad_near_zero(near_zero, message):
    with pytest.raises(ValueError, match=message):
        plot_map_vs_posterior(
            _posterior(_synthetic_draws()), np.zeros(3), near_zero=near_zero, ax=_axes()
        )


# -- the command line ---------------------------------------------------------------------


def _run_demo(output_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    """``bayesreg demo`` in a fresh interpreter, as a user runs it."""
    command = [sys.executable, "-m", "bayesreg.cli", "demo", "--output-dir", str(output_dir)]
    command += ["--num-samples", "200", "--num-warmup", "200", "--seed", "1", *extra]
    env = {**os.environ, "PYTHONWARNINGS": "default"}  # warnings are not errors out there
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_demo_output(result: subprocess.CompletedProcess, figure: Path) -> None:
    assert result.returncode == 0, result.stderr
    assert figure.read_bytes().startswith(b"\x89PNG")
    assert f"Figure saved to {figure}" in result.stdout
    for model in ("Ridge(alpha=0.1)", "Lasso(alpha=0.1)"):
        assert model in result.stdout
    first_words = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    for feature in load_diabetes().feature_names:
        assert first_words.count(feature) == 2  # a row in each model's table
    assert result.stdout.count("MAP certificate: ") == 2
    assert result.stdout.count("optimal within tol") == 2
    assert result.stdout.count("max |MAP - scikit-learn| over coef: ") == 2


def test_demo_end_to_end(tmp_path):
    output_dir = tmp_path / "new" / "dir"
    _assert_demo_output(_run_demo(output_dir), output_dir / "map_vs_posterior.png")


@pytest.mark.slow
def test_demo_twice_keeps_the_first_figure(tmp_path):
    first = tmp_path / "map_vs_posterior.png"
    _assert_demo_output(_run_demo(tmp_path), first)
    before = _digest(first)
    _assert_demo_output(_run_demo(tmp_path, "--seed", "2"), tmp_path / "map_vs_posterior-1.png")
    assert _digest(first) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "map_vs_posterior-1.png",
        "map_vs_posterior.png",
    ]


def _figure():
    fig = Figure(figsize=(1, 1))
    FigureCanvasAgg(fig)
    fig.add_subplot().plot([0, 1])
    return fig


def test_write_figure_never_overwrites_without_force(tmp_path):
    (tmp_path / "plot.png").write_bytes(b"mine")
    (tmp_path / "plot-1.png").write_bytes(b"mine too")
    written = [cli._write_figure(_figure(), tmp_path, "plot", force=False) for _ in range(2)]
    assert [p.name for p in written] == ["plot-2.png", "plot-3.png"]
    assert (tmp_path / "plot.png").read_bytes() == b"mine"
    assert (tmp_path / "plot-1.png").read_bytes() == b"mine too"
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in written)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"plot{s}.png" for s in ("-1", "-2", "-3", "")
    ]


def test_write_figure_with_force_replaces(tmp_path):
    (tmp_path / "plot.png").write_bytes(b"old")
    written = cli._write_figure(_figure(), tmp_path, "plot", force=True)
    assert written == tmp_path / "plot.png"
    assert written.read_bytes().startswith(b"\x89PNG")
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]  # no temporary left behind


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "--num-samples", "0"],
        ["demo", "--num-warmup", "-1"],
        ["demo", "--num-chains", "0"],
        ["demo", "--seed", "x"],
        ["frobnicate"],
        [],
    ],
)
def test_cli_rejects_bad_arguments(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert re.search(r"^bayesreg( demo)?: error: ", capsys.readouterr().err, re.MULTILINE)


def test_cli_reports_an_unusable_output_dir(tmp_path, capsys):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    assert cli.main(["demo", "--output-dir", str(not_a_dir)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bayesreg: error:")
    assert "is not a directory" in err


def test_no_map_draws_the_posterior_alone():
    # A prior without a finite mode has no MAP: coef_map=None draws no MAP marker.
    draws = np.random.default_rng(0).normal(size=(2, 50, 3))
    ax = _axes()
    drawn = plot_map_vs_posterior(_posterior(draws), None, ax=ax)
    assert drawn.coef_map is None
    assert "MAP" not in [line.get_label() for line in ax.get_lines()]
    np.testing.assert_allclose(drawn.mean, draws.reshape(-1, 3).mean(axis=0))
