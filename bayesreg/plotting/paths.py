"""The regularization path: the MAP per feature against alpha, with posterior credible bands."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from numbers import Integral
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from bayesreg.plotting._common import new_axes
from bayesreg.posterior_path import PosteriorPath

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from bayesreg.path import RegularizationPath

__all__ = ["RegularizationPathPlot", "plot_regularization_path"]

# Two fits of the same problem agree to rounding (both are polished to the exact
# optimum); different data or settings move the MAP by far more than this.
_MAP_RTOL = 1e-6


@dataclasses.dataclass(frozen=True, eq=False)
class RegularizationPathPlot:
    """What :func:`plot_regularization_path` drew, one row per feature shown.

    Attributes
    ----------
    ax : matplotlib.axes.Axes
        The axes drawn on.
    features : list of str
        Labels of the features drawn, in the order of the rows below.
    feature_indices : ndarray of int, shape (n_shown,)
        Their indices in the path's feature order.
    alphas : ndarray of shape (n_alphas,)
        The path's grid in decreasing order (x of the MAP lines).
    coefs : ndarray of shape (n_shown, n_alphas)
        The MAP lines' y values: the path's coefficients, exact zeros included.
    entry_alphas : ndarray of shape (n_shown,)
        Where each MAP line leaves zero going down the grid: the last grid alpha at which
        the coefficient is exactly 0 before its first non-zero value (marked by an open
        circle on the zero line); NaN when it is non-zero on the whole grid or zero on
        all of it.
    colors : list of tuple
        Each feature's RGBA colour (line, band, median and marker share it).
    band_alphas : ndarray of shape (n_band,) or None
        The alphas of the posterior bands in decreasing order, when ``bands`` was given.
    lower, upper, median : ndarray of shape (n_shown, n_band) or None
        The bands' edges (HDI ends) and the posterior medians drawn (dashed).
    hdi_prob : float or None
        The bands' probability mass.
    log_alpha : bool
        Whether the alpha axis is logarithmic.
    """

    ax: Axes
    features: list[str]
    feature_indices: np.ndarray
    alphas: np.ndarray
    coefs: np.ndarray
    entry_alphas: np.ndarray
    colors: list[tuple[float, float, float, float]]
    band_alphas: np.ndarray | None
    lower: np.ndarray | None
    upper: np.ndarray | None
    median: np.ndarray | None
    hdi_prob: float | None
    log_alpha: bool


def _path_arrays(path) -> tuple[np.ndarray, np.ndarray]:
    """``(alphas, coefs)`` of a RegularizationPath or of ``lasso_path``'s tuple."""
    if hasattr(path, "alphas") and hasattr(path, "coefs"):
        alphas, coefs = path.alphas, path.coefs
    elif isinstance(path, tuple | list) and len(path) >= 2:
        alphas, coefs = path[0], path[1]
    else:
        raise TypeError(
            "path must be a bayesreg.RegularizationPath (from bayesreg.regularization_path) "
            "or the (alphas, coefs, ...) tuple of bayesreg.lasso_path / enet_path, got "
            f"{type(path).__name__}."
        )
    alphas = np.asarray(alphas, dtype=np.float64)
    coefs = np.asarray(coefs, dtype=np.float64)
    if alphas.ndim != 1 or alphas.size == 0:
        raise ValueError(f"path.alphas must be a non-empty 1-D array, got shape {alphas.shape}.")
    if coefs.ndim != 2 or coefs.shape[1] != alphas.size:
        raise ValueError(
            f"path.coefs must have shape (n_features, n_alphas) = (?, {alphas.size}), "
            f"got {coefs.shape}."
        )
    if not (np.all(np.isfinite(alphas)) and np.all(np.isfinite(coefs))):
        raise ValueError("path.alphas and path.coefs must be finite.")
    if np.any(alphas < 0):
        raise ValueError(f"path.alphas must be >= 0 (penalty strengths), got {alphas.min():.4g}.")
    order = np.argsort(-alphas, kind="stable")  # decreasing, as a path is walked
    return alphas[order], coefs[:, order]


def _feature_labels(feature_names, bands: PosteriorPath | None, n_features: int) -> list[str]:
    if feature_names is None:
        if bands is not None:
            return list(bands.feature_names)
        return [f"x{j}" for j in range(n_features)]
    names = [str(name) for name in feature_names]
    if len(names) != n_features:
        raise ValueError(
            f"feature_names has {len(names)} names but the path has {n_features} features."
        )
    if bands is not None and names != list(bands.feature_names):
        raise ValueError(
            f"feature_names {names} differ from the bands' feature names "
            f"{list(bands.feature_names)}: were they computed on different data?"
        )
    return names


