"""The MAP of a network IS the penalised training fit (issue 7).

Every claim is checked against a computation that shares no code with
``bayesreg.nn``: a numpy network with hand-written backpropagation (its gradient
checked against finite differences and against scikit-learn's own
``_loss_grad_lbfgs``),
minimised by scipy (L2) or by a plain proximal-gradient loop with soft-thresholding
(L1), and scikit-learn's ``MLPRegressor`` itself.

Tolerances.  ``F`` is not convex, so two optimisers started at the same point are
compared at the same strict local minimum ``theta*``: if the Hessian of the objective
over the free coordinates has smallest eigenvalue ``mu > 0``, a point with gradient (or
prox-gradient mapping) ``g`` lies within ``||g||_2 / mu`` of ``theta*`` to first order.
The tolerance between two solutions is twice the sum of those two bounds (the factor 2
covers the second-order term) plus a rounding floor: the gradient itself is known only
to ``~1e3 eps`` times the scale of its terms, which moves the minimiser by that over
``mu``.

ReLU.  A ReLU network's objective is only piecewise smooth, and its minimiser found
from the start used here lies on a kink (one unit's pre-activation is 0 at one
observation), where no gradient certificate applies; the equivalence is tested on the
smooth tanh network, and for ReLU the test checks that the solver says it could not
certify the point (:func:`test_relu_map_lies_on_a_kink`).
"""

from __future__ import annotations

import warnings

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize
import scipy.stats
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor as SkMLPRegressor

import bayesreg
from bayesreg.nn import (
    Architecture,
    alpha_from_mse_penalty,
    penalty_prior,
    prior_scale,
    solve_network_map,
)
from bayesreg.nn import map as nn_map
from bayesreg.nn.objective import network_objective
from bayesreg.priors import Gaussian, Laplace

EPS = np.finfo(float).eps
LAM = 0.01  # the teaching experiment's penalty: MSE + 0.01 * R(w)


# -- data ----------------------------------------------------------------------------------
def teaching_data(seed=0):
    """x ~ U(-1, 1), y = sin(pi x) + 0.1 N(0, 1): 100 points, 80 to train, 20 to test."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, 100)
    y = np.sin(np.pi * x) + 0.1 * rng.standard_normal(100)
    X = x[:, None]
    return X[:80], y[:80], X[80:], y[80:]


def relu_data(seed=1):
    """Three inputs, a smooth nonlinear target, 60 observations."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((60, 3))
    y = np.tanh(X[:, 0] - X[:, 1]) + 0.5 * np.maximum(X[:, 2], 0) + 0.1 * rng.standard_normal(60)
    return X, y


TANH = Architecture(1, (10,), "tanh")
RELU = Architecture(3, (6, 4), "relu")


def start(architecture, seed=0):
    return np.asarray(
        architecture.ravel(architecture.initial_parameters(np.random.RandomState(seed)))
    )


# -- an independent network in numpy -------------------------------------------------------
class NumpyNet:
    """``f(x; theta)`` and the objective ``MSE + lam2 sum w^2 + kappa sum b_hidden^2``.

    ``MSE = (1/n) sum_i s_i r_i^2`` with ``n`` the number of rows.  The layout of
    ``theta`` is the documented one (each layer's weights row-major, the output
    weights, the hidden biases, the output bias), unpacked here by hand.
    """

    def __init__(self, n_features, hidden, activation):
        self.sizes = (n_features, *hidden, 1)
        self.activation = activation
        self.weight_shapes = [
            (self.sizes[i], self.sizes[i + 1]) for i in range(len(self.sizes) - 1)
        ]
        self.n_weights = sum(a * b for a, b in self.weight_shapes)
        self.n_params = self.n_weights + sum(self.sizes[1:])
        self.weights = np.zeros(self.n_params, dtype=bool)
        self.weights[: self.n_weights] = True
        self.hidden_biases = np.zeros(self.n_params, dtype=bool)
        self.hidden_biases[self.n_weights : self.n_params - 1] = True

    def unpack(self, theta):
        Ws, bs, k = [], [], 0
        for a, b in self.weight_shapes:
            Ws.append(theta[k : k + a * b].reshape(a, b))
            k += a * b
        for b in self.sizes[1:]:
            bs.append(theta[k : k + b])
            k += b
        return Ws, bs

    def _phi(self, z):
        return np.tanh(z) if self.activation == "tanh" else np.maximum(z, 0.0)

    def _dphi(self, z, a):
        return 1.0 - a * a if self.activation == "tanh" else (z > 0).astype(float)

    def forward(self, theta, X):
        Ws, bs = self.unpack(theta)
        a = X
        for W, b in zip(Ws[:-1], bs[:-1], strict=True):
            a = self._phi(a @ W + b)
        return (a @ Ws[-1] + bs[-1])[:, 0]

    def mse_objective(self, theta, X, y, s, lam2=0.0, kappa=0.0):
        """Value and gradient (by backpropagation) of the smooth objective."""
        n = X.shape[0]
        Ws, bs = self.unpack(theta)
        activations, pre = [X], []
        for W, b in zip(Ws[:-1], bs[:-1], strict=True):
            z = activations[-1] @ W + b
            pre.append(z)
            activations.append(self._phi(z))
        f = (activations[-1] @ Ws[-1] + bs[-1])[:, 0]
        r = y - f
        w = theta[self.weights]
        bh = theta[self.hidden_biases]
        value = np.sum(s * r * r) / n + lam2 * np.sum(w * w) + kappa * np.sum(bh * bh)
        delta = (-2.0 / n * s * r)[:, None]  # d value / d (output pre-activation)
        grad_W, grad_b = [None] * len(Ws), [None] * len(bs)
        for layer in range(len(Ws) - 1, -1, -1):
            grad_W[layer] = activations[layer].T @ delta
            grad_b[layer] = delta.sum(axis=0)
            if layer:
                back = delta @ Ws[layer].T
                delta = back * self._dphi(pre[layer - 1], activations[layer])
        grad = np.concatenate([g.ravel() for g in grad_W] + [g.ravel() for g in grad_b])
        grad[self.weights] += 2.0 * lam2 * w
        grad[self.hidden_biases] += 2.0 * kappa * bh
        return value, grad

    def hessian(self, gradient, theta, free):
        """Central differences of the exact gradient over the ``free`` coordinates.

        Error ``O(h^2)`` from the third derivative plus ``eps * |grad| / h`` from
        rounding: ``h = 1e-5`` keeps both near 1e-10 relative.
        """
        index = np.flatnonzero(free)
        H = np.empty((index.size, index.size))
        for j, i in enumerate(index):
            h = 1e-5 * max(1.0, abs(theta[i]))
            up, down = theta.copy(), theta.copy()
            up[i] += h
            down[i] -= h
            H[:, j] = (gradient(up)[index] - gradient(down)[index]) / (2 * h)
        return 0.5 * (H + H.T)


