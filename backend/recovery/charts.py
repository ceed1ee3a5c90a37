"""Plotly figure dicts for the recovery views, built from :mod:`recovery.analytics` frames.

Plain ``{"data": [...], "layout": {...}}`` dicts, built directly: validating a
``plotly.graph_objects.Figure`` costs milliseconds per figure and the visit chart has a
speed goal, so the tests do the validation instead. Values are JSON-safe (None, never NaN)
and rounded to 1 decimal, which is where presentation rounding belongs.

Clinician-facing choices: x is always days since injection (day 0 = the visit's local
date); pain and soreness are separate traces on the 0-10 NRS; the first 72 hours (days 0-2)
and the 3-4 day rest period are shaded and labelled, because the therapeutic read starts on
day 3; the Okabe-Ito palette stays distinguishable with colour-vision deficiency; the legend
sits horizontally below the plot and margins are small so the chart reads on a 360 px phone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from recovery.analytics import (
    MODERATE_RELIEF,
    SUBSTANTIAL_RELIEF,
    THERAPEUTIC_READ_DAY,
    VisitReport,
    jsonable,
    round1,
    with_relief,
)

# Okabe & Ito (2008), "Color Universal Design": safe for the common colour-vision deficiencies.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
# Yellow last: it has the least contrast on white.
VISIT_COLOURS = (
    OKABE_ITO["blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
    OKABE_ITO["yellow"],
)
PAIN_COLOUR = OKABE_ITO["blue"]
SORENESS_COLOUR = OKABE_ITO["orange"]
REFERENCE_COLOUR = "#555555"
BRUISE_COLOUR = OKABE_ITO["vermillion"]
FLAG_COLOUR = OKABE_ITO["reddish_purple"]

MIN_X_DAYS = 14  # always show the first two weeks so the shaded periods keep their meaning
REST_LAST_DAY = 4  # "avoid strenuous activity for 3-4 days": shade through day 4
BRUISE_ROW = 10.7  # marker rows above the 0-10 scale, so they never hide a pain point
FLAG_ROW = 11.4
NRS_RANGE = [-0.3, 11.9]


# --------------------------------------------------------------------------- helpers


def _values(values: Sequence[Any] | pd.Series) -> list[float | None]:
    return [round1(value) for value in values]


def _percent_text(value: object) -> str:
    rounded = round1(value)
    return "—" if rounded is None else f"{rounded:g} %"


def _entries_text(count: int | None) -> str:
    if count is None:
        return "no entries"
    return "1 entry" if int(count) == 1 else f"{int(count)} entries"


def _period_shapes() -> list[dict[str, Any]]:
    """Shaded first 72 hours (days 0-2, darker) over the rest period (days 0-4, lighter)."""
    band = {"type": "rect", "xref": "x", "yref": "paper", "y0": 0, "y1": 1, "layer": "below"}
    return [
        {
            **band,
            "name": "rest_period",
            "x0": -0.5,
            "x1": REST_LAST_DAY + 0.5,
            "fillcolor": "rgba(0, 0, 0, 0.05)",
            "line": {"width": 0},
        },
        {
            **band,
            "name": "first_72h",
            "x0": -0.5,
            "x1": THERAPEUTIC_READ_DAY - 0.5,
            "fillcolor": "rgba(0, 0, 0, 0.08)",
            "line": {"width": 0},
        },
    ]


def _period_annotations() -> list[dict[str, Any]]:
    # Two rows above the plot area: on a 360 px screen the labels would collide side by side.
    label = {"xref": "x", "yref": "paper", "y": 1, "yanchor": "bottom", "showarrow": False}
    return [
        {
            **label,
            "name": "first_72h",
            "x": 1,
            "text": "First 72 h",
            "hovertext": "Anaesthetic effect and post-injection soreness; not used to judge relief",
            "font": {"size": 10},
        },
        {
            **label,
            "name": "rest_period",
            "x": (THERAPEUTIC_READ_DAY + REST_LAST_DAY) / 2,
            "yshift": 13,
            "text": "Rest 3–4 d",  # noqa: RUF001 - the en dash is the typographic range
            "hovertext": "Avoid strenuous activity for 3-4 days after the injection",
            "font": {"size": 10},
        },
    ]


def _reference_line(
    name: str, y: float, x_max: float, dash: str, *, show_level: bool = True
) -> dict[str, Any]:
    """A horizontal reference line drawn as a legend-labelled trace (a phone has no room
    for in-plot labels at three nearby heights); ``meta.role`` marks it for the front end."""
    level = round1(y)
    return {
        "type": "scatter",
        "mode": "lines",
        "name": f"{name} ({level:g})" if show_level else name,
        "x": [-0.5, x_max + 0.5],
        "y": [level, level],
        "line": {"color": REFERENCE_COLOUR, "width": 1, "dash": dash},
        "hoverinfo": "skip",
        "meta": {"role": "reference", "level": name},
    }


def _pain_reference_lines(baseline: float | None, x_max: float) -> list[dict[str, Any]]:
    """Baseline and the 30 % / 50 % relief levels in pain units (baseline x 0.7 and x 0.5)."""
    if baseline is None:
        return []
    lines = [_reference_line("Baseline", baseline, x_max, "solid")]
    if baseline > 0:  # baseline 0 has no relief levels
        for percent, dash in ((MODERATE_RELIEF, "dash"), (SUBSTANTIAL_RELIEF, "dot")):
            level = baseline * (1 - percent / 100)
            lines.append(_reference_line(f"{percent:g} % relief", level, x_max, dash))
    return lines


def _layout(title: str, x_max: float, yaxis: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 14}},
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        "colorway": list(VISIT_COLOURS),
        "autosize": True,
        "height": 380,
        "margin": {"l": 40, "r": 8, "t": 64, "b": 8, "pad": 0},
        "paper_bgcolor": "#FFFFFF",
        "plot_bgcolor": "#FFFFFF",
        "hovermode": "x unified",
        "dragmode": False,
        "legend": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": -0.18,
            "yanchor": "top",
            "font": {"size": 11},
        },
        "xaxis": {
            "title": {"text": "Days since injection"},
            "range": [-0.5, x_max + 0.5],
            "tickmode": "linear",
            "tick0": 0,
            "dtick": 1 if x_max <= MIN_X_DAYS else 7,
            "gridcolor": "#EEEEEE",
            "zeroline": False,
            "fixedrange": True,  # no accidental zoom while scrolling on a phone
        },
        "yaxis": {"gridcolor": "#EEEEEE", "fixedrange": True, **yaxis},
        "shapes": _period_shapes(),
        "annotations": _period_annotations(),
    }


def _nrs_axis() -> dict[str, Any]:
    return {
        "title": {"text": "0–10 scale"},  # noqa: RUF001 - typographic range
        "range": NRS_RANGE,
        "tickvals": [0, 2, 4, 6, 8, 10],
        "zeroline": False,
    }


def _on_day_grid(daily: pd.DataFrame, last_day: int) -> dict[str, list[Any]]:
    """The daily columns laid out on days 0..last_day as plain lists.

    Unlogged days are None so lines break there: a gap is shown, never interpolated. Plain
    lists rather than a reindexed frame: this runs per request and pandas overhead dominates
    at ~30 rows.
    """
    positions = daily["day"].tolist()
    grid: dict[str, list[Any]] = {"day": list(range(last_day + 1))}
    for column in ("date", "pain", "soreness", "entries", "relief"):
        values: list[Any] = [None] * (last_day + 1)
        for position, value in zip(positions, daily[column].tolist(), strict=True):
            values[position] = value
        grid[column] = values
    return grid


def _x_max(last_days: Sequence[int | None]) -> int:
    return max([MIN_X_DAYS, *(day for day in last_days if day is not None)])


# --------------------------------------------------------------------------- visit


def visit_chart(
    daily: pd.DataFrame,
    summary: Mapping[str, Any],
    flags: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Figure dict for one visit: daily pain and soreness, the immediate post-injection pain,
    baseline and relief levels, large bruising and the visit's flags.

    ``daily`` is :func:`~recovery.analytics.daily_series` (``relief`` is added from
    ``summary["baseline"]`` if missing); ``summary`` from ``visit_summary``; ``flags`` from
    ``visit_flags``. The large-bruise flag is not repeated in the flag row: the bruising row
    already marks every day it was reported.
    """
    baseline = summary.get("baseline")
    if "relief" not in daily:
        daily = with_relief(daily, baseline)
    last_day = int(daily["day"].max()) if not daily.empty else 0
    x_max = _x_max([last_day])
    grid = _on_day_grid(daily, last_day)
    x = grid["day"]
    hover = [
        [jsonable(day_date), _entries_text(count), _percent_text(relief)]
        for day_date, count, relief in zip(
            grid["date"], grid["entries"], grid["relief"], strict=True
        )
    ]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Pain",
            "x": x,
            "y": _values(grid["pain"]),
            "customdata": hover,
            "connectgaps": False,
            "line": {"color": PAIN_COLOUR, "width": 2.5},
            "marker": {"color": PAIN_COLOUR, "size": 7, "symbol": "circle"},
            "hovertemplate": "%{customdata[0]} · %{customdata[1]}<br>"
            "Pain %{y:.1f} · relief %{customdata[2]}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Soreness",
            "x": x,
            "y": _values(grid["soreness"]),
            "connectgaps": False,
            # Dashed and square-marked as well as coloured: never colour alone.
            "line": {"color": SORENESS_COLOUR, "width": 2, "dash": "dash"},
            "marker": {"color": SORENESS_COLOUR, "size": 7, "symbol": "square"},
            "hovertemplate": "Soreness %{y:.1f}<extra></extra>",
        },
    ]
    post = summary.get("post_injection_pain")
    if post is not None:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "Pain right after injection",
                "x": [0],
                "y": [round1(post)],
                "marker": {"color": PAIN_COLOUR, "size": 9, "symbol": "star-open"},
                "hovertemplate": "Right after injection: pain %{y:.1f} · relief "
                f"{_percent_text(summary.get('immediate_relief'))}<extra></extra>",
            }
        )
    data.extend(_pain_reference_lines(baseline, x_max))
    bruised = daily.loc[daily["large_bruise"], "day"].tolist() if not daily.empty else []
    if bruised:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "Large bruising",
                "x": [int(day) for day in bruised],
                "y": [BRUISE_ROW] * len(bruised),
                "marker": {"color": BRUISE_COLOUR, "size": 10, "symbol": "triangle-down"},
                "hovertemplate": "Large bruising reported<extra></extra>",
            }
        )
    shown = [flag for flag in flags if flag["code"] != "large_bruise"]
    if shown:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "Flag",
                "x": [int(flag["day"]) for flag in shown],
                "y": [FLAG_ROW] * len(shown),
                "text": [flag["message"] for flag in shown],
                "customdata": [flag["code"] for flag in shown],
                "marker": {"color": FLAG_COLOUR, "size": 10, "symbol": "diamond"},
                "hovertemplate": "%{text}<extra></extra>",
            }
        )
    visit_date = jsonable(summary.get("visit_date"))
    title = f"Injection on {visit_date}" if visit_date else "Recovery after injection"
    if baseline is not None:
        title += f" · baseline {round1(baseline):g}/10"
    return {"data": data, "layout": _layout(title, x_max, _nrs_axis())}


