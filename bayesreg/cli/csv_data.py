"""Reading the columns of a CSV file into numpy arrays, with an error that says what is wrong.

Only the standard library's :mod:`csv` and numpy are used (pandas is not a dependency).
The file must be UTF-8 text with a header row naming the columns, then one row per
observation with one value per column.  Only the columns used (the target and the
features) are converted; every problem is reported as a :class:`DataError` naming the
file, the column, the line and the value, and saying how to fix it.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["MISSING_MARKERS", "DataError", "Table", "read_table"]

#: Cells read as a missing value (compared after stripping spaces, ignoring case).
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "#n/a"})
#: At most this many names are listed when a message lists the columns of a file.
_MAX_LISTED = 12
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


class DataError(ValueError):
    """The data file cannot be used as it is; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class Table:
    """The columns of a CSV file that a fit uses.

    Attributes
    ----------
    X : ndarray of shape (n_rows, n_features)
        The feature columns, float64, all finite.
    y : ndarray of shape (n_rows,)
        The target column: float64, all finite, or (``labels=True``) the class labels,
        as numbers when every label is a number, else as strings.
    features : list of str
        The feature names, in the order of the columns of ``X``.
    target : str
    lines : ndarray of shape (n_rows,)
        The line of the file each row ends on (the header is line 1 when it is first).
    n_read : int
        Data rows in the file.
    n_dropped : int
        Rows left out because a used column was missing there (``drop_incomplete``).
    dropped_columns : dict of str to int
        For each used column with missing values, the number of rows it was missing in.
    """

    X: np.ndarray
    y: np.ndarray
    features: list[str]
    target: str
    lines: np.ndarray
    n_read: int
    n_dropped: int
    dropped_columns: dict[str, int]


