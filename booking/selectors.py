"""Reads for sessions and bookings, with seat counts annotated in the same query."""

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from .models import SEAT_HOLDING, Booking, BookingStatus, CourseSession, SessionStatus


def session_list(*, with_counts=True):
    sessions = CourseSession.objects.select_related("course", "venue").prefetch_related("days")
    if with_counts:
        sessions = sessions.annotate(
            seats_taken=Count("bookings__delegates", filter=Q(bookings__status__in=SEAT_HOLDING), distinct=True),
            waiting_list_count=Count(
                "bookings__delegates", filter=Q(bookings__status=BookingStatus.WAITLISTED), distinct=True
            ),
        ).annotate(seats_remaining=Greatest(F("capacity") - F("seats_taken"), 0))
    return sessions


def session_list_public():
    """Sessions the public may see and book: of published courses, never in-house ones (those
    are for one organisation, reached only by its private registration link)."""
    return session_list().filter(course__is_published=True, is_in_house=False)


def session_list_upcoming(
    *, course=None, sector=None, date_from=None, date_to=None, available=None, modified_since=None, now=None
):
    """Public sessions not yet started, soonest first. `course` and `sector` are slugs; dates are
    dates. `modified_since` (a time): sessions changed since, or whose bookings changed since (a
    seat count moved), so a client can poll for what changed."""
    now = now or timezone.now()
    sessions = session_list_public().filter(starts_at__gt=now)
    if course:
        sessions = sessions.filter(course__slug=course)
    if sector:
        sessions = sessions.filter(course__sectors__slug=sector)
    if date_from:
        sessions = sessions.filter(starts_at__date__gte=date_from)
    if date_to:
        sessions = sessions.filter(starts_at__date__lte=date_to)
    if available:
        sessions = sessions.filter(status=SessionStatus.SCHEDULED, booking_closes_at__gt=now, seats_remaining__gt=0)
    if modified_since:
        bookings_changed = Booking.objects.filter(session=OuterRef("pk"), updated_at__gte=modified_since)
        sessions = sessions.filter(Q(updated_at__gte=modified_since) | Exists(bookings_changed))
    return sessions.order_by("starts_at", "pk")


def booking_queryset():
    """Bookings with their session, delegates, history and days fetched up front."""
    return Booking.objects.select_related("session__course", "session__venue").prefetch_related(
        "delegates", "events", Prefetch("session__days")
    )
