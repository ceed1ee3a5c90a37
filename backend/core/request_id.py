from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

CLIENT_REQUEST_ID_MAX = 64


def client_request_id(value: str) -> str:
    """A caller's X-Request-ID as it may be stored: printable ASCII (space to ``~``), at
    most 64 characters; anything else (control characters, other scripts, a longer value)
    is dropped, not cut or cleaned, so what is stored is exactly what was sent."""
    if 0 < len(value) <= CLIENT_REQUEST_ID_MAX and all(" " <= ch <= "~" for ch in value):
        return value
    return ""


class RequestIdMiddleware:
    """Give every request the server's own id (logs, audit rows, the X-Request-ID answer).

    A caller's X-Request-ID never becomes that id: anyone can send any value, including
    another request's id. It is kept beside it (``request.client_request_id``, the audit
    row's ``client_request_id``) when it passes ``client_request_id``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4()
        request.request_id = request_id  # type: ignore[attr-defined]
        request.client_request_id = client_request_id(  # type: ignore[attr-defined]
            request.headers.get("X-Request-ID", "")
        )
        response = self.get_response(request)
        response["X-Request-ID"] = str(request_id)
        return response