NP_TANH = NumpyNet(1, (10,), "tanh")
NP_RELU = NumpyNet(3, (6, 4), "relu")
CASES = {"tanh(10)": (TANH, NP_TANH), "relu(6,4)": (RELU, NP_RELU)}


def case_data(name):
    if name == "tanh(10)":
        X, y, _, _ = teaching_data()
        return X, y
    return relu_data()


def free_coordinates(net, theta, gradient):
    """Biases and nonzero weights, less the *inert* ones (Hessian row 0: the objective
    does not depend on them, e.g. the bias of a unit whose outgoing weights are 0)."""
    candidate = ~net.weights | (theta != 0)
    H = net.hessian(gradient, theta, candidate)
    inert = np.max(np.abs(H), axis=1) <= 1e-9 * np.max(np.abs(H))
    free = candidate.copy()
    free[np.flatnonzero(candidate)[inert]] = False
    return free


def newton_polish(net, gradient, theta, free, steps=20):
    """Newton steps with the finite-difference Hessian on the free coordinates: the
    gradient is exact, so the iteration converges to its zero (linearly, at rate
    ~1e-10 from the Hessian's error) whatever the small error of the Hessian."""
    theta = theta.copy()
    for _ in range(steps):
        g = gradient(theta)[free]
        H = net.hessian(gradient, theta, free)
        new = theta.copy()
        new[free] -= np.linalg.solve(H, g)
        if np.linalg.norm(gradient(new)[free]) >= np.linalg.norm(g):
            break
        theta = new
    return theta


def certificate_tolerance(*gradient_norms, mu, scale):
    """``2 * sum ||g||_2 / mu`` plus the rounding floor ``1e3 eps * scale / mu``."""
    return 2.0 * sum(gradient_norms) / mu + 1e3 * EPS * scale / mu


# -- 1. the mapping lambda <-> sigma <-> prior scale ---------------------------------------
@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_negative_log_posterior_is_the_mse_objective(penalty, request):
    # (2 sigma^2 / n) * [-log N(y | f, sigma^2) - log p(w | sigma)] = MSE + lam R(w) + c,
    # with the densities written here by scipy.stats and c the same for every theta.
    X, y, _, _ = teaching_data()
    n = y.size
    rng = np.random.default_rng(3)
    for sigma in (0.1, 0.7, 3.0):
        alpha = alpha_from_mse_penalty(penalty, LAM, n)
        prior = penalty_prior(penalty, alpha).scaled_by_noise(sigma)
        scale = prior_scale(penalty, LAM, n, noise_scale=sigma)
        closed_form = sigma / np.sqrt(n * LAM) if penalty == "l2" else 2 * sigma**2 / (n * LAM)
        assert isinstance(prior, Gaussian if penalty == "l2" else Laplace)
        np.testing.assert_allclose([prior.scale, scale], closed_form, rtol=4 * EPS)
        constants = []
        for _ in range(5):
            theta = rng.normal(scale=1.5, size=NP_TANH.n_params)
            f = NP_TANH.forward(theta, X)
            w = theta[NP_TANH.weights]
            log_prior = (
                scipy.stats.norm.logpdf(w, 0.0, closed_form)
                if penalty == "l2"
                else scipy.stats.laplace.logpdf(w, 0.0, closed_form)
            )
            nlp = -np.sum(scipy.stats.norm.logpdf(y, f, sigma)) - np.sum(log_prior)
            mse = np.mean((y - f) ** 2)
            R = np.sum(w**2) if penalty == "l2" else np.sum(np.abs(w))
            constants.append(2 * sigma**2 / n * nlp - (mse + LAM * R))
            # The numpy network is the documented one: bayesreg's forward pass agrees.
            ours = np.asarray(TANH.forward(TANH.unravel(jnp.asarray(theta)), X))
            np.testing.assert_allclose(ours, f, rtol=0, atol=1e3 * EPS * np.max(np.abs(f)))
        p = NP_TANH.n_weights
        log_norm_prior = (
            np.log(closed_form * np.sqrt(2 * np.pi)) if penalty == "l2" else np.log(2 * closed_form)
        )
        expected = 2 * sigma**2 / n * (n * np.log(sigma * np.sqrt(2 * np.pi)) + p * log_norm_prior)
        # Rounding: each of the ~n + p log-densities is exact to a few eps of its size.
        magnitude = 2 * sigma**2 / n * (n + p) * (10 + abs(np.log(sigma)) + abs(log_norm_prior))
        np.testing.assert_allclose(constants, expected, rtol=0, atol=1e3 * EPS * magnitude)


