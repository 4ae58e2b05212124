"""After the course, in a real browser and through real email (issue 12's "done when").

The trainer takes attendance from the link in their email on a 390 px phone; each attendee
receives a certificate whose number the public check page shows as valid; with the clock set
60 days before expiry, the refresher reminder names a real upcoming session and its link opens
the booking form filled in for the delegate; an attendee gives feedback with a quote, a staff
member (not a superuser) publishes it, and the course page shows it with the new average.

With PostgreSQL and Redis the emails go through a real Celery worker to an SMTP server on
loopback; without them, tasks run in-process and still send over SMTP on loopback.
"""

import importlib
import io
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from booking.models import CourseSession, SessionDay
from courses.models import Course
from records.models import Certificate, Feedback
from records.services import feedback_submit, session_delegates
from records.services.reminders import refresher_reminders_send
from records.tasks import send_attendance_links
from tests.factories import VenueFactory, make_booking
from trainers.models import Trainer

from .conftest import PHONE, axe_violations, screenshot
from .test_in_house_journey import arrived, fits, link_in, mail, sales_group, text_of  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONDON = ZoneInfo("Europe/London")
SALES_READS = importlib.import_module("records.migrations.0003_sales_can_view_records").PERMISSIONS
LAPTOP = {"width": 1280, "height": 800}
PASSWORD = "correct-horse-battery-staple"
TRAINER = "helen.ward@example.com"


def _weekday(day):
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _one_day(day):
    return [(datetime.combine(day, time(9, 30), LONDON), datetime.combine(day, time(16, 30), LONDON))]


@pytest.fixture
def course(demo_catalogue):
    return Course.objects.get(slug="breakaway-and-personal-safety")  # a 12-month certificate


@pytest.fixture
def todays_course(course):
    """Breakaway today, booked by an NHS trust for five people, with its trainer."""
    from booking.services import session_create

    trainer = Trainer.objects.create(name="Helen Ward", email=TRAINER)
    trainer.courses.add(course)
    ahead = _weekday(timezone.localdate() + timedelta(days=7))
    session = session_create(course=course, venue=VenueFactory(), days=_one_day(ahead), capacity=8, trainer=trainer)
    make_booking(session, count=5, prefix="ward7-", organisation="Orwell Valley NHS Foundation Trust", ods_code="RZV")
    # Booked ahead, as people do; now the day has come.
    shift = datetime.combine(timezone.localdate(), time(9, 30), LONDON) - session.starts_at
    SessionDay.objects.filter(session=session).update(starts_at=F("starts_at") + shift, ends_at=F("ends_at") + shift)
    CourseSession.objects.filter(pk=session.pk).update(
        starts_at=F("starts_at") + shift, ends_at=F("ends_at") + shift, booking_closes_at=F("booking_closes_at") + shift
    )
    return session


@pytest.fixture
def next_year(course, todays_course):
    """A session of the same course a month before this year's certificates run out."""
    from booking.services import session_create

    day = _weekday(timezone.localdate() + timedelta(days=365 - 30))
    return session_create(
        course=course, venue=VenueFactory(name="Orwell Training Centre"), days=_one_day(day), capacity=12
    )


@pytest.fixture
def moderator(transactional_db):
    """Office staff who may publish testimonials: a Sales member with that one permission."""
    user = get_user_model().objects.create_user("olu", password=PASSWORD, first_name="Olu", is_staff=True)
    sales = sales_group()
    sales.permissions.add(*Permission.objects.filter(content_type__app_label="records", codename__in=SALES_READS))
    user.groups.add(sales)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="courses", codename="add_testimonial"))
    return user


def pdf_text(message):
    [pdf] = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.get_content())).pages)


