"""``MLPRegressor``: scikit-learn's penalised network, as a posterior mode and a posterior."""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import arviz as az
import numpy as np
import xarray as xr
from numpy.typing import ArrayLike
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from bayesreg._base import (
    BayesianLinearRegressor,
    check_distribution,
    check_enough_observations,
    check_sampling_arguments,
    check_target_accept_prob,
)
from bayesreg.inference import SamplingWarning
from bayesreg.model import RegressionData
from bayesreg.nn.architecture import (
    ACTIVATIONS,
    Architecture,
    check_hidden_layer_sizes,
)
from bayesreg.nn.map import NetworkMAP, solve_network_map
from bayesreg.nn.objective import penalty_prior
from bayesreg.nn.posterior import canonical_posterior, predictive_draws, sample_network_posterior
from bayesreg.priors import Flat, Gaussian, Prior
from bayesreg.priors.adapters import as_prior

__all__ = ["MAX_PARAMETERS", "MLPRegressor"]

_RHAT_WARN = 1.01
#: The most parameters a network may have (each copy of theta is 8 bytes a parameter,
#: and the solvers keep several).
MAX_PARAMETERS = 10_000_000


class MLPRegressor(BayesianLinearRegressor):
    """A multilayer perceptron whose penalised fit is a MAP, and whose posterior is sampled.

    The model is

    ``y_i ~ N(f(x_i; theta), sigma^2 / s_i)``, ``p(w | sigma) propto exp(-P_1(w) / sigma^2)``,
    hidden biases ``~ N(0, bias_scale^2)`` (flat if None), output bias flat,
    ``sigma ~ noise_prior``,

    with ``f`` the network of :mod:`bayesreg.nn.architecture` and ``P_1`` the weights'
    penalty.  ``fit`` minimises ``F(theta) = 1/2 sum_i s_i (y_i - f(x_i; theta))^2 +
    P_1(w)`` from a random start; with the default ``penalty="l2"``,
    ``P_1 = alpha/2 sum w^2`` and ``F / n`` is exactly scikit-learn's
    ``MLPRegressor(alpha)`` loss.  See :mod:`bayesreg.nn.objective` for other
    conventions (Keras' ``l2(lambda)``: ``alpha = n lambda``) and the scale of the prior
    each penalty is.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (100,)
        Widths of the hidden layers; ``()`` is a linear model.
    activation : {"tanh", "relu", "logistic", "identity"}, default "tanh"
        scikit-learn's default is ``"relu"``.  bayesreg's is ``"tanh"`` because its MAP
        can be certified: a ReLU network is not differentiable where a unit's input is 0
        at an observation, its minima often lie there, and the solve then stops with a
        :class:`~sklearn.exceptions.ConvergenceWarning` (the point is still returned).
    penalty : {"l2", "l1"}, default "l2"
        ``"l2"``: weight decay, ``P_1 = alpha/2 sum w^2``, a Gaussian prior of scale
        ``sigma / sqrt(alpha)``.  ``"l1"``: ``P_1 = alpha sum |w|``, a Laplace prior of
        scale ``sigma^2 / alpha``, whose MAP has weights exactly 0.
    alpha : float, default 1e-4
        The rate of the penalty (0: none, a flat prior).
    prior : bayesreg prior or None, default None
        Any prior of the weights at unit noise (e.g. ``bayesreg.StudentT(3, 1.0)`` or
        ``bayesreg.Horseshoe()``), used in place of ``penalty`` and ``alpha``.
    bias_scale : float or None, default None
        Scale of the Gaussian prior of the hidden layers' biases; None is flat
        (unpenalised, scikit-learn's choice).  Sampling needs it (see
        :mod:`bayesreg.nn.posterior`): take it wide compared with the spread of the
        hidden units' inputs, e.g. 5 for standardised inputs.
    noise_prior : numpyro distribution or None, default None
        Prior of ``sigma``; None is ``p(sigma) propto 1 / sigma``.
    noise_scale : float or None, default None
        A known ``sigma``; ``noise_prior`` is then unused.
    tol : float, default 1e-10
        Relative stationarity at which the MAP solve stops (:mod:`bayesreg.nn.map`).
    max_iter : int, default 20000
        Most first-order iterations of the MAP solve.
    random_state : None, int or numpy RandomState, default None
        The start of the MAP solve (Glorot-uniform, as scikit-learn draws it) and of the
        other chains' solves.

    Attributes
    ----------
    coefs_ : list of ndarray
        ``W_1, ..., W_L`` and the output weights as a ``(h_L, 1)`` matrix, as
        scikit-learn's ``coefs_``: the MAP.
    intercepts_ : list of ndarray
        The biases, the last of shape ``(1,)``.
    map_ : NetworkMAP or None
        The mode with its certificate (stationarity, smallest Hessian eigenvalue);
        None when the prior has no finite mode.
    loss_ : float
        ``F / sum(s)``: scikit-learn's loss at the MAP for ``penalty="l2"``.
    n_iter_ : int
    sigma_ : float
        ``noise_scale``, or the root mean squared residual at the MAP.
    posterior_ : xarray.DataTree
        Set by :meth:`sample_posterior`.
    n_features_in_, feature_names_in_

    Notes
    -----
    Pass the parameters by keyword when moving code from scikit-learn: its
    ``MLPRegressor`` takes ``loss`` first, bayesreg's takes ``hidden_layer_sizes`` and
    ``activation`` positionally.

    ``F`` is not convex: the MAP is the stationary point reached from the start, and
    another ``random_state`` may reach another.  With ``bias_scale`` given the biases'
    penalty ``||b||^2 / (2 bias_scale^2)`` is not noise-scaled, so the mode is taken
    given ``sigma = noise_scale``, or given the residual scale of the fit with flat
    biases.  With ``alpha = 0`` the weights often grow without bound (no finite mode)
    and the solve stops at ``max_iter`` with a :class:`~sklearn.exceptions.ConvergenceWarning`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, (80, 1))
    >>> y = np.sin(np.pi * X[:, 0]) + 0.1 * rng.standard_normal(80)
    >>> net = MLPRegressor((10,), "tanh", penalty="l1", alpha=0.4, random_state=0).fit(X, y)
    >>> bool(net.map_.converged), net.map_.n_zero_weights > 0
    (True, True)
    """

    _parameter_constraints: dict = {  # noqa: RUF012 - scikit-learn's class attribute
        "hidden_layer_sizes": "no_validation",
        "activation": [StrOptions(set(ACTIVATIONS))],
        "penalty": [StrOptions({"l2", "l1"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "prior": "no_validation",
        "bias_scale": [Interval(Real, 0, None, closed="neither"), None],
        "noise_prior": "no_validation",
        "noise_scale": [Interval(Real, 0, None, closed="neither"), None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }
    #: The output bias is always fitted (and never penalised).
    fit_intercept = True

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="tanh",
        *,
        penalty="l2",
        alpha=0.0001,
        prior=None,
        bias_scale=None,
        noise_prior=None,
        noise_scale=None,
        tol=1e-10,
        max_iter=20000,
        random_state=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.penalty = penalty
        self.alpha = alpha
        self.prior = prior
        self.bias_scale = bias_scale
        self.noise_prior = noise_prior
        self.noise_scale = noise_scale
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    # -- the model ---------------------------------------------------------------------
    def _checked_model(self) -> tuple[tuple[int, ...], Prior]:
        """Validate the hyperparameters; return the widths and the weights' prior."""
        for name in ("alpha", "bias_scale", "noise_scale", "tol", "max_iter"):
            value = getattr(self, name)
            if isinstance(value, bool | np.bool_):
                raise TypeError(f"{name} must be a number, got the boolean {value!r}.")
        self._validate_params()
        for name in ("alpha", "bias_scale", "noise_scale", "tol"):
            value = getattr(self, name)
            if isinstance(value, Real) and math.isnan(value):
                raise ValueError(f"{name} must be a number, got NaN.")
        sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
        check_distribution("noise_prior", self.noise_prior)
        _check_noise_prior(self.noise_prior)
        if self.prior is None:
            return sizes, penalty_prior(self.penalty, self.alpha)
        prior = as_prior(self.prior, what="prior")
        if np.ndim(getattr(prior, "l1", 0.0)) or np.ndim(getattr(prior, "l2", 0.0)):
            raise ValueError(
                f"prior {prior!r} has one rate per feature, which a network's weights do not "
                "have: give a prior with scalar parameters."
            )
        try:
            batch_shape = tuple(prior.distribution().batch_shape)
        except NotImplementedError:  # a hierarchical prior, defined by its sample sites
            batch_shape = ()
        if batch_shape:
            raise ValueError(
                f"prior {self.prior!r} has batch shape {batch_shape}, one density per feature, "
                "which a network's weights do not have: give a prior of one weight (scalar "
                "parameters)."
            )
        return sizes, prior

    def _architecture(self, sizes) -> Architecture:
        architecture = Architecture(self.n_features_in_, sizes, self.activation)
        if architecture.n_parameters > MAX_PARAMETERS:
            raise ValueError(
                f"hidden_layer_sizes={sizes} with {self.n_features_in_} features gives "
                f"{architecture.n_parameters:,} parameters; bayesreg's full-batch solvers and "
                f"its sampler are for small networks, at most {MAX_PARAMETERS:,} parameters: "
                "choose narrower or fewer hidden layers."
            )
        return architecture

    # -- fitting -----------------------------------------------------------------------
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None):
        """Find the MAP from a random start: the penalised network fit.

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
        """
        sizes, prior = self._checked_model()
        data = self._validated_data(X, y, sample_weight, reset=True)
        prior.check_map()
        self._fit_map(data, sizes, prior)
        return self

    def _fit_map(self, data: RegressionData, sizes, prior: Prior) -> None:
        architecture = self._architecture(sizes)
        rng = check_random_state(self.random_state)
        theta0 = np.asarray(architecture.ravel(architecture.initial_parameters(rng)))
        result = self._solve(architecture, prior, data, theta0, tol=self.tol)
        self._forget_posterior()
        self._set_mode(architecture, data, result)

    def _solve(self, architecture, prior, data, theta0, *, tol) -> NetworkMAP:
        args = (architecture, prior, data.X, data.y, data.sample_weight)
        result = solve_network_map(*args, theta0, tol=tol, max_iter=self.max_iter)
        if self.bias_scale is not None and architecture.hidden_layer_sizes:
            sigma = self._sigma(architecture, data, result.theta)
            result = solve_network_map(
                *args,
                result.theta,
                bias_penalty=sigma**2 / self.bias_scale**2,
                tol=tol,
                max_iter=self.max_iter,
            )
        return result

    def _sigma(self, architecture, data, theta) -> float:
        if self.noise_scale is not None:
            return float(self.noise_scale)
        fitted = np.asarray(architecture.forward(architecture.unravel(theta), data.X))
        residual = data.y - fitted
        return float(np.sqrt(np.sum(data.sample_weight * residual**2) / data.sample_weight.sum()))

    def _set_mode(self, architecture, data, result: NetworkMAP | None, theta=None) -> None:
        self.map_ = result
        theta = result.theta if result is not None else theta
        params = architecture.unravel(theta).to_numpy()
        self.coefs_ = [np.asarray(W) for W in params.weights[:-1]]
        self.coefs_.append(np.asarray(params.weights[-1]).reshape(-1, 1))
        self.intercepts_ = [np.asarray(b) for b in params.biases[:-1]]
        self.intercepts_.append(np.asarray(params.biases[-1]).reshape(1))
        self.n_layers_ = len(architecture.layer_sizes)
        self.n_outputs_ = 1
        self.out_activation_ = "identity"
        self.n_iter_ = result.n_iter if result is not None else 0
        self.loss_ = result.objective / data.sample_weight.sum() if result is not None else np.nan
        self.sigma_ = self._sigma(architecture, data, theta)
        self.architecture_ = architecture

    @property
    def theta_(self) -> np.ndarray:
        """The MAP as one flat vector (weights of each layer, then the biases)."""
        weights = [*self.coefs_[:-1], self.coefs_[-1][:, 0]]
        biases = [*self.intercepts_[:-1], self.intercepts_[-1][0]]
        return np.concatenate([np.ravel(a) for a in (*weights, *biases)])

    # -- the posterior -----------------------------------------------------------------
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
        max_tree_depth: int = 10,
        random_state=None,
    ) -> xr.DataTree:
        """Fit the MAP, then draw the posterior by NUTS, each chain from its own start.

        The first chain starts at the MAP of :meth:`fit`; every other chain at the
        stationary point reached from its own random start (as if the network were
        trained again with another seed).  The chains therefore sit near different but
        equivalent modes (hidden units permuted or sign-flipped), and R-hat is checked
        on what those leave alone: the fitted values and ``sigma``.  Use
        :meth:`canonical_posterior` to compare weights across chains.

        Parameters
        ----------
        X, y, sample_weight
            As for :meth:`fit`.
        num_samples, num_warmup, num_chains : int
        target_accept_prob : float, default 0.8
        max_tree_depth : int, default 10
            A NUTS trajectory has at most ``2^max_tree_depth - 1`` steps;
            ``sample_stats["reached_max_tree_depth"]`` marks the draws that hit it (they
            are valid, but the sampler is working hard: a strongly curved posterior).
        random_state : None, int or numpy RandomState
            The other chains' starts and the sampler's key.

        Returns
        -------
        xarray.DataTree
            ``posterior`` (``W_1 ... W_L`` over ``feature`` / ``hidden_l``, ``b_1 ...
            b_L``, ``w_out``, ``b_out``, ``sigma``), ``sample_stats``,
            ``log_likelihood``, ``observed_data``; also stored as ``posterior_``.

        Raises
        ------
        ValueError
            When the posterior would be improper: flat hidden biases (give
            ``bias_scale``) or flat weights (give ``alpha > 0`` or a proper prior).

        Warns
        -----
        SamplingWarning
            On divergent transitions, or a split R-hat of the fitted values or ``sigma``
            above 1.01 (the chains found different fits).
        """
        check_sampling_arguments(num_samples, num_warmup, num_chains, random_state)
        check_target_accept_prob(target_accept_prob)
        if (
            isinstance(max_tree_depth, bool)
            or not isinstance(max_tree_depth, Integral)
            or not 1 <= max_tree_depth <= 20
        ):
            raise ValueError(
                f"max_tree_depth must be an integer from 1 to 20, got {max_tree_depth!r}."
            )
        sizes, prior = self._checked_model()
        self._check_proper(sizes, prior)
        data = self._validated_data(X, y, sample_weight, reset=True)
        if self.noise_scale is None:
            check_enough_observations(data)
        architecture = self._architecture(sizes)
        rng = check_random_state(random_state)
        starts = self._chain_starts(architecture, prior, data, num_chains, rng)
        keep = data.sample_weight > 0
        posterior = sample_network_posterior(
            architecture,
            prior,
            data.X[keep],
            data.y[keep],
            data.sample_weight[keep],
            init_thetas=starts,
            feature_names=self.feature_names_,
            bias_scale=self.bias_scale,
            noise_prior=self.noise_prior,
            noise_scale=self.noise_scale,
            num_samples=num_samples,
            num_warmup=num_warmup,
            num_chains=num_chains,
            target_accept_prob=target_accept_prob,
            max_tree_depth=int(max_tree_depth),
            seed=int(rng.randint(2**31 - 1)),
        )
        _warn_on_diagnostics(posterior, architecture, data.X[keep])
        self.posterior_ = posterior
        return posterior

    def _check_proper(self, sizes, prior: Prior) -> None:
        if not sizes:
            return
        if self.bias_scale is None:
            raise ValueError(
                "the posterior of a network with flat hidden-layer biases is improper: as a "
                "bias goes to +-infinity its unit saturates into a constant that the output "
                "bias absorbs, so the likelihood does not vanish. Give the hidden biases a "
                "wide Gaussian prior with bias_scale (e.g. 5 for standardised inputs)."
            )
        if isinstance(prior, Flat):
            raise ValueError(
                "the posterior of a network with flat weights is improper (a saturating "
                "unit's weights can grow without bound at no cost): give alpha > 0 or a "
                "proper prior."
            )

    def _chain_starts(self, architecture, prior, data, num_chains, rng) -> np.ndarray:
        """Chain 0 at the MAP of ``fit``; the others at MAPs from their own random starts.

        A prior with no finite mode starts every chain at a weight-decay fit
        (``alpha = 1``) from its own random start.
        """
        start_prior = prior if prior.map_solver is not None else Gaussian(1.0)
        if prior.map_solver is not None:
            self._fit_map(data, check_hidden_layer_sizes(self.hidden_layer_sizes), prior)
            starts = [self.theta_]
        else:
            starts = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            while len(starts) < num_chains:
                theta0 = np.asarray(architecture.ravel(architecture.initial_parameters(rng)))
                starts.append(self._solve(architecture, start_prior, data, theta0, tol=1e-6).theta)
        if prior.map_solver is None:
            self._forget_posterior()
            self._set_mode(architecture, data, None, theta=starts[0])
        return np.asarray(starts)

    def canonical_posterior(self) -> xr.DataTree:
        """``posterior_`` with the hidden units of every draw in canonical sign and order.

        See :func:`bayesreg.nn.posterior.canonical_posterior`.
        """
        self._posterior()
        return canonical_posterior(self.posterior_, self.architecture_)

    # -- prediction --------------------------------------------------------------------
    def predict(self, X: ArrayLike, return_std: bool = False):
        """The MAP prediction, or the posterior predictive mean and standard deviation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        return_std : bool, default False
            False: ``f(x; theta_MAP)`` (the posterior predictive mean when the prior
            has no finite mode).  True: the posterior predictive mean
            ``E[f(x; theta) | y]`` and standard deviation
            ``sqrt(Var[f(x; theta) | y] + E[sigma^2 | y])`` from :meth:`sample_posterior`.
        """
        X = self._validated_X(X)
        if not return_std and self.map_ is None:
            return self._posterior_means(X).mean(axis=0)
        if not return_std:
            params = self.architecture_.unravel(self.theta_)
            return np.asarray(self.architecture_.forward(params, X))
        means = self._posterior_means(X)
        sigma = self._posterior()["sigma"].values.reshape(-1)
        return means.mean(axis=0), np.sqrt(means.var(axis=0) + np.mean(sigma**2))

    def predictive_interval(self, X: ArrayLike, prob: float = 0.9, random_state=0) -> xr.Dataset:
        """Posterior predictive mean and central ``prob`` bands at the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
        prob : float, default 0.9
        random_state : None, int or numpy RandomState, default 0
            The noise draws of the band of a new observation (the default makes the
            bands reproducible).

        Returns
        -------
        xarray.Dataset
            Over ``obs``: ``mean`` (``E[f(x) | y]``), ``f_lower``/``f_upper`` (the band
            of the network's output ``f(x)``) and ``y_lower``/``y_upper`` (of a new
            observation, the noise included; Monte Carlo, one noise draw per draw).
        """
        if isinstance(prob, bool) or not isinstance(prob, Real) or not 0 < prob < 1:
            raise ValueError(f"prob must be a number in (0, 1), got {prob!r}.")
        rng = check_random_state(random_state)
        X = self._validated_X(X)
        means = self._posterior_means(X)
        sigma = self._posterior()["sigma"].values.reshape(-1, 1)
        noise = rng.standard_normal(means.shape)
        y_draws = means + sigma * noise
        tails = [(1 - prob) / 2, (1 + prob) / 2]
        f_band = np.quantile(means, tails, axis=0)
        y_band = np.quantile(y_draws, tails, axis=0)
        return xr.Dataset(
            {
                "mean": ("obs", means.mean(axis=0)),
                "f_lower": ("obs", f_band[0]),
                "f_upper": ("obs", f_band[1]),
                "y_lower": ("obs", y_band[0]),
                "y_upper": ("obs", y_band[1]),
            },
            attrs={"prob": float(prob)},
        )

    def _posterior_means(self, X: np.ndarray) -> np.ndarray:
        """``f(x; theta_s)`` for every draw, of shape (n_draws_total, n_rows)."""
        self._posterior()
        draws = predictive_draws(self.posterior_, self.architecture_, X)
        return draws.reshape(-1, draws.shape[-1])


def _check_noise_prior(noise_prior) -> None:
    """A prior of ``sigma``: one scalar, supported on positive numbers only."""
    if noise_prior is None:
        return
    if tuple(noise_prior.batch_shape) or tuple(noise_prior.event_shape):
        raise ValueError(
            f"noise_prior must be the distribution of one scalar sigma, got {noise_prior!r} "
            f"with batch shape {tuple(noise_prior.batch_shape)}."
        )
    support = noise_prior.support
    if any(bool(support(value)) for value in (-1e10, -1.0, -1e-300)):
        raise ValueError(
            f"noise_prior must be supported on sigma > 0 only, got {noise_prior!r} with support "
            f"{support}: use e.g. numpyro.distributions.HalfNormal(1.0)."
        )


def _warn_on_diagnostics(tree: xr.DataTree, architecture: Architecture, X: np.ndarray) -> None:
    """Divergences, and R-hat of the fitted values and ``sigma`` (not of raw weights)."""
    n_divergent = int(tree["sample_stats"]["diverging"].sum())
    if n_divergent:
        warnings.warn(
            f"{n_divergent} divergent transitions after warm-up: the posterior may be "
            "poorly explored. Raise target_accept_prob (e.g. 0.95) or num_warmup.",
            SamplingWarning,
            stacklevel=3,
        )
    post = tree["posterior"]
    if post.sizes["chain"] < 2:
        return
    fitted = predictive_draws(tree, architecture, X)
    rhat_f = float(np.max(az.rhat(xr.DataArray(fitted, dims=("chain", "draw", "obs")))))
    sigma = post["sigma"].values
    rhat_sigma = float(az.rhat(sigma)) if np.ptp(sigma) > 0 else 1.0
    worst = max(rhat_f, rhat_sigma)
    if worst > _RHAT_WARN:
        warnings.warn(
            f"largest split R-hat of the fitted values and sigma is {worst:.3f} > {_RHAT_WARN}: "
            "the chains found different fits, or have not converged. Draw more samples, "
            "or compare the chains' fits (arviz.plot_trace of sigma).",
            SamplingWarning,
            stacklevel=3,
        )
