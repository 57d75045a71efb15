"""Process-global JAX settings, each tested in a fresh interpreter.

bayesreg turns on JAX's float64 at import (numpyro breaks if the switch changes after a
sampler ran), so float32 and float64 are tested in separate processes, and so is a
forced multi-device host.
"""

import os
import subprocess
import sys
import textwrap

import pytest


def _run(code: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


LASSO_VS_SKLEARN = """
    import numpy as np, jax.numpy as jnp, sklearn.linear_model as sk
    from sklearn.datasets import load_diabetes
    import bayesreg
    X, y = load_diabetes(return_X_y=True)
    ours = bayesreg.Lasso(alpha=0.05, tol=1e-10).fit(X, y)
    ref = sk.Lasso(alpha=0.05, tol=1e-12, max_iter=10**6).fit(X, y)
    dev = np.max(np.abs(ours.coef_ - ref.coef_)) / max(1, np.max(np.abs(ref.coef_)))
    print(jnp.zeros(1).dtype, ours.coef_.dtype, dev, ours.map_.solver)
"""


def test_float64_is_on_after_import():
    # Importing bayesreg enables x64, and the MAP equals scikit-learn's to 1e-6 relative.
    dtype, coef_dtype, dev, _ = _run(LASSO_VS_SKLEARN).split()
    assert dtype == "float64" and coef_dtype == "float64"
    assert float(dev) <= 1e-6


def test_float32_mode_still_gives_the_exact_map():
    # With BAYESREG_X64=0 JAX stays float32; coordinate descent runs in float32, and the
    # float64 polish on the support still lands on scikit-learn's solution.
    dtype, coef_dtype, dev, solver = _run(LASSO_VS_SKLEARN, BAYESREG_X64="0").split()
    assert dtype == "float32" and coef_dtype == "float64"
    assert solver.endswith("+polish")
    assert float(dev) <= 1e-6


@pytest.mark.slow
def test_float32_mode_samples():
    # The sampler runs in float32 and returns a finite posterior centred near the MAP.
    out = _run(
        """
        import numpy as np, warnings, bayesreg
        from sklearn.datasets import load_diabetes
        X, y = load_diabetes(return_X_y=True)
        est = bayesreg.Ridge(alpha=0.5)
        # An explicit Jeffreys prior makes Ridge run NUTS instead of its exact draws.
        jeffreys = bayesreg.model.JeffreysNoise()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", bayesreg.inference.SamplingWarning)
            tree = est.sample_posterior(
                X, y, num_samples=300, num_warmup=300, random_state=0, noise_prior=jeffreys
            )
        coef = tree["posterior"]["coef"]
        sd = coef.std(("chain", "draw")).values
        z = (coef.mean(("chain", "draw")).values - est.coef_) / sd
        print(coef.dtype, np.all(np.isfinite(coef.values)), np.max(np.abs(z)))
        """,
        BAYESREG_X64="0",
    )
    dtype, finite, max_z = out.split()
    assert dtype == "float32" and finite == "True"
    # Ridge's posterior mean is the MAP (symmetric t marginal); 300 x 4 draws put the
    # sample mean within a few tenths of a posterior sd of it.
    assert float(max_z) < 0.5


@pytest.mark.slow
def test_chains_run_in_parallel_across_devices():
    # With 4 (forced host) devices, the 4 chains run by pmap ("parallel") and agree.
    # arviz is imported before bayesreg on purpose: see bayesreg._compat.
    out = _run(
        """
        import numpy as np, jax, arviz as az, bayesreg
        from sklearn.datasets import load_diabetes
        X, y = load_diabetes(return_X_y=True)
        tree = bayesreg.Lasso(alpha=0.1).sample_posterior(X, y, random_state=0)
        rhat = az.rhat(tree, var_names=["coef", "sigma", "intercept"])
        print(jax.local_device_count(), tree["posterior"].attrs["chain_method"],
              tree["posterior"].sizes["chain"], max(float(rhat[v].max()) for v in rhat))
        """,
        XLA_FLAGS="--xla_force_host_platform_device_count=4",
    )
    devices, method, chains, rhat = out.split()
    assert (devices, method, chains) == ("4", "parallel", "4")
    assert float(rhat) < 1.01
