"""Pure analytics, on small hand-computed frames (no Django, no database).

Each expected number is worked out in the comment next to it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.analytics import (
    Baseline,
    as_date,
    assign_visits,
    baseline_for,
    baselines,
    cohort_curve,
    cohort_rates,
    course_reports,
    daily_relief,
    daily_rows,
    daily_series,
    jsonable,
    relief,
    round1,
    tally,
    visit_flags,
    visit_report,
    visit_summary,
    with_relief,
)

VISIT_DATE = date(2024, 3, 1)
NEW_YORK = ZoneInfo("America/New_York")
RECORDED_6 = Baseline(6.0, "recorded")


def make_visit(**overrides: Any) -> dict[str, Any]:
    visit = {
        "visit_id": "v1",
        "patient_id": "p1",
        "performed_at": pd.Timestamp("2024-03-01T15:00Z"),
        "visit_date": VISIT_DATE,
        "baseline_pain": 6.0,
        "post_injection_pain": np.nan,
        "condition": "myofascial_pain",
    }
    return visit | overrides


def make_entries(
    rows: list[tuple[int, int, int] | tuple[int, int, int, str]],
    *,
    visit_id: str | None = "v1",
    visit_date: date = VISIT_DATE,
    patient_id: str = "p1",
) -> pd.DataFrame:
    """Entries from (day, pain, soreness[, bruising]) tuples, felt at noon UTC that day."""
    records = []
    for number, row in enumerate(rows):
        day, pain, soreness = row[:3]
        local = visit_date + timedelta(days=day)
        records.append(
            {
                "entry_id": f"{patient_id}-e{number}",
                "patient_id": patient_id,
                "felt_at": pd.Timestamp(
                    datetime(local.year, local.month, local.day, 12, tzinfo=UTC)
                ),
                "local_date": local,
                "pain": pain,
                "soreness": soreness,
                "bruising": row[3] if len(row) > 3 else "none",
                "visit_id": visit_id if day >= 0 else None,
                "day": day if day >= 0 else pd.NA,
            }
        )
    columns = [
        "entry_id",
        "patient_id",
        "felt_at",
        "local_date",
        "pain",
        "soreness",
        "bruising",
        "visit_id",
        "day",
    ]
    return pd.DataFrame(records, columns=columns).astype({"day": "Int64"})


def summarise(
    rows: list[Any],
    *,
    today: date,
    baseline: Baseline = RECORDED_6,
    next_visit_day: int | None = None,
    **visit: Any,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    record = make_visit(**visit)
    daily = daily_series(make_entries(rows))
    return (
        visit_summary(record, daily, baseline, today, next_visit_day),
        visit_flags(record, daily, baseline, today, next_visit_day),
    )


def codes(flags: list[dict[str, Any]]) -> list[str]:
    return [flag["code"] for flag in flags]


def flag(flags: list[dict[str, Any]], code: str) -> dict[str, Any]:
    (found,) = [item for item in flags if item["code"] == code]
    return found


# --------------------------------------------------------------------------- assign_visits


def visits_frame(*rows: tuple[str, str, str, date]) -> pd.DataFrame:
    """(visit_id, patient_id, performed_at ISO, visit_date) rows."""
    return pd.DataFrame(
        {
            "visit_id": [row[0] for row in rows],
            "patient_id": [row[1] for row in rows],
            "performed_at": pd.to_datetime([row[2] for row in rows], utc=True),
            "visit_date": [row[3] for row in rows],
            "baseline_pain": np.nan,
            "post_injection_pain": np.nan,
            "condition": "neck_pain",
        }
    )


def raw_entries(*rows: tuple[str, str, str, date]) -> pd.DataFrame:
    """(entry_id, patient_id, felt_at ISO, local_date) rows, with pain/soreness filler."""
    return pd.DataFrame(
        {
            "entry_id": [row[0] for row in rows],
            "patient_id": [row[1] for row in rows],
            "felt_at": pd.to_datetime([row[2] for row in rows], utc=True),
            "local_date": [row[3] for row in rows],
            "pain": 5,
            "soreness": 1,
            "bruising": "none",
        }
    )


def test_entry_belongs_to_latest_visit_of_same_patient_at_or_before_felt_at() -> None:
    visits = visits_frame(
        ("v1", "p1", "2024-03-01T15:00Z", date(2024, 3, 1)),
        ("v2", "p1", "2024-03-10T15:00Z", date(2024, 3, 10)),
        ("q1", "p2", "2024-03-05T09:00Z", date(2024, 3, 5)),
    )
    entries = raw_entries(
        ("before-any", "p1", "2024-03-01T14:59Z", date(2024, 3, 1)),
        ("at-visit", "p1", "2024-03-01T15:00Z", date(2024, 3, 1)),
        ("not-other-patients", "p1", "2024-03-06T10:00Z", date(2024, 3, 6)),
        ("same-day-before-v2", "p1", "2024-03-10T14:00Z", date(2024, 3, 10)),
        ("after-v2", "p1", "2024-03-10T15:00Z", date(2024, 3, 10)),
        ("other", "p2", "2024-03-06T10:00Z", date(2024, 3, 6)),
    )

    assigned = assign_visits(entries, visits)

    assert assigned["visit_id"].tolist() == [None, "v1", "v1", "v1", "v2", "q1"]
    # 3-01 -> day 0; 3-06 - 3-01 = 5; 3-10 - 3-01 = 9 (window of v1 ends at v2, not at midnight)
    assert assigned["day"].tolist() == [pd.NA, 0, 5, 9, 0, 1]
    assert assigned["entry_id"].tolist() == entries["entry_id"].tolist()


def test_assign_visits_keeps_the_callers_index_and_order() -> None:
    visits = visits_frame(("v1", "p1", "2024-03-01T15:00Z", date(2024, 3, 1)))
    entries = raw_entries(
        ("late", "p1", "2024-03-04T10:00Z", date(2024, 3, 4)),
        ("early", "p1", "2024-03-02T10:00Z", date(2024, 3, 2)),
    ).set_axis([17, 3])

    assigned = assign_visits(entries, visits)

    assert assigned.index.tolist() == [17, 3]
    assert assigned["day"].tolist() == [3, 1]


def test_assign_visits_without_visits_leaves_entries_unassigned() -> None:
    entries = raw_entries(("e", "p1", "2024-03-04T10:00Z", date(2024, 3, 4)))

    assigned = assign_visits(entries, visits_frame().iloc[0:0])

    assert assigned["visit_id"].tolist() == [None]
    assert assigned["day"].isna().all()


def test_two_visits_at_the_same_instant_resolve_to_the_larger_visit_id() -> None:
    visits = visits_frame(
        ("vb", "p1", "2024-03-01T15:00Z", date(2024, 3, 1)),
        ("va", "p1", "2024-03-01T15:00Z", date(2024, 3, 1)),
    )
    entries = raw_entries(("e", "p1", "2024-03-02T10:00Z", date(2024, 3, 2)))

    assert assign_visits(entries, visits)["visit_id"].tolist() == ["vb"]


def test_an_entry_after_the_visit_on_an_earlier_local_date_is_day_0_not_negative() -> None:
    # As the server places it (tests/diary/test_placement.py): a visit at 00:30 London time
    # on 11 June (23:30 UTC on the 10th); the patient then moves to New York, where a
    # check-in felt later, at 21:00 local, still carries 10 June. Day 0, never day -1.
    visits = visits_frame(("v1", "p1", "2026-06-10T23:30Z", date(2026, 6, 11)))
    entries = raw_entries(
        ("moved-west", "p1", "2026-06-11T01:00Z", date(2026, 6, 10)),
        ("next-evening", "p1", "2026-06-12T01:00Z", date(2026, 6, 11)),
        ("a-day-later", "p1", "2026-06-13T01:00Z", date(2026, 6, 12)),
    )

    assigned = assign_visits(entries, visits)

    assert assigned["visit_id"].tolist() == ["v1", "v1", "v1"]
    assert assigned["day"].tolist() == [0, 0, 1]


def new_york_entry(entry_id: str, *wall_clock: int) -> tuple[str, str, str, date]:
    """Server-side behaviour: felt_at stored in UTC, local_date from the patient's zone."""
    aware = datetime(*wall_clock, tzinfo=NEW_YORK)  # type: ignore[misc]
    return (entry_id, "p1", aware.astimezone(UTC).isoformat(), aware.date())


