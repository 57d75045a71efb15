"""Exact MAP for generalized linear models: proximal Newton with an exact subproblem.

The problem is, for a GLM family with per-observation loss ``l(eta_i; y_i)`` (the
negative log likelihood up to a constant) and linear predictors ``eta_i = W x_i + b``
(``K`` of them per observation: 1 for the binomial and Poisson families, the number of
classes for the multinomial),

``min_{W, b}  F(W, b) = sum_i s_i l(W x_i + b; y_i) + l1 ||W||_1 + l2 ||W||_F^2``,

the negative log posterior of the elastic-net family of priors
``p(W_kj) propto exp(-l1 |W_kj| - l2 W_kj^2)`` with a flat prior on ``b``.

Algorithm (proximal Newton; Lee, Sun & Saunders, 2014; glmnet's IRLS outer loop).
With ``theta = (W, b)``, gradient ``g`` and Hessian ``H`` of the data term at the
current point, the step solves the *quadratic* subproblem

``min_u  g'(u - theta) + 1/2 (u - theta)' H (u - theta) + P(u)``

exactly: by coordinate descent on the Gram form (compiled with JAX, once per padded
size) followed by a polish that solves its optimality conditions on the support with the
signs fixed (a linear system), or directly by a linear solve when ``l1 = 0``.  A
backtracking line search on ``F`` along ``u - theta`` (Armijo on
``Delta = g'(u - theta) + P(u) - P(theta)``, Tseng & Yun, 2009) makes every step
decrease ``F``.  Once the support is identified the steps are exact Newton steps on a
smooth problem, so the last iterations converge quadratically, to rounding.

For the multinomial family the softmax is invariant to adding the same number to all
``K`` intercepts (and, without ``l2``, to all ``K`` weights of one feature): the Hessian
is singular along those directions.  The intercept direction is orthogonal to every
gradient and is removed from the linear systems; the answer is returned in the
symmetric parametrisation (intercepts summing to 0), as scikit-learn does.

The stopping rule is the KKT violation ``max dist(-g, dP(theta))`` relative to the
largest gradient of the data term at ``theta = 0``; it is zero exactly at the optimum.

References
----------
.. [1] J. D. Lee, Y. Sun and M. A. Saunders, "Proximal Newton-type methods for
   minimizing composite functions", SIAM J. Optim. 24(3), 2014.
.. [2] J. Friedman, T. Hastie and R. Tibshirani, "Regularization paths for generalized
   linear models via coordinate descent", J. Stat. Softw. 33(1), 2010.
.. [3] P. Tseng and S. Yun, "A coordinate gradient descent method for nonsmooth
   separable minimization", Math. Program. 117, 2009.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg
from scipy.special import expit, gammaln, log_expit, logsumexp, xlogy

from bayesreg.solvers.certificate import Certificate

__all__ = [
    "Binomial",
    "GLMFamily",
    "GLMResult",
    "Multinomial",
    "Poisson",
    "solve_glm_map",
]

# Stop when the relative KKT violation is below this (rounding level for float64).
_KKT_TARGET = 1e-13
_ARMIJO = 1e-4
_MAX_HALVINGS = 60
_F_ROUNDING = 1e-13


# -- families ----------------------------------------------------------------------------
class GLMFamily:
    """A likelihood with ``K`` linear predictors per observation.

    ``y`` is in the family's encoding: 0/1 for :class:`Binomial`, class indices
    ``0..K-1`` for :class:`Multinomial`, counts (any real >= 0) for :class:`Poisson`.
    """

    n_outputs: int = 1

    def loss(self, eta: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Per-observation ``l(eta_i; y_i)``, shape (n,); ``eta`` has shape (n, K)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def gradient(self, eta: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``dl / deta``, shape (n, K)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def hessian(self, eta: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``d^2 l / deta^2``, shape (n, K, K)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def log_likelihood(self, eta: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Per-observation ``log p(y_i | eta_i)`` (with normalising constants), shape (..., n)."""
        raise NotImplementedError  # pragma: no cover - abstract


