"""What a fit found, per parameter: the MAP and the posterior summary, as text and as CSV.

:class:`Results` gathers one row per coefficient (labelled by feature), then the
intercept and the noise scale ``sigma`` where the model has them: the MAP where it
exists and, after sampling, arviz's summary (mean, sd, HDI, ESS, R-hat, MCSE).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math

import arviz as az
import numpy as np
import xarray as xr

from bayesreg.cli.tables import format_table

__all__ = ["Results", "Row"]

#: The posterior variables summarised, in this order, where the posterior has them.
SUMMARISED = ("coef", "intercept", "sigma")


@dataclasses.dataclass(frozen=True)
class Row:
    """One parameter: ``coef`` of a feature, ``intercept`` or ``sigma``."""

    parameter: str
    feature: str
    map: float | None
    summary: dict[str, float]


@dataclasses.dataclass(frozen=True)
class Results:
    """The MAP and (after sampling) the posterior summary of every parameter.

    Attributes
    ----------
    rows : list of Row
        Coefficients in the order of the features, then ``intercept``, then ``sigma``.
    stats : tuple of str
        The names of arviz's summary statistics (``mean``, ``sd``, ``hdi94_lb``, ...);
        empty without a posterior.
    hdi_prob : float
    divergences : int
        Divergent NUTS transitions (0 without a posterior).
    n_draws : int
        Draws behind the summary, all chains together.
    """

    rows: list[Row]
    stats: tuple[str, ...]
    hdi_prob: float
    divergences: int = 0
    n_draws: int = 0

    @classmethod
    def collect(
        cls,
        features: list[str],
        *,
        coef_map: np.ndarray | None,
        intercept_map: float | None,
        sigma_map: float | None,
        posterior: xr.DataTree | None,
        hdi_prob: float,
        fit_intercept: bool,
        has_sigma: bool,
    ) -> Results:
        """Rows for ``features`` (+ intercept, + sigma) from the MAP and the posterior."""
        summary, stats = None, ()
        divergences = n_draws = 0
        if posterior is not None:
            post = posterior["posterior"]
            names = [name for name in SUMMARISED if name in post.data_vars]
            summary = az.summary(
                posterior,
                var_names=names,
                fmt="xarray",
                round_to="none",
                ci_prob=hdi_prob,
                ci_kind="hdi",
            )
            stats = tuple(str(s) for s in summary["summary"].values)
            divergences = int(posterior["sample_stats"]["diverging"].sum())
            n_draws = int(post.sizes["chain"] * post.sizes["draw"])

        def stats_of(name: str, j: int | None = None) -> dict[str, float]:
            if summary is None or name not in summary:
                return {}
            values = summary[name] if j is None else summary[name].isel(feature=j)
            return {s: float(values.sel(summary=s)) for s in stats}

        rows = [
            Row(
                "coef",
                feature,
                None if coef_map is None else float(coef_map[j]),
                stats_of("coef", j),
            )
            for j, feature in enumerate(features)
        ]
        if fit_intercept:
            rows.append(Row("intercept", "", intercept_map, stats_of("intercept")))
        if has_sigma and (sigma_map is not None or stats_of("sigma")):
            rows.append(Row("sigma", "", sigma_map, stats_of("sigma")))
        return cls(rows, stats, hdi_prob, divergences, n_draws)

    @property
    def has_map(self) -> bool:
        return any(row.map is not None for row in self.rows)

    @property
    def coef_map(self) -> np.ndarray:
        return np.array([row.map for row in self.rows if row.parameter == "coef"], dtype=float)

    def _stat(self, suffix: str) -> str:
        (name,) = [s for s in self.stats if s.endswith(suffix)]
        return name

    def table(self) -> list[str]:
        """The terminal table: MAP (6 significant digits), and mean, sd, HDI, ESS, R-hat."""
        header = ["parameter"]
        if self.has_map:
            header.append("MAP")
        if self.stats:
            header += ["mean", "sd", f"{self.hdi_prob:.0%} HDI", "ESS", "R-hat"]
        lines = [header]
        first_other = None
        for k, row in enumerate(self.rows, start=1):
            if row.parameter != "coef" and first_other is None:
                first_other = k
            cells = [row.feature or row.parameter]
            if self.has_map:
                cells.append(_number(row.map, 6))
            if self.stats:
                s = row.summary
                lower, upper = s[self._stat("_lb")], s[self._stat("_ub")]
                cells += [
                    _number(s["mean"], 4),
                    _number(s["sd"], 3),
                    f"[{_number(lower, 4)}, {_number(upper, 4)}]",
                    _number(s["ess_bulk"], 0),
                    "nan" if math.isnan(s["r_hat"]) else f"{s['r_hat']:.3f}",
                ]
            lines.append(cells)
        return format_table(lines, rules_before=() if first_other is None else (first_other,))

    def csv_text(self) -> str:
        """``coefficients.csv``: parameter, feature, map, then arviz's summary columns.

        Numbers are written in full (``repr`` of a float round-trips exactly); a
        parameter without a MAP (``sigma`` of a penalised fit, any parameter of a prior
        without a finite mode) has an empty ``map`` cell.
        """
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["parameter", "feature", "map", *self.stats])
        for row in self.rows:
            values = [row.map, *(row.summary[s] for s in self.stats)]
            writer.writerow([row.parameter, row.feature, *(_exact(v) for v in values)])
        return out.getvalue()


def _number(value: float | None, digits: int) -> str:
    """``digits`` significant digits (0: an integer); exact zeros as 0; None as a dash."""
    if value is None:
        return "-"
    if value == 0:
        return "0"
    if digits == 0:
        return "nan" if math.isnan(value) else f"{value:.0f}"
    return f"{value:#.{digits}g}"


def _exact(value: float | None) -> str:
    return "" if value is None else repr(float(value))
