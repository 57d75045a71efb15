"""Tests of bayesreg.plotting.paths: what the regularization-path picture draws."""

from __future__ import annotations

import math

import arviz as az
import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from scipy import stats

import bayesreg
from bayesreg.plotting.paths import RegularizationPathPlot, plot_regularization_path
from bayesreg.posterior_path import PosteriorPath

N_DRAWS = 404  # 0.9 * 404 is not an integer: one HDI convention fits all
HDI_PROB = 0.9
BAND_STEP = 6


def _problem():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((80, 4))
    y = 2.0 + X @ np.array([2.0, -1.0, 0.0, 0.5]) + rng.standard_normal(80)
    return X, y


@pytest.fixture(scope="module")
def path():
    X, y = _problem()
    return bayesreg.regularization_path(X, y, n_alphas=30)


def _shortest_interval(values: np.ndarray, prob: float) -> tuple[float, float]:
    """The narrowest interval of sorted draws holding at least ``ceil(prob n)`` of them."""
    x = np.sort(values)
    k = math.ceil(prob * x.size)
    widths = x[k - 1 :] - x[: x.size - k + 1]
    i = int(np.argmin(widths))
    return float(x[i]), float(x[i + k - 1])


def _draws(coef_map: np.ndarray) -> np.ndarray:
    """Synthetic posterior draws of shape (n_alphas, N_DRAWS, n_features).

    Around each MAP: a normal quantile grid scaled by ``0.3 (j + 1)``, except feature 3
    whose draws are a shifted exponential grid (skewed: its HDI is not equal-tailed).
    """
    n_features = coef_map.shape[0]
    u = (np.arange(N_DRAWS) + 0.5) / N_DRAWS
    spread = np.stack([0.3 * (j + 1) * stats.norm.ppf(u) for j in range(n_features)], axis=-1)
    spread[:, 3] = 0.4 * (stats.expon.ppf(u) - 0.5)
    order = np.random.default_rng(0).permutation(N_DRAWS)
    return coef_map.T[:, None, :] + spread[order][None, :, :]


def _bands(path, *, y_scale: float = 1.0, names=("x0", "x1", "x2", "x3")) -> tuple:
    """A PosteriorPath at every BAND_STEP-th alpha of the path, summarised here."""
    alphas = path.alphas[::BAND_STEP]
    coef_map = y_scale * path.coefs[:, ::BAND_STEP]
    draws = _draws(coef_map)
    hdi = np.array(
        [
            [_shortest_interval(draws[k, :, j], HDI_PROB) for k in range(len(alphas))]
            for j in range(4)
        ]
    )
    bands = PosteriorPath(
        alphas=alphas,
        feature_names=list(names),
        coef_map=coef_map,
        mean=draws.mean(axis=1).T,
        median=np.median(draws, axis=1).T,
        lower=hdi[..., 0],
        upper=hdi[..., 1],
        hdi_prob=HDI_PROB,
        divergences=np.zeros(len(alphas), dtype=int),
        min_ess=np.full(len(alphas), float(N_DRAWS)),
        max_rhat=np.ones(len(alphas)),
        num_samples=N_DRAWS,
        num_chains=1,
    )
    return bands, draws


def _axes():
    fig = Figure()
    FigureCanvasAgg(fig)
    return fig.add_subplot()


def _artist(ax, gid: str):
    (artist,) = [a for a in [*ax.lines, *ax.collections] if a.get_gid() == gid]
    return artist


def _gids(ax) -> set[str]:
    return {a.get_gid() for a in [*ax.lines, *ax.collections] if a.get_gid()}


def test_map_lines_are_the_path_with_exact_zeros(path):
    ax = _axes()
    drawn = plot_regularization_path(path, ax=ax)

    assert isinstance(drawn, RegularizationPathPlot)
    assert drawn.ax is ax
    assert drawn.features == ["x0", "x1", "x2", "x3"]
    assert drawn.band_alphas is None and drawn.lower is None and drawn.median is None
    assert np.any(path.coefs == 0.0) and np.any(path.coefs != 0.0)
    for j, name in enumerate(drawn.features):
        line = _artist(ax, f"{name}:map")
        np.testing.assert_array_equal(line.get_xdata(), path.alphas)
        np.testing.assert_array_equal(line.get_ydata(), path.coefs[j])
        # Zeros of the lasso MAP are drawn exactly on the zero line.
        assert np.all(np.asarray(line.get_ydata())[path.coefs[j] == 0.0] == 0.0)
        assert to_rgba(line.get_color()) == drawn.colors[j]
    np.testing.assert_array_equal(drawn.coefs, path.coefs)
    np.testing.assert_array_equal(drawn.alphas, path.alphas)
    assert ax.get_xscale() == "log"
    assert "alpha" in ax.get_xlabel()


