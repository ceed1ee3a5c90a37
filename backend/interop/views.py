"""The printable visit report: an HTML page opened with a one-time link.

``POST /api/v1/visits/{id}/report-link/`` (bearer token) returns the link; opening it
renders the report on the server, so it prints without any API call from the page. The
page's only scripts are static files (the CSP allows no inline script or style): plotly's
partial bundle and ``interop/report.js``, which draws the chart from the figure embedded
as a JSON data block and takes the token out of the address bar.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET

from audit.context import AuditContext
from audit.models import AuditEvent
from audit.services import audit_record
from core.replica import replica_reads
from interop import services
from interop.report import visit_report_context
from treatments.selectors import visit_owner, visits_visible_to


def _private(response: HttpResponse) -> HttpResponse:
    # Health data: no cache keeps it. The URL held a token: no Referer carries it anywhere,
    # not even to this site's own static files. Not for search engines either.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _link_not_valid(request: HttpRequest) -> HttpResponse:
    """One answer for every refusal: it says nothing about the visit or the link (in the
    language of the request's Accept-Language)."""
    return _private(render(request, "interop/report_link_invalid.html", status=404))


@replica_reads
@require_GET
def visit_report_page(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """The report of visit ``pk`` for the user who minted the link in ``?token=``."""
    try:
        user = services.report_link_redeem(token=request.GET.get("token", ""), visit_id=pk)
    except services.ReportLinkInvalid:
        return _link_not_valid(request)
    # The link authenticated this request: the audit rows name its user as the actor.
    request.user = user
    with transaction.atomic():
        visit = visits_visible_to(user).filter(pk=pk).first()
        audit_record(
            audit=AuditContext.from_request(request),
            action=AuditEvent.Action.READ,
            resource="report",
            patient_ids=[visit.patient_id if visit else visit_owner(pk)],
            object_id=pk,
            outcome=AuditEvent.Outcome.ALLOWED if visit else AuditEvent.Outcome.DENIED,
        )
    if visit is None:
        # Access ended between minting the link and opening it (care link removed).
        return _link_not_valid(request)
    # The report speaks the language of the user it was made for, as the API does.
    with translation.override(user.language):
        context = visit_report_context(visit=visit, user=user)
        response = render(request, "interop/visit_report.html", context)
        response["Content-Language"] = translation.get_language()
    return _private(response)
