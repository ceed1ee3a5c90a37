"""Invitation codes a person can read out over the phone, and the sign-up link and QR code
that carry them.

A code is 16 symbols of Crockford's base32 (digits and capitals without I, L, O and U),
80 random bits, shown in groups of four: ``K7QX-M2PD-R9TB-W4HZ``. Typed back, case, dashes
and spaces do not matter, and the look-alikes Crockford maps (O for 0, I and L for 1) are
read as the digits. Codes issued before (``secrets.token_urlsafe``, mixed case) keep
working: whatever does not read as a new code is hashed exactly as before.
"""

from __future__ import annotations

import base64
import io
import secrets
from urllib.parse import quote

import segno

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16  # 16 x 5 bits = 80 bits
GROUP = 4
# Crockford's decoding of the letters people type for digits.
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
ACCEPT_ROUTE = "/#/accept?code="


def code_new() -> str:
    """A fresh code, grouped for reading: ``XXXX-XXXX-XXXX-XXXX``."""
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(symbols[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def code_canonical(text: str) -> str | None:
    """The code's 16 symbols as issued (no dashes, capitals), or None when ``text`` does
    not read as a new-style code (an older code, or a mistake)."""
    squeezed = "".join(text.split()).replace("-", "").upper().translate(_LOOK_ALIKES)
    if len(squeezed) == LENGTH and all(ch in ALPHABET for ch in squeezed):
        return squeezed
    return None


def accept_url(site: str, code: str) -> str:
    """The sign-up link that opens the app on "I have an invitation" with the code filled
    in (``frontend/views/signin.js`` reads ``code`` from the route)."""
    return f"{site.rstrip('/')}{ACCEPT_ROUTE}{quote(code, safe='')}"


def qr_svg_data_uri(text: str) -> str:
    """A QR code of ``text`` as an SVG ``data:`` URI (drawn by segno, offline), for an
    ``<img>``."""
    qr = segno.make(text, error="m", micro=False)
    # A standalone SVG document (with its namespace): an <img> cannot draw the inline form.
    svg = io.BytesIO()
    qr.save(svg, kind="svg", scale=4, border=4, dark="#000", light="#fff", xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.getvalue()).decode("ascii")
