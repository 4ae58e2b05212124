"""Quotes for the quote tests: a lead added through the enquiries services, owned by Amy (Sales),
and quotes drafted and sent through the quote services, three working days of De-escalation at
the client's site with a trainer proposed."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from core import business_hours
from enquiries.services import lead_add, lead_assign
from quotes import services
from quotes.models import LineKind
from tests.factories import CourseFactory
from trainers.models import Trainer


def make_sales_user(username):
    user = get_user_model().objects.create_user(
        username, email=f"{username}@example.com", first_name=username.title(), last_name="Clarke", is_staff=True
    )
    # get_or_create: a test that empties the database (transaction=True) loses the migration's group.
    user.groups.add(Group.objects.get_or_create(name="Sales")[0])
    return user


def working_start(days_ahead, hour=9, minute=30):
    """09:30 on the first working day at least `days_ahead` days from now (London)."""
    day = business_hours.working_days_from(timezone.localdate() + timedelta(days=days_ahead), 1)[0]
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=business_hours.LONDON)


LINES = [
    {"kind": LineKind.COURSE_DAYS, "description": "De-escalation Skills: 3 days at your site", "quantity": Decimal("3"),
     "unit_price": Decimal("950.00")},
    {"kind": LineKind.TRAVEL, "description": "Trainer's travel and accommodation", "quantity": Decimal("1"),
     "unit_price": Decimal("180.00")},
]  # fmt: skip
# 3 × 950 + 180 = 3,030.00 net; VAT 606.00; 3,636.00 gross.
DISCOUNT = {"kind": LineKind.DISCOUNT, "description": "Returning client discount", "quantity": Decimal("1"),
            "unit_price": Decimal("100.00")}  # fmt: skip


@pytest.fixture
def amy():
    return make_sales_user("amy")


@pytest.fixture
def amy_client(client, amy):
    client.force_login(amy)
    return client


@pytest.fixture
def course():
    return CourseFactory(title="De-escalation Skills", duration_days=Decimal("3"), price=Decimal("195.00"))


@pytest.fixture
def trainer(course):
    trainer = Trainer.objects.create(name="Helen Ward", email="helen.ward@example.com")
    trainer.courses.set([course])
    return trainer


@pytest.fixture
def lead(amy, course):
    lead = lead_add(
        lead_type="enquiry",
        origin="phone",
        data={
            "name": "Jordan Ellis",
            "job_title": "Practice Educator",
            "organisation": "East Suffolk NHS Trust",
            "organisation_type": "nhs",
            "email": "jordan.ellis@example.org",
            "phone": "01473 555 987",
            "staff_count": 40,
            "preferred_town": "Ipswich",
        },
        courses=[course],
        actor=amy,
    )
    return lead_assign(lead=lead, owner=amy, actor=amy)


def draft(lead, user, *, trainer=None, lines=LINES, dates=None, **fields):
    values = {
        "site_name": "Ipswich Hospital",
        "site_address": "Heath Road",
        "site_town": "Ipswich",
        "site_postcode": "IP4 5PD",
        "trainer": trainer,
        **fields,
    }
    if dates is None and not fields.get("dates_to_be_agreed"):
        dates = [working_start(20), working_start(40)]
    return services.quote_create(lead=lead, user=user, lines=lines, proposed_dates=dates or (), **values)


@pytest.fixture
def quote(lead, amy, trainer):
    """A draft with three lines and two proposed dates."""
    return draft(lead, amy, trainer=trainer)


@pytest.fixture
def sent(quote, amy, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.quote_send(quote=quote, user=amy)


def accept(quote, **overrides):
    values = {
        "name": "Morgan Reid",
        "job_title": "Head of Learning",
        "email": "morgan.reid@example.org",
        "phone": "01473 555 321",
        "purchase_order": "PO-77812",
        "po_to_follow": False,
        "invoice_address": "Finance, Heath Road, Ipswich IP4 5PD",
        "proposed_date": quote.proposed_dates.first(),
    }
    values.update(overrides)
    return services.quote_accept(quote=quote, **values)