def test_day_counts_local_dates_across_the_spring_dst_change() -> None:
    # Visit Saturday 2024-03-09 23:00 EST (= 03-10 04:00 UTC). Clocks jump forward at 02:00 on
    # Sunday 03-10, so that local day has 23 hours.
    visit_at = datetime(2024, 3, 9, 23, 0, tzinfo=NEW_YORK)
    visits = visits_frame(("v1", "p1", visit_at.astimezone(UTC).isoformat(), date(2024, 3, 9)))
    entries = raw_entries(
        new_york_entry("same-evening", 2024, 3, 9, 23, 30),  # day 0
        # 03-10 22:30 EDT = 03-11 02:30 UTC: only 22.5 hours after the visit, UTC date is
        # 03-11, but the patient's local date is 03-10 -> day 1 (not 0 by hours, not 2 by UTC).
        new_york_entry("sunday-night", 2024, 3, 10, 22, 30),
        new_york_entry("monday-early", 2024, 3, 11, 0, 30),  # day 2
    )

    assigned = assign_visits(entries, visits)

    felt = assigned.set_index("entry_id")["felt_at"]
    assert (felt["sunday-night"] - visit_at).total_seconds() / 3600 == 22.5
    assert felt["sunday-night"].date() == date(2024, 3, 11)
    assert assigned["day"].tolist() == [0, 1, 2]


def test_day_counts_local_dates_across_the_autumn_dst_change() -> None:
    # Sunday 2024-11-03 has 25 hours in New York (clocks fall back at 02:00).
    visit_at = datetime(2024, 11, 2, 20, 0, tzinfo=NEW_YORK)  # 11-03 00:00 UTC
    visits = visits_frame(("v1", "p1", visit_at.astimezone(UTC).isoformat(), date(2024, 11, 2)))
    entries = raw_entries(
        new_york_entry("sunday-late", 2024, 11, 3, 23, 59),  # 28 h 59 min later: day 1
        new_york_entry("monday-early", 2024, 11, 4, 0, 1),  # day 2
    )

    assert assign_visits(entries, visits)["day"].tolist() == [1, 2]


# --------------------------------------------------------------------------- daily series


def test_daily_series_averages_several_entries_a_day_and_skips_missing_days() -> None:
    entries = make_entries(
        [
            (0, 3, 4),
            (1, 4, 3),
            (1, 5, 4, "large"),
            (1, 6, 6),
            (4, 2, 1, "small"),
        ]
    )

    daily = daily_series(entries)

    assert daily["day"].tolist() == [0, 1, 4]  # days 2 and 3 are absent, never imputed
    assert daily["date"].tolist() == [date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 5)]
    assert daily["pain"].tolist() == [3.0, 5.0, 2.0]  # (4 + 5 + 6) / 3 = 5
    assert daily["soreness"].tolist() == pytest.approx([4.0, 13 / 3, 1.0])  # (3+4+6)/3
    assert daily["entries"].tolist() == [1, 3, 1]
    assert daily["large_bruise"].tolist() == [False, True, False]


def test_daily_values_stay_unrounded_and_are_rounded_half_up_when_presented() -> None:
    daily = with_relief(daily_series(make_entries([(2, 4, 2), (2, 4, 2), (2, 5, 3)])), 6.0)

    assert daily["pain"].iloc[0] == 13 / 3  # 4.333..., kept exactly
    # relief = 100 x (6 - 13/3) / 6 = 27.777...; soreness (2+2+3)/3 = 2.333...
    assert daily_rows(daily) == [
        {
            "day": 2,
            "date": "2024-03-03",
            "pain": 4.3,
            "soreness": 2.3,
            "entries": 3,
            "large_bruise": False,
            "relief": 27.8,
            "change": -1.7,
        }
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2.25, 2.3),  # plain round() gives 2.2 (banker's rounding)
        (4.35, 4.4),  # stored as 4.34999999999999964...: plain round() gives 4.3
        (1.15, 1.2),
        (-2.25, -2.3),
        (13 / 3, 4.3),
        (100 * (1 - 4.2 / 6), 30.0),
        (-0.04, 0.0),
        (None, None),
    ],
)
def test_round1_rounds_half_away_from_zero_like_by_hand(value: Any, expected: Any) -> None:
    assert round1(value) == expected


