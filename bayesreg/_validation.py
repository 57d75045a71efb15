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
    "explain_conversion_error",
    "reject_non_numeric_columns",
]


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
