"""Contract tests for the booking API: sessions to read, bookings to make, every error's shape."""

import json
import re
from datetime import datetime, timedelta

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking import links, services
from booking.api import BookingSerializer, BookingViewSet
from booking.models import Booking, BookingEvent, BookingStatus, CourseSession, Delegate
from core.models import IdempotencyKey
from tests.factories import CourseFactory, SectorFactory, VenueFactory, london, make_booking, make_session

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/sessions/"
BOOKINGS = "/api/v1/bookings/"
SESSION_FIELDS = {
    "id",
    "course",
    "starts_at",
    "ends_at",
    "days",
    "venue",
    "capacity",
    "seats_remaining",
    "waiting_list_count",
    "price",
    "currency",
    "status",
    "booking_closes_at",
    "bookable",
}
BOOKING_FIELDS = {
    "confirm_by",
    "reference",
    "status",
    "session",
    "delegates",
    "total_price",
    "total_vat",
    "total_including_vat",
    "currency",
    "po_deadline",
    "manage_url",
}


def written():
    """Everything a booking request writes, to prove a refused one wrote nothing."""
    return (
        Booking.objects.count(),
        Delegate.objects.count(),
        BookingEvent.objects.count(),
        IdempotencyKey.objects.count(),
    )


def move(session, *, starts_in, closes_in=None):
    """Put an existing session at another time, bypassing the services (as time passing would)."""
    starts = timezone.now() + starts_in
    CourseSession.objects.filter(pk=session.pk).update(
        starts_at=starts,
        ends_at=starts + timedelta(hours=7),
        booking_closes_at=timezone.now() + closes_in if closes_in is not None else starts - timedelta(hours=24),
    )
    session.refresh_from_db()
    return session


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def delegate(n, **overrides):
    return {"name": f"Delegate {n}", "email": f"delegate{n}@example.org", "job_role": "Nurse", "adjustments": ""} | (
        overrides
    )


def payload(session, *, count=2, **overrides):
    body = {
        "session": session.pk,
        "organisation": "East Coast NHS Trust",
        "organisation_type": "nhs",
        "ods_code": "RGT01",
        "contact_name": "Sam Booker",
        "contact_email": "sam.booker@example.org",
        "contact_phone": "01473 555 012",
        "job_title": "Training lead",
        "invoice_address": "Finance, 1 Hospital Road, Ipswich IP4 5PD",
        "purchase_order": "PO-1001",
        "delegates": [delegate(n) for n in range(count)],
        "accept_terms": True,
    }
    body.update(overrides)
    return body


