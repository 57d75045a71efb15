"""bayesreg: a penalty is a prior, and a penalized fit is a posterior mode.

Precision.  Importing bayesreg switches JAX to float64 (``jax_enable_x64``), once and
for the whole process: scikit-learn works in float64, exact MAP needs it, and numpyro
breaks if the switch changes after a sampler has run.  Set the environment variable
``BAYESREG_X64=0`` before the first import to keep JAX's float32 default (sampling then
runs in float32; the MAP polish and certificates still run in float64 numpy).
"""

import os

import jax

from bayesreg._compat import bind_numpyro_submodules

if os.environ.get("BAYESREG_X64", "1") != "0":
    jax.config.update("jax_enable_x64", True)
bind_numpyro_submodules()

# ruff: noqa: E402 - the precision switch above must come before anything imports JAX code
from bayesreg import _compilation_cache  # noqa: F401 - switches JAX's disk cache on
from bayesreg.empirical_bayes import BayesianRidge
from bayesreg.estimators import ElasticNet, Lasso, Ridge
from bayesreg.glm import LogisticRegression, PoissonRegressor
from bayesreg.linear_regression import LinearRegression
from bayesreg.model_selection import ElasticNetCV, LassoCV, RidgeCV
from bayesreg.nn import MLPRegressor
from bayesreg.path import RegularizationPath, enet_path, lasso_path, regularization_path
from bayesreg.persistence import load, save
from bayesreg.priors import (
    BayesianLasso,
    Bridge,
    Cauchy,
    ElasticNetPrior,
    Flat,
    Gaussian,
    HierarchicalElasticNet,
    HierarchicalLasso,
    HierarchicalRidge,
    Horseshoe,
    Laplace,
    NoFiniteModeError,
    PenaltyFactor,
    Prior,
    RegularizedHorseshoe,
    StudentT,
)
from bayesreg.solvers import Certificate, MAPResult, solve_map

__version__ = "0.2.0"

__all__ = [
    "BayesianLasso",
    "BayesianRidge",
    "Bridge",
    "Cauchy",
    "Certificate",
    "ElasticNet",
    "ElasticNetCV",
    "ElasticNetPrior",
    "Flat",
    "Gaussian",
    "HierarchicalElasticNet",
    "HierarchicalLasso",
    "HierarchicalRidge",
    "Horseshoe",
    "Laplace",
    "Lasso",
    "LassoCV",
    "LinearRegression",
    "LogisticRegression",
    "MAPResult",
    "MLPRegressor",
    "NoFiniteModeError",
    "PenaltyFactor",
    "PoissonRegressor",
    "Prior",
    "RegularizationPath",
    "RegularizedHorseshoe",
    "Ridge",
    "RidgeCV",
    "StudentT",
    "__version__",
    "enet_path",
    "lasso_path",
    "load",
    "regularization_path",
    "save",
    "solve_map",
]
