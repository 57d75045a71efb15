"""Optimality certificates for penalised least squares.

The problem every solver here answers is, in the centred and weighted variables of
:class:`bayesreg.model.RegressionData`,

``min_w  F(w) = 1/2 ||y~ - X~ w||^2 + h(w)``,   ``h(w) = sum_j l1_j |w_j| + l2_j w_j^2``

(optionally with ``w >= 0``): the negative log posterior of the noise-scaled prior at
unit noise.  The rates are scalars, or one per weight (:class:`~bayesreg.priors.PenaltyFactor`).
Two numbers certify a candidate ``w``:

* the **duality gap** ``F(w) - D(theta, eta) >= F(w) - F(w*) >= 0``.  The weights fall
  into three sets: ``P`` (``l1_j > 0``), ``B`` (``l1_j = 0 < l2_j``, ridge) and ``U``
  (``l1_j = l2_j = 0``, unpenalised).  Moving the quadratic part of ``P`` into the data
  term, ``F(w) = 1/2 ||y_a - A w||^2 + g(w)`` with ``A = [X~; diag(sqrt(2 l2_j))_{j in P}]``,
  ``y_a = (y~, 0)`` and ``g(w) = sum_P l1_j |w_j| + sum_B l2_j w_j^2``.  Fenchel duality
  gives, for every ``(theta, eta)``,

  ``D(theta, eta) = theta' y~ - 1/2 ||theta||^2 - 1/2 ||eta||^2 - sum_j g_j*(s_j)``,
  ``s_j = X~_j' theta + sqrt(2 l2_j) eta_j [j in P]``,

  with ``g_j*`` the indicator of ``|s| <= l1_j`` on ``P``, ``s^2 / (4 l2_j)`` on ``B`` and
  the indicator of ``s = 0`` on ``U`` (with ``w >= 0``: ``s <= l1_j``, ``(s)_+^2 / (4 l2_j)``
  and ``s <= 0``).  It is evaluated at ``theta = c rho``, ``eta = -c sqrt(2 l2) w_P``,
  where ``rho`` is the residual ``R = y~ - X~ w`` projected onto the orthogonal
  complement of the columns ``X~_U'`` (``U' = U``; with ``w >= 0`` the unpenalised
  weights that are positive or have ``X~_j' R > 0``, and all of ``U`` if that leaves a
  violated sign), so that ``X~_U' theta = 0`` (``<= 0``), and

  ``c = min(1, 1 / max_{j in P} |X~_j' rho - 2 l2_j w_j| / l1_j)``

  is the largest step that keeps ``P`` feasible.  Then

  ``D = c rho' y~ - c^2 / 2 (||rho||^2 + sum_P 2 l2_j w_j^2) - c^2 sum_B (X~_j' rho)^2 / (4 l2_j)``.

  At the optimum ``rho = R`` (the unpenalised weights solve ``X~_U' R = 0``), ``c = 1``
  and the gap is 0.  With scalar rates this is scikit-learn's "formulation A" for
  ``l1 > 0`` (the lasso in the augmented design ``[X~; sqrt(2 l2) I]``; glmnet's for the
  lasso) and its "formulation B" for ``l1 = 0`` (``theta = R``).  The first is linear in
  the distance to the optimum; the second is quadratic, so with an l1 part it would stop
  coordinate descent far earlier than scikit-learn at the same ``tol``.  scikit-learn
  stops when ``gap <= tol ||y~||^2``; we report the same ratio as ``relative_gap``.  When
  every weight is unpenalised (the flat prior) the gap is reported as NaN.
* the **KKT violation** ``max_j dist(X~_j' R, d h_j(w_j))`` (the subdifferential
  distance; ``|X~_j' R|`` for an unpenalised weight), relative to
  ``||X~' y~||_inf``; it is zero exactly at the optimum.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "Certificate",
    "certify",
    "duality_gap",
    "explicit_gap",
    "gap_rounding_error",
    "kkt_violation",
    "unpenalized_projection",
]


_ROUNDING_KKT = 1e3 * np.finfo(np.float64).eps
_ROUNDING_RELATIVE_GAP = 1e-10


class Certificate(NamedTuple):
    """What a MAP solver proves about its answer.

    Attributes
    ----------
    objective : float
        ``F(w) = 1/2 ||y~ - X~ w||^2 + h(w)``.
    duality_gap : float
        ``F(w) - D(theta, eta)``, an upper bound on ``F(w) - min F`` (NaN for the flat
        prior, where no weight is penalised).
    relative_gap : float
        ``duality_gap / ||y~||^2``, scikit-learn's stopping quantity.
    kkt_violation : float
        Largest subdifferential distance, relative to ``||X~' y~||_inf``.
    tol : float
        The tolerance the solver was asked for.
    rounding_gap : float
        An estimate of the rounding error of the computed ``duality_gap`` (see
        :func:`gap_rounding_error`); 0 when not computed.
    """

    objective: float
    duality_gap: float
    relative_gap: float
    kkt_violation: float
    tol: float
    rounding_gap: float = 0.0

    @property
    def converged(self) -> bool:
        """Whether ``w`` is optimal within ``tol``, or within rounding.

        True when the relative gap (the KKT violation for the flat prior) is <= tol, or
        when the KKT violation is at machine precision (<= 1000 eps) and the gap is at
        rounding level: a relative gap <= 1e-10, or a gap within 10 times
        ``rounding_gap``.  The computed gap of an exact optimum is not 0 but the rounding
        error of ``X~' R``, which grows with badly scaled columns, a large ``||w||_1``
        and, through the ridge part's ``(X~_j' R)^2 / (4 l2_j)``, a small ``l2``
        against large columns (``X`` of order 1e12 and more).
        """
        if np.isnan(self.relative_gap):
            return bool(self.kkt_violation <= self.tol)
        at_rounding = self.kkt_violation <= _ROUNDING_KKT and (
            self.relative_gap <= _ROUNDING_RELATIVE_GAP
            or self.duality_gap <= 10.0 * self.rounding_gap
        )
        return bool(self.relative_gap <= self.tol or at_rounding)

    def __str__(self) -> str:
        state = "optimal within tol" if self.converged else "NOT converged"
        # No gap is computed where there is no dual (no penalty, or a GLM): say only KKT.
        gap = (
            ""
            if np.isnan(self.duality_gap)
            else f"duality gap {self.duality_gap:.3e} (relative {self.relative_gap:.3e}), "
        )
        return f"{gap}KKT violation {self.kkt_violation:.3e}, tol {self.tol:.1e}: {state}"


def _namespace(*arrays):
    """numpy for numpy inputs (fast, eager), jax.numpy inside compiled code."""
    return jnp if any(isinstance(a, jax.Array) for a in arrays) else np


def _h(w, l1, l2):
    xp = _namespace(w)
    return xp.sum(l1 * xp.abs(w)) + xp.sum(l2 * (w * w))


def duality_gap(w, v, residual_norm2, residual_dot_y, l1, l2, positive: bool, *, dual=None):
    """Fenchel duality gap from the residual's summaries (see the module notes).

    Parameters
    ----------
    w : array of shape (p,)
    v : array of shape (p,)
        ``X~' R``.
    residual_norm2, residual_dot_y : float
        ``||R||^2`` and ``R' y~``.
    l1, l2 : float or array of shape (p,)
        Rates of ``h``.
    positive : bool
        Whether ``w >= 0`` is imposed.
    dual : tuple or None
        ``(X~' rho, ||rho||^2, rho' y~)`` of the dual direction ``rho``, the residual
        projected so that ``X~_U' rho = 0`` (``<= 0`` with ``w >= 0``) on the unpenalised
        weights ``U``; None uses ``rho = R``, which is right when there are none.  The
        constraint on ``U`` is the caller's to meet: it is not checked here.

    Works on numpy and JAX arrays alike, so the solvers use the same formula inside a
    compiled loop (from Gram quantities) and for the final certificate.
    """
    xp = _namespace(w, v, residual_norm2, l1, l2)
    primal = 0.5 * residual_norm2 + _h(w, l1, l2)
    v_rho, rho_norm2, rho_dot_y = (v, residual_norm2, residual_dot_y) if dual is None else dual
    lasso = l1 > 0
    ridge = (l2 > 0) & ~lasso
    # P: feasibility |X~_j' rho - 2 l2_j w_j| <= l1_j after scaling by c.
    u = v_rho - 2.0 * l2 * w
    ratio = xp.where(lasso, (u if positive else xp.abs(u)) / xp.where(lasso, l1, 1.0), 0.0)
    dual_norm = xp.max(ratio, initial=0.0)
    c = xp.where(dual_norm > 1.0, 1.0 / xp.where(dual_norm > 1.0, dual_norm, 1.0), 1.0)
    augmented_norm2 = rho_norm2 + 2.0 * xp.sum(xp.where(lasso, l2 * w * w, 0.0))
    # B: the conjugate (s)^2 / (4 l2_j) of the ridge part at s = c X~_j' rho.
    s = xp.maximum(v_rho, 0.0) if positive else v_rho
    conj = xp.sum(xp.where(ridge, s * s / (4.0 * xp.where(ridge, l2, 1.0)), 0.0))
    dual_value = c * rho_dot_y - c * c * (0.5 * augmented_norm2 + conj)
    return primal - dual_value


def kkt_violation(w, v, l1, l2, positive: bool):
    """``max_j dist(v_j, d h(w_j))`` with ``v = X~' R`` (absolute, not relative)."""
    xp = _namespace(w, v)
    at_zero = (v if positive else xp.abs(v)) - l1
    off_zero = xp.abs(v - l1 * xp.sign(w) - 2.0 * l2 * w)
    return xp.max(xp.where(w == 0, xp.maximum(at_zero, 0.0), off_zero), initial=0.0)


