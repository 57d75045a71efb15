"""The machine and software a benchmark ran on: versions, CPU, memory, GPU, JAX, BLAS."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime

#: Distributions whose versions are recorded (absent ones as None).
PACKAGES = (
    "bayesreg",
    "jax",
    "jaxlib",
    "numpyro",
    "numpy",
    "scipy",
    "scikit-learn",
    "arviz",
    "celer",
    "skglm",
    "numba",
    "blackjax",
    "nutpie",
    "pymc",
    "pytensor",
)
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "XLA_FLAGS",
    "JAX_PLATFORMS",
)

_JAX_PROBE = (
    "import json, jax; print(json.dumps({'backend': jax.default_backend(), "
    "'devices': [str(d) for d in jax.devices()]}))"
)


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _gpus() -> list[str]:
    if shutil.which("nvidia-smi") is None:
        return []
    query = ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"]
    try:
        out = subprocess.run(query, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


def _jax() -> dict:
    """JAX's backend and devices, asked in a child process (this one stays off the GPU)."""
    try:
        out = subprocess.run(
            [sys.executable, "-c", _JAX_PROBE], capture_output=True, text=True, timeout=300
        )
        return json.loads(out.stdout.strip().splitlines()[-1])
    except Exception as error:  # recorded, not fatal
        return {"error": f"{type(error).__name__}: {error}"[:200]}


def _blas() -> list[dict]:
    import numpy  # noqa: F401 - loads the BLAS that threadpoolctl reports
    from threadpoolctl import threadpool_info

    return [
        {k: pool.get(k) for k in ("user_api", "internal_api", "num_threads", "version")}
        for pool in threadpool_info()
    ]


def describe() -> dict:
    """Everything a reader needs to judge the numbers (date, versions, machine, load)."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "versions": {name: _version(name) for name in PACKAGES},
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "gpus": _gpus(),
        "jax": _jax(),
        "blas": _blas(),
        "thread_env": {k: os.environ[k] for k in THREAD_VARIABLES if k in os.environ},
        "loadavg_start": list(os.getloadavg()),
    }
