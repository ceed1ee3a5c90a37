"""One-time secrets (invitation codes, report links) are stored only as their digest."""

from __future__ import annotations

import hashlib


def secret_digest(secret: str) -> str:
    """The SHA-256 hex digest kept in place of a one-time secret: enough to recognise the
    secret when it comes back, useless to anyone who reads the table."""
    return hashlib.sha256(secret.encode()).hexdigest()
