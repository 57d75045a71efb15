"""NUTS for Gaussian-likelihood posteriors: sufficient statistics, whitened, compiled once.

This is the fast path of :func:`bayesreg.inference.sample_linear_posterior`.  It samples
the same posterior as the numpyro model of :func:`bayesreg.model.make_linear_model` when
the likelihood is Gaussian and the prior of the weights has a closed-form density per
weight (:meth:`bayesreg.priors.Prior.distribution`), using three things that model
cannot know.

Sufficient statistics.  With ``X~, y~`` the centred, weighted data,
``sum_i s_i (y_i - b - x_i'w)^2 = ||y~ - X~ w||^2 + W (b_c - ybar)^2`` with
``b_c = b + xbar'w`` and ``W = sum_i s_i`` (:mod:`bayesreg.sufficient_statistics`), so a
gradient costs ``O(p^2)`` whatever ``n`` is.

The intercept, integrated out.  Under a flat prior, ``b_c | w, sigma, y ~ N(ybar,
sigma^2 / W)`` independently of ``w`` (``X~`` is centred), and integrating it out of
``N(y | .)`` leaves ``sigma^(1 - n_obs) exp(-||y~ - X~ w||^2 / 2 sigma^2)``: NUTS draws
``(w, sigma)`` from their marginal posterior and ``b_c`` is drawn exactly from its
conditional afterwards (collapsed sampling; exact, not an approximation).  Under a
proper intercept prior ``b_c`` is sampled, as ``b_c = ybar + sigma z_b / sqrt(W)``.

Whitened coordinates.  With ``w_0`` the MAP, ``sigma_0`` the residual scale there and
``H = X~'X~ / sigma_0^2 + D`` (``D`` the diagonal curvature of the prior at
``sigma_0``: ``1 / variance``, or the elastic-net rates' ``2 l2 + l1^2 / 2``), write

``w = w_0 + (sigma / sigma_0) L z``, ``L L' = H^{-1}``, ``sigma = sigma_0 exp(tau v)``,

with ``tau = 1 / sqrt(2 dof)`` the approximate posterior sd of ``log sigma``.  For a
Gaussian prior in the noise-scaled form, ``z`` is exactly standard normal given
``sigma`` and ``v`` nearly so; for other priors the posterior in ``(z, v, z_b)`` is close
to isotropic, so NUTS needs short trajectories and adapts only a diagonal mass matrix
(measured on diabetes' Lasso posterior: a diagonal mass gave 1.8x the min-ESS per second
of a dense one, which adapts 66 more numbers from the same warm-up, and 1.4x that of
no adaptation at all).
The log density includes the Jacobian ``p log(sigma / sigma_0) + log sigma`` (and
``log sigma`` for a sampled ``b_c``).

One compile.  The whole chain (numpyro's NUTS with its warm-up adaptation, then the
draws) is one module-level jitted function of the data's statistics, the prior (a JAX
pytree), the start and the key, with only shapes and settings static: refitting data
of the same shape, or another ``alpha``, reuses the compiled program.  The chains run
that same single-chain program one per device (``pmap``) or one after another, so the
draws are identical, bit for bit, on one device or several.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import scipy.linalg
from numpyro.distributions import constraints
from numpyro.infer.hmc import hmc

from bayesreg.likelihoods import Likelihood
from bayesreg.model import JeffreysNoise, RegressionData
from bayesreg.priors import Prior
from bayesreg.priors.elastic_net import ElasticNetFamily, PenaltyFactor
from bayesreg.sufficient_statistics import GaussianStatistics

__all__ = [
    "FAST_PATH_MAX_FEATURES",
    "SamplerSettings",
    "WhitenedProblem",
    "applies",
    "sample_gaussian_posterior",
    "whiten",
]

#: Above this many features a gradient in ``O(p^2)`` stops paying off against ``O(n p)``
#: and the ``p x p`` factors grow large: the numpyro model samples instead.
FAST_PATH_MAX_FEATURES = 1000
MAX_TREE_DEPTH = 10


def applies(
    prior: Prior,
    *,
    likelihood: Likelihood,
    n_features: int,
    noise_prior=None,
    intercept_prior=None,
) -> bool:
    """Whether :func:`sample_gaussian_posterior` samples this model.

    It does when the likelihood is Gaussian, the prior of each weight has a density on
    the real line (:meth:`Prior.distribution`), the noise prior (if any) lives on
    ``(0, inf)``, the intercept prior (if any) on the real line, and there are at most
    :data:`FAST_PATH_MAX_FEATURES` features.  Hierarchical priors (the horseshoe, a
    prior on ``alpha``) have latent variables of their own and keep the numpyro model.
    """
    if not likelihood.is_gaussian or n_features > FAST_PATH_MAX_FEATURES:
        return False
    if type(prior).sample_coef not in (Prior.sample_coef, PenaltyFactor.sample_coef):
        return False  # the prior has sample sites of its own (latent scales)
    try:
        weight_prior = prior.distribution()
    except NotImplementedError:
        return False
    if weight_prior.event_shape != () or weight_prior.batch_shape not in ((), (n_features,)):
        return False
    if _support(weight_prior) is not constraints.real:
        return False
    if noise_prior is not None and not isinstance(noise_prior, JeffreysNoise):
        if _support(noise_prior) is not constraints.positive or not _scalar(noise_prior):
            return False
    if intercept_prior is not None:
        if _support(intercept_prior) is not constraints.real or not _scalar(intercept_prior):
            return False
    # The compiled program takes the priors as arguments: they must rebuild from leaves.
    return all(_rebuilds(obj) for obj in (prior, noise_prior, intercept_prior))


def _scalar(distribution: dist.Distribution) -> bool:
    return distribution.batch_shape == () and distribution.event_shape == ()


def _rebuilds(obj) -> bool:
    """Whether ``obj`` flattens to JAX leaves and rebuilds (a user's distribution might not)."""
    try:
        leaves, treedef = jax.tree_util.tree_flatten(obj)
        jax.tree_util.tree_unflatten(treedef, leaves)
    except Exception:
        return False
    return True


def _support(distribution: dist.Distribution) -> constraints.Constraint:
    """The support of a scalar distribution (an improper uniform's ``independent(real, 0)``
    is ``real``)."""
    support = distribution.support
    while (
        isinstance(support, constraints._IndependentConstraint)
        and support.reinterpreted_batch_ndims == 0
    ):
        support = support.base_constraint
    return support


class WhitenedProblem(NamedTuple):
    """The arrays of the sampled posterior in whitened coordinates (a JAX pytree).

    Attributes
    ----------
    w_map : ndarray of shape (p,)
        ``w_0``, the centre of the whitening (the MAP).
    whitening : ndarray of shape (p, p)
        ``L`` with ``L L' = H^{-1}``: ``w = w_0 + (sigma / sigma_0) L z``.
    gram_z : ndarray of shape (p, p)
        ``L' X~'X~ L``.
    grad_z : ndarray of shape (p,)
        ``L' (X~'X~ w_0 - X~'y~)``, so that ``||y~ - X~ w||^2 = rss_map + 2 s z'grad_z
        + s^2 z' gram_z z`` with ``s = sigma / sigma_0``.
    rss_map : float
        ``||y~ - X~ w_0||^2``.
    sigma_hat : float
        ``sigma_0`` (the known noise scale when it is fixed).
    log_sigma_sd : float
        ``tau``: ``sigma = sigma_0 exp(tau v)``.
    sigma_power : float
        Powers of ``1 / sigma`` in the likelihood: ``n_obs``, less one when a flat
        intercept is integrated out.
    weight_sum : float
        ``W``.
    x_offset : ndarray of shape (p,)
    y_offset : float
    """

    w_map: jax.Array
    whitening: jax.Array
    gram_z: jax.Array
    grad_z: jax.Array
    rss_map: jax.Array
    sigma_hat: jax.Array
    log_sigma_sd: jax.Array
    sigma_power: jax.Array
    weight_sum: jax.Array
    x_offset: jax.Array
    y_offset: jax.Array


class SamplerSettings(NamedTuple):
    """What the compiled program depends on besides array shapes (static, hashable).

    Attributes
    ----------
    num_warmup, num_samples : int
    target_accept_prob : float
    sample_sigma : bool
        The noise scale is unknown (sampled as ``v``).
    given_noise : bool
        The prior is ``p(w | sigma)`` (noise-scaled form, or a prior that conditions on
        the noise); otherwise it does not depend on ``sigma``.
    intercept : {"none", "integrated", "sampled"}
        No intercept, a flat one drawn from its exact conditional, or a proper one
        sampled by NUTS.
    jeffreys : bool
        ``p(sigma) propto 1 / sigma`` (the noise prior argument is then None).
    dense_mass : bool
        Adapt a dense rather than a diagonal mass matrix in whitened coordinates.
    adapt_mass_matrix : bool
        Adapt the mass matrix at all (otherwise the identity, the whitening's guess).
    """

    num_warmup: int
    num_samples: int
    target_accept_prob: float
    sample_sigma: bool
    given_noise: bool
    intercept: str
    jeffreys: bool
    dense_mass: bool = False
    adapt_mass_matrix: bool = True


def _prior_precision(prior: Prior, w_map: np.ndarray) -> np.ndarray:
    """A diagonal proxy ``D`` of the prior's curvature, per weight (0 where flat).

    Elastic-net family ``exp(-l1 |w| - l2 w^2)``: ``2 l2 + l1^2 / 2`` (exact for the
    Gaussian; the inverse variance ``l1^2 / 2`` for the Laplace).  Otherwise ``1 /
    variance`` where the variance is finite, else the curvature ``-d^2 log p / dw^2`` at
    the MAP (clipped at 0).  Only the efficiency of the sampler depends on it.
    """
    p = w_map.size
    if isinstance(prior, ElasticNetFamily):
        l1, l2 = prior.rates(p)
        return 2.0 * l2 + 0.5 * l1**2
    distribution = prior.distribution()
    try:
        variance = np.broadcast_to(np.asarray(distribution.variance, dtype=float), (p,))
    except (NotImplementedError, AttributeError):
        variance = np.full(p, np.inf)
    precision = np.where(np.isfinite(variance) & (variance > 0), 1.0 / variance, np.nan)
    if np.all(np.isfinite(precision)):
        return precision

    def log_density(value, j):
        return jnp.sum(jnp.broadcast_to(distribution.log_prob(value), (p,))[j])

    curvature = jax.vmap(jax.grad(jax.grad(log_density)), in_axes=(0, 0))(
        jnp.asarray(w_map), jnp.arange(p)
    )
    # A spike (a bridge prior with power < 1 at 0) has no finite curvature: treat it as
    # flat there; the data's curvature then sets the scale.
    curvature = -np.asarray(curvature, dtype=float)
    curvature = np.where(np.isfinite(curvature) & (curvature > 0), curvature, 0.0)
    return np.where(np.isfinite(precision), precision, curvature)


def whiten(
    stats: GaussianStatistics,
    prior: Prior,
    w_map: np.ndarray,
    *,
    noise_scale: float | None,
    given_noise: bool,
    intercept: str,
) -> WhitenedProblem:
    """The posterior's arrays in the coordinates ``(z, v)`` of the module notes.

    Parameters
    ----------
    stats : GaussianStatistics
    prior : Prior
    w_map : ndarray of shape (p,)
        Centre of the whitening: the MAP, or any point near the posterior's bulk.
    noise_scale : float or None
        Known noise scale; None when ``sigma`` is sampled.
    given_noise : bool
        Whether the prior is ``p(w | sigma)``.
    intercept : {"none", "integrated", "sampled"}

    Returns
    -------
    WhitenedProblem
    """
    gram, xty = np.asarray(stats.gram), np.asarray(stats.xty)
    p = xty.size
    w_map = np.asarray(w_map, dtype=np.float64)
    rss_map = stats.residual_sum_of_squares(w_map)
    dof = max(stats.n_obs - int(stats.fit_intercept), 1)
    if noise_scale is None:
        scale_y = np.sqrt(stats.yty / max(stats.n_obs, 1))
        sigma_hat = max(np.sqrt(rss_map / dof), 1e-8 * (1.0 + scale_y))
    else:
        sigma_hat = float(noise_scale)
    prior_at = prior.scaled_by_noise(sigma_hat) if given_noise else prior
    precision = gram / sigma_hat**2 + np.diag(_prior_precision(prior_at, w_map))
    # Jacobi scaling before the Cholesky factor: columns of very different scales
    # (uncentred years, say) leave the correlation matrix well conditioned.  A relative
    # ridge of 1e-12 keeps a direction the data and the prior leave flat from breaking
    # the factorisation; the posterior itself is unchanged (only the coordinates are).
    diagonal = np.diag(precision).copy()
    diagonal = np.where(diagonal > 0, diagonal, max(float(np.max(diagonal)), 1.0))
    d = 1.0 / np.sqrt(diagonal)
    scaled = precision * d[:, None] * d[None, :] + 1e-12 * np.eye(p)
    cholesky = scipy.linalg.cholesky(scaled, lower=True)
    # H = D^-1 C C' D^-1, so H^-1 = (D C^-T)(D C^-T)': L = D C^-T.
    whitening = d[:, None] * scipy.linalg.solve_triangular(cholesky, np.eye(p), lower=True).T
    gram_z = whitening.T @ gram @ whitening
    grad_z = whitening.T @ (gram @ w_map - xty)
    power = stats.n_obs - (1 if intercept == "integrated" else 0)
    return WhitenedProblem(
        w_map=jnp.asarray(w_map),
        whitening=jnp.asarray(whitening),
        gram_z=jnp.asarray(0.5 * (gram_z + gram_z.T)),
        grad_z=jnp.asarray(grad_z),
        rss_map=jnp.asarray(rss_map, dtype=jnp.float64),
        sigma_hat=jnp.asarray(sigma_hat, dtype=jnp.float64),
        log_sigma_sd=jnp.asarray(1.0 / np.sqrt(2.0 * dof), dtype=jnp.float64),
        sigma_power=jnp.asarray(power, dtype=jnp.float64),
        weight_sum=jnp.asarray(stats.weight_sum, dtype=jnp.float64),
        x_offset=jnp.asarray(stats.x_offset),
        y_offset=jnp.asarray(stats.y_offset, dtype=jnp.float64),
    )


def _unpack(theta, problem: WhitenedProblem, settings: SamplerSettings):
    """``(w, sigma, log s, z, b_c or None)`` from the whitened point ``theta``."""
    p = problem.w_map.shape[0]
    z = theta[:p]
    if settings.sample_sigma:
        log_s = problem.log_sigma_sd * theta[p]
    else:
        log_s = jnp.zeros(())
    s = jnp.exp(log_s)
    sigma = problem.sigma_hat * s
    w = problem.w_map + s * (problem.whitening @ z)
    b_c = None
    if settings.intercept == "sampled":
        b_c = problem.y_offset + sigma * theta[-1] / jnp.sqrt(problem.weight_sum)
    return w, sigma, log_s, z, b_c


def _log_density(theta, problem, prior, noise_prior, intercept_prior, settings):
    """``log p(z, v, z_b | y)`` up to a constant, Jacobians included."""
    w, sigma, log_s, z, b_c = _unpack(theta, problem, settings)
    s = jnp.exp(log_s)
    rss = problem.rss_map + 2.0 * s * (z @ problem.grad_z) + s**2 * (z @ (problem.gram_z @ z))
    log_p = -0.5 * rss / sigma**2
    weight_prior = (prior.scaled_by_noise(sigma) if settings.given_noise else prior).distribution()
    log_p = log_p + jnp.sum(weight_prior.log_prob(w))
    if settings.sample_sigma:
        log_sigma = jnp.log(sigma)
        noise = -log_sigma if settings.jeffreys else noise_prior.log_prob(sigma)
        # dsigma / dv = tau sigma; dw / dz = s L.
        p = problem.w_map.shape[0]
        log_p = log_p - problem.sigma_power * log_sigma + noise + log_sigma + p * log_s
    if b_c is not None:
        # W (b_c - ybar)^2 / (2 sigma^2) = z_b^2 / 2; db_c / dz_b = sigma / sqrt(W).
        z_b = theta[-1]
        log_p = log_p - 0.5 * z_b**2 + jnp.log(sigma)
        log_p = log_p + intercept_prior.log_prob(b_c - problem.x_offset @ w)
    return log_p


class _Draws(NamedTuple):
    coef: jax.Array
    intercept: jax.Array
    sigma: jax.Array
    diverging: jax.Array
    energy: jax.Array
    num_steps: jax.Array
    accept_prob: jax.Array


def _run_chain(problem, prior, noise_prior, intercept_prior, start, key, settings):
    """One chain: NUTS warm-up and draws in whitened coordinates, mapped back."""

    def potential_fn_gen(problem, prior, noise_prior, intercept_prior):
        def potential(theta):
            return -_log_density(theta, problem, prior, noise_prior, intercept_prior, settings)

        return potential

    model_args = (problem, prior, noise_prior, intercept_prior)
    init_kernel, sample_kernel = hmc(potential_fn_gen=potential_fn_gen, algo="NUTS")
    key_init, key_intercept = jax.random.split(key)
    state = init_kernel(
        start,
        settings.num_warmup,
        dense_mass=settings.dense_mass,
        adapt_mass_matrix=settings.adapt_mass_matrix,
        target_accept_prob=settings.target_accept_prob,
        max_tree_depth=MAX_TREE_DEPTH,
        model_args=model_args,
        rng_key=key_init,
    )

    def warmup_step(state, _):
        return sample_kernel(state, model_args=model_args), None

    def draw_step(state, _):
        state = sample_kernel(state, model_args=model_args)
        stats = (state.diverging, state.energy, state.num_steps, state.accept_prob)
        return state, (state.z, *stats)

    state, _ = jax.lax.scan(warmup_step, state, None, length=settings.num_warmup)
    _, (theta, diverging, energy, num_steps, accept_prob) = jax.lax.scan(
        draw_step, state, None, length=settings.num_samples
    )
    coef, sigma, _, _, b_c = jax.vmap(lambda t: _unpack(t, problem, settings))(theta)
    if settings.intercept == "integrated":
        # b_c | w, sigma, y ~ N(ybar, sigma^2 / W): an exact draw per NUTS draw.
        noise = jax.random.normal(key_intercept, sigma.shape)
        b_c = problem.y_offset + sigma * noise / jnp.sqrt(problem.weight_sum)
    if settings.intercept == "none":
        intercept = jnp.zeros_like(sigma)
    else:
        intercept = b_c - coef @ problem.x_offset
    return _Draws(coef, intercept, sigma, diverging, energy, num_steps, accept_prob)


_run_chain_jit = jax.jit(_run_chain, static_argnames="settings")


@functools.cache
def _run_chains_pmap(settings: SamplerSettings):
    return jax.pmap(
        functools.partial(_run_chain, settings=settings), in_axes=(None, None, None, None, 0, 0)
    )


def sample_gaussian_posterior(
    data: RegressionData,
    prior: Prior,
    *,
    coef_init: np.ndarray,
    rng: np.random.RandomState,
    noise_scaled: bool = True,
    noise_prior=None,
    noise_scale: float | None = None,
    intercept_prior=None,
    num_samples: int = 1000,
    num_warmup: int = 1000,
    num_chains: int = 4,
    target_accept_prob: float = 0.8,
    parallel: bool = False,
) -> dict[str, np.ndarray]:
    """Draw the posterior of a Gaussian linear model by NUTS in whitened coordinates.

    The model is that of :func:`bayesreg.model.make_linear_model` with the Gaussian
    likelihood; :func:`applies` says which priors this function takes.

    Parameters
    ----------
    data : RegressionData
    prior : Prior
    coef_init : ndarray of shape (n_features,)
        The MAP (or a point near the posterior's bulk): the centre of the whitening.
    rng : numpy RandomState
        Source of the chains' starts and of the sampler's key.
    noise_scaled, noise_prior, noise_scale, intercept_prior
        See :func:`bayesreg.model.make_linear_model`.
    num_samples, num_warmup, num_chains : int
    target_accept_prob : float
    parallel : bool
        Run the chains one per device (``pmap``); otherwise one after another.  Either
        way every chain runs the same compiled single-chain program.

    Returns
    -------
    dict of ndarray
        ``coef`` (chains, draws, p), ``intercept``, ``sigma``, ``diverging``, ``energy``,
        ``num_steps`` and ``accept_prob`` (chains, draws).
    """
    stats = GaussianStatistics.from_data(data)
    jeffreys = noise_prior is None or isinstance(noise_prior, JeffreysNoise)
    if not data.fit_intercept:
        intercept = "none"
    else:
        intercept = "integrated" if intercept_prior is None else "sampled"
    settings = SamplerSettings(
        num_warmup=int(num_warmup),
        num_samples=int(num_samples),
        target_accept_prob=float(target_accept_prob),
        sample_sigma=noise_scale is None,
        given_noise=bool(noise_scaled or prior.conditions_on_noise),
        intercept=intercept,
        jeffreys=jeffreys,
    )
    problem = whiten(
        stats,
        prior,
        coef_init,
        noise_scale=noise_scale,
        given_noise=settings.given_noise,
        intercept=intercept,
    )
    dim = data.n_features + int(settings.sample_sigma) + int(intercept == "sampled")
    # Starts drawn from the whitened Gaussian approximation of the posterior.
    starts = jnp.asarray(rng.standard_normal((num_chains, dim)))
    keys = jax.random.split(jax.random.PRNGKey(int(rng.randint(2**31 - 1))), num_chains)
    noise_arg = None if jeffreys else noise_prior
    args = (problem, prior, noise_arg, intercept_prior)
    if parallel:
        draws = _run_chains_pmap(settings)(*args, starts, keys)
        draws = jax.tree.map(np.asarray, draws)
    else:
        chains = [_run_chain_jit(*args, starts[c], keys[c], settings) for c in range(num_chains)]
        draws = jax.tree.map(lambda *c: np.stack([np.asarray(x) for x in c]), *chains)
    return draws._asdict()
