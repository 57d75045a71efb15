"""Exact MAP solvers for the Gaussian linear model.

:func:`solve_map` picks the solver from what the prior is:

* smooth penalty (Gaussian or flat prior), no sign constraint: the closed form
  (:mod:`~bayesreg.solvers.closed_form`);
* otherwise (Laplace, elastic net, or ``positive=True``): proximal coordinate descent
  with an exact active-set polish (:mod:`~bayesreg.solvers.coordinate_descent`), on
  the Gram matrix of all features for up to ``GRAM_MAX_FEATURES`` of them, and on
  working sets beyond (:mod:`~bayesreg.solvers.working_set`: the ``p x p`` Gram matrix
  is never formed).  With the Gram matrix at hand the polish and the certificates reuse
  it and ``X~'y~``, so that after it nothing passes over the rows more than a few times.

Every answer carries a :class:`~bayesreg.solvers.certificate.Certificate`.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np

from bayesreg.model import RegressionData
from bayesreg.priors import Prior
from bayesreg.solvers.certificate import Certificate, certify
from bayesreg.solvers.closed_form import ridge_solve
from bayesreg.solvers.coordinate_descent import active_set, cyclic_coordinate_descent, polish
from bayesreg.solvers.proximal import solve_map_general
from bayesreg.solvers.working_set import working_set_descent

__all__ = [
    "GRAM_MAX_FEATURES",
    "Certificate",
    "MAPResult",
    "centered_exactly",
    "check_solver_settings",
    "solve_map",
]


def check_solver_settings(tol, max_iter, *, positive=False) -> None:
    """``tol`` a finite number >= 0, ``max_iter`` an integer >= 1, ``positive`` a bool.

    A NaN ``tol`` would never be met (the descent would loop to ``max_iter`` and then
    look for a tighter one forever); a float ``max_iter`` cannot count epochs.
    """
    if isinstance(tol, bool) or not isinstance(tol, Real) or not (math.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}.")
    if not isinstance(positive, bool | np.bool_):
        raise TypeError(f"positive must be True or False, got {positive!r}.")


def centered_exactly(data: RegressionData) -> tuple[np.ndarray, np.ndarray]:
    """``data.centered()`` with the columns constant on the weighted rows exactly 0.

    Centring a constant column should give 0, but its computed weighted mean can differ
    from the value by an ulp, leaving noise of order 1e-16 times the value.  Alone (or
    with other such columns) that noise has no larger singular value to be small
    against, so a least-squares fit would take it for signal and give the column a
    weight of any size; scikit-learn's answer, the right one, is 0.
    """
    # The same numbers as data.centered(), without its copies when no work is needed:
    # a product with 1.0 is exact.
    X, weight = data.X, data.sample_weight
    X_t = X - data.x_offset if data.fit_intercept else X.copy()
    y_t = data.y - data.y_offset
    unweighted = bool(np.all(weight == 1.0))
    if not unweighted:
        root_w = np.sqrt(weight)
        X_t *= root_w[:, None]
        y_t = y_t * root_w
    if data.fit_intercept and X_t.shape[0]:
        X_t[:, _constant_columns(X, weight > 0)] = 0.0
    return X_t, y_t


def _constant_columns(X: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Indices of the columns of ``X`` constant on ``rows`` (a boolean mask).

    A column constant on the rows has equal values at the first and the last of them:
    only the columns that pass this O(p) test are checked on every row (usually none).
    """
    first, last = np.flatnonzero(rows)[[0, -1]]
    candidates = np.flatnonzero(X[first] == X[last])
    if candidates.size == 0:
        return candidates
    block = X[:, candidates] if rows.all() else X[np.ix_(rows, candidates)]
    return candidates[block.max(axis=0) == block.min(axis=0)]


def _checked_start(w0, n_features: int) -> np.ndarray | None:
    """A warm start: None, or finite float64 weights, one per feature."""
    if w0 is None:
        return None
    try:
        start = np.asarray(w0, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"w0 must be an array of numbers, got {w0!r}.") from err
    if start.shape != (n_features,):
        raise ValueError(
            f"w0 must have shape ({n_features},), one weight per feature; got {start.shape}."
        )
    if not np.all(np.isfinite(start)):
        raise ValueError(f"w0 must be finite, got {start!r}.")
    return start


