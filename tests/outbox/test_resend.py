"""Resending from the outbox admin: only with its own permission (the Sales group has not got
it), and an email whose delivery is unknown only after staff confirm it may arrive twice. The
failed and unknown emails of a booking or a lead show on its page."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from booking.models import Booking
from enquiries import services as enquiries
from enquiries.models import Lead
from outbox.admin import EmailProblemsInline
from outbox.models import EmailStatus, OutboundEmail
from tests.factories import make_booking, make_session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

User = get_user_model()
OUTBOX = reverse("admin:outbox_outboundemail_changelist")


def action_names(response):
    form = response.context["action_form"]
    return [name for name, _label in form.fields["action"].choices if name] if form else []


def a_staff_client(client, username, *, groups=(), permissions=()):
    user = User.objects.create_user(username, email=f"{username}@example.com", is_staff=True)
    user.groups.add(*(Group.objects.get(name=name) for name in groups))
    user.user_permissions.add(*(Permission.objects.get(codename=codename) for codename in permissions))
    client.force_login(user)
    return client


@pytest.fixture
def booking():
    return make_booking(make_session(), count=1)


@pytest.fixture
def failed(booking):
    email = booking.emails.first()
    OutboundEmail.objects.filter(pk=email.pk).update(status=EmailStatus.FAILED, last_error="451 Try again later")
    return email


def resend(client, *emails, follow=False, **extra):
    data = {"action": "resend", "_selected_action": [e.pk for e in emails], **extra}
    return client.post(OUTBOX, data, follow=follow)


def status(email):
    return OutboundEmail.objects.get(pk=email.pk).status


def test_sales_staff_see_the_outbox_but_cannot_resend(client, failed):
    sales = a_staff_client(client, "sam", groups=["Sales"])
    page = sales.get(OUTBOX)
    assert page.status_code == 200
    assert "resend" not in action_names(page)
    # Posting the action anyway is refused: nothing is queued again.
    response = resend(sales, failed, follow=True)
    assert "queued again" not in response.content.decode()
    assert status(failed) == EmailStatus.FAILED


def test_the_resend_permission_is_its_own_and_lets_office_staff_resend(client, failed, smtp_server):
    assert Permission.objects.filter(codename="resend_outboundemail", content_type__app_label="outbox").exists()
    assert not Group.objects.get(name="Sales").permissions.filter(codename="resend_outboundemail").exists()
    office = a_staff_client(client, "olly", permissions=["view_outboundemail", "resend_outboundemail"])
    assert "resend" in action_names(office.get(OUTBOX))
    resend(office, failed)
    assert status(failed) == EmailStatus.QUEUED  # sent once the transaction commits


def test_superusers_can_resend(admin_client, failed):
    assert "resend" in action_names(admin_client.get(OUTBOX))
    resend(admin_client, failed)
    assert status(failed) == EmailStatus.QUEUED


def test_resending_an_unknown_email_asks_first(admin_client, booking, failed, django_capture_on_commit_callbacks):
    unknown = booking.emails.exclude(pk=failed.pk).first()
    OutboundEmail.objects.filter(pk=unknown.pk).update(status=EmailStatus.UNKNOWN, last_error="No answer")

    page = resend(admin_client, failed, unknown)
    assert page.status_code == 200
    html = page.content.decode()
    assert "may already have been delivered" in html
    assert "Yes, resend them" in html
    assert (status(failed), status(unknown)) == (EmailStatus.FAILED, EmailStatus.UNKNOWN)  # nothing yet

    with django_capture_on_commit_callbacks(execute=False):
        response = resend(admin_client, failed, unknown, post="yes")
    assert response.status_code == 302
    assert (status(failed), status(unknown)) == (EmailStatus.QUEUED, EmailStatus.QUEUED)


def test_failed_emails_alone_are_resent_without_a_question(admin_client, failed):
    response = resend(admin_client, failed)
    assert response.status_code == 302
    assert status(failed) == EmailStatus.QUEUED


def test_the_outbox_shows_delivery_unknown(admin_client, failed):
    OutboundEmail.objects.filter(pk=failed.pk).update(status=EmailStatus.UNKNOWN)
    html = admin_client.get(OUTBOX, {"status__exact": "unknown"}).content.decode()
    assert "Delivery unknown" in html and failed.recipients in html


@pytest.fixture
def lead(settings):
    settings.LEADS_ROUND_ROBIN = False
    return enquiries.enquiry_submit(
        data={
            "name": "Priya Shah",
            "organisation": "Stourside Housing",
            "email": "priya.shah@example.org",
            "phone": "01473 555012",
            "message": "Training for 12 housing officers.",
        }
    )


@pytest.mark.parametrize("parent", ["booking", "lead"])
def test_a_booking_or_a_lead_page_lists_its_failed_and_unknown_emails(admin_client, monkeypatch, request, parent):
    """With the one line the booking and lead admins add: inlines = [..., EmailProblemsInline]."""
    obj = request.getfixturevalue(parent)
    model = {"booking": Booking, "lead": Lead}[parent]
    emails = list(obj.emails.all())
    assert emails
    OutboundEmail.objects.filter(pk=emails[0].pk).update(status=EmailStatus.FAILED, last_error="550 No such user")
    model_admin = admin.site._registry[model]
    monkeypatch.setattr(model_admin, "inlines", [*model_admin.inlines, EmailProblemsInline])

    html = admin_client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk]))
    html = html.content.decode()
    assert "Emails that failed or may not have arrived" in html
    assert "550 No such user" in html
    assert reverse("admin:outbox_outboundemail_change", args=[emails[0].pk]) in html
    for email in emails[1:]:  # queued or sent: not a problem, not shown
        assert reverse("admin:outbox_outboundemail_change", args=[email.pk]) not in html
