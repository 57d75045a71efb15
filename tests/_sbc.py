"""Simulation-based calibration (SBC) of bayesreg's NUTS posteriors (test support).

SBC (Talts et al., 2018) checks a sampler against the model it claims to sample, with
no reference posterior: draw the parameters from the prior, the data from the
likelihood, sample the posterior given those data, and rank the true value among the
draws.  If the draws come from the exact posterior, every rank is uniform.

Notes
-----
**The identity.**  Let ``theta~ ~ p(theta)`` and ``y~ ~ p(y | theta~)``, and let
``theta_1, ..., theta_L`` be independent draws from ``p(theta | y~)``.  Then
``theta~`` is itself a draw from ``p(theta | y~)`` (the joint ``p(theta~, y~)`` factors
as ``p(y~) p(theta~ | y~)``), so ``theta~, theta_1, ..., theta_L`` are exchangeable
given ``y~``, and for any scalar test quantity ``f(theta, y)`` the rank

``r = #{l : f(theta_l, y~) < f(theta~, y~)}``

is uniform on ``{0, 1, ..., L}`` (Talts et al., 2018, theorem 1).  A sampler that is
too narrow piles the ranks at both ends (a U), too wide in the middle (a bump), biased
at one end; a sampler whose draws are autocorrelated also piles them at the ends.

**One replication** of a case:

1. the design ``X`` (``n x p``, entries iid ``N(0, 1)``; ``n = 20``, ``p = 4`` for the
   linear cases, ``n = 50`` for the logistic ones) is drawn afresh for each
   replication (uniformity holds given ``X``, hence also over ``X``);
2. the parameters from the prior, *by hand* rather than through the model, so that the
   model's centring and change of variables are checked too:
   ``sigma ~ HalfNormal(1)``, ``b ~ N(0, 2^2)``, and ``w`` (with a hierarchical
   prior's latent variables) from the prior's own ``sample_coef(p, sigma)`` (noise-
   scaled form, or a prior that conditions on ``sigma``) or ``sample_coef(p)``
   (the prior as written), run under ``numpyro.handlers.seed`` and ``trace``;
3. the data: ``y_i ~ N(b + x_i' w, sigma^2)`` (linear cases) or
   ``y_i ~ Bernoulli(sigmoid(x_i' w))`` (logistic cases, no intercept: the intercept
   of :func:`bayesreg.glm.logistic_model` is flat, and SBC needs a proper prior on
   every parameter);
4. the posterior: one NUTS chain on the package's numpyro model
   (:func:`bayesreg.model.make_linear_model` with the proper priors of step 2, the
   model that ``LinearRegression(prior)`` (``noise_scaled=False``) and
   ``Ridge/Lasso/ElasticNet`` (``noise_scaled=True``) sample, with a proper intercept
   prior in place of their flat one; :func:`bayesreg.glm.logistic_model` with
   ``fit_intercept=False``) with the package's sampler settings: a dense mass matrix
   for ``p <= DENSE_MASS_MAX_FEATURES``, the target acceptance of the case (0.8, the
   package default; 0.99 for the horseshoe, the top of the 0.95-0.99 range the docs
   recommend for its funnel), 500 warm-up iterations.  Linear chains start as the
   package starts a prior without a MAP (:func:`_least_squares_start`: a jittered
   ridge fit, its residual scale as ``sigma``, a hierarchical prior's latent
   variables at numpyro's default); logistic chains start at numpyro's default
   (``init_to_uniform``: uniform on ``(-2, 2)`` unconstrained), not near the MAP as
   the package does.  The start depends on the data only, never on the truth;
5. ``thin * L`` draws after warm-up (``thin = 10``), thinned to every ``thin``-th,
   ``L = 99`` draws, so that the ranks take ``L + 1 = 100`` values.

The replications run one after another (``jax.lax.map``) inside one ``jax.jit``:
numpyro's ``MCMC.run`` with ``progress_bar=False`` is a pure JAX program, so a case
compiles once.  (``jax.vmap`` over the replications is slower on a CPU: a batch builds
every NUTS tree as long as its slowest chain's.)

**Test quantities.**  Every scalar parameter (each ``w_j``, ``b``, ``sigma``, and a
hierarchical prior's global scale: the horseshoe's ``tau``, the Bayesian lasso's
``lambda^2``) and the joint log likelihood ``log p(y~ | theta)``, which Talts et al.
recommend because it depends on all parameters at once.

**Uniformity**, per test quantity, over ``R`` replications, with ``scipy.stats``:

* Pearson's chi-square over ``B`` equal bins of the integer rank (``B`` the largest
  divisor of ``L + 1`` with ``R / B >= 20`` expected counts per bin), ``B - 1``
  degrees of freedom;
* Kolmogorov-Smirnov of the fractional ranks ``u = (r + V) / (L + 1)``,
  ``V ~ U(0, 1)``: ``u`` is exactly ``U(0, 1)`` when ``r`` is uniform on
  ``{0, ..., L}``.  Ties ``f(theta_l) = f(theta~)`` (probability 0 for continuous
  quantities) are broken at random.

With ``k`` test quantities a case has ``m = 2k`` p-values; it fails when any is below
``0.001 / m`` (Bonferroni), so a correct sampler fails a case with probability at most
0.001.  The seeds are fixed, so a test gives the same answer on every run.

**Diagnostics** per replication, from the full (unthinned) chain of each test quantity
with arviz: the bulk effective sample size ``ESS`` (``ESS >= L`` means the ``L``
thinned draws are about independent) and the rank-normalised split R-hat of the one
chain's two halves; a replication is *poorly mixed* when some ``ESS < L`` or some
R-hat ``> 1.05``.  Also the divergent transitions after warm-up and the tree sizes
(leapfrog steps per transition).

References
----------
.. [1] S. Talts, M. Betancourt, D. Simpson, A. Vehtari and A. Gelman, "Validating
   Bayesian inference algorithms with simulation-based calibration", arXiv:1804.06788,
   2018.
.. [2] A. Vehtari, A. Gelman, D. Simpson, B. Carpenter and P.-C. Buerkner,
   "Rank-normalization, folding, and localization: an improved R-hat for assessing
   convergence of MCMC", Bayesian Analysis 16(2), 2021.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
from numpyro import handlers
from numpyro.infer import MCMC, NUTS, init_to_uniform, init_to_value
from scipy import stats

import bayesreg  # noqa: F401 - switches JAX to float64 before anything is traced
from bayesreg.glm import logistic_model
from bayesreg.inference import DENSE_MASS_MAX_FEATURES
from bayesreg.model import make_linear_model
from bayesreg.priors import Prior

__all__ = [
    "FAMILY_WISE_LEVEL",
    "MAX_RHAT",
    "N_RANKED",
    "LinearCase",
    "LogisticCase",
    "SBCResult",
    "n_bins",
    "ranks",
    "run_sbc",
    "uniformity_pvalues",
]

#: Probability that a correct sampler fails a case (Bonferroni over its p-values).
FAMILY_WISE_LEVEL = 1e-3
#: Posterior draws each true value is ranked among; the ranks take L + 1 values.
N_RANKED = 99
#: Smallest expected count per chi-square bin.
MIN_EXPECTED_PER_BIN = 20
#: Split R-hat above which one chain's two halves disagree beyond sampling noise.
MAX_RHAT = 1.05
#: Latent global scales reported as test quantities when a prior has them.
GLOBAL_SCALES = ("tau", "lambda_sq")


# -- the cases ---------------------------------------------------------------------------
def _prior_draw(prior: Prior, key, n_features: int, sigma) -> dict[str, jax.Array]:
    """The prior's own sample sites (``coef`` and latent variables), seeded by ``key``."""
    trace = handlers.trace(handlers.seed(prior.sample_coef, key)).get_trace(n_features, sigma)
    return {name: site["value"] for name, site in trace.items() if site["type"] != "plate"}


