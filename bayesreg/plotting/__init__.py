"""Pictures of the regularization-prior link, computed from real fits.

Every function draws on a given :class:`matplotlib.axes.Axes` (or a new figure when
``ax`` is None), never changes matplotlib's global style, and returns what it drew as
numbers in a small frozen dataclass, so that a caller or a test can check the picture
without looking at pixels.
"""

from bayesreg.plotting.forest import MapPosteriorPlot, plot_map_vs_posterior

__all__ = ["MapPosteriorPlot", "plot_map_vs_posterior"]
