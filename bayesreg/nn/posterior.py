"""NUTS on a network's posterior, and what it predicts.

The model (the noise-scaled form of :mod:`bayesreg.nn.objective`):

``y_i ~ N(f(x_i; theta), sigma^2 / s_i)``,
``w ~ prior`` given ``sigma`` (``prior.sample_coef(n_weights, sigma)``: any bayesreg
prior, hierarchical ones included, over all the weights of all layers),
``b_l ~ N(0, bias_scale^2)`` for the hidden layers, ``b_out`` flat,
``sigma ~ noise_prior`` (Jeffreys by default) or ``sigma = noise_scale``.

Its mode in ``theta`` given ``sigma`` is the MAP of :mod:`bayesreg.nn.map` when the
hidden biases are flat.  Flat hidden biases make the posterior improper, though: as
``b_j -> +-inf`` a saturating unit becomes a constant that the output bias absorbs, so
the likelihood does not vanish and the flat prior's mass is infinite.  The same holds
for a flat prior on the weights.  Sampling therefore needs a proper prior on both.

Multimodality.  Permuting hidden units, and for tanh flipping a unit's sign, gives the
same function (:mod:`bayesreg.nn.architecture`), so the posterior has at least
``prod_l h_l! 2^{h_l}`` equivalent modes (3.7e9 for 10 tanh units), besides modes that
are genuinely different fits.  NUTS does not jump between them: each chain explores the
neighbourhood of the mode it starts near.  Chains started from different random
initialisations therefore disagree about every single weight, and R-hat of the weights
is large even when every chain is sampling well; that is a statement about the labels,
not about the fit.  R-hat is meaningful for quantities the symmetries leave alone:
predictions ``f(x)``, ``sigma``, and the weights after :func:`canonical_posterior`
(sign and order fixed).  A large R-hat of predictions means the chains found genuinely
different fits, and the posterior is then a mixture that no chain represents alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import xarray as xr
from numpyro.distributions import constraints
from numpyro.infer import MCMC, NUTS, init_to_value

from bayesreg.inference import _latent_sites, chain_method
from bayesreg.model import JeffreysNoise
from bayesreg.nn.architecture import Architecture, Parameters, canonical_parameters
from bayesreg.priors import Prior

__all__ = [
    "canonical_posterior",
    "network_model",
    "posterior_parameters",
    "predictive_draws",
    "sample_network_posterior",
]

_EXTRA_FIELDS = ("diverging", "energy", "num_steps", "accept_prob")


def network_model(
    architecture: Architecture,
    *,
    bias_scale: float | None,
    noise_prior=None,
    noise_scale: float | None = None,
):
    """The numpyro model ``model(X, y, weight, prior)`` of the network's posterior.

    Sites: ``sigma`` (unless ``noise_scale``), the prior's sites over all ``n_weights``
    weights (``coef`` and any latent scales), ``hidden_bias`` (all hidden layers'
    biases in order), ``b_out`` and ``y``.
    """
    noise_prior = JeffreysNoise() if noise_prior is None else noise_prior
    n_weights = architecture.n_weights
    n_hidden_bias = sum(architecture.hidden_layer_sizes)

    def model(X, y, weight, prior: Prior):
        sigma = numpyro.sample("sigma", noise_prior) if noise_scale is None else noise_scale
        w = prior.sample_coef(n_weights, sigma)
        if n_hidden_bias:
            hidden_prior = (
                dist.Normal(0.0, bias_scale)
                if bias_scale is not None
                else dist.ImproperUniform(constraints.real, (), ())
            )
            with numpyro.plate("hidden_unit", n_hidden_bias):
                hidden = numpyro.sample("hidden_bias", hidden_prior)
        else:
            hidden = jnp.zeros(0)
        b_out = numpyro.sample("b_out", dist.ImproperUniform(constraints.real, (), ()))
        theta = jnp.concatenate([w, hidden, b_out[None]])
        mean = architecture.forward(architecture.unravel(theta), X)
        with numpyro.plate("obs_id", X.shape[0]):
            numpyro.sample("y", dist.Normal(mean, sigma / jnp.sqrt(weight)), obs=y)

    return model


def sample_network_posterior(
    architecture: Architecture,
    prior: Prior,
    X: np.ndarray,
    y: np.ndarray,
    sample_weight: np.ndarray,
    *,
    init_thetas: np.ndarray,
    feature_names: Sequence[str],
    bias_scale: float | None,
    noise_prior=None,
    noise_scale: float | None = None,
    num_samples: int = 1000,
    num_warmup: int = 1000,
    num_chains: int = 4,
    target_accept_prob: float = 0.8,
    max_tree_depth: int = 10,
    seed: int = 0,
) -> xr.DataTree:
    """Draw the network's posterior by numpyro's NUTS, one chain per start.

    Parameters
    ----------
    architecture, prior
        The network and the weights' prior at unit noise.
    X, y, sample_weight : ndarray
        Observations with positive weight.
    init_thetas : ndarray of shape (num_chains, n_parameters)
        Where each chain starts (flat parameters: weights, hidden biases, output bias);
        ``sigma`` starts at the residual scale of the first.
    feature_names : sequence of str
        Labels of the inputs.
    bias_scale, noise_prior, noise_scale
        See :func:`network_model`.
    num_samples, num_warmup, num_chains, target_accept_prob, max_tree_depth, seed
        NUTS's settings; a trajectory has at most ``2^max_tree_depth - 1`` steps.

    Returns
    -------
    xarray.DataTree
        ``posterior``: ``W_1, ..., W_L`` (``feature`` or ``hidden_{l-1}`` by
        ``hidden_l``), ``b_1, ..., b_L``, ``w_out`` and ``b_out``, ``sigma`` and the
        prior's latent variables; ``sample_stats``; ``log_likelihood`` and
        ``observed_data`` (``y`` over ``obs_id``).
    """
    model = network_model(
        architecture, bias_scale=bias_scale, noise_prior=noise_prior, noise_scale=noise_scale
    )
    args = (jnp.asarray(X), jnp.asarray(y), jnp.asarray(sample_weight), prior)
    init = _initial_values(architecture, init_thetas, X, y, sample_weight, noise_scale)
    # A hierarchical prior's own latent variables (e.g. the horseshoe's scales) start
    # where numpyro puts them, and then every chain starts at the first chain's values.
    complete = set(_latent_sites(model, args)) <= set(init)
    kernel = NUTS(
        model,
        target_accept_prob=target_accept_prob,
        max_tree_depth=max_tree_depth,
        init_strategy=init_to_value(values={k: jnp.asarray(v[0]) for k, v in init.items()}),
    )
    mcmc = MCMC(
        kernel,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        chain_method=chain_method(num_chains),
        progress_bar=False,
    )
    mcmc.run(
        jax.random.key(seed),
        *args,
        init_params=_unconstrained(init, num_chains) if complete else None,
        extra_fields=_EXTRA_FIELDS,
    )
    samples = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
    extra = {k: np.asarray(v) for k, v in mcmc.get_extra_fields(group_by_chain=True).items()}
    if noise_scale is not None:
        samples["sigma"] = np.full(samples["b_out"].shape, float(noise_scale))
    tree = _tree(architecture, samples, extra, y, feature_names, max_tree_depth)
    tree["posterior"].attrs.update(
        num_warmup=num_warmup,
        chain_method=chain_method(num_chains),
        sampler="numpyro-network-nuts",
        max_tree_depth=max_tree_depth,
        activation=architecture.activation,
        hidden_layer_sizes=list(architecture.hidden_layer_sizes),
    )
    _add_log_likelihood(tree, architecture, X, y, sample_weight)
    return tree


def _initial_values(architecture, init_thetas, X, y, sample_weight, noise_scale) -> dict:
    """Chain starts on the constrained scale, one row per chain."""
    thetas = np.atleast_2d(np.asarray(init_thetas, dtype=float))
    weights = architecture.weight_mask()
    hidden = architecture.hidden_bias_mask()
    init = {"coef": thetas[:, weights], "b_out": thetas[:, -1]}
    if hidden.any():
        init["hidden_bias"] = thetas[:, hidden]
    if noise_scale is None:
        fitted = architecture.forward(architecture.unravel(thetas[0]), X)
        residual = np.asarray(y - fitted)
        rms = np.sqrt(np.sum(sample_weight * residual**2) / max(len(y) - 1, 1))
        init["sigma"] = np.full(len(thetas), max(rms, 1e-6 * (1.0 + np.std(y))))
    return init


def _unconstrained(init: dict, num_chains: int) -> dict:
    """The starts on numpyro's unconstrained scale (``log sigma``; the rest is real)."""
    values = {k: jnp.asarray(v) for k, v in init.items()}
    if "sigma" in values:
        values["sigma"] = jnp.log(values["sigma"])
    return values if num_chains > 1 else {k: v[0] for k, v in values.items()}


