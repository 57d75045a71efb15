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


def coef_draws(posterior: xr.DataTree | xr.Dataset | xr.DataArray, var_name: str):
    """The draws of ``var_name`` as a DataArray over (chain, draw, <feature dim>)."""
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
    return draws, feature_dims[0]


def as_vector(values: ArrayLike, n: int, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (n,):
        raise ValueError(
            f"{name} must have shape ({n},), one value per feature; got {array.shape}."
        )
    return array
