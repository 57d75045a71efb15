"""Neural networks whose weights have a bayesreg prior: weight decay is a MAP.

* :mod:`bayesreg.nn.architecture`: the multilayer perceptron, its parameters and
  symmetries;
* :mod:`bayesreg.nn.objective`: the penalised training objective as a negative log
  posterior, and the conversions between penalties and priors;
* :mod:`bayesreg.nn.map`: the MAP, solved to rounding level with a certificate;
* :mod:`bayesreg.nn.posterior`: NUTS on the network's posterior, and its predictions;
* :mod:`bayesreg.nn.estimator`: :class:`MLPRegressor`, the scikit-learn estimator.
"""

from bayesreg.nn.architecture import Architecture, Parameters, canonical_parameters
from bayesreg.nn.estimator import MLPRegressor
from bayesreg.nn.map import NetworkMAP, solve_network_map
from bayesreg.nn.objective import alpha_from_mse_penalty, penalty_prior, prior_scale
from bayesreg.nn.posterior import canonical_posterior, predictive_draws

__all__ = [
    "Architecture",
    "MLPRegressor",
    "NetworkMAP",
    "Parameters",
    "alpha_from_mse_penalty",
    "canonical_parameters",
    "canonical_posterior",
    "penalty_prior",
    "predictive_draws",
    "prior_scale",
    "solve_network_map",
]
