"""The clinic's traffic, for locust (run by ``bench/load/run.py``; see its docstring).

Each locust user is one physician's browser and one patient's phone, each an HTTP session
with its own cookie jar (the HttpOnly refresh cookie lives there, as in the web app). The
mix per task (``MIX``): 70 % physician reads (patient list 10, entries 20, one patient's
entries 15, a visit's recovery 15, a patient's course 10), 25 % patient check-ins (PUT with a client UUID; one in ten is
the outbox retrying the previous one), 5 % cookie refreshes (each a single-use token whose
successor must come back in Set-Cookie, or the next refresh fails).

Environment: LOAD_CREDENTIALS (JSON from rig.credentials), LOAD_TARGET (``api`` or
``plain``: the product's URLs or bench/load/plain_urls.py's twins), LOAD_MIX (weights to
override), LOAD_RATE (tasks per
second per user; 0 = as fast as answers come), LOAD_SAMPLES (where to write every request's
start, name, status and milliseconds when locust quits).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import gevent
from locust import FastHttpUser, events
from locust.contrib.fasthttp import FastHttpSession

TARGET = os.environ.get("LOAD_TARGET", "api")
RATE = float(os.environ.get("LOAD_RATE", "1"))
PREFIX = "/api/v1" if TARGET == "api" else "/plain/v1"
REFRESH = "/api/v1/auth/token/refresh/" if TARGET == "api" else "/api/v1/auth/plain-refresh/"
# Weights per task (LOAD_MIX="patient_list=10,check_in=25,..." overrides some): 70 reads,
# 25 check-ins, 5 refreshes. The patient list is the physician's landing screen, opened again
# when going back to it; a patient's course, recovery and entries are read on the way.
MIX = {
    "patient_list": 10,
    "entry_list": 20,
    "patient_entries": 15,
    "visit_recovery": 15,
    "patient_course": 10,
    "check_in": 25,
    "physician_refresh": 3,
    "phone_refresh": 2,
}
for item in filter(None, os.environ.get("LOAD_MIX", "").split(",")):
    name, _, weight = item.partition("=")
    if name.strip() not in MIX:
        raise SystemExit(f"LOAD_MIX: unknown task {name!r}; known: {', '.join(MIX)}")
    MIX[name.strip()] = int(weight)
with open(os.environ["LOAD_CREDENTIALS"]) as f:
    DEVICES = json.load(f)["devices"]
_next_device = itertools.count()
SAMPLES: list[tuple[float, str, int, float]] = []


@events.request.add_listener
def _record(name: str, response_time: float, response: Any, start_time: float, **_: Any) -> None:
    status = getattr(response, "status_code", 0) or 0
    SAMPLES.append((start_time, name, int(status), response_time))


@events.quitting.add_listener
def _dump(environment: Any, **_: Any) -> None:
    with open(os.environ["LOAD_SAMPLES"], "w") as f:
        json.dump(SAMPLES, f)


class LoopbackCookiePolicy(DefaultCookiePolicy):
    """The rig speaks plain HTTP on loopback where a deployment has TLS: send the refresh
    cookie (``Secure``, as the product sets it) as a browser would over https."""

    def return_ok_secure(self, cookie: Any, request: Any) -> bool:
        return True


class Device:
    """One person's client: an HTTP session (cookie jar) and the current access token."""

    def __init__(self, session: FastHttpSession, access: str, refresh: str) -> None:
        self.session = session
        session.cookiejar.set_policy(LoopbackCookiePolicy())
        self.access = access
        self.refreshed_at = time.monotonic()
        # The web app's first refresh after a reload: the server sets the cookie from here on.
        self.refresh(body={"refresh": refresh}, name="setup: first refresh")

    def headers(self) -> dict[str, str]:
        if time.monotonic() - self.refreshed_at > 240:  # access tokens live 5 minutes
            self.refresh()
        return {"Authorization": f"Bearer {self.access}"}

    def refresh(self, body: dict[str, str] | None = None, name: str = "refresh (cookie)") -> None:
        with self.session.post(
            REFRESH, json=body or {}, name=name, catch_response=True
        ) as response:
            if response.status_code == 200:
                self.access = response.json()["access"]
                self.refreshed_at = time.monotonic()
            else:
                response.failure(f"refresh {response.status_code}")


