"""WCAG 1.4.10 (reflow) in real Chromium.

The top bar and the tabs: at 320 px, and at 200 % zoom of a 360 px and of a 320 px phone
(what browser zoom does to CSS pixels: the layout is half as wide), and with the text at
200 %, no word is split across lines and nothing runs out of its box or makes the page
scroll sideways. For the patient (four tabs, with the longest sync status: offline and
waiting) and for the physician.

Every screen (#18), in English and in Spanish (about a quarter longer): the patient's
check-in (with the aftercare card and check-ins the clinic refused), a refused check-in
being corrected, recovery, editing a check-in, my data and settings; the physician's
patients, a patient's page with flags, practice, invite and settings; the practice
administrator's people and settings; sign-in, accepting an invitation and both reset
screens. Each at 320 px, at 200 % zoom of a 1280 px desk (640 CSS px) and at the largest
text size at 320 px, one signed-in browser per role and language. Every screen also passes
axe with ``<html lang>`` in its language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from accounts.models import Role
from tests.e2e.conftest import (
    ARTIFACTS,
    LANGUAGES,
    LARGEST_TEXT_SIZE,
    axe_violations,
    check_in,
    choose,
    language_context,
    settle,
    shot,
    sign_in,
    speaking,
)
from tests.factories import (
    PASSWORD,
    PatientFactory,
    PhysicianFactory,
    UserFactory,
    link,
    local_morning,
    make_entry,
    make_visit,
)

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
  // Hyphenation on (and nothing else that breaks words): the browser broke the word at a
  // hyphenation point of the language and drew the hyphen. Anything else is a broken word.
  const hyphenated = (el) => {
    const style = getComputedStyle(el);
    return style.hyphens === "auto" && style.overflowWrap === "normal" && style.wordBreak === "normal";
  };
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


# --------------------------------------------------------------------------- every screen (#18)

# (name, viewport in CSS px, text size). 200 % zoom of a 1280 x 800 desk is a 640 x 400 CSS
# px layout (as above: zoom halves the CSS width); the largest text size is the app's own
# setting, applied by the app (<html data-text-size>), at the narrowest width.
SCREEN_LAYOUTS = [
    ("320px", {"width": 320, "height": 640}, "1"),
    ("1280px-zoom-200", {"width": 640, "height": 400}, "1"),
    ("320px-largest-text", {"width": 320, "height": 640}, LARGEST_TEXT_SIZE),
]

# What a screen shows that it should not, at the current width:
# - the page (or its body) scrolls sideways;
# - an element's content is wider than its box (scrollWidth > clientWidth), unless the
#   element is a sideways-scrolling container around a data table (WCAG 1.4.10 exempts data
#   tables); text fields, whose value scrolls inside them by design, are left out;
# - an element outside any such container ends right of the screen;
# - a word laid out on more than one line: each run of letters and digits of every visible
#   text node is measured with a Range; its boxes on more than one line mean the browser
#   broke the word itself (overflow-wrap / word-break), not at a space, a hyphen, a slash
#   or other punctuation, which are places a line may break. A split is allowed only where
#   the element has `hyphens: auto` and neither overflow-wrap nor word-break set (then the
#   browser can only have broken it at a hyphenation point, drawing the hyphen); every other
#   split is a broken word, reported with the word's width and its element's.
# Only the innermost offending elements are named (their ancestors overflow because of
# them), each with its tag, classes, first words and the numbers.
PAGE_PROBLEMS = r"""() => {
  const doc = document.documentElement;
  const width = doc.clientWidth;
  const problems = [];
  if (doc.scrollWidth > width) problems.push(`page scrolls sideways: ${doc.scrollWidth} > ${width} px`);
  if (document.body.scrollWidth > width)
    problems.push(`body scrolls sideways: ${document.body.scrollWidth} > ${width} px`);
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const hidden = (el) => el.closest(".visually-hidden, [hidden], template, [aria-hidden=true]");
  const describe = (el) => {
    const classes = typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\s+/).join(".") : "";
    const text = (el.innerText ?? el.textContent ?? "").trim().replace(/\s+/g, " ").slice(0, 50);
    return `<${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${classes}> "${text}"`;
  };
  const flagged = new Map();
  for (const el of document.body.querySelectorAll("*")) {
    if (!el.getClientRects().length || hidden(el)) continue;
    if (el instanceof SVGElement && !(el instanceof SVGSVGElement)) continue;
    if (el.matches("input, textarea, select, option")) continue;
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
      if (!scrolls(el)) {
        const edge = el.getBoundingClientRect().left + el.clientLeft + el.clientWidth;
        const wide = [...el.querySelectorAll("*")].find((c) => c.getBoundingClientRect().right > edge + 1);
        const why = wide ? `; first too wide inside: ${describe(wide)}, ${Math.round(wide.getBoundingClientRect().width)} px` : "";
        flagged.set(el, `${describe(el)}: content ${el.scrollWidth} px wide in a ${el.clientWidth} px box${why}`);
      } else if (!el.querySelector("table")) {
        flagged.set(el, `${describe(el)} scrolls sideways: ${el.scrollWidth} > ${el.clientWidth} px`);
      }
    }
    let scroller = null;
    for (let p = el.parentElement; p && p !== document.body && !scroller; p = p.parentElement)
      if (scrolls(p)) scroller = p;
    const right = el.getBoundingClientRect().right;
    if (!scroller && right > width + 1 && !flagged.has(el))
      flagged.set(el, `${describe(el)} ends at ${Math.round(right)} px, past the ${width} px screen`);
  }
  for (const [el, what] of flagged)
    if (![...flagged.keys()].some((other) => other !== el && el.contains(other))) problems.push(what);

  // Hyphenation on (and nothing else that breaks words): the browser broke the word at a
  // hyphenation point of the language and drew the hyphen. Anything else is a broken word.
  const hyphenated = (el) => {
    const style = getComputedStyle(el);
    return style.hyphens === "auto" && style.overflowWrap === "normal" && style.wordBreak === "normal";
  };
  const split = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || !parent.getClientRects().length || hidden(parent)) continue;
    if (parent.closest("svg, script, style, option")) continue;
    for (const match of node.textContent.matchAll(/[\p{L}\p{N}\p{M}]+/gu)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0);
      const tops = rects.map((r) => r.top).sort((a, b) => a - b);
      const lines = tops.filter((top, i) => i === 0 || top - tops[i - 1] > 2).length;
      if (lines > 1 && !hyphenated(parent)) {
        const wide = Math.ceil(rects.reduce((sum, r) => sum + r.width, 0));
        const style = getComputedStyle(parent);
        const room = parent.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        split.push(`"${match[0]}" (${wide} px) in ${describe(parent)}, ${Math.floor(room)} px for text`);
      }
    }
  }
  for (const word of split) problems.push(`word broken across lines: ${word}`);
  const words = (document.querySelector("main")?.innerText ?? "").split(/\s+/).filter(Boolean);
  return { problems, words: words.length };
}"""


@dataclass
class Screen:
    name: str
    path: str  # the app's hash path
    ready: str  # a selector present once the screen shows what it is tested with
    then: Callable[[Any], None] | None = None  # what to do there first


def _correcting(page: Any) -> None:
    page.locator("li[data-refused] button").first.click()


def _cast() -> dict[str, Any]:
    """A physician in a practice with its administrator, and a patient six days after a
    trigger point injection with a week of check-ins (large bruising on days 1 and 5: one
    flag resolved, one open). Long names, as Spanish speakers' often are."""
    physician = PhysicianFactory(
        email="dra.castellanos@example.org", display_name="Dra. Mercedes Castellanos Ibarra"
    )
    physician.practice.name = "Clínica del Dolor y Rehabilitación del Norte"
    physician.practice.save()
    admin = UserFactory(
        email="administracion@example.org",
        display_name="Guadalupe Hernández Villanueva",
        role=Role.PRACTICE_ADMIN,
        practice=physician.practice,
    )
    patient = PatientFactory(
        email="maria.fernanda@example.org", display_name="María Fernanda Rodríguez Alvarado"
    )
    link(physician, patient)
    visit_at = local_morning(6)
    make_visit(physician, patient, visit_at, baseline_pain=8)
    entries = [
        make_entry(
            patient,
            visit_at + timedelta(days=day, minutes=30),
            pain=max(8 - day, 2),
            soreness=2,
            bruising="large" if day in (1, 5) else "none",
            notes="Me duele menos al girar el cuello." if day == 5 else "",
        )
        for day in range(6)
    ]
    return {"physician": physician, "admin": admin, "patient": patient, "entry": entries[-1]}


