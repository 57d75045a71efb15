"""``L_p`` balls, the constraint sets of the bridge penalties, in two and three dimensions.

Minimising a loss subject to ``||w||_p <= t`` is the bridge-penalised fit
``loss + alpha ||w||_p^p`` for some ``alpha`` (a Lagrange multiplier).  The ball's shape
says what the fit does: corners on the axes (``p <= 1``) make solutions with exact
zeros likely; ``p < 1`` balls are not convex, so the problem can have local minima;
``p > 1`` balls are smooth and strictly convex, and shrink without zeroing.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from bayesreg.plotting._common import new_axes
from bayesreg.priors.base import check_positive

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "LpBalls3DPlot",
    "LpBallsPlot",
    "lp_norm",
    "lp_sphere_2d",
    "lp_sphere_3d",
    "plot_lp_balls",
    "plot_lp_balls_3d",
]

#: The powers of the documentation's pictures, each with a fixed colour of the property
#: cycle (C0 ... C5), shared with the bridge priors of
#: :func:`bayesreg.plotting.penalties.teaching_priors`.
STANDARD_POWERS = (0.5, 1.0, 2.0, 3.0, 4.0, math.inf)
#: The smallest power drawn: 3^(1/p) overflows float64 for p < 1/646, and below 0.01 the
#: ball is indistinguishable from the axes.
MIN_POWER = 0.01
#: Angles per quadrant of each 2-D boundary; even, so that the diagonal (the corner of
#: the p = inf square) is on the grid, as are the axes (the corners of the p <= 1 balls).
_N_QUADRANT = 500
#: Vertices along each edge of the six face grids of a 3-D surface (odd: the axes are on it).
_N_FACE_GRID = 33


def lp_norm(x: ArrayLike, p: float, axis: int = -1) -> np.ndarray:
    """``||x||_p = (sum_i |x_i|^p)^(1 / p)`` along ``axis``; ``max_i |x_i|`` for ``p = inf``.

    For ``p < 1`` this is not a norm (the triangle inequality fails), but its level sets
    are still the boundaries of the ``L_p`` balls.
    """
    x = np.abs(np.asarray(x, dtype=np.float64))
    if math.isinf(p):
        return x.max(axis=axis)
    return np.sum(x**p, axis=axis) ** (1.0 / p)


def _checked_powers(powers) -> tuple[float, ...]:
    values = (powers,) if isinstance(powers, Real) else powers
    if not isinstance(values, (Sequence, np.ndarray)) or isinstance(values, (str, bytes)):
        raise TypeError(
            f"powers must be a number or a sequence of numbers, e.g. (0.5, 1, 2, math.inf); "
            f"got {powers!r}."
        )
    checked = []
    for p in values:
        if isinstance(p, (bool, np.bool_)) or not isinstance(p, (Real, np.integer, np.floating)):
            raise TypeError(f"every power must be a real number, got {p!r}.")
        if not p > 0:  # also NaN
            raise ValueError(
                f"every power must be > 0 (math.inf for the max norm), got {p!r}; "
                "||w||_p is not defined for p <= 0."
            )
        if p < MIN_POWER:
            raise ValueError(
                f"every power must be at least {MIN_POWER:g}, got {p!r}: (|x_1|^p + ... + "
                "|x_d|^p)^(1/p) overflows float64 below it (the ball is then the union of "
                "the axes, drawn by no curve)."
            )
        checked.append(float(p))
    if not checked:
        raise ValueError("powers is empty; pass at least one power, e.g. (1, 2).")
    return tuple(checked)


def _power_label(p: float) -> str:
    return "p = ∞" if math.isinf(p) else f"p = {p:g}"


def _power_colors(powers: tuple[float, ...]) -> list[str]:
    import matplotlib as mpl

    cycle = mpl.rcParams["axes.prop_cycle"].by_key().get("color") or [f"C{i}" for i in range(10)]
    extra = len(STANDARD_POWERS)
    colors = []
    for p in powers:
        if p in STANDARD_POWERS:
            index = STANDARD_POWERS.index(p)
        else:
            index, extra = extra, extra + 1
        colors.append(cycle[index % len(cycle)])
    return colors


def lp_sphere_2d(p: float, radius: float = 1.0, n_quadrant: int = _N_QUADRANT) -> np.ndarray:
    """Closed boundary ``{x in R^2 : ||x||_p = radius}``, shape (4 n_quadrant + 1, 2).

    In polar form ``x(theta) = radius u / ||u||_p`` with ``u = (cos theta, sin theta)``:
    exact for every ``p`` (``||x||_p = radius`` up to rounding), including ``p = inf``.
    The first quadrant is computed with ``cos theta_i = sin(pi/2 - theta_i)`` so that it
    is exactly symmetric and ends exactly on the axes (``cos(pi/2)`` in floating point is
    6e-17, and ``(6e-17)^p`` is not negligible for small ``p``: the corner would be cut);
    the other quadrants are exact quarter turns of it.  The last point repeats the first.
    """
    k = np.arange(n_quadrant + 1)
    cos = np.sin(0.5 * np.pi * (n_quadrant - k) / n_quadrant)
    sin = np.sin(0.5 * np.pi * k / n_quadrant)
    directions = np.column_stack([cos, sin])
    quadrant = (radius * directions / lp_norm(directions, p)[:, None])[:-1]
    x, y = quadrant[:, 0], quadrant[:, 1]
    turns = [quadrant, np.column_stack([-y, x]), -quadrant, np.column_stack([y, -x])]
    return np.vstack([*turns, quadrant[:1]])


@dataclasses.dataclass(frozen=True, eq=False)
class LpBallsPlot:
    """What :func:`plot_lp_balls` drew.

    Attributes
    ----------
    ax : matplotlib.axes.Axes
        The axes drawn on.
    powers : tuple of float
        The powers, in drawing order.
    radius : float
        The radius ``t`` of every ball ``||x||_p <= t``.
    boundaries : tuple of ndarray of shape (n_points, 2)
        The closed boundary of each ball (last point = first point).
    chords : dict of float to ndarray of shape (2, 2)
        For each ``p < 1``: two boundary points whose chord leaves the ball, the proof
        drawn that the ball is not convex.  Its midpoint has ``||m||_p > radius``.
    colors : list of str
        The colour of each power.
    """

    ax: Axes
    powers: tuple[float, ...]
    radius: float
    boundaries: tuple[np.ndarray, ...]
    chords: dict[float, np.ndarray]
    colors: list[str]


def plot_lp_balls(
    powers: Sequence[float] = STANDARD_POWERS,
    *,
    radius: float = 1.0,
    ax: Axes | None = None,
) -> LpBallsPlot:
    """Draw the boundaries of the ``L_p`` balls ``{x in R^2 : ||x||_p <= radius}``.

    ``||x||_p = (|x_1|^p + |x_2|^p)^(1 / p)`` and ``||x||_inf = max(|x_1|, |x_2|)``: a
    star with concave sides for ``p < 1``, the lasso's diamond at ``p = 1``, the ridge's
    circle at ``p = 2``, a rounded square for larger ``p`` and the square at ``p = inf``.
    Each ``p < 1`` ball is shaded, and a dashed chord between two of its boundary points
    (the corner on the ``w_1`` axis and the point on the diagonal) passes outside it,
    with its midpoint marked: the ball is not convex.

    Parameters
    ----------
    powers : sequence of float, default (0.5, 1, 2, 3, 4, inf)
        Powers ``p > 0``; ``math.inf`` for the max norm.
    radius : float, default 1.0
        The radius, > 0.
    ax : matplotlib.axes.Axes, optional
        2-D axes to draw on; None creates a new figure.

    Returns
    -------
    LpBallsPlot
        The axes, the boundary points of every ball and the non-convexity chords.

    Raises
    ------
    TypeError
        If a power is not a real number, or ``ax`` is a 3-D axes.
    ValueError
        If a power is below 0.01 or NaN, ``powers`` is empty, or ``radius`` is not a
        finite number between 1.5e-154 and 1.3e154 (its square must be a float64).

    Examples
    --------
    >>> import math
    >>> from matplotlib.figure import Figure
    >>> drawn = plot_lp_balls((0.5, 1, 2, math.inf), ax=Figure().add_subplot())
    >>> sorted(drawn.chords)
    [0.5]
    """
    powers = _checked_powers(powers)
    check_positive("radius", radius, squared=True)
    radius = float(radius)
    if ax is not None and getattr(ax, "name", None) == "3d":
        raise TypeError("ax is a 3-D axes; plot_lp_balls draws in the plane (2-D axes).")
    ax = new_axes(ax, figsize=(6.6, 4.6))
    colors = _power_colors(powers)

    boundaries, chords = [], {}
    for p, color in zip(powers, colors, strict=True):
        points = lp_sphere_2d(p, radius)
        boundaries.append(points)
        ax.plot(points[:, 0], points[:, 1], color=color, linewidth=1.8, label=_power_label(p))
        if p < 1.0:
            ax.fill(points[:, 0], points[:, 1], color=color, alpha=0.12, linewidth=0)
            corner = np.array([radius, 0.0])
            diagonal = radius * np.full(2, 2.0 ** (-1.0 / p))  # ||(d, d)||_p = radius
            chord = np.stack([corner, diagonal])
            chords[p] = chord
            ax.plot(chord[:, 0], chord[:, 1], "--", color=color, linewidth=1.2)
            middle = chord.mean(axis=0)
            ax.plot(
                *middle,
                marker="o",
                markersize=5,
                markerfacecolor="white",
                markeredgecolor=color,
                linestyle="none",
                label=f"{_power_label(p)}: chord midpoint\noutside, not convex",
            )

    ax.axhline(0.0, color="0.85", linewidth=0.8, zorder=0)
    ax.axvline(0.0, color="0.85", linewidth=0.8, zorder=0)
    limit = 1.15 * radius  # every ball lies in the square: max_i |x_i| <= ||x||_p
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xlabel("w₁")
    ax.set_ylabel("w₂")
    ax.set_title("‖w‖ₚ = 1" if radius == 1.0 else f"‖w‖ₚ = {radius:g}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", frameon=False)
    return LpBallsPlot(
        ax=ax,
        powers=powers,
        radius=radius,
        boundaries=tuple(boundaries),
        chords=chords,
        colors=colors,
    )


def lp_sphere_3d(p: float, radius: float = 1.0, n: int = _N_FACE_GRID) -> np.ndarray:
    """The surface ``{x in R^3 : ||x||_p = radius}`` as six grids of vertices.

    The directions are the six faces of the cube ``[-1, 1]^3``, each on an ``n x n``
    equiangular grid (``c = (1, tan(pi s / 4), tan(pi t / 4))`` and its images, ``s, t``
    uniform in ``[-1, 1]``), and ``x = radius c / ||c||_p``: exact for every ``p``.  The
    cube's edges and the axes are on the grid, so the cube (``p = inf``) has sharp edges
    and the octahedron (``p = 1``) and the ``p < 1`` stars have their corners and edges.

    Returns
    -------
    ndarray of shape (6, n, n, 3)
        The vertices of each face's grid.
    """
    s = np.tan(0.25 * np.pi * np.linspace(-1.0, 1.0, n))
    a, b = np.meshgrid(s, s, indexing="ij")
    one = np.ones_like(a)
    faces = []
    for axis in range(3):
        for sign in (1.0, -1.0):
            coordinates = [a, b]
            coordinates.insert(axis, sign * one)
            faces.append(np.stack(coordinates, axis=-1))
    directions = np.stack(faces)
    return radius * directions / lp_norm(directions, p)[..., None]


def _quads(vertices: np.ndarray) -> np.ndarray:
    """The quadrilaterals of grids of vertices (..., n, n, 3): shape (n_quads, 4, 3).

    Each is ordered counter-clockwise seen from outside (its normal points away from
    the origin), which is what the shading of a :class:`Poly3DCollection` assumes.
    """
    corners = [
        vertices[..., :-1, :-1, :],
        vertices[..., 1:, :-1, :],
        vertices[..., 1:, 1:, :],
        vertices[..., :-1, 1:, :],
    ]
    quads = np.stack(corners, axis=-2).reshape(-1, 4, 3)
    # The surface is star-shaped about 0, so the outward normal has n . x >= 0.
    normal = np.cross(quads[:, 2] - quads[:, 0], quads[:, 3] - quads[:, 1])
    inward = np.einsum("ij,ij->i", normal, quads.mean(axis=1)) < 0
    quads[inward] = quads[inward][:, ::-1]
    return quads


@dataclasses.dataclass(frozen=True, eq=False)
class LpBalls3DPlot:
    """What :func:`plot_lp_balls_3d` drew.

    Attributes
    ----------
    axes : tuple of Axes3D
        One 3-D axes per power.
    powers : tuple of float
        The powers, in the order of ``axes``.
    radius : float
        The radius of every ball.
    vertices : tuple of ndarray of shape (6, n, n, 3)
        Per power, the surface's vertices (:func:`lp_sphere_3d`).
    faces : tuple of ndarray of shape (6 (n - 1)^2, 4, 3)
        Per power, the quadrilaterals drawn, whose corners are those vertices.
    colors : list of str
        The colour of each power.
    """

    axes: tuple[Axes, ...]
    powers: tuple[float, ...]
    radius: float
    vertices: tuple[np.ndarray, ...]
    faces: tuple[np.ndarray, ...]
    colors: list[str]


def _checked_3d_axes(ax, n: int):
    if ax is None:
        import matplotlib.pyplot as plt

        # No constrained layout: it clips the titles and labels of 3-D axes.
        fig = plt.figure(figsize=(3.4 * n, 3.6))
        fig.subplots_adjust(left=0.0, right=0.97, bottom=0.03, top=0.9, wspace=0.12)
        return tuple(fig.add_subplot(1, n, i + 1, projection="3d") for i in range(n))
    many = tuple(ax) if isinstance(ax, (Sequence, np.ndarray)) else (ax,)
    if len(many) != n:
        raise ValueError(f"ax must hold one 3-D axes per power: {n} powers, got {len(many)} axes.")
    for a in many:
        if getattr(a, "name", None) != "3d":
            raise TypeError(
                f"ax must be 3-D axes, made with projection='3d' (e.g. "
                f"fig.add_subplot(projection='3d')); got {a!r}."
            )
    return many


def plot_lp_balls_3d(
    powers: Sequence[float] = (0.5, 1.0, 2.0, math.inf),
    *,
    radius: float = 1.0,
    ax: Axes | Sequence[Axes] | None = None,
) -> LpBalls3DPlot:
    """Draw the surfaces ``||x||_p = radius`` in three dimensions, one panel per ``p``.

    Small multiples, not nested surfaces: nested translucent balls hide each other's
    shape.  ``p = 0.5`` is a spiky star (concave faces between the six corners on the
    axes), ``p = 1`` the octahedron (the lasso's corners and edges: zeros in one or two
    coordinates), ``p = 2`` the sphere, ``p = inf`` the cube.

    Parameters
    ----------
    powers : sequence of float, default (0.5, 1, 2, inf)
        Powers ``p > 0``; ``math.inf`` for the max norm.
    radius : float, default 1.0
        The radius, > 0.
    ax : Axes3D or sequence of Axes3D, optional
        One 3-D axes (``projection="3d"``) per power; None creates a figure with one
        panel per power in a row.

    Returns
    -------
    LpBalls3DPlot
        The axes, the surface vertices and the faces drawn.

    Raises
    ------
    TypeError
        If a power is not a real number or an axes is not 3-D.
    ValueError
        If a power is below 0.01 or NaN, ``powers`` is empty, ``radius`` is not a finite
        number between 1.5e-154 and 1.3e154, or the number of axes differs from the
        number of powers.
    """
    powers = _checked_powers(powers)
    check_positive("radius", radius, squared=True)
    radius = float(radius)
    axes = _checked_3d_axes(ax, len(powers))
    colors = _power_colors(powers)

    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    all_vertices, all_faces = [], []
    limit = radius * 1.05
    ticks = [-radius, 0.0, radius]
    for p, color, panel in zip(powers, colors, axes, strict=True):
        vertices = lp_sphere_3d(p, radius)
        faces = _quads(vertices)
        all_vertices.append(vertices)
        all_faces.append(faces)
        # One collection per panel: mplot3d sorts faces by depth within a collection.
        panel.add_collection3d(
            Poly3DCollection(faces, facecolors=color, shade=True, linewidths=0.0, antialiased=False)
        )
        panel.set_title(_power_label(p))
        panel.set(xlim=(-limit, limit), ylim=(-limit, limit), zlim=(-limit, limit))
        panel.set(xticks=ticks, yticks=ticks, zticks=ticks)
        panel.set_box_aspect((1.0, 1.0, 1.0), zoom=0.9)
        panel.set_xlabel("w₁", labelpad=-5)
        panel.set_ylabel("w₂", labelpad=-5)
        panel.set_zlabel("w₃", labelpad=-5)
        panel.tick_params(labelsize="x-small", pad=-2)
    return LpBalls3DPlot(
        axes=axes,
        powers=powers,
        radius=radius,
        vertices=tuple(all_vertices),
        faces=tuple(all_faces),
        colors=colors,
    )
