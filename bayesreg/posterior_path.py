"""The posterior along a grid of penalty strengths: a regularization path with credible bands.

A regularization path (:func:`bayesreg.regularization_path`) follows the posterior
*mode* ``w(alpha)`` as the prior's strength changes.  :func:`posterior_path` follows the
whole posterior: at each ``alpha`` it samples ``p(w | y, alpha)`` by NUTS (the same
model as ``estimator.sample_posterior``) and keeps, per coefficient, the posterior mean,
median and highest-density interval beside the MAP, plus the sampler's diagnostics.

It computes; :func:`bayesreg.plotting.paths.plot_regularization_path` draws.
"""

from __future__ import annotations

import dataclasses
import warnings
from numbers import Real

import arviz as az
import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import clone

from bayesreg._base import check_distribution, check_sampling_arguments
from bayesreg.estimators import ElasticNet, Ridge

__all__ = ["PosteriorPath", "posterior_path"]

_SAMPLE_DIMS = ("chain", "draw")


@dataclasses.dataclass(frozen=True, eq=False)
class PosteriorPath:
    """Per-coefficient posterior summaries at each penalty strength of a grid.

    Arrays over features and alphas have shape ``(n_features, n_alphas)``, as
    :attr:`bayesreg.RegularizationPath.coefs`: row ``j`` is feature ``j``, column ``k``
    the posterior at ``alphas[k]``.

    Attributes
    ----------
    alphas : ndarray of shape (n_alphas,)
        The grid, in decreasing order (as a regularization path).
    feature_names : list of str
        The estimator's feature labels (DataFrame columns, else ``x0, x1, ...``).
    coef_map : ndarray of shape (n_features, n_alphas)
        The MAP ``argmax_w p(w | y, alpha)``: the estimator's ``coef_`` at each alpha,
        i.e. scikit-learn's penalized solution (with exact zeros for an l1 penalty).
    mean, median : ndarray of shape (n_features, n_alphas)
        Posterior means and medians of each coefficient, from the draws.
    lower, upper : ndarray of shape (n_features, n_alphas)
        Ends of each coefficient's marginal highest-density interval of mass
        ``hdi_prob`` (:func:`arviz.hdi`).
    hdi_prob : float
        Probability mass of the intervals.
    divergences : ndarray of int, shape (n_alphas,)
        Divergent NUTS transitions after warm-up, all chains, at each alpha.
    min_ess : ndarray of shape (n_alphas,)
        Smallest bulk effective sample size over the coefficients at each alpha
        (:func:`arviz.ess`).
    max_rhat : ndarray of shape (n_alphas,)
        Largest rank-normalized split R-hat over the coefficients at each alpha
        (:func:`arviz.rhat`; NaN with a single chain).
    num_samples, num_chains : int
        Draws kept per chain and chains, at every alpha.
    """

    alphas: np.ndarray
    feature_names: list[str]
    coef_map: np.ndarray
    mean: np.ndarray
    median: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    hdi_prob: float
    divergences: np.ndarray
    min_ess: np.ndarray
    max_rhat: np.ndarray
    num_samples: int
    num_chains: int

    def __post_init__(self):
        alphas = np.asarray(self.alphas, dtype=np.float64)
        if alphas.ndim != 1 or alphas.size == 0:
            raise ValueError(f"alphas must be a non-empty 1-D array, got shape {alphas.shape}.")
        names = [str(name) for name in self.feature_names]
        shape = (len(names), alphas.size)
        object.__setattr__(self, "alphas", alphas)
        object.__setattr__(self, "feature_names", names)
        for name in ("coef_map", "mean", "median", "lower", "upper"):
            values = np.asarray(getattr(self, name), dtype=np.float64)
            if values.shape != shape:
                raise ValueError(
                    f"{name} must have shape (n_features, n_alphas) = {shape}, one column "
                    f"per alpha and one row per feature name; got {values.shape}."
                )
            object.__setattr__(self, name, values)
        for name in ("divergences", "min_ess", "max_rhat"):
            values = np.asarray(getattr(self, name))
            if values.shape != alphas.shape:
                raise ValueError(f"{name} must have shape {alphas.shape}, got {values.shape}.")
            object.__setattr__(self, name, values)

    @property
    def n_features(self) -> int:
        return len(self.feature_names)


