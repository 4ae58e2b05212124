"""What the public catalogue pages and the sessions API show, and so what invalidates their cache
(core/http_cache.py).

Any save or delete of these models, or change to their many-to-many links, invalidates every
stored answer once its transaction commits: the catalogue, sessions and their days and venues,
bookings and delegates (the seat counts), feedback (a course's rating) and insight articles (a
course's and a sector's related reading). A flush of the database and a settings change (tests)
do too. Writes that send no signals (`queryset.update()`, `bulk_create`) are caught by the short
lifetime of every answer instead; the booking services also save the booking itself.
"""

from django.apps import apps
from django.core.signals import setting_changed
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

from core import http_cache

SHOWN = [
    "courses.Sector",
    "courses.Course",
    "courses.Testimonial",
    "courses.Programme",
    "courses.ProgrammeCourse",
    "booking.Venue",
    "booking.CourseSession",
    "booking.SessionDay",
    "booking.Booking",
    "booking.Delegate",
    "records.Feedback",
    "insights.Category",
    "insights.Article",
]


def _row_changed(sender, using=None, **kwargs):
    http_cache.invalidate_on_commit(using=using)


def _links_changed(sender, action, using=None, **kwargs):
    if action.startswith("post_"):
        http_cache.invalidate_on_commit(using=using)


def _everything_changed(**kwargs):
    http_cache.invalidate()


def connect():
    """Connect the receivers (idempotent). Called once the apps are ready."""
    for label in SHOWN:
        model = apps.get_model(label)
        post_save.connect(_row_changed, sender=model, dispatch_uid=f"http_cache.save.{label}")
        post_delete.connect(_row_changed, sender=model, dispatch_uid=f"http_cache.delete.{label}")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(_links_changed, sender=through, dispatch_uid=f"http_cache.m2m.{through._meta.label}")
    post_migrate.connect(_everything_changed, dispatch_uid="http_cache.flush")
    setting_changed.connect(_everything_changed, dispatch_uid="http_cache.settings")