def unpenalized_projection(X_t, residual, w, l1, l2, *, positive: bool):
    """The dual direction ``rho``: ``R`` projected off the unpenalised columns.

    Returns ``rho`` with ``X~_U' rho = 0`` for ``U`` the weights with ``l1_j = l2_j = 0``
    (with ``w >= 0``: ``X~_j' rho <= 0`` for all of them, projecting only off those that
    are positive or would violate the sign; see the module notes), or ``R`` itself when
    no weight is unpenalised.
    """
    free = (np.broadcast_to(l1, w.shape) == 0) & (np.broadcast_to(l2, w.shape) == 0)
    if not free.any():
        return residual
    candidates = [free]
    if positive:
        candidates.insert(0, free & ((w > 0) | (X_t.T @ residual > 0)))
    for project in candidates:
        rho = residual - _range_projection(X_t[:, project], residual)
        # Projected columns have X~_j' rho = 0 up to rounding; the others must be <= 0.
        if not positive or np.all(X_t[:, free & ~project].T @ rho <= 0):
            break
    return rho


def _range_projection(A, b):
    """The orthogonal projection of ``b`` onto the column space of ``A`` (rank-revealing)."""
    if A.shape[1] == 0 or A.shape[0] == 0:
        return np.zeros_like(b)
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    cutoff = max(A.shape) * np.finfo(np.float64).eps * (s[0] if s.size else 0.0)
    basis = U[:, s > cutoff]
    return basis @ (basis.T @ b)


