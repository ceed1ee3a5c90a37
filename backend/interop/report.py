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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from accounts.models import User
from core.clinic import clinic_info
from diary.models import Bruising
from diary.selectors import entries_visible_to
from interop.fhir import CPT_DISPLAY
from recovery import reports
from recovery.analytics import BASELINE_LOOKBACK_DAYS
from treatments.models import BodyRegion, Condition, Injectate, Side, Visit

# The words the report prints for the stored values, in the reader's language (the model
# choices' own labels stay English: the FHIR and CSV exports use them).
CONDITION_WORDS = {
    Condition.MYOFASCIAL_PAIN: gettext_lazy("Myofascial pain"),
    Condition.FIBROMYALGIA: gettext_lazy("Fibromyalgia"),
    Condition.TENSION_HEADACHE: gettext_lazy("Tension headache"),
    Condition.NECK_PAIN: gettext_lazy("Neck pain"),
    Condition.LOW_BACK_PAIN: gettext_lazy("Low back pain"),
    Condition.EXTREMITY_PAIN: gettext_lazy("Extremity pain"),
}
REGION_WORDS = {
    BodyRegion.HEAD: gettext_lazy("Head and face"),
    BodyRegion.NECK: gettext_lazy("Neck"),
    BodyRegion.SHOULDER: gettext_lazy("Shoulder"),
    BodyRegion.UPPER_BACK: gettext_lazy("Upper back"),
    BodyRegion.LOW_BACK: gettext_lazy("Low back"),
    BodyRegion.CHEST: gettext_lazy("Chest"),
    BodyRegion.ABDOMEN: gettext_lazy("Abdomen"),
    BodyRegion.HIP_BUTTOCK: gettext_lazy("Hip and buttock"),
    BodyRegion.ARM: gettext_lazy("Arm and hand"),
    BodyRegion.LEG: gettext_lazy("Leg and foot"),
}
SIDE_WORDS = {
    Side.LEFT: pgettext_lazy("side of the body", "left"),
    Side.RIGHT: pgettext_lazy("side of the body", "right"),
    Side.BILATERAL: pgettext_lazy("side of the body", "bilateral"),
    Side.MIDLINE: pgettext_lazy("side of the body", "midline"),
}
INJECTATE_WORDS = {
    Injectate.LIDOCAINE: gettext_lazy("Lidocaine"),
    Injectate.SALINE: gettext_lazy("Saline"),
    Injectate.MAGNESIUM: gettext_lazy("Magnesium"),
}
BRUISING_WORDS = {
    Bruising.NONE: pgettext_lazy("bruising", "None"),
    Bruising.SMALL: pgettext_lazy("bruising", "Small"),
    Bruising.LARGE: pgettext_lazy("bruising", "Large (over about 4 cm²)"),
}


def _words(table: Any, value: str) -> str:
    """The reader's words for a stored value; the value itself if it has none."""
    word = table.get(value)
    return value if word is None else str(word)


def site_text(site: Any) -> str:
    """ "Neck, Upper trapezius, left": region, muscle (as recorded), side."""
    return _("%(region)s, %(muscle)s, %(side)s") % {
        "region": _words(REGION_WORDS, site.body_region),
        "muscle": site.muscle,
        "side": _words(SIDE_WORDS, site.side),
    }


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
    return _("yes") if value else _("not so far")


def _day(value: int | None, never: str) -> str:
    return never if value is None else _("day %(day)d") % {"day": value}


def _local(value: datetime, zone: ZoneInfo) -> str:
    """The text shown before the page's script writes the moment in the reader's own
    format (and what a reader without scripts keeps): ISO order, unambiguous anywhere."""
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _iso(value: datetime, zone: ZoneInfo) -> str:
    """The moment for a <time datetime>, with the patient's offset."""
    return value.astimezone(zone).isoformat(timespec="seconds")


