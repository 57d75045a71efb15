"""Tests of bayesreg.plotting.balls: every drawn point is on its L_p sphere, and the p < 1
balls are the non-convex ones.

The norms are recomputed here as ``(sum_i |x_i|^p)^(1/p)`` and ``max_i |x_i|``
(``numpy.linalg.norm`` accepts ``ord < 1`` for vectors, but a check written out is
clearer than relying on that).
"""

from __future__ import annotations

import math

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bayesreg.plotting.balls import LpBalls3DPlot, LpBallsPlot, plot_lp_balls, plot_lp_balls_3d

POWERS = (0.3, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 7.0, math.inf)


def _norm(x: np.ndarray, p: float) -> np.ndarray:
    x = np.abs(np.asarray(x, dtype=float))
    if math.isinf(p):
        return x.max(axis=-1)
    return (x**p).sum(axis=-1) ** (1.0 / p)


def _figure() -> Figure:
    fig = Figure()
    FigureCanvasAgg(fig)
    return fig


def _lines_by_label(ax) -> dict[str, np.ndarray]:
    return {line.get_label(): line.get_xydata() for line in ax.get_lines()}


@pytest.mark.parametrize("radius", [1.0, 2.5])
def test_every_boundary_point_is_on_its_sphere(radius):
    drawn = plot_lp_balls(POWERS, radius=radius, ax=_figure().add_subplot())
    assert isinstance(drawn, LpBallsPlot)
    assert drawn.powers == POWERS and drawn.radius == radius
    lines = _lines_by_label(drawn.ax)
    for p, points in zip(POWERS, drawn.boundaries, strict=True):
        label = "p = ∞" if math.isinf(p) else f"p = {p:g}"
        np.testing.assert_array_equal(lines[label], points)  # what is drawn is returned
        np.testing.assert_allclose(_norm(points, p), radius, rtol=1e-12)


def test_boundaries_are_closed_curves_going_once_around():
    drawn = plot_lp_balls(POWERS, ax=_figure().add_subplot())
    for points in drawn.boundaries:
        np.testing.assert_array_equal(points[0], points[-1])
        angle = np.unwrap(np.arctan2(points[:, 1], points[:, 0]))
        assert (np.diff(angle) > 0).all()
        assert angle[-1] - angle[0] == pytest.approx(2.0 * math.pi, abs=1e-12)
        # The corners on the axes (where p <= 1 balls have them) are on the curve.
        for corner in ([1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]):
            assert np.min(np.linalg.norm(points - corner, axis=1)) < 1e-12


def test_square_corners_are_drawn_for_p_infinity():
    drawn = plot_lp_balls([math.inf], ax=_figure().add_subplot())
    points = drawn.boundaries[0]
    for corner in ([1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]):
        assert np.min(np.abs(points - corner).max(axis=1)) < 1e-12


def _midpoint_norms(points: np.ndarray, p: float, rng) -> np.ndarray:
    i, j = rng.integers(0, len(points), size=(2, 20_000))
    return _norm(0.5 * (points[i] + points[j]), p)


@pytest.mark.parametrize("p", POWERS)
def test_balls_are_convex_exactly_when_p_is_at_least_one(p):
    drawn = plot_lp_balls([p], radius=1.5, ax=_figure().add_subplot())
    points = drawn.boundaries[0]
    midpoint_norms = _midpoint_norms(points, p, np.random.default_rng(0))
    if p >= 1.0:
        assert drawn.chords == {}
        # Midpoints of chords stay in a convex ball (up to rounding).
        assert midpoint_norms.max() <= 1.5 * (1.0 + 1e-12)
    else:
        assert midpoint_norms.max() > 1.5 * 1.05
        chord = drawn.chords[p]
        np.testing.assert_allclose(_norm(chord, p), 1.5, rtol=1e-12)  # ends on the sphere
        assert _norm(chord.mean(axis=0), p) > 1.5 * 1.05  # ... and its middle outside
        dashed = [line for line in drawn.ax.get_lines() if line.get_linestyle() == "--"]
        assert len(dashed) == 1
        np.testing.assert_array_equal(dashed[0].get_xydata(), chord)
        marked = _lines_by_label(drawn.ax)[f"p = {p:g}: chord midpoint\noutside, not convex"]
        np.testing.assert_array_equal(marked, chord.mean(axis=0)[None, :])


def test_only_the_non_convex_balls_are_shaded():
    drawn = plot_lp_balls(ax=_figure().add_subplot())
    assert [p for p in drawn.powers if p < 1] == [0.5]
    (patch,) = drawn.ax.patches
    np.testing.assert_allclose(patch.get_xy(), drawn.boundaries[0], atol=0)
    legend = [t.get_text() for t in drawn.ax.get_legend().get_texts()]
    for label in ("p = 0.5", "p = 1", "p = 2", "p = 3", "p = 4", "p = ∞"):
        assert label in legend
    assert drawn.ax.get_aspect() == 1.0
    assert drawn.ax.get_xlabel() == "w₁" and drawn.ax.get_ylabel() == "w₂"


def test_colours_follow_the_power_not_the_position():
    # p = 2 has the same colour alone as in the default set (and as the bridge p = 2 prior).
    default = plot_lp_balls(ax=_figure().add_subplot())
    alone = plot_lp_balls([2.0, 0.7], ax=_figure().add_subplot())
    assert alone.colors[0] == default.colors[default.powers.index(2.0)]
    assert alone.colors[1] not in default.colors


