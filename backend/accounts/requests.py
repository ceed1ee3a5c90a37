"""The request type of views that require sign-in."""

from __future__ import annotations

from rest_framework.request import Request

from accounts.models import User


class SignedInRequest(Request):
    """A request past authentication and a permission that requires it: its ``user`` is a
    Relief user, never the anonymous one. Views annotate ``request`` with this type only;
    the object is DRF's own ``Request``."""

    user: User
