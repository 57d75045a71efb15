"""Tests of bayesreg.plotting.penalties: exact prior densities and the density/penalty picture.

Every density is checked against a computation that does not share its code: scipy's
closed forms, the horseshoe's defining scale mixture integrated by ``scipy.integrate.quad``,
and Carvalho, Polson & Scott's (2010) bounds.
"""

from __future__ import annotations

import itertools
import math

import jax
import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy import integrate, special, stats

from bayesreg.plotting.penalties import (
    PriorPenaltyPlot,
    has_kink_at_zero,
    plot_prior_penalty,
    teaching_priors,
)
from bayesreg.priors import (
    BayesianLasso,
    Bridge,
    Cauchy,
    ElasticNetPrior,
    Flat,
    Gaussian,
    Horseshoe,
    Laplace,
    Prior,
    RegularizedHorseshoe,
    StudentT,
    horseshoe_conditional_log_density,
    prior_log_density,
)

K = 1.0 / math.sqrt(2.0 * math.pi**3)
W = np.concatenate([-np.logspace(2, -3, 11), [0.0], np.logspace(-3, 2, 11)])


def _axes_pair():
    fig = Figure(figsize=(10, 4))
    FigureCanvasAgg(fig)
    return tuple(fig.subplots(1, 2))


def _elastic_net_logpdf(w, l1, l2):
    # Z = 2 int_0^inf exp(-l1 u - l2 u^2) du = sqrt(pi / l2) erfcx(l1 / (2 sqrt(l2))).
    log_z = 0.5 * math.log(math.pi / l2) + math.log(special.erfcx(l1 / (2.0 * math.sqrt(l2))))
    return -l1 * np.abs(w) - l2 * w**2 - log_z


