"""Shared pytest hooks."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter):
    """Print the largest deviations from scikit-learn recorded by test_sklearn_equivalence.

    Each test attaches ``("sklearn_equivalence", (label, examples, max coef deviation,
    max intercept deviation, sklearn not converged, KKT-certified))`` to its report's
    ``user_properties``; that travels back from xdist workers too.
    """
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
