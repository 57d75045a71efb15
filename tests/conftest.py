"""Shared pytest hooks."""

from __future__ import annotations

import pytest
from _hostile import HostileTally


@pytest.fixture
def hostile_tally(request):
    """``hostile_tally("Lasso.fit")``: a :class:`HostileTally` reported at the end of the run.

    The tally rides on the test's ``user_properties`` (which xdist sends back from its
    workers); the terminal summary adds up the call-phase reports.
    """

    def make(entry_point: str) -> HostileTally:
        tally = HostileTally(entry_point)
        request.node.user_properties.append(("hostile_input", tally))
        return tally

    return make


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Freeze the tallies into tuples, which xdist can send back from a worker."""
    report = yield
    report.user_properties = [
        (key, value.as_property() if isinstance(value, HostileTally) else value)
        for key, value in report.user_properties
    ]
    return report


def pytest_terminal_summary(terminalreporter):
    """Print the largest deviations from scikit-learn recorded by test_sklearn_equivalence.

    Each test attaches ``("sklearn_equivalence", (label, examples, max coef deviation,
    max intercept deviation, sklearn not converged, KKT-certified))`` to its report's
    ``user_properties``; that travels back from xdist workers too.
    """
    _report_hostile_input(terminalreporter)
    _report_summary_lines(terminalreporter)
    totals: dict[str, list] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for key, value in getattr(report, "user_properties", ()):
                if key != "sklearn_equivalence":
                    continue
                label, examples, coef_dev, intercept_dev, skipped, kkt = value
                t = totals.setdefault(label, [0, 0.0, 0.0, 0, 0])
                t[0] += examples
                t[1] = max(t[1], coef_dev)
                t[2] = max(t[2], intercept_dev)
                t[3] += skipped
                t[4] += kkt
    for label, (examples, coef_dev, intercept_dev, skipped, kkt) in sorted(totals.items()):
        if examples == 0 and skipped == 0:
            continue
        terminalreporter.write_line(
            f"MAX DEVIATION {label}: {coef_dev:.1e} over {examples} examples "
            f"(intercept {intercept_dev:.1e}; skipped as scikit-learn did not converge: "
            f"{skipped}; certified by KKT only: {kkt})"
        )


def _report_hostile_input(terminalreporter) -> None:
    """One line per entry point: hostile inputs tried, answered and rejected clearly."""
    totals: dict[str, list[int]] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            for key, value in getattr(report, "user_properties", ()):
                if key != "hostile_input":
                    continue
                entry_point, tried, answered, rejected = value
                t = totals.setdefault(entry_point, [0, 0, 0])
                t[0] += tried
                t[1] += answered
                t[2] += rejected
    for entry_point, (tried, answered, rejected) in sorted(totals.items()):
        terminalreporter.write_line(
            f"HOSTILE INPUT {entry_point}: {tried} tried, {answered} answered, "
            f"{rejected} rejected with a clear error, {tried - answered - rejected} unhandled"
        )


def _report_summary_lines(terminalreporter) -> None:
    """Print every ``("summary", line)`` user property of a call-phase report (SBC p-values,
    reference-posterior deviations, ...), sorted."""
    lines = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            lines += [value for key, value in report.user_properties if key == "summary"]
    for line in sorted(lines):
        terminalreporter.write_line(line)
