"""posteriordb's Gaussian linear-regression posteriors: data, models and exact references.

Each posterior of ``tests/data/posteriordb`` (stan-dev/posteriordb, BSD-3-Clause) is
written twice, from its Stan program (``tests/data/posteriordb/stan/``):

* as a :class:`bayesreg.LinearRegression` with numpyro distributions (the prior-first
  API, what the tests fit and sample);
* as a :class:`GaussianLinearModel` with scipy log densities, from which
  :func:`exact_posterior` computes the posterior moments by quadrature, independently
  of NUTS and of bayesreg's model code.

The reference.  Write the coefficients (intercept first, when the model has one) as
``theta`` and the design as ``Z``, so ``y ~ N(Z theta, sigma^2 I)``, with independent
priors ``theta_j ~ N(mu_j, s_j^2)`` or flat (precision ``P_j = 1 / s_j^2 = 0``).  Given
``sigma`` the posterior of ``theta`` is Gaussian,

``theta | sigma, y ~ N(m, A^{-1})``, ``A = Z'Z / sigma^2 + P``,
``m = A^{-1} (Z'y / sigma^2 + P mu)``,

and, integrating ``theta`` out,

``log p(sigma | y) = log p(sigma) - n log sigma - (1/2) Q - (1/2) log |A| + const``,
``Q = ||y - Z m||^2 / sigma^2 + (m - mu)' P (m - mu)``

(``Q`` is ``y'y / sigma^2 + mu'P mu - m'A m`` written without its cancellation).  A
one-dimensional quadrature over ``u = log sigma`` then gives ``E[theta] = E[m]``,
``Var[theta] = E[A^{-1}] + Var[m]`` and the moments of ``sigma``.

One coordinate may instead have a non-Gaussian prior (diamonds' Student-t intercept):
then ``theta`` given ``(sigma, c)``, with that coordinate fixed at ``c``, is Gaussian in
the others, and the quadrature is two-dimensional over ``(log sigma, c)``; the other
coefficients are integrated out in closed form at every node.

Quadrature.  The log density is maximised, its Hessian taken by finite differences, and
a tensor Gauss-Legendre rule laid over ``+- width`` standard deviations of the Laplace
approximation (through the Cholesky factor of its covariance, a linear map with a
constant Jacobian); :func:`exact_posterior` returns the moments of two rules, and the
tests require them to agree.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpyro.distributions as dist
import pandas as pd
import scipy.linalg
import scipy.optimize
import scipy.special
import scipy.stats
from numpyro.distributions import constraints

import bayesreg

DATA_DIR = Path(__file__).parent / "data" / "posteriordb"

#: posteriordb's names of the posteriors (``data-model``), in the order of the README.
POSTERIOR_NAMES = (
    "sblri-blr",
    "sblrc-blr",
    "kidiq-kidscore_momiq",
    "kidiq-kidscore_momhsiq",
    "earnings-logearn_height",
    "mesquite-logmesquite_logvolume",
    "kilpisjarvi_mod-kilpisjarvi",
    "nes2000-nes",
    "diamonds-diamonds",
)

FLAT = np.inf  # prior sd of a flat coordinate


def load_data(name: str) -> dict:
    """posteriordb's data set ``name`` (``diamonds`` is stored zipped)."""
    path = DATA_DIR / f"{name}.data.json"
    if path.exists():
        return json.loads(path.read_text())
    with zipfile.ZipFile(DATA_DIR / f"{name}.json.zip") as archive:
        return json.loads(archive.read(f"{name}.json"))