def _screens(role: str, cast: dict[str, Any]) -> list[Screen]:
    if role == "patient":
        return [
            Screen("checkin", "/", "form.checkin >> nth=0"),
            Screen("refused-correct", "/", "li[data-refused] form.checkin", _correcting),
            Screen("recovery", "/recovery", "[data-chart=drawn]"),
            Screen("edit", f"/edit/{cast['entry'].id}", "form"),
            Screen("my-data", "/my-data", "[data-audit]"),
            Screen("settings", "/settings", "[data-section=password]"),
        ]
    if role == "physician":
        return [
            Screen("patients", "/", ".patients .patient, table.patients-table tbody tr"),
            Screen(
                "patient",
                f"/patients/{cast['patient'].id}",
                "article.visit .flag-history [data-state=open]",
            ),
            Screen("practice", "/practice", "main h1"),
            Screen("invite", "/invite", "main form"),
            Screen("settings", "/settings", "[data-section=password]"),
        ]
    if role == "admin":
        return [
            Screen("people", "/", "[data-member]"),
            Screen("settings", "/settings", "[data-section=password]"),
        ]
    return [
        Screen("sign-in", "/", "input[name=email]"),
        Screen("accept", "/accept", "input[name=code]"),
        Screen("reset", "/reset", "input[name=email]"),
        Screen("reset-new-password", "/reset?token=not-a-real-token", "input[name=password]"),
    ]


