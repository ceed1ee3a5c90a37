"""WCAG 1.4.10 (reflow) for the top bar and the tabs, in real Chromium: at 320 px, and at
200 % zoom of a 360 px and of a 320 px phone (what browser zoom does to CSS pixels: the
layout is half as wide), and with the text at 200 %, no word is split across lines and
nothing runs out of its box or makes the page scroll sideways. For the patient (four tabs,
with the longest sync status: offline and waiting) and for the physician."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import check_in, shot, sign_in
from tests.factories import PASSWORD, PatientFactory, PhysicianFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (name, CSS px wide, root font size): 200 % zoom halves the CSS width of the screen.
LAYOUTS = [
    ("320px", 320, "100%"),
    ("360px-zoom-200", 180, "100%"),
    ("320px-zoom-200", 160, "100%"),
    ("320px-text-200", 320, "200%"),
]

# Every word of the visible text under `root` whose characters are laid out on more than
# one line (a word split mid-word), and every element whose content overflows its box.
PROBLEMS = """root => {
  const split = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || !parent.getClientRects().length) continue;
    if (parent.closest(".visually-hidden")) continue;
    for (const match of node.textContent.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set(
        [...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)),
      );
      if (lines.size > 1) split.push(match[0]);
    }
  }
  const overflowing = [...root.querySelectorAll("*")]
    .filter((el) => el.getClientRects().length && !el.closest(".visually-hidden"))
    .filter(
      (el) =>
        (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) ||
        el.getBoundingClientRect().right > document.documentElement.clientWidth + 1,
    )
    .map((el) => el.outerHTML.slice(0, 80));
  return { split, overflowing, words: root.innerText.split(/\\s+/).filter(Boolean).length };
}"""


def check_reflow(page: Any, who: str, expected_words: list[str]) -> None:
    for name, width, text_size in LAYOUTS:
        page.set_viewport_size({"width": width, "height": 640})
        page.evaluate("size => { document.documentElement.style.fontSize = size; }", text_size)
        for selector in (".topbar", "#nav"):
            root = page.locator(selector)
            found = root.evaluate(PROBLEMS)
            assert found["split"] == [], f"{who} {selector} at {name}: words split {found}"
            assert found["overflowing"] == [], f"{who} {selector} at {name}: {found}"
            assert found["words"] > 0
        text = page.locator(".topbar").inner_text() + " " + page.locator("#nav").inner_text()
        for word in expected_words:
            assert word in text.split(), f"{word!r} not whole at {name}: {text!r}"
        assert page.evaluate("document.documentElement.scrollWidth") <= width, name
        page.evaluate("() => scrollTo(0, 0)")
        shot(page, f"reflow-{who}-{name}")
    page.evaluate("() => { document.documentElement.style.fontSize = ''; }")
    page.set_viewport_size({"width": 360, "height": 640})


def test_the_patients_top_bar_and_tabs_reflow_without_breaking_a_word(live_server, page, context):
    patient = PatientFactory(email="reflow@example.org")
    sign_in(page, live_server.url, patient.email, PASSWORD)
    page.wait_for_selector("form.checkin")
    assert page.locator("#nav a").all_inner_texts() == [
        "Check in",
        "My recovery",
        "My data",
        "Settings",
    ]
    # The longest status: offline with a check-in waiting.
    context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")
    check_in(page, pain=3, soreness=2)
    page.wait_for_function(
        "() => document.getElementById('sync-status').textContent === 'Offline · 1 waiting to sync'"
    )

    check_reflow(
        page,
        "patient",
        ["Relief", "Sign", "out", "Offline", "waiting", "Check", "recovery", "Settings"],
    )
    context.set_offline(False)


def test_the_physicians_top_bar_and_tabs_reflow_without_breaking_a_word(live_server, page):
    physician = PhysicianFactory(email="dr.reflow@example.org")
    sign_in(page, live_server.url, physician.email, PASSWORD)
    page.wait_for_selector("h1")
    assert page.locator("#nav a").all_inner_texts() == [
        "Patients",
        "Practice",
        "Invite",
        "Settings",
    ]

    check_reflow(page, "physician", ["Relief", "Patients", "Practice", "Invite", "Settings"])