class Binomial(GLMFamily):
    """Bernoulli with logit link: ``l(eta; y) = log(1 + e^eta) - y eta``, ``y`` in {0, 1}."""

    def loss(self, eta, y):
        eta = eta[:, 0]
        return np.logaddexp(0.0, eta) - y * eta

    def gradient(self, eta, y):
        return (expit(eta[:, 0]) - y)[:, None]

    def hessian(self, eta, y):
        p = expit(eta[:, 0])
        return (p * (1.0 - p))[:, None, None]

    def log_likelihood(self, eta, y):
        return y * log_expit(eta) + (1.0 - y) * log_expit(-eta)


class Multinomial(GLMFamily):
    """Categorical with softmax link: ``l(eta; y) = logsumexp(eta) - eta_y``, ``y`` in 0..K-1.

    The Hessian in ``eta`` is ``diag(p) - p p'`` with ``p = softmax(eta)``.
    """

    def __init__(self, n_classes: int):
        self.n_outputs = int(n_classes)

    def loss(self, eta, y):
        return logsumexp(eta, axis=1) - np.take_along_axis(eta, y[:, None], axis=1)[:, 0]

    def _probabilities(self, eta):
        return np.exp(eta - logsumexp(eta, axis=1, keepdims=True))

    def gradient(self, eta, y):
        p = self._probabilities(eta)
        p[np.arange(y.size), y] -= 1.0
        return p

    def hessian(self, eta, y):
        p = self._probabilities(eta)
        return p[:, :, None] * (np.eye(p.shape[1])[None] - p[:, None, :])

    def log_likelihood(self, eta, y):
        # eta has shape (..., n, K)
        chosen = np.take_along_axis(eta, np.broadcast_to(y[:, None], (*eta.shape[:-1], 1)), -1)
        return chosen[..., 0] - logsumexp(eta, axis=-1)


class Poisson(GLMFamily):
    """Poisson with log link: ``l(eta; y) = e^eta - y eta``, i.e. half the unit deviance
    ``d(y, mu) = 2 (y log(y / mu) - y + mu)`` up to a term in ``y`` only."""

    def loss(self, eta, y):
        eta = eta[:, 0]
        return np.exp(eta) - y * eta

    def gradient(self, eta, y):
        return (np.exp(eta[:, 0]) - y)[:, None]

    def hessian(self, eta, y):
        return np.exp(eta[:, 0])[:, None, None]

    def log_likelihood(self, eta, y):
        return xlogy(y, np.exp(eta)) - np.exp(eta) - gammaln(y + 1.0)


# -- result ------------------------------------------------------------------------------
class GLMResult(NamedTuple):
    """A GLM posterior mode with its certificate (the fields of :class:`bayesreg.MAPResult`).

    Attributes
    ----------
    coef : ndarray of shape (K, n_features)
    intercept : ndarray of shape (K,)
        Zeros without an intercept; summing to 0 for the multinomial family.
    certificate : Certificate
        ``objective`` is ``F``; ``duality_gap`` is NaN (not computed);
        ``kkt_violation`` is relative (see the module notes).
    n_iter : int
        Proximal Newton steps.
    solver : str
    convex : bool
    start_objectives : tuple
    """

    coef: np.ndarray
    intercept: np.ndarray
    certificate: Certificate
    n_iter: int
    solver: str
    convex: bool = True
    start_objectives: tuple = ()


# -- the compiled coordinate descent on a quadratic -------------------------------------
def _padded_size(m: int) -> int:
    return max(8, 1 << max(m - 1, 0).bit_length())


def _kkt_terms(theta, v, l1, l2, xp):
    """Per-coordinate ``dist(v_j, d h_j(theta_j))`` for ``h_j = l1_j |.| + l2_j (.)^2``."""
    at_zero = xp.maximum(xp.abs(v) - l1, 0.0)
    off_zero = xp.abs(v - l1 * xp.sign(theta) - 2.0 * l2 * theta)
    return xp.where(theta == 0, at_zero, off_zero)