def _feature_indices(features, names: list[str]) -> np.ndarray:
    """Indices of ``features`` (names or integer indices) in ``names``."""
    if features is None:
        return np.arange(len(names))
    if isinstance(features, str | Integral):
        features = [features]
    indices = []
    for feature in features:
        if isinstance(feature, str):
            if feature not in names:
                raise ValueError(f"features: no feature named {feature!r}; the names are {names}.")
            indices.append(names.index(feature))
        elif isinstance(feature, Integral) and not isinstance(feature, bool):
            if not -len(names) <= feature < len(names):
                raise ValueError(
                    f"features: index {feature} is out of range for {len(names)} features."
                )
            indices.append(int(feature) % len(names))
        else:
            raise TypeError(f"features must be feature names or integer indices, got {feature!r}.")
    if not indices:
        raise ValueError("features is empty: name at least one feature, or pass None for all.")
    if len(set(indices)) != len(indices):
        raise ValueError(f"features names a feature twice: {list(features)!r}.")
    return np.asarray(indices, dtype=int)


def _check_maps_agree(alphas: np.ndarray, coefs: np.ndarray, bands: PosteriorPath) -> None:
    """At the alphas the grids share, the path's MAP and the bands' MAP must be the same."""
    tol = _MAP_RTOL * np.max(np.abs(coefs), initial=0.0)
    for k, alpha in enumerate(bands.alphas):
        same = np.flatnonzero(np.isclose(alphas, alpha, rtol=1e-12, atol=0.0))
        if same.size == 0:
            continue
        gap = np.max(np.abs(coefs[:, same[0]] - bands.coef_map[:, k]))
        if not gap <= tol:
            raise ValueError(
                f"at alpha={alpha:.4g} the path's MAP and the bands' MAP differ by {gap:.3g} "
                f"(more than {tol:.3g}): they were computed from different data or settings "
                "(X, y, fit_intercept, sample_weight, l1_ratio, the alpha scale of Ridge "
                "versus ElasticNet). Compute both from the same problem."
            )


def _entry_alphas(alphas: np.ndarray, coefs: np.ndarray) -> np.ndarray:
    """The last grid alpha where each row is zero before its first non-zero, else NaN."""
    entry = np.full(coefs.shape[0], np.nan)
    for j, row in enumerate(coefs):
        nonzero = np.flatnonzero(row != 0.0)
        if nonzero.size and nonzero[0] > 0:
            entry[j] = alphas[nonzero[0] - 1]
    return entry