def _check_estimator(estimator) -> None:
    if not isinstance(estimator, Ridge | ElasticNet) or "alpha" not in estimator.get_params():
        raise TypeError(
            "estimator must be a bayesreg Ridge, Lasso or ElasticNet (an estimator with "
            f"one penalty strength alpha), got {type(estimator).__name__}; for a "
            "cross-validated estimator pass the plain one with the same settings, e.g. "
            "bayesreg.Lasso(fit_intercept=...)."
        )


def _check_alphas(alphas) -> np.ndarray:
    """The grid as a float array in decreasing order: 1-D, positive, finite, distinct."""
    try:
        grid = np.asarray(alphas, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"alphas must be an array of numbers, got {alphas!r}.") from err
    if grid.ndim != 1 or grid.size == 0:
        raise ValueError(
            f"alphas must be a non-empty 1-D array of penalty strengths, got shape {grid.shape}."
        )
    if not np.all(np.isfinite(grid)) or np.any(grid <= 0):
        raise ValueError(
            f"alphas must be finite and > 0, got {alphas!r}: alpha = 0 is a flat prior, "
            "whose posterior is the least-squares one (bayesreg.LinearRegression)."
        )
    grid = np.sort(grid)[::-1]
    if np.any(grid[1:] == grid[:-1]):
        raise ValueError(f"alphas has repeated values {alphas!r}: give each alpha once.")
    return grid


def _check_hdi_prob(hdi_prob) -> float:
    if isinstance(hdi_prob, bool) or not isinstance(hdi_prob, Real) or not 0 < hdi_prob < 1:
        raise ValueError(f"hdi_prob must be a number in (0, 1), got {hdi_prob!r}.")
    return float(hdi_prob)


def _sample_at(estimator, alpha: float, X, y, sample_kwargs: dict):
    """``estimator`` refitted and sampled at ``alpha``; its warnings name the alpha."""
    est = clone(estimator).set_params(alpha=alpha)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tree = est.sample_posterior(X, y, **sample_kwargs)
    for warning in caught:
        warnings.warn(f"at alpha={alpha:.4g}: {warning.message}", warning.category, stacklevel=3)
    return est, tree


