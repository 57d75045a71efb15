"""Posterior sampling by NUTS, returned as an arviz DataTree labelled by feature.

The sampler is numpyro's NUTS on the model of :func:`bayesreg.model.make_linear_model`.
Chains start near the MAP (jittered by about half a marginal standard error), run in
parallel across devices when there are as many devices as chains and are vectorised
otherwise.  numpyro compiles the sampler on every run (its ``fori_collect`` jits a new
closure each time), so a call costs compilation plus sampling; reusing a compiled kernel
is future work.
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
from numpyro.infer import MCMC, NUTS
from sklearn.utils import check_random_state

from bayesreg.likelihoods import gaussian_log_likelihood
from bayesreg.model import RegressionData, make_linear_model
from bayesreg.priors import Prior

__all__ = ["SamplingWarning", "sample_linear_posterior"]

#: Above this many features NUTS adapts a diagonal rather than a dense mass matrix.
DENSE_MASS_MAX_FEATURES = 200
_RHAT_WARN = 1.01
_EXTRA_FIELDS = ("diverging", "energy", "num_steps", "accept_prob")


class SamplingWarning(UserWarning):
    """NUTS diagnostics suggest the draws may not represent the posterior."""


def _initial_values(data: RegressionData, coef_map, rng, num_chains, *, sample_sigma):
    """Chain starts: the MAP jittered by about half a marginal standard error (unconstrained)."""
    X_t, y_t = data.centered()
    residual = y_t - X_t @ coef_map
    sigma = max(
        np.sqrt(residual @ residual / max(data.n_residual_dof, 1)), 1e-8 * (1 + np.std(data.y))
    )
    col_norm = np.sqrt(np.sum(X_t * X_t, axis=0))
    se = sigma / np.where(col_norm > 0, col_norm, 1.0)
    init = {"coef": coef_map + 0.5 * se * rng.standard_normal((num_chains, coef_map.size))}
    if data.fit_intercept:
        se_b = sigma / np.sqrt(data.sample_weight.sum())
        init["intercept_centered"] = data.y_offset + 0.5 * se_b * rng.standard_normal(num_chains)
    if sample_sigma:
        init["sigma"] = np.log(sigma) + 0.2 * rng.standard_normal(num_chains)  # log: unconstrained
    # numpyro takes one unbatched start when there is a single chain.
    return {k: jnp.asarray(v[0] if num_chains == 1 else v) for k, v in init.items()}


def sample_linear_posterior(
    data: RegressionData,
    prior: Prior,
    *,
    coef_map: np.ndarray,
    feature_names: Sequence[str],
    noise_prior=None,
    noise_scale: float | None = None,
    num_samples: int = 1000,
    num_warmup: int = 1000,
    num_chains: int = 4,
    random_state=None,
    progress_bar: bool = False,
) -> xr.DataTree:
    """Sample the noise-scaled posterior of a Gaussian linear model by NUTS.

    The model is ``y_i ~ N(b + x_i' w, sigma^2 / s_i)``, ``w_j | sigma ~
    prior.scaled_by_noise(sigma)``, ``b`` flat and ``sigma ~ noise_prior`` (Jeffreys
    ``1 / sigma`` by default), or ``sigma = noise_scale`` when given.  Its mode in ``w``
    is the MAP of :func:`bayesreg.solvers.solve_map` with the same data and prior.

    Parameters
    ----------
    data : RegressionData
        Observations with zero weight carry no information and are left out.
    prior : Prior
        The prior at unit noise.
    coef_map : ndarray of shape (n_features,)
        The MAP, used to start the chains.
    feature_names : sequence of str
        Labels of the ``feature`` dimension.
    noise_prior : numpyro distribution or None
    noise_scale : float or None
    num_samples, num_warmup, num_chains : int
    random_state : None, int or numpy RandomState
    progress_bar : bool

    Returns
    -------
    xarray.DataTree
        Groups ``posterior`` (``intercept``, ``coef`` over ``feature``, ``sigma``),
        ``sample_stats``, ``log_likelihood`` and ``observed_data`` (``y`` over
        ``obs_id``).

    Warns
    -----
    SamplingWarning
        On divergent transitions or a split R-hat above 1.01.
    """
    rng = check_random_state(random_state)
    keep = data.sample_weight > 0
    X_c = (data.X - data.x_offset)[keep]
    y, weight = data.y[keep], data.sample_weight[keep]
    model_fn = make_linear_model(
        fit_intercept=data.fit_intercept, noise_prior=noise_prior, noise_scale=noise_scale
    )
    chain_method = "parallel" if jax.local_device_count() >= num_chains else "vectorized"
    mcmc = MCMC(
        NUTS(model_fn, dense_mass=data.n_features <= DENSE_MASS_MAX_FEATURES),
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        chain_method=chain_method,
        progress_bar=progress_bar,
    )
    init = _initial_values(
        data, np.asarray(coef_map), rng, num_chains, sample_sigma=noise_scale is None
    )
    mcmc.run(
        jax.random.key(int(rng.randint(2**31 - 1))),
        jnp.asarray(X_c),
        jnp.asarray(y),
        jnp.asarray(weight),
        jnp.asarray(data.x_offset),
        prior,
        init_params=init,
        extra_fields=_EXTRA_FIELDS,
    )
    tree = az.from_numpyro(
        mcmc,
        coords={"feature": list(feature_names), "obs_id": np.flatnonzero(keep)},
        dims={"coef": ["feature"], "y": ["obs_id"]},
        pred_dims={},
    )
    _tidy_posterior(tree, noise_scale)
    tree["posterior"].attrs.update(chain_method=chain_method, num_warmup=num_warmup)
    _add_log_likelihood(tree, data.X[keep], y, weight)
    _warn_on_diagnostics(tree)
    return tree


def _add_log_likelihood(tree: xr.DataTree, X, y, weight) -> None:
    """Pointwise log likelihood in closed form (arviz would re-trace the model per draw)."""
    post = tree["posterior"]
    mean = post["intercept"].values[..., None] + post["coef"].values @ X.T
    values = gaussian_log_likelihood(y, mean, post["sigma"].values, weight)
    obs_id = tree["observed_data"]["obs_id"]
    group = xr.Dataset(
        {"y": (("chain", "draw", "obs_id"), values)},
        coords={"chain": post["chain"], "draw": post["draw"], "obs_id": obs_id},
        attrs=dict(post.attrs),
    )
    tree["log_likelihood"] = xr.DataTree(group)


def _tidy_posterior(tree: xr.DataTree, noise_scale) -> None:
    posterior = tree["posterior"].to_dataset()
    if "intercept_centered" in posterior:
        posterior = posterior.drop_vars("intercept_centered")
    if "intercept" not in posterior:
        posterior["intercept"] = xr.zeros_like(posterior["coef"].isel(feature=0, drop=True))
    if noise_scale is not None:
        posterior["sigma"] = xr.full_like(posterior["intercept"], float(noise_scale))
    tree["posterior"] = xr.DataTree(posterior[["intercept", "coef", "sigma"]])


def _warn_on_diagnostics(tree: xr.DataTree) -> None:
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
    sampled = [name for name, values in posterior.data_vars.items() if float(values.std()) > 0]
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
