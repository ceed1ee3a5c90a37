"""Flag episodes (issue #17): each flag is raised, may resolve, and may be raised again.

Hand-computed timelines, pure (no database). Visit on 2024-03-01 (day 0), recorded baseline
6 unless said otherwise; rows are (day, pain, soreness[, bruising]), one check-in each.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest

from recovery.analytics import Baseline, daily_series, visit_flags

VISIT_DATE = date(2024, 3, 1)
VISIT = {
    "visit_id": "v1",
    "patient_id": "p1",
    "performed_at": pd.Timestamp("2024-03-01T15:00Z"),
    "visit_date": VISIT_DATE,
    "baseline_pain": 6.0,
    "condition": "myofascial_pain",
}


def entries(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "local_date": VISIT_DATE + timedelta(days=row[0]),
                "pain": row[1],
                "soreness": row[2],
                "bruising": row[3] if len(row) > 3 else "none",
                "visit_id": "v1",
                "day": row[0],
            }
            for row in rows
        ]
    ).astype({"day": "Int64"})


def flags_of(
    code: str,
    rows: list[tuple[Any, ...]],
    *,
    today: date = date(2024, 3, 20),
    baseline: float = 6.0,
) -> list[dict[str, Any]]:
    every = visit_flags(
        VISIT, daily_series(entries(rows)), Baseline(baseline, "recorded"), today, None
    )
    return [flag for flag in every if flag["code"] == code]


def timeline(flags: list[dict[str, Any]]) -> list[tuple[int, int | None, str | None]]:
    return [(f["day"], f["resolved_day"], f["resolution"]) for f in flags]


def on(day: int) -> date:
    return VISIT_DATE + timedelta(days=day)


def test_not_logging_resolves_when_logging_resumes_and_a_new_gap_is_a_new_episode() -> None:
    # Logged on days 0, 1, 5, 6, 10, 11 (50 % relief, no soreness); today is day 12, so
    # days 0-11 have ended. Gaps: days 2-4 (raised on day 4, logging resumed on day 5) and
    # days 7-9 (raised on day 9, resumed on day 10).
    rows = [(day, 3, 0) for day in (0, 1, 5, 6, 10, 11)]

    flags = flags_of("not_logging", rows, today=date(2024, 3, 13))

    assert flags == [
        {
            "code": "not_logging",
            "day": 4,
            "raised_day": 4,
            "raised_on": date(2024, 3, 5),
            "message": "No entries for 3 days in a row (days 2 to 4) in the first two weeks "
            "after the injection. Consider reminding the patient to log how they feel.",
            "resolved_day": 5,
            "resolved_on": date(2024, 3, 6),
            "resolution": "Resolved: logging resumed on day 5.",
        },
        {
            "code": "not_logging",
            "day": 9,
            "raised_day": 9,
            "raised_on": date(2024, 3, 10),
            "message": "No entries for 3 days in a row (days 7 to 9) in the first two weeks "
            "after the injection. Consider reminding the patient to log how they feel.",
            "resolved_day": 10,
            "resolved_on": date(2024, 3, 11),
            "resolution": "Resolved: logging resumed on day 10.",
        },
    ]


def test_not_logging_stays_open_while_the_gap_lasts() -> None:
    rows = [(0, 3, 0), (1, 3, 0)]  # nothing since day 1; today is day 6 (days 2-5 ended)

    flags = flags_of("not_logging", rows, today=date(2024, 3, 7))

    assert timeline(flags) == [(4, None, None)]
    assert flags[0]["message"].startswith("No entries for 4 days in a row (days 2 to 5)")
    assert flags[0]["resolved_on"] is None


def test_no_response_resolves_on_the_first_later_day_with_30_percent() -> None:
    # Pain 5 of 6 (16.7 %) on days 0-8: raised on day 7. Day 9: pain 4 = 33.3 % -> a late
    # responder, resolved on day 9. Day 10 again 16.7 % changes nothing.
    rows = [*[(day, 5, 0) for day in range(9)], (9, 4, 0), (10, 5, 0)]

    flags = flags_of("no_response", rows, today=date(2024, 3, 12))

    assert len(flags) == 1
    assert flags[0] | {"message": ""} == {
        "code": "no_response",
        "day": 7,
        "raised_day": 7,
        "raised_on": date(2024, 3, 8),
        "message": "",
        "resolved_day": 9,
        "resolved_on": date(2024, 3, 10),
        "resolution": "Resolved: reached 30 % relief on day 9 (late responder).",
    }
    assert "best: 16.7 % on day 3" in flags[0]["message"]


def test_no_response_is_not_resolved_by_relief_after_day_14() -> None:
    rows = [*[(day, 5, 0) for day in range(15)], (15, 1, 0)]  # 83 % only on day 15

    flags = flags_of("no_response", rows, today=date(2024, 3, 20))

    assert timeline(flags) == [(7, None, None)]


def test_no_response_resolves_at_exactly_30_percent() -> None:
    # Day 8: (5 + 4 + 4 + 4 + 4) / 5 = 4.2 of 6 -> exactly 30 % by hand.
    rows = [*[(day, 5, 0) for day in range(9)], *[(8, 4, 0)] * 4]

    assert timeline(flags_of("no_response", rows)) == [
        (7, 8, "Resolved: reached 30 % relief on day 8 (late responder).")
    ]


def test_soreness_severe_resolves_after_two_logged_days_below_7_then_is_raised_again() -> None:
    # Soreness by day: 0-2: 7 (post-injection, not counted), 3: 7 (raised), 4: 6, 5: 5
    # (resolved on day 5), 6: 8 (raised again), 7: 6, 8: 7 (7 is not below 7: still open).
    soreness = {0: 7, 1: 7, 2: 7, 3: 7, 4: 6, 5: 5, 6: 8, 7: 6, 8: 7}
    rows = [(day, 3, value) for day, value in soreness.items()]

    flags = flags_of("soreness_severe", rows)

    assert timeline(flags) == [
        (3, 5, "Resolved: soreness below 7/10 on days 4 and 5."),
        (6, None, None),
    ]
    assert [f["raised_on"] for f in flags] == [on(3), on(6)]
    assert flags[0]["resolved_on"] == on(5)
    assert flags[1]["message"].startswith("Injection-site soreness was 8/10 on day 6")


def test_two_logged_days_in_a_row_may_have_a_day_without_entries_between() -> None:
    # Day 3: 7 (raised), day 4: 6, nothing on day 5, day 6: 6 -> resolved on day 6.
    rows = [(0, 3, 2), (1, 3, 2), (2, 3, 2), (3, 3, 7), (4, 3, 6), (6, 3, 6)]

    assert timeline(flags_of("soreness_severe", rows)) == [
        (3, 6, "Resolved: soreness below 7/10 on days 4 and 6.")
    ]


def test_soreness_rising_resolves_below_5_and_a_rise_while_open_is_the_same_episode() -> None:
    # Soreness by day: 2: 4, 3: 5 (rose from 4: raised), 4: 4, 5: 3 (resolved on day 5),
    # 6: 6 (rose from 3: raised again), 7: 4, 8: 6 (rises, but episode 2 is still open:
    # day 7 alone was below 5).
    soreness = {0: 2, 1: 3, 2: 4, 3: 5, 4: 4, 5: 3, 6: 6, 7: 4, 8: 6}
    rows = [(day, 3, value) for day, value in soreness.items()]

    flags = flags_of("soreness_rising", rows)

    assert timeline(flags) == [
        (3, 5, "Resolved: soreness below 5/10 on days 4 and 5."),
        (6, None, None),
    ]
    assert flags[1]["message"].startswith(
        "Injection-site soreness rose to 6/10 on day 6 (from 3/10 on day 5)."
    )


def test_large_bruise_resolves_after_two_logged_days_without_and_is_raised_again() -> None:
    # Day 1: large (raised), day 2: small, day 3: none (resolved on day 3), day 4: large
    # (raised again), day 5: none, day 6: large (still open: only one day without).
    rows = [
        (0, 3, 1),
        (1, 3, 1, "large"),
        (2, 3, 1, "small"),
        (3, 3, 1),
        (4, 3, 1, "large"),
        (5, 3, 1),
        (6, 3, 1, "large"),
    ]

    flags = flags_of("large_bruise", rows, today=date(2024, 3, 8))

    assert timeline(flags) == [
        (1, 3, "Resolved: no large bruising on days 2 and 3."),
        (4, None, None),
    ]
    assert flags[1]["message"].startswith("Large bruising (over about 4 cm²) was reported on day 4")


def test_worse_than_baseline_resolves_below_baseline_plus_2_and_needs_two_days_again() -> None:
    # Baseline 6, so "worse" is pain >= 8. Pain by day: 0-2: 3, 3: 8, 4: 9 (second worse day:
    # raised on day 4), 5: 7, 6: 6 (resolved on day 6), 7: 8 (one worse day: not yet),
    # 8: 7, 9: 8 (second worse day since the resolution: raised again on day 9).
    pain = {0: 3, 1: 3, 2: 3, 3: 8, 4: 9, 5: 7, 6: 6, 7: 8, 8: 7, 9: 8}
    rows = [(day, value, 0) for day, value in pain.items()]

    flags = flags_of("worse_than_baseline", rows)

    assert timeline(flags) == [
        (4, 6, "Resolved: pain below baseline + 2 (8/10) on days 5 and 6."),
        (9, None, None),
    ]
    assert flags[0]["message"].startswith(
        "Pain was 2 or more points above the baseline (6/10) on 2 logged days from day 3 on "
        "(first on days 3 and 4)."
    )
    assert flags[1]["message"].startswith(
        "Pain was 2 or more points above the baseline (6/10) on 2 logged days from day 3 on "
        "(first on days 7 and 9)."
    )


# Soreness 8 on day 3 after 1: rising (>= 5, up from 1) and severe (>= 7), both open.
BOTH_OPEN = [("soreness_rising", 3, None), ("soreness_severe", 3, None)]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # A flag still holding on the last logged day is open, whatever its code.
        ([(0, 3, 1), (1, 3, 1), (2, 3, 1), (3, 3, 8)], BOTH_OPEN),
        # One clear day is not enough.
        ([(0, 3, 1), (1, 3, 1), (2, 3, 1), (3, 3, 8), (4, 3, 1)], BOTH_OPEN),
    ],
)
def test_one_clear_day_does_not_resolve(rows: list[tuple[Any, ...]], expected: list[Any]) -> None:
    flags = visit_flags(
        VISIT, daily_series(entries(rows)), Baseline(6.0, "recorded"), date(2024, 3, 6), None
    )

    assert [(f["code"], f["day"], f["resolved_day"]) for f in flags] == expected
