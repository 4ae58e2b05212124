"""Demo quotes for the sales desk: a quote sent to a demo lead (a trainer proposed when one is
free) and a draft, made through the services as real ones are. Their people are invented, so
the emails they would cause are not kept."""

import math
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import business_hours
from courses.models import Course
from enquiries.models import Lead
from outbox.models import OutboundEmail

from . import services
from .models import LineKind, Quote, course_days

DAY_RATE = Decimal("950.00")
TRAVEL = Decimal("180.00")


def _start(today, weeks):
    """09:30 on the first working day `weeks` weeks ahead."""
    day = business_hours.working_days_from(today + timedelta(weeks=weeks), 1)[0]
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=business_hours.LONDON)


def _trainer(course, starts):
    """A demo trainer set up for the course and free for every proposed start, or None."""
    from trainers.demo import free_trainer
    from trainers.services import trainer_check_free

    trainer = free_trainer(course=course, days=course_days(course, starts[0]))
    if trainer is None:
        return None
    try:
        for start in starts[1:]:
            trainer_check_free(trainer=trainer, days=course_days(course, start), course=course)
    except ValidationError:
        return None
    return trainer


@transaction.atomic
def demo_quote(*, lead, user, course=None, send=True, today=None):
    """A quote for the lead: the course's days at a day rate plus travel, two proposed starts four
    and six weeks ahead, a free trainer proposed when there is one; sent unless `send` is False.
    Returns the quote."""
    today = today or timezone.localdate()
    course = course or lead.courses.order_by("title").first() or Course.objects.order_by("title").first()
    starts = [_start(today, 4), _start(today, 6)]
    days = math.ceil(course.duration_days)
    quote = services.quote_create(
        lead=lead,
        user=user,
        course=course,
        trainer=_trainer(course, starts),
        site_name=lead.organisation or "Client site",
        site_address="Training room, main building",
        site_town=lead.preferred_town or "Ipswich",
        site_postcode="IP4 5PD",
        delegates=12,
        notes="Includes course workbooks and certificates for every delegate.",
        lines=[
            {
                "kind": LineKind.COURSE_DAYS,
                "description": f"{course.title}: {days} day{'s' if days > 1 else ''} at your site, up to 12 delegates",
                "quantity": Decimal(days),
                "unit_price": DAY_RATE,
                "course": course,
            },
            {
                "kind": LineKind.TRAVEL,
                "description": "Trainer's travel",
                "quantity": Decimal("1"),
                "unit_price": TRAVEL,
            },
        ],  # fmt: skip
        proposed_dates=starts,
    )
    if send:
        quote = services.quote_send(quote=quote, user=user)
    return quote


def load_quotes(*, user, today=None):
    """Demo quotes, once (none if any quote exists): one sent to the first demo enquiry, one draft
    for another. Returns how many were made."""
    if Quote.objects.exists():
        return 0
    leads = list(Lead.objects.filter(lead_type="enquiry", anonymised_at__isnull=True).exclude(email="")[:2])
    made = []
    for number, lead in enumerate(leads):
        made.append(demo_quote(lead=lead, user=user, send=number == 0, today=today))
    OutboundEmail.objects.filter(kind__startswith="quote_", lead__in=leads).delete()
    return len(made)