def _nuts(model, key, args, *, n_features, target_accept_prob, num_warmup, num_samples, init=None):
    """One NUTS chain with the package's settings; its draws and extra fields.

    ``init`` holds constrained starting values of some sites; the others (all of them
    when it is None) start at numpyro's default, uniform on ``(-2, 2)`` unconstrained.
    """
    kernel = NUTS(
        model,
        dense_mass=n_features <= DENSE_MASS_MAX_FEATURES,
        target_accept_prob=target_accept_prob,
        init_strategy=init_to_uniform if init is None else init_to_value(values=init),
    )
    mcmc = MCMC(
        kernel,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=1,
        progress_bar=False,
    )
    mcmc.run(key, *args, extra_fields=("diverging", "num_steps"))
    return mcmc.get_samples(), mcmc.get_extra_fields()


def _least_squares_start(key, X, y) -> dict[str, jax.Array]:
    """The package's chain start for a prior without a MAP, in JAX.

    As :func:`bayesreg.linear_regression._ridge_start` and
    :func:`bayesreg.inference._initial_values`: the ridge fit ``w0`` with
    ``alpha = 1e-3 mean_j ||x~_j||^2`` on the centred data, ``s0`` its residual
    standard deviation (``n - 1`` degrees of freedom), and the starts
    ``w0 + 0.5 (s0 / ||x~_j||) z``, ``ybar + 0.5 (s0 / sqrt(n)) z`` and
    ``s0 exp(0.2 z)`` with ``z ~ N(0, 1)``.  (The package starts priors with a MAP at
    the MAP, which is near ``w0`` at these sample sizes.)
    """
    n, p = X.shape
    X_c, y_c = X - X.mean(axis=0), y - y.mean()
    col_norm = jnp.sqrt(jnp.sum(X_c * X_c, axis=0))
    alpha = 1e-3 * jnp.mean(col_norm**2)
    coef = jnp.linalg.solve(X_c.T @ X_c + alpha * jnp.eye(p), X_c.T @ y_c)
    residual = y_c - X_c @ coef
    sigma = jnp.maximum(jnp.sqrt(residual @ residual / (n - 1)), 1e-8 * (1.0 + jnp.std(y)))
    key_coef, key_intercept, key_sigma = jax.random.split(key, 3)
    return {
        "coef": coef + 0.5 * sigma / col_norm * jax.random.normal(key_coef, (p,)),
        "intercept_centered": y.mean()
        + 0.5 * sigma / jnp.sqrt(n) * jax.random.normal(key_intercept),
        "sigma": sigma * jnp.exp(0.2 * jax.random.normal(key_sigma)),
    }


