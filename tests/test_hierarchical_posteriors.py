"""Posteriors of the hierarchical and shrinkage priors by NUTS, against independent answers.

* Bayesian lasso on the diabetes data: NUTS on bayesreg's model vs a Gibbs sampler
  written here after Park & Casella (2008), posterior medians within Monte Carlo error.
* Horseshoe / regularized horseshoe on a sparse synthetic problem: support recovery.
* Ridge with a prior on alpha: NUTS vs the exact marginal posterior of alpha (normal-
  inverse-gamma marginal likelihood on a grid), posterior means within Monte Carlo error.
"""

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pytest
import scipy.integrate
import scipy.stats
from numpyro.infer import MCMC, NUTS, init_to_uniform, init_to_value
from sklearn.datasets import load_diabetes

import bayesreg
from bayesreg.model import make_linear_model
from bayesreg.priors import BayesianLasso, HierarchicalRidge, Horseshoe, RegularizedHorseshoe

pytestmark = pytest.mark.slow

NUM_CHAINS = 4


def _run_nuts(
    prior,
    X,
    y,
    *,
    init,
    num_warmup,
    num_samples,
    seed,
    target_accept_prob=0.8,
    chain_method="vectorized",
):
    """NUTS on bayesreg's linear model (intercept, Jeffreys noise, noise-scaled prior)."""
    X_c = X - X.mean(axis=0)
    model = make_linear_model(fit_intercept=True)
    mcmc = MCMC(
        NUTS(
            model,
            dense_mass=True,
            target_accept_prob=target_accept_prob,
            init_strategy=init_to_uniform if init is None else init_to_value(values=init),
        ),
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=NUM_CHAINS,
        chain_method=chain_method,
        progress_bar=False,
    )
    mcmc.run(
        jax.random.key(seed),
        jnp.asarray(X_c),
        jnp.asarray(y),
        jnp.ones(len(y)),
        jnp.asarray(X.mean(axis=0)),
        prior,
        extra_fields=("diverging",),
    )
    samples = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
    divergences = int(np.asarray(mcmc.get_extra_fields()["diverging"]).sum())
    return samples, divergences


# -- Bayesian lasso: NUTS vs Park & Casella's Gibbs sampler ---------------------------------


def _park_casella_gibbs(X, y, r, delta, *, num_chains, num_burn, num_draws, seed):
    """Gibbs sampler of the Bayesian lasso, Park & Casella (2008), section 2.

    Model: y = mu 1 + X beta + e, e ~ N(0, sigma^2 I), flat mu (integrated out by
    centring, so y~ = y - ybar and n - 1 residual degrees of freedom),
    beta | sigma^2, tau^2 ~ N(0, sigma^2 D_tau), tau_j^2 ~ Exp(lambda^2 / 2),
    pi(sigma^2) propto 1 / sigma^2, lambda^2 ~ Gamma(r, rate delta).  Full conditionals
    (their eqs. before section 3, with A = X'X + D_tau^-1):

    * beta | . ~ N(A^-1 X'y~, sigma^2 A^-1)
    * sigma^2 | . ~ InvGamma((n - 1)/2 + p/2, ||y~ - X beta||^2 / 2 + beta' D_tau^-1 beta / 2)
    * 1 / tau_j^2 | . ~ InvGaussian(mean sqrt(lambda^2 sigma^2 / beta_j^2), shape lambda^2)
    * lambda^2 | . ~ Gamma(p + r, rate sum_j tau_j^2 / 2 + delta)

    Chains run side by side (vectorised over the first axis).  Returns beta of shape
    (chain, draw, p), sigma and lambda^2 of shape (chain, draw).
    """
    rng = np.random.default_rng(seed)
    n, p = X.shape
    y_t = y - y.mean()
    X_t = X - X.mean(axis=0)
    XtX, Xty = X_t.T @ X_t, X_t.T @ y_t
    beta = np.tile(np.linalg.lstsq(X_t, y_t, rcond=None)[0], (num_chains, 1))
    beta += rng.standard_normal(beta.shape)
    sigma2 = np.full(num_chains, np.var(y_t))
    inv_tau2 = np.ones((num_chains, p))
    lam2 = np.full(num_chains, 1.0)
    out_beta = np.empty((num_chains, num_draws, p))
    out_sigma = np.empty((num_chains, num_draws))
    out_lam2 = np.empty((num_chains, num_draws))
    for it in range(num_burn + num_draws):
        A = XtX[None] + inv_tau2[:, :, None] * np.eye(p)[None]
        L = np.linalg.cholesky(A)
        mean = np.linalg.solve(A, np.broadcast_to(Xty, (num_chains, p))[..., None])[..., 0]
        # beta = mean + sigma L^-T z has covariance sigma^2 (L L')^-1 = sigma^2 A^-1.
        z = rng.standard_normal((num_chains, p, 1))
        beta = mean + np.sqrt(sigma2)[:, None] * np.linalg.solve(np.swapaxes(L, 1, 2), z)[..., 0]
        resid = y_t[None, :] - beta @ X_t.T
        shape = (n - 1) / 2 + p / 2
        rate = 0.5 * np.sum(resid**2, axis=1) + 0.5 * np.sum(beta**2 * inv_tau2, axis=1)
        sigma2 = rate / rng.gamma(shape, 1.0, num_chains)
        mu = np.sqrt(lam2[:, None] * sigma2[:, None] / beta**2)
        inv_tau2 = rng.wald(mu, np.broadcast_to(lam2[:, None], mu.shape))
        lam2 = rng.gamma(p + r, 1.0, num_chains) / (np.sum(1.0 / inv_tau2, axis=1) / 2 + delta)
        if it >= num_burn:
            out_beta[:, it - num_burn] = beta
            out_sigma[:, it - num_burn] = np.sqrt(sigma2)
            out_lam2[:, it - num_burn] = lam2
    return out_beta, out_sigma, out_lam2


