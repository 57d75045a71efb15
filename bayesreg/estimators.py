"""Drop-in scikit-learn estimators whose fit is a posterior mode and which can sample the posterior.

Each estimator takes scikit-learn 1.9's parameters for the same penalty, and ``fit``
sets ``coef_`` and ``intercept_`` to the exact minimiser of scikit-learn's objective,
with an optimality certificate in ``map_.certificate``.  ``sample_posterior`` then draws
from the posterior of the noise-scaled prior (see :mod:`bayesreg.priors`), whose mode
in ``w`` is that same ``coef_`` for any noise scale.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions

from bayesreg._base import (
    BayesianLinearRegressor,
    check_distribution,
    check_enough_observations,
    check_sampling_arguments,
)
from bayesreg.conjugate import (
    ImproperPosteriorError,
    NormalInverseGamma,
    gaussian_prior_precisions,
    sample_normal_inverse_gamma,
)
from bayesreg.inference import sample_linear_posterior
from bayesreg.priors import (
    ElasticNetPrior,
    Gaussian,
    HierarchicalElasticNet,
    HierarchicalLasso,
    HierarchicalRidge,
    Laplace,
    Prior,
)
from bayesreg.solvers import solve_map

__all__ = ["ElasticNet", "Lasso", "Ridge"]


class _PenalizedRegression(BayesianLinearRegressor):
    """Shared machinery: validation, the exact MAP, prediction and posterior sampling."""

    _parameter_constraints: dict = {  # noqa: RUF012 - scikit-learn's class attribute
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "copy_X": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "positive": ["boolean"],
        "random_state": ["random_state"],
        "penalty_factor": ["array-like", None],
    }

    # -- what each estimator defines ---------------------------------------------------
    def _unit_noise_prior(self, n_samples: int) -> Prior:
        """The prior at unit noise whose MAP is this estimator's solution."""
        raise NotImplementedError  # pragma: no cover - abstract

    def _max_epochs(self) -> int:
        return int(self.max_iter)

    def _prior(self, data) -> Prior:
        """The unit-noise prior with the per-feature ``penalty_factor`` applied."""
        prior = self._unit_noise_prior(data.n_samples)
        factor = getattr(self, "penalty_factor", None)
        if factor is None:
            return prior
        # The prior validates the factors (1-D, finite, >= 0) and their count.
        prior = prior.with_penalty_factor(np.asarray(factor))
        prior.check_n_features(data.n_features)
        return prior

    def _objective_scale(self, n_samples: int) -> float:
        """``J = scale * (1/2 ||r||^2_S + P(w))``: scikit-learn's objective from ours."""
        raise NotImplementedError  # pragma: no cover - abstract

    def _check_params(self) -> None:
        self._validate_params()
        for name in ("alpha", "l1_ratio", "tol"):
            value = getattr(self, name, 0.0)
            if isinstance(value, Real) and math.isnan(value):
                raise ValueError(f"{name} must be a number, got NaN.")

    # -- fitting -----------------------------------------------------------------------
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None):
        """Fit the MAP (= scikit-learn's penalised solution) exactly.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default None
            Non-negative observation weights, used as scikit-learn uses them.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Before any solver runs, on invalid hyperparameters, and on ``X``, ``y`` or
            ``sample_weight`` that are empty, of mismatched lengths, not finite or not
            numeric (the columns are named; complex numbers, dates and durations
            included), on negative or all-zero weights, on a ``y`` with several columns,
            and on a column of ``X`` or a ``y`` whose sum of squares leaves float64's
            range (values beyond about 1e150, or varying by less than about 1e-150:
            rescale them).
        TypeError
            Before any solver runs, on cells of ``X`` that are neither numbers nor strings.
        """
        self._check_params()
        data = self._validated_data(X, y, sample_weight, reset=True)
        w0 = None
        if getattr(self, "warm_start", False) and getattr(self, "coef_", None) is not None:
            if np.shape(self.coef_) == (data.n_features,):
                w0 = self.coef_
        result = solve_map(
            data,
            self._prior(data),
            positive=self.positive,
            tol=self.tol,
            max_iter=self._max_epochs(),
            w0=w0,
        )
        if not result.certificate.converged:
            warnings.warn(
                f"{type(self).__name__} did not reach tol={self.tol:g}: "
                f"{result.certificate}. Increase max_iter (now {self._max_epochs()}).",
                ConvergenceWarning,
                stacklevel=2,
            )
        self._forget_posterior()
        self.map_ = result
        self.coef_ = result.coef
        self.intercept_ = result.intercept
        self.n_iter_ = result.n_iter
        self.dual_gap_ = self._objective_scale(data.n_samples) * result.certificate.duality_gap
        return self

    def sample_posterior(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        sample_weight: ArrayLike | None = None,
        num_samples: int = 1000,
        num_warmup: int = 1000,
        num_chains: int = 4,
        random_state=None,
        progress_bar: bool = False,
        noise_prior=None,
        alpha_prior=None,
    ) -> xr.DataTree:
        """Fit the MAP, then draw the posterior whose mode it is by NUTS (Ridge: exactly).

        The model is this estimator's objective turned into a density, with the noise
        scale ``sigma`` unknown: ``y_i ~ N(b + x_i' w, sigma^2 / s_i)``, a flat prior on
        ``b`` and the noise-scaled prior ``p(w | sigma) propto exp(-P(w) / sigma^2)``,
        so the log posterior depends on ``w`` only through ``-J(w) / (c sigma^2)`` and
        its mode is ``coef_`` whatever the prior of ``sigma``.

        Parameters
        ----------
        X, y, sample_weight
            As for :meth:`fit`.
        num_samples, num_warmup, num_chains : int
            Draws kept per chain, warm-up iterations per chain, and chains.
        random_state : None, int or numpy RandomState
            Seed of the chains' starts and of NUTS.
        progress_bar : bool
            Show numpyro's progress bar.
        noise_prior : numpyro distribution, default None
            Prior of ``sigma``; None is Jeffreys' ``p(sigma) propto 1 / sigma``.
        alpha_prior : numpyro distribution, default None
            Full Bayes: a prior on the penalty strength ``alpha`` (positive support,
            e.g. ``numpyro.distributions.Gamma(1.0, 1.0)``), sampled with the weights
            (:mod:`bayesreg.priors.hierarchical`); the posterior then no longer has
            ``coef_`` as its mode.  None keeps ``alpha`` fixed.

        Returns
        -------
        xarray.DataTree
            ``posterior`` (``intercept``, ``coef`` over ``feature``, ``sigma``, and
            ``alpha`` when it has a prior),
            ``sample_stats``, ``log_likelihood`` and ``observed_data``; also stored as
            ``posterior_``.

        Raises
        ------
        ValueError
            As for :meth:`fit`, and on ``num_samples``, ``num_warmup`` or ``num_chains``
            that are not integers in range, an invalid ``random_state``, or fewer than two
            observations with positive weight (one without an intercept); all before the
            fit and the sampler.
        TypeError
            As for :meth:`fit`, and when ``noise_prior`` is not a numpyro distribution.

        Warns
        -----
        bayesreg.inference.SamplingWarning
            On divergences or R-hat > 1.01.
        """
        check_sampling_arguments(num_samples, num_warmup, num_chains, random_state)
        check_distribution("noise_prior", noise_prior)
        check_distribution("alpha_prior", alpha_prior)
        self._check_params()
        data = self._validated_data(X, y, sample_weight, reset=True)
        check_enough_observations(data)
        if alpha_prior is not None and getattr(self, "penalty_factor", None) is not None:
            raise ValueError("alpha_prior with penalty_factor is not supported: drop one of them.")
        self.fit(X, y, sample_weight=sample_weight)
        # After the fit: a CV estimator's prior depends on the alpha_ it chose.
        prior = self._prior(data)
        if alpha_prior is not None:
            prior = self._hierarchical_prior(alpha_prior, data.n_samples)
        self.posterior_ = self._draw_posterior(
            data,
            prior,
            exact_allowed=noise_prior is None and alpha_prior is None,
            noise_prior=noise_prior,
            num_samples=num_samples,
            num_warmup=num_warmup,
            num_chains=num_chains,
            random_state=random_state,
            progress_bar=progress_bar,
        )
        return self.posterior_

    def _draw_posterior(self, data, prior: Prior, *, exact_allowed: bool, **sampler) -> xr.DataTree:
        """Draw the posterior of ``data`` under ``prior`` by NUTS (Ridge may draw exactly)."""
        return sample_linear_posterior(
            data, prior, coef_init=self.coef_, feature_names=self.feature_names_, **sampler
        )


