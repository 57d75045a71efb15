"""A persistent compilation cache, switched on at import unless the user chose otherwise.

JAX compiles each kernel (coordinate descent, the path kernel, NUTS) the first time a
process meets its shapes; that costs from a fraction of a second to several seconds, on
every new process.  JAX can keep compiled programs on disk (its persistent compilation
cache); bayesreg points it at a per-user directory, so a second process reads its kernels
back instead of compiling them.

Rules, in order:

1. The user's own choice wins: when ``jax_compilation_cache_dir`` is already set (by
   ``jax.config.update`` or the ``JAX_COMPILATION_CACHE_DIR`` environment variable),
   nothing is changed.
2. ``BAYESREG_COMPILATION_CACHE_DIR`` names the directory; set to ``0`` or empty it
   switches the cache off.
3. Otherwise the directory is ``$XDG_CACHE_HOME/bayesreg/jax`` (``~/.cache/bayesreg/jax``
   when ``XDG_CACHE_HOME`` is unset).

JAX caches only programs that took at least ``jax_persistent_cache_min_compile_time_secs``
(1 s by default) to compile; bayesreg lowers that to 0, so its kernels (0.1 to 1 s each)
and the small programs a first fit compiles are all kept.  A directory that cannot be
created or written leaves the cache off, silently: import must never fail or warn for
a cache (with pytest's ``filterwarnings = error`` an import-time warning would be an
error in every user's test suite), and :func:`cache_directory` says what happened.

JAX treats the cache as trusted code: the default directory is private to the user
(created with mode 0o700).
"""

from __future__ import annotations

import os
from pathlib import Path

import jax

__all__ = ["cache_directory", "enable_compilation_cache"]

ENV_VARIABLE = "BAYESREG_COMPILATION_CACHE_DIR"

_state: dict[str, str | None] = {"directory": None, "reason": "not configured yet"}


def default_directory() -> Path:
    """``$XDG_CACHE_HOME/bayesreg/jax``, or ``~/.cache/bayesreg/jax``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "bayesreg" / "jax"


def cache_directory() -> tuple[str | None, str]:
    """The directory bayesreg pointed JAX's cache at (None if it did not), and why."""
    return _state["directory"], str(_state["reason"])


def enable_compilation_cache() -> str | None:
    """Point JAX's persistent compilation cache at bayesreg's directory (see module notes).

    Returns the directory in use, or None when the cache was left alone or off.  Never
    raises.
    """
    if jax.config.jax_compilation_cache_dir or os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        _state.update(directory=None, reason="the user configured JAX's cache; left alone")
        return None
    requested = os.environ.get(ENV_VARIABLE)
    if requested is not None and requested.strip() in ("", "0"):
        _state.update(directory=None, reason=f"switched off by {ENV_VARIABLE}={requested!r}")
        return None
    directory = Path(requested).expanduser() if requested else default_directory()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not os.access(directory, os.W_OK | os.X_OK):
            raise PermissionError(f"{directory} is not writable")
    except (OSError, ValueError) as err:
        _state.update(directory=None, reason=f"cache off: cannot use {directory}: {err}")
        return None
    try:
        jax.config.update("jax_compilation_cache_dir", str(directory))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        # A process that compiled before bayesreg was imported has already decided it
        # had no cache; make it look again (nothing is lost: it had none).
        from jax.experimental.compilation_cache import compilation_cache

        compilation_cache.reset_cache()
    except Exception as err:  # a cache must never break import
        _state.update(directory=None, reason=f"cache off: JAX refused it: {err}")
        return None
    _state.update(directory=str(directory), reason="enabled by bayesreg")
    return str(directory)


enable_compilation_cache()
