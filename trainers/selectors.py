"""Reads for the office: trainers with their next day, and each trainer's upcoming days."""

from django.db.models import Min, Q
from django.utils import timezone

from booking.models import SessionDay, SessionStatus

from .models import Trainer


def trainer_list(*, now=None):
    """Trainers with `next_day_at`: the start of their next day on a non-cancelled session (or None)."""
    now = now or timezone.now()
    upcoming = Q(sessions__days__ends_at__gt=now) & ~Q(sessions__status=SessionStatus.CANCELLED)
    # Ordered here: an aggregate drops Meta.ordering.
    return Trainer.objects.annotate(next_day_at=Min("sessions__days__starts_at", filter=upcoming)).order_by(
        "name", "pk"
    )


def trainer_upcoming_days(trainer, *, now=None):
    """The trainer's days on non-cancelled sessions, public and in-house, from today on (a day
    under way included), soonest first. Each is a SessionDay with its session, the session's
    course and venue loaded: day.starts_at, day.session, day.session.course,
    day.session.venue.place, day.session.is_in_house."""
    now = now or timezone.now()
    return (
        SessionDay.objects.filter(session__trainer=trainer, ends_at__gt=now)
        .exclude(session__status=SessionStatus.CANCELLED)
        .select_related("session__course", "session__venue")
        .order_by("starts_at", "pk")
    )
