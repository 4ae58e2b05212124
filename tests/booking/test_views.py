"""The public booking flow and the manage link, through the Django test client."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from booking import links
from booking.models import Booking, BookingStatus, Delegate
from booking.services import session_cancel
from tests.factories import CourseFactory, make_booking, make_session

pytestmark = pytest.mark.django_db


def form_data(count=2, **overrides):
    data = {
        "organisation": "East Coast NHS Trust",
        "organisation_type": "nhs",
        "ods_code": "rgt",
        "contact_name": "Sam Booker",
        "job_title": "Training lead",
        "contact_email": "sam@example.org",
        "contact_phone": "01473 555012",
        "invoice_address": "Finance, 1 Hospital Road, Ipswich IP4 5PD",
        "purchase_order": "",
        "po_to_follow": "on",
        "notes": "",
        "accept_terms": "on",
        "form-TOTAL_FORMS": str(count),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "1",
        "form-MAX_NUM_FORMS": "30",
    }
    for n in range(count):
        data.update(
            {f"form-{n}-name": f"Delegate {n}", f"form-{n}-email": f"d{n}@example.org", f"form-{n}-job_role": "Nurse"}
        )
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def session():
    return make_session(course=CourseFactory(title="De-escalation Skills", price="145.00"), capacity=4)


def test_course_page_lists_sessions_with_seats_and_price(client, session):
    make_booking(session, count=1)
    html = client.get(session.course.get_absolute_url()).content.decode()
    local = timezone.localtime(session.starts_at)
    assert f"{local:%a} {local.day} {local:%B %Y}, 09:30-16:30" in html
    assert "3</strong> seats left" in html
    assert "£145.00" in html
    assert reverse("booking:book", args=[session.pk]) in html


def test_full_session_offers_the_waiting_list(client, session):
    make_booking(session, count=4)
    html = client.get(session.course.get_absolute_url()).content.decode()
    assert "Fully booked:</strong> join the waiting list" in html
    assert "Join waiting list" in html


def test_book_review_confirm(client, session):
    response = client.post(reverse("booking:book", args=[session.pk]), form_data(count=3))
    assert response.status_code == 302
    review = client.get(response["Location"])
    html = review.content.decode()
    assert "Delegate 2" in html
    assert "£435.00" in html  # 3 x 145
    assert "£87.00" in html  # VAT
    assert "£522.00" in html
    assert not Booking.objects.exists()  # nothing is written before confirmation
    submitted = client.post(response["Location"], follow=True)
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.UNCONFIRMED  # the seats are held while the email is confirmed
    assert booking.ods_code == "RGT"
    assert booking.delegates.count() == 3
    html = submitted.content.decode()
    assert "Check your email to confirm your booking" in html
    assert links.manage_url(booking) not in html
    confirmed = confirm_from_email(client, booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.AWAITING_PO
    html = confirmed.content.decode()
    assert booking.reference in html
    assert "Places held: purchase order to follow" in html
    assert links.manage_url(booking) in html


def test_form_errors_are_shown_beside_fields_and_nothing_is_written(client, session):
    data = form_data(
        count=2,
        contact_phone="12345",
        contact_email="not-an-email",
        ods_code="R!",
        accept_terms=None,
        **{"form-1-email": "d0@example.org"},
    )
    response = client.post(reverse("booking:book", args=[session.pk]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a UK phone number, like 01473 555012" in html
    assert "Enter an email address in the correct format, like name@example.com" in html
    assert "Enter an NHS ODS code" in html
    assert "Accept the booking terms to continue" in html
    assert not Booking.objects.exists()


def test_duplicate_delegate_emails_are_refused(client, session):
    data = form_data(count=2, **{"form-1-email": "D0@example.org"})
    html = client.post(reverse("booking:book", args=[session.pk]), data).content.decode()
    assert "Each delegate needs their own email address: d0@example.org" in html


def test_po_or_po_to_follow_is_required(client, session):
    html = client.post(reverse("booking:book", args=[session.pk]), form_data(po_to_follow=None)).content.decode()
    assert "Give a purchase order number, or choose" in html


def test_add_and_remove_delegate_rows_without_javascript(client, session):
    url = reverse("booking:book", args=[session.pk])
    added = client.post(url, {**form_data(count=2), "action": "add"}).content.decode()
    assert 'name="form-TOTAL_FORMS" value="3"' in added
    assert 'value="d1@example.org"' in added
    assert "is-invalid" not in added  # adding a row shows no errors yet
    removed = client.post(url, {**form_data(count=3), "action": "remove-0"}).content.decode()
    assert 'name="form-TOTAL_FORMS" value="2"' in removed
    assert 'name="form-0-email" value="d1@example.org"' in removed
    assert 'name="form-1-email" value="d2@example.org"' in removed
    assert 'name="form-2-email"' not in removed


def test_too_many_delegates_says_how_many_are_left(client, session):
    make_booking(session, count=3)
    url = reverse("booking:book", args=[session.pk])
    review_url = client.post(url, form_data(count=2))["Location"]
    html = client.get(review_url).content.decode()
    assert "Only 1 seat left for your 2 delegates" in html
    response = client.post(review_url, follow=True)
    assert "Only 1 seat left on this session" in response.content.decode()
    assert Booking.objects.count() == 1


def test_joining_the_waiting_list(client, session):
    make_booking(session, count=4)
    url = reverse("booking:book", args=[session.pk])
    review_url = client.post(url, form_data(count=2, join_waitlist="on"))["Location"]
    html = client.post(review_url, follow=True).content.decode()
    assert "place on the waiting list is" in html  # ... held until: confirm your email first
    booking = Booking.objects.get(status=BookingStatus.WAITLISTED)
    assert "You are on the waiting list" in html_of(confirm_from_email(client, booking))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("cancelled", "This session has been cancelled."),
        ("closed", "Booking for this session has closed."),
        ("past", "This session has already started or taken place."),
    ],
)
def test_sessions_that_cannot_be_booked_say_why(client, change, reason):
    if change == "cancelled":
        session = make_session()
        session_cancel(session=session)
    elif change == "closed":
        session = make_session(starts_in_days=2)
        session.booking_closes_at = timezone.now() - timedelta(hours=1)
        session.save()
    else:
        session = make_session(starts_in_days=-3)
    response = client.get(reverse("booking:book", args=[session.pk]))
    assert response.status_code == 410
    assert reason in response.content.decode()
    assert client.post(reverse("booking:book", args=[session.pk]), form_data()).status_code == 410


def test_unknown_session_is_404(client):
    assert client.get(reverse("booking:book", args=[99999])).status_code == 404


# The manage link --------------------------------------------------------------------------------


@pytest.fixture
def booking(session):
    return make_booking(session, count=2, po_to_follow=True)


def manage(booking):
    return reverse("booking:manage", args=[links.manage_token(booking)])


def test_manage_page_shows_booking_and_history(client, booking):
    html = client.get(manage(booking)).content.decode()
    assert booking.reference in html
    assert "Add your purchase order" in html
    assert "Booked 2 places" in html


def test_add_po_confirms(client, booking):
    token = links.manage_token(booking)
    response = client.post(reverse("booking:add_po", args=[token]), {"purchase_order": "PO 778812"}, follow=True)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.purchase_order == "PO 778812"
    assert "purchase order number has been added" in response.content.decode()


def test_bad_po_is_explained(client, booking):
    token = links.manage_token(booking)
    response = client.post(reverse("booking:add_po", args=[token]), {"purchase_order": "<script>"})
    assert response.status_code == 400
    assert "letters, digits" in response.content.decode()


def test_substitute_a_delegate(client, booking):
    token = links.manage_token(booking)
    first = booking.delegates.first()
    url = reverse("booking:substitute", args=[token, first.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"sub-name": "New Person", "sub-email": "new@example.org"}, follow=True)
    assert "has been replaced by New Person" in response.content.decode()
    emails = set(booking.delegates.values_list("email", flat=True))
    assert "new@example.org" in emails
    assert first.email not in emails
    assert booking.delegates.count() == 2


def test_substitute_with_an_email_already_booked_is_refused(client, booking):
    token = links.manage_token(booking)
    first, second = booking.delegates.all()
    response = client.post(
        reverse("booking:substitute", args=[token, first.pk]), {"sub-name": "Twin", "sub-email": second.email}
    )
    assert response.status_code == 400
    assert "Each delegate needs their own email address" in response.content.decode()


def test_add_and_remove_delegates(client, booking):
    token = links.manage_token(booking)
    data = {
        "add-TOTAL_FORMS": "1",
        "add-INITIAL_FORMS": "0",
        "add-0-name": "Third Person",
        "add-0-email": "third@example.org",
    }
    client.post(reverse("booking:add_delegates", args=[token]), data)
    assert booking.delegates.count() == 3
    third = booking.delegates.get(email="third@example.org")
    client.post(reverse("booking:remove_delegate", args=[token, third.pk]))
    assert booking.delegates.count() == 2


def test_adding_more_delegates_than_seats_is_refused(client, booking):
    token = links.manage_token(booking)
    data = {"add-TOTAL_FORMS": "3", "add-INITIAL_FORMS": "0"}
    for n in range(3):
        data.update({f"add-{n}-name": f"Extra {n}", f"add-{n}-email": f"extra{n}@example.org"})
    response = client.post(reverse("booking:add_delegates", args=[token]), data, follow=True)
    assert "Only 2 seats left" in response.content.decode()
    assert booking.delegates.count() == 2


def test_cancel_needs_confirmation(client, booking):
    token = links.manage_token(booking)
    response = client.post(reverse("booking:cancel", args=[token]), {})
    assert response.status_code == 400
    assert "Tick the box to confirm" in response.content.decode()
    client.post(reverse("booking:cancel", args=[token]), {"confirm": "on", "reason": "Rota clash"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_changes_after_booking_closes_are_refused(client, booking):
    session = booking.session
    session.booking_closes_at = timezone.now() - timedelta(minutes=1)
    session.save()
    token = links.manage_token(booking)
    html = client.get(manage(booking)).content.decode()
    assert "Booking for this session has closed." in html
    assert "Cancel booking" not in html
    response = client.post(reverse("booking:cancel", args=[token]), {"confirm": "on"}, follow=True)
    assert "Changes can no longer be made online" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.AWAITING_PO


@pytest.mark.parametrize("token", ["nonsense", "ABCDEFGH:forged-signature", "ABCDEFGH"])
def test_bad_manage_links_are_a_friendly_404(client, booking, token):
    response = client.get(reverse("booking:manage", args=[token]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert booking.reference not in html


def test_manage_link_stops_working_after_the_session_ends(client, booking):
    session = booking.session
    session.starts_at = timezone.now() - timedelta(days=2)
    session.ends_at = timezone.now() - timedelta(days=2) + timedelta(hours=7)
    session.booking_closes_at = session.starts_at - timedelta(days=1)
    session.save()
    assert client.get(manage(booking)).status_code == 404


def test_manage_link_of_another_booking_does_not_work_for_this_one(client, booking, session):
    other = make_booking(session, count=1)
    token = links.manage_token(other)
    delegate = booking.delegates.first()
    response = client.post(reverse("booking:remove_delegate", args=[token, delegate.pk]), follow=True)
    assert Delegate.objects.filter(pk=delegate.pk).exists()
    assert "That delegate is not on this booking." in response.content.decode()


def test_reference_is_easy_to_read_aloud(client, booking):
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{8}", booking.reference)


def test_non_uk_phone_numbers_are_refused(client, session):
    html = client.post(reverse("booking:book", args=[session.pk]), form_data(contact_phone="+1 202 555 0100")).content
    assert "Enter a UK phone number" in html.decode()
    ok = client.post(reverse("booking:book", args=[session.pk]), form_data(contact_phone="+44 20 7946 0000"))
    assert ok.status_code == 302


# The booking pages: Enter, removing and restoring rows, errors, the waiting list (issue #8) -----


def html_of(response):
    return response.content.decode()


def submit_buttons(html):
    """The booking form's submit buttons in page order, as (name, value) pairs."""
    form = html[html.index('<form method="post" action="/book/') :]
    form = form[: form.index("</form>")]
    form = re.sub(r"<template.*?</template>", "", form, flags=re.S)  # the JavaScript row template
    buttons = re.findall(r'<button type="submit"[^>]*>', form)
    return [(re.search(r'name="(\w+)"', b).group(1), re.search(r'value="([\w-]+)"', b).group(1)) for b in buttons]


