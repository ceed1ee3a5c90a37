"""``quick_entry_item`` must never answer differently from the serializer it stands in for."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from diary.actions.outcome import clean
from diary.models import Entry
from diary.serializers import EntrySerializer, EntrySyncItemSerializer, quick_entry_item

NOW = datetime.now(UTC)
stamps = st.one_of(
    st.datetimes(
        min_value=datetime(1999, 12, 30),  # noqa: DTZ001 (hypothesis wants naive bounds)
        max_value=(NOW + timedelta(minutes=20)).replace(tzinfo=None),
    ).map(lambda d: d.replace(tzinfo=UTC).isoformat()),
    st.sampled_from(["2026-03-04T09:30:00Z", "2026-03-04T09:30:00+02:00", "2026-03-04T09:30:00",
                     "2026-03-04 09:30:00-05:00", "2026-03-04", "yesterday", " 2026-03-04T09:30Z",
                     "2026-03-04T09:30:00.123456z", "2026-13-04T09:30:00Z", "0001-01-01T00:00:00Z"]),
)  # fmt: skip
anything = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 14), st.floats(), st.text(max_size=5)
)
values = {
    "id": st.one_of(st.uuids().map(str), st.uuids().map(lambda u: u.hex), st.just("not-a-uuid"),
                    st.uuids().map(lambda u: "{" + str(u) + "}"), anything),
    "felt_at": st.one_of(stamps, anything),
    "pain": st.one_of(st.integers(0, 10), anything),
    "soreness": st.one_of(st.integers(0, 10), anything),
    "bruising": st.one_of(st.sampled_from(["none", "small", "large", "huge", "", "None"]), anything),
    "iced": st.one_of(st.booleans(), anything),
    "heated": st.one_of(st.booleans(), anything),
    "strenuous_activity": st.one_of(st.booleans(), anything),
    "notes": st.one_of(st.text(max_size=20), st.just("a\x00b"), st.just("x" * 5001),
                       st.just("ok \ud800"), st.just("  spaced  "), anything),
    "version": st.one_of(st.integers(-1, 3), anything),
    "local_date": st.just("2026-03-04"),
    "unexpected": st.just(1),
}  # fmt: skip
required = ("id", "felt_at", "pain", "soreness")
items = st.one_of(
    st.fixed_dictionaries(
        {k: values[k] for k in required},
        optional={k: v for k, v in values.items() if k not in required},
    ),
    st.dictionaries(st.sampled_from(sorted(values)), anything, max_size=4),
    anything,
    st.lists(st.integers(), max_size=2),
)


def serializer_answer(raw: object, checker_class: type = EntrySyncItemSerializer) -> dict | None:
    checker = checker_class()
    try:
        return dict(checker.run_validation(raw))
    except Exception:
        return None


@settings(max_examples=1500, deadline=None)
@given(items)
def test_quick_check_accepts_only_what_the_serializer_accepts_with_equal_values(raw: object):
    quick = quick_entry_item(raw)
    if quick is not None:
        assert quick == serializer_answer(raw)
        # PUT uses it too, the URL's id in the body: the same as EntrySerializer's answer.
        assert quick == serializer_answer(raw, EntrySerializer)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {"id": st.uuids().map(str), "felt_at": stamps, "pain": st.integers(0, 10),
         "soreness": st.integers(0, 10)},
        optional={"bruising": st.sampled_from(["none", "small", "large"]), "iced": st.booleans(),
                  "notes": st.text(max_size=50), "version": st.integers(1, 5)},
    )
)  # fmt: skip
def test_ordinary_valid_items_take_the_quick_path_and_pass_model_validation(raw: dict):
    expected = serializer_answer(raw)
    quick = quick_entry_item(raw)
    assert quick == expected  # both None (e.g. a date out of range) or both the same data
    if quick is not None:
        entry = Entry(id=quick["id"], patient_id=uuid.uuid4(), local_date=quick["felt_at"].date())
        for name in ("felt_at", "pain", "soreness", "bruising", "iced", "heated",
                     "strenuous_activity", "notes"):  # fmt: skip
            setattr(entry, name, quick[name])
        clean(entry)  # what the quick path lets the batch skip must hold anyway