class Ridge(_PenalizedRegression):
    """Ridge regression as the MAP of a Gaussian prior; drop-in for scikit-learn's ``Ridge``.

    Minimises scikit-learn's objective

    ``||y - Xw - b||^2_S + alpha ||w||^2_2``

    (``S`` the sample weights, used as given), which is ``2 sigma^2`` times the negative
    log posterior of ``w_j ~ N(0, sigma^2 / alpha)`` under ``y_i ~ N(b + x_i'w,
    sigma^2 / s_i)`` with a flat prior on ``b``.

    Parameters
    ----------
    alpha : float, default 1.0
        Penalty strength, >= 0; the prior variance is ``sigma^2 / alpha``.
    fit_intercept : bool, default True
    copy_X : bool, default True
        Accepted for compatibility; ``X`` is never modified.
    max_iter : int or None, default None
        Most coordinate-descent epochs when ``positive=True`` (None: 10000).
    tol : float, default 1e-4
        Relative duality gap for ``positive=True``.
    solver : str, default "auto"
        Accepted for compatibility: the answer is exact whatever is asked (closed form
        by the SVD, or coordinate descent with an exact polish when ``positive``).
    positive : bool, default False
        Constrain the weights to be non-negative (a prior truncated to ``w >= 0``).
    random_state : None
        Accepted for compatibility; unused by the MAP.
    penalty_factor : array-like of shape (n_features,), default None
        Per-feature multipliers ``f_j >= 0`` of the penalty (glmnet's
        ``penalty.factor``): weight ``j`` gets the rates ``f_j l1`` and ``f_j l2``, and
        ``f_j = 0`` leaves it unpenalised (a flat prior).  Unlike glmnet, the factors
        are used as given, not rescaled to sum to ``n_features``; to reproduce glmnet
        pass ``g * n_features / sum(g)``.  None is all ones.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    map_ : bayesreg.MAPResult
        The solution with its certificate.
    n_iter_ : int
    dual_gap_ : float
        Duality gap in the objective's scale.
    posterior_ : xarray.DataTree
        Set by :meth:`sample_posterior`.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names when ``X`` is a DataFrame.

    Notes
    -----
    The noise-scaled posterior sampled by :meth:`sample_posterior` is, with Jeffreys'
    prior on ``sigma``, the conjugate normal-inverse-gamma model: ``w | y`` is a
    multivariate t with ``n - 1`` degrees of freedom centred at ``coef_``.  So
    :meth:`sample_posterior` draws it exactly, iid and without warm-up
    (:mod:`bayesreg.conjugate`; ``posterior.attrs["sampler"]`` says so), unless a
    ``noise_prior`` or ``alpha_prior`` is given, ``positive=True``, or the posterior is
    improper (``alpha = 0`` with ``p >= n - 1``): then it runs NUTS.  Passing
    ``noise_prior=bayesreg.model.JeffreysNoise()`` runs NUTS on the same model.

    Examples
    --------
    >>> import numpy as np, bayesreg
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([0.0, 1.0, 2.0])
    >>> round(float(bayesreg.Ridge(alpha=1.0).fit(X, y).coef_[0]), 12)  # exactly 2/3
    0.666666666667
    """

    _parameter_constraints: dict = {  # noqa: RUF012
        **_PenalizedRegression._parameter_constraints,
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "solver": [
            StrOptions({"auto", "svd", "cholesky", "lsqr", "sparse_cg", "sag", "saga", "lbfgs"})
        ],
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept=True,
        copy_X=True,
        max_iter=None,
        tol=1e-4,
        solver="auto",
        positive=False,
        random_state=None,
        penalty_factor=None,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver
        self.positive = positive
        self.random_state = random_state
        self.penalty_factor = penalty_factor

    def _unit_noise_prior(self, n_samples: int) -> Prior:
        return Gaussian.from_alpha(self.alpha)

    def _hierarchical_prior(self, alpha_prior, n_samples: int) -> Prior:
        return HierarchicalRidge(alpha_prior=alpha_prior)

    def _draw_posterior(self, data, prior: Prior, *, exact_allowed: bool, **sampler) -> xr.DataTree:
        """iid draws from the normal-inverse-gamma posterior when it applies, else NUTS.

        It applies with Jeffreys' noise prior, a fixed ``alpha`` and no sign constraint,
        when the posterior is proper (:mod:`bayesreg.conjugate`).
        """
        precisions = gaussian_prior_precisions(prior, data.n_features)
        if exact_allowed and not self.positive and precisions is not None:
            try:
                exact = NormalInverseGamma.from_data(data, precisions)
            except ImproperPosteriorError:
                pass  # e.g. alpha = 0 with p >= n - 1: NUTS, as for any improper prior
            else:
                return sample_normal_inverse_gamma(
                    data,
                    exact,
                    feature_names=self.feature_names_,
                    num_samples=sampler["num_samples"],
                    num_chains=sampler["num_chains"],
                    random_state=sampler["random_state"],
                )
        return super()._draw_posterior(data, prior, exact_allowed=exact_allowed, **sampler)

    def _max_epochs(self) -> int:
        return 10_000 if self.max_iter is None else int(self.max_iter)

    def _objective_scale(self, n_samples: int) -> float:
        return 2.0


class ElasticNet(_PenalizedRegression):
    """Elastic net as the MAP of the elastic-net prior; drop-in for scikit-learn's ``ElasticNet``.

    Minimises scikit-learn's objective

    ``1 / (2 n) ||y - Xw - b||^2_S + alpha rho ||w||_1 + 0.5 alpha (1 - rho) ||w||^2_2``

    with ``rho = l1_ratio`` and the sample weights ``S`` rescaled to sum to ``n``.  It is
    ``sigma^2 / n`` times the negative log posterior of the prior
    ``p(w_j | sigma) propto exp(-(n alpha / sigma^2) (rho |w_j| + (1 - rho) w_j^2 / 2))``.

    Parameters
    ----------
    alpha : float, default 1.0
    l1_ratio : float, default 0.5
        ``rho`` in [0, 1]: 1 is the lasso (Laplace prior), 0 ridge (Gaussian prior).
    fit_intercept : bool, default True
    precompute : bool or array-like, default False
        Accepted for compatibility; the solver always works on the Gram matrix.
    max_iter : int, default 1000
        Most coordinate-descent epochs.
    copy_X : bool, default True
        Accepted for compatibility; ``X`` is never modified.
    tol : float, default 1e-4
        Stop coordinate descent at ``gap <= tol ||y~||^2`` (scikit-learn's rule); the
        answer is then polished on its support, so the final gap is usually ~1e-16.
    warm_start : bool, default False
        Start from the previous ``coef_``.
    positive : bool, default False
    random_state, selection
        Accepted for compatibility; the MAP is unique, so they do not change it.
    penalty_factor : array-like of shape (n_features,), default None
        Per-feature multipliers ``f_j >= 0`` of the penalty (glmnet's
        ``penalty.factor``): weight ``j`` gets the rates ``f_j l1`` and ``f_j l2``, and
        ``f_j = 0`` leaves it unpenalised (a flat prior).  Unlike glmnet, the factors
        are used as given, not rescaled to sum to ``n_features``; to reproduce glmnet
        pass ``g * n_features / sum(g)``.  None is all ones.

    Attributes
    ----------
    coef_, intercept_, map_, n_iter_, dual_gap_, posterior_, n_features_in_,
    feature_names_in_
        As for :class:`Ridge`; ``dual_gap_`` is in the scale of the objective above.

    Notes
    -----
    The elastic-net prior ``exp(-l1 |w| - l2 w^2) / Z`` is proper and is sampled with its
    normalising constant (:class:`bayesreg.ElasticNetPrior`).
    """

    _parameter_constraints: dict = {  # noqa: RUF012
        **_PenalizedRegression._parameter_constraints,
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "precompute": ["boolean", "array-like"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "selection": [StrOptions({"cyclic", "random"})],
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        l1_ratio=0.5,
        fit_intercept=True,
        precompute=False,
        max_iter=1000,
        copy_X=True,
        tol=1e-4,
        warm_start=False,
        positive=False,
        random_state=None,
        selection="cyclic",
        penalty_factor=None,
    ):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.copy_X = copy_X
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.penalty_factor = penalty_factor

    def _unit_noise_prior(self, n_samples: int) -> Prior:
        return ElasticNetPrior.from_alpha(self.alpha, self.l1_ratio, n_samples)

    def _hierarchical_prior(self, alpha_prior, n_samples: int) -> Prior:
        return HierarchicalElasticNet(
            alpha_prior=alpha_prior, n_samples=n_samples, l1_ratio=self.l1_ratio
        )

    def _weights(self, sample_weight: np.ndarray) -> np.ndarray:
        # scikit-learn rescales the weights to sum to n_samples.
        return sample_weight * (sample_weight.size / sample_weight.sum())

    def _objective_scale(self, n_samples: int) -> float:
        return 1.0 / n_samples


class Lasso(ElasticNet):
    """The lasso as the MAP of a Laplace prior; a drop-in for ``sklearn.linear_model.Lasso``.

    Minimises scikit-learn's objective

    ``1 / (2 n) ||y - Xw - b||^2_S + alpha ||w||_1``

    (sample weights ``S`` rescaled to sum to ``n``), which is ``sigma^2 / n`` times the
    negative log posterior of ``w_j | sigma ~ Laplace(0, sigma^2 / (n alpha))`` under
    ``y_i ~ N(b + x_i'w, sigma^2 / s_i)`` with a flat prior on ``b`` (Tibshirani, 1996).

    Parameters
    ----------
    alpha : float, default 1.0
        Penalty strength, >= 0.  ``alpha >= alpha_max = ||X~'y~||_inf / n`` gives all
        zeros.
    fit_intercept, precompute, copy_X, max_iter, tol, warm_start, positive,
    random_state, selection
        As for :class:`ElasticNet`.

    penalty_factor
        As for :class:`ElasticNet`.

    Attributes
    ----------
    coef_, intercept_, map_, n_iter_, dual_gap_, posterior_, n_features_in_,
    feature_names_in_
        As for :class:`ElasticNet`.

    Notes
    -----
    The zeros of ``coef_`` are exact: coordinate descent soft-thresholds, and the
    optimality certificate (``map_.certificate``) checks the subgradient condition
    ``|X~_j' r| <= n alpha`` on every zero.  The posterior puts no mass exactly at zero:
    the MAP's sparsity is a property of the mode, not of the posterior.

    References
    ----------
    .. [1] R. Tibshirani, "Regression shrinkage and selection via the lasso",
       J. R. Statist. Soc. B 58(1), 1996.
    .. [2] T. Park and G. Casella, "The Bayesian lasso", JASA 103(482), 2008.

    Examples
    --------
    >>> import numpy as np, bayesreg
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([0.0, 1.0, 2.0])
    >>> float(bayesreg.Lasso(alpha=0.1).fit(X, y).coef_[0])
    0.85
    """

    _parameter_constraints: dict = {  # noqa: RUF012
        k: v for k, v in ElasticNet._parameter_constraints.items() if k != "l1_ratio"
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept=True,
        precompute=False,
        copy_X=True,
        max_iter=1000,
        tol=1e-4,
        warm_start=False,
        positive=False,
        random_state=None,
        selection="cyclic",
        penalty_factor=None,
    ):
        super().__init__(
            alpha=alpha,
            l1_ratio=1.0,
            fit_intercept=fit_intercept,
            precompute=precompute,
            max_iter=max_iter,
            copy_X=copy_X,
            tol=tol,
            warm_start=warm_start,
            positive=positive,
            random_state=random_state,
            selection=selection,
            penalty_factor=penalty_factor,
        )

    def _unit_noise_prior(self, n_samples: int) -> Prior:
        return Laplace.from_alpha(self.alpha, n_samples)

    def _hierarchical_prior(self, alpha_prior, n_samples: int) -> Prior:
        return HierarchicalLasso(alpha_prior=alpha_prior, n_samples=n_samples)