# -- the reference model ---------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class GaussianLinearModel:
    """``y ~ N(Z theta, sigma^2 I)`` with independent priors on ``theta`` and ``sigma``.

    Parameters
    ----------
    Z : ndarray of shape (n, k)
        The design, with a column of ones first when the model has an intercept.
    y : ndarray of shape (n,)
    prior_mean, prior_sd : ndarray of shape (k,)
        ``theta_j ~ N(prior_mean_j, prior_sd_j^2)``; ``prior_sd_j = inf`` is flat.
    log_noise_prior : callable
        ``log p(sigma)`` up to a constant, vectorised (scipy).
    heavy_index : int or None
        The coordinate whose prior is ``heavy_log_prior`` instead (its ``prior_mean``
        and ``prior_sd`` are then unused).
    heavy_log_prior : callable or None
        Its log density, vectorised (scipy).
    """

    Z: np.ndarray
    y: np.ndarray
    prior_mean: np.ndarray
    prior_sd: np.ndarray
    log_noise_prior: Callable[[np.ndarray], np.ndarray]
    heavy_index: int | None = None
    heavy_log_prior: Callable[[np.ndarray], np.ndarray] | None = None

    @property
    def n_coef(self) -> int:
        return self.Z.shape[1]

    @functools.cached_property
    def _free(self) -> np.ndarray:
        """The coordinates integrated out in closed form."""
        return np.array([j for j in range(self.n_coef) if j != self.heavy_index], dtype=int)

    @functools.cached_property
    def _precision(self) -> np.ndarray:
        return 1.0 / np.asarray(self.prior_sd, dtype=float) ** 2  # inf -> 0 (flat)

    @functools.cached_property
    def _gram(self):
        Z_F = self.Z[:, self._free]
        z_h = self.Z[:, self.heavy_index] if self.heavy_index is not None else np.zeros(len(self.y))
        return Z_F, z_h, Z_F.T @ Z_F, Z_F.T @ self.y, Z_F.T @ z_h

    def conditional(self, sigma: float, c=None):
        """``theta_F | sigma, (c), y ~ N(m, A^{-1})`` and ``log p(sigma, (c) | y) + const``.

        Parameters
        ----------
        sigma : float
        c : ndarray of shape (n_c,) or None
            Values of the heavy coordinate (None when there is none).

        Returns
        -------
        m : ndarray of shape (n_c, k_F)
            Conditional means of the free coordinates, one row per ``c``.
        var : ndarray of shape (k_F,)
            The diagonal of ``A^{-1}`` (it does not depend on ``c``).
        log_density : ndarray of shape (n_c,)
            ``log p(sigma) + log p(c) - n log sigma - Q / 2 - log|A| / 2`` (``log p(c)``
            only with a heavy coordinate).
        log_joint_at_mode : ndarray of shape (n_c,)
            ``log p(m, c, sigma | y) + const``: the same without ``- log|A| / 2``, the
            profile objective whose maximiser is the joint mode.
        """
        Z_F, z_h, gram, Zy, Zz = self._gram
        c = np.zeros(1) if c is None else np.atleast_1d(np.asarray(c, dtype=float))
        P = self._precision[self._free]
        mu = np.asarray(self.prior_mean, dtype=float)[self._free]
        A = gram / sigma**2 + np.diag(P)
        # Jacobi scaling: kilpisjarvi's uncentred x (~4000) makes A badly scaled but its
        # correlation matrix has condition number ~1e5, harmless in float64.
        d = 1.0 / np.sqrt(np.diag(A))
        chol = scipy.linalg.cho_factor(A * d[:, None] * d[None, :], lower=True)
        # m is linear in c: m = m_0 - c m_1, and so is the residual r = r_0 - c r_1.
        m_0 = d * scipy.linalg.cho_solve(chol, d * (Zy / sigma**2 + P * mu))
        m_1 = d * scipy.linalg.cho_solve(chol, d * Zz / sigma**2)
        m = m_0[:, None] - m_1[:, None] * c[None, :]  # (k_F, n_c)
        r_0, r_1 = self.y - Z_F @ m_0, z_h - Z_F @ m_1
        residual = r_0[:, None] - r_1[:, None] * c[None, :]
        Q = np.sum(residual**2, axis=0) / sigma**2 + np.sum(
            np.where(P[:, None] > 0, P[:, None] * (m - mu[:, None]) ** 2, 0.0), axis=0
        )
        log_det_A = 2.0 * np.sum(np.log(np.diag(chol[0]))) - 2.0 * np.sum(np.log(d))
        var = d**2 * np.diag(scipy.linalg.cho_solve(chol, np.eye(len(d))))
        log_joint = self.log_noise_prior(sigma) - len(self.y) * np.log(sigma) - 0.5 * Q
        if self.heavy_index is not None:
            log_joint = log_joint + self.heavy_log_prior(c)
        return m.T, var, log_joint - 0.5 * log_det_A, log_joint

    def log_marginal_likelihood(self, sigma: float) -> float:
        """``log p(y | sigma)`` with every constant, for a proper Gaussian prior on ``theta``.

        ``-n/2 log(2 pi) - n log sigma - Q / 2 - log|A| / 2 - log|S0| / 2`` with ``S0`` the
        prior covariance: the Gaussian integral over ``theta`` written in precision form.
        """
        if self.heavy_index is not None or not np.all(np.isfinite(self.prior_sd)):
            raise ValueError("the marginal likelihood needs a proper Gaussian prior.")
        log_density = self.conditional(sigma)[2]
        n = len(self.y)
        log_lik = log_density[0] - float(self.log_noise_prior(sigma))
        return log_lik - 0.5 * n * np.log(2 * np.pi) - np.sum(np.log(self.prior_sd))


