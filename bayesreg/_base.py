"""What every bayesreg linear regressor shares: validation, prediction, posterior predictive.

A fitted estimator has a point estimate (``coef_``, ``intercept_``: the MAP) and, after
``sample_posterior``, a posterior DataTree ``posterior_`` with ``intercept``, ``coef``
and ``sigma``.  From those:

* ``predict(X)`` is the MAP prediction ``X coef_ + intercept_`` (scikit-learn's
  contract: it never changes after sampling);
* ``predict(X, return_std=True)`` is the posterior predictive mean
  ``E[b + x'w | y]`` and standard deviation ``sqrt(Var[b + x'w | y] + E[Var(y | mu,
  sigma)])`` (as scikit-learn's ``BayesianRidge``: the noise is included);
* ``sample_y(X, n_samples)`` draws from the posterior predictive;
* ``loo()`` and ``waic()`` estimate the expected log predictive density.
"""

from __future__ import annotations

from numbers import Integral, Real

import jax
import numpy as np
import numpyro.distributions as dist
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    check_is_fitted,
    validate_data,
)

from bayesreg import comparison
from bayesreg._validation import (
    check_same_length,
    check_single_target,
    check_squares_fit_float64,
    column_names,
    explain_conversion_error,
    reject_complex_and_dates,
    reject_non_numeric_columns,
)
from bayesreg.likelihoods import Likelihood, Normal
from bayesreg.model import RegressionData

__all__ = [
    "BayesianLinearRegressor",
    "check_distribution",
    "check_enough_observations",
    "check_sampling_arguments",
    "check_score_input",
    "check_target_accept_prob",
    "checked_sample_weight",
    "feature_names",
    "validated_X",
]