class MAPResult(NamedTuple):
    """A posterior mode with its optimality certificate.

    Attributes
    ----------
    coef : ndarray of shape (n_features,)
        The MAP weights (exact zeros where the penalty sets them to zero).
    intercept : float
        The intercept ``ybar - xbar' coef`` (0 without one).
    certificate : Certificate
        Duality gap and KKT violation of ``coef``.
    n_iter : int
        Coordinate-descent epochs (0 for the closed form).
    solver : str
        ``"closed-form"``, ``"coordinate-descent"`` (Gram-based, all features) or
        ``"working-set"`` (coordinate descent on working sets, for many features), with
        ``"+polish"`` when the exact polish produced the answer and ``"+active-set"``
        when the active-set method finished it (other solvers name themselves).
    convex : bool
        Whether the problem is convex, so that the answer is the global MAP.  When it
        is not, the answer is the best of several local optima.
    start_objectives : tuple of float
        For a non-convex problem, the objective reached from each start (the answer
        is the smallest); empty for a convex one.
    """

    coef: np.ndarray
    intercept: float
    certificate: Certificate
    n_iter: int
    solver: str
    convex: bool = True
    start_objectives: tuple = ()


def solve_map(
    data: RegressionData,
    prior: Prior,
    *,
    positive: bool = False,
    tol: float = 1e-4,
    max_iter: int = 1000,
    w0: np.ndarray | None = None,
    n_starts: int | None = None,
    random_state=None,
) -> MAPResult:
    """The posterior mode of ``w`` under ``prior`` at unit noise.

    Minimises ``1/2 sum_i s_i (y_i - b - x_i' w)^2 + P(w)`` over ``w`` (``w >= 0`` if
    ``positive``) and the unpenalised intercept ``b``, where ``P`` is the penalty of
    ``prior``.  Under the noise-scaled prior this is also the mode for any noise scale.

    Parameters
    ----------
    data : RegressionData
    prior : Prior
        A prior of the elastic-net family (``P(w) = sum_j l1_j |w_j| + l2_j w_j^2``, the
        same rates for every weight or, with penalty factors, one pair per weight) is
        solved exactly here; any other prior goes to
        :func:`~bayesreg.solvers.proximal.solve_map_general` (proximal gradient or
        L-BFGS, from several starts when the penalty is not convex).
    positive : bool, default False
        Constrain the weights to be non-negative.
    tol : float, default 1e-4
        Stop coordinate descent when ``gap <= tol ||y~||^2`` (scikit-learn's rule).
    max_iter : int, default 1000
        Most coordinate-descent epochs.
    w0 : ndarray or None
        Starting weights (warm start).
    n_starts, random_state
        Starts of a non-convex problem (other priors only; see
        :func:`~bayesreg.solvers.proximal.solve_map_general`).

    Raises
    ------
    ValueError
        If ``prior`` has penalty factors and not one per feature.
    bayesreg.priors.NoFiniteModeError
        If the posterior has no finite mode (horseshoe, hierarchical priors).
    """
    if not isinstance(data, RegressionData):
        raise TypeError(
            "data must be a bayesreg.model.RegressionData (e.g. "
            f"RegressionData.from_arrays(X, y)), got {type(data).__name__}."
        )
    if not isinstance(prior, Prior):
        raise TypeError(
            f"prior must be a bayesreg prior (e.g. bayesreg.Laplace(1.0)), got {prior!r}."
        )
    check_solver_settings(tol, max_iter, positive=positive)
    w0 = _checked_start(w0, data.n_features)
    prior.check_map()
    if prior.map_solver != "elastic-net":
        # tol and max_iter count duality gap and epochs here; the general solver keeps
        # its own tight defaults.
        return solve_map_general(
            data, prior, positive=positive, w0=w0, n_starts=n_starts, random_state=random_state
        )
    X_t, y_t = centered_exactly(data)
    l1, l2 = prior.rates(data.n_features)
    if not np.any(l1) and not positive:
        xty = X_t.T @ y_t
        coef = ridge_solve(X_t, y_t, l2, xty=xty)
        cert = certify(X_t, y_t, coef, l1, l2, positive=False, tol=tol, xty=xty)
        return MAPResult(coef, data.intercept(coef), cert, 0, "closed-form")
    return _solve_elastic_net(data, X_t, y_t, prior, l1, l2, positive, tol, max_iter, w0)


