"""Password rules after NIST SP 800-63B-4 (August 2025), section 3.1.1.2.

Relief's sign-in is a password alone (a single-factor authenticator for patients and
physicians), so the minimum is 800-63B-4's figure for that case: 15 characters. Its 8 is
only for passwords used as one factor of a multi-factor sign-in, which Relief does not
require. Lengths count Unicode code points after NFKC normalisation, as 800-63B asks, so
a full-width or ligature character counts as what it stands for. At least 64 must be
allowed; Relief allows 128. No composition rules (no "one digit, one symbol"): 800-63B
forbids them. Instead a password is refused when it is blank, when it is built from the
account's own email or name or the service's name, or when it is on Django's list of
20,000 common passwords (``CommonPasswordValidator``, configured beside these).

These run through ``django.contrib.auth.password_validation.validate_password`` with the
user, which every path that sets a password calls: invitation accept, the admin's add-user
and change-password forms, ``relief createsuperuser`` and ``relief changepassword``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MIN_LENGTH = 15
MAX_LENGTH = 128


def normalized(password: str) -> str:
    """NFKC: the form 800-63B compares and counts (U+00A0 becomes a space, full-width
    letters their ASCII twins, a ligature its letters)."""
    return unicodedata.normalize("NFKC", password)


def _folded(text: str) -> str:
    """Letters and digits only, case-folded: "Nia New", "nia.new" and "NIA-NEW" are one."""
    return "".join(ch for ch in normalized(text).casefold() if ch.isalnum())


def _repeated_unit(text: str) -> str:
    """The shortest string that ``text`` is a repetition of ("abcabcabc" -> "abc")."""
    match = re.fullmatch(r"(.+?)\1+", text, flags=re.DOTALL)
    return match.group(1) if match else text


class LengthValidator:
    """Between ``min_length`` and ``max_length`` code points after NFKC; a shorter
    password repeated to reach the length counts as the shorter one."""

    def __init__(self, min_length: int = MIN_LENGTH, max_length: int = MAX_LENGTH) -> None:
        if max_length < 64:
            raise ValueError("NIST SP 800-63B: allow at least 64 characters.")
        self.min_length, self.max_length = min_length, max_length

    def validate(self, password: str, user: Any = None) -> None:
        text = normalized(password)
        if len(text) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long: at most %(count)d character.",
                    "This password is too long: at most %(count)d characters.",
                    self.max_length,
                )
                % {"count": self.max_length},
                code="password_too_long",
            )
        if len(text) < self.min_length:
            raise ValidationError(
                ngettext(
                    "This password is too short: use at least %(count)d character. "
                    "A few words in a row make a good one.",
                    "This password is too short: use at least %(count)d characters. "
                    "A few words in a row make a good one.",
                    self.min_length,
                )
                % {"count": self.min_length},
                code="password_too_short",
            )
        if len(_repeated_unit(text)) < self.min_length:
            raise ValidationError(
                ngettext(
                    "This password repeats a shorter one: use at least %(count)d character "
                    "that does not repeat a pattern.",
                    "This password repeats a shorter one: use at least %(count)d characters "
                    "that do not repeat a pattern.",
                    self.min_length,
                )
                % {"count": self.min_length},
                code="password_repeats",
            )

    def get_help_text(self) -> str:
        return _("Your password must be %(min)d to %(max)d characters long; spaces count.") % {
            "min": self.min_length,
            "max": self.max_length,
        }


def _is_blank(ch: str) -> bool:
    # Separators (Z*: U+0020, U+00A0, U+3000, ...) and control/format characters (C*:
    # tabs, zero-width space, BOM, direction marks): none of them is seen when typed.
    return ch.isspace() or unicodedata.category(ch)[0] in "ZC"


class NotBlankValidator:
    """Not made only of spaces or invisible characters (of any script)."""

    def validate(self, password: str, user: Any = None) -> None:
        if all(_is_blank(ch) for ch in normalized(password)):
            raise ValidationError(
                _("This password is only spaces or invisible characters."), code="password_blank"
            )

    def get_help_text(self) -> str:
        return _("Your password cannot be only spaces.")


class PersonalInfoValidator:
    """Does not contain the account's email, the email's local part or the display name,
    and is not the service's name (with digits or punctuation around it).

    Compared case-insensitively on letters and digits after NFKC, so "Nia New!" and
    "nia.new" both match the name "Nia New". Parts shorter than ``min_part`` are not
    looked for (a two-letter name would otherwise refuse most passwords); Django's
    ``UserAttributeSimilarityValidator`` (also configured) refuses passwords merely
    similar to them.
    """

    def __init__(
        self,
        user_attributes: tuple[str, ...] = ("email", "display_name"),
        service_names: tuple[str, ...] = ("relief",),
        min_part: int = 3,
    ) -> None:
        self.user_attributes = user_attributes
        self.service_names = tuple(_folded(name) for name in service_names)
        self.min_part = min_part

    def _parts(self, user: Any) -> list[str]:
        parts: list[str] = []
        for attribute in self.user_attributes:
            value = getattr(user, attribute, None)
            if not isinstance(value, str) or not value:
                continue
            parts.append(value)
            if "@" in value:
                parts.append(value.rsplit("@", 1)[0])
        return [p for p in (_folded(part) for part in parts) if len(p) >= self.min_part]

    def validate(self, password: str, user: Any = None) -> None:
        folded = _folded(password)
        if user is not None and any(part in folded for part in self._parts(user)):
            raise ValidationError(
                _("This password contains your email address or your name."),
                code="password_personal",
            )
        rest = folded
        for name in self.service_names:
            rest = rest.replace(name, "")
        if rest != folded and (rest == "" or rest.isdigit()):
            raise ValidationError(
                _("This password is built from the service's name."),
                code="password_service_name",
            )

    def get_help_text(self) -> str:
        return _("Your password cannot contain your email address or your name.")