def test_bayesian_lasso_nuts_matches_park_casella_gibbs_on_diabetes(record_property):
    # Park & Casella's setting: diabetes data (n = 442, p = 10) with standardized
    # covariates (mean 0, unit length, as in Efron et al. 2004 and scikit-learn's
    # load_diabetes), flat intercept, pi(sigma^2) propto 1 / sigma^2 (bayesreg's default
    # Jeffreys noise) and lambda^2 ~ Gamma(r = 1, delta = 1.78).  The posterior medians
    # of every coefficient, sigma and lambda^2 from NUTS on bayesreg's model and from the
    # Gibbs sampler agree within 4 combined Monte Carlo standard errors of the median.
    X, y = load_diabetes(return_X_y=True)
    r, delta = 1.0, 1.78
    prior = BayesianLasso(r, delta)
    gibbs_beta, gibbs_sigma, gibbs_lam2 = _park_casella_gibbs(
        X, y, r, delta, num_chains=4, num_burn=1000, num_draws=10_000, seed=11
    )
    X_c = X - X.mean(axis=0)
    ols = np.linalg.lstsq(X_c, y - y.mean(), rcond=None)[0]
    init = {
        "coef": jnp.asarray(ols),
        "sigma": 54.0,
        "lambda_sq": 0.05,
        "intercept_centered": float(y.mean()),
    }
    samples, divergences = _run_nuts(
        prior, X, y, init=init, num_warmup=1000, num_samples=3000, seed=12
    )
    pairs = {
        "coef": (gibbs_beta, samples["coef"]),
        "sigma": (gibbs_sigma, samples["sigma"]),
        "lambda_sq": (gibbs_lam2, samples["lambda_sq"]),
    }
    worst = 0.0
    lines = []
    for name, (a, b) in pairs.items():
        med_a, med_b = np.median(a, axis=(0, 1)), np.median(b, axis=(0, 1))
        mcse = np.sqrt(az.mcse(a, method="median") ** 2 + az.mcse(b, method="median") ** 2)
        ratio = np.abs(med_a - med_b) / mcse
        worst = max(worst, float(np.max(ratio)))
        lines.append(f"{name}: gibbs {np.round(med_a, 2)} nuts {np.round(med_b, 2)}")
        lines.append(f"{name}: |diff| / mcse {np.round(ratio, 2)}")
    report = "\n".join(lines) + f"\nworst {worst:.2f}, NUTS divergences {divergences}"
    print(report)
    record_property("bayesian_lasso_worst_z", worst)
    assert divergences == 0
    assert worst <= 4.0, report
    # And the lasso-type shrinkage shows: the medians have a smaller L1 norm than OLS.
    assert np.sum(np.abs(np.median(samples["coef"], axis=(0, 1)))) < np.sum(np.abs(ols))