@jax.jit
def _cd_quadratic(H, c, theta0, l1, l2, tol, max_epochs):
    """Minimise ``1/2 t'Ht - c't + sum_j l1_j |t_j| + l2_j t_j^2`` by cyclic CD.

    ``l1`` and ``l2`` are per-coordinate (0 for unpenalised coordinates); coordinates with
    ``H_jj = 0`` (padding) stay at 0.  Stops when the largest KKT violation is <= tol.
    """
    diag = jnp.diag(H)
    usable = diag > 0
    inv_diag = jnp.where(usable, 1.0 / jnp.where(usable, diag, 1.0), 0.0)

    def update(j, carry):
        t, Ht = carry
        z = t[j] + (c[j] - Ht[j]) * inv_diag[j]
        shrunk = jnp.sign(z) * jnp.maximum(jnp.abs(z) - l1[j] * inv_diag[j], 0.0)
        new = jnp.where(usable[j], shrunk / (1.0 + 2.0 * l2[j] * inv_diag[j]), 0.0)
        delta = new - t[j]
        Ht = jax.lax.cond(delta != 0, lambda: Ht + delta * H[j], lambda: Ht)
        return t.at[j].set(new), Ht

    def violation(t, Ht):
        return jnp.max(jnp.where(usable, _kkt_terms(t, c - Ht, l1, l2, jnp), 0.0))

    def epoch(state):
        t, Ht, n, _ = state
        t, Ht = jax.lax.fori_loop(0, t.shape[0], update, (t, Ht))
        return t, Ht, n + 1, violation(t, Ht)

    def not_done(state):
        return (state[3] > tol) & (state[2] < max_epochs)

    Ht0 = H @ theta0
    t, _, n, kkt = jax.lax.while_loop(not_done, epoch, (theta0, Ht0, 0, violation(theta0, Ht0)))
    return t, n, kkt


# -- the subproblem -----------------------------------------------------------------------
class _Quadratic(NamedTuple):
    """``1/2 t'Ht - c't + sum_j l1_j |t_j| + l2_j t_j^2`` with an optional null direction."""

    H: np.ndarray
    c: np.ndarray
    l1: np.ndarray
    l2: np.ndarray
    null: np.ndarray | None  # unit vector along which H and c vanish (or None)

    def violation(self, t):
        return float(np.max(_kkt_terms(t, self.c - self.H @ t, self.l1, self.l2, np), initial=0.0))

    def solve_on(self, support: np.ndarray, signs: np.ndarray) -> np.ndarray | None:
        """Solve the optimality conditions on ``support`` with the given signs (0: free)."""
        A = self.H[np.ix_(support, support)] + np.diag(2.0 * self.l2[support])
        rhs = self.c[support] - self.l1[support] * signs
        if self.null is not None:
            u = self.null[support]
            if np.any(u):
                A = A + np.outer(u, u) * max(float(np.max(np.abs(np.diag(A)), initial=1.0)), 1.0)
        try:
            factor = scipy.linalg.cho_factor(A, check_finite=False)
            out = scipy.linalg.cho_solve(factor, rhs, check_finite=False)
            # A singular A can still factor with tiny pivots; trust only a solution
            # whose residual is at rounding level.
            residual = np.max(np.abs(A @ out - rhs), initial=0.0)
            bound = 1e-10 * (np.max(np.abs(rhs), initial=0.0) + 1e-300)
            if np.all(np.isfinite(out)) and residual <= bound:
                return out
        except (scipy.linalg.LinAlgError, ValueError):
            pass
        out, *_ = scipy.linalg.lstsq(A, rhs, check_finite=False)
        return out if np.all(np.isfinite(out)) else None