CLOSED_FORMS = [
    (Gaussian(0.7), lambda w: stats.norm.logpdf(w, scale=0.7)),
    (Laplace(1.3), lambda w: stats.laplace.logpdf(w, scale=1.3)),
    (StudentT(3.0, 0.8), lambda w: stats.t.logpdf(w, 3.0, scale=0.8)),
    (Cauchy(1.2), lambda w: stats.cauchy.logpdf(w, scale=1.2)),
    (ElasticNetPrior(0.7, 0.4), lambda w: _elastic_net_logpdf(w, 0.7, 0.4)),
    *[
        (Bridge(p, 1.7), lambda w, p=p: stats.gennorm.logpdf(w, p, scale=1.7))
        for p in (0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
    ],
]


def _prior_id(value) -> str:
    """A test id that is the same in every xdist worker (a lambda's repr holds its address)."""
    return repr(value) if isinstance(value, Prior) else "scipy"


@pytest.mark.parametrize(("prior", "closed_form"), CLOSED_FORMS, ids=_prior_id)
def test_closed_form_densities_equal_scipy(prior, closed_form):
    np.testing.assert_allclose(prior_log_density(prior, W), closed_form(W), rtol=1e-12, atol=1e-12)


def _total_mass(prior) -> float:
    """``int p(w) dw`` by quad on (0, 1) and (1, inf), doubled (every prior is symmetric)."""

    def density(w):
        return math.exp(prior_log_density(prior, [w])[0])

    parts = [
        integrate.quad(density, a, b, epsabs=1e-13, epsrel=1e-11, limit=400)
        for a, b in ((0.0, 1.0), (1.0, np.inf))
    ]
    return 2.0 * sum(value for value, _ in parts)


@pytest.mark.parametrize(
    "prior",
    [prior for prior, _ in CLOSED_FORMS] + [Horseshoe(1.0), Horseshoe(0.3)],
    ids=_prior_id,
)
def test_densities_integrate_to_one(prior):
    # quad is asked for 1e-11 relative; the slowly decaying tails (Cauchy, bridge p = 0.5,
    # the horseshoe's log w / w^2) and the horseshoe's log^2 pole at 0 stay within 1e-10
    # (measured: below 2e-14 for all of these).
    assert _total_mass(prior) == pytest.approx(1.0, abs=1e-10)


def _horseshoe_by_quadrature(w: float, tau: float) -> float:
    """``p(w | tau) = int_0^inf N(w; 0, lambda^2 tau^2) 2 / (pi (1 + lambda^2)) dlambda``."""

    def integrand(lam):
        return stats.norm.pdf(w, scale=lam * tau) * 2.0 / (math.pi * (1.0 + lam * lam))

    edges = [0.0, *sorted({abs(w) / tau, 1.0}), np.inf]
    return sum(
        integrate.quad(integrand, a, b, epsabs=0.0, epsrel=1e-12, limit=400)[0]
        for a, b in itertools.pairwise(edges)
    )


@pytest.mark.parametrize("tau", [1.0, 0.2, 3.0])
def test_horseshoe_given_tau_is_the_normal_scale_mixture(tau):
    w = np.array([-40.0, -3.0, -0.5, 1e-4, 0.01, 0.3, 1.0, 2.0, 7.0])
    expected = np.log([_horseshoe_by_quadrature(v, tau) for v in w])
    np.testing.assert_allclose(horseshoe_conditional_log_density(w, tau), expected, rtol=1e-10)


def test_horseshoe_given_tau_within_carvalho_polson_scott_bounds():
    # Theorem 1 (tau = 1): K/2 log(1 + 4/w^2) < p(w) < K log(1 + 2/w^2).  Both bounds are
    # 2K / w^2 (1 - 2 / w^2 + O(w^-4)) in the tails and the density's relative margin over
    # the lower one is (8/3) / w^4, below rounding beyond |w| ~ 1e3: test up to 300.
    w = np.logspace(-6, 2.5, 171)
    density = np.exp(horseshoe_conditional_log_density(w, 1.0))
    assert (density > 0.5 * K * np.log1p(4.0 / w**2)).all()
    assert (density < K * np.log1p(2.0 / w**2)).all()
    assert horseshoe_conditional_log_density([0.0])[0] == np.inf
    far = np.exp(horseshoe_conditional_log_density([1e4], 1.0)[0])
    assert far * 1e8 == pytest.approx(2.0 * K * (1.0 - 2e-8), rel=1e-13)


def test_horseshoe_given_tau_stays_finite_for_huge_weights():
    # p ~ 2 K tau / w^2 for large |w|: the log density is finite where w^2 overflows.
    value = horseshoe_conditional_log_density([1e200], 1.0)[0]
    assert value == pytest.approx(math.log(2.0 * K) - 400.0 * math.log(10.0), rel=1e-12)


def _product_half_cauchy_density(u: float, scale: float) -> float:
    """Density of ``lambda tau``, ``lambda ~ C+(0, 1)``, ``tau ~ C+(0, scale)``.

    ``(4 / pi^2) log(z) / (z^2 - 1) / scale`` with ``z = u / scale`` (the limit 2 / pi^2 at
    z = 1): the Mellin convolution of two half-Cauchy densities.
    """
    z = u / scale
    ratio = 0.5 if abs(z - 1.0) < 1e-6 else math.log(z) / (z * z - 1.0)
    return 4.0 / math.pi**2 * ratio / scale


def _horseshoe_marginal_by_quadrature(w: float, scale: float) -> float:
    def integrand(u):
        return stats.norm.pdf(w, scale=u) * _product_half_cauchy_density(u, scale)

    edges = [0.0, *sorted({abs(w), scale}), np.inf]
    return sum(
        integrate.quad(integrand, a, b, epsabs=0.0, epsrel=1e-12, limit=400)[0]
        for a, b in itertools.pairwise(edges)
    )


@pytest.mark.parametrize("scale_global", [1.0, 0.3])
def test_horseshoe_marginal_integrates_both_scales_out(scale_global):
    # A different route: w = z u with u = lambda tau, whose density is known in closed form.
    w = np.array([-25.0, -2.0, -0.4, 1e-5, 0.01, 0.2, 1.0, 3.0, 100.0])
    expected = np.log([_horseshoe_marginal_by_quadrature(v, scale_global) for v in w])
    got = prior_log_density(Horseshoe(scale_global), w)
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    assert prior_log_density(Horseshoe(scale_global), [0.0])[0] == np.inf


def test_horseshoe_marginal_within_the_tau_averaged_bounds():
    # The bounds hold for every tau, so they hold for their averages over tau ~ C+(0, 1):
    # int (K / 2 tau) log(1 + 4 tau^2 / w^2) pi(tau) dtau < p(w) < int (K / tau) log(...).
    def averaged(w, factor, inside):
        def integrand(tau):
            half_cauchy = 2.0 / (math.pi * (1.0 + tau * tau))
            return factor * K / tau * math.log1p(inside * tau * tau / (w * w)) * half_cauchy

        return sum(
            integrate.quad(integrand, a, b, epsrel=1e-12, limit=400)[0]
            for a, b in ((0.0, abs(w)), (abs(w), np.inf))
        )

    for w in (1e-3, 0.1, 1.0, 4.0, 50.0):
        density = math.exp(prior_log_density(Horseshoe(1.0), [w])[0])
        assert averaged(w, 0.5, 4.0) < density < averaged(w, 1.0, 2.0)


@pytest.mark.parametrize(
    ("prior", "match"),
    [
        (Flat(), "improper"),
        (RegularizedHorseshoe(), "regularized horseshoe"),
        (BayesianLasso(), "bayesian lasso"),
        (Laplace(1.0).with_penalty_factor([1.0, 2.0]), "single density"),
    ],
)
def test_priors_without_a_density_here_are_refused(prior, match):
    with pytest.raises(TypeError, match=match):
        prior_log_density(prior, [0.0, 1.0])


def test_prior_log_density_refuses_non_priors_and_nan():
    with pytest.raises(TypeError, match="prior must be a bayesreg prior"):
        prior_log_density("laplace", [0.0])
    with pytest.raises(ValueError, match="NaN"):
        prior_log_density(Gaussian(1.0), [0.0, np.nan])


def test_common_teaching_priors_have_unit_variance():
    priors = teaching_priors("common")
    assert [type(p) for p in priors.values()] == [
        Gaussian,
        Laplace,
        ElasticNetPrior,
        StudentT,
        Horseshoe,
    ]
    for label, prior in priors.items():
        if isinstance(prior, Horseshoe):
            continue  # infinite variance

        def second_moment(w, prior=prior):
            return w * w * math.exp(prior_log_density(prior, [w])[0])

        variance = 2.0 * integrate.quad(second_moment, 0.0, np.inf, epsrel=1e-12)[0]
        assert variance == pytest.approx(1.0, rel=1e-9), label
    # The elastic net is the penalty halfway between the unit-variance ridge and lasso,
    # l1 = sqrt(2) / 2, l2 = 1 / 4, rescaled (l1 * k, l2 * k^2): l1^2 / l2 = 2 stays.
    en = priors["elastic net"]
    assert en.l1**2 / en.l2 == pytest.approx(2.0, rel=1e-12)


def test_bridge_teaching_priors_are_unit_scale():
    priors = teaching_priors("bridge")
    assert [(p.power, p.scale) for p in priors.values()] == [
        (0.5, 1.0),
        (1.0, 1.0),
        (2.0, 1.0),
        (3.0, 1.0),
        (4.0, 1.0),
    ]
    with pytest.raises(ValueError, match='group must be "common" or "bridge"'):
        teaching_priors("all")


def test_drawn_curves_are_the_returned_numbers_and_the_closed_forms():
    priors = teaching_priors("common")
    drawn = plot_prior_penalty(priors, ax=_axes_pair())
    assert isinstance(drawn, PriorPenaltyPlot)
    density_ax, penalty_ax = drawn.axes
    grid = drawn.w
    assert grid[0] == -3.0 and grid[-1] == 3.0 and (grid == 0.0).sum() == 1
    assert drawn.labels == list(priors)
    assert drawn.densities.shape == drawn.penalties.shape == (5, grid.size)

    for i, (density_line, penalty_line) in enumerate(
        zip(
            density_ax.get_lines()[: len(priors)],
            penalty_ax.get_lines()[: len(priors)],
            strict=True,
        )
    ):
        np.testing.assert_array_equal(density_line.get_xydata()[:, 0], grid)
        np.testing.assert_array_equal(density_line.get_xydata()[:, 1], drawn.densities[i])
        np.testing.assert_array_equal(penalty_line.get_xydata()[:, 1], drawn.penalties[i])
        assert density_line.get_color() == penalty_line.get_color() == drawn.colors[i]
        assert density_line.get_label() == drawn.labels[i]
    assert len(set(drawn.colors)) == len(priors)
    legend = [t.get_text() for t in density_ax.get_legend().get_texts()]
    assert legend == drawn.labels

    gaussian, laplace, en, student, _ = priors.values()
    np.testing.assert_allclose(drawn.densities[0], stats.norm.pdf(grid), rtol=1e-12)
    np.testing.assert_allclose(
        drawn.densities[1], stats.laplace.pdf(grid, scale=laplace.scale), rtol=1e-12
    )
    np.testing.assert_allclose(
        drawn.densities[2], np.exp(_elastic_net_logpdf(grid, en.l1, en.l2)), rtol=1e-12
    )
    np.testing.assert_allclose(
        drawn.densities[3], stats.t.pdf(grid, 3.0, scale=student.scale), rtol=1e-12
    )
    # Penalties start at 0 at w = 0: exactly w^2 / 2 s^2 and |w| / b.
    np.testing.assert_allclose(drawn.penalties[0], grid**2 / 2.0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(
        drawn.penalties[1], np.abs(grid) / laplace.scale, rtol=1e-12, atol=1e-14
    )
    # ... and equal each prior's own penalty up to the constant.
    for i, prior in enumerate([gaussian, laplace, en, student]):
        own = np.asarray(jax.vmap(lambda v, prior=prior: prior.penalty(v[None]))(grid))
        difference = drawn.penalties[i] - own
        np.testing.assert_allclose(difference, difference[0], atol=1e-12)
    assert drawn.kinked == ["Laplace (lasso)", "elastic net"]


def test_horseshoe_penalty_is_minus_infinity_at_the_pole_and_zero_next_to_it():
    drawn = plot_prior_penalty({"hs": Horseshoe(1.0)}, ax=_axes_pair())
    zero = np.flatnonzero(drawn.w == 0.0)[0]
    assert drawn.densities[0, zero] == np.inf
    assert drawn.penalties[0, zero] == -np.inf
    finite = np.delete(drawn.penalties[0], zero)
    assert finite.min() == 0.0
    # w = -0.01 and w = +0.01 (the grid is symmetric up to rounding).
    np.testing.assert_allclose(finite[zero - 1 : zero + 1], 0.0, atol=1e-13)
    # The shift: penalties = -log p - offset, with log p independent of the picture.
    expected = -prior_log_density(Horseshoe(1.0), drawn.w) - drawn.offsets[0]
    np.testing.assert_array_equal(drawn.penalties[0], expected)
    # The density panel is scaled to the finite values: the pole leaves through the top.
    top = drawn.axes[0].get_ylim()[1]
    assert np.isfinite(top) and top > np.delete(drawn.densities[0], zero).max()


def test_bridge_penalties_are_powers_of_w():
    priors = {f"p={p}": Bridge(p, 0.6) for p in (0.5, 1.0, 2.0, 3.0, 4.0)}
    grid = np.linspace(-2.0, 2.0, 81)
    drawn = plot_prior_penalty(priors, w=grid, ax=_axes_pair())
    for i, p in enumerate((0.5, 1.0, 2.0, 3.0, 4.0)):
        np.testing.assert_allclose(
            drawn.penalties[i], np.abs(grid / 0.6) ** p, rtol=1e-12, atol=1e-13
        )
        np.testing.assert_allclose(
            drawn.densities[i], stats.gennorm.pdf(grid, p, scale=0.6), rtol=1e-12
        )
    assert drawn.kinked == ["p=0.5", "p=1.0"]
    assert [has_kink_at_zero(Bridge(p)) for p in (0.5, 1.0, 1.01)] == [True, True, False]


def test_grid_without_zero_shifts_to_the_smallest_value():
    grid = np.linspace(0.5, 2.0, 7)
    drawn = plot_prior_penalty(Gaussian(2.0), w=grid, ax=_axes_pair())
    np.testing.assert_allclose(drawn.penalties[0], (grid**2 - 0.25) / 8.0, rtol=1e-12, atol=1e-15)
    assert drawn.labels == ["Gaussian(scale=2.0)"]


def test_sequences_get_default_labels_and_own_colours():
    drawn = plot_prior_penalty([Laplace(1.0), Cauchy(1.0)], ax=_axes_pair())
    assert drawn.labels == ["Laplace(scale=1.0)", "Cauchy(scale=1.0)"]
    assert drawn.colors[0] != drawn.colors[1]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"priors": "gaussian"}, TypeError, "priors must be a bayesreg prior, a sequence"),
        ({"priors": 3.0}, TypeError, "priors must be a bayesreg prior, a sequence"),
        ({"priors": [Gaussian(1.0), "x"]}, TypeError, "priors must hold bayesreg priors"),
        ({"priors": {"a": Gaussian(1.0), "b": None}}, TypeError, "under 'b'"),
        ({"priors": []}, ValueError, "priors is empty"),
        ({"priors": Flat()}, TypeError, "improper"),
        ({"w": np.zeros((3, 2))}, ValueError, "w must be a 1-D grid"),
        ({"w": [0.0]}, ValueError, "at least 2 points"),
        ({"w": [0.0, np.inf]}, ValueError, "w must be finite"),
        ({"w": [0.0, np.nan]}, ValueError, "w must be finite"),
        ({"w": [1.0, 0.0, 2.0]}, ValueError, "strictly increasing"),
        ({"w": ["a", "b"]}, TypeError, "real numbers"),
    ],
)
def test_bad_input_is_refused_before_drawing(kwargs, error, message):
    axes = _axes_pair()
    kwargs = {"priors": Gaussian(1.0), **kwargs}
    priors = kwargs.pop("priors")
    with pytest.raises(error, match=message):
        plot_prior_penalty(priors, ax=axes, **kwargs)
    assert not axes[0].get_lines() and not axes[1].get_lines()


def test_ax_must_be_a_pair_of_axes():
    first, second = _axes_pair()
    for bad in (first, (first,), (first, second, first), (first, "x")):
        with pytest.raises(TypeError, match="pair"):
            plot_prior_penalty(Gaussian(1.0), ax=bad)
    assert not first.get_lines()


def test_new_figure_leaves_the_style_alone():
    import matplotlib.pyplot as plt

    before = dict(mpl.rcParams)
    drawn = plot_prior_penalty(teaching_priors("bridge"))
    try:
        assert drawn.axes[0].figure is drawn.axes[1].figure
        assert dict(mpl.rcParams) == before
    finally:
        plt.close(drawn.axes[0].figure)
