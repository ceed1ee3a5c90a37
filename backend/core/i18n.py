"""The languages Relief speaks (#18), and which one a request or a recipient gets.

English is the default. A request speaks: its signed-in user's ``language`` (activated by
``accounts.authentication`` once the bearer token has named the user), else the first
supported language of its ``Accept-Language`` (Django's ``LocaleMiddleware``), else
English. Mail and push notifications speak their recipient's language, whoever caused
them (``translation.override(user.language)`` where they are written).
"""

from __future__ import annotations

from django.db import models
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header


class Language(models.TextChoices):
    # Each language's own name: the list a reader picks their language from.
    EN = "en", "English"
    ES = "es", "Español"


DEFAULT_LANGUAGE = Language.EN.value


def supported_language(code: str | None) -> str | None:
    """``code`` as one of ours ("es-US" and "es_419" are Spanish), or None."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-", 1)[0]
    return base if base in Language.values else None


def language_from_request(request: HttpRequest) -> str:
    """The first language of the request's ``Accept-Language`` (by its q-values) that
    Relief speaks; English when it names none."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in parse_accept_lang_header(header):
        if (language := supported_language(code)) is not None:
            return language
    return DEFAULT_LANGUAGE


def language_activate(language: str) -> None:
    """Speak ``language`` for the rest of this request (the response's Content-Language
    follows: LocaleMiddleware sets it from the active language)."""
    translation.activate(supported_language(language) or DEFAULT_LANGUAGE)


def gettext_if_configured(message: str) -> str:
    """``gettext`` where Django is set up, the English message itself where it is not:
    the pure analytics and charts (``recovery.analytics``, ``recovery.charts``) also run
    without Django (``pytest -p no:django tests/recovery``)."""
    from django.conf import settings

    return translation.gettext(message) if settings.configured else message


def ngettext_if_configured(singular: str, plural: str, number: int) -> str:
    """``ngettext`` where Django is set up (see ``gettext_if_configured``)."""
    from django.conf import settings

    if settings.configured:
        return translation.ngettext(singular, plural, number)
    return singular if number == 1 else plural