def test_round1_turns_nan_into_none() -> None:
    assert round1(float("nan")) is None


def test_daily_series_of_no_entries_is_an_empty_frame_with_the_columns() -> None:
    daily = daily_series(make_entries([]))

    assert daily.empty
    assert list(daily.columns) == ["day", "date", "pain", "soreness", "entries", "large_bruise"]


def test_daily_series_refuses_entries_of_two_visits() -> None:
    mixed = pd.concat([make_entries([(1, 5, 1)]), make_entries([(1, 5, 1)], visit_id="v2")])

    with pytest.raises(ValueError, match="one visit"):
        daily_series(mixed)


# --------------------------------------------------------------------------- baseline, relief


def prior_entries() -> pd.DataFrame:
    return pd.concat(
        [
            make_entries(
                [
                    (-8, 10, 0),  # 8 days before: outside the 7-day window
                    (-7, 4, 0),  # visit_date - 7: inside
                    (-1, 6, 0),  # visit_date - 1: inside
                    (0, 9, 0),  # the visit day itself: not "before the visit"
                ],
                visit_id=None,
            ),
            make_entries([(-2, 0, 0)], patient_id="someone-else", visit_id=None),
        ],
        ignore_index=True,
    )


def test_baseline_is_the_recorded_pain_when_present() -> None:
    assert baseline_for(make_visit(baseline_pain=6.5), prior_entries()) == (6.5, "recorded")


def test_baseline_falls_back_to_mean_pain_of_the_7_days_before_the_visit() -> None:
    # Only days -7 (pain 4) and -1 (pain 6) count: (4 + 6) / 2 = 5.
    assert baseline_for(make_visit(baseline_pain=np.nan), prior_entries()) == (
        5.0,
        "prior_entries",
    )


def test_no_baseline_when_neither_recorded_nor_prior_entries() -> None:
    only_outside = make_entries([(-8, 10, 0), (0, 9, 0)], visit_id=None)

    baseline = baseline_for(make_visit(baseline_pain=None), only_outside)

    assert baseline == (None, None)
    assert baseline.for_percent is None


@pytest.mark.parametrize("recorded", [6.5, 0.0, np.nan])
@pytest.mark.parametrize(
    "rows",
    [
        prior_entries,
        lambda: make_entries([(-8, 10, 0), (0, 9, 0)], visit_id=None),
        # Three check-ins on one day and one on another: the mean of the check-ins (13/4),
        # not of the days' means (4.5 and 2): the tally keeps the sum and the count.
        lambda: make_entries([(-3, 5, 0), (-3, 4, 0), (-3, 3, 0), (-2, 1, 0)], visit_id=None),
    ],
)
def test_baseline_from_the_tallies_is_the_baseline_from_the_entries(
    recorded: float, rows: Any
) -> None:
    entries = rows()
    visit = make_visit(baseline_pain=recorded)

    assert baseline_for(visit, tally(entries)) == baseline_for(visit, entries)


def test_the_fallback_baseline_is_the_mean_of_the_check_ins_not_of_the_days() -> None:
    entries = make_entries([(-3, 5, 0), (-3, 4, 0), (-3, 3, 0), (-2, 1, 0)], visit_id=None)

    assert baseline_for(make_visit(baseline_pain=None), tally(entries)) == (
        13 / 4,
        "prior_entries",
    )


def test_recorded_baseline_zero_is_kept_but_gives_no_percent() -> None:
    baseline = baseline_for(make_visit(baseline_pain=0.0), prior_entries())

    assert baseline == (0.0, "recorded")
    assert baseline.for_percent is None


def test_vectorised_baselines_agree_with_baseline_for() -> None:
    visits = pd.DataFrame(
        [
            make_visit(visit_id="recorded", baseline_pain=6.5),
            make_visit(visit_id="fallback", baseline_pain=np.nan),
            make_visit(visit_id="none", patient_id="nobody", baseline_pain=np.nan),
        ]
    )

    result = baselines(visits, prior_entries())

    assert result["visit_id"].tolist() == ["recorded", "fallback", "none"]
    assert result["baseline"].tolist()[:2] == [6.5, 5.0]
    assert np.isnan(result["baseline"].iloc[2])
    assert result["baseline_source"].tolist() == ["recorded", "prior_entries", None]


@pytest.mark.parametrize(
    ("pain", "baseline", "expected"),
    [
        (3, 6.0, 50.0),  # 100 x (6 - 3) / 6
        (6, 6.0, 0.0),
        (9, 6.0, -50.0),  # worse than baseline: negative relief
        (0, 6.0, 100.0),
        (3, 0.0, None),  # baseline 0 counts as none for percentages
        (3, None, None),
        (None, 6.0, None),
    ],
)
def test_relief_percent(pain: Any, baseline: Any, expected: Any) -> None:
    assert relief(pain, baseline) == expected


def test_with_relief_on_baseline_zero_keeps_only_the_absolute_change() -> None:
    daily = with_relief(daily_series(make_entries([(3, 2, 0)])), 0.0)

    assert np.isnan(daily["relief"].iloc[0])
    assert daily["change"].tolist() == [2.0]


# --------------------------------------------------------------------------- visit summary


# Baseline 6 (recorded), post-injection pain 3; daily pain -> relief 100 x (6 - pain) / 6:
FULL_COURSE = [
    (0, 3, 4),  # day 0: pain 3 -> 50 %
    (1, 5, 6),
    (1, 5, 6),  # day 1: pain 5 -> 16.7 %
    (2, 4, 5),  # day 2: 33.3 %
    (3, 4, 3),  # day 3: 33.3 %
    (4, 3, 2),
    (4, 4, 2),  # day 4: pain 3.5 -> 41.7 %
    # day 5: nothing logged
    (6, 3, 1),  # day 6: 50 %
    (7, 5, 2),  # day 7: 16.7 %
    (8, 4, 1),  # day 8: 33.3 %
]


