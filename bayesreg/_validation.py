"""Input checks that run in numpy before anything is traced, compiled or solved.

scikit-learn's ``validate_data`` does the conversion; these helpers run around it to
say *which* input or column is wrong and how to fix it, where scikit-learn's own message
does not.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import _num_samples

__all__ = [
    "check_same_length",
    "check_single_target",
    "check_squares_fit_float64",
    "column_names",
    "explain_conversion_error",
    "reject_complex_and_dates",
    "reject_non_numeric_columns",
]

#: The largest (weighted) sum of squares of a column of ``X`` or of ``y`` accepted.  The
#: solvers form ``X~' S X~``, ``X~' S y~`` and ``y~' S y~`` (and sums of a few of them), so
#: each must stay below float64's largest number, 1.8e308, with room to spare.
MAX_SUM_OF_SQUARES = 1e300
# Two values apart by this spread give a centred sum of squares >= 1.1e-300.
_NARROW_SPREAD = 1.5e-150

#: The smallest sum of squares of the centred values of a column that is not constant:
#: below it the squares are subnormal or 0 in float64, and the column would be taken for
#: a constant one (weight 0) or divide by zero.
MIN_SUM_OF_SQUARES = 1e-300


def _is_numeric_dtype(dtype) -> bool:
    """Whether a numpy or pandas dtype holds numbers (bool included)."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:  # pandas extension dtypes (category, string, Int64, ...)
        return bool(getattr(dtype, "_is_numeric", False))
    return np.issubdtype(dtype, np.number) or dtype.kind == "b"


def _converts_to_float(values) -> bool:
    """Whether ``values`` convert to float64 as scikit-learn's validation will convert them."""
    try:
        np.asarray(values, dtype=np.float64)
    except (ValueError, TypeError):
        return False
    return True


def reject_non_numeric_columns(X) -> None:
    """Name the non-numeric columns of a DataFrame before scikit-learn's conversion does not.

    Columns of a numeric dtype pass; an ``object`` column passes when its values convert
    to numbers (as scikit-learn would convert them); any other column is named.
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return
    bad = []
    for j, (column, dtype) in enumerate(dtypes.items()):
        if _is_numeric_dtype(dtype):
            continue
        if dtype == np.dtype(object) and _converts_to_float(X.iloc[:, j]):
            continue
        bad.append(str(column))
    if bad:
        raise ValueError(
            f"X has non-numeric columns {bad}; encode them as numbers first "
            "(for example with sklearn.preprocessing.OneHotEncoder)."
        )


def column_names(X, n_columns: int) -> list[str]:
    """The DataFrame's column names, else ``x0, x1, ...``: how messages name columns."""
    columns = getattr(X, "columns", None)
    if columns is not None and len(columns) == n_columns:
        return [str(c) for c in columns]
    return [f"x{j}" for j in range(n_columns)]


def _kind(dtype) -> str:
    """numpy's one-letter kind of a numpy or pandas dtype ("O" when it has none)."""
    kind = getattr(dtype, "kind", "O")
    return kind if isinstance(kind, str) else "O"


def reject_complex_and_dates(values, name: str) -> None:
    """Refuse complex numbers, dates and durations before scikit-learn's conversion.

    scikit-learn refuses complex input with a message that prints the whole array, and
    converts ``datetime64`` / ``timedelta64`` arrays silently to counts of their unit
    (days, seconds or nanoseconds since 1970, as the dtype says).  Both are named here;
    DataFrame columns of those dtypes are named by column.
    """
    dtypes = getattr(values, "dtypes", None)
    if dtypes is not None and hasattr(dtypes, "items"):  # a DataFrame
        kinds = {str(column): _kind(dtype) for column, dtype in dtypes.items()}
        where = {kind: [c for c, k in kinds.items() if k == kind] for kind in "cmM"}
        described = {kind: f"{name} columns {columns}" for kind, columns in where.items()}
    else:
        dtype = getattr(values, "dtype", None)
        if dtype is None and isinstance(values, list | tuple):
            try:
                dtype = np.asarray(values).dtype
            except (ValueError, TypeError):  # ragged: left to scikit-learn's validation
                return
        kind = _kind(dtype)
        where = {k: [name] if k == kind else [] for k in "cmM"}
        described = dict.fromkeys("cmM", f"{name} (dtype {dtype})")
    if where["c"]:
        raise ValueError(
            f"Complex data not supported: {described['c']} holds complex numbers. Pass "
            "the real part (numpy.real), or the real and imaginary parts as two columns."
        )
    if where["m"] or where["M"]:
        kind = "M" if where["M"] else "m"
        raise ValueError(
            f"{described[kind]} holds {'dates' if kind == 'M' else 'durations'}, not "
            "numbers; convert them first, e.g. to days: (x - x.min()) / "
            "numpy.timedelta64(1, 'D')."
        )


