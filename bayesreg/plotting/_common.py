"""What the plotting modules share: axes creation and reading draws out of a posterior."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from matplotlib.axes import Axes

SAMPLE_DIMS = ("chain", "draw")


def new_axes(ax: Axes | None, *, figsize: tuple[float, float], projection: str | None = None):
    """``ax`` itself, or the axes of a new figure (constrained layout) when it is None."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize, layout="constrained")
    return fig.add_subplot(projection=projection)


def real_array(values, name: str) -> np.ndarray:
    """``values`` as a float64 array, refusing bools, strings, complex numbers and objects
    (which numpy would convert: ``True`` to 1, ``"0.5"`` to 0.5, ``1 + 1j`` to 1)."""
    array = np.asarray(values)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got {values!r} (dtype {array.dtype}).")
    return array.astype(np.float64)


def check_finite_draws(draws: xr.DataArray, var_name: str) -> None:
    """Refuse a posterior without draws, or with NaN or infinite draws (a failed chain)."""
    values = np.asarray(draws.values)
    if values.size == 0:
        raise ValueError(f"the posterior has no draws of {var_name!r} (a dimension of size 0).")
    if values.dtype.kind not in "iuf":
        raise TypeError(
            f"the draws of {var_name!r} must be real numbers, got dtype {values.dtype}."
        )
    bad = int(np.count_nonzero(~np.isfinite(values)))
    if bad:
        raise ValueError(
            f"{bad} of the {values.size} draws of {var_name!r} are NaN or infinite: the "
            "sampler failed there; check its diagnostics and sample again."
        )


def coef_draws(posterior: xr.DataTree | xr.Dataset | xr.DataArray, var_name: str):
    """The finite draws of ``var_name`` as a DataArray over (chain, draw, <feature dim>)."""
    if not isinstance(posterior, xr.DataTree | xr.Dataset | xr.DataArray):
        raise TypeError(
            "posterior must be an arviz DataTree (e.g. from estimator.sample_posterior), an "
            f"xarray Dataset or a DataArray of draws, got {type(posterior).__name__}."
        )
    if isinstance(posterior, xr.DataTree):
        if "posterior" in posterior.children:
            posterior = posterior["posterior"]
        posterior = posterior.to_dataset()
    if isinstance(posterior, xr.Dataset):
        if var_name not in posterior.data_vars:
            raise ValueError(
                f"the posterior has no variable {var_name!r}; it has {sorted(posterior.data_vars)}."
            )
        posterior = posterior[var_name]
    draws = posterior
    feature_dims = [d for d in draws.dims if d not in SAMPLE_DIMS]
    missing = [d for d in SAMPLE_DIMS if d not in draws.dims]
    if missing or len(feature_dims) != 1:
        raise ValueError(
            f"expected {var_name!r} over (chain, draw, <one feature dimension>), "
            f"got dimensions {tuple(draws.dims)}."
        )
    check_finite_draws(draws, var_name)
    # Summaries in float64, whatever the draws' dtype (float32 means lose 1e-7 of their
    # size, and integer draws would be averaged as integers).
    return draws.astype(np.float64), feature_dims[0]


def as_vector(values: ArrayLike, n: int, name: str) -> np.ndarray:
    """``values`` as ``n`` finite floats, one per feature."""
    array = real_array(values, name)
    if array.shape != (n,):
        raise ValueError(
            f"{name} must have shape ({n},), one value per feature; got {array.shape}."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {values!r}.")
    return array
