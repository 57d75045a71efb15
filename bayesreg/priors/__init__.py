"""Priors on regression weights; a penalty is the negative log of a prior.

* :mod:`~bayesreg.priors.base`: the :class:`Prior` interface;
* :mod:`~bayesreg.priors.elastic_net`: flat, Gaussian (ridge), Laplace (lasso) and
  elastic net, whose MAP is solved exactly, and per-feature penalty factors;
* :mod:`~bayesreg.priors.adapters`: any numpyro distribution as a prior;
* :mod:`~bayesreg.priors.bridge`: the bridge (``L_p``) penalty and its generalized
  Gaussian prior, with an exact proximal operator (global also for ``p < 1``);
* :mod:`~bayesreg.priors.heavy_tailed`: Student-t and Cauchy (smooth, non-convex);
* :mod:`~bayesreg.priors.shrinkage`: the horseshoe and the regularized horseshoe
  (no finite mode: for sampling only);
* :mod:`~bayesreg.priors.hierarchical`: the Bayesian lasso and ridge / lasso /
  elastic-net priors with a hyperprior on ``alpha`` (for sampling only);
* :mod:`~bayesreg.priors.marginal`: the exact density of one weight under a prior, the
  horseshoe's by quadrature.
"""

from bayesreg.priors.base import NoFiniteModeError, Prior
from bayesreg.priors.bridge import Bridge, GeneralizedNormal
from bayesreg.priors.elastic_net import (
    ElasticNetDistribution,
    ElasticNetFamily,
    ElasticNetPrior,
    Flat,
    Gaussian,
    Laplace,
    PenaltyFactor,
)
from bayesreg.priors.heavy_tailed import Cauchy, StudentT
from bayesreg.priors.hierarchical import (
    BayesianLasso,
    HierarchicalElasticNet,
    HierarchicalLasso,
    HierarchicalRidge,
)
from bayesreg.priors.marginal import horseshoe_conditional_log_density, prior_log_density
from bayesreg.priors.shrinkage import Horseshoe, RegularizedHorseshoe

__all__ = [
    "BayesianLasso",
    "Bridge",
    "Cauchy",
    "ElasticNetDistribution",
    "ElasticNetFamily",
    "ElasticNetPrior",
    "Flat",
    "Gaussian",
    "GeneralizedNormal",
    "HierarchicalElasticNet",
    "HierarchicalLasso",
    "HierarchicalRidge",
    "Horseshoe",
    "Laplace",
    "NoFiniteModeError",
    "PenaltyFactor",
    "Prior",
    "RegularizedHorseshoe",
    "StudentT",
    "horseshoe_conditional_log_density",
    "prior_log_density",
]