def _solve_subproblem(q: _Quadratic, start: np.ndarray, tol: float, max_epochs: int):
    """The exact minimiser of the quadratic subproblem (and the CD epochs it took)."""
    m = start.size
    if not np.any(q.l1):
        free = np.arange(m)
        out = q.solve_on(free, np.zeros(m))
        return (start if out is None else out), 0
    size = _padded_size(m)

    def pad(a, shape):
        out = np.zeros(shape)
        out[tuple(slice(0, s) for s in a.shape)] = a
        return out

    t, n_epochs, _ = _cd_quadratic(
        jnp.asarray(pad(q.H, (size, size))),
        jnp.asarray(pad(q.c, (size,))),
        jnp.asarray(pad(start, (size,))),
        jnp.asarray(pad(q.l1, (size,))),
        jnp.asarray(pad(q.l2, (size,))),
        float(tol),
        int(max_epochs),
    )
    t = np.asarray(t, dtype=np.float64)[:m]
    # Polish: on the support (penalised non-zeros and all unpenalised coordinates) the
    # optimality conditions are the linear system (H_SS + 2 diag(l2_S)) t_S = c_S - l1_S s_S.
    penalised = q.l1 > 0
    support = np.flatnonzero((t != 0) | ~penalised)
    signs = np.where(penalised[support], np.sign(t[support]), 0.0)
    if support.size:
        u = q.solve_on(support, signs)
        if u is not None:
            keeps_signs = np.all((np.sign(u) == signs) | (signs == 0))
            if keeps_signs:
                polished = np.zeros(m)
                polished[support] = u
                if q.violation(polished) <= q.violation(t):
                    t = polished
    return t, int(n_epochs)


# -- the outer loop -----------------------------------------------------------------------
def _design(X: np.ndarray, fit_intercept: bool) -> np.ndarray:
    return np.hstack([X, np.ones((X.shape[0], 1))]) if fit_intercept else X


def _hessian(X1: np.ndarray, M: np.ndarray) -> np.ndarray:
    """``sum_i M_i (x) x_i x_i'`` ordered as ``theta.ravel()`` with theta of shape (K, P)."""
    P = X1.shape[1]
    K = M.shape[1]
    H = np.empty((K, P, K, P))
    for k in range(K):
        for ll in range(k, K):
            block = X1.T @ (M[:, k, ll][:, None] * X1)
            H[k, :, ll, :] = block
            if ll != k:
                H[ll, :, k, :] = block.T
    return H.reshape(K * P, K * P)


