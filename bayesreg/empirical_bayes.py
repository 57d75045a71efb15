"""Empirical Bayes for the Gaussian prior: the penalty strength chosen by the evidence.

Ridge regression fixes the penalty ``alpha_ridge`` by hand; here it is learned.  The
model is

``y_i ~ N(b + x_i' w, 1 / alpha)``, ``w_j ~ N(0, 1 / lambda)``, ``b`` flat,

with hyperpriors ``alpha ~ Gamma(alpha_1, alpha_2)`` and ``lambda ~ Gamma(lambda_1,
lambda_2)`` (shape, rate), and ``(alpha, lambda)`` are set to the maximiser of the
hyperprior-penalised log marginal likelihood (the *evidence*): a type-II MAP.  Given
``(alpha, lambda)`` the posterior of ``w`` is Gaussian and its mean is the ridge
solution with ``alpha_ridge = lambda / alpha``, so the fitted :class:`BayesianRidge` is
:class:`bayesreg.Ridge` with a penalty chosen by the data.

Everything is computed from one SVD of the centred, weighted design
``X~ = sqrt(S) (X - xbar) = U diag(s) V'``: with ``e_i = s_i^2``, ``z = U' y~`` and
``r0 = ||y~ - U z||^2`` the evidence and its derivatives cost ``O(min(n, p))`` per
evaluation (see :func:`log_evidence`).

References
----------
.. [1] D. J. C. MacKay, "Bayesian interpolation", Neural Computation 4(3), 415-447, 1992.
.. [2] M. E. Tipping, "Sparse Bayesian learning and the relevance vector machine",
   J. Mach. Learn. Res. 1, 211-244, 2001 (Appendix A).
.. [3] C. M. Bishop, "Pattern Recognition and Machine Learning", Springer, 2006, §3.5.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.linalg
import xarray as xr
from numpy.typing import ArrayLike
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from bayesreg._base import BayesianLinearRegressor
from bayesreg.likelihoods import gaussian_log_likelihood
from bayesreg.model import RegressionData
from bayesreg.priors import Gaussian

__all__ = [
    "BayesianRidge",
    "EvidenceMaximum",
    "EvidenceSpectrum",
    "HyperPrior",
    "log_evidence",
    "maximize_evidence",
]

_EPS = np.finfo(np.float64).eps
#: Newton's polish stops once a step moves log(alpha) and log(lambda) by less than this.
POLISH_STEP_TOL = 1e-12
#: A polished maximum is certified when the Newton step from it is below this.
POLISH_CERTIFY_TOL = 1e-9
_POLISH_MAX_ITER = 200
_MAX_LOG_STEP = 5.0  # trust region of one polish step, in log(alpha) and log(lambda)
_MAX_LOG = 600.0  # |log alpha|, |log lambda| beyond this: the maximum is not finite


@dataclasses.dataclass(frozen=True)
class HyperPrior:
    """Gamma hyperpriors of the noise precision ``alpha`` and the weight precision ``lambda``.

    ``alpha ~ Gamma(alpha_1, alpha_2)`` and ``lambda ~ Gamma(lambda_1, lambda_2)``: shapes
    ``*_1`` and rates ``*_2``, all >= 0 (0 and 0 is the improper scale-invariant
    prior ``1 / alpha``).  In the log-parametrisation the evidence is maximised in, the
    density of ``log alpha`` is ``alpha^alpha_1 exp(-alpha_2 alpha)`` (the Jacobian
    ``alpha`` absorbs the ``-1`` of the shape): the terms scikit-learn adds to its score.
    """

    alpha_1: float = 1e-6
    alpha_2: float = 1e-6
    lambda_1: float = 1e-6
    lambda_2: float = 1e-6

    def log_density(self, alpha: float, lambda_: float) -> float:
        """``alpha_1 log alpha - alpha_2 alpha + lambda_1 log lambda - lambda_2 lambda``."""
        return (
            self.alpha_1 * math.log(alpha)
            - self.alpha_2 * alpha
            + self.lambda_1 * math.log(lambda_)
            - self.lambda_2 * lambda_
        )


@dataclasses.dataclass(frozen=True, eq=False)
class EvidenceSpectrum:
    """The centred, weighted problem in the eigenbasis of ``X~'X~``.

    Parameters
    ----------
    eigvals : ndarray of shape (k,)
        ``e_i = s_i^2``, the squared singular values of ``X~`` (``k = min(n, p)``).
    proj : ndarray of shape (k,)
        ``z = U' y~``.
    residual : float
        ``r0 = ||y~ - U z||^2``, the part of ``y~`` no weights can fit.
    n_eff : float
        ``N = sum_i s_i``: the number of observations, weights counted as frequencies.
    n_features : int
    Vh : ndarray of shape (p, p)
        All right singular vectors (rows), completed to an orthonormal basis when
        ``n < p``; the first ``k`` rows go with ``eigvals``.
    """

    eigvals: np.ndarray
    proj: np.ndarray
    residual: float
    n_eff: float
    n_features: int
    Vh: np.ndarray

    @classmethod
    def from_data(cls, data: RegressionData) -> EvidenceSpectrum:
        """One SVD of ``X~``, exactly as scikit-learn's ``BayesianRidge`` takes it."""
        X_t, y_t = data.centered()
        n, p = X_t.shape
        U, s, Vh_full = scipy.linalg.svd(X_t, full_matrices=(n < p))
        k = s.size
        U = U[:, :k]
        z = U.T @ y_t
        residual = float(np.sum((y_t - U @ z) ** 2)) if n > k else 0.0
        return cls(
            eigvals=s**2,
            proj=z,
            residual=residual,
            n_eff=float(data.sample_weight.sum()),
            n_features=p,
            Vh=Vh_full,
        )

    def coef(self, alpha: float, lambda_: float) -> np.ndarray:
        """Posterior mean ``m = alpha Sigma X~' y~ = V diag(s / (e + lambda/alpha)) z``."""
        k = self.eigvals.size
        ratio = lambda_ / alpha
        return self.Vh[:k].T @ (np.sqrt(self.eigvals) * self.proj / (self.eigvals + ratio))

    def exact_fit(self, alpha: float, lambda_: float) -> bool:
        """Whether the residual ``||y~ - X~ m||^2`` is at the rounding floor of ``y~``."""
        q_c = lambda_ / (lambda_ + alpha * self.eigvals)
        sse = self.residual + float(np.sum((self.proj * q_c) ** 2))
        total = self.residual + float(np.sum(self.proj**2))
        return sse <= (1e3 * _EPS) ** 2 * total

    def posterior_precisions(self, alpha: float, lambda_: float) -> np.ndarray:
        """Eigenvalues ``lambda + alpha e_j`` of ``A``, all ``p`` (with the rows of ``Vh``)."""
        full = np.zeros(self.n_features)
        full[: self.eigvals.size] = self.eigvals
        return alpha * full + lambda_

    def covariance(self, alpha: float, lambda_: float) -> np.ndarray:
        """Posterior covariance ``Sigma = A^{-1} = (lambda I + alpha X~'X~)^{-1}``."""
        return self.Vh.T @ (self.Vh / self.posterior_precisions(alpha, lambda_)[:, None])


