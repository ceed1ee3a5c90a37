"""Recovery reports: selectors' rows through the pure analytics, shaped for the API."""

from __future__ import annotations

import copy
from collections import OrderedDict
from datetime import date
from typing import Any

import pandas as pd

from accounts.models import User
from recovery import analytics, charts
from recovery.models import FlagAcknowledgement
from recovery.selectors import (
    course_frames,
    entry_fingerprints,
    latest_visit_days,
    patient_today,
    patient_visit_rows,
    visit_frames,
    visit_rows_frame,
    visit_values,
)
from treatments.models import Visit

# Worst first: what should bring a physician to a patient soonest.
FLAG_WEIGHT = {
    "soreness_severe": 6,
    "worse_than_baseline": 5,
    "large_bruise": 4,
    "soreness_rising": 3,
    "no_response": 2,
    "not_logging": 1,
}
SUMMARY_FIELDS = (
    "visit_id",
    "visit_date",
    "condition",
    "baseline",
    "baseline_source",
    "relief_available",
    "immediate_relief",
    "days_since_visit",
    "days_logged",
    "entries",
    "latest_day",
    "latest_date",
    "latest_pain",
    "latest_soreness",
    "latest_relief",
    "latest_change",
    "onset_day",
    "responder",
    "substantial_responder",
    "relief_days",
    "longest_relief_run",
    "peak_relief",
    "soreness_settled_day",
    "response_window_closed",
)


def _summary(summary: dict[str, Any]) -> dict[str, Any]:
    return analytics.jsonable({name: summary.get(name) for name in SUMMARY_FIELDS})


def _report_for(visit: Visit, visit_rows: Any = None) -> analytics.VisitReport:
    visits, days = visit_frames(visit, visit_rows)
    ordered = visits.reset_index(drop=True)
    position = ordered.index[ordered["visit_id"] == str(visit.id)][0]
    gaps = analytics.next_visit_days(ordered)
    gap = gaps.iloc[position]
    return analytics.visit_report(
        ordered.iloc[position],
        days,
        patient_today(visit.patient),
        None if pd.isna(gap) else int(gap),
    )


# Answers kept per process under what they are computed from, so a kept answer is never
# stale: the visit rows the analytics read, a fingerprint of the patient's check-ins (rows,
# deleted ones included, the sum of their versions, the latest change: every create, edit
# and delete moves it, since each adds a row or a version) and the patient's today. A
# changed visit, a new, edited or deleted check-in, or a new day makes a new key. Least
# recently used dropped first.
_KEPT: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_KEPT_MAX = 20_000


def _recall(key: tuple[Any, ...]) -> dict[str, Any] | None:
    if key not in _KEPT:
        return None
    _KEPT.move_to_end(key)
    return copy.deepcopy(_KEPT[key])


def _keep(key: tuple[Any, ...], answer: dict[str, Any]) -> None:
    _KEPT[key] = copy.deepcopy(answer)
    if len(_KEPT) > _KEPT_MAX:
        _KEPT.popitem(last=False)


def _inputs_key(
    kind: str, subject: Any, patient: User, visit_rows: tuple[Any, ...]
) -> tuple[Any, ...]:
    """What one patient's reports are computed from: all their visit rows
    (``patient_visit_rows``, passed in: the computation reuses them), their check-ins'
    fingerprint (one small query) and their today."""
    return (
        kind,
        str(subject),
        visit_rows,
        entry_fingerprints([patient.pk]).get(str(patient.pk)),
        patient_today(patient),
    )


def _kept(key: tuple[Any, ...], compute: Any) -> dict[str, Any]:
    """``compute()``'s answer for these inputs, computed once per process."""
    answer = _recall(key)
    if answer is None:
        answer = compute()
        _keep(key, answer)
    return answer


# --------------------------------------------------------------------------- flag states
#
# The episodes are pure (kept in ``_KEPT`` with the rest); whether a physician acknowledged
# one is not among the inputs of that key, so it is read afresh on every answer, with one
# small query, and applied to a copy: an acknowledgement shows at once.


def _acknowledgements(visit_ids: list[Any]) -> dict[tuple[str, str, int], dict[str, Any]]:
    """Acknowledgements of these visits' flag episodes, by (visit id, code, raised day)."""
    rows = FlagAcknowledgement.objects.filter(visit_id__in=visit_ids).values_list(
        "visit_id", "code", "raised_day", "physician__display_name", "acknowledged_at", "note"
    )
    return {
        (str(visit_id), code, raised_day): {"by": by, "at": at, "note": note}
        for visit_id, code, raised_day, by, at, note in rows
    }


def flag_state(flag: dict[str, Any], acknowledged: dict[str, Any] | None) -> str:
    """``resolved`` if its condition no longer holds, else ``acknowledged`` if a physician
    acknowledged it, else ``open``."""
    if flag.get("resolved_day") is not None:
        return "resolved"
    return "acknowledged" if acknowledged is not None else "open"


def with_states(
    flags: list[dict[str, Any]],
    visit_id: Any,
    acknowledgements: dict[tuple[str, str, int], dict[str, Any]],
) -> list[dict[str, Any]]:
    """The visit's flag episodes, each with ``state`` and ``acknowledged`` (or None)."""
    dressed = []
    for flag in flags:
        found = acknowledgements.get((str(visit_id), flag["code"], flag["raised_day"]))
        dressed.append({**flag, "state": flag_state(flag, found), "acknowledged": found})
    return dressed


