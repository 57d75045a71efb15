"""Optimality certificates for penalised least squares.

The problem every solver here answers is, in the centred and weighted variables of
:class:`bayesreg.model.RegressionData`,

``min_w  F(w) = 1/2 ||y~ - X~ w||^2 + h(w)``,   ``h(w) = l1 ||w||_1 + l2 ||w||^2``

(optionally with ``w >= 0``): the negative log posterior of the noise-scaled prior at
unit noise.  Two numbers certify a candidate ``w``:

* the **duality gap** ``F(w) - D(theta) >= F(w) - F(w*) >= 0`` at a dual point built
  from the residual ``R = y~ - X~ w``, as scikit-learn computes it:

  - ``l1 > 0`` (lasso, elastic net): the problem is a lasso in the augmented design
    ``[X~; sqrt(2 l2) I]``, whose residual is ``R_a = (R, -sqrt(2 l2) w)``; the dual
    ``D(theta) = theta' y~ - 1/2 ||theta||^2`` over ``||X_a' theta||_inf <= l1`` is
    evaluated at ``theta = c R_a``, ``c = min(1, l1 / ||X~' R - 2 l2 w||_inf)``
    (scikit-learn's "formulation A"; glmnet's for the lasso);
  - ``l1 = 0`` (ridge): the Fenchel dual ``D(theta) = theta' y~ - 1/2 ||theta||^2 -
    h*(X~' theta)`` with ``h*(v) = sum_j v_j^2 / (4 l2)`` at ``theta = R``
    (scikit-learn's "formulation B").

  The first is linear in the distance to the optimum; the second is quadratic, so with
  an l1 part it would stop coordinate descent far earlier than scikit-learn at the
  same ``tol``.  scikit-learn stops when ``gap <= tol ||y~||^2``; we report the same
  ratio as ``relative_gap``.
* the **KKT violation** ``max_j dist(X~_j' R, d h(w_j))`` (the subdifferential
  distance), relative to ``||X~' y~||_inf``; it is zero exactly at the optimum.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["Certificate", "certify", "duality_gap", "kkt_violation"]


_ROUNDING_KKT = 1e3 * np.finfo(np.float64).eps
_ROUNDING_RELATIVE_GAP = 1e-10


class Certificate(NamedTuple):
    """What a MAP solver proves about its answer.

    Attributes
    ----------
    objective : float
        ``F(w) = 1/2 ||y~ - X~ w||^2 + h(w)``.
    duality_gap : float
        ``F(w) - D(theta)``, an upper bound on ``F(w) - min F`` (NaN for the flat prior,
        whose dual has no interior point to evaluate).
    relative_gap : float
        ``duality_gap / ||y~||^2``, scikit-learn's stopping quantity.
    kkt_violation : float
        Largest subdifferential distance, relative to ``||X~' y~||_inf``.
    tol : float
        The tolerance the solver was asked for.
    """

    objective: float
    duality_gap: float
    relative_gap: float
    kkt_violation: float
    tol: float

    @property
    def converged(self) -> bool:
        """Whether ``w`` is optimal within ``tol``, or within rounding.

        True when the relative gap (the KKT violation for the flat prior) is <= tol, or
        when the KKT violation is at machine precision (<= 1000 eps) and the relative gap
        <= 1e-10: the computed gap of an exact optimum is not 0 but the rounding error of
        ``X~' R``, which grows with badly scaled columns and a large ``||w||_1``.
        """
        if np.isnan(self.relative_gap):
            return bool(self.kkt_violation <= self.tol)
        at_rounding = (
            self.kkt_violation <= _ROUNDING_KKT and self.relative_gap <= _ROUNDING_RELATIVE_GAP
        )
        return bool(self.relative_gap <= self.tol or at_rounding)

    def __str__(self) -> str:
        state = "optimal within tol" if self.converged else "NOT converged"
        return (
            f"duality gap {self.duality_gap:.3e} (relative {self.relative_gap:.3e}), "
            f"KKT violation {self.kkt_violation:.3e}, tol {self.tol:.1e}: {state}"
        )


def _namespace(*arrays):
    """numpy for numpy inputs (fast, eager), jax.numpy inside compiled code."""
    return jnp if any(isinstance(a, jax.Array) for a in arrays) else np


def _h(w, l1, l2):
    xp = _namespace(w)
    return l1 * xp.sum(xp.abs(w)) + l2 * xp.sum(w * w)


def duality_gap(w, v, residual_norm2, residual_dot_y, l1, l2, positive: bool):
    """Fenchel duality gap from the residual's summaries.

    Parameters
    ----------
    w : array of shape (p,)
    v : array of shape (p,)
        ``X~' R``.
    residual_norm2, residual_dot_y : float
        ``||R||^2`` and ``R' y~``.
    l1, l2 : float
        Rates of ``h``.
    positive : bool
        Whether ``w >= 0`` is imposed.

    Works on numpy and JAX arrays alike, so the solvers use the same formula inside a
    compiled loop (from Gram quantities) and for the final certificate.
    """
    xp = _namespace(w, v, residual_norm2, l1, l2)
    primal = 0.5 * residual_norm2 + _h(w, l1, l2)
    # l1 > 0: the lasso in the augmented design [X~; sqrt(2 l2) I] (formulation A).
    u = v - 2.0 * l2 * w  # X_a' R_a
    dual_norm = xp.max(u if positive else xp.abs(u), initial=0.0)
    c = xp.where(dual_norm > l1, l1 / xp.where(dual_norm > 0, dual_norm, 1.0), 1.0)
    augmented_norm2 = residual_norm2 + 2.0 * l2 * xp.sum(w * w)  # ||R_a||^2
    dual_a = c * residual_dot_y - 0.5 * c * c * augmented_norm2
    # l1 = 0: Fenchel dual at theta = R (formulation B); h* is (v)_+^2 / (4 l2) per
    # coordinate (|v| without the sign constraint).
    safe_l2 = xp.where(l2 > 0, l2, 1.0)
    conj = xp.sum(xp.maximum(v if positive else xp.abs(v), 0.0) ** 2) / (4.0 * safe_l2)
    dual_b = residual_dot_y - 0.5 * residual_norm2 - conj
    return primal - xp.where(l1 > 0, dual_a, dual_b)


def kkt_violation(w, v, l1, l2, positive: bool):
    """``max_j dist(v_j, d h(w_j))`` with ``v = X~' R`` (absolute, not relative)."""
    xp = _namespace(w, v)
    at_zero = (v if positive else xp.abs(v)) - l1
    off_zero = xp.abs(v - l1 * xp.sign(w) - 2.0 * l2 * w)
    return xp.max(xp.where(w == 0, xp.maximum(at_zero, 0.0), off_zero), initial=0.0)


def certify(X_t, y_t, w, l1, l2, *, positive: bool, tol: float) -> Certificate:
    """Certificate of ``w`` computed from explicit residuals in float64 numpy."""
    X_t = np.asarray(X_t, dtype=np.float64)
    y_t = np.asarray(y_t, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    l1, l2 = float(l1), float(l2)
    residual = y_t - X_t @ w
    v = X_t.T @ residual
    r2 = float(residual @ residual)
    # The gap is >= 0 in exact arithmetic; a negative value is rounding, shown as 0.
    gap = max(float(duality_gap(w, v, r2, float(residual @ y_t), l1, l2, positive)), 0.0)
    if l1 == 0 and l2 == 0:
        gap = float("nan")
    y2 = float(y_t @ y_t)
    kkt = float(kkt_violation(w, v, l1, l2, positive))
    kkt_scale = float(np.max(np.abs(X_t.T @ y_t), initial=0.0))
    return Certificate(
        objective=0.5 * r2 + float(_h(w, l1, l2)),
        duality_gap=gap,
        relative_gap=gap / y2 if y2 > 0 else gap,
        kkt_violation=kkt / kkt_scale if kkt_scale > 0 else kkt,
        tol=float(tol),
    )
