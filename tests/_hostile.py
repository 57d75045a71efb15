"""Hostile input: each call gives an answer or a clear error, and the tally of both.

A call on hostile input (NaN, inf, empty, wrong shapes, extreme scales, ...) is handled
when it either

* returns, and the caller's check of the answer passes (finite, and right where the
  right answer is known), or
* raises a ``ValueError`` or ``TypeError`` (scikit-learn's ``NotFittedError`` and
  bayesreg's ``NoFiniteModeError`` are such) whose message is a non-empty sentence and
  which was raised before JAX ran: no frame of its traceback, nor of any exception it
  chains, lies inside ``jax``, ``jaxlib`` or ``numpyro``.

Anything else (another exception type, a JAX traceback, a silent NaN) fails the test.
Every call is counted per entry point; ``conftest.py`` prints the totals at the end of
the run ("HOSTILE INPUT ...").
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

__all__ = [
    "HostileTally",
    "answer_or_clear_error",
    "assert_clear_error",
    "assert_finite",
]

#: Packages that must not appear in the traceback of a rejection: bad input is
#: rejected in numpy, before anything is traced.
TRACED_PACKAGES = ("jax", "jaxlib", "numpyro")
#: Words that only a leaked JAX error would contain.
JAX_WORDS = re.compile(r"Traced<|Tracer|ConcretizationTypeError|XlaRuntimeError|jaxlib", re.I)
MAX_MESSAGE_LENGTH = 1000  # scikit-learn's NaN message, with its advice, is ~630


@dataclasses.dataclass
class HostileTally:
    """How many hostile inputs an entry point was given, and how each was handled."""

    entry_point: str
    tried: int = 0
    answered: int = 0
    rejected: int = 0

    def as_property(self) -> tuple[str, int, int, int]:
        return (self.entry_point, self.tried, self.answered, self.rejected)


def _frames(tb: TracebackType | None):
    while tb is not None:
        yield tb.tb_frame
        tb = tb.tb_next


def _package_of(filename: str) -> str | None:
    parts = Path(filename).parts
    for package in TRACED_PACKAGES:
        if package in parts and "site-packages" in parts:
            return package
    return None


def assert_clear_error(err: BaseException) -> None:
    """``err`` is a ValueError/TypeError with a readable message, raised before JAX ran."""
    assert isinstance(err, ValueError | TypeError), (
        f"expected a ValueError or TypeError, got {type(err).__name__}: {err}"
    )
    message = str(err)
    assert message.strip(), f"{type(err).__name__} with an empty message"
    assert len(message) <= MAX_MESSAGE_LENGTH, f"message of {len(message)} characters: {message}"
    assert not JAX_WORDS.search(message), f"a JAX error leaked through: {message}"
    seen = set()
    chained: BaseException | None = err
    while chained is not None and id(chained) not in seen:
        seen.add(id(chained))
        for frame in _frames(chained.__traceback__):
            package = _package_of(frame.f_code.co_filename)
            assert package is None, (
                f"{type(err).__name__}({message!r}) came out of {package} "
                f"({frame.f_code.co_filename}:{frame.f_lineno}): the input reached JAX unvalidated"
            )
        chained = chained.__cause__ or chained.__context__


def assert_finite(*values: Any) -> None:
    """Every number in ``values`` (arrays, scalars, nested lists) is finite: no silent NaN."""
    for value in values:
        array = np.asarray(value, dtype=float)
        assert np.all(np.isfinite(array)), f"non-finite values in the answer: {array}"


def answer_or_clear_error(
    tally: HostileTally,
    call: Callable[[], Any],
    check_answer: Callable[[Any], None] | None = None,
) -> Any:
    """Run ``call``; return its answer (checked by ``check_answer``) or the clear error.

    Counts the call in ``tally``.  A returned answer must pass ``check_answer`` (give one
    that checks it is finite and, where known, right); a raised error must pass
    :func:`assert_clear_error`.
    """
    tally.tried += 1
    try:
        result = call()
    except (ValueError, TypeError) as err:
        assert_clear_error(err)
        tally.rejected += 1
        return err
    if check_answer is not None:
        check_answer(result)
    tally.answered += 1
    return result