def test_visit_summary_of_a_hand_computed_course() -> None:
    summary, flags = summarise(FULL_COURSE, today=date(2024, 3, 11), post_injection_pain=3.0)

    assert summary == {
        "visit_id": "v1",
        "visit_date": VISIT_DATE,
        "condition": "myofascial_pain",
        "baseline": 6.0,
        "baseline_source": "recorded",
        "relief_available": True,
        "post_injection_pain": 3.0,
        "immediate_relief": 50.0,  # 100 x (6 - 3) / 6
        "days_since_visit": 10,  # 03-11 - 03-01
        "next_visit_day": None,
        "response_window_closed": False,  # day 14 has not ended
        "days_logged": 8,
        "entries": 10,
        "latest_day": 8,
        "latest_date": date(2024, 3, 9),
        "latest_pain": 4.0,
        "latest_soreness": 1.0,
        "latest_relief": pytest.approx(100 / 3),  # 100 x 2 / 6
        "latest_change": -2.0,
        # soreness from day 1: 6, 5, 3, 2, 1, 2, 1 -> <= 2 from day 4 on
        "soreness_settled_day": 4,
        "onset_day": 0,  # day 0 reached 50 % (anaesthetic effect: onset counts from day 0)
        "responder": True,
        "substantial_responder": True,  # day 6: exactly 50 %
        "relief_days": 4,  # days 3, 4, 6, 8
        "longest_relief_run": 2,  # days 3-4; day 5 unlogged ends the run
        "peak_relief": 50.0,
    }
    assert flags == []  # see the flag tests for each threshold


def test_exactly_30_percent_counts_despite_floating_point() -> None:
    # Day 3 pain (4 + 4 + 4 + 4 + 5) / 5 = 4.2 -> 100 x 1.8 / 6 = 30 % exactly by hand
    # (in binary floating point 4.2 / 6 is 0.7000000000000001).
    summary, _ = summarise([(3, 4, 0)] * 4 + [(3, 5, 0)], today=date(2024, 3, 5))

    assert summary["latest_relief"] == pytest.approx(30.0)
    assert summary["responder"] is True
    assert summary["onset_day"] == 3


def test_just_under_30_percent_is_not_a_response() -> None:
    # (4 + 4 + 4 + 5 + 5) / 5 = 4.4 -> 100 x 1.6 / 6 = 26.7 %
    summary, _ = summarise([(3, 4, 0)] * 3 + [(3, 5, 0)] * 2, today=date(2024, 3, 5))

    assert summary["latest_relief"] == pytest.approx(80 / 3)
    assert summary["responder"] is False
    assert summary["onset_day"] is None
    assert summary["relief_days"] == 0


def test_responder_is_judged_on_days_3_to_14_only() -> None:
    # 30 % reached on day 2 (pain 4) and day 15 (pain 4) only; days 3 and 14 at pain 5.
    summary, _ = summarise([(2, 4, 0), (3, 5, 0), (14, 5, 0), (15, 4, 0)], today=date(2024, 3, 20))

    assert summary["onset_day"] == 2
    assert summary["responder"] is False
    assert summary["substantial_responder"] is False
    assert summary["relief_days"] == 1  # day 15: relief days have no upper bound
    assert summary["longest_relief_run"] == 1
    assert summary["response_window_closed"] is True  # day 14 ended (elapsed 19)


def test_longest_relief_run_needs_consecutive_logged_days_from_day_3() -> None:
    # Relief >= 30 % (pain <= 4.2) on days 1, 2, 3, 4, 5, then day 6 at pain 6, then 7, 8.
    rows = [(day, 3, 0) for day in (1, 2, 3, 4, 5)] + [(6, 6, 0), (7, 3, 0), (8, 3, 0)]

    summary, _ = summarise(rows, today=date(2024, 3, 10))

    assert summary["longest_relief_run"] == 3  # days 3-5 (days 1-2 are before the read)
    assert summary["relief_days"] == 5  # days 3, 4, 5, 7, 8


def test_negative_relief_when_pain_is_worse_than_baseline() -> None:
    summary, _ = summarise([(3, 9, 0)], today=date(2024, 3, 5))  # 100 x (6 - 9) / 6 = -50 %

    assert summary["latest_relief"] == -50.0
    assert summary["latest_change"] == 3.0
    assert summary["peak_relief"] == -50.0
    assert summary["responder"] is False


def test_without_a_baseline_relief_fields_are_unknown_not_false() -> None:
    summary, flags = summarise(
        [(3, 2, 2), (4, 2, 1)], today=date(2024, 3, 20), baseline=Baseline(None, None)
    )

    assert summary["relief_available"] is False
    for field in (
        "immediate_relief",
        "onset_day",
        "responder",
        "substantial_responder",
        "relief_days",
        "longest_relief_run",
        "peak_relief",
        "latest_relief",
        "latest_change",
    ):
        assert summary[field] is None, field
    assert summary["latest_pain"] == 2.0
    assert summary["soreness_settled_day"] == 3  # soreness does not need a baseline
    assert "no_response" not in codes(flags)


def test_baseline_zero_gives_no_percentages_but_absolute_change() -> None:
    summary, _ = summarise(
        [(3, 1, 0)],
        today=date(2024, 3, 5),
        baseline=Baseline(0.0, "recorded"),
        post_injection_pain=0,
    )

    assert summary["baseline"] == 0.0
    assert summary["relief_available"] is False
    assert summary["immediate_relief"] is None
    assert summary["responder"] is None
    assert summary["latest_relief"] is None
    assert summary["latest_change"] == 1.0


