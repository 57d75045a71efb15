"""The constraint picture and the posterior, in the plane of two coefficients.

Two pictures of one fitted two-feature model:

* :func:`plot_constraint`: the classic diamond-and-circle figure, computed from the fit.
  The penalized problem ``min L(w) + alpha P(w)`` and the constrained problem
  ``min L(w) s.t. P(w) <= P(w_alpha)`` have the same solution ``w_alpha``, and the
  Lagrange multiplier of the constraint is ``alpha``; the loss contour through the MAP
  touches the region at the MAP.
* :func:`plot_posterior_plane`: the exact marginal posterior density of the two weights
  under the noise-scaled prior that ``sample_posterior`` samples (intercept and noise
  integrated out), with the MAP marked: a lasso MAP sits on a corner (a weight exactly
  0), while the posterior puts no mass on the axis.

:func:`bayesreg.marginal_posterior.coef_marginal_log_density` computes that density.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import xarray as xr
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from numpy.typing import ArrayLike
from scipy.special import logsumexp
from sklearn.utils.validation import check_is_fitted

from bayesreg.estimators import ElasticNet, Lasso, Ridge
from bayesreg.marginal_posterior import closed_form_rate, coef_marginal_log_density
from bayesreg.model import RegressionData
from bayesreg.plotting._common import SAMPLE_DIMS, coef_draws, new_axes, real_array
from bayesreg.priors import Prior

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "ConstraintPlot",
    "PosteriorPlanePlot",
    "plot_constraint",
    "plot_posterior_plane",
]

# Colours are passed to each artist: the module never touches matplotlib's rcParams.
_REGION_COLOR = "#4C72B0"
_LOSS_COLOR = "0.55"
_MAP_CONTOUR_COLOR = "#DD8452"
_MAP_COLOR = "#C44E52"
_HDR_COLORS = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
_DRAW_COLOR = "0.25"
_BOUNDARY_POINTS = 721  # points on a smooth boundary or ellipse (every half degree)


# -- the fitted two-feature problem ---------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class _PlaneProblem:
    """A fitted estimator's objective in scikit-learn's scaling, on its own data.

    ``J(w) = L(w) + alpha pen(w)`` with ``L(w) = (scale / 2) ||y~ - X~ w||^2`` (``scale``
    is ``1 / n`` for the lasso and elastic net, ``2`` for ridge) and
    ``pen(w) = c1 ||w||_1 + c2 ||w||_2^2``.
    """

    data: RegressionData
    prior: Prior
    kind: Literal["lasso", "ridge", "elastic-net"]
    alpha: float
    l1_ratio: float
    scale: float
    c1: float
    c2: float
    coef: np.ndarray
    names: list[str]
    X_t: np.ndarray
    y_t: np.ndarray

    @property
    def gram(self) -> np.ndarray:
        return self.X_t.T @ self.X_t

    def loss(self, w: np.ndarray) -> float:
        residual = self.y_t - self.X_t @ w
        return 0.5 * self.scale * float(residual @ residual)

    def loss_gradient(self, w: np.ndarray) -> np.ndarray:
        return -self.scale * (self.X_t.T @ (self.y_t - self.X_t @ w))

    def penalty(self, w: np.ndarray) -> float:
        return self.c1 * float(np.sum(np.abs(w))) + self.c2 * float(w @ w)


def _plane_problem(
    estimator, X, y, sample_weight, feature_names, *, allow_zero_map: bool = False
) -> _PlaneProblem:
    """Validate the estimator and the data, in numpy, and set up the plane's objective."""
    if not isinstance(estimator, (Lasso, Ridge, ElasticNet)):
        raise TypeError(
            "estimator must be a fitted bayesreg.Lasso, bayesreg.Ridge or bayesreg.ElasticNet "
            f"(or their CV versions), got {type(estimator).__name__}."
        )
    check_is_fitted(estimator, "coef_")
    if estimator.n_features_in_ != 2:
        raise ValueError(
            f"the estimator was fitted on {estimator.n_features_in_} features; this picture "
            "is of the plane of exactly 2 weights: fit it on two columns of X."
        )
    if getattr(estimator, "positive", False):
        raise ValueError(
            "positive=True is not supported: the sign constraint cuts the region to a "
            "quadrant. Refit with positive=False."
        )
    if getattr(estimator, "penalty_factor", None) is not None:
        raise ValueError(
            "penalty_factor is not supported: the region would be a weighted ball. Refit "
            "with penalty_factor=None."
        )
    if np.ndim(X) != 2 or np.shape(X)[1] != 2:
        raise ValueError(
            f"X must have shape (n_samples, 2), the two columns the estimator was fitted "
            f"on; got shape {np.shape(X)}."
        )
    data = estimator._validated_data(X, y, sample_weight, reset=False)
    X_t, y_t = data.centered()

    if isinstance(estimator, Ridge):
        kind, l1_ratio = "ridge", 0.0
    elif isinstance(estimator, Lasso):
        kind, l1_ratio = "lasso", 1.0
    else:
        kind = "elastic-net"
        l1_ratio = float(getattr(estimator, "l1_ratio_", estimator.l1_ratio))
    alpha = float(estimator.alpha_ if hasattr(estimator, "alpha_") else estimator.alpha)
    if kind == "ridge":
        c1, c2 = 0.0, 1.0
    elif kind == "lasso":
        c1, c2 = 1.0, 0.0
    else:
        c1, c2 = l1_ratio, 0.5 * (1.0 - l1_ratio)

    problem = _PlaneProblem(
        data=data,
        prior=estimator._prior(data),
        kind=kind,
        alpha=alpha,
        l1_ratio=l1_ratio,
        scale=float(estimator._objective_scale(data.n_samples)),
        c1=c1,
        c2=c2,
        coef=np.array(estimator.coef_, dtype=np.float64),
        names=_feature_names(estimator, X, feature_names),
        X_t=X_t,
        y_t=y_t,
    )
    if not allow_zero_map and not np.any(problem.coef != 0):
        raise ValueError(
            f"the MAP is all zeros (alpha = {alpha:g} is at least alpha_max): the "
            "constraint region is the single point 0 and every larger alpha gives the "
            "same picture. Choose a smaller alpha."
        )
    _check_optimal(estimator, problem)
    return problem


