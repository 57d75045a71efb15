"""Posterior predictive bands of a one-feature linear regression.

Two bands tell two different stories.  The *credible band of the regression function*
says where the line ``E[y | x] = b + w x`` is: it comes from the uncertainty of
``(b, w)`` alone, is narrowest near the centre of the data and widens away from it.
The *posterior predictive band* says where a new observation ``y~`` at ``x`` will fall:
it adds the noise of the likelihood, with each posterior draw's own ``sigma``, and so
stays wide even where the line is known well.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from scipy import special, stats
from scipy.optimize.elementwise import find_root
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_array, check_is_fitted

from bayesreg._base import BayesianLinearRegressor, feature_names, validated_X
from bayesreg._validation import check_single_target
from bayesreg.likelihoods import Laplace, Likelihood, Normal, StudentT
from bayesreg.plotting._common import SAMPLE_DIMS, check_finite_draws, coef_draws, new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "PredictiveBandsPlot",
    "StandardNoise",
    "plot_predictive_bands",
    "predictive_quantiles",
    "standard_noise",
]

#: Points of the default grid.
GRID_SIZE = 100
#: The default grid extends this fraction of the data's range beyond each end.
GRID_MARGIN = 0.1


@dataclasses.dataclass(frozen=True, eq=False)
class PredictiveBandsPlot:
    """What :func:`plot_predictive_bands` drew.

    Attributes
    ----------
    ax : matplotlib.axes.Axes
        The axes drawn on.
    x_grid : ndarray of shape (n_grid,)
        The feature values the lines and bands are drawn over, increasing.
    map_line : ndarray of shape (n_grid,) or None
        The MAP prediction ``estimator.predict`` on the grid; None when not drawn.
    mean_line : ndarray of shape (n_grid,)
        The posterior mean of the regression function, ``mean_s (b_s + w_s x)``.
    mean_lower, mean_upper : ndarray of shape (n_grid,) or None
        The equal-tailed credible band of ``b + w x``; None when not drawn.
    predictive_lower, predictive_upper : ndarray of shape (n_grid,)
        The equal-tailed posterior predictive interval of a new ``y`` at each ``x``.
    prob : float
        Probability mass of both bands.
    """

    ax: Axes
    x_grid: np.ndarray
    map_line: np.ndarray | None
    mean_line: np.ndarray
    mean_lower: np.ndarray | None
    mean_upper: np.ndarray | None
    predictive_lower: np.ndarray
    predictive_upper: np.ndarray
    prob: float


# -- the noise distributions ------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class StandardNoise:
    """The standardised noise ``eps`` of ``y = mu + sigma * eps``: its cdf and quantile function.

    Any object with vectorised ``cdf`` and ``ppf`` methods (a frozen
    :mod:`scipy.stats` distribution, for instance) can stand in for it.
    """

    name: str
    cdf: Callable[[np.ndarray], np.ndarray]
    ppf: Callable[[np.ndarray], np.ndarray]


def _laplace_cdf(z):
    # 1/2 e^z for z < 0 and 1 - 1/2 e^{-z} for z >= 0, i.e. 1/2 + sign(z) (1 - e^{-|z|}) / 2;
    # expm1 keeps it accurate near z = 0.
    return 0.5 - 0.5 * np.sign(z) * np.expm1(-np.abs(z))


def standard_noise(likelihood: Likelihood) -> StandardNoise:
    """The standardised noise of a location-scale likelihood, for an observation of unit weight.

    ``eps ~ N(0, 1)`` (:class:`~bayesreg.likelihoods.Normal`), ``t_nu(0, 1)``
    (:class:`~bayesreg.likelihoods.StudentT`) or ``Laplace(0, 1)``
    (:class:`~bayesreg.likelihoods.Laplace`), with scipy's special functions (much
    faster than the :mod:`scipy.stats` objects, which check their arguments on every
    call).

    Raises
    ------
    TypeError
        For any other likelihood.
    """
    if isinstance(likelihood, Normal):
        return StandardNoise("normal", special.ndtr, special.ndtri)
    if isinstance(likelihood, StudentT):
        df = float(likelihood.df)
        return StandardNoise(
            f"student_t(df={df:g})",
            functools.partial(special.stdtr, df),
            functools.partial(special.stdtrit, df),
        )
    if isinstance(likelihood, Laplace):
        return StandardNoise("laplace", _laplace_cdf, stats.laplace.ppf)
    raise TypeError(
        f"no predictive band for the likelihood {likelihood!r}: supported are the "
        "normal, student_t and laplace likelihoods."
    )


def predictive_quantiles(
    mean: ArrayLike, sigma: ArrayLike, probs: ArrayLike, noise=None
) -> np.ndarray:
    """Quantiles of the posterior predictive: a mixture of the likelihood over the draws.

    Given draws ``(mu_s(x), sigma_s)``, ``s = 1..S``, the posterior predictive of a new
    ``y`` at ``x`` is the mixture ``p(y~ | x) = (1/S) sum_s p(y~ | mu_s(x), sigma_s)``,
    whose distribution function is

    ``F(q) = (1/S) sum_s G((q - mu_s(x)) / sigma_s)``

    with ``G`` the standardised noise's distribution function.  Its ``p``-quantile is
    the root of ``F(q) = p``, found to rounding error by Chandrupatla's bracketing
    method (:func:`scipy.optimize.elementwise.find_root`).  This is exact given the
    draws: no noise is simulated, so there is no second Monte Carlo error.

    Parameters
    ----------
    mean : array-like of shape (n_draws, n_points)
        ``mu_s(x)``, one row per draw.
    sigma : array-like of shape (n_draws,)
        The noise scale of each draw, > 0.
    probs : array-like of shape (n_probs,)
        Levels in (0, 1).
    noise : StandardNoise or scipy.stats frozen distribution, optional
        The standardised noise (anything with vectorised ``cdf`` and ``ppf``); default
        ``N(0, 1)``.

    Returns
    -------
    ndarray of shape (n_probs, n_points)

    Notes
    -----
    ``F`` is increasing, and at the smallest of the components' own ``p``-quantiles
    ``min_s (mu_s + sigma_s G^{-1}(p))`` every term is at most ``p`` (at the largest, at
    least ``p``), so those two values bracket the root.  The solver needs about ten
    evaluations of ``F``, each ``S x n_points`` noise distribution functions.
    """
    mean = np.asarray(mean, dtype=np.float64)
    sigma = np.asarray(sigma, dtype=np.float64)
    probs = np.atleast_1d(np.asarray(probs, dtype=np.float64))
    noise = standard_noise(Normal()) if noise is None else noise
    if mean.ndim != 2 or sigma.shape != (mean.shape[0],):
        raise ValueError(
            f"mean must be (n_draws, n_points) and sigma (n_draws,); got {mean.shape} "
            f"and {sigma.shape}."
        )
    if not np.all(sigma > 0):
        raise ValueError("every draw of sigma must be > 0.")
    if not np.all((probs > 0) & (probs < 1)):
        raise ValueError(f"probs must lie in (0, 1), got {probs}.")

    by_point = np.ascontiguousarray(mean.T)  # (n_points, n_draws)

    def excess(q, point, level):
        # F(q) - p at grid point ``point``; the solver passes only unfinished elements.
        z = (q[:, None] - by_point[point]) / sigma
        return np.mean(noise.cdf(z), axis=1) - level

    out = np.empty((probs.size, mean.shape[1]))
    points = np.arange(mean.shape[1])
    for k, level in enumerate(probs):
        component = mean + sigma[:, None] * noise.ppf(level)
        low, high = component.min(axis=0), component.max(axis=0)
        same = high <= low  # every component has the same quantile: it is the answer
        high = np.where(same, low + 1.0, high)
        result = find_root(excess, (low, high), args=(points, np.full(points.shape, level)))
        if not np.all(result.success | same):
            raise RuntimeError(
                f"the predictive {level:g}-quantile did not converge at "
                f"{int(np.sum(~(result.success | same)))} grid points."
            )
        out[k] = np.where(same, low, result.x)
    return out


# -- input checks -----------------------------------------------------------------------
def _checked_estimator(estimator) -> None:
    if not isinstance(estimator, BayesianLinearRegressor):
        raise TypeError(
            "estimator must be a bayesreg linear regressor (Ridge, Lasso, ElasticNet, "
            f"LinearRegression, BayesianRidge, ...), got {type(estimator).__name__}."
        )
    check_is_fitted(estimator)
    if getattr(estimator, "posterior_", None) is None:
        raise NotFittedError(
            f"this {type(estimator).__name__} has no posterior draws: call "
            "estimator.sample_posterior(X, y) first (fit gives only the MAP)."
        )
    if estimator.n_features_in_ != 1:
        raise ValueError(
            "plot_predictive_bands draws a regression on one feature; the estimator "
            f"was fitted on {estimator.n_features_in_} features. Refit it on a single "
            "column, e.g. X[:, [j]]."
        )


def _checked_grid(x_grid, x: np.ndarray) -> np.ndarray:
    if x_grid is None:
        low, high = float(x.min()), float(x.max())
        margin = GRID_MARGIN * (high - low) if high > low else max(1.0, abs(low))
        return np.linspace(low - margin, high + margin, GRID_SIZE)
    grid = check_array(x_grid, ensure_2d=False, dtype=np.float64, input_name="x_grid")
    if grid.ndim != 1 or grid.size < 2:
        raise ValueError(
            f"x_grid must be 1-D with at least 2 points, got shape {np.shape(x_grid)}."
        )
    return np.sort(grid)


def _as_estimator_input(estimator, grid: np.ndarray):
    """The grid as a one-column input of the kind the estimator was fitted on."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        return grid[:, None]
    import pandas as pd  # the estimator saw a DataFrame, so pandas is there

    return pd.DataFrame({names[0]: grid})