def plot_regularization_path(
    path: RegularizationPath | Sequence,
    *,
    bands: PosteriorPath | None = None,
    feature_names: Sequence[str] | None = None,
    features: Sequence[str | int] | None = None,
    log_alpha: bool = True,
    legend: bool = True,
    ax: Axes | None = None,
) -> RegularizationPathPlot:
    """Draw the MAP of each coefficient along alpha, with its posterior credible band.

    Per feature, in one colour: the MAP path ``w_j(alpha)`` (solid; exact zeros lie flat
    on the zero line, and an open circle marks where the line leaves it), and, when
    ``bands`` is given, the posterior's highest-density interval at each band alpha
    (shaded between ``lower`` and ``upper``) and the posterior median (dashed).

    The x axis is ``alpha`` on a logarithmic scale increasing to the right, as in
    scikit-learn's path examples (``semilogx(alphas, coefs)``) and glmnet's
    ``plot(fit, xvar = "lambda")``: the strongest prior (all MAPs zero) is on the right,
    and features enter reading right to left.  Call ``ax.invert_xaxis()`` for the
    other reading direction.

    Parameters
    ----------
    path : bayesreg.RegularizationPath or tuple
        The MAP path: :func:`bayesreg.regularization_path`'s result, or the
        ``(alphas, coefs, ...)`` tuple of :func:`bayesreg.lasso_path` /
        :func:`bayesreg.enet_path`; ``coefs`` has shape ``(n_features, n_alphas)``.
    bands : bayesreg.posterior_path.PosteriorPath, optional
        Posterior summaries from :func:`bayesreg.posterior_path.posterior_path` on the
        same data, with the same number (and names) of features.  Where its alphas are
        on the path's grid its MAPs must equal the path's (checked).
    feature_names : sequence of str, optional
        One label per feature; default the bands' names, else ``x0, x1, ...``.
    features : sequence of str or int, optional
        The features to draw (names or indices), to keep the picture readable; default
        all.  Colours follow each feature's index in the whole path, so a subset keeps
        the colours of the full picture.
    log_alpha : bool, default True
        Logarithmic alpha axis (alphas must then be > 0); False is linear.
    legend : bool, default True
        Add the legends (features; line styles) outside the axes, on the right.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; None creates a new figure.

    Returns
    -------
    RegularizationPathPlot
        The axes and the numbers drawn.

    Raises
    ------
    TypeError
        If ``path`` is neither a RegularizationPath nor an ``(alphas, coefs, ...)`` tuple,
        ``bands`` is not a PosteriorPath, or ``features`` holds something other than
        names and integers.
    ValueError
        On a path whose shapes disagree or that is not finite, non-positive alphas with
        ``log_alpha``, a feature count or names that differ between ``path``, ``bands``
        and ``feature_names``, unknown, repeated or no ``features``, and MAPs that
        differ between the path and the bands at a shared alpha.

    Notes
    -----
    For the lasso, ``w_j(alpha)`` is exactly zero for ``alpha >= |x~_j' r(alpha)| / n``
    (the subgradient condition), so the MAP path is piecewise linear with exact zeros;
    the posterior has no atom at zero, so its band has width there and never collapses
    onto the zero line.  The band at ``alpha`` is the marginal HDI
    ``[lower_j, upper_j]`` of ``p(w_j | y, alpha)``; between band alphas the shading
    is interpolated linearly in the plotted coordinates.

    Examples
    --------
    >>> import bayesreg
    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> path = bayesreg.regularization_path(X, y)
    >>> drawn = plot_regularization_path(path, features=[2, 3, 8])  # doctest: +SKIP
    """
    alphas, coefs = _path_arrays(path)
    if bands is not None and not isinstance(bands, PosteriorPath):
        raise TypeError(
            "bands must be a PosteriorPath (from bayesreg.posterior_path.posterior_path), "
            f"got {type(bands).__name__}."
        )
    n_features = coefs.shape[0]
    if bands is not None and bands.n_features != n_features:
        raise ValueError(
            f"the path has {n_features} features but bands has {bands.n_features}: "
            "compute both from the same X."
        )
    if log_alpha and (np.any(alphas <= 0) or (bands is not None and np.any(bands.alphas <= 0))):
        raise ValueError("log_alpha=True needs alphas > 0; pass log_alpha=False to plot alpha=0.")
    names = _feature_labels(feature_names, bands, n_features)
    shown = _feature_indices(features, names)
    if bands is not None:
        _check_maps_agree(alphas, coefs, bands)

    shown_coefs = coefs[shown]
    entry = _entry_alphas(alphas, shown_coefs)
    colors = [to_rgba(f"C{j % 10}") for j in shown]
    ax = new_axes(ax, figsize=(8.0, 5.0))
    # Overlapping translucent bands add up: keep the total ink about the same.
    band_opacity = min(0.25, 1.2 / len(shown))
    ax.axhline(0.0, color="0.55", linewidth=0.8, zorder=0)
    if bands is not None:
        order = np.argsort(-bands.alphas, kind="stable")
        band_alphas = bands.alphas[order]
        lower, upper, median = (
            getattr(bands, name)[np.ix_(shown, order)] for name in ("lower", "upper", "median")
        )
    for row, (j, color) in enumerate(zip(shown, colors, strict=True)):
        name = names[j]
        if bands is not None:
            ax.fill_between(
                band_alphas,
                lower[row],
                upper[row],
                color=color,
                alpha=band_opacity,
                linewidth=0.0,
                gid=f"{name}:band",
            )
            ax.plot(
                band_alphas,
                median[row],
                color=color,
                linestyle="--",
                linewidth=1.2,
                marker="o",
                markersize=2.5,
                gid=f"{name}:median",
            )
        ax.plot(alphas, shown_coefs[row], color=color, linewidth=1.8, label=name, gid=f"{name}:map")
        if np.isfinite(entry[row]):
            ax.plot(
                [entry[row]],
                [0.0],
                linestyle="none",
                marker="o",
                markersize=5,
                markerfacecolor="white",
                markeredgecolor=color,
                markeredgewidth=1.3,
                gid=f"{name}:entry",
            )
    if log_alpha:
        ax.set_xscale("log")
    ax.set_xlabel(r"penalty strength $\alpha$" + (" (log scale)" if log_alpha else ""))
    ax.set_ylabel("coefficient")
    ax.margins(x=0.01)
    if legend:
        _add_legends(ax, bands, [names[j] for j in shown], colors)
    return RegularizationPathPlot(
        ax=ax,
        features=[names[j] for j in shown],
        feature_indices=shown,
        alphas=alphas,
        coefs=shown_coefs,
        entry_alphas=entry,
        colors=colors,
        band_alphas=None if bands is None else band_alphas,
        lower=None if bands is None else lower,
        upper=None if bands is None else upper,
        median=None if bands is None else median,
        hdi_prob=None if bands is None else bands.hdi_prob,
        log_alpha=bool(log_alpha),
    )


def _add_legends(ax, bands: PosteriorPath | None, labels: list[str], colors) -> None:
    """Features (by colour) and the line styles, stacked outside the axes on the right."""
    feature_handles = [Line2D([], [], color=c, linewidth=1.8) for c in colors]
    features = ax.legend(
        feature_handles,
        labels,
        title="feature",
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize="small",
        frameon=False,
    )
    grey = "0.3"
    style_handles = [Line2D([], [], color=grey, linewidth=1.8)]
    style_labels = ["MAP (penalized fit)"]
    style_handles.append(
        Line2D([], [], linestyle="none", marker="o", markerfacecolor="white", markeredgecolor=grey)
    )
    style_labels.append("MAP leaves zero")
    if bands is not None:
        style_handles += [
            Line2D([], [], color=grey, linestyle="--", linewidth=1.2, marker="o", markersize=2.5),
            Patch(facecolor=grey, alpha=0.25, linewidth=0.0),
        ]
        style_labels += ["posterior median", f"{bands.hdi_prob:.0%} HDI"]
    ax.add_artist(features)
    ax.legend(
        style_handles,
        style_labels,
        loc="lower left",
        bbox_to_anchor=(1.01, 0.0),
        fontsize="small",
        frameon=False,
    )
