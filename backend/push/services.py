"""Subscribing phones, and sending them a notification."""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.db import transaction
from django.utils import timezone
from py_vapid import Vapid02, VapidException
from pywebpush import WebPusher

from accounts.models import User
from push import vapid
from push.models import PushSubscription

logger = logging.getLogger("relief.push")

# A patient has a phone or two (and browsers that were reinstalled): the oldest go beyond this.
MAX_SUBSCRIPTIONS_PER_USER = 10
# How long a push service keeps a notification for a phone that is off (RFC 8030 TTL): a
# reminder is no use the next day.
TTL_SECONDS = 12 * 3600
# Connect and read timeouts for one push service request; at most MAX_SUBSCRIPTIONS_PER_USER
# of them per push_send.
TIMEOUT = (3.05, 10)
# The VAPID token's life (RFC 8292: at most 24 hours).
TOKEN_SECONDS = 12 * 3600
# A Topic header (RFC 8030 5.4): a newer notification with the same topic replaces one
# still waiting for the phone. At most 32 characters of the base64url alphabet.
TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
GONE = {404, 410}


@dataclass(frozen=True)
class Subscribed:
    subscription: PushSubscription
    created: bool  # new for this user (made, or taken over from another user)


def push_subscribe(*, user: User, endpoint: str, p256dh: str, auth: str) -> Subscribed:
    """Holds the browser's subscription for ``user``: idempotent per endpoint; an endpoint
    held by another user (a shared phone) passes to this one. Keeps the user's newest
    ``MAX_SUBSCRIPTIONS_PER_USER``."""
    with transaction.atomic():
        subscription, made = PushSubscription.objects.select_for_update().get_or_create(
            endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth}
        )
        taken_over = not made and subscription.user_id != user.pk
        if taken_over:
            subscription.user = user
            subscription.created_at = timezone.now()
            subscription.last_used_at = None
        if not made:
            subscription.p256dh, subscription.auth = p256dh, auth
            subscription.save()
        if made or taken_over:
            _keep_newest(user)
    return Subscribed(subscription=subscription, created=made or taken_over)


def _keep_newest(user: User) -> None:
    stale = (
        PushSubscription.objects.filter(user=user)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)[MAX_SUBSCRIPTIONS_PER_USER:]
    )
    PushSubscription.objects.filter(pk__in=list(stale)).delete()


def push_unsubscribe(*, user: User, endpoint: str) -> bool:
    """Forgets the user's subscription at ``endpoint``; False when the user holds none."""
    deleted, _ = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return deleted > 0


def push_send(*, user: User, title: str, body: str, url: str, tag: str) -> int:
    """Sends one notification to every phone of ``user`` that subscribed; returns how many
    push services accepted it (2xx). A subscription its push service says is gone (404,
    410) is deleted. Never raises for a push service's failure (each is logged): callers
    fall back to another channel when this returns 0. Web Push off (no VAPID key): 0.

    The payload is the JSON ``{title, body, url, tag}`` the service worker shows, encrypted
    for each browser (RFC 8291, aes128gcm) and signed for its push service (RFC 8292);
    ``url`` is a page of the app ("/#/" is today's check-in), ``tag`` names the kind of
    notification: a newer one with the same tag replaces it, on the phone and at the push
    service while the phone is off. Call it outside a transaction: it waits on the network
    (at most ``TIMEOUT`` per phone).
    """
    key = vapid.server_key()
    subscriptions = list(PushSubscription.objects.filter(user=user).order_by("pk"))
    if key is None or not subscriptions:
        return 0
    payload = json.dumps({"title": title, "body": body, "url": url, "tag": tag}).encode()
    signer = Vapid02(private_key=key.private_key)
    headers_by_audience: dict[str, dict[str, str]] = {}
    accepted: list[int] = []
    gone: list[int] = []
    with requests.Session() as session:
        # A push service answers; a redirect would send the push (and its VAPID token)
        # somewhere no one checked against PUSH_SERVICE_HOSTS.
        session.max_redirects = 0
        for subscription in subscriptions:
            parts = urlsplit(subscription.endpoint)
            audience = f"{parts.scheme}://{parts.netloc}"
            if audience not in headers_by_audience:
                claims = {"aud": audience, "exp": int(time.time()) + TOKEN_SECONDS}
                try:
                    signed = signer.sign({**claims, "sub": key.subject})
                except VapidException:
                    logger.exception("cannot sign a push for %s", parts.netloc)
                    continue
                headers_by_audience[audience] = {
                    **signed,
                    "Urgency": "normal",
                    **({"Topic": tag} if TOPIC.match(tag) else {}),
                }
            status = _send_one(
                session, subscription, payload, headers_by_audience[audience], parts.netloc
            )
            if status is not None and 200 <= status < 300:
                accepted.append(subscription.pk)
            elif status in GONE:
                gone.append(subscription.pk)
    if accepted:
        PushSubscription.objects.filter(pk__in=accepted).update(last_used_at=timezone.now())
    if gone:
        PushSubscription.objects.filter(pk__in=gone).delete()
    return len(accepted)


def _send_one(
    session: requests.Session,
    subscription: PushSubscription,
    payload: bytes,
    headers: dict[str, str],
    host: str,
) -> int | None:
    """The push service's status for one send, or None when there was no answer."""
    pusher = WebPusher(
        {
            "endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
        },
        requests_session=session,
    )
    try:
        response = pusher.send(
            payload, dict(headers), ttl=TTL_SECONDS, content_encoding="aes128gcm", timeout=TIMEOUT
        )
    except requests.RequestException as exc:
        logger.warning(
            "push to subscription %s at %s failed: %s", subscription.pk, host, type(exc).__name__
        )
        return None
    except Exception:
        # A stored key pywebpush cannot use, say: one phone's problem, not the caller's.
        logger.exception("push to subscription %s at %s failed", subscription.pk, host)
        return None
    status = int(getattr(response, "status_code", 0))
    if status in GONE:
        logger.info(
            "push subscription %s is gone at %s (%s): removed", subscription.pk, host, status
        )
    elif not 200 <= status < 300:
        logger.warning(
            "push to subscription %s at %s refused: %s %s",
            subscription.pk,
            host,
            status,
            (getattr(response, "text", "") or "")[:200],
        )
    return status
