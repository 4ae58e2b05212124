"""The office's admin: pages open, actions call the services, and seat rules hold in forms."""

import csv
import html
import io
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from booking.models import Booking, BookingEvent, BookingStatus, CourseSession, SessionStatus
from tests.factories import CourseFactory, VenueFactory, london, make_booking, make_session
from trainers.models import Trainer

pytestmark = pytest.mark.django_db

SESSIONS = reverse("admin:booking_coursesession_changelist")
BOOKINGS = reverse("admin:booking_booking_changelist")
LONDON = ZoneInfo("Europe/London")


def session_url(session):
    return reverse("admin:booking_coursesession_change", args=[session.pk])


def booking_url(booking):
    return reverse("admin:booking_booking_change", args=[booking.pk])


class _FormFields(HTMLParser):
    """The values a browser would submit from the page's form (unchecked boxes left out)."""

    def __init__(self):
        super().__init__()
        self.data, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and "__prefix__" not in name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file") or (kind == "checkbox" and "checked" not in attrs):
                return
            self.data[name] = attrs.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select" and name and "__prefix__" not in name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value", "")
        elif tag == "textarea" and name and "__prefix__" not in name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data.lstrip("\n") if not self.data[self._textarea] else data


def form_data(client, url):
    parser = _FormFields()
    parser.feed(client.get(url).content.decode())
    parser.data.pop("csrfmiddlewaretoken", None)
    return parser.data


def run_action(client, changelist, action, objects, **extra):
    return client.post(changelist, {"action": action, "_selected_action": [obj.pk for obj in objects], **extra})


@pytest.fixture
def session():
    course = CourseFactory(title="De-escalation Skills", price=Decimal("145.00"))
    venue = VenueFactory(name="Calm Response Training Centre", town="Ipswich")
    return make_session(course=course, venue=venue, capacity=6)


# ---------------------------------------------------------------------------------------------
# Pages


def test_anonymous_visitors_are_sent_to_login(client, session):
    for url in [SESSIONS, BOOKINGS, session_url(session), reverse("admin:booking_venue_changelist")]:
        response = client.get(url)
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"when": "upcoming"},
        {"when": "past"},
        {"status__exact": "scheduled"},
        {"q": "De-escalation"},
        {"o": "6"},  # seats booked
        {"o": "-7"},  # seats left
        {"o": "8"},  # waiting
    ],
)
def test_session_list_opens_with_filters_and_sorting(admin_client, session, query):
    make_booking(session, count=2)
    response = admin_client.get(SESSIONS, query)
    assert response.status_code == 200
    expected = [] if query.get("when") == "past" else [session]
    assert list(response.context["cl"].result_list) == expected


def test_session_list_shows_uk_start_and_seat_counts(admin_client, session):
    make_booking(session, count=2)
    make_booking(session, count=4, po_to_follow=True)
    make_booking(session, count=3, join_waitlist=True)
    response = admin_client.get(
        SESSIONS, {"course__id__exact": session.course.pk, "venue__id__exact": session.venue.pk}
    )
    [row] = response.context["cl"].result_list
    assert (row.seats_taken, row.seats_remaining, row.waiting_list_count) == (6, 0, 3)
    html = response.content.decode()
    start = session.starts_at.astimezone(LONDON)
    assert f"{start:%a} {start.day} {start:%B %Y}, 09:30" in html
    assert '<td class="field-seats_booked">6</td>' in html
    assert '<td class="field-waiting">3</td>' in html


def test_list_pages_do_not_query_per_row(admin_client, session):
    make_booking(session, count=1)
    admin_client.get(SESSIONS)  # warm up caches (content types, permissions)
    admin_client.get(BOOKINGS)

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured)

    few_sessions, few_bookings = queries(SESSIONS), queries(BOOKINGS)
    for _ in range(4):
        other = make_session(capacity=5)
        make_booking(other, count=2)
    assert queries(SESSIONS) == few_sessions
    assert queries(BOOKINGS) == few_bookings


