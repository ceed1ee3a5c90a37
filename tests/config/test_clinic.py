"""GET /api/v1/clinic/: the clinic's name and phone, public, from the settings; a number
that is not one stops start-up."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.config.test_settings import GOOD_JWT_KEY, GOOD_SECRET, relief


def test_anyone_reads_the_clinics_name_and_phone_with_its_tel_link(settings: Any) -> None:
    settings.CLINIC_NAME = "Riverside Pain Clinic"
    settings.CLINIC_PHONE = "+44 20 7946 0000"

    response = APIClient().get("/api/v1/clinic/")

    assert response.status_code == 200
    assert response.json() == {
        "name": "Riverside Pain Clinic",
        "phone": "+44 20 7946 0000",
        "tel": "tel:+442079460000",
    }
    assert response["Cache-Control"] == "public, max-age=300"


def test_no_phone_set_is_an_empty_number_and_no_link(settings: Any) -> None:
    settings.CLINIC_NAME = ""
    settings.CLINIC_PHONE = ""

    response = APIClient().get("/api/v1/clinic/")

    assert response.status_code == 200
    assert response.json() == {"name": "", "phone": "", "tel": ""}


def test_only_get_reads_it() -> None:
    assert APIClient().post("/api/v1/clinic/", {}, format="json").status_code == 405


@pytest.mark.parametrize("phone", ["call us", "+44 20 7946 0000; drop", "--", "javascript:1"])
def test_a_clinic_phone_that_is_not_a_number_stops_start_up(phone: str) -> None:
    result = relief(
        "check", SECRET_KEY=GOOD_SECRET, JWT_SIGNING_KEY=GOOD_JWT_KEY, CLINIC_PHONE=phone
    )

    assert result.returncode != 0
    assert "CLINIC_PHONE must be a phone number" in result.stderr


def test_a_clinic_phone_as_people_write_it_is_accepted() -> None:
    result = relief(
        "check",
        SECRET_KEY=GOOD_SECRET,
        JWT_SIGNING_KEY=GOOD_JWT_KEY,
        CLINIC_PHONE="+1 (555) 010-0199",
    )

    assert result.returncode == 0, result.stderr