@dataclasses.dataclass(frozen=True)
class LinearCase:
    """Gaussian linear regression ``y_i ~ N(b + x_i' w, sigma^2)`` with proper priors.

    Parameters
    ----------
    name : str
    prior : Prior
        The prior the data are drawn from.
    noise_scaled : bool
        True: ``w ~ p(w | sigma)`` (``prior.sample_coef(p, sigma)``), the model of
        ``Ridge/Lasso/ElasticNet.sample_posterior``; False: the prior as written, the
        model of ``LinearRegression(prior).sample_posterior`` (a prior that
        ``conditions_on_noise`` is given ``sigma`` either way).
    sampled_prior : Prior or None
        The prior the sampler is given; None is ``prior``.  Another prior makes a
        deliberately wrong posterior (a negative control).
    target_accept_prob : float
    thin : int
        Keep every ``thin``-th of ``thin * L`` draws.
    num_warmup : int
    n_samples, n_features : int
    """

    name: str
    prior: Prior
    noise_scaled: bool
    sampled_prior: Prior | None = None
    target_accept_prob: float = 0.8
    thin: int = 10
    num_warmup: int = 500
    n_samples: int = 20
    n_features: int = 4
    noise_prior: dist.Distribution = dataclasses.field(default_factory=lambda: dist.HalfNormal(1.0))
    intercept_prior: dist.Distribution = dataclasses.field(
        default_factory=lambda: dist.Normal(0.0, 2.0)
    )

    @property
    def given_noise(self) -> bool:
        return self.noise_scaled or self.prior.conditions_on_noise

    def simulate(self, key):
        """``(X, y, truth)``: a design, parameters from the prior and data from the model."""
        key_x, key_sigma, key_b, key_w, key_y = jax.random.split(key, 5)
        X = jax.random.normal(key_x, (self.n_samples, self.n_features))
        sigma = self.noise_prior.sample(key_sigma)
        intercept = self.intercept_prior.sample(key_b)
        truth = _prior_draw(self.prior, key_w, self.n_features, sigma if self.given_noise else None)
        mean = intercept + X @ truth["coef"]
        y = mean + sigma * jax.random.normal(key_y, (self.n_samples,))
        return X, y, {**truth, "intercept": intercept, "sigma": sigma}

    def sample(self, key, X, y):
        """Posterior draws given ``(X, y)`` by NUTS on :func:`make_linear_model`."""
        model = make_linear_model(
            fit_intercept=True,
            noise_scaled=self.noise_scaled,
            noise_prior=self.noise_prior,
            intercept_prior=self.intercept_prior,
        )
        x_offset = X.mean(axis=0)
        prior = self.prior if self.sampled_prior is None else self.sampled_prior
        args = (X - x_offset, y, jnp.ones(self.n_samples), x_offset, prior)
        key_init, key_nuts = jax.random.split(key)
        return _nuts(
            model,
            key_nuts,
            args,
            n_features=self.n_features,
            target_accept_prob=self.target_accept_prob,
            num_warmup=self.num_warmup,
            num_samples=self.thin * N_RANKED,
            init=_least_squares_start(key_init, X, y),
        )

    def statistic_names(self, truth_sites) -> list[str]:
        names = [f"coef[{j}]" for j in range(self.n_features)] + ["intercept", "sigma"]
        return names + [s for s in GLOBAL_SCALES if s in truth_sites] + ["log_likelihood"]

    def statistics(self, params, X, y) -> jax.Array:
        """The test quantities of one parameter value, in the order of the names."""
        mean = params["intercept"] + X @ params["coef"]
        log_lik = jnp.sum(jax.scipy.stats.norm.logpdf(y, mean, params["sigma"]))
        scales = [params[s] for s in GLOBAL_SCALES if s in params]
        return jnp.concatenate(
            [params["coef"], jnp.stack([params["intercept"], params["sigma"], *scales, log_lik])]
        )


