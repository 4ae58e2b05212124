"""Review findings, fixed: who can use the private links of after-the-course, and for how long."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from booking.models import CourseSession
from booking.services import DelegateData, booking_cancel, booking_substitute_delegate
from outbox.models import OutboundEmail
from outbox.registry import mask_private_links
from records import links
from records.emails import queue_attendance_link
from records.services import attendance_link_renew, attendance_mark, session_delegates
from tests.factories import make_booking, make_session
from trainers.models import Trainer

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(completed_course):
    trainer = Trainer.objects.create(name="Helen Ward", email="helen@example.com")
    trainer.courses.add(completed_course)
    session = make_session(course=completed_course, starts_in_days=3, trainer=trainer)
    make_booking(session, count=2)
    return session


def opens(client, url):
    return client.get(url.removeprefix("http://testserver")).status_code


def test_a_new_trainer_or_a_new_link_closes_the_old_one_and_the_link_closes_after_the_course(client, settings, session):
    settings.SITE_URL = "http://testserver"
    old = links.attendance_url(session)
    assert opens(client, old) == 200

    other = Trainer.objects.create(name="Dev Chauhan", email="dev@example.com")
    other.courses.add(session.course)
    from trainers.services import session_assign_trainer

    session = session_assign_trainer(session=session, trainer=other)
    assert opens(client, old) == 404
    current = links.attendance_url(session)
    assert opens(client, current) == 200

    attendance_link_renew(session=session)
    assert opens(client, current) == 404
    assert opens(client, links.attendance_url(session)) == 200

    closes = session.ends_at + timedelta(days=settings.ATTENDANCE_LINK_DAYS_AFTER)
    token = links.attendance_token(session)
    assert links.session_from_attendance_token(token, now=closes) == session
    assert links.session_from_attendance_token(token, now=closes + timedelta(seconds=1)) is None


def test_sales_sees_attendance_in_the_admin_but_never_the_trainers_link(client, session):
    # The course has begun: it is on the attendance list.
    shift = timedelta(days=3, hours=2)
    session.days.update(starts_at=F("starts_at") - shift, ends_at=F("ends_at") - shift)
    CourseSession.objects.filter(pk=session.pk).update(
        starts_at=F("starts_at") - shift, ends_at=F("ends_at") - shift, booking_closes_at=F("booking_closes_at") - shift
    )
    sales = get_user_model().objects.create_user("sam", password="pw-123456789", is_staff=True)
    sales.groups.add(Group.objects.get(name="Sales"))
    client.force_login(sales)
    page = client.get(f"/admin/records/sessionattendance/{session.pk}/change/")
    assert page.status_code == 200
    assert session.attendance_key not in page.content.decode()
    assert "The trainer's attendance link" not in page.content.decode()

    office = get_user_model().objects.create_user("ola", password="pw-123456789", is_staff=True)
    office.user_permissions.add(*Permission.objects.filter(codename__in=["view_coursesession", "change_coursesession"]))
    client.force_login(office)
    page = client.get(f"/admin/records/sessionattendance/{session.pk}/change/").content.decode()
    assert links.attendance_token(session) in page


def test_staff_who_may_only_read_emails_see_no_private_link_of_this_room(session, settings):
    settings.SITE_URL = "https://example.org"
    queue_attendance_link(session)
    text = OutboundEmail.objects.get(kind="attendance_link").body_text
    assert links.attendance_token(session) in text
    masked = mask_private_links(text)
    assert links.attendance_token(session) not in masked and "[private link hidden]" in masked
    delegate = session_delegates(session)[0]
    sample = f"{links.feedback_url(delegate)} https://example.org/book/3/?prefill=abc:def"
    assert mask_private_links(sample) == (
        "https://example.org/feedback/[private link hidden]/ https://example.org/book/3/?prefill=[hidden]"
    )


def test_a_cancelled_booking_opens_no_training_record(client, settings, session):
    settings.SITE_URL = "http://testserver"
    booking = session.bookings.first()
    url = links.training_record_url(booking)
    assert opens(client, url) == 200
    booking_cancel(booking=booking, reason="Changed plans")
    assert opens(client, url) == 404


def test_the_feedback_link_survives_a_new_manage_link_and_carries_no_booker_key(session):
    delegate = session_delegates(session)[0]
    token = links.feedback_token(delegate)
    assert delegate.booking.manage_key not in token
    from booking.services import booking_new_manage_link

    booking_new_manage_link(booking=delegate.booking)
    assert links.delegate_from_feedback_token(token) == delegate


def test_someone_with_attendance_marked_cannot_be_substituted(session):
    ann, bob = session_delegates(session)
    day = session.days.get()
    CourseSession.objects.filter(pk=session.pk).update(booking_closes_at=timezone.now() - timedelta(days=1))
    attendance_mark(session=session, day=day, marks={ann.pk: "attended"}, actor="T", now=day.starts_at)
    with pytest.raises(ValidationError) as error:
        booking_substitute_delegate(
            booking=ann.booking,
            delegate_id=ann.pk,
            replacement=DelegateData(name="Bea New", email="bea@example.org"),
            by_staff=True,
        )
    assert "already has attendance marked" in str(error.value)
    # Bob has no marks yet: the office may still put someone in his place.
    booking_substitute_delegate(
        booking=bob.booking,
        delegate_id=bob.pk,
        replacement=DelegateData(name="Bea New", email="bea@example.org"),
        by_staff=True,
    )