def post(client, body, *, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(BOOKINGS, body, content_type="application/json", headers=headers)


def errors_of(response):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"] == "The request has invalid fields."
    return body["errors"]


@pytest.fixture
def session():
    course = CourseFactory(title="De-escalation Skills", slug="de-escalation", price="145.00")
    venue = VenueFactory(name="Orwell Training Centre", town="Ipswich", postcode="IP3 9SJ")
    return make_session(course=course, venue=venue, capacity=4)


# Sessions: list and detail -----------------------------------------------------------------------


def test_session_list_is_paginated_and_each_session_carries_its_seats_price_and_days(client):
    course = CourseFactory(title="De-escalation Skills", slug="de-escalation", price="145.00")
    venue = VenueFactory(name="Orwell Training Centre", town="Ipswich", postcode="IP3 9SJ")
    session = make_session(course=course, venue=venue, capacity=8, days=2)
    make_booking(session, count=3)
    make_booking(session, count=2, po_to_follow=True)
    make_booking(session, count=4, join_waitlist=True)

    body = client.get(SESSIONS).json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1
    [row] = body["results"]
    assert set(row) == SESSION_FIELDS
    assert row["id"] == session.pk
    assert row["course"] == {"slug": "de-escalation", "title": "De-escalation Skills"}
    assert row["venue"] == {"name": "Orwell Training Centre", "town": "Ipswich", "postcode": "IP3 9SJ", "online": False}
    assert row["capacity"] == 8
    assert row["seats_remaining"] == 3
    assert row["waiting_list_count"] == 4
    assert row["price"] == "145.00"
    assert row["currency"] == "GBP"
    assert row["status"] == "scheduled"
    assert row["bookable"] is True
    assert row["starts_at"] == timezone.localtime(session.starts_at).isoformat()
    assert row["ends_at"] == timezone.localtime(session.ends_at).isoformat()
    assert datetime.fromisoformat(row["booking_closes_at"]) == session.starts_at - timedelta(hours=24)
    assert len(row["days"]) == 2
    assert row["days"][0]["starts_at"] == row["starts_at"]
    assert row["days"][1]["ends_at"] == row["ends_at"]
    assert datetime.fromisoformat(row["days"][1]["starts_at"]) - datetime.fromisoformat(row["starts_at"]) == timedelta(
        days=1
    )


def test_times_are_iso_8601_with_the_uk_offset_of_the_day(client):
    year = timezone.now().year + 1
    course, venue = CourseFactory(), VenueFactory()
    winter = services.session_create(
        course=course, venue=venue, capacity=5, days=[(london(year, 1, 14), london(year, 1, 14, 16, 30))]
    )
    summer = services.session_create(
        course=course, venue=venue, capacity=5, days=[(london(year, 7, 14), london(year, 7, 14, 16, 30))]
    )

    winter_row = client.get(f"{SESSIONS}{winter.pk}/").json()
    summer_row = client.get(f"{SESSIONS}{summer.pk}/").json()

    # GMT is written +00:00 (not Z), so every time reads as UK local time with its offset.
    assert winter_row["starts_at"] == f"{year}-01-14T09:30:00+00:00"
    assert winter_row["ends_at"] == f"{year}-01-14T16:30:00+00:00"
    assert winter_row["booking_closes_at"] == f"{year}-01-13T09:30:00+00:00"
    assert winter_row["days"] == [
        {"starts_at": f"{year}-01-14T09:30:00+00:00", "ends_at": f"{year}-01-14T16:30:00+00:00"}
    ]
    assert summer_row["starts_at"] == f"{year}-07-14T09:30:00+01:00"


def test_list_is_upcoming_sessions_of_published_courses_soonest_first(client):
    later = make_session(starts_in_days=40)
    sooner = make_session(starts_in_days=10)
    cancelled = make_session(starts_in_days=20)
    services.session_cancel(session=cancelled, reason="Trainer unwell")
    move(make_session(), starts_in=-timedelta(days=2))
    make_session(course=CourseFactory(is_published=False))

    response = client.get(SESSIONS)

    assert ids(response) == [sooner.pk, cancelled.pk, later.pk]
    row = response.json()["results"][1]
    assert (row["status"], row["bookable"]) == ("cancelled", False)


@pytest.fixture
def schedule():
    nhs = SectorFactory(name="NHS", slug="nhs")
    retail = SectorFactory(name="Retail", slug="retail")
    deesc = CourseFactory(slug="de-escalation", sectors=[nhs])
    conflict = CourseFactory(slug="conflict", sectors=[retail])
    today = timezone.localdate()
    sessions = {
        "closed": move(make_session(course=deesc), starts_in=timedelta(days=3), closes_in=-timedelta(hours=1)),
        "open": make_session(course=deesc, starts_in_days=10),
        "retail": make_session(course=conflict, starts_in_days=20),
        "full": make_session(course=deesc, starts_in_days=30, capacity=1),
        "cancelled": make_session(course=deesc, starts_in_days=35),
    }
    make_booking(sessions["full"], count=1)
    services.session_cancel(session=sessions["cancelled"])
    return {name: session.pk for name, session in sessions.items()} | {"today": today}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["closed", "open", "retail", "full", "cancelled"]),
        ("course=de-escalation", ["closed", "open", "full", "cancelled"]),
        ("sector=retail", ["retail"]),
        ("from={plus15}", ["retail", "full", "cancelled"]),
        ("to={plus15}", ["closed", "open"]),
        ("from={plus15}&to={plus25}", ["retail"]),
        ("available=true", ["open", "retail"]),
        ("available=false", ["closed", "open", "retail", "full", "cancelled"]),
        ("course=de-escalation&available=true", ["open"]),
        ("sector=nhs&from={plus5}", ["open", "full", "cancelled"]),
    ],
)
def test_session_filters(client, schedule, query, expected):
    today = schedule["today"]
    query = query.format(
        plus5=today + timedelta(days=5), plus15=today + timedelta(days=15), plus25=today + timedelta(days=25)
    )

    assert ids(client.get(f"{SESSIONS}?{query}")) == [schedule[name] for name in expected]