def check_squares_fit_float64(
    X: np.ndarray,
    y: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
    *,
    feature_names=None,
) -> None:
    """Refuse validated data whose squares float64 cannot hold.

    The solvers work with the sums of squares and products of the columns of ``X`` and
    of ``y``.  A (weighted) sum of squares above ``MAX_SUM_OF_SQUARES`` = 1e300 would
    overflow there (``X`` of order 1e150 and more), and a column that varies by so little
    that the sum of its centred squares is below ``MIN_SUM_OF_SQUARES`` = 1e-300 would be
    taken for a constant (``X`` of order 1e-150 and less): both are named, with the fix,
    rescaling.
    """
    # Whole-array passes find the suspect columns; only those are looked at one by one,
    # in order (X's columns, then y), so the first offender is the one named.
    suspects = np.flatnonzero(_suspect(X, sample_weight))
    if suspects.size:
        names = column_names(None, X.shape[1]) if feature_names is None else feature_names
        for j in suspects:
            _check_column("X", names[j], X[:, j], sample_weight)
    if y is not None and _suspect(y[:, None], sample_weight)[0]:
        _check_column("y", None, y, sample_weight)


def _suspect(X: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray:
    """The columns whose squares overflow, or whose centred squares may underflow.

    Two values apart by the spread ``s`` give a centred sum of squares ``>= s^2 / 2``, so
    a column with ``s >= 1.5e-150`` cannot fall below 1e-300: only narrower ones are
    suspects for underflow (and then checked exactly by :func:`_check_column`).
    """
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        if sample_weight is None:
            squares = np.einsum("ij,ij->j", X, X)
        else:
            squares = sample_weight @ np.square(X)
        suspect = ~(squares <= MAX_SUM_OF_SQUARES)
        if X.shape[0] == 0:
            return suspect
        # The spread is at least the difference of the first and last values: only the
        # columns where that is below the bound need their spread (two passes) computed.
        narrow = np.flatnonzero(np.abs(X[0] - X[-1]) < _NARROW_SPREAD)
        if narrow.size:
            block = X[:, narrow]
            spread = block.max(axis=0) - block.min(axis=0)
            suspect[narrow[(spread > 0) & (spread < _NARROW_SPREAD)]] = True
    return suspect


def _check_column(what: str, label, values: np.ndarray, sample_weight) -> None:
    """Raise the error a column deserves whose squares float64 cannot hold (else nothing)."""
    where = what if label is None else f"X column {label!r}"
    weight = np.ones(values.shape[0]) if sample_weight is None else sample_weight
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        squares = float(weight @ np.square(values))
        if not squares <= MAX_SUM_OF_SQUARES:
            raise ValueError(
                f"{where} has values up to {np.max(np.abs(values)):.3g}: the sum of "
                f"their squares{' times sample_weight' if sample_weight is not None else ''}"
                " exceeds 1e300, more than float64 holds in the products the solvers "
                "form. Rescale it, e.g. with sklearn.preprocessing.StandardScaler."
            )
        spread = np.ptp(values) if values.size else 0.0
        centred = values - np.mean(values)
        if spread > 0 and not float(centred @ centred) >= MIN_SUM_OF_SQUARES:
            raise ValueError(
                f"{where} varies by only {spread:.3g}: the sum of its centred squares "
                "is below 1e-300, where float64 loses it, so it would be taken for a "
                "constant. Rescale it, e.g. with sklearn.preprocessing.StandardScaler."
            )


def explain_conversion_error(X, y, err: Exception) -> None:
    """Re-raise scikit-learn's failed conversion to float64 saying what was not a number.

    scikit-learn reports the first value that did not convert but not whether it was in
    ``X`` or ``y``, nor in which column.  Returns silently when the failure was something
    else (then the caller re-raises ``err`` as it is).  The exception keeps the class of
    ``err``: ``ValueError`` for strings, ``TypeError`` for other objects.
    """
    cls = ValueError if isinstance(err, ValueError) else TypeError
    X_obj = None
    if not hasattr(X, "dtypes") and not _is_numeric_dtype(getattr(X, "dtype", object)):
        # Not a DataFrame (already checked) nor a numeric array: a list or an object array.
        try:
            X_obj = np.asarray(X, dtype=object)
        except ValueError:  # ragged nested sequences: leave the message to scikit-learn
            pass
    if X_obj is not None and X_obj.ndim == 2:
        bad = [j for j in range(X_obj.shape[1]) if not _converts_to_float(X_obj[:, j])]
        if bad:
            raise cls(
                f"X has non-numeric values in columns {bad} ({err}); encode categorical "
                "features as numbers first (for example with "
                "sklearn.preprocessing.OneHotEncoder)."
            ) from err
    y_numeric = _is_numeric_dtype(getattr(y, "dtype", object))
    if y is not None and not y_numeric and not _converts_to_float(y):
        raise cls(
            f"y contains non-numeric values ({err}); a regression target must be numbers."
        ) from err


def check_single_target(y) -> None:
    """Reject a 2-D ``y`` with several columns with a message saying why."""
    shape = getattr(y, "shape", None)
    if shape is None:
        try:
            shape = np.shape(y)
        except (ValueError, TypeError):  # ragged, or refuses numpy functions: left to
            return  # scikit-learn's validation
    if len(shape) == 2 and shape[1] != 1:
        raise ValueError(
            f"y must have shape (n_samples,), got {tuple(shape)}: this estimator fits one "
            "target; fit one per column (for example with "
            "sklearn.multioutput.MultiOutputRegressor)."
        )


def check_same_length(X, y) -> None:
    """Say which of ``X`` and ``y`` has how many rows when they disagree."""
    try:
        n_X, n_y = _num_samples(X), _num_samples(y)
    except TypeError:  # y is None or X is not array-like: scikit-learn's validation says so
        return
    if n_X != n_y:
        raise ValueError(f"X has {n_X} samples but y has {n_y}: they need one row per observation.")
