"""How a reminder reaches the patient: Web Push to the phones they subscribed, else e-mail.

The words are plain and kind (patients are in pain, on phones) and follow the injection's
timeline; tapping the notification opens today's check-in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.mail import mail_send
from accounts.models import User
from push.services import push_send
from reminders.models import Reminder

# Where a tap on the notification (or the link in the mail) goes: today's check-in.
CHECKIN_PATH = "/#/"


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    tag: str


def message_for(*, kind: str, day: int | None, physician: str = "") -> Message:
    """The words of a reminder, in the active language (the patient's: the caller
    activates it): ``day`` is the day since the visit (scheduled kinds), ``physician`` the
    name of who asked (kind physician)."""
    quick = _("A check-in takes about 15 seconds.")
    if kind == Reminder.Kind.PHYSICIAN:
        if physician:
            asks = _("%(physician)s would like to know how you are feeling.") % {
                "physician": physician
            }
        else:
            asks = _("Your physician would like to know how you are feeling.")
        return Message(title=_("How are you today?"), body=f"{asks} {quick}", tag="relief-reminder")
    if day == 0:
        body = _("How are you feeling after today's injection?")
    elif day is not None and day <= 2:
        body = _(
            "Some soreness is common for a day or two after the injection. "
            "How are you feeling today?"
        )
    elif day is not None:
        body = _("Day %(day)d after your injection. How are you feeling today?") % {"day": day}
    else:
        body = _("How are you feeling today?")
    title = _("Good morning") if kind == Reminder.Kind.MORNING else _("Time for today's check-in")
    return Message(title=title, body=f"{body} {quick}", tag="relief-reminder")


def _send_push(user: User, *, title: str, body: str, url: str, tag: str) -> int:
    """Web Push to every phone of ``user`` that subscribed; how many push services took it
    (0: none subscribed, all refused, or Web Push is off)."""
    return push_send(user=user, title=title, body=body, url=url, tag=tag)


def _mail_body(message: Message) -> str:
    # PUBLIC_URL: the web app's origin; unset, a reminder (sent by the worker, with no
    # request to take an origin from) says where to go instead of linking.
    site = settings.PUBLIC_URL
    if site:
        link = _("Check in here: %(link)s") % {"link": f"{site}{CHECKIN_PATH}"}
    else:
        link = _("Open Relief to check in.")
    settings_hint = _(
        "You can change the time of these reminders, or turn them off, in Relief under Settings."
    )
    return f"{message.body}\n\n{link}\n\n{settings_hint}"


def deliver(
    *,
    user: User,
    message: Message,
    discard_after: datetime,
    then: Callable[[str], object] = lambda channel: None,
) -> str:
    """Send ``message`` to ``user``: by Web Push when a phone of theirs takes it, else by
    e-mail. Returns the channel used, after ``then(channel)`` has run: after the push, or in
    the transaction that queues the mail (the worker sends it after the commit), so a
    record of the send is written exactly when the mail is. Call it outside a transaction:
    the push waits on the network. The mail is worded in ``user``'s language, as
    ``message`` must be."""
    accepted = _send_push(
        user, title=message.title, body=message.body, url=CHECKIN_PATH, tag=message.tag
    )
    if accepted:
        then(Reminder.Channel.PUSH)
        return Reminder.Channel.PUSH
    with transaction.atomic(), translation.override(user.language):
        mail_send(
            to=user.email,
            subject=message.title,
            body=_("Hello %(name)s,") % {"name": user.display_name} + f"\n\n{_mail_body(message)}",
            discard_after=discard_after,
        )
        then(Reminder.Channel.EMAIL)
    return Reminder.Channel.EMAIL
