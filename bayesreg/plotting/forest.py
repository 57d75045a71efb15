"""A forest plot: per coefficient, the MAP (the penalized fit) beside its posterior."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import arviz as az
import numpy as np
import xarray as xr
from numpy.typing import ArrayLike

from bayesreg.plotting._common import SAMPLE_DIMS, as_vector, coef_draws

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["MapPosteriorPlot", "plot_map_vs_posterior"]


@dataclasses.dataclass(frozen=True, eq=False)
class MapPosteriorPlot:
    """What :func:`plot_map_vs_posterior` drew.

    Attributes
    ----------
    ax : matplotlib.axes.Axes
        The axes drawn on.
    features : list of str
        The feature labels, in the order of the arrays below (top row first).
    positions : ndarray of shape (n_features,)
        The y coordinate of each feature's row.
    mean : ndarray of shape (n_features,)
        Posterior means.
    lower, upper : ndarray of shape (n_features,)
        Ends of the highest-density intervals.
    hdi_prob : float
        Probability mass of the intervals.
    coef_map : ndarray of shape (n_features,)
        The MAP (the penalized fit), drawn as its own marker.
    reference : ndarray of shape (n_features,) or None
        The reference coefficients, when given.
    """

    ax: Axes
    features: list[str]
    positions: np.ndarray
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    hdi_prob: float
    coef_map: np.ndarray
    reference: np.ndarray | None


def plot_map_vs_posterior(
    posterior: xr.DataTree | xr.Dataset | xr.DataArray,
    coef_map: ArrayLike,
    *,
    hdi_prob: float = 0.94,
    reference: ArrayLike | None = None,
    reference_label: str = "reference",
    var_name: str = "coef",
    ax: Axes | None = None,
) -> MapPosteriorPlot:
    """Draw, per feature, the posterior mean and HDI, the MAP and optionally a reference.

    One row per feature (the first feature on top, labelled with its coordinate value):
    a line over the highest-density interval, a filled dot at the posterior mean, an open
    diamond at the MAP and, when given, a cross at the reference coefficient.  A thin
    vertical line marks zero, where a lasso MAP puts exact zeros that the posterior,
    which has no atom at zero, does not.

    Parameters
    ----------
    posterior : xarray.DataTree, Dataset or DataArray
        Draws of ``var_name`` over ``(chain, draw, feature)``: the tree returned by
        :meth:`bayesreg.Ridge.sample_posterior` (its ``posterior`` group is used), a
        posterior Dataset, or the coefficient DataArray itself.  The one dimension
        besides ``chain`` and ``draw`` labels the rows.
    coef_map : array-like of shape (n_features,)
        The MAP, in the order of the feature dimension (for example ``est.coef_``).
    hdi_prob : float, default 0.94
        Probability mass of the intervals, in (0, 1); computed by :func:`arviz.hdi`.
    reference : array-like of shape (n_features,), optional
        Other coefficients to mark, for example scikit-learn's ``coef_``.
    reference_label : str, default "reference"
        Legend label of the reference marker.
    var_name : str, default "coef"
        The posterior variable to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; None creates a new figure with :func:`matplotlib.pyplot.subplots`.

    Returns
    -------
    MapPosteriorPlot
        The axes and the numbers drawn: posterior means, interval ends, MAP, reference.

    Raises
    ------
    ValueError
        If ``hdi_prob`` is not in (0, 1), the posterior does not hold ``var_name`` over
        ``(chain, draw, feature)``, or ``coef_map``/``reference`` has the wrong length.

    Examples
    --------
    >>> import bayesreg
    >>> from bayesreg.plotting import plot_map_vs_posterior
    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> est = bayesreg.Lasso(alpha=0.1)
    >>> tree = est.sample_posterior(X, y, random_state=0)  # doctest: +SKIP
    >>> drawn = plot_map_vs_posterior(tree, est.coef_)  # doctest: +SKIP
    """
    if not 0.0 < hdi_prob < 1.0:
        raise ValueError(f"hdi_prob must be in (0, 1), got {hdi_prob!r}.")
    draws, feature_dim = coef_draws(posterior, var_name)
    n_features = draws.sizes[feature_dim]
    coef_map = as_vector(coef_map, n_features, "coef_map")
    if reference is not None:
        reference = as_vector(reference, n_features, "reference")
    if feature_dim in draws.coords:
        features = [str(v) for v in draws.coords[feature_dim].values]
    else:
        features = [f"{feature_dim}[{j}]" for j in range(n_features)]

    mean = draws.mean(dim=SAMPLE_DIMS).transpose(feature_dim).to_numpy()
    hdi = az.hdi(draws, prob=hdi_prob, dim=list(SAMPLE_DIMS)).transpose(feature_dim, "ci_bound")
    lower = hdi.sel(ci_bound="lower").to_numpy()
    upper = hdi.sel(ci_bound="upper").to_numpy()

    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.0, 1.0 + 0.4 * n_features), layout="constrained")
    positions = np.arange(n_features - 1, -1, -1, dtype=np.float64)
    ax.axvline(0.0, color="0.8", linewidth=0.8, zorder=0)
    ax.hlines(positions, lower, upper, color="C0", linewidth=2.0, label=f"{hdi_prob:.0%} HDI")
    ax.plot(mean, positions, "o", color="C0", markersize=5, label="posterior mean")
    ax.plot(
        coef_map,
        positions,
        linestyle="none",
        marker="D",
        markersize=8,
        markerfacecolor="none",
        markeredgecolor="C3",
        markeredgewidth=1.5,
        label="MAP",
    )
    if reference is not None:
        ax.plot(
            reference,
            positions,
            linestyle="none",
            marker="x",
            markersize=6,
            color="black",
            label=reference_label,
        )
    ax.set_yticks(positions, features)
    ax.set_ylim(-0.7, n_features - 0.3)
    ax.set_xlabel(var_name)
    ax.legend(loc="best", fontsize="small")
    return MapPosteriorPlot(
        ax=ax,
        features=features,
        positions=positions,
        mean=mean,
        lower=lower,
        upper=upper,
        hdi_prob=float(hdi_prob),
        coef_map=coef_map,
        reference=reference,
    )