def solve_glm_map(
    X: np.ndarray,
    y: np.ndarray,
    family: GLMFamily,
    prior,
    *,
    sample_weight: np.ndarray | None = None,
    fit_intercept: bool = True,
    tol: float = 1e-4,
    max_iter: int = 100,
    coef0: np.ndarray | None = None,
    intercept0: np.ndarray | None = None,
    max_epochs: int = 100_000,
) -> GLMResult:
    """The posterior mode of a GLM under an elastic-net-family prior, to rounding.

    Minimises ``F(W, b) = sum_i s_i l(W x_i + b; y_i) + l1 ||W||_1 + l2 ||W||_F^2`` (the
    module notes), where ``l1``, ``l2`` are the rates of ``prior`` (``prior.l1``,
    ``prior.l2``) and ``b`` is unpenalised.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        In the family's encoding.
    family : GLMFamily
    prior : ElasticNetFamily
        Flat, Gaussian, Laplace or ElasticNetPrior.
    sample_weight : ndarray of shape (n_samples,) or None
    fit_intercept : bool
    tol : float
        Only the certificate's ``tol``: the iterations go on until the relative KKT
        violation is at rounding level (1e-13) or stops decreasing.
    max_iter : int
        Most proximal Newton steps.
    coef0, intercept0 : ndarray or None
        Warm start, shapes (K, n_features) and (K,).
    max_epochs : int
        Most coordinate-descent epochs per subproblem.

    Returns
    -------
    GLMResult
    """
    X = np.asarray(X, dtype=np.float64)
    n, p = X.shape
    K = family.n_outputs
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    X1 = _design(X, fit_intercept)
    P = X1.shape[1]
    l1_rate, l2_rate = (float(r[0]) for r in prior.rates(1))
    penalised = np.zeros((K, P))
    penalised[:, :p] = 1.0
    l1 = (l1_rate * penalised).ravel()
    l2 = (l2_rate * penalised).ravel()
    null = None
    if K > 1 and fit_intercept:
        null_m = np.zeros((K, P))
        null_m[:, p] = 1.0 / math.sqrt(K)
        null = null_m.ravel()

    theta = np.zeros((K, P))
    if coef0 is not None:
        theta[:, :p] = coef0
        if fit_intercept and intercept0 is not None:
            theta[:, p] = intercept0
    elif fit_intercept and isinstance(family, Poisson):
        mean_y = float(s @ y / s.sum())
        theta[:, p] = math.log(mean_y) if mean_y > 0 else 0.0

    def objective(t):
        eta = X1 @ t.T
        data = float(s @ family.loss(eta, y))
        W = t[:, :p]
        return data + l1_rate * float(np.abs(W).sum()) + l2_rate * float((W * W).sum())

    def data_gradient(t):
        eta = X1 @ t.T
        return (family.gradient(eta, y) * s[:, None]).T @ X1, eta  # (K, P)

    g0, _ = data_gradient(np.zeros((K, P)))
    scale = max(float(np.max(np.abs(g0))), np.finfo(float).tiny)

    def relative_kkt(t, g):
        return float(np.max(_kkt_terms(t.ravel(), -g.ravel(), l1, l2, np), initial=0.0)) / scale

    F = objective(theta)
    g, eta = data_gradient(theta)
    kkt = relative_kkt(theta, g)
    n_iter = 0
    while n_iter < max_iter and kkt > _KKT_TARGET and np.isfinite(F):
        M = family.hessian(eta, y) * s[:, None, None]
        H = _hessian(X1, M)
        flat = theta.ravel()
        q = _Quadratic(H, H @ flat - g.ravel(), l1, l2, null)
        inner_tol = max(1e-3 * kkt, 1e-3 * _KKT_TARGET) * scale
        new, _ = _solve_subproblem(q, flat, inner_tol, max_epochs)
        step = (new - flat).reshape(K, P)
        W, D = theta[:, :p], step[:, :p]
        # P(W + D) - P(W) written so that it is accurate for a tiny step D.
        pen_change = l1_rate * np.sum(np.abs(W + D) - np.abs(W)) + l2_rate * np.sum(D * (2 * W + D))
        # Delta < 0 in exact arithmetic unless theta is optimal; a rounding-sized
        # positive value leaves the decision to the KKT fallback below.
        delta = min(float(np.sum(g * step) + pen_change), 0.0)
        n_iter += 1
        if not np.any(step):
            break
        t_step, accepted = 1.0, False
        for _ in range(_MAX_HALVINGS):
            candidate = theta + t_step * step
            F_candidate = objective(candidate)
            if F_candidate <= F + _ARMIJO * t_step * delta:
                accepted = True
                break
            if F_candidate - F <= _F_ROUNDING * max(1.0, abs(F)):
                # Near the optimum the decrease sinks below the rounding of F; then the
                # KKT violation, first order in the distance to the optimum, decides.
                g_new, eta_new = data_gradient(candidate)
                kkt_new = relative_kkt(candidate, g_new)
                if kkt_new < kkt:
                    accepted = True
                    break
            t_step *= 0.5
        if not accepted:
            break  # neither F nor the KKT violation can decrease any more in float64
        g_new, eta_new = data_gradient(candidate)
        kkt_new = relative_kkt(candidate, g_new)
        theta, F, g, eta, kkt = candidate, F_candidate, g_new, eta_new, kkt_new

    if null is not None:
        theta[:, p] -= theta[:, p].mean()
        g, eta = data_gradient(theta)
        kkt = relative_kkt(theta, g)
        F = objective(theta)
    cert = Certificate(
        objective=float(F),
        duality_gap=float("nan"),
        relative_gap=float("nan"),
        kkt_violation=float(kkt),
        tol=float(tol),
    )
    intercept = theta[:, p].copy() if fit_intercept else np.zeros(K)
    return GLMResult(theta[:, :p].copy(), intercept, cert, n_iter, "proximal-newton")
