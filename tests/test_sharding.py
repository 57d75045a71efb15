"""The Gaussian sufficient statistics with the rows split across devices.

JAX fixes its device count at start-up, so the multi-device checks run in fresh
interpreters with ``XLA_FLAGS=--xla_force_host_platform_device_count=4`` (and 1, for the
reference), as tests/test_reproducibility.py does.  Rounding: every entry of ``X~'X~`` is
a sum of ``n`` products, and the one-device and sharded sums add the same terms in
different orders, so both are within ``gamma_n |X~|'|X~|`` of the exact sum
(``gamma_n = n eps / (1 - n eps)``) and within twice that of each other.
"""

import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

from bayesreg import sharding

EPS = np.finfo(np.float64).eps

ON_DEVICES = """
    import json, os, sys
    import numpy as np, jax, bayesreg
    from bayesreg import sharding
    from bayesreg.model import RegressionData
    from bayesreg.sufficient_statistics import GaussianStatistics

    rng = np.random.default_rng(0)
    n, p = 40_203, 12  # 40,102 rows of positive weight, not a multiple of 4: padded
    X = rng.normal(size=(n, p)) * np.logspace(-1, 1, p) + 5.0
    y = X @ rng.normal(size=p) + 3.0 + rng.normal(size=n)
    w = rng.uniform(0.0, 2.0, size=n)
    w[:101] = 0.0
    data = RegressionData.from_arrays(X, y, w)
    keep = w > 0
    X_t, y_t = data.centered()
    X_t, y_t = X_t[keep], y_t[keep]

    report = {"devices": jax.local_device_count(), "n_rows": int(keep.sum())}
    report["auto"] = sharding.use_sharding(int(keep.sum()))
    report["auto_below"] = sharding.use_sharding(4 * sharding.MIN_ROWS_PER_DEVICE - 1)
    report["forced_off"] = sharding.use_sharding(10**9, shard=False)
    os.environ["BAYESREG_SHARD"] = "0"
    report["env_off"] = sharding.use_sharding(10**9)
    os.environ["BAYESREG_SHARD"] = "1"
    report["env_on"] = sharding.use_sharding(10)
    os.environ["BAYESREG_SHARD"] = "yes"
    try:
        sharding.use_sharding(10)
        report["env_bad"] = "accepted"
    except ValueError as err:
        report["env_bad"] = str(err)
    os.environ["BAYESREG_SHARD"] = "1"

    placed = sharding.shard_rows(X_t)
    report["spec"] = str(placed.sharding.spec)
    report["shape"] = list(placed.shape)
    report["shard_rows"] = sorted(int(s.data.shape[0]) for s in placed.addressable_shards)
    report["shard_devices"] = len({s.device for s in placed.addressable_shards})
    report["padding_is_zero"] = bool(np.all(np.asarray(placed)[X_t.shape[0]:] == 0))

    one = GaussianStatistics.from_data(data, shard=False)
    many = GaussianStatistics.from_data(data, shard=True)

    # Ridge's exact posterior and MAP, with the statistics split when there are devices.
    calls = []
    original = sharding.sharded_gram
    def counted(*args):
        calls.append(1)
        return original(*args)
    sharding.sharded_gram = counted
    ridge = bayesreg.Ridge(alpha=3.0)
    tree = ridge.sample_posterior(X, y, sample_weight=w, num_samples=100, num_chains=4,
                                  random_state=0)
    post = tree["posterior"]
    report["ridge_sharded_calls"] = len(calls)
    report["sampler"] = post.attrs["sampler"]
    report["chain_method"] = bayesreg.inference.chain_method(4)
    np.savez(
        sys.argv[1],
        gram_one=one.gram, gram_many=many.gram, xty_one=one.xty, xty_many=many.xty,
        yty=np.array([one.yty, many.yty]), abs_gram=np.abs(X_t).T @ np.abs(X_t),
        abs_xty=np.abs(X_t).T @ np.abs(y_t), abs_yty=np.array(np.abs(y_t) @ np.abs(y_t)),
        coef=post["coef"].values, sigma=post["sigma"].values,
        intercept=post["intercept"].values, map=ridge.coef_, x_offset=data.x_offset,
    )
    print(json.dumps(report))
"""


