"""CSV export of a patient's check-ins, one row per check-in, written as a stream.

Columns (the header row names them; README "Exports" explains them):

- ``entry_id``, ``felt_at`` (UTC, ISO 8601 with ``Z``), ``recorded_at`` (UTC), ``local_date``
  (the patient's calendar date of ``felt_at``);
- ``visit_id``, ``visit_date`` (the visit's local date, day 0) and ``day`` (days since the
  injection), empty for check-ins before the first visit;
- ``pain`` and ``soreness`` (0-10), ``bruising`` (none/small/large), ``iced``, ``heated``,
  ``strenuous_activity`` (true/false);
- ``baseline``: the visit's baseline pain (recorded, or the mean of the 7 days before), and
  ``day_relief_percent``: the relief **of that check-in's day** for its visit,
  100 x (baseline - mean pain of the day) / baseline, to 1 decimal. This is Relief's
  definition of relief (per local day, not per check-in), so the file shows exactly the
  numbers of the app and the recovery API; rows of the same day repeat the same value.
  Empty without a usable baseline (none, or 0);
- ``notes``, the patient's text.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and a few control
characters) as a formula; every text cell that could is prefixed with ``'``, which they
show as text (OWASP "CSV injection"). Numbers Relief writes itself are left alone.
The file starts with a UTF-8 byte order mark so that Excel reads accents and ``²`` right.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from recovery.analytics import relief, round1

COLUMNS = (
    "entry_id",
    "felt_at",
    "recorded_at",
    "local_date",
    "visit_id",
    "visit_date",
    "day",
    "pain",
    "soreness",
    "bruising",
    "iced",
    "heated",
    "strenuous_activity",
    "baseline",
    "day_relief_percent",
    "notes",
)
BOM = "\ufeff"
# Characters that make Excel, LibreOffice or Google Sheets treat a cell as a formula, after
# NFKC normalisation (which folds the full-width and small forms some East Asian input setups
# produce, such as U+FF1D and U+FE66, into these), plus the minus sign U+2212.
FORMULA_TRIGGERS = frozenset("=+-@\u2212")
# A cell starting with one of these is prefixed whatever follows.
LEADING_CONTROLS = ("\t", "\r", "\n")
# Bytes gathered before a chunk is handed to the server: large enough to keep the number
# of writes low, small enough that memory does not grow with the history.
CHUNK_CHARS = 64 * 1024


def _ignorable(char: str) -> bool:
    """Invisible leading characters an importer may trim or skip before it looks for a
    formula: any Unicode space (no-break, ideographic, vertical tab, form feed…), control
    characters and format characters (zero-width space, BOM, bidirectional overrides)."""
    return char.isspace() or unicodedata.category(char) in {"Cc", "Cf", "Zs", "Zl", "Zp"}


def neutralise(text: str) -> str:
    """Text that no spreadsheet will evaluate: a cell whose first visible character is a
    formula character (whatever invisible characters come before it), or that starts with
    a tab or line break, gets a ``'`` in front."""
    if text.startswith(LEADING_CONTROLS):
        return "'" + text
    for char in text:
        if _ignorable(char):
            continue
        if unicodedata.normalize("NFKC", char)[:1] in FORMULA_TRIGGERS:
            return "'" + text
        break
    return text


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _number(value: float | None) -> str:
    return "" if value is None else str(value)


def row_values(row: Any, baselines: Mapping[str, float | None]) -> list[str]:
    """One CSV row from an ``export_entries`` row and the visits' baselines."""
    visit_id = None if row.visit_id is None else str(row.visit_id)
    baseline = baselines.get(visit_id) if visit_id else None
    usable = baseline if baseline is not None and baseline > 0 else None
    day_relief = None
    if visit_id and row.day is not None and row.day >= 0 and row.day_pain is not None:
        day_relief = round1(relief(float(row.day_pain), usable))
    return [
        str(row.id),
        _utc(row.felt_at),
        _utc(row.recorded_at),
        row.local_date.isoformat(),
        visit_id or "",
        row.visit_date.isoformat() if row.visit_date else "",
        "" if row.day is None else str(row.day),
        str(row.pain),
        str(row.soreness),
        row.bruising,
        _bool(row.iced),
        _bool(row.heated),
        _bool(row.strenuous_activity),
        _number(round1(baseline)),
        _number(day_relief),
        neutralise(row.notes),
    ]


def stream_csv(rows: Iterable[Any], baselines: Mapping[str, float | None]) -> Iterator[str]:
    """The file in chunks of about :data:`CHUNK_CHARS` characters (RFC 4180: CRLF line ends,
    fields with commas, quotes or line breaks quoted)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row_values(row, baselines))
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