def _solve_elastic_net(data, X_t, y_t, prior, l1, l2, positive, tol, max_iter, w0) -> MAPResult:
    """Coordinate descent (on the Gram, or on working sets when ``p`` is large), then polish."""
    many_features = X_t.shape[1] > GRAM_MAX_FEATURES
    # Gram-based descent forms H = X~'X~ once (n p^2); the polish and the certificates
    # reuse it and X~'y~, so that nothing after it passes over the n rows more than a
    # few times.
    gram = None if many_features else (X_t.T @ X_t, X_t.T @ y_t)
    xty = None if gram is None else gram[1]
    l1_rates, l2_rates = np.asarray(l1, dtype=np.float64), np.asarray(l2, dtype=np.float64)
    name = "working-set" if many_features else "coordinate-descent"

    def descend(start, descent_tol, epochs_left):
        if many_features:
            return working_set_descent(
                X_t,
                y_t,
                l1_rates,
                l2_rates,
                positive=positive,
                tol=descent_tol,
                max_iter=epochs_left,
                w0=start,
            )
        return cyclic_coordinate_descent(
            X_t,
            y_t,
            prior,
            positive=positive,
            tol=descent_tol,
            max_iter=epochs_left,
            w0=start,
            gram=gram,
        )

    def certificate(w):
        return certify(X_t, y_t, w, l1, l2, positive=positive, tol=tol, xty=xty)

    coef, n_iter, cert, solver = None, 0, None, name
    descent_tol = tol
    # Coordinate descent to ``tol`` usually finds the support, and the polish then solves
    # the problem exactly.  When the support is still wrong (a warm start far from the
    # answer, a loose tol), descend further at a 1000x tighter gap and polish again, so
    # that the answer is exact whatever ``tol`` is, as long as epochs remain.
    while True:
        coef, epochs = descend(w0 if coef is None else coef, descent_tol, max_iter - n_iter)
        n_iter += epochs
        polished = polish(X_t, y_t, coef, l1, l2, positive=positive, gram=gram)
        polished_cert = None if polished is None else certificate(polished)
        if polished_cert is not None and polished_cert.relative_gap <= _EXACT_GAP:
            # Exact: the descent's own point cannot be better beyond rounding, so it
            # need not be certified.
            return MAPResult(
                polished, data.intercept(polished), polished_cert, n_iter, name + "+polish"
            )
        cert, solver = certificate(coef), name
        if polished_cert is not None and _better(polished_cert, cert):
            coef, cert, solver = polished, polished_cert, name + "+polish"
        if cert.relative_gap <= _EXACT_GAP:
            return MAPResult(coef, data.intercept(coef), cert, n_iter, solver)
        # The support is nearly right (a few weights to add or drop): a few active-set
        # steps from here cost far less than descending 1000x tighter, which crawls on
        # ill-conditioned problems (more weights than samples, a small l2).
        quick = active_set(X_t, y_t, coef, l1, l2, positive=positive, max_steps=_QUICK_STEPS)
        if quick is not None:
            quick_cert = certificate(quick)
            if quick_cert.relative_gap <= _EXACT_GAP and _better(quick_cert, cert):
                return MAPResult(
                    quick, data.intercept(quick), quick_cert, n_iter, name + "+active-set"
                )
        if n_iter >= max_iter or descent_tol <= _EXACT_GAP:
            break
        descent_tol = max(descent_tol * 1e-3, _EXACT_GAP)
    # Coordinate descent crawls (p > n, nearly collinear columns): finish with the
    # active-set method from its point, kept only if it is certifiably better.
    finished = active_set(X_t, y_t, coef, l1, l2, positive=positive)
    if finished is not None:
        finished_cert = certificate(finished)
        if _better(finished_cert, cert):
            coef, cert, solver = finished, finished_cert, solver + "+active-set"
    return MAPResult(coef, data.intercept(coef), cert, n_iter, solver)


#: Above this many features the elastic-net family is solved on working sets
#: (:mod:`~bayesreg.solvers.working_set`) instead of on the full Gram matrix.
GRAM_MAX_FEATURES = 256

# Active-set steps tried before a tighter descent when the polish fails.
_QUICK_STEPS = 8

# A relative duality gap this small is the exact optimum up to rounding (the polished
# point's gap is a few eps); above it, the support may still be wrong.
_EXACT_GAP = 1e-12

# Relative duality gaps closer than this are equal up to rounding: the gap is a
# difference of terms of order ||y~||^2, so it carries an error of some eps ||y~||^2.
_GAP_ROUNDING = 1e-13


def _better(candidate: Certificate, current: Certificate) -> bool:
    """Whether ``candidate`` is closer to the optimum than ``current``.

    The gap decides when the two differ beyond rounding.  Otherwise the KKT violation
    does: it is first order in the distance to the optimum, while the gap of a strongly
    convex penalty (``l2 > 0``) is second order, so it sinks into rounding (and is
    clipped at 0) while the point is still visibly off, e.g. a coordinate-descent point
    with KKT violation 1e-7 next to the exact polished point.
    """
    if np.isnan(candidate.duality_gap) or np.isnan(current.duality_gap):
        return candidate.kkt_violation < current.kkt_violation
    if abs(candidate.relative_gap - current.relative_gap) > _GAP_ROUNDING:
        return candidate.relative_gap < current.relative_gap
    return candidate.kkt_violation < current.kkt_violation
