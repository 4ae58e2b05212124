"""Refresher reminders: 60 and 14 days before a certificate expires, once each, to the holder and
their booker, naming real upcoming dates of the refresher course with links that fill in the
booking form. A frozen "today" is passed to the service instead of waiting for days to pass."""

import re
import threading
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from booking.models import SessionStatus
from booking.services import session_cancel
from core.templatetags.uk import uk_date, uk_span
from outbox.models import OutboundEmail
from records.models import RefresherReminder
from records.services.reminders import due_window, refresher_reminders_send
from tests.factories import CourseFactory, make_booking, make_session
from tests.records.training_helpers import trained

pytestmark = pytest.mark.django_db
KINDS = ("refresher_reminder", "refresher_reminder_booker")


def reminders():
    return list(OutboundEmail.objects.filter(kind__in=KINDS).order_by("pk"))


@pytest.fixture
def courses():
    course = CourseFactory(title="Conflict Resolution", certificate_validity_months=12)
    refresher = CourseFactory(title="Conflict Resolution Refresher", certificate_validity_months=12)
    course.refresher_course = refresher
    course.save()
    return course, refresher


@pytest.fixture
def refresher_session(courses):
    """An upcoming public date of the refresher with 2 of its 10 seats taken (8 left)."""
    session = make_session(course=courses[1], starts_in_days=20, capacity=10)
    make_booking(session, count=2, organisation="Another Trust", contact_email="other@another.example")
    return session


def holder(course, expires_on, **fields):
    fields = {
        "organisation": "East Coast NHS Trust",
        "contact_name": "Priya Shah",
        "contact_email": "priya.shah@eastcoast.example",
        **fields,
    }
    booking, [certificate] = trained(course, expires_on=expires_on, **fields)
    return booking, certificate


def today():
    return timezone.localdate()


def test_the_windows_pick_the_tightest_one_due_and_never_repeat():
    windows = [14, 60]
    assert due_window(61, windows, set()) is None
    assert due_window(60, windows, set()) == 60
    assert due_window(30, windows, {60}) is None
    assert due_window(14, windows, {60}) == 14
    assert due_window(10, windows, set()) == 14  # a late first run: one email, not two
    assert due_window(10, windows, {14}) is None
    assert due_window(-1, windows, set()) is None


def test_61_days_before_expiry_nothing_is_sent(courses, refresher_session):
    holder(courses[0], today() + timedelta(days=61))
    assert refresher_reminders_send(today()) == 0
    assert reminders() == []


def test_60_days_before_the_holder_and_the_booker_hear_about_real_dates(courses, refresher_session, client):
    booking, certificate = holder(courses[0], today() + timedelta(days=60))
    assert refresher_reminders_send(today()) == 1

    mine, theirs = reminders()
    assert (mine.kind, mine.to) == ("refresher_reminder", [certificate.holder_email])
    assert (theirs.kind, theirs.to) == ("refresher_reminder_booker", ["priya.shah@eastcoast.example"])
    assert RefresherReminder.objects.get().days_before == 60
    assert mine.subject == "Your Conflict Resolution certificate expires in 60 days: book your refresher"
    assert theirs.subject == f"{certificate.holder_name}'s Conflict Resolution certificate expires in 60 days"

    # The date named is the refresher's real upcoming session, with its seats left.
    day = refresher_session.days.get()
    line = f"{uk_span(day.starts_at, day.ends_at)}, {refresher_session.venue}: 8 seats left. Book: "
    for email in (mine, theirs):
        assert "Conflict Resolution Refresher" in email.body_text
        assert line in email.body_text
        assert uk_date(certificate.expires_on) in email.body_text
        assert certificate.number in email.body_text
        assert f"Book {uk_span(day.starts_at, day.ends_at)}</a>" in email.body_html
    # The booker's also names the delegate and carries the training record link.
    assert f"{certificate.holder_name}'s Conflict Resolution certificate" in theirs.body_text
    assert "/training-record/" in theirs.body_text
    assert "/training-record/" not in mine.body_text

    # The holder's link opens the booking form for that session with their name and email in.
    url = re.search(re.escape(line) + r"(\S+)", mine.body_text).group(1)
    page = open_form(client, url, refresher_session)
    assert input_value(page, "form-0-name") == certificate.holder_name
    assert input_value(page, "form-0-email") == certificate.holder_email
    assert input_value(page, "form-0-job_role") == "Nurse"
    assert input_value(page, "organisation") == "East Coast NHS Trust"
    assert input_value(page, "contact_email") == ""  # the holder may not be the one who books

    # The booker's link fills in the booker too.
    url = re.search(re.escape(line) + r"(\S+)", theirs.body_text).group(1)
    page = open_form(client, url, refresher_session)
    assert input_value(page, "form-0-email") == certificate.holder_email
    assert input_value(page, "contact_email") == "priya.shah@eastcoast.example"
    assert input_value(page, "contact_name") == "Priya Shah"


