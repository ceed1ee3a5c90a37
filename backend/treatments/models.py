"""Trigger point injection visits and the sites injected at each."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

# The earliest instant Relief accepts for a visit or a check-in: anything before is a
# mistyped year, not history.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
# How far ahead of the server's clock a visit or check-in time may be: a phone's clock runs
# a little fast, a check-in is never in the future.
FUTURE_TOLERANCE = timedelta(minutes=10)


class Condition(models.TextChoices):
    MYOFASCIAL_PAIN = "myofascial_pain", "Myofascial pain"
    FIBROMYALGIA = "fibromyalgia", "Fibromyalgia"
    TENSION_HEADACHE = "tension_headache", "Tension headache"
    NECK_PAIN = "neck_pain", "Neck pain"
    LOW_BACK_PAIN = "low_back_pain", "Low back pain"
    EXTREMITY_PAIN = "extremity_pain", "Extremity pain"


class BodyRegion(models.TextChoices):
    HEAD = "head", "Head and face"
    NECK = "neck", "Neck"
    SHOULDER = "shoulder", "Shoulder"
    UPPER_BACK = "upper_back", "Upper back"
    LOW_BACK = "low_back", "Low back"
    CHEST = "chest", "Chest"
    ABDOMEN = "abdomen", "Abdomen"
    HIP_BUTTOCK = "hip_buttock", "Hip and buttock"
    ARM = "arm", "Arm and hand"
    LEG = "leg", "Leg and foot"


class Side(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BILATERAL = "bilateral", "Bilateral"
    MIDLINE = "midline", "Midline"


class Injectate(models.TextChoices):
    LIDOCAINE = "lidocaine", "Lidocaine"
    SALINE = "saline", "Saline"
    MAGNESIUM = "magnesium", "Magnesium"


INJECTATES = tuple(Injectate.values)


def _score(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(**{f"{name}__isnull": True})
        | models.Q(**{f"{name}__gte": 0, f"{name}__lte": 10}),
        name=f"visit_{name}_0_10",
    )


class Visit(models.Model):
    """One TPI visit: day 0 of the patient's recovery window."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Indexed by (patient, performed_at) in Meta: no index of its own.
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits", db_index=False
    )
    physician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits_performed"
    )
    performed_at = models.DateTimeField()
    # The patient-local date of the visit (day 0), fixed when recorded so days never shift.
    local_date = models.DateField()
    condition = models.CharField(max_length=32, choices=Condition.choices)
    baseline_pain = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    post_injection_pain = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    notes = models.TextField(blank=True, max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-performed_at"]
        indexes: ClassVar = [models.Index(fields=["patient", "performed_at"])]
        constraints: ClassVar = [
            _score("baseline_pain"),
            _score("post_injection_pain"),
            models.CheckConstraint(
                condition=models.Q(condition__in=Condition.values), name="visit_condition_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"TPI visit {self.performed_at:%Y-%m-%d} for {self.patient_id}"

    @property
    def cpt_code(self) -> str:
        return cpt_code_for(self.sites.all())


def muscles_injected(sites: object) -> int:
    """Distinct muscles injected: the same muscle on the left and the right counts twice
    (bilateral = left + right), as CPT counts muscles, not needle sites."""
    muscles: set[tuple[str, str]] = set()
    for site in sites:  # type: ignore[attr-defined]
        name = " ".join(site.muscle.lower().split())
        sides = ("left", "right") if site.side == Side.BILATERAL else (site.side,)
        muscles.update((name, side) for side in sides)
    return len(muscles)


def cpt_code_for(sites: object) -> str:
    """CPT 20552 for trigger point injections into 1-2 muscles, 20553 for 3 or more."""
    return "20553" if muscles_injected(sites) >= 3 else "20552"


class InjectionSite(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="sites")
    body_region = models.CharField(max_length=32, choices=BodyRegion.choices)
    muscle = models.CharField(max_length=100)
    side = models.CharField(max_length=16, choices=Side.choices)
    lidocaine = models.BooleanField(default=False)
    saline = models.BooleanField(default=False)
    magnesium = models.BooleanField(default=False)
    volume_ml = models.DecimalField(max_digits=4, decimal_places=1)

    class Meta:
        ordering: ClassVar = ["id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(lidocaine=True)
                | models.Q(saline=True)
                | models.Q(magnesium=True),
                name="site_has_injectate",
            ),
            models.CheckConstraint(
                condition=models.Q(volume_ml__gt=0, volume_ml__lte=20), name="site_volume_range"
            ),
            models.CheckConstraint(
                condition=models.Q(side__in=Side.values), name="site_side_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(body_region__in=BodyRegion.values), name="site_region_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.muscle} ({self.side})"

    @property
    def injectates(self) -> list[str]:
        return [name for name in INJECTATES if getattr(self, name)]
