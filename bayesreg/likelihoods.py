"""Likelihoods: the data term the MAP solvers minimise and the pointwise log density.

Only the Gaussian likelihood exists so far.  With observation weights ``s_i``,

``log p(y_i | mu_i, sigma) = -1/2 log(2 pi) - log sigma + 1/2 log s_i
- s_i (y_i - mu_i)^2 / (2 sigma^2)``,

i.e. ``y_i ~ N(mu_i, sigma^2 / s_i)``; its negative log likelihood in ``mu`` is the
weighted least-squares data term ``(1 / 2 sigma^2) sum_i s_i (y_i - mu_i)^2``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["gaussian_log_likelihood"]


def gaussian_log_likelihood(y, mean, sigma, weight) -> np.ndarray:
    """Pointwise ``log N(y_i | mean_i, sigma^2 / weight_i)``, broadcast over leading draw axes.

    Parameters
    ----------
    y, weight : ndarray of shape (n,)
    mean : ndarray of shape (..., n)
    sigma : ndarray of shape (...)

    Returns
    -------
    ndarray of shape (..., n)
    """
    sigma = np.asarray(sigma)[..., None]
    z2 = weight * (y - mean) ** 2 / sigma**2
    return -0.5 * np.log(2.0 * np.pi) - np.log(sigma) + 0.5 * np.log(weight) - 0.5 * z2
