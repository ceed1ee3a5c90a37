"""The account's language (#18): read and changed on ``me``, chosen at sign-up (or taken from
the invitation, or from Accept-Language), and the language every API answer speaks: the
signed-in user's, whatever the request's Accept-Language; an anonymous request's
Accept-Language."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import Invitation, User
from tests.accounts.helpers import ME_URL, TOKEN_URL, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ACCEPT = "/api/v1/invitations/accept/"
INVITATIONS = "/api/v1/invitations/"
SIGN_UP_PASSWORD = "a long and private passphrase"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def me_body(user: User, **changes: Any) -> dict[str, Any]:
    return {
        "id": str(user.pk),
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "timezone": user.timezone,
        "language": user.language,
        **changes,
    }


def signed_in(user: User, **headers: str) -> APIClient:
    """A client with a real access token (the language is the authenticated user's)."""
    access = sign_in(user.email, PASSWORD)["access"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}", **headers)
    return client


# --- me -----------------------------------------------------------------------------------


def test_me_shows_the_language_english_by_default(patient: User):
    response = signed_in(patient).get(ME_URL)

    assert (response.status_code, response.json()) == (200, me_body(patient, language="en"))
    assert response["Content-Language"] == "en"
    assert "Accept-Language" in response["Vary"]


def test_a_patient_switches_to_spanish_and_the_answer_already_speaks_it(patient: User):
    client = signed_in(patient, HTTP_ACCEPT_LANGUAGE="en")

    response = client.patch(ME_URL, {"language": "es"}, format="json")

    assert (response.status_code, response.json()) == (200, me_body(patient, language="es"))
    assert response["Content-Language"] == "es"
    assert User.objects.get(pk=patient.pk).language == "es"
    again = client.get(ME_URL)
    assert (again.json()["language"], again["Content-Language"]) == ("es", "es")


def test_back_to_english(patient: User):
    User.objects.filter(pk=patient.pk).update(language="es")
    client = signed_in(patient)

    response = client.patch(ME_URL, {"language": "en"}, format="json")

    assert (response.status_code, response.json()) == (200, me_body(patient, language="en"))
    assert response["Content-Language"] == "en"
    assert User.objects.get(pk=patient.pk).language == "en"


@pytest.mark.parametrize("value", ["fr", "ES", "es-US", "", None, 3])
def test_a_language_relief_does_not_speak_is_a_400_naming_the_field(patient: User, value: Any):
    response = signed_in(patient).patch(ME_URL, {"language": value}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert (body["code"], list(body["fields"])) == ("validation_error", ["language"])
    assert User.objects.get(pk=patient.pk).language == "en"


def test_a_bad_language_in_spanish_is_refused_in_spanish(patient: User):
    """DRF's own choice message, in its own Spanish catalog, with the field's name."""
    User.objects.filter(pk=patient.pk).update(language="es")

    response = signed_in(patient).patch(ME_URL, {"language": "fr"}, format="json")

    assert (response.status_code, response.json()) == (
        400,
        {
            "code": "validation_error",
            "detail": "Datos no válidos: language.",
            "fields": {"language": ['"fr" no es una elección válida.']},
        },
    )


# --- the language of an answer -------------------------------------------------------------


def test_a_spanish_users_errors_are_spanish_even_when_the_request_asks_for_english(
    patient: User, physician: User
):
    """The user's language beats Accept-Language: a patient may not record a visit (403)."""
    User.objects.filter(pk=patient.pk).update(language="es")
    client = signed_in(patient, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    response = client.post("/api/v1/visits/", {}, format="json")

    assert (response.status_code, response.json()) == (
        403,
        {"code": "permission_denied", "detail": "Solo los médicos pueden hacer esto."},
    )
    assert response["Content-Language"] == "es"


def test_an_english_users_errors_are_english_even_when_the_request_asks_for_spanish(
    patient: User,
):
    client = signed_in(patient, HTTP_ACCEPT_LANGUAGE="es")

    response = client.post("/api/v1/visits/", {}, format="json")

    assert (response.status_code, response.json()) == (
        403,
        {"code": "permission_denied", "detail": "Only physicians may do this."},
    )
    assert response["Content-Language"] == "en"


def test_a_failed_sign_in_speaks_the_requests_language(patient: User):
    spanish = APIClient().post(
        TOKEN_URL,
        {"email": patient.email, "password": "not the password at all"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="es-US,es;q=0.9,en;q=0.5",
    )
    english = APIClient().post(
        TOKEN_URL,
        {"email": patient.email, "password": "not the password at all"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr-FR",  # not one of ours: English
    )

    assert (spanish.status_code, spanish.json(), spanish["Content-Language"]) == (
        401,
        {
            "code": "invalid_credentials",
            "detail": "El correo electrónico o la contraseña no son correctos.",
        },
        "es",
    )
    assert (english.status_code, english.json(), english["Content-Language"]) == (
        401,
        {"code": "invalid_credentials", "detail": "Email or password is incorrect."},
        "en",
    )


def test_drfs_own_messages_come_in_spanish(patient: User):
    """A message Relief does not write (DRF's and Django's own catalogs)."""
    response = APIClient().post(
        TOKEN_URL,
        {"email": "not an address", "password": "whatever"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="es",
    )

    assert (response.status_code, response.json()) == (
        400,
        {
            "code": "validation_error",
            "detail": "Datos no válidos: email.",
            "fields": {"email": ["Introduzca una dirección de correo electrónico válida."]},
        },
    )


def test_an_unauthenticated_api_request_is_refused_in_its_language():
    response = APIClient().get(ME_URL, HTTP_ACCEPT_LANGUAGE="es")

    assert (response.status_code, response.json()) == (
        401,
        {
            "code": "not_authenticated",
            "detail": "No se enviaron las credenciales de autenticación.",
        },
    )


# --- sign-up -------------------------------------------------------------------------------


def _invite(physician: User, **fields: Any) -> dict[str, Any]:
    client = signed_in(physician)
    body = {"email": "nia@example.org", "display_name": "Nia New", **fields}
    response = client.post(INVITATIONS, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _accept(code: str, headers: dict[str, str] | None = None, **fields: Any) -> Any:
    body = {"code": code, "password": SIGN_UP_PASSWORD, "timezone": "America/Chicago", **fields}
    return APIClient().post(ACCEPT, body, format="json", **(headers or {}))


def test_sign_up_takes_the_first_language_of_accept_language_that_relief_speaks(
    physician: User,
):
    code = _invite(physician)["code"]

    response = _accept(code, {"HTTP_ACCEPT_LANGUAGE": "fr-CA, es-MX;q=0.8, en;q=0.5"})

    assert response.status_code == 201
    user = User.objects.get(email="nia@example.org")
    assert response.json() == me_body(user, language="es")
    assert user.language == "es"


def test_sign_up_without_accept_language_is_english(physician: User):
    code = _invite(physician)["code"]

    response = _accept(code)

    assert (response.status_code, response.json()["language"]) == (201, "en")
    assert User.objects.get(email="nia@example.org").language == "en"


def test_a_language_chosen_at_sign_up_wins(physician: User):
    code = _invite(physician, language="es")["code"]

    response = _accept(code, {"HTTP_ACCEPT_LANGUAGE": "es"}, language="en")

    assert (response.status_code, response.json()["language"]) == (201, "en")
    assert User.objects.get(email="nia@example.org").language == "en"


def test_the_language_the_physician_chose_is_the_accounts_when_the_patient_does_not_choose(
    physician: User,
):
    invited = _invite(physician, language="es")
    assert invited["language"] == "es"
    assert Invitation.objects.get().language == "es"

    response = _accept(invited["code"], {"HTTP_ACCEPT_LANGUAGE": "en-US"})

    assert (response.status_code, response.json()["language"]) == (201, "es")
    assert User.objects.get(email="nia@example.org").language == "es"


def test_an_invitation_without_a_chosen_language_says_null(physician: User):
    invited = _invite(physician)

    assert invited["language"] is None
    assert Invitation.objects.get().language == ""
    listed = signed_in(physician).get(INVITATIONS).json()["results"]
    assert [row["language"] for row in listed] == [None]


@pytest.mark.parametrize("value", ["fr", "", None])
def test_a_bad_invitee_language_is_a_400_naming_it(physician: User, value: Any):
    response = signed_in(physician).post(
        INVITATIONS,
        {"email": "nia@example.org", "display_name": "Nia New", "language": value},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["language"]
    assert not Invitation.objects.exists()


def test_a_bad_sign_up_language_is_a_400_naming_it_and_creates_nothing(physician: User):
    code = _invite(physician)["code"]

    response = _accept(code, language="de")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["language"]
    assert not User.objects.filter(email="nia@example.org").exists()


def test_a_sign_up_refusal_speaks_the_requests_language():
    response = _accept("NOPE-NOPE-NOPE-NOPE", {"HTTP_ACCEPT_LANGUAGE": "es"})

    assert (response.status_code, response.json()) == (
        400,
        {
            "code": "invalid_code",
            "detail": "Este código no existe, ya se usó o venció.",
            "fields": {"code": ["Este código no existe, ya se usó o venció."]},
        },
    )