def _is_integer(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _feature_names(estimator, X, feature_names) -> list[str]:
    if feature_names is not None:
        if isinstance(feature_names, str) or len(feature_names) != 2:
            raise ValueError(
                f"feature_names must be a sequence of 2 labels, got {feature_names!r}."
            )
        return [str(name) for name in feature_names]
    columns = getattr(X, "columns", None)
    if columns is not None:
        return [str(name) for name in columns]
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        return [str(name) for name in names]
    return ["w1", "w2"]


def _subgradient_distance(problem: _PlaneProblem, w: np.ndarray) -> np.ndarray:
    """``dist(-grad L(w), alpha d pen(w))`` per weight: 0 exactly at the optimum."""
    minus_grad = -problem.loss_gradient(w)
    smooth = problem.alpha * 2.0 * problem.c2 * w
    box = problem.alpha * problem.c1
    on_axis = np.maximum(np.abs(minus_grad) - box, 0.0)
    off_axis = np.abs(minus_grad - box * np.sign(w) - smooth)
    return np.where(w == 0, on_axis, off_axis)


def _check_optimal(estimator, problem: _PlaneProblem) -> None:
    """``coef_`` must solve the objective on the given data (else X, y are not the fit's)."""
    violation = float(np.max(_subgradient_distance(problem, problem.coef)))
    reference = problem.scale * float(np.max(np.abs(problem.X_t.T @ problem.y_t)))
    relative = violation / reference if reference > 0 else violation
    certificate = getattr(getattr(estimator, "map_", None), "certificate", None)
    fitted = 0.0 if certificate is None else float(certificate.kkt_violation)
    if not relative <= max(1e-6, 10.0 * fitted):
        raise ValueError(
            f"estimator.coef_ does not minimise the estimator's objective on this X, y "
            f"(relative KKT violation {relative:.1e}): pass the X, y (and sample_weight) "
            "it was fitted on."
        )


def _least_squares(problem: _PlaneProblem) -> np.ndarray:
    """The unpenalised minimiser of ``L``; refuses (nearly) collinear columns."""
    eigenvalues = np.linalg.eigvalsh(problem.gram)
    if not eigenvalues[0] > 1e-12 * eigenvalues[-1]:
        raise ValueError(
            "the two centred columns of X are (nearly) collinear: the least-squares loss "
            "has no unique minimum and its contours are not ellipses. Pick two features "
            "that are not proportional."
        )
    return np.linalg.solve(problem.gram, problem.X_t.T @ problem.y_t)


def _multiplier(problem: _PlaneProblem) -> float:
    """The multiplier ``mu`` of ``pen(w) <= t`` from stationarity on the active set."""
    w = problem.coef
    active = w != 0
    direction = problem.c1 * np.sign(w[active]) + 2.0 * problem.c2 * w[active]
    minus_grad = -problem.loss_gradient(w)[active]
    norm2 = float(direction @ direction)
    return float(direction @ minus_grad) / norm2 if norm2 > 0 else 0.0


def _budget(problem: _PlaneProblem) -> float:
    if problem.kind == "lasso":
        return float(np.linalg.norm(problem.coef, 1))
    if problem.kind == "ridge":
        return float(np.linalg.norm(problem.coef, 2))
    return problem.penalty(problem.coef)


def _region_boundary(c1: float, c2: float, level: float) -> np.ndarray:
    """Closed boundary ``{w : c1 ||w||_1 + c2 ||w||^2 = level}`` as (m, 2) points.

    In the direction ``u(theta)`` the radius solves ``c2 r^2 + c1 a r = level`` with
    ``a = |cos theta| + |sin theta|``; for ``c2 = 0`` the boundary is the diamond through
    its four vertices, exactly.
    """
    if c2 == 0:
        t = level / c1
        return np.array([[t, 0.0], [0.0, t], [-t, 0.0], [0.0, -t], [t, 0.0]])
    theta = np.linspace(0.0, 2.0 * np.pi, _BOUNDARY_POINTS)
    cos, sin = np.cos(theta), np.sin(theta)
    a = np.abs(cos) + np.abs(sin)
    # The root written as 2 level / (c1 a + sqrt(...)) stays accurate when c2 is small.
    radius = 2.0 * level / (c1 * a + np.sqrt((c1 * a) ** 2 + 4.0 * c2 * level))
    return np.column_stack([radius * cos, radius * sin])


def _ellipse(center: np.ndarray, gram: np.ndarray, radius: float) -> np.ndarray:
    """``{w : (w - center)' G (w - center) = radius^2}`` as (m, 2) points."""
    eigenvalues, vectors = np.linalg.eigh(gram)
    theta = np.linspace(0.0, 2.0 * np.pi, _BOUNDARY_POINTS)
    circle = np.column_stack([np.cos(theta), np.sin(theta)])
    return center + radius * (circle / np.sqrt(eigenvalues)) @ vectors.T


def _budget_text(problem: _PlaneProblem, budget: float) -> str:
    if problem.kind == "lasso":
        norm = r"\|w\|_1"
    elif problem.kind == "ridge":
        norm = r"\|w\|_2"
    else:
        rho = f"{problem.l1_ratio:.3g}"
        norm = rf"{rho}\,\|w\|_1 + \frac{{1 - {rho}}}{{2}}\|w\|_2^2"
    return rf"$\alpha = {problem.alpha:.4g} \;\Leftrightarrow\; t = {norm} = {budget:.4g}$"


def _axis_labels(ax, names: list[str]) -> None:
    default = names == ["w1", "w2"]
    ax.set_xlabel(names[0] if default else f"coefficient of {names[0]}")
    ax.set_ylabel(names[1] if default else f"coefficient of {names[1]}")


def _constraint_view(
    coef: np.ndarray, ols: np.ndarray | None, region: np.ndarray
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Square limits around the origin, the region, the MAP and the least-squares point."""
    shown = [np.zeros((1, 2)), region, coef[None, :]]
    if ols is not None:
        shown.append(ols[None, :])
    points = np.vstack(shown)
    low, high = points.min(axis=0), points.max(axis=0)
    centre = 0.5 * (low + high)
    half = 0.56 * float(np.max(high - low))
    xlim = (float(centre[0] - half), float(centre[0] + half))
    ylim = (float(centre[1] - 1.65 * half), float(centre[1] + half))
    return xlim, ylim


def _contour_radii(
    k: int, map_radius: float, ols: np.ndarray, gram: np.ndarray, xlim, ylim
) -> np.ndarray:
    """``k`` radii between the least-squares point and the MAP contour, equally spaced,
    continued outwards at the same spacing (at most ``k`` more) while the ellipses still
    cross the view."""
    if k == 0:
        return np.empty(0)
    reference = map_radius
    origin_radius = math.sqrt(float(ols @ gram @ ols))
    if not reference > 1e-6 * origin_radius:
        # alpha = 0: the MAP is the least-squares point; space by the origin's contour.
        reference = origin_radius
    step = reference / (k + 1)
    radii = [step * j for j in range(1, k + 1)]
    # Outwards from the MAP contour, which is drawn on its own; at alpha = 0 the
    # reference (the origin's contour) is one of these.
    radius = reference if reference != map_radius else reference + step
    for _ in range(k):
        points = _ellipse(ols, gram, radius)
        inside = (
            (points[:, 0] > xlim[0])
            & (points[:, 0] < xlim[1])
            & (points[:, 1] > ylim[0])
            & (points[:, 1] < ylim[1])
        )
        if not inside.any():
            break
        radii.append(radius)
        radius += step
    return np.asarray(radii)


# -- the constraint picture ------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class ConstraintPlot:
    """What :func:`plot_constraint` drew.

    Attributes
    ----------
    ax : matplotlib.axes.Axes
    kind : {"lasso", "ridge", "elastic-net"}
    feature_names : list of str
        The two weights' labels (x axis first).
    coef_map : ndarray of shape (2,)
        The tangent point: a copy of ``estimator.coef_``.
    ols : ndarray of shape (2,)
        The unpenalised least-squares weights (the centre of the loss ellipses).
    alpha : float
        The estimator's penalty strength.
    l1_ratio : float
        1 for the lasso, 0 for ridge, the estimator's for the elastic net.
    budget : float
        ``t``: ``||coef_||_1`` (lasso), ``||coef_||_2`` (ridge, the circle's radius), or
        ``rho ||coef_||_1 + (1 - rho) / 2 ||coef_||_2^2`` (elastic net).
    penalty_level : float
        ``pen(coef_)``, the level of the penalty whose constraint has multiplier
        ``alpha``: ``t`` for the lasso and the elastic net, ``t^2`` for ridge.
    multiplier : float
        The Lagrange multiplier of ``pen(w) <= penalty_level`` recovered from the KKT
        conditions at ``coef_``; equals ``alpha``.
    loss_at_map : float
        ``L(coef_)``, the level of the loss contour through the tangent point.
    loss_at_ols : float
        ``L(ols)``, the smallest value of the loss.
    levels : ndarray
        Levels of the other loss contours drawn.
    contours : list of ndarray of shape (m, 2)
        Their points (exact ellipses).
    map_contour : ndarray of shape (m, 2)
        Points of the contour ``L(w) = loss_at_map``.
    region : ndarray of shape (m, 2)
        Closed boundary of the region ``pen(w) <= penalty_level``.
    xlim, ylim : tuple of float
        The axes limits: they hold the origin, ``ols``, ``coef_map`` and the region.
    """

    ax: Axes
    kind: str
    feature_names: list[str]
    coef_map: np.ndarray
    ols: np.ndarray
    alpha: float
    l1_ratio: float
    budget: float
    penalty_level: float
    multiplier: float
    loss_at_map: float
    loss_at_ols: float
    levels: np.ndarray
    contours: list[np.ndarray]
    map_contour: np.ndarray
    region: np.ndarray
    xlim: tuple[float, float]
    ylim: tuple[float, float]


def plot_constraint(
    estimator,
    X: ArrayLike,
    y: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    ax: Axes | None = None,
    levels: int | ArrayLike = 3,
    show_ols: bool = True,
    feature_names: Sequence[str] | None = None,
) -> ConstraintPlot:
    r"""Draw the loss ellipses, the L1 diamond or L2 circle, and their tangent point, from a fit.

    For an estimator fitted on two features, in the plane of the weights
    ``(w_1, w_2)`` with the intercept profiled out: contours of the data-fit term ``L``,
    the least-squares point, the constraint region whose boundary passes through the
    MAP, the loss contour through the MAP (it touches the region there), and the MAP
    itself, ``estimator.coef_``, as the tangent point.

    Parameters
    ----------
    estimator : bayesreg.Lasso, bayesreg.Ridge or bayesreg.ElasticNet
        Fitted on exactly two features (CV versions too: their ``alpha_`` is used), with
        ``positive=False`` and no ``penalty_factor``.
    X : array-like of shape (n_samples, 2)
    y : array-like of shape (n_samples,)
        The data the estimator was fitted on.  Only the number of columns and the
        optimality of ``coef_`` on these data can be checked (a ``coef_`` that violates
        the KKT conditions here raises), so pass the fitting data.
    sample_weight : array-like of shape (n_samples,), optional
        The weights the estimator was fitted with, if any.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; None creates a new figure.
    levels : int or array-like, default 3
        An integer ``k``: ``k`` loss contours between the least-squares point and the
        contour through the MAP, at equally spaced ellipse radii (in the metric of
        ``X~'X~``), continued outwards at the same spacing (at most ``k`` more) while
        they cross the view.
        An array: the loss values of the contours, each >= the least-squares loss.  The
        contour through the MAP is always drawn, highlighted.
    show_ols : bool, default True
        Mark the least-squares point (the ellipses' centre).
    feature_names : sequence of 2 str, optional
        Axis labels; default the columns of a DataFrame ``X``, then the estimator's
        ``feature_names_in_``, then ``"w1", "w2"``.

    Returns
    -------
    ConstraintPlot
        The axes and every number drawn.

    Raises
    ------
    TypeError
        If ``estimator`` is not one of the supported estimators.
    sklearn.exceptions.NotFittedError
        If it is not fitted.
    ValueError
        If it was fitted on other than two features, with ``positive=True`` or a
        ``penalty_factor``; if ``X`` does not have its two columns; if ``coef_`` does not
        solve the objective on ``X, y``; if the MAP is all zeros (``alpha >=
        alpha_max``: the region is a point); if the two columns are collinear; on bad
        ``levels`` or ``feature_names``.

    Notes
    -----
    With ``X~, y~`` the centred (and weighted) data, scikit-learn's objectives are
    ``J(w) = L(w) + alpha pen(w)`` with

    * lasso: ``L(w) = (1 / 2n) ||y~ - X~ w||^2``, ``pen(w) = ||w||_1``;
    * ridge: ``L(w) = ||y~ - X~ w||^2``, ``pen(w) = ||w||_2^2``;
    * elastic net: ``L`` as the lasso's, ``pen(w) = rho ||w||_1 + (1 - rho)/2 ||w||_2^2``.

    **Lagrange duality.**  Let ``w_alpha = argmin J`` and ``s = pen(w_alpha)``.  For any
    ``w`` with ``pen(w) <= s``, ``L(w) >= L(w) + alpha (pen(w) - s) >= J(w_alpha) -
    alpha s = L(w_alpha)``, so ``w_alpha`` also solves ``min L(w) s.t. pen(w) <= s``, and
    ``alpha`` is a multiplier of that constraint.  The region is drawn as the ball of
    radius ``t = ||w_alpha||_1`` (diamond), ``t = ||w_alpha||_2`` (circle, ``s = t^2``)
    or the elastic-net ball ``pen(w) <= t = s``.

    **The multiplier from the KKT conditions.**  Stationarity of the Lagrangian,
    ``-grad L(w) in mu d pen(w)``, with ``grad L(w) = -scale X~'(y~ - X~ w)`` (``scale``
    ``1/n`` or ``2``), holds on the active set ``A = {j : w_j != 0}`` as the equations
    ``-grad_j L = mu g_j`` with ``g_j = c1 sign(w_j) + 2 c2 w_j`` (``pen = c1 ||w||_1 +
    c2 ||w||^2``).  The returned multiplier is their least-squares solution
    ``mu = <-grad_A L, g_A> / ||g_A||^2``: for the lasso the mean of
    ``|X~_j'(y~ - X~ w)| / n`` over the active weights, which equals ``alpha``; for ridge
    ``-grad L = 2 mu w``, i.e. ``X~'(y~ - X~ w) = mu w``, with ``mu = alpha``.

    **Contours.**  ``L(w) = L(w_ols) + (scale / 2) (w - w_ols)' X~'X~ (w - w_ols)``, so
    every contour is an ellipse centred at ``w_ols``, drawn exactly (not from a grid).

    Examples
    --------
    >>> import bayesreg
    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> X2 = X[["bmi", "s5"]]
    >>> drawn = plot_constraint(bayesreg.Lasso(alpha=0.5).fit(X2, y), X2, y)  # doctest: +SKIP
    >>> round(drawn.multiplier, 8)  # doctest: +SKIP
    0.5
    """
    problem = _plane_problem(estimator, X, y, sample_weight, feature_names)
    ols = _least_squares(problem)
    gram = problem.gram
    coef = problem.coef
    loss_at_map = problem.loss(coef)
    loss_at_ols = problem.loss(ols)
    budget = _budget(problem)
    penalty_level = problem.penalty(coef)
    multiplier = _multiplier(problem)
    region = _region_boundary(problem.c1, problem.c2, penalty_level)

    xlim, ylim = _constraint_view(coef, ols if show_ols else None, region)

    # Ellipse radius in the metric G = X~'X~: L(w) - L(ols) = (scale / 2) rho^2.  rho of
    # the MAP contour is computed from w - ols, not from L(w) - L(ols), which cancels.
    map_offset = coef - ols
    map_radius = math.sqrt(float(map_offset @ gram @ map_offset))
    if _is_integer(levels):
        if levels < 0:
            raise ValueError(f"levels must be an integer >= 0 or an array, got {levels!r}.")
        radii = _contour_radii(int(levels), map_radius, ols, gram, xlim, ylim)
        level_values = loss_at_ols + 0.5 * problem.scale * radii**2
    else:
        level_values = np.atleast_1d(real_array(levels, "levels"))
        if level_values.ndim != 1 or not np.all(np.isfinite(level_values)):
            raise ValueError(f"levels must be an integer or a 1-D array of losses, got {levels!r}.")
        if np.any(level_values < loss_at_ols):
            raise ValueError(
                f"every level must be >= the least-squares loss {loss_at_ols:.6g}; got "
                f"{level_values.min():.6g}."
            )
        radii = np.sqrt(2.0 * (level_values - loss_at_ols) / problem.scale)
    contours = [_ellipse(ols, gram, float(r)) for r in radii]
    map_contour = _ellipse(ols, gram, map_radius)

    ax = new_axes(ax, figsize=(6.0, 6.0))
    ax.axhline(0.0, color="0.85", linewidth=0.8, zorder=0)
    ax.axvline(0.0, color="0.85", linewidth=0.8, zorder=0)
    for index, points in enumerate(contours):
        ax.plot(
            points[:, 0],
            points[:, 1],
            color=_LOSS_COLOR,
            linewidth=0.8,
            zorder=1,
            label="loss contours" if index == 0 else None,
        )
    region_name = {
        "lasso": r"L1 ball $\|w\|_1 \leq t$",
        "ridge": r"L2 ball $\|w\|_2 \leq t$",
        "elastic-net": "elastic-net ball pen(w) ≤ t",
    }
    ax.fill(
        region[:, 0],
        region[:, 1],
        facecolor=_REGION_COLOR,
        alpha=0.25,
        edgecolor="none",
        zorder=2,
    )
    ax.plot(
        region[:, 0],
        region[:, 1],
        color=_REGION_COLOR,
        linewidth=2.0,
        zorder=3,
        label=region_name[problem.kind],
    )
    ax.plot(
        map_contour[:, 0],
        map_contour[:, 1],
        color=_MAP_CONTOUR_COLOR,
        linewidth=2.0,
        zorder=3,
        label="loss contour through the MAP",
    )
    if show_ols:
        ax.plot(
            [ols[0]],
            [ols[1]],
            linestyle="none",
            marker="X",
            markersize=10,
            color="black",
            zorder=4,
            label="least squares (alpha = 0)",
        )
    ax.plot(
        [coef[0]],
        [coef[1]],
        linestyle="none",
        marker="o",
        markersize=12,
        markerfacecolor=_MAP_COLOR,
        markeredgecolor="white",
        markeredgewidth=1.5,
        zorder=5,
        label="MAP = tangent point (coef_)",
    )
    _axis_labels(ax, problem.names)

    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="box")
    # The legend, titled with the alpha <-> t annotation, fills the empty band that
    # _constraint_view leaves below the data.
    title = _budget_text(problem, budget) + rf",   KKT multiplier $\mu = {multiplier:.6g}$"
    ax.legend(
        loc="lower center",
        ncols=2,
        fontsize="small",
        title=title,
        title_fontsize="medium",
        framealpha=0.95,
    )
    return ConstraintPlot(
        ax=ax,
        kind=problem.kind,
        feature_names=problem.names,
        coef_map=coef,
        ols=ols,
        alpha=problem.alpha,
        l1_ratio=problem.l1_ratio,
        budget=budget,
        penalty_level=penalty_level,
        multiplier=multiplier,
        loss_at_map=loss_at_map,
        loss_at_ols=loss_at_ols,
        levels=level_values,
        contours=contours,
        map_contour=map_contour,
        region=region,
        xlim=tuple(float(v) for v in ax.get_xlim()),
        ylim=tuple(float(v) for v in ax.get_ylim()),
    )


# -- the posterior plane ---------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class PosteriorPlanePlot:
    """What :func:`plot_posterior_plane` drew.

    Attributes
    ----------
    ax : matplotlib.axes.Axes
    feature_names : list of str
    grid_x, grid_y : ndarray of shape (grid_size,)
        Cell centres along each weight.
    density : ndarray of shape (grid_size, grid_size)
        ``p(w | y)`` at ``(grid_x[i], grid_y[j])`` stored at ``[j, i]``, normalised so
        that ``density.sum() * cell_area == 1``.
    cell_area : float
    method : str
        ``"closed-form"`` or ``"quadrature"``.
    coef_map : ndarray of shape (2,)
        ``estimator.coef_``.
    grid_mode : ndarray of shape (2,)
        The grid point of largest density.
    posterior_mean : ndarray of shape (2,)
        ``sum w p(w) / sum p(w)`` over the grid.
    posterior_median : ndarray of shape (2,)
        Medians of the two marginals (CDF linear across each cell).
    prob_positive : ndarray of shape (2,)
        ``P(w_j > 0 | y)`` from the grid marginals (CDF linear across each cell): a
        weight exactly 0 has probability 0.
    hdr_probs : ndarray
        The requested probabilities, descending.
    hdr_levels : ndarray
        Density levels whose superlevel sets ``{p >= level}`` hold ``hdr_probs`` of the
        grid mass (the first level where the cumulative mass of the sorted cells
        reaches the probability).
    hdr_masses : ndarray
        The grid mass of each superlevel set (>= the probability, by at most one cell).
    draws : ndarray of shape (n_draws, 2) or None
        The posterior draws scattered, when given.
    region : ndarray of shape (m, 2) or None
        The constraint region's boundary, when drawn.
    """

    ax: Axes
    feature_names: list[str]
    grid_x: np.ndarray
    grid_y: np.ndarray
    density: np.ndarray
    cell_area: float
    method: str
    coef_map: np.ndarray
    grid_mode: np.ndarray
    posterior_mean: np.ndarray
    posterior_median: np.ndarray
    prob_positive: np.ndarray
    hdr_probs: np.ndarray
    hdr_levels: np.ndarray
    hdr_masses: np.ndarray
    draws: np.ndarray | None
    region: np.ndarray | None


def _default_extent(problem: _PlaneProblem, log_density) -> np.ndarray:
    """A box holding all but a negligible part of the posterior.

    A coarse pass over the MAP +- 10 standard deviations of the flat-prior posterior
    (the t with scale ``RSS_ols / (n' - p) (X~'X~)^{-1}``, at least as wide as the
    posterior with a shrinking prior), then the box of the coarse cells with a density
    above ``1e-5`` of the largest, widened by one coarse cell and made square.
    """
    gram = problem.gram
    dof = problem.data.n_residual_dof
    w0 = np.linalg.lstsq(problem.X_t, problem.y_t, rcond=None)[0]
    r0 = problem.y_t - problem.X_t @ w0
    spread = float(r0 @ r0) / max(dof - 2, 1)
    sd = np.sqrt(spread * np.diag(np.linalg.pinv(gram)))
    sd = np.where(sd > 0, sd, 1.0)
    coarse = 81
    axes = [
        np.linspace(c - 10 * s, c + 10 * s, coarse) for c, s in zip(problem.coef, sd, strict=True)
    ]
    mesh = np.stack(np.meshgrid(*axes), axis=-1)
    log_p = log_density(mesh)
    keep = log_p >= log_p.max() + math.log(1e-5)
    step = np.array([a[1] - a[0] for a in axes])
    xs, ys = mesh[..., 0][keep], mesh[..., 1][keep]
    low = np.array([xs.min(), ys.min()]) - step
    high = np.array([xs.max(), ys.max()]) + step
    # A square box: with equal aspect the axes are square and the legend has room.
    centre, half = 0.5 * (low + high), 0.5 * float(np.max(high - low))
    return np.array([centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half])


def _hdr_levels(density: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Levels whose superlevel sets hold at least ``probs`` of the grid mass."""
    values = np.sort(density.ravel())[::-1]
    mass = np.cumsum(values) / values.sum()
    index = np.minimum(np.searchsorted(mass, probs), values.size - 1)
    levels = values[index]
    masses = np.array([density[density >= level].sum() / density.sum() for level in levels])
    return levels, masses


def _marginal_cdf(axis_values: np.ndarray, marginal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell edges and the CDF there, of a marginal given as masses of cells at centres.

    Between edges the CDF is linear (the mass spread evenly over its cell), which also
    splits fairly the cell that straddles a kink of the density such as ``w_j = 0``.
    """
    step = axis_values[1] - axis_values[0]
    edges = np.concatenate([[axis_values[0] - step / 2], axis_values + step / 2])
    cdf = np.concatenate([[0.0], np.cumsum(marginal) / marginal.sum()])
    return edges, cdf


def _checked_draws(posterior, problem: _PlaneProblem, estimator) -> np.ndarray:
    draws, feature_dim = coef_draws(posterior, "coef")
    if draws.sizes[feature_dim] != 2:
        raise ValueError(
            f"the posterior's coef has {draws.sizes[feature_dim]} features; this plane "
            "needs the 2 of the estimator: pass estimator.sample_posterior(X, y)."
        )
    if feature_dim in draws.coords:
        labels = [str(v) for v in draws.coords[feature_dim].values]
        expected = list(estimator.feature_names_)
        if labels != expected:
            raise ValueError(
                f"the posterior's features {labels} are not the estimator's {expected}: "
                "pass the tree returned by estimator.sample_posterior(X, y)."
            )
    return draws.transpose(*SAMPLE_DIMS, feature_dim).to_numpy().reshape(-1, 2)


def plot_posterior_plane(
    estimator,
    X: ArrayLike,
    y: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    posterior: xr.DataTree | xr.Dataset | xr.DataArray | None = None,
    ax: Axes | None = None,
    grid_size: int = 200,
    hdi_probs: Sequence[float] = (0.5, 0.9),
    extent: ArrayLike | None = None,
    show_constraint: bool = True,
    method: Literal["auto", "closed-form", "quadrature"] = "auto",
    feature_names: Sequence[str] | None = None,
) -> PosteriorPlanePlot:
    r"""Draw the exact posterior density of two weights, its highest-density regions and the MAP.

    The density is that of the model :meth:`~bayesreg.Lasso.sample_posterior` samples,
    with the intercept and the noise scale integrated out exactly
    (:func:`~bayesreg.marginal_posterior.coef_marginal_log_density`), on a
    ``grid_size x grid_size`` grid.  Filled
    contours show the highest-density regions (HDRs) at ``hdi_probs``; the MAP
    (``estimator.coef_``) is marked with the posterior mean and, optionally, posterior
    draws and the constraint region through the MAP.  A lasso MAP on a corner
    (``w_j = 0`` exactly) is the densest point, yet the posterior gives the axis
    ``w_j = 0`` no mass and its mean is off the axis.

    Parameters
    ----------
    estimator : bayesreg.Lasso, bayesreg.Ridge or bayesreg.ElasticNet
        Fitted on exactly two features, as for :func:`plot_constraint`.
    X, y, sample_weight
        The data it was fitted on (see :func:`plot_constraint`).
    posterior : xarray.DataTree, Dataset or DataArray, optional
        Draws of ``coef`` (e.g. ``estimator.sample_posterior(X, y)``), scattered lightly.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; None creates a new figure.
    grid_size : int, default 200
        Grid points per axis (>= 20).
    hdi_probs : sequence of float, default (0.5, 0.9)
        Probabilities of the highest-density regions, each in (0, 1).
    extent : array-like of 4 floats, optional
        ``(x_min, x_max, y_min, y_max)`` of the grid; default a box that holds all but a
        negligible part of the posterior (density above 1e-5 of its maximum).
    show_constraint : bool, default True
        Outline the constraint region through the MAP (as in :func:`plot_constraint`).
    method : {"auto", "closed-form", "quadrature"}, default "auto"
        How the noise scale is integrated out
        (:func:`~bayesreg.marginal_posterior.coef_marginal_log_density`).
    feature_names : sequence of 2 str, optional
        Axis labels (see :func:`plot_constraint`).

    Returns
    -------
    PosteriorPlanePlot
        The axes, the normalised grid density and what was computed from it.

    Raises
    ------
    TypeError, sklearn.exceptions.NotFittedError, ValueError
        As for :func:`plot_constraint` (an all-zero MAP is allowed here); also on a bad
        ``grid_size``, ``hdi_probs`` or ``extent``, and on a ``posterior`` whose
        ``coef`` does not have the estimator's two features.

    Notes
    -----
    With ``Q(w) = RSS(w) / 2 + P_1(w)`` (``P_1`` the penalty at unit noise) the lasso
    and ridge posteriors are ``p(w | y) propto Q(w)^{-(n' + k p) / 2}`` (``k = 2`` and
    ``1``; see :func:`~bayesreg.marginal_posterior.coef_marginal_log_density`), a
    decreasing function of
    scikit-learn's objective: its superlevel sets are the objective's sublevel sets, its
    mode is the MAP, and the kink of ``|w_j|`` makes the mode sit on the axis while the
    density on the axis, a line, carries no mass.

    The grid moments are midpoint-rule integrals: ``E[w] = sum_cells w p / sum p``.
    """
    if not isinstance(method, str) or method not in ("auto", "closed-form", "quadrature"):
        raise ValueError(f'method must be "auto", "closed-form" or "quadrature", got {method!r}.')
    problem = _plane_problem(estimator, X, y, sample_weight, feature_names, allow_zero_map=True)
    if (
        isinstance(grid_size, bool)
        or not isinstance(grid_size, (int, np.integer))
        or grid_size < 20
    ):
        raise ValueError(f"grid_size must be an integer >= 20, got {grid_size!r}.")
    probs = real_array(hdi_probs, "hdi_probs").ravel()
    if probs.size == 0 or not np.all((probs > 0) & (probs < 1)):
        raise ValueError(f"hdi_probs must be probabilities in (0, 1), got {hdi_probs!r}.")
    probs = np.sort(probs)[::-1]
    draws = None if posterior is None else _checked_draws(posterior, problem, estimator)

    use_quadrature = method == "quadrature" or (
        method == "auto" and closed_form_rate(problem.prior) is None
    )
    used = "quadrature" if use_quadrature else "closed-form"

    def log_density(points):
        return coef_marginal_log_density(problem.data, problem.prior, points, method=used)

    if extent is None:
        box = _default_extent(problem, log_density)
    else:
        box = real_array(extent, "extent").ravel()
        if (
            box.shape != (4,)
            or not np.all(np.isfinite(box))
            or box[0] >= box[1]
            or box[2] >= box[3]
        ):
            raise ValueError(
                f"extent must be (x_min, x_max, y_min, y_max) with min < max, got {extent!r}."
            )
    grid_x = np.linspace(box[0], box[1], grid_size)
    grid_y = np.linspace(box[2], box[3], grid_size)
    mesh = np.stack(np.meshgrid(grid_x, grid_y), axis=-1)  # [j, i] = (x_i, y_j)
    log_p = log_density(mesh)
    cell_area = float((grid_x[1] - grid_x[0]) * (grid_y[1] - grid_y[0]))
    weights = np.exp(log_p - logsumexp(log_p))
    density = weights / cell_area

    mode_index = np.unravel_index(np.argmax(density), density.shape)
    grid_mode = mesh[mode_index]
    posterior_mean = np.einsum("ji,jid->d", weights, mesh)
    marginal_x, marginal_y = weights.sum(axis=0), weights.sum(axis=1)
    cdfs = [_marginal_cdf(grid_x, marginal_x), _marginal_cdf(grid_y, marginal_y)]
    posterior_median = np.array([np.interp(0.5, cdf, edges) for edges, cdf in cdfs])
    prob_positive = np.array([1.0 - np.interp(0.0, edges, cdf) for edges, cdf in cdfs])
    hdr_levels, hdr_masses = _hdr_levels(density, probs)

    ax = new_axes(ax, figsize=(6.0, 6.0))
    ax.axhline(0.0, color="0.6", linewidth=0.8, zorder=1)
    ax.axvline(0.0, color="0.6", linewidth=0.8, zorder=1)
    fill_levels = np.append(hdr_levels, density.max() * (1 + 1e-9))
    colors = _HDR_COLORS[: len(hdr_levels)] if len(hdr_levels) <= len(_HDR_COLORS) else None
    ax.contourf(
        grid_x,
        grid_y,
        density,
        levels=fill_levels,
        colors=colors,
        cmap=None if colors is not None else "Blues",
        zorder=0,
    )
    ax.contour(grid_x, grid_y, density, levels=hdr_levels, colors="#08306b", linewidths=0.8)
    handles = [
        Patch(facecolor=c, edgecolor="#08306b", label=f"{prob:.0%} highest-density region")
        for prob, c in zip(probs, _HDR_COLORS, strict=False)
    ]
    if draws is not None:
        ax.scatter(
            draws[:, 0],
            draws[:, 1],
            s=3,
            color=_DRAW_COLOR,
            alpha=0.3,
            linewidths=0,
            zorder=2,
            label="posterior draws",
        )
        # The legend's marker for the faint dots is drawn larger than the dots.
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=4,
                color=_DRAW_COLOR,
                alpha=0.6,
                label="posterior draws",
            )
        )
    region = None
    if show_constraint and np.any(problem.coef != 0):
        region = _region_boundary(problem.c1, problem.c2, problem.penalty(problem.coef))
        (line,) = ax.plot(
            region[:, 0],
            region[:, 1],
            color=_REGION_COLOR,
            linewidth=1.5,
            linestyle="--",
            zorder=3,
            label="constraint region through the MAP",
        )
        handles.append(line)
    (mean_marker,) = ax.plot(
        [posterior_mean[0]],
        [posterior_mean[1]],
        linestyle="none",
        marker="P",
        markersize=9,
        markerfacecolor="white",
        markeredgecolor="black",
        markeredgewidth=1.2,
        zorder=7,
        label="posterior mean",
    )
    (map_marker,) = ax.plot(
        [problem.coef[0]],
        [problem.coef[1]],
        linestyle="none",
        marker="o",
        markersize=13,
        markerfacecolor=_MAP_COLOR,
        markeredgecolor="white",
        markeredgewidth=1.5,
        zorder=6,
        label="MAP (coef_)",
    )
    handles += [map_marker, mean_marker]
    ax.set_xlim(grid_x[0], grid_x[-1])
    ax.set_ylim(grid_y[0], grid_y[-1])
    ax.set_aspect("equal", adjustable="box")
    _axis_labels(ax, problem.names)
    ax.legend(handles=handles, loc="best", fontsize="small", framealpha=0.9)
    return PosteriorPlanePlot(
        ax=ax,
        feature_names=problem.names,
        grid_x=grid_x,
        grid_y=grid_y,
        density=density,
        cell_area=cell_area,
        method=used,
        coef_map=problem.coef,
        grid_mode=grid_mode,
        posterior_mean=posterior_mean,
        posterior_median=posterior_median,
        prob_positive=prob_positive,
        hdr_probs=probs,
        hdr_levels=hdr_levels,
        hdr_masses=hdr_masses,
        draws=draws,
        region=region,
    )