def test_objective_over_n_is_scikit_learns_loss(request):
    # F(theta) / n = scikit-learn's MLPRegressor loss (1/2n) sum r^2 + alpha/(2n) sum ||W||^2,
    # computed by scikit-learn's own _loss_grad_lbfgs; its gradient is grad F / n and also
    # the numpy backpropagation's gradient times 1/2 (F = (n/2) (MSE + lam sum w^2)).
    worst = 0.0
    for name, (architecture, net) in CASES.items():
        X, y = case_data(name)
        n = y.size
        alpha = alpha_from_mse_penalty("l2", LAM, n)
        sk = SkMLPRegressor(
            hidden_layer_sizes=architecture.hidden_layer_sizes,
            activation=architecture.activation,
            solver="lbfgs",
            alpha=alpha,
            max_iter=1,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # one iteration, on purpose
            sk.fit(X, y)  # allocates coefs_ and the packing layout
        theta = np.random.default_rng(5).normal(scale=0.8, size=net.n_params)
        packed = sklearn_packed(net, theta)
        activations = [X] + [None] * (len(net.sizes) - 1)
        deltas = [None] * (len(net.sizes) - 1)
        coef_grads = [np.empty(shape) for shape in net.weight_shapes]
        intercept_grads = [np.empty(size) for size in net.sizes[1:]]
        loss, grad = sk._loss_grad_lbfgs(
            packed, X, y[:, None], None, activations, deltas, coef_grads, intercept_grads
        )
        prior = penalty_prior("l2", alpha)
        data = (jnp.asarray(X), jnp.asarray(y), jnp.ones(n), jnp.asarray(0.0))
        F = float(network_objective(architecture, prior, data, jnp.asarray(theta)))
        np.testing.assert_allclose(F / n, loss, rtol=1e3 * EPS)
        value, np_grad = net.mse_objective(theta, X, y, np.ones(n), lam2=LAM)
        np.testing.assert_allclose(n / 2 * value, F, rtol=1e3 * EPS)
        # Same gradient, reordered from scikit-learn's layout (output weights included in
        # coefs_, biases per layer) to ours: identical here since w_out is the last matrix.
        np.testing.assert_allclose(np_grad / 2, grad, rtol=0, atol=1e3 * EPS * np.max(np.abs(grad)))
        # And against central differences (error ~h^2 f''' + eps f / h ~ 1e-9 relative).
        fd = np.array(
            [
                (
                    net.mse_objective(theta + e, X, y, np.ones(n), lam2=LAM)[0]
                    - net.mse_objective(theta - e, X, y, np.ones(n), lam2=LAM)[0]
                )
                / 2e-6
                for e in 1e-6 * np.eye(net.n_params)
            ]
        )
        np.testing.assert_allclose(fd, np_grad, rtol=0, atol=1e-7 * np.max(np.abs(np_grad)))
        worst = max(worst, abs(F / n - loss) / loss)
    request.node.user_properties.append(
        ("summary", f"nn MAP: F/n vs sklearn MLPRegressor loss: max rel. deviation {worst:.1e}")
    )


def sklearn_packed(net, theta):
    """scikit-learn's packing: every coefs_ matrix raveled, then every intercept."""
    Ws, bs = net.unpack(theta)
    return np.concatenate([W.ravel() for W in Ws] + [b.ravel() for b in bs])


# -- 2. L2: the MAP is the plain weight-decay fit --------------------------------------------
def plain_l2_fit(net, X, y, s, theta0, lam, kappa=0.0):
    """MSE + lam sum w^2 (+ kappa sum b_hidden^2) by scipy's L-BFGS-B, then Newton."""

    def objective(theta):
        return net.mse_objective(theta, X, y, s, lam2=lam, kappa=kappa)

    def gradient(theta):
        return objective(theta)[1]

    result = scipy.optimize.minimize(
        objective,
        theta0,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 50000, "maxfun": 100000, "gtol": 1e-13, "ftol": 0.0},
    )
    free = free_coordinates(net, result.x, gradient)
    theta = newton_polish(net, gradient, result.x, free)
    mu = np.linalg.eigvalsh(net.hessian(gradient, theta, free))[0]
    return theta, gradient, free, mu


_L2_CACHE: dict = {}


