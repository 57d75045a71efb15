"""Save a fitted estimator with its posterior to one netCDF-4 file, and load it back.

:func:`save` writes an estimator (fitted or not, with or without ``posterior_``) to a
single netCDF-4 file through xarray and h5netcdf; :func:`load` reads it back, in this
process or another one, with the same parameters, the same fitted attributes (arrays
bit for bit, with their dtypes) and the same posterior draws.

Nothing in a file is ever executed: there is no pickle, ``eval``, ``exec`` or import by
name.  Every object other than numbers, strings, lists, tuples, dicts and arrays is
written as ``{"type": name, "args": {...}}`` with ``name`` from an explicit allow-list
(:data:`ALLOWED_TYPES`), and loading refuses any other name.  A SHA-256 checksum over
the whole content is verified before anything is decoded, so a truncated, corrupted or
edited file gives a clear ``ValueError`` instead of a silently different estimator.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType

import h5py
import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import xarray as xr
from numpyro.distributions import constraints
from sklearn.model_selection import KFold, LeaveOneOut, StratifiedKFold

from bayesreg import _atomic, priors
from bayesreg.empirical_bayes import BayesianRidge, EvidenceMaximum, EvidenceSpectrum, HyperPrior
from bayesreg.estimators import ElasticNet, Lasso, Ridge
from bayesreg.glm import LogisticRegression, PoissonRegressor
from bayesreg.linear_regression import LinearRegression
from bayesreg.model import JeffreysNoise
from bayesreg.model_selection import ElasticNetCV, LassoCV, RidgeCV
from bayesreg.nn import Architecture, MLPRegressor, NetworkMAP, Parameters
from bayesreg.path import RegularizationPath
from bayesreg.priors.adapters import DistributionPrior
from bayesreg.solvers import Certificate, MAPResult
from bayesreg.solvers.glm import GLMResult
from bayesreg.solvers.joint import JointMAP

__all__ = ["ALLOWED_TYPES", "FORMAT", "FORMAT_VERSION", "load", "save"]

#: The value of the root attribute ``bayesreg_format`` that marks a bayesreg file.
FORMAT = "bayesreg-estimator"
#: The layout version this module writes; it reads this version and older ones.
FORMAT_VERSION = 1

_FORMAT_ATTR = "bayesreg_format"
_VERSION_ATTR = "format_version"
_BAYESREG_VERSION_ATTR = "bayesreg_version"
_CONTENT_ATTR = "bayesreg_estimator"
_CHECKSUM_ATTR = "sha256"
_ROOT_ATTRS = {_FORMAT_ATTR, _VERSION_ATTR, _BAYESREG_VERSION_ATTR, _CONTENT_ATTR, _CHECKSUM_ATTR}
_ARRAYS_GROUP = "arrays"
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_MAX_DETAIL = 300  # characters of a library's error message quoted in ours

# -- the allow-list -------------------------------------------------------------------------
# Every class a file may name, under a stable public name.  Loading looks names up here
# and nowhere else: a name that is not a key is refused.

#: Estimators: rebuilt as ``cls(**params)``, then their fitted attributes are set.
_ESTIMATORS: dict[str, type] = {
    "bayesreg.Ridge": Ridge,
    "bayesreg.Lasso": Lasso,
    "bayesreg.ElasticNet": ElasticNet,
    "bayesreg.RidgeCV": RidgeCV,
    "bayesreg.LassoCV": LassoCV,
    "bayesreg.ElasticNetCV": ElasticNetCV,
    "bayesreg.BayesianRidge": BayesianRidge,
    "bayesreg.LinearRegression": LinearRegression,
    "bayesreg.LogisticRegression": LogisticRegression,
    "bayesreg.PoissonRegressor": PoissonRegressor,
    "bayesreg.MLPRegressor": MLPRegressor,
}

#: Priors, result records (NamedTuples and dataclasses): rebuilt as ``cls(**fields)``.
_RECORDS: dict[str, type] = {
    "bayesreg.Flat": priors.Flat,
    "bayesreg.Gaussian": priors.Gaussian,
    "bayesreg.Laplace": priors.Laplace,
    "bayesreg.ElasticNetPrior": priors.ElasticNetPrior,
    "bayesreg.PenaltyFactor": priors.PenaltyFactor,
    "bayesreg.Bridge": priors.Bridge,
    "bayesreg.StudentT": priors.StudentT,
    "bayesreg.Cauchy": priors.Cauchy,
    "bayesreg.Horseshoe": priors.Horseshoe,
    "bayesreg.RegularizedHorseshoe": priors.RegularizedHorseshoe,
    "bayesreg.BayesianLasso": priors.BayesianLasso,
    "bayesreg.HierarchicalRidge": priors.HierarchicalRidge,
    "bayesreg.HierarchicalLasso": priors.HierarchicalLasso,
    "bayesreg.HierarchicalElasticNet": priors.HierarchicalElasticNet,
    "bayesreg.priors.DistributionPrior": DistributionPrior,
    "bayesreg.MAPResult": MAPResult,
    "bayesreg.Certificate": Certificate,
    "bayesreg.RegularizationPath": RegularizationPath,
    "bayesreg.solvers.joint.JointMAP": JointMAP,
    "bayesreg.solvers.glm.GLMResult": GLMResult,
    "bayesreg.empirical_bayes.EvidenceMaximum": EvidenceMaximum,
    "bayesreg.empirical_bayes.EvidenceSpectrum": EvidenceSpectrum,
    "bayesreg.empirical_bayes.HyperPrior": HyperPrior,
    "bayesreg.nn.Architecture": Architecture,
    "bayesreg.nn.NetworkMAP": NetworkMAP,
    "bayesreg.nn.Parameters": Parameters,
}

#: numpyro distributions whose constructor arguments are their ``arg_constraints``.
_PLAIN_DISTRIBUTIONS: dict[str, type] = {
    f"numpyro.distributions.{cls.__name__}": cls
    for cls in (
        dist.Normal,
        dist.StudentT,
        dist.Laplace,
        dist.Cauchy,
        dist.HalfNormal,
        dist.HalfCauchy,
        dist.Gamma,
        dist.InverseGamma,
        dist.Exponential,
        dist.Uniform,
        dist.LogNormal,
        dist.Beta,
        dist.Logistic,
        dist.Gumbel,
        dist.Chi2,
        dist.Weibull,
        dist.SoftLaplace,
    )
} | {
    "bayesreg.priors.GeneralizedNormal": priors.GeneralizedNormal,
    "bayesreg.priors.ElasticNetDistribution": priors.ElasticNetDistribution,
}

#: numpyro distributions that wrap a base distribution (plus their ``arg_constraints``).
_WRAPPED_DISTRIBUTIONS: dict[str, type] = {
    f"numpyro.distributions.{cls.__name__}": cls
    for cls in (
        dist.FoldedDistribution,
        dist.LeftTruncatedDistribution,
        dist.RightTruncatedDistribution,
        dist.TwoSidedTruncatedDistribution,
    )
}

#: Improper distributions, with their own constructor arguments.
_IMPROPER_DISTRIBUTIONS: dict[str, type] = {
    "numpyro.distributions.ImproperUniform": dist.ImproperUniform,
    "bayesreg.model.JeffreysNoise": JeffreysNoise,
}

#: Parameter-free constraints (module singletons), for ``ImproperUniform``'s support.
_SINGLETON_CONSTRAINTS: dict[str, constraints.Constraint] = {
    f"numpyro.distributions.constraints.{name}": getattr(constraints, name)
    for name in ("real", "positive", "nonnegative", "unit_interval", "real_vector")
}

#: Constraints with parameters: name -> (class, constructor, argument names).
_PARAMETRIC_CONSTRAINTS: dict[str, tuple[type, Callable, tuple[str, ...]]] = {
    "numpyro.distributions.constraints.greater_than": (
        type(constraints.greater_than(0.0)),
        constraints.greater_than,
        ("lower_bound",),
    ),
    "numpyro.distributions.constraints.less_than": (
        type(constraints.less_than(0.0)),
        constraints.less_than,
        ("upper_bound",),
    ),
    "numpyro.distributions.constraints.interval": (
        type(constraints.interval(0.0, 1.0)),
        constraints.interval,
        ("lower_bound", "upper_bound"),
    ),
    "numpyro.distributions.constraints.independent": (
        type(constraints.independent(constraints.real, 0)),
        constraints.independent,
        ("base_constraint", "reinterpreted_batch_ndims"),
    ),
}

#: scikit-learn cross-validation splitters (a ``cv`` parameter), rebuilt from their
#: constructor arguments, which they keep as attributes of the same names.
_SPLITTERS: dict[str, tuple[type, tuple[str, ...]]] = {
    "sklearn.model_selection.KFold": (KFold, ("n_splits", "shuffle", "random_state")),
    "sklearn.model_selection.StratifiedKFold": (
        StratifiedKFold,
        ("n_splits", "shuffle", "random_state"),
    ),
    "sklearn.model_selection.LeaveOneOut": (LeaveOneOut, ()),
}

_RANDOM_STATE = "numpy.random.RandomState"

#: Every class name a file may contain, with the class (or constraint) it stands for.
ALLOWED_TYPES: Mapping[str, object] = MappingProxyType(
    {
        **_ESTIMATORS,
        **_RECORDS,
        **_PLAIN_DISTRIBUTIONS,
        **_WRAPPED_DISTRIBUTIONS,
        **_IMPROPER_DISTRIBUTIONS,
        **_SINGLETON_CONSTRAINTS,
        **{name: spec[0] for name, spec in _PARAMETRIC_CONSTRAINTS.items()},
        **{name: spec[0] for name, spec in _SPLITTERS.items()},
        _RANDOM_STATE: np.random.RandomState,
    }
)

# Reverse look-ups by exact type: a subclass of an allowed class is not allowed (its
# constructor and state could differ), so ``type(x)`` must be the class itself.
_NAME_OF_TYPE: dict[type, str] = {
    cls: name
    for table in (
        _RECORDS,
        _PLAIN_DISTRIBUTIONS,
        _WRAPPED_DISTRIBUTIONS,
        _IMPROPER_DISTRIBUTIONS,
    )
    for name, cls in table.items()
}
_NAME_OF_ESTIMATOR = {cls: name for name, cls in _ESTIMATORS.items()}
_NAME_OF_SINGLETON = {id(c): name for name, c in _SINGLETON_CONSTRAINTS.items()}
_NAME_OF_PARAMETRIC = {spec[0]: name for name, spec in _PARAMETRIC_CONSTRAINTS.items()}
_NAME_OF_SPLITTER = {spec[0]: name for name, spec in _SPLITTERS.items()}

# Dtypes an array may have in a file: booleans, integers, float32/64, strings, objects.
_DTYPE_PATTERN = re.compile(r"[<>|=](b1|[iu][1248]|f[48]|U[0-9]{1,9}|O)")
_FITTED_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*_")
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.\-\[\]]")


# -- public API -----------------------------------------------------------------------------
def save(estimator, path, *, overwrite: bool = False) -> Path:
    """Write ``estimator``, with its fitted state and posterior, to a netCDF-4 file.

    Parameters
    ----------
    estimator : bayesreg estimator
        One of ``Ridge``, ``Lasso``, ``ElasticNet``, ``RidgeCV``, ``LassoCV``,
        ``ElasticNetCV``, ``BayesianRidge``, ``LinearRegression``,
        ``LogisticRegression`` or ``PoissonRegressor``: fitted or not, with or without
        a sampled ``posterior_``.
    path : str or os.PathLike
        The file to write (``.nc`` is the conventional suffix; none is added).  Its
        directory must exist.
    overwrite : bool, default False
        Replace an existing file.  Without it an existing ``path`` is never touched.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        If ``estimator`` is not one of the classes above, ``path`` is not a path,
        ``overwrite`` is not a bool, or the estimator holds a value a bayesreg file
        cannot store (the message names the parameter or attribute, e.g. a callable
        ``scoring`` or a numpyro distribution outside the allow-list).  Nothing is
        written.
    ValueError
        If ``path`` is empty or a directory, or a string to store contains a NUL
        character or an unpaired surrogate (netCDF-4 cannot store it).
    FileExistsError
        If ``path`` exists (or appears while saving) and ``overwrite`` is False.
    FileNotFoundError
        If the directory of ``path`` does not exist.

    See Also
    --------
    load : read the file back.

    Notes
    -----
    **Layout.**  One netCDF-4 (HDF5) file, readable by any netCDF-4 reader
    (``xarray.open_datatree(path, engine="h5netcdf")``):

    * root attributes: ``bayesreg_format = "bayesreg-estimator"`` (the marker),
      ``format_version`` (1), ``bayesreg_version``, ``bayesreg_estimator`` (the JSON
      manifest below) and ``sha256`` (the checksum);
    * group ``arrays``: every array of the estimator, its parameters (e.g.
      ``params.penalty_factor``) and its fitted attributes (``fitted.coef_``,
      ``fitted.map_.coef``, ``fitted.classes_``, ``fitted.mse_path_``...), one
      variable each, named by where it sits in the manifest;
    * group ``posterior_`` (when the estimator has one): the posterior DataTree, one
      subgroup per group of it (``posterior``, ``sample_stats``, ``log_likelihood``,
      ``observed_data``...), with its dimensions and coordinates (``chain``, ``draw``,
      ``feature``, ``obs_id``...).

    Booleans are stored as ``uint8`` and strings as variable-length UTF-8; the manifest
    records each variable's original dtype, and every attribute of the DataTree (numpy
    scalars, booleans and lists included, which netCDF cannot store as they are), so
    that loading gives back an identical DataTree.

    **Manifest.**  JSON: ``{"estimator": {"type", "params", "fitted"}, "trees": ...}``.
    Numbers, strings, booleans, None and lists are JSON values; finite floats are
    written with ``repr``, which reads back to the same double, and NaN and infinities
    as ``{"type": "float", "value": "nan"}``.  Tuples, dicts (with any keys), numpy
    scalars and arrays are tagged (``{"type": "tuple", "items": [...]}``, an array is
    ``{"type": "ndarray", "dtype", "shape", "array": <variable in group arrays>}``).
    Any other object is ``{"type": <name>, "args": {...}}`` with ``<name>`` from the
    allow-list :data:`ALLOWED_TYPES`: the eleven estimators; every bayesreg prior (penalty
    factors and hierarchical priors included); the result records ``MAPResult``,
    ``Certificate``, ``JointMAP``, ``GLMResult``, ``NetworkMAP`` (with its ``Parameters``
    and ``Architecture``), ``EvidenceMaximum``,
    ``EvidenceSpectrum``, ``HyperPrior`` and ``RegularizationPath``; the numpyro
    distributions ``Normal``, ``StudentT``, ``Laplace``, ``Cauchy``, ``HalfNormal``,
    ``HalfCauchy``, ``Gamma``, ``InverseGamma``, ``Exponential``, ``Uniform``,
    ``LogNormal``, ``Beta``, ``Logistic``, ``Gumbel``, ``Chi2``, ``Weibull``,
    ``SoftLaplace``, ``FoldedDistribution``, the truncated distributions,
    ``ImproperUniform`` and :class:`bayesreg.model.JeffreysNoise`, bayesreg's
    ``GeneralizedNormal`` and ``ElasticNetDistribution``; the constraints ``real``,
    ``positive``, ``nonnegative``, ``unit_interval``, ``real_vector``,
    ``greater_than``, ``less_than``, ``interval`` and ``independent``; scikit-learn's
    ``KFold``, ``StratifiedKFold`` and ``LeaveOneOut``; numpy's ``RandomState``.

    **Checksum.**  SHA-256 over the root attributes (but itself), and over every group,
    every variable's name, dimensions, dtype, shape and bytes and every attribute, in
    a canonical order.  :func:`load` verifies it before decoding anything.

    **Atomicity.**  The file is written to a temporary file in the same directory,
    read back and verified, flushed to disk (``fsync``), then moved into place: by
    ``os.replace`` with ``overwrite=True``, otherwise by ``os.link``, which fails
    rather than replace a file that appeared meanwhile.  On any failure the temporary
    file is removed and ``path`` is untouched.

    Examples
    --------
    >>> import numpy as np, bayesreg, tempfile, os
    >>> from bayesreg.persistence import load, save
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([0.0, 1.0, 2.0])
    >>> model = bayesreg.Ridge(alpha=1.0).fit(X, y)
    >>> path = save(model, os.path.join(tempfile.mkdtemp(), "ridge.nc"))
    >>> bool(np.array_equal(load(path).coef_, model.coef_))
    True
    """
    if not isinstance(overwrite, bool):
        raise TypeError(f"overwrite must be True or False, got {overwrite!r}.")
    name = _estimator_name(estimator)
    path = _checked_save_path(path, overwrite)
    file_tree = _file_tree(estimator, name)
    _write_atomically(file_tree, path, overwrite)
    return path


def load(path):
    """Read an estimator written by :func:`save`.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    estimator
        A new estimator of the saved class with the same parameters, the same fitted
        attributes (arrays bit for bit, with their dtypes) and an identical
        ``posterior_``; it predicts, scores, samples and refits like the saved one.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        With one sentence naming the file and the problem: not a bayesreg file (not
        netCDF-4, or no ``bayesreg_format`` marker); truncated or corrupt (cannot be
        read as netCDF-4); written by a newer format version; modified after it was
        saved (checksum mismatch); or content this bayesreg cannot rebuild (e.g. an
        unknown type name).
    TypeError
        If ``path`` is not a path.

    Notes
    -----
    Loading never executes code from the file: no pickle, ``eval``, ``exec`` or
    import by name.  The file's class names are looked up in the allow-list
    :data:`ALLOWED_TYPES` (see :func:`save` for the layout), and only those classes'
    constructors are called, with arguments that are numbers, strings, arrays or
    allow-listed objects.  The checksum is verified before the manifest is parsed.
    The checksum detects accidents (a truncated copy, a flipped bit, an edit), not an
    adversary, who can recompute it; what protects against a malicious file is the
    allow-list.
    """
    path = _checked_load_path(path)
    file_tree = _read_file_tree(path)
    try:
        return _decode_file(file_tree)
    except _BadContent as err:
        problem = str(err)
    # Raised here, outside the handler: the message says it all, and no library
    # traceback is chained to it.
    raise ValueError(f"{_quote(path)} cannot be loaded: {problem}.")


# -- errors ---------------------------------------------------------------------------------
class _BadContent(Exception):
    """The file's content (past the checksum) cannot be rebuilt; the message says why."""


