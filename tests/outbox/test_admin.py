"""Administrators change the wording of an email in the admin; placeholders are checked on save."""

import pytest
from django.urls import reverse

from booking.emails import booking_placeholders
from outbox import rendering
from outbox.models import EmailTemplate, OutboundEmail
from tests.factories import make_booking, make_session

pytestmark = pytest.mark.django_db


def add(admin_client, **data):
    return admin_client.post(
        reverse("admin:outbox_emailtemplate_add"), {"kind": "booking_confirmation", "is_active": "on", **data}
    )


def test_the_add_form_starts_from_the_file_wording(admin_client):
    html = admin_client.get(reverse("admin:outbox_emailtemplate_add"), {"kind": "booking_confirmation"}).content
    subject, _body = rendering.default_wording("booking_confirmation")
    assert subject.split("{{")[0].strip() in html.decode()
    assert "{{ total_line }}" in html.decode()
    assert "{{ manage_link }}" not in html.decode()  # the email finance gets carries no manage link


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Dear {{ booker }},", "Unknown placeholder {{ booker }}"),
        ("{{ reference|upper }}", "Only plain placeholders"),
        ("{% load static %}", "Only placeholders and {% if name %}"),
        ("{% if reference %}unclosed", "cannot be read"),
    ],
)
def test_bad_placeholders_are_refused_with_a_message(admin_client, body, message):
    response = add(admin_client, subject="Booking {{ reference }}", body_text=body)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not EmailTemplate.objects.exists()


def test_saved_wording_is_used_for_the_next_email(admin_client):
    response = add(
        admin_client,
        subject="Your place on {{ course }} ({{ reference }})",
        body_text="Hello {{ booker_name }},\n\nThanks for booking. Lost your link? {{ new_link_url }}",
    )
    assert response.status_code == 302
    booking = make_booking(make_session(), count=1)
    email = OutboundEmail.objects.get(kind="booking_confirmation")
    assert email.subject == f"Your place on {booking.session.course.title} ({booking.reference})"
    assert email.body_text.startswith(f"Hello {booking.contact_name},")
    link = booking_placeholders(booking)["new_link_url"]
    assert f'<a href="{link}"' in email.body_html  # the text becomes HTML in the site's layout


def test_the_manage_link_is_refused_in_the_confirmation_finance_gets(admin_client):
    response = add(admin_client, subject="Booking {{ reference }}", body_text="Change it: {{ manage_link }}")
    assert response.status_code == 200
    assert "Unknown placeholder {{ manage_link }}" in response.content.decode()


def test_outbox_is_staff_only(client):
    response = client.get(reverse("admin:outbox_outboundemail_changelist"))
    assert response.status_code == 302