def test_the_booking_links_carry_no_personal_details(courses, refresher_session):
    _, certificate = holder(courses[0], today() + timedelta(days=60))
    assert refresher_reminders_send(today()) == 1
    assert len(reminders()) == 2  # the holder's and the booker's
    for email in reminders():
        assert "?prefill=" in email.body_text
        for url in re.findall(r"\S+/book/\d+/\?prefill=\S+", email.body_text):
            token = url.split("?prefill=")[1]
            assert re.fullmatch(r"\d+\.[01]:[\w-]+:[\w-]+", token), token
            for detail in (certificate.holder_email, "Priya", "East Coast"):
                assert detail not in url


def test_a_certificate_without_its_delegate_links_to_the_plain_booking_form(courses, refresher_session, client):
    booking, certificate = holder(courses[0], today() + timedelta(days=60))
    booking.delegates.all().delete()  # the certificate stays, without its delegate (and so its booking)
    certificate.refresh_from_db()
    assert certificate.delegate is None
    assert refresher_reminders_send(today()) == 1
    [email] = reminders()
    assert email.to == [certificate.holder_email]
    url = re.search(rf"Book: (\S+/book/{refresher_session.pk}/\S*)", email.body_text).group(1)
    assert "prefill" not in url
    page = open_form(client, url, refresher_session)
    assert input_value(page, "form-0-name") == "" and input_value(page, "organisation") == ""


def open_form(client, url, session):
    parts = urlsplit(url)
    assert parts.path == f"/book/{session.pk}/"
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200
    return response.content.decode()


def input_value(page, name):
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return unescape(value.group(1)) if value else ""


def test_a_second_run_sends_nothing_more(courses, refresher_session):
    holder(courses[0], today() + timedelta(days=60))
    assert refresher_reminders_send(today()) == 1
    assert refresher_reminders_send(today()) == 0
    assert refresher_reminders_send(today() + timedelta(days=1)) == 0
    assert refresher_reminders_send(today() + timedelta(days=45)) == 0  # 15 days left
    assert len(reminders()) == 2


def test_14_days_before_the_second_reminder(courses, refresher_session):
    expires_on = today() + timedelta(days=14)
    holder(courses[0], expires_on)
    assert refresher_reminders_send(expires_on - timedelta(days=60)) == 1
    assert refresher_reminders_send(today()) == 1
    assert refresher_reminders_send(today()) == 0
    assert sorted(RefresherReminder.objects.values_list("days_before", flat=True)) == [14, 60]
    emails = reminders()
    assert [e.kind for e in emails] == [*KINDS, *KINDS]
    assert "expires in 14 days" in emails[2].subject


def test_a_late_first_run_sends_one_reminder_not_two(courses, refresher_session):
    holder(courses[0], today() + timedelta(days=10))
    assert refresher_reminders_send(today()) == 1
    assert list(RefresherReminder.objects.values_list("days_before", flat=True)) == [14]
    assert [e.kind for e in reminders()] == list(KINDS)
    assert "expires in 10 days" in reminders()[0].subject
    assert refresher_reminders_send(today() + timedelta(days=5)) == 0


def test_an_expired_certificate_gets_no_reminder(courses, refresher_session):
    holder(courses[0], today() - timedelta(days=1))
    assert refresher_reminders_send(today()) == 0
    assert reminders() == []


def test_on_the_day_it_expires_it_is_still_reminded_once(courses, refresher_session):
    holder(courses[0], today())
    assert refresher_reminders_send(today()) == 1
    assert "expires today" in reminders()[0].subject


def test_no_reminder_for_someone_already_booked_on_the_refresher(courses, refresher_session):
    _, certificate = holder(courses[0], today() + timedelta(days=60))
    make_booking(refresher_session, count=1, prefix="x")  # someone else: still reminded
    assert refresher_reminders_send(today()) == 1

    _, rebooked = holder(courses[0], today() + timedelta(days=60), contact_email="jo@eastcoast.example")
    booking = make_booking(refresher_session, count=1, organisation="East Coast NHS Trust")
    delegate = booking.delegates.get()
    delegate.email = rebooked.holder_email.upper()  # the same person, however the address is typed
    delegate.save()
    assert refresher_reminders_send(today()) == 0
    assert not RefresherReminder.objects.filter(certificate=rebooked).exists()


