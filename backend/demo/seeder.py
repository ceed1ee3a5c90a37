"""The demo clinic written through the services the API uses (users and care links aside),
so each entry's visit and day and the audit rows are derived exactly as in real use. The
content is deterministic for a given date: one seeded random generator, and every time is
placed relative to now."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password

from accounts.invitations import care_link
from accounts.models import Practice, Role, User
from demo.cast import (
    DEMO_ADMIN,
    DEMO_PASSWORD,
    DEMO_PRACTICE,
    INJECTATE_MIXES,
    MUSCLES,
    NOTES_BEFORE,
    NOTES_BETTER,
    NOTES_DAY0,
    NOTES_SAME,
    NOTES_SORE,
    PATIENTS,
    PHYSICIANS,
    RELATED,
    SEED,
    SITE_COUNTS,
    VISIT_NOTES,
    VOLUMES,
    WINDOW_DAYS,
    C,
    PatientPlan,
    VisitPlan,
)
from diary.actions.save import entry_save
from diary.models import Bruising
from treatments.models import Side
from treatments.services import visit_create


def _clamp(value: float, low: int = 0, high: int = 10) -> int:
    return max(low, min(high, round(value)))


def _at(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


class Seeder:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.rng = random.Random(SEED)
        self.password_hash = make_password(DEMO_PASSWORD)

    # --- accounts -------------------------------------------------------------------------

    def user(
        self, email: str, name: str, role: str, tz: str, practice: Practice | None = None
    ) -> User:
        # One password hash for every demo account: hashing twenty-two times would take
        # most of the seeding time (PBKDF2 is slow on purpose).
        user = User.objects.create_user(
            email, None, display_name=name, role=role, timezone=tz, practice=practice
        )
        user.password = self.password_hash
        user.save(update_fields=["password"])
        return user

    # --- visits ---------------------------------------------------------------------------

    def sites(self, condition: str, side: str) -> list[dict[str, Any]]:
        low, high = SITE_COUNTS.get(condition, (1, 4))
        chosen = self.rng.sample(MUSCLES[condition], self.rng.randint(low, high))
        mixes, weights = zip(*INJECTATE_MIXES, strict=True)
        mix = self.rng.choices(mixes, weights)[0]
        sites = []
        for region, muscle in chosen:
            if condition == C.EXTREMITY_PAIN:
                site_side = side
            else:
                site_side = self.rng.choice((side, side, Side.BILATERAL))
            sites.append(
                {
                    "body_region": region,
                    "muscle": muscle,
                    "side": site_side,
                    "injectates": list(mix),
                    "volume_ml": Decimal(self.rng.choice(VOLUMES)),
                }
            )
        return sites

    def visit_times(self, plan: PatientPlan) -> list[datetime]:
        """Clinic times in the patient's zone: the latest ``latest_days_ago`` local days ago,
        earlier ones four to seven weeks apart; never later than an hour ago."""
        zone = ZoneInfo(plan.tz)
        today = self.now.astimezone(zone).date()
        day = today - timedelta(days=plan.latest_days_ago)
        hour, minute = self.rng.randint(8, 15), self.rng.choice((0, 15, 30, 45))
        latest = _at(day, hour, minute, zone)
        while latest > self.now - timedelta(hours=1):
            day -= timedelta(days=1)
            latest = _at(day, hour, minute, zone)
        times = [latest]
        for _ in range(plan.visits - 1):
            day -= timedelta(days=self.rng.randint(28, 49))
            times.append(_at(day, self.rng.randint(8, 15), self.rng.choice((0, 15, 30, 45)), zone))
        return sorted(times)

    def visit_plans(self, plan: PatientPlan) -> list[VisitPlan]:
        rng = self.rng
        side = rng.choice((Side.LEFT, Side.RIGHT))
        usual_pain = rng.randint(5, 8)
        times = self.visit_times(plan)
        plans = []
        for index, performed_at in enumerate(times):
            latest = index == len(times) - 1
            traits = plan.traits if latest else plan.traits & {"wanes", "chatty"}
            response = plan.response
            if not latest and response == "nonresponder":
                response = "delayed"  # the earlier injections did help
            condition = plan.condition
            if not latest and condition in RELATED and rng.random() < 0.25:
                condition = RELATED[condition]
            pain = _clamp(usual_pain + rng.choice((-1, 0, 0, 1)), 4, 9)
            if response == "nonresponder":
                recorded: int | None = pain
            else:
                recorded = _clamp(pain + rng.choice((-1, 0, 0, 0, 1)), 2, 10)
            if traits & {"no_baseline", "no_prelog"} or (not latest and rng.random() < 0.3):
                recorded = None
            sites = self.sites(condition, side)
            lidocaine = "lidocaine" in sites[0]["injectates"]
            relief = {
                "immediate": rng.uniform(0.45, 0.75),
                "delayed": rng.uniform(0.35, 0.65),
                "fibro": rng.uniform(0.25, 0.45),
                "nonresponder": 0.0,
            }[response]
            onset = {"immediate": 0, "delayed": rng.randint(2, 5), "fibro": rng.randint(3, 6)}
            post_pain = None
            if rng.random() < 0.6:
                drop = relief * 0.9 if lidocaine and response != "nonresponder" else 0.1
                post_pain = _clamp(pain * (1 - drop))
            visit = VisitPlan(
                performed_at=performed_at,
                condition=condition,
                sites=sites,
                pain=pain,
                recorded_baseline=recorded,
                post_injection_pain=post_pain,
                notes=rng.choice(VISIT_NOTES),
                response=response,
                relief=relief,
                onset=onset.get(response, 0),
                soreness_peak=rng.randint(6, 8) if response == "fibro" else rng.randint(3, 7),
                prelog=recorded is None and "no_prelog" not in traits,
                traits=traits,
            )
            if "stops" in traits:
                visit.stop_day = rng.randint(3, 6)
            if "large_bruise" in traits:
                visit.soreness_peak = max(visit.soreness_peak, 6)  # a bruise hurts too
            plans.append(visit)
        return plans

    # --- check-ins ------------------------------------------------------------------------

    def relief_on(self, visit: VisitPlan, day: int, hours_after: float) -> float:
        if visit.response == "nonresponder":
            return 0.0
        anaesthetic = 0.0
        if hours_after < 4 and any("lidocaine" in s["injectates"] for s in visit.sites):
            anaesthetic = 0.5
        if day < visit.onset:
            base = 0.0
        else:
            ramp = {"immediate": 1.0, "delayed": 3.0}.get(visit.response, 4.0)
            base = visit.relief * min(1.0, (day - visit.onset + 1) / ramp)
            if visit.response == "immediate" and day < 3:
                base *= 0.8  # the soreness takes some of the edge off the first days
        if "wanes" in visit.traits and day > 13:
            base *= max(0.2, 1 - (day - 13) / 8)
        return max(base, anaesthetic)

    def soreness_on(self, visit: VisitPlan, day: int, hours_after: float) -> int:
        curve: tuple[float, ...]
        if visit.response == "fibro":
            curve = (0.5, 0.9, 1.0, 0.8, 0.6, 0.45, 0.3, 0.2, 0.1)
        else:
            curve = (0.55, 1.0, 0.75, 0.35, 0.2, 0.1)
        factor = curve[day] if day < len(curve) else 0.04
        if day == 0 and hours_after < 2:
            factor = 0.25  # soreness starts 2-8 hours after the injections
        if "overdoes" in visit.traits and 2 <= day <= 5:
            factor = (0.8, 1.0, 1.05, 0.9)[day - 2]
        return _clamp(visit.soreness_peak * factor + self.rng.gauss(0, 0.6))

    def entry(self, visit: VisitPlan, day: int, felt_at: datetime, chatty: bool) -> dict[str, Any]:
        rng = self.rng
        hours_after = (felt_at - visit.performed_at).total_seconds() / 3600
        relief = self.relief_on(visit, day, hours_after)
        strenuous = rng.random() < (0.03 if day < 4 else 0.12)
        if "overdoes" in visit.traits and day == 2:
            strenuous = True
        pain = visit.pain * (1 - relief) + rng.gauss(0, 0.6) + (1 if strenuous else 0)
        if visit.response != "nonresponder" and 1 <= day <= 2:
            pain += rng.choice((0, 0, 1))  # the soreness bleeds into the pain score
        low = 0
        if visit.response == "nonresponder":
            low = visit.pain
            if "worsens" in visit.traits and day >= 3:
                pain += rng.choice((0, 1, 2, 2))
        soreness = self.soreness_on(visit, day, hours_after)
        bruising = Bruising.NONE
        if "large_bruise" in visit.traits and 1 <= day <= 4:
            bruising = Bruising.LARGE
        elif ("large_bruise" in visit.traits and day <= 8) or (day <= 3 and rng.random() < 0.2):
            bruising = Bruising.SMALL
        if day <= 1:
            iced, heated = rng.random() < 0.8, False
        elif day <= 5:
            iced, heated = (rng.random() < 0.6, False) if day % 2 else (False, rng.random() < 0.6)
        else:
            iced, heated = rng.random() < 0.05, rng.random() < 0.15
        notes = ""
        if rng.random() < (0.45 if chatty else 0.15):
            if bruising == Bruising.LARGE:
                notes = "Big bruise over one of the injection sites, bigger than a coin."
            elif day == 0:
                notes = rng.choice(NOTES_DAY0)
            elif soreness >= 5:
                notes = rng.choice(NOTES_SORE)
            elif relief >= 0.3:
                notes = rng.choice(NOTES_BETTER)
            else:
                notes = rng.choice(NOTES_SAME)
        if strenuous and "overdoes" in visit.traits and day == 2:
            notes = "Helped a friend move house. Probably too much."
        return {
            "felt_at": felt_at,
            "pain": _clamp(pain, low),
            "soreness": soreness,
            "bruising": bruising,
            "iced": iced,
            "heated": heated,
            "strenuous_activity": strenuous,
            "notes": notes,
        }

    def day_times(self, day_date: date, zone: ZoneInfo, count: int) -> list[datetime]:
        """``count`` check-ins on one local day: morning, midday and/or evening."""
        slots = ((7, 10), (12, 14), (18, 21))
        if count == 1:
            picked = self.rng.choices(range(3), (3, 2, 5))
        else:
            picked = sorted(self.rng.sample(range(3), count))
        return [
            _at(day_date, self.rng.randint(*slots[i]), self.rng.randrange(0, 60, 5), zone)
            for i in picked
        ]

    def check_ins(self, plan: PatientPlan, visit: VisitPlan) -> list[dict[str, Any]]:
        rng, zone = self.rng, ZoneInfo(plan.tz)
        chatty = "chatty" in visit.traits
        keep_logging = rng.uniform(0.72, 0.97)
        several = rng.uniform(0.15, 0.35) if chatty else rng.uniform(0.0, 0.12)
        visit_date = visit.performed_at.astimezone(zone).date()
        out: list[dict[str, Any]] = []
        if visit.prelog:
            for before in sorted(rng.sample(range(1, 8), rng.randint(2, 4)), reverse=True):
                felt_at = self.day_times(visit_date - timedelta(days=before), zone, 1)[0]
                low = 0 if visit.response != "nonresponder" else -1
                out.append(
                    {
                        "felt_at": felt_at,
                        "pain": _clamp(visit.pain + rng.choice((low, 0, 0, 1))),
                        "soreness": rng.choice((0, 0, 1)),
                        "bruising": Bruising.NONE,
                        "iced": False,
                        "heated": rng.random() < 0.3,
                        "strenuous_activity": False,
                        "notes": rng.choice(NOTES_BEFORE) if rng.random() < 0.3 else "",
                    }
                )
        for day in range(WINDOW_DAYS + 1):
            if visit.stop_day is not None and day > visit.stop_day:
                break
            if day > 2 and rng.random() > keep_logging:
                continue
            day_date = visit_date + timedelta(days=day)
            if day == 0:
                first = visit.performed_at + timedelta(minutes=rng.randint(40, 180))
                times = [first]
                evening = _at(day_date, rng.randint(19, 21), rng.randrange(0, 60, 5), zone)
                if rng.random() < 0.5 + several:
                    times.append(evening)
            else:
                count = 1
                if rng.random() < several * (2 if day <= 2 else 1):
                    count = rng.choice((2, 2, 3))
                times = self.day_times(day_date, zone, count)
            out.extend(self.entry(visit, day, felt_at, chatty) for felt_at in times)
        # Future check-ins are dropped only now, so the random stream never depends on the
        # time of day: the same values come out whenever the seeding runs.
        return [data for data in out if data["felt_at"] <= self.now]

    # --- the whole clinic -----------------------------------------------------------------

    def run(self) -> None:
        practice = Practice.objects.create(name=DEMO_PRACTICE)
        admin_email, admin_name, admin_tz = DEMO_ADMIN
        self.user(admin_email, admin_name, Role.PRACTICE_ADMIN, admin_tz, practice)
        physicians = [
            self.user(email, name, Role.PHYSICIAN, tz, practice) for email, name, tz in PHYSICIANS
        ]
        for plan in PATIENTS:
            patient = self.user(plan.email, plan.name, Role.PATIENT, plan.tz)
            physician = physicians[plan.physician]
            care_link(physician=physician, patient=patient)
            visits = self.visit_plans(plan)
            for visit in visits:  # every visit first: entry_save places entries as it writes
                visit_create(
                    physician=physician,
                    patient=patient,
                    performed_at=visit.performed_at,
                    condition=visit.condition,
                    sites=visit.sites,
                    baseline_pain=visit.recorded_baseline,
                    post_injection_pain=visit.post_injection_pain,
                    notes=visit.notes,
                )
            for visit in visits:
                for data in self.check_ins(plan, visit):
                    entry_save(
                        patient=patient,
                        entry_id=uuid.uuid4(),
                        data=data,
                        expected_version=None,
                    )