def _quote(path: Path) -> str:
    return f"'{path}'"


def _short(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}".replace("\n", " ")
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."


# -- paths and atomic writing --------------------------------------------------------------
def _as_path(path, verb: str) -> Path:
    if isinstance(path, bytes) or not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike to {verb}, got {path!r}.")
    text = os.fspath(path)
    if not isinstance(text, str):
        raise TypeError(f"path must be a str or os.PathLike to {verb}, got {path!r}.")
    if not text:
        raise ValueError(f"path is empty: give a file name to {verb}.")
    if "\x00" in text:
        raise ValueError(f"path {text!r} contains a NUL character.")
    return Path(text)


def _checked_save_path(path, overwrite: bool) -> Path:
    path = _as_path(path, "save to")
    if path.is_dir():
        raise ValueError(f"{_quote(path)} is a directory: give a file name to save to.")
    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"the directory of {_quote(path)} does not exist: create it first.")
    if not overwrite and (path.exists() or path.is_symlink()):
        raise FileExistsError(
            f"{_quote(path)} exists and was left untouched: pass overwrite=True to replace it."
        )
    return path


def _write_atomically(file_tree: xr.DataTree, path: Path, overwrite: bool) -> None:
    """Stage the file beside ``path``, read it back, then publish it (:mod:`bayesreg._atomic`)."""
    temporary = _atomic.stage(path, lambda staged: _write_verified(file_tree, staged))
    try:
        _atomic.publish(temporary, path, overwrite=overwrite)
    except FileExistsError:
        raise FileExistsError(
            f"{_quote(path)} appeared while saving and was left untouched: pass "
            "overwrite=True to replace it."
        ) from None


