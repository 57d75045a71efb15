"""Generalized linear models whose fit is a posterior mode: logistic and Poisson regression.

:class:`LogisticRegression` and :class:`PoissonRegressor` take scikit-learn 1.9's
parameters, and ``fit`` sets ``coef_`` and ``intercept_`` to the exact minimiser of
scikit-learn's objective (:func:`bayesreg.solvers.glm.solve_glm_map`, certified by its
KKT violation in ``map_.certificate``).  That objective, divided by a constant, is the
negative log posterior of a GLM likelihood and a prior of the elastic-net family, and
``sample_posterior`` draws from that posterior by NUTS.

The second half of the module holds the numpyro models (:func:`logistic_model`,
:func:`poisson_model`) and the sampler that turns them into an arviz DataTree.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import xarray as xr
from numpy.typing import ArrayLike
from numpyro.distributions import constraints
from numpyro.infer import MCMC, NUTS
from scipy.special import expit
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.metrics import d2_tweedie_score
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, validate_data

from bayesreg._base import (
    check_sampling_arguments,
    check_score_input,
    checked_sample_weight,
    feature_names,
    validated_X,
)
from bayesreg._validation import (
    check_same_length,
    check_squares_fit_float64,
    column_names,
    explain_conversion_error,
    reject_complex_and_dates,
    reject_non_numeric_columns,
)
from bayesreg.inference import chain_method, warn_on_diagnostics
from bayesreg.priors import ElasticNetPrior, Flat, Gaussian, Laplace, Prior
from bayesreg.solvers.glm import (
    Binomial,
    GLMFamily,
    Multinomial,
    Poisson,
    _design,
    _hessian,
    solve_glm_map,
)

__all__ = ["LogisticRegression", "PoissonRegressor", "logistic_model", "poisson_model"]

_COMPAT_SOLVERS = {"lbfgs", "newton-cg", "newton-cholesky", "sag", "saga"}


# -- shared machinery ---------------------------------------------------------------------
class _GLMMixin:
    """Validation, feature names and the posterior sampler shared by the GLM estimators."""

    def _validate(self, X, y, *, reset: bool, y_numeric: bool):
        reject_non_numeric_columns(X)
        reject_complex_and_dates(X, "X")
        if y_numeric:
            reject_complex_and_dates(y, "y")
        check_same_length(X, y)
        try:
            X_valid, y_valid = validate_data(
                self, X, y, reset=reset, dtype=np.float64, y_numeric=y_numeric, accept_sparse=False
            )
        except (ValueError, TypeError) as err:
            if y_numeric:
                explain_conversion_error(X, y, err)
            else:
                explain_conversion_error(X, None, err)
            raise
        check_squares_fit_float64(
            X_valid,
            np.asarray(y_valid, dtype=np.float64) if y_numeric else None,
            feature_names=column_names(X, X_valid.shape[1]),
        )
        return X_valid, y_valid

    def _validate_X(self, X) -> np.ndarray:
        return validated_X(self, X)

    @property
    def feature_names_(self) -> list[str]:
        """Feature labels: the DataFrame's column names, else ``x0, x1, ...``."""
        return feature_names(self)

    def _warn_if_not_converged(self, result) -> None:
        if not result.certificate.converged:
            warnings.warn(
                f"{type(self).__name__} did not reach tol={self.tol:g}: relative KKT "
                f"violation {result.certificate.kkt_violation:.3e} after {result.n_iter} "
                f"Newton steps. Increase max_iter (now {self.max_iter}), or the MAP may "
                "not exist (separable classes, or counts that are all 0, without a penalty).",
                ConvergenceWarning,
                stacklevel=3,
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


# -- logistic regression -----------------------------------------------------------------
class LogisticRegression(_GLMMixin, LinearClassifierMixin, BaseEstimator):
    """Penalised logistic regression as a posterior mode; drop-in for scikit-learn's.

    Minimises scikit-learn's objective

    ``C sum_i s_i logloss_i(W, b) + r(W)``,
    ``r(W) = rho ||W||_1 + (1 - rho) / 2 ||W||_F^2``  (``rho = l1_ratio``),

    with the intercept ``b`` unpenalised and ``s`` the sample weights times the class
    weights.  Divided by ``C`` it is the negative log posterior

    ``-sum_i s_i log p(y_i | W x_i + b) - log p(W) + const``

    of a Bernoulli-logit (two classes) or categorical-softmax (``K > 2`` classes)
    likelihood and the prior ``p(W_kj) propto exp(-(rho / C) |W_kj| - ((1 - rho) / 2C)
    W_kj^2)`` on every weight:

    * ``l1_ratio = 0`` (L2): ``W_kj ~ N(0, C)``, i.e. ``bayesreg.Gaussian(scale=sqrt(C))``;
    * ``l1_ratio = 1`` (L1): ``W_kj ~ Laplace(0, C)``, i.e. ``bayesreg.Laplace(scale=C)``;
    * in between: ``bayesreg.ElasticNetPrior(l1=rho / C, l2=(1 - rho) / (2 C))``;
    * ``C = inf``: no penalty, the flat prior (the MAP is the maximum likelihood).

    Parameters
    ----------
    C : float, default 1.0
        Inverse penalty strength, > 0 (``np.inf``: no penalty); the prior variance of a
        weight for L2.
    l1_ratio : float, default 0.0
        ``rho`` in [0, 1].
    tol : float, default 1e-4
        The relative KKT violation above which a ``ConvergenceWarning`` is raised.  The
        solver itself always iterates to rounding level (about 1e-13).
    fit_intercept : bool, default True
    class_weight : dict, "balanced" or None, default None
        Multiplies the sample weights, as in scikit-learn.
    random_state : None, int or RandomState, default None
        Accepted for compatibility; the MAP is unique and does not depend on it.
    solver : {"lbfgs", "newton-cg", "newton-cholesky", "sag", "saga"}, default "lbfgs"
        Accepted for compatibility: the answer is exact whatever is asked (proximal
        Newton, :mod:`bayesreg.solvers.glm`).  "liblinear" is refused: it penalises the
        intercept, which is a different objective (and prior).
    max_iter : int, default 100
        Most proximal Newton steps.
    warm_start : bool, default False
        Start from the previous ``coef_`` and ``intercept_``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        One row for two classes (the weights of ``classes_[1]``), else one per class in
        scikit-learn's symmetric parametrisation (every row penalised).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Summing to 0 over classes for ``K > 2``.
    n_iter_ : ndarray of shape (1,)
        Proximal Newton steps.
    map_ : bayesreg.solvers.glm.GLMResult
        The solution, with ``coef`` of shape (K, n_features), and its certificate.
    posterior_ : xarray.DataTree
        Set by :meth:`sample_posterior`.
    n_features_in_, feature_names_in_

    Notes
    -----
    With two classes scikit-learn fits one weight vector ``w`` with
    ``P(y = classes_[1]) = sigmoid(w'x + b)``; with ``K > 2`` classes it fits ``K`` rows,
    ``P(y = k) = softmax(W x + b)_k``, an over-parametrisation that the penalty on all
    rows makes identifiable (and that makes the posterior proper).  Without a penalty
    it is not identifiable, and :meth:`sample_posterior` refuses ``C = inf`` for
    ``K > 2``.  With ``l1_ratio = 1`` and an even ``K`` the L1 optimum is not unique
    either (any point between the two middle values of a feature's ``K`` weights ties).

    References
    ----------
    .. [1] J. Friedman, T. Hastie and R. Tibshirani, "Regularization paths for
       generalized linear models via coordinate descent", J. Stat. Softw. 33(1), 2010.
    .. [2] R. Tibshirani, "Regression shrinkage and selection via the lasso",
       J. R. Statist. Soc. B 58(1), 1996.

    Examples
    --------
    >>> import numpy as np, bayesreg.glm
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> clf = bayesreg.glm.LogisticRegression(C=1.0).fit(X, y)
    >>> clf.predict([[0.5], [2.5]]).tolist()
    [0, 1]
    """

    _parameter_constraints: dict = {  # noqa: RUF012 - scikit-learn's class attribute
        "C": [Interval(Real, 0, None, closed="right")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "random_state": ["random_state"],
        "solver": [StrOptions(_COMPAT_SOLVERS | {"liblinear"})],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        C=1.0,
        *,
        l1_ratio=0.0,
        tol=1e-4,
        fit_intercept=True,
        class_weight=None,
        random_state=None,
        solver="lbfgs",
        max_iter=100,
        warm_start=False,
    ):
        self.C = C
        self.l1_ratio = l1_ratio
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.warm_start = warm_start

    def prior(self) -> Prior:
        """The prior on every weight whose posterior mode is this estimator's fit.

        ``Flat`` for ``C = inf``, ``Gaussian(sqrt(C))`` for ``l1_ratio = 0``,
        ``Laplace(C)`` for ``l1_ratio = 1``, else ``ElasticNetPrior(rho / C,
        (1 - rho) / (2 C))``.
        """
        C, rho = float(self.C), float(self.l1_ratio)
        if math.isinf(C):
            return Flat()
        if rho == 0:
            return Gaussian(math.sqrt(C))
        if rho == 1:
            return Laplace(C)
        return ElasticNetPrior(rho / C, (1.0 - rho) / (2.0 * C))

    def _check_params(self) -> None:
        self._validate_params()
        for name in ("C", "l1_ratio", "tol"):
            if math.isnan(float(getattr(self, name))):
                raise ValueError(f"{name} must be a number, got NaN.")
        if self.solver == "liblinear":
            raise ValueError(
                "solver='liblinear' penalises the intercept, a different objective; "
                "bayesreg always leaves it unpenalised (flat prior). Use another solver name."
            )

    def _prepare(self, X, y, sample_weight, *, reset: bool):
        """Validated ``X``, encoded ``y`` (indices into ``classes_``) and weights."""
        X, y = self._validate(X, y, reset=reset, y_numeric=False)
        check_classification_targets(y)
        classes, encoded = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise ValueError(
                "LogisticRegression needs samples of at least 2 classes in the data, but "
                f"the data contains only one class: {classes[0]!r}."
            )
        weight = checked_sample_weight(sample_weight, X)
        if self.class_weight is not None:
            if isinstance(self.class_weight, dict):
                unknown = set(self.class_weight) - set(classes.tolist())
                if unknown:
                    raise ValueError(
                        f"class_weight has labels {sorted(map(str, unknown))} that are not "
                        f"classes of y ({classes.tolist()})."
                    )
            per_class = compute_class_weight(
                self.class_weight, classes=classes, y=y, sample_weight=sample_weight
            )
            weight = weight * per_class[encoded]
        if not weight.sum() > 0:
            raise ValueError("the sample weights times class weights sum to zero.")
        return X, y, classes, encoded.astype(np.int64), weight

    @staticmethod
    def _family(n_classes: int) -> GLMFamily:
        return Binomial() if n_classes == 2 else Multinomial(n_classes)

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None):
        """Fit the MAP (= scikit-learn's penalised solution) to rounding.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default None
            Non-negative observation weights, used as scikit-learn uses them.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            On invalid hyperparameters, invalid inputs, fewer than two classes,
            or a continuous ``y``; all before the solver runs.
        """
        self._check_params()
        X, _, classes, encoded, weight = self._prepare(X, y, sample_weight, reset=True)
        K = classes.size
        rows = 1 if K == 2 else K
        coef0 = intercept0 = None
        if self.warm_start and getattr(self, "coef_", None) is not None:
            if np.shape(self.coef_) == (rows, X.shape[1]):
                coef0, intercept0 = self.coef_, self.intercept_
        y_fit = encoded.astype(np.float64) if K == 2 else encoded
        result = solve_glm_map(
            X,
            y_fit,
            self._family(K),
            self.prior(),
            sample_weight=weight,
            fit_intercept=self.fit_intercept,
            tol=self.tol,
            max_iter=self.max_iter,
            coef0=coef0,
            intercept0=intercept0,
        )
        self._warn_if_not_converged(result)
        self.classes_ = classes
        self.map_ = result
        self.coef_ = result.coef
        self.intercept_ = result.intercept
        self.n_iter_ = np.array([result.n_iter], dtype=np.int32)
        return self

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """``X coef_' + intercept_``: shape (n,) for two classes, else (n, n_classes)."""
        scores = self._validate_X(X) @ self.coef_.T + self.intercept_
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities at the MAP, columns ordered as ``classes_``."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            # expit, not 1 / (1 + exp(-s)): exp(-s) overflows for s below about -709.
            p1 = expit(scores)
            return np.column_stack([expit(-scores), p1])
        scores = scores - scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Log class probabilities at the MAP."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            scores = np.column_stack([np.zeros_like(scores), scores])
        return scores - np.logaddexp.reduce(scores, axis=1, keepdims=True)

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
    ) -> xr.DataTree:
        """Fit the MAP, then draw the posterior whose mode it is by NUTS.

        The model (:func:`logistic_model`) is ``y_i ~ Bernoulli(sigmoid(w'x_i + b))``
        (two classes) or ``y_i ~ Categorical(softmax(W x_i + b))``, each observation's
        log likelihood weighted by ``s_i``, the prior :meth:`prior` on every weight and a
        flat prior on ``b`` (for ``K > 2`` on the intercepts summing to 0).  Chains start
        at the MAP jittered by half a Laplace-approximation standard deviation.

        Parameters
        ----------
        X, y, sample_weight
            As for :meth:`fit`.
        num_samples, num_warmup, num_chains : int
        random_state : None, int or numpy RandomState
        progress_bar : bool

        Returns
        -------
        xarray.DataTree
            ``posterior`` (``coef`` over ``feature``, or ``class`` and ``feature``;
            ``intercept``, over ``class`` for ``K > 2``), ``sample_stats``,
            ``log_likelihood`` (``y`` over ``obs_id``: ``s_i log p(y_i | ...)``) and
            ``observed_data``; also stored as ``posterior_``.

        Raises
        ------
        ValueError
            As for :meth:`fit`; on invalid sampler arguments; and for ``C = inf`` with
            more than two classes (the softmax posterior is then improper).

        Warns
        -----
        bayesreg.inference.SamplingWarning
            On divergences or R-hat > 1.01.
        """
        check_sampling_arguments(num_samples, num_warmup, num_chains, random_state)
        self._check_params()
        X_v, y_v, classes, encoded, weight = self._prepare(X, y, sample_weight, reset=True)
        K = classes.size
        if K > 2 and math.isinf(float(self.C)):
            raise ValueError(
                "C=inf (flat prior) with more than two classes: the softmax is invariant "
                "to adding the same vector to every class's weights, so the posterior is "
                "improper. Use a finite C."
            )
        self.fit(X, y, sample_weight=sample_weight)
        keep = weight > 0
        labels = [str(c) for c in classes]
        self.posterior_ = _sample(
            self._family(K),
            X_v[keep],
            (encoded.astype(np.float64) if K == 2 else encoded)[keep],
            weight[keep],
            self.prior(),
            self.map_,
            fit_intercept=self.fit_intercept,
            feature_names=self.feature_names_,
            class_names=None if K == 2 else labels,
            observed=np.asarray(y_v)[keep],
            obs_id=np.flatnonzero(keep),
            num_samples=num_samples,
            num_warmup=num_warmup,
            num_chains=num_chains,
            random_state=random_state,
            progress_bar=progress_bar,
        )
        return self.posterior_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