def l2_case(name):
    """The start, bayesreg's MAP and the plain fit for one architecture (computed once)."""
    if name not in _L2_CACHE:
        architecture, net = CASES[name]
        X, y = case_data(name)
        n = y.size
        s = np.ones(n)
        theta0 = start(architecture)
        alpha = alpha_from_mse_penalty("l2", LAM, n)
        result = solve_network_map(architecture, penalty_prior("l2", alpha), X, y, s, theta0)
        plain, gradient, free, mu = plain_l2_fit(net, X, y, s, theta0, LAM)
        scale = np.max(np.abs(gradient(theta0)))
        _L2_CACHE[name] = dict(
            X=X,
            y=y,
            theta0=theta0,
            alpha=alpha,
            result=result,
            plain=plain,
            gradient=gradient,
            free=free,
            mu=mu,
            scale=scale,
        )
    return _L2_CACHE[name]


SMOOTH_CASES = ["tanh(10)"]  # ReLU's MAP lies on a kink: see test_relu_map_lies_on_a_kink


@pytest.mark.parametrize("name", SMOOTH_CASES)
def test_l2_map_equals_plain_weight_decay_fit(name, request):
    case = l2_case(name)
    result, plain, gradient, free = case["result"], case["plain"], case["gradient"], case["free"]
    mu = case["mu"]
    assert result.converged and result.stationarity <= 1e-10
    assert mu > 0, "the plain fit should stop at a strict local minimum"
    # bayesreg's certificate, checked independently: its smallest Hessian eigenvalue is
    # that of F = (n/2) J over the same free coordinates (the FD Hessian is exact to ~1e-8).
    n = case["y"].size
    np.testing.assert_allclose(result.hessian_min_eigenvalue, n / 2 * mu, rtol=1e-5)
    g_map = np.linalg.norm(gradient(result.theta)[free])
    g_plain = np.linalg.norm(gradient(plain)[free])
    tol = certificate_tolerance(g_map, g_plain, mu=mu, scale=case["scale"])
    deviation = np.linalg.norm((result.theta - plain)[free])
    assert deviation <= tol, (deviation, tol)
    # Inert coordinates (none expected with L2 unless a ReLU unit is dead) are not compared.
    # The estimator from the same start (its Glorot draw of random_state=0) is the same fit.
    estimator = bayesreg.MLPRegressor(
        CASES[name][0].hidden_layer_sizes,
        activation=CASES[name][0].activation,
        penalty="l2",
        alpha=case["alpha"],
        random_state=0,
    ).fit(case["X"], case["y"])
    est_deviation = np.linalg.norm((estimator.theta_ - plain)[free])
    g_est = np.linalg.norm(gradient(estimator.theta_)[free])
    assert est_deviation <= certificate_tolerance(g_est, g_plain, mu=mu, scale=case["scale"])
    # The comparison can fail: the start is far from the fit.
    assert np.linalg.norm((case["theta0"] - plain)[free]) > 1e3 * tol
    request.node.user_properties.append(
        (
            "summary",
            f"nn MAP L2 {name}: |theta_MAP - plain scipy fit| = {deviation:.1e} (tol {tol:.1e}), "
            f"estimator {est_deviation:.1e}; stationarity {result.stationarity:.1e}, "
            f"min Hessian eigenvalue {result.hessian_min_eigenvalue:.3g}, "
            f"{int(np.sum(~free))} inert",
        )
    )


