"""A network's penalised training objective is its negative log posterior.

With a Gaussian likelihood of noise ``sigma``, a prior ``p(w | sigma) propto
exp(-P_1(w) / sigma^2)`` on the weights (the noise-scaled form of
:meth:`bayesreg.Prior.scaled_by_noise`) and flat biases, the negative log posterior is

``-log p(theta | y, sigma) = F(theta) / sigma^2 + const``,
``F(theta) = 1/2 sum_i s_i (y_i - f(x_i; theta))^2 + P_1(w)``,

so its mode in ``theta`` does not depend on ``sigma``: it is the minimiser of ``F``,
the objective :func:`network_objective` computes.  ``alpha`` below is the rate of
the penalty in ``F``:

==================  ================================  ==============================
penalty             ``P_1(w)``                        prior of one weight given sigma
==================  ================================  ==============================
``"l2"``            ``alpha / 2 * sum w^2``           ``N(0, tau^2)``, ``tau = sigma / sqrt(alpha)``
``"l1"``            ``alpha * sum |w|``               ``Laplace(0, s)``, ``s = sigma^2 / alpha``
==================  ================================  ==============================

Other writings of the same objective (``n`` observations, unit weights):

* scikit-learn's ``MLPRegressor(alpha)``: ``1/(2n) sum r^2 + alpha/(2n) sum w^2 = F / n``
  with the ``"l2"`` penalty and the same ``alpha``;
* "mean squared error + lambda * R(w)" (Keras' ``l2(lambda)`` and ``l1(lambda)``
  regularisers): ``(2/n) F`` with ``alpha = n lambda`` for ``R = sum w^2`` and
  ``alpha = n lambda / 2`` for ``R = sum |w|`` (:func:`alpha_from_mse_penalty`);
* PyTorch's ``weight_decay = d`` with the mean squared error: ``lambda = d / 2``.

So ``lambda = sigma^2 / (n tau^2)`` for the Gaussian prior and ``lambda = 2 sigma^2 /
(n s)`` for the Laplace prior (:func:`prior_scale`): weight decay is a prior whose
width is set by the noise.
"""

from __future__ import annotations

import math
from typing import Literal

import jax
import jax.numpy as jnp

from bayesreg.nn.architecture import Architecture
from bayesreg.priors import Flat, Gaussian, Laplace, Prior
from bayesreg.priors.base import check_positive

__all__ = [
    "Penalty",
    "alpha_from_mse_penalty",
    "network_objective",
    "penalty_prior",
    "prior_scale",
    "smooth_part",
    "weight_penalty",
]

Penalty = Literal["l2", "l1"]


def _check_penalty(penalty) -> None:
    if penalty not in ("l2", "l1"):
        raise ValueError(
            f'penalty must be "l2" (weight decay, a Gaussian prior) or "l1" (a Laplace '
            f"prior), got {penalty!r}."
        )


def penalty_prior(penalty: Penalty, alpha: float) -> Prior:
    """The prior at unit noise whose penalty is ``alpha/2 sum w^2`` or ``alpha sum |w|``.

    ``Gaussian(1 / sqrt(alpha))`` for ``"l2"``, ``Laplace(1 / alpha)`` for ``"l1"`` and
    :class:`~bayesreg.Flat` for ``alpha = 0``.  Given the noise ``sigma`` (the
    noise-scaled form) these are ``Gaussian(sigma / sqrt(alpha))`` and
    ``Laplace(sigma^2 / alpha)``.

    Examples
    --------
    >>> penalty_prior("l2", 4.0)
    Gaussian(scale=0.5)
    >>> penalty_prior("l1", 4.0).scaled_by_noise(0.5)
    Laplace(scale=0.0625)
    """
    _check_penalty(penalty)
    check_positive("alpha", alpha, allow_zero=True)
    if alpha == 0:
        return Flat()
    if penalty == "l2":
        return Gaussian(1.0 / math.sqrt(float(alpha)))
    return Laplace(1.0 / float(alpha))


def alpha_from_mse_penalty(penalty: Penalty, lam: float, n_samples: int) -> float:
    """The ``alpha`` of "mean squared error + ``lam`` * R(w)" on ``n_samples`` observations.

    ``alpha = n lam`` for ``R = sum w^2`` (``"l2"``) and ``alpha = n lam / 2`` for
    ``R = sum |w|`` (``"l1"``): multiplying ``(1/n) sum r^2 + lam R(w)`` by ``n / 2``
    gives ``F``.

    Examples
    --------
    >>> alpha_from_mse_penalty("l2", 0.01, 80), alpha_from_mse_penalty("l1", 0.01, 80)
    (0.8, 0.4)
    """
    _check_penalty(penalty)
    check_positive("lam", lam, allow_zero=True)
    check_positive("n_samples", n_samples)
    factor = 1.0 if penalty == "l2" else 0.5
    return factor * float(n_samples) * float(lam)


def prior_scale(penalty: Penalty, lam: float, n_samples: int, noise_scale: float) -> float:
    """The scale of the weights' prior given ``sigma`` for "MSE + ``lam`` * R(w)".

    ``tau = sigma / sqrt(n lam)`` (Gaussian, ``"l2"``) or ``s = 2 sigma^2 / (n lam)``
    (Laplace, ``"l1"``): the prior under which the posterior mode is the penalised fit.

    Examples
    --------
    >>> round(prior_scale("l2", 0.01, 80, noise_scale=0.1), 6)
    0.111803
    """
    check_positive("noise_scale", noise_scale, squared=True)
    check_positive("lam", lam)
    alpha = alpha_from_mse_penalty(penalty, lam, n_samples)
    return penalty_prior(penalty, alpha).scaled_by_noise(float(noise_scale)).scale


def smooth_part(architecture: Architecture, data, theta) -> jax.Array:
    """``g(theta) = 1/2 sum_i s_i (y_i - f(x_i; theta))^2 + kappa/2 ||b_hidden||^2``.

    ``data`` is ``(X, y, s, kappa)``.
    """
    X, y, s, bias_penalty = data
    residual = y - architecture.forward(architecture.unravel(theta), X)
    hidden_bias = jnp.asarray(architecture.hidden_bias_mask(), dtype=theta.dtype)
    fit = 0.5 * jnp.sum(s * residual * residual)
    return fit + 0.5 * bias_penalty * jnp.sum(hidden_bias * theta * theta)


def weight_penalty(architecture: Architecture, prior: Prior, theta) -> jax.Array:
    """``P_1(w)``: the prior's penalty of the weights in ``theta``."""
    return prior.penalty(theta[architecture.weight_mask()])


def network_objective(architecture: Architecture, prior: Prior, data, theta) -> jax.Array:
    """``F(theta) = g(theta) + P_1(w)``, the objective the MAP minimises.

    ``F(theta) = 1/2 sum_i s_i (y_i - f(x_i; theta))^2 + P_1(w)
    + kappa / 2 * sum(hidden biases^2)`` with ``data = (X, y, s, kappa)`` (``kappa = 0``:
    flat hidden biases).
    """
    return smooth_part(architecture, data, theta) + weight_penalty(architecture, prior, theta)
