"""The printed visit report speaks the language of the user it was made for (#18), whatever
the language of the browser tab that opens the link; its chart figure too. A refused link
speaks the tab's Accept-Language."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from tests.accounts.helpers import bearer, sign_in
from tests.factories import PASSWORD
from tests.interop.conftest import Record

pytestmark = pytest.mark.django_db


def _report(client: Any, visit_id: Any, **headers: str) -> Any:
    response = client.post(f"/api/v1/visits/{visit_id}/report-link/")
    assert response.status_code == 201, response.content
    return Client().get(response.json()["url"], **headers)


def _figure(html: str) -> dict[str, Any]:
    marker = '<script id="report-figure" type="application/json">'
    start = html.index(marker) + len(marker)
    return json.loads(html[start : html.index("</script>", start)])


def test_a_spanish_physicians_report_is_in_spanish(record: Record, client_for: Any) -> None:
    User.objects.filter(pk=record.physician.pk).update(language="es")
    record.physician.refresh_from_db()

    response = _report(client_for(record.physician), record.first.pk, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response["Content-Language"] == "es"
    html = response.content.decode()
    assert '<html lang="es">' in html
    for text in (
        "Relief · informe de la visita de inyección en puntos gatillo",
        "Visita del <time datetime=",
        "Dolor miofascial",
        "Cuello, Upper trapezius, izquierdo",
        "Solución salina, Magnesio",
        "8/10 (registrado en la visita)",
        "Se informó un moretón grande (más de unos 4 cm²) el día 1.",
        "Resumen de la recuperación",
        "Alertas para el médico",
        "Dolor en el sitio de la inyección",
        "Contiene datos de salud: manténgalo confidencial.",
        "37.5 %",
    ):
        assert text in html, text
    for english in ("Recovery summary", "Myofascial pain", "recorded at the visit", "Print<"):
        assert english not in html, english
    figure = _figure(html)
    assert figure["layout"]["xaxis"]["title"]["text"] == "Días desde la inyección"
    assert figure["layout"]["yaxis"]["title"]["text"] == "Escala de 0 a 10"
    names = [trace["name"] for trace in figure["data"]]
    assert names[:2] == ["Dolor", "Dolor en el sitio de la inyección"]
    # Machine keys stay as they are in every language.
    references = [t["meta"]["level"] for t in figure["data"] if "meta" in t]
    assert references == ["Baseline", "30 % relief", "50 % relief"]


def test_an_english_physicians_report_stays_english_in_a_spanish_browser(
    record: Record, client_for: Any
) -> None:
    response = _report(client_for(record.physician), record.first.pk, HTTP_ACCEPT_LANGUAGE="es")

    html = response.content.decode()
    assert (response.status_code, response["Content-Language"]) == (200, "en")
    assert '<html lang="en">' in html
    assert "Recovery summary" in html
    assert _figure(html)["layout"]["xaxis"]["title"]["text"] == "Days since injection"


def test_a_refused_link_speaks_the_tabs_language(record: Record) -> None:
    response = Client().get(
        f"/reports/visits/{record.first.pk}/?token=nothing", HTTP_ACCEPT_LANGUAGE="es"
    )

    html = response.content.decode()
    assert response.status_code == 404
    assert "No se puede abrir este enlace del informe" in html
    assert '<html lang="es">' in html


def test_the_recovery_apis_chart_speaks_the_users_language(record: Record, client_for: Any) -> None:
    """The figure the app draws (GET .../recovery/chart/) and the flags' words (GET
    .../recovery/) in the signed-in user's language, whatever Accept-Language says."""
    User.objects.filter(pk=record.patient.pk).update(language="es")
    client = bearer(sign_in(record.patient.email, PASSWORD)["access"])

    chart = client.get(
        f"/api/v1/visits/{record.first.pk}/recovery/chart/", HTTP_ACCEPT_LANGUAGE="en"
    )
    recovery = client.get(f"/api/v1/visits/{record.first.pk}/recovery/", HTTP_ACCEPT_LANGUAGE="en")

    assert (chart.status_code, recovery.status_code) == (200, 200)
    layout = chart.json()["layout"]
    assert layout["xaxis"]["title"]["text"] == "Días desde la inyección"
    assert layout["yaxis"]["title"]["text"] == "Escala de 0 a 10"
    assert layout["title"]["text"].startswith("Inyección del ")
    assert [flag["message"] for flag in recovery.json()["flags"]][:1] == [
        "Se informó un moretón grande (más de unos 4 cm²) el día 1. Considere revisar el "
        "sitio de la inyección."
    ]