@pytest.mark.parametrize("name", SMOOTH_CASES)
def test_l2_map_equals_scikit_learn_from_the_same_start(name, request):
    # scikit-learn's lbfgs, warm-started at our start, minimises the same F / n; it stops
    # at its own gtol / ftol, so the tolerance is set by its final gradient (computed by
    # the numpy backprop) over mu.
    case = l2_case(name)
    architecture, net = CASES[name]
    X, y = case["X"], case["y"]
    sk = SkMLPRegressor(
        hidden_layer_sizes=architecture.hidden_layer_sizes,
        activation=architecture.activation,
        solver="lbfgs",
        alpha=case["alpha"],
        max_iter=1,
        tol=1e-15,
        warm_start=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk.fit(X, y)
    Ws, bs = net.unpack(case["theta0"])
    sk.coefs_ = [W.copy() for W in Ws]
    sk.intercepts_ = [b.copy() for b in bs]
    sk.set_params(max_iter=50000, max_fun=100000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # stops at ftol, judged below
        sk.fit(X, y)
    theta_sk = sklearn_packed(
        net, np.concatenate([W.ravel() for W in sk.coefs_] + [b.ravel() for b in sk.intercepts_])
    )
    free, gradient, mu = case["free"], case["gradient"], case["mu"]
    g_sk = np.linalg.norm(gradient(theta_sk)[free])
    g_map = np.linalg.norm(gradient(case["result"].theta)[free])
    tol = certificate_tolerance(g_sk, g_map, mu=mu, scale=case["scale"])
    deviation = np.linalg.norm((theta_sk - case["result"].theta)[free])
    assert deviation <= tol, (deviation, tol)
    request.node.user_properties.append(
        (
            "summary",
            f"nn MAP L2 {name}: |theta_MAP - sklearn lbfgs| = {deviation:.1e} (tol {tol:.1e} "
            f"from sklearn's final gradient {g_sk:.1e})",
        )
    )


def test_map_does_not_depend_on_sigma(request):
    # (1/(2 sigma^2)) sum r^2 + sum w^2 / (2 tau^2) with tau = sigma / sqrt(n lam) is
    # F / sigma^2: for every sigma its minimiser from the same start is the MAP.
    case = l2_case("tanh(10)")
    X, y, theta0 = case["X"], case["y"], case["theta0"]
    n = y.size
    free, gradient, mu = case["free"], case["gradient"], case["mu"]
    worst = 0.0
    for sigma in (0.05, 1.0, 20.0):
        tau = prior_scale("l2", LAM, n, noise_scale=sigma)

        def objective(theta, sigma=sigma, tau=tau):
            # The MSE-form value and gradient rescaled to the fixed-noise objective:
            # (1/(2 s^2)) sum r^2 + sum w^2/(2 t^2) = n/(2 s^2) (MSE + s^2/(n t^2) sum w^2).
            value, grad = NP_TANH.mse_objective(
                theta, X, y, np.ones(n), lam2=sigma**2 / (n * tau**2)
            )
            return n / (2 * sigma**2) * value, n / (2 * sigma**2) * grad

        result = scipy.optimize.minimize(
            objective,
            theta0,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": 50000, "maxfun": 100000, "gtol": 1e-13 * n / sigma**2, "ftol": 0.0},
        )
        theta = newton_polish(NP_TANH, gradient, result.x, free)
        g = np.linalg.norm(gradient(theta)[free])
        g_map = np.linalg.norm(gradient(case["result"].theta)[free])
        deviation = np.linalg.norm((theta - case["result"].theta)[free])
        assert deviation <= certificate_tolerance(g, g_map, mu=mu, scale=case["scale"])
        worst = max(worst, deviation)
    request.node.user_properties.append(
        (
            "summary",
            f"nn MAP: fixed-noise minimiser for sigma in (0.05, 1, 20) = MAP to {worst:.1e}",
        )
    )


def test_relu_map_lies_on_a_kink(request):
    # ReLU networks: F is only piecewise smooth, and from this start (as from every start
    # and data seed tried) the descent stops where one unit's pre-activation is 0 at one
    # observation: a kink where the gradient does not vanish, so no gradient certificate
    # can reach tol.  The solver must say so (ConvergenceWarning, converged False) rather
    # than report a certified MAP; scikit-learn's loss at the same theta is F / n.
    X, y = relu_data()
    n = y.size
    alpha = alpha_from_mse_penalty("l2", LAM, n)
    with pytest.warns(ConvergenceWarning, match="relative stationarity"):
        result = solve_network_map(RELU, penalty_prior("l2", alpha), X, y, np.ones(n), start(RELU))
    assert not result.converged
    Ws, bs = NP_RELU.unpack(result.theta)
    z1 = X @ Ws[0] + bs[0]
    z2 = np.maximum(z1, 0.0) @ Ws[1] + bs[1]
    closest = min(np.min(np.abs(z1)), np.min(np.abs(z2)))
    # "On the kink" to rounding: |z| at most a few eps times the size of its terms.
    assert closest <= 1e3 * EPS * (1 + np.max(np.abs(z1)))
    # Its gradient does not vanish there, yet no small step lowers the objective.
    smallest_rise = local_minimum_margin(NP_RELU, X, y, result.theta, lam2=LAM, size=1e-5)
    assert smallest_rise >= -1e3 * EPS
    request.node.user_properties.append(
        (
            "summary",
            f"nn MAP L2 relu(6,4): stops on a kink (min |pre-activation| {closest:.1e}), "
            f"stationarity {result.stationarity:.1e}: ConvergenceWarning, not certified",
        )
    )


def local_minimum_margin(net, X, y, theta, *, lam2=0.0, lam1=0.0, size=1e-4, draws=200):
    """min over random steps d (||d||_2 = size, zeros perturbed too) of
    [J(theta + d) - J(theta)] / |J(theta)|, J = MSE + lam2 sum w^2 + lam1 sum |w|.

    At a strict local minimum with Hessian eigenvalue mu the rise is at least
    ``mu size^2 / 2`` (a first-order rise at zero L1 weights), far above rounding
    (``~eps |J|``) for the sizes used: a negative value means a descent direction.
    """
    s = np.ones(y.size)

    def J(t):
        return net.mse_objective(t, X, y, s, lam2=lam2)[0] + lam1 * np.sum(np.abs(t[net.weights]))

    base = J(theta)
    rng = np.random.default_rng(11)
    steps = rng.standard_normal((draws, theta.size))
    steps *= size / np.linalg.norm(steps, axis=1, keepdims=True)
    return min((J(theta + d) - base) / abs(base) for d in steps)


# -- 3. L1: the MAP is the plain proximal-gradient fit, with the same exact zeros ---------
def soft_threshold(v, t):
    return np.sign(v) * np.maximum(np.abs(v) - t, 0.0)


def plain_l1_fit(net, X, y, theta0, lam, *, tol=1e-11, max_iter=400_000):
    """ISTA on MSE + lam sum |w|: a gradient step on the MSE, soft-thresholding of the
    weights at t lam (biases unpenalised), step t by backtracking on the MSE's quadratic
    upper bound.  Stops when the prox-gradient mapping ||theta - T(theta)||_inf / t <= tol."""
    s = np.ones(y.size)
    w = net.weights
    theta, t = theta0.copy(), 1.0
    value, grad = net.mse_objective(theta, X, y, s)
    for iteration in range(max_iter):  # noqa: B007 - reported after the loop
        t *= 1.5
        while True:
            moved = theta - t * grad
            new = np.where(w, soft_threshold(moved, t * lam), moved)
            diff = new - theta
            new_value, new_grad = net.mse_objective(new, X, y, s)
            if new_value <= value + grad @ diff + 0.5 * (diff @ diff) / t + 1e-15 * value:
                break
            t *= 0.5
        mapping = np.max(np.abs(diff)) / t
        theta, value, grad = new, new_value, new_grad
        if mapping <= tol:
            break
    return theta, iteration + 1


def l1_subgradient_residual(net, grad_mse, theta, lam):
    """The least-norm subgradient of MSE + lam sum |w| (0 at a stationary point)."""
    w = net.weights
    residual = grad_mse.copy()
    nonzero = w & (theta != 0)
    zero = w & (theta == 0)
    residual[nonzero] += lam * np.sign(theta[nonzero])
    residual[zero] = soft_threshold(grad_mse[zero], lam)
    return residual


_L1_CACHE: dict = {}


def l1_case():
    if not _L1_CACHE:
        X, y, _, _ = teaching_data()
        n = y.size
        s = np.ones(n)
        theta0 = start(TANH)
        alpha = alpha_from_mse_penalty("l1", LAM, n)
        result = solve_network_map(TANH, penalty_prior("l1", alpha), X, y, s, theta0)
        plain, n_iter = plain_l1_fit(NP_TANH, X, y, theta0, LAM)

        def gradient(theta):
            # Gradient of MSE + lam sum |w| on the free coordinates (nonzero weights).
            g = NP_TANH.mse_objective(theta, X, y, s)[1]
            return g + LAM * np.where(NP_TANH.weights, np.sign(theta), 0.0)

        free = free_coordinates(NP_TANH, result.theta, gradient)
        mu = np.linalg.eigvalsh(NP_TANH.hessian(gradient, result.theta, free))[0]
        _L1_CACHE.update(
            X=X,
            y=y,
            s=s,
            theta0=theta0,
            alpha=alpha,
            result=result,
            plain=plain,
            n_iter=n_iter,
            gradient=gradient,
            free=free,
            mu=mu,
            scale=np.max(np.abs(NP_TANH.mse_objective(theta0, X, y, s)[1])),
        )
    return _L1_CACHE


def test_l1_map_equals_plain_proximal_gradient_fit(request):
    case = l1_case()
    X, y, s = case["X"], case["y"], case["s"]
    result, plain, free, mu = case["result"], case["plain"], case["free"], case["mu"]
    w = NP_TANH.weights
    assert result.converged and result.stationarity <= 1e-10
    # The same weights are exactly 0.0 in both, and there are some.
    assert np.array_equal(result.theta[w] == 0, plain[w] == 0)
    n_zero = int(np.sum(plain[w] == 0))
    assert n_zero == result.n_zero_weights > 0
    assert mu > 0
    # bayesreg's second-order certificate over the same free coordinates: F = (n/2) J.
    np.testing.assert_allclose(result.hessian_min_eigenvalue, y.size / 2 * mu, rtol=1e-5)
    grad_map = l1_subgradient_residual(
        NP_TANH, NP_TANH.mse_objective(result.theta, X, y, s)[1], result.theta, LAM
    )
    grad_plain = l1_subgradient_residual(
        NP_TANH, NP_TANH.mse_objective(plain, X, y, s)[1], plain, LAM
    )
    tol = certificate_tolerance(
        np.linalg.norm(grad_map[free]),
        np.linalg.norm(grad_plain[free]),
        mu=mu,
        scale=case["scale"],
    )
    deviation = np.linalg.norm((result.theta - plain)[free])
    assert deviation <= tol, (deviation, tol)
    # Optimality, checked independently: at zero weights |dMSE/dw| < lam with a margin,
    # at nonzero ones dMSE/dw + lam sign(w) = 0 to rounding; biases: dMSE/db = 0.
    g = NP_TANH.mse_objective(result.theta, X, y, s)[1]
    zero = w & (result.theta == 0)
    margin = LAM - np.max(np.abs(g[zero]))
    assert margin > 1e-6 * LAM
    # Rounding of the gradient (terms of size `scale`) over 1e3 eps: the solve's tol 1e-10
    # is relative to 1 + scale, so the residual is at most that.
    assert (
        np.max(np.abs(grad_map[free]))
        <= 1e-10 * (1 + case["scale"]) * (2 / y.size) + 1e3 * EPS * case["scale"]
    )
    request.node.user_properties.append(
        (
            "summary",
            f"nn MAP L1 tanh(10): {n_zero}/{NP_TANH.n_weights} weights exactly 0 in both; "
            f"|theta_MAP - plain ISTA ({case['n_iter']} it.)| = {deviation:.1e} (tol {tol:.1e}); "
            f"KKT margin at zeros {margin:.2e} (lam {LAM}); stationarity "
            f"{result.stationarity:.1e}; min Hessian eigenvalue "
            f"{result.hessian_min_eigenvalue:.3g}",
        )
    )


# -- 4. the certificate can fail, and the MAP is a local minimum ---------------------------
@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_certificate_flags_points_that_are_not_stationary(penalty, request):
    case = l2_case("tanh(10)") if penalty == "l2" else l1_case()
    X, y = case["X"], case["y"]
    n = y.size
    s = np.ones(n)
    prior = penalty_prior(penalty, case["alpha"])
    theta_map = case["result"].theta
    # bayesreg's own stationarity at the MAP moved by 1e-3 along a random direction
    # (zeros kept): the gradient of F there is ~ H d, of order mu ||d||, not rounding.
    rng = np.random.default_rng(2)
    d = rng.standard_normal(theta_map.size) * (theta_map != 0)
    moved = theta_map + 1e-3 * d / np.linalg.norm(d)
    data = (jnp.asarray(X), jnp.asarray(y), jnp.asarray(s), jnp.asarray(0.0))
    problem = nn_map._Problem(TANH, prior, data)
    weights = TANH.weight_mask()
    step = None if penalty == "l2" else 1e-8
    ours = nn_map._stationarity(problem, weights, moved, step)
    # The same quantity from the numpy network (F = (n/2) J): the gradient for L2, the
    # least-norm subgradient for L1 (the prox mapping with t -> 0).
    g_mse = NP_TANH.mse_objective(moved, X, y, s, lam2=LAM if penalty == "l2" else 0.0)[1]
    expected = (
        n / 2 * (g_mse if penalty == "l2" else l1_subgradient_residual(NP_TANH, g_mse, moved, LAM))
    )
    np.testing.assert_allclose(ours, np.max(np.abs(expected)), rtol=1e-6)
    assert ours / (1 + case["scale"] * n / 2) > 1e3 * 1e-10
    # A solve cut short says so.
    with pytest.warns(ConvergenceWarning, match="relative stationarity"):
        short = solve_network_map(TANH, prior, X, y, s, case["theta0"], max_iter=1, tol=1e-14)
    assert not short.converged and short.stationarity > 1e-14
    # The MAP is a local minimum: no small step (zeros perturbed too) lowers MSE + lam R.
    lam2, lam1 = (LAM, 0.0) if penalty == "l2" else (0.0, LAM)
    rise = local_minimum_margin(NP_TANH, X, y, theta_map, lam2=lam2, lam1=lam1, size=1e-3)
    # mu ||d||^2 / 2 / |J| with mu ~ 0.1 / (n/2) and |J| ~ 0.01-0.1 is >= 1e-6: rounding is 1e-16.
    assert rise > 0
    request.node.user_properties.append(
        (
            "summary",
            f"nn MAP {penalty} certificate: stationarity at MAP + 1e-3 step {ours:.1e} "
            f"(at the MAP {case['result'].stationarity:.1e}); max_iter=1 -> "
            f"{short.stationarity:.1e}, warned; smallest relative rise of J over 200 "
            f"random 1e-3 steps {rise:.1e}",
        )
    )


# -- 5. sample weights ----------------------------------------------------------------------
def penalised_F_gradient(X, y, s, alpha, kappa=0.0):
    """grad F for F = 1/2 sum s r^2 + alpha/2 sum w^2 + kappa/2 sum b_hidden^2 (numpy):
    F = (n/2) (MSE + (alpha/n) sum w^2 + (kappa/n) sum b_hidden^2) with MSE over n rows."""
    n = X.shape[0]

    def gradient(theta):
        return n / 2 * NP_TANH.mse_objective(theta, X, y, s, lam2=alpha / n, kappa=kappa / n)[1]

    return gradient


def test_integer_sample_weights_equal_repeated_rows(request):
    # Weights in {0, 1, 2, 3}: F with weights s is F on the data with row i repeated s_i
    # times (a zero weight removes the row), so from the same start both solves reach the
    # same minimiser; they differ only by their stopping points, bounded by the certificate.
    X, y, _, _ = teaching_data()
    s = np.random.default_rng(4).integers(0, 4, y.size).astype(float)
    assert np.any(s == 0) and np.any(s > 1)
    alpha = alpha_from_mse_penalty("l2", LAM, y.size)
    prior = penalty_prior("l2", alpha)
    theta0 = start(TANH)
    weighted = solve_network_map(TANH, prior, X, y, s, theta0)
    repeat = np.repeat(np.arange(y.size), s.astype(int))
    repeated = solve_network_map(TANH, prior, X[repeat], y[repeat], np.ones(repeat.size), theta0)
    assert weighted.converged and repeated.converged
    np.testing.assert_allclose(weighted.objective, repeated.objective, rtol=1e3 * EPS)
    gradient = penalised_F_gradient(X, y, s, alpha)
    free = np.ones(NP_TANH.n_params, dtype=bool)
    mu = np.linalg.eigvalsh(NP_TANH.hessian(gradient, weighted.theta, free))[0]
    assert mu > 0
    tol = certificate_tolerance(
        np.linalg.norm(gradient(weighted.theta)),
        np.linalg.norm(gradient(repeated.theta)),
        mu=mu,
        scale=np.max(np.abs(gradient(theta0))),
    )
    deviation = np.linalg.norm(weighted.theta - repeated.theta)
    assert deviation <= tol, (deviation, tol)
    # The weights matter: the unweighted MAP from the same start is far away.
    unweighted = l2_case("tanh(10)")["result"].theta
    assert np.linalg.norm(unweighted - weighted.theta) > 1e3 * tol
    request.node.user_properties.append(
        (
            "summary",
            f"nn MAP sample_weight in {{0..3}} = repeated rows (zeros removed): "
            f"|d theta| {deviation:.1e} (tol {tol:.1e})",
        )
    )


# -- 6. a prior on the hidden biases -------------------------------------------------------
def test_bias_scale_map_minimises_the_bias_penalised_objective(request):
    # MLPRegressor(bias_scale=b, noise_scale=sigma): the mode given sigma of the posterior
    # with hidden biases ~ N(0, b^2) minimises F + sigma^2 / (2 b^2) ||b_hidden||^2.
    # The estimator starts that solve at its flat-bias MAP (the L2 case's MAP); so does
    # the plain optimiser here.
    case = l2_case("tanh(10)")
    X, y = case["X"], case["y"]
    n = y.size
    sigma, b = 0.1, 0.2
    estimator = bayesreg.MLPRegressor(
        (10,), "tanh", alpha=case["alpha"], bias_scale=b, noise_scale=sigma, random_state=0
    ).fit(X, y)
    kappa = sigma**2 / b**2
    plain, gradient, free, mu = plain_l2_fit(
        NP_TANH, X, y, np.ones(n), case["result"].theta, LAM, kappa=kappa / n
    )
    assert mu > 0 and estimator.map_.converged
    tol = certificate_tolerance(
        np.linalg.norm(gradient(estimator.theta_)[free]),
        np.linalg.norm(gradient(plain)[free]),
        mu=mu,
        scale=case["scale"],
    )
    deviation = np.linalg.norm((estimator.theta_ - plain)[free])
    assert deviation <= tol, (deviation, tol)
    # The bias prior matters: the flat-bias MAP is far from this one.
    shift = np.linalg.norm(case["result"].theta - plain)
    assert shift > 1e3 * tol
    request.node.user_properties.append(
        (
            "summary",
            f"nn MAP bias_scale={b}, sigma={sigma}: |theta - plain fit of F + "
            f"sigma^2/(2b^2)|b|^2| = {deviation:.1e} (tol {tol:.1e}; flat-bias MAP "
            f"{shift:.2f} away)",
        )
    )


# -- 7. refits compile nothing --------------------------------------------------------------
def test_refit_with_another_alpha_compiles_nothing(request):
    X, y, _, _ = teaching_data()
    compiled = (
        nn_map._value,
        nn_map._value_and_grad,
        nn_map._hessian,
        nn_map._smooth_grad,
        nn_map._proximal_gradient_loop,
    )
    for penalty in ("l2", "l1"):
        bayesreg.MLPRegressor((10,), "tanh", penalty=penalty, alpha=0.8, random_state=0).fit(X, y)
    before = [f._cache_size() for f in compiled]
    for penalty, alpha in [("l2", 0.3), ("l2", 2.0), ("l1", 0.2), ("l1", 0.6)]:
        estimator = bayesreg.MLPRegressor(
            (10,), "tanh", penalty=penalty, alpha=alpha, random_state=1
        )
        with warnings.catch_warnings():
            # From this start three of the four solves end at degenerate stationary
            # points (duplicated or switched-off units) and warn: irrelevant to compiling.
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X, y)
    assert [f._cache_size() for f in compiled] == before
    request.node.user_properties.append(
        ("summary", "nn MAP: 4 refits with other alpha / start compiled 0 new functions")
    )


# -- 8. the teaching experiment's three fits -----------------------------------------------
def test_teaching_experiment_test_mse(request):
    # No penalty / L1 0.01 / L2 0.01 on the weights, from the same start (random_state=0),
    # scored on the 20 held-out points.  Without a penalty the weights have no finite
    # mode in general (the solve would run to max_iter): it is stopped early at 1000
    # iterations, as an unpenalised network is in practice.
    X, y, X_test, y_test = teaching_data()
    n = y.size
    fits = {}
    with pytest.warns(ConvergenceWarning):
        fits["none"] = bayesreg.MLPRegressor(
            (10,), "tanh", alpha=0.0, max_iter=1000, random_state=0
        ).fit(X, y)
    for penalty in ("l1", "l2"):
        fits[penalty] = bayesreg.MLPRegressor(
            (10,),
            "tanh",
            penalty=penalty,
            alpha=alpha_from_mse_penalty(penalty, LAM, n),
            random_state=0,
        ).fit(X, y)
        assert fits[penalty].map_.converged
    mse = {k: float(np.mean((f.predict(X_test) - y_test) ** 2)) for k, f in fits.items()}
    # Every fit learns the sine: far below predicting the mean (var y_test ~0.3), and
    # no fit beats the noise variance 0.01 by more than chance on 20 points allows
    # (chi^2_20 / 20 is below 0.35 with probability 3e-3).
    assert all(0.35 * 0.01 < v < 0.2 * np.var(y_test) for v in mse.values()), mse
    # The predictions are the numpy network's at the fitted parameters.
    for f in fits.values():
        np.testing.assert_allclose(
            f.predict(X_test), NP_TANH.forward(f.theta_, X_test), rtol=0, atol=1e-12
        )
    request.node.user_properties.append(
        (
            "summary",
            "nn teaching experiment (seed 0, tanh(10), 80 train / 20 test): test MSE "
            f"none {mse['none']:.4f} (stopped at 1000 it.), L1 0.01 {mse['l1']:.4f} "
            f"({fits['l1'].map_.n_zero_weights} zero weights), L2 0.01 {mse['l2']:.4f}",
        )
    )
