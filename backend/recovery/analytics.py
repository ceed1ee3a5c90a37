"""Recovery analytics: the pure layer behind Relief's curves, summaries, flags and cohorts.

Framework-free on purpose (no Django, no ORM): selectors fetch rows with one query each and
hand over DataFrames with the columns below; everything here returns DataFrames, plain dicts
and lists, so it is tested without a database and reused by the API, the charts and exports.

Input contract (column names are the interface with ``recovery.selectors``)
---------------------------------------------------------------------------
visits:  ``visit_id`` (str), ``patient_id`` (str), ``performed_at`` (tz-aware UTC),
         ``visit_date`` (the visit's patient-local date = day 0), ``baseline_pain`` (float, NaN
         when missing), ``post_injection_pain`` (float, NaN when missing), ``condition`` (str).
entries: ``entry_id``, ``patient_id``, ``felt_at`` (tz-aware UTC), ``local_date`` (patient-local
         date, computed and stored by the server), ``pain`` (0-10), ``soreness`` (0-10),
         ``bruising`` ("none" / "small" / "large"), ``visit_id`` (str or None), ``day`` (int or
         NA), the last two assigned by the server with the rule in :func:`assign_visits`.
tallies: what ``diary.PatientDay`` keeps, one row per (patient, local date, visit):
         ``patient_id``, ``local_date``, ``visit_id``, ``day`` (as on entries), ``pain_sum``,
         ``soreness_sum``, ``entries`` (count) and ``large_bruising`` (count). The server's
         reports read these; :func:`tally` makes them from entries. Wherever a function
         takes "rows" it takes either, with the same result to the last bit (sums of whole
         numbers are exact in float64, so a mean from a tally is the entries' mean).
``today`` is always passed in as the patient-local date; nothing here reads the clock.

Definitions (issue #4; exact, so two people computing by hand get the same numbers)
-----------------------------------------------------------------------------------
- An entry belongs to the latest visit performed at or before its ``felt_at`` (of visits at
  the same instant, the larger ``visit_id``); its ``day`` is the number of patient-local days
  since that visit (day 0 = the visit's local date), never negative. A visit's window ends
  where the next visit of the same patient begins.
- Daily pain / soreness for day d = mean of that day's entries, rounded to 1 decimal only
  when presented (:func:`round1`, :func:`daily_rows`, :func:`jsonable`).
- Baseline = the visit's ``baseline_pain``; if missing, the mean pain of the patient's entries
  in the 7 local days before the visit; if none, no baseline. Baseline 0 counts as none for
  percentages.
- Relief on day d = 100 x (baseline - daily pain d) / baseline (can be negative).
- Immediate relief = relief computed from the visit's ``post_injection_pain``, if present.
- Onset day = first day d >= 0 with relief >= 30 %.
- The therapeutic read starts on day 3. Responder = some logged day 3-14 with relief >= 30 %;
  substantial responder = >= 50 %. Relief days = logged days d >= 3 with relief >= 30 %.
  Longest relief run = longest run of consecutive calendar days d >= 3, each logged and each
  with relief >= 30 % (a day without entries ends a run).
- Soreness settled day = the first logged day d >= 1 whose daily soreness is <= 2 and stays
  <= 2 on every later logged day of the visit (none if the last logged day is > 2).
- Flags: see :func:`visit_flags`.

Numerical note: thresholds are compared with a 1e-9 tolerance (:data:`EPS`) so that a value
that is exactly 30 % by hand (baseline 6, pain 4.2) is not lost to binary floating point.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from core.i18n import gettext_if_configured as _

MODERATE_RELIEF = 30.0  # IMMPACT "moderately important" (~2 NRS points)
SUBSTANTIAL_RELIEF = 50.0  # IMMPACT "substantial"
THERAPEUTIC_READ_DAY = 3  # days 0-2 show anaesthetic effect and post-injection soreness
RESPONSE_LAST_DAY = 14
NO_RESPONSE_LAST_DAY = 7
LOGGING_LAST_DAY = 14
NOT_LOGGING_RUN = 3
BASELINE_LOOKBACK_DAYS = 7
SORENESS_SETTLED_MAX = 2.0
SORENESS_RISING_MIN = 5.0
SORENESS_SEVERE_MIN = 7.0
WORSE_THAN_BASELINE_POINTS = 2.0
WORSE_THAN_BASELINE_DAYS = 2
COHORT_LAST_DAY = 28
EPS = 1e-9

DAILY_COLUMNS = ("day", "date", "pain", "soreness", "entries", "large_bruise")
FLAG_CODES = (
    "soreness_rising",
    "soreness_severe",
    "large_bruise",
    "worse_than_baseline",
    "no_response",
    "not_logging",
)
# Where a baseline came from (Baseline.source, None when there is none), in words.
BASELINE_SOURCES = {
    "recorded": "recorded at the visit",
    "prior_entries": f"mean of the patient's check-ins in the {BASELINE_LOOKBACK_DAYS} days before",
}


class Baseline(NamedTuple):
    """A visit's baseline pain and where it came from ("recorded", "prior_entries" or None)."""

    value: float | None
    source: str | None

    @property
    def for_percent(self) -> float | None:
        """The baseline usable as a denominator: None when missing or 0 (no % relief)."""
        return self.value if self.value is not None and self.value > 0 else None


NO_BASELINE = Baseline(None, None)


class VisitReport(NamedTuple):
    """Everything the visit endpoint and chart need: per-day rows, summary and flags."""

    daily: pd.DataFrame
    summary: dict[str, Any]
    flags: list[dict[str, Any]]


# --------------------------------------------------------------------------- small helpers


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, (str, Sequence, Mapping)):
        return False
    return bool(pd.isna(value))


def _number(value: object) -> float | None:
    return None if _is_missing(value) else float(value)  # type: ignore[arg-type]


