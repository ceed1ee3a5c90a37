"""Check-ins API: patients write their own (idempotently, with versions); physicians read."""

from __future__ import annotations

import re
import uuid
from typing import Any, cast

from django.db import transaction
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from accounts.requests import SignedInRequest
from audit.api_support import AuditedApiMixin
from audit.context import AuditContext
from audit.models import AuditEvent
from audit.services import audit_record
from core.api import (
    INT_MAX,
    INT_PATTERN,
    INT_QUERY_SCHEMA,
    IsPatient,
    Pagination,
    ReadOrPatient,
    query_int,
    reject_empty_params,
)
from core.exceptions import flatten_errors
from core.schema import ErrorSerializer
from diary.actions.delete import entry_delete
from diary.actions.outcome import EntryConflict, EntryGone, EntryNotFound, Outcome
from diary.actions.save import entry_save
from diary.actions.sync import SyncItem, SyncResult, entries_sync
from diary.filters import EntryFilter
from diary.models import CONTENT_FIELDS, Entry
from diary.selectors import (
    entries_visible_to,
    entry_dict,
    entry_dicts,
    entry_owner,
    entry_values,
)
from diary.serializers import (
    EntryConflictSerializer,
    EntryEditSerializer,
    EntryPatchSerializer,
    EntrySerializer,
    EntrySyncItemSerializer,
    EntrySyncRequestSerializer,
    EntrySyncResponseSerializer,
    quick_entry_item,
)

# An entity tag (strong "3" or weak W/"3") or, as clients have sent it, the bare number.
# Plain groups only: the pattern is ECMA-262 for the schema and Python for the server.
IF_MATCH_PATTERN = f'^(?:(?:W/)?"({INT_PATTERN})"|({INT_PATTERN}))$'
_IF_MATCH = re.compile(IF_MATCH_PATTERN)
IF_MATCH = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": IF_MATCH_PATTERN},
    OpenApiParameter.HEADER,
    required=False,
    description='The entry version being edited as its ETag, e.g. "3" or W/"3" (alternative '
    f"to the body field): a whole number from 1 to {INT_MAX}.",
)
CONFLICTS = {
    409: OpenApiResponse(EntryConflictSerializer, description="The id holds other content."),
    412: OpenApiResponse(EntryConflictSerializer, description="Stale version."),
}


def _etag(entry: Entry) -> str:
    return f'"{entry.version}"'


NO_VERSION = 0  # no entry ever has it (versions start at 1)


def _expected_version(request: SignedInRequest, body_version: int | None) -> int | None:
    header = request.headers.get("If-Match")
    if header is None:
        return body_version
    # One expression, the one the schema documents: a bounded version as an ETag.
    found = _IF_MATCH.fullmatch(header.strip())
    if found is None:
        raise serializers.ValidationError(
            {
                "version": [
                    _("If-Match must be a version number from 1 to %(maximum)d.")
                    % {"maximum": INT_MAX}
                ]
            }
        )
    version = int(found.group(1) or found.group(2))
    if body_version is not None and body_version != version:
        # Both are well formed, so the request is too (a schema cannot tie a header to a
        # body field); they cannot both be current, so it is a stale precondition: 412 for
        # a stored entry, 404 for an unknown id, as with any version that matches nothing.
        return NO_VERSION
    return version


def _conflict(exc: EntryConflict | EntryGone) -> Response:
    entry = exc.entry
    if isinstance(exc, EntryGone):
        code, detail, status_code = "entry_deleted", _("This check-in was deleted."), 409
        body = {"code": code, "detail": detail, "version": entry.version}
    else:
        if exc.stale:
            status_code, code = 412, "version_mismatch"
            detail = _("This check-in was changed elsewhere. Reload it and try again.")
        else:
            status_code, code = 409, "conflict"
            detail = _("A different check-in with this id exists. Send its version to edit it.")
        body = {
            "code": code,
            "detail": detail,
            "version": entry.version,
            "entry": EntrySerializer(entry).data,
        }
    response = Response(body, status=status_code)
    response["ETag"] = _etag(entry)
    return response


