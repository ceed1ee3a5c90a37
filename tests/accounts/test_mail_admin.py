"""The operator sees what became of each mail in /admin/, never its body (a code or link)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.mail import mail_send
from accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_the_admin_lists_mail_status_without_the_body():
    staff = User.objects.create_superuser(
        email="ops@relief.example", password="a long and private passphrase", role=Role.PHYSICIAN
    )
    mail = mail_send(
        to="nia@example.org",
        subject="Reset your Relief password",
        body="Your link: https://relief.example/#/reset?token=SECRET-TOKEN-123",
        discard_after=timezone.now() + timedelta(minutes=30),
    )
    client = Client()
    client.force_login(staff)

    listing = client.get("/admin/accounts/outboundmail/")
    detail = client.get(f"/admin/accounts/outboundmail/{mail.pk}/change/")

    assert listing.status_code == 200 and detail.status_code == 200
    page = listing.content.decode()
    assert "nia@example.org" in page and "Reset your Relief password" in page
    assert "Not tried yet" in page
    assert "SECRET-TOKEN-123" not in page + detail.content.decode()
    assert client.post(f"/admin/accounts/outboundmail/{mail.pk}/delete/").status_code == 403
    assert client.get("/admin/accounts/outboundmail/add/").status_code == 403