def log_evidence(
    alpha: float, lambda_: float, spectrum: EvidenceSpectrum, hyper: HyperPrior
) -> float:
    """The score maximised: hyperprior-penalised log marginal likelihood of ``(alpha, lambda)``.

    Parameters
    ----------
    alpha, lambda_ : float
        Noise precision and prior precision of the weights, > 0.
    spectrum : EvidenceSpectrum
    hyper : HyperPrior

    Returns
    -------
    float
        ``F(alpha, lambda)`` below; it equals scikit-learn's ``scores_`` entries.

    Notes
    -----
    Integrating ``w ~ N(0, I / lambda)`` out of ``y~ ~ N(X~ w, I / alpha)`` gives
    ``y~ ~ N(0, C)`` with ``C = I / alpha + X~ X~' / lambda`` (Bishop 2006, eq. 3.86):

    ``log p(y~ | alpha, lambda) = p/2 log lambda + N/2 log alpha - E(m) - 1/2 log|A|
    - N/2 log(2 pi)``,

    ``E(m) = alpha/2 ||y~ - X~ m||^2 + lambda/2 ||m||^2``, ``A = lambda I + alpha X~'X~``,
    ``m = alpha A^{-1} X~' y~``, where ``N = sum_i s_i`` counts weighted observations
    as frequencies (scikit-learn's convention: weight 2 is a duplicated row).  In the
    eigenbasis, with ``q_i = alpha e_i / (lambda + alpha e_i)``,

    ``2 E(m) = alpha r0 + sum_i z_i^2 alpha (1 - q_i)``,
    ``log|A| = (p - k) log lambda + sum_i log(lambda + alpha e_i)``.

    The score adds the hyperpriors' log densities in ``(log alpha, log lambda)``:

    ``F = log p(y~ | alpha, lambda) + alpha_1 log alpha - alpha_2 alpha
    + lambda_1 log lambda - lambda_2 lambda``.

    With an intercept, the centred ``y~`` is treated as ``N`` observations, as in
    scikit-learn: the intercept is profiled at ``ybar - xbar' w``, not integrated out
    (integrating a flat intercept would replace ``N`` by ``N - 1``).

    References
    ----------
    .. [1] D. J. C. MacKay, "Bayesian interpolation", Neural Computation 4(3), 1992.
    .. [2] C. M. Bishop, "Pattern Recognition and Machine Learning", 2006, §3.5.1
       (eqs. 3.77-3.86).
    """
    e, z = spectrum.eigvals, spectrum.proj
    n_eff, p = spectrum.n_eff, spectrum.n_features
    # 1 - q_i = lambda / (lambda + alpha e_i), computed as such: 1 - q loses all digits
    # when alpha e_i >> lambda (near-interpolating fits, alpha_ ~ 1e7 and more).
    q_c = lambda_ / (lambda_ + alpha * e)
    two_energy = alpha * spectrum.residual + np.sum(z * z * alpha * q_c)
    logdet_a = (p - e.size) * math.log(lambda_) + np.sum(np.log(lambda_ + alpha * e))
    log_ml = 0.5 * (
        p * math.log(lambda_)
        + n_eff * math.log(alpha)
        - two_energy
        - logdet_a
        - n_eff * math.log(2.0 * math.pi)
    )
    return float(log_ml + hyper.log_density(alpha, lambda_))