def test_summary_with_fallback_baseline_via_visit_report() -> None:
    entries = pd.concat(
        [
            make_entries([(-3, 8, 0), (-1, 6, 0)], visit_id=None),  # baseline (8 + 6) / 2 = 7
            make_entries([(3, 3, 1)]),  # 100 x (7 - 3) / 7 = 57.1 %
        ],
        ignore_index=True,
    )

    report = visit_report(make_visit(baseline_pain=np.nan), entries, date(2024, 3, 5))

    assert report.summary["baseline"] == 7.0
    assert report.summary["baseline_source"] == "prior_entries"
    assert report.summary["latest_relief"] == pytest.approx(400 / 7)
    assert report.summary["substantial_responder"] is True
    assert report.daily["day"].tolist() == [3]  # the prior entries are not the visit's days


def test_summary_of_a_visit_with_nothing_logged() -> None:
    summary, _ = summarise([], today=date(2024, 3, 2))

    assert summary["days_logged"] == 0
    assert summary["entries"] == 0
    assert summary["latest_day"] is None
    assert summary["latest_relief"] is None
    assert summary["responder"] is False  # a baseline exists; nothing reached 30 % so far
    assert summary["soreness_settled_day"] is None


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([(0, 5, 1), (1, 5, 2)], 1),  # day 0 is not considered; day 1 at exactly 2 settles
        ([(1, 5, 2), (2, 5, 3), (3, 5, 2)], 3),  # a rise to 3 on day 2 postpones it
        ([(1, 5, 1), (3, 5, 1), (4, 5, 3)], None),  # last logged day above 2: not settled
        ([(1, 5, 2), (1, 5, 3)], None),  # daily mean 2.5 is above 2
        ([(0, 5, 0)], None),  # only day 0 logged
    ],
)
def test_soreness_settled_day(rows: list[Any], expected: int | None) -> None:
    summary, _ = summarise(rows, today=date(2024, 3, 10))

    assert summary["soreness_settled_day"] == expected


def test_json_presentation_rounds_and_stringifies() -> None:
    summary, _ = summarise(FULL_COURSE, today=date(2024, 3, 11))

    shown = jsonable(summary)

    assert shown["latest_relief"] == 33.3
    assert shown["visit_date"] == "2024-03-01"
    assert shown["latest_day"] == 8
    assert shown["responder"] is True
    assert shown["next_visit_day"] is None


# --------------------------------------------------------------------------- flags


@pytest.mark.parametrize(
    ("rows", "raised_on"),
    [
        ([(2, 5, 4), (3, 5, 5)], 3),  # 5 > 4 and >= 5
        ([(1, 5, 3), (4, 5, 5)], 4),  # previous *logged* day is day 1
        ([(2, 5, 4), (3, 5, 4), (3, 5, 5)], None),  # 4.5 rose but is below 5
        ([(2, 5, 5), (3, 5, 5)], None),  # not higher than the previous day
        ([(2, 5, 6), (3, 5, 5)], None),  # falling
        ([(1, 5, 4), (2, 5, 6)], None),  # day 2 is before the therapeutic read
        ([(3, 5, 6)], None),  # no previous logged day to rise from
    ],
)
def test_soreness_rising_threshold(rows: list[Any], raised_on: int | None) -> None:
    _, flags = summarise(rows, today=date(2024, 3, 5))

    if raised_on is None:
        assert "soreness_rising" not in codes(flags)
    else:
        assert flag(flags, "soreness_rising")["day"] == raised_on


def test_soreness_rising_message_names_both_days() -> None:
    _, flags = summarise([(2, 5, 4), (3, 5, 5)], today=date(2024, 3, 5))

    assert flag(flags, "soreness_rising")["message"].startswith(
        "Injection-site soreness rose to 5/10 on day 3 (from 4/10 on day 2)."
    )


@pytest.mark.parametrize(
    ("rows", "raised_on"),
    [
        ([(3, 5, 7)], 3),
        ([(3, 5, 6), (3, 5, 7)], None),  # mean 6.5
        ([(2, 5, 9)], None),  # day 2: expected post-injection soreness
        ([(3, 5, 6), (5, 5, 8), (6, 5, 9)], 5),  # one flag, its first occurrence
    ],
)
def test_soreness_severe_threshold(rows: list[Any], raised_on: int | None) -> None:
    _, flags = summarise(rows, today=date(2024, 3, 5))

    if raised_on is None:
        assert "soreness_severe" not in codes(flags)
    else:
        assert flag(flags, "soreness_severe")["day"] == raised_on


def test_large_bruise_is_raised_on_any_large_entry_and_not_on_small() -> None:
    _, large = summarise(
        [(0, 5, 1, "small"), (2, 5, 1), (2, 5, 1, "large")], today=date(2024, 3, 3)
    )
    _, small = summarise([(0, 5, 1, "small"), (2, 5, 1, "small")], today=date(2024, 3, 3))

    assert flag(large, "large_bruise")["day"] == 2
    assert "large_bruise" not in codes(small)


@pytest.mark.parametrize(
    ("rows", "baseline", "raised_on"),
    [
        ([(3, 7, 0), (4, 5, 0), (5, 7, 0)], 5.0, 5),  # 7 >= 5 + 2 on days 3 and 5
        ([(3, 7, 0), (4, 6, 0), (4, 7, 0)], 5.0, None),  # day 4 mean 6.5 < 7
        ([(3, 8, 0)], 5.0, None),  # one day only
        ([(1, 8, 0), (2, 8, 0), (3, 7, 0)], 5.0, None),  # days 1-2 do not count
        ([(3, 2, 0), (9, 2, 0)], 0.0, 9),  # the rule is in points: works with baseline 0
        ([(3, 9, 0), (4, 9, 0)], None, None),  # no baseline
    ],
)
def test_worse_than_baseline_threshold(
    rows: list[Any], baseline: float | None, raised_on: int | None
) -> None:
    source = None if baseline is None else "recorded"
    _, flags = summarise(rows, today=date(2024, 3, 12), baseline=Baseline(baseline, source))

    if raised_on is None:
        assert "worse_than_baseline" not in codes(flags)
    else:
        assert flag(flags, "worse_than_baseline")["day"] == raised_on


NO_RELIEF_DAYS_3_TO_7 = [(day, 5, 0) for day in range(8)]  # pain 5 of 6: 16.7 % every day


