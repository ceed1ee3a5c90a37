"""The clinic behind this deployment: its name and phone number, from the settings
``CLINIC_NAME`` and ``CLINIC_PHONE`` (checked at start-up). Patients see the number beside
the urgent aftercare advice as a tap-to-call link; visit reports print it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Clinic:
    name: str
    phone: str

    @property
    def tel_uri(self) -> str:
        """``tel:+442079460000`` for "+44 20 7946 0000" (RFC 3966: digits and a leading
        plus, no spaces); empty when there is no number."""
        digits = re.sub(r"[^\d+]", "", self.phone)
        return f"tel:{digits}" if digits else ""


def clinic_info() -> Clinic:
    return Clinic(name=settings.CLINIC_NAME, phone=settings.CLINIC_PHONE)
