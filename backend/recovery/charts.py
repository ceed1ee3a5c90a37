"""Plotly figure dicts for the recovery views, built from :mod:`recovery.analytics` frames.

Plain ``{"data": [...], "layout": {...}}`` dicts, built directly: validating a
``plotly.graph_objects.Figure`` costs milliseconds per figure and the visit chart has a
speed goal, so the tests do the validation instead. Values are JSON-safe (None, never NaN)
and rounded to 1 decimal, which is where presentation rounding belongs.

Clinician-facing choices: x is always days since injection (day 0 = the visit's local
date); pain and soreness are separate traces on the 0-10 NRS; the first 72 hours (days 0-2)
and the 3-4 day rest period are shaded and labelled, because the therapeutic read starts on
day 3; the Okabe-Ito palette stays distinguishable with colour-vision deficiency; the legend
sits horizontally at the bottom of the figure, under the x axis title, and margins are small
so the chart reads on a 360 px phone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from core.i18n import gettext_if_configured as _
from core.i18n import ngettext_if_configured as ngettext
from recovery.analytics import (
    MODERATE_RELIEF,
    SUBSTANTIAL_RELIEF,
    VisitReport,
    jsonable,
    round1,
    with_relief,
)
from recovery.chart_style import (
    BRUISE_COLOUR,
    BRUISE_ROW,
    COHORT_N_DOMAIN,
    COHORT_PLOT_DOMAIN,
    FLAG_COLOUR,
    FLAG_ROW,
    MARKER_AXIS,
    OKABE_ITO,
    PAIN_COLOUR,
    REFERENCE_COLOUR,
    SORENESS_COLOUR,
    VISIT_COLOURS,
    chart_layout,
    entries_text,
    marker_strip,
    nrs_axis,
    on_day_grid,
    pain_point_text,
    pain_reference_lines,
    percent_text,
    plot_values,
    reference_line,
    relief_level_name,
    score_point_text,
    x_max_of,
)

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
    x_max = x_max_of([last_day])
    grid = on_day_grid(daily, last_day)
    x = grid["day"]
    hover = [
        [jsonable(day_date), entries_text(count), percent_text(relief)]
        for day_date, count, relief in zip(
            grid["date"], grid["entries"], grid["relief"], strict=True
        )
    ]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _("Pain"),
            "x": x,
            "y": plot_values(grid["pain"]),
            "customdata": hover,
            # What a tap on the point says (shown as text under the chart by the app).
            "text": [
                pain_point_text(_("Pain"), pain, day_date, count, relief)
                for pain, day_date, count, relief in zip(
                    grid["pain"], grid["date"], grid["entries"], grid["relief"], strict=True
                )
            ],
            "connectgaps": False,
            "line": {"color": PAIN_COLOUR, "width": 2.5},
            "marker": {"color": PAIN_COLOUR, "size": 7, "symbol": "circle"},
            "hovertemplate": "%{customdata[0]} · %{customdata[1]}<br>"
            + _("Pain %(value)s · relief %(relief)s")
            % {"value": "%{y:.1f}", "relief": "%{customdata[2]}"}
            + "<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            # Translators: injection-site soreness (not the patient's pain), as the app
            # asks about it. Spanish: "dolor en el sitio de la inyección".
            "name": _("Soreness"),
            "x": x,
            "y": plot_values(grid["soreness"]),
            "text": score_point_text(_("Soreness"), grid["soreness"]),
            "connectgaps": False,
            # Dashed and square-marked as well as coloured: never colour alone.
            "line": {"color": SORENESS_COLOUR, "width": 2, "dash": "dash"},
            "marker": {"color": SORENESS_COLOUR, "size": 7, "symbol": "square"},
            "hovertemplate": _("Soreness %(value)s") % {"value": "%{y:.1f}"} + "<extra></extra>",
        },
    ]
    post = summary.get("post_injection_pain")
    immediate = percent_text(summary.get("immediate_relief"))
    if post is not None:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": _("Pain right after injection"),
                "x": [0],
                "y": [round1(post)],
                "text": [
                    (
                        _("Pain right after the injection %(value)s")
                        if summary.get("immediate_relief") is None
                        else _("Pain right after the injection %(value)s (relief %(relief)s)")
                    )
                    % {"value": f"{round1(post):g}", "relief": immediate}
                ],
                "marker": {"color": PAIN_COLOUR, "size": 9, "symbol": "star-open"},
                "hovertemplate": _("Right after injection: pain %(value)s · relief %(relief)s")
                % {"value": "%{y:.1f}", "relief": immediate}
                + "<extra></extra>",
            }
        )
    data.extend(pain_reference_lines(baseline, x_max))
    bruised = daily.loc[daily["large_bruise"], "day"].tolist() if not daily.empty else []
    if bruised:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": _("Large bruising"),
                "x": [int(day) for day in bruised],
                "y": [BRUISE_ROW] * len(bruised),
                "yaxis": MARKER_AXIS,
                "text": [_("Large bruising reported")] * len(bruised),
                "marker": {"color": BRUISE_COLOUR, "size": 10, "symbol": "triangle-down"},
                "hovertemplate": _("Large bruising reported") + "<extra></extra>",
            }
        )
    shown = [flag for flag in flags if flag["code"] != "large_bruise"]
    if shown:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": _("Flag"),
                "x": [int(flag["day"]) for flag in shown],
                "y": [FLAG_ROW] * len(shown),
                "yaxis": MARKER_AXIS,
                "text": [flag["message"] for flag in shown],
                "customdata": [flag["code"] for flag in shown],
                "marker": {"color": FLAG_COLOUR, "size": 10, "symbol": "diamond"},
                "hovertemplate": "%{text}<extra></extra>",
            }
        )
    visit_date = jsonable(summary.get("visit_date"))
    title = (
        _("Injection on %(date)s") % {"date": visit_date}
        if visit_date
        else _("Recovery after injection")
    )
    if baseline is not None:
        title += " · " + _("baseline %(score)s") % {"score": f"{round1(baseline):g}/10"}
    layout = chart_layout(title, x_max, nrs_axis())
    if bruised or shown:
        layout = marker_strip(layout)
    return {"data": data, "layout": layout}


# --------------------------------------------------------------------------- course


def course_chart(reports: Sequence[VisitReport]) -> dict[str, Any]:
    """Figure dict for a patient's course: one daily-pain trace per visit on the same
    days-since-injection axis, so a physician sees whether each injection helps longer than
    the last. Each visit's baseline is a dotted line in the visit's colour; one legend entry
    ("Baseline of each visit") explains them all and shows or hides them together, since a
    legend line per baseline would double a long legend on a phone. Relief and entry counts
    are in the hover and in the text a tap shows.

    Pain rather than relief % on the y axis: it exists for every visit, with or without a
    baseline, so no visit drops out of the comparison.
    """
    last_days = [report.summary.get("latest_day") for report in reports]
    x_max = x_max_of(last_days)
    data: list[dict[str, Any]] = []
    baselines: list[dict[str, Any]] = []
    for position, report in enumerate(reports):
        summary = report.summary
        colour = VISIT_COLOURS[position % len(VISIT_COLOURS)]
        number = summary.get("visit_number", position + 1)
        name = _("Visit %(number)s (%(date)s)") % {
            "number": number,
            "date": jsonable(summary.get("visit_date")),
        }
        visit_words = {"number": number}
        daily = report.daily
        if "relief" not in daily:
            daily = with_relief(daily, summary.get("baseline"))
        grid = on_day_grid(daily, int(daily["day"].max()) if not daily.empty else 0)
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "legendgroup": f"visit-{number}",
                "x": grid["day"],
                "y": plot_values(grid["pain"]),
                "customdata": [
                    [jsonable(day_date), entries_text(count), percent_text(relief)]
                    for day_date, count, relief in zip(
                        grid["date"], grid["entries"], grid["relief"], strict=True
                    )
                ],
                "text": [
                    pain_point_text(
                        _("Visit %(number)s: pain") % visit_words, pain, day_date, count, relief
                    )
                    for pain, day_date, count, relief in zip(
                        grid["pain"], grid["date"], grid["entries"], grid["relief"], strict=True
                    )
                ],
                "connectgaps": False,
                "line": {"color": colour, "width": 2},
                "marker": {"color": colour, "size": 6},
                "hovertemplate": _("Visit %(number)s: pain %(value)s · relief %(relief)s")
                % {**visit_words, "value": "%{y:.1f}", "relief": "%{customdata[2]}"}
                + "<br>%{customdata[0]} · %{customdata[1]}<extra></extra>",
            }
        )
        baseline = summary.get("baseline")
        if baseline is not None:
            line = reference_line(
                _("Visit %(number)s baseline") % visit_words,
                baseline,
                x_max,
                "dot",
                key=f"Visit {number} baseline",
            )
            line.update(
                legendgroup="baselines",
                showlegend=False,
                line={"color": colour, "width": 1.5, "dash": "dot"},
            )
            baselines.append(line)
    if baselines:
        # The legend's key to the dotted lines: a line without points, in neutral grey.
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": _("Baseline of each visit (dotted)"),
                "legendgroup": "baselines",
                "x": [None],
                "y": [None],
                "line": {"color": REFERENCE_COLOUR, "width": 1.5, "dash": "dot"},
                "hoverinfo": "skip",
                "meta": {"role": "key", "level": "baselines"},
            }
        )
    layout = chart_layout(_("Pain after each injection"), x_max, nrs_axis())
    return {"data": data + baselines, "layout": layout}


# --------------------------------------------------------------------------- cohort


def cohort_chart(curve: pd.DataFrame, rates: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Figure dict for the cohort: median relief per day with the interquartile range as a
    band and n (visits contributing) in the hover; 30 % and 50 % relief as reference lines.

    ``curve`` is :func:`~recovery.analytics.cohort_curve`; days with n = 0 are gaps. With
    ``rates`` (:func:`~recovery.analytics.cohort_rates`) the title gives the responder rate
    and its n, since a rate without its denominator misleads.
    """
    x = [int(day) for day in curve["day"]]
    x_max = x_max_of([max(x, default=0)])
    n = [int(count) for count in curve["n"]]
    # A day nobody logged has no quartiles: None, whatever the frame holds there.
    q1, median, q3 = (
        [
            None if count == 0 else value
            for value, count in zip(plot_values(curve[c]), n, strict=True)
        ]
        for c in ("q1", "median", "q3")
    )
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": _("Middle half of visits (IQR)"),
            "legendgroup": "iqr",
            **iqr_band(x, q1, q3),
            # "toself" closes each run of logged days on its own: a "tonexty" fill between
            # two traces with gaps joins the runs across the gap, the wedge over days
            # nobody logged.
            "fill": "toself",
            "fillcolor": "rgba(0, 114, 178, 0.2)",
            "line": {"width": 0},
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _("Median relief"),
            "x": x,
            "y": median,
            "customdata": [[count, low, high] for count, low, high in zip(n, q1, q3, strict=True)],
            "text": [
                None
                if middle is None or low is None or high is None
                else ngettext(
                    "Median relief %(median)s (middle half %(low)s to %(high)s, %(count)d visit)",
                    "Median relief %(median)s (middle half %(low)s to %(high)s, %(count)d visits)",
                    count,
                )
                % {
                    "median": percent_text(middle),
                    "low": f"{low:g}",
                    "high": percent_text(high),
                    "count": count,
                }
                for middle, low, high, count in zip(median, q1, q3, n, strict=True)
            ],
            "connectgaps": False,
            "line": {"color": OKABE_ITO["blue"], "width": 2.5},
            "marker": {"color": OKABE_ITO["blue"], "size": 5},
            "hovertemplate": _("Median %(median)s (IQR %(low)s to %(high)s)")
            % {
                "median": "%{y:.1f} %",
                "low": "%{customdata[1]:.1f}",
                "high": "%{customdata[2]:.1f} %",
            }
            + "<br>"
            + _("n = %(count)s visits") % {"count": "%{customdata[0]}"}
            + "<extra></extra>",
        },
    ]
    for percent, dash in ((MODERATE_RELIEF, "dash"), (SUBSTANTIAL_RELIEF, "dot")):
        data.append(
            reference_line(
                relief_level_name(percent),
                percent,
                x_max,
                dash,
                show_level=False,
                key=f"{percent:g} % relief",
            )
        )
    # n per day without hovering: a bar strip under the curve, each bar labelled.
    data.append(
        {
            "type": "bar",
            "name": _("Visits logged that day (n)"),
            "x": x,
            "y": n,
            "yaxis": "y2",
            # texttemplate, not text: a tap shows the traces' text, and "3" says nothing
            "texttemplate": "%{y}",
            "textposition": "outside",
            "cliponaxis": False,
            "textfont": {"size": 9},
            "marker": {"color": REFERENCE_COLOUR},
            "hovertemplate": _("n = %(count)s visits") % {"count": "%{y}"} + "<extra></extra>",
        }
    )
    title = _("Relief after injection across visits")
    if rates and rates.get("n"):
        title += " · " + _("responders %(responders)s/%(n)s (%(rate)s)") % {
            "responders": rates["responders"],
            "n": rates["n"],
            "rate": percent_text(rates["responder_rate"]),
        }
    # standoff: the title keeps clear of the " %" tick labels (automargin makes the room).
    yaxis = {
        "title": {"text": _("Relief (%)"), "standoff": 10},
        "ticksuffix": " %",
        "zeroline": True,
        "domain": COHORT_PLOT_DOMAIN,
    }
    layout = chart_layout(title, x_max, yaxis)
    # The day axis under the n strip, so the strip sits between the curve and the days.
    layout["xaxis"]["anchor"] = "y2"
    layout["yaxis2"] = {
        "domain": COHORT_N_DOMAIN,
        "range": [0, max(n, default=0) * 1.5 or 1],
        "showticklabels": False,
        "showgrid": False,
        "zeroline": False,
        "fixedrange": True,
    }
    return {"data": data, "layout": layout}


def iqr_band(
    x: Sequence[int], q1: Sequence[float | None], q3: Sequence[float | None]
) -> dict[str, list[Any]]:
    """The interquartile band as closed outlines, one per run of days with quartiles: along
    q3 forwards, back along q1, then None before the next run. Days without quartiles
    (nobody logged) appear in no outline."""
    xs: list[Any] = []
    ys: list[Any] = []
    run: list[int] = []
    for position in [*range(len(x)), None]:
        if position is not None and q1[position] is not None and q3[position] is not None:
            run.append(position)
            continue
        if run:
            if xs:
                xs.append(None)
                ys.append(None)
            xs += [x[i] for i in run] + [x[i] for i in reversed(run)]
            ys += [q3[i] for i in run] + [q1[i] for i in reversed(run)]
            run = []
    return {"x": xs, "y": ys}