def _at_least(values: pd.Series, threshold: float) -> pd.Series:
    # NaN compares False, which is what "no relief that day" must mean.
    return values >= threshold - EPS


def as_date(value: object) -> date:
    """A python ``date`` from a date, datetime/Timestamp, numpy datetime64 or ISO string."""
    if isinstance(value, datetime):  # pd.Timestamp is a datetime subclass
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).date()
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise TypeError(f"not a date: {value!r}")


def _days_between(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """Calendar days from ``earlier`` to ``later`` (local dates; no clock time, so DST-proof)."""
    delta = pd.to_datetime(later.reset_index(drop=True)) - pd.to_datetime(
        earlier.reset_index(drop=True)
    )
    return delta.dt.days.astype("Int64")


def _utc(values: pd.Series) -> pd.Series:
    # One resolution on both sides: merge_asof refuses keys of different datetime units.
    return pd.to_datetime(values, utc=True).dt.as_unit("ns").reset_index(drop=True)


def round1(value: object) -> float | None:
    """Round for presentation to 1 decimal, half away from zero as by hand (2.25 -> 2.3).

    The 1e-9 nudge away from zero makes a value that is a half by hand round up even when
    binary floating point stores it a hair below (4.35 is 4.3499999999999996447...): plain
    ``round`` would give 4.3 there, and 2.2 for 2.25 (banker's rounding).
    """
    if value is None or value is pd.NA or value != value:  # NaN alone is unequal to itself
        return None
    number = float(value)  # type: ignore[arg-type]
    return round(number + math.copysign(1e-9, number), 1) + 0.0  # + 0.0 turns -0.0 into 0.0


def jsonable(value: Any) -> Any:
    """Presentation copy of a summary/flag/rates structure: floats to 1 decimal, NaN -> None,
    dates -> ISO strings, numpy scalars -> python. Ints and bools are left as they are."""
    if isinstance(value, Mapping):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if _is_missing(value):  # before dates: NaT is a datetime too
        return None
    if isinstance(value, (date, np.datetime64)):
        return as_date(value).isoformat()
    if isinstance(value, (float, np.floating)):
        return round1(value)
    return value


# --------------------------------------------------------------------------- assignment


def assign_visits(entries: pd.DataFrame, visits: pd.DataFrame) -> pd.DataFrame:
    """The entry -> visit rule of ``diary.placement.place`` (whose result the server
    stores), for frames; tests/diary/test_placement_rule.py holds the two equal.

    An entry belongs to the latest visit of the same patient performed at or before its
    ``felt_at`` (an entry felt at the very instant of the visit belongs to it); its ``day`` is
    ``(local_date - visit_date).days`` on patient-local dates, so a 23- or 25-hour DST day still
    counts as one day, and never negative: an entry felt after the visit on an earlier local
    date (the patient moved west since) is day 0. Entries before the patient's first visit
    get ``visit_id`` None and ``day`` NA. Two visits at the same instant resolve to the larger
    ``visit_id`` (the rule's one tie-break; ``str`` of UUIDs orders as the UUIDs do). Returns
    a copy of ``entries`` (same index and order) with ``visit_id`` (object: str or None) and
    ``day`` (Int64) replaced.
    """
    result = entries.drop(columns=["visit_id", "day"], errors="ignore")
    if result.empty or visits.empty:
        return result.assign(
            visit_id=pd.Series([None] * len(result), index=result.index, dtype=object),
            day=pd.Series(pd.NA, index=result.index, dtype="Int64"),
        )
    left = pd.DataFrame(
        {
            "_row": np.arange(len(result)),
            "patient_id": result["patient_id"].astype(str).to_numpy(),
            "_at": _utc(result["felt_at"]),
        }
    ).sort_values("_at", kind="stable")
    right = pd.DataFrame(
        {
            "patient_id": visits["patient_id"].astype(str).to_numpy(),
            "_at": _utc(visits["performed_at"]),
            "visit_id": visits["visit_id"].astype(str).to_numpy(),
            "visit_date": visits["visit_date"].to_numpy(),
        }
    ).sort_values(["_at", "visit_id"], kind="stable")
    # merge_asof "backward" = latest right row with _at <= the entry's _at, per patient; of
    # rows with equal _at the last, which the sort made the larger visit_id.
    matched = pd.merge_asof(
        left, right, on="_at", by="patient_id", direction="backward", allow_exact_matches=True
    ).sort_values("_row")
    found = matched["visit_id"].notna().to_numpy()
    visit_ids = np.where(found, matched["visit_id"].to_numpy(dtype=object), None)
    days = _days_between(result["local_date"], matched["visit_date"]).clip(lower=0)
    return result.assign(
        visit_id=pd.Series(visit_ids, index=result.index, dtype=object),
        day=pd.Series(days.to_numpy(), index=result.index, dtype="Int64"),
    )


# --------------------------------------------------------------------------- one visit


def _empty_daily() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "day": pd.Series(dtype="int64"),
            "date": pd.Series(dtype=object),
            "pain": pd.Series(dtype="float64"),
            "soreness": pd.Series(dtype="float64"),
            "entries": pd.Series(dtype="int64"),
            "large_bruise": pd.Series(dtype=bool),
        }
    )


TALLY_KEY = ("patient_id", "local_date", "visit_id", "day")
TALLY_SUMS = ("pain_sum", "soreness_sum", "entries", "large_bruising")


def is_tallies(rows: pd.DataFrame) -> bool:
    """Whether ``rows`` are tallies (see the input contract) rather than entries."""
    return "pain_sum" in rows.columns


