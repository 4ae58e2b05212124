"""A booking after it is made, through the API: read it, add the PO, change delegates, cancel.

Reached by the booking's manage token (`Authorization: Booking <token>`) or by office staff
signed in. No credentials, or a token valid for no booking, is a 401 whatever the reference;
credentials for something else get the same 404 as an unknown reference, so a reference alone
reveals nothing."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from booking import links, services
from booking.models import Booking, BookingEvent, BookingStatus, CourseSession
from tests.factories import CourseFactory, make_booking, make_session

pytestmark = pytest.mark.django_db

BOOKINGS = "/api/v1/bookings/"
NOT_FOUND = {"code": "not_found", "detail": "Not found."}


def url(booking_or_reference, tail=""):
    reference = getattr(booking_or_reference, "reference", booking_or_reference)
    return f"{BOOKINGS}{reference}/{tail}"


def auth(booking):
    return {"Authorization": f"Booking {links.manage_token(booking)}"}


def get(client, booking, headers=None):
    return client.get(url(booking), headers=auth(booking) if headers is None else headers)


def send(client, method, path, body=None, *, booking=None, headers=None, **extra):
    headers = auth(booking) if headers is None else headers
    return getattr(client, method)(path, body, content_type="application/json", headers=headers, **extra)


def new_delegate(n, **overrides):
    return {
        "name": f"New Person {n}",
        "email": f"new{n}@example.org",
        "job_role": "Nurse",
        "adjustments": "",
    } | overrides


def move(session, *, starts_in, closes_in=None):
    """Put a session at another time, bypassing the services (as time passing would)."""
    starts = timezone.now() + starts_in
    CourseSession.objects.filter(pk=session.pk).update(
        starts_at=starts,
        ends_at=starts + timedelta(hours=7),
        booking_closes_at=timezone.now() + closes_in if closes_in is not None else starts - timedelta(hours=24),
    )
    session.refresh_from_db()


def staff(django_user_model, username, *codenames):
    user = django_user_model.objects.create_user(username, password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="booking", codename__in=codenames))
    return user


@pytest.fixture
def session():
    return make_session(course=CourseFactory(price="145.00"), capacity=4)


@pytest.fixture
def booking(session):
    return make_booking(session, count=2)


# Reading ------------------------------------------------------------------------------------------


def test_the_booker_reads_their_booking_with_its_manage_token(client, booking):
    response = get(client, booking)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["reference"] == booking.reference
    assert body["status"] == "confirmed"
    assert [(d["id"], d["name"]) for d in body["delegates"]] == list(
        booking.delegates.order_by("pk").values_list("pk", "name")
    )
    assert body["manage_url"] == links.manage_url(booking)
    assert body["session"]["seats_remaining"] == 2
    assert "no-store" in response["Cache-Control"]


def test_no_credentials_or_a_token_valid_for_no_booking_is_a_401_whatever_the_reference(client, booking):
    token = links.manage_token(booking)
    refused = {
        "no header": get(client, booking, headers={}),
        "wrong token": get(client, booking, headers={"Authorization": "Booking not-a-token"}),
        "tampered token": get(client, booking, headers={"Authorization": f"Booking {token[:-2]}xx"}),
        "empty token": get(client, booking, headers={"Authorization": "Booking"}),
        "unknown reference, no token": client.get(url("ZZZZZZZZ")),
        "unknown reference, wrong token": client.get(url("ZZZZZZZZ"), headers={"Authorization": "Booking nope"}),
    }
    for case, response in refused.items():
        assert (case, response.status_code) == (case, 401)
        assert response.json()["code"] in {"not_authenticated", "authentication_failed"}
        assert response["WWW-Authenticate"] == 'Bearer realm="api", Booking realm="api"'


def test_a_token_for_another_booking_is_the_same_404_as_an_unknown_reference(client, session, booking):
    other = make_booking(session, count=1)

    assert (
        get(client, booking, headers=auth(other)).json(),
        client.get(url("ZZZZZZZZ"), headers=auth(booking)).json(),
    ) == (
        NOT_FOUND,
        NOT_FOUND,
    )
    assert get(client, booking, headers=auth(other)).status_code == 404


def test_a_new_manage_link_revokes_the_old_token(client, booking):
    old = auth(booking)
    services.booking_new_manage_link(booking=booking, actor="booker")
    booking.refresh_from_db()

    assert get(client, booking, headers=old).status_code == 401
    assert get(client, booking).status_code == 200


def test_the_token_expires_when_the_session_ends(client, session, booking):
    headers = auth(booking)
    move(session, starts_in=-timedelta(hours=8))

    response = get(client, booking, headers=headers)

    assert (response.status_code, response.json()["code"]) == (401, "authentication_failed")
    assert "expired" in response.json()["detail"]


def test_a_cancelled_booking_reads_as_cancelled(client, booking):
    services.booking_cancel(booking=booking, reason="", actor="booker")

    response = get(client, booking)

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_staff_who_may_view_bookings_read_any_booking_without_the_manage_link(client, booking, django_user_model):
    client.force_login(staff(django_user_model, "sally", "view_booking"))

    response = client.get(url(booking))

    assert response.status_code == 200, response.content
    assert response.json()["reference"] == booking.reference
    assert response.json()["manage_url"] is None  # reading a booking is not acting as its booker
    assert client.get(url("ZZZZZZZZ")).json() == NOT_FOUND


def test_signed_in_users_without_the_permission_get_the_404(client, booking, django_user_model):
    client.force_login(django_user_model.objects.create_user("someone", password="x"))

    assert (client.get(url(booking)).status_code, client.get(url(booking)).json()) == (404, NOT_FOUND)


# Purchase order -----------------------------------------------------------------------------------


def test_adding_the_po_confirms_an_awaiting_po_booking(client, session):
    booking = make_booking(session, count=1, po_to_follow=True)
    assert booking.status == BookingStatus.AWAITING_PO

    response = send(client, "patch", url(booking), {"purchase_order": "PO-7788"}, booking=booking)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    assert response.json()["po_deadline"] is None
    booking.refresh_from_db()
    assert (booking.status, booking.purchase_order) == (BookingStatus.CONFIRMED, "PO-7788")
    assert booking.events.filter(kind=BookingEvent.Kind.PO_ADDED, actor="booker (API)").exists()


def test_patch_takes_only_the_purchase_order(client, booking):
    response = send(client, "patch", url(booking), {"purchase_order": "PO-1", "status": "confirmed"}, booking=booking)

    assert response.status_code == 400
    assert response.json()["errors"] == {"status": ["This field is not recognised."]}
    booking.refresh_from_db()
    assert booking.purchase_order == "PO-1001"


def test_a_blank_or_missing_po_is_a_field_error(client, booking):
    blank = send(client, "patch", url(booking), {"purchase_order": ""}, booking=booking)
    missing = send(client, "patch", url(booking), {}, booking=booking)

    assert blank.status_code == missing.status_code == 400
    assert set(blank.json()["errors"]) == set(missing.json()["errors"]) == {"purchase_order"}


def test_changes_without_a_valid_token_for_the_booking_are_refused_and_change_nothing(client, session):
    booking = make_booking(session, count=1, po_to_follow=True)
    other = make_booking(session, count=1)

    for headers, status in [({}, 401), (auth(other), 404), ({"Authorization": "Booking nope"}, 401)]:
        response = send(client, "patch", url(booking), {"purchase_order": "PO-9"}, headers=headers)
        assert response.status_code == status
        response = send(client, "post", url(booking, "cancel/"), {}, headers=headers)
        assert response.status_code == status
    booking.refresh_from_db()
    assert booking.status == BookingStatus.AWAITING_PO


# Cancelling ---------------------------------------------------------------------------------------


def test_the_booker_cancels_with_a_reason(client, booking):
    response = send(client, "post", url(booking, "cancel/"), {"reason": "Rota changed"}, booking=booking)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert response.json()["session"]["seats_remaining"] == 4
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_reason) == (BookingStatus.CANCELLED, "Rota changed")
    assert booking.events.filter(kind=BookingEvent.Kind.CANCELLED, actor="booker (API)").exists()


def test_cancelling_twice_is_a_409(client, booking):
    send(client, "post", url(booking, "cancel/"), booking=booking)

    response = send(client, "post", url(booking, "cancel/"), booking=booking)

    assert response.status_code == 409
    assert response.json()["code"] == "booking_cancelled"


def test_after_booking_closes_the_booker_can_change_nothing_online(client, session, booking):
    move(session, starts_in=timedelta(hours=10), closes_in=-timedelta(hours=1))
    delegate = booking.delegates.first()

    attempts = [
        send(client, "post", url(booking, "cancel/"), booking=booking),
        send(client, "post", url(booking, "delegates/"), {"delegates": [new_delegate(1)]}, booking=booking),
        send(client, "delete", url(booking, f"delegates/{delegate.pk}/"), booking=booking),
        send(client, "post", url(booking, f"delegates/{delegate.pk}/substitute/"), new_delegate(2), booking=booking),
    ]

    for response in attempts:
        assert response.status_code == 409, response.content
        assert response.json()["code"] == "session_closed"
        assert "Changes can no longer be made online" in response.json()["detail"]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.delegates.count() == 2
    assert get(client, booking).status_code == 200  # still readable until the session ends


def test_an_unconfirmed_booking_cannot_be_changed_before_the_email_is_confirmed(client, session):
    booking = make_booking(session, count=1, email_confirmation=True)

    response = send(client, "post", url(booking, "delegates/"), {"delegates": [new_delegate(1)]}, booking=booking)

    assert response.status_code == 409
    assert response.json()["code"] == "email_not_confirmed"


# Delegates ----------------------------------------------------------------------------------------


def test_the_booker_adds_delegates(client, booking):
    response = send(
        client, "post", url(booking, "delegates/"), {"delegates": [new_delegate(1), new_delegate(2)]}, booking=booking
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert [d["email"] for d in body["delegates"]][-2:] == ["new1@example.org", "new2@example.org"]
    assert body["session"]["seats_remaining"] == 0
    assert body["total_price"] == "580.00"
    assert booking.events.filter(kind=BookingEvent.Kind.DELEGATE_ADDED, actor="booker (API)").exists()


def test_adding_more_delegates_than_seats_is_a_409_saying_how_many_are_left(client, booking):
    body = {"delegates": [new_delegate(n) for n in range(3)]}

    response = send(client, "post", url(booking, "delegates/"), body, booking=booking)

    assert response.status_code == 409
    assert response.json() == {
        "code": "insufficient_seats",
        "detail": "Only 2 seats left on this session. Book fewer delegates or join the waiting list.",
        "seats_remaining": 2,
    }
    assert booking.delegates.count() == 2


def test_bad_delegates_get_field_errors_by_index_and_nothing_is_added(client, booking):
    taken = booking.delegates.first().email
    bad_email = send(
        client,
        "post",
        url(booking, "delegates/"),
        {"delegates": [new_delegate(1), new_delegate(2, email="not-an-email")]},
        booking=booking,
    )
    twice = send(
        client, "post", url(booking, "delegates/"), {"delegates": [new_delegate(1), new_delegate(1)]}, booking=booking
    )
    already = send(
        client, "post", url(booking, "delegates/"), {"delegates": [new_delegate(1, email=taken)]}, booking=booking
    )
    empty = send(client, "post", url(booking, "delegates/"), {"delegates": []}, booking=booking)
    unknown = send(
        client, "post", url(booking, "delegates/"), {"delegates": [new_delegate(1)], "x": 1}, booking=booking
    )

    assert bad_email.status_code == 400
    assert bad_email.json()["errors"] == {"delegates": {"1": {"email": ["Enter a valid email address."]}}}
    assert twice.json()["errors"] == {"delegates": {"1": {"email": ["Delegate 1 has this email address already."]}}}
    assert already.status_code == 400
    assert "Each delegate needs their own email address" in already.json()["errors"]["delegates"]["non_field_errors"][0]
    assert set(empty.json()["errors"]) == {"delegates"}
    assert unknown.json()["errors"] == {"x": ["This field is not recognised."]}
    assert booking.delegates.count() == 2


def test_the_booker_removes_a_delegate_but_not_the_last(client, booking):
    first, second = booking.delegates.order_by("pk")

    response = send(client, "delete", url(booking, f"delegates/{first.pk}/"), booking=booking)

    assert response.status_code == 200, response.content
    assert [d["id"] for d in response.json()["delegates"]] == [second.pk]
    assert response.json()["session"]["seats_remaining"] == 3

    last = send(client, "delete", url(booking, f"delegates/{second.pk}/"), booking=booking)
    assert last.status_code == 409
    assert last.json()["code"] == "last_delegate"


def test_an_unknown_or_another_bookings_delegate_is_404(client, session, booking):
    other = make_booking(session, count=1)
    theirs = other.delegates.get()

    for path in [url(booking, f"delegates/{theirs.pk}/"), url(booking, "delegates/999999/")]:
        response = send(client, "delete", path, booking=booking)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        response = send(client, "post", path + "substitute/", new_delegate(1), booking=booking)
        assert response.status_code == 404
    assert other.delegates.count() == 1


def test_the_booker_substitutes_a_delegate_who_keeps_the_seat(client, booking):
    delegate = booking.delegates.order_by("pk").first()

    response = send(
        client, "post", url(booking, f"delegates/{delegate.pk}/substitute/"), new_delegate(5), booking=booking
    )

    assert response.status_code == 200, response.content
    replaced = next(d for d in response.json()["delegates"] if d["id"] == delegate.pk)
    assert (replaced["name"], replaced["email"]) == ("New Person 5", "new5@example.org")
    assert response.json()["session"]["seats_remaining"] == 2
    assert booking.events.filter(kind=BookingEvent.Kind.DELEGATE_SUBSTITUTED, actor="booker (API)").exists()


def test_a_bad_substitute_gets_errors_on_its_own_fields(client, booking):
    first, second = booking.delegates.order_by("pk")
    path = url(booking, f"delegates/{first.pk}/substitute/")

    bad = send(client, "post", path, new_delegate(1, email="nope", name=""), booking=booking)
    duplicate = send(client, "post", path, new_delegate(1, email=second.email), booking=booking)

    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"email", "name"}
    assert duplicate.status_code == 400
    assert list(duplicate.json()["errors"]) == ["email"]
    first.refresh_from_db()
    assert first.email != second.email


def test_delegate_changes_are_rate_limited_for_the_booker_like_the_manage_page(client, settings, booking):
    from uuid import uuid4

    settings.BOOKING_CHANGES_PER_HOUR = 1
    address = {"REMOTE_ADDR": f"2001:db8:{uuid4().hex[:4]}::1"}  # the count per address outlives a test
    path = url(booking, "delegates/")

    assert send(client, "post", path, {"delegates": [new_delegate(1)]}, booking=booking, **address).status_code == 200
    limited = send(client, "post", path, {"delegates": [new_delegate(2)]}, booking=booking, **address)

    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert int(limited["Retry-After"]) > 0
    assert booking.delegates.count() == 3


# Staff --------------------------------------------------------------------------------------------


def test_staff_who_may_only_view_get_403_on_changes(client, booking, django_user_model):
    client.force_login(staff(django_user_model, "sally", "view_booking"))

    response = send(client, "post", url(booking, "cancel/"), {}, headers={})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_office_staff_change_a_booking_past_the_online_limits_recorded_by_name(
    client, session, booking, django_user_model
):
    client.force_login(staff(django_user_model, "olive", "view_booking", "change_booking"))
    move(session, starts_in=timedelta(hours=10), closes_in=-timedelta(hours=1))

    added = send(client, "post", url(booking, "delegates/"), {"delegates": [new_delegate(1)]}, headers={})
    cancelled = send(client, "post", url(booking, "cancel/"), {"reason": "Phoned in"}, headers={})

    assert added.status_code == 200, added.content
    assert cancelled.status_code == 200, cancelled.content
    assert added.json()["manage_url"] == links.manage_url(booking)
    assert set(booking.events.filter(kind__in=["delegate_added", "cancelled"]).values_list("actor", flat=True)) == {
        "staff:olive (API)"
    }


# Where a new booking is ---------------------------------------------------------------------------


def booking_payload(session):
    return {
        "session": session.pk,
        "organisation": "East Coast NHS Trust",
        "organisation_type": "nhs",
        "contact_name": "Sam Booker",
        "contact_email": "sam.booker@example.org",
        "contact_phone": "01473 555 012",
        "invoice_address": "Finance, 1 Hospital Road, Ipswich IP4 5PD",
        "purchase_order": "PO-1001",
        "delegates": [new_delegate(1)],
        "accept_terms": True,
    }


def test_a_new_booking_says_where_it_is_also_on_a_replay(client, session):
    headers = {"Idempotency-Key": "key-1"}
    made = client.post(BOOKINGS, booking_payload(session), content_type="application/json", headers=headers)
    replayed = client.post(BOOKINGS, booking_payload(session), content_type="application/json", headers=headers)

    assert made.status_code == replayed.status_code == 201
    reference = made.json()["reference"]
    assert made["Location"] == f"http://testserver/api/v1/bookings/{reference}/"
    assert replayed["Idempotent-Replayed"] == "true"
    assert replayed["Location"] == made["Location"]
    assert Booking.objects.count() == 1
    # The booker learns the token only from the emailed link: the reference alone opens nothing.
    assert client.get(made["Location"]).status_code == 401


def test_a_refused_booking_has_no_location(client, session):
    response = client.post(BOOKINGS, {"session": session.pk}, content_type="application/json")

    assert response.status_code == 400
    assert "Location" not in response


# Schema -------------------------------------------------------------------------------------------


def test_the_schema_documents_the_token_and_every_answer():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    detail = paths["/api/v1/bookings/{reference}/"]

    assert set(detail["get"]["responses"]) == {"200", "401", "404"}
    assert set(detail["patch"]["responses"]) == {"200", "400", "401", "403", "404", "409", "415"}
    assert set(paths["/api/v1/bookings/{reference}/cancel/"]["post"]["responses"]) == {
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "415",
    }
    for path, method in [
        ("/api/v1/bookings/{reference}/delegates/", "post"),
        ("/api/v1/bookings/{reference}/delegates/{delegate_id}/substitute/", "post"),
    ]:
        assert set(paths[path][method]["responses"]) == {"200", "400", "401", "403", "404", "409", "415", "429"}
    # No body, so nothing to be invalid.
    delete = paths["/api/v1/bookings/{reference}/delegates/{delegate_id}/"]["delete"]
    assert set(delete["responses"]) == {"200", "401", "403", "404", "409", "429"}
    assert {"bookingToken": []} in detail["get"]["security"]
    assert {} not in detail["get"]["security"]  # no anonymous access
    assert schema["components"]["securitySchemes"]["bookingToken"]["name"] == "Authorization"
    statuses = schema["components"]["schemas"]["BookingStatusEnum"]["enum"]
    assert set(statuses) == set(BookingStatus.values)
    assert detail["patch"]["requestBody"]["content"]["application/json"]["schema"]["required"] == ["purchase_order"]


def test_the_booker_of_an_in_house_course_neither_cancels_it_nor_adds_to_it_here(client):
    from tests.booking.in_house_factories import make_in_house

    booking = make_in_house()

    cancel = send(client, "post", url(booking, "cancel/"), {}, booking=booking)
    add = send(client, "post", url(booking, "delegates/"), {"delegates": [new_delegate(1)]}, booking=booking)

    assert (cancel.status_code, cancel.json()["code"]) == (409, "in_house")
    assert "please call us" in cancel.json()["detail"]
    assert (add.status_code, add.json()["code"]) == (409, "in_house")
    assert "registration link" in add.json()["detail"]
    booking.refresh_from_db()
    assert booking.status != BookingStatus.CANCELLED
    assert get(client, booking).status_code == 200


def test_a_po_is_still_taken_after_booking_closes(client, session):
    booking = make_booking(session, count=1, po_to_follow=True)
    move(session, starts_in=timedelta(hours=10), closes_in=-timedelta(hours=1))

    response = send(client, "patch", url(booking), {"purchase_order": "PO-LATE"}, booking=booking)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