def visit_recovery(visit: Visit) -> dict[str, Any]:
    rows = patient_visit_rows(visit.patient_id)
    key = _inputs_key("visit_recovery", visit.pk, visit.patient, rows)
    answer = _kept(key, lambda: _visit_recovery(visit, rows))
    answer["flags"] = with_states(answer["flags"], visit.pk, _acknowledgements([visit.pk]))
    return answer


def _visit_recovery(visit: Visit, visit_rows: tuple[Any, ...]) -> dict[str, Any]:
    report = _report_for(visit, visit_rows)
    return {
        "visit": str(visit.id),
        "baseline": analytics.round1(report.summary["baseline"]),
        "baseline_source": report.summary["baseline_source"],
        "days": analytics.daily_rows(report.daily),
        "summary": _summary(report.summary),
        "flags": analytics.jsonable(report.flags),
    }


def visit_chart(visit: Visit) -> dict[str, Any]:
    report = _report_for(visit)
    return charts.visit_chart(report.daily, report.summary, report.flags)


def _course_reports(patient: User, visit_rows: Any = None) -> list[analytics.VisitReport]:
    visits, days = course_frames(patient, visit_rows)
    if visits.empty:
        return []
    return analytics.course_reports(visits, days, patient_today(patient))


def patient_course(patient: User) -> dict[str, Any]:
    rows = patient_visit_rows(patient.pk)
    key = _inputs_key("patient_course", patient.pk, patient, rows)
    answer = _kept(key, lambda: _patient_course(patient, rows))
    if answer["visits"]:
        acknowledgements = _acknowledgements([visit["visit_id"] for visit in answer["visits"]])
        for visit in answer["visits"]:
            visit["flags"] = with_states(visit["flags"], visit["visit_id"], acknowledgements)
    return answer


def _patient_course(patient: User, visit_rows: tuple[Any, ...]) -> dict[str, Any]:
    reports = _course_reports(patient, visit_rows)
    return {
        "patient": str(patient.pk),
        "visits": [
            {
                **_summary(r.summary),
                "visit_number": r.summary["visit_number"],
                "flags": analytics.jsonable(r.flags),
            }
            for r in reports
        ],
    }


def course_chart(patient: User) -> dict[str, Any]:
    return charts.course_chart(_course_reports(patient))


def latest_summaries(patients: list[User]) -> dict[str, dict[str, Any]]:
    """Each patient's latest visit summary and flags with their states, for the physician's
    list (three queries when every summary is kept, four otherwise: the acknowledgements are
    read afresh each time). The key is the one of ``_KEPT`` with only the latest visit's
    row: the summary reads no other visit. Keys are built from
    the plain rows; frames are made only for the patients whose summary must be computed."""
    ids = [p.pk for p in patients]
    latest_row: dict[str, tuple[Any, ...]] = {}
    for row in visit_values(Visit.objects.filter(patient_id__in=ids)):
        latest_row[str(row[1])] = row  # oldest first: the last one seen is the latest
    result: dict[str, dict[str, Any]] = {}
    if not latest_row:
        return result
    by_id = {str(p.pk): p for p in patients}
    fingerprints = entry_fingerprints(ids)
    missing: dict[str, tuple[Any, ...]] = {}
    for patient_id, row in latest_row.items():
        key = (patient_id, row, fingerprints.get(patient_id), patient_today(by_id[patient_id]))
        kept = _recall(key)
        if kept is not None:
            result[patient_id] = kept
        else:
            missing[patient_id] = key
    if missing:
        _latest_summaries_compute(latest_row, missing, result)
    acknowledgements = _acknowledgements([row[0] for row in latest_row.values()])
    for summary in result.values():
        summary["flags"] = with_states(
            summary["flags"], summary["latest"]["visit_id"], acknowledgements
        )
    return result


def _latest_summaries_compute(
    latest_row: dict[str, tuple[Any, ...]],
    missing: dict[str, tuple[Any, ...]],
    result: dict[str, dict[str, Any]],
) -> None:
    latest = visit_rows_frame(latest_row[patient_id] for patient_id in missing)
    days = latest_visit_days(latest)
    days_by_patient = dict(tuple(days.groupby("patient_id", sort=False)))
    empty = days.iloc[0:0]
    for position, (patient_id, key) in enumerate(missing.items()):
        summary = _latest_summary(
            latest.iloc[position], days_by_patient.get(patient_id, empty), key[3]
        )
        result[patient_id] = summary
        _keep(key, summary)


def _latest_summary(latest: pd.Series, days: pd.DataFrame, today: date) -> dict[str, Any]:
    report = analytics.visit_report(latest, days, today, None)
    s = report.summary
    return {
        "latest": analytics.jsonable(
            {
                "visit_id": s["visit_id"],
                "visit_date": s["visit_date"],
                "days_since_visit": s["days_since_visit"],
                "latest_day": s["latest_day"],
                "latest_pain": s["latest_pain"],
                "latest_relief": s["latest_relief"],
                "responder": s["responder"],
                "substantial_responder": s["substantial_responder"],
            }
        ),
        "flags": analytics.jsonable(report.flags),
    }


def attention_key(row: dict[str, Any]) -> tuple[Any, ...]:
    """Sort key: the most serious open flags first, then non-responders, then least relief.
    Acknowledged and resolved flags weigh nothing: a physician has dealt with them, or their
    condition no longer holds."""
    flags = row.get("flags") or []
    latest = row.get("latest") or {}
    severity = sum(FLAG_WEIGHT.get(f["code"], 0) for f in flags if f.get("state") == "open")
    responder = latest.get("responder")
    relief = latest.get("latest_relief")
    return (
        -severity,
        0 if responder is False else 1,
        relief if relief is not None else float("inf"),
        row["display_name"].lower(),
        str(row["id"]),
    )
