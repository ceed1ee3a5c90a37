"""Development mail: each message a file under ``var/mail/`` plus a line on the console.

The backend ``settings.py`` picks under ``DEBUG`` when ``EMAIL_URL`` is unset, so that a
newcomer running ``make run`` can open the invitation and password-reset mails (and follow
their links) without a mail server.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

logger = logging.getLogger("relief.mail")


class DevMailBackend(BaseEmailBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.directory = Path(settings.EMAIL_DEV_DIR)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
            slug = re.sub(r"[^a-z0-9]+", "-", message.subject.lower()).strip("-")[:40]
            path = self.directory / f"{stamp}-{slug or 'mail'}.eml"
            path.write_bytes(message.message().as_bytes())
            print(f"[mail] to {', '.join(message.to)}: {message.subject!r} -> {path}", flush=True)
        return len(email_messages)