@dataclasses.dataclass(frozen=True)
class LogisticCase:
    """Logistic regression ``y_i ~ Bernoulli(sigmoid(x_i' w))``, no intercept.

    :func:`bayesreg.glm.logistic_model`'s intercept is flat (improper), and SBC needs a
    proper prior on every parameter, so the cases use ``fit_intercept=False``.

    Parameters are as for :class:`LinearCase` (without noise).
    """

    name: str
    prior: Prior
    sampled_prior: Prior | None = None
    target_accept_prob: float = 0.8
    thin: int = 10
    num_warmup: int = 500
    n_samples: int = 50
    n_features: int = 4

    def simulate(self, key):
        """``(X, y, truth)``: a design, weights from the prior and labels from the model."""
        key_x, key_w, key_y = jax.random.split(key, 3)
        X = jax.random.normal(key_x, (self.n_samples, self.n_features))
        truth = _prior_draw(self.prior, key_w, self.n_features, None)
        y = jax.random.bernoulli(key_y, jax.nn.sigmoid(X @ truth["coef"])).astype(float)
        return X, y, truth

    def sample(self, key, X, y):
        """Posterior draws given ``(X, y)`` by NUTS on :func:`logistic_model`."""
        prior = self.prior if self.sampled_prior is None else self.sampled_prior

        def model(X, y, weight, prior):
            logistic_model(X, y, weight, prior, n_classes=2, fit_intercept=False)

        return _nuts(
            model,
            key,
            (X, y, jnp.ones(self.n_samples), prior),
            n_features=self.n_features,
            target_accept_prob=self.target_accept_prob,
            num_warmup=self.num_warmup,
            num_samples=self.thin * N_RANKED,
        )

    def statistic_names(self, truth_sites) -> list[str]:
        return [f"coef[{j}]" for j in range(self.n_features)] + ["log_likelihood"]

    def statistics(self, params, X, y) -> jax.Array:
        eta = X @ params["coef"]
        # log p(y | eta) = y eta - log(1 + e^eta)
        log_lik = jnp.sum(y * eta - jnp.logaddexp(0.0, eta))
        return jnp.concatenate([params["coef"], log_lik[None]])