def test_bad_filter_values_are_a_400_naming_each_filter(client, schedule):
    response = client.get(f"{SESSIONS}?course=no%20pe&sector=mars!&from=2026-13-01&to=yesterday&available=maybe")

    assert set(errors_of(response)) == {"course", "sector", "from", "to", "available"}


@pytest.mark.parametrize(
    ("query", "detail"),
    [("course=nope", "There is no course 'nope'."), ("sector=mars", "There is no sector 'mars'.")],
)
def test_a_course_or_sector_that_does_not_exist_is_a_404(client, schedule, query, detail):
    response = client.get(f"{SESSIONS}?{query}")

    assert (response.status_code, response.json()) == (404, {"code": "not_found", "detail": detail})


def test_unknown_and_repeated_query_parameters_are_refused_by_name(client, schedule):
    response = client.get(f"{SESSIONS}?corse=de-escalation&available=true&available=false")

    assert errors_of(response) == {
        "corse": ["This query parameter is not recognised."],
        "available": ["Give this query parameter once."],
    }


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("page=0", 400, "page"),
        ("page=two", 400, "page"),
        ("page=last", 400, "page"),
        ("page_size=0", 400, "page_size"),
        ("page_size=101", 400, "page_size"),
        ("page_size=1.5", 400, "page_size"),
        ("page=2", 404, None),
    ],
)
def test_pages_are_whole_numbers_in_range_and_a_page_past_the_last_is_a_404(client, schedule, query, status, field):
    response = client.get(f"{SESSIONS}?{query}")

    assert response.status_code == status
    if field:
        assert list(response.json()["errors"]) == [field]
    else:
        assert response.json() == {"code": "not_found", "detail": "There is no page 2."}


def test_a_to_date_before_the_from_date_is_a_400(client, schedule):
    response = client.get(f"{SESSIONS}?from=2030-06-02&to=2030-06-01")

    assert errors_of(response) == {"to": ["The 'to' date must be on or after the 'from' date."]}


def test_seat_counts_cost_the_same_queries_however_many_sessions(client):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(SESSIONS).status_code == 200
        return len(captured)

    make_booking(make_session(days=2), count=2)
    one = queries()
    for _ in range(4):
        session = make_session(days=3)
        make_booking(session, count=2)
        make_booking(session, count=1, po_to_follow=True)

    assert queries() == one


def test_session_detail_has_the_same_shape_as_the_list(client, session):
    make_booking(session, count=1)

    detail = client.get(f"{SESSIONS}{session.pk}/").json()

    assert detail == client.get(SESSIONS).json()["results"][0]
    assert detail["seats_remaining"] == 3


def test_a_past_session_is_still_retrievable_by_id_but_not_bookable(client, session):
    move(session, starts_in=-timedelta(days=3))

    response = client.get(f"{SESSIONS}{session.pk}/?available=true")

    assert response.status_code == 200
    assert response.json()["bookable"] is False
    assert ids(client.get(SESSIONS)) == []


def test_unknown_session_and_unpublished_course_are_404_in_the_shared_format(client):
    draft = make_session(course=CourseFactory(is_published=False))

    for pk in [draft.pk, 999999]:
        response = client.get(f"{SESSIONS}{pk}/")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "No CourseSession matches the given query."}