# -- quadrature ------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Moments:
    """Posterior means and standard deviations of ``theta`` and ``sigma``."""

    theta_mean: np.ndarray
    theta_sd: np.ndarray
    sigma_mean: float
    sigma_sd: float
    n_nodes: int
    width: float


def _log_density(model: GaussianLinearModel, point) -> float:
    """``log p(log sigma, (c) | y) + const`` at ``point = (u, (c))`` (Jacobian ``sigma``)."""
    u = point[0]
    c = point[1:2] if model.heavy_index is not None else None
    return float(model.conditional(np.exp(u), c)[2][0] + u)


def _start(model: GaussianLinearModel) -> np.ndarray:
    """Least squares: ``log`` of the residual sd, and the heavy coordinate's estimate."""
    theta, *_ = np.linalg.lstsq(model.Z, model.y, rcond=None)
    rss = np.sum((model.y - model.Z @ theta) ** 2)
    u0 = 0.5 * np.log(rss / len(model.y))
    return np.r_[u0, theta[model.heavy_index]] if model.heavy_index is not None else np.r_[u0]


def _laplace(model: GaussianLinearModel):
    """Mode and Cholesky factor of the inverse Hessian of ``-log p(log sigma, (c) | y)``."""
    x0 = _start(model)
    # Work in coordinates of roughly unit posterior scale.
    scale = np.ones_like(x0)
    scale[0] = 1.0 / np.sqrt(len(model.y))
    if model.heavy_index is not None:
        # The heavy coordinate's scale: its conditional sd were its prior flat.
        flat = dataclasses.replace(
            model,
            heavy_index=None,
            heavy_log_prior=None,
            prior_sd=np.where(np.arange(model.n_coef) == model.heavy_index, FLAT, model.prior_sd),
        )
        scale[1] = np.sqrt(flat.conditional(np.exp(x0[0]))[1][model.heavy_index])

    def f(z):
        return -_log_density(model, x0 + scale * z)

    result = scipy.optimize.minimize(
        f, np.zeros_like(x0), method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-13}
    )
    z_hat = result.x
    # Central second differences; -log p is near-quadratic on this unit scale.
    h = 1e-2
    dim = len(z_hat)
    hessian = np.empty((dim, dim))
    f0 = f(z_hat)
    eye = np.eye(dim)
    for i in range(dim):
        for j in range(dim):
            if i == j:
                hessian[i, i] = (f(z_hat + h * eye[i]) - 2 * f0 + f(z_hat - h * eye[i])) / h**2
            else:
                hessian[i, j] = (
                    f(z_hat + h * eye[i] + h * eye[j])
                    - f(z_hat + h * eye[i] - h * eye[j])
                    - f(z_hat - h * eye[i] + h * eye[j])
                    + f(z_hat - h * eye[i] - h * eye[j])
                ) / (4 * h**2)
    covariance = np.linalg.inv(hessian)
    mode = x0 + scale * z_hat
    return mode, scale[:, None] * np.linalg.cholesky(covariance)


