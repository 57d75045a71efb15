"""A forest plot: per coefficient, the MAP (the penalized fit) beside its posterior."""

from __future__ import annotations

import dataclasses
from numbers import Real
from typing import TYPE_CHECKING

import arviz as az
import numpy as np
import xarray as xr
from matplotlib.transforms import blended_transform_factory
from numpy.typing import ArrayLike

from bayesreg.plotting._common import SAMPLE_DIMS, as_vector, coef_draws, new_axes, real_array

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
    coef_map : ndarray of shape (n_features,) or None
        The MAP (the penalized fit), drawn as its own marker.
    reference : ndarray of shape (n_features,) or None
        The reference coefficients, when given.
    median : ndarray of shape (n_features,)
        Posterior medians.
    near_zero : ndarray of shape (n_features,) or None
        The half-widths ``eps_j`` of the regions ``|w_j| < eps_j`` called near zero (one
        per feature), when ``near_zero`` was given.
    prob_near_zero : ndarray of shape (n_features,) or None
        ``P(|w_j| < eps_j | y)``, the fraction of draws inside the region, when
        ``near_zero`` was given.
    n_draws : int
        Draws per feature (chains times draws) behind the summaries.
    """

    ax: Axes
    features: list[str]
    positions: np.ndarray
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    hdi_prob: float
    coef_map: np.ndarray | None
    reference: np.ndarray | None
    median: np.ndarray
    near_zero: np.ndarray | None = None
    prob_near_zero: np.ndarray | None = None
    n_draws: int = 0


def plot_map_vs_posterior(
    posterior: xr.DataTree | xr.Dataset | xr.DataArray,
    coef_map: ArrayLike | None,
    *,
    hdi_prob: float = 0.94,
    reference: ArrayLike | None = None,
    reference_label: str = "reference",
    var_name: str = "coef",
    near_zero: float | ArrayLike | None = None,
    ax: Axes | None = None,
) -> MapPosteriorPlot:
    """Draw, per feature, the posterior mean, median and HDI, the MAP and optionally a reference.

    One row per feature (the first feature on top, labelled with its coordinate value):
    a line over the highest-density interval, a filled dot at the posterior mean, a
    vertical tick at the posterior median, an open diamond at the MAP and, when given, a
    cross at the reference coefficient.  A thin vertical line marks zero, where a lasso
    MAP puts exact zeros that the posterior, which has no atom at zero, does not.  With
    ``near_zero``, each row also shades its region ``|w_j| < eps_j`` and prints
    ``P(|w_j| < eps_j | y)`` at the right edge.

    Parameters
    ----------
    posterior : xarray.DataTree, Dataset or DataArray
        Draws of ``var_name`` over ``(chain, draw, feature)``: the tree returned by
        :meth:`bayesreg.Ridge.sample_posterior` (its ``posterior`` group is used), a
        posterior Dataset, or the coefficient DataArray itself.  The one dimension
        besides ``chain`` and ``draw`` labels the rows.
    coef_map : array-like of shape (n_features,) or None
        The MAP, in the order of the feature dimension (for example ``est.coef_``);
        None for a posterior without a finite mode (horseshoe, Bayesian lasso): no MAP
        is drawn.
    hdi_prob : float, default 0.94
        Probability mass of the intervals, in (0, 1); computed by :func:`arviz.hdi`.
    reference : array-like of shape (n_features,), optional
        Other coefficients to mark, for example scikit-learn's ``coef_``.
    reference_label : str, default "reference"
        Legend label of the reference marker.
    var_name : str, default "coef"
        The posterior variable to draw.
    near_zero : float or array-like of shape (n_features,), optional
        Half-width ``eps`` (one for all features, or ``eps_j`` per feature; finite and
        > 0, in the units of the coefficients) of the region of practical equivalence
        to zero.  Given, the plot reports ``P(|w_j| < eps_j | y)``; None (default)
        reports nothing.  There is deliberately no default: see Notes.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; None creates a new figure.

    Returns
    -------
    MapPosteriorPlot
        The axes and the numbers drawn: posterior means, medians, interval ends, MAP,
        reference, and the near-zero probabilities.

    Raises
    ------
    ValueError
        If ``hdi_prob`` is not in (0, 1), the posterior does not hold ``var_name`` over
        ``(chain, draw, feature)``, ``coef_map``/``reference``/``near_zero`` has the
        wrong length, or ``near_zero`` is not finite and > 0.

    Notes
    -----
    The posterior probability that a coefficient is practically zero is estimated by the
    fraction of draws inside the region,

    ``P(|w_j| < eps_j | y) ~= (1/N) sum_s 1{|w_j^(s)| < eps_j}``,

    over the ``N`` draws of all chains (shown as ``< 1/N`` when no draw falls inside).
    Under the lasso's Laplace prior the posterior has no atom at zero, so
    ``P(w_j = 0 | y) = 0`` whatever the MAP says; only a region of width ``eps_j``
    gives a question with a non-trivial answer (Kruschke's "region of practical
    equivalence", ROPE).

    Why no default ``eps``: whether an effect is negligible depends on the units of
    ``y`` and of ``x_j`` and on what matters in the application.  A fixed number is
    meaningless across data sets; a multiple of each coefficient's posterior standard
    deviation shrinks as ``n`` grows, so ``P`` would tend to 0 for every non-zero
    effect and become a test of the point null; a multiple of ``sd(y) / sd(x_j)`` is
    a ROPE on the standardized scale, but it needs the data, which this function does
    not see.  That last choice is a sound start when nothing better is known:
    ``near_zero = c * y.std() / X.std(axis=0)`` calls ``w_j`` near zero when a
    one-standard-deviation change of ``x_j`` moves ``y`` by less than ``c`` of its
    standard deviation.  Kruschke (2018) suggests ``c = 0.1`` for a standardized
    parameter (half of Cohen's small effect ``d = 0.2``; bayestestR's default for
    linear models); ``c = 0.05``, half of Cohen's small correlation, is the stricter
    choice on the correlation-like scale of a standardized slope.

    References
    ----------
    .. [1] J. K. Kruschke, "Rejecting or accepting parameter values in Bayesian
       estimation", Advances in Methods and Practices in Psychological Science 1(2),
       2018.

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
    if isinstance(hdi_prob, bool) or not isinstance(hdi_prob, Real) or not 0.0 < hdi_prob < 1.0:
        raise ValueError(f"hdi_prob must be a number in (0, 1), got {hdi_prob!r}.")
    draws, feature_dim = coef_draws(posterior, var_name)
    n_features = draws.sizes[feature_dim]
    if coef_map is not None:
        coef_map = as_vector(coef_map, n_features, "coef_map")
    if reference is not None:
        reference = as_vector(reference, n_features, "reference")
    if near_zero is not None:
        near_zero = _near_zero_widths(near_zero, n_features)
    if feature_dim in draws.coords:
        features = [str(v) for v in draws.coords[feature_dim].values]
    else:
        features = [f"{feature_dim}[{j}]" for j in range(n_features)]

    mean = draws.mean(dim=SAMPLE_DIMS).transpose(feature_dim).to_numpy()
    median = draws.median(dim=SAMPLE_DIMS).transpose(feature_dim).to_numpy()
    flat = draws.transpose(*SAMPLE_DIMS, feature_dim).to_numpy().reshape(-1, n_features)
    n_draws = flat.shape[0]
    prob_near_zero = None if near_zero is None else np.mean(np.abs(flat) < near_zero, axis=0)
    hdi = az.hdi(draws, prob=hdi_prob, dim=list(SAMPLE_DIMS)).transpose(feature_dim, "ci_bound")
    lower = hdi.sel(ci_bound="lower").to_numpy()
    upper = hdi.sel(ci_bound="upper").to_numpy()

    ax = new_axes(ax, figsize=(6.0 if near_zero is None else 7.0, 1.0 + 0.4 * n_features))
    positions = np.arange(n_features - 1, -1, -1, dtype=np.float64)
    if near_zero is not None:
        ax.barh(
            positions,
            2.0 * near_zero,
            left=-near_zero,
            height=0.7,
            color="0.9",
            zorder=0,
            label=r"near zero: $|w_j| < \varepsilon_j$",
        )
    ax.axvline(0.0, color="0.8", linewidth=0.8, zorder=0)
    ax.hlines(positions, lower, upper, color="C0", linewidth=2.0, label=f"{hdi_prob:.0%} HDI")
    ax.plot(mean, positions, "o", color="C0", markersize=5, label="posterior mean")
    ax.plot(
        median,
        positions,
        linestyle="none",
        marker="|",
        markersize=14,
        markeredgewidth=2.0,
        color="C0",
        label="posterior median",
    )
    if coef_map is not None:
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
    if prob_near_zero is not None:
        _write_probabilities(ax, positions, prob_near_zero, n_draws, near_zero)
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
        median=median,
        near_zero=near_zero,
        prob_near_zero=prob_near_zero,
        n_draws=n_draws,
    )