def _gradient_hessian(
    log_alpha: float, log_lambda: float, spectrum: EvidenceSpectrum, hyper: HyperPrior
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Hessian of ``F`` in ``(log alpha, log lambda)``.

    With ``q_i`` as in :func:`log_evidence`, ``gamma = sum q_i`` (the number of
    well-determined parameters), ``sse = r0 + sum z_i^2 (1 - q_i)^2`` and
    ``||m||^2 = (alpha / lambda) sum z_i^2 q_i (1 - q_i)``:

    ``dF/dlog alpha = alpha_1 - alpha_2 alpha + (N - gamma - alpha sse) / 2``,
    ``dF/dlog lambda = lambda_1 - lambda_2 lambda + (gamma - lambda ||m||^2) / 2``;

    zero gradient is MacKay's fixed point.  Since ``dq_i/dlog alpha = q_i (1 - q_i) =
    -dq_i/dlog lambda``, with ``u_i = q_i (1 - q_i)`` and ``c_i = alpha z_i^2``:

    ``d2F/dlog alpha^2 = -alpha_2 alpha - (alpha sse - 2 sum c_i u_i (1 - q_i)
    + sum u_i) / 2``,
    ``d2F/dlog alpha dlog lambda = (sum u_i - 2 sum c_i u_i (1 - q_i)) / 2``,
    ``d2F/dlog lambda^2 = -lambda_2 lambda - (sum u_i - sum c_i u_i (1 - 2 q_i)) / 2``.
    """
    alpha, lambda_ = math.exp(log_alpha), math.exp(log_lambda)
    e, z = spectrum.eigvals, spectrum.proj
    q = alpha * e / (lambda_ + alpha * e)
    q_c = lambda_ / (lambda_ + alpha * e)  # 1 - q without cancellation
    u = q * q_c
    c = alpha * z * z
    gamma = float(np.sum(q))
    alpha_sse = alpha * spectrum.residual + float(np.sum(c * q_c**2))
    lambda_m2 = float(np.sum(c * u))
    grad = np.array(
        [
            hyper.alpha_1 - hyper.alpha_2 * alpha + 0.5 * (spectrum.n_eff - gamma - alpha_sse),
            hyper.lambda_1 - hyper.lambda_2 * lambda_ + 0.5 * (gamma - lambda_m2),
        ]
    )
    sum_u = float(np.sum(u))
    cross = float(np.sum(c * u * q_c))
    h_aa = -hyper.alpha_2 * alpha - 0.5 * (alpha_sse - 2.0 * cross + sum_u)
    h_al = 0.5 * (sum_u - 2.0 * cross)
    h_ll = -hyper.lambda_2 * lambda_ - 0.5 * (sum_u - float(np.sum(c * u * (q_c - q))))
    return grad, np.array([[h_aa, h_al], [h_al, h_ll]])


def _mackay_update(
    alpha: float, lambda_: float, spectrum: EvidenceSpectrum, hyper: HyperPrior
) -> tuple[float, float]:
    """MacKay's update ``(gamma + 2 lambda_1) / (||m||^2 + 2 lambda_2)`` and its alpha twin."""
    e, z = spectrum.eigvals, spectrum.proj
    gamma = float(np.sum(alpha * e / (lambda_ + alpha * e)))
    sse = spectrum.residual + float(np.sum((z * lambda_ / (lambda_ + alpha * e)) ** 2))
    m2 = float(np.sum(z * z * e / (e + lambda_ / alpha) ** 2))
    # numpy division: a zero denominator (zero rate, exact fit) gives inf, not an error.
    return (
        float(
            np.float64(spectrum.n_eff - gamma + 2.0 * hyper.alpha_1) / (sse + 2.0 * hyper.alpha_2)
        ),
        float(np.float64(gamma + 2.0 * hyper.lambda_1) / (m2 + 2.0 * hyper.lambda_2)),
    )


@dataclasses.dataclass(frozen=True)
class EvidenceMaximum:
    """The result of :func:`maximize_evidence`.

    Attributes
    ----------
    alpha, lambda_ : float
        The hyperparameters found: noise precision and weight precision.
    coef : ndarray of shape (n_features,)
        Posterior mean of ``w`` at ``(alpha, lambda_)``.
    log_evidence : float
        ``F(alpha, lambda_)`` (:func:`log_evidence`).
    gradient : ndarray of shape (2,)
        ``dF / d(log alpha, log lambda)`` there: the optimality certificate.
    scores : ndarray
        ``F`` at every iterate, the last at ``(alpha, lambda_)`` (empty unless asked).
    n_iter : int
        MacKay iterations plus polishing (Newton) steps.
    n_fixed_point : int
        MacKay iterations alone (scikit-learn's ``n_iter_`` for the same ``tol``).
    polished : bool
        Whether Newton's method refined MacKay's iterate.
    converged : bool
        For a polished result: ``F`` is locally concave there and the Newton step
        ``-H^{-1} gradient`` moves ``log alpha`` and ``log lambda`` by less than
        ``POLISH_CERTIFY_TOL``.  Otherwise: MacKay's stopping rule was met before
        ``max_iter``.
    """

    alpha: float
    lambda_: float
    coef: np.ndarray
    log_evidence: float
    gradient: np.ndarray
    scores: np.ndarray
    n_iter: int
    n_fixed_point: int
    polished: bool
    converged: bool


def _initial_alpha(data: RegressionData) -> float:
    """scikit-learn's start ``1 / (Var(y) + eps)``, the variance weighted when weights are."""
    w = data.sample_weight
    mean = np.average(data.y, weights=w)
    return 1.0 / (float(np.average((data.y - mean) ** 2, weights=w)) + _EPS)


def _fixed_point(
    spectrum: EvidenceSpectrum,
    hyper: HyperPrior,
    alpha: float,
    lambda_: float,
    *,
    tol: float,
    max_iter: int,
    scores: list[float] | None,
    verbose: bool,
    strict: bool,
) -> tuple[float, float, int, bool]:
    """scikit-learn's loop: MacKay updates until ``sum |coef - coef_old| < tol``.

    As in scikit-learn, ``coef`` is computed from the current ``(alpha, lambda)``, the
    score recorded, ``(alpha, lambda)`` updated, and only then the change of ``coef``
    (in feature space, L1 norm) tested; the returned pair is the one after the last update.

    The update can leave ``(0, inf)``: ``alpha`` turns negative when the weights sum to
    less than ``gamma`` (``N < gamma``, e.g. weights normalised to sum to 1), and becomes
    infinite on an exact fit with ``alpha_2 = 0``.  scikit-learn then fails or returns a
    negative precision; here ``strict`` raises, otherwise the last valid pair is returned
    (unconverged) for Newton's method to continue from.
    """
    coef_old = None
    converged = False
    it = 0
    for it in range(max_iter):
        coef = spectrum.coef(alpha, lambda_)
        if scores is not None:
            scores.append(log_evidence(alpha, lambda_, spectrum, hyper))
        new_alpha, new_lambda = _mackay_update(alpha, lambda_, spectrum, hyper)
        valid = math.isfinite(new_alpha) and math.isfinite(new_lambda)
        if not (valid and new_alpha > 0 and new_lambda > 0):
            if strict:
                raise ValueError(
                    f"MacKay's update left (0, inf): alpha = {new_alpha:.6g}, lambda = "
                    f"{new_lambda:.6g}: weights summing to N = {spectrum.n_eff:.6g}, below "
                    "the number of well-determined parameters, or an exact fit with "
                    "alpha_2 = 0. polish=True maximises the evidence by Newton's method "
                    "instead (and warns if it has no finite maximum)."
                )
            if scores is not None:
                scores.pop()  # the polish records this point again as its start
            return alpha, lambda_, it, False
        alpha, lambda_ = new_alpha, new_lambda
        if it != 0 and np.sum(np.abs(coef_old - coef)) < tol:
            converged = True
            if verbose:
                print("Convergence after ", str(it), " iterations")
            break
        coef_old = coef
    return alpha, lambda_, it + 1, converged


def _polish(
    spectrum: EvidenceSpectrum,
    hyper: HyperPrior,
    alpha: float,
    lambda_: float,
    scores: list[float] | None,
) -> tuple[float, float, int, bool]:
    """Newton's method on ``F(log alpha, log lambda)`` from MacKay's iterate.

    A Newton step is taken where the Hessian ``H`` is negative definite; elsewhere the
    step ``V |D|^{-1} V' gradient`` (``H = V D V'``), an ascent direction.  Each step is
    capped at ``_MAX_LOG_STEP`` and halved until ``F`` does not decrease beyond rounding.
    """
    x = np.array([math.log(alpha), math.log(lambda_)])

    def f(point):
        if np.max(np.abs(point)) > _MAX_LOG:  # beyond float64: no maximum out there
            return -np.inf
        return log_evidence(math.exp(point[0]), math.exp(point[1]), spectrum, hyper)

    fx = f(x)
    if scores is not None:
        scores.append(fx)
    step_size = np.inf
    n_steps = 0
    while n_steps < _POLISH_MAX_ITER and step_size > POLISH_STEP_TOL:
        grad, hess = _gradient_hessian(x[0], x[1], spectrum, hyper)
        # Newton's step where F is concave; elsewhere the modified Newton step, with the
        # Hessian's eigenvalues replaced by minus their magnitudes (an ascent direction).
        curvature, basis = np.linalg.eigh(hess)
        concave = bool(np.all(curvature < 0))
        curvature = np.maximum(np.abs(curvature), 1e-8 * (1.0 + np.max(np.abs(curvature))))
        direction = basis @ ((basis.T @ grad) / curvature)
        if not np.all(np.isfinite(direction)):
            break
        largest = float(np.max(np.abs(direction)))
        if largest > _MAX_LOG_STEP:
            direction *= _MAX_LOG_STEP / largest
        t = 1.0
        if concave and 0.5 * float(grad @ direction) <= 1e-10 * (1.0 + abs(fx)):
            # The quadratic model promises an increase below F's rounding (F sums terms
            # of size ~N log alpha that cancel): no line search can see it, and near a
            # concave maximum the full Newton step converges quadratically.
            f_new = f(x + direction)
        else:
            slack = 64 * _EPS * (1.0 + abs(fx))  # F is only known to rounding
            for _ in range(60):
                f_new = f(x + t * direction)
                if f_new >= fx - slack:
                    break
                t *= 0.5
            else:
                break
        x = x + t * direction
        fx = f_new
        n_steps += 1
        if scores is not None:
            scores.append(fx)
        step_size = t * float(np.max(np.abs(direction)))
    # Certificate: F is locally concave at x and the full Newton step from x is tiny.
    grad, hess = _gradient_hessian(x[0], x[1], spectrum, hyper)
    concave = hess[0, 0] < 0 and np.linalg.det(hess) > 0
    newton_step = np.linalg.solve(hess, grad) if concave else np.array([np.inf])
    converged = concave and float(np.max(np.abs(newton_step))) <= POLISH_CERTIFY_TOL
    return math.exp(x[0]), math.exp(x[1]), n_steps, bool(converged)


def maximize_evidence(
    data: RegressionData,
    hyper: HyperPrior | None = None,
    *,
    alpha_init: float | None = None,
    lambda_init: float | None = None,
    tol: float = 1e-3,
    max_iter: int = 300,
    polish: bool = True,
    compute_score: bool = False,
    verbose: bool = False,
    spectrum: EvidenceSpectrum | None = None,
) -> EvidenceMaximum:
    """Type-II MAP of ``(alpha, lambda)``: the maximiser of :func:`log_evidence`.

    Parameters
    ----------
    data : RegressionData
        Weights act as frequencies (``N = sum_i s_i``), as in scikit-learn.
    hyper : HyperPrior, default HyperPrior()
    alpha_init, lambda_init : float or None
        Starting values; None is ``1 / Var(y)`` and 1, as in scikit-learn.
    tol, max_iter
        scikit-learn's stopping rule for MacKay's fixed-point iteration: stop once the
        posterior mean moves by less than ``tol`` in L1 norm, or after ``max_iter``
        iterations.
    polish : bool, default True
        Refine the fixed-point iterate by Newton's method on ``(log alpha, log lambda)``
        to the stationary point itself.  False stops where scikit-learn stops.
    compute_score : bool, default False
        Record ``F`` at every iterate.
    verbose : bool, default False
        Print scikit-learn's convergence message.
    spectrum : EvidenceSpectrum or None
        The SVD of ``data``, if already computed.

    Returns
    -------
    EvidenceMaximum

    Notes
    -----
    MacKay's updates (1992; Tipping 2001, Appendix A; Bishop 2006, eqs. 3.91-3.98)

    ``gamma = sum_i alpha e_i / (lambda + alpha e_i)``,
    ``lambda <- (gamma + 2 lambda_1) / (||m||^2 + 2 lambda_2)``,
    ``alpha <- (N - gamma + 2 alpha_1) / (||y~ - X~ m||^2 + 2 alpha_2)``

    are the stationarity conditions of ``F`` rearranged (see :func:`_gradient_hessian`),
    so their fixed points are its stationary points; the iteration converges linearly,
    slowly when ``gamma`` is poorly determined, and need not increase ``F`` at every
    step (Wipf & Nagarajan, 2008).  Stopping it at ``tol`` leaves ``coef`` off the
    maximiser by roughly ``tol / (1 - rate)``.  Newton's method from there converges
    quadratically to the same stationary point (the one MacKay's iteration from the same
    start tends to); ``gradient`` certifies it.

    References
    ----------
    .. [1] D. J. C. MacKay, "Bayesian interpolation", Neural Computation 4(3), 1992.
    .. [2] M. E. Tipping, "Sparse Bayesian learning and the relevance vector machine",
       J. Mach. Learn. Res. 1, 2001, Appendix A.
    .. [3] C. M. Bishop, "Pattern Recognition and Machine Learning", 2006, §3.5.2.
    .. [4] D. Wipf and S. Nagarajan, "A new view of automatic relevance determination",
       NIPS 20, 2008.
    """
    hyper = HyperPrior() if hyper is None else hyper
    if spectrum is None:
        spectrum = EvidenceSpectrum.from_data(data)
    alpha = _initial_alpha(data) if alpha_init is None else float(alpha_init)
    lambda_ = 1.0 if lambda_init is None else float(lambda_init)
    if not (alpha > 0 and lambda_ > 0):
        raise ValueError(
            f"alpha_init and lambda_init must be positive, got {alpha_init!r}, {lambda_init!r}."
        )
    scores: list[float] | None = [] if compute_score else None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        alpha, lambda_, n_fixed, converged = _fixed_point(
            spectrum,
            hyper,
            alpha,
            lambda_,
            tol=tol,
            max_iter=max_iter,
            scores=scores,
            verbose=verbose,
            strict=not polish,
        )
        n_polish = 0
        if polish:
            alpha, lambda_, n_polish, converged = _polish(spectrum, hyper, alpha, lambda_, scores)
        elif scores is not None:
            scores.append(log_evidence(alpha, lambda_, spectrum, hyper))
    grad, _ = _gradient_hessian(math.log(alpha), math.log(lambda_), spectrum, hyper)
    return EvidenceMaximum(
        alpha=alpha,
        lambda_=lambda_,
        coef=spectrum.coef(alpha, lambda_),
        log_evidence=log_evidence(alpha, lambda_, spectrum, hyper),
        gradient=grad,
        scores=np.asarray(scores if scores is not None else [], dtype=np.float64),
        n_iter=n_fixed + n_polish,
        n_fixed_point=n_fixed,
        polished=bool(polish),
        converged=converged,
    )


class BayesianRidge(BayesianLinearRegressor):
    """Bayesian ridge regression by empirical Bayes; drop-in for scikit-learn's ``BayesianRidge``.

    The model is ``y_i ~ N(b + x_i' w, 1 / (alpha s_i))``, ``w_j ~ N(0, 1 / lambda)``,
    ``b`` flat, with hyperpriors ``alpha ~ Gamma(alpha_1, alpha_2)`` and
    ``lambda ~ Gamma(lambda_1, lambda_2)``.  ``fit`` sets ``(alpha_, lambda_)`` to the
    maximiser of the hyperprior-penalised log marginal likelihood (a type-II MAP, see
    :func:`log_evidence`) and ``coef_`` to the posterior mean of ``w`` there, which is
    the minimiser of

    ``alpha ||y - Xw - b||^2_S + lambda ||w||^2_2``,

    i.e. ``bayesreg.Ridge(alpha=lambda_ / alpha_)``: ridge with the penalty chosen by
    the evidence.

    Parameters
    ----------
    max_iter : int, default 300
        Most iterations of MacKay's fixed point (scikit-learn's meaning).
    tol : float, default 1e-3
        Stop MacKay's iteration once ``coef`` moves by less than ``tol`` (L1 norm), as
        scikit-learn does.  With ``polish=True`` the answer does not depend on it.
    alpha_1, alpha_2 : float, default 1e-6
        Shape and rate of the Gamma hyperprior of the noise precision ``alpha``.
    lambda_1, lambda_2 : float, default 1e-6
        Shape and rate of the Gamma hyperprior of the weight precision ``lambda``.
    alpha_init : float or None, default None
        Start of ``alpha``; None is ``1 / Var(y)``.
    lambda_init : float or None, default None
        Start of ``lambda``; None is 1.
    compute_score : bool, default False
        Record the score at every iterate in ``scores_``.
    fit_intercept : bool, default True
    copy_X : bool, default True
        Accepted for compatibility; ``X`` is never modified.
    verbose : bool, default False
    polish : bool, default True
        Not in scikit-learn.  True: after MacKay's iteration stops (scikit-learn's rule),
        Newton's method on ``(log alpha, log lambda)`` converges to the maximiser itself,
        so ``coef_``, ``alpha_`` and ``lambda_`` are exact (those of scikit-learn run
        with ``tol -> 0``).  False: stop where scikit-learn stops, reproducing its
        answer for the same ``tol`` and ``max_iter`` to rounding.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Posterior mean of ``w``.
    intercept_ : float
        ``ybar - xbar' coef_`` (0 when ``fit_intercept=False``).
    alpha_ : float
        Noise precision found.
    lambda_ : float
        Weight precision found.
    sigma_ : ndarray of shape (n_features, n_features)
        Posterior covariance of ``w``, ``(lambda_ I + alpha_ X~'X~)^{-1}``.
    scores_ : ndarray of shape (``n_iter_ + 1``,)
        The score (:func:`log_evidence`) at the start and after every iteration
        (MacKay's, then Newton's); empty unless ``compute_score``.  With
        ``polish=False`` all but the last equal scikit-learn's; its last one evaluates
        the previous iterate's ``coef`` at the final ``(alpha, lambda)``, ours the
        posterior mean there, so it is the evidence at the returned ``alpha_, lambda_``.
    n_iter_ : int
        MacKay iterations plus Newton steps.
    evidence_ : EvidenceMaximum
        The full result, with the certificate ``evidence_.gradient`` (zero at the
        maximiser) and ``evidence_.converged``.
    prior_ : bayesreg.Gaussian
        The fitted prior ``N(0, 1 / lambda_)`` of each weight.
    X_offset_ : ndarray of shape (n_features,)
        Weighted column means subtracted (zeros without an intercept).
    X_scale_ : ndarray of shape (n_features,)
        Ones, as in scikit-learn.
    posterior_ : xarray.DataTree
        Set by :meth:`sample_posterior`.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names when ``X`` is a DataFrame.

    Warns
    -----
    sklearn.exceptions.ConvergenceWarning
        When ``polish=True`` and Newton's method did not certify a maximum (the
        evidence may have none at finite ``(alpha, lambda)``).

    See Also
    --------
    bayesreg.Ridge : the same posterior mean for ``alpha = lambda_ / alpha_``.

    Notes
    -----
    After :meth:`sample_posterior`, the methods shared by bayesreg's linear regressors
    work on its draws: ``sample_y`` (posterior predictive draws), ``loo`` and ``waic``.

    Sample weights are frequencies: weight 2 counts as a duplicated row
    (``N = sum_i s_i`` in the evidence), as in scikit-learn, which rescales the centred
    data by ``sqrt(s_i)``.

    The score is scikit-learn's: the log marginal likelihood of the centred data plus
    ``alpha_1 log alpha - alpha_2 alpha + lambda_1 log lambda - lambda_2 lambda``, the
    log hyperprior density of ``(log alpha, log lambda)``.  The intercept is profiled,
    not integrated: an integrated flat intercept would count ``N - 1`` observations.

    References
    ----------
    .. [1] D. J. C. MacKay, "Bayesian interpolation", Neural Computation 4(3), 1992.
    .. [2] M. E. Tipping, "Sparse Bayesian learning and the relevance vector machine",
       J. Mach. Learn. Res. 1, 2001.
    .. [3] C. M. Bishop, "Pattern Recognition and Machine Learning", Springer, 2006, §3.5.

    Examples
    --------
    >>> import numpy as np, bayesreg
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 3)); y = X @ [1.0, 0.0, -2.0] + 0.1 * rng.standard_normal(50)
    >>> est = bayesreg.BayesianRidge().fit(X, y)
    >>> ridge = bayesreg.Ridge(alpha=est.lambda_ / est.alpha_).fit(X, y)
    >>> bool(np.allclose(est.coef_, ridge.coef_, rtol=1e-10, atol=0))
    True
    """

    _parameter_constraints: dict = {  # noqa: RUF012 - scikit-learn's class attribute
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "alpha_1": [Interval(Real, 0, None, closed="left")],
        "alpha_2": [Interval(Real, 0, None, closed="left")],
        "lambda_1": [Interval(Real, 0, None, closed="left")],
        "lambda_2": [Interval(Real, 0, None, closed="left")],
        "alpha_init": [None, Interval(Real, 0, None, closed="neither")],
        "lambda_init": [None, Interval(Real, 0, None, closed="neither")],
        "compute_score": ["boolean"],
        "fit_intercept": ["boolean"],
        "copy_X": ["boolean"],
        "verbose": ["verbose"],
        "polish": ["boolean"],
    }

    def __init__(
        self,
        *,
        max_iter=300,
        tol=1.0e-3,
        alpha_1=1.0e-6,
        alpha_2=1.0e-6,
        lambda_1=1.0e-6,
        lambda_2=1.0e-6,
        alpha_init=None,
        lambda_init=None,
        compute_score=False,
        fit_intercept=True,
        copy_X=True,
        verbose=False,
        polish=True,
    ):
        self.max_iter = max_iter
        self.tol = tol
        self.alpha_1 = alpha_1
        self.alpha_2 = alpha_2
        self.lambda_1 = lambda_1
        self.lambda_2 = lambda_2
        self.alpha_init = alpha_init
        self.lambda_init = lambda_init
        self.compute_score = compute_score
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.verbose = verbose
        self.polish = polish

    # -- validation --------------------------------------------------------------------
    def _check_params(self) -> None:
        self._validate_params()
        for name in ("tol", "alpha_1", "alpha_2", "lambda_1", "lambda_2"):
            value = getattr(self, name)
            if isinstance(value, Real) and math.isnan(value):
                raise ValueError(f"{name} must be a number, got NaN.")

    def _hyper(self) -> HyperPrior:
        return HyperPrior(
            float(self.alpha_1), float(self.alpha_2), float(self.lambda_1), float(self.lambda_2)
        )

    # -- fitting -----------------------------------------------------------------------
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None):
        """Maximise the evidence over ``(alpha, lambda)`` and set the posterior there.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default None
            Non-negative frequency weights.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            On invalid hyperparameters or inputs (empty, mismatched, non-finite,
            non-numeric, negative or all-zero weights, several targets), and, with
            ``polish=False``, when MacKay's update leaves ``(0, inf)`` (see
            :func:`maximize_evidence`), where scikit-learn fails or returns a negative
            ``alpha_``.
        """
        self._check_params()
        self._fit_validated(self._validated_data(X, y, sample_weight, reset=True))
        return self

    def _fit_validated(self, data: RegressionData) -> EvidenceSpectrum:
        """Fit on validated data; return the spectrum for the posterior."""
        self._forget_posterior()
        spectrum = EvidenceSpectrum.from_data(data)
        result = maximize_evidence(
            data,
            self._hyper(),
            alpha_init=self.alpha_init,
            lambda_init=self.lambda_init,
            tol=self.tol,
            max_iter=self.max_iter,
            polish=self.polish,
            compute_score=self.compute_score,
            verbose=bool(self.verbose),
            spectrum=spectrum,
        )
        if self.polish and self.alpha_2 == 0 and spectrum.exact_fit(result.alpha, result.lambda_):
            # F grows like log(alpha) without a rate: any "maximum" is set by rounding.
            warnings.warn(
                "BayesianRidge: the data are fitted exactly and alpha_2 = 0, so the "
                "evidence increases without bound in alpha; alpha_ = "
                f"{result.alpha:.3g} reflects rounding. Use alpha_2 > 0.",
                ConvergenceWarning,
                stacklevel=3,
            )
        elif self.polish and not result.converged:
            warnings.warn(
                "BayesianRidge: Newton's method did not certify a maximum of the evidence "
                f"(gradient {result.gradient}); the maximum may lie at infinite alpha or "
                "lambda. Positive hyperprior rates alpha_2, lambda_2 keep it finite.",
                ConvergenceWarning,
                stacklevel=3,  # the user's call of fit or sample_posterior
            )
        self.evidence_ = result
        self.alpha_ = result.alpha
        self.lambda_ = result.lambda_
        self.coef_ = result.coef
        self.intercept_ = data.intercept(result.coef)
        self.sigma_ = spectrum.covariance(result.alpha, result.lambda_)
        self.scores_ = result.scores
        self.n_iter_ = result.n_iter
        self.X_offset_ = data.x_offset
        self.X_scale_ = np.ones(data.n_features)
        self.prior_ = Gaussian(1.0 / math.sqrt(result.lambda_))
        return spectrum

    def predict(self, X: ArrayLike, return_std: bool = False):
        """Posterior predictive mean, and optionally its standard deviation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        return_std : bool, default False

        Returns
        -------
        y_mean : ndarray of shape (n_samples,)
            ``X coef_ + intercept_``.
        y_std : ndarray of shape (n_samples,)
            Only with ``return_std``: ``sqrt((x - xbar)' sigma_ (x - xbar) + 1 / alpha_)``,
            scikit-learn's predictive standard deviation, in closed form (no
            :meth:`sample_posterior` needed, unlike the other bayesreg estimators).  Like
            scikit-learn's, it leaves out the intercept's posterior variance
            ``1 / (alpha_ sum_i s_i)``, which :meth:`sample_posterior` (and so
            :meth:`sample_y`) includes.
        """
        X = self._validated_X(X)
        y_mean = X @ self.coef_ + self.intercept_
        if not return_std:
            return y_mean
        X_c = X - self.X_offset_
        var = np.einsum("ij,jk,ik->i", X_c, self.sigma_, X_c)
        return y_mean, np.sqrt(var + 1.0 / self.alpha_)

    def sample_posterior(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        sample_weight: ArrayLike | None = None,
        num_samples: int = 1000,
        num_chains: int = 4,
        random_state=None,
    ) -> xr.DataTree:
        """Fit, then draw iid from the exact posterior at the empirical-Bayes ``(alpha_, lambda_)``.

        Given the hyperparameters the posterior is Gaussian and known in closed form, so
        no MCMC is needed:

        ``w | y ~ N(coef_, sigma_)``;
        ``b_c | y ~ N(ybar, 1 / (alpha_ sum_i s_i))`` independent of ``w``, and
        ``b = b_c - xbar' w``,

        the second from the flat prior on the intercept, integrated out after centring
        (``b = b_c - xbar' w`` has unit Jacobian; see :mod:`bayesreg.model`).  The
        hyperparameters are plugged in: their own uncertainty is ignored, so intervals
        are somewhat too narrow for small ``n``; a full-Bayes model samples them too.

        Parameters
        ----------
        X, y, sample_weight
            As for :meth:`fit`.
        num_samples, num_chains : int
            Draws per chain and chains; chains are iid draws too (kept for arviz).
        random_state : None, int or numpy RandomState

        Returns
        -------
        xarray.DataTree
            ``posterior`` (``intercept``, ``coef`` over ``feature``, ``sigma`` =
            ``1 / sqrt(alpha_)``, constant), ``sample_stats`` (``lp``: the log posterior
            density of each draw), ``log_likelihood`` (pointwise
            ``log N(y_i | b + x_i'w, 1 / (alpha_ s_i))``) and ``observed_data`` (``y``
            over ``obs_id``; observations with zero weight are left out).  Also stored
            as ``posterior_``.

        Raises
        ------
        ValueError
            As for :meth:`fit`, and on ``num_samples`` or ``num_chains`` that are not
            positive integers, or an invalid ``random_state``; before the fit.
        """
        for name, value in (("num_samples", num_samples), ("num_chains", num_chains)):
            if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
        rng = check_random_state(random_state)
        self._check_params()
        data = self._validated_data(X, y, sample_weight, reset=True)
        spectrum = self._fit_validated(data)
        self.posterior_ = _iid_posterior(
            data,
            spectrum,
            coef=self.coef_,
            alpha=self.alpha_,
            lambda_=self.lambda_,
            feature_names=self.feature_names_,
            num_samples=int(num_samples),
            num_chains=int(num_chains),
            rng=rng,
        )
        self.posterior_["posterior"].attrs.update(
            inference="empirical Bayes: exact Gaussian posterior at alpha_, lambda_ (iid)",
            alpha_=self.alpha_,
            lambda_=self.lambda_,
        )
        return self.posterior_


