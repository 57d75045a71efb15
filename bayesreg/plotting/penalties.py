"""A prior's density beside its penalty, the negative log density.

The penalty of a prior is ``P(w) = -log p(w) + const``: a Gaussian gives the ridge
parabola, a Laplace the lasso's ``|w|`` with its kink at 0 (the source of exact zeros in
the MAP), the bridge ``|w|^p``, a Student-t a logarithm that stops growing, and the
horseshoe a penalty that falls to ``-inf`` at ``w = 0`` (its density has a pole there).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from bayesreg.priors import (
    Bridge,
    ElasticNetPrior,
    Gaussian,
    Horseshoe,
    Laplace,
    Prior,
    StudentT,
)
from bayesreg.priors.elastic_net import ElasticNetFamily
from bayesreg.priors.marginal import prior_log_density

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "PriorPenaltyPlot",
    "has_kink_at_zero",
    "plot_prior_penalty",
    "teaching_priors",
]

DEFAULT_GRID = np.linspace(-3.0, 3.0, 601)  # step 0.01; holds 0 exactly (index 300)


def _elastic_net_variance(l1: float, l2: float) -> float:
    # |w| is N(-l1 / (2 l2), 1 / (2 l2)) truncated to [0, inf), so Var w = E|w|^2.
    scale = 1.0 / math.sqrt(2.0 * l2)
    loc = -l1 / (2.0 * l2)
    return float(stats.truncnorm(-loc / scale, np.inf, loc=loc, scale=scale).moment(2))


def teaching_priors(group: Literal["common", "bridge"] = "common") -> dict[str, Prior]:
    """The priors of the documentation's density-and-penalty pictures, labelled.

    Parameters
    ----------
    group : {"common", "bridge"}, default "common"
        ``"common"``: the priors with a name in regression, made comparable by giving
        each **unit variance** where the variance is finite, so that the pictures differ
        only in shape (peak, kink, tails), not in spread:

        * Gaussian (ridge) ``N(0, 1)``;
        * Laplace (lasso) with scale ``1 / sqrt(2)``;
        * elastic net: the penalty halfway between those two,
          ``(sqrt(2) |w| + w^2 / 2) / 2``, with ``w`` rescaled to unit variance
          (``l1 = sd / sqrt(2)``, ``l2 = var / 4`` with ``sd, var`` of that halfway prior);
        * Student-t, ``nu = 3``, scale ``1 / sqrt(3)``;
        * horseshoe with ``tau ~ C+(0, 1)`` (Carvalho et al.'s standard scale): its
          variance is infinite, so it cannot be matched.

        ``"bridge"``: the bridge priors ``p(w) propto exp(-|w|^p)``,
        ``p in {0.5, 1, 2, 3, 4}``, all with **scale 1**, so that the penalty is exactly
        ``|w|^p`` (all equal to 1 at ``|w| = 1``): the one-dimensional slice of the
        ``L_p`` balls drawn by :func:`bayesreg.plotting.balls.plot_lp_balls`.  (Unit
        variance would need scale ``sqrt(Gamma(1/p) / Gamma(3/p))``, 0.09 for
        ``p = 0.5``: a spike that flattens every other curve.)  ``p = 1`` is the
        Laplace with scale 1, ``p = 2`` the Gaussian with variance ``1 / 2``.

    Returns
    -------
    dict of str to Prior
        Legend label to prior, in drawing order.

    Raises
    ------
    ValueError
        If ``group`` is not one of the two names.
    """
    if group == "common":
        base_l1, base_l2 = 0.5 * math.sqrt(2.0), 0.25
        var = _elastic_net_variance(base_l1, base_l2)
        return {
            "Gaussian (ridge)": Gaussian(1.0),
            "Laplace (lasso)": Laplace(1.0 / math.sqrt(2.0)),
            "elastic net": ElasticNetPrior(base_l1 * math.sqrt(var), base_l2 * var),
            "Student-t (ν = 3)": StudentT(3.0, 1.0 / math.sqrt(3.0)),
            "horseshoe (τ ~ C⁺(0, 1))": Horseshoe(1.0),
        }
    if group == "bridge":
        names = {1.0: " (lasso)", 2.0: " (ridge)"}
        return {f"p = {p:g}{names.get(p, '')}": Bridge(p, 1.0) for p in (0.5, 1.0, 2.0, 3.0, 4.0)}
    raise ValueError(f'group must be "common" or "bridge", got {group!r}.')


def has_kink_at_zero(prior: Prior) -> bool:
    """Whether the penalty is not differentiable at 0, so the MAP can be exactly 0.

    True for the Laplace, the elastic net with ``l1 > 0`` and the bridge with
    ``power <= 1`` (an infinite slope at 0 when ``power < 1``).
    """
    if isinstance(prior, ElasticNetFamily):
        return bool(np.any(np.asarray(prior.l1) > 0.0))
    if isinstance(prior, Bridge):
        return prior.power <= 1.0
    return False


@dataclasses.dataclass(frozen=True, eq=False)
class PriorPenaltyPlot:
    """What :func:`plot_prior_penalty` drew.

    Attributes
    ----------
    axes : tuple of (Axes, Axes)
        The density axes (left) and the penalty axes (right).
    w : ndarray of shape (n_grid,)
        The grid.
    labels : list of str
        One legend label per prior, in the order of the rows below.
    densities : ndarray of shape (n_priors, n_grid)
        ``p(w)``; ``inf`` at a pole.
    penalties : ndarray of shape (n_priors, n_grid)
        ``-log p(w) - offsets[i]``; ``-inf`` at a pole.
    offsets : ndarray of shape (n_priors,)
        The constant subtracted from each ``-log p``: its smallest finite value on the
        grid.
    kinked : list of str
        The labels of the priors whose penalty has a kink at 0.
    colors : list of str
        The colour of each prior, the same in both panels.
    """

    axes: tuple[Axes, Axes]
    w: np.ndarray
    labels: list[str]
    densities: np.ndarray
    penalties: np.ndarray
    offsets: np.ndarray
    kinked: list[str]
    colors: list[str]


def _labelled_priors(priors) -> tuple[list[str], list[Prior]]:
    if isinstance(priors, Prior):
        return [_default_label(priors)], [priors]
    if isinstance(priors, Mapping):
        labels, values = [str(k) for k in priors], list(priors.values())
    elif isinstance(priors, Sequence) and not isinstance(priors, (str, bytes)):
        values = list(priors)
        labels = [_default_label(p) if isinstance(p, Prior) else "" for p in values]
    else:
        raise TypeError(
            "priors must be a bayesreg prior, a sequence of priors or a mapping "
            f"label -> prior (e.g. teaching_priors()), got {priors!r}."
        )
    if not values:
        raise ValueError("priors is empty; pass at least one prior.")
    for label, value in zip(labels, values, strict=True):
        if not isinstance(value, Prior):
            where = f" under {label!r}" if isinstance(priors, Mapping) else ""
            raise TypeError(
                f"priors must hold bayesreg priors (e.g. bayesreg.priors.Laplace(1.0)); "
                f"got {value!r}{where}."
            )
    return labels, values


def _default_label(prior: Prior) -> str:
    fields = ", ".join(f"{f.name}={getattr(prior, f.name)!r}" for f in dataclasses.fields(prior))
    return f"{type(prior).__name__}({fields})" if dataclasses.is_dataclass(prior) else repr(prior)


#: The widest grid: the penalties square ``w``, which must stay a float64.
_MAX_GRID = 1e150


def _checked_grid(w) -> np.ndarray:
    if w is None:
        return DEFAULT_GRID.copy()
    grid = np.asarray(w)
    if grid.dtype.kind not in "iuf":
        raise TypeError(f"w must be an array of real numbers, got dtype {grid.dtype}.")
    grid = grid.astype(np.float64)
    if grid.ndim != 1 or grid.size < 2:
        raise ValueError(
            f"w must be a 1-D grid of at least 2 points, got shape {grid.shape}; e.g. "
            "numpy.linspace(-3, 3, 601)."
        )
    if not np.isfinite(grid).all():
        raise ValueError("w must be finite; it holds NaN or inf.")
    if np.max(np.abs(grid)) > _MAX_GRID:
        raise ValueError(
            f"w must lie within +-{_MAX_GRID:g}, got values up to {np.max(np.abs(grid)):.3g}: "
            "the Gaussian and Student-t penalties square it, beyond float64's range."
        )
    if not (np.diff(grid) > 0).all():
        raise ValueError("w must be strictly increasing; sort it (numpy.unique does).")
    return grid


def _checked_axes(ax):
    from matplotlib.axes import Axes

    if ax is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(10.0, 4.0), layout="constrained")
        density_ax, penalty_ax = fig.subplots(1, 2)
        return density_ax, penalty_ax
    pair = tuple(ax) if isinstance(ax, (Sequence, np.ndarray)) else (ax,)
    if len(pair) != 2 or not all(isinstance(a, Axes) for a in pair):
        raise TypeError(
            "ax must be None or a pair (density_ax, penalty_ax) of matplotlib Axes, "
            f"e.g. fig.subplots(1, 2); got {ax!r}."
        )
    return pair


def _density_ylim(densities: np.ndarray) -> tuple[float, float]:
    # A pole would set an infinite limit: scale to the bounded densities when there are
    # any, so that the pole's curve leaves the top of the panel.
    bounded = [d for d in densities if np.isfinite(d).all()]
    values = np.concatenate(bounded) if bounded else densities[np.isfinite(densities)]
    top = 1.15 * float(values.max(initial=0.0))
    return 0.0, top if top > 0 else 1.0  # densities that underflow to 0 on a wide grid


def _penalty_ylim(penalties: np.ndarray) -> tuple[float, float]:
    # Twice the smallest of the priors' largest values on the grid (at most the largest):
    # the gentlest penalty fills half the panel, steep ones (|w|^4) leave it at the sides
    # instead of flattening the others.  Below 0 is room for the kink's note.
    tops = np.array([row[np.isfinite(row)].max(initial=0.0) for row in penalties])
    top = 1.05 * float(min(2.0 * tops.min(), tops.max()))
    if not top > 0:  # a grid so narrow that every penalty is 0 to float64 precision
        top = 1.0
    return -0.16 * top, top


def plot_prior_penalty(
    priors: Prior | Sequence[Prior] | Mapping[str, Prior],
    *,
    w: ArrayLike | None = None,
    ax: tuple[Axes, Axes] | None = None,
) -> PriorPenaltyPlot:
    """Draw each prior's density ``p(w)`` (left) beside its penalty ``-log p(w)`` (right).

    Every prior has one colour in both panels.  The penalty of prior ``i`` is shifted to
    start at 0:

    ``P_i(w) = -log p_i(w) - c_i``,  ``c_i = min over the grid of the finite -log p_i``,

    which is ``-log p_i(w) + log p_i(0)`` for the priors whose density peaks at 0 when 0
    is on the grid.  The horseshoe's density has a pole at 0, so ``-log p`` falls to
    ``-inf`` there and any shift is a choice: ``c_i`` puts its curve at 0 at the grid
    point nearest to 0 (so the shift depends on the grid spacing).  Points where the
    density is infinite are not drawn (matplotlib breaks the line there); the returned
    arrays hold ``inf`` / ``-inf``.

    When a prior's penalty has a kink at 0 (Laplace, elastic net, bridge with
    ``p <= 1``), an annotation says that this is where exact zeros come from: the MAP
    sits at 0 whenever the data term's slope there is within the kink's subgradient.

    Parameters
    ----------
    priors : Prior, sequence of Prior, or mapping of str to Prior
        The priors; a mapping gives the legend labels (e.g. :func:`teaching_priors`),
        otherwise each prior's repr is used.  Supported priors: those of
        :func:`~bayesreg.priors.prior_log_density`.
    w : array-like of shape (n_grid,), optional
        Strictly increasing, finite grid within +-1e150; default
        ``numpy.linspace(-3, 3, 601)``, which holds 0.
    ax : pair of matplotlib.axes.Axes, optional
        ``(density_ax, penalty_ax)``; None creates a new figure with two panels.

    Returns
    -------
    PriorPenaltyPlot
        The axes and the numbers drawn: grid, labels, densities, penalties, shifts.

    Raises
    ------
    TypeError
        If ``priors`` is not a prior / sequence / mapping of priors, a prior has no
        density here (see :func:`~bayesreg.priors.prior_log_density`), or ``ax`` is not
        a pair of Axes.
    ValueError
        If ``priors`` is empty or ``w`` is not a finite, strictly increasing 1-D grid.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> drawn = plot_prior_penalty(teaching_priors("bridge"), ax=Figure().subplots(1, 2))
    >>> drawn.penalties.shape
    (5, 601)
    """
    labels, prior_list = _labelled_priors(priors)
    grid = _checked_grid(w)
    log_densities = np.stack([prior_log_density(p, grid) for p in prior_list])
    density_ax, penalty_ax = _checked_axes(ax)

    densities = np.exp(log_densities)
    offsets = np.array([np.min(-row[np.isfinite(row)]) for row in log_densities])
    penalties = -log_densities - offsets[:, None]
    cycle = _color_cycle()
    colors = [cycle[i % len(cycle)] for i in range(len(prior_list))]
    for label, color, density, penalty in zip(labels, colors, densities, penalties, strict=True):
        density_ax.plot(grid, density, color=color, linewidth=1.8, label=label)
        penalty_ax.plot(grid, penalty, color=color, linewidth=1.8, label=label)

    density_ax.set_xlim(grid[0], grid[-1])
    density_ax.set_ylim(*_density_ylim(densities))
    density_ax.set_xlabel("w")
    density_ax.set_ylabel("density p(w)")
    density_ax.set_title("prior")
    penalty_ax.set_xlim(grid[0], grid[-1])
    penalty_ax.set_ylim(*_penalty_ylim(penalties))
    penalty_ax.set_xlabel("w")
    penalty_ax.set_ylabel("penalty −log p(w) + const")
    penalty_ax.set_title("penalty = −log prior")
    for axes in (density_ax, penalty_ax):
        axes.axvline(0.0, color="0.85", linewidth=0.8, zorder=0)
        axes.axhline(0.0, color="0.85", linewidth=0.8, zorder=0)
    density_ax.legend(loc="upper right", fontsize="small", framealpha=0.9)

    poles = [i for i, row in enumerate(densities) if np.isposinf(row).any()]
    for i in poles:
        density_ax.annotate(
            "p(0) = ∞",
            xy=(0.0, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(-5, -12),
            textcoords="offset points",
            ha="right",
            color=colors[i],
            fontsize="small",
        )
    kinked = [label for label, p in zip(labels, prior_list, strict=True) if has_kink_at_zero(p)]
    if kinked and grid[0] <= 0.0 <= grid[-1]:
        penalty_ax.annotate(
            "a kink at w = 0 gives exact zeros in the MAP",
            xy=(0.0, 0.0),
            xytext=(0, -16),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize="small",
            arrowprops={"arrowstyle": "->", "color": "0.3", "linewidth": 0.8},
        )
    return PriorPenaltyPlot(
        axes=(density_ax, penalty_ax),
        w=grid,
        labels=labels,
        densities=densities,
        penalties=penalties,
        offsets=offsets,
        kinked=kinked,
        colors=colors,
    )


def _color_cycle() -> list[str]:
    import matplotlib as mpl

    colors = mpl.rcParams["axes.prop_cycle"].by_key().get("color")
    return list(colors) if colors else [f"C{i}" for i in range(10)]