def _near_zero_widths(near_zero, n_features: int) -> np.ndarray:
    """``near_zero`` as one finite positive half-width per feature."""
    if np.ndim(near_zero) == 0:
        widths = np.full(n_features, real_array(near_zero, "near_zero"))
    else:
        widths = as_vector(near_zero, n_features, "near_zero")
    if not np.all(np.isfinite(widths)) or np.any(widths <= 0):
        raise ValueError(
            f"near_zero must be finite and > 0 (the half-width eps of |w| < eps, in the "
            f"units of the coefficients), got {near_zero!r}."
        )
    return widths


def _format_probability(prob: float, n_draws: int) -> str:
    """Two decimals, three below 0.01; ``< 1/N`` when no draw counted."""
    if prob == 0.0:
        return f"<{1.0 / n_draws:.1g}"
    return f"{prob:.2f}" if prob >= 0.01 else f"{prob:.3f}"


def _write_probabilities(ax, positions, prob_near_zero, n_draws: int, near_zero) -> None:
    """``P(|w_j| < eps_j | y)`` as a column of text just right of the axes."""
    at_right = blended_transform_factory(ax.transAxes, ax.transData)
    for position, prob in zip(positions, prob_near_zero, strict=True):
        ax.text(
            1.02,
            position,
            _format_probability(float(prob), n_draws),
            transform=at_right,
            ha="left",
            va="center",
            fontsize="small",
            gid="prob_near_zero",
        )
    same = np.allclose(near_zero, near_zero[0], rtol=1e-6, atol=0.0)
    eps = f"{near_zero[0]:.3g}" if same else r"\varepsilon_j"
    ax.text(
        1.02,
        1.0,
        rf"$P(|w_j| < {eps} \mid y)$",
        transform=ax.transAxes,
        ha="left",
        va="bottom",
        fontsize="small",
        gid="prob_near_zero_title",
    )