# Bookings: made ----------------------------------------------------------------------------------


def test_a_booking_holds_its_seats_unconfirmed_until_the_booker_confirms_their_email(client, session):
    response = post(client, payload(session, count=2))

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == BOOKING_FIELDS
    assert re.fullmatch(r"[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}", body["reference"])
    assert body["status"] == "unconfirmed"
    assert set(body["session"]) == SESSION_FIELDS
    assert body["session"]["id"] == session.pk
    assert body["session"]["seats_remaining"] == 2  # held
    assert [{k: v for k, v in row.items() if k != "id"} for row in body["delegates"]] == [delegate(0), delegate(1)]
    assert all(isinstance(row["id"], int) for row in body["delegates"])
    assert (body["total_price"], body["total_vat"], body["total_including_vat"]) == ("290.00", "58.00", "348.00")
    assert body["currency"] == "GBP"
    assert body["po_deadline"] is None
    assert body["manage_url"] is None  # the link that changes the booking goes by email, once confirmed

    booking = Booking.objects.get(reference=body["reference"])
    assert datetime.fromisoformat(body["confirm_by"]) == booking.confirm_by
    assert booking.status == BookingStatus.UNCONFIRMED
    assert (booking.purchase_order, booking.ods_code, str(booking.contact_phone)) == (
        "PO-1001",
        "RGT01",
        "+441473555012",
    )
    assert booking.delegates.count() == 2
    assert list(booking.events.values_list("kind", "actor")) == [("created", "booker (API)")]
    # Only the booker hears, with the link to confirm; no delegate is emailed yet.
    assert list(booking.emails.values_list("kind", flat=True)) == ["booking_email_confirm"]

    services.booking_confirm_email(booking=booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    kinds = sorted(booking.emails.values_list("kind", flat=True))
    assert kinds == sorted(
        [
            "booking_email_confirm",
            "booking_confirmation",
            "booking_manage_link",
            *["joining_instructions"] * 2,
            "invoice_issued",  # confirmed with a PO: the invoice follows
        ]
    )


def test_office_staff_book_through_the_api_without_the_email_step(client, session, django_user_model):
    from django.contrib.auth.models import Group, Permission

    sales = django_user_model.objects.create_user("sally", password="x", is_staff=True)
    sales.groups.add(Group.objects.get(name="Sales"))
    client.force_login(sales)
    as_sales = post(client, payload(session, count=1, delegates=[delegate(7)]))
    assert as_sales.json()["status"] == "unconfirmed"  # view-only staff book as the public does
    assert as_sales.json()["manage_url"] is None

    staff = django_user_model.objects.create_user("office", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_booking"))
    client.force_login(staff)
    response = post(client, payload(session, count=1))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["confirm_by"] is None
    booking = Booking.objects.get(reference=body["reference"])
    assert body["manage_url"] == links.manage_url(booking)
    assert links.booking_from_token(body["manage_url"].rstrip("/").rsplit("/", 1)[1]) == booking


def test_po_to_follow_holds_the_seats_until_the_po_deadline(client, session):
    response = post(client, payload(session, purchase_order="", po_to_follow=True))

    assert response.status_code == 201, response.content
    body = response.json()
    booking = services.booking_confirm_email(booking=Booking.objects.get(reference=body["reference"]))
    assert booking.status == BookingStatus.AWAITING_PO
    assert body["session"]["seats_remaining"] == 2
    # The hold's deadline runs from the confirmation of the email address.
    shown = BookingSerializer(booking).data
    assert shown["status"] == "awaiting_po"
    assert shown["po_deadline"] == timezone.localtime(booking.po_deadline).isoformat()
    assert datetime.fromisoformat(shown["po_deadline"]) == booking.po_deadline


def test_too_few_seats_with_join_waitlist_is_waitlisted_and_holds_no_seats(client, session):
    make_booking(session, count=3)

    response = post(client, payload(session, count=2, join_waitlist=True))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "waitlisted"
    assert body["po_deadline"] is None
    assert (body["session"]["seats_remaining"], body["session"]["waiting_list_count"]) == (1, 2)


def test_ods_code_is_accepted_in_any_case_and_kept_upper_case(client, session):
    response = post(client, payload(session, ods_code="rgt01"))

    assert response.status_code == 201, response.content
    assert Booking.objects.get().ods_code == "RGT01"


def test_optional_fields_may_be_left_out(client, session):
    body = payload(session, count=1)
    for name in ["ods_code", "job_title"]:
        del body[name]
    body["delegates"] = [{"name": "Ann Nurse", "email": "ann@example.org"}]

    response = post(client, body)

    assert response.status_code == 201, response.content
    [row] = response.json()["delegates"]
    assert row == {"id": row["id"], "name": "Ann Nurse", "email": "ann@example.org", "job_role": "", "adjustments": ""}


# Bookings: refused with 409 ----------------------------------------------------------------------


def test_too_few_seats_is_a_409_saying_how_many_are_left_and_writes_nothing(client, session):
    make_booking(session, count=3)
    before = written()

    response = post(client, payload(session, count=2))

    assert response.status_code == 409
    assert response.json() == {
        "code": "insufficient_seats",
        "detail": "Only 1 seat left on this session. Book fewer delegates or join the waiting list.",
        "seats_remaining": 1,
    }
    assert written() == before


def test_a_full_session_says_zero_seats_remaining(client, session):
    make_booking(session, count=4)

    body = post(client, payload(session, count=1)).json()

    assert (body["code"], body["seats_remaining"]) == ("insufficient_seats", 0)


def close(session):
    move(session, starts_in=timedelta(days=3), closes_in=-timedelta(minutes=5))


def cancel(session):
    services.session_cancel(session=session, reason="Trainer unwell")


def end(session):
    move(session, starts_in=-timedelta(hours=2))


@pytest.mark.parametrize(
    ("change", "code", "detail"),
    [
        (close, "session_closed", "Booking for this session has closed."),
        (cancel, "session_cancelled", "This session has been cancelled."),
        (end, "session_past", "This session has already started or taken place."),
    ],
)
def test_a_session_that_takes_no_bookings_is_a_409_with_its_own_code(client, session, change, code, detail):
    change(session)
    before = written()

    response = post(client, payload(session, join_waitlist=True))

    assert response.status_code == 409
    assert response.json() == {"code": code, "detail": detail}
    assert written() == before


# Bookings: refused with 400 ----------------------------------------------------------------------


def test_an_unknown_session_is_a_field_error_on_session(client, session):
    draft = make_session(course=CourseFactory(is_published=False))

    for pk in [999999, draft.pk]:
        body = payload(session)
        body["session"] = pk
        errors = errors_of(post(client, body))
        assert errors == {"session": [f"There is no session with id {pk}."]}
    assert written() == (0, 0, 0, 0)


def test_each_invalid_field_gets_its_own_message(client, session):
    body = payload(
        session,
        organisation_type="spaceship",
        ods_code="RGT-01",
        contact_email="not-an-email",
        contact_phone="01473 55",
        purchase_order="PO#1",
        accept_terms=False,
    )
    del body["organisation"]

    errors = errors_of(post(client, body))

    assert set(errors) == {
        "organisation",
        "organisation_type",
        "ods_code",
        "contact_email",
        "contact_phone",
        "purchase_order",
        "accept_terms",
    }
    assert errors["organisation"] == ["This field is required."]
    assert errors["contact_phone"] == ["Enter a valid phone number."]
    assert errors["ods_code"] == ["Enter an NHS ODS code: 3 to 9 letters and digits, for example RGT or RGT01."]
    assert errors["accept_terms"] == ["Accept the booking terms to continue"]
    assert written() == (0, 0, 0, 0)


def test_errors_name_the_delegate_they_belong_to(client, session):
    rows = [delegate(0), delegate(1, email="not-an-email"), {"email": "d2@example.org"}]

    errors = errors_of(post(client, payload(session, delegates=rows)))

    assert errors == {
        "delegates": {"1": {"email": ["Enter a valid email address."]}, "2": {"name": ["This field is required."]}}
    }
    assert written() == (0, 0, 0, 0)


def test_the_same_delegate_email_twice_is_refused_beside_the_second(client, session):
    rows = [delegate(0), delegate(1, email="DELEGATE0@example.org ")]

    errors = errors_of(post(client, payload(session, delegates=rows)))

    assert errors == {"delegates": {"1": {"email": ["Delegate 1 has this email address already."]}}}


@pytest.mark.parametrize(
    ("delegates", "message"),
    [
        ([], "This list may not be empty."),
        ("Ann", 'Expected a list of items but got type "str".'),
    ],
)
def test_delegates_must_be_a_list_of_at_least_one(client, session, delegates, message):
    errors = errors_of(post(client, payload(session, delegates=delegates)))

    assert errors == {"delegates": {"non_field_errors": [message]}}


def test_unknown_fields_are_refused_and_listed(client, session):
    body = payload(session, discount_code="NHS50", notes_for_trainer="hello")
    body["delegates"][1]["shoe_size"] = 9

    errors = errors_of(post(client, body))

    assert errors == {
        "discount_code": ["This field is not recognised."],
        "notes_for_trainer": ["This field is not recognised."],
        "delegates": {"1": {"shoe_size": ["This field is not recognised."]}},
    }
    assert written() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"purchase_order": "PO-1", "po_to_follow": True},
            "po_to_follow",
            "Give a purchase order number or choose 'PO to follow', not both.",
        ),
        (
            {"purchase_order": ""},
            "purchase_order",
            "Give a purchase order number, or choose 'PO to follow' if you will send it later.",
        ),
    ],
)
def test_the_services_field_errors_come_back_beside_the_field(client, session, overrides, field, message):
    errors = errors_of(post(client, payload(session, **overrides)))

    assert errors == {field: [message]}
    assert written() == (0, 0, 0, 0)


