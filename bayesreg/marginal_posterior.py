"""The exact marginal posterior density of the weights of a linear model.

The model that :meth:`bayesreg.Lasso.sample_posterior` (and Ridge, ElasticNet) samples:
``y_i ~ N(b + x_i'w, sigma^2)``, a flat prior on ``b``, the noise-scaled prior
``p(w | sigma)`` and Jeffreys' ``p(sigma) ∝ 1 / sigma``.  Integrating ``b`` and ``sigma``
out leaves ``p(w | y)`` in closed form for the Laplace, Gaussian and flat priors, and as
a one-dimensional integral over ``log sigma`` for any prior with a density.  Used to draw
the posterior in the plane of two weights (:func:`bayesreg.plotting.plot_posterior_plane`)
without sampling.
"""

from __future__ import annotations

import math
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln

from bayesreg.model import RegressionData
from bayesreg.priors import Flat, Gaussian, Laplace, Prior

__all__ = ["closed_form_rate", "coef_marginal_log_density"]

_QUADRATURE_NODES = 101
_CHUNK = 4096  # grid points per compiled quadrature call (one compiled shape)


def closed_form_rate(prior: Prior) -> tuple[int, float] | None:
    """``(k, log C)`` with ``p(w_j | sigma) = C^{1/p} sigma^{-k} exp(-P_1(w_j) / sigma^2)``.

    Laplace(s): ``(2 s sigma^2)^{-1} exp(-|w| / (s sigma^2))``: ``k = 2``,
    ``log C = -p log(2 s)``.  Gaussian(tau): ``(2 pi tau^2 sigma^2)^{-1/2}
    exp(-w^2 / (2 tau^2 sigma^2))``: ``k = 1``, ``log C = -(p / 2) log(2 pi tau^2)``.
    Flat: ``k = 0``, ``C = 1``.  None for other priors (no closed form).
    """
    if isinstance(prior, Laplace):
        return 2, -math.log(2.0 * float(prior.scale))
    if isinstance(prior, Gaussian):
        return 1, -0.5 * math.log(2.0 * math.pi * float(prior.scale) ** 2)
    if isinstance(prior, Flat):
        return 0, 0.0
    return None


def _residual_sum_of_squares(data: RegressionData, coef: np.ndarray) -> np.ndarray:
    """``||y~ - X~ w||^2`` for every row of ``coef``, from the Gram matrix.

    ``RSS(w) = RSS(w_0) + (w - w_0)' X~'X~ (w - w_0)`` exactly for a least-squares
    solution ``w_0`` (``X~'(y~ - X~ w_0) = 0``), which avoids the cancellation of
    ``y~'y~ - 2 w'X~'y~ + w'X~'X~ w`` and an (n_points, n_samples) residual array.
    """
    X_t, y_t = data.centered()
    w0 = np.linalg.lstsq(X_t, y_t, rcond=None)[0]
    r0 = y_t - X_t @ w0
    offset = coef - w0
    quad = np.einsum("...i,ij,...j->...", offset, X_t.T @ X_t, offset)
    return float(r0 @ r0) + np.maximum(quad, 0.0)


def _unit_penalty(prior: Prior, coef: np.ndarray) -> np.ndarray:
    """``P_1(w) = -sum_j log p_1(w_j)`` up to a constant, for every row of ``coef``."""
    if hasattr(prior, "rates"):
        l1, l2 = prior.rates(coef.shape[-1])
        return np.abs(coef) @ l1 + (coef * coef) @ l2
    log_prob = jax.vmap(lambda w: prior.distribution().log_prob(w).sum())
    flat = coef.reshape(-1, coef.shape[-1])
    return -np.asarray(log_prob(jnp.asarray(flat))).reshape(coef.shape[:-1])