def _run_on(n_devices: int, path) -> tuple[dict, dict]:
    import json

    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={n_devices}"}
    env.pop("BAYESREG_SHARD", None)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(ON_DEVICES), str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with np.load(path) as saved:
        return json.loads(result.stdout.strip().splitlines()[-1]), dict(saved)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sharding")
    return {n: _run_on(n, folder / f"{n}.npz") for n in (1, 4)}


# Checks the switch: on 4 devices the products are split from 10,000 rows per device on
# (not below), shard=False and BAYESREG_SHARD=0 turn it off, BAYESREG_SHARD=1 forces it,
# any other value is refused with a message naming the variable; on one device never.
def test_when_the_rows_are_split(runs):
    four, _ = runs[4]
    one, _ = runs[1]
    assert four["devices"] == 4 and one["devices"] == 1
    assert four["n_rows"] >= 4 * sharding.MIN_ROWS_PER_DEVICE
    assert four["auto"] is True and four["auto_below"] is False
    assert four["forced_off"] is False and four["env_off"] is False and four["env_on"] is True
    assert "BAYESREG_SHARD must be '0'" in four["env_bad"] and "'yes'" in four["env_bad"]
    assert one["auto"] is False and one["env_on"] is False


# Checks the array really is split: PartitionSpec('rows', None), 4 shards on 4 distinct
# devices, each a quarter of the rows padded to a multiple of 4 with zero rows.
def test_rows_are_placed_on_every_device(runs):
    four, _ = runs[4]
    n = four["n_rows"]
    padded = n + (-n % 4)
    assert four["spec"] == str(sharding.PartitionSpec("rows", None))
    assert four["shape"] == [padded, 12]
    assert four["shard_rows"] == [padded // 4] * 4
    assert four["shard_devices"] == 4
    assert four["padding_is_zero"]


# Checks the sharded X~'X~, X~'y~, y~'y~ equal the one-device numpy products within the
# rounding bound 2 gamma_n |X~|'|X~| (entrywise), and are not bit-identical copies of them
# by accident of a fallback (the 4-device run took the sharded path: see the switch test).
def test_sharded_statistics_equal_the_one_device_ones(runs, request):
    four, saved = runs[4]
    n = four["n_rows"]
    gamma = 2 * n * EPS / (1 - n * EPS)
    worst = 0.0
    for name, bound in (
        ("gram", saved["abs_gram"]),
        ("xty", saved["abs_xty"]),
    ):
        deviation = np.abs(saved[f"{name}_many"] - saved[f"{name}_one"])
        assert np.all(deviation <= gamma * bound), name
        worst = max(worst, float(np.max(deviation / (gamma * bound))))
    assert abs(saved["yty"][1] - saved["yty"][0]) <= gamma * float(saved["abs_yty"])
    # On one device shard=True falls back to numpy: the same numbers bit for bit.
    _, single = runs[1]
    np.testing.assert_array_equal(single["gram_many"], single["gram_one"])
    request.node.user_properties.append(
        ("summary", f"sharded X'X on 4 devices: deviation <= {worst:.1e} of the rounding bound")
    )


# Checks Ridge on 4 devices (statistics split, counted) gives the MAP and the exact
# posterior draws of one device for the same random_state, within the rounding bound
# carried through A^{-1}: |dm| <= |A^{-1}| (|dxty| + |dA| |m|) to first order, and the
# draws (m + sigma R e, R the Jacobi-scaled Cholesky root) within kappa(C) ||dC|| of their
# spread, C = D A D the scaled A.
def test_ridge_is_the_same_on_four_devices_as_on_one(runs, request):
    four, many = runs[4]
    one, single = runs[1]
    assert four["ridge_sharded_calls"] >= 1 and one["ridge_sharded_calls"] == 0
    assert four["sampler"] == one["sampler"] == "exact normal-inverse-gamma"
    assert four["chain_method"] == "parallel" and one["chain_method"] == "sequential"
    np.testing.assert_array_equal(many["map"], single["map"])  # the MAP reads X, not X'X

    n = four["n_rows"]
    gamma = 2 * n * EPS / (1 - n * EPS)
    A = single["gram_one"] + 3.0 * np.eye(12)
    A_inv = np.linalg.inv(A)
    m = A_inv @ single["xty_one"]
    dm_bound = np.abs(A_inv) @ (gamma * single["abs_xty"] + gamma * single["abs_gram"] @ np.abs(m))
    # The root is D L^{-T} with C = D A D = L L' (unit diagonal): its relative change is
    # at most about kappa(C) ||dC||_2, with |dC| <= gamma D |X~|'|X~| D entrywise.
    d = 1.0 / np.sqrt(np.diag(A))
    dC_norm = gamma * np.linalg.norm(d[:, None] * single["abs_gram"] * d[None, :], 2)
    kappa_C = np.linalg.cond(A * d[:, None] * d[None, :])
    spread = np.max(np.abs(single["coef"] - m), axis=(0, 1))
    coef_bound = 2 * dm_bound + 10 * kappa_C * dC_norm * spread
    deviation = np.max(np.abs(many["coef"] - single["coef"]), axis=(0, 1))
    assert np.all(deviation <= coef_bound), (deviation, coef_bound)
    # sigma^2 = (J / 2) / g with J = min of the penalised RSS: first order in dm vanishes.
    np.testing.assert_allclose(many["sigma"], single["sigma"], rtol=100 * n * EPS)
    # intercept = b_c - xbar'w, with b_c = ybar + sigma e_b / sqrt(W).
    scale = np.max(np.abs(single["intercept"]))
    atol = np.abs(single["x_offset"]) @ coef_bound + 100 * n * EPS * scale
    np.testing.assert_allclose(many["intercept"], single["intercept"], rtol=0, atol=atol)
    assert not np.array_equal(many["coef"][0], many["coef"][1])  # not a constant
    request.node.user_properties.append(
        (
            "summary",
            f"Ridge exact posterior 4 vs 1 devices: max |d coef| {np.max(deviation):.1e} "
            f"(bound {np.min(coef_bound):.1e}..{np.max(coef_bound):.1e})",
        )
    )


# Checks, in this (one-device) process, the statistics are the explicit products of the
# centred weighted data without its zero-weight rows, that a caller's centred copy gives
# the same numbers, and that shard=True falls back to numpy on one device (bit for bit).
def test_statistics_are_the_centred_products_on_one_device():
    from bayesreg.model import RegressionData
    from bayesreg.sufficient_statistics import GaussianStatistics

    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 4)) + 2.0
    y = X @ rng.normal(size=4) + rng.normal(size=50)
    w = rng.uniform(0.0, 2.0, size=50)
    w[[3, 17]] = 0.0
    data = RegressionData.from_arrays(X, y, w)
    xbar, ybar = w @ X / w.sum(), w @ y / w.sum()
    keep = w > 0
    X_t = ((X - xbar) * np.sqrt(w)[:, None])[keep]
    y_t = ((y - ybar) * np.sqrt(w))[keep]
    stats = GaussianStatistics.from_data(data)
    np.testing.assert_allclose(stats.gram, X_t.T @ X_t, rtol=1e-12)
    np.testing.assert_allclose(stats.xty, X_t.T @ y_t, rtol=1e-12)
    assert stats.yty == pytest.approx(y_t @ y_t, rel=1e-12)
    assert (stats.n_obs, stats.weight_sum) == (48, pytest.approx(w.sum()))
    given = GaussianStatistics.from_data(data, centered=data.centered())
    np.testing.assert_array_equal(given.gram, stats.gram)
    assert given.n_obs == 48
    several = jax.local_device_count() > 1  # False in the test process, unless forced
    assert sharding.use_sharding(10**9, shard=True) is several
    forced = GaussianStatistics.from_data(data, shard=True)
    np.testing.assert_allclose(forced.gram, stats.gram, rtol=0 if not several else 1e-12)
