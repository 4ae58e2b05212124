"""The attendance emails: the trainer's link, sent by the daily task on the morning the course
starts (once), and the booker's summary of who attended, both as received by an SMTP server on
loopback."""

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from booking.models import CourseSession
from outbox.models import OutboundEmail
from records import links
from records.tasks import send_attendance_links

from .test_attendance_pages import day_form, page_url, people, running_session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def link_emails():
    return list(OutboundEmail.objects.filter(kind="attendance_link").order_by("pk"))


def test_the_trainer_gets_the_link_on_the_first_mornings_run_only_once():
    today = running_session(days=2, today_is_day=1)
    running_session(days=2, today_is_day=0, title="Starts tomorrow")
    running_session(days=2, today_is_day=2, title="Started yesterday")
    running_session(days=1, today_is_day=1, title="No trainer", trainer=False)
    cancelled = running_session(days=1, today_is_day=1, title="Cancelled")
    CourseSession.objects.filter(pk=cancelled.pk).update(status="cancelled")

    assert send_attendance_links() == 1
    [email] = link_emails()
    assert email.to == ["helen.ward@example.com"]
    assert email.unique_key == f"attendance_link:{today.pk}:{today.attendance_key}:{today.trainer_id}"
    assert links.attendance_url(today) in email.body_text

    # The beat runs again (a retry, a second worker): nothing more goes out.
    send_attendance_links()
    assert len(link_emails()) == 1


def test_the_link_email_arrives_and_its_link_opens_the_page(smtp_server, client, django_capture_on_commit_callbacks):
    session = running_session(days=2, today_is_day=1, bookings=(2, 1))
    with django_capture_on_commit_callbacks(execute=True):
        send_attendance_links()
    [message] = smtp_server.to("helen.ward@example.com")
    assert message["Subject"] == "Take attendance on your phone: De-escalation Skills"
    text = message.get_body(("plain",)).get_content()
    url = links.attendance_url(session)
    for words in ("Dear Helen Ward,", url, "People booked: 3", "Orwell Training Centre", "do not forward it"):
        assert words in text, words
    html = message.get_body(("html",)).get_content()
    assert f'href="{url}"' in html and ">Take attendance</a>" in html
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200 and b"De-escalation Skills" in response.content


def test_the_booker_is_told_who_attended_and_who_has_a_certificate(
    smtp_server, client, django_capture_on_commit_callbacks
):
    session = running_session(days=2, today_is_day=2, bookings=(3,))
    booking = session.bookings_made[0]
    first, second, third = people(session)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page_url(session), day_form(session, 1, {first: "attended", second: "attended", third: "absent"}))
    assert not [m for m in smtp_server.to(booking.contact_email) if "Who attended" in m["Subject"]]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page_url(session), day_form(session, 2, {first: "attended", second: "left_early", third: "absent"}))
    [summary] = [m for m in smtp_server.to(booking.contact_email) if "Who attended" in m["Subject"]]
    assert summary["Subject"] == f"Who attended De-escalation Skills (booking {booking.reference})"
    text = summary.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert f"{first.name}: attended\n" in text
    assert f"{second.name}: day 1 attended, day 2 left early\n" in text
    assert f"{third.name}: absent\n" in text
    assert "Certificates issued: 1." in text
    assert links.training_record_url(booking) in text
    html = summary.get_body(("html",)).get_content()
    assert (
        '<th scope="col"' in html and f">{first.name}</td>" in html and ">Day 1 attended, day 2 left early</td>" in html
    )
    # Once: a correction afterwards does not tell the booker again.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page_url(session), day_form(session, 2, {second: "attended"}))
    assert len([m for m in smtp_server.to(booking.contact_email) if "Who attended" in m["Subject"]]) == 1


def test_the_admin_link_button_uses_the_same_email(admin_client, django_capture_on_commit_callbacks):
    session = running_session()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:records_sessionattendance_change", args=[session.pk]), {"send_link": "1"})
    # The morning's run then finds it already sent.
    send_attendance_links()
    assert len(link_emails()) == 1
