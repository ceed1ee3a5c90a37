"""Chart figure dicts: structure and values (trace names, x/y, reference lines, shapes).

Every figure is also validated with ``plotly.graph_objects.Figure`` (which the production
code skips for speed) and serialised with ``allow_nan=False``.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from recovery.analytics import (
    Baseline,
    VisitReport,
    cohort_curve,
    cohort_rates,
    daily_series,
    visit_flags,
    visit_summary,
    with_relief,
)
from recovery.chart_style import OKABE_ITO
from recovery.charts import cohort_chart, course_chart, visit_chart

VISIT = {
    "visit_id": "v1",
    "patient_id": "p1",
    "performed_at": pd.Timestamp("2024-03-01T15:00Z"),
    "visit_date": date(2024, 3, 1),
    "baseline_pain": 6.0,
    "post_injection_pain": 2.0,
    "condition": "neck_pain",
}


def entries(rows: list[tuple[int, int, int, str]]) -> pd.DataFrame:
    """(day, pain, soreness, bruising) rows of visit v1."""
    return pd.DataFrame(
        {
            "day": pd.array([row[0] for row in rows], dtype="Int64"),
            "local_date": [date(2024, 3, 1 + row[0]) for row in rows],
            "pain": [row[1] for row in rows],
            "soreness": [row[2] for row in rows],
            "bruising": [row[3] for row in rows],
            "visit_id": "v1",
        }
    )


RECORDED_6 = Baseline(6.0, "recorded")
ROWS = [
    (0, 3, 4, "none"),
    (1, 5, 6, "large"),
    (1, 4, 6, "none"),  # day 1: pain 4.5, soreness 6, 2 entries
    (3, 4, 8, "none"),  # day 3: soreness 8 -> soreness_severe and soreness_rising
    (4, 3, 2, "none"),
    # day 2 unlogged: a gap, not a line
]


def report(
    rows: list[tuple[int, int, int, str]] = ROWS,
    baseline: Baseline = RECORDED_6,
    visit: dict[str, Any] = VISIT,
    today: date = date(2024, 3, 6),
) -> VisitReport:
    daily = with_relief(daily_series(entries(rows)), baseline.value)
    return VisitReport(
        daily,
        visit_summary(visit, daily, baseline, today),
        visit_flags(visit, daily, baseline, today),
    )


def valid(figure: dict[str, Any]) -> dict[str, Any]:
    go.Figure(figure)  # raises on any invalid property or value
    json.dumps(figure, allow_nan=False)  # raises on NaN / non-JSON values
    return figure


def trace(figure: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [item for item in figure["data"] if item["name"] == name]
    return found


def shape(figure: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [item for item in figure["layout"]["shapes"] if item["name"] == name]
    return found


# --------------------------------------------------------------------------- visit chart


def test_visit_chart_traces_and_values() -> None:
    visit = report()

    figure = valid(visit_chart(visit.daily, visit.summary, visit.flags))

    assert [item["name"] for item in figure["data"]] == [
        "Pain",
        "Soreness",
        "Pain right after injection",
        "Baseline (6)",
        "30 % relief (4.2)",  # 6 x 0.7
        "50 % relief (3)",  # 6 x 0.5
        "Large bruising",
        "Flag",
    ]
    pain, soreness = trace(figure, "Pain"), trace(figure, "Soreness")
    assert pain["x"] == [0, 1, 2, 3, 4]
    assert pain["y"] == [3.0, 4.5, None, 4.0, 3.0]  # day 2 is a gap
    assert soreness["y"] == [4.0, 6.0, None, 8.0, 2.0]
    assert pain["connectgaps"] is False
    assert trace(figure, "Pain right after injection")["y"] == [2.0]


def test_visit_chart_hover_shows_date_entries_and_relief() -> None:
    visit = report()

    pain = trace(visit_chart(visit.daily, visit.summary, visit.flags), "Pain")

    # day 1: pain 4.5 of 6 -> 25 %; day 3: 4 of 6 -> 33.3 %
    assert pain["customdata"][1] == ["2024-03-02", "2 entries", "25 %"]
    assert pain["customdata"][2] == [None, "no entries", "—"]
    assert pain["customdata"][3] == ["2024-03-04", "1 entry", "33.3 %"]
    assert "%{customdata[0]}" in pain["hovertemplate"]


def test_visit_chart_reference_lines_are_baseline_and_relief_levels_in_pain_units() -> None:
    visit = report()

    figure = visit_chart(visit.daily, visit.summary, visit.flags)

    references = [item for item in figure["data"] if item.get("meta", {}).get("role")]
    assert [(item["meta"]["level"], item["y"]) for item in references] == [
        ("Baseline", [6.0, 6.0]),
        ("30 % relief", [4.2, 4.2]),
        ("50 % relief", [3.0, 3.0]),
    ]
    assert all(item["x"] == [-0.5, 14.5] for item in references)  # first two weeks
    assert all(item["hoverinfo"] == "skip" for item in references)


def test_visit_chart_shades_and_labels_the_first_72_hours_and_the_rest_period() -> None:
    visit = report()

    layout = visit_chart(visit.daily, visit.summary, visit.flags)["layout"]

    first = shape({"layout": layout}, "first_72h")
    rest = shape({"layout": layout}, "rest_period")
    assert (first["x0"], first["x1"]) == (-0.5, 2.5)  # days 0-2
    assert (rest["x0"], rest["x1"]) == (-0.5, 4.5)  # through day 4
    assert first["yref"] == rest["yref"] == "paper"
    labels = {item["name"]: item["text"] for item in layout["annotations"]}
    assert labels == {"first_72h": "First 72 h", "rest_period": "Rest 3–4 d"}  # noqa: RUF001


def test_visit_chart_marks_large_bruising_and_flags_once() -> None:
    visit = report()

    figure = visit_chart(visit.daily, visit.summary, visit.flags)

    assert trace(figure, "Large bruising")["x"] == [1]
    flags = trace(figure, "Flag")
    # large_bruise is drawn by the bruising row, not repeated as a flag marker
    assert flags["customdata"] == ["soreness_rising", "soreness_severe"]
    assert flags["x"] == [3, 3]
    assert flags["text"][1].startswith("Injection-site soreness was 8/10 on day 3")


def test_visit_chart_is_readable_on_a_phone_and_colour_blind_safe() -> None:
    visit = report()

    layout = visit_chart(visit.daily, visit.summary, visit.flags)["layout"]

    assert layout["legend"]["orientation"] == "h"
    # at the bottom of the figure, under the x axis title (see test_legend_...)
    assert (layout["legend"]["yref"], layout["legend"]["y"]) == ("container", 0)
    assert max(layout["margin"][side] for side in ("l", "r", "b")) <= 40
    assert "width" not in layout  # fills the phone's width
    assert layout["xaxis"]["title"]["text"] == "Days since injection"
    assert set(layout["colorway"]) <= set(OKABE_ITO.values())


def test_visit_chart_without_baseline_draws_no_reference_lines() -> None:
    visit = report(baseline=Baseline(None, None), visit=VISIT | {"baseline_pain": np.nan})

    figure = valid(visit_chart(visit.daily, visit.summary, visit.flags))

    assert not [item for item in figure["data"] if "meta" in item]
    assert "baseline" not in figure["layout"]["title"]["text"]
    assert trace(figure, "Pain")["customdata"][0][2] == "—"


def test_visit_chart_with_baseline_zero_draws_only_the_baseline() -> None:
    visit = report(baseline=Baseline(0.0, "recorded"))

    figure = valid(visit_chart(visit.daily, visit.summary, visit.flags))

    assert [item["name"] for item in figure["data"] if "meta" in item] == ["Baseline (0)"]


def test_visit_chart_of_a_visit_without_entries() -> None:
    visit = report(rows=[])

    figure = valid(visit_chart(visit.daily, visit.summary, visit.flags))

    assert trace(figure, "Pain")["y"] == [None]
    assert figure["layout"]["xaxis"]["range"] == [-0.5, 14.5]


def test_visit_chart_extends_past_two_weeks_when_logged() -> None:
    visit = report(rows=[(20, 3, 0, "none")], today=date(2024, 3, 25))

    figure = valid(visit_chart(visit.daily, visit.summary, visit.flags))

    assert figure["layout"]["xaxis"]["range"] == [-0.5, 20.5]
    assert figure["layout"]["xaxis"]["dtick"] == 7


def test_visit_chart_computes_relief_when_given_a_bare_daily_series() -> None:
    visit = report()

    figure = visit_chart(daily_series(entries(ROWS)), visit.summary)

    assert trace(figure, "Pain")["customdata"][0][2] == "50 %"  # 3 of 6


# --------------------------------------------------------------------------- course chart


def two_visits() -> list[VisitReport]:
    first = report()
    first.summary["visit_number"] = 1
    second = report(
        rows=[(0, 2, 1, "none"), (2, 1, 1, "none")],
        baseline=Baseline(5.0, "prior_entries"),
        visit=VISIT | {"visit_id": "v2", "visit_date": date(2024, 3, 20)},
        today=date(2024, 3, 25),
    )
    second.summary["visit_number"] = 2
    return [first, second]


def test_course_chart_has_one_trace_per_visit_and_each_baseline() -> None:
    figure = valid(course_chart(two_visits()))

    pain_traces = [item for item in figure["data"] if "meta" not in item]
    assert [item["name"] for item in pain_traces] == [
        "Visit 1 (2024-03-01)",
        "Visit 2 (2024-03-20)",
    ]
    assert pain_traces[1]["x"] == [0, 1, 2]
    assert pain_traces[1]["y"] == [2.0, None, 1.0]
    assert pain_traces[1]["customdata"][2][2] == "80 %"  # 100 x (5 - 1) / 5
    baselines = [item for item in figure["data"] if item.get("meta", {}).get("role") == "reference"]
    assert [(item["name"], item["y"], item["line"]["dash"]) for item in baselines] == [
        ("Visit 1 baseline (6)", [6.0, 6.0], "dot"),
        ("Visit 2 baseline (5)", [5.0, 5.0], "dot"),
    ]
    colours = [item["line"]["color"] for item in pain_traces]
    assert len(set(colours)) == 2
    assert set(colours) <= set(OKABE_ITO.values())
    # Each baseline is drawn in its visit's colour.
    assert [item["line"]["color"] for item in baselines] == colours
    assert shape(figure, "first_72h")["x1"] == 2.5


def test_course_chart_is_titled_pain_and_its_dotted_baselines_have_a_legend_entry() -> None:
    figure = valid(course_chart(two_visits()))

    assert figure["layout"]["title"]["text"] == "Pain after each injection"
    assert figure["layout"]["yaxis"]["title"]["text"] == "0–10 scale"  # noqa: RUF001
    shown = [item["name"] for item in figure["data"] if item.get("showlegend", True)]
    assert shown == [
        "Visit 1 (2024-03-01)",
        "Visit 2 (2024-03-20)",
        "Baseline of each visit (dotted)",
    ]
    key = trace(figure, "Baseline of each visit (dotted)")
    assert key["line"]["dash"] == "dot"
    assert key["y"] == [None]  # a legend entry only: nothing drawn
    # The key shows and hides every baseline: one legend group.
    group = [item["name"] for item in figure["data"] if item.get("legendgroup") == "baselines"]
    assert group == [
        "Baseline of each visit (dotted)",
        "Visit 1 baseline (6)",
        "Visit 2 baseline (5)",
    ]


def test_course_chart_without_baselines_has_no_baseline_legend_entry() -> None:
    visit = report(baseline=Baseline(None, None), visit=VISIT | {"baseline_pain": np.nan})

    figure = valid(course_chart([visit]))

    assert [item["name"] for item in figure["data"]] == ["Visit 1 (2024-03-01)"]


def test_a_tapped_point_has_its_values_in_words() -> None:
    visit = report()
    figure = valid(visit_chart(visit.daily, visit.summary, visit.flags))

    assert trace(figure, "Pain")["text"] == [
        "Pain 3 on 2024-03-01 (1 entry, relief 50 %)",
        "Pain 4.5 on 2024-03-02 (2 entries, relief 25 %)",
        None,  # day 2: nothing logged, no point to tap
        "Pain 4 on 2024-03-04 (1 entry, relief 33.3 %)",
        "Pain 3 on 2024-03-05 (1 entry, relief 50 %)",
    ]
    assert trace(figure, "Soreness")["text"] == [
        "Soreness 4",
        "Soreness 6",
        None,
        "Soreness 8",
        "Soreness 2",
    ]
    assert trace(figure, "Pain right after injection")["text"] == [
        "Pain right after the injection 2 (relief 66.7 %)"
    ]
    assert trace(figure, "Large bruising")["text"] == ["Large bruising reported"]
    course = valid(course_chart(two_visits()))
    # (the entries() rows are dated from 2024-03-01 whatever the visit)
    assert trace(course, "Visit 2 (2024-03-20)")["text"] == [
        "Visit 2: pain 2 on 2024-03-01 (1 entry, relief 60 %)",
        None,
        "Visit 2: pain 1 on 2024-03-03 (1 entry, relief 80 %)",
    ]


def test_a_tapped_point_without_a_baseline_says_no_relief() -> None:
    visit = report(baseline=Baseline(None, None), visit=VISIT | {"baseline_pain": np.nan})

    figure = valid(visit_chart(visit.daily, visit.summary, visit.flags))

    assert trace(figure, "Pain")["text"][0] == "Pain 3 on 2024-03-01 (1 entry)"


def test_course_chart_of_no_visits_is_still_a_figure() -> None:
    figure = valid(course_chart([]))

    assert figure["data"] == []


# --------------------------------------------------------------------------- cohort chart


def cohort_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "visit_id": ["a", "b", "c", "d", "a"],
            "day": [3, 3, 3, 3, 0],
            "relief": [10.0, 20.0, 40.0, 80.0, 50.0],
        }
    )


def test_cohort_chart_median_with_iqr_band_and_n_in_hover() -> None:
    curve = cohort_curve(cohort_rows())

    figure = valid(cohort_chart(curve))

    assert [item["name"] for item in figure["data"]] == [
        "Middle half of visits (IQR)",
        "Median relief",
        "30 % relief",
        "50 % relief",
        "Visits logged that day (n)",
    ]
    median = trace(figure, "Median relief")
    assert median["x"] == list(range(29))
    assert median["y"][:4] == [50.0, None, None, 30.0]  # days 1-2: nobody logged
    assert median["customdata"][3] == [4, 17.5, 50.0]  # n, q1, q3
    assert median["customdata"][1] == [0, None, None]
    assert "n = %{customdata[0]}" in median["hovertemplate"]
    assert median["text"][3] == "Median relief 30 % (middle half 17.5 to 50 %, 4 visits)"
    assert median["text"][1] is None
    band = trace(figure, "Middle half of visits (IQR)")
    # Two runs of logged days (day 0; day 3), each a closed outline along q3 and back
    # along q1; days 1-2 and 4-28 (nobody logged) are in neither.
    assert band["x"] == [0, 0, None, 3, 3]
    assert band["y"] == [50.0, 50.0, None, 50.0, 17.5]
    assert band["fill"] == "toself"
    assert trace(figure, "30 % relief")["y"] == [30.0, 30.0]
    assert trace(figure, "50 % relief")["y"] == [50.0, 50.0]
    assert figure["layout"]["xaxis"]["range"] == [-0.5, 28.5]


def test_cohort_chart_title_gives_the_responder_rate_with_its_n() -> None:
    rates = cohort_rates(
        [
            {"responder": True, "substantial_responder": False},
            {"responder": False, "substantial_responder": False},
            {"responder": True, "substantial_responder": True},
        ]
    )

    figure = valid(cohort_chart(cohort_curve(cohort_rows()), rates))

    assert figure["layout"]["title"]["text"].endswith("responders 2/3 (66.7 %)")


@pytest.mark.parametrize("rows", [cohort_rows().iloc[0:0], cohort_rows()])
def test_cohort_chart_is_json_safe_with_empty_days(rows: pd.DataFrame) -> None:
    figure = valid(cohort_chart(cohort_curve(rows)))

    assert "NaN" not in json.dumps(figure)


# --------------------------------------------------------------------------- layout fixes


def all_figures() -> dict[str, dict[str, Any]]:
    visit = report()
    return {
        "visit": visit_chart(visit.daily, visit.summary, visit.flags),
        "course": course_chart([visit]),
        "cohort": cohort_chart(cohort_curve(cohort_rows())),
    }


@pytest.mark.parametrize("name", ["visit", "course", "cohort"])
def test_legend_sits_under_the_x_axis_title_whatever_the_width(name: str) -> None:
    """The legend was placed at y = -0.18 of the plot's height, under the tick labels, where
    the axis title (a fixed number of pixels under the axis) is whenever the plot is short
    or the legend wraps. Now it is anchored at the bottom edge of the whole figure, and the
    axis title is in the margin above it (automargin), so the two cannot meet: a browser
    test (tests/e2e/test_desk.py) measures the drawn boxes."""
    layout = valid(all_figures()[name])["layout"]

    legend = layout["legend"]
    assert legend["orientation"] == "h"
    assert (legend["yref"], legend["y"], legend["yanchor"]) == ("container", 0, "bottom")
    assert layout["xaxis"]["automargin"] is True
    assert layout["xaxis"]["title"]["text"] == "Days since injection"


def test_cohort_y_title_stands_off_its_tick_labels() -> None:
    yaxis = valid(all_figures()["cohort"])["layout"]["yaxis"]

    assert yaxis["title"] == {"text": "Relief (%)", "standoff": 10}
    assert yaxis["automargin"] is True  # the left margin grows to hold ticks + title


def test_cohort_draws_no_band_and_no_line_where_nobody_logged_and_shows_n() -> None:
    """The demo's gap: visits logged days 0-21 and 26-28, nobody on days 22-25. A band
    filled "tonexty" across the gap drew a wedge there."""
    rows = [
        {"visit_id": v, "day": day, "relief": 10.0 * (i + 1) + day}
        for day in [*range(0, 22), 26, 27, 28]
        for i, v in enumerate("abc")
    ]
    curve = cohort_curve(pd.DataFrame(rows))
    figure = valid(cohort_chart(curve))
    n = dict(zip(curve["day"], curve["n"], strict=True))
    assert [day for day, count in n.items() if count == 0] == [22, 23, 24, 25]

    band = trace(figure, "Middle half of visits (IQR)")
    median = trace(figure, "Median relief")
    for item in (band, median):
        drawn = [x for x, y in zip(item["x"], item["y"], strict=True) if y is not None]
        assert drawn, item["name"]
        assert not [x for x in drawn if n[x] == 0], item["name"]
    assert "tonexty" not in [item.get("fill") for item in figure["data"]]
    assert band["fill"] == "toself"
    # two outlines, split by one None: days 0-21 and 26-28
    split = band["x"].index(None)
    assert band["x"][:split] == [*range(22), *reversed(range(22))]
    assert band["x"][split + 1 :] == [26, 27, 28, 28, 27, 26]
    assert median["connectgaps"] is False
    # n for every day, drawn as labelled bars in a strip under the curve
    bars = trace(figure, "Visits logged that day (n)")
    assert bars["type"] == "bar"
    assert bars["x"] == list(range(29))
    assert bars["y"] == [n[day] for day in range(29)]
    assert bars["texttemplate"] == "%{y}"
    assert bars["yaxis"] == "y2"
    layout = figure["layout"]
    assert layout["yaxis2"]["domain"][1] < layout["yaxis"]["domain"][0]  # under the curve
    assert layout["xaxis"]["anchor"] == "y2"  # the days under the strip


def test_flag_and_bruise_markers_are_inside_their_own_strips_range() -> None:
    """Flags were drawn at 11.4 on the 0-10 axis: above the 10 line, like a value off the
    scale. They now sit in a strip above the plot, inside that strip's axis range, and the
    pain axis ends just above 10."""
    figure = valid(all_figures()["visit"])
    layout = figure["layout"]

    pain_low, pain_high = layout["yaxis"]["range"]
    assert pain_low < 0 and 10 < pain_high < 10.5
    strip_low, strip_high = layout["yaxis2"]["range"]
    for name in ("Flag", "Large bruising"):
        markers = trace(figure, name)
        assert markers["yaxis"] == "y2"
        assert all(strip_low < y < strip_high for y in markers["y"]), name
    assert layout["yaxis2"]["domain"][0] > layout["yaxis"]["domain"][1]  # above the plot
    for item in figure["data"]:
        if item.get("yaxis", "y") == "y" and item.get("y"):
            assert all(y is None or pain_low <= y <= pain_high for y in item["y"]), item["name"]


def test_visit_chart_without_markers_has_no_marker_strip() -> None:
    visit = report()
    figure = valid(visit_chart(visit.daily.assign(large_bruise=False), visit.summary, ()))

    assert "yaxis2" not in figure["layout"]
    assert "domain" not in figure["layout"]["yaxis"]