def gap_rounding_error(X_t, y_t, w, residual, v, rho_dot_y, rho_norm2, l1, l2) -> float:
    """A first-order bound on the rounding error of the computed duality gap.

    The residual ``R = y~ - X~ w`` is computed with an error of about
    ``eps (|y~| + |X~| |w|)`` per row, and ``v = X~' R`` with an error
    ``dv = |X~|' (eps (|y~| + |X~| |w|)) + n eps |X~|' |R|``.  The gap depends on ``v``
    through the ridge part's ``s_j^2 / (4 l2_j)`` (error ``(2 |v_j| dv_j + dv_j^2) /
    (4 l2_j)``) and through the dual scaling ``c`` of the l1 part (relative error
    ``max_j dv_j / l1_j``, times the dual's terms); every other term carries a few
    ``eps`` times its size.  At an exact optimum the gap is this error, not 0.
    """
    eps = np.finfo(np.float64).eps
    n, p = X_t.shape
    abs_X = np.abs(X_t)
    row_error = eps * (p + 1) * (np.abs(y_t) + abs_X @ np.abs(w))
    dv = abs_X.T @ row_error + eps * n * (abs_X.T @ np.abs(residual))
    lasso = l1 > 0
    ridge = (l2 > 0) & ~lasso
    safe_l2 = np.where(ridge, l2, 1.0)
    ridge_error = np.sum(np.where(ridge, (2.0 * np.abs(v) * dv + dv * dv) / (4.0 * safe_l2), 0.0))
    dual_terms = abs(rho_dot_y) + rho_norm2 + 2.0 * float(np.sum(l2 * w * w))
    scaling = float(np.max(np.where(lasso, dv / np.where(lasso, l1, 1.0), 0.0), initial=0.0))
    conj = float(np.sum(np.where(ridge, v * v / (4.0 * safe_l2), 0.0)))
    terms = 0.5 * float(residual @ residual) + float(_h(w, l1, l2)) + dual_terms + conj
    return float(ridge_error + scaling * dual_terms + eps * (n + p) * terms)


