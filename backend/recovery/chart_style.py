"""What every recovery chart shares: the colour-safe palette, the shaded periods after an
injection, the reference lines, the axes and the phone-sized layout (``recovery.charts``
builds the figures with them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from core.i18n import gettext_if_configured as _
from core.i18n import ngettext_if_configured as ngettext
from recovery.analytics import (
    MODERATE_RELIEF,
    SUBSTANTIAL_RELIEF,
    THERAPEUTIC_READ_DAY,
    jsonable,
    round1,
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
NRS_RANGE = [-0.3, 10.4]
# Bruising and flag markers sit in a strip of their own above the 0-10 plot (a second y
# axis, "y2"), inside that strip's range: above the 10 line on the pain axis they read as
# values off the scale, and on the scale they would hide a pain point.
MARKER_AXIS = "y2"
MARKER_RANGE = [0.4, 2.6]
BRUISE_ROW = 1
FLAG_ROW = 2
COHORT_PLOT_DOMAIN = [0.2, 1]  # the cohort's relief curve; its n-per-day strip below it
COHORT_N_DOMAIN = [0, 0.14]
PLOT_DOMAIN = [0, 0.84]  # the 0-10 plot; the marker strip above it
MARKER_DOMAIN = [0.88, 1]
# The horizontal legend sits at the very bottom of the figure (container coordinates),
# under the x axis title, whatever the plot's height: a legend placed in plot fractions
# (y = -0.18) lands on the axis title once the plot is short or the legend wraps.
LEGEND = {
    "orientation": "h",
    "x": 0,
    "xanchor": "left",
    "yref": "container",
    "y": 0,
    "yanchor": "bottom",
    "font": {"size": 11},
}


def plot_values(values: Sequence[Any] | pd.Series) -> list[float | None]:
    return [round1(value) for value in values]


def percent_text(value: object) -> str:
    rounded = round1(value)
    return "—" if rounded is None else f"{rounded:g} %"


def entries_text(count: int | None) -> str:
    if count is None:
        return _("no entries")
    return ngettext("%(count)d entry", "%(count)d entries", int(count)) % {"count": int(count)}


def pain_point_text(
    label: str, pain: object, day_date: object, count: int | None, relief: object
) -> str | None:
    """What a tapped pain point says in words, e.g. "Pain 4.5 on 2024-03-02 (2 entries,
    relief 25 %)"; None for a day without entries (no point is drawn there). The app shows
    it under the chart, with the ISO date in the reader's own format."""
    value = round1(pain)
    if value is None:
        return None
    entries = entries_text(count)
    words = {
        "label": label,
        "value": f"{value:g}",
        "date": jsonable(day_date),
        "entries": entries,
        "relief": percent_text(relief),
    }
    if round1(relief) is None:
        if day_date is None:
            return _("%(label)s %(value)s (%(entries)s)") % words
        return _("%(label)s %(value)s on %(date)s (%(entries)s)") % words
    if day_date is None:
        return _("%(label)s %(value)s (%(entries)s, relief %(relief)s)") % words
    return _("%(label)s %(value)s on %(date)s (%(entries)s, relief %(relief)s)") % words


def score_point_text(label: str, values: Sequence[Any]) -> list[str | None]:
    """ "Soreness 6" for each logged day, None for the gaps."""
    return [None if round1(v) is None else f"{label} {round1(v):g}" for v in values]


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
            "text": _("First 72 h"),
            "hovertext": _(
                "Anaesthetic effect and post-injection soreness; not used to judge relief"
            ),
            "font": {"size": 10},
        },
        {
            **label,
            "name": "rest_period",
            "x": (THERAPEUTIC_READ_DAY + REST_LAST_DAY) / 2,
            "yshift": 13,
            "text": _("Rest 3–4 d"),  # noqa: RUF001 - the en dash is the typographic range
            "hovertext": _("Avoid strenuous activity for 3-4 days after the injection"),
            "font": {"size": 10},
        },
    ]


def reference_line(
    name: str,
    y: float,
    x_max: float,
    dash: str,
    *,
    show_level: bool = True,
    key: str | None = None,
) -> dict[str, Any]:
    """A horizontal reference line drawn as a legend-labelled trace (a phone has no room
    for in-plot labels at three nearby heights); ``meta.role`` marks it for the front end,
    ``meta.level`` names it (``key``: the same words in every language; default ``name``)."""
    level = round1(y)
    return {
        "type": "scatter",
        "mode": "lines",
        "name": f"{name} ({level:g})" if show_level else name,
        "x": [-0.5, x_max + 0.5],
        "y": [level, level],
        "line": {"color": REFERENCE_COLOUR, "width": 1, "dash": dash},
        "hoverinfo": "skip",
        "meta": {"role": "reference", "level": key or name},
    }


def pain_reference_lines(baseline: float | None, x_max: float) -> list[dict[str, Any]]:
    """Baseline and the 30 % / 50 % relief levels in pain units (baseline x 0.7 and x 0.5)."""
    if baseline is None:
        return []
    lines = [reference_line(_("Baseline"), baseline, x_max, "solid", key="Baseline")]
    if baseline > 0:  # baseline 0 has no relief levels
        for percent, dash in ((MODERATE_RELIEF, "dash"), (SUBSTANTIAL_RELIEF, "dot")):
            level = baseline * (1 - percent / 100)
            lines.append(
                reference_line(
                    relief_level_name(percent), level, x_max, dash, key=f"{percent:g} % relief"
                )
            )
    return lines


def relief_level_name(percent: float) -> str:
    """ "30 % relief": a reference line's name."""
    return _("%(percent)s relief") % {"percent": percent_text(percent)}


def chart_layout(title: str, x_max: float, yaxis: dict[str, Any]) -> dict[str, Any]:
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
        "legend": dict(LEGEND),
        "xaxis": {
            "title": {"text": _("Days since injection"), "standoff": 8},
            "automargin": True,
            "range": [-0.5, x_max + 0.5],
            "tickmode": "linear",
            "tick0": 0,
            "dtick": 1 if x_max <= MIN_X_DAYS else 7,
            "gridcolor": "#EEEEEE",
            "zeroline": False,
            "fixedrange": True,  # no accidental zoom while scrolling on a phone
        },
        # automargin: the margin grows to hold the tick labels and the title beside them.
        "yaxis": {"gridcolor": "#EEEEEE", "fixedrange": True, "automargin": True, **yaxis},
        "shapes": _period_shapes(),
        "annotations": _period_annotations(),
    }


def marker_strip(layout: dict[str, Any]) -> dict[str, Any]:
    """The layout with the marker strip (bruising, flags) above the 0-10 plot."""
    layout["yaxis"] = {**layout["yaxis"], "domain": PLOT_DOMAIN}
    layout["yaxis2"] = {
        "domain": MARKER_DOMAIN,
        "range": MARKER_RANGE,
        "showticklabels": False,  # the legend names the markers
        "showgrid": False,
        "zeroline": False,
        "fixedrange": True,
    }
    return layout


def nrs_axis() -> dict[str, Any]:
    return {
        # Translators: the 0-10 numeric rating scale (NRS) of pain and soreness.
        "title": {"text": _("0–10 scale")},  # noqa: RUF001 - typographic range
        "range": NRS_RANGE,
        "tickvals": [0, 2, 4, 6, 8, 10],
        "zeroline": False,
    }


def on_day_grid(daily: pd.DataFrame, last_day: int) -> dict[str, list[Any]]:
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


def x_max_of(last_days: Sequence[int | None]) -> int:
    return max([MIN_X_DAYS, *(day for day in last_days if day is not None)])
