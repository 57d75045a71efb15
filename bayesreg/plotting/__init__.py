"""Pictures of the regularization-prior link, computed from real fits.

Every function draws on a given :class:`matplotlib.axes.Axes` (or a new figure when
``ax`` is None), never changes matplotlib's global style, and returns what it drew as
numbers in a small frozen dataclass, so that a caller or a test can check the picture
without looking at pixels.

=====================================  ===================================================
:func:`plot_prior_penalty`             a prior's density beside its penalty ``-log p(w)``
:func:`plot_lp_balls`                  the L-p unit balls in 2-D (:func:`plot_lp_balls_3d`)
:func:`plot_constraint`                the diamond-and-circle picture of a real fit
:func:`plot_posterior_plane`           the exact posterior density in the same plane
:func:`plot_regularization_path`       the MAP path with posterior credible bands
:func:`plot_map_vs_posterior`          per coefficient: MAP, posterior mean, median, HDI
:func:`plot_bias_variance`             training and test error against alpha
:func:`plot_predictive_bands`          posterior predictive bands of a 1-D regression
=====================================  ===================================================
"""

from bayesreg.plotting.balls import LpBalls3DPlot, LpBallsPlot, plot_lp_balls, plot_lp_balls_3d
from bayesreg.plotting.forest import MapPosteriorPlot, plot_map_vs_posterior
from bayesreg.plotting.geometry import (
    ConstraintPlot,
    PosteriorPlanePlot,
    plot_constraint,
    plot_posterior_plane,
)
from bayesreg.plotting.paths import RegularizationPathPlot, plot_regularization_path
from bayesreg.plotting.penalties import (
    PriorPenaltyPlot,
    plot_prior_penalty,
    teaching_priors,
)
from bayesreg.plotting.predictive import PredictiveBandsPlot, plot_predictive_bands
from bayesreg.plotting.selection import BiasVariancePlot, plot_bias_variance

__all__ = [
    "BiasVariancePlot",
    "ConstraintPlot",
    "LpBalls3DPlot",
    "LpBallsPlot",
    "MapPosteriorPlot",
    "PosteriorPlanePlot",
    "PredictiveBandsPlot",
    "PriorPenaltyPlot",
    "RegularizationPathPlot",
    "plot_bias_variance",
    "plot_constraint",
    "plot_lp_balls",
    "plot_lp_balls_3d",
    "plot_map_vs_posterior",
    "plot_posterior_plane",
    "plot_predictive_bands",
    "plot_prior_penalty",
    "plot_regularization_path",
    "teaching_priors",
]
