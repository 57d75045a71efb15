"""Predictive model comparison from the pointwise log likelihood: LOO and WAIC.

Both estimate the expected log pointwise predictive density of new data,
``elpd = sum_i log p(y_i~ | y)``, from the ``log_likelihood`` group of a posterior
DataTree, ``l_is = log p(y_i | theta_s)`` over draws ``s = 1..S``:

* PSIS-LOO (Vehtari, Gelman & Gabry, 2017): arviz's :func:`arviz.loo`;
* WAIC (Watanabe, 2010): ``elpd_waic = sum_i (lppd_i - p_i)`` with
  ``lppd_i = log (1/S) sum_s exp(l_is)`` and the effective number of parameters
  ``p_i = Var_s(l_is)``.  arviz 1.x no longer offers WAIC, so it is computed here; its
  standard error is ``sqrt(n Var_i(elpd_i))``.

References
----------
.. [1] A. Vehtari, A. Gelman and J. Gabry, "Practical Bayesian model evaluation using
   leave-one-out cross-validation and WAIC", Statistics and Computing 27, 2017.
.. [2] S. Watanabe, "Asymptotic equivalence of Bayes cross validation and widely
   applicable information criterion", JMLR 11, 2010.
"""

from __future__ import annotations

from typing import NamedTuple

import arviz as az
import numpy as np
import xarray as xr
from scipy.special import logsumexp

__all__ = ["WAIC", "loo", "waic"]


class WAIC(NamedTuple):
    """The widely applicable information criterion on the log scale.

    Attributes
    ----------
    elpd : float
        ``elpd_waic``, larger is better.
    se : float
        Its standard error.
    p_waic : float
        Effective number of parameters.
    pointwise : ndarray of shape (n_observations,)
        ``elpd_i``.
    """

    elpd: float
    se: float
    p_waic: float
    pointwise: np.ndarray


def _pointwise_log_likelihood(tree: xr.DataTree, var_name: str) -> np.ndarray:
    if "log_likelihood" not in tree.children:
        raise ValueError("the posterior has no log_likelihood group: sample it with bayesreg.")
    values = tree["log_likelihood"][var_name].values
    return values.reshape(-1, values.shape[-1]) if values.ndim > 1 else values[:, None]


def waic(tree: xr.DataTree, var_name: str = "y") -> WAIC:
    """WAIC of a posterior DataTree with a ``log_likelihood`` group (see the module notes)."""
    log_lik = _pointwise_log_likelihood(tree, var_name)
    n_draws = log_lik.shape[0]
    lppd = logsumexp(log_lik, axis=0) - np.log(n_draws)
    p_waic = np.var(log_lik, axis=0, ddof=1)
    pointwise = lppd - p_waic
    se = float(np.sqrt(pointwise.size * np.var(pointwise)))
    return WAIC(float(pointwise.sum()), se, float(p_waic.sum()), pointwise)


def loo(tree: xr.DataTree, **kwargs):
    """PSIS-LOO of a posterior DataTree: :func:`arviz.loo` with ``pointwise=True``."""
    kwargs.setdefault("pointwise", True)
    return az.loo(tree, **kwargs)