def exact_posterior(model: GaussianLinearModel, n_nodes: int = 64, width: float = 10.0) -> Moments:
    """Posterior moments by Gauss-Legendre quadrature over ``log sigma`` (and ``c``).

    The nodes are ``mode + L x`` for ``x`` on the tensor grid of ``n_nodes`` Gauss-Legendre
    points in ``[-width, width]`` per dimension, with ``L`` the (lower) Cholesky factor of
    the Laplace approximation's covariance.  ``L`` is lower triangular, so every row of
    the grid shares one ``sigma`` and its Cholesky factorisation of ``A``.
    """
    mode, L = _laplace(model)
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    x, w = width * x, width * w
    heavy = model.heavy_index is not None
    log_w, sigmas, means, variances = [], [], [], []
    for x1, w1 in zip(x, w, strict=True):
        u = mode[0] + L[0, 0] * x1
        if heavy:
            c = mode[1] + L[1, 0] * x1 + L[1, 1] * x
            m_F, var_F, log_density, _ = model.conditional(np.exp(u), c)
            theta = np.empty((n_nodes, model.n_coef))
            theta[:, model._free] = m_F
            theta[:, model.heavy_index] = c
            weights = np.log(w1) + np.log(w) + log_density + u
        else:
            m_F, var_F, log_density, _ = model.conditional(np.exp(u))
            theta = m_F
            weights = np.log(w1) + log_density + u
        var = np.zeros(model.n_coef)
        var[model._free] = var_F
        log_w.append(weights)
        sigmas.append(np.full(len(weights), np.exp(u)))
        means.append(theta)
        variances.append(np.broadcast_to(var, theta.shape))
    log_w = np.concatenate(log_w)
    weights = np.exp(log_w - log_w.max())
    weights /= weights.sum()
    sigma = np.concatenate(sigmas)
    m = np.concatenate(means)
    v = np.concatenate(variances)
    theta_mean = weights @ m
    # Var[theta] = E[Var(theta | sigma, c)] + Var[E(theta | sigma, c)].
    theta_var = weights @ v + weights @ (m - theta_mean) ** 2
    sigma_mean = weights @ sigma
    sigma_var = weights @ (sigma - sigma_mean) ** 2
    return Moments(theta_mean, np.sqrt(theta_var), sigma_mean, np.sqrt(sigma_var), n_nodes, width)


# -- the joint mode --------------------------------------------------------------------
def joint_mode(model: GaussianLinearModel) -> tuple[np.ndarray, float]:
    """The joint posterior mode ``(theta, sigma)`` in the model's own coordinates.

    For fixed ``sigma`` (and ``c``) the mode of the free coordinates is the conditional
    mean ``m``.  By the envelope theorem the gradient of the profile ``log p(m, c, sigma
    | y)`` is the partial gradient at fixed ``m``:

    ``d/dsigma = (log p)'(sigma) - n / sigma + ||r||^2 / sigma^3``,
    ``d/dc = z_h' r / sigma^2 + (log p_h)'(c)``, ``r = y - c z_h - Z_F m``,

    whose roots are found by bracketing (Brent), nested when there is a heavy coordinate:
    ``sigma`` solved for each ``c``, then ``c``.  The priors' derivatives are central
    differences.  A maximum found from function values alone would only be good to
    ``sqrt(eps)``; a root is good to machine precision.
    """
    Z_F, z_h, *_ = model._gram
    heavy = model.heavy_index is not None

    def derivative(f, x):
        h = 1e-5 * (1.0 + abs(x))
        return (float(f(x + h)) - float(f(x - h))) / (2 * h)

    def residual(u, c):
        m = model.conditional(np.exp(u), None if c is None else np.array([c]))[0][0]
        return model.y - (c * z_h if heavy else 0.0) - Z_F @ m, m

    def gradient_u(u, c):
        sigma = np.exp(u)
        r, _ = residual(u, c)
        # d/du = sigma d/dsigma
        return sigma * derivative(model.log_noise_prior, sigma) - len(model.y) + r @ r / sigma**2

    def best_u(c):
        u0 = _start(model)[0]
        return _bracketed_root(lambda u: gradient_u(u, c), u0, 1.0)

    def gradient_c(c):
        u = best_u(c)
        r, _ = residual(u, c)
        return z_h @ r / np.exp(2 * u) + derivative(model.heavy_log_prior, c)

    c = None
    if heavy:
        flat = dataclasses.replace(
            model,
            heavy_index=None,
            prior_sd=np.where(np.arange(model.n_coef) == model.heavy_index, FLAT, model.prior_sd),
        )
        u0 = _start(model)[0]
        c0 = flat.conditional(np.exp(u0))[0][0][model.heavy_index]
        sd_c = np.sqrt(flat.conditional(np.exp(u0))[1][model.heavy_index])
        c = _bracketed_root(gradient_c, c0, 10 * sd_c)
    u = best_u(c)
    _, m = residual(u, c)
    theta = np.empty(model.n_coef)
    theta[model._free] = m
    if heavy:
        theta[model.heavy_index] = c
    return theta, float(np.exp(u))