def check_sampling_arguments(num_samples, num_warmup, num_chains, random_state) -> None:
    """Reject bad sampler settings before any fit or tracing."""
    for name, value, low in (
        ("num_samples", num_samples, 1),
        ("num_warmup", num_warmup, 0),
        ("num_chains", num_chains, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    try:
        check_random_state(random_state)  # a bad seed fails here, not after the fit
    except (ValueError, TypeError) as err:
        raise ValueError(
            "random_state must be None, an integer from 0 to 2**32 - 1 or a "
            f"numpy.random.RandomState, got {random_state!r} ({err})"
        ) from None


def check_target_accept_prob(value) -> None:
    """NUTS's step-size adaptation target must lie strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 < value < 1.0:
        raise ValueError(f"target_accept_prob must be a number in (0, 1), got {value!r}.")


def check_distribution(name: str, value) -> None:
    """``value`` must be a numpyro distribution or None."""
    if value is not None and not isinstance(value, dist.Distribution):
        raise TypeError(
            f"{name} must be a numpyro distribution or None, got {value!r} "
            "(e.g. numpyro.distributions.HalfNormal(10.0))."
        )


def check_enough_observations(data: RegressionData) -> None:
    """A posterior with unknown noise needs a residual degree of freedom."""
    if data.n_residual_dof < 1:
        n_positive = data.n_residual_dof + data.fit_intercept
        raise ValueError(
            "sampling the posterior needs at least 2 observations with positive "
            f"weight when fit_intercept=True (1 otherwise); got {n_positive}."
        )


def check_score_input(y, sample_weight, score_name: str) -> None:
    """``score_name`` (R^2, D^2) needs 2 samples and non-negative weights.

    It divides by the (weighted) spread of ``y``: scikit-learn warns and returns NaN for
    one sample, and takes negative weights as given (an R^2 above 1).
    """
    try:
        n = _num_samples(y)
    except TypeError:  # not array-like: scikit-learn's validation says so
        return
    if n < 2:
        raise ValueError(
            f"{score_name} is not defined for fewer than 2 samples (got {n}): it compares "
            "the errors with the spread of y. Score the model on more data."
        )
    if sample_weight is not None:
        checked_sample_weight(sample_weight, np.empty((n, 0)))


def checked_sample_weight(sample_weight, X: np.ndarray) -> np.ndarray:
    """Float64 weights, one per row of ``X``, non-negative with a positive sum."""
    if sample_weight is not None:
        try:
            n_weights = _num_samples(sample_weight)
        except TypeError:  # a scalar: one weight for all
            n_weights = X.shape[0]
        if n_weights != X.shape[0]:
            raise ValueError(
                f"sample_weight has {n_weights} entries but X has {X.shape[0]} "
                "samples: give one weight per sample."
            )
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
    if not sample_weight.sum() > 0:
        raise ValueError("sample_weight sums to zero: give at least one sample a positive weight.")
    return sample_weight


def validated_X(estimator, X) -> np.ndarray:
    """``X`` for a fitted estimator's predictions, checked in numpy with a clear error."""
    check_is_fitted(estimator)
    reject_non_numeric_columns(X)
    reject_complex_and_dates(X, "X")
    try:
        return validate_data(estimator, X, reset=False, dtype=np.float64, accept_sparse=False)
    except (ValueError, TypeError) as err:
        explain_conversion_error(X, None, err)
        raise


def feature_names(estimator) -> list[str]:
    """A fitted estimator's feature labels: DataFrame column names, else ``x0, x1, ...``."""
    check_is_fitted(estimator)
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        return [str(name) for name in names]
    return [f"x{j}" for j in range(estimator.n_features_in_)]


class BayesianLinearRegressor(RegressorMixin, BaseEstimator):
    """Validation, MAP prediction and the posterior predictive of a linear regressor."""

    # -- hooks -------------------------------------------------------------------------
    def _weights(self, sample_weight: np.ndarray) -> np.ndarray:
        """The observation weights as the objective uses them."""
        return sample_weight

    def _likelihood(self) -> Likelihood:
        """The likelihood of ``y`` given the linear predictor and the noise scale."""
        return Normal()

    # -- validation --------------------------------------------------------------------
    def _validated_data(self, X, y, sample_weight, *, reset: bool) -> RegressionData:
        """Check and convert the inputs in numpy, before anything is traced or solved."""
        reject_non_numeric_columns(X)
        reject_complex_and_dates(X, "X")
        reject_complex_and_dates(y, "y")
        check_single_target(y)
        check_same_length(X, y)
        try:
            X_valid, y_valid = validate_data(
                self, X, y, reset=reset, dtype=np.float64, y_numeric=True, accept_sparse=False
            )
        except (ValueError, TypeError) as err:
            explain_conversion_error(X, y, err)
            raise
        sample_weight = checked_sample_weight(sample_weight, X_valid)
        check_squares_fit_float64(
            X_valid, y_valid, sample_weight, feature_names=column_names(X, X_valid.shape[1])
        )
        return RegressionData.from_arrays(
            X_valid, y_valid, self._weights(sample_weight), self.fit_intercept
        )

    def _validated_X(self, X) -> np.ndarray:
        return validated_X(self, X)

    @property
    def feature_names_(self) -> list[str]:
        """Feature labels: the DataFrame's column names, else ``x0, x1, ...``."""
        return feature_names(self)

    def _forget_posterior(self) -> None:
        """A new fit makes an earlier posterior stale."""
        if hasattr(self, "posterior_"):
            del self.posterior_

    # -- prediction --------------------------------------------------------------------
    def _posterior(self):
        posterior = getattr(self, "posterior_", None)
        if posterior is None:
            raise NotFittedError(
                f"this {type(self).__name__} has no posterior yet: call "
                "sample_posterior(X, y) before asking for predictive uncertainty."
            )
        return posterior["posterior"]

    def _posterior_means(self, X: np.ndarray) -> np.ndarray:
        """``b_s + X w_s`` for every draw, of shape (n_draws_total, n_rows)."""
        post = self._posterior()
        coef = post["coef"].values.reshape(-1, post.sizes["feature"])
        return post["intercept"].values.reshape(-1, 1) + coef @ X.T

    def predict(self, X: ArrayLike, return_std: bool = False):
        """The MAP prediction, or the posterior predictive mean and standard deviation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        return_std : bool, default False
            False: the MAP prediction ``X coef_ + intercept_``.  True: the posterior
            predictive mean ``E[b + x'w | y]`` and standard deviation
            ``sqrt(Var[b + x'w | y] + E[Var(y | b + x'w, sigma) | y])`` estimated from
            the draws of :meth:`sample_posterior` (needs it first).

        Returns
        -------
        y_mean : ndarray of shape (n_samples,)
        y_std : ndarray of shape (n_samples,)
            Only when ``return_std`` is True.
        """
        X = self._validated_X(X)
        if not return_std:
            return X @ self.coef_ + self.intercept_
        means = self._posterior_means(X)
        sigma = self._posterior()["sigma"].values.reshape(-1)
        noise_var = np.mean(self._likelihood().variance(sigma))
        return means.mean(axis=0), np.sqrt(means.var(axis=0) + noise_var)

    def sample_y(self, X: ArrayLike, n_samples: int = 1, random_state=None) -> np.ndarray:
        """Draws from the posterior predictive ``p(y~ | x, y)`` at each row of ``X``.

        Each column is one posterior draw ``(b, w, sigma)`` (chosen at random from
        ``posterior_``) followed by a draw of the noise from the likelihood.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
        n_samples : int, default 1
        random_state : None, int or numpy RandomState

        Returns
        -------
        ndarray of shape (n_rows, n_samples)
            As scikit-learn's ``GaussianProcessRegressor.sample_y``.
        """
        if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}.")
        rng = check_random_state(random_state)
        X = self._validated_X(X)
        means = self._posterior_means(X)
        sigma = self._posterior()["sigma"].values.reshape(-1)
        pick = rng.choice(means.shape[0], size=n_samples, replace=n_samples > means.shape[0])
        noise = self._likelihood().distribution(0.0, sigma[pick, None], 1.0)
        key = jax.random.key(int(rng.randint(2**31 - 1)))
        draws = means[pick] + np.asarray(noise.sample(key, (X.shape[0],)))[..., 0].T
        return draws.T

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """R^2 of the MAP prediction, as scikit-learn's ``RegressorMixin.score``.

        Raises
        ------
        ValueError
            For fewer than 2 samples, where R^2 is not defined (scikit-learn warns and
            returns NaN).
        """
        check_score_input(y, sample_weight, "R^2")
        return super().score(X, y, sample_weight=sample_weight)

    # -- model comparison --------------------------------------------------------------
    def loo(self, **kwargs):
        """PSIS leave-one-out cross-validation of the sampled posterior (:func:`arviz.loo`)."""
        self._posterior()
        return comparison.loo(self.posterior_, **kwargs)

    def waic(self) -> comparison.WAIC:
        """WAIC of the sampled posterior (:func:`bayesreg.comparison.waic`)."""
        self._posterior()
        return comparison.waic(self.posterior_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = False
        return tags
