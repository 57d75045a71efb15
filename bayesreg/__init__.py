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

from bayesreg.estimators import ElasticNet, Lasso, Ridge  # noqa: E402
from bayesreg.priors import ElasticNetPrior, Flat, Gaussian, Laplace, Prior  # noqa: E402
from bayesreg.solvers import Certificate, MAPResult, solve_map  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "Certificate",
    "ElasticNet",
    "ElasticNetPrior",
    "Flat",
    "Gaussian",
    "Laplace",
    "Lasso",
    "MAPResult",
    "Prior",
    "Ridge",
    "__version__",
    "solve_map",
]
