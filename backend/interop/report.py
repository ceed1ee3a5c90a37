"""What the printable visit report shows, as plain values for the template.

Numbers come from ``recovery.reports`` (the same summary, flags and figure as the app and
the API); this module only words and formats them. Times are in the patient's timezone,
because the report is about the patient's days since the injection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import User
from core.clinic import clinic_info
from diary.models import Bruising
from diary.selectors import entries_visible_to
from interop.fhir import CPT_DISPLAY, site_text
from recovery import reports
from recovery.analytics import BASELINE_SOURCES
from treatments.models import Condition, Injectate, Visit


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:g}/10"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:g} %"


def _yes_no(value: bool | None, unknown: str) -> str:
    if value is None:
        return unknown
    return "yes" if value else "not so far"


def _day(value: int | None, never: str) -> str:
    return never if value is None else f"day {value}"


def _local(value: datetime, zone: ZoneInfo) -> str:
    """The text shown before the page's script writes the moment in the reader's own
    format (and what a reader without scripts keeps): ISO order, unambiguous anywhere."""
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _iso(value: datetime, zone: ZoneInfo) -> str:
    """The moment for a <time datetime>, with the patient's offset."""
    return value.astimezone(zone).isoformat(timespec="seconds")


def summary_facts(recovery: dict[str, Any]) -> list[Fact]:
    """The recovery summary in words (values as the recovery API rounds them)."""
    s = recovery["summary"]
    baseline = recovery["baseline"]
    no_baseline = "unknown (no baseline)"
    if baseline is None:
        baseline_text = "none recorded: absolute pain only, no % relief"
    else:
        source = BASELINE_SOURCES.get(recovery["baseline_source"] or "", "")
        baseline_text = f"{_score(baseline)} ({source})" if source else _score(baseline)
        if not s["relief_available"]:
            baseline_text += ": no % relief from a baseline of 0"
    latest = "-"
    if s["latest_day"] is not None:
        latest = (
            f"day {s['latest_day']} ({s['latest_date']}): pain {_score(s['latest_pain'])}, "
            f"soreness {_score(s['latest_soreness'])}"
        )
        if s["latest_relief"] is not None:
            latest += f", relief {_percent(s['latest_relief'])}"
    return [
        Fact("Baseline pain", baseline_text),
        Fact("Immediate relief (after the injection)", _percent(s["immediate_relief"])),
        Fact("Days since the visit", str(s["days_since_visit"])),
        Fact("Days logged", f"{s['days_logged']} ({s['entries']} check-ins)"),
        Fact("Latest", latest),
        Fact(
            "Relief of 30 % or more first on",
            no_baseline if not s["relief_available"] else _day(s["onset_day"], "not reached"),
        ),
        Fact(
            "30 % relief on a day 3-14 (responder, as a guide)",
            _yes_no(s["responder"], no_baseline),
        ),
        Fact(
            "50 % relief on a day 3-14 (substantial, as a guide)",
            _yes_no(s["substantial_responder"], no_baseline),
        ),
        Fact("Peak relief from day 3", _percent(s["peak_relief"])),
        Fact("Soreness settled (2/10 or less) from", _day(s["soreness_settled_day"], "-")),
    ]


FLAG_STATE_LABELS = {"open": "Open", "acknowledged": "Acknowledged", "resolved": "Resolved"}


def _flag_for_print(flag: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """A flag with its state in words and its acknowledgement's moment in the patient's zone."""
    acknowledged = flag.get("acknowledged")
    if acknowledged is not None:
        acknowledged = {
            **acknowledged,
            "at_text": _local(acknowledged["at"], zone),
            "at_iso": _iso(acknowledged["at"], zone),
        }
    return {
        **flag,
        "state_label": FLAG_STATE_LABELS[flag["state"]],
        "acknowledged": acknowledged,
    }


def visit_report_context(*, visit: Visit, user: User) -> dict[str, Any]:
    """Everything the template needs: visit, sites, summary, flags, figure, check-ins."""
    patient = visit.patient
    zone = ZoneInfo(patient.timezone)
    recovery = reports.visit_recovery(visit)
    figure = reports.visit_chart(visit)
    sites = list(visit.sites.all())
    injectate_labels = dict(Injectate.choices)
    entries = (
        entries_visible_to(user)
        .filter(visit=visit)
        .order_by("felt_at", "recorded_at", "id")
        .values_list(
            "felt_at",
            "day",
            "pain",
            "soreness",
            "bruising",
            "iced",
            "heated",
            "strenuous_activity",
            "notes",
        )
    )
    bruising = dict(Bruising.choices)
    checkins = [
        {
            "felt_at": _local(felt_at, zone),
            "felt_at_iso": _iso(felt_at, zone),
            "day": day,
            "pain": pain,
            "soreness": soreness,
            "bruising": bruising.get(bruise, bruise),
            "aftercare": ", ".join(
                name
                for name, done in (("iced", iced), ("heat", heated), ("strenuous", strenuous))
                if done
            )
            or "-",
            "notes": notes,
        }
        for felt_at, day, pain, soreness, bruise, iced, heated, strenuous, notes in entries
    ]
    cpt = visit.cpt_code
    now = timezone.now()
    return {
        "visit": visit,
        "patient": patient,
        "physician": visit.physician,
        "prepared_for": user,
        "prepared_at": _local(now, zone),
        "prepared_at_iso": _iso(now, zone),
        "timezone": patient.timezone,
        "performed_at": _local(visit.performed_at, zone),
        "performed_at_iso": _iso(visit.performed_at, zone),
        "clinic": clinic_info(),
        "condition": Condition(visit.condition).label,
        "cpt_code": cpt,
        "cpt_display": CPT_DISPLAY[cpt],
        "sites": [
            {
                "text": site_text(site),
                "injectates": ", ".join(injectate_labels[name] for name in site.injectates),
                "volume": f"{site.volume_ml:.1f} mL",
            }
            for site in sites
        ],
        "baseline_pain": visit.baseline_pain,
        "post_injection_pain": visit.post_injection_pain,
        "facts": summary_facts(recovery),
        "flags": [_flag_for_print(flag, zone) for flag in recovery["flags"]],
        "days": [
            {
                **row,
                "relief_text": _percent(row["relief"]),
            }
            for row in recovery["days"]
        ],
        "figure": figure,
        "checkins": checkins,
    }