# -- horseshoe support recovery -------------------------------------------------------------


def _sparse_problem(seed=0):
    rng = np.random.default_rng(seed)
    n, p = 100, 20
    X = rng.standard_normal((n, p))
    coef = np.zeros(p)
    coef[[2, 9, 15]] = [3.0, -3.0, 2.5]  # sigma = 1: effects of 2.5-3 noise sd
    y = 1.5 + X @ coef + rng.standard_normal(n)
    return X, y, coef


@pytest.mark.parametrize(
    ("prior", "target_accept_prob", "max_divergent"),
    [
        # The plain horseshoe's funnels (tau against the lambda_j, and lambda_j against
        # coef_raw for the large weights, which no slab bounds) need small steps: at
        # 0.95 about 3% of its transitions diverge here, at 0.99 under 1%.  The
        # regularized horseshoe, whose slab bounds the large weights' scales, does not
        # need them (Piironen & Vehtari 2017, section 2.3).
        (Horseshoe.from_expected_nonzero(3, 20, 100), 0.99, 0.02),
        (RegularizedHorseshoe.from_expected_nonzero(3, 20, 100, slab_scale=5.0), 0.95, 0.01),
    ],
    ids=["horseshoe", "regularized"],
)
def test_horseshoe_recovers_the_sparse_support(
    prior, target_accept_prob, max_divergent, record_property
):
    # 3 of 20 weights nonzero; with tau_0 = p0 / (D - p0) sigma / sqrt(n) (Piironen &
    # Vehtari 2017) the central 95% interval of each true weight excludes 0 and that of
    # each null weight includes it.
    X, y, coef = _sparse_problem()
    p = X.shape[1]
    samples, divergences = _run_nuts(
        prior,
        X,
        y,
        init=None,  # numpyro's default: uniform in (-2, 2) on the unconstrained scale
        num_warmup=500,
        num_samples=1000,
        seed=13,
        target_accept_prob=target_accept_prob,
        # Sequential chains: vectorised ones step in lockstep, each iteration as long
        # as the deepest tree of the four, and horseshoe trees vary a lot in depth.
        chain_method="sequential",
    )
    draws = samples["coef"].reshape(-1, p)
    lo, hi = np.quantile(draws, [0.025, 0.975], axis=0)
    excludes_zero = (lo > 0) | (hi < 0)
    truth = coef != 0
    print(
        f"{prior.name}: divergences {divergences} of {draws.shape[0]}; "
        f"intervals excluding 0 at {np.flatnonzero(excludes_zero)}, true support "
        f"{np.flatnonzero(truth)}; median |coef| of nulls "
        f"{np.median(np.abs(np.median(draws[:, ~truth], axis=0))):.3g}"
    )
    record_property(f"{prior.name}_divergences", divergences)
    np.testing.assert_array_equal(excludes_zero, truth)
    assert divergences <= max_divergent * draws.shape[0]
    rhat = az.rhat(samples["coef"])
    assert float(np.max(rhat)) < 1.02


# -- full Bayes alpha: NUTS vs the exact marginal posterior of alpha --------------------------


