"""The one clash rule: a trainer is on at most one session a day, and never on a day they are away.

Everything that puts a trainer on a day comes through here: session_create with a trainer, the
session admin (a new trainer, new days or a new venue), the staff API, the acceptance of an
in-house quote, and the days a trainer marks as unavailable. Each first locks the trainer's row
(trainer_lock), so on PostgreSQL two assignments of the same trainer queue up and the second
sees what the first saved; then checks (trainer_check_free); then saves, in one transaction.

Days are compared as UK calendar dates (Europe/London): a morning and an afternoon session on
the same date clash too, because a trainer cannot be at two sites on one day.
"""

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from booking.models import CourseSession, SessionDay, SessionStatus

from .models import Trainer, TrainerUnavailability

logger = logging.getLogger(__name__)


def trainer_lock(trainer):
    """Lock the trainer's row for the rest of the transaction; returns the fresh row.

    Call it before checking and saving anything that puts the trainer on a day."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Fail with an error rather than queue for ever behind a stuck transaction.
            cursor.execute("SET LOCAL lock_timeout = %s", [f"{int(settings.BOOKING_LOCK_TIMEOUT_MS)}ms"])
    return Trainer.objects.select_for_update().get(pk=trainer.pk)


def uk_day(value):
    """Tue 3 March 2026"""
    return f"{value:%a} {value.day} {value:%B %Y}"


def _and(items):
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def local_dates(start, end):
    """The UK dates a span touches (a span ending at midnight does not touch the next date)."""
    first = timezone.localdate(start)
    last = timezone.localdate(max(end - timedelta(microseconds=1), start))
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _midnight(day):
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def session_label(session):
    """Conflict Resolution, Ipswich (in-house)"""
    label = f"{session.course.title}, {session.venue.place}"
    return f"{label} (in-house)" if session.is_in_house else label


def trainer_days_between(trainer, first, last, *, exclude_session=None):
    """{date: [session, ...]} for the trainer's non-cancelled sessions (public or in-house) on
    UK dates from first to last inclusive."""
    days = (
        SessionDay.objects.filter(
            session__trainer=trainer,
            starts_at__lt=_midnight(last + timedelta(days=1)),
            ends_at__gt=_midnight(first),
        )
        .exclude(session__status=SessionStatus.CANCELLED)
        .select_related("session__course", "session__venue")
        .order_by("starts_at", "pk")
    )
    if exclude_session is not None and exclude_session.pk:
        days = days.exclude(session_id=exclude_session.pk)
    taken = {}
    for day in days:
        for date in local_dates(day.starts_at, day.ends_at):
            if first <= date <= last and day.session not in taken.setdefault(date, []):
                taken[date].append(day.session)
    return taken


def trainer_check_free(*, trainer, days, course=None, exclude_session=None):
    """Refuse (ValidationError on "trainer") if the trainer cannot take these days.

    `days` is a list of (start, end) zone-aware datetimes. Refused when the trainer is inactive,
    is not set up for `course` (if given), is already on another non-cancelled session on any
    of the dates (`exclude_session`, the session being changed, does not count), or is away on
    any of them. Call it after trainer_lock(trainer), in the same transaction as the save."""
    name = trainer.name
    if not trainer.is_active:
        raise ValidationError({"trainer": f"{name} is no longer active. Choose another trainer."})
    problems = []
    if course is not None and not trainer.courses.filter(pk=course.pk).exists():
        problems.append(f"{name} is not set up to deliver {course.title}.")
    dates = sorted({date for start, end in days for date in local_dates(start, end)})
    if dates:
        by_session = {}
        for date, sessions in trainer_days_between(
            trainer, dates[0], dates[-1], exclude_session=exclude_session
        ).items():
            if date in dates:
                for session in sessions:
                    by_session.setdefault(session, []).append(date)
        for session, clashes in by_session.items():
            problems.append(
                f"{name} is already on {session_label(session)} on {_and(uk_day(d) for d in sorted(clashes))}."
            )
        away = TrainerUnavailability.objects.filter(trainer=trainer, starts_on__lte=dates[-1], ends_on__gte=dates[0])
        for period in away:
            hit = [date for date in dates if period.starts_on <= date <= period.ends_on]
            reason = f" ({period.reason})" if period.reason else ""
            problems.append(f"{name} is unavailable on {_and(uk_day(d) for d in hit)}{reason}.")
    if problems:
        raise ValidationError({"trainer": problems})


def session_days(session):
    """The session's own days as (start, end) pairs, from its SessionDay rows."""
    return list(session.days.order_by("starts_at").values_list("starts_at", "ends_at"))


@transaction.atomic
def session_assign_trainer(*, session, trainer, actor="staff"):
    """Put `trainer` on the session (None takes the trainer off). Checks the session's own days
    under the trainer's lock; a refusal is a ValidationError on "trainer" and changes nothing."""
    if trainer is not None:
        trainer = trainer_lock(trainer)
    # The session's row only: a plain FOR UPDATE would lock its course's and venue's rows too,
    # and queue up every assignment to any session of the same course.
    session = CourseSession.objects.select_for_update(of=("self",)).select_related("course", "venue").get(pk=session.pk)
    if trainer is not None:
        if session.is_cancelled:
            raise ValidationError({"trainer": "This session is cancelled: it needs no trainer."})
        trainer_check_free(trainer=trainer, days=session_days(session), course=session.course, exclude_session=session)
    if session.trainer_id != (trainer.pk if trainer else None):
        previous = session.trainer_id
        session.trainer = trainer
        session.save(update_fields=["trainer", "updated_at"])
        logger.info("Session %s: trainer %s -> %s by %s", session.pk, previous, session.trainer_id, actor)
    return session


def trainer_check_can_be_away(*, trainer, starts_on, ends_on, exclude=None):
    """Refuse (ValidationError on "starts_on") days away that cover a day the trainer is on a
    session: those sessions need another trainer first. Call it after trainer_lock(trainer)."""
    if not trainer.pk or not starts_on or not ends_on or ends_on < starts_on:
        return
    taken = trainer_days_between(trainer, starts_on, ends_on)
    if not taken:
        return
    by_session = {}
    for date in sorted(taken):
        for session in taken[date]:
            by_session.setdefault(session, []).append(date)
    on = "; ".join(f"{session_label(s)} on {_and(uk_day(d) for d in dates)}" for s, dates in by_session.items())
    raise ValidationError(
        {"starts_on": f"{trainer.name} is on {on}. Give those sessions another trainer first, or choose other days."}
    )


@transaction.atomic
def trainer_unavailability_add(*, trainer, starts_on, ends_on, reason=""):
    """Record days a trainer cannot work; refused if they are on a session on any of them."""
    trainer = trainer_lock(trainer)
    period = TrainerUnavailability(trainer=trainer, starts_on=starts_on, ends_on=ends_on, reason=reason)
    period.full_clean()
    trainer_check_can_be_away(trainer=trainer, starts_on=starts_on, ends_on=ends_on)
    period.save()
    return period