def read_table(
    path: str | Path,
    *,
    target: str,
    features: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    labels: bool = False,
    drop_incomplete: bool = False,
    delimiter: str = ",",
) -> Table:
    """Read the target and feature columns of a CSV file.

    Parameters
    ----------
    path : str or Path
    target : str
        Name of the target column.
    features : sequence of str, optional
        Names of the feature columns, in the order wanted; None is every column but
        the target and ``exclude``.
    exclude : sequence of str, default ()
        Columns to leave out of the default features.
    labels : bool, default False
        The target holds class labels (any text) rather than numbers.
    drop_incomplete : bool, default False
        Leave out rows with a missing value (an empty cell, or one of
        :data:`MISSING_MARKERS`) in a used column, instead of raising.
    delimiter : str, default ","

    Returns
    -------
    Table

    Raises
    ------
    DataError
        When the file cannot be read or is not UTF-8 text; is empty or has no data
        rows; has no header (a first row of numbers), a header with an empty or a
        duplicated name, or a row with another number of fields than the header; when
        a named column does not exist; when a used column holds a value that is not a
        number, an infinite value or (without ``drop_incomplete``) a missing value; and
        when no row is left.
    """
    name = str(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = [(row, line) for row, line in _rows(csv.reader(handle, delimiter=delimiter))]
    except FileNotFoundError:
        raise DataError(f"cannot read {name}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"cannot read {name}: it is a directory, not a CSV file") from None
    except PermissionError:
        raise DataError(f"cannot read {name}: permission denied") from None
    except UnicodeDecodeError as err:
        raise DataError(
            f"{name} is not UTF-8 text (byte 0x{err.object[err.start]:02x} at offset "
            f"{err.start}): save it as CSV in UTF-8"
        ) from None
    except csv.Error as err:
        raise DataError(f"{name} is not a readable CSV file: {err}") from None
    except OSError as err:
        raise DataError(f"cannot read {name}: {err.strerror or err}") from None

    if not rows:
        raise DataError(
            f"{name} is empty: it needs a header row naming the columns, then one row "
            "per observation"
        )
    header, header_line = rows[0]
    columns = _checked_header(header, header_line, name, delimiter)
    data = rows[1:]
    if not data:
        raise DataError(f"{name} has a header but no data rows")
    for row, line in data:
        if len(row) != len(columns):
            raise DataError(
                f"line {line} of {name} has {len(row)} fields but the header has "
                f"{len(columns)}: give every row one value per column (quote values that "
                f"contain {delimiter!r})"
            )

    feature_names = _chosen_features(columns, target, features, exclude, name)
    index = {column: j for j, column in enumerate(columns)}
    lines = np.array([line for _, line in data], dtype=np.int64)

    def cells(column: str) -> list[str]:
        j = index[column]
        return [row[j].strip() for row, _ in data]

    target_cells = cells(target)
    feature_cells = [cells(feature) for feature in feature_names]
    missing = {
        column: np.array([cell.lower() in MISSING_MARKERS for cell in column_cells])
        for column, column_cells in zip(
            [target, *feature_names], [target_cells, *feature_cells], strict=True
        )
    }
    # A value that is neither a number nor a missing marker cannot be fixed by dropping
    # rows, so it is reported first.
    y = (
        _labels(target_cells, missing[target])
        if labels
        else _numbers(target, target_cells, missing[target], lines, name, is_target=True)
    )
    X = np.empty((len(data), len(feature_names)), dtype=np.float64)
    for j, (feature, column_cells) in enumerate(zip(feature_names, feature_cells, strict=True)):
        X[:, j] = _numbers(feature, column_cells, missing[feature], lines, name, is_target=False)

    incomplete = np.logical_or.reduce(list(missing.values()))
    counts = {column: int(mask.sum()) for column, mask in missing.items() if mask.any()}
    if incomplete.any() and not drop_incomplete:
        raise DataError(
            f"missing values (empty cells or NA, NaN, null) in {int(incomplete.sum())} of "
            f"{len(data)} rows of {name}: "
            + ", ".join(
                f"{column!r} in {count} row{'s' * (count > 1)} (first on line "
                f"{lines[missing[column]][0]})"
                for column, count in counts.items()
            )
            + "; add --drop-incomplete to leave those rows out, or fill them in"
        )
    keep = ~incomplete
    if not keep.any():
        raise DataError(
            f"no rows left: each of the {len(data)} rows of {name} has a missing value in "
            "the columns used; fill them in, or choose other columns with --features"
        )
    return Table(
        X=X[keep],
        y=y[keep],
        features=feature_names,
        target=target,
        lines=lines[keep],
        n_read=len(data),
        n_dropped=int(incomplete.sum()),
        dropped_columns=counts,
    )


def _rows(reader):
    """``(row, line)`` for every row that is not blank; the line the row ends on.

    A blank line (nothing, or only spaces) is skipped; a row of empty fields
    (``,,``) is kept, as a row of missing values.
    """
    for row in reader:
        if len(row) > 1 or (row and row[0].strip()):
            yield row, reader.line_num


def _checked_header(header: list[str], line: int, name: str, delimiter: str) -> list[str]:
    columns = [cell.strip() for cell in header]
    if all(_is_number(cell) for cell in columns):
        shown = ", ".join(repr(cell) for cell in columns[:4]) + (
            ", ..." if len(columns) > 4 else ""
        )
        raise DataError(
            f"the first row of {name} ({shown}) is all numbers: add a header row naming the columns"
        )
    for k, column in enumerate(columns, start=1):
        if not column:
            raise DataError(
                f"column {k} of the header of {name} (line {line}) has no name: name every column"
            )
    seen: dict[str, int] = {}
    for k, column in enumerate(columns, start=1):
        if column in seen:
            raise DataError(
                f"the header of {name} names two columns {column!r} (columns {seen[column]} "
                f"and {k}): give every column its own name"
            )
        seen[column] = k
    if len(columns) == 1:
        for other in (";", "\t", "|"):
            if other != delimiter and other in columns[0]:
                raise DataError(
                    f"the header of {name} is one column, {columns[0][:60]!r}: if its fields "
                    f"are separated by {other!r}, pass --delimiter {other!r}"
                )
    return columns


def _chosen_features(
    columns: list[str],
    target: str,
    features: Sequence[str] | None,
    exclude: Sequence[str],
    name: str,
) -> list[str]:
    def check_exists(column: str, what: str) -> None:
        if column not in columns:
            raise DataError(
                f"{what} {column!r} is not a column of {name}, whose columns are "
                f"{_listing(columns)}"
            )

    check_exists(target, "the target")
    for column in exclude:
        check_exists(column, "the excluded column")
    if features is None:
        chosen = [c for c in columns if c != target and c not in set(exclude)]
    else:
        chosen = list(features)
        for column in chosen:
            check_exists(column, "the feature")
        repeated = sorted({c for c in chosen if chosen.count(c) > 1})
        if repeated:
            raise DataError(f"--features names {_listing(repeated)} more than once")
        if target in chosen:
            raise DataError(f"the target {target!r} cannot also be a feature")
    if not chosen:
        raise DataError(
            f"no feature columns: {name} has only the target {target!r}"
            + (" and the excluded columns" if exclude else "")
        )
    return chosen


def _listing(names: Sequence[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:_MAX_LISTED])
    if len(names) > _MAX_LISTED:
        shown += f", ... ({len(names)} in all)"
    return shown


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return "_" not in cell


def _numbers(
    column: str,
    cells: list[str],
    missing: np.ndarray,
    lines: np.ndarray,
    name: str,
    *,
    is_target: bool,
) -> np.ndarray:
    """The cells as float64 (NaN where missing), or a DataError at the first bad one."""
    values = np.full(len(cells), np.nan)
    what = "the target column" if is_target else "column"
    for i, cell in enumerate(cells):
        if missing[i]:
            continue
        try:
            if "_" in cell:  # Python's float() accepts "1_000"; a CSV number has no "_"
                raise ValueError
            value = float(cell)
        except ValueError:
            raise DataError(
                f"{what} {column!r} of {name} is not numeric: line {lines[i]} has "
                f"{_shown(cell)}{_hint(cell, is_target)}"
            ) from None
        if not math.isfinite(value):
            raise DataError(
                f"{what} {column!r} of {name} has an infinite value on line {lines[i]} "
                f"({_shown(cell)}): bayesreg needs finite numbers"
            )
        values[i] = value
    return values


def _labels(cells: list[str], missing: np.ndarray) -> np.ndarray:
    """Class labels: numbers when every present label is one (so 1 and 1.0 agree), else text."""
    present = [cell for cell, gone in zip(cells, missing, strict=True) if not gone]
    if all(_is_number(cell) and math.isfinite(float(cell)) for cell in present):
        return np.array(
            [np.nan if gone else float(c) for c, gone in zip(cells, missing, strict=True)]
        )
    return np.array(cells, dtype=object)


def _shown(cell: str) -> str:
    return repr(cell if len(cell) <= 40 else cell[:37] + "...")


def _hint(cell: str, is_target: bool) -> str:
    if _DECIMAL_COMMA.match(cell):
        return " (write the decimal point as '.')"
    if is_target:
        return (
            "; for class labels use --likelihood logistic, else leave out or fix the "
            "rows that are not numbers"
        )
    return "; leave the column out with --exclude, or choose the columns with --features"