def summary_facts(recovery: dict[str, Any]) -> list[Fact]:
    """The recovery summary in words (values as the recovery API rounds them), in the
    active language."""
    s = recovery["summary"]
    baseline = recovery["baseline"]
    no_baseline = _("unknown (no baseline)")
    if baseline is None:
        baseline_text = _("none recorded: absolute pain only, no %% relief") % {}
    else:
        source = {
            "recorded": _("recorded at the visit"),
            "prior_entries": _("mean of the patient's check-ins in the %(days)d days before")
            % {"days": BASELINE_LOOKBACK_DAYS},
        }.get(recovery["baseline_source"] or "", "")
        baseline_text = f"{_score(baseline)} ({source})" if source else _score(baseline)
        if not s["relief_available"]:
            baseline_text += ": " + _("no %% relief from a baseline of 0") % {}
    latest = "-"
    if s["latest_day"] is not None:
        words = {
            "day": s["latest_day"],
            "date": s["latest_date"],
            "pain": _score(s["latest_pain"]),
            "soreness": _score(s["latest_soreness"]),
            "relief": _percent(s["latest_relief"]),
        }
        if s["latest_relief"] is None:
            latest = _("day %(day)s (%(date)s): pain %(pain)s, soreness %(soreness)s") % words
        else:
            latest = (
                _("day %(day)s (%(date)s): pain %(pain)s, soreness %(soreness)s, relief %(relief)s")
                % words
            )
    checkins = ngettext(
        "%(days)s (%(count)d check-in)", "%(days)s (%(count)d check-ins)", s["entries"]
    ) % {"days": s["days_logged"], "count": s["entries"]}
    percent = {"moderate": "30 %", "substantial": "50 %"}
    return [
        Fact(_("Baseline pain"), baseline_text),
        Fact(_("Immediate relief (after the injection)"), _percent(s["immediate_relief"])),
        Fact(_("Days since the visit"), str(s["days_since_visit"])),
        Fact(_("Days logged"), checkins),
        Fact(_("Latest"), latest),
        Fact(
            _("Relief of %(moderate)s or more first on") % percent,
            no_baseline if not s["relief_available"] else _day(s["onset_day"], _("not reached")),
        ),
        Fact(
            _("%(moderate)s relief on a day 3-14 (responder, as a guide)") % percent,
            _yes_no(s["responder"], no_baseline),
        ),
        Fact(
            _("%(substantial)s relief on a day 3-14 (substantial, as a guide)") % percent,
            _yes_no(s["substantial_responder"], no_baseline),
        ),
        Fact(_("Peak relief from day 3"), _percent(s["peak_relief"])),
        Fact(_("Soreness settled (2/10 or less) from"), _day(s["soreness_settled_day"], "-")),
    ]


FLAG_STATE_LABELS = {
    "open": gettext_lazy("Open"),
    "acknowledged": gettext_lazy("Acknowledged"),
    "resolved": gettext_lazy("Resolved"),
}


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
        "state_label": str(FLAG_STATE_LABELS[flag["state"]]),
        "acknowledged": acknowledged,
    }


def visit_report_context(*, visit: Visit, user: User) -> dict[str, Any]:
    """Everything the template needs: visit, sites, summary, flags, figure, check-ins."""
    patient = visit.patient
    zone = ZoneInfo(patient.timezone)
    recovery = reports.visit_recovery(visit)
    figure = reports.visit_chart(visit)
    sites = list(visit.sites.all())
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
    checkins = [
        {
            "felt_at": _local(felt_at, zone),
            "felt_at_iso": _iso(felt_at, zone),
            "day": day,
            "pain": pain,
            "soreness": soreness,
            "bruising": _words(BRUISING_WORDS, bruise),
            "aftercare": ", ".join(
                str(name)
                for name, done in (
                    (pgettext_lazy("aftercare", "iced"), iced),
                    (pgettext_lazy("aftercare", "heat"), heated),
                    (pgettext_lazy("aftercare", "strenuous"), strenuous),
                )
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
        "condition": _words(CONDITION_WORDS, visit.condition),
        "cpt_code": cpt,
        "cpt_display": CPT_DISPLAY[cpt],
        "sites": [
            {
                "text": site_text(site),
                "injectates": ", ".join(_words(INJECTATE_WORDS, name) for name in site.injectates),
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