def test_session_page_shows_days_bookings_and_delegates(admin_client, session):
    booking = make_booking(session, count=2, organisation="Orwell Valley NHS Foundation Trust")
    html = admin_client.get(session_url(session)).content.decode()
    assert "Orwell Valley NHS Foundation Trust" in html
    assert booking_url(booking) in html
    assert "Delegate 0, Delegate 1" in html
    assert "2 booked, 4 left, 0 waiting" in html
    assert 'name="days-0-starts_at_0"' in html


def test_booking_page_shows_delegates_and_history_read_only(admin_client, session):
    booking = make_booking(session, count=2, po_to_follow=True)
    response = admin_client.get(booking_url(booking))
    html = response.content.decode()
    assert response.status_code == 200
    assert booking.delegates.first().email in html
    assert "Booked 2 places" in html  # the history
    assert 'name="delegates-0-email"' not in html  # delegates change through the services
    assert 'name="status"' not in html
    assert 'name="add_purchase_order"' in html


def test_venue_list_and_page_open(admin_client, session):
    venues = reverse("admin:booking_venue_changelist")
    assert admin_client.get(venues, {"is_online__exact": "1"}).status_code == 200
    assert admin_client.get(venues, {"q": "Ipswich"}).status_code == 200
    assert admin_client.get(reverse("admin:booking_venue_change", args=[session.venue.pk])).status_code == 200


def test_bookings_cannot_be_added_or_deleted_in_the_admin(admin_client, session):
    booking = make_booking(session)
    assert admin_client.get(reverse("admin:booking_booking_add")).status_code == 403
    assert admin_client.get(reverse("admin:booking_booking_delete", args=[booking.pk])).status_code == 403


# ---------------------------------------------------------------------------------------------
# Bookings: search, edits, actions


@pytest.mark.parametrize(
    "query", ["aisha.khan@example.net", "AISHA.KHAN@example.net", "PO-7788", "Stourside", "booker@example.com"]
)
def test_booking_search(admin_client, session, query):
    from booking.services import DelegateData

    found = make_booking(
        session,
        organisation="Stourside Housing Association",
        contact_email="booker@example.com",
        purchase_order="PO-7788",
        delegates=[DelegateData(name="Aisha Khan", email="aisha.khan@example.net")],
    )
    make_booking(session, organisation="Another Trust", contact_email="other@example.org", purchase_order="X1")
    response = admin_client.get(BOOKINGS, {"q": query})
    assert list(response.context["cl"].result_list) == [found]


def test_booking_search_by_reference_and_filters(admin_client, session):
    booking = make_booking(session, po_to_follow=True)
    assert list(admin_client.get(BOOKINGS, {"q": booking.reference}).context["cl"].result_list) == [booking]
    for query in [
        {"status__exact": "awaiting_po"},
        {"organisation_type__exact": "nhs"},
        {"session__course__id__exact": session.course.pk},
        {"po_to_follow__exact": "1"},
    ]:
        response = admin_client.get(BOOKINGS, query)
        assert list(response.context["cl"].result_list) == [booking]
        assert "PO to follow, by" in response.content.decode()


def test_editing_contact_details_keeps_status_and_adding_a_po_confirms(admin_client, session):
    booking = make_booking(session, count=2, po_to_follow=True)
    data = form_data(admin_client, booking_url(booking))
    data.update({"notes": "Invoice to finance, not the ward.", "add_purchase_order": "PO-5521"})
    response = admin_client.post(booking_url(booking), data)
    assert response.status_code == 302, response.content.decode()
    booking.refresh_from_db()
    assert booking.notes == "Invoice to finance, not the ward."
    assert (booking.status, booking.purchase_order, booking.po_to_follow) == (BookingStatus.CONFIRMED, "PO-5521", False)
    event = booking.events.get(kind=BookingEvent.Kind.PO_ADDED)
    assert event.actor == "staff:admin"


