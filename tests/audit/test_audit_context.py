"""Services record who acted from an AuditContext, not from the HTTP request, so a command
or a background task can call them (issue #15)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.test import RequestFactory

from audit.context import AuditContext
from audit.models import AuditEvent
from tests.factories import link, make_visit
from treatments.models import Visit
from treatments.services import visit_update

pytestmark = pytest.mark.django_db


def test_a_visit_recorded_by_a_command_is_audited_as_its_physician(physician, patient):
    link(physician, patient)

    visit = make_visit(physician, patient, datetime(2026, 3, 2, 9, tzinfo=UTC))

    row = AuditEvent.objects.get(action="create", resource="visit")
    assert (row.actor, row.actor_role, row.patient, row.object_id) == (
        physician,
        "physician",
        patient,
        str(visit.pk),
    )
    # No request: no caller's id, no address, a fresh id of its own.
    assert (row.client_request_id, row.client_address) == ("", None)
    assert isinstance(row.request_id, uuid.UUID)


def test_a_service_given_a_requests_context_records_that_request(physician, patient):
    link(physician, patient)
    visit = make_visit(physician, patient, datetime(2026, 3, 2, 9, tzinfo=UTC))
    request = RequestFactory().put("/", REMOTE_ADDR="198.51.100.7")
    request.user = physician
    request.request_id = uuid.UUID("0b6f2a52-2f43-4c0e-9d43-5b0f0e7f7a11")
    request.client_request_id = "phone-42"

    visit_update(
        visit=visit, data={"notes": "Tolerated well."}, audit=AuditContext.from_request(request)
    )

    row = AuditEvent.objects.get(action="update", resource="visit")
    assert (row.actor, row.patient, row.object_id) == (physician, patient, str(visit.pk))
    assert str(row.request_id) == "0b6f2a52-2f43-4c0e-9d43-5b0f0e7f7a11"
    assert (row.client_request_id, row.client_address) == ("phone-42", "198.51.100.7")
    assert Visit.objects.get(pk=visit.pk).notes == "Tolerated well."


def test_an_anonymous_request_names_no_actor():
    request = RequestFactory().get("/", REMOTE_ADDR="fe80::1%eth0")
    request.user = type("Anonymous", (), {"is_authenticated": False})()

    context = AuditContext.from_request(request)

    assert (context.actor, context.client_address, context.client_request_id) == (None, None, "")
