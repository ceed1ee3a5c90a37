"""A clinic from nothing to a handled flag, through the operator's command, the mails and the
API, as its people would do it (issue #17, "what must show"):

``relief practice create`` → the administrator accepts the mailed invitation → invites a
physician, who accepts → the physician invites a patient, who accepts → the physician
records a visit → the patient checks in with a large bruise → the physician sees the open
flag first and acknowledges it → every view shows it handled; the administrator sees the
practice's numbers and none of the patient's data.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command

from accounts.models import User
from audit.models import AuditEvent
from recovery.models import FlagAcknowledgement
from tests.accounts.helpers import bearer, sign_in
from tests.factories import SITE, local_morning
from tests.worker import run_worker_once

pytestmark = pytest.mark.django_db(transaction=True)  # the worker sends mail after commits

PASSPHRASE = "a long and private passphrase"
TZ = "America/Chicago"


def _mailed_code(to: str) -> str:
    """Deliver the queued mail with the worker, then read the code out of the one to ``to``."""
    run_worker_once()
    [message] = [m for m in mail.outbox if m.to == [to]]
    match = re.search(r"\n    ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})\n", message.body)
    assert match, message.body
    return match.group(1)


def _accept(code: str, email: str) -> Any:
    accepted = bearer("").post(
        "/api/v1/invitations/accept/",
        {"code": code, "password": PASSPHRASE, "timezone": TZ},
        format="json",
    )
    assert accepted.status_code == 201, accepted.content
    return bearer(sign_in(email, PASSPHRASE)["access"])


def test_a_clinic_from_the_command_to_an_acknowledged_flag() -> None:
    call_command(
        "practice", "create", "Lakeside Pain", "--admin", "ada@lakeside.example", stdout=StringIO()
    )
    admin = _accept(_mailed_code("ada@lakeside.example"), "ada@lakeside.example")

    invited = admin.post(
        "/api/v1/practice/invitations/",
        {"email": "dr.kim@lakeside.example", "display_name": "Dr. Kim", "role": "physician"},
        format="json",
    )
    assert invited.status_code == 201, invited.content
    doctor = _accept(_mailed_code("dr.kim@lakeside.example"), "dr.kim@lakeside.example")
    assert doctor.get("/api/v1/auth/me/").json()["role"] == "physician"
    members = admin.get("/api/v1/practice/").json()
    assert members["name"] == "Lakeside Pain"
    assert sorted((m["email"], m["role"]) for m in members["members"]) == [
        ("ada@lakeside.example", "practice_admin"),
        ("dr.kim@lakeside.example", "physician"),
    ]

    invited = doctor.post(
        "/api/v1/invitations/",
        {"email": "pat@example.org", "display_name": "Pat Lee"},
        format="json",
    )
    assert invited.status_code == 201, invited.content
    patient = _accept(_mailed_code("pat@example.org"), "pat@example.org")
    pat = User.objects.get(email="pat@example.org")
    assert (pat.role, pat.practice) == ("patient", None)

    performed_at = local_morning(3, TZ)
    visit = doctor.post(
        "/api/v1/visits/",
        {
            "patient": str(pat.pk),
            "performed_at": performed_at.isoformat(),
            "condition": "neck_pain",
            "baseline_pain": 7,
            "sites": [{**SITE, "volume_ml": 1.0}],
        },
        format="json",
    )
    assert visit.status_code == 201, visit.content
    visit_id = visit.json()["id"]
    checked_in = patient.put(
        f"/api/v1/entries/{uuid.uuid4()}/",
        {
            "felt_at": (performed_at + timedelta(days=1)).isoformat(),
            "pain": 5,
            "soreness": 4,
            "bruising": "large",
            "iced": True,
            "heated": False,
            "strenuous_activity": False,
            "notes": "Big bruise on the left.",
        },
        format="json",
    )
    assert checked_in.status_code == 201, checked_in.content

    [row] = doctor.get("/api/v1/patients/?open_flags=true").json()["results"]
    assert row["display_name"] == "Pat Lee"
    assert [(f["code"], f["state"], f["raised_day"]) for f in row["flags"]] == [
        ("large_bruise", "open", 1)
    ]
    acknowledged = doctor.post(
        f"/api/v1/visits/{visit_id}/flags/large_bruise/acknowledge/",
        {"note": "Called Pat: bruise fading, no pain at the site."},
        format="json",
    )
    assert acknowledged.status_code == 201, acknowledged.content
    assert acknowledged.json()["state"] == "acknowledged"
    assert acknowledged.json()["acknowledged"]["by"] == "Dr. Kim"

    recovery = doctor.get(f"/api/v1/visits/{visit_id}/recovery/").json()
    assert [(f["code"], f["state"]) for f in recovery["flags"]] == [
        ("large_bruise", "acknowledged")
    ]
    assert doctor.get("/api/v1/patients/?open_flags=true").json()["results"] == []
    ack = FlagAcknowledgement.objects.get()
    assert (str(ack.visit_id), ack.code, ack.raised_day, ack.physician.email) == (
        visit_id, "large_bruise", 1, "dr.kim@lakeside.example",
    )  # fmt: skip
    assert AuditEvent.objects.filter(
        actor__email="dr.kim@lakeside.example", resource="flag", action="create", patient=pat
    ).exists()

    # The administrator: the practice's numbers, never the patient.
    cohort = admin.get("/api/v1/cohort/?scope=practice").json()
    assert cohort["days"][1]["n"] == 1
    assert admin.get(f"/api/v1/patients/{pat.pk}/").status_code == 404
    assert admin.get(f"/api/v1/visits/{visit_id}/recovery/").status_code == 404
    assert admin.get("/api/v1/patients/").status_code == 403
    # The patient sees their care team.
    assert patient.get("/api/v1/me/care-team/").json() == {
        "practice": "Lakeside Pain",
        "physicians": [{"display_name": "Dr. Kim"}],
    }
