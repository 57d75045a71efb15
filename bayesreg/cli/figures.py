"""The figures of ``bayesreg fit``: the MAP per coefficient, or MAP against posterior.

Figures are drawn on a :class:`matplotlib.figure.Figure` with the Agg canvas (no pyplot,
no GUI, no global style).  With many features only the :data:`MAX_ROWS` largest
coefficients are drawn (in their column order), and the title says so.
"""

from __future__ import annotations

import textwrap

import numpy as np
import xarray as xr
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bayesreg.plotting import plot_map_vs_posterior

__all__ = ["MAX_ROWS", "map_figure", "posterior_figure"]

MAX_ROWS = 40


def _largest(values: np.ndarray) -> np.ndarray:
    """Indices of the ``MAX_ROWS`` largest ``|values|``, in their original order."""
    if values.size <= MAX_ROWS:
        return np.arange(values.size)
    return np.sort(np.argsort(-np.abs(values), kind="stable")[:MAX_ROWS])


def _new_figure(n_rows: int) -> Figure:
    fig = Figure(figsize=(7.0, 1.6 + 0.32 * n_rows), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _finish(ax, title: str, shown: int, total: int, by: str) -> None:
    """The title (wrapped), and the legend in one row under the axes, clear of the data."""
    lines = textwrap.wrap(title, 80)
    if shown < total:
        lines.append(f"(the {shown} largest |{by}| of {total} coefficients)")
    ax.set_title("\n".join(lines), fontsize="medium")
    handles, labels = ax.get_legend_handles_labels()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    ax.figure.legend(
        handles, labels, loc="outside lower center", ncols=len(labels), fontsize="small"
    )


def map_figure(features: list[str], coef_map: np.ndarray, title: str) -> Figure:
    """Each coefficient's MAP as a stem from zero, first feature on top."""
    shown = _largest(coef_map)
    names = [features[j] for j in shown]
    values = coef_map[shown]
    fig = _new_figure(len(shown))
    ax = fig.add_subplot()
    positions = np.arange(len(shown) - 1, -1, -1, dtype=float)
    ax.axvline(0.0, color="0.6", linewidth=0.8, zorder=0)
    ax.hlines(positions, 0.0, values, color="C3", linewidth=1.5)
    zero = values == 0
    ax.plot(values[~zero], positions[~zero], "D", color="C3", markersize=6, label="MAP")
    if zero.any():
        ax.plot(
            values[zero],
            positions[zero],
            "D",
            markerfacecolor="white",
            markeredgecolor="C3",
            markersize=6,
            label="MAP exactly 0",
        )
    ax.set_yticks(positions, names)
    ax.set_ylim(-0.7, len(shown) - 0.3)
    ax.set_xlabel("coefficient (MAP)")
    ax.grid(axis="x", color="0.92")
    _finish(ax, title, len(shown), coef_map.size, "MAP")
    return fig


def posterior_figure(
    posterior: xr.DataTree, coef_map: np.ndarray | None, hdi_prob: float, title: str
) -> Figure:
    """Per coefficient the posterior mean, median and HDI, and the MAP where there is one."""
    draws = posterior["posterior"].to_dataset()
    mean = draws["coef"].mean(("chain", "draw")).to_numpy()
    shown = _largest(mean if coef_map is None else coef_map)
    fig = _new_figure(len(shown))
    ax = fig.add_subplot()
    plot_map_vs_posterior(
        draws.isel(feature=shown),
        None if coef_map is None else coef_map[shown],
        hdi_prob=hdi_prob,
        ax=ax,
    )
    ax.set_xlabel("coefficient")
    by = "posterior mean" if coef_map is None else "MAP"
    _finish(ax, title, len(shown), mean.size, by)
    return fig