# -- ranks and their uniformity -----------------------------------------------------------
def ranks(truth, draws, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Integer and fractional ranks of the true values among the draws.

    Parameters
    ----------
    truth : ndarray of shape (R, k)
    draws : ndarray of shape (R, L, k)
    rng : numpy Generator
        Breaks ties and spreads the fractional ranks.

    Returns
    -------
    rank : ndarray of int, shape (R, k)
        ``#{l : draw_l < truth} + U{0, ..., #{l : draw_l = truth}}``, in ``{0, ..., L}``.
    fraction : ndarray of shape (R, k)
        ``(rank + V) / (L + 1)`` with ``V ~ U(0, 1)``: exactly ``U(0, 1)`` if the rank is
        uniform on ``{0, ..., L}``.
    """
    truth = np.asarray(truth)[:, None, :]
    draws = np.asarray(draws)
    below = np.sum(draws < truth, axis=1)
    tied = np.sum(draws == truth, axis=1)
    rank = below + rng.integers(0, tied + 1)
    fraction = (rank + rng.uniform(size=rank.shape)) / (draws.shape[1] + 1)
    return rank, fraction


def n_bins(n_replications: int, n_ranked: int = N_RANKED) -> int:
    """The most equal rank bins with at least 20 expected counts each.

    Bins are equally likely only when their number divides the ``L + 1`` rank values.
    """
    divisors = [b for b in range(1, n_ranked + 2) if (n_ranked + 1) % b == 0]
    return max(b for b in divisors if n_replications / b >= MIN_EXPECTED_PER_BIN)


def uniformity_pvalues(rank, fraction, n_ranked: int = N_RANKED):
    """Chi-square (equal rank bins) and KS (fractional ranks) p-values per column.

    Parameters
    ----------
    rank, fraction : ndarray of shape (R, k)
        As returned by :func:`ranks`.

    Returns
    -------
    chi2_p, ks_p : ndarray of shape (k,)
    """
    n_rep, k = rank.shape
    bins = n_bins(n_rep, n_ranked)
    per_bin = (n_ranked + 1) // bins
    counts = np.stack([np.bincount(rank[:, j] // per_bin, minlength=bins) for j in range(k)])
    chi2_p = stats.chisquare(counts, axis=1).pvalue
    ks_p = np.array([stats.kstest(fraction[:, j], "uniform").pvalue for j in range(k)])
    return chi2_p, ks_p


# -- a run ---------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class SBCResult:
    """The ranks of one case and what they say.

    Attributes
    ----------
    case : str
    names : list of str
        The ``k`` test quantities.
    truth : ndarray of shape (R, k)
        Their true values.
    rank, fraction : ndarray of shape (R, k)
    chi2_p, ks_p : ndarray of shape (k,)
    n_bins : int
    divergences : ndarray of int, shape (R,)
        Divergent transitions after warm-up, per replication.
    num_steps : ndarray of int, shape (R, thin * L)
        Leapfrog steps of every NUTS transition after warm-up (the tree sizes).
    ess_bulk, rhat : ndarray of shape (R, k)
        Bulk ESS of the ``thin * L`` draws and split R-hat of one chain's two halves.
    seconds : float
        Wall time of the run, compilation included (reported, never asserted).
    """

    case: str
    names: list[str]
    truth: np.ndarray
    rank: np.ndarray
    fraction: np.ndarray
    chi2_p: np.ndarray
    ks_p: np.ndarray
    n_bins: int
    divergences: np.ndarray
    num_steps: np.ndarray
    ess_bulk: np.ndarray
    rhat: np.ndarray
    seconds: float

    @property
    def n_replications(self) -> int:
        return self.rank.shape[0]

    @property
    def threshold(self) -> float:
        """``0.001 / m``, Bonferroni over the ``m = 2k`` p-values of the case."""
        return FAMILY_WISE_LEVEL / (self.chi2_p.size + self.ks_p.size)

    @property
    def min_pvalue(self) -> float:
        return float(min(self.chi2_p.min(), self.ks_p.min()))

    @property
    def poorly_mixed(self) -> np.ndarray:
        """Replications whose chain has a bulk ESS below L or a split R-hat above 1.05.

        Their ``L`` thinned draws are autocorrelated (or the chain has not settled), so
        their ranks lean to the ends; a few of them hardly move the uniformity tests.
        """
        return (self.ess_bulk.min(axis=1) < N_RANKED) | (self.rhat.max(axis=1) > MAX_RHAT)

    @property
    def uniform(self) -> bool:
        """No p-value below the threshold: the ranks are consistent with uniform."""
        return self.min_pvalue >= self.threshold

    def table(self) -> str:
        """One line per test quantity: its p-values, ESS and R-hat."""
        rows = [
            f"{name:>15s}  chi2 p={c:.2e}  KS p={s:.2e}  min ESS={e.min():6.0f}  "
            f"median ESS={np.median(e):6.0f}  max R-hat={r.max():.3f}"
            for name, c, s, e, r in zip(
                self.names, self.chi2_p, self.ks_p, self.ess_bulk.T, self.rhat.T, strict=True
            )
        ]
        return "\n".join(rows)

    def summary(self) -> str:
        poor = self.poorly_mixed
        where = ""
        if poor.any() and "sigma" in self.names:
            sigma = self.truth[poor, self.names.index("sigma")]
            where = f", their true sigma {sigma.min():.2g} to {sigma.max():.2g}"
        return (
            f"SBC {self.case}: {self.n_replications} reps, {len(self.names)} statistics "
            f"({self.chi2_p.size + self.ks_p.size} p-values, {self.n_bins} bins), "
            f"min chi2 p = {self.chi2_p.min():.2g}, min KS p = {self.ks_p.min():.2g}, "
            f"threshold {self.threshold:.1e}, divergences {self.divergences.sum()} "
            f"(in {np.count_nonzero(self.divergences)} reps), "
            f"leapfrog steps per draw mean {self.num_steps.mean():.0f} "
            f"max {self.num_steps.max()}, "
            f"{np.count_nonzero(self.poorly_mixed)} reps poorly mixed (bulk ESS < "
            f"{N_RANKED} or split R-hat > {MAX_RHAT}; min ESS {self.ess_bulk.min():.0f}, "
            f"max R-hat {self.rhat.max():.3f}{where}), {self.seconds:.0f} s"
        )


def _replications(case) -> Callable:
    """``keys -> (true and drawn statistics, divergences, tree sizes, true sites)``."""

    def one(key):
        key_data, key_nuts = jax.random.split(key)
        X, y, truth = case.simulate(key_data)
        draws, extra = case.sample(key_nuts, X, y)
        true_stats = case.statistics(truth, X, y)
        drawn_stats = jax.vmap(lambda params: case.statistics(params, X, y))(draws)
        return true_stats, drawn_stats, jnp.sum(extra["diverging"]), extra["num_steps"], truth

    # One after another inside one compiled program.  Vectorising (vmap) is slower on a
    # CPU: a batch runs every NUTS tree as long as its slowest chain's.
    return jax.jit(lambda keys: jax.lax.map(one, keys))


def run_sbc(case, n_replications: int, seed: int) -> SBCResult:
    """SBC of ``case`` over ``n_replications`` replications (see the module notes)."""
    start = time.perf_counter()
    keys = jax.random.split(jax.random.key(seed), n_replications)
    true_stats, drawn_stats, diverging, num_steps, truth = _replications(case)(keys)
    true_stats, drawn_stats = np.asarray(true_stats), np.asarray(drawn_stats)
    thinned = drawn_stats[:, case.thin - 1 :: case.thin]
    rank, fraction = ranks(true_stats, thinned, np.random.default_rng(seed))
    chi2_p, ks_p = uniformity_pvalues(rank, fraction)
    # arviz wants (chain, draw, ...): one chain per replication, or its two halves.
    chains = np.moveaxis(drawn_stats, 0, 1)[None]
    half = chains.shape[1] // 2
    halves = np.concatenate([chains[:, :half], chains[:, half : 2 * half]])
    return SBCResult(
        case=case.name,
        names=case.statistic_names(truth),
        truth=true_stats,
        rank=rank,
        fraction=fraction,
        chi2_p=chi2_p,
        ks_p=ks_p,
        n_bins=n_bins(n_replications),
        divergences=np.asarray(diverging),
        num_steps=np.asarray(num_steps),
        ess_bulk=np.asarray(az.ess(chains, method="bulk")),
        rhat=np.asarray(az.rhat(halves)),
        seconds=time.perf_counter() - start,
    )