def test_a_delegate_already_booked_on_the_session_is_refused(client, session):
    make_booking(session, count=1, prefix="delegate")
    before = written()

    errors = errors_of(post(client, payload(session, count=2)))

    assert errors == {
        "delegates": {
            "non_field_errors": [
                "Already booked on this session: delegate0@example.org. Each person needs only one place."
            ]
        }
    }
    assert written() == before


def test_only_json_is_accepted(client, session):
    response = client.post(BOOKINGS, {"session": session.pk})

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_a_failure_after_the_booking_is_made_writes_nothing(client, session, monkeypatch):
    def broken(self, booking):
        raise RuntimeError("the answer could not be built")

    monkeypatch.setattr(BookingViewSet, "_answer", broken)

    with pytest.raises(RuntimeError):
        post(client, payload(session), key="will-fail")

    assert written() == (0, 0, 0, 0)


def test_a_lock_timeout_is_a_503_to_retry(client, session, monkeypatch):
    class LockNotAvailable(Exception):
        sqlstate = "55P03"

    def locked_out(**kwargs):
        raise OperationalError("canceling statement due to lock timeout") from LockNotAvailable()

    monkeypatch.setattr(services, "booking_create", locked_out)

    response = post(client, payload(session))

    assert response.status_code == 503
    assert response.json()["code"] == "session_busy"
    assert response["Retry-After"] == "2"