def _write_verified(file_tree: xr.DataTree, temporary: Path) -> None:
    """Write the netCDF-4 file and read it back: a file that cannot be loaded is an error."""
    file_tree.to_netcdf(temporary, mode="w", engine="h5netcdf")
    try:
        _decode_file(_read_file_tree(temporary))
    except (ValueError, _BadContent) as err:  # pragma: no cover - a bug in this module
        raise RuntimeError(
            f"bayesreg could not read back the file it wrote ({err}); nothing was saved. "
            "Please report this as a bug."
        ) from err


def _checked_load_path(path) -> Path:
    path = _as_path(path, "load")
    if not path.exists():
        raise FileNotFoundError(f"no such file: {_quote(path)}.")
    if path.is_dir():
        raise ValueError(f"{_quote(path)} is a directory, not a bayesreg file.")
    return path


# -- building the file ------------------------------------------------------------------------
def _estimator_name(estimator) -> str:
    name = _NAME_OF_ESTIMATOR.get(type(estimator))
    if name is None:
        allowed = ", ".join(cls.__name__ for cls in _ESTIMATORS.values())
        what = (
            f"the class {estimator.__name__}"
            if isinstance(estimator, type)
            else f"a {type(estimator).__module__}.{type(estimator).__qualname__}"
        )
        raise TypeError(
            f"bayesreg.save writes bayesreg estimators ({allowed}) and not their "
            f"subclasses; got {what}."
        )
    return name


