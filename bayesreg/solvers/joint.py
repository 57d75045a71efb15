"""The joint posterior mode of a linear model with its own likelihood, noise and intercept priors.

:func:`solve_joint_map` minimises the negative log posterior

``F(w, b, sigma) = -sum_i log p(y_i | b + x_i' w, sigma, s_i) - log p(w) - log p(b)
- log p(sigma)``

in the model's own coordinates (the mode of the density of ``sigma``, not of
``log sigma``) by block-coordinate descent, each block solved exactly:

* ``w`` (and a flat intercept, profiled out by centering) given ``sigma``: for the
  Gaussian likelihood, ``F`` in ``w`` is ``(1/2) sum_i s_i (y_i - b - x_i'w)^2 / sigma^2
  + P(w)``, the unit-noise problem of :func:`~bayesreg.solvers.solve_map` on the data
  divided by ``sigma``; for the Student-t likelihood the same with the MM weights of
  :meth:`~bayesreg.likelihoods.StudentT.mm_weights` (a quadratic majoriser, so ``F``
  never increases); for the Laplace likelihood a linear program
  (:func:`least_absolute_deviations`);
* ``b`` given ``w`` and ``sigma`` when the intercept has a prior: a 1-D minimisation;
* ``sigma`` given ``w`` and ``b``: a 1-D minimisation over ``log sigma`` (closed form
  for the Gaussian likelihood and the default prior ``p(sigma) propto 1 / sigma``).

``F`` decreases at every step; the loop stops when the parameters stop moving.  With a
flat intercept and a known ``sigma``, one step is exact for the Gaussian and Laplace
likelihoods.  The answer is a stationary point, the global mode when ``F`` is convex
in ``(w, b)`` for every ``sigma`` (Gaussian or Laplace likelihood with a log-concave
prior).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize

from bayesreg.likelihoods import Laplace, Likelihood, Normal, StudentT
from bayesreg.model import JeffreysNoise, RegressionData
from bayesreg.priors import ElasticNetFamily, Flat, Prior
from bayesreg.solvers import MAPResult, solve_map

__all__ = ["JointMAP", "least_absolute_deviations", "solve_joint_map"]


class JointMAP(NamedTuple):
    """The joint posterior mode of weights, intercept and noise scale.

    Attributes
    ----------
    coef : ndarray of shape (n_features,)
    intercept : float
    sigma : float
        The noise scale at the mode (the given one when it is fixed).
    objective : float
        ``F`` at the mode (the negative log posterior up to a constant).
    n_iter : int
        Block-coordinate rounds.
    weights_map : MAPResult or None
        The last exact solve for ``w`` (its certificate is for that block); None for
        the Laplace likelihood.
    """

    coef: np.ndarray
    intercept: float
    sigma: float
    objective: float
    n_iter: int
    weights_map: MAPResult | None


def _log_prior(distribution, value: float) -> float:
    return float(distribution.log_prob(jnp.asarray(value)))


def _negative_log_posterior(
    data, coef, intercept, sigma, prior, likelihood, noise_prior, intercept_prior
) -> float:
    keep = data.sample_weight > 0
    mean = data.X[keep] @ coef + intercept
    log_lik = likelihood.log_likelihood(
        data.y[keep], mean, np.asarray(sigma), data.sample_weight[keep]
    )
    value = -float(np.sum(log_lik)) + float(prior.penalty(coef))
    if noise_prior is not None:
        value -= _log_prior(noise_prior, sigma)
    if intercept_prior is not None:
        value -= _log_prior(intercept_prior, intercept)
    return value


def least_absolute_deviations(
    data: RegressionData, l1: np.ndarray | float, scale: float = 1.0
) -> tuple[np.ndarray, float]:
    """``argmin sum_i s_i |y_i - b - x_i'w| / scale + sum_j l1_j |w_j|`` as a linear program.

    With ``w = a - c`` and residual ``r = u - v`` (all parts >= 0) the problem is the
    linear program ``min s'(u + v) / scale + l1'(a + c)`` subject to
    ``X (a - c) + b + u - v = y``, solved exactly by HiGHS.  ``b`` is free when the data
    fit an intercept, absent otherwise.
    """
    keep = data.sample_weight > 0
    X, y, s = data.X[keep], data.y[keep], data.sample_weight[keep]
    n, p = X.shape
    l1 = np.broadcast_to(np.asarray(l1, dtype=float), (p,))
    n_b = int(data.fit_intercept)
    cost = np.concatenate([l1, l1, np.zeros(n_b), s / scale, s / scale])
    eye = np.eye(n)
    blocks = [X, -X] + ([np.ones((n, 1))] if n_b else []) + [eye, -eye]
    bounds = [(0, None)] * (2 * p) + [(None, None)] * n_b + [(0, None)] * (2 * n)
    result = scipy.optimize.linprog(
        cost, A_eq=np.hstack(blocks), b_eq=y, bounds=bounds, method="highs"
    )
    if result.status != 0:  # pragma: no cover - HiGHS solves every bounded LP
        raise RuntimeError(f"the least-absolute-deviations LP failed: {result.message}")
    coef = result.x[:p] - result.x[p : 2 * p]
    intercept = float(result.x[2 * p]) if n_b else 0.0
    return coef, intercept


def _solve_weights(
    data: RegressionData, prior: Prior, sigma: float, weights, offset: float, *, tol, max_iter
):
    """``w`` (and a flat intercept) minimising the weighted least-squares block at ``sigma``."""
    scaled = RegressionData.from_arrays(
        data.X / sigma, (data.y - offset) / sigma, weights, data.fit_intercept
    )
    # A fixed seed for the random starts of a non-convex prior: a fit is a function of
    # the data, so refitting the same data returns the same optimum.
    result = solve_map(scaled, prior, tol=tol, max_iter=max_iter, random_state=0)
    intercept = offset + sigma * result.intercept
    return result.coef, intercept, result


def _check_laplace_prior(prior: Prior) -> np.ndarray:
    if isinstance(prior, ElasticNetFamily) and np.all(np.asarray(prior.l2) == 0):
        return np.asarray(prior.l1, dtype=float)
    raise NotImplementedError(
        "the MAP under the Laplace likelihood is a linear program, available with a "
        f"flat or Laplace prior on the weights; got the {prior.name} prior. Use "
        "sample_posterior for its posterior, or the Student-t likelihood."
    )


def solve_joint_map(
    data: RegressionData,
    prior: Prior,
    *,
    likelihood: Likelihood | None = None,
    noise_prior=None,
    noise_scale: float | None = None,
    intercept_prior=None,
    tol: float = 1e-10,
    max_iter: int = 1000,
    inner_tol: float = 1e-12,
    inner_max_iter: int = 100_000,
) -> JointMAP:
    """The joint posterior mode of ``(w, b, sigma)`` (see the module notes).

    Parameters
    ----------
    data : RegressionData
    prior : Prior
        Prior of the weights, used as it is (the fixed-noise form).
    likelihood : Likelihood or None
        :class:`~bayesreg.likelihoods.Normal` when None.
    noise_prior : numpyro distribution or None
        Prior of ``sigma``; None is ``p(sigma) propto 1 / sigma``.
    noise_scale : float or None
        A known ``sigma``; None finds it.
    intercept_prior : numpyro distribution or None
        Prior of ``b``; None is flat.
    tol : float, default 1e-10
        Stop when no parameter moves by more than ``tol (1 + max |theta|)`` in a round
        (or ``F`` stalls at rounding).
    max_iter : int, default 1000
        Most block-coordinate rounds.
    inner_tol, inner_max_iter
        Passed to :func:`~bayesreg.solvers.solve_map` for the ``w`` block.
    """
    likelihood = Normal() if likelihood is None else likelihood
    noise_prior = JeffreysNoise() if noise_prior is None else noise_prior
    fixed_sigma = noise_scale is not None
    if isinstance(likelihood, Laplace):
        l1 = _check_laplace_prior(prior)
    elif not isinstance(likelihood, (Normal, StudentT)):
        raise NotImplementedError(f"no MAP solver for the {likelihood.name} likelihood.")
    profile_intercept = data.fit_intercept and intercept_prior is None
    if _is_smooth(prior, likelihood) and not (
        likelihood.is_gaussian and fixed_sigma and (profile_intercept or not data.fit_intercept)
    ):
        return _joint_lbfgs(data, prior, likelihood, noise_prior, noise_scale, intercept_prior)
    block = RegressionData.from_arrays(data.X, data.y, data.sample_weight, profile_intercept)

    # An exact fit sends the mode of sigma to 0, where the density is infinite; stop at a
    # scale far below any noise the data can show.
    floor = 1e-10 * (float(np.std(data.y)) or 1.0)
    # Start: the Gaussian fit with the default scale.
    sigma = float(noise_scale) if fixed_sigma else max(float(np.std(data.y)), 1e-12)
    intercept = data.y_offset if data.fit_intercept and not profile_intercept else 0.0
    coef = np.zeros(data.n_features)
    weights_map = None
    objective = np.inf
    previous = np.r_[coef, intercept, sigma]
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        offset = 0.0 if profile_intercept else intercept
        if isinstance(likelihood, Laplace):
            shifted = RegressionData.from_arrays(
                block.X, block.y - offset, block.sample_weight, profile_intercept
            )
            coef, b = least_absolute_deviations(shifted, l1, sigma)
            intercept = offset + b
        else:
            weights = block.sample_weight
            if isinstance(likelihood, StudentT) and n_iter > 1:
                residual = data.y - data.X @ coef - intercept
                weights = likelihood.mm_weights(residual, sigma, block.sample_weight)
            coef, intercept, weights_map = _solve_weights(
                block, prior, sigma, weights, offset, tol=inner_tol, max_iter=inner_max_iter
            )
        if data.fit_intercept and not profile_intercept:
            intercept = _best_intercept(data, coef, intercept, sigma, likelihood, intercept_prior)
        if not fixed_sigma:
            sigma = _best_sigma(data, coef, intercept, sigma, likelihood, noise_prior, floor)
        new = _negative_log_posterior(
            data, coef, intercept, sigma, prior, likelihood, noise_prior, intercept_prior
        )
        theta = np.r_[coef, intercept, sigma]
        step = np.max(np.abs(theta - previous), initial=0.0)
        # Near the mode F is quadratic, so its decrease (~ step^2) is no test of the
        # step; the step itself is, with F's stall at rounding as the backstop.
        converged = step <= tol * (1.0 + np.max(np.abs(theta))) or (
            objective - new <= 1e-15 * (1.0 + abs(new))
        )
        objective, previous = new, theta
        # One exact w-solve is the answer when nothing else is unknown.
        flat_b = profile_intercept or not data.fit_intercept
        one_block = fixed_sigma and flat_b and not isinstance(likelihood, StudentT)
        if one_block or (converged and n_iter > 1):
            break
    return JointMAP(coef, float(intercept), float(sigma), float(objective), n_iter, weights_map)


def _is_smooth(prior: Prior, likelihood: Likelihood) -> bool:
    """Whether ``F`` is differentiable everywhere, so one joint quasi-Newton solve works."""
    if isinstance(likelihood, Laplace):
        return False
    if isinstance(prior, ElasticNetFamily):
        return bool(np.all(np.asarray(prior.l1) == 0)) and not isinstance(prior, Flat)
    return prior.map_solver == "smooth"


def _joint_lbfgs(data, prior, likelihood, noise_prior, noise_scale, intercept_prior) -> JointMAP:
    """All of ``(w, b, sigma)`` at once by L-BFGS, for a smooth ``F``.

    The variables are ``(w, b, log sigma)`` so that ``sigma`` stays positive, but ``F``
    is the negative log density in ``sigma`` itself (no Jacobian term): the mode is the
    one of the model's own coordinates.  The start is the least-squares fit.
    """
    keep = data.sample_weight > 0
    X, y, s = (jnp.asarray(a) for a in (data.X[keep], data.y[keep], data.sample_weight[keep]))
    p, fit_b, free_sigma = data.n_features, data.fit_intercept, noise_scale is None

    def objective(theta):
        coef = theta[:p]
        intercept = theta[p] if fit_b else 0.0
        sigma = jnp.exp(theta[-1]) if free_sigma else noise_scale
        value = -jnp.sum(likelihood.distribution(X @ coef + intercept, sigma, s).log_prob(y))
        value = value + prior.penalty(coef)
        if intercept_prior is not None:
            value = value - intercept_prior.log_prob(intercept)
        if free_sigma:
            value = value - noise_prior.log_prob(sigma)
        return value

    value_and_grad = jax.jit(jax.value_and_grad(objective))

    def fun(theta):
        value, grad = value_and_grad(jnp.asarray(theta))
        return float(value), np.asarray(grad, dtype=float)

    start = solve_map(data, Flat())
    residual = data.y - data.X @ start.coef - start.intercept
    sigma0 = max(float(np.sqrt(np.average(residual**2, weights=data.sample_weight))), 1e-8)
    theta = np.r_[start.coef, [start.intercept] * fit_b, [np.log(sigma0)] * free_sigma]
    result = scipy.optimize.minimize(
        fun,
        theta,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 50_000, "maxcor": 30, "ftol": 1e-15, "gtol": 1e-12},
    )
    theta = result.x
    coef = theta[:p]
    intercept = float(theta[p]) if fit_b else 0.0
    sigma = float(np.exp(theta[-1])) if free_sigma else float(noise_scale)
    return JointMAP(coef, intercept, sigma, float(result.fun), int(result.nit), None)


def _best_intercept(data, coef, intercept, sigma, likelihood, intercept_prior) -> float:
    """``argmin_b -sum_i log p(y_i | b + x_i'w, sigma) - log p(b)`` given ``w`` and ``sigma``."""

    def f(b):
        return _negative_log_posterior(
            data, coef, b, sigma, Flat(), likelihood, None, intercept_prior
        )

    return _minimise_1d(f, intercept, scale=max(float(np.std(data.y)), 1e-12))


def _best_sigma(data, coef, intercept, sigma, likelihood, noise_prior, floor) -> float:
    """``argmin_sigma -sum_i log p(y_i | mu_i, sigma) - log p(sigma)`` given the mean."""
    keep = data.sample_weight > 0
    residual = (data.y - data.X @ coef - intercept)[keep]
    s = data.sample_weight[keep]
    if likelihood.is_gaussian and isinstance(noise_prior, JeffreysNoise):
        # n log sigma + S / (2 sigma^2) + log sigma is minimal at sigma^2 = S / (n + 1).
        return max(float(np.sqrt(s @ residual**2 / (residual.size + 1))), floor)

    def f(log_sigma):
        value = max(float(np.exp(log_sigma)), floor)
        log_lik = likelihood.log_likelihood(data.y[keep], data.y[keep] - residual, value, s)
        return -float(np.sum(log_lik)) - _log_prior(noise_prior, value)

    return max(float(np.exp(_minimise_1d(f, np.log(sigma), scale=1.0))), floor)


def _minimise_1d(f, start: float, *, scale: float) -> float:
    """Minimise a smooth unimodal-near-``start`` function of one variable (Brent)."""
    result = scipy.optimize.minimize_scalar(
        f, bracket=(start - scale, start + scale), method="brent", options={"xtol": 1e-12}
    )
    return float(result.x) if f(result.x) <= f(start) else float(start)