# Idempotency-Key ---------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_and_body_returns_the_first_answer_and_books_nothing_more(client, session):
    body = payload(session)

    first = post(client, body, key="c1d2e3f4-retry")
    other = make_booking(session, count=1)  # seats change meanwhile; the replay is still the first answer
    again = post(client, body, key="c1d2e3f4-retry")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert list(Booking.objects.exclude(pk=other.pk).values_list("reference", flat=True)) == [first.json()["reference"]]
    assert IdempotencyKey.objects.get().status_code == 201  # stored once, for this client


def test_the_same_body_with_other_key_order_and_spacing_is_the_same_request(client, session):
    body = payload(session)
    first = post(client, body, key="k-order")

    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = post(client, reordered, key="k-order")

    assert again.status_code == 201
    assert again.json()["reference"] == first.json()["reference"]
    assert Booking.objects.count() == 1


def test_the_same_key_with_another_body_is_a_422(client, session):
    post(client, payload(session), key="k-reused")
    before = written()

    response = post(client, payload(session, purchase_order="PO-2002"), key="k-reused")

    assert response.status_code == 422
    assert response.json() == {
        "code": "idempotency_key_reused",
        "detail": "This Idempotency-Key was already used for a different request. Send a new key with a new request.",
    }
    assert written() == before