@jax.jit
def _log_trapezoid(prior, coef, rss, dof, log_sigma, log_weights):
    """``log sum_k weight_k f(w, u_k)`` at nodes ``u_k = log sigma`` (see the Notes).

    Shapes: ``coef`` (m, p), ``rss`` (m,), ``log_sigma`` (m, K), ``log_weights`` (K,).
    """
    sigma = jnp.exp(log_sigma)[..., None]
    log_prior = prior.scaled_by_noise(sigma).distribution().log_prob(coef[:, None, :])
    log_f = (
        -dof * log_sigma
        - 0.5 * rss[:, None] * jnp.exp(-2.0 * log_sigma)
        + jnp.sum(log_prior, axis=-1)
    )
    return jax.scipy.special.logsumexp(log_f + log_weights, axis=-1)


def coef_marginal_log_density(
    data: RegressionData,
    prior: Prior,
    coef: ArrayLike,
    *,
    method: Literal["auto", "closed-form", "quadrature"] = "auto",
    n_nodes: int = _QUADRATURE_NODES,
) -> np.ndarray:
    r"""Log marginal posterior density of the weights, intercept and noise integrated out.

    The model is the one :meth:`bayesreg.Ridge.sample_posterior` samples (Jeffreys'
    noise prior): ``y_i ~ N(b + x_i'w, sigma^2 / s_i)``, a flat prior on ``b``, the
    noise-scaled prior ``p(w | sigma)`` (``prior.scaled_by_noise(sigma)``) and
    ``p(sigma) propto 1 / sigma``.

    Parameters
    ----------
    data : bayesreg.model.RegressionData
        The data (``estimator._validated_data(X, y, sample_weight, reset=False)``).
    prior : bayesreg.Prior
        The prior at unit noise, ``P_1`` (``estimator._prior(data)``), with a density
        (``distribution()``) and ``scaled_by_noise``.
    coef : array-like of shape (..., n_features)
        Where to evaluate the density.
    method : {"auto", "closed-form", "quadrature"}, default "auto"
        ``"closed-form"`` needs a Laplace, Gaussian or flat prior; ``"auto"`` uses it
        when it applies and the quadrature otherwise.
    n_nodes : int, default 101
        Quadrature nodes in ``log sigma``.

    Returns
    -------
    ndarray of shape coef.shape[:-1]
        ``log p(w | y)`` up to one additive constant, the same for both methods:
        ``log int sigma^{-n'} exp(-RSS(w) / 2 sigma^2) p(w | sigma) p(sigma) dsigma``.

    Notes
    -----
    Let ``n'`` be the number of observations with positive weight, less one with an
    intercept.  Integrating the flat-prior intercept out of the Gaussian likelihood
    (``b = b_c - xbar'w``, a Gaussian integral in ``b_c`` worth ``sqrt(2 pi) sigma /
    sqrt(sum s_i)``) leaves ``sigma^{-n'} exp(-RSS(w) / 2 sigma^2)`` with
    ``RSS(w) = ||y~ - X~ w||^2`` on the centred, weighted data.  Then

    ``p(w | y) propto int_0^inf sigma^{-n'} exp(-RSS(w) / 2 sigma^2) p(w | sigma)
    sigma^{-1} dsigma``.

    **Closed form.**  For the Laplace, Gaussian and flat priors
    ``p(w | sigma) = C sigma^{-k p} exp(-P_1(w) / sigma^2)`` with ``k = 2`` (Laplace:
    ``prod_j exp(-|w_j| / (s sigma^2)) / (2 s sigma^2)``), ``k = 1`` (Gaussian: the
    variance ``tau^2 sigma^2``) and ``k = 0`` (flat).  With ``Q(w) = RSS(w) / 2 +
    P_1(w)`` and ``m = n' + k p``, the substitution ``v = Q / sigma^2`` gives

    ``int_0^inf sigma^{-m-1} exp(-Q / sigma^2) dsigma = Gamma(m / 2) Q^{-m/2} / 2``,

    so ``p(w | y) propto Q(w)^{-(n' + k p) / 2}``.  ``Q`` is ``1 / scale`` times
    scikit-learn's objective ``J`` (``scale = 1/n`` for the lasso, ``2`` for ridge), so
    the posterior is a power of the penalized objective and its mode is the MAP.  For
    ridge this is the multivariate t with ``n'`` degrees of freedom of the conjugate
    model.

    **Quadrature.**  For any prior with a density, with ``u = log sigma`` (Jeffreys'
    ``dsigma / sigma = du``) the integrand is
    ``f(w, u) = exp(-n' u - RSS(w) e^{-2u} / 2) p(w | e^u)``, evaluated with
    ``prior.scaled_by_noise(e^u).distribution().log_prob``.  As a function of ``u`` it
    peaks near ``u* = log(2 Q(w) / n') / 2`` with width about ``1 / sqrt(2 n')``; the
    trapezoid rule on ``n_nodes`` equispaced nodes over
    ``[u* - 12 / sqrt(2 n'), u* + max(12 / sqrt(2 n'), 50 / n')]`` (the right tail
    decays like ``e^{-n' u}``) converges geometrically for this smooth, rapidly
    decaying integrand.
    """
    coef = np.asarray(coef, dtype=np.float64)
    if coef.ndim < 1 or coef.shape[-1] != data.n_features:
        raise ValueError(
            f"coef must have shape (..., {data.n_features}), one weight per feature; got "
            f"{coef.shape}."
        )
    if method not in ("auto", "closed-form", "quadrature"):
        raise ValueError(f"method must be 'auto', 'closed-form' or 'quadrature', got {method!r}.")
    dof = data.n_residual_dof
    if dof < 1:
        raise ValueError(
            "the posterior needs at least 2 observations with positive weight when "
            "fit_intercept=True (1 otherwise)."
        )
    rss = _residual_sum_of_squares(data, coef)
    closed = closed_form_rate(prior)
    if method == "closed-form" and closed is None:
        raise ValueError(
            f"the {prior.name} prior has no closed form here: use method='quadrature'."
        )
    p = data.n_features
    q = 0.5 * rss + _unit_penalty(prior, coef)
    if closed is not None and method != "quadrature":
        k, log_c = closed
        m = dof + k * p
        return p * log_c + math.log(0.5) + gammaln(0.5 * m) - 0.5 * m * np.log(q)

    if not isinstance(n_nodes, (int, np.integer)) or isinstance(n_nodes, bool) or n_nodes < 3:
        raise ValueError(f"n_nodes must be an integer >= 3, got {n_nodes!r}.")
    width = 1.0 / math.sqrt(2.0 * dof)
    z = np.linspace(-12.0 * width, max(12.0 * width, 50.0 / dof), int(n_nodes))
    h = z[1] - z[0]
    log_weights = np.full(z.shape, math.log(h))
    log_weights[[0, -1]] = math.log(0.5 * h)

    flat_coef = coef.reshape(-1, p)
    flat_rss = rss.reshape(-1)
    centre = 0.5 * np.log(2.0 * q.reshape(-1) / dof)
    out = np.empty(flat_coef.shape[0])
    for start in range(0, flat_coef.shape[0], _CHUNK):
        stop = min(start + _CHUNK, flat_coef.shape[0])
        size = stop - start
        # Pad to one chunk shape so that the compiled function is reused.
        pad = _CHUNK - size
        chunk_coef = np.pad(flat_coef[start:stop], ((0, pad), (0, 0)), mode="edge")
        chunk_rss = np.pad(flat_rss[start:stop], (0, pad), mode="edge")
        chunk_centre = np.pad(centre[start:stop], (0, pad), mode="edge")
        values = _log_trapezoid(
            prior,
            jnp.asarray(chunk_coef),
            jnp.asarray(chunk_rss),
            jnp.asarray(float(dof)),
            jnp.asarray(chunk_centre[:, None] + z[None, :]),
            jnp.asarray(log_weights),
        )
        out[start:stop] = np.asarray(values)[:size]
    return out.reshape(coef.shape[:-1])
