"""Which push endpoints the server will POST to.

A subscription's endpoint is an address the browser's push service gave it, and the server
later sends requests there on its own: so it must be https, at a push service this server
knows (``PUSH_SERVICE_HOSTS``), never an address a client made up (an internal service, a
port scan one reminder at a time). Plain http to this machine is allowed only where
``PUSH_ALLOW_LOCAL_HTTP`` is set (development, and the tests' own push service).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def host_allowed(host: str, patterns: list[str]) -> bool:
    host = host.lower().rstrip(".")
    for pattern in patterns:
        pattern = pattern.lower().strip()
        if pattern == "*" or host == pattern:
            return True
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
    return False


def endpoint_problem(endpoint: str) -> str | None:
    """Why the server will not send to ``endpoint``, or None when it will."""
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        return _("Enter a valid URL.")
    if parts.username is not None or parts.password is not None or not host:
        return _("Enter a valid URL.")
    if parts.scheme == "http" and host in LOCAL_HOSTS and settings.PUSH_ALLOW_LOCAL_HTTP:
        return None
    if parts.scheme != "https":
        return _("Must be an https:// address.")
    if not host_allowed(host, settings.PUSH_SERVICE_HOSTS):
        return _("Not a push service this server sends to.")
    return None