@pytest.mark.parametrize(
    ("powers", "error", "message"),
    [
        ((0.0, 1.0), ValueError, "every power must be > 0"),
        ((-1.0,), ValueError, "every power must be > 0"),
        ((float("nan"),), ValueError, "every power must be > 0"),
        ((), ValueError, "powers is empty"),
        (("2",), TypeError, "real number"),
        ((True,), TypeError, "real number"),
        ("12", TypeError, "powers must be a number or a sequence"),
    ],
)
def test_invalid_powers_are_refused(powers, error, message):
    ax = _figure().add_subplot()
    with pytest.raises(error, match=message):
        plot_lp_balls(powers, ax=ax)
    assert not ax.get_lines()
    with pytest.raises(error, match=message):
        plot_lp_balls_3d(powers, ax=_figure().add_subplot(projection="3d"))


@pytest.mark.parametrize("radius", [0.0, -1.0, float("nan"), float("inf")])
def test_invalid_radius_is_refused(radius):
    with pytest.raises(ValueError, match="radius"):
        plot_lp_balls(radius=radius, ax=_figure().add_subplot())
    with pytest.raises(ValueError, match="radius"):
        plot_lp_balls_3d((1.0,), radius=radius, ax=_figure().add_subplot(projection="3d"))


def test_a_scalar_power_is_one_ball():
    drawn = plot_lp_balls(3, ax=_figure().add_subplot())
    assert drawn.powers == (3.0,)


def test_2d_balls_refuse_3d_axes():
    with pytest.raises(TypeError, match="3-D axes"):
        plot_lp_balls(ax=_figure().add_subplot(projection="3d"))


def _edge_counts(faces: np.ndarray) -> np.ndarray:
    """How many faces share each edge, edges keyed by their rounded end points."""
    keys = np.round(faces, 9)
    edges = {}
    for quad in keys:
        for k in range(4):
            a, b = tuple(quad[k]), tuple(quad[(k + 1) % 4])
            if a != b:
                edge = (min(a, b), max(a, b))
                edges[edge] = edges.get(edge, 0) + 1
    return np.array(list(edges.values()))


@pytest.mark.parametrize("radius", [1.0, 0.4])
def test_3d_surfaces_lie_on_their_spheres_and_are_what_is_drawn(radius):
    powers = (0.5, 1.0, 2.0, math.inf)
    fig = _figure()
    axes = [fig.add_subplot(1, 4, i + 1, projection="3d") for i in range(4)]
    drawn = plot_lp_balls_3d(powers, radius=radius, ax=axes)
    assert isinstance(drawn, LpBalls3DPlot)
    assert drawn.axes == tuple(axes)
    for p, panel, vertices, faces in zip(powers, axes, drawn.vertices, drawn.faces, strict=True):
        np.testing.assert_allclose(_norm(vertices, p), radius, rtol=1e-12)
        np.testing.assert_allclose(_norm(faces, p), radius, rtol=1e-12)
        (collection,) = panel.collections
        # Poly3DCollection keeps its 3-D polygons in the private ``_faces`` (matplotlib
        # 3.11); there is no public getter of the 3-D vertices.
        np.testing.assert_array_equal(collection._faces, faces)
        assert panel.get_title() == ("p = ∞" if math.isinf(p) else f"p = {p:g}")
        # The six tips on the axes are vertices (the corners of the p <= 1 balls).
        flat = vertices.reshape(-1, 3)
        for tip in np.vstack([np.eye(3), -np.eye(3)]) * radius:
            assert np.min(np.abs(flat - tip).max(axis=1)) < 1e-12 * radius


def test_3d_surfaces_are_closed_and_face_outwards():
    drawn = plot_lp_balls_3d((0.5, math.inf), ax=None)
    try:
        for faces in drawn.faces:
            # Closed: every edge is shared by exactly two faces.
            counts = _edge_counts(faces)
            assert (counts == 2).all(), np.unique(counts)
            normal = np.cross(faces[:, 2] - faces[:, 0], faces[:, 3] - faces[:, 1])
            assert (np.einsum("ij,ij->i", normal, faces.mean(axis=1)) >= 0).all()
        # The cube's corners are drawn sharp.
        cube = drawn.vertices[1].reshape(-1, 3)
        assert np.min(np.abs(np.abs(cube) - 1.0).max(axis=1)) < 1e-12
    finally:
        import matplotlib.pyplot as plt

        plt.close(drawn.axes[0].figure)


def test_3d_axes_must_be_3d_and_one_per_power():
    fig = _figure()
    with pytest.raises(TypeError, match="projection='3d'"):
        plot_lp_balls_3d((1.0,), ax=fig.add_subplot())
    with pytest.raises(ValueError, match="one 3-D axes per power: 2 powers, got 1"):
        plot_lp_balls_3d((1.0, 2.0), ax=fig.add_subplot(projection="3d"))
    single = plot_lp_balls_3d((2.0,), ax=_figure().add_subplot(projection="3d"))
    assert len(single.axes) == 1


def test_new_figures_leave_the_style_alone():
    import matplotlib.pyplot as plt

    before = dict(mpl.rcParams)
    flat = plot_lp_balls()
    solid = plot_lp_balls_3d()
    try:
        assert dict(mpl.rcParams) == before
        assert len(solid.axes) == 4 and all(a.name == "3d" for a in solid.axes)
    finally:
        plt.close(flat.ax.figure)
        plt.close(solid.axes[0].figure)