def tally(entries: pd.DataFrame) -> pd.DataFrame:
    """The tallies of these entries, as ``diary.PatientDay`` keeps them: one row per
    (patient, local date, visit, day) with the sums of pain and soreness, the number of
    entries and of those with large bruising. Entries without a visit keep ``visit_id``
    None and ``day`` NA (they still count towards a later visit's baseline)."""
    size = len(entries)
    frame = pd.DataFrame(
        {
            "patient_id": (
                entries["patient_id"].astype(str).to_numpy()
                if "patient_id" in entries
                else np.full(size, "", dtype=object)
            ),
            "local_date": [as_date(value) for value in entries["local_date"]],
            "visit_id": (
                entries["visit_id"].to_numpy(dtype=object)
                if "visit_id" in entries
                else np.full(size, None, dtype=object)
            ),
            "day": (
                entries["day"].astype("Int64").to_numpy()
                if "day" in entries
                else pd.array([pd.NA] * size, dtype="Int64")
            ),
            "pain_sum": entries["pain"].astype("int64").to_numpy(),
            "soreness_sum": entries["soreness"].astype("int64").to_numpy(),
            "entries": np.ones(size, dtype="int64"),
            "large_bruising": (entries["bruising"] == "large").to_numpy(dtype="int64"),
        }
    )
    if frame.empty:
        return frame
    return frame.groupby(list(TALLY_KEY), dropna=False, sort=False, as_index=False)[
        list(TALLY_SUMS)
    ].sum()


def _date_ordinals(values: Any) -> np.ndarray:
    return np.fromiter((as_date(value).toordinal() for value in values), dtype="int64")


def daily_series(rows: pd.DataFrame) -> pd.DataFrame:
    """Per-day series of one visit's entries (reads ``day``, ``local_date``, ``pain``,
    ``soreness``, ``bruising``) or tallies (see the input contract).

    Daily pain / soreness for day d = mean of that day's entries (unrounded here; round only
    when presenting). Returns one row per logged day, sorted by day, on a RangeIndex, with
    columns ``day`` (int), ``date`` (python date: the day's latest local date, which differs
    from ``visit_date + day`` only for a day 0 that gathered entries of earlier local dates
    after the patient moved west), ``pain`` and ``soreness`` (float means), ``entries``
    (count) and ``large_bruise`` (any entry that day reported large bruising). Days without
    entries are absent (never imputed). Rows with no ``day`` or a negative one (only
    possible if the patient's timezone moved backwards) are ignored.
    """
    if "visit_id" in rows and rows["visit_id"].dropna().unique().size > 1:
        raise ValueError("daily_series takes the rows of one visit")
    if rows.empty:
        return _empty_daily()
    day = rows["day"].astype("Float64")
    rows = rows.loc[(day.notna() & (day >= 0)).to_numpy(dtype=bool)]
    if rows.empty:
        return _empty_daily()
    if not is_tallies(rows):
        rows = tally(rows)  # one definition: what the server's kept tallies go through
    # Grouped with numpy (a sort by day and date, then sums per run of equal days): the
    # same result as pandas' named aggregation, at a fraction of its cost on the hot read
    # paths.
    days = rows["day"].astype("int64").to_numpy()
    ordinals = _date_ordinals(rows["local_date"])
    order = np.lexsort((ordinals, days))
    days = days[order]
    starts = np.flatnonzero(np.r_[True, days[1:] != days[:-1]])
    ends = np.r_[starts[1:], days.size] - 1
    counts = np.add.reduceat(rows["entries"].to_numpy(dtype="int64")[order], starts)
    pain = rows["pain_sum"].to_numpy(dtype="float64")[order]
    soreness = rows["soreness_sum"].to_numpy(dtype="float64")[order]
    large = rows["large_bruising"].to_numpy(dtype="int64")[order] > 0
    return pd.DataFrame(
        {
            "day": days[starts],
            "date": pd.Series(
                [date.fromordinal(int(n)) for n in ordinals[order][ends]], dtype=object
            ),
            "pain": np.add.reduceat(pain, starts) / counts,
            "soreness": np.add.reduceat(soreness, starts) / counts,
            "entries": counts.astype("int64"),
            "large_bruise": np.logical_or.reduceat(large, starts),
        }
    )


def baseline_for(visit: Mapping[str, Any], patient_rows: pd.DataFrame) -> Baseline:
    """Baseline = the visit's ``baseline_pain`` (source "recorded"); if missing, the mean pain
    of the patient's entries whose ``local_date`` lies in the 7 local days before the visit,
    ``visit_date - 7 .. visit_date - 1`` (source "prior_entries"); if none, no baseline.

    A recorded 0 is kept as the baseline (it is a real measurement) but gives no % relief
    (see :attr:`Baseline.for_percent`). ``patient_rows`` may hold any of the patient's
    entries or tallies (of any visit, or none); other patients' rows are ignored when
    ``patient_id`` is present.
    """
    recorded = _number(visit.get("baseline_pain"))
    if recorded is not None:
        return Baseline(recorded, "recorded")
    if patient_rows.empty:
        return NO_BASELINE
    visit_date = as_date(visit["visit_date"])
    before = as_date(visit_date).toordinal() - _date_ordinals(patient_rows["local_date"])
    mask = (before >= 1) & (before <= BASELINE_LOOKBACK_DAYS)
    if "patient_id" in patient_rows and "patient_id" in visit:
        mask &= (patient_rows["patient_id"] == visit["patient_id"]).to_numpy(dtype=bool)
    window = patient_rows.loc[mask]
    if not is_tallies(window):
        window = tally(window)
    count = int(window["entries"].sum())
    total = float(window["pain_sum"].astype("float64").sum())
    if count == 0:
        return NO_BASELINE
    # A sum of whole numbers is exact, so this is the mean of the raw pains to the last bit.
    return Baseline(total / count, "prior_entries")


