"""The demo clinic's cast and script: who its physicians and patients are, what each
patient's condition and course of treatment look like, and the words they write.
Data only; ``demo.seeder`` turns it into visits and check-ins."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from treatments.models import BodyRegion, Condition

# Shorter than the password rules allow (15 characters, accounts/passwords.py) on purpose:
# demo data under DEBUG only, typed by people trying the app. Seeding sets the hash directly
# (Seeder.user), so it bypasses validate_password; no real account can get this password.
DEMO_PASSWORD = "relief-demo"
DEMO_PHYSICIAN = "doctor@relief.example"
DEMO_PATIENT = "patient@relief.example"
DEMO_PRACTICE = "Relief Demo Clinic"
# The demo practice's administrator (invites physicians and staff; sees no patient data).
DEMO_ADMIN = ("admin@relief.example", "Alex Admin", "America/New_York")
SEED = 20261129
WINDOW_DAYS = 21  # check-ins are generated for days 0..21 after each visit

PHYSICIANS = (
    (DEMO_PHYSICIAN, "Dr. Dana Reyes", "America/New_York"),
    ("dr.okafor@relief.example", "Dr. Samuel Okafor", "America/Chicago"),
)

NY, CHI, DEN, LA, LON = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Europe/London",
)

# How pain answers the injections (latest visit; earlier visits of a non-responder responded):
#   immediate   - relief from day 0 (anaesthetic), holding through the window
#   delayed     - little change on days 0-2, relief from day 2-5 on
#   fibro       - fibromyalgia: later, weaker relief and longer soreness
#   nonresponder - pain stays at or above baseline
# Traits (latest visit only unless noted):
#   stops        - stops logging after a few days
#   large_bruise - a large bruise on days 1-4
#   no_baseline  - no pre-injection NRS recorded; a few check-ins in the week before
#   no_prelog    - no baseline and nothing logged before: absolute change only
#   wanes        - relief fades in the third week (all visits)
#   worsens      - pain 1-2 points above baseline after day 3
#   overdoes     - strenuous activity on day 2, soreness flares after day 3
#   chatty       - often several check-ins a day and notes (all visits)


@dataclass(frozen=True)
class PatientPlan:
    email: str
    name: str
    tz: str
    physician: int
    condition: str
    visits: int
    latest_days_ago: int
    response: str
    traits: frozenset[str] = field(default_factory=frozenset)


C = Condition
# fmt: off
_ROWS = (
    # email,                         name,            zone, doctor, condition, visits,
    #                                latest visit (local days ago), response, traits
    (DEMO_PATIENT,                   "Pat Morgan",    NY,  0, C.NECK_PAIN,        3,  8,
     "immediate", "chatty"),
    ("alex.kim@relief.example",      "Alex Kim",      CHI, 1, C.LOW_BACK_PAIN,    2,  3,
     "delayed", "no_baseline"),
    ("maria.lopez@relief.example",   "Maria Lopez",   NY,  0, C.FIBROMYALGIA,     3, 13,
     "fibro", ""),
    ("james.obrien@relief.example",  "James O'Brien", LON, 1, C.TENSION_HEADACHE, 1,  6,
     "immediate", ""),
    ("priya.shah@relief.example",    "Priya Shah",    NY,  0, C.MYOFASCIAL_PAIN,  2, 15,
     "nonresponder", ""),
    ("tom.becker@relief.example",    "Tom Becker",    CHI, 1, C.EXTREMITY_PAIN,   1,  1,
     "immediate", ""),
    ("grace.liu@relief.example",     "Grace Liu",     LA,  0, C.NECK_PAIN,        2, 18,
     "immediate", "stops"),
    ("daniel.okoye@relief.example",  "Daniel Okoye",  NY,  1, C.LOW_BACK_PAIN,    2, 11,
     "delayed", "large_bruise"),
    ("hannah.weiss@relief.example",  "Hannah Weiss",  DEN, 0, C.TENSION_HEADACHE, 2,  5,
     "delayed", "no_baseline"),
    ("omar.haddad@relief.example",   "Omar Haddad",   NY,  1, C.MYOFASCIAL_PAIN,  1, 20,
     "immediate", "wanes"),
    ("lucy.bennett@relief.example",  "Lucy Bennett",  LON, 0, C.FIBROMYALGIA,     2,  9,
     "fibro", "no_prelog"),
    ("carlos.mendes@relief.example", "Carlos Mendes", CHI, 1, C.NECK_PAIN,        3, 16,
     "nonresponder", "worsens no_baseline"),
    ("emma.nguyen@relief.example",   "Emma Nguyen",   NY,  0, C.LOW_BACK_PAIN,    1,  2,
     "immediate", "overdoes"),
    ("noah.fischer@relief.example",  "Noah Fischer",  NY,  0, C.EXTREMITY_PAIN,   2, 14,
     "delayed", "stops"),
    ("ava.patel@relief.example",     "Ava Patel",     CHI, 1, C.MYOFASCIAL_PAIN,  1,  7,
     "immediate", "large_bruise chatty"),
    ("liam.walsh@relief.example",    "Liam Walsh",    LON, 1, C.LOW_BACK_PAIN,    2, 19,
     "immediate", ""),
    ("zoe.martin@relief.example",    "Zoe Martin",    LA,  0, C.TENSION_HEADACHE, 1, 10,
     "immediate", "no_baseline wanes"),
    ("ethan.brooks@relief.example",  "Ethan Brooks",  NY,  1, C.NECK_PAIN,        2,  4,
     "nonresponder", ""),
    ("mia.johansson@relief.example", "Mia Johansson", DEN, 0, C.FIBROMYALGIA,     1, 17,
     "fibro", "stops"),
    ("oliver.grant@relief.example",  "Oliver Grant",  CHI, 1, C.EXTREMITY_PAIN,   1,  0,
     "immediate", ""),
)
# fmt: on
PATIENTS = tuple(PatientPlan(*row[:-1], traits=frozenset(row[-1].split())) for row in _ROWS)

R = BodyRegion
MUSCLES: dict[str, list[tuple[str, str]]] = {
    C.NECK_PAIN: [
        (R.NECK, "Upper trapezius"),
        (R.NECK, "Levator scapulae"),
        (R.NECK, "Splenius cervicis"),
        (R.NECK, "Sternocleidomastoid"),
        (R.NECK, "Anterior scalene"),
        (R.UPPER_BACK, "Rhomboid major"),
    ],
    C.TENSION_HEADACHE: [
        (R.HEAD, "Temporalis"),
        (R.HEAD, "Masseter"),
        (R.NECK, "Suboccipital muscles"),
        (R.NECK, "Splenius capitis"),
        (R.NECK, "Sternocleidomastoid"),
        (R.SHOULDER, "Upper trapezius"),
    ],
    C.LOW_BACK_PAIN: [
        (R.LOW_BACK, "Quadratus lumborum"),
        (R.LOW_BACK, "Lumbar multifidus"),
        (R.LOW_BACK, "Iliocostalis lumborum"),
        (R.HIP_BUTTOCK, "Gluteus medius"),
        (R.HIP_BUTTOCK, "Piriformis"),
    ],
    C.MYOFASCIAL_PAIN: [
        (R.SHOULDER, "Infraspinatus"),
        (R.SHOULDER, "Upper trapezius"),
        (R.UPPER_BACK, "Rhomboid minor"),
        (R.UPPER_BACK, "Middle trapezius"),
        (R.CHEST, "Pectoralis major"),
        (R.ABDOMEN, "Rectus abdominis"),
    ],
    C.FIBROMYALGIA: [
        (R.SHOULDER, "Upper trapezius"),
        (R.NECK, "Levator scapulae"),
        (R.UPPER_BACK, "Rhomboid major"),
        (R.LOW_BACK, "Lumbar paraspinals"),
        (R.HIP_BUTTOCK, "Gluteus medius"),
    ],
    C.EXTREMITY_PAIN: [
        (R.ARM, "Extensor carpi radialis longus"),
        (R.ARM, "Brachioradialis"),
        (R.LEG, "Gastrocnemius"),
        (R.LEG, "Tibialis anterior"),
        (R.LEG, "Vastus lateralis"),
        (R.HIP_BUTTOCK, "Tensor fasciae latae"),
    ],
}
SITE_COUNTS: dict[str, tuple[int, int]] = {C.FIBROMYALGIA: (3, 4), C.EXTREMITY_PAIN: (1, 2)}
# An earlier visit of a course is sometimes for a neighbouring complaint.
RELATED: dict[str, str] = {
    C.NECK_PAIN: C.TENSION_HEADACHE,
    C.TENSION_HEADACHE: C.NECK_PAIN,
    C.LOW_BACK_PAIN: C.MYOFASCIAL_PAIN,
    C.MYOFASCIAL_PAIN: C.NECK_PAIN,
}
INJECTATE_MIXES: tuple[tuple[list[str], int], ...] = (
    (["lidocaine"], 50),
    (["lidocaine", "saline"], 20),
    (["saline"], 10),
    (["lidocaine", "magnesium"], 12),
    (["magnesium"], 8),
)
VOLUMES = ("0.5", "1.0", "1.0", "1.5", "2.0", "2.0", "2.5", "3.0")
VISIT_NOTES = (
    "",
    "",
    "Taut bands with local twitch response; referred pain reproduced.",
    "Tolerated well. Advised ice today, then alternate ice and heat; no heavy lifting for 3 days.",
    "Patient anxious about needles; slow technique, no vasovagal symptoms.",
    "Stretching programme reviewed. Follow-up in 4-6 weeks.",
    "Active trigger points confirmed by palpation before injection.",
)
# Entry notes by phase.
NOTES_DAY0 = (
    "Numb for about an hour after the shots.",
    "Felt lighter straight after the visit.",
    "A bit light-headed in the car park, fine now.",
    "Injection spots tender to touch.",
)
NOTES_SORE = (
    "Very sore where the needles went in, iced twice.",
    "Stiff this morning, easing by the evening.",
    "Feels bruised, like after a hard workout.",
    "Slept badly because of the soreness.",
)
NOTES_BETTER = (
    "Slept through the night.",
    "Could turn my head to reverse the car.",
    "Good day, did the stretches.",
    "Back at work without painkillers.",
    "Walked 40 minutes with no trouble.",
)
NOTES_SAME = (
    "No real change yet.",
    "Pain the same as before the injections.",
    "Had to take ibuprofen again.",
    "Bad flare this afternoon.",
)
NOTES_BEFORE = ("Bad flare today.", "Usual pain.", "Pain kept me up last night.", "")


@dataclass
class VisitPlan:
    performed_at: datetime
    condition: str
    sites: list[dict[str, Any]]
    pain: int  # the patient's true pre-injection pain
    recorded_baseline: int | None
    post_injection_pain: int | None
    notes: str
    response: str
    relief: float  # the fraction of pain relieved once the response has set in
    onset: int  # first day of the therapeutic response
    soreness_peak: int
    prelog: bool
    traits: frozenset[str]
    stop_day: int | None = None
