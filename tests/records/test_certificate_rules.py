"""Certificate numbers, expiry and status."""

from datetime import date, timedelta

import pytest

from records.services import Status, certificate_issue, certificate_status, expiry_for, normalise_number
from records.services.certificates import ALPHABET, new_number
from tests.factories import CourseFactory, make_booking, make_session


def test_numbers_are_random_readable_and_do_not_follow_one_another():
    numbers = [new_number() for _ in range(2000)]
    assert len(set(numbers)) == len(numbers)
    for number in numbers[:50]:
        assert len(number) == 14 and number[4] == number[9] == "-"
        assert set(number.replace("-", "")) <= set(ALPHABET)
        assert not set(number) & set("ILOU")
    # Not a counter: consecutive numbers share no common prefix more often than chance would.
    same_start = sum(a[:4] == b[:4] for a, b in zip(numbers, numbers[1:], strict=False))
    assert same_start < 5


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7K3M-9QXP-2H4D", "7K3M-9QXP-2H4D"),
        (" 7k3m 9qxp 2h4d ", "7K3M-9QXP-2H4D"),
        ("7K3M9QXP2H4D", "7K3M-9QXP-2H4D"),
        ("7K3M-9QXP-2H4O", "7K3M-9QXP-2H40"),  # O read as zero, I and L as one
        ("IK3M-9QXP-2H4L", "1K3M-9QXP-2H41"),
        ("7K3M-9QXP-2H4", None),
        ("7K3M-9QXP-2H4DD", None),
        ("7K3M-9QXP-2H4U", None),
        ("<script>", None),
        ("", None),
    ],
)
def test_a_typed_number_is_read_as_printed(typed, expected):
    assert normalise_number(typed) == expected


@pytest.mark.parametrize(
    ("completed", "months", "last_valid_day"),
    [
        (date(2026, 3, 12), 36, date(2029, 3, 11)),
        (date(2026, 3, 12), 12, date(2027, 3, 11)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # no 31 February: to the end of the month
        (date(2027, 12, 1), 1, date(2027, 12, 31)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
    ],
)
def test_expiry_is_the_day_before_the_same_date_months_on(completed, months, last_valid_day):
    assert expiry_for(CourseFactory.build(certificate_validity_months=months), completed) == last_valid_day


def test_a_course_without_validity_issues_certificates_that_do_not_expire():
    assert expiry_for(CourseFactory.build(certificate_validity_months=None), date(2026, 3, 12)) is None


@pytest.mark.django_db
def test_a_certificate_copies_what_it_certifies_and_is_valid_to_its_last_day(completed_course):
    session = make_session(course=completed_course, starts_in_days=2)
    booking = make_booking(session, count=1, ods_code="rgt01")
    delegate = booking.delegates.get()
    certificate = certificate_issue(delegate=delegate, session=session, completed_on=date(2026, 3, 12))
    assert certificate.holder_name == delegate.name
    assert certificate.course_title == "Conflict Resolution"
    assert "RRN certified" in certificate.accreditation
    assert certificate.ods_code == "RGT01"
    assert certificate.expires_on == date(2027, 3, 11)
    # Issuing again gives the same certificate, not a second one.
    assert certificate_issue(delegate=delegate, session=session, completed_on=date(2026, 3, 12)) == certificate

    last = certificate.expires_on
    assert certificate_status(certificate, today=last) == Status.VALID
    assert certificate_status(certificate, today=last + timedelta(days=1)) == Status.EXPIRED
    assert certificate_status(certificate, today=last - timedelta(days=89), expiring_days=90) == Status.EXPIRING
    assert certificate_status(certificate, today=last - timedelta(days=90), expiring_days=90) == Status.VALID

    # What it says is kept even when the course is renamed or the delegate's row changes.
    completed_course.title = "Conflict Resolution (2027)"
    completed_course.save()
    delegate.name = "Someone Else"
    delegate.save()
    certificate.refresh_from_db()
    assert (certificate.course_title, certificate.holder_name) == ("Conflict Resolution", "Delegate 0")