def _alpha_hyperprior_problem():
    """A small ridge problem and its exact posterior means under alpha ~ Gamma(2, 1)."""
    # w | sigma, alpha ~ N(0, sigma^2 / alpha), p(sigma) propto 1 / sigma, flat intercept
    # (m = n - 1 residual dof), alpha ~ Gamma(a, b).  Integrating w, sigma and the
    # intercept out:
    #   p(alpha | y) propto Gamma(alpha; a, b) |I + X'X / alpha|^(-1/2) S(alpha)^(-m/2),
    #   S(alpha) = y'y - y'X (X'X + alpha I)^-1 X'y   (centred X, y),
    # and E[w | alpha, y] = (X'X + alpha I)^-1 X'y, sigma^2 | alpha, y ~
    # InvGamma(m / 2, S / 2).  Posterior means of w, alpha and sigma by quadrature over
    # log alpha vs NUTS on bayesreg's model, within 4 Monte Carlo standard errors.
    rng = np.random.default_rng(3)
    n, p = 25, 3
    X = rng.standard_normal((n, p))
    y = 0.5 + X @ np.array([0.8, -0.4, 0.1]) + 0.7 * rng.standard_normal(n)
    a, b = 2.0, 1.0

    X_t, y_t = X - X.mean(axis=0), y - y.mean()
    m = n - 1
    XtX, Xty = X_t.T @ X_t, X_t.T @ y_t
    eig = np.linalg.eigvalsh(XtX)
    log_alpha = np.linspace(-14.0, 10.0, 6001)
    alpha = np.exp(log_alpha)
    ridge = np.array([np.linalg.solve(XtX + al * np.eye(p), Xty) for al in alpha])
    S = y_t @ y_t - ridge @ Xty
    log_post = (
        scipy.stats.gamma(a, scale=1 / b).logpdf(alpha)
        + log_alpha  # Jacobian of the grid in log alpha
        - 0.5 * np.sum(np.log1p(eig[None, :] / alpha[:, None]), axis=1)
        - 0.5 * m * np.log(S)
    )
    weight = np.exp(log_post - log_post.max())
    weight /= scipy.integrate.trapezoid(weight, log_alpha)
    assert weight[0] < 1e-8 * weight.max() and weight[-1] < 1e-8 * weight.max()

    def expect(values):
        return scipy.integrate.trapezoid(
            values * weight.reshape(-1, *[1] * (values.ndim - 1)), log_alpha, axis=0
        )

    mean_sigma_given_alpha = np.sqrt(S / 2) * np.exp(
        scipy.special.gammaln((m - 1) / 2) - scipy.special.gammaln(m / 2)
    )
    exact = {
        "coef": expect(ridge),
        "alpha": expect(alpha),
        "sigma": expect(mean_sigma_given_alpha),
    }

    return X, y, a, b, exact


def test_ridge_alpha_hyperprior_matches_the_exact_marginal_posterior(record_property):
    X, y, a, b, exact = _alpha_hyperprior_problem()
    X_t, y_t = X - X.mean(axis=0), y - y.mean()
    prior = HierarchicalRidge(dist.Gamma(a, b))

    init = {
        "coef": jnp.asarray(np.linalg.lstsq(X_t, y_t, rcond=None)[0]),
        "sigma": 0.7,
        "alpha": 1.0,
        "intercept_centered": float(y.mean()),
    }
    samples, divergences = _run_nuts(
        prior, X, y, init=init, num_warmup=1000, num_samples=4000, seed=14
    )
    lines, worst = [], 0.0
    for name, value in exact.items():
        draws = samples[name]
        mean = draws.mean(axis=(0, 1))
        mcse = az.mcse(draws, method="mean")
        z = np.abs(mean - value) / mcse
        worst = max(worst, float(np.max(z)))
        lines.append(
            f"{name}: exact {np.round(value, 4)} nuts {np.round(mean, 4)} z {np.round(z, 2)}"
        )
    report = "\n".join(lines) + f"\nworst {worst:.2f}, divergences {divergences}"
    print(report)
    record_property("alpha_hyperprior_worst_z", worst)
    assert divergences == 0
    assert worst <= 4.0, report


def test_estimator_alpha_prior_samples_the_same_full_bayes_posterior():
    # Ridge(...).sample_posterior(alpha_prior=Gamma(a, b)) is the model above: its
    # posterior means of w, alpha and sigma are the exact ones within 4 MCSE.
    X, y, a, b, exact = _alpha_hyperprior_problem()
    tree = bayesreg.Ridge(alpha=1.0).sample_posterior(
        X, y, alpha_prior=dist.Gamma(a, b), num_samples=2000, random_state=5
    )
    mcse = az.mcse(tree, var_names=list(exact), method="mean")
    for name, value in exact.items():
        mean = tree["posterior"][name].mean(("chain", "draw")).values
        z = np.abs(mean - value) / mcse[name].values
        assert np.all(z <= 4.0), (name, z)