def posterior_path(
    estimator: Ridge | ElasticNet,
    X: ArrayLike,
    y: ArrayLike,
    alphas: ArrayLike,
    *,
    hdi_prob: float = 0.9,
    sample_weight: ArrayLike | None = None,
    noise_prior=None,
    num_samples: int = 1000,
    num_warmup: int = 1000,
    num_chains: int = 4,
    random_state=None,
) -> PosteriorPath:
    """Sample the posterior at each alpha of a grid and summarise every coefficient.

    For each ``alpha`` the estimator is cloned with that ``alpha`` (its other settings
    kept; a fitted estimator's fit is not used) and ``sample_posterior(X, y, ...)`` draws
    ``p(w, b, sigma | y, alpha)``; each coefficient's marginal draws are summarised by
    their mean, median and HDI, beside the MAP ``coef_``.

    Parameters
    ----------
    estimator : bayesreg.Ridge, bayesreg.Lasso or bayesreg.ElasticNet
        Fitted or not; it is not modified.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    alphas : array-like of shape (n_alphas,)
        Penalty strengths, finite, > 0 and distinct; sorted into decreasing order.  To
        draw the bands over a regularization path, take them from its grid
        (e.g. ``path.alphas[::10]``) so the MAPs can be checked against it.
    hdi_prob : float, default 0.9
        Probability mass of the highest-density intervals, in (0, 1).
    sample_weight : array-like of shape (n_samples,), optional
        As for ``estimator.fit``.
    noise_prior : numpyro distribution, optional
        Prior of the noise scale; None is Jeffreys' ``1 / sigma`` (see
        ``sample_posterior``).
    num_samples, num_warmup, num_chains : int, default 1000, 1000, 4
        Draws kept per chain, warm-up iterations per chain and chains, at each alpha.
    random_state : None, int or numpy RandomState
        An int seeds every alpha's sampler with that same int, so the posterior at one
        alpha is reproduced by ``clone(estimator).set_params(alpha=a).sample_posterior(X,
        y, random_state=seed, ...)`` (and neighbouring alphas share random numbers, which
        makes the bands smooth in alpha).  A RandomState is consumed alpha after alpha,
        largest first.

    Returns
    -------
    PosteriorPath

    Raises
    ------
    TypeError
        If ``estimator`` is not a bayesreg Ridge, Lasso or ElasticNet (a CV estimator,
        which chooses its own alpha, included), or ``noise_prior`` is not a numpyro
        distribution.
    ValueError
        On ``alphas`` that are not a non-empty 1-D array of distinct finite positive
        numbers, ``hdi_prob`` outside (0, 1), sampler settings out of range; and, from
        the first alpha's ``sample_posterior`` before it samples, on invalid estimator
        settings or data.  All before any sampling.

    Warns
    -----
    bayesreg.inference.SamplingWarning
        The sampler's warnings (divergences, R-hat > 1.01) at each alpha, prefixed with
        that alpha.

    Notes
    -----
    At penalty strength ``alpha`` the posterior is that of ``estimator.sample_posterior``,
    e.g. for the lasso

    ``p(w, b, sigma | y) propto prod_i N(y_i | b + x_i'w, sigma^2)
    prod_j (n alpha / (2 sigma^2)) exp(-n alpha |w_j| / sigma^2) / sigma``,

    whose mode in ``w`` is the lasso solution ``coef_map[:, k]`` for every ``sigma``.  The
    HDI of ``w_j`` is the shortest interval holding a fraction ``hdi_prob`` of its
    marginal draws.  The posterior has no atom at zero: where the MAP is exactly zero,
    the band still has width, shrinking as ``alpha`` grows.  Each alpha costs one NUTS
    compilation plus sampling (numpyro recompiles per run), about a second or more.

    Examples
    --------
    >>> import numpy as np, bayesreg
    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> bands = posterior_path(bayesreg.Lasso(), X, y, [1.0, 0.1], random_state=0)  # doctest: +SKIP
    >>> bands.lower.shape  # doctest: +SKIP
    (10, 2)
    """
    _check_estimator(estimator)
    grid = _check_alphas(alphas)
    hdi_prob = _check_hdi_prob(hdi_prob)
    check_sampling_arguments(num_samples, num_warmup, num_chains, random_state)
    check_distribution("noise_prior", noise_prior)
    sample_kwargs = {
        "sample_weight": sample_weight,
        "noise_prior": noise_prior,
        "num_samples": num_samples,
        "num_warmup": num_warmup,
        "num_chains": num_chains,
        "random_state": random_state,
    }

    coef_map, mean, median, lower, upper = [], [], [], [], []
    divergences, min_ess, max_rhat = [], [], []
    feature_names: list[str] = []
    for alpha in grid:
        est, tree = _sample_at(estimator, float(alpha), X, y, sample_kwargs)
        feature_names = est.feature_names_
        draws = tree["posterior"]["coef"].transpose(*_SAMPLE_DIMS, "feature")
        hdi = az.hdi(draws, prob=hdi_prob, dim=list(_SAMPLE_DIMS)).transpose("feature", "ci_bound")
        coef_map.append(np.asarray(est.coef_, dtype=np.float64))
        mean.append(draws.mean(dim=_SAMPLE_DIMS).to_numpy())
        median.append(draws.median(dim=_SAMPLE_DIMS).to_numpy())
        lower.append(hdi.sel(ci_bound="lower").to_numpy())
        upper.append(hdi.sel(ci_bound="upper").to_numpy())
        divergences.append(int(tree["sample_stats"]["diverging"].sum()))
        min_ess.append(float(az.ess(tree, var_names=["coef"])["coef"].min()))
        rhat = az.rhat(tree, var_names=["coef"])["coef"] if num_chains > 1 else np.nan
        max_rhat.append(float(np.max(rhat)))

    return PosteriorPath(
        alphas=grid,
        feature_names=list(feature_names),
        coef_map=np.stack(coef_map, axis=1),
        mean=np.stack(mean, axis=1),
        median=np.stack(median, axis=1),
        lower=np.stack(lower, axis=1),
        upper=np.stack(upper, axis=1),
        hdi_prob=hdi_prob,
        divergences=np.asarray(divergences, dtype=int),
        min_ess=np.asarray(min_ess),
        max_rhat=np.asarray(max_rhat),
        num_samples=int(num_samples),
        num_chains=int(num_chains),
    )