def delegate_emails(html):
    return re.findall(r'name="form-\d+-email" value="([^"]*)"', html)


def test_enter_reviews_the_booking_because_the_first_submit_button_does(client, session):
    """Enter submits a form with its first submit button: that must be "review", never a removal."""
    url = reverse("booking:book", args=[session.pk])
    html = html_of(client.post(url, {**form_data(count=3), "action": "add"}))
    buttons = submit_buttons(html)
    assert buttons[0] == ("action", "review")
    assert ("action", "remove-0") in buttons
    first = re.search(r'<button type="submit"[^>]*value="review"[^>]*>', html).group(0)
    assert 'tabindex="-1"' in first and 'aria-hidden="true"' in first and "visually-hidden" in first
    # What Enter sends (the first button's action) reviews the booking with every delegate kept.
    response = client.post(url, {**form_data(count=3), "action": buttons[0][1]})
    assert response.status_code == 302
    review = html_of(client.get(response["Location"]))
    assert all(f"d{n}@example.org" in review for n in range(3))


def test_remove_then_undo_restores_the_row_where_it_was_without_javascript(client, session):
    url = reverse("booking:book", args=[session.pk])
    data = form_data(count=3, **{"form-1-name": "Jane Smith", "form-1-adjustments": "Step-free access"})
    removed = html_of(client.post(url, {**data, "action": "remove-1"}))
    assert delegate_emails(removed) == ["d0@example.org", "d2@example.org"]
    notice = removed[removed.index("data-delegate-notice") :]
    notice = notice[: notice.index("data-delegate-rows")]
    assert (
        'role="status"' in removed[removed.index("data-delegate-notice") - 60 : removed.index("data-delegate-notice")]
    )
    assert "Removed delegate 2, Jane Smith." in notice
    assert re.search(r'<button type="submit"[^>]*name="action" value="undo"[^>]*autofocus', notice)
    hidden = dict(re.findall(r'<input type="hidden" name="(undo-\w+)" value="([^"]*)"', notice))
    assert hidden == {
        "undo-index": "1",
        "undo-name": "Jane Smith",
        "undo-email": "d1@example.org",
        "undo-job_role": "Nurse",
        "undo-adjustments": "Step-free access",
    }
    # The browser sends the form back as it now is, with the Undo button.
    after_remove = {
        **{k: v for k, v in data.items() if not k.startswith("form-")},
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "0",
        **{f"form-0-{f}": v for f, v in [("name", "Delegate 0"), ("email", "d0@example.org"), ("job_role", "Nurse")]},
        **{f"form-1-{f}": v for f, v in [("name", "Delegate 2"), ("email", "d2@example.org"), ("job_role", "Nurse")]},
        **hidden,
        "action": "undo",
    }
    restored = html_of(client.post(url, after_remove))
    assert delegate_emails(restored) == ["d0@example.org", "d1@example.org", "d2@example.org"]
    assert 'name="form-1-name" value="Jane Smith"' in restored
    assert "Step-free access</textarea>" in restored
    assert "Removed delegate" not in restored
    assert 'name="form-TOTAL_FORMS" value="3"' in restored
    # Focus goes back to the restored row (no script needed).
    assert re.search(r'<input type="text" name="form-1-name"[^>]*autofocus', restored)
    # The undo fields are not part of the booking.
    response = client.post(url, {**form_data(count=3), **hidden})
    assert not [k for k in client.session[f"booking-draft-{session.pk}"] if k.startswith("undo-")]
    assert response.status_code == 302


