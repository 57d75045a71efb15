"""Every library's MAP fit and lasso path, called the way its documentation shows.

Each adapter is built from ``(alpha, tol)`` and returns an object with ``fit(X, y)``,
``coef_`` and ``intercept_`` (single fits), or a function ``(X, y, alphas, tol) ->
coefs`` of shape ``(n_features, n_alphas)`` (paths on centred data, no intercept, as
``sklearn.linear_model.lasso_path`` computes them).

Tolerances.  scikit-learn and bayesreg stop at ``gap <= tol ||y~||^2 / n`` and celer at
``gap <= tol ||y||^2 / n`` (its docs); skglm stops when the largest violation of the
optimality conditions is below ``tol``, which is not a duality gap, so its ``tol`` is
calibrated (``run.py``) until the gap certificate of :mod:`problems` reaches the target.
"""

from __future__ import annotations

import importlib.util

from problems import L1_RATIO

#: The library each adapter needs (import name).
MODULES = {"bayesreg": "bayesreg", "sklearn": "sklearn", "celer": "celer", "skglm": "skglm"}
#: Which libraries fit which estimator (Ridge: bayesreg and scikit-learn only).
MAP_LIBRARIES = {
    "Lasso": ("bayesreg", "sklearn", "celer", "skglm"),
    "ElasticNet": ("bayesreg", "sklearn", "celer", "skglm"),
    "Ridge": ("bayesreg", "sklearn"),
}
PATH_LIBRARIES = ("bayesreg", "sklearn", "celer", "skglm")
#: Libraries whose ``tol`` is not a duality gap and is calibrated.
CALIBRATED = ("skglm",)
#: Coordinate-descent epochs allowed to scikit-learn and bayesreg.
MAX_ITER = 100_000


def installed(library: str) -> bool:
    return importlib.util.find_spec(MODULES[library]) is not None


def import_library(library: str):
    """Import what the adapters of ``library`` use (timed as the import cost)."""
    if library == "bayesreg":
        import bayesreg

        return bayesreg
    if library == "sklearn":
        import sklearn.linear_model

        return sklearn.linear_model
    if library == "celer":
        import celer

        return celer
    import skglm
    import skglm.datafits
    import skglm.penalties
    import skglm.solvers

    return skglm


def make_estimator(library: str, estimator: str, alpha: float, tol: float):
    """An unfitted estimator of ``library`` for scikit-learn's ``estimator`` objective."""
    module = import_library(library)
    kwargs: dict = {"alpha": alpha, "tol": tol}
    if estimator == "ElasticNet":
        kwargs["l1_ratio"] = L1_RATIO
    if library in ("bayesreg", "sklearn") and estimator != "Ridge":
        kwargs["max_iter"] = MAX_ITER
    return getattr(module, estimator)(**kwargs)


def path_function(library: str):
    """``(X, y, alphas, tol) -> coefs (n_features, n_alphas)`` for a lasso path."""
    module = import_library(library)
    if library in ("bayesreg", "sklearn"):

        def path(X, y, alphas, tol):
            _, coefs, _ = module.lasso_path(X, y, alphas=alphas, tol=tol, max_iter=MAX_ITER)
            return coefs

    elif library == "celer":

        def path(X, y, alphas, tol):
            _, coefs, _ = module.celer_path(X, y, "lasso", alphas=alphas, tol=tol)
            return coefs

    else:

        def path(X, y, alphas, tol):
            solver = module.solvers.AndersonCD(tol=tol, fit_intercept=False)
            _, coefs, _ = solver.path(
                X, y, module.datafits.Quadratic(), module.penalties.L1(alpha=1.0), alphas=alphas
            )
            return coefs

    return path
