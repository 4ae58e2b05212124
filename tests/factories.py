from decimal import Decimal

import factory

from courses.models import Course, Sector, Testimonial


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sector

    name = factory.Sequence(lambda n: f"Sector {n}")
    slug = factory.Sequence(lambda n: f"sector-{n}")
    summary = factory.Faker("sentence")
    introduction = factory.Faker("paragraph")
    display_order = factory.Sequence(lambda n: n)


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Course {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    summary = factory.Faker("sentence")
    description = factory.Faker("paragraph")
    learning_outcomes = "Recognise warning signs\nUse calming words"
    audience = "Front-line staff"
    duration_days = Decimal("1")
    price = Decimal("145.00")
    is_published = True

    @factory.post_generation
    def sectors(self, create, extracted, **kwargs):
        if create and extracted:
            self.sectors.set(extracted)


class TestimonialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Testimonial

    quote = factory.Faker("sentence")
    attribution_role = "Ward manager"
    attribution_organisation = "an NHS trust"


# Booking ---------------------------------------------------------------------------------------


def london(year, month, day, hour=9, minute=30):
    """A zone-aware time in Europe/London."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Europe/London"))


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "booking.Venue"

    name = factory.Sequence(lambda n: f"Training Centre {n}")
    address = "1 Example Street"
    town = "Ipswich"
    postcode = "IP1 1AA"
    access_notes = "Step-free access from the car park."


def make_session(*, course=None, venue=None, starts_in_days=30, days=1, capacity=10, **kwargs):
    """A scheduled session through the real service, `days` consecutive days from 09:30 to 16:30."""
    from datetime import timedelta

    from django.utils import timezone

    from booking.services import session_create

    first = timezone.localtime(timezone.now() + timedelta(days=starts_in_days)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    spans = [(first + timedelta(days=n), first + timedelta(days=n, hours=7)) for n in range(days)]
    return session_create(
        course=course or CourseFactory(),
        venue=venue or VenueFactory(),
        days=spans,
        capacity=capacity,
        **kwargs,
    )


def delegates(count, prefix="delegate"):
    from booking.services import DelegateData

    return [
        DelegateData(name=f"Delegate {n}", email=f"{prefix}{n}@example.org", job_role="Nurse") for n in range(count)
    ]


def make_booking(session, *, count=1, prefix=None, purchase_order="PO-1001", po_to_follow=False, **kwargs):
    """A booking through the real service."""
    from booking.services import booking_create

    make_booking.counter = getattr(make_booking, "counter", 0) + 1
    fields = {
        "organisation": "East Coast NHS Trust",
        "organisation_type": "nhs",
        "contact_name": "Sam Booker",
        "contact_email": "sam.booker@example.org",
        "contact_phone": "01473 555 012",
        "invoice_address": "Finance, 1 Hospital Road, Ipswich IP4 5PD",
        "accept_terms": True,
        "purchase_order": "" if po_to_follow else purchase_order,
        "po_to_follow": po_to_follow,
        "delegates": delegates(count, prefix=prefix or f"b{make_booking.counter}-d"),
    }
    fields.update(kwargs)
    return booking_create(session=session, **fields)
