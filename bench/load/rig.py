"""What the load and fault scripts share: a throwaway seeded database, the server, sessions.

The server is make serve's topology (``deploy/serve.py``: nginx in front of gunicorn on a
unix socket), so the figures are for what a clinic would deploy.

The seed is ``bench/api.py``'s (users, care links and check-ins by COPY), plus one visit per
patient of the first few physicians, recorded through ``treatments.services.visit_create``
so that the recovery views have real curves. Sessions are opened with
``accounts.services.session_start`` (no password hashing in the rig); each simulated device
gets a session of its own, because refresh tokens are single use.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "bench")]

import common  # noqa: E402
import psycopg  # noqa: E402
from api import seed as api_seed  # noqa: E402
from common import database_url  # noqa: E402

sys.path.insert(0, str(ROOT))
from deploy import serve  # noqa: E402

SETTINGS_PATH = [ROOT / "backend", ROOT / "bench" / "load", ROOT / "bench" / "api_support"]


_SECRET_KEY, _JWT_SIGNING_KEY = secrets.token_urlsafe(50), secrets.token_urlsafe(50)


def environment(url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Random per run: start-up refuses keys without enough entropy, as in production.
        "SECRET_KEY": _SECRET_KEY,
        "JWT_SIGNING_KEY": _JWT_SIGNING_KEY,
        "SECURE_SSL_REDIRECT": "false",
        "DJANGO_SETTINGS_MODULE": "load_settings",
        "PYTHONPATH": ":".join(str(p) for p in SETTINGS_PATH),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def recreate_database(name: str) -> str:
    """Drop and create ``name`` on DATABASE_URL's server and migrate it; returns its URL."""
    return common.recreate_database(name, environment)


def drop_database(name: str) -> None:
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def setup_django(url: str) -> None:
    os.environ.update(environment(url))
    sys.path[:0] = [str(p) for p in SETTINGS_PATH]
    import django

    django.setup()


def seed(url: str, *, physicians_with_visits: int) -> dict[str, Any]:
    """bench/api.py's seed, then a visit 12 days ago for every patient of the first
    ``physicians_with_visits`` physicians. Django must be set up (``setup_django``)."""
    seeded = api_seed(url)
    from django.db import connection

    from accounts.models import CareLink, User
    from treatments.services import visit_create

    start = time.perf_counter()
    performed = datetime.now(UTC) - timedelta(days=12)
    doctors = []
    for doctor_id in seeded["physicians"][:physicians_with_visits]:
        doctor = User.objects.get(pk=doctor_id)
        patients, visits = [], []
        for link in CareLink.objects.filter(physician=doctor).select_related("patient"):
            visit = visit_create(
                physician=doctor,
                patient=link.patient,
                performed_at=performed,
                condition="myofascial_pain",
                sites=[
                    {
                        "body_region": "upper_back",
                        "muscle": "trapezius",
                        "side": "bilateral",
                        "injectates": ["lidocaine"],
                        "volume_ml": "2.0",
                    }
                ],
                baseline_pain=7,
            )
            patients.append(str(link.patient_id))
            visits.append(str(visit.pk))
        doctors.append({"id": str(doctor.pk), "patients": patients, "visits": visits})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seeded["doctors"] = doctors
    seeded["visit_seconds"] = time.perf_counter() - start
    return seeded


def credentials(doctors: list[dict[str, Any]], devices: int) -> dict[str, Any]:
    """``devices`` pairs of fresh sessions: a physician's browser and a patient's phone.

    Physician sessions rotate over the seeded physicians; every phone is a different
    patient (a patient's writes take a row lock on the patient, as on a real phone)."""
    from accounts.models import User
    from accounts.services import session_start

    patients = [(d, p) for d in doctors for p in d["patients"]]
    if devices > len(patients):
        sys.exit(f"{devices} devices need {devices} patients with visits; seeded {len(patients)}")
    out = []
    for n in range(devices):
        doctor = doctors[n % len(doctors)]
        patient = patients[(n * 7919) % len(patients)][1]
        doc_pair = session_start(user=User.objects.get(pk=doctor["id"]))
        pat_pair = session_start(user=User.objects.get(pk=patient))
        out.append(
            {
                "physician": {
                    "access": doc_pair.access,
                    "refresh": doc_pair.refresh,
                    "patients": doctor["patients"],
                    "visits": doctor["visits"],
                },
                "patient": {"id": patient, "access": pat_pair.access, "refresh": pat_pair.refresh},
            }
        )
    return {"devices": out}


class Server:
    """make serve's topology on ``port``: nginx in front of one gunicorn master on a unix
    socket (``deploy/serve.py``), ``workers`` sync workers (or gthread with threads)."""

    def __init__(
        self, url: str, port: int, *, workers: int = 2, threads: int = 1, **env: str
    ) -> None:
        self.port = port
        self.log = ROOT / "var" / f"serve-{port}.log"
        self.log.parent.mkdir(exist_ok=True)
        try:
            self.topology = serve.start(
                port=port,
                run_dir=ROOT / "var" / f"run-{port}",
                env={**environment(url, **env), "GUNICORN_LOG_LEVEL": "warning"},
                workers=workers,
                threads=threads,
                output=self.log.open("w"),
            )
        except serve.ServeError as exc:
            sys.exit(f"make serve's topology on {port} did not start ({exc}): see {self.log}")
        self.process = self.topology.gunicorn

    @property
    def base(self) -> str:
        return self.topology.base

    def workers(self) -> list[int]:
        """The gunicorn master's current worker processes."""
        return self.topology.workers()

    def nginx_workers(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.topology.nginx.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in out.split()]

    def stop(self) -> None:
        self.topology.stop()


def write_section(path: Path, name: str, markdown: str) -> None:
    """Replace the ``<!-- name:start -->`` ... ``<!-- name:end -->`` block of ``path``."""
    text = path.read_text()
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{markdown}\n{end}"
    if start in text and end in text:
        text = re.sub(f"{re.escape(start)}.*?{re.escape(end)}", lambda _m: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]