def _point_label(estimator) -> str:
    """``estimator.predict`` is the MAP, unless the prior has no finite mode."""
    if getattr(estimator, "map_", True) is None:
        return "posterior mean (no finite MAP)"
    return "MAP"


# -- the picture ------------------------------------------------------------------------
def plot_predictive_bands(
    estimator,
    X: ArrayLike,
    y: ArrayLike,
    *,
    x_grid: ArrayLike | None = None,
    ci_prob: float = 0.9,
    show_mean_band: bool = True,
    show_map: bool = True,
    ax: Axes | None = None,
) -> PredictiveBandsPlot:
    """Draw the data, the MAP line, and the posterior's bands for ``E[y | x]`` and for ``y``.

    With posterior draws ``(b_s, w_s, sigma_s)``, ``s = 1..S`` (all chains pooled), and
    ``mu_s(x) = b_s + w_s x``:

    * the posterior mean of the regression function, ``(1/S) sum_s mu_s(x)``;
    * its equal-tailed credible band: the ``(1 - p)/2`` and ``(1 + p)/2`` quantiles of
      ``mu_s(x)`` over the draws, at each ``x`` (:func:`numpy.quantile`, linear
      interpolation);
    * the equal-tailed posterior predictive interval of a new ``y~ = mu(x) + sigma eps``,
      ``eps`` from the estimator's likelihood (for a new observation of unit weight):
      the same quantiles of the mixture
      ``(1/S) sum_s p(y~ | mu_s(x), sigma_s)``, solved exactly
      (:func:`predictive_quantiles`);
    * the MAP line, ``estimator.predict`` (the penalized fit), and the data.

    Equal-tailed bands (not highest-density ones) are used: they are the usual choice
    for bands, are invariant to monotone transformations, and for the symmetric,
    unimodal posteriors of a linear predictor differ little from the HDI.

    Parameters
    ----------
    estimator : bayesreg linear regressor
        Fitted on one feature, with :meth:`sample_posterior` called (its ``posterior_``
        holds ``intercept``, ``coef`` and ``sigma``).  The noise is drawn from its
        likelihood: normal, Student-t or Laplace (:mod:`bayesreg.likelihoods`).
    X : array-like of shape (n_samples, 1)
        Feature values of the points to draw (usually the training data).
    y : array-like of shape (n_samples,)
    x_grid : array-like of shape (n_grid,), optional
        Where to evaluate the lines and bands (sorted).  Default: 100 points from 10% of
        the data's range below its minimum to 10% above its maximum, so that the bands
        widen visibly away from the data.
    ci_prob : float, default 0.9
        Probability mass of both bands, in (0, 1) (arviz 1.x's name for a credible
        interval's mass).
    show_mean_band : bool, default True
        Draw the credible band of ``E[y | x]``.
    show_map : bool, default True
        Draw the MAP line.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; None creates a new figure.

    Returns
    -------
    PredictiveBandsPlot
        The axes and the lines and band edges drawn.

    Raises
    ------
    TypeError
        If ``estimator`` is not a bayesreg linear regressor, or its likelihood is not one
        of the three above.
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted, or has no posterior (``sample_posterior`` not
        called).
    ValueError
        If the estimator has more than one feature, ``X`` has not its one column,
        ``X`` and ``y`` differ in length or are not finite, ``x_grid`` is not 1-D with
        two or more finite points, or ``ci_prob`` is not in (0, 1).

    Examples
    --------
    >>> import numpy as np, bayesreg
    >>> from bayesreg.plotting.predictive import plot_predictive_bands
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, 1, (30, 1)); y = 1 + 2 * X[:, 0] + 0.3 * rng.standard_normal(30)
    >>> est = bayesreg.BayesianRidge()
    >>> _ = est.sample_posterior(X, y, random_state=0)
    >>> drawn = plot_predictive_bands(est, X, y)
    >>> bool(np.all(drawn.predictive_upper > drawn.mean_upper))
    True
    """
    if isinstance(ci_prob, bool) or not (isinstance(ci_prob, Real) and 0.0 < ci_prob < 1.0):
        raise ValueError(f"ci_prob must be a number in (0, 1), got {ci_prob!r}.")
    _checked_estimator(estimator)
    noise = standard_noise(estimator._likelihood())
    X = validated_X(estimator, X)
    check_single_target(y)
    y_label = str(getattr(y, "name", None) or "y")
    y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y must be 1-D with one value per row of X ({X.shape[0]}), got shape {y.shape}."
        )
    x = X[:, 0]
    grid = _checked_grid(x_grid, x)

    posterior = estimator.posterior_["posterior"]
    coef, _ = coef_draws(posterior, "coef")
    w = coef.stack(sample=SAMPLE_DIMS).transpose("sample", ...).to_numpy()[:, 0]
    for name in ("intercept", "sigma"):
        check_finite_draws(posterior[name], name)
    b = posterior["intercept"].stack(sample=SAMPLE_DIMS).to_numpy()
    sigma = posterior["sigma"].stack(sample=SAMPLE_DIMS).to_numpy()
    mu = b[:, None] + w[:, None] * grid[None, :]  # (n_draws, n_grid)

    levels = np.array([(1.0 - ci_prob) / 2.0, (1.0 + ci_prob) / 2.0])
    mean_line = mu.mean(axis=0)
    mean_lower, mean_upper = np.quantile(mu, levels, axis=0)
    predictive_lower, predictive_upper = predictive_quantiles(mu, sigma, levels, noise)
    map_line = estimator.predict(_as_estimator_input(estimator, grid)) if show_map else None

    ax = new_axes(ax, figsize=(6.4, 4.2))
    percent = f"{ci_prob:.0%}"
    ax.fill_between(
        grid,
        predictive_lower,
        predictive_upper,
        color="C0",
        alpha=0.15,
        linewidth=0,
        label=f"{percent} posterior predictive interval of y",
    )
    if show_mean_band:
        ax.fill_between(
            grid,
            mean_lower,
            mean_upper,
            color="C0",
            alpha=0.35,
            linewidth=0,
            label=f"{percent} credible band of E[y | x]",
        )
    else:
        mean_lower = mean_upper = None
    ax.plot(grid, mean_line, color="C0", linewidth=2.0, label="posterior mean of E[y | x]")
    if show_map:
        ax.plot(
            grid, map_line, color="C3", linestyle="--", linewidth=1.5, label=_point_label(estimator)
        )
    ax.scatter(x, y, s=14, color="black", alpha=0.7, zorder=3, label="data")
    ax.set_xlim(grid[0], grid[-1])
    ax.set_xlabel(feature_names(estimator)[0])
    ax.set_ylabel(y_label)
    ax.legend(loc="best", fontsize="small")
    return PredictiveBandsPlot(
        ax=ax,
        x_grid=grid,
        map_line=map_line,
        mean_line=mean_line,
        mean_lower=mean_lower,
        mean_upper=mean_upper,
        predictive_lower=predictive_lower,
        predictive_upper=predictive_upper,
        prob=float(ci_prob),
    )