ROLES = ["patient", "physician", "admin", "public"]
ROLE_LANGUAGES = [pytest.param((r, lang), id=f"{r}-{lang}") for r in ROLES for lang in LANGUAGES]


@pytest.fixture
def role_page(browser: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """One browser context per test: the role signed in (unless public), in the language,
    with the data its screens show; a patient's check-in already refused by the clinic."""
    role, language = request.param
    cast = _cast()
    context = language_context(browser, language, viewport=SCREEN_LAYOUTS[0][1])
    page = context.new_page()
    user = {"patient": "patient", "physician": "physician", "admin": "admin"}.get(role)
    if role == "patient":
        page.clock.install(time=datetime.now(UTC))
    if user:
        speaking(cast[user], language)
        sign_in(page, live_server.url, cast[user].email, PASSWORD)
    else:
        page.goto(live_server.url + "/")
    settle(page)
    if role == "patient":
        # The phone's clock runs two hours fast: the clinic refuses this check-in.
        page.clock.set_system_time(datetime.now(UTC) + timedelta(hours=2))
        choose(page, "pain", 4)
        choose(page, "soreness", 2)
        page.fill("form.checkin textarea[name=notes]", "Hoy amanecí con el cuello rígido.")
        page.click("form.checkin button[type=submit]")
        page.wait_for_selector(".refused li[data-refused]")
        page.clock.set_system_time(datetime.now(UTC))
    page.role_name = role  # type: ignore[attr-defined]
    page.language = language  # type: ignore[attr-defined]
    page.screens = _screens(role, cast)  # type: ignore[attr-defined]
    page.base = live_server.url  # type: ignore[attr-defined]
    yield page
    context.close()


def _open(page: Any, screen: Screen) -> None:
    page.goto(f"{page.base}/#{screen.path}")
    if screen.then:
        page.wait_for_selector("main:not([aria-busy]) h1")
        page.wait_for_load_state("networkidle")
        screen.then(page)
    page.wait_for_selector(screen.ready)
    settle(page)


def _text_size(page: Any, size: str) -> dict[str, str]:
    """The device's text size set as the app's settings screen sets it, the app reloaded;
    what the app shows: <html data-text-size> and the computed size of the body's text."""
    page.evaluate("size => localStorage.setItem('relief.text-size', size)", size)
    page.reload()
    settle(page)
    return page.evaluate(
        """() => ({attribute: document.documentElement.dataset.textSize ?? null,
                   body: getComputedStyle(document.body).fontSize})"""
    )


def _report(name: str, failures: list[str]) -> None:
    """Every problem found in test-artifacts/<name>.txt; in the failure, problems that differ
    only in their element's words (eleven scale buttons, six rows' buttons) once, counted."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.txt").write_text("".join(f"{line}\n" for line in failures))
    if not failures:
        return
    kinds: dict[str, list[str]] = {}
    for line in failures:
        kinds.setdefault(re.sub(r'"[^"]*"', '"…"', line), []).append(line)
    lines = [f"{same[0]}" + (f"  (and {len(same) - 1} more like it)" if len(same) > 1 else "")
             for same in kinds.values()]  # fmt: skip
    pytest.fail(
        f"{name}: {len(failures)} problems (all in test-artifacts/{name}.txt):\n"
        + "\n".join(lines),
        pytrace=False,
    )


@pytest.mark.parametrize("role_page", ROLE_LANGUAGES, indirect=True)
def test_every_screen_reflows_without_sideways_scrolling_or_broken_words(role_page: Any) -> None:
    page = role_page
    who = f"{page.role_name}-{page.language}"
    failures: list[str] = []
    default_size = None
    for layout, viewport, size in SCREEN_LAYOUTS:
        page.set_viewport_size(viewport)
        shown = _text_size(page, size)
        if size == "1":
            default_size = shown["body"]
        elif shown["attribute"] != size or shown["body"] == default_size:
            failures.append(
                f"{layout}: text size {size} not applied: <html data-text-size="
                f"{shown['attribute']!r}>, body text {shown['body']} (default {default_size})"
            )
        for screen in page.screens:
            _open(page, screen)
            found = page.evaluate(PAGE_PROBLEMS)
            lang = page.evaluate("document.documentElement.lang")
            page.evaluate("() => scrollTo(0, 0)")
            ARTIFACTS.mkdir(exist_ok=True)
            name = f"reflow-{who}-{screen.name}-{layout}"
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            where = f"{screen.name} at {layout}"
            failures += [f"{where}: {problem}" for problem in found["problems"]]
            if found["words"] == 0:
                failures.append(f"{where}: no text in <main>")
            if lang != page.language:
                failures.append(f"{where}: <html lang={lang!r}>, not {page.language!r}")
    _report(f"reflow-{who}", failures)


@pytest.mark.parametrize("role_page", ROLE_LANGUAGES, indirect=True)
def test_every_screen_passes_axe_in_its_language(role_page: Any) -> None:
    page = role_page
    who = f"{page.role_name}-{page.language}"
    page.set_viewport_size({"width": 360, "height": 640})
    failures: list[str] = []
    for screen in page.screens:
        _open(page, screen)
        lang = page.evaluate("document.documentElement.lang")
        if lang != page.language:
            failures.append(f"{screen.name}: <html lang={lang!r}>, not {page.language!r}")
        failures += [f"{screen.name}: {v}" for v in axe_violations(page)]
        shot(page, f"axe-{who}-{screen.name}")
    _report(f"axe-{who}", failures)