class EntryWriteMixin(AuditedApiMixin):
    audit_resource = "entry"

    def _save(
        self, request: SignedInRequest, entry_id: uuid.UUID, data: dict[str, Any]
    ) -> Response:
        expected = _expected_version(request, data.pop("version", None))
        try:
            entry, created = entry_save(
                patient=request.user,
                entry_id=entry_id,
                data=data,
                expected_version=expected,
                audit=AuditContext.from_request(request),
            )
        except EntryNotFound:
            self.not_found(entry_owner(entry_id))
        except (EntryConflict, EntryGone) as exc:
            return _conflict(exc)
        response = Response(
            entry_dict(entry), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
        response["ETag"] = _etag(entry)
        return response


@extend_schema(tags=["entries"])
class EntryListApi(EntryWriteMixin, GenericAPIView):
    permission_classes = (ReadOrPatient,)
    serializer_class = EntrySerializer
    pagination_class = Pagination
    filter_backends = (DjangoFilterBackend,)
    filterset_class = EntryFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Entry.objects.none()
        user = cast("SignedInRequest", self.request).user
        return entries_visible_to(user).order_by("-felt_at", "-recorded_at", "id")

    def filter_queryset(self, queryset):  # type: ignore[no-untyped-def]
        # With no filter parameter the filter set would apply nothing; skip building it.
        if not self.request.query_params.keys() & EntryFilter.base_filters.keys():
            return queryset
        return super().filter_queryset(queryset)

    @extend_schema(responses={200: EntrySerializer(many=True)})
    def get(self, request: SignedInRequest) -> Response:
        reject_empty_params(request, ("from", "to", "visit", "patient"))
        entries = entry_values(self.filter_queryset(self.get_queryset()))
        with transaction.atomic():
            page = entry_dicts(self.paginate_queryset(entries) or [])
            audit_record(
                audit=AuditContext.from_request(request),
                action=AuditEvent.Action.LIST,
                resource=self.audit_resource,
                patient_ids=[row["patient"] for row in page],
            )
        return self.get_paginated_response(page)

    @extend_schema(
        responses={
            201: EntrySerializer,
            200: EntrySerializer,
            **CONFLICTS,
            404: OpenApiResponse(ErrorSerializer, description="The id is someone else's."),
        },
        parameters=[IF_MATCH],
    )
    def post(self, request: SignedInRequest) -> Response:
        """Create a check-in. With a client-chosen ``id`` a retry returns the stored entry."""
        serializer = EntrySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        return self._save(request, data.pop("id", None) or uuid.uuid4(), data)


@extend_schema(tags=["entries"])
class EntryDetailApi(EntryWriteMixin, GenericAPIView):
    permission_classes = (ReadOrPatient,)
    serializer_class = EntrySerializer

    def get(self, request: SignedInRequest, pk: uuid.UUID) -> Response:
        entry = self.audited_read(entries_visible_to(request.user), pk, owner=entry_owner)
        response = Response(entry_dict(entry))
        response["ETag"] = _etag(entry)
        return response

    @extend_schema(
        request=EntryEditSerializer,
        responses={201: EntrySerializer, 200: EntrySerializer, **CONFLICTS},
        parameters=[IF_MATCH],
    )
    def put(self, request: SignedInRequest, pk: uuid.UUID) -> Response:
        """Create with this id (201), replay (200), or edit with the current version."""
        body = request.data
        # The quick check is the batch's (id in the body); the URL's id stands in when the
        # body has none. Anything it does not recognise goes to the serializer.
        data = quick_entry_item({"id": str(pk), **body}) if type(body) is dict else None
        if data is None:
            serializer = EntrySerializer(data=body)
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
        if data.pop("id", pk) != pk:
            raise serializers.ValidationError({"id": [_("Does not match the id in the URL.")]})
        return self._save(request, pk, data)

    @extend_schema(
        request=EntryPatchSerializer,
        responses={200: EntrySerializer, **CONFLICTS},
        parameters=[IF_MATCH],
    )
    def patch(self, request: SignedInRequest, pk: uuid.UUID) -> Response:
        """Change some fields of an entry; the current version is required."""
        serializer = EntrySerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.pop("id", pk) != pk:
            raise serializers.ValidationError({"id": [_("Does not match the id in the URL.")]})
        if _expected_version(request, data.get("version")) is None:
            raise serializers.ValidationError(
                {"version": [_("Required to edit (or send If-Match).")]}
            )
        current = self.scoped_get(entries_visible_to(request.user), pk, owner=entry_owner)
        merged = {name: data.get(name, getattr(current, name)) for name in CONTENT_FIELDS}
        merged["version"] = data.get("version")
        return self._save(request, pk, merged)

    @extend_schema(
        responses={204: None, 412: CONFLICTS[412]},
        parameters=[
            IF_MATCH,
            OpenApiParameter("version", INT_QUERY_SCHEMA, OpenApiParameter.QUERY, required=False),
        ],
    )
    def delete(self, request: SignedInRequest, pk: uuid.UUID) -> Response:
        """Delete a check-in (kept as history). A given version must be current."""
        raw = request.query_params.get("version")
        expected = _expected_version(
            request, None if raw is None else query_int(raw, field="version")
        )
        try:
            entry_delete(
                patient=request.user,
                entry_id=pk,
                expected_version=expected,
                audit=AuditContext.from_request(request),
            )
        except EntryNotFound:
            self.not_found(entry_owner(pk))
        except (EntryConflict, EntryGone) as exc:
            if isinstance(exc, EntryGone):
                self.not_found(None)
            return _conflict(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _sync_result(result: SyncResult) -> dict[str, Any]:
    body: dict[str, Any] = {"id": str(result.id), "status": result.status}
    if result.entry is not None:
        body["version"] = result.entry.version
        if result.status in (Outcome.CONFLICT, Outcome.VERSION_MISMATCH):
            body["entry"] = EntrySerializer(result.entry).data
    if result.fields is not None:
        body["fields"] = result.fields
    return body


def _invalid(raw: Any, fields: dict[str, list[str]]) -> dict[str, Any]:
    # The id is echoed only as the client sent it, so it can match the result to its item.
    raw_id = raw.get("id") if isinstance(raw, dict) else None
    return {
        "id": raw_id if isinstance(raw_id, str) else None,
        "status": Outcome.INVALID,
        "fields": fields,
    }


@extend_schema(tags=["entries"])
class EntrySyncApi(AuditedApiMixin, GenericAPIView):
    """A phone's outbox in one request: each entry saved as PUT /entries/{id}/ would."""

    audit_resource = "entry"
    permission_classes = (IsPatient,)
    serializer_class = EntrySyncRequestSerializer

    @extend_schema(
        request=EntrySyncRequestSerializer,
        responses={200: EntrySyncResponseSerializer},
    )
    def post(self, request: SignedInRequest) -> Response:
        """Create, replay or edit up to 500 check-ins in one transaction.

        The result for each entry, in request order, is what a PUT of it would have
        answered: ``created`` (201), ``unchanged``/``updated`` (200), ``conflict`` (409,
        with the stored entry), ``version_mismatch`` (412, with the stored entry),
        ``deleted`` (409 entry_deleted), ``not_found`` (404: another patient's id, or a
        version for an unknown id) or ``invalid`` (400, with ``fields`` named as in error
        responses). An invalid entry does not stop the others; an id repeated in the batch
        is invalid after its first use. Only a body that is not ``{"entries": [...]}`` or
        holds more than 500 entries is refused as a whole (400 naming ``entries``).
        """
        batch = EntrySyncRequestSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        raw_items = batch.validated_data["entries"]
        results: list[dict[str, Any] | None] = [None] * len(raw_items)
        items: list[SyncItem] = []
        positions: list[int] = []
        seen: set[uuid.UUID] = set()
        checker = EntrySyncItemSerializer()  # fields are built once, not once per entry
        for index, raw in enumerate(raw_items):
            # An ordinary valid check-in is recognised without DRF's per-field machinery;
            # anything else goes through the serializer, which words the errors.
            data = quick_entry_item(raw)
            checked = data is not None
            if data is None:
                try:
                    data = dict(checker.run_validation(raw))
                except serializers.ValidationError as exc:
                    results[index] = _invalid(raw, flatten_errors(exc.detail))
                    continue
            entry_id = data.pop("id")
            if entry_id in seen:
                results[index] = _invalid(raw, {"id": [_("Appears more than once in this batch.")]})
                continue
            seen.add(entry_id)
            version = data.pop("version", None)
            items.append(SyncItem(id=entry_id, data=data, version=version, checked=checked))
            positions.append(index)
        outcomes = entries_sync(
            patient=request.user, items=items, audit=AuditContext.from_request(request)
        )
        for index, outcome in zip(positions, outcomes, strict=True):
            results[index] = _sync_result(outcome)
        return Response({"results": results})