def _variable_names(architecture: Architecture) -> list[tuple[str, str]]:
    """``(weights, biases)`` variable names of each layer: ``W_1, b_1, ..., w_out, b_out``."""
    return [
        ("w_out", "b_out") if layer == "out" else (f"W_{layer}", f"b_{layer}")
        for layer in architecture.layer_names
    ]


def _layer_dims(architecture: Architecture) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """``(weight dims, bias dims)`` of every layer: ``feature``, ``hidden_1``, ..."""
    names = ["feature", *(f"hidden_{i + 1}" for i in range(len(architecture.hidden_layer_sizes)))]
    hidden = [((names[i], names[i + 1]), (names[i + 1],)) for i in range(len(names) - 1)]
    return [*hidden, ((names[-1],), ())]


def _tree(architecture, samples, extra, y, feature_names, max_tree_depth) -> xr.DataTree:
    chains, draws = samples["b_out"].shape
    hidden = samples.get("hidden_bias", np.zeros((chains, draws, 0)))
    theta = np.concatenate([samples["coef"], hidden, samples["b_out"][..., None]], axis=-1)
    params = jax.vmap(jax.vmap(architecture.unravel))(jnp.asarray(theta))
    posterior, dims = {}, {}
    for (w_name, b_name), (w_dims, b_dims), W, b in zip(
        _variable_names(architecture),
        _layer_dims(architecture),
        params.weights,
        params.biases,
        strict=True,
    ):
        posterior[w_name], dims[w_name] = np.asarray(W), list(w_dims)
        posterior[b_name], dims[b_name] = np.asarray(b), list(b_dims)
    posterior["sigma"] = samples["sigma"]
    for name, value in samples.items():
        if name not in ("coef", "hidden_bias", "b_out", "sigma"):
            posterior[name] = value  # a hierarchical prior's latent variables
            if value.ndim == 3 and value.shape[-1] == architecture.n_weights:
                dims[name] = ["weight"]
    coords = {"feature": list(feature_names)}
    for i, h in enumerate(architecture.hidden_layer_sizes):
        coords[f"hidden_{i + 1}"] = np.arange(h)
    num_steps = extra["num_steps"].astype(np.int64)
    tree_depth = np.log2(np.maximum(num_steps, 1)).astype(np.int64) + 1
    sample_stats = {
        "acceptance_rate": extra["accept_prob"],
        "diverging": extra["diverging"].astype(bool),
        "energy": extra["energy"],
        "n_steps": num_steps,
        "tree_depth": tree_depth,
        "reached_max_tree_depth": tree_depth >= max_tree_depth,
    }
    return az.from_dict(
        {"posterior": posterior, "sample_stats": sample_stats, "observed_data": {"y": y}},
        coords={**coords, "obs_id": np.arange(len(y))},
        dims={**dims, "y": ["obs_id"]},
    )