def baselines(visits: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """Vectorised :func:`baseline_for` over many visits (for cohorts): one row per visit, in
    the visits' order, with ``visit_id``, ``baseline`` (float, NaN = none) and
    ``baseline_source`` ("recorded" / "prior_entries" / None)."""
    recorded = visits["baseline_pain"].astype("float64").reset_index(drop=True)
    out = pd.DataFrame(
        {
            "visit_id": visits["visit_id"].to_numpy(dtype=object),
            "baseline": recorded,
            "baseline_source": pd.Series(
                # numpy's stubs do not take None as a choice; object arrays do.
                np.where(recorded.notna(), "recorded", None),  # type: ignore[call-overload]
                dtype=object,
            ),
        }
    )
    missing = visits.loc[visits["baseline_pain"].isna().to_numpy(), ["visit_id", "patient_id"]]
    if missing.empty or entries.empty:
        return out
    missing = missing.assign(_visit_day=pd.to_datetime(visits.loc[missing.index, "visit_date"]))
    prior = entries[["patient_id", "local_date", "pain"]].assign(
        _entry_day=lambda frame: pd.to_datetime(frame["local_date"])
    )
    pairs = missing.merge(prior, on="patient_id")
    before = (pairs["_visit_day"] - pairs["_entry_day"]).dt.days
    window = pairs.loc[before.between(1, BASELINE_LOOKBACK_DAYS) & pairs["pain"].notna()]
    fallback = window.groupby("visit_id")["pain"].mean()
    filled = out["visit_id"].map(fallback)
    use = out["baseline"].isna() & filled.notna()
    out.loc[use, "baseline"] = filled[use].astype("float64")
    out.loc[use, "baseline_source"] = "prior_entries"
    return out


def relief(pain: object, baseline: float | None) -> float | None:
    """Relief % = 100 x (baseline - pain) / baseline; None without a usable baseline (None
    or 0) or without pain. Computed as 100 x (1 - pain / baseline): algebraically the same,
    but it can never exceed 100 and is exactly 0 when pain equals the baseline."""
    value = _number(pain)
    if value is None or baseline is None or baseline <= 0:
        return None
    return 100.0 * (1.0 - value / baseline)


def with_relief(daily: pd.DataFrame, baseline: float | None) -> pd.DataFrame:
    """Copy of a :func:`daily_series` frame with ``relief`` (% per day, NaN without a usable
    baseline) and ``change`` (daily pain - baseline in NRS points, NaN without a baseline;
    still shown for baseline 0, where only the absolute change is meaningful)."""
    pain = daily["pain"].astype("float64")
    usable = baseline is not None and baseline > 0
    return daily.assign(
        relief=100.0 * (1.0 - pain / baseline) if usable else np.nan,
        change=pain - baseline if baseline is not None else np.nan,
    )


def _longest_run(days: pd.Series) -> int:
    """Longest run of consecutive integers in a sorted series (0 when empty)."""
    if days.empty:
        return 0
    run_id = days.diff().ne(1).cumsum()
    return int(run_id.value_counts().max())


def _first_day(days: pd.Series) -> int | None:
    return int(days.iloc[0]) if not days.empty else None


def soreness_settled_day(daily: pd.DataFrame) -> int | None:
    """First logged day d >= 1 whose daily soreness is <= 2 and stays <= 2 on every later
    logged day of the visit; None if the last logged day is > 2 (or nothing was logged)."""
    later = daily.loc[(daily["day"] >= 1) & daily["soreness"].notna(), ["day", "soreness"]]
    if later.empty:
        return None
    # Maximum over "this day and every later logged day": settled from the first day where
    # it is <= 2 (this suffix is contiguous because the running max only falls going forward).
    suffix_max = later["soreness"].iloc[::-1].cummax().iloc[::-1]
    return _first_day(later.loc[suffix_max <= SORENESS_SETTLED_MAX + EPS, "day"])


def _relief_metrics(daily: pd.DataFrame, usable_baseline: float | None) -> dict[str, Any]:
    if usable_baseline is None:
        # No baseline (or baseline 0): relief cannot be judged, so these are None, never
        # False/0: "not a responder" would be a clinical statement we cannot make.
        return dict.fromkeys(
            (
                "onset_day",
                "responder",
                "substantial_responder",
                "relief_days",
                "longest_relief_run",
                "peak_relief",
            )
        )
    day = daily["day"]
    moderate = _at_least(daily["relief"], MODERATE_RELIEF)
    substantial = _at_least(daily["relief"], SUBSTANTIAL_RELIEF)
    read = day.between(THERAPEUTIC_READ_DAY, RESPONSE_LAST_DAY)
    from_read = day >= THERAPEUTIC_READ_DAY
    peak = daily.loc[from_read, "relief"].max()
    return {
        "onset_day": _first_day(day[moderate]),
        "responder": bool((moderate & read).any()),
        "substantial_responder": bool((substantial & read).any()),
        "relief_days": int((moderate & from_read).sum()),
        "longest_relief_run": _longest_run(day[moderate & from_read]),
        "peak_relief": _number(peak),
    }


def visit_summary(
    visit: Mapping[str, Any],
    daily: pd.DataFrame,
    baseline: Baseline,
    today: date,
    next_visit_day: int | None = None,
) -> dict[str, Any]:
    """Summary of one visit's recovery (values unrounded; see :func:`jsonable` to present).

    ``daily`` is the visit's :func:`daily_series`; ``next_visit_day`` is the day index of the
    next visit's ``visit_date`` relative to this one (None when this is the latest visit).

    Without a usable baseline (none, or 0) the relief-based fields (``immediate_relief``,
    ``onset_day``, ``responder``, ``substantial_responder``, ``relief_days``,
    ``longest_relief_run``, ``peak_relief``, ``latest_relief``) are None - unknown, not
    False - and ``relief_available`` is False. With one, ``onset_day`` None means 30 % was
    never reached. ``responder`` is judged on what has been logged so far;
    ``response_window_closed`` says whether days 3-14 are over (day 14 ended, or a later visit
    began), i.e. whether a False can still turn True.
    """
    daily = with_relief(daily, baseline.value)
    visit_date = as_date(visit["visit_date"])
    elapsed = (today - visit_date).days
    usable = baseline.for_percent
    post = _number(visit.get("post_injection_pain"))
    latest = daily.iloc[-1] if not daily.empty else None

    def latest_value(column: str) -> Any:
        return None if latest is None else _number(latest[column])

    summary: dict[str, Any] = {
        "visit_id": visit.get("visit_id"),
        "visit_date": visit_date,
        "condition": visit.get("condition"),
        "baseline": baseline.value,
        "baseline_source": baseline.source,
        "relief_available": usable is not None,
        "post_injection_pain": post,
        "immediate_relief": relief(post, usable),
        "days_since_visit": elapsed,
        "next_visit_day": next_visit_day,
        "response_window_closed": next_visit_day is not None or elapsed > RESPONSE_LAST_DAY,
        "days_logged": len(daily),
        "entries": int(daily["entries"].sum()),
        "latest_day": None if latest is None else int(latest["day"]),
        "latest_date": None if latest is None else latest["date"],
        "latest_pain": latest_value("pain"),
        "latest_soreness": latest_value("soreness"),
        "latest_relief": latest_value("relief"),
        "latest_change": latest_value("change"),
        "soreness_settled_day": soreness_settled_day(daily),
    }
    summary.update(_relief_metrics(daily, usable))
    return summary


# --------------------------------------------------------------------------- flags


def _flag(code: str, day: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "day": int(day)}


def _points(value: float) -> str:
    return f"{round1(value):g}/10"


def _percent(value: float) -> str:
    return f"{round1(value):g} %"


class _Episode(NamedTuple):
    """One flag episode before it is dressed: its flag dict and the day it resolved."""

    flag: dict[str, Any]
    resolved_day: int | None
    resolution: str | None


def _two_day_episodes(
    days: np.ndarray,
    raised: Any,
    clear: np.ndarray,
) -> list[tuple[int, int, int | None]]:
    """(search start, raised index, resolved index or None) over logged rows in day order.

    ``raised(i, start)`` says whether an episode is raised at row ``i`` when the search
    for the next one starts at row ``start``; ``clear[i]`` whether row ``i`` is without
    the condition. An episode resolves on the second of two logged days in a row (two
    consecutive logged rows, gaps between them allowed) after the raising day that are both
    clear; the next episode is sought from the row after its resolution.
    """
    found: list[tuple[int, int, int | None]] = []
    i, start = 0, 0
    while i < len(days):
        if not raised(i, start):
            i += 1
            continue
        resolved = next(
            (j for j in range(i + 2, len(days)) if clear[j] and clear[j - 1]),
            None,
        )
        found.append((start, i, resolved))
        if resolved is None:
            break
        i = start = resolved + 1
    return found


def _flag_soreness_rising(daily: pd.DataFrame) -> list[_Episode]:
    """Daily soreness on a day >= 3 higher than on the previous logged day, and >= 5.
    Resolves once soreness is below 5 on two logged days in a row."""
    sore = daily.loc[daily["soreness"].notna(), ["day", "soreness"]].reset_index(drop=True)
    previous = sore["soreness"].shift(1)
    rising = (
        (sore["day"] >= THERAPEUTIC_READ_DAY)
        & (sore["soreness"] > previous + EPS)
        & _at_least(sore["soreness"], SORENESS_RISING_MIN)
    ).to_numpy(dtype=bool)
    clear = (~_at_least(sore["soreness"], SORENESS_RISING_MIN)).to_numpy(dtype=bool)
    days = sore["day"].to_numpy()
    episodes = []
    for _first, at, resolved in _two_day_episodes(days, lambda i, _start: rising[i], clear):
        day, value = int(days[at]), sore["soreness"].iloc[at]
        before_day, before = int(days[at - 1]), sore["soreness"].iloc[at - 1]
        flag = _flag(
            "soreness_rising",
            day,
            _(
                "Injection-site soreness rose to %(score)s on day %(day)d (from "
                "%(before)s on day %(before_day)d). Soreness usually settles by about 72 "
                "hours; consider checking in with the patient about the injection sites."
            )
            % {
                "score": _points(value),
                "day": day,
                "before": _points(before),
                "before_day": before_day,
            },
        )
        episodes.append(
            _two_day_episode(
                flag,
                days,
                resolved,
                _("Resolved: soreness below 5/10 on days %(first)d and %(second)d."),
            )
        )
    return episodes


def _two_day_episode(
    flag: dict[str, Any], days: np.ndarray, resolved: int | None, resolution: str
) -> _Episode:
    """``resolution`` names the two days it resolved on as ``%(first)d`` and ``%(second)d``."""
    if resolved is None:
        return _Episode(flag, None, None)
    first, second = int(days[resolved - 1]), int(days[resolved])
    return _Episode(flag, second, resolution % {"first": first, "second": second})


def _flag_soreness_severe(daily: pd.DataFrame) -> list[_Episode]:
    """Daily soreness >= 7 on a day >= 3. Resolves once soreness is below 7 on two logged
    days in a row."""
    sore = daily.loc[daily["soreness"].notna(), ["day", "soreness"]].reset_index(drop=True)
    severe = (
        (sore["day"] >= THERAPEUTIC_READ_DAY) & _at_least(sore["soreness"], SORENESS_SEVERE_MIN)
    ).to_numpy(dtype=bool)
    days = sore["day"].to_numpy()
    episodes = []
    for _first, at, resolved in _two_day_episodes(days, lambda i, _start: severe[i], ~severe):
        day = int(days[at])
        flag = _flag(
            "soreness_severe",
            day,
            _(
                "Injection-site soreness was %(score)s on day %(day)d, after the first 72 "
                "hours when it usually settles. Consider checking the injection sites."
            )
            % {"score": _points(sore["soreness"].iloc[at]), "day": day},
        )
        episodes.append(
            _two_day_episode(
                flag,
                days,
                resolved,
                _("Resolved: soreness below 7/10 on days %(first)d and %(second)d."),
            )
        )
    return episodes


def _flag_large_bruise(daily: pd.DataFrame) -> list[_Episode]:
    """Any entry with large bruising (the first day it was reported). Resolves after two
    logged days in a row without large bruising."""
    large = daily["large_bruise"].to_numpy(dtype=bool)
    days = daily["day"].to_numpy()
    episodes = []
    for _first, at, resolved in _two_day_episodes(days, lambda i, _start: large[i], ~large):
        day = int(days[at])
        flag = _flag(
            "large_bruise",
            day,
            _(
                "Large bruising (over about 4 cm²) was reported on day %(day)d. Consider "
                "checking the injection site."
            )
            % {"day": day},
        )
        episodes.append(
            _two_day_episode(
                flag,
                days,
                resolved,
                _("Resolved: no large bruising on days %(first)d and %(second)d."),
            )
        )
    return episodes


def _flag_worse_than_baseline(daily: pd.DataFrame, baseline: float | None) -> list[_Episode]:
    """Daily pain >= baseline + 2 on two or more logged days >= 3 (raised on the second).
    Resolves after two logged days in a row with pain below baseline + 2; a new episode
    again needs two such days after that.

    Works with a recorded baseline of 0 too: the rule is in NRS points, not percent.
    """
    if baseline is None:
        return []
    limit = baseline + WORSE_THAN_BASELINE_POINTS
    worse = ((daily["day"] >= THERAPEUTIC_READ_DAY) & _at_least(daily["pain"], limit)).to_numpy(
        dtype=bool
    )
    days = daily["day"].to_numpy()

    def raised(i: int, start: int) -> bool:
        return bool(worse[i]) and int(worse[start : i + 1].sum()) >= WORSE_THAN_BASELINE_DAYS

    episodes = []
    for start, _at, resolved in _two_day_episodes(days, raised, ~worse):
        stop = len(days) if resolved is None else resolved + 1
        seen = [
            int(day) for day, bad in zip(days[start:stop], worse[start:stop], strict=True) if bad
        ]
        first, second = seen[0], seen[WORSE_THAN_BASELINE_DAYS - 1]
        flag = _flag(
            "worse_than_baseline",
            second,
            _(
                "Pain was 2 or more points above the baseline (%(baseline)s) on %(count)d "
                "logged days from day 3 on (first on days %(first)d and %(second)d). "
                "Consider reviewing how the patient is doing."
            )
            % {"baseline": _points(baseline), "count": len(seen), "first": first, "second": second},
        )
        resolution = _(
            "Resolved: pain below baseline + 2 (%(limit)s) on days %%(first)d and %%(second)d."
        ) % {"limit": _points(limit)}
        episodes.append(_two_day_episode(flag, days, resolved, resolution))
    return episodes


def _flag_no_response(
    daily: pd.DataFrame, usable_baseline: float | None, elapsed: int, next_visit_day: int | None
) -> list[_Episode]:
    """No relief >= 30 % on any logged day 3-7, raised (day 7) once day 7 has ended.

    Only with a usable baseline (relief is a percentage), and only when the visit's window
    reaches past day 7 (no next visit on or before day 7), so a new injection is never called
    a non-response. Nothing logged on days 3-7 also raises it, with its own message.
    Resolves on the first logged day 8-14 that reaches 30 % (a late responder).
    """
    day_ended = elapsed > NO_RESPONSE_LAST_DAY  # day 7 ended: 7 < days since visit
    window_covers = next_visit_day is None or next_visit_day > NO_RESPONSE_LAST_DAY
    if usable_baseline is None or not day_ended or not window_covers:
        return []
    read = daily.loc[daily["day"].between(THERAPEUTIC_READ_DAY, NO_RESPONSE_LAST_DAY)]
    if _at_least(read["relief"], MODERATE_RELIEF).any():
        return []
    if read.empty:
        message = _(
            "Nothing was logged on days 3 to 7, so no relief of %(percent)s or more was "
            "recorded by day 7. Consider asking the patient how the injection worked."
        ) % {"percent": _percent(MODERATE_RELIEF)}
    else:
        best = read.loc[read["relief"].idxmax()]
        message = _(
            "No logged day from day 3 to day 7 reached %(percent)s relief (best: %(best)s on "
            "day %(day)d). As a guide, the patient may not be responding to this injection; "
            "consider reviewing the plan."
        ) % {
            "percent": _percent(MODERATE_RELIEF),
            "best": _percent(best["relief"]),
            "day": int(best["day"]),
        }
    late = daily["day"].between(NO_RESPONSE_LAST_DAY + 1, RESPONSE_LAST_DAY) & _at_least(
        daily["relief"], MODERATE_RELIEF
    )
    resolved = _first_day(daily.loc[late, "day"])
    resolution = (
        None
        if resolved is None
        else _("Resolved: reached %(percent)s relief on day %(day)d (late responder).")
        % {"percent": _percent(MODERATE_RELIEF), "day": resolved}
    )
    return [_Episode(_flag("no_response", NO_RESPONSE_LAST_DAY, message), resolved, resolution)]


def _flag_not_logging(
    daily: pd.DataFrame, elapsed: int, next_visit_day: int | None
) -> list[_Episode]:
    """Each run of >= 3 consecutive days without an entry within days 0-14, counting only
    days that have ended (d < days since visit) and that fall before the next visit's day;
    raised on the third missing day. The message gives the whole run seen so far. Resolves
    on the day logging resumes (the next logged day after the run)."""
    last = min(LOGGING_LAST_DAY, elapsed - 1)
    if next_visit_day is not None:
        last = min(last, next_visit_day - 1)
    if last < NOT_LOGGING_RUN - 1:
        return []
    logged = daily["day"].to_numpy()
    days = np.arange(0, last + 1)
    missing = ~np.isin(days, logged)
    episodes = []
    start = None
    # At most 15 days: a loop over the runs of missing days is clearest here.
    for day in [*days.tolist(), last + 1]:
        if day <= last and missing[day]:
            start = day if start is None else start
            continue
        if start is not None and day - start >= NOT_LOGGING_RUN:
            end = day - 1
            after = logged[logged > end]
            resolved = int(after.min()) if after.size else None
            flag = _flag(
                "not_logging",
                start + NOT_LOGGING_RUN - 1,
                _(
                    "No entries for %(count)d days in a row (days %(start)d to %(end)d) in "
                    "the first two weeks after the injection. Consider reminding the patient "
                    "to log how they feel."
                )
                % {"count": end - start + 1, "start": start, "end": end},
            )
            resolution = (
                None
                if resolved is None
                else _("Resolved: logging resumed on day %(day)d.") % {"day": resolved}
            )
            episodes.append(_Episode(flag, resolved, resolution))
        start = None
    return episodes


def visit_flags(
    visit: Mapping[str, Any],
    daily: pd.DataFrame,
    baseline: Baseline,
    today: date,
    next_visit_day: int | None = None,
) -> list[dict[str, Any]]:
    """Flags for the physician (guidance, not diagnosis), as episodes: each time a flag's
    condition is met it is raised, and it resolves when the condition no longer holds; a
    new occurrence after that is a new episode of the same code. Sorted by the day raised,
    then in :data:`FLAG_CODES` order.

    Each is a dict: ``code``, ``day`` (= ``raised_day``, the day it was raised),
    ``raised_on`` (that day's date), ``message``, ``resolved_day``/``resolved_on`` (None
    while it holds) and ``resolution`` (why it resolved, or None). "Two logged days in a
    row" means two consecutive logged days (days without entries in between do not count).

    - ``soreness_rising``: daily soreness on a day >= 3 higher than on the previous logged
      day and >= 5; resolves once soreness is below 5 on two logged days in a row.
    - ``soreness_severe``: daily soreness >= 7 on a day >= 3; resolves once soreness is below
      7 on two logged days in a row.
    - ``large_bruise``: any entry with large bruising; resolves after two logged days in a
      row without large bruising.
    - ``worse_than_baseline``: daily pain >= baseline + 2 on two or more logged days >= 3
      (raised on the second such day); resolves after two logged days in a row with pain
      below baseline + 2 (a new episode needs two such days again).
    - ``no_response``: no relief >= 30 % on any logged day 3-7 (including nothing logged),
      raised with day 7 once day 7 has passed; only with a usable baseline and when the
      window reaches past day 7. Resolves on the first logged day 8-14 with relief >= 30 %.
    - ``not_logging``: 3 or more consecutive days without an entry within days 0-14, counting
      only ended days before the next visit; day = the third missing day. Resolves on the
      next logged day; each such gap is its own episode.

    "Day d has ended" means ``d < (today - visit_date).days``.
    """
    daily = with_relief(daily, baseline.value)
    visit_date = as_date(visit["visit_date"])
    elapsed = (today - visit_date).days
    found = [
        *_flag_soreness_rising(daily),
        *_flag_soreness_severe(daily),
        *_flag_large_bruise(daily),
        *_flag_worse_than_baseline(daily, baseline.value),
        *_flag_no_response(daily, baseline.for_percent, elapsed, next_visit_day),
        *_flag_not_logging(daily, elapsed, next_visit_day),
    ]
    order = {code: position for position, code in enumerate(FLAG_CODES)}
    found.sort(key=lambda episode: (episode.flag["day"], order[episode.flag["code"]]))
    return [
        {
            **episode.flag,
            "raised_day": episode.flag["day"],
            "raised_on": visit_date + timedelta(days=episode.flag["day"]),
            "resolved_day": episode.resolved_day,
            "resolved_on": (
                None
                if episode.resolved_day is None
                else visit_date + timedelta(days=episode.resolved_day)
            ),
            "resolution": episode.resolution,
        }
        for episode in found
    ]


def visit_report(
    visit: Mapping[str, Any],
    patient_rows: pd.DataFrame,
    today: date,
    next_visit_day: int | None = None,
) -> VisitReport:
    """Daily rows (with ``relief`` and ``change``), summary and flags of one visit.

    ``patient_rows``: the patient's entries or tallies with ``visit_id``/``day`` assigned,
    covering at least ``visit_date - 7`` up to the next visit (one query: the baseline
    fallback needs the week before, the curve needs the visit's own rows).
    """
    own = patient_rows.loc[(patient_rows["visit_id"] == visit["visit_id"]).to_numpy()]
    baseline = baseline_for(visit, patient_rows)
    daily = with_relief(daily_series(own), baseline.value)
    summary = visit_summary(visit, daily, baseline, today, next_visit_day)
    flags = visit_flags(visit, daily, baseline, today, next_visit_day)
    return VisitReport(daily, summary, flags)


def daily_rows(daily: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready per-day rows for the API: day, date (ISO), pain, soreness, relief, change
    (1 decimal, None when unknown), entries, large_bruise."""
    columns = [c for c in (*DAILY_COLUMNS, "relief", "change") if c in daily]
    # Column-wise .tolist() then zip: several times faster than itertuples on small frames.
    values = [[jsonable(value) for value in daily[column].tolist()] for column in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


# --------------------------------------------------------------------------- course


def next_visit_days(visits: pd.DataFrame) -> pd.Series:
    """Per visit (same index): day index of the same patient's next visit's ``visit_date``
    relative to this visit's (Int64, NA for the latest visit). Visits are ordered by
    ``performed_at`` then ``visit_id``."""
    ordered = visits.sort_values(["performed_at", "visit_id"], kind="stable")
    next_date = ordered.groupby("patient_id", sort=False)["visit_date"].shift(-1)
    gaps = _days_between(next_date, ordered["visit_date"])
    return pd.Series(gaps.to_numpy(), index=ordered.index, dtype="Int64").reindex(visits.index)


def course_reports(visits: pd.DataFrame, rows: pd.DataFrame, today: date) -> list[VisitReport]:
    """One :class:`VisitReport` per visit, in visit order, each window cut by the next visit.

    ``rows``: the patients' entries or tallies. Uses the server's ``visit_id``/``day`` when
    present; otherwise (entries only) assigns them with :func:`assign_visits`. Each summary
    also gets ``visit_number`` (1-based per patient).
    """
    if "visit_id" not in rows or "day" not in rows:
        rows = assign_visits(rows, visits)
    ordered = visits.sort_values(["performed_at", "visit_id"], kind="stable")
    gaps = next_visit_days(ordered)
    numbers = ordered.groupby("patient_id", sort=False).cumcount() + 1
    by_patient = {key: group for key, group in rows.groupby("patient_id", sort=False)}
    reports = []
    for index, visit in ordered.iterrows():
        own = by_patient.get(visit["patient_id"], rows.iloc[0:0])
        gap = gaps.loc[index]
        report = visit_report(visit, own, today, None if pd.isna(gap) else int(gap))
        report.summary["visit_number"] = int(numbers.loc[index])
        reports.append(report)
    return reports


# --------------------------------------------------------------------------- cohort


def daily_relief(entries: pd.DataFrame, visit_baselines: pd.DataFrame) -> pd.DataFrame:
    """One row per (visit, logged day) with that day's relief, for visits with a usable
    baseline (> 0) only. ``entries`` needs ``visit_id``, ``day``, ``pain``;
    ``visit_baselines`` needs ``visit_id``, ``baseline`` (e.g. :func:`baselines`). Returns
    ``visit_id``, ``day`` (int), ``relief`` (float). Grouped, not looped."""
    usable = visit_baselines.loc[visit_baselines["baseline"] > 0, ["visit_id", "baseline"]]
    rows = entries.loc[entries["visit_id"].notna() & entries["day"].notna()]
    pain = (
        rows.assign(day=rows["day"].astype("int64"), pain=rows["pain"].astype("float64"))
        .groupby(["visit_id", "day"], as_index=False)["pain"]
        .mean()
    )
    merged = pain.merge(usable, on="visit_id")
    merged["relief"] = 100.0 * (1.0 - merged["pain"] / merged["baseline"])
    return merged.loc[merged["day"] >= 0, ["visit_id", "day", "relief"]].reset_index(drop=True)


def cohort_curve(daily_relief: pd.DataFrame) -> pd.DataFrame:
    """Cohort relief per day 0-28: ``day``, ``median``, ``q1``, ``q3`` (float, NaN when no
    visit logged that day) and ``n`` (visits contributing that day, always present).

    Input: one row per (visit, logged day) with ``day`` and ``relief``, for visits with a
    usable baseline only; days a visit did not log are simply absent (no imputation).
    Quartiles use pandas' default linear interpolation, which is exactly PostgreSQL's
    ``percentile_cont`` (so an SQL aggregation gives identical numbers).
    """
    rows = daily_relief.loc[
        daily_relief["day"].between(0, COHORT_LAST_DAY) & daily_relief["relief"].notna(),
        ["day", "relief"],
    ]
    typed = rows.astype({"day": "int64", "relief": "float64"})  # an empty input is object
    grouped = typed.groupby("day")["relief"]
    days = pd.RangeIndex(0, COHORT_LAST_DAY + 1, name="day")
    curve = pd.DataFrame(
        {
            "median": grouped.median(),
            "q1": grouped.quantile(0.25),
            "q3": grouped.quantile(0.75),
            "n": grouped.size(),
        }
    ).reindex(days)
    curve["n"] = curve["n"].fillna(0).astype("int64")
    return curve.reset_index()[["day", "median", "q1", "q3", "n"]]


def cohort_rates(summaries: Iterable[Mapping[str, Any]] | pd.DataFrame) -> dict[str, Any]:
    """Responder and substantial-responder rates (percent) across visits.

    Counted (``n``): visits with a usable baseline (``responder`` not None) whose response
    window has closed (``response_window_closed``, when given): a visit still inside days
    3-14 could still respond, and counting it as a non-responder would bias the rate down.
    Rates are None when n is 0. Also returns how many visits were left out and why.
    """
    table = summaries if isinstance(summaries, pd.DataFrame) else pd.DataFrame(list(summaries))
    if table.empty:
        return {
            "n": 0,
            "responders": 0,
            "substantial_responders": 0,
            "responder_rate": None,
            "substantial_responder_rate": None,
            "excluded_no_baseline": 0,
            "excluded_open_window": 0,
        }
    has_baseline = table["responder"].notna()
    closed = (
        table["response_window_closed"].fillna(False).astype(bool)
        if "response_window_closed" in table
        else pd.Series(True, index=table.index)
    )
    counted = table.loc[has_baseline & closed]
    n = len(counted)
    responders = int(counted["responder"].astype(bool).sum())
    substantial = int(counted["substantial_responder"].astype(bool).sum())
    return {
        "n": n,
        "responders": responders,
        "substantial_responders": substantial,
        "responder_rate": 100.0 * responders / n if n else None,
        "substantial_responder_rate": 100.0 * substantial / n if n else None,
        "excluded_no_baseline": int((~has_baseline).sum()),
        "excluded_open_window": int((has_baseline & ~closed).sum()),
    }
