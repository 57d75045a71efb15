"""The Gram products ``X~'X~``, ``X~'y~``, ``y~'y~`` with the rows split across devices.

For a Gaussian likelihood the data enter only through these products (see
:mod:`bayesreg.sufficient_statistics`); computing them is the one ``O(n p^2)`` step.  With
several local devices (GPUs, TPUs, or CPU devices forced by
``XLA_FLAGS=--xla_force_host_platform_device_count=k``) the rows are split over a 1-D
:class:`jax.sharding.Mesh` named ``"rows"``: ``X~`` is placed with
``NamedSharding(mesh, PartitionSpec("rows", None))``, every device forms the products of
its own block of rows, and XLA adds the ``k`` partial sums (one all-reduce of ``p^2``
numbers).  The rows are padded with zeros to a multiple of ``k``; a zero row is an
observation of zero weight (``X~`` and ``y~`` carry ``sqrt(s_i)``), so it adds nothing.

Rounding.  Each entry is a sum of ``n`` products, split into ``k`` partial sums and then
added: a different order of the same additions, so the sharded and the one-device results
both lie within ``gamma_n |X~|'|X~|`` of the exact product (``gamma_n = n eps / (1 - n
eps)``, Higham 2002, section 3.5) and differ from each other by at most twice that.

When it is used (:func:`use_sharding`): ``BAYESREG_SHARD=1`` forces it and
``BAYESREG_SHARD=0`` turns it off whenever asked; otherwise it is used when there is more
than one local device, JAX runs in float64 and ``n >= MIN_ROWS_PER_DEVICE * k``.  The
threshold: below about ten thousand rows per device the product is a few milliseconds of
work, less than the cost of copying the rows to the devices and launching a program on
each; above it the work grows as ``n p^2`` and the copy only as ``n p``.

References
----------
.. [1] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM, 2002.
"""

from __future__ import annotations

import functools
import os

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

__all__ = [
    "MIN_ROWS_PER_DEVICE",
    "ROWS",
    "row_mesh",
    "shard_rows",
    "sharded_gram",
    "use_sharding",
]

#: The name of the mesh axis the rows are split over.
ROWS = "rows"
#: Rows per device from which :func:`use_sharding` splits the products across devices.
MIN_ROWS_PER_DEVICE = 10_000
_SWITCH = "BAYESREG_SHARD"


def use_sharding(n_rows: int, shard: bool | None = None) -> bool:
    """Whether the products of ``n_rows`` rows are computed across the local devices.

    Parameters
    ----------
    n_rows : int
    shard : bool or None, default None
        True or False decides; None reads ``BAYESREG_SHARD`` (``"1"``: yes, ``"0"``: no)
        and otherwise decides by size (see the module notes).

    Returns
    -------
    bool
        False whenever there is only one local device.

    Raises
    ------
    ValueError
        If ``BAYESREG_SHARD`` is set to anything but ``"0"`` or ``"1"``.
    """
    n_devices = jax.local_device_count()
    if n_devices < 2:
        return False
    if shard is not None:
        return bool(shard)
    switch = os.environ.get(_SWITCH, "").strip()
    if switch not in ("", "0", "1"):
        raise ValueError(
            f"{_SWITCH} must be '0' (never shard), '1' (always shard) or unset (decide by "
            f"size), got {switch!r}."
        )
    if switch:
        return switch == "1"
    # float32 products of many rows would lose the accuracy the float64 path has.
    return bool(jax.config.jax_enable_x64) and n_rows >= MIN_ROWS_PER_DEVICE * n_devices


@functools.cache
def row_mesh() -> Mesh:
    """A 1-D mesh over all local devices, its axis named :data:`ROWS`."""
    return Mesh(np.asarray(jax.local_devices()), (ROWS,))


def shard_rows(array: np.ndarray) -> jax.Array:
    """``array`` zero-padded to a multiple of the device count and split by rows.

    Parameters
    ----------
    array : ndarray of shape (n,) or (n, p)

    Returns
    -------
    jax.Array of shape (n_padded,) or (n_padded, p)
        Placed with ``NamedSharding(row_mesh(), PartitionSpec("rows", ...))``: device
        ``d`` holds rows ``d * n_padded / k`` to ``(d + 1) * n_padded / k``.
    """
    mesh = row_mesh()
    n_devices = mesh.devices.size
    array = np.asarray(array)
    pad = -array.shape[0] % n_devices
    if pad:
        array = np.concatenate([array, np.zeros((pad, *array.shape[1:]), array.dtype)])
    spec = PartitionSpec(ROWS, *([None] * (array.ndim - 1)))
    return jax.device_put(array, NamedSharding(mesh, spec))


@jax.jit
def _products(X, y):
    # Each device contracts its own rows; XLA inserts the all-reduce of the partial sums.
    return X.T @ X, X.T @ y, y @ y


def sharded_gram(X_t: np.ndarray, y_t: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """``(X~'X~, X~'y~, y~'y~)`` with the rows of ``X~`` and ``y~`` split across devices.

    Parameters
    ----------
    X_t : ndarray of shape (n, p)
    y_t : ndarray of shape (n,)

    Returns
    -------
    gram : ndarray of shape (p, p)
    xty : ndarray of shape (p,)
    yty : float
        As float64 numpy values (JAX must run in float64 for float64 accuracy).
    """
    gram, xty, yty = _products(shard_rows(X_t), shard_rows(y_t))
    return np.asarray(gram), np.asarray(xty), float(yty)
