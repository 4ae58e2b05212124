"""Who hears what about an in-house course, as outbox rows: the coordinator's confirmation with
both links, each registering delegate's joining instructions and calendar invites (the public
flow's own), the register notices, reminders and changes."""

from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone

from booking import links, reminders, services
from booking.services import DelegateData
from outbox.models import OutboundEmail
from outbox.registry import mask_private_links
from tests.booking.in_house_factories import make_in_house, register
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


def sent(kind=None, to=None):
    rows = OutboundEmail.objects.order_by("pk")
    if kind:
        rows = rows.filter(kind=kind)
    return [row for row in rows if to is None or to in row.to]


def ics(row):
    [attachment] = row.attachments
    return icalendar.Calendar.from_ical(attachment["content"])


@pytest.fixture
def course():
    return CourseFactory(title="De-escalation Skills")


@pytest.fixture
def trainer(course):
    from trainers.models import Trainer

    trainer = Trainer.objects.create(name="Morgan Hale", email="morgan.hale@example.com")
    trainer.courses.add(course)
    return trainer


def test_the_coordinator_gets_one_confirmation_with_the_link_to_share_and_the_private_register(course, trainer):
    booking = make_in_house(course=course, trainer=trainer, capacity=12, day_count=2)
    [confirmation] = sent("in_house_confirmation")
    assert confirmation.to == ["priya.shah@example.org"]
    assert confirmation.subject.startswith("In-house course booked: De-escalation Skills")
    body = confirmation.body_text
    registration = links.registration_url(booking.session)
    manage = links.manage_url(booking)
    for words in (
        registration,
        manage,
        "SHARE THIS WITH YOUR STAFF",
        "KEEP THIS LINK PRIVATE",
        "Trainer: Morgan Hale",
        "Places: 12",
        "Orwell Valley Hospital, Education Centre\nHeath Road\nIpswich IP4 5PD",
        "De-escalation Skills, in-house, trainer's day rate: 2 × £950.00 = £1,900.00",
        "Trainer's travel: 1 × £120.00 = £120.00",
        "Total excluding VAT: £2,020.00",
        "VAT at 20%: £404.00",
        "Total including VAT: £2,424.00",
        "Total: agreed price £2,020.00 + VAT £404.00 = £2,424.00 including VAT.",
        "Purchase order: PO-778812",
        "Your booking is confirmed.",
    ):
        assert words in body, words
    assert f'href="{registration}"' in confirmation.body_html and f'href="{manage}"' in confirmation.body_html
    assert "per delegate" not in body and "£0.00" not in body
    # Instead of the public confirmation and manage-link emails, not as well as them.
    assert not sent("booking_confirmation") and not sent("booking_manage_link")
    # Staff without booking rights (Sales) read it with both private links hidden.
    masked = mask_private_links(body)
    assert links.registration_token(booking.session) not in masked and links.manage_token(booking) not in masked
    assert "/register/[private link hidden]/" in masked


def test_po_to_follow_says_when_it_is_wanted_and_why():
    make_in_house(purchase_order="", po_to_follow=True)
    [confirmation] = sent("in_house_confirmation")
    assert "We are waiting for your purchase order number, so that we can invoice." in confirmation.body_text
    assert "PO to follow: please add your purchase order number by " in confirmation.body_text


def test_each_registering_delegate_gets_joining_instructions_with_an_invite_and_the_coordinator_no_email():
    booking = make_in_house(day_count=2)
    OutboundEmail.objects.all().delete()
    register(booking.session, 1, name="Sam Jones", email="sam.jones@example.org", adjustments="Hearing loop")

    [joining] = sent("joining_instructions")
    assert joining.to == ["sam.jones@example.org"]
    assert "You are registered for De-escalation Skills, which we are running for Orwell Valley" in joining.body_text
    assert "We have noted: Hearing loop" in joining.body_text and "Your booker" not in joining.body_text
    assert "Report to the Education Centre reception by 09:15." in joining.body_text
    calendar = ics(joining)
    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert "Heath Road" in str(event["LOCATION"]) or "Orwell Valley Hospital" in str(event["LOCATION"])
    # The second day comes in an email of its own, with its own invite.
    [day_two] = sent("calendar_day")
    assert day_two.to == ["sam.jones@example.org"] and ics(day_two)["METHOD"] == "REQUEST"
    # The coordinator sees the register on their page, not an email per person.
    assert not sent(to="priya.shah@example.org")