def test_entry_markers_sit_where_the_map_leaves_zero(path):
    ax = _axes()
    drawn = plot_regularization_path(path, ax=ax)
    # alphas[0] is alpha_max: every coefficient is zero there.
    assert np.all(path.coefs[:, 0] == 0.0)
    for j, name in enumerate(drawn.features):
        first = int(np.flatnonzero(path.coefs[j])[0])
        expected = path.alphas[first - 1]
        assert path.coefs[j, first - 1] == 0.0 and path.coefs[j, first] != 0.0
        assert drawn.entry_alphas[j] == expected
        np.testing.assert_array_equal(_artist(ax, f"{name}:entry").get_xydata(), [[expected, 0.0]])


def test_no_entry_marker_without_a_zero():
    alphas = np.array([1.0, 0.1])
    coefs = np.array([[0.5, 1.0], [0.0, 0.0]])  # always in; never in
    ax = _axes()
    drawn = plot_regularization_path((alphas, coefs, np.zeros(2)), ax=ax)
    assert np.all(np.isnan(drawn.entry_alphas))
    assert not any(gid.endswith(":entry") for gid in _gids(ax))


def test_bands_are_the_posterior_hdis_and_medians(path):
    bands, draws = _bands(path)
    ax = _axes()
    drawn = plot_regularization_path(path, bands=bands, ax=ax)

    np.testing.assert_array_equal(drawn.band_alphas, bands.alphas)
    assert drawn.hdi_prob == HDI_PROB
    for j, name in enumerate(drawn.features):
        band = _artist(ax, f"{name}:band")
        vertices = band.get_paths()[0].vertices
        for k, alpha in enumerate(bands.alphas):
            at_alpha = set(vertices[vertices[:, 0] == alpha, 1])
            assert at_alpha == {bands.lower[j, k], bands.upper[j, k]}
            # The edges are the draws' HDI, recomputed here by arviz ...
            hdi = az.hdi(draws[k, :, j], prob=HDI_PROB)
            np.testing.assert_allclose([bands.lower[j, k], bands.upper[j, k]], hdi, rtol=1e-12)
            # ... and hold at least 90% of the draws.
            inside = np.mean(
                (draws[k, :, j] >= bands.lower[j, k]) & (draws[k, :, j] <= bands.upper[j, k])
            )
            assert inside >= HDI_PROB
        # Only band alphas appear in the polygon (no extra corners).
        assert set(vertices[:, 0]) == set(bands.alphas)
        np.testing.assert_array_equal(drawn.lower[j], bands.lower[j])
        np.testing.assert_array_equal(drawn.upper[j], bands.upper[j])

        median = _artist(ax, f"{name}:median")
        np.testing.assert_array_equal(median.get_xdata(), bands.alphas)
        np.testing.assert_array_equal(median.get_ydata(), np.median(draws[:, :, j], axis=1))
        assert median.get_linestyle() == "--"
        # Line, band and median share the feature's colour.
        assert to_rgba(band.get_facecolor()[0])[:3] == drawn.colors[j][:3]
        assert to_rgba(median.get_color()) == drawn.colors[j]

    # The skewed feature's band is not symmetric about its median: the HDI, not +- sd.
    assert np.all(bands.median[3] - bands.lower[3] < 0.5 * (bands.upper[3] - bands.median[3]))


def test_features_restricts_and_keeps_colours(path):
    bands, _ = _bands(path)
    full = plot_regularization_path(path, bands=bands, ax=_axes())
    ax = _axes()
    part = plot_regularization_path(path, bands=bands, features=["x2", 0], ax=ax)

    assert part.features == ["x2", "x0"]
    np.testing.assert_array_equal(part.feature_indices, [2, 0])
    np.testing.assert_array_equal(part.coefs, path.coefs[[2, 0]])
    np.testing.assert_array_equal(part.lower, bands.lower[[2, 0]])
    np.testing.assert_array_equal(part.median, bands.median[[2, 0]])
    assert part.colors == [full.colors[2], full.colors[0]]
    assert {gid.split(":")[0] for gid in _gids(ax)} == {"x2", "x0"}
    legend_texts = [t.get_text() for legend in _legends(ax) for t in legend.get_texts()]
    assert "x2" in legend_texts and "x1" not in legend_texts


def _legends(ax):
    return [a for a in ax.get_children() if isinstance(a, mpl.legend.Legend)]


def test_lasso_path_tuple_and_feature_names(path):
    X, y = _problem()
    alphas, coefs, _ = bayesreg.lasso_path(X, y, n_alphas=10)
    ax = _axes()
    drawn = plot_regularization_path(
        (alphas, coefs, _), feature_names=["a", "b", "c", "d"], features=["d"], ax=ax
    )
    np.testing.assert_array_equal(_artist(ax, "d:map").get_ydata(), coefs[3])
    assert drawn.features == ["d"]


