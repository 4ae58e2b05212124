"""Daily tasks after the course (beat schedule in config/settings.py)."""

from celery import shared_task
from django.utils import timezone

from booking.models import CourseSession, SessionStatus

from . import emails


@shared_task
def send_attendance_links():
    """On the morning a course starts, its trainer gets the attendance link (once)."""
    today = timezone.localdate()
    sessions = CourseSession.objects.filter(
        status=SessionStatus.SCHEDULED, trainer__isnull=False, days__starts_at__date=today
    ).select_related("course", "venue", "trainer")
    sent = 0
    for session in sessions.distinct():
        if timezone.localtime(session.starts_at).date() == today:
            sent += emails.queue_attendance_link(session)
    return sent


@shared_task
def send_refresher_reminders():
    from .services.reminders import refresher_reminders_send

    return refresher_reminders_send()