def _bracketed_root(f, x0: float, step: float) -> float:
    """The root of a decreasing ``f`` near ``x0``: bracket it, then Brent's method."""
    lo, hi = x0 - step, x0 + step
    while f(lo) < 0:
        lo -= step
        step *= 2
    while f(hi) > 0:
        hi += step
        step *= 2
    return scipy.optimize.brentq(f, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps)


# -- the posteriors --------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class PosteriorCase:
    """One posteriordb posterior: data, bayesreg model and reference model.

    ``theta`` of the reference is ``(intercept, coef...)`` when ``model.fit_intercept``,
    else ``coef``.
    """

    name: str
    X: pd.DataFrame
    y: np.ndarray
    model: bayesreg.LinearRegression
    reference: GaussianLinearModel
    flat_coef: bool  # flat prior on every coefficient, intercept included

    @property
    def fit_intercept(self) -> bool:
        return bool(self.model.fit_intercept)

    def split(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """``theta`` as bayesreg's variables ``intercept`` (when fitted) and ``coef``."""
        if self.fit_intercept:
            return {"intercept": np.asarray(theta[0]), "coef": np.asarray(theta[1:])}
        return {"coef": np.asarray(theta)}

    def exact(self, moments: Moments) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{variable: (mean, sd)}`` of the reference, named as bayesreg's posterior."""
        mean, sd = self.split(moments.theta_mean), self.split(moments.theta_sd)
        out = {name: (mean[name], sd[name]) for name in mean}
        out["sigma"] = (np.asarray(moments.sigma_mean), np.asarray(moments.sigma_sd))
        return out


def _flat_noise() -> dist.Distribution:
    """``real<lower=0> sigma;`` with no prior statement: flat on ``(0, inf)``."""
    return dist.ImproperUniform(constraints.positive, (), ())


def _zero(sigma):
    return np.zeros_like(np.asarray(sigma, dtype=float))


def _with_ones(X) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    return np.column_stack([np.ones(len(X)), X])


def _flat_case(name: str, X: pd.DataFrame, y, noise_prior, log_noise_prior) -> PosteriorCase:
    """Flat priors on the intercept and every weight (``vector[k] beta;`` with no prior)."""
    y = np.asarray(y, dtype=float)
    k = X.shape[1] + 1
    model = bayesreg.LinearRegression(prior=None, noise_prior=noise_prior)
    reference = GaussianLinearModel(
        _with_ones(X), y, np.zeros(k), np.full(k, FLAT), log_noise_prior
    )
    return PosteriorCase(name, X, y, model, reference, flat_coef=True)


def _blr(name: str) -> PosteriorCase:
    # blr.stan: beta ~ normal(0, 10); sigma ~ normal(0, 10) on sigma > 0; no intercept.
    data = load_data(name.split("-")[0])
    X = pd.DataFrame(np.asarray(data["X"], dtype=float))
    X.columns = [f"x{j + 1}" for j in range(X.shape[1])]
    y = np.asarray(data["y"], dtype=float)
    model = bayesreg.LinearRegression(
        prior=dist.Normal(0.0, 10.0), noise_prior=dist.HalfNormal(10.0), fit_intercept=False
    )
    k = X.shape[1]
    reference = GaussianLinearModel(
        X.to_numpy(),
        y,
        np.zeros(k),
        np.full(k, 10.0),
        lambda s: scipy.stats.norm.logpdf(s, 0.0, 10.0),
    )
    return PosteriorCase(name, X, y, model, reference, flat_coef=False)


def _kidiq(name: str) -> PosteriorCase:
    # kidscore_momiq.stan: kid_score ~ normal(beta[1] + beta[2] * mom_iq, sigma);
    # kidscore_momhsiq.stan adds beta[2] * mom_hs before mom_iq; flat beta;
    # sigma ~ cauchy(0, 2.5) on sigma > 0.  mom_hs_new, mom_iq_new are prediction inputs.
    data = load_data("kidiq")
    columns = ["mom_iq"] if name.endswith("momiq") else ["mom_hs", "mom_iq"]
    X = pd.DataFrame({c: np.asarray(data[c], dtype=float) for c in columns})
    return _flat_case(
        name,
        X,
        data["kid_score"],
        dist.HalfCauchy(2.5),
        lambda s: scipy.stats.cauchy.logpdf(s, 0.0, 2.5),
    )


def _earnings(name: str) -> PosteriorCase:
    # logearn_height.stan: log(earn) ~ normal(beta[1] + beta[2] * height, sigma); flat.
    data = load_data("earnings")
    X = pd.DataFrame({"height": np.asarray(data["height"], dtype=float)})
    y = np.log(np.asarray(data["earn"], dtype=float))
    return _flat_case(name, X, y, _flat_noise(), _zero)


def _mesquite(name: str) -> PosteriorCase:
    # logmesquite_logvolume.stan: log(weight) ~ normal(beta[1] + beta[2] *
    # log(diam1 .* diam2 .* canopy_height), sigma); flat.
    data = load_data("mesquite")
    volume = np.prod(
        [np.asarray(data[c], dtype=float) for c in ("diam1", "diam2", "canopy_height")], axis=0
    )
    X = pd.DataFrame({"log_canopy_volume": np.log(volume)})
    y = np.log(np.asarray(data["weight"], dtype=float))
    return _flat_case(name, X, y, _flat_noise(), _zero)


def _nes(name: str) -> PosteriorCase:
    # nes.stan: partyid7 ~ normal(beta[1] + beta[2] * real_ideo + beta[3] * race_adj
    # + beta[4..6] * (age_discrete == 2, 3, 4) + beta[7] * educ1 + beta[8] * gender
    # + beta[9] * income, sigma); flat.
    data = load_data("nes2000")
    age = np.asarray(data["age_discrete"])
    X = pd.DataFrame(
        {
            "real_ideo": data["real_ideo"],
            "race_adj": data["race_adj"],
            "age30_44": (age == 2),
            "age45_64": (age == 3),
            "age65up": (age == 4),
            "educ1": data["educ1"],
            "gender": data["gender"],
            "income": data["income"],
        }
    ).astype(float)
    return _flat_case(name, X, data["partyid7"], _flat_noise(), _zero)


def _kilpisjarvi(name: str) -> PosteriorCase:
    # kilpisjarvi.stan: alpha ~ normal(pmualpha, psalpha); beta ~ normal(pmubeta, psbeta);
    # y ~ normal(alpha + beta * x, sigma); flat sigma.  x is not centred: alpha is the
    # intercept at x = 0, years before the data.
    data = load_data("kilpisjarvi_mod")
    X = pd.DataFrame({"x": np.asarray(data["x"], dtype=float)})
    y = np.asarray(data["y"], dtype=float)
    model = bayesreg.LinearRegression(
        prior=dist.Normal(data["pmubeta"], data["psbeta"]),
        intercept_prior=dist.Normal(data["pmualpha"], data["psalpha"]),
        noise_prior=_flat_noise(),
    )
    reference = GaussianLinearModel(
        _with_ones(X),
        y,
        np.array([data["pmualpha"], data["pmubeta"]], dtype=float),
        np.array([data["psalpha"], data["psbeta"]], dtype=float),
        _zero,
    )
    return PosteriorCase(name, X, y, model, reference, flat_coef=False)


def _diamonds(name: str) -> PosteriorCase:
    # diamonds.stan (brms): Xc = X[, 2:K] centred; b ~ normal(0, 1);
    # Intercept ~ student_t(3, 8, 10) on the centred scale; sigma ~ student_t(3, 0, 10)
    # on sigma > 0; Y ~ normal(Intercept + Xc b, sigma).  bayesreg is given Xc, as brms
    # centres it itself, so its intercept (whose prior it applies) is brms's Intercept.
    data = load_data("diamonds")
    X_raw = np.asarray(data["X"], dtype=float)[:, 1:]
    Xc = X_raw - X_raw.mean(axis=0)
    X = pd.DataFrame(Xc, columns=[f"b{j + 1}" for j in range(Xc.shape[1])])
    y = np.asarray(data["Y"], dtype=float)
    model = bayesreg.LinearRegression(
        prior=dist.Normal(0.0, 1.0),
        intercept_prior=dist.StudentT(3.0, 8.0, 10.0),
        noise_prior=dist.FoldedDistribution(dist.StudentT(3.0, 0.0, 10.0)),
    )
    k = Xc.shape[1] + 1
    reference = GaussianLinearModel(
        _with_ones(Xc),
        y,
        np.zeros(k),
        np.r_[np.nan, np.ones(k - 1)],
        lambda s: scipy.stats.t.logpdf(s, 3.0, 0.0, 10.0),
        heavy_index=0,
        heavy_log_prior=lambda c: scipy.stats.t.logpdf(c, 3.0, 8.0, 10.0),
    )
    return PosteriorCase(name, X, y, model, reference, flat_coef=False)


_BUILDERS = {
    "sblri-blr": _blr,
    "sblrc-blr": _blr,
    "kidiq-kidscore_momiq": _kidiq,
    "kidiq-kidscore_momhsiq": _kidiq,
    "earnings-logearn_height": _earnings,
    "mesquite-logmesquite_logvolume": _mesquite,
    "kilpisjarvi_mod-kilpisjarvi": _kilpisjarvi,
    "nes2000-nes": _nes,
    "diamonds-diamonds": _diamonds,
}


@functools.cache
def load_case(name: str) -> PosteriorCase:
    """The posterior ``name`` of :data:`POSTERIOR_NAMES` (cached; do not mutate)."""
    return _BUILDERS[name](name)


@functools.cache
def reference_moments(name: str) -> tuple[Moments, Moments]:
    """The exact moments of ``name`` by two quadrature rules (64 nodes over +-10 sd and
    96 nodes over +-14 sd per dimension), cached."""
    reference = load_case(name).reference
    return exact_posterior(reference, 64, 10.0), exact_posterior(reference, 96, 14.0)


def flat_prior_closed_form(Z, y, noise: str) -> Moments:
    """The posterior under a flat prior on ``theta`` in closed form (multivariate t).

    With ``theta_hat`` the least-squares fit, ``RSS`` its residual sum of squares and
    ``p(sigma) propto sigma^-q`` (``q = 0`` flat, ``q = 1`` Jeffreys),
    ``p(sigma^2 | y) = InvGamma(a, RSS / 2)`` with ``a = (n - k - 1 + q) / 2``, and
    ``theta | y`` is multivariate t with mean ``theta_hat`` and covariance
    ``E[sigma^2] (Z'Z)^{-1}``, ``E[sigma^2] = RSS / (2a - 2)``,
    ``E[sigma] = sqrt(RSS / 2) Gamma(a - 1/2) / Gamma(a)``.
    """
    q = {"flat": 0, "jeffreys": 1}[noise]
    n, k = Z.shape
    theta, *_ = np.linalg.lstsq(Z, y, rcond=None)
    rss = float(np.sum((y - Z @ theta) ** 2))
    a = (n - k - 1 + q) / 2
    e_sigma2 = rss / (2 * a - 2)
    e_sigma = np.sqrt(rss / 2) * np.exp(scipy.special.gammaln(a - 0.5) - scipy.special.gammaln(a))
    cov = e_sigma2 * np.linalg.inv(Z.T @ Z)
    return Moments(theta, np.sqrt(np.diag(cov)), e_sigma, np.sqrt(e_sigma2 - e_sigma**2), 0, 0.0)