def test_attendance_certificates_a_refresher_reminder_and_feedback_on_the_course_page(
    page,
    live_server,
    mail,  # noqa: F811  (the fixture imported above)
    course,
    todays_course,
    next_year,
    moderator,
):
    site = live_server.url
    delegates = list(session_delegates(todays_course))

    # The morning task sends the trainer their link; they open it on a phone.
    assert send_attendance_links() == 1
    link_email = arrived(mail, TRAINER, "Take attendance on your phone")
    page.set_viewport_size(PHONE)
    page.goto(link_in(link_email, rf"{re.escape(site)}/attendance/\S+/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Attendance")
    expect(page.get_by_text("Breakaway and Personal Safety").first).to_be_visible()
    assert fits(page, PHONE), "the attendance page scrolls sideways on a phone"
    assert axe_violations(page) == []
    for delegate in delegates:
        page.get_by_role("group", name=re.compile(delegate.name)).get_by_text("Attended", exact=True).click()
    page.get_by_role("radio", name="Attended").last.press("Enter")
    expect(page.get_by_text(re.compile("Attendance is complete"))).not_to_have_count(0)
    screenshot(page, "attendance-complete-phone")

    # Each attendee's certificate, as received, and the public check says valid.
    numbers = set()
    for delegate in delegates:
        message = arrived(mail, delegate.email, "Your certificate: Breakaway and Personal Safety")
        number = re.search(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", message["Subject"]).group(0)
        numbers.add(number)
        assert number in pdf_text(message) and delegate.name in pdf_text(message)
    assert numbers == set(Certificate.objects.values_list("number", flat=True)) and len(numbers) == 5
    page.set_viewport_size(LAPTOP)
    page.goto(link_in(message, rf"{re.escape(site)}/certificates/verify/\?number=\S+"))
    expect(page.get_by_role("heading", name="Valid")).to_be_visible()
    expect(page.get_by_text(delegates[-1].name)).to_be_visible()
    assert "Orwell Valley" not in page.content()  # the name on the certificate and nothing else

    # Sixty days before expiry (a frozen clock), the reminder names next year's real date.
    certificate = Certificate.objects.get(holder_email=delegates[0].email)
    assert refresher_reminders_send(today=certificate.expires_on - timedelta(days=60)) == 5
    reminder = arrived(mail, delegates[0].email, "Your Breakaway and Personal Safety certificate expires")
    day = timezone.localtime(next_year.starts_at)
    assert f"{day:%a} {day.day} {day:%B %Y}" in text_of(reminder)
    page.set_viewport_size(PHONE)
    page.goto(link_in(reminder, rf"{re.escape(site)}/book/{next_year.pk}/\?prefill=\S+"))
    expect(page.locator("[name=form-0-name]")).to_have_value(delegates[0].name)
    expect(page.locator("[name=form-0-email]")).to_have_value(delegates[0].email)
    assert fits(page, PHONE)

    # Feedback: four colleagues answered already; the fifth answers on a phone and may be quoted.
    for delegate in delegates[:4]:
        feedback_submit(delegate=delegate, content_rating=4, trainer_rating=4, relevance_rating=4)
    page.goto(course.get_absolute_url() and site + course.get_absolute_url())
    expect(page.get_by_text(re.compile(r"Rated [\d.]+ out of 5"))).to_have_count(0)  # four is too few to show
    survey = arrived(mail, delegates[4].email, "How was Breakaway and Personal Safety?")
    page.goto(link_in(survey, rf"{re.escape(site)}/feedback/\S+/"))
    assert axe_violations(page) == []
    for question in ("How good was the course content?", "How good was the trainer", "How relevant"):
        page.get_by_role("group", name=re.compile(question)).get_by_text("5 Excellent").click()
    quote = "I now keep my distance and talk people down: I used it on the ward the next day."
    page.get_by_label(re.compile("Would you tell others about the course")).fill(quote)
    page.get_by_label("Yes, you may quote my comment on your website").check()
    page.get_by_label("My job role only").check()
    page.get_by_label("Yes, you may quote my comment on your website").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you")

    # The office publishes the quote with one action.
    page.set_viewport_size(LAPTOP)
    page.goto(site + "/admin/")
    page.get_by_label("Username").fill("olu")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    feedback = Feedback.objects.get(delegate=delegates[4])
    page.goto(f"{site}/admin/records/feedback/{feedback.pk}/change/")
    page.get_by_role("link", name="Publish as testimonial").click()
    page.get_by_role("button", name="Publish as testimonial").click()
    feedback.refresh_from_db()
    assert feedback.moderation == "published"

    # The course page: the quote and the average of the five responses ((4 x 4 + 5) / 5 = 4.2).
    page.goto(site + course.get_absolute_url())
    expect(page.get_by_text(quote)).to_be_visible()
    expect(page.get_by_text(re.compile(r"Rated 4\.2 out of 5"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"by 5 delegates"))).to_be_visible()
    screenshot(page, "course-page-with-feedback")