def posterior_parameters(tree: xr.DataTree, architecture: Architecture) -> Parameters:
    """The draws of the network's parameters, each with leading ``(chain, draw)``."""
    post = tree["posterior"]
    names = _variable_names(architecture)
    return Parameters(
        tuple(post[w].values for w, _ in names), tuple(post[b].values for _, b in names)
    )


def predictive_draws(tree: xr.DataTree, architecture: Architecture, X) -> np.ndarray:
    """``f(x_i; theta)`` for every draw: shape ``(chain, draw, n)``."""
    params = jax.tree_util.tree_map(jnp.asarray, posterior_parameters(tree, architecture))
    return np.asarray(_forward_draws(architecture, params, jnp.asarray(X, dtype=float)))


@partial(jax.jit, static_argnums=0)
def _forward_draws(architecture: Architecture, params: Parameters, X) -> jax.Array:
    """The forward pass over the (chain, draw) dimensions, compiled once per shape."""
    over_draws = jax.vmap(architecture.forward, in_axes=(0, None))
    return jax.vmap(over_draws, in_axes=(0, None))(params, X)


def canonical_posterior(tree: xr.DataTree, architecture: Architecture) -> xr.DataTree:
    """The posterior with every draw's units in canonical sign and order.

    See :func:`bayesreg.nn.architecture.canonical_parameters`.  Every draw computes the
    same function as before; draws that differ only by relabelling hidden units become
    equal, so R-hat and per-weight summaries compare like with like.
    """
    canonical = canonical_parameters(architecture, posterior_parameters(tree, architecture))
    out = tree.copy()
    post = out["posterior"].to_dataset()
    for (w_name, b_name), W, b in zip(
        _variable_names(architecture), canonical.weights, canonical.biases, strict=True
    ):
        post[w_name] = post[w_name].copy(data=W)
        post[b_name] = post[b_name].copy(data=b)
    post.attrs["canonical"] = "units sorted by hyperplane offset" + (
        ", signs fixed so that each unit's largest incoming weight or bias is >= 0"
        if architecture.activation in ("tanh", "identity")
        else ""
    )
    out["posterior"] = xr.DataTree(post)
    return out


def _add_log_likelihood(tree, architecture, X, y, sample_weight) -> None:
    mean = predictive_draws(tree, architecture, X)
    sigma = tree["posterior"]["sigma"].values[..., None] / np.sqrt(sample_weight)
    values = -0.5 * ((y - mean) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)
    post = tree["posterior"]
    group = xr.Dataset(
        {"y": (("chain", "draw", "obs_id"), values)},
        coords={"chain": post["chain"], "draw": post["draw"], "obs_id": np.arange(len(y))},
    )
    tree["log_likelihood"] = xr.DataTree(group)