def test_a_failed_request_does_not_use_up_its_key(client, session):
    make_booking(session, count=3)

    refused = post(client, payload(session, count=2), key="k-after-409")
    fixed = post(client, payload(session, count=1), key="k-after-409")

    assert refused.status_code == 409
    assert fixed.status_code == 201
    assert fixed.json()["status"] == "unconfirmed"


def test_without_a_key_a_retry_is_a_new_request(client, session):
    body = payload(session)
    assert post(client, body).status_code == 201

    errors = errors_of(post(client, body))

    assert "Already booked on this session" in errors["delegates"]["non_field_errors"][0]
    assert Booking.objects.count() == 1


@pytest.mark.parametrize("key", ["x" * 256, "has space", "caf\u00e9"])
def test_a_malformed_key_is_a_400(client, session, key):
    response = client.post(
        BOOKINGS,
        payload(session),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )

    assert errors_of(response) == {"Idempotency-Key": ["Use 1 to 255 visible ASCII characters, for example a UUID."]}
    assert written() == (0, 0, 0, 0)


# Schema ------------------------------------------------------------------------------------------


def test_the_schema_documents_the_booking_api():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    create = schema["paths"]["/api/v1/bookings/"]["post"]
    listing = schema["paths"]["/api/v1/sessions/"]["get"]

    assert set(create["responses"]) == {"201", "400", "401", "403", "409", "415", "422", "429", "503"}
    assert {"name": "Idempotency-Key", "in": "header"}.items() <= create["parameters"][0].items()
    assert set(listing["responses"]) == {"200", "400", "401", "404"}
    assert "security" not in listing  # public: no credentials
    assert {p["name"] for p in listing["parameters"]} >= {"course", "sector", "from", "to", "available"}
    assert "/api/v1/sessions/{id}/" in schema["paths"]
    components = schema["components"]["schemas"]
    assert set(components["Session"]["properties"]) == SESSION_FIELDS
    assert set(components["Booking"]["properties"]) == BOOKING_FIELDS
    assert "excluding VAT" in components["Booking"]["properties"]["total_price"]["description"]


def test_service_errors_are_mapped_to_the_serializer_shape():
    from django.core.exceptions import ValidationError

    from core.api import service_errors

    mapped = service_errors(
        ValidationError(
            {
                "delegates[1].email": ["Enter a valid email address."],
                "delegates[2]": ["Something about the third delegate."],
                "contact_phone": ["Enter a valid phone number."],
                "__all__": ["Give a purchase order number or choose 'PO to follow'."],
            }
        )
    )

    assert mapped == {
        "delegates": {
            1: {"email": ["Enter a valid email address."]},
            2: {"non_field_errors": ["Something about the third delegate."]},
        },
        "contact_phone": ["Enter a valid phone number."],
        "non_field_errors": ["Give a purchase order number or choose 'PO to follow'."],
    }
    assert service_errors(ValidationError("No.")) == {"non_field_errors": ["No."]}
