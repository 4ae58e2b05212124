"""Shared by the invoicing tests: a priced session, bookings made through the real services,
and reading PDFs back."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from tests.factories import CourseFactory, VenueFactory, make_booking, make_session


@pytest.fixture
def course():
    return CourseFactory(title="De-escalation Skills", price=Decimal("150.00"))


@pytest.fixture
def session(course):
    venue = VenueFactory(name="Orwell Training Centre", town="Ipswich", postcode="IP3 9SJ")
    return make_session(course=course, venue=venue, starts_in_days=30, capacity=12)


@pytest.fixture
def book(session):
    """book(count=2, purchase_order="PO-1", **fields): a booking on the session, through booking_create."""

    def _book(count=2, **fields):
        return make_booking(session, count=count, **fields)

    return _book


def pdf_text(content):
    """All the text of a PDF, pages joined, whitespace runs made single spaces."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
