from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Installed for its management command (``relief worker``); it has no models."""

    name = "core"
