"""Only office staff who may change bookings see manage links; whoever changes a booking is
recorded by name. (Issue: a Sales user could read the link, follow it and cancel as "booker".)"""

import pytest
from django.urls import reverse

from booking import links
from tests.enquiries.test_permissions import sales_client, sales_user  # noqa: F401 (fixtures)
from tests.factories import make_booking, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking():
    return make_booking(make_session(), count=2)


def test_sales_staff_see_no_manage_link_in_the_booking_admin(sales_client, admin_client, booking):  # noqa: F811
    url = reverse("admin:booking_booking_change", args=[booking.pk])
    token = links.manage_token(booking)
    sales_page = sales_client.get(url)
    assert sales_page.status_code == 200
    assert token not in sales_page.content.decode()
    assert "Manage link" not in sales_page.content.decode()
    assert token in admin_client.get(url).content.decode()  # the office still has it


def test_manage_tokens_are_masked_in_text_for_those_who_may_not_use_them(booking):
    text = f"Manage it here: {links.manage_url(booking)}\nor confirm: {links.confirm_url(booking)}"
    masked = links.mask_tokens(text)
    assert links.manage_token(booking) not in masked
    assert links.confirm_token(booking) not in masked
    assert masked.count("[private link hidden]") == 2
    assert "/bookings/new-link/" in links.mask_tokens("get one at https://x/bookings/new-link/")


def test_a_change_through_the_manage_link_by_a_staff_member_is_recorded_as_them(admin_client, client, booking):
    token = links.manage_token(booking)
    delegate = booking.delegates.first()
    admin_client.post(reverse("booking:remove_delegate", args=[token, delegate.pk]))
    event = booking.events.get(kind="delegate_removed")
    assert event.actor == "staff:admin (manage link)"
    client.post(reverse("booking:cancel", args=[token]), {"confirm": "on"})
    assert booking.events.get(kind="cancelled").actor == "booker (manage link)"


def test_sales_staff_read_emails_with_the_manage_links_hidden(sales_client, admin_client, booking):  # noqa: F811
    from outbox.models import OutboundEmail

    email = OutboundEmail.objects.get(booking=booking, kind="booking_manage_link")
    token = links.manage_token(booking)
    assert token in email.body_text and token in email.body_html
    page = reverse("admin:outbox_outboundemail_change", args=[email.pk])
    preview = reverse("admin:outbox_outboundemail_preview", args=[email.pk])
    for url in (page, preview):
        response = sales_client.get(url)
        assert response.status_code == 200, url
        assert token not in response.content.decode(), url
    assert "[private link hidden]" in sales_client.get(page).content.decode()
    assert token in admin_client.get(preview).content.decode()  # the office sees the email as sent


def test_the_email_preview_has_a_policy_of_its_own_and_the_admin_page_no_style_attributes(admin_client, booking):
    from outbox.models import OutboundEmail

    email = OutboundEmail.objects.filter(booking=booking).first()
    page = admin_client.get(reverse("admin:outbox_outboundemail_change", args=[email.pk]))
    assert 'class="email-preview"' in page.content.decode()
    assert "style=" not in page.content.decode().split('id="content"')[1].split("</iframe>")[0]
    preview = admin_client.get(reverse("admin:outbox_outboundemail_preview", args=[email.pk]))
    policy = preview["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy  # no scripts at all
    assert "style-src 'unsafe-inline'" in policy  # the email's own inline styles
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    assert "unsafe-inline" not in page["Content-Security-Policy"]  # the admin page stays strict


def test_a_bookings_admin_page_lists_its_failed_emails(admin_client, booking):
    from outbox.models import EmailStatus, OutboundEmail

    failed = OutboundEmail.objects.filter(booking=booking).first()
    OutboundEmail.objects.filter(pk=failed.pk).update(status=EmailStatus.FAILED, last_error="550 no such user")
    page = admin_client.get(reverse("admin:booking_booking_change", args=[booking.pk])).content.decode()
    assert "550 no such user" in page
    assert reverse("admin:outbox_outboundemail_change", args=[failed.pk]) in page


def test_sales_staff_cannot_filter_emails_by_their_hidden_bodies(sales_client, booking):  # noqa: F811
    token = links.manage_token(booking)
    url = reverse("admin:outbox_outboundemail_changelist")
    for lookup, value in [
        ("body_text__contains", token[:12]),
        ("body_text__regex", "/bookings/"),
        ("body_html__contains", "a"),
        ("message_id__startswith", "<"),
    ]:
        assert sales_client.get(url, {lookup: value}).status_code == 400, lookup  # refused, not filtered
    assert sales_client.get(url, {"status": "sent"}).status_code == 200  # the sidebar's filters still work


def test_a_manage_link_cannot_be_used_to_send_email_after_email(client, booking, settings):
    from uuid import uuid4

    from outbox.models import OutboundEmail

    settings.BOOKING_CHANGES_PER_HOUR = 3
    token = links.manage_token(booking)
    address = f"2001:db8:{uuid4().hex[:4]}::1"
    delegate = booking.delegates.first()
    statuses = []
    for n in range(5):
        response = client.post(
            reverse("booking:substitute", args=[token, delegate.pk]),
            {"sub-name": f"Person {n}", "sub-email": f"person{n}@example.net"},
            REMOTE_ADDR=address,
            follow=True,
        )
        statuses.append("many changes in the last hour" in response.content.decode())
    assert statuses == [False, False, False, True, True]
    assert OutboundEmail.objects.filter(kind="joining_instructions", to__icontains="person").count() <= 3