def test_no_response_is_raised_once_day_7_has_ended() -> None:
    _, flags = summarise(NO_RELIEF_DAYS_3_TO_7, today=date(2024, 3, 9))  # elapsed 8

    raised = flag(flags, "no_response")
    assert raised["day"] == 7
    assert "best: 16.7 % on day 3" in raised["message"]


def test_no_response_waits_while_day_7_is_still_running() -> None:
    _, flags = summarise(NO_RELIEF_DAYS_3_TO_7, today=date(2024, 3, 8))  # today is day 7

    assert "no_response" not in codes(flags)


def test_no_response_not_raised_when_a_day_3_to_7_reached_30_percent() -> None:
    rows = [*NO_RELIEF_DAYS_3_TO_7, (7, 4, 0), (7, 4, 0), (7, 4, 0), (7, 4, 0)]
    # day 7: (5 + 4 + 4 + 4 + 4) / 5 = 4.2 -> exactly 30 %

    _, flags = summarise(rows, today=date(2024, 3, 20))

    assert "no_response" not in codes(flags)


def test_no_response_ignores_relief_after_day_7() -> None:
    _, flags = summarise([*NO_RELIEF_DAYS_3_TO_7, (8, 1, 0)], today=date(2024, 3, 20))

    assert "no_response" in codes(flags)


def test_no_response_says_when_nothing_was_logged_on_days_3_to_7() -> None:
    _, flags = summarise([(0, 5, 0), (1, 5, 0), (2, 5, 0), (8, 5, 0)], today=date(2024, 3, 10))

    assert flag(flags, "no_response")["message"].startswith("Nothing was logged on days 3 to 7")


@pytest.mark.parametrize(("next_visit_day", "raised"), [(7, False), (8, True), (None, True)])
def test_no_response_needs_the_window_to_reach_past_day_7(
    next_visit_day: int | None, raised: bool
) -> None:
    _, flags = summarise(
        NO_RELIEF_DAYS_3_TO_7, today=date(2024, 3, 20), next_visit_day=next_visit_day
    )

    assert ("no_response" in codes(flags)) is raised


@pytest.mark.parametrize("baseline", [Baseline(None, None), Baseline(0.0, "recorded")])
def test_no_response_needs_a_usable_baseline(baseline: Baseline) -> None:
    _, flags = summarise(NO_RELIEF_DAYS_3_TO_7, today=date(2024, 3, 20), baseline=baseline)

    assert "no_response" not in codes(flags)


@pytest.mark.parametrize(
    ("today", "next_visit_day", "raised_on"),
    [
        (date(2024, 3, 6), None, 4),  # days 2, 3, 4 ended without entries (elapsed 5)
        (date(2024, 3, 5), None, None),  # day 4 still running: only 2 ended missing days
        (date(2024, 3, 20), 4, None),  # next visit on day 4: only days 2-3 are this window's
        (date(2024, 3, 20), 5, 4),
    ],
)
def test_not_logging_threshold(
    today: date, next_visit_day: int | None, raised_on: int | None
) -> None:
    _, flags = summarise([(0, 5, 0), (1, 5, 0)], today=today, next_visit_day=next_visit_day)

    if raised_on is None:
        assert "not_logging" not in codes(flags)
    else:
        assert flag(flags, "not_logging")["day"] == raised_on


def test_not_logging_counts_only_days_0_to_14() -> None:
    rows = [(day, 5, 0) for day in range(13)]  # days 13, 14 (and later) missing

    _, flags = summarise(rows, today=date(2024, 4, 1))

    assert "not_logging" not in codes(flags)


def test_not_logging_message_gives_the_whole_gap() -> None:
    _, flags = summarise([(0, 5, 0), (6, 5, 0)], today=date(2024, 3, 20))

    raised, again = [item for item in flags if item["code"] == "not_logging"]
    assert raised["day"] == 3  # days 1, 2, 3: the third missing day
    assert raised["message"].startswith("No entries for 5 days in a row (days 1 to 5)")
    assert raised["resolved_day"] == 6  # logging resumed on day 6
    assert again["day"] == 9  # days 7, 8, 9 of the second gap (days 7 to 14)
    assert again["message"].startswith("No entries for 8 days in a row (days 7 to 14)")
    assert again["resolved_day"] is None


def test_flags_are_sorted_by_day_and_carry_the_episode_shape() -> None:
    rows = [(0, 5, 1, "large"), (4, 9, 8), (5, 9, 8)]  # baseline 6: 9 >= 8 on days 4 and 5

    _, flags = summarise(rows, today=date(2024, 3, 20))

    assert [(item["code"], item["day"]) for item in flags] == [
        ("large_bruise", 0),
        ("not_logging", 3),
        ("soreness_rising", 4),
        ("soreness_severe", 4),
        ("worse_than_baseline", 5),
        ("no_response", 7),
        ("not_logging", 8),  # a second gap: days 6 to 14
    ]
    assert all(
        set(item)
        == {
            "code",
            "message",
            "day",
            "raised_day",
            "raised_on",
            "resolved_day",
            "resolved_on",
            "resolution",
        }
        for item in flags
    )


# --------------------------------------------------------------------------- course


def test_course_cuts_each_visit_window_at_the_next_visit() -> None:
    visits = pd.DataFrame(
        [
            make_visit(
                visit_id="v2",
                performed_at=pd.Timestamp("2024-03-05T15:00Z"),
                visit_date=date(2024, 3, 5),
                baseline_pain=8.0,
            ),
            make_visit(),  # v1, 2024-03-01, baseline 6 (given out of order on purpose)
        ]
    )
    entries = raw_entries(
        ("a", "p1", "2024-03-02T10:00Z", date(2024, 3, 2)),  # v1 day 1
        ("b", "p1", "2024-03-05T10:00Z", date(2024, 3, 5)),  # before v2 that day: v1 day 4
        ("c", "p1", "2024-03-06T10:00Z", date(2024, 3, 6)),  # v2 day 1
        ("d", "p1", "2024-03-09T10:00Z", date(2024, 3, 9)),  # v2 day 4
    ).assign(pain=[3, 3, 4, 2])

    course = [report.summary for report in course_reports(visits, entries, today=date(2024, 3, 20))]

    assert [item["visit_id"] for item in course] == ["v1", "v2"]
    assert [item["visit_number"] for item in course] == [1, 2]
    first, second = course
    assert first["next_visit_day"] == 4
    assert first["latest_day"] == 4
    assert first["days_logged"] == 2
    assert first["response_window_closed"] is True
    assert first["relief_days"] == 1  # day 4: 100 x (6 - 3) / 6 = 50 %
    assert second["next_visit_day"] is None
    assert second["latest_day"] == 4
    assert second["latest_relief"] == 75.0  # 100 x (8 - 2) / 8


