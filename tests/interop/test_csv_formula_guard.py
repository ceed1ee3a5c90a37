"""The CSV formula guard: no invisible character before ``=``, ``+``, ``-`` or ``@`` lets a
formula through to a spreadsheet."""

from __future__ import annotations

import pytest

from interop.csv_export import neutralise

# Each is invisible or blank in a spreadsheet cell, and importers trim or skip them.
INVISIBLE = {
    "space": " ",
    "no-break space": "\u00a0",
    "ideographic space": "\u3000",
    "vertical tab": "\u000b",
    "form feed": "\u000c",
    "zero-width space": "\u200b",
    "byte order mark": "\ufeff",
    "right-to-left override": "\u202e",
    "left-to-right mark": "\u200e",
    "narrow no-break space": "\u202f",
    "line separator": "\u2028",
    "null": "\u0000",
}
TRIGGERS = {
    "equals": "=",
    "plus": "+",
    "minus": "-",
    "at": "@",
    "full-width equals": "\uff1d",
    "small equals": "\ufe66",
    "full-width plus": "\uff0b",
    "small hyphen-minus": "\ufe63",
    "minus sign": "\u2212",
    "full-width at": "\uff20",
}
FORMULA = 'HYPERLINK("https://evil.example","x")'


@pytest.mark.parametrize("trigger", TRIGGERS.values(), ids=TRIGGERS.keys())
@pytest.mark.parametrize("invisible", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_a_formula_behind_invisible_characters_is_prefixed(invisible: str, trigger: str):
    for lead in (invisible, invisible * 3, " " + invisible, invisible + "\u200b"):
        text = lead + trigger + FORMULA
        assert neutralise(text) == "'" + text


@pytest.mark.parametrize("trigger", TRIGGERS.values(), ids=TRIGGERS.keys())
def test_a_formula_at_the_start_is_prefixed(trigger: str):
    assert neutralise(trigger + FORMULA) == "'" + trigger + FORMULA


@pytest.mark.parametrize("lead", ["\t", "\r", "\n", "\t hello"])
def test_a_leading_tab_or_line_break_is_prefixed(lead: str):
    assert neutralise(lead + "x") == "'" + lead + "x"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Stiff in the morning.",
        "\u00a0Stiff",
        "\u200bBetter = less pain",
        "5-6 hours of sleep",
        "Ice +heat helped",
        "Dolor leve, mejor que ayer",
        "\u3000痛みは少ない",
    ],
)
def test_ordinary_text_is_left_alone(text: str):
    assert neutralise(text) == text