class ClinicUser(FastHttpUser):
    def wait_time(self) -> float:
        """Independent people, not a metronome: each user's tasks start as a Poisson process
        of LOAD_RATE per second (exponential gaps, a random first start), so the users' mean
        rate is LOAD_RATE each but their requests do not line up. (locust's
        constant_throughput with users spawned in whole-second batches started all 60 in the
        same phase: every second the server's accept queue went from 0 to 58 at once.) A
        user behind its schedule starts at once and does not catch up, as with
        constant_throughput. LOAD_RATE 0: no wait at all (the capacity runs)."""
        if RATE <= 0:
            return 0.0
        now = time.monotonic()
        self.next_start = max(self.next_start + random.expovariate(RATE), now)
        return self.next_start - now

    def on_start(self) -> None:
        creds = DEVICES[next(_next_device) % len(DEVICES)]
        doctor, patient = creds["physician"], creds["patient"]
        self.patients, self.visits = doctor["patients"], doctor["visits"]
        self.physician = Device(self.client, doctor["access"], doctor["refresh"])
        phone = FastHttpSession(
            base_url=self.host,
            request_event=self.environment.events.request,
            user=self,
            network_timeout=self.network_timeout,
            connection_timeout=self.connection_timeout,
            max_retries=0,
        )
        self.phone = Device(phone, patient["access"], patient["refresh"])
        self.last_checkin: tuple[str, dict[str, Any]] | None = None
        # A random phase for the first task; wait_time schedules the ones after it.
        self.next_start = time.monotonic() + (random.uniform(0, 1 / RATE) if RATE > 0 else 0)
        gevent.sleep(max(0.0, self.next_start - time.monotonic()))

    def get(self, path: str, name: str) -> None:
        with self.client.get(
            path, headers=self.physician.headers(), name=name, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")

    def patient_list(self) -> None:
        self.get(f"{PREFIX}/patients/", "GET patients/")

    def entry_list(self) -> None:
        self.get(f"{PREFIX}/entries/", "GET entries/")

    def patient_entries(self) -> None:
        self.get(
            f"{PREFIX}/entries/?patient={random.choice(self.patients)}", "GET entries/?patient"
        )

    def visit_recovery(self) -> None:
        self.get(f"{PREFIX}/visits/{random.choice(self.visits)}/recovery/", "GET visit recovery")

    def patient_course(self) -> None:
        self.get(f"{PREFIX}/patients/{random.choice(self.patients)}/course/", "GET course")

    def check_in(self) -> None:
        if self.last_checkin and random.random() < 0.1:
            entry_id, body = self.last_checkin  # the outbox sending it again
            expected = (200,)
        else:
            entry_id = str(uuid.uuid4())
            felt = datetime.now(UTC) - timedelta(minutes=random.randint(0, 600))
            body = {
                "felt_at": felt.isoformat(),
                "pain": random.randint(0, 10),
                "soreness": random.randint(0, 10),
                "bruising": "none",
                "iced": random.random() < 0.3,
                "heated": False,
                "strenuous_activity": False,
                "notes": "load",
            }
            expected = (201,)
        with self.phone.session.put(
            f"{PREFIX}/entries/{entry_id}/",
            json=body,
            headers=self.phone.headers(),
            name="PUT entries/{id}/",
            catch_response=True,
        ) as response:
            if response.status_code not in expected:
                response.failure(f"{response.status_code}")
        self.last_checkin = (entry_id, body)

    def physician_refresh(self) -> None:
        self.physician.refresh()

    def phone_refresh(self) -> None:
        self.phone.refresh()


# locust picks uniformly from this list: each task appears as often as its weight.
ClinicUser.tasks = [
    getattr(ClinicUser, name) for name, weight in MIX.items() for _ in range(weight)
]
