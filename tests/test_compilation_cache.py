"""The persistent compilation cache: on by default, read back by a second process.

Each check runs in a fresh Python process (the cache is configured once, at import):

* a first process fitting a Lasso writes entries into the cache directory (JAX reports
  cache misses), a second process fitting the same shapes compiles nothing (JAX reports
  cache hits and no miss, counted with ``jax.monitoring`` events);
* ``BAYESREG_COMPILATION_CACHE_DIR=0`` (or empty) switches it off;
* a user's own ``JAX_COMPILATION_CACHE_DIR`` or ``jax.config`` setting is left alone;
* a directory that cannot be created leaves the cache off, and import neither fails
  nor warns (the processes run with ``-W error``);
* without settings the directory is ``$XDG_CACHE_HOME/bayesreg/jax``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Prints what the process saw: bayesreg's cache directory, JAX's setting and the cache
# events of one Lasso fit on fixed data.
FIT_AND_REPORT = """
import collections, json
import jax
events = collections.Counter()
jax.monitoring.register_event_listener(lambda name, **kw: events.update([name]))
{before_import}
import numpy as np
import bayesreg
from bayesreg._compilation_cache import cache_directory
rng = np.random.default_rng(0)
X = rng.standard_normal((40, 6))
y = X @ np.arange(6.0) + rng.standard_normal(40)
bayesreg.Lasso(alpha=0.1).fit(X, y)
print(json.dumps({{
    "bayesreg_dir": cache_directory()[0],
    "reason": cache_directory()[1],
    "jax_dir": jax.config.jax_compilation_cache_dir,
    "hits": events["/jax/compilation_cache/cache_hits"],
    "misses": events["/jax/compilation_cache/cache_misses"],
}}))
"""


def _run(env_changes: dict, before_import: str = "") -> dict:
    env = {k: v for k, v in os.environ.items() if k != "JAX_COMPILATION_CACHE_DIR"}
    env.pop("BAYESREG_COMPILATION_CACHE_DIR", None)
    env.update(env_changes)
    code = FIT_AND_REPORT.format(before_import=before_import)
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_second_process_reads_the_cache(tmp_path, request):
    cache = tmp_path / "cache"
    first = _run({"BAYESREG_COMPILATION_CACHE_DIR": str(cache)})
    assert first["bayesreg_dir"] == str(cache) == first["jax_dir"]
    assert first["misses"] >= 1 and first["hits"] == 0
    entries = sorted(p.name for p in cache.iterdir())
    assert len(entries) >= first["misses"]
    second = _run({"BAYESREG_COMPILATION_CACHE_DIR": str(cache)})
    # Same shapes, same programs: every compilation is read back, none is redone.
    assert second["hits"] == first["misses"], (first, second)
    assert second["misses"] == 0
    request.node.user_properties.append(
        (
            "summary",
            f"compilation cache: first process {first['misses']} misses "
            f"({len(entries)} entries written), second {second['hits']} hits, 0 misses",
        )
    )


@pytest.mark.parametrize("off", ["0", ""])
def test_environment_variable_switches_it_off(tmp_path, off):
    report = _run({"BAYESREG_COMPILATION_CACHE_DIR": off, "XDG_CACHE_HOME": str(tmp_path)})
    assert report["bayesreg_dir"] is None and report["jax_dir"] is None
    assert "switched off" in report["reason"]
    assert report["hits"] == report["misses"] == 0
    assert not (tmp_path / "bayesreg").exists()


def test_users_jax_environment_setting_is_respected(tmp_path):
    own = tmp_path / "mine"
    report = _run({"JAX_COMPILATION_CACHE_DIR": str(own), "XDG_CACHE_HOME": str(tmp_path)})
    assert report["jax_dir"] == str(own)
    assert report["bayesreg_dir"] is None and "user" in report["reason"]
    assert not (tmp_path / "bayesreg").exists()


def test_users_jax_config_setting_is_respected(tmp_path):
    own = tmp_path / "mine"
    before = f"jax.config.update('jax_compilation_cache_dir', {str(own)!r})"
    report = _run({"BAYESREG_COMPILATION_CACHE_DIR": str(tmp_path / "ours")}, before_import=before)
    assert report["jax_dir"] == str(own)
    assert report["bayesreg_dir"] is None
    assert not (tmp_path / "ours").exists()


def test_unusable_directory_leaves_the_cache_off_quietly(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    report = _run({"BAYESREG_COMPILATION_CACHE_DIR": str(blocker / "cache")})
    assert report["bayesreg_dir"] is None and report["jax_dir"] is None
    assert "cannot use" in report["reason"]
    assert blocker.read_text() == "not a directory"  # nothing of the user's touched


def test_default_directory_follows_xdg_cache_home(tmp_path):
    report = _run({"XDG_CACHE_HOME": str(tmp_path)})
    expected = tmp_path / "bayesreg" / "jax"
    assert report["bayesreg_dir"] == str(expected) == report["jax_dir"]
    assert any(expected.iterdir())