# -- Poisson regression ------------------------------------------------------------------
class PoissonRegressor(_GLMMixin, RegressorMixin, BaseEstimator):
    """Poisson regression (log link) as a posterior mode; drop-in for scikit-learn's.

    Minimises scikit-learn's objective

    ``1 / (2 S) sum_i s_i d(y_i, mu_i) + alpha / 2 ||w||^2``,   ``mu_i = exp(x_i'w + b)``,

    with the unit deviance ``d(y, mu) = 2 (y log(y / mu) - y + mu)``, ``S = sum_i s_i``
    (``n`` without weights) and the intercept ``b`` unpenalised.  The Poisson log
    likelihood is ``log p(y | mu) = y log mu - mu - log y! = -d(y, mu) / 2 + c(y)``, so
    ``S`` times the objective is

    ``-sum_i s_i log p(y_i | mu_i) + ||w||^2 / (2 tau^2) + const``,  ``tau = 1 / sqrt(S alpha)``:

    the negative log posterior of ``w_j ~ N(0, 1 / (S alpha))``
    (``bayesreg.Gaussian(scale=1 / sqrt(S alpha))``) with a flat prior on ``b``;
    ``alpha = 0`` is the flat prior (maximum likelihood).  There is no noise scale: the
    Poisson variance is the mean.

    Parameters
    ----------
    alpha : float, default 1.0
        Penalty strength, >= 0.
    fit_intercept : bool, default True
    solver : {"lbfgs", "newton-cholesky"}, default "newton-cholesky"
        Accepted for compatibility: the answer is Newton's, to rounding, whatever is
        asked.
    max_iter : int, default 100
        Most Newton steps.
    tol : float, default 1e-4
        The relative KKT violation (gradient norm) above which a ``ConvergenceWarning``
        is raised; the solver iterates to rounding level regardless.
    warm_start : bool, default False
    verbose : int, default 0
        Accepted for compatibility.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
    map_ : bayesreg.solvers.glm.GLMResult
    posterior_ : xarray.DataTree
    n_features_in_, feature_names_in_

    Examples
    --------
    >>> import numpy as np, bayesreg.glm
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 2.0, 4.0])
    >>> reg = bayesreg.glm.PoissonRegressor(alpha=0.0).fit(X, y)
    >>> np.allclose(reg.predict(X).sum(), y.sum())  # the MLE matches the total count
    True
    """

    _parameter_constraints: dict = {  # noqa: RUF012
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "solver": [StrOptions({"lbfgs", "newton-cholesky"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept=True,
        solver="newton-cholesky",
        max_iter=100,
        tol=1e-4,
        warm_start=False,
        verbose=0,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose

    def prior(self, total_weight: float) -> Prior:
        """``Gaussian(1 / sqrt(S alpha))`` for the total sample weight ``S`` (Flat if 0)."""
        if float(self.alpha) == 0:
            return Flat()
        return Gaussian(1.0 / math.sqrt(total_weight * float(self.alpha)))

    def _check_params(self) -> None:
        self._validate_params()
        for name in ("alpha", "tol"):
            if math.isnan(float(getattr(self, name))):
                raise ValueError(f"{name} must be a number, got NaN.")

    def _prepare(self, X, y, sample_weight, *, reset: bool):
        X, y = self._validate(X, y, reset=reset, y_numeric=True)
        y = np.asarray(y, dtype=np.float64)
        if np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are out of the valid range of the loss: Poisson "
                "regression needs y >= 0."
            )
        weight = checked_sample_weight(sample_weight, X)
        if np.all(y[weight > 0] == 0) and (self.fit_intercept or float(self.alpha) == 0):
            raise ValueError(
                "every count in y is 0: the Poisson likelihood then grows without bound as "
                "the predicted mean exp(b + x'w) goes to 0, so the MAP has an intercept of "
                "-infinity (or, without a penalty, weights of infinite size). Fit data with "
                "some positive counts."
            )
        return X, y, weight

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None):
        """Fit the MAP (= scikit-learn's penalised solution) to rounding.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Non-negative targets (counts, or rates with weights).
        sample_weight : array-like of shape (n_samples,), default None

        Returns
        -------
        self
        """
        self._check_params()
        X, y, weight = self._prepare(X, y, sample_weight, reset=True)
        coef0 = intercept0 = None
        if self.warm_start and getattr(self, "coef_", None) is not None:
            if np.shape(self.coef_) == (X.shape[1],):
                coef0, intercept0 = self.coef_[None, :], np.array([self.intercept_])
        result = solve_glm_map(
            X,
            y,
            Poisson(),
            self.prior(float(weight.sum())),
            sample_weight=weight,
            fit_intercept=self.fit_intercept,
            tol=self.tol,
            max_iter=self.max_iter,
            coef0=coef0,
            intercept0=intercept0,
        )
        self._warn_if_not_converged(result)
        self.map_ = result
        self.coef_ = result.coef[0]
        self.intercept_ = float(result.intercept[0])
        self.n_iter_ = int(result.n_iter)
        return self

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The MAP mean ``exp(X coef_ + intercept_)``."""
        return np.exp(self._validate_X(X) @ self.coef_ + self.intercept_)

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """D^2, the fraction of Poisson deviance explained (as scikit-learn's).

        Raises
        ------
        ValueError
            For fewer than 2 samples, negative weights, or a constant ``y``: D^2 divides
            by the deviance of the constant model, which is then 0 (scikit-learn warns
            and returns NaN).
        """
        check_score_input(y, sample_weight, "D^2")
        y_pred = self.predict(X)
        y_true = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if y_true.ndim == 1 and y_true.size and np.ptp(y_true) == 0:
            raise ValueError(
                f"D^2 is not defined for a constant y (every value is {y_true[0]:g}): the "
                "deviance of the constant model it compares with is 0. Score the model on "
                "data whose counts vary."
            )
        return float(d2_tweedie_score(y_true, y_pred, sample_weight=sample_weight, power=1))

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
    ) -> xr.DataTree:
        """Fit the MAP, then draw the posterior whose mode it is by NUTS.

        The model (:func:`poisson_model`) is ``y_i ~ Poisson(exp(w'x_i + b))`` with each
        log likelihood weighted by ``s_i``, ``w_j ~ N(0, 1 / (S alpha))`` and ``b`` flat.

        Returns
        -------
        xarray.DataTree
            ``posterior`` (``coef`` over ``feature``, ``intercept``), ``sample_stats``,
            ``log_likelihood`` and ``observed_data``; also stored as ``posterior_``.
        """
        check_sampling_arguments(num_samples, num_warmup, num_chains, random_state)
        self._check_params()
        X_v, y_v, weight = self._prepare(X, y, sample_weight, reset=True)
        self.fit(X, y, sample_weight=sample_weight)
        keep = weight > 0
        self.posterior_ = _sample(
            Poisson(),
            X_v[keep],
            y_v[keep],
            weight[keep],
            self.prior(float(weight.sum())),
            self.map_,
            fit_intercept=self.fit_intercept,
            feature_names=self.feature_names_,
            class_names=None,
            observed=y_v[keep],
            obs_id=np.flatnonzero(keep),
            num_samples=num_samples,
            num_warmup=num_warmup,
            num_chains=num_chains,
            random_state=random_state,
            progress_bar=progress_bar,
        )
        return self.posterior_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = True
        return tags


# == numpyro models and the sampler =======================================================
def _flat(event_shape=()):
    return dist.ImproperUniform(constraints.real, (), event_shape)


def logistic_model(X, y, weight, prior: Prior, *, n_classes: int, fit_intercept: bool):
    """Bernoulli-logit (``n_classes = 2``) or categorical-softmax regression.

    Sites: ``coef`` (plate ``feature``, inside plate ``class`` for ``n_classes > 2``) from
    ``prior.sample_coef``; ``intercept`` (flat; for ``n_classes > 2`` the deterministic
    centred transform of the flat ``intercept_free`` of ``n_classes - 1`` values, which
    fixes the softmax's shift invariance with unit Jacobian on the sum-zero plane); ``y``
    (plate ``obs_id``, log likelihood scaled by ``weight``).
    """
    n, p = X.shape
    if n_classes == 2:
        coef = prior.sample_coef(p)
        eta = X @ coef
        if fit_intercept:
            eta = eta + numpyro.sample("intercept", _flat())
        with numpyro.plate("obs_id", n), numpyro.handlers.scale(scale=weight):
            numpyro.sample("y", dist.Bernoulli(logits=eta), obs=y)
        return
    with numpyro.plate("class", n_classes, dim=-2):
        coef = prior.sample_coef(p)
    eta = X @ coef.T
    if fit_intercept:
        free = numpyro.sample("intercept_free", _flat((n_classes - 1,)))
        full = jnp.concatenate([free, jnp.zeros(1)])
        eta = eta + numpyro.deterministic("intercept", full - full.mean())
    with numpyro.plate("obs_id", n), numpyro.handlers.scale(scale=weight):
        numpyro.sample("y", dist.Categorical(logits=eta), obs=y)


def poisson_model(X, y, weight, prior: Prior, *, fit_intercept: bool):
    """Poisson regression with log link: ``y_i ~ Poisson(exp(x_i'w + b))``.

    The log likelihood ``y log mu - mu - log y!`` is added as a factor (``y`` may be any
    real >= 0, as in scikit-learn), scaled by ``weight``; sites ``coef``, ``intercept``.
    """
    p = X.shape[1]
    coef = prior.sample_coef(p)
    eta = X @ coef
    if fit_intercept:
        eta = eta + numpyro.sample("intercept", _flat())
    mu = jnp.exp(eta)
    log_lik = y * eta - mu - jax.scipy.special.gammaln(y + 1.0)
    numpyro.factor("y", jnp.sum(weight * log_lik))


def _initial_values(family, X, y, weight, prior, result, fit_intercept, rng, num_chains):
    """The MAP jittered by half the Laplace approximation's marginal standard deviation."""
    K, p = result.coef.shape
    X1 = _design(X, fit_intercept)
    eta = X1 @ np.column_stack([result.coef, result.intercept])[:, : X1.shape[1]].T
    H = _hessian(X1, family.hessian(eta, y) * weight[:, None, None])
    diag = np.diag(H).reshape(K, X1.shape[1]).copy()
    diag[:, :p] += 2.0 * float(prior.l2)
    sd = 1.0 / np.sqrt(np.maximum(diag, 1e-12))
    coef = result.coef + 0.5 * sd[:, :p] * rng.standard_normal((num_chains, K, p))
    init = {"coef": coef[:, 0] if K == 1 else coef}
    if fit_intercept:
        b = result.intercept + 0.5 * sd[:, p] * rng.standard_normal((num_chains, K))
        if K == 1:
            init["intercept"] = b[:, 0]
        else:
            b = b - b.mean(axis=1, keepdims=True)
            init["intercept_free"] = b[:, :-1] - b[:, -1:]
    return {k: jnp.asarray(v[0] if num_chains == 1 else v) for k, v in init.items()}


def _sample(
    family: GLMFamily,
    X,
    y,
    weight,
    prior: Prior,
    result,
    *,
    fit_intercept: bool,
    feature_names,
    class_names,
    observed,
    obs_id,
    num_samples,
    num_warmup,
    num_chains,
    random_state,
    progress_bar,
) -> xr.DataTree:
    """NUTS on the family's numpyro model, returned as a labelled DataTree."""
    rng = check_random_state(random_state)
    K, p = result.coef.shape
    if isinstance(family, Poisson):
        model = poisson_model
        kwargs = {"fit_intercept": fit_intercept}
    else:
        model = logistic_model
        kwargs = {"n_classes": 2 if K == 1 else K, "fit_intercept": fit_intercept}
    y_arg = jnp.asarray(y)
    n_params = K * (p + int(fit_intercept))
    method = chain_method(num_chains)
    mcmc = MCMC(
        NUTS(model, dense_mass=n_params <= 200),
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        chain_method=method,
        progress_bar=progress_bar,
    )
    init = _initial_values(family, X, y, weight, prior, result, fit_intercept, rng, num_chains)
    mcmc.run(
        jax.random.key(int(rng.randint(2**31 - 1))),
        jnp.asarray(X),
        y_arg,
        jnp.asarray(weight),
        prior,
        init_params=init,
        extra_fields=("diverging", "energy", "num_steps", "accept_prob"),
        **kwargs,
    )
    draws = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
    n_chain, n_draw = draws["coef"].shape[:2]
    coef = draws["coef"].reshape(n_chain, n_draw, K, p)
    if fit_intercept:
        intercept = draws["intercept"].reshape(n_chain, n_draw, K)
    else:
        intercept = np.zeros((n_chain, n_draw, K))
    eta = np.einsum("np,cdkp->cdnk", X, coef) + intercept[:, :, None, :]
    if K == 1:
        log_lik = family.log_likelihood(eta[..., 0], y)
        posterior = {"coef": coef[:, :, 0], "intercept": intercept[:, :, 0]}
        dims = {"coef": ["feature"]}
        coords = {"feature": list(feature_names)}
    else:
        log_lik = family.log_likelihood(eta, y)
        posterior = {"coef": coef, "intercept": intercept}
        dims = {"coef": ["class", "feature"], "intercept": ["class"]}
        coords = {"feature": list(feature_names), "class": list(class_names)}
    extra = {k: np.asarray(v) for k, v in mcmc.get_extra_fields(group_by_chain=True).items()}
    coords["obs_id"] = np.asarray(obs_id)
    dims["y"] = ["obs_id"]
    tree = az.from_dict(
        {
            "posterior": posterior,
            "sample_stats": extra,
            "log_likelihood": {"y": weight * log_lik},
            "observed_data": {"y": np.asarray(observed)},
        },
        coords=coords,
        dims=dims,
    )
    tree["posterior"].attrs.update(chain_method=method, num_warmup=num_warmup)
    warn_on_diagnostics(tree)
    return tree