def test_course_flags_respect_the_cut_window() -> None:
    visits = pd.DataFrame(
        [
            make_visit(),
            make_visit(
                visit_id="v2",
                performed_at=pd.Timestamp("2024-03-05T15:00Z"),
                visit_date=date(2024, 3, 5),
            ),
        ]
    )
    entries = raw_entries(("a", "p1", "2024-03-01T18:00Z", date(2024, 3, 1))).assign(pain=6)

    first, second = course_reports(visits, entries, today=date(2024, 3, 30))

    # v1: days 1-3 missing before v2 on day 4 -> not_logging on day 3; no_response needs
    # the window past day 7.
    assert codes(first.flags) == ["not_logging"]
    assert flag(first.flags, "not_logging")["day"] == 3
    assert codes(second.flags) == ["not_logging", "no_response"]


def test_course_assigns_visits_when_the_server_has_not() -> None:
    visits = pd.DataFrame([make_visit()])
    entries = raw_entries(("a", "p1", "2024-03-04T10:00Z", date(2024, 3, 4)))

    (summary,) = [
        report.summary for report in course_reports(visits, entries, today=date(2024, 3, 5))
    ]

    assert summary["latest_day"] == 3


# --------------------------------------------------------------------------- cohort


def test_daily_relief_averages_per_visit_day_and_drops_unusable_baselines() -> None:
    entries = pd.concat(
        [
            make_entries([(3, 2, 0), (3, 4, 0), (4, 6, 0)], visit_id="a"),
            make_entries([(3, 2, 0)], visit_id="zero"),
            make_entries([(3, 2, 0)], visit_id="none"),
        ],
        ignore_index=True,
    )
    visit_baselines = pd.DataFrame(
        {"visit_id": ["a", "zero", "none"], "baseline": [6.0, 0.0, np.nan]}
    )

    result = daily_relief(entries, visit_baselines)

    assert result["visit_id"].tolist() == ["a", "a"]
    assert result["day"].tolist() == [3, 4]
    assert result["relief"].tolist() == pytest.approx([50.0, 0.0])  # pain 3 and 6 of 6


def test_cohort_curve_median_and_linear_quartiles_per_day() -> None:
    rows = pd.DataFrame(
        {
            "visit_id": ["a", "b", "c", "d", "a", "a", "b", "c"],
            "day": [3, 3, 3, 3, 0, 29, -1, 4],
            "relief": [10.0, 20.0, 40.0, 80.0, 50.0, 90.0, 90.0, np.nan],
        }
    )

    curve = cohort_curve(rows)

    assert curve["day"].tolist() == list(range(29))  # 0-28, days 29 and -1 left out
    day3 = curve.set_index("day").loc[3]
    # sorted 10, 20, 40, 80: median (20 + 40) / 2 = 30; q1 at position 0.75: 10 + 0.75 x 10;
    # q3 at position 2.25: 40 + 0.25 x 40 (percentile_cont gives the same).
    assert (day3["median"], day3["q1"], day3["q3"], day3["n"]) == (30.0, 17.5, 50.0, 4)
    assert curve.set_index("day").loc[0, ["median", "q1", "q3", "n"]].tolist() == [50, 50, 50, 1]
    day4 = curve.set_index("day").loc[4]
    assert day4["n"] == 0  # the NaN relief contributes nothing
    assert np.isnan(day4["median"])


def test_cohort_curve_of_nothing_has_29_empty_days() -> None:
    curve = cohort_curve(pd.DataFrame({"visit_id": [], "day": [], "relief": []}))

    assert len(curve) == 29
    assert curve["n"].sum() == 0


def test_cohort_rates_count_closed_windows_with_a_baseline() -> None:
    summaries = [
        {"responder": True, "substantial_responder": True, "response_window_closed": True},
        {"responder": True, "substantial_responder": False, "response_window_closed": True},
        {"responder": False, "substantial_responder": False, "response_window_closed": True},
        {"responder": None, "substantial_responder": None, "response_window_closed": True},
        {"responder": True, "substantial_responder": True, "response_window_closed": False},
    ]

    assert cohort_rates(summaries) == {
        "n": 3,
        "responders": 2,
        "substantial_responders": 1,
        "responder_rate": pytest.approx(200 / 3),
        "substantial_responder_rate": pytest.approx(100 / 3),
        "excluded_no_baseline": 1,
        "excluded_open_window": 1,
    }


def test_cohort_rates_of_nothing() -> None:
    rates = cohort_rates([])

    assert rates["n"] == 0
    assert rates["responder_rate"] is None


# --------------------------------------------------------------------------- properties

pains = st.integers(min_value=0, max_value=10)
day_rows = st.lists(
    st.tuples(st.integers(min_value=0, max_value=28), pains, pains), min_size=1, max_size=40
)


@given(
    rows=day_rows,
    baseline=st.floats(min_value=0.1, max_value=10, allow_nan=False),
    post=pains,
)
@settings(max_examples=150, deadline=None)
def test_relief_never_exceeds_100(rows: list[Any], baseline: float, post: int) -> None:
    daily = with_relief(daily_series(make_entries(rows)), baseline)
    summary, _ = summarise(
        rows,
        today=date(2024, 4, 1),
        baseline=Baseline(baseline, "recorded"),
        post_injection_pain=post,
    )

    assert (daily["relief"] <= 100).all()
    assert summary["latest_relief"] <= 100
    assert summary["immediate_relief"] <= 100
    assert summary["peak_relief"] is None or summary["peak_relief"] <= 100


