"""Posterior sampling by NUTS, returned as an arviz DataTree labelled by feature.

Two samplers, one posterior.  A Gaussian likelihood with a prior that has a density per
weight (Ridge, Lasso, ElasticNet, ``LinearRegression`` with such priors) is sampled by
:mod:`bayesreg.gaussian_sampler`: NUTS from the sufficient statistics in whitened
coordinates, compiled once per shape and setting.  Everything else (other likelihoods,
hierarchical priors such as the horseshoe) is sampled by numpyro's NUTS on the model of
:func:`bayesreg.model.make_linear_model`, with chains started near the MAP (jittered by
about half a marginal standard error); numpyro compiles that sampler on every run.
``posterior.attrs["sampler"]`` records which one drew the posterior.

Either way the chains run in parallel across devices when there are as many devices as
chains and one after another otherwise, the same single-chain program both ways, so a
``random_state`` gives the same draws (:func:`chain_method`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro.infer.initialization  # noqa: F401 - arviz's from_numpyro needs it imported
import xarray as xr
from numpyro import handlers
from numpyro.infer import MCMC, NUTS, init_to_uniform, init_to_value
from sklearn.utils import check_random_state

from bayesreg import gaussian_sampler
from bayesreg.likelihoods import Likelihood, Normal
from bayesreg.model import RegressionData, make_linear_model
from bayesreg.priors import Prior

__all__ = ["SamplingWarning", "chain_method", "sample_linear_posterior", "warn_on_diagnostics"]

#: Above this many features NUTS adapts a diagonal rather than a dense mass matrix.
DENSE_MASS_MAX_FEATURES = 200
_RHAT_WARN = 1.01
_EXTRA_FIELDS = ("diverging", "energy", "num_steps", "accept_prob")
#: ``posterior.attrs["sampler"]``: which sampler drew the posterior.
GAUSSIAN_SAMPLER = "gaussian-whitened-nuts"
NUMPYRO_MODEL_SAMPLER = "numpyro-model-nuts"
NUMPYRO_MODEL_SAMPLER_OPTION = "numpyro-model"


class SamplingWarning(UserWarning):
    """NUTS diagnostics suggest the draws may not represent the posterior."""


def chain_method(num_chains: int) -> str:
    """numpyro's way of running the chains: one per device, else one after another.

    Both run the same single-chain program, so a ``random_state`` gives the same draws,
    bit for bit, on one device or several.  numpyro's ``"vectorized"`` method batches the
    chains into one program instead, which rounds differently, and NUTS amplifies the
    difference into different draws within a few hundred iterations; on a CPU it is no
    faster than running the chains one after another.
    """
    return "parallel" if jax.local_device_count() >= num_chains > 1 else "sequential"


def _initial_values(
    data: RegressionData, coef_init, rng, num_chains, *, sample_sigma, latent_sites
):
    """Chain starts: ``coef_init`` jittered by about half a marginal standard error.

    Values are on the unconstrained scale (``log sigma``).  Sites are started only if
    they are latent sample sites of the model; a hierarchical prior's other latent
    variables (e.g. the horseshoe's scales) are left to numpyro's default.
    """
    X_t, y_t = data.centered()
    residual = y_t - X_t @ coef_init
    sigma = max(
        np.sqrt(residual @ residual / max(data.n_residual_dof, 1)), 1e-8 * (1 + np.std(data.y))
    )
    col_norm = np.sqrt(np.sum(X_t * X_t, axis=0))
    se = sigma / np.where(col_norm > 0, col_norm, 1.0)
    init = {"coef": coef_init + 0.5 * se * rng.standard_normal((num_chains, coef_init.size))}
    if data.fit_intercept:
        se_b = sigma / np.sqrt(data.sample_weight.sum())
        init["intercept_centered"] = data.y_offset + 0.5 * se_b * rng.standard_normal(num_chains)
    if sample_sigma:
        init["sigma"] = np.log(sigma) + 0.2 * rng.standard_normal(num_chains)  # log: unconstrained
    init = {name: value for name, value in init.items() if name in latent_sites}
    # numpyro takes one unbatched start when there is a single chain.
    return {k: jnp.asarray(v[0] if num_chains == 1 else v) for k, v in init.items()}


def _latent_sites(model, args) -> dict[str, tuple[int, ...]]:
    """Names and shapes of the model's latent sample sites (one cheap forward run)."""
    # init_to_uniform also gives values to improper sites, which cannot be sampled.
    model = handlers.substitute(handlers.seed(model, 0), substitute_fn=init_to_uniform)
    trace = handlers.trace(model).get_trace(*args)
    return {
        name: tuple(site["value"].shape)
        for name, site in trace.items()
        if site["type"] == "sample" and not site["is_observed"]
    }


def sample_linear_posterior(
    data: RegressionData,
    prior: Prior,
    *,
    coef_init: np.ndarray,
    feature_names: Sequence[str],
    noise_scaled: bool = True,
    noise_prior=None,
    noise_scale: float | None = None,
    intercept_prior=None,
    likelihood: Likelihood | None = None,
    num_samples: int = 1000,
    num_warmup: int = 1000,
    num_chains: int = 4,
    target_accept_prob: float = 0.8,
    random_state=None,
    progress_bar: bool = False,
    sampler: str = "auto",
) -> xr.DataTree:
    """Sample the posterior of a linear model by NUTS.

    The model is ``y_i ~ likelihood(b + x_i' w, sigma, s_i)``, ``w`` from ``prior``
    (``prior.scaled_by_noise(sigma)`` in the noise-scaled form), ``b`` flat or from
    ``intercept_prior`` and ``sigma ~ noise_prior`` (Jeffreys ``1 / sigma`` by
    default), or ``sigma = noise_scale`` when given; see
    :func:`bayesreg.model.make_linear_model`.  In the noise-scaled Gaussian model its
    mode in ``w`` is the MAP of :func:`bayesreg.solvers.solve_map` with the same data
    and prior.

    Parameters
    ----------
    data : RegressionData
        Observations with zero weight carry no information and are left out.
    prior : Prior
        The prior of the weights (at unit noise in the noise-scaled form).
    coef_init : ndarray of shape (n_features,)
        Where the chains start (jittered): the MAP, or a ridge fit when there is none.
    feature_names : sequence of str
        Labels of the ``feature`` dimension.
    noise_scaled : bool, default True
    noise_prior, noise_scale, intercept_prior, likelihood
        See :func:`bayesreg.model.make_linear_model`.
    num_samples, num_warmup, num_chains : int
    target_accept_prob : float, default 0.8
        NUTS's step-size adaptation target; raise it (0.95-0.99) for funnel-shaped
        posteriors such as the horseshoe's.
    random_state : None, int or numpy RandomState
    progress_bar : bool
        numpyro's progress bar (the numpyro-model sampler only).
    sampler : {"auto", "numpyro-model"}, default "auto"
        ``"auto"`` samples by :mod:`bayesreg.gaussian_sampler` where it applies
        (:func:`bayesreg.gaussian_sampler.applies`) and by numpyro's NUTS on the model
        otherwise; ``"numpyro-model"`` always takes the model (the slow path, kept as
        a reference for the fast one).

    Returns
    -------
    xarray.DataTree
        Groups ``posterior`` (``intercept``, ``coef`` over ``feature``, ``sigma``, and
        a hierarchical prior's latent variables), ``sample_stats``, ``log_likelihood``
        and ``observed_data`` (``y`` over ``obs_id``).  ``posterior.attrs["sampler"]``
        names the sampler used.

    Warns
    -----
    SamplingWarning
        On divergent transitions or a split R-hat above 1.01.
    """
    rng = check_random_state(random_state)
    keep = data.sample_weight > 0
    likelihood = Normal() if likelihood is None else likelihood
    method = chain_method(num_chains)
    coords = {"feature": list(feature_names), "obs_id": np.flatnonzero(keep)}
    if sampler not in ("auto", NUMPYRO_MODEL_SAMPLER_OPTION):
        raise ValueError(f'sampler must be "auto" or "numpyro-model", got {sampler!r}.')
    if sampler == "auto" and gaussian_sampler.applies(
        prior,
        likelihood=likelihood,
        n_features=data.n_features,
        noise_prior=noise_prior,
        intercept_prior=intercept_prior,
    ):
        draws = gaussian_sampler.sample_gaussian_posterior(
            data,
            prior,
            coef_init=np.asarray(coef_init, dtype=float),
            rng=rng,
            noise_scaled=noise_scaled,
            noise_prior=noise_prior,
            noise_scale=noise_scale,
            intercept_prior=intercept_prior,
            num_samples=num_samples,
            num_warmup=num_warmup,
            num_chains=num_chains,
            target_accept_prob=target_accept_prob,
            parallel=method == "parallel",
        )
        tree = _tree_from_draws(draws, data.y[keep], coords)
        sampler_used = GAUSSIAN_SAMPLER
    else:
        tree = _sample_numpyro_model(
            data,
            prior,
            keep=keep,
            rng=rng,
            coef_init=coef_init,
            coords=coords,
            noise_scaled=noise_scaled,
            noise_prior=noise_prior,
            noise_scale=noise_scale,
            intercept_prior=intercept_prior,
            likelihood=likelihood,
            num_samples=num_samples,
            num_warmup=num_warmup,
            num_chains=num_chains,
            target_accept_prob=target_accept_prob,
            method=method,
            progress_bar=progress_bar,
        )
        sampler_used = NUMPYRO_MODEL_SAMPLER
    _tidy_posterior(tree, noise_scale)
    tree["posterior"].attrs.update(
        chain_method=method, num_warmup=num_warmup, likelihood=likelihood.name, sampler=sampler_used
    )
    y, weight = data.y[keep], data.sample_weight[keep]
    _add_log_likelihood(tree, data.X[keep], y, weight, likelihood)
    warn_on_diagnostics(tree)
    return tree


def _sample_numpyro_model(
    data: RegressionData,
    prior: Prior,
    *,
    keep,
    rng,
    coef_init,
    coords,
    noise_scaled,
    noise_prior,
    noise_scale,
    intercept_prior,
    likelihood,
    num_samples,
    num_warmup,
    num_chains,
    target_accept_prob,
    method,
    progress_bar,
) -> xr.DataTree:
    """numpyro's NUTS on the model of :func:`make_linear_model` (any likelihood and prior)."""
    X_c = (data.X - data.x_offset)[keep]
    y, weight = data.y[keep], data.sample_weight[keep]
    model_fn = make_linear_model(
        fit_intercept=data.fit_intercept,
        noise_scaled=noise_scaled,
        noise_prior=noise_prior,
        noise_scale=noise_scale,
        intercept_prior=intercept_prior,
        likelihood=likelihood,
    )
    args = (jnp.asarray(X_c), jnp.asarray(y), jnp.asarray(weight), jnp.asarray(data.x_offset))
    args = (*args, prior)
    latent = _latent_sites(model_fn, args)
    init = _initial_values(
        data,
        np.asarray(coef_init, dtype=float),
        rng,
        num_chains,
        sample_sigma=noise_scale is None,
        latent_sites=latent,
    )
    complete = set(init) == set(latent)
    # A hierarchical prior's extra latent variables start where numpyro puts them.
    init_strategy = init_to_uniform if complete else init_to_value(values=_first(init, num_chains))
    kernel = NUTS(
        model_fn,
        dense_mass=data.n_features <= DENSE_MASS_MAX_FEATURES,
        target_accept_prob=target_accept_prob,
        init_strategy=init_strategy,
    )
    mcmc = MCMC(
        kernel,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        chain_method=method,
        progress_bar=progress_bar,
    )
    mcmc.run(
        jax.random.key(int(rng.randint(2**31 - 1))),
        *args,
        init_params=init if complete else None,
        extra_fields=_EXTRA_FIELDS,
    )
    n_features = data.n_features
    feature_sites = [
        name
        for name, value in mcmc.get_samples().items()
        if value.ndim == 2 and value.shape[1] == n_features and name != "y"
    ]
    tree = az.from_numpyro(
        mcmc,
        coords=coords,
        dims={**{name: ["feature"] for name in feature_sites}, "y": ["obs_id"]},
        pred_dims={},
    )
    return tree


def _tree_from_draws(draws: dict, y: np.ndarray, coords: dict) -> xr.DataTree:
    """The DataTree of :func:`az.from_numpyro`'s layout, from the fast path's draws."""
    num_steps = draws["num_steps"].astype(np.int64)
    tree_depth = np.log2(num_steps).astype(np.int64) + 1  # as arviz derives it
    sample_stats = {
        "acceptance_rate": draws["accept_prob"],
        "diverging": draws["diverging"].astype(bool),
        "energy": draws["energy"],
        "n_steps": num_steps,
        "tree_depth": tree_depth,
        "reached_max_tree_depth": tree_depth >= gaussian_sampler.MAX_TREE_DEPTH,
    }
    return az.from_dict(
        {
            "posterior": {name: draws[name] for name in ("intercept", "coef", "sigma")},
            "sample_stats": sample_stats,
            "observed_data": {"y": y},
        },
        coords=coords,
        dims={"coef": ["feature"], "y": ["obs_id"]},
    )


def _first(init: dict, num_chains: int) -> dict:
    """The first chain's start of each site, on the constrained scale."""
    values = {k: v[0] if num_chains > 1 else v for k, v in init.items()}
    if "sigma" in values:
        values["sigma"] = jnp.exp(values["sigma"])
    return values


def _add_log_likelihood(tree: xr.DataTree, X, y, weight, likelihood: Likelihood) -> None:
    """Pointwise log likelihood, vectorised (arviz would re-trace the model per draw)."""
    post = tree["posterior"]
    mean = post["coef"].values @ X.T
    mean += post["intercept"].values[..., None]
    if isinstance(likelihood, Normal):
        values = _gaussian_log_likelihood_inplace(mean, y, post["sigma"].values, weight)
    else:
        values = likelihood.log_likelihood(y, mean, post["sigma"].values, weight)
    obs_id = tree["observed_data"]["obs_id"]
    group = xr.Dataset(
        {"y": (("chain", "draw", "obs_id"), values)},
        coords={"chain": post["chain"], "draw": post["draw"], "obs_id": obs_id},
        attrs=dict(post.attrs),
    )
    tree["log_likelihood"] = xr.DataTree(group)


def _gaussian_log_likelihood_inplace(mean, y, sigma, weight) -> np.ndarray:
    """``log N(y_i | mean_i, sigma^2 / s_i)`` written over ``mean`` (draws x obs).

    The same numbers as :func:`bayesreg.likelihoods.gaussian_log_likelihood`, without
    its temporaries: with 4000 draws of 5000 observations each temporary is 160 MB, and
    allocating them cost more than the sampling.
    """
    inv_var = -0.5 / np.asarray(sigma) ** 2
    np.subtract(y, mean, out=mean)
    np.square(mean, out=mean)
    mean *= weight
    mean *= inv_var[..., None]
    mean -= np.log(sigma)[..., None]
    mean += 0.5 * np.log(weight) - 0.5 * np.log(2.0 * np.pi)
    return mean


def _tidy_posterior(tree: xr.DataTree, noise_scale) -> None:
    posterior = tree["posterior"].to_dataset()
    if "intercept_centered" in posterior:
        posterior = posterior.drop_vars("intercept_centered")
    if "intercept" not in posterior:
        posterior["intercept"] = xr.zeros_like(posterior["coef"].isel(feature=0, drop=True))
    if noise_scale is not None:
        posterior["sigma"] = xr.full_like(posterior["intercept"], float(noise_scale))
    first = ["intercept", "coef", "sigma"]
    rest = sorted(name for name in posterior.data_vars if name not in first)
    tree["posterior"] = xr.DataTree(posterior[first + rest])


def warn_on_diagnostics(tree: xr.DataTree) -> None:
    """Warn (:class:`SamplingWarning`) on divergences and on a split R-hat above 1.01."""
    n_divergent = int(tree["sample_stats"]["diverging"].sum())
    if n_divergent:
        warnings.warn(
            f"{n_divergent} divergent transitions after warm-up: the posterior may be "
            "poorly explored. Increase num_warmup, or check for nearly collinear features.",
            SamplingWarning,
            stacklevel=4,  # the user's call of sample_posterior
        )
    posterior = tree["posterior"]
    # Constant variables (no intercept, fixed noise) have no R-hat.
    sampled = [name for name, values in posterior.data_vars.items() if np.ptp(values.values) > 0]
    if posterior.sizes["chain"] > 1 and sampled:
        rhat = az.rhat(tree, var_names=sampled)
        worst = max(float(rhat[name].max()) for name in rhat.data_vars)
        if worst > _RHAT_WARN:
            warnings.warn(
                f"largest split R-hat is {worst:.3f} > {_RHAT_WARN}: the chains disagree. "
                "Draw more samples (num_samples, num_warmup) before trusting the posterior.",
                SamplingWarning,
                stacklevel=4,  # the user's call of sample_posterior
            )