# --------------------------------------------------------------------------- course


def course_chart(reports: Sequence[VisitReport]) -> dict[str, Any]:
    """Figure dict for a patient's course: one daily-pain trace per visit on the same
    days-since-injection axis, so a physician sees whether each injection helps longer than
    the last. Each visit's baseline is a dotted line in the visit's colour (same legend
    group, so hiding a visit hides both); relief and entry counts are in the hover.

    Pain rather than relief % on the y axis: it exists for every visit, with or without a
    baseline, so no visit drops out of the comparison.
    """
    last_days = [report.summary.get("latest_day") for report in reports]
    x_max = _x_max(last_days)
    data: list[dict[str, Any]] = []
    for position, report in enumerate(reports):
        summary = report.summary
        colour = VISIT_COLOURS[position % len(VISIT_COLOURS)]
        number = summary.get("visit_number", position + 1)
        group = f"visit-{number}"
        name = f"Visit {number} ({jsonable(summary.get('visit_date'))})"
        daily = report.daily
        if "relief" not in daily:
            daily = with_relief(daily, summary.get("baseline"))
        grid = _on_day_grid(daily, int(daily["day"].max()) if not daily.empty else 0)
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "legendgroup": group,
                "x": grid["day"],
                "y": _values(grid["pain"]),
                "customdata": [
                    [jsonable(day_date), _entries_text(count), _percent_text(relief)]
                    for day_date, count, relief in zip(
                        grid["date"], grid["entries"], grid["relief"], strict=True
                    )
                ],
                "connectgaps": False,
                "line": {"color": colour, "width": 2},
                "marker": {"color": colour, "size": 6},
                "hovertemplate": f"Visit {number}: pain %{{y:.1f}} · relief %{{customdata[2]}}"
                "<br>%{customdata[0]} · %{customdata[1]}<extra></extra>",
            }
        )
        baseline = summary.get("baseline")
        if baseline is not None:
            line = _reference_line(f"Visit {number} baseline", baseline, x_max, "dot")
            line.update(
                legendgroup=group,
                showlegend=False,
                line={"color": colour, "width": 1, "dash": "dot"},
            )
            data.append(line)
    layout = _layout("Pain after each injection", x_max, _nrs_axis())
    return {"data": data, "layout": layout}