def test_a_cancelled_rebooking_does_not_stop_the_reminder(courses, refresher_session):
    _, certificate = holder(courses[0], today() + timedelta(days=60))
    other = make_session(course=courses[1], starts_in_days=40)
    booking = make_booking(other, count=1)
    booking.delegates.update(email=certificate.holder_email)
    session_cancel(session=other, reason="Trainer unwell", actor="office")
    assert other.__class__.objects.get(pk=other.pk).status == SessionStatus.CANCELLED
    assert refresher_reminders_send(today()) == 1


def test_no_reminder_for_someone_already_renewed(courses, refresher_session):
    _, certificate = holder(courses[0], today() + timedelta(days=60))
    # The same person has since done the refresher (another booking, a later date).
    booking, [later] = trained(courses[1], expires_on=today() + timedelta(days=400), days_ago=20)
    later.holder_email = certificate.holder_email
    later.save()
    assert refresher_reminders_send(today()) == 0


def test_without_a_refresher_the_same_course_renews(refresher_session):
    course = CourseFactory(title="Breakaway Skills", certificate_validity_months=24)
    session = make_session(course=course, starts_in_days=30)
    holder(course, today() + timedelta(days=60))
    assert refresher_reminders_send(today()) == 1
    email = reminders()[0]
    assert "book a place on Breakaway Skills" in email.body_text
    assert f"/book/{session.pk}/?prefill=" in email.body_text


def test_no_dates_with_seats_says_so_and_links_to_the_course_and_enquiries(courses):
    full = make_session(course=courses[1], starts_in_days=20, capacity=1)
    make_booking(full, count=1, prefix="full")
    make_session(course=courses[1], starts_in_days=200)  # long after it expires: not offered
    holder(courses[0], today() + timedelta(days=60))
    assert refresher_reminders_send(today()) == 1
    for email in reminders():
        assert "There are no dates of Conflict Resolution Refresher with seats" in email.body_text
        assert "/book/" not in email.body_text
        assert f"/courses/{courses[1].slug}/#dates" in email.body_text
        assert "/enquire/" in email.body_text


def test_the_refresher_dates_come_first_else_the_same_courses(courses):
    same = make_session(course=courses[0], starts_in_days=25)
    holder(courses[0], today() + timedelta(days=60))
    assert refresher_reminders_send(today()) == 1
    email = reminders()[0]
    assert f"/book/{same.pk}/?prefill=" in email.body_text
    assert "book a place on Conflict Resolution." in email.body_text


def test_at_most_three_dates_soonest_first(courses):
    sessions = [make_session(course=courses[1], starts_in_days=n) for n in (40, 10, 30, 20)]
    holder(courses[0], today() + timedelta(days=60))
    refresher_reminders_send(today())
    text = reminders()[0].body_text
    offered = [int(pk) for pk in re.findall(r"/book/(\d+)/\?prefill=", text)]
    assert offered == [sessions[1].pk, sessions[3].pk, sessions[2].pk]


def test_the_holder_who_booked_themselves_gets_one_email(courses, refresher_session):
    booking, certificate = holder(courses[0], today() + timedelta(days=60))
    booking.contact_email = certificate.holder_email
    booking.save()
    assert refresher_reminders_send(today()) == 1
    assert [e.kind for e in reminders()] == ["refresher_reminder"]


def test_the_daily_task_sends_them(eager_celery, courses, refresher_session):
    from records.tasks import send_refresher_reminders

    holder(courses[0], today() + timedelta(days=60))
    assert send_refresher_reminders.delay().get() == 1
    assert send_refresher_reminders.delay().get() == 0


# Two runs at once, on PostgreSQL: the lock on the certificate lets one send. ---------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_once(require_postgres, courses, refresher_session):
    holder(courses[0], today() + timedelta(days=60))
    holder(courses[0], today() + timedelta(days=14), contact_email="jo@eastcoast.example")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(refresher_reminders_send(today()))
        except Exception as exc:  # pragma: no cover - shown in the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(results) in ([0, 2], [1, 1])  # each certificate reminded by one run or the other
    assert sum(results) == 2
    assert RefresherReminder.objects.count() == 2
    assert len(reminders()) == 4