def _file_tree(estimator, name: str) -> xr.DataTree:
    """The whole file as a DataTree: root attributes, ``arrays`` and the posterior groups."""
    from bayesreg import __version__  # here: bayesreg imports this module

    encoder = _Encoder()
    manifest = {"estimator": encoder.estimator(estimator, name), "trees": encoder.tree_manifests}
    root_attrs = {
        _FORMAT_ATTR: FORMAT,
        _VERSION_ATTR: FORMAT_VERSION,
        _BAYESREG_VERSION_ATTR: str(__version__),
        _CONTENT_ATTR: json.dumps(manifest, allow_nan=False, separators=(",", ":")),
    }
    groups = {"/": xr.Dataset(attrs=root_attrs), f"/{_ARRAYS_GROUP}": encoder.arrays_dataset()}
    groups.update(encoder.tree_groups)
    file_tree = xr.DataTree.from_dict(groups)
    file_tree.attrs[_CHECKSUM_ATTR] = _digest(file_tree)
    return file_tree


class _Encoder:
    """Turns an estimator into JSON plus arrays (group ``arrays``) and DataTree groups."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.tree_groups: dict[str, xr.Dataset] = {}
        self.tree_manifests: dict[str, dict] = {}
        self.estimator_name = ""

    # -- the estimator
    def estimator(self, estimator, name: str) -> dict:
        self.estimator_name = type(estimator).__name__
        params = estimator.get_params(deep=False)
        # What the constructor sets from the parameters (Lasso's l1_ratio = 1) it sets
        # again on load.
        built = vars(type(estimator)(**params))
        fitted = {}
        for key, value in vars(estimator).items():
            if key in params or (key in built and _same_constant(built[key], value)):
                continue
            if not _FITTED_NAME.fullmatch(key):
                raise TypeError(
                    f"cannot save this {self.estimator_name}: it holds the attribute "
                    f"{key!r}, which is neither a parameter nor a fitted attribute (a "
                    "public name ending in '_'); bayesreg files store only those."
                )
            fitted[key] = value
        return {
            "type": name,
            "params": {k: self.encode(v, f"params.{k}") for k, v in params.items()},
            "fitted": {k: self.encode(v, f"fitted.{k}") for k, v in fitted.items()},
        }

    # -- values
    def encode(self, value, where: str):
        """The JSON form of ``value``; ``where`` names it in messages and variable names."""
        kind = type(value)
        if value is None or kind in (bool, str, int):
            return value
        if kind is float:
            return value if math.isfinite(value) else {"type": "float", "value": repr(value)}
        if kind is list:
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if kind is tuple:
            return {
                "type": "tuple",
                "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)],
            }
        if kind is dict:
            items = [
                [self.encode(k, f"{where}[{i}].key"), self.encode(v, f"{where}[{k!r}]")]
                for i, (k, v) in enumerate(value.items())
            ]
            return {"type": "dict", "items": items}
        if isinstance(value, np.generic):
            return self.scalar(value, where)
        if kind is np.ndarray:
            return self.array(value, where)
        if isinstance(value, jax.Array):
            return {"type": "jax.Array", "array": self.array(np.asarray(value), where)}
        if kind is xr.DataTree:
            return self.tree(value, where)
        if kind in _NAME_OF_TYPE:
            return self.allowed(value, _NAME_OF_TYPE[kind], where)
        if id(value) in _NAME_OF_SINGLETON:
            return {"type": _NAME_OF_SINGLETON[id(value)]}
        if kind in _NAME_OF_PARAMETRIC:
            name = _NAME_OF_PARAMETRIC[kind]
            fields = _PARAMETRIC_CONSTRAINTS[name][2]
            return self.with_args(name, {f: getattr(value, f) for f in fields}, where)
        if kind in _NAME_OF_SPLITTER:
            name = _NAME_OF_SPLITTER[kind]
            fields = _SPLITTERS[name][1]
            return self.with_args(name, {f: getattr(value, f) for f in fields}, where)
        if kind is np.random.RandomState:
            return self.with_args(_RANDOM_STATE, {"state": value.get_state(legacy=False)}, where)
        raise TypeError(self.unsupported(value, where))

    def unsupported(self, value, where: str) -> str:
        kind = type(value)
        hint = (
            "numpyro distributions in the allow-list (bayesreg.persistence.ALLOWED_TYPES) "
            "can be saved"
            if isinstance(value, dist.Distribution)
            else "bayesreg files store numbers, strings, arrays, lists, tuples, dicts and "
            "the objects in bayesreg.persistence.ALLOWED_TYPES"
        )
        return (
            f"cannot save this {self.estimator_name}: {_describe(where)} holds a "
            f"{kind.__module__}.{kind.__qualname__}, which a bayesreg file cannot store "
            f"({hint})."
        )

    def with_args(self, name: str, args: dict, where: str) -> dict:
        return {
            "type": name,
            "args": {k: self.encode(v, f"{where}.{k}") for k, v in args.items()},
        }

    def allowed(self, value, name: str, where: str) -> dict:
        if isinstance(value, dist.Distribution):
            return self.with_args(name, _distribution_args(value), where)
        return self.with_args(name, {f: getattr(value, f) for f in _fields(type(value))}, where)

    def scalar(self, value: np.generic, where: str) -> dict:
        dtype = value.dtype
        if not _DTYPE_PATTERN.fullmatch(dtype.str) or dtype.kind == "O":
            raise TypeError(self.unsupported(value, where))
        item = value.item()
        if dtype.kind == "U":
            _check_string(item, where, self.estimator_name)
        return {"type": "numpy.scalar", "dtype": dtype.str, "value": self.encode(item, where)}

    def array(self, value: np.ndarray, where: str) -> dict:
        dtype = value.dtype
        if not _DTYPE_PATTERN.fullmatch(dtype.str):
            raise TypeError(
                f"cannot save this {self.estimator_name}: {_describe(where)} is an array of "
                f"dtype {dtype}, which a bayesreg file cannot store (booleans, integers, "
                "float32, float64 and strings can be stored)."
            )
        tag = {"type": "ndarray", "dtype": dtype.str, "shape": list(value.shape)}
        if not value.flags.writeable:
            tag["readonly"] = True
        if dtype.kind == "O" and not all(type(v) is str for v in value.flat):
            # Python objects other than strings: each is encoded like any other value.
            tag["items"] = [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value.flat)]
            return tag
        tag["array"] = self.store(value, where)
        return tag

    def store(self, value: np.ndarray, where: str) -> str:
        """Put ``value`` in the group ``arrays``; return its variable name there."""
        name = _UNSAFE_NAME_CHARS.sub("_", where)
        if name in self.arrays:
            name = next(
                f"{name}~{k}"
                for k in range(2, len(self.arrays) + 3)
                if f"{name}~{k}" not in self.arrays
            )
        self.arrays[name] = _stored(value, where, self.estimator_name)
        return name

    def arrays_dataset(self) -> xr.Dataset:
        variables = {
            name: _variable([f"{name}#{i}" for i in range(values.ndim)], values)
            for name, values in self.arrays.items()
        }
        return xr.Dataset(variables)

    # -- DataTrees (the posterior)
    def tree(self, tree: xr.DataTree, where: str) -> dict:
        group = _UNSAFE_NAME_CHARS.sub("_", where.removeprefix("fitted."))
        if group in self.tree_manifests or group == _ARRAYS_GROUP:
            group = f"{group}~{len(self.tree_manifests) + 2}"
        nodes = []
        for node in tree.subtree:
            dataset = node.to_dataset(inherit=False)
            node_where = f"{where}{node.path if node.path != '/' else ''}"
            variables, manifest = {}, []
            for name, variable in dataset.variables.items():
                if not isinstance(name, str):
                    raise TypeError(
                        f"cannot save this {self.estimator_name}: {_describe(node_where)} has "
                        f"a variable named {name!r}; netCDF names are strings."
                    )
                var_where = f"{node_where}.{name}"
                values = np.asarray(variable.values)
                if not _DTYPE_PATTERN.fullmatch(values.dtype.str) or (
                    values.dtype.kind == "O" and not all(type(v) is str for v in values.flat)
                ):
                    raise TypeError(
                        f"cannot save this {self.estimator_name}: {_describe(var_where)} has "
                        f"dtype {values.dtype}, which a bayesreg file cannot store."
                    )
                variables[name] = _variable(
                    variable.dims, _stored(values, var_where, self.estimator_name)
                )
                manifest.append(
                    {
                        "name": name,
                        "dims": [str(d) for d in variable.dims],
                        "dtype": values.dtype.str,
                        "coord": name in dataset.coords,
                        "attrs": self.encode(dict(variable.attrs), f"{var_where}.attrs"),
                    }
                )
            coords = {k: v for k, v in variables.items() if k in dataset.coords}
            data_vars = {k: v for k, v in variables.items() if k not in dataset.coords}
            path = f"/{group}" + ("" if node.path == "/" else node.path)
            self.tree_groups[path] = xr.Dataset(data_vars, coords=coords)
            nodes.append(
                {
                    "path": node.path,
                    "attrs": self.encode(dict(node.attrs), f"{node_where}.attrs"),
                    "variables": manifest,
                }
            )
        name = self.encode(tree.name, f"{where}.name")
        self.tree_manifests[group] = {"name": name, "nodes": nodes}
        return {"type": "xarray.DataTree", "group": group}


def _same_constant(a, b) -> bool:
    """Whether ``a`` and ``b`` are the same plain value (number, string, None)."""
    plain = (type(None), bool, int, float, str)
    return type(a) is type(b) and type(a) in plain and a == b


def _describe(where: str) -> str:
    head, _, rest = where.partition(".")
    if head == "params":
        return f"the parameter {rest!r}"
    return f"the attribute {rest!r}"


def _fields(cls: type) -> tuple[str, ...]:
    """Constructor fields of an allowed NamedTuple or dataclass."""
    if dataclasses.is_dataclass(cls):
        return tuple(f.name for f in dataclasses.fields(cls) if f.init)
    return tuple(cls._fields)


def _distribution_args(value: dist.Distribution) -> dict:
    """The constructor arguments of an allowed numpyro distribution."""
    kind = type(value)
    if kind is JeffreysNoise:
        args = {}
    elif kind is dist.ImproperUniform:
        # The constructor wraps ``support`` in ``independent(support, len(event_shape))``.
        support = value.support
        if type(support) is _PARAMETRIC_CONSTRAINTS[
            "numpyro.distributions.constraints.independent"
        ][0] and support.reinterpreted_batch_ndims == len(value.event_shape):
            support = support.base_constraint
        args = {
            "support": support,
            "batch_shape": tuple(value.batch_shape),
            "event_shape": tuple(value.event_shape),
        }
    else:
        args = {"base_dist": value.base_dist} if kind in _WRAPPED_DISTRIBUTIONS.values() else {}
        args.update({name: getattr(value, name) for name in kind.arg_constraints})
    if "_validate_args" in vars(value):
        args["validate_args"] = vars(value)["_validate_args"]
    return args


def _check_string(text: str, where: str, estimator_name: str) -> None:
    if "\x00" in text:
        problem = "a NUL character"
    else:
        try:
            text.encode("utf-8")
            return
        except UnicodeEncodeError:
            problem = "an unpaired surrogate"
    raise ValueError(
        f"cannot save this {estimator_name}: {_describe(where)} holds the string {text!r} "
        f"with {problem}, which netCDF-4 cannot store."
    )


def _stored(values: np.ndarray, where: str, estimator_name: str) -> np.ndarray:
    """``values`` as netCDF-4 stores them: booleans as uint8, strings as Python str."""
    kind = values.dtype.kind
    if kind == "b":
        return values.astype(np.uint8)
    if kind in "UO":
        for text in values.flat:
            _check_string(text, where, estimator_name)
        return values.astype(object)
    # (np.ascontiguousarray would turn a 0-d array into a 1-d one.)
    return values.astype(values.dtype.newbyteorder("="), order="C", copy=False)


def _variable(dims, values: np.ndarray) -> xr.Variable:
    variable = xr.Variable(tuple(dims), values)
    # No fill value: xarray would otherwise add a _FillValue attribute and mask with it.
    variable.encoding = {"_FillValue": None}
    if values.dtype.kind in "iuf" and values.ndim > 0 and values.size > 1:
        variable.encoding.update(zlib=True, complevel=4, shuffle=True)
    return variable


# -- reading the file ---------------------------------------------------------------------------
def _read_file_tree(path: Path) -> xr.DataTree:
    """The file's groups, variables (loaded) and attributes, undecoded; checksum verified."""
    with open(path, "rb") as file:
        head = file.read(len(_HDF5_SIGNATURE))
    if head != _HDF5_SIGNATURE:
        if _HDF5_SIGNATURE.startswith(head):
            raise ValueError(
                f"{_quote(path)} is truncated or corrupt (cannot be read as netCDF-4): it "
                f"has only {len(head)} bytes."
            )
        raise ValueError(f"{_quote(path)} is not a bayesreg file: it is not a netCDF-4 file.")
    try:
        # h5py first: when the root attributes of an HDF5 file cannot be read, h5netcdf
        # (1.8) raises but leaves a half-built File whose __del__ raises again.
        with h5py.File(path, "r") as file:
            dict(file.attrs)
        with xr.open_datatree(path, engine="h5netcdf", **_RAW) as opened:
            file_tree = opened.load().copy(deep=False)
    except Exception as err:  # h5py and xarray raise many types on a damaged file
        problem = _short(err)
    else:
        problem = None
    if problem is not None:
        raise ValueError(
            f"{_quote(path)} is truncated or corrupt (cannot be read as netCDF-4): {problem}"
        )
    attrs = file_tree.attrs
    if attrs.get(_FORMAT_ATTR) != FORMAT:
        raise ValueError(
            f"{_quote(path)} is not a bayesreg file: it is netCDF-4 but has no "
            f"{_FORMAT_ATTR}={FORMAT!r} marker."
        )
    version = attrs.get(_VERSION_ATTR)
    if isinstance(version, np.integer):
        version = int(version)
    if type(version) is not int or version < 1:
        raise ValueError(
            f"{_quote(path)} is corrupt: its {_VERSION_ATTR} attribute is {version!r}, "
            "not a positive integer."
        )
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{_quote(path)} was written by a newer format version ({version}) than this "
            f"bayesreg reads ({FORMAT_VERSION}): upgrade bayesreg to load it."
        )
    if set(attrs) != _ROOT_ATTRS or attrs.get(_CHECKSUM_ATTR) != _digest(file_tree):
        raise ValueError(f"{_quote(path)} was modified after it was saved (checksum mismatch).")
    return file_tree


