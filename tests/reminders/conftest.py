"""A real SMTP server (aiosmtpd on a free port) for the reminder tests that read mail back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.worker import Inbox, smtp_inbox


@pytest.fixture
def inbox(settings: Any) -> Iterator[tuple[Inbox, int]]:
    """A listening SMTP server, and this process's mail settings pointed at it (a worker
    process gets it through ``tests.worker.start_worker(smtp_port=…)``)."""
    with smtp_inbox() as (handler, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5.0
        yield handler, port
