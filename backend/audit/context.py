"""Who is acting, from where, in which request: what an audit row records besides the
access itself. Services take one of these instead of the HTTP request, so the same service
runs from a view, a management command or a background task."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Any

from rest_framework.throttling import BaseThrottle


@dataclass(frozen=True)
class AuditContext:
    actor: Any = None  # the signed-in user, or None (anonymous, or the system itself)
    request_id: uuid.UUID = field(default_factory=uuid.uuid4)
    client_request_id: str = ""  # the caller's X-Request-ID, already checked (core.request_id)
    client_address: str | None = None

    @classmethod
    def from_request(cls, request: Any) -> AuditContext:
        """The context of an HTTP request (a DRF ``Request`` or Django's ``HttpRequest``)."""
        actor = getattr(request, "user", None)
        if actor is not None and not getattr(actor, "is_authenticated", False):
            actor = None
        return cls(
            actor=actor,
            request_id=_request_attr(request, "request_id") or uuid.uuid4(),
            client_request_id=_request_attr(request, "client_request_id") or "",
            client_address=_client_address(request),
        )

    @classmethod
    def system(cls, actor: Any = None) -> AuditContext:
        """Work done by a command, a task or the demo seeding, on behalf of ``actor``."""
        return cls(actor=actor)


def _request_attr(request: Any, name: str) -> Any:
    # A DRF Request proxies attributes to Django's, but tests and scripts pass either.
    return getattr(request, name, None) or getattr(getattr(request, "_request", None), name, None)


def _client_address(request: Any) -> str | None:
    """Recorded only when it is an address: behind proxies (NUM_PROXIES) it comes from
    X-Forwarded-For, which a client can fill with anything, and the column is ``inet``."""
    try:
        parsed = ip_address(BaseThrottle().get_ident(request))
    except Exception:  # no address, not an address, or no META (scripts, tests)
        return None
    # An IPv6 zone ("fe80::1%eth0") parses but is not an inet value.
    return None if getattr(parsed, "scope_id", None) else str(parsed)