# --------------------------------------------------------------------------- cohort


def cohort_chart(curve: pd.DataFrame, rates: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Figure dict for the cohort: median relief per day with the interquartile range as a
    band and n (visits contributing) in the hover; 30 % and 50 % relief as reference lines.

    ``curve`` is :func:`~recovery.analytics.cohort_curve`; days with n = 0 are gaps. With
    ``rates`` (:func:`~recovery.analytics.cohort_rates`) the title gives the responder rate
    and its n, since a rate without its denominator misleads.
    """
    x = [int(day) for day in curve["day"]]
    x_max = _x_max([max(x, default=0)])
    n = [int(count) for count in curve["n"]]
    q1, median, q3 = _values(curve["q1"]), _values(curve["median"]), _values(curve["q3"])
    band = {"type": "scatter", "mode": "lines", "x": x, "line": {"width": 0}, "hoverinfo": "skip"}
    data: list[dict[str, Any]] = [
        # Plotly fills "tonexty" from the previous trace: lower edge first, then upper.
        {**band, "name": "Q1", "y": q1, "showlegend": False, "legendgroup": "iqr"},
        {
            **band,
            "name": "Middle half of visits (IQR)",
            "y": q3,
            "fill": "tonexty",
            "fillcolor": "rgba(0, 114, 178, 0.2)",
            "legendgroup": "iqr",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Median relief",
            "x": x,
            "y": median,
            "customdata": [[count, low, high] for count, low, high in zip(n, q1, q3, strict=True)],
            "connectgaps": False,
            "line": {"color": OKABE_ITO["blue"], "width": 2.5},
            "marker": {"color": OKABE_ITO["blue"], "size": 5},
            "hovertemplate": "Median %{y:.1f} % (IQR %{customdata[1]:.1f} to "
            "%{customdata[2]:.1f} %)<br>n = %{customdata[0]} visits<extra></extra>",
        },
    ]
    for percent, dash in ((MODERATE_RELIEF, "dash"), (SUBSTANTIAL_RELIEF, "dot")):
        data.append(
            _reference_line(f"{percent:g} % relief", percent, x_max, dash, show_level=False)
        )
    title = "Relief after injection across visits"
    if rates and rates.get("n"):
        title += (
            f" · responders {rates['responders']}/{rates['n']}"
            f" ({_percent_text(rates['responder_rate'])})"
        )
    yaxis = {"title": {"text": "Relief (%)"}, "ticksuffix": " %", "zeroline": True}
    return {"data": data, "layout": _layout(title, x_max, yaxis)}
