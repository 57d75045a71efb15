"""The same ``random_state`` gives the same draws, bit for bit, on one device or several.

Within a process: two calls with the same seed (an int, or a ``RandomState`` seeded
alike) return identical posteriors and predictive draws; another seed gives others.

Across devices: the chains run one per device (``"parallel"``) when there are as many
devices as chains and one after another (``"sequential"``) otherwise, the same
single-chain program either way (:func:`bayesreg.inference.chain_method`), so 1, 2 and
4 forced host devices give identical draws.  Each device count needs its own process
(JAX fixes it at start-up).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_breast_cancer, load_diabetes

import bayesreg
from bayesreg.inference import SamplingWarning

SAMPLER = {"num_samples": 100, "num_warmup": 100, "num_chains": 4}
SITES = ("coef", "intercept", "sigma")


def _diabetes():
    return load_diabetes(return_X_y=True)


def _draws(tree) -> dict[str, np.ndarray]:
    post = tree["posterior"]
    return {name: post[name].values for name in SITES if name in post}


def _assert_same_draws(a, b):
    assert a.keys() == b.keys()
    for name in a:
        assert_array_equal(a[name], b[name], err_msg=name)


def _sample(estimator, X, y, random_state):
    # Short chains on purpose (the test is about identity, not convergence), so the
    # diagnostics may warn.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        return estimator.sample_posterior(X, y, random_state=random_state, **SAMPLER)


@pytest.mark.parametrize(
    "make",
    [
        lambda: bayesreg.Lasso(alpha=0.1),
        lambda: bayesreg.LinearRegression(bayesreg.Horseshoe(), likelihood="student_t"),
    ],
    ids=["Lasso", "LinearRegression-horseshoe-student_t"],
)
def test_same_seed_gives_identical_draws(make):
    X, y = _diabetes()
    first = _draws(_sample(make(), X, y, 7))
    again = _draws(_sample(make(), X, y, 7))
    from_state = _draws(_sample(make(), X, y, np.random.RandomState(7)))
    other = _draws(_sample(make(), X, y, 8))
    _assert_same_draws(first, again)
    _assert_same_draws(first, from_state)
    assert not np.array_equal(first["coef"], other["coef"])


def test_same_seed_gives_identical_logistic_draws_and_predictive_draws():
    X, y = load_breast_cancer(return_X_y=True)
    X = (X[:, :5] - X[:, :5].mean(0)) / X[:, :5].std(0)
    model = bayesreg.LogisticRegression(C=1.0)
    first = _sample(model, X, y, 3)["posterior"]["coef"].values
    again = _sample(bayesreg.LogisticRegression(C=1.0), X, y, 3)["posterior"]["coef"].values
    assert_array_equal(first, again)

    X_d, y_d = _diabetes()
    ridge = bayesreg.Ridge(alpha=1.0)
    _sample(ridge, X_d, y_d, 0)
    assert_array_equal(ridge.sample_y(X_d[:5], 10, random_state=1), ridge.sample_y(X_d[:5], 10, 1))
    assert not np.array_equal(ridge.sample_y(X_d[:5], 10, 1), ridge.sample_y(X_d[:5], 10, 2))


DRAWS_IN_A_FRESH_PROCESS = """
    import sys, warnings, numpy as np, jax, bayesreg
    from sklearn.datasets import load_diabetes, load_breast_cancer
    warnings.simplefilter("ignore", bayesreg.inference.SamplingWarning)
    sampler = dict(num_samples=100, num_warmup=100, num_chains=4, random_state=11)
    X, y = load_diabetes(return_X_y=True)
    lasso = bayesreg.Lasso(alpha=0.1).sample_posterior(X, y, **sampler)["posterior"]
    Xc, yc = load_breast_cancer(return_X_y=True)
    Xc = (Xc[:, :5] - Xc[:, :5].mean(0)) / Xc[:, :5].std(0)
    logit = bayesreg.LogisticRegression(C=1.0).sample_posterior(Xc, yc, **sampler)["posterior"]
    np.savez(
        sys.argv[1],
        lasso_coef=lasso["coef"].values, lasso_sigma=lasso["sigma"].values,
        lasso_intercept=lasso["intercept"].values,
        logit_coef=logit["coef"].values, logit_intercept=logit["intercept"].values,
    )
    print(jax.local_device_count(), lasso.attrs["chain_method"], logit.attrs["chain_method"])
"""


def _draws_with_devices(n_devices: int, path) -> tuple[str, dict]:
    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={n_devices}"}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(DRAWS_IN_A_FRESH_PROCESS), str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with np.load(path) as saved:
        return result.stdout.strip(), dict(saved)


@pytest.mark.slow
def test_one_two_and_four_devices_give_identical_draws(tmp_path):
    runs = {n: _draws_with_devices(n, tmp_path / f"{n}.npz") for n in (1, 2, 4)}
    assert runs[1][0] == "1 sequential sequential"
    assert runs[2][0] == "2 sequential sequential"  # fewer devices than chains
    assert runs[4][0] == "4 parallel parallel"
    for n in (2, 4):
        _assert_same_draws(runs[1][1], runs[n][1])
    # Not vacuous: the four chains differ from each other.
    coef = runs[1][1]["lasso_coef"]
    assert all(not np.array_equal(coef[0], coef[k]) for k in range(1, 4))
