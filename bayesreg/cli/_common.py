"""What the commands share: the error reported as one line, and JAX's CPU devices."""

from __future__ import annotations

import contextlib
import os

import jax

__all__ = ["CLIError", "use_parallel_chains"]


class CLIError(Exception):
    """An error to report as one line and exit status 1, without a traceback."""


def use_parallel_chains(num_chains: int) -> None:
    """Give JAX one CPU device per chain, so that NUTS runs the chains in parallel.

    With a single device the chains run one after another.  The setting only takes
    effect before JAX first computes; later it is left as it is, as it is when the user
    chose a device count in ``XLA_FLAGS``.
    """
    if "xla_force_host_platform_device_count" in os.environ.get("XLA_FLAGS", ""):
        return  # the user chose
    with contextlib.suppress(RuntimeError):  # JAX already initialised
        jax.config.update("jax_num_cpu_devices", max(num_chains, 1))
