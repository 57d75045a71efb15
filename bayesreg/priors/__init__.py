"""Priors on regression weights; a penalty is the negative log of a prior.

* :mod:`~bayesreg.priors.base`: the :class:`Prior` interface;
* :mod:`~bayesreg.priors.elastic_net`: flat, Gaussian (ridge), Laplace (lasso) and
  elastic net, whose MAP is solved exactly.
"""

from bayesreg.priors.base import NoFiniteModeError, Prior
from bayesreg.priors.elastic_net import (
    ElasticNetDistribution,
    ElasticNetFamily,
    ElasticNetPrior,
    Flat,
    Gaussian,
    Laplace,
)

__all__ = [
    "ElasticNetDistribution",
    "ElasticNetFamily",
    "ElasticNetPrior",
    "Flat",
    "Gaussian",
    "Laplace",
    "NoFiniteModeError",
    "Prior",
]
