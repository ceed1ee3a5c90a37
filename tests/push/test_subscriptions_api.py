"""The push API: the server's key, and a patient's phone subscribing and unsubscribing."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from accounts.models import User
from push.models import PushSubscription
from push.services import MAX_SUBSCRIPTIONS_PER_USER
from tests.push.push_service import PushService

pytestmark = pytest.mark.django_db

URL = "/api/v1/push/subscriptions/"
FCM = "https://fcm.googleapis.com/fcm/send/dGVzdC1lbmRwb2ludA:APA91bH"
# A valid P-256 public key and auth secret (base64url), as a browser sends them.
P256DH = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
AUTH = "tBHItJI5svbpez7KI4CCXg"
BODY = {"endpoint": FCM, "keys": {"p256dh": P256DH, "auth": AUTH}}


def _delete_url(endpoint: str) -> str:
    return f"{URL}?{urlencode({'endpoint': endpoint})}"


def _row(sub: PushSubscription) -> tuple[Any, ...]:
    return (sub.user_id, sub.endpoint, sub.p256dh, sub.auth, sub.last_used_at)


# --- the key --------------------------------------------------------------------------------


def test_signed_in_users_get_the_application_server_key(
    push_on: str, patient_client: Any, physician_client: Any
) -> None:
    for client in (patient_client, physician_client):
        response = client.get("/api/v1/push/key/")
        assert (response.status_code, response.json()) == (200, {"public_key": push_on})
    assert len(push_on) == 87  # a 65-byte uncompressed point


def test_the_key_needs_a_sign_in(push_on: str, anon_client: Any) -> None:
    response = anon_client.get("/api/v1/push/key/")
    assert (response.status_code, response.json()) == (
        401,
        {"code": "not_authenticated", "detail": "Authentication credentials were not provided."},
    )


# --- subscribing ----------------------------------------------------------------------------


def test_a_patient_subscribes_once_per_endpoint(patient_client: Any, patient: User) -> None:
    before = timezone.now()
    first = patient_client.post(URL, BODY, format="json")
    assert first.status_code == 201
    row = PushSubscription.objects.get()
    assert first.json() == {
        "endpoint": FCM,
        "created_at": row.created_at.isoformat().replace("+00:00", "Z"),
    }
    assert _row(row) == (patient.pk, FCM, P256DH, AUTH, None)
    assert row.created_at >= before

    # The app posts it again (each time notifications are turned on): same row, 200.
    again = patient_client.post(URL, BODY, format="json")
    assert (again.status_code, again.json()) == (200, first.json())
    assert PushSubscription.objects.count() == 1


def test_new_keys_for_the_same_endpoint_replace_the_old(patient_client: Any) -> None:
    patient_client.post(URL, BODY, format="json")
    new_auth = "AAAAAAAAAAAAAAAAAAAAAA=="  # padded base64url is accepted, stored unpadded
    response = patient_client.post(
        URL, {**BODY, "keys": {"p256dh": P256DH, "auth": new_auth}}, format="json"
    )
    assert response.status_code == 200
    assert PushSubscription.objects.get().auth == "AAAAAAAAAAAAAAAAAAAAAA"


def test_an_endpoint_held_by_another_user_moves_to_the_one_who_subscribes(
    client_for: Any, patient: User, other_patient: User
) -> None:
    """A shared phone: whoever turns notifications on last gets them."""
    client_for(other_patient).post(URL, BODY, format="json")
    PushSubscription.objects.update(last_used_at=timezone.now())

    response = client_for(patient).post(URL, BODY, format="json")

    assert response.status_code == 201
    assert [_row(s) for s in PushSubscription.objects.all()] == [
        (patient.pk, FCM, P256DH, AUTH, None)
    ]


def test_a_patient_keeps_their_newest_subscriptions(patient_client: Any, patient: User) -> None:
    for n in range(MAX_SUBSCRIPTIONS_PER_USER + 1):
        response = patient_client.post(URL, {**BODY, "endpoint": f"{FCM}-{n}"}, format="json")
        assert response.status_code == 201
    kept = set(PushSubscription.objects.filter(user=patient).values_list("endpoint", flat=True))
    assert kept == {f"{FCM}-{n}" for n in range(1, MAX_SUBSCRIPTIONS_PER_USER + 1)}


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABl",
        "https://web.push.apple.com/QGuQyavXutnMH5-9wmo",
        "https://wns2-by3p.notify.windows.com/w/?token=BQYAAAD",
    ],
)
def test_the_browsers_push_services_are_accepted(patient_client: Any, endpoint: str) -> None:
    response = patient_client.post(URL, {**BODY, "endpoint": endpoint}, format="json")
    assert response.status_code == 201, response.content


NOT_ON_CURVE = "B" + "A" * 86  # 65 bytes that are no point of P-256


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {**BODY, "endpoint": "http://fcm.googleapis.com/fcm/send/x"},
            {"endpoint": ["Must be an https:// address."]},
        ),
        (
            {**BODY, "endpoint": "https://169.254.169.254/latest/meta-data"},
            {"endpoint": ["Not a push service this server sends to."]},
        ),
        (
            {**BODY, "endpoint": "https://fcm.googleapis.com.evil.example/x"},
            {"endpoint": ["Not a push service this server sends to."]},
        ),
        (
            {**BODY, "endpoint": "http://127.0.0.1:8000/push/x"},
            {"endpoint": ["Must be an https:// address."]},
        ),
        (
            {**BODY, "endpoint": "https://user:pw@fcm.googleapis.com/x"},
            {"endpoint": ["Enter a valid URL."]},
        ),
        (
            {**BODY, "endpoint": FCM + "x" * (2049 - len(FCM))},
            {"endpoint": ["Ensure this field has no more than 2048 characters."]},
        ),
        (
            {**BODY, "keys": {"p256dh": P256DH[:-1], "auth": AUTH}},
            {"keys.p256dh": ["Must be 65 bytes in base64url."]},
        ),
        (
            {**BODY, "keys": {"p256dh": P256DH, "auth": AUTH + "+/"}},
            {"keys.auth": ["Must be 16 bytes in base64url."]},
        ),
        (
            {**BODY, "keys": {"p256dh": NOT_ON_CURVE, "auth": AUTH}},
            {"keys.p256dh": ["Not a P-256 public key."]},
        ),
        ({"endpoint": FCM}, {"keys": ["This field is required."]}),
        ({**BODY, "expirationTime": None}, {"expirationTime": ["Unknown field."]}),
    ],
)
def test_a_malformed_subscription_is_refused_naming_the_field(
    patient_client: Any, body: dict[str, Any], fields: dict[str, list[str]]
) -> None:
    response = patient_client.post(URL, body, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {
            "code": "validation_error",
            "detail": f"Invalid input: {', '.join(fields)}.",
            "fields": fields,
        },
    )
    assert not PushSubscription.objects.exists()


def test_local_http_endpoints_only_where_allowed(
    settings: Any, patient_client: Any, push_service: PushService
) -> None:
    settings.PUSH_ALLOW_LOCAL_HTTP = True
    phone = push_service.phone("phone")
    response = patient_client.post(URL, phone.subscription_json(), format="json")
    assert response.status_code == 201
    assert PushSubscription.objects.get().endpoint == phone.endpoint


def test_physicians_do_not_subscribe(physician_client: Any) -> None:
    response = physician_client.post(URL, BODY, format="json")
    assert (response.status_code, response.json()) == (
        403,
        {"code": "permission_denied", "detail": "Only patients may do this."},
    )
    assert not PushSubscription.objects.exists()


def test_subscribing_needs_a_sign_in(anon_client: Any) -> None:
    assert anon_client.post(URL, BODY, format="json").status_code == 401
    assert anon_client.delete(_delete_url(FCM)).status_code == 401
    assert not PushSubscription.objects.exists()


# --- unsubscribing --------------------------------------------------------------------------


def test_a_patient_unsubscribes_their_own_endpoint(patient_client: Any) -> None:
    patient_client.post(URL, BODY, format="json")
    response = patient_client.delete(_delete_url(FCM))
    assert (response.status_code, response.content) == (204, b"")
    assert not PushSubscription.objects.exists()

    again = patient_client.delete(_delete_url(FCM))
    assert (again.status_code, again.json()) == (
        404,
        {
            "code": "not_found",
            "detail": "No such subscription of yours.",
            "fields": {"endpoint": ["No such subscription of yours."]},
        },
    )


def test_nobody_unsubscribes_someone_elses_endpoint(
    client_for: Any, patient: User, other_patient: User, physician: User
) -> None:
    client_for(other_patient).post(URL, BODY, format="json")
    response = client_for(patient).delete(_delete_url(FCM))
    assert response.status_code == 404
    assert client_for(physician).delete(_delete_url(FCM)).status_code == 403
    assert [s.user_id for s in PushSubscription.objects.all()] == [other_patient.pk]


def test_unsubscribing_names_the_endpoint(patient_client: Any) -> None:
    response = patient_client.delete(URL)
    assert (response.status_code, response.json()["fields"]) == (
        400,
        {"endpoint": ["Give the subscription's endpoint (at most 2048 characters)."]},
    )