def test_the_only_delegate_has_no_remove_button(client, session):
    url = reverse("booking:book", args=[session.pk])
    one = html_of(client.get(url))
    assert [v for _, v in submit_buttons(one) if v.startswith("remove-")] == []
    two = html_of(client.post(url, {**form_data(count=1), "action": "add"}))
    assert [v for _, v in submit_buttons(two) if v.startswith("remove-")] == ["remove-0", "remove-1"]
    back_to_one = html_of(client.post(url, {**form_data(count=2), "action": "remove-0"}))
    assert [v for _, v in submit_buttons(back_to_one) if v.startswith("remove-")] == []
    assert delegate_emails(back_to_one) == ["d1@example.org"]
    # The server still refuses to remove the last one if asked.
    still_one = html_of(client.post(url, {**form_data(count=1), "action": "remove-0"}))
    assert delegate_emails(still_one) == ["d0@example.org"]
    assert "Removed delegate" not in still_one


def test_errors_are_human_summarised_at_the_top_and_linked_to_their_fields(client, session):
    url = reverse("booking:book", args=[session.pk])
    data = {k: "" for k in form_data(count=2) if not k.startswith("form-")}
    data.update(
        {
            "form-TOTAL_FORMS": "2",
            "form-INITIAL_FORMS": "0",
            "form-0-name": "Alex Green",
            "form-0-email": "alex@example.org",
            "form-1-name": "Sam Patel",
            "form-1-email": "not-an-email",
            "contact_email": "priya@",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    html = html_of(response)
    assert re.search(r"<title>Error: Book De-escalation Skills", html)
    summary = html[html.rindex("<div", 0, html.index('id="error-summary"')) : html.index("<h1")]
    assert "There is a problem" in summary
    assert "autofocus" in summary and 'tabindex="-1"' in summary
    links = re.findall(r'<a class="alert-link" href="#([\w-]+)">([^<]*)</a>', summary)
    assert [(anchor, text.replace("&#x27;", "'")) for anchor, text in links] == [
        ("id_organisation", "Enter your organisation's name"),
        ("id_organisation_type", "Choose the type of organisation"),
        ("id_contact_name", "Enter your name"),
        ("id_contact_email", "Enter an email address in the correct format, like name@example.com"),
        ("id_contact_phone", "Enter your phone number"),
        ("id_invoice_address", "Enter the invoice address"),
        ("id_purchase_order", "Give a purchase order number, or choose 'PO to follow' if you will send it later"),
        (
            "id_form-1-email",
            "Delegate 2: Enter the delegate's email address in the correct format, like name@example.com",
        ),
        ("id_accept_terms", "Accept the booking terms to continue"),
    ]
    for anchor, _ in links:
        assert f'id="{anchor}"' in html  # each link reaches its field
    assert "This field is required" not in html
    assert "Please" not in html


def test_an_empty_delegate_row_says_what_to_enter(client, session):
    data = form_data(count=1, **{"form-0-name": "", "form-0-email": "", "form-0-job_role": ""})
    html = html_of(client.post(reverse("booking:book", args=[session.pk]), data))
    assert "Enter the delegate&#x27;s full name" in html
    assert "Enter the delegate&#x27;s email address" in html
    assert "Add at least one delegate" not in html  # the row's own messages say it
    assert "Please submit" not in html


@pytest.mark.parametrize(
    ("count", "message"), [(0, "Add at least one delegate"), (31, "You can book up to 30 delegates at once")]
)
def test_too_few_or_too_many_delegates(client, session, count, message):
    html = html_of(client.post(reverse("booking:book", args=[session.pk]), form_data(count=count)))
    summary = html[html.index('id="error-summary"') : html.index("<h1")]
    assert message in summary
    assert "Please submit" not in html
    anchor = "add-delegate" if count == 0 else "id_form-0-name"
    assert f'href="#{anchor}"' in summary
    assert f'id="{anchor}"' in html


def test_a_repeated_delegate_email_is_shown_on_the_repeating_row(client, session):
    data = form_data(count=3, **{"form-2-email": "D0@example.org"})
    html = html_of(client.post(reverse("booking:book", args=[session.pk]), data))
    assert 'href="#id_form-2-email"' in html
    assert "Delegate 3: Each delegate needs their own email address: d0@example.org is already delegate 1" in html


def test_a_bad_phone_number_is_explained_once(client, session):
    html = html_of(client.post(reverse("booking:book", args=[session.pk]), form_data(contact_phone="12345")))
    summary = html[html.index('id="error-summary"') : html.index("<h1")]
    assert summary.count("Enter a UK phone number") == 1


def test_the_waiting_list_button_joins_the_waiting_list(client, session):
    make_booking(session, count=3)  # one seat left
    url = reverse("booking:book", args=[session.pk])
    review_url = client.post(url, form_data(count=2))["Location"]  # the waiting-list box unticked
    html = html_of(client.get(review_url))
    assert re.search(
        r'<button type="submit"[^>]*name="action" value="waitlist"[^>]*>Join the waiting list</button>', html
    )
    assert "Confirm booking" not in html
    assert f'href="{url}?change=1">Change your booking</a>' in html
    client.post(review_url, {"action": "waitlist"}, follow=True)
    booking = Booking.objects.get(status=BookingStatus.WAITLISTED)
    assert booking.delegates.count() == 2
    assert "You are on the waiting list" in html_of(confirm_from_email(client, booking))


def test_the_review_page_confirms_when_the_seats_are_there(client, session):
    review_url = client.post(reverse("booking:book", args=[session.pk]), form_data(count=2))["Location"]
    html = html_of(client.get(review_url))
    assert re.search(r'name="action" value="confirm"[^>]*>Confirm booking</button>', html)
    assert "Join the waiting list</button>" not in html
    client.post(review_url, {"action": "confirm"})
    confirm_from_email(client, Booking.objects.get())
    assert Booking.objects.get().status == BookingStatus.AWAITING_PO


def test_manage_page_puts_the_purchase_order_first_while_it_is_awaited(client, booking):
    html = html_of(client.get(manage(booking)))
    assert html.index("Add your purchase order") < html.index(booking.reference + "</strong>")
    token = links.manage_token(booking)
    client.post(reverse("booking:add_po", args=[token]), {"purchase_order": "PO 778812"})
    assert "Add your purchase order" not in html_of(client.get(manage(booking)))


def test_manage_page_errors_are_summarised(client, booking):
    token = links.manage_token(booking)
    response = client.post(reverse("booking:add_po", args=[token]), {"purchase_order": ""})
    assert response.status_code == 400
    html = html_of(response)
    assert re.search(r"<title>Error: Manage booking", html)
    assert '<a class="alert-link" href="#id_purchase_order">Enter your purchase order number</a>' in html
    html = html_of(client.post(reverse("booking:cancel", args=[token]), {}))
    assert '<a class="alert-link" href="#id_confirm">Tick the box to confirm the cancellation</a>' in html
    data = {"add-TOTAL_FORMS": "1", "add-INITIAL_FORMS": "0", "add-0-name": "Sam", "add-0-email": "sam@"}
    html = html_of(client.post(reverse("booking:add_delegates", args=[token]), data))
    assert 'href="#id_add-0-email"' in html
    assert "Error: Manage booking" in html
    assert "Error:" not in html_of(client.get(manage(booking)))


def test_substitute_errors_are_summarised(client, booking):
    token = links.manage_token(booking)
    url = reverse("booking:substitute", args=[token, booking.delegates.first().pk])
    html = html_of(client.post(url, {"sub-name": "", "sub-email": "x"}))
    assert re.search(r"<title>Error: Substitute a delegate", html)
    assert 'href="#id_sub-name">Enter the new delegate&#x27;s full name</a>' in html
    assert 'href="#id_sub-email">Enter the new delegate&#x27;s email address in the correct format' in html
    assert "Error:" not in html_of(client.get(url))


def test_closed_and_cancelled_sessions_show_no_seats_left(client, session):
    closed = make_session(course=session.course, starts_in_days=2, capacity=8)
    closed.booking_closes_at = timezone.now() - timedelta(hours=1)
    closed.save()
    cancelled = make_session(course=session.course, starts_in_days=9, capacity=6)
    session_cancel(session=cancelled)
    html = html_of(client.get(session.course.get_absolute_url()))
    rows = re.findall(r"<tr>.*?</tr>", html[html.index("<tbody>") :], flags=re.S)
    assert len(rows) == 3
    closed_row, cancelled_row, open_row = rows  # soonest first
    assert "Booking closed" in closed_row and "left" not in closed_row and "/book/" not in closed_row
    assert "Cancelled" in cancelled_row and "left" not in cancelled_row and "/book/" not in cancelled_row
    assert "4</strong> seats left" in open_row
    # The summary on the "cannot be booked" page too.
    page = html_of(client.get(reverse("booking:book", args=[closed.pk])))
    assert "Booking closed" in page
    assert "seats left" not in page


def test_vat_rate_and_booking_close_wording_come_from_settings(client, session, settings):
    settings.VAT_RATE = Decimal("0.175")
    settings.BOOKING_CLOSES_BEFORE_START = timedelta(hours=48)
    course_page = html_of(client.get(session.course.get_absolute_url()))
    assert "including VAT at 17.5%" in course_page
    assert "Online booking closes 2 days before the start" in course_page
    assert "which is charged at 17.5%" in course_page  # the footer
    book_page = html_of(client.get(reverse("booking:book", args=[session.pk])))
    assert "exclude VAT, charged at 17.5%" in book_page
    closes = timezone.localtime(session.booking_closes_at)
    assert f"until booking closes on {closes:%a} {closes.day} {closes:%B %Y}, {closes:%H:%M}" in book_page
    review_url = client.post(reverse("booking:book", args=[session.pk]), form_data(count=1))["Location"]
    assert "VAT at 17.5%" in html_of(client.get(review_url))
    for page in (course_page, book_page):
        assert "20%" not in page and "24 hours" not in page


def test_the_favicon(client):
    html = html_of(client.get("/"))
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"
    from django.contrib.staticfiles import finders

    assert finders.find("favicon.svg").endswith("static/favicon.svg")


def confirm_from_email(client, booking):
    """Follow the link in the booker's confirm-your-email email, and press its button."""
    from outbox.models import OutboundEmail

    email = OutboundEmail.objects.get(booking=booking, kind="booking_email_confirm")
    url = re.search(r"https?://\S+/bookings/confirm/\S+/", email.body_text).group(0)
    path = url.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200
    assert "Confirm my booking" in html_of(page)
    return client.post("/" + path, follow=True)


# Seats must be earned ----------------------------------------------------------------------------


def test_nothing_reaches_the_delegates_until_the_booker_confirms_their_email(client, session):
    from outbox.models import OutboundEmail

    review_url = client.post(reverse("booking:book", args=[session.pk]), form_data(count=2))["Location"]
    client.post(review_url)
    booking = Booking.objects.get()
    assert list(OutboundEmail.objects.values_list("kind", "to")) == [("booking_email_confirm", [booking.contact_email])]
    # The manage page cannot change an unconfirmed booking (only cancel it).
    token = links.manage_token(booking)
    html = html_of(client.get(manage(booking)))
    assert "Until then it cannot be changed" in html
    response = client.post(reverse("booking:add_po", args=[token]), {"purchase_order": "PO 1"}, follow=True)
    assert "Confirm your email address first" in html_of(response)
    confirm_from_email(client, booking)
    kinds = sorted(OutboundEmail.objects.values_list("kind", flat=True))
    assert kinds.count("joining_instructions") == 2
    assert "booking_manage_link" in kinds


def test_an_unconfirmed_booking_lapses_and_its_seats_go_back(client, session):
    from booking import services

    make_booking(session, count=3)  # one seat left
    review_url = client.post(reverse("booking:book", args=[session.pk]), form_data(count=1))["Location"]
    client.post(review_url)
    held = Booking.objects.get(status=BookingStatus.UNCONFIRMED)
    assert services.seats_remaining(session) == 0  # held for the booker, not yet confirmed
    waiting = make_booking(session, count=1, join_waitlist=True)
    assert waiting.status == BookingStatus.WAITLISTED
    assert services.unconfirmed_bookings_release(now=timezone.now()) == 0  # not yet
    assert services.unconfirmed_bookings_release(now=held.confirm_by + timedelta(seconds=1)) == 1
    held.refresh_from_db()
    assert held.status == BookingStatus.CANCELLED
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.CONFIRMED  # the freed seat went to the waiting list
    # The link now says what happened, and offers the other dates.
    response = client.get(reverse("booking:confirm_email", args=[links.confirm_token(held)]))
    assert response.status_code == 410
    assert "not confirmed in time" in html_of(response)


def test_one_booker_cannot_hold_more_than_the_cap_unconfirmed(client, settings):
    settings.BOOKING_UNCONFIRMED_SEATS_MAX = 3
    first, second = make_session(capacity=20), make_session(capacity=20)
    review = client.post(reverse("booking:book", args=[first.pk]), form_data(count=2))["Location"]
    client.post(review)
    review = client.post(reverse("booking:book", args=[second.pk]), form_data(count=2))["Location"]
    response = client.post(review)
    assert response.status_code == 409
    assert "waiting for you to confirm your email address" in html_of(response)
    assert Booking.objects.count() == 1


def test_bookings_from_one_address_are_rate_limited(client, session, settings):
    from uuid import uuid4

    settings.BOOKINGS_RATE_LIMIT_PER_HOUR = 2
    address = f"2001:db8:{uuid4().hex[:4]}::1"  # its own count, whatever earlier runs left in the cache
    statuses = []
    for n in range(3):
        review = client.post(
            reverse("booking:book", args=[session.pk]),
            form_data(
                count=1,
                contact_email=f"b{n}@example.org",
                organisation=f"Org {n}",
                **{"form-0-email": f"d{n}@example.org"},
            ),
            REMOTE_ADDR=address,
        )["Location"]
        statuses.append(client.post(review, REMOTE_ADDR=address).status_code)
    assert statuses[:2] == [302, 302]
    assert statuses[2] == 429
    assert Booking.objects.count() == 2