@given(
    pain=st.integers(min_value=1, max_value=10),
    days=st.sets(st.integers(min_value=-7, max_value=20), min_size=1),
    per_day=st.integers(min_value=1, max_value=4),
    recorded=st.booleans(),
)
@settings(max_examples=100, deadline=None)
def test_a_patient_whose_pain_never_changes_has_zero_relief(
    pain: int, days: set[int], per_day: int, recorded: bool
) -> None:
    # Baseline either recorded as that pain or (if a prior-week entry exists) the mean of them.
    days = days | {-1}
    entries = make_entries([(day, pain, 0) for day in sorted(days) for _ in range(per_day)])
    visit = make_visit(baseline_pain=float(pain) if recorded else np.nan)

    report = visit_report(visit, entries, date(2024, 4, 1))

    assert report.summary["baseline"] == pain
    assert (report.daily["relief"] == 0.0).all()
    assert report.summary["onset_day"] is None
    assert report.summary["responder"] is False


minutes = st.integers(min_value=0, max_value=60 * 24 * 30)
START = pd.Timestamp("2024-03-01T00:00Z")


def visits_at(times: list[tuple[str, int]]) -> pd.DataFrame:
    performed = [START + pd.Timedelta(minutes=offset) for _, offset in times]
    return pd.DataFrame(
        {
            "visit_id": [f"v{number}" for number in range(len(times))],
            "patient_id": [patient for patient, _ in times],
            "performed_at": pd.to_datetime(performed, utc=True),
            "visit_date": [stamp.date() for stamp in performed],
        }
    )


@given(
    visits=st.lists(st.tuples(st.sampled_from(["p1", "p2"]), minutes), max_size=6),
    added=st.tuples(st.sampled_from(["p1", "p2"]), minutes),
    felt=st.lists(st.tuples(st.sampled_from(["p1", "p2"]), minutes), min_size=1, max_size=20),
)
@settings(max_examples=200, deadline=None)
def test_adding_a_visit_never_moves_an_entry_to_an_earlier_visit(
    visits: list[tuple[str, int]], added: tuple[str, int], felt: list[tuple[str, int]]
) -> None:
    stamps = [START + pd.Timedelta(minutes=offset) for _, offset in felt]
    entries = pd.DataFrame(
        {
            "entry_id": [f"e{number}" for number in range(len(felt))],
            "patient_id": [patient for patient, _ in felt],
            "felt_at": pd.to_datetime(stamps, utc=True),
            "local_date": [stamp.date() for stamp in stamps],
        }
    )
    before_visits = visits_at(visits)
    after_visits = visits_at([*visits, added])

    def performed(frame: pd.DataFrame, visit_frame: pd.DataFrame) -> list[Any]:
        when = dict(zip(visit_frame["visit_id"], visit_frame["performed_at"], strict=True))
        return [when.get(visit_id) for visit_id in frame["visit_id"]]

    before = performed(assign_visits(entries, before_visits), before_visits)
    after = performed(assign_visits(entries, after_visits), after_visits)

    for old, new in zip(before, after, strict=True):
        assert old is None or (new is not None and new >= old)


@given(st.lists(st.tuples(st.integers(0, 28), st.floats(-500, 100)), max_size=60))
@settings(max_examples=100, deadline=None)
def test_cohort_quartiles_are_ordered(rows: list[tuple[int, float]]) -> None:
    frame = pd.DataFrame(rows, columns=["day", "relief"]).assign(visit_id="v")

    curve = cohort_curve(frame).dropna()

    assert (curve["q1"] <= curve["median"] + 1e-9).all()
    assert (curve["median"] <= curve["q3"] + 1e-9).all()


def _daily_by_named_aggregation(entries: pd.DataFrame) -> pd.DataFrame:
    """daily_series as first written with pandas' named aggregation: the reference the numpy
    version must equal (the day's date is its latest local date: since the kept tallies
    there is no order of entries within a day to take the first of)."""
    day = entries["day"].astype("Float64")
    rows = entries.loc[(day.notna() & (day >= 0)).to_numpy(dtype=bool)]
    work = pd.DataFrame(
        {
            "day": rows["day"].astype("int64").to_numpy(),
            "date": rows["local_date"].to_numpy(),
            "pain": rows["pain"].astype("float64").to_numpy(),
            "soreness": rows["soreness"].astype("float64").to_numpy(),
            "large": (rows["bruising"] == "large").fillna(False).to_numpy(dtype=bool),
        }
    )
    daily = (
        work.groupby("day", sort=True)
        .agg(date=("date", "max"), pain=("pain", "mean"), soreness=("soreness", "mean"),
             entries=("day", "size"), large_bruise=("large", "any"))
        .reset_index()
    )  # fmt: skip
    daily["date"] = pd.Series([as_date(d) for d in daily["date"]], dtype=object)
    daily["entries"] = daily["entries"].astype("int64")
    return daily


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(-2, 12)),
            st.integers(0, 10),
            st.integers(0, 10),
            st.sampled_from(["none", "small", "large"]),
            st.integers(0, 3),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_daily_series_of_entries_and_of_their_tallies_equal_the_named_aggregation(
    rows: list,
) -> None:
    start = date(2026, 3, 1)
    entries = pd.DataFrame(
        {
            "day": pd.array([r[0] for r in rows], dtype="Int64"),
            "local_date": [start + timedelta(days=(r[0] or 0) + r[4] % 2) for r in rows],
            "pain": [r[1] for r in rows],
            "soreness": [r[2] for r in rows],
            "bruising": [r[3] for r in rows],
        }
    )
    got = daily_series(entries)
    # The kept tallies' path: float for float the same frame.
    pd.testing.assert_frame_equal(daily_series(tally(entries)), got, check_exact=True)
    if got.empty:
        assert entries["day"].dropna().lt(0).all()
        return
    pd.testing.assert_frame_equal(got, _daily_by_named_aggregation(entries), check_exact=True)