def _iid_posterior(
    data: RegressionData,
    spectrum: EvidenceSpectrum,
    *,
    coef: np.ndarray,
    alpha: float,
    lambda_: float,
    feature_names: list[str],
    num_samples: int,
    num_chains: int,
    rng: np.random.RandomState,
) -> xr.DataTree:
    """iid draws of ``(w, b)`` from the Gaussian posterior, as an arviz DataTree.

    ``w = coef + V diag(d)^{-1/2} eps`` with ``A = V diag(d) V'`` from the SVD, so the
    draws are exact however ill-conditioned ``Sigma`` is (no Cholesky of ``sigma_``).
    """
    p = coef.size
    precisions = spectrum.posterior_precisions(alpha, lambda_)
    shape = (num_chains, num_samples)
    eps = rng.standard_normal((*shape, p))
    draws_w = coef + (eps / np.sqrt(precisions)) @ spectrum.Vh
    # log N(w | coef, Sigma) = -|eps|^2 / 2 + log|A| / 2 - p log(2 pi) / 2.
    lp = (
        -0.5 * np.sum(eps * eps, axis=-1)
        + 0.5 * np.sum(np.log(precisions))
        - 0.5 * p * math.log(2.0 * math.pi)
    )
    if data.fit_intercept:
        var_b = 1.0 / (alpha * data.sample_weight.sum())
        eps_b = rng.standard_normal(shape)
        intercept = data.y_offset + math.sqrt(var_b) * eps_b - draws_w @ data.x_offset
        lp = lp - 0.5 * eps_b**2 - 0.5 * math.log(2.0 * math.pi * var_b)
    else:
        intercept = np.zeros(shape)
    sigma = np.full(shape, 1.0 / math.sqrt(alpha))

    keep = data.sample_weight > 0
    obs_id = np.flatnonzero(keep)
    X, y, weight = data.X[keep], data.y[keep], data.sample_weight[keep]
    mean = intercept[..., None] + draws_w @ X.T
    loglik = gaussian_log_likelihood(y, mean, sigma, weight)

    chain, draw = np.arange(num_chains), np.arange(num_samples)
    base = {"chain": chain, "draw": draw}
    posterior = xr.Dataset(
        {
            "intercept": (("chain", "draw"), intercept),
            "coef": (("chain", "draw", "feature"), draws_w),
            "sigma": (("chain", "draw"), sigma),
        },
        coords={**base, "feature": list(feature_names)},
    )
    groups = {
        "posterior": posterior,
        "sample_stats": xr.Dataset({"lp": (("chain", "draw"), lp)}, coords=base),
        "log_likelihood": xr.Dataset(
            {"y": (("chain", "draw", "obs_id"), loglik)}, coords={**base, "obs_id": obs_id}
        ),
        "observed_data": xr.Dataset({"y": (("obs_id",), y)}, coords={"obs_id": obs_id}),
    }
    return xr.DataTree.from_dict(groups)
