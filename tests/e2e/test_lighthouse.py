"""Lighthouse's accessibility score of a signed-in patient's check-in screen is 100, in
English and in Spanish (#18).

Lighthouse (npm, a dev dependency) runs from node (tests/lighthouse/accessibility.mjs)
against Debian's Chromium: the test starts Chromium with a DevTools port and a profile of
its own, signs the patient in there with Playwright, and Lighthouse opens its tab in that
profile without clearing its storage, so it audits the check-in form and not the sign-in
screen (the script reports what the tab showed, and the test checks it). Nothing is downloaded. Reports: test-artifacts/lighthouse-checkin-<lang>.report.html
(and .json)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import (
    ARTIFACTS,
    BROWSER_LOCALES,
    CHROMIUM,
    CHROMIUM_FLAGS,
    LANGUAGES,
    ROOT,
    device_settings_script,
    settle,
    shot,
    sign_in,
    speaking,
)
from tests.factories import (
    PASSWORD,
    PatientFactory,
    PhysicianFactory,
    link,
    local_morning,
    make_visit,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPT = ROOT / "tests" / "lighthouse" / "accessibility.mjs"
LIGHTHOUSE = ROOT / "node_modules" / "lighthouse" / "package.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_check_in_screen_scores_100_for_accessibility(
    browser: Any, live_server: Any, tmp_path: Path, language: str
) -> None:
    if not LIGHTHOUSE.exists():
        pytest.fail(f"{LIGHTHOUSE} is missing: run `make node` (npm install).")
    node = shutil.which("node")
    assert node, "node is missing"
    physician = PhysicianFactory(email="dr.faro@example.org", display_name="Dra. Elena Faro")
    patient = PatientFactory(
        email="lucia@example.org", display_name="Lucía Benítez Morales", timezone="Europe/Berlin"
    )
    link(physician, patient)
    make_visit(physician, patient, local_morning(2), baseline_pain=7)
    speaking(patient, language)

    port = free_port()
    # A profile of its own, whose default context is the one Lighthouse's tab opens in.
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        args=[*CHROMIUM_FLAGS, f"--remote-debugging-port={port}"],
        viewport={"width": 412, "height": 823},
        timezone_id="Europe/Berlin",
        locale=BROWSER_LOCALES[language],
    )
    try:
        context.add_init_script(device_settings_script(language))
        page = context.new_page()
        sign_in(page, live_server.url, patient.email, PASSWORD)
        page.wait_for_selector("form.checkin")
        settle(page)
        assert page.evaluate("document.documentElement.lang") == language
        page_h1 = page.locator("main h1").inner_text()
        shot(page, f"lighthouse-checkin-{language}")
        ARTIFACTS.mkdir(exist_ok=True)
        out = ARTIFACTS / f"lighthouse-checkin-{language}"
        run = subprocess.run(
            [node, str(SCRIPT), "--port", str(port), "--url", live_server.url + "/",
             "--out", str(out)],
            cwd=ROOT, capture_output=True, text=True, timeout=240,
        )  # fmt: skip
    finally:
        context.close()
    assert run.returncode == 0, f"Lighthouse failed:\n{run.stderr[-4000:]}"
    result = json.loads(run.stdout.strip().splitlines()[-1])
    print("Lighthouse audited", result["screen"], "score", result["score"])
    # The screen Lighthouse audited: the signed-in patient's check-in, in the language.
    assert result["screen"]["checkin"], result["screen"]
    assert result["screen"]["lang"] == language, result["screen"]
    assert result["screen"]["h1"] == page_h1, (result["screen"], page_h1)
    assert result["score"] == 1.0, (
        f"Lighthouse accessibility {result['score']} in {language}; failing audits "
        f"(report: {out}.report.html):\n{json.dumps(result['failing'], indent=1, ensure_ascii=False)}"
    )