#: Read the values as stored: no masking, scaling or time decoding (this module writes
#: none of it); only the CF ``coordinates`` attribute is decoded, which xarray writes on
#: the variables that have non-index coordinates.
_RAW = {
    "mask_and_scale": False,
    "decode_times": False,
    "decode_timedelta": False,
    "concat_characters": False,
    "decode_coords": True,
}


def _digest(file_tree: xr.DataTree) -> str:
    """SHA-256 of everything in the file but the checksum attribute, in a canonical order.

    Per group (sorted by path): its path and attributes; per variable (sorted by name):
    its name, dimensions, dtype, shape and attributes, then its bytes (strings as their
    UTF-8 encodings, each prefixed by its length).  The same function runs on the tree
    about to be written and on the tree read back.
    """
    sha = hashlib.sha256()

    def update(header) -> None:
        sha.update(json.dumps(header, default=repr).encode("utf-8") + b"\n")

    for node in sorted(file_tree.subtree, key=lambda n: n.path):
        attrs = {k: v for k, v in node.attrs.items() if not (node.is_root and k == _CHECKSUM_ATTR)}
        update(["group", node.path, _canonical_attrs(attrs)])
        dataset = node.to_dataset(inherit=False)
        for name in sorted(dataset.variables, key=str):
            variable = dataset.variables[name]
            values = np.asarray(variable.values)
            dtype, payload = _canonical_bytes(values)
            update(
                [
                    "variable",
                    str(name),
                    [str(d) for d in variable.dims],
                    dtype,
                    list(values.shape),
                    _canonical_attrs(variable.attrs),
                ]
            )
            sha.update(len(payload).to_bytes(8, "little"))
            sha.update(payload)
    return sha.hexdigest()


