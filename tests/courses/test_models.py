from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from courses.models import Course, Delivery
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("days", "label"), [("0.5", "Half day"), ("1", "1 day"), ("1.0", "1 day"), ("3", "3 days"), ("2.5", "2.5 days")]
)
def test_duration_is_stored_exactly_and_labelled(days, label):
    course = CourseFactory(duration_days=Decimal(days))
    course.refresh_from_db()
    assert course.duration_days == Decimal(days)
    assert course.duration_label == label


def test_vat_is_twenty_percent_rounded_to_the_penny():
    course = CourseFactory(price=Decimal("95.99"))
    assert course.vat == Decimal("19.20")
    assert course.price_including_vat == Decimal("115.19")


def test_in_house_only_course_needs_no_price():
    course = CourseFactory(price=None, delivery_open=False)
    assert course.vat is None
    assert course.delivery_formats == [(Delivery.IN_HOUSE.value, Delivery.IN_HOUSE.label)]


def test_open_course_without_price_is_refused_with_a_message():
    course = CourseFactory.build(price=None, delivery_open=True)
    with pytest.raises(ValidationError) as excinfo:
        course.full_clean()
    assert "An open course needs a price per delegate." in str(excinfo.value)


def test_course_needs_a_delivery_format_even_outside_forms():
    with pytest.raises(IntegrityError):
        Course.objects.create(
            title="Nowhere",
            slug="nowhere",
            summary="s",
            description="d",
            duration_days=1,
            price=1,
            delivery_open=False,
            delivery_in_house=False,
            delivery_virtual=False,
        )


def test_half_day_minimum():
    course = CourseFactory.build(duration_days=Decimal("0.2"))
    with pytest.raises(ValidationError) as excinfo:
        course.full_clean()
    assert "duration_days" in excinfo.value.message_dict
