"""The same posterior, written by hand for every sampler compared with bayesreg.

The noise-scaled lasso posterior of ``bayesreg.Lasso(alpha).sample_posterior`` (see
``bayesreg/estimators.py`` and ``bayesreg/priors``):

``y_i ~ N(b + x_i' w, sigma^2)``, ``p(w | sigma) = prod_j Laplace(w_j | 0, sigma^2 / (n alpha))``,
``p(b) propto 1`` and Jeffreys' ``p(sigma) propto 1 / sigma``,

so ``-log p(w, b, sigma | y) = J(w, b) n / sigma^2 + (n + p + 1) log sigma + const``
with ``J`` scikit-learn's lasso objective.  Ridge's replaces the Laplace prior by
``w_j ~ N(0, sigma^2 / alpha)``.  posteriordb's diamonds is its Stan program
(``tests/data/posteriordb/stan/diamonds.stan``), as ``tests/_posteriordb.py`` writes it.

Every sampler returns a :class:`Draws`: the draws of ``intercept``, ``coef`` and
``sigma`` as ``(chain, draw, ...)`` arrays, the divergences, and how many transitions
stopped at the largest tree depth (None where the sampler does not say).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

#: Samplers and the Python packages each one needs.
REQUIREMENTS = {
    "bayesreg": ("bayesreg",),
    "numpyro": ("numpyro",),
    "blackjax": ("blackjax",),
    "nutpie": ("nutpie", "pymc"),
    "pymc": ("pymc",),
}
#: numpyro's and blackjax's default largest tree depth (2^10 - 1 leapfrog steps).
MAX_STEPS = 2**10 - 1


def missing_packages(sampler: str) -> list[str]:
    """The packages ``sampler`` needs that are not installed."""
    return [m for m in REQUIREMENTS[sampler] if importlib.util.find_spec(m) is None]


@dataclasses.dataclass
class Case:
    """A posterior to sample: data and which model (``lasso``, ``ridge``, ``diamonds``)."""

    name: str
    model: str
    X: np.ndarray
    y: np.ndarray
    alpha: float | None = None


@dataclasses.dataclass
class Draws:
    draws: dict[str, np.ndarray]
    divergences: int
    max_depth_hits: int | None


def diamonds_data(n_rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """posteriordb's diamonds as tests/_posteriordb.py builds it (centred design)."""
    case = _posteriordb().load_case("diamonds-diamonds")
    X, y = np.asarray(case.X, dtype=float), np.asarray(case.y, dtype=float)
    return (X, y) if n_rows is None else (X[:n_rows], y[:n_rows])