def _canonical_attrs(attrs) -> list:
    def canonical(value):
        if isinstance(value, np.ndarray):
            return ["ndarray", value.dtype.str, list(value.shape), value.tolist()]
        if isinstance(value, np.generic):
            value = value.item()
        return [type(value).__name__, value]

    return [[str(k), canonical(v)] for k, v in sorted(attrs.items(), key=lambda kv: str(kv[0]))]


def _canonical_bytes(values: np.ndarray) -> tuple[str, bytes]:
    if values.dtype.kind in "UOS":
        parts = []
        for item in values.flat:
            data = item if isinstance(item, bytes) else str(item).encode("utf-8", "surrogatepass")
            parts.append(len(data).to_bytes(8, "little") + data)
        return "str", b"".join(parts)
    native = values.astype(values.dtype.newbyteorder("="), order="C", copy=False)
    return native.dtype.str, native.tobytes()


# -- decoding -----------------------------------------------------------------------------------
def _decode_file(file_tree: xr.DataTree):
    """Rebuild the estimator from a verified file tree; _BadContent on anything unexpected."""
    try:
        manifest = json.loads(file_tree.attrs[_CONTENT_ATTR], parse_constant=_reject_constant)
        decoder = _Decoder(file_tree, manifest)
        estimator = decoder.estimator()
        decoder.check_everything_used()
    except _BadContent:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as err:
        problem = f"its manifest is malformed ({_short(err)})"
    else:
        return estimator
    raise _BadContent(problem)