def test_linear_alpha_axis_accepts_zero_and_any_order():
    alphas = np.array([0.0, 1.0, 0.5])
    coefs = np.array([[0.4, 0.0, 0.2]])
    ax = _axes()
    drawn = plot_regularization_path((alphas, coefs), log_alpha=False, legend=False, ax=ax)
    assert ax.get_xscale() == "linear" and not drawn.log_alpha
    assert not _legends(ax)
    # Sorted into decreasing alpha, as a path is walked: the MAP leaves zero at 1.0.
    np.testing.assert_array_equal(
        _artist(ax, "x0:map").get_xydata(), [[1.0, 0.0], [0.5, 0.2], [0.0, 0.4]]
    )
    assert drawn.entry_alphas[0] == 1.0
    with pytest.raises(ValueError, match="log_alpha=True needs alphas > 0"):
        plot_regularization_path((alphas, coefs), ax=_axes())


def test_maps_of_different_data_are_refused(path):
    bands, _ = _bands(path, y_scale=1.1)  # as if fitted to 1.1 y
    with pytest.raises(ValueError, match=r"at alpha=.* the path's MAP and the bands' MAP differ"):
        plot_regularization_path(path, bands=bands, ax=_axes())


def test_bands_off_the_grid_are_drawn_unchecked(path):
    bands, _ = _bands(path)
    shifted = PosteriorPath(
        **{**vars(bands), "alphas": bands.alphas * 1.01, "coef_map": bands.coef_map + 1.0}
    )
    drawn = plot_regularization_path(path, bands=shifted, ax=_axes())
    np.testing.assert_array_equal(drawn.band_alphas, shifted.alphas)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"bands": "wrong"}, TypeError, "bands must be a PosteriorPath"),
        ({"feature_names": ["a", "b"]}, ValueError, "feature_names has 2 names"),
        ({"features": ["nope"]}, ValueError, "no feature named 'nope'"),
        ({"features": [4]}, ValueError, "index 4 is out of range"),
        ({"features": [0, "x0"]}, ValueError, "names a feature twice"),
        ({"features": []}, ValueError, "features is empty"),
        ({"features": [1.5]}, TypeError, "names or integer indices"),
    ],
)
def test_bad_input(path, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_regularization_path(path, ax=_axes(), **kwargs)


def test_mismatched_features_are_refused(path):
    bands, _ = _bands(path)
    three = PosteriorPath(
        **{
            **vars(bands),
            "feature_names": ["x0", "x1", "x2"],
            **{k: getattr(bands, k)[:3] for k in ("coef_map", "mean", "median", "lower", "upper")},
        }
    )
    with pytest.raises(ValueError, match="the path has 4 features but bands has 3"):
        plot_regularization_path(path, bands=three, ax=_axes())
    renamed, _ = _bands(path, names=("a", "b", "c", "d"))
    with pytest.raises(ValueError, match="differ from the bands' feature names"):
        plot_regularization_path(path, bands=renamed, feature_names=["x0", "x1", "x2", "x3"])
    with pytest.raises(TypeError, match=r"path must be a bayesreg\.RegularizationPath"):
        plot_regularization_path(path.coefs, ax=_axes())
    with pytest.raises(ValueError, match=r"path\.coefs must have shape"):
        plot_regularization_path((path.alphas, path.coefs[:, :-1]), ax=_axes())


def test_new_figure_and_the_style_left_alone(path):
    import matplotlib.pyplot as plt

    bands, _ = _bands(path)
    before = dict(mpl.rcParams)
    drawn = plot_regularization_path(path, bands=bands)
    try:
        assert drawn.ax.figure is not None
        assert dict(mpl.rcParams) == before
    finally:
        plt.close(drawn.ax.figure)


def test_bands_in_any_order_draw_the_same(path):
    bands, _ = _bands(path)
    columns = slice(None, None, -1)
    reversed_bands = PosteriorPath(
        **{
            **vars(bands),
            "alphas": bands.alphas[columns],
            **{
                k: getattr(bands, k)[:, columns]
                for k in ("coef_map", "mean", "median", "lower", "upper")
            },
            **{k: getattr(bands, k)[columns] for k in ("divergences", "min_ess", "max_rhat")},
        }
    )
    ax = _axes()
    drawn = plot_regularization_path(path, bands=reversed_bands, features=[1], ax=ax)
    np.testing.assert_array_equal(drawn.band_alphas, bands.alphas)
    np.testing.assert_array_equal(drawn.median, bands.median[[1]])
    np.testing.assert_array_equal(_artist(ax, "x1:median").get_xdata(), bands.alphas)
