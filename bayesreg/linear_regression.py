"""The prior-first linear model: write the model down, get its MAP and its posterior.

:class:`LinearRegression` is the model a paper, a Stan program or a brms formula writes,

``y_i ~ likelihood(b + x_i' w, sigma)``, ``w_j ~ prior``, ``b ~ intercept_prior``,
``sigma ~ noise_prior``,

with each piece a bayesreg prior or any numpyro distribution.  Unlike the penalised
estimators (:class:`bayesreg.Ridge`, ...), the prior is used as written (the fixed-noise
form): it does not scale with ``sigma``.  With no prior and the Gaussian likelihood it
is ordinary least squares, scikit-learn's ``LinearRegression``.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike
from sklearn.utils._param_validation import Interval, StrOptions

from bayesreg._base import (
    BayesianLinearRegressor,
    check_distribution,
    check_enough_observations,
    check_sampling_arguments,
    check_target_accept_prob,
)
from bayesreg.inference import sample_linear_posterior
from bayesreg.likelihoods import Likelihood, make_likelihood
from bayesreg.model import RegressionData
from bayesreg.priors import Gaussian, Prior
from bayesreg.priors.adapters import as_prior
from bayesreg.solvers import solve_map
from bayesreg.solvers.joint import solve_joint_map

__all__ = ["LinearRegression"]


class LinearRegression(BayesianLinearRegressor):
    """A linear model with any prior on the weights, intercept and noise.

    The model is

    ``y_i ~ L(b + x_i' w, sigma / s_i^(1/2))`` (Gaussian: ``N(b + x_i'w, sigma^2 / s_i)``),
    ``w_j ~ prior``, ``b ~ intercept_prior``, ``sigma ~ noise_prior``,

    and ``fit`` finds its joint posterior mode (MAP) in ``(w, b, sigma)``, the minimiser
    of ``-sum_i log p(y_i | b + x_i'w, sigma) - log p(w) - log p(b) - log p(sigma)``.

    Parameters
    ----------
    prior : bayesreg prior, numpyro distribution or None, default None
        Prior of each weight, used as written (not scaled by ``sigma``).  None is flat:
        ordinary least squares.  ``numpyro.distributions.Normal(0, s)`` and
        ``Laplace(0, s)`` become :class:`bayesreg.Gaussian` and :class:`bayesreg.Laplace`
        (exact MAP, exact zeros); other distributions on the real line are used through
        their log density.
    intercept_prior : numpyro distribution or None, default None
        Prior of ``b``; None is flat (never penalised).
    noise_prior : numpyro distribution or None, default None
        Prior of ``sigma`` (positive support); None is ``p(sigma) propto 1 / sigma``
        (:class:`bayesreg.model.JeffreysNoise`), the scale-invariant default.
    noise_scale : float or None, default None
        A known ``sigma``; ``noise_prior`` is then unused.
    fit_intercept : bool, default True
    likelihood : {"normal", "student_t", "laplace"}, default "normal"
        ``"student_t"`` (with ``df``) and ``"laplace"`` give regression that is robust
        to outlying observations; see :mod:`bayesreg.likelihoods`.
    df : float, default 4.0
        Degrees of freedom of the Student-t likelihood.
    tol : float, default 1e-10
        Relative decrease of the negative log posterior at which the block-coordinate
        MAP solver stops (:func:`bayesreg.solvers.joint.solve_joint_map`).
    max_iter : int, default 1000
        Most block-coordinate rounds.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        The MAP weights; after :meth:`sample_posterior` with a prior that has no finite
        mode (horseshoe, hierarchical priors), the posterior means.
    intercept_ : float
    sigma_ : float
        The noise scale at the mode (``noise_scale`` when given).
    map_ : JointMAP or None
        The mode with its objective and the certificate of the last weight solve;
        None when the prior has no finite mode.
    n_iter_ : int
    posterior_ : xarray.DataTree
        Set by :meth:`sample_posterior`.
    n_features_in_, feature_names_in_

    Notes
    -----
    The MAP is exact where the mathematics allows: with the Gaussian likelihood the
    weight block is the exact elastic-net solve (or the proximal / gradient solver for
    other priors), the Laplace likelihood with a flat or Laplace prior is a linear
    program, and the Student-t likelihood is handled by majorise-minimise (iteratively
    reweighted least squares), which decreases the objective at every step.  The
    Student-t likelihood and non-log-concave priors make the problem non-convex: the
    answer is then a stationary point reached from the Gaussian fit.

    Examples
    --------
    A model written in brms as ``y ~ x`` with ``b ~ normal(0, 1)``,
    ``Intercept ~ student_t(3, 8, 10)`` and ``sigma ~ student_t(3, 0, 10)``:

    >>> import numpyro.distributions as dist
    >>> model = LinearRegression(
    ...     prior=dist.Normal(0.0, 1.0),
    ...     intercept_prior=dist.StudentT(3.0, 8.0, 10.0),
    ...     noise_prior=dist.FoldedDistribution(dist.StudentT(3.0, 0.0, 10.0)),
    ... )
    """

    _parameter_constraints: dict = {  # noqa: RUF012 - scikit-learn's class attribute
        "prior": "no_validation",
        "intercept_prior": "no_validation",
        "noise_prior": "no_validation",
        "noise_scale": [Interval(Real, 0, None, closed="neither"), None],
        "fit_intercept": ["boolean"],
        "likelihood": [StrOptions({"normal", "student_t", "laplace"})],
        "df": [Interval(Real, 0, None, closed="neither")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        prior=None,
        *,
        intercept_prior=None,
        noise_prior=None,
        noise_scale=None,
        fit_intercept=True,
        likelihood="normal",
        df=4.0,
        tol=1e-10,
        max_iter=1000,
    ):
        self.prior = prior
        self.intercept_prior = intercept_prior
        self.noise_prior = noise_prior
        self.noise_scale = noise_scale
        self.fit_intercept = fit_intercept
        self.likelihood = likelihood
        self.df = df
        self.tol = tol
        self.max_iter = max_iter

    # -- the model ---------------------------------------------------------------------
    def _likelihood(self) -> Likelihood:
        return make_likelihood(self.likelihood, self.df)

    def _checked_model(self) -> Prior:
        """Validate the hyperparameters; return the weight prior."""
        self._validate_params()
        for name in ("noise_scale", "df", "tol"):
            value = getattr(self, name)
            if isinstance(value, Real) and math.isnan(value):
                raise ValueError(f"{name} must be a number, got NaN.")
        check_distribution("intercept_prior", self.intercept_prior)
        check_distribution("noise_prior", self.noise_prior)
        if self.intercept_prior is not None and not self.fit_intercept:
            raise ValueError(
                "intercept_prior is given but fit_intercept=False: set fit_intercept=True "
                "to give the intercept a prior, or drop intercept_prior."
            )
        return as_prior(self.prior, what="prior")

    # -- fitting -----------------------------------------------------------------------
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None):
        """Find the joint posterior mode of ``(w, b, sigma)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default None

        Returns
        -------
        self

        Raises
        ------
        bayesreg.priors.NoFiniteModeError
            When the prior has no finite mode (horseshoe, hierarchical priors): use
            :meth:`sample_posterior`.
        ValueError, TypeError
            Before any solver runs, on invalid hyperparameters or data.
        """
        prior = self._checked_model()
        data = self._validated_data(X, y, sample_weight, reset=True)
        prior.check_map()
        n_positive = int(np.count_nonzero(data.sample_weight))
        if self.noise_scale is None and self.likelihood != "normal" and n_positive < 2:
            raise ValueError(
                f"the {self.likelihood} likelihood with an unknown noise scale needs at "
                f"least 2 samples with positive weight, got {n_positive} sample; give "
                "more data or fix noise_scale."
            )
        self._fit_map(data, prior)
        return self

    def _fit_map(self, data: RegressionData, prior: Prior) -> None:
        result = solve_joint_map(
            data,
            prior,
            likelihood=self._likelihood(),
            noise_prior=self.noise_prior,
            noise_scale=self.noise_scale,
            intercept_prior=self.intercept_prior,
            tol=self.tol,
            max_iter=self.max_iter,
        )
        self._forget_posterior()
        self.map_ = result
        self.coef_ = result.coef
        self.intercept_ = result.intercept
        self.sigma_ = result.sigma
        self.n_iter_ = result.n_iter

    def sample_posterior(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        sample_weight: ArrayLike | None = None,
        num_samples: int = 1000,
        num_warmup: int = 1000,
        num_chains: int = 4,
        target_accept_prob: float = 0.8,
        random_state=None,
        progress_bar: bool = False,
    ) -> xr.DataTree:
        """Fit the MAP (when it exists), then draw the posterior by NUTS.

        Parameters
        ----------
        X, y, sample_weight
            As for :meth:`fit`.
        num_samples, num_warmup, num_chains : int
        target_accept_prob : float, default 0.8
            Raise it (0.95-0.99) for the horseshoe's funnel-shaped posterior.
        random_state : None, int or numpy RandomState
        progress_bar : bool

        Returns
        -------
        xarray.DataTree
            ``posterior`` (``intercept``, ``coef`` over ``feature``, ``sigma`` and any
            latent variables of the prior), ``sample_stats``, ``log_likelihood`` and
            ``observed_data``; also stored as ``posterior_``.
        """
        check_sampling_arguments(num_samples, num_warmup, num_chains, random_state)
        check_target_accept_prob(target_accept_prob)
        prior = self._checked_model()
        data = self._validated_data(X, y, sample_weight, reset=True)
        if self.noise_scale is None:
            check_enough_observations(data)
        if prior.map_solver is not None:
            self._fit_map(data, prior)
            coef_init = self.coef_
        else:
            coef_init = _ridge_start(data)
        posterior = sample_linear_posterior(
            data,
            prior,
            coef_init=coef_init,
            feature_names=self.feature_names_,
            noise_scaled=False,
            noise_prior=self.noise_prior,
            noise_scale=self.noise_scale,
            intercept_prior=self.intercept_prior,
            likelihood=self._likelihood(),
            num_samples=num_samples,
            num_warmup=num_warmup,
            num_chains=num_chains,
            target_accept_prob=target_accept_prob,
            random_state=random_state,
            progress_bar=progress_bar,
        )
        if prior.map_solver is None:
            # No mode to report: the point estimate is the posterior mean.
            post = posterior["posterior"]
            self.map_ = None
            self.coef_ = post["coef"].mean(("chain", "draw")).values
            self.intercept_ = float(post["intercept"].mean())
            self.sigma_ = float(post["sigma"].mean())
            self.n_iter_ = 0
        self.posterior_ = posterior
        return posterior


def _ridge_start(data: RegressionData) -> np.ndarray:
    """A start for the chains when there is no MAP: a lightly regularised ridge fit."""
    X_t, _ = data.centered()
    alpha = 1e-3 * max(float(np.mean(np.sum(X_t * X_t, axis=0))), 1e-12)
    return solve_map(data, Gaussian.from_alpha(alpha)).coef