def _reject_constant(name: str):
    raise _BadContent(f"its manifest contains the non-JSON constant {name}")


class _Decoder:
    """Rebuilds values from the manifest, the group ``arrays`` and the DataTree groups."""

    def __init__(self, file_tree: xr.DataTree, manifest: dict) -> None:
        _expect(isinstance(manifest, dict) and set(manifest) == {"estimator", "trees"}, "manifest")
        self.file_tree = file_tree
        self.manifest = manifest
        self.arrays = file_tree[_ARRAYS_GROUP].to_dataset(inherit=False)
        self.used_arrays: set[str] = set()
        self.used_groups: set[str] = set()

    def estimator(self):
        spec = self.manifest["estimator"]
        _expect(isinstance(spec, dict) and set(spec) == {"type", "params", "fitted"}, "estimator")
        cls = _ESTIMATORS.get(spec["type"])
        if cls is None:
            raise _BadContent(f"unknown estimator type {spec['type']!r}")
        params, fitted = spec["params"], spec["fitted"]
        _expect(isinstance(params, dict) and isinstance(fitted, dict), "estimator")
        expected = set(cls().get_params(deep=False))
        if set(params) != expected:
            raise _BadContent(
                f"its {cls.__name__} has the parameters {sorted(params)}, but this bayesreg's "
                f"has {sorted(expected)} (the file comes from another bayesreg version)"
            )
        values = {k: self.decode(v, f"params.{k}") for k, v in params.items()}
        estimator = _construct(cls, values, cls.__name__)
        for key, value in fitted.items():
            if not _FITTED_NAME.fullmatch(key) or hasattr(cls, key) or key in params:
                raise _BadContent(f"{key!r} is not a fitted attribute name of {cls.__name__}")
            setattr(estimator, key, self.decode(value, f"fitted.{key}"))
        return estimator

    def decode(self, node, where: str):
        if node is None or type(node) in (bool, str, int, float):
            return node
        if type(node) is list:
            return [self.decode(v, f"{where}[{i}]") for i, v in enumerate(node)]
        _expect(type(node) is dict and type(node.get("type")) is str, where)
        name = node["type"]
        handler = _PRIMITIVE_DECODERS.get(name)
        if handler is not None:
            return handler(self, node, where)
        if name not in ALLOWED_TYPES or name in _ESTIMATORS:
            raise _BadContent(f"unknown type {name!r} in {where}")
        if name in _SINGLETON_CONSTRAINTS:
            _expect(set(node) == {"type"}, where)
            return _SINGLETON_CONSTRAINTS[name]
        _expect(set(node) == {"type", "args"} and type(node["args"]) is dict, where)
        args = {k: self.decode(v, f"{where}.{k}") for k, v in node["args"].items()}
        if name in _RECORDS:
            cls = _RECORDS[name]
            if set(args) != set(_fields(cls)):
                raise _BadContent(f"{where} has the fields {sorted(args)}, not those of {name}")
            return _construct(cls, args, where)
        if name in _PARAMETRIC_CONSTRAINTS:
            _, factory, fields = _PARAMETRIC_CONSTRAINTS[name]
            _expect(set(args) == set(fields), where)
            return _construct(factory, args, where)
        if name in _SPLITTERS:
            cls, fields = _SPLITTERS[name]
            _expect(set(args) == set(fields), where)
            return _construct(cls, args, where)
        if name == _RANDOM_STATE:
            _expect(set(args) == {"state"} and type(args["state"]) is dict, where)
            state = np.random.RandomState()
            try:
                state.set_state(args["state"])
            except (TypeError, ValueError, KeyError) as err:
                problem = _short(err)
            else:
                return state
            raise _BadContent(f"cannot rebuild the RandomState of {where} ({problem})")
        return self.distribution(name, args, where)

    def distribution(self, name: str, args: dict, where: str):
        cls = ALLOWED_TYPES[name]
        allowed = {"validate_args"}
        if cls is dist.ImproperUniform:
            allowed |= {"support", "batch_shape", "event_shape"}
        elif cls is not JeffreysNoise:
            allowed |= set(cls.arg_constraints)
            if name in _WRAPPED_DISTRIBUTIONS:
                allowed.add("base_dist")
        if not set(args) <= allowed:
            raise _BadContent(f"{where} has arguments {sorted(args)} that {name} does not take")
        for key in ("support", "base_dist"):
            if key in args and not isinstance(
                args[key], dist.Distribution if key == "base_dist" else constraints.Constraint
            ):
                raise _BadContent(f"{where}.{key} is not a {key.replace('_', ' ')}")
        return _construct(cls, args, where)

    # -- primitives
    def float_(self, node, where):
        _expect(set(node) == {"type", "value"} and node["value"] in ("nan", "inf", "-inf"), where)
        return float(node["value"])

    def tuple_(self, node, where):
        _expect(set(node) == {"type", "items"} and type(node["items"]) is list, where)
        return tuple(self.decode(v, f"{where}[{i}]") for i, v in enumerate(node["items"]))

    def dict_(self, node, where):
        _expect(set(node) == {"type", "items"} and type(node["items"]) is list, where)
        out = {}
        for i, item in enumerate(node["items"]):
            _expect(type(item) is list and len(item) == 2, where)
            key = self.decode(item[0], f"{where}[{i}].key")
            try:
                out[key] = self.decode(item[1], f"{where}[{key!r}]")
            except TypeError:
                raise _BadContent(f"{where} has an unhashable key") from None
        return out

    def scalar(self, node, where):
        _expect(set(node) == {"type", "dtype", "value"}, where)
        dtype = _checked_dtype(node["dtype"], where)
        _expect(dtype.kind != "O", where)
        value = self.decode(node["value"], where)
        _expect(type(value) in (bool, int, float, str), where)
        return _construct(dtype.type, {"value": value}, where, positional=True)

    def ndarray(self, node, where):
        keys = set(node) - {"readonly"}
        _expect(
            keys in ({"type", "dtype", "shape", "array"}, {"type", "dtype", "shape", "items"}),
            where,
        )
        dtype = _checked_dtype(node["dtype"], where)
        shape = node["shape"]
        _expect(type(shape) is list and all(type(n) is int and n >= 0 for n in shape), where)
        if "items" in node:
            _expect(dtype.kind == "O" and type(node["items"]) is list, where)
            items = [self.decode(v, f"{where}[{i}]") for i, v in enumerate(node["items"])]
            _expect(len(items) == math.prod(shape), where)
            values = np.empty(len(items), dtype=object)
            values[:] = items
            values = values.reshape(shape)
        else:
            name = node["array"]
            _expect(type(name) is str and name in self.arrays.variables, where)
            _expect(name not in self.used_arrays, where)
            self.used_arrays.add(name)
            values = _restored(np.asarray(self.arrays.variables[name].values), dtype, where)
            _expect(values.shape == tuple(shape), where)
        if node.get("readonly", False) is True:
            values.flags.writeable = False
        return values

    def jax_array(self, node, where):
        _expect(set(node) == {"type", "array"}, where)
        values = self.decode(node["array"], where)
        _expect(type(values) is np.ndarray and values.dtype.kind in "biuf", where)
        return jnp.asarray(values)

    def tree(self, node, where):
        _expect(set(node) == {"type", "group"} and type(node["group"]) is str, where)
        group = node["group"]
        spec = self.manifest["trees"].get(group)
        _expect(isinstance(spec, dict) and group not in self.used_groups, where)
        self.used_groups.add(group)
        _expect(set(spec) == {"name", "nodes"} and type(spec["nodes"]) is list, where)
        datasets = {}
        for node_spec in spec["nodes"]:
            _expect(set(node_spec) == {"path", "attrs", "variables"}, where)
            rel = node_spec["path"]
            _expect(type(rel) is str and rel.startswith("/") and rel not in datasets, where)
            node_where = f"{where}{rel if rel != '/' else ''}"
            file_path = f"/{group}" + ("" if rel == "/" else rel)
            try:
                stored = self.file_tree[file_path].to_dataset(inherit=False)
            except KeyError:
                raise _BadContent(f"the group {file_path} of {where} is missing") from None
            variables = node_spec["variables"]
            _expect(type(variables) is list, node_where)
            names = [v.get("name") if type(v) is dict else None for v in variables]
            if set(names) != set(stored.variables) or len(set(names)) != len(names):
                raise _BadContent(f"the variables of {file_path} differ from its manifest")
            coords, data_vars = {}, {}
            for spec_var in variables:
                _expect(set(spec_var) == {"name", "dims", "dtype", "coord", "attrs"}, node_where)
                name = spec_var["name"]
                var_where = f"{node_where}.{name}"
                stored_var = stored.variables[name]
                _expect(list(stored_var.dims) == spec_var["dims"], var_where)
                dtype = _checked_dtype(spec_var["dtype"], var_where)
                values = _restored(np.asarray(stored_var.values), dtype, var_where)
                attrs = self.decode(spec_var["attrs"], f"{var_where}.attrs")
                _expect(type(attrs) is dict, var_where)
                target = coords if spec_var["coord"] is True else data_vars
                target[name] = xr.Variable(tuple(spec_var["dims"]), values, attrs)
            attrs = self.decode(node_spec["attrs"], f"{node_where}.attrs")
            _expect(type(attrs) is dict, node_where)
            datasets[rel] = xr.Dataset(data_vars, coords=coords, attrs=attrs)
        _expect("/" in datasets, where)
        in_file = {
            n.path.removeprefix(f"/{group}") or "/" for n in self.file_tree[f"/{group}"].subtree
        }
        if in_file != set(datasets):
            raise _BadContent(f"the groups under /{group} differ from its manifest")
        name = self.decode(spec["name"], f"{where}.name")
        _expect(name is None or type(name) is str, where)
        return xr.DataTree.from_dict(datasets, name=name)

    def check_everything_used(self) -> None:
        if set(self.arrays.variables) != self.used_arrays:
            raise _BadContent("the group arrays holds variables its manifest does not use")
        if set(self.manifest["trees"]) != self.used_groups:
            raise _BadContent("its manifest describes DataTree groups that nothing uses")
        expected = {"/", f"/{_ARRAYS_GROUP}"} | {f"/{g}" for g in self.used_groups}
        top = {node.path for node in self.file_tree.children.values()}
        if top != expected - {"/"}:
            raise _BadContent("the file has groups its manifest does not describe")


