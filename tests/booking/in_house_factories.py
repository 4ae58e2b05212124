"""In-house sessions for the tests, made through the real service as quote acceptance makes them."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from tests.factories import CourseFactory

AGREED_LINES = [
    {"description": "De-escalation Skills, in-house, trainer's day rate", "quantity": "2", "unit_price": "950.00"},
    {"description": "Trainer's travel", "quantity": "1", "unit_price": "120.00"},
]
AGREED_NET = Decimal("2020.00")


def in_house_days(*, starts_in_days=30, days=1):
    first = timezone.localtime(timezone.now() + timedelta(days=starts_in_days)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    return [(first + timedelta(days=n), first + timedelta(days=n, hours=7)) for n in range(days)]


def in_house_fields(**overrides):
    fields = {
        "course": None,
        "days": None,
        "capacity": 12,
        "trainer": None,
        "organisation": "Orwell Valley NHS Foundation Trust",
        "organisation_type": "nhs",
        "site_name": "Orwell Valley Hospital, Education Centre",
        "site_address": "Heath Road",
        "site_town": "Ipswich",
        "site_postcode": "IP4 5PD",
        "contact_name": "Priya Shah",
        "contact_email": "priya.shah@example.org",
        "contact_phone": "01473 555 012",
        "job_title": "Practice Educator",
        "invoice_address": "Accounts Payable, Orwell Valley NHS Foundation Trust, Heath Road, Ipswich IP4 5PD",
        "purchase_order": "PO-778812",
        "po_to_follow": False,
        "agreed_lines": AGREED_LINES,
        "joining_instructions": "Report to the Education Centre reception by 09:15.",
        "actor": "client (quote acceptance)",
    }
    fields.update(overrides)
    return fields


def make_in_house(*, starts_in_days=30, day_count=1, **overrides):
    """The host booking of a new in-house session (its session is booking.session). `days` may
    be given as (start, end) pairs; else `day_count` days from `starts_in_days` from now."""
    from booking.services import in_house_session_create

    fields = in_house_fields(**overrides)
    if fields["course"] is None:
        from courses.models import Course

        fields["course"] = Course.objects.filter(title="De-escalation Skills").first() or CourseFactory(
            title="De-escalation Skills"
        )
    fields["days"] = fields["days"] or in_house_days(starts_in_days=starts_in_days, days=day_count)
    return in_house_session_create(**fields)


def register(session, n, **overrides):
    from booking.services import in_house_register

    fields = {"name": f"Staff Member {n}", "email": f"staff{n}@example.org", "job_role": "Staff Nurse"}
    fields.update(overrides)
    return in_house_register(session=session, **fields)
