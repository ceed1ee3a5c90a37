"""Invitation codes read out over the phone: grouped, without look-alikes, accepted however
they are typed; older codes keep working; the sign-up link and its QR code."""

from __future__ import annotations

import base64
import hashlib
import math
import re
import secrets
from datetime import timedelta
from xml.etree import ElementTree

import pytest
import segno
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.invitation_codes import ALPHABET, accept_url, code_canonical, code_new
from accounts.models import CareLink, Invitation, User
from tests.accounts.test_invitations import accept, invite

GROUPED = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}")


def test_a_code_is_16_symbols_of_crockford_base32_in_groups_of_four():
    assert ALPHABET == "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    assert not set("ILOU") & set(ALPHABET)
    codes = [code_new() for _ in range(500)]
    assert all(GROUPED.fullmatch(code) for code in codes)
    symbols = len(codes[0].replace("-", ""))
    assert symbols * math.log2(len(ALPHABET)) >= 80
    assert len(set(codes)) == 500
    # every symbol turns up (a generator stuck on a subset would show here)
    assert set("".join(codes).replace("-", "")) == set(ALPHABET)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("K7QX-M2PD-R9TB-W4HZ", "K7QXM2PDR9TBW4HZ"),
        ("k7qxm2pdr9tbw4hz", "K7QXM2PDR9TBW4HZ"),
        ("  k7qx m2pd  r9tb-w4hz\n", "K7QXM2PDR9TBW4HZ"),
        # Crockford's look-alikes: O is 0, I and L are 1
        ("K7QX-M2PD-R9TB-W4HO", "K7QXM2PDR9TBW4H0"),
        ("i7qx-l2pd-r9tb-w4hz", "17QX12PDR9TBW4HZ"),
    ],
)
def test_a_code_reads_the_same_whatever_the_case_dashes_or_spaces(typed: str, canonical: str):
    assert code_canonical(typed) == canonical


@pytest.mark.parametrize(
    "typed", ["K7QX-M2PD-R9TB", "K7QX-M2PD-R9TB-W4HZ-A", "K7QX-M2PD-R9TB-W4HU", "x" * 24]
)
def test_what_is_not_16_symbols_of_the_alphabet_is_not_a_new_code(typed: str):
    assert code_canonical(typed) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typing",
    [
        lambda code: code.lower(),
        lambda code: code.replace("-", ""),
        lambda code: code.replace("-", " ").lower(),
        lambda code: f"  {code}  ",
    ],
    ids=["lower case", "no dashes", "spaces lower case", "padded"],
)
def test_the_patient_may_type_the_code_any_way(
    physician: User, physician_client: APIClient, typing
):
    code = invite(physician_client)["code"]

    response = accept(typing(code))

    assert response.status_code == 201, response.json()
    user = User.objects.get(email="new.patient@example.org")
    assert CareLink.objects.filter(physician=physician, patient=user).exists()
    assert Invitation.objects.get().accepted_at is not None
    # and only once, however it is typed
    assert accept(code, password="another long passphrase").status_code == 400


@pytest.mark.django_db
def test_a_wrong_symbol_is_still_refused(physician_client: APIClient):
    code = invite(physician_client)["code"]
    wrong = ("1" if code[0] != "1" else "2") + code[1:]
    assert accept(wrong).status_code == 400
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.django_db
def test_a_code_issued_before_still_works(physician: User):
    """Codes issued before this change were ``secrets.token_urlsafe(18)``, stored as the
    hash of the code as typed, and case matters for them."""
    old = secrets.token_urlsafe(18)
    now = timezone.now()
    Invitation.objects.create(
        physician=physician,
        email="old.code@example.org",
        display_name="Otto Old",
        code_hash=hashlib.sha256(old.encode()).hexdigest(),
        created_at=now,
        expires_at=now + timedelta(days=7),
    )
    if old.swapcase() != old:
        assert accept(old.swapcase()).status_code == 400
    response = accept(f" {old} ")
    assert response.status_code == 201, response.json()
    assert User.objects.filter(email="old.code@example.org").exists()


def test_the_link_opens_the_accept_route_with_the_code():
    assert (
        accept_url("https://relief.example.org", "K7QX-M2PD-R9TB-W4HZ")
        == "https://relief.example.org/#/accept?code=K7QX-M2PD-R9TB-W4HZ"
    )
    assert accept_url("https://a.example/", "a&b") == "https://a.example/#/accept?code=a%26b"


@pytest.mark.django_db
@override_settings(PUBLIC_URL="https://relief.example.org")
def test_the_link_uses_public_url_when_set(physician_client: APIClient):
    body = invite(physician_client)
    assert body["accept_url"] == f"https://relief.example.org/#/accept?code={body['code']}"


@pytest.mark.django_db
def test_the_qr_code_is_an_svg_of_the_link(physician_client: APIClient):
    """No QR decoder is installed: this checks that the data URI is an SVG, and that its
    size is the one segno gives the QR symbol of ``accept_url`` (version, border, scale),
    not that a phone reads it."""
    body = invite(physician_client)

    prefix = "data:image/svg+xml;base64,"
    assert body["qr_svg"].startswith(prefix)
    svg = ElementTree.fromstring(base64.b64decode(body["qr_svg"][len(prefix) :]))
    assert svg.tag.endswith("svg")
    qr = segno.make(body["accept_url"], error="m", micro=False)
    side = qr.symbol_size(scale=4, border=4)
    assert (float(svg.get("width")), float(svg.get("height"))) == tuple(map(float, side))
    assert svg.findall(".//{http://www.w3.org/2000/svg}path")  # the dark modules