def test_the_coordinators_changes_tell_everyone_concerned():
    booking = make_in_house(capacity=3)
    sam = register(booking.session, 1, name="Sam Jones", email="sam@example.org")
    register(booking.session, 2, name="Alex Reid", email="alex@example.org")
    OutboundEmail.objects.all().delete()

    services.booking_substitute_delegate(
        booking=booking,
        delegate_id=sam.pk,
        replacement=DelegateData(name="Jo Patel", email="jo@example.org"),
        actor="booker (manage link)",
    )
    [notice] = sent("in_house_register_changed")
    assert notice.to == ["priya.shah@example.org"]
    for words in (
        "Substituted: Jo Patel (jo@example.org) in place of Sam Jones (sam@example.org)",
        "REGISTERED (2 of 3)",
        "Jo Patel (jo@example.org)\nAlex Reid (alex@example.org)",
        "1 place left",
        links.registration_url(booking.session),
        "Total: agreed price £2,020.00 + VAT £404.00 = £2,424.00 including VAT.",
    ):
        assert words in notice.body_text, words
    assert links.manage_token(booking) not in notice.body_text
    assert ics(sent("delegate_substituted", to="sam@example.org")[0])["METHOD"] == "CANCEL"
    assert ics(sent("joining_instructions", to="jo@example.org")[0])["METHOD"] == "REQUEST"

    services.booking_remove_delegate(booking=booking, delegate_id=booking.delegates.get(email="alex@example.org").pk)
    assert "Removed: Alex Reid (alex@example.org)" in sent("in_house_register_changed")[-1].body_text
    assert "2 places left" in sent("in_house_register_changed")[-1].body_text
    assert ics(sent("delegate_cancelled", to="alex@example.org")[0])["METHOD"] == "CANCEL"
    assert not sent("booking_changed")


def test_registered_delegates_get_the_reminder_before_the_course(settings):
    booking = make_in_house(starts_in_days=10)
    register(booking.session, 1, name="Sam Jones", email="sam@example.org")
    now = booking.session.starts_at - timedelta(days=settings.REMINDER_DAYS_BEFORE)
    assert reminders.delegate_reminders_queue(now=now) == 1
    [reminder] = sent("delegate_reminder")
    assert reminder.to == ["sam@example.org"] and "De-escalation Skills" in reminder.subject


def test_a_moved_course_sends_updated_invites_and_tells_the_coordinator():
    booking = make_in_house()
    register(booking.session, 1, email="sam@example.org")
    OutboundEmail.objects.all().delete()
    session = booking.session
    previous = services.session_schedule(session)
    day = session.days.get()
    day.starts_at += timedelta(days=7)
    day.ends_at += timedelta(days=7)
    day.save()
    services.session_sync_span(session)
    assert services.session_schedule_changed(session=session, previous=previous)
    [changed] = sent("session_changed")
    assert changed.to == ["sam@example.org"] and ics(changed)["METHOD"] == "REQUEST"
    [notice] = sent("session_changed_booker")
    assert "remove or substitute people on your register" in notice.body_text


def test_a_new_register_link_reads_as_the_register():
    booking = make_in_house()
    services.booking_new_manage_link(booking=booking)
    [email] = sent("booking_manage_link")
    assert "see who has registered for your in-house course" in email.body_text
    assert "forward the booking confirmation" not in email.body_text


def test_a_registration_just_before_booking_closes_is_still_emailed(settings):
    booking = make_in_house(starts_in_days=3)
    session = booking.session
    session.booking_closes_at = timezone.now() + timedelta(minutes=5)
    session.save(update_fields=["booking_closes_at"])
    register(session, 1, email="late@example.org")
    assert sent("joining_instructions", to="late@example.org")
