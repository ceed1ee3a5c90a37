"""GET /api/v1/patients/{id}/entries.csv: streamed, quoted, formula-safe, same numbers as the API."""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from accounts.models import User
from audit.models import AuditEvent
from interop import csv_export
from recovery.analytics import round1
from tests.interop.conftest import FORMULA_NOTE, TRICKY_NOTE, Record

pytestmark = pytest.mark.django_db

HEADER = [
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
]


def _download(client: Any, patient: User) -> bytes:
    response = client.get(f"/api/v1/patients/{patient.pk}/entries.csv")
    assert response.status_code == 200
    assert response.streaming, "the export is streamed, not built in memory"
    assert response["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert response["Content-Disposition"].startswith('attachment; filename="relief-checkins-')
    assert response["Cache-Control"] == "no-store"
    return b"".join(response.streaming_content)


def _frame(body: bytes) -> pd.DataFrame:
    return pd.read_csv(
        io.BytesIO(body),
        dtype={"entry_id": str, "visit_id": str, "notes": str, "bruising": str},
        keep_default_na=False,
        na_values={
            "visit_id": [""],
            "visit_date": [""],
            "day": [""],
            "baseline": [""],
            "day_relief_percent": [""],
        },
    )


def test_rows_as_written(record: Record, client_for) -> None:
    body = _download(client_for(record.patient), record.patient)

    assert body.startswith("\ufeff".encode()), "a BOM, so Excel reads UTF-8"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADER
    assert body.count(b"\r\n") >= len(rows), "RFC 4180 line ends"
    before = record.before
    before.refresh_from_db()
    assert rows[1] == [
        str(before.pk),
        before.felt_at.isoformat().replace("+00:00", "Z"),
        before.recorded_at.isoformat().replace("+00:00", "Z"),
        before.local_date.isoformat(),
        "",
        "",
        "",
        "7",
        "0",
        "none",
        "false",
        "false",
        "false",
        "",
        "",
        "",
    ]
    first_day0 = rows[2]
    assert first_day0[4:] == [
        str(record.first.pk),
        record.first.local_date.isoformat(),
        "0",
        "6",
        "2",
        "none",
        "true",
        "false",
        "false",
        "8.0",
        "37.5",  # day 0: pains 6 and 4, mean 5, baseline 8
        "",
    ]
    # Oldest first; the deleted check-in and the other patient's are not in the file.
    assert len(rows) == 1 + 9
    ids = [row[0] for row in rows[1:]]
    assert str(record.deleted.pk) not in ids
    assert str(record.others_entry.pk) not in ids
    assert b"olive" not in body


def test_formula_in_a_note_is_neutralised_and_other_text_survives(
    record: Record, client_for
) -> None:
    frame = _frame(_download(client_for(record.patient), record.patient))

    notes = list(frame["notes"])
    assert "'" + FORMULA_NOTE in notes
    assert FORMULA_NOTE not in notes
    # Commas, quotes, a line break and non-ASCII go through the quoting unharmed.
    assert TRICKY_NOTE in notes


def test_round_trip_with_pandas_gives_the_recovery_api_numbers(record: Record, client_for) -> None:
    client = client_for(record.physician)
    frame = _frame(_download(client, record.patient))

    for visit in (record.first, record.second):
        api = client.get(f"/api/v1/visits/{visit.pk}/recovery/").json()
        rows = frame.loc[frame["visit_id"] == str(visit.pk)]
        daily = rows.groupby("day").agg(
            pain=("pain", "mean"),
            soreness=("soreness", "mean"),
            entries=("pain", "size"),
            relief=("day_relief_percent", "first"),
            relief_values=("day_relief_percent", "nunique"),
            baseline=("baseline", "first"),
            date=("local_date", "first"),
        )
        from_csv = [
            {
                "day": int(day),
                "date": row.date,
                "pain": round1(row.pain),
                "soreness": round1(row.soreness),
                "relief": round1(row.relief),
                "entries": int(row.entries),
            }
            for day, row in daily.iterrows()
        ]
        from_api = [
            {key: d[key] for key in ("day", "date", "pain", "soreness", "relief", "entries")}
            for d in api["days"]
        ]
        assert from_csv == from_api
        assert set(daily["relief_values"]) == {1}, "one relief per day, on every row of it"
        assert set(rows["baseline"]) == {api["baseline"]}
        # And relief recomputed from the file's own pain and baseline agrees as well.
        recomputed = 100 * (1 - daily["pain"] / daily["baseline"])
        assert [round1(v) for v in recomputed] == [d["relief"] for d in api["days"]]


def test_the_hand_computed_numbers(record: Record, client_for) -> None:
    """Visit 1: baseline 8; visit 2: none recorded, so the mean pain of its 7 days before
    (day 3: 4 and day 5: 2 of visit 1; the deleted 9 does not count) = 3."""
    frame = _frame(_download(client_for(record.patient), record.patient))
    first = frame.loc[frame["visit_id"] == str(record.first.pk)]
    second = frame.loc[frame["visit_id"] == str(record.second.pk)]

    assert list(zip(first["day"], first["day_relief_percent"], strict=True)) == [
        (0, 37.5),
        (0, 37.5),
        (1, 0.0),
        (3, 50.0),
        (5, 75.0),
    ]
    assert set(second["baseline"]) == {3.0}
    assert list(zip(second["day"], second["day_relief_percent"], strict=True)) == [
        (0, -66.7),
        (2, 16.7),
        (2, 16.7),
    ]
    assert list(frame["iced"]) == [False, True, False, False, False, False, False, False, False]
    assert frame["strenuous_activity"].sum() == 1


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1 555 0100", "'+1 555 0100"),
        ("-2 after ice", "'-2 after ice"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("  =cmd|' /C calc'!A0", "'  =cmd|' /C calc'!A0"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("Better today = less pain", "Better today = less pain"),
        ("", ""),
    ],
)
def test_neutralise(text: str, written: str) -> None:
    assert csv_export.neutralise(text) == written


def test_the_stream_comes_in_bounded_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_export, "CHUNK_CHARS", 1000)
    row = SimpleNamespace(
        id="e",
        felt_at=pd.Timestamp("2026-03-01T09:00Z").to_pydatetime(),
        recorded_at=pd.Timestamp("2026-03-01T09:01Z").to_pydatetime(),
        local_date=pd.Timestamp("2026-03-01").date(),
        visit_id="v",
        visit_date=pd.Timestamp("2026-03-01").date(),
        day=0,
        pain=4,
        soreness=3,
        bruising="none",
        iced=False,
        heated=False,
        strenuous_activity=False,
        notes="x" * 50,
        day_pain=4.0,
    )

    chunks = list(csv_export.stream_csv((row for _ in range(500)), {"v": 8.0}))

    assert len(chunks) > 40
    assert max(len(chunk) for chunk in chunks) < 1000 + 200
    lines = "".join(chunks).splitlines()
    assert len(lines) == 501
    assert lines[1].endswith(",8.0,50.0," + "x" * 50)


def test_export_is_an_audited_read(record: Record, client_for) -> None:
    _download(client_for(record.patient), record.patient)

    row = AuditEvent.objects.get(resource="export_csv")
    assert (row.actor, row.action, row.patient, row.outcome) == (
        record.patient,
        "read",
        record.patient,
        "allowed",
    )


@pytest.mark.parametrize("who", ["other_patient", "other_physician"])
def test_someone_elses_check_ins_are_404_audited_as_denied(
    record: Record, client_for, request: pytest.FixtureRequest, who: str
) -> None:
    user = request.getfixturevalue(who)

    response = client_for(user).get(
        f"/api/v1/patients/{record.patient.pk}/entries.csv", HTTP_ACCEPT="text/csv"
    )

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "detail": "Not found."}
    row = AuditEvent.objects.get(resource="export_csv")
    assert (row.actor, row.outcome, row.patient) == (user, "denied", record.patient)


def test_a_patient_with_no_check_ins_gets_the_header_only(patient: User, client_for) -> None:
    body = _download(client_for(patient), patient)

    assert body.decode("utf-8-sig") == ",".join(HEADER) + "\r\n"