def test_cancel_bookings_action_asks_then_cancels_and_promotes(admin_client):
    session = make_session(capacity=2)
    booking = make_booking(session, count=2)
    waiting = make_booking(session, count=1, join_waitlist=True)
    page = run_action(admin_client, BOOKINGS, "cancel_bookings", [booking])
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED

    response = run_action(admin_client, BOOKINGS, "cancel_bookings", [booking], post="yes", reason="Ward closed")
    assert response.status_code == 302
    booking.refresh_from_db()
    waiting.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.cancelled_reason == "Ward closed"
    assert booking.events.get(kind=BookingEvent.Kind.CANCELLED).actor == "staff:admin"
    assert waiting.status == BookingStatus.CONFIRMED


# ---------------------------------------------------------------------------------------------
# Sessions: actions


def test_cancel_sessions_action_cancels_the_session_and_its_bookings(admin_client, session):
    bookings = [make_booking(session, count=2), make_booking(session, count=1, po_to_follow=True)]
    page = run_action(admin_client, SESSIONS, "cancel_sessions", [session])
    assert page.status_code == 200
    assert "Yes, cancel the sessions and email everyone" in page.content.decode()
    assert CourseSession.objects.get(pk=session.pk).status == SessionStatus.SCHEDULED

    response = run_action(admin_client, SESSIONS, "cancel_sessions", [session], post="yes", reason="Trainer unwell")
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.status, session.cancelled_reason) == (SessionStatus.CANCELLED, "Trainer unwell")
    for booking in bookings:
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED
        event = booking.events.get(kind=BookingEvent.Kind.SESSION_CANCELLED)
        assert event.actor == "staff:admin"
        assert "Trainer unwell" in event.description
    messages = [str(m) for m in admin_client.get(SESSIONS).context["messages"]]
    assert "Cancelled 1 session(s) and 2 booking(s)." in messages


def test_cancelling_a_session_says_who_will_be_emailed_and_previews_the_message(admin_client, session):
    make_booking(session, count=2)
    make_booking(session, count=1, po_to_follow=True)
    make_booking(session, count=1, join_waitlist=False)
    page = run_action(admin_client, SESSIONS, "cancel_sessions", [session]).content.decode()
    assert "3 bookings will be cancelled: 3 bookers and 4 delegates with places will be emailed" in page
    assert "Reason, sent to the customers" in page
    assert "Sent to the customers in the cancellation email" in page
    assert "Subject: Course cancelled: De-escalation Skills" in html.unescape(page).replace("<strong>", "").replace(
        "</strong>", ""
    )
    preview = run_action(
        admin_client, SESSIONS, "cancel_sessions", [session], post="yes", preview="1", reason="Trainer unwell"
    )
    assert preview.status_code == 200  # a preview, not the cancellation
    assert "Trainer unwell" in preview.content.decode()
    assert CourseSession.objects.get(pk=session.pk).status == SessionStatus.SCHEDULED


def test_export_delegates_is_a_sign_in_sheet_of_seat_holders(admin_client, session):
    from booking.services import DelegateData, booking_cancel

    make_booking(
        session,
        organisation="Orwell Valley NHS Foundation Trust",
        delegates=[
            DelegateData(
                name="Aisha Khan", email="aisha@example.org", job_role="Staff nurse", adjustments="Hearing loop"
            ),
            DelegateData(name="Ben Jones", email="ben@example.org", job_role="Porter"),
        ],
    )
    make_booking(session, organisation="Stourside Housing", po_to_follow=True, count=1, prefix="awaiting")
    booking_cancel(booking=make_booking(session, count=1, prefix="gone"), by_staff=True)
    make_booking(make_session(capacity=1), count=1)  # another session, not selected
    full = make_session(capacity=1)
    make_booking(full, count=1, prefix="full")
    make_booking(full, count=1, prefix="waiting", join_waitlist=True)

    response = run_action(admin_client, SESSIONS, "export_delegates", [session, full])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Session",
        "Date",
        "Course",
        "Venue",
        "Booking reference",
        "Organisation",
        "Delegate",
        "Email",
        "Job role",
        "Access needs",
        "Booking status",
        "Signature",
    ]
    body = rows[1:]
    assert sorted(row[7] for row in body) == [
        "aisha@example.org",
        "awaiting0@example.org",
        "ben@example.org",
        "full0@example.org",
    ]
    aisha = next(row for row in body if row[6] == "Aisha Khan")
    start = session.starts_at.astimezone(LONDON)
    assert aisha[:4] == [
        str(session.pk),
        f"{start:%a} {start.day} {start:%B %Y}, 09:30-16:30",
        "De-escalation Skills",
        "Calm Response Training Centre, Ipswich",
    ]
    assert aisha[5:] == [
        "Orwell Valley NHS Foundation Trust",
        "Aisha Khan",
        "aisha@example.org",
        "Staff nurse",
        "Hearing loop",
        "Confirmed",
        "",
    ]
    assert {row[10] for row in body} == {"Confirmed", "Awaiting PO"}


