from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo clinic for `make run`: no models, the top of the house (it uses every app's
    services, and no app uses it)."""

    name = "demo"
