"""Plain-text tables for the terminal: a header, right-aligned numbers, horizontal rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["format_table"]


def format_table(rows: Sequence[Sequence[str]], *, rules_before: Iterable[int] = ()) -> list[str]:
    """Lines of a table whose first row is the header; rules under it and before ``rules_before``.

    The first column is left-aligned, the others right-aligned; ``rules_before`` holds
    indices into ``rows`` (the header is 0) before which a rule is drawn as well.
    """
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]

    def line(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        return "  ".join(cells).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    extra = set(rules_before)
    lines = [line(rows[0]), rule]
    for k, row in enumerate(rows[1:], start=1):
        if k in extra:
            lines.append(rule)
        lines.append(line(row))
    return lines