def _posteriordb():
    tests = str(ROOT / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    import _posteriordb

    return _posteriordb


# -- bayesreg ------------------------------------------------------------------------------
def sample_bayesreg(case: Case, seed: int, settings: dict) -> Draws:
    """Through bayesreg's public API, as a user calls it."""
    import bayesreg

    if case.model == "lasso":
        tree = bayesreg.Lasso(alpha=case.alpha).sample_posterior(
            case.X, case.y, random_state=seed, **settings
        )
    elif case.model == "ridge":
        tree = bayesreg.Ridge(alpha=case.alpha).sample_posterior(
            case.X, case.y, random_state=seed, **settings
        )
    else:
        from sklearn.base import clone

        model = clone(_posteriordb().load_case("diamonds-diamonds").model)
        tree = model.sample_posterior(case.X, case.y, random_state=seed, **settings)
    posterior, stats = tree["posterior"], tree["sample_stats"]
    draws = {name: np.asarray(posterior[name].values) for name in ("intercept", "coef", "sigma")}
    divergences = int(stats["diverging"].values.sum()) if "diverging" in stats else 0
    if "reached_max_tree_depth" in stats:
        hits = int(stats["reached_max_tree_depth"].values.sum())
    elif "n_steps" in stats:
        hits = int((stats["n_steps"].values >= MAX_STEPS).sum())
    else:
        hits = None  # exact (iid) draws have no trajectories
    return Draws(draws, divergences, hits)


# -- plain numpyro -------------------------------------------------------------------------
def numpyro_model(model: str):
    """The numpyro model a user writes for ``model``: ``X @ w`` likelihood, defaults."""
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist
    from numpyro.distributions import constraints

    if model == "diamonds":

        def diamonds(X, y):
            b = numpyro.sample("coef", dist.Normal(0.0, 1.0).expand([X.shape[1]]).to_event(1))
            intercept = numpyro.sample("intercept", dist.StudentT(3.0, 8.0, 10.0))
            sigma = numpyro.sample("sigma", dist.FoldedDistribution(dist.StudentT(3.0, 0.0, 10.0)))
            numpyro.sample("y", dist.Normal(intercept + X @ b, sigma), obs=y)

        return diamonds

    def penalized(X, y, alpha):
        n, p = X.shape
        intercept = numpyro.sample("intercept", dist.ImproperUniform(constraints.real, (), ()))
        sigma = numpyro.sample("sigma", dist.ImproperUniform(constraints.positive, (), ()))
        numpyro.factor("jeffreys", -jnp.log(sigma))
        if model == "lasso":
            prior = dist.Laplace(0.0, sigma**2 / (n * alpha))
        else:
            prior = dist.Normal(0.0, sigma / jnp.sqrt(alpha))
        coef = numpyro.sample("coef", prior.expand([p]).to_event(1))
        numpyro.sample("y", dist.Normal(intercept + X @ coef, sigma), obs=y)

    return penalized


def sample_numpyro(case: Case, seed: int, settings: dict, chain_method: str) -> Draws:
    import jax
    from numpyro.infer import MCMC, NUTS

    mcmc = MCMC(
        NUTS(numpyro_model(case.model)),
        chain_method=chain_method,
        progress_bar=False,
        **settings,
    )
    args = (case.X, case.y) if case.model == "diamonds" else (case.X, case.y, case.alpha)
    mcmc.run(jax.random.key(seed), *args, extra_fields=("diverging", "num_steps"))
    samples = mcmc.get_samples(group_by_chain=True)
    extra = mcmc.get_extra_fields(group_by_chain=True)
    draws = {name: np.asarray(samples[name]) for name in ("intercept", "coef", "sigma")}
    return Draws(
        draws,
        int(np.asarray(extra["diverging"]).sum()),
        int((np.asarray(extra["num_steps"]) >= MAX_STEPS).sum()),
    )


# -- blackjax ------------------------------------------------------------------------------
def lasso_logdensity(X, y, alpha: float):
    """``log p(b, w, log sigma | y) + const`` of the noise-scaled lasso posterior.

    With ``s = log sigma``: Jeffreys' ``1 / sigma`` and the Jacobian ``sigma`` of
    ``sigma = exp(s)`` cancel, leaving a flat density in ``s``.
    """
    import jax.numpy as jnp

    n, p = X.shape

    def logdensity(q):
        s = q["log_sigma"]
        sigma2 = jnp.exp(2.0 * s)
        r = y - q["intercept"] - X @ q["coef"]
        scale = sigma2 / (n * alpha)
        log_prior = -p * jnp.log(2.0 * scale) - jnp.sum(jnp.abs(q["coef"])) / scale
        return -n * s - 0.5 * (r @ r) / sigma2 + log_prior

    return logdensity


def sample_blackjax(case: Case, seed: int, settings: dict) -> Draws:
    """window_adaptation + NUTS as blackjax's docs show, chains vmapped and jitted."""
    import blackjax
    import jax
    import jax.numpy as jnp

    if case.model != "lasso":
        raise ValueError("the blackjax comparison is written for the lasso posterior only")
    X, y = jnp.asarray(case.X), jnp.asarray(case.y)
    logdensity = lasso_logdensity(X, y, case.alpha)
    num_chains, num_warmup = settings["num_chains"], settings["num_warmup"]
    num_samples = settings["num_samples"]
    key = jax.random.key(seed)
    init_key, warmup_key, sample_key = jax.random.split(key, 3)
    p = X.shape[1]
    # numpyro's default start: uniform(-2, 2) in the unconstrained space.
    u = jax.random.uniform(init_key, (num_chains, p + 2), minval=-2.0, maxval=2.0)
    initial = {"intercept": u[:, 0], "coef": u[:, 1 : p + 1], "log_sigma": u[:, p + 1]}

    warmup = blackjax.window_adaptation(blackjax.nuts, logdensity)

    @jax.jit
    def run_chains(initial, warmup_keys, sample_keys):
        def one_chain(position, warmup_key, sample_key):
            (state, parameters), _ = warmup.run(warmup_key, position, num_steps=num_warmup)
            kernel = blackjax.nuts(logdensity, **parameters).step

            def step(state, key):
                state, info = kernel(key, state)
                return state, (state.position, info.is_divergent, info.num_integration_steps)

            keys = jax.random.split(sample_key, num_samples)
            _, trace = jax.lax.scan(step, state, keys)
            return trace

        return jax.vmap(one_chain)(initial, warmup_keys, sample_keys)

    positions, divergent, steps = run_chains(
        initial,
        jax.random.split(warmup_key, num_chains),
        jax.random.split(sample_key, num_chains),
    )
    draws = {
        "intercept": np.asarray(positions["intercept"]),
        "coef": np.asarray(positions["coef"]),
        "sigma": np.exp(np.asarray(positions["log_sigma"])),
    }
    return Draws(
        draws, int(np.asarray(divergent).sum()), int((np.asarray(steps) >= MAX_STEPS).sum())
    )


# -- PyMC and nutpie -----------------------------------------------------------------------
def pymc_lasso(case: Case):
    """The noise-scaled lasso posterior as a PyMC model."""
    import pymc as pm
    import pytensor.tensor as pt

    n, p = case.X.shape
    with pm.Model() as model:
        intercept = pm.Flat("intercept")
        sigma = pm.HalfFlat("sigma")
        pm.Potential("jeffreys", -pt.log(sigma))
        coef = pm.Laplace("coef", mu=0.0, b=sigma**2 / (n * case.alpha), shape=p)
        pm.Normal("y", mu=intercept + pt.dot(case.X, coef), sigma=sigma, observed=case.y)
    return model


def _from_trace(trace) -> Draws:
    """Draws from a PyMC or nutpie trace (their names for the tree-depth flag differ)."""
    posterior, stats = trace["posterior"], trace["sample_stats"]
    draws = {name: np.asarray(posterior[name].values) for name in ("intercept", "coef", "sigma")}
    divergences = int(np.asarray(stats["diverging"].values).sum())
    names = [n for n in ("maxdepth_reached", "reached_max_treedepth") if n in stats.data_vars]
    hits = int(np.asarray(stats[names[0]].values).sum()) if names else None
    return Draws(draws, divergences, hits)


def make_nutpie(case: Case):
    """A sampler function for the compiled PyMC model (compiled once per process)."""
    import nutpie

    compiled = nutpie.compile_pymc_model(pymc_lasso(case))

    def sample(seed: int, settings: dict) -> Draws:
        trace = nutpie.sample(
            compiled,
            draws=settings["num_samples"],
            tune=settings["num_warmup"],
            chains=settings["num_chains"],
            seed=seed,
            progress_bar=False,
        )
        return _from_trace(trace)

    return sample


def make_pymc(case: Case):
    """PyMC's own NUTS: ``pm.sample`` with ``nuts_sampler="pymc"`` (PyMC 6 otherwise
    hands the model to nutpie when it is installed), default settings and cores."""
    import pymc as pm

    model = pymc_lasso(case)

    def sample(seed: int, settings: dict) -> Draws:
        with model:
            trace = pm.sample(
                draws=settings["num_samples"],
                tune=settings["num_warmup"],
                chains=settings["num_chains"],
                random_seed=seed,
                progressbar=False,
                compute_convergence_checks=False,
                nuts_sampler="pymc",
            )
        return _from_trace(trace)

    return sample