def explicit_gap(X_t, y_t, w, residual, v, l1, l2, *, positive: bool):
    """The duality gap of ``w`` from its residual ``R = y~ - X~ w`` and ``v = X~' R``.

    Returns ``(gap, dual)`` with ``dual`` as :func:`duality_gap` takes it (None when no
    weight is unpenalised, so that ``rho = R``).  ``l1`` and ``l2`` have one rate per
    weight.
    """
    rho = unpenalized_projection(X_t, residual, w, l1, l2, positive=positive)
    dual = None if rho is residual else (X_t.T @ rho, float(rho @ rho), float(rho @ y_t))
    r2 = float(residual @ residual)
    return float(duality_gap(w, v, r2, float(residual @ y_t), l1, l2, positive, dual=dual)), dual


def certify(X_t, y_t, w, l1, l2, *, positive: bool, tol: float, xty=None) -> Certificate:
    """Certificate of ``w`` computed from explicit residuals in float64 numpy.

    ``l1`` and ``l2`` are scalars or arrays with one rate per weight; ``xty`` is
    ``X~'y~`` when the caller has it.  The rounding estimate of the gap
    (:func:`gap_rounding_error`, a few more passes over ``X~``) is computed only when
    the relative gap is above ``tol``, the one case where
    :attr:`Certificate.converged` reads it; otherwise ``rounding_gap`` is 0.
    """
    X_t = np.asarray(X_t, dtype=np.float64)
    y_t = np.asarray(y_t, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    l1 = np.broadcast_to(np.asarray(l1, dtype=np.float64), w.shape)
    l2 = np.broadcast_to(np.asarray(l2, dtype=np.float64), w.shape)
    residual = y_t - X_t @ w
    v = X_t.T @ residual
    r2 = float(residual @ residual)
    gap, dual = explicit_gap(X_t, y_t, w, residual, v, l1, l2, positive=positive)
    # The gap is >= 0 in exact arithmetic; a negative value is rounding, shown as 0.
    gap = max(gap, 0.0)
    if not (np.any(l1) or np.any(l2)):
        gap = float("nan")
    y2 = float(y_t @ y_t)
    relative_gap = gap / y2 if y2 > 0 else gap
    kkt = float(kkt_violation(w, v, l1, l2, positive))
    xty = X_t.T @ y_t if xty is None else xty
    kkt_scale = float(np.max(np.abs(xty), initial=0.0))
    rounding_gap = 0.0
    if not relative_gap <= tol:
        rho_dot_y, rho_norm2 = (float(residual @ y_t), r2) if dual is None else (dual[2], dual[1])
        rounding_gap = gap_rounding_error(X_t, y_t, w, residual, v, rho_dot_y, rho_norm2, l1, l2)
    return Certificate(
        objective=0.5 * r2 + float(_h(w, l1, l2)),
        duality_gap=gap,
        relative_gap=relative_gap,
        kkt_violation=kkt / kkt_scale if kkt_scale > 0 else kkt,
        tol=float(tol),
        rounding_gap=rounding_gap,
    )