_PRIMITIVE_DECODERS: dict[str, Callable] = {
    "float": _Decoder.float_,
    "tuple": _Decoder.tuple_,
    "dict": _Decoder.dict_,
    "numpy.scalar": _Decoder.scalar,
    "ndarray": _Decoder.ndarray,
    "jax.Array": _Decoder.jax_array,
    "xarray.DataTree": _Decoder.tree,
}


def _expect(condition: bool, where: str) -> None:
    if not condition:
        raise _BadContent(f"{where} is malformed in its manifest")


def _checked_dtype(text, where: str) -> np.dtype:
    if type(text) is not str or not _DTYPE_PATTERN.fullmatch(text):
        raise _BadContent(f"{where} has the dtype {text!r}, which bayesreg files do not use")
    return np.dtype(text)


def _restored(stored: np.ndarray, dtype: np.dtype, where: str) -> np.ndarray:
    """The inverse of :func:`_stored`: the array with its original dtype."""
    kind = dtype.kind
    if kind == "b":
        _expect(stored.dtype == np.uint8 and bool(np.all(stored <= 1)), where)
        return stored.astype(bool)
    if kind in "UO":
        _expect(stored.dtype.kind in "UO" and all(isinstance(v, str) for v in stored.flat), where)
        if kind == "U":
            longest = max((len(v) for v in stored.flat), default=0)
            _expect(longest <= dtype.itemsize // 4, where)
        return stored.astype(dtype)
    _expect(stored.dtype == dtype.newbyteorder("="), where)
    return stored.astype(dtype)


def _construct(factory: Callable, args: dict, where: str, *, positional: bool = False):
    """``factory(**args)``, its failure a _BadContent that chains no library traceback."""
    try:
        return factory(*args.values()) if positional else factory(**args)
    except Exception as err:  # a constructor's own validation: any type
        problem = _short(err)
    raise _BadContent(f"cannot rebuild {where} ({problem})")
