"""Demo trainers, the courses each delivers and one week of leave; loaded by booking/demo.py before
the sessions, which are then given a trainer free on their days (free_trainer).

People are invented; emails use example.com; phones are Ofcom's numbers reserved for drama.
Safe to run again: a trainer is known by their email address, and the leave is added only while
the trainer has no days away still to come.
"""

import zlib
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from courses.models import Course

from . import services
from .models import Trainer, TrainerUnavailability

CR, DE, MCB, BPS = (
    "conflict-resolution",
    "de-escalation-skills",
    "managing-challenging-behaviour",
    "breakaway-and-personal-safety",
)
PI, PIR, LWS = "physical-intervention", "physical-intervention-refresher", "lone-worker-safety"
TRANSPORT, RETAIL = "conflict-management-transport", "conflict-management-retail"
THREAT, TTT = "threat-identification-dynamic-risk-assessment", "train-the-trainer-conflict-management"

TRAINERS = [
    {
        "name": "Rachel Whitmore",
        "email": "rachel.whitmore@example.com",
        "phone": "020 7946 0381",
        "courses": [CR, DE, MCB, LWS, RETAIL, THREAT],
        "notes": "Former A&E charge nurse. Leads most of the NHS conflict resolution courses.",
    },
    {
        "name": "Dev Chauhan",
        "email": "dev.chauhan@example.com",
        "phone": "0161 496 0722",
        "courses": [PI, PIR, BPS, DE, TTT],
        "notes": "RRN-certified physical intervention trainer. Based in Manchester.",
    },
    {
        "name": "Aisha Bello",
        "email": "aisha.bello@example.com",
        "phone": "0113 496 0264",
        "courses": [CR, DE, MCB, LWS, TRANSPORT, THREAT],
        "notes": "Background in housing and community safety; runs the lone worker courses.",
    },
    {
        "name": "Owen Pritchard",
        "email": "owen.pritchard@example.com",
        "phone": "0117 496 0158",
        "courses": [PI, PIR, BPS, MCB, TRANSPORT, RETAIL],
        "notes": "Ex-police; RRN-certified. Prefers courses in the South and East.",
    },
    {
        "name": "Fiona McAllister",
        "email": "fiona.mcallister@example.com",
        "phone": "0131 496 0477",
        "courses": [CR, DE, BPS, LWS, RETAIL, THREAT, TTT],
        "notes": "Senior trainer; delivers Train the Trainer and assesses new trainers.",
    },
]

# One week of leave, some weeks ahead, so the office sees a trainer away.
LEAVE = {"email": "fiona.mcallister@example.com", "weeks_ahead": 3, "reason": "annual leave"}


@transaction.atomic
def load_trainers(*, today=None):
    """Create the missing demo trainers and the leave; returns the number of trainers created."""
    today = today or timezone.localdate()
    courses = {course.slug: course for course in Course.objects.all()}
    created = 0
    for data in TRAINERS:
        trainer, was_created = Trainer.objects.get_or_create(
            email=data["email"], defaults={key: data[key] for key in ("name", "phone", "notes")}
        )
        if was_created:
            trainer.full_clean()
            trainer.courses.set([courses[slug] for slug in data["courses"] if slug in courses])
            created += 1
    _load_leave(today)
    return created


def _load_leave(today):
    trainer = Trainer.objects.filter(email=LEAVE["email"]).first()
    if trainer is None or TrainerUnavailability.objects.filter(trainer=trainer, ends_on__gte=today).exists():
        return
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=LEAVE["weeks_ahead"])
    for week in range(8):  # the first week from then on that the trainer is on no session
        first = monday + timedelta(weeks=week)
        try:
            services.trainer_unavailability_add(
                trainer=trainer, starts_on=first, ends_on=first + timedelta(days=4), reason=LEAVE["reason"]
            )
        except ValidationError:
            continue
        return


def free_trainer(*, course, days):
    """An active trainer set up for the course and free on every day, or None. Chosen in turn by
    a stable hash of the course and first day, so the same rota gets the same trainers."""
    candidates = list(Trainer.objects.filter(courses=course, is_active=True).order_by("pk"))
    if not candidates:
        return None
    start = zlib.crc32(f"{course.slug}|{min(days)[0].date()}".encode()) % len(candidates)
    for trainer in candidates[start:] + candidates[:start]:
        try:
            services.trainer_check_free(trainer=trainer, days=days, course=course)
        except ValidationError:
            continue
        return trainer
    return None