def test_export_neutralises_spreadsheet_formulas(admin_client, session):
    from booking.services import DelegateData

    make_booking(session, delegates=[DelegateData(name="=HYPERLINK(1)", email="x@example.org", job_role="@SUM(A1)")])
    response = run_action(admin_client, SESSIONS, "export_delegates", [session])
    [_header, row] = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert (row[6], row[8]) == ("'=HYPERLINK(1)", "'@SUM(A1)")


def test_promote_action_promotes_the_waiting_list(admin_client, session):
    make_booking(session, count=6)
    waiting = make_booking(session, count=2, join_waitlist=True)
    # Seats freed without a service call (say, a capacity fixed in the database by hand).
    CourseSession.objects.filter(pk=session.pk).update(capacity=8)
    response = run_action(admin_client, SESSIONS, "promote_waiting_list", [session])
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.CONFIRMED
    assert waiting.events.get(kind=BookingEvent.Kind.PROMOTED).actor == "staff:admin"
    messages = [str(m) for m in admin_client.get(SESSIONS).context["messages"]]
    assert "1 waiting booking(s) promoted." in messages


# ---------------------------------------------------------------------------------------------
# Sessions: the form


def test_capacity_below_seats_taken_is_a_form_error_and_changes_nothing(admin_client, session):
    make_booking(session, count=4)
    someone = Trainer.objects.create(name="Someone Else")
    someone.courses.add(session.course)
    data = form_data(admin_client, session_url(session))
    data.update({"capacity": "3", "trainer": str(someone.pk)})
    response = admin_client.post(session_url(session), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["capacity"] == [
        "4 seats are already booked; the capacity cannot go below that."
    ]
    session.refresh_from_db()
    assert (session.capacity, session.trainer) == (6, None)


def test_raising_capacity_goes_through_the_service_and_promotes(admin_client, session):
    make_booking(session, count=6)
    waiting = make_booking(session, count=2, join_waitlist=True)
    helen = Trainer.objects.create(name="Helen Ward")
    helen.courses.add(session.course)
    data = form_data(admin_client, session_url(session))
    data.update({"capacity": "8", "trainer": str(helen.pk)})
    response = admin_client.post(session_url(session), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    session.refresh_from_db()
    waiting.refresh_from_db()
    assert (session.capacity, session.trainer) == (8, helen)
    assert waiting.status == BookingStatus.CONFIRMED
    assert waiting.events.get(kind=BookingEvent.Kind.PROMOTED).actor == "staff:admin"


def test_moving_the_days_moves_the_span_and_a_default_closing_time(admin_client, session):
    data = form_data(admin_client, session_url(session))
    later = session.starts_at.astimezone(LONDON) + timedelta(days=7)
    data.update(
        {
            "days-0-starts_at_0": f"{later:%d/%m/%Y}",
            "days-0-starts_at_1": "10:00:00",
            "days-0-ends_at_0": f"{later:%d/%m/%Y}",
            "days-0-ends_at_1": "15:00:00",
        }
    )
    response = admin_client.post(session_url(session), data)
    assert response.status_code == 302
    session.refresh_from_db()
    start = later.replace(hour=10, minute=0)
    assert session.starts_at == start
    assert session.ends_at == later.replace(hour=15, minute=0)
    assert session.booking_closes_at == start - timedelta(hours=24)


def test_adding_a_session_with_days_takes_the_course_price(admin_client):
    course = CourseFactory(title="Physical Intervention", price=Decimal("225.00"), duration_days=Decimal("3"))
    venue = VenueFactory()
    data = {
        "course": course.pk,
        "venue": venue.pk,
        "trainer": "",
        "capacity": "10",
        "price": "",
        "booking_closes_at_0": "",
        "booking_closes_at_1": "",
        "joining_instructions": "",
        "days-TOTAL_FORMS": "3",
        "days-INITIAL_FORMS": "0",
        "days-MIN_NUM_FORMS": "1",
        "days-MAX_NUM_FORMS": "1000",
    }
    for n, day in enumerate(["02/03/2037", "03/03/2037", "04/03/2037"]):
        data.update(
            {
                f"days-{n}-starts_at_0": day,
                f"days-{n}-starts_at_1": "09:30",
                f"days-{n}-ends_at_0": day,
                f"days-{n}-ends_at_1": "16:30",
            }
        )
    response = admin_client.post(reverse("admin:booking_coursesession_add"), data)
    assert response.status_code == 302, response.context["errors"]
    session = CourseSession.objects.get(course=course)
    assert session.price == Decimal("225.00")
    assert (session.starts_at, session.ends_at) == (london(2037, 3, 2), london(2037, 3, 4, 16, 30))
    assert session.booking_closes_at == london(2037, 3, 1)
    assert session.days.count() == 3


def test_adding_a_session_without_days_or_with_overlapping_days_is_refused(admin_client):
    course, venue = CourseFactory(), VenueFactory()
    base = {
        "course": course.pk,
        "venue": venue.pk,
        "capacity": "10",
        "days-INITIAL_FORMS": "0",
        "days-MIN_NUM_FORMS": "1",
        "days-MAX_NUM_FORMS": "1000",
    }
    add = reverse("admin:booking_coursesession_add")
    response = admin_client.post(add, {**base, "days-TOTAL_FORMS": "0"})
    assert response.status_code == 200
    assert "A session needs at least one day." in response.content.decode()
    overlapping = {**base, "days-TOTAL_FORMS": "2"}
    for n in range(2):
        overlapping.update(
            {
                f"days-{n}-starts_at_0": "02/03/2037",
                f"days-{n}-starts_at_1": "09:30",
                f"days-{n}-ends_at_0": "02/03/2037",
                f"days-{n}-ends_at_1": "16:30",
            }
        )
    response = admin_client.post(add, overlapping)
    assert response.status_code == 200
    assert "Two of the days overlap." in response.content.decode()
    assert not CourseSession.objects.exists()


def test_a_session_without_bookings_can_be_deleted_but_one_with_bookings_is_protected(admin_client, session):
    empty = make_session(capacity=5)
    make_booking(session)
    response = run_action(admin_client, SESSIONS, "delete_selected", [session, empty])
    assert "Cannot delete sessions" in response.content.decode()
    response = run_action(admin_client, SESSIONS, "delete_selected", [empty], post="yes")
    assert response.status_code == 302
    assert list(CourseSession.objects.all()) == [session]


def test_moving_a_booked_session_in_the_admin_sends_updated_invites(admin_client, session):
    from outbox.models import OutboundEmail

    booking = make_booking(session, count=2)
    data = form_data(admin_client, session_url(session))
    later = session.starts_at.astimezone(LONDON) + timedelta(days=7)
    data.update({"days-0-starts_at_0": f"{later:%d/%m/%Y}", "days-0-ends_at_0": f"{later:%d/%m/%Y}"})
    response = admin_client.post(session_url(session), data, follow=True)
    assert "delegates get updated invites" in response.content.decode()
    session.refresh_from_db()
    assert session.ics_sequence == 1
    updates = OutboundEmail.objects.filter(kind="session_changed")
    assert sorted(row.to[0] for row in updates) == sorted(d.email for d in booking.delegates.all())
    assert OutboundEmail.objects.filter(kind="session_changed_booker").count() == 1
    # Saving again with no change to dates or venue sends nothing more.
    admin_client.post(session_url(session), form_data(admin_client, session_url(session)))
    assert OutboundEmail.objects.filter(kind="session_changed").count() == 2
