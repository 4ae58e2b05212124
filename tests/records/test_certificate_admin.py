"""Certificates in the admin: a read-only record Sales may look up (by number however typed, name,
email or organisation; filtered by status and course), with its PDF and its public check page;
"Email the certificate again" for the staff who may resend emails."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from outbox.models import OutboundEmail
from records.models import Certificate
from tests.invoicing.conftest import pdf_text

from .test_certificate_pdf import issue_certificate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

User = get_user_model()
LIST = reverse("admin:records_certificate_changelist")


def staff_client(client, username, *, groups=(), permissions=()):
    user = User.objects.create_user(username, email=f"{username}@example.com", is_staff=True)
    user.groups.add(*(Group.objects.get(name=name) for name in groups))
    user.user_permissions.add(*(Permission.objects.get(codename=codename) for codename in permissions))
    client.force_login(user)
    return client


def action_names(response):
    form = response.context["action_form"]
    return [name for name, _label in form.fields["action"].choices if name] if form else []


def listed(response):
    return sorted(c.number for c in response.context["cl"].result_list)


@pytest.fixture
def certificates():
    today = timezone.localdate()
    return {
        "valid": issue_certificate(
            name="Priya Shah",
            email="priya.shah@example.org",
            organisation="Orwell Care Homes Ltd",
            title="De-escalation Skills",
            completed_on=today - timedelta(days=10),
            certificate_validity_months=12,
        ),
        "expiring": issue_certificate(
            name="Sam Jones",
            email="sam.jones@example.org",
            organisation="Felixstowe Academy",
            title="Breakaway Techniques",
            completed_on=today - timedelta(days=340),
            certificate_validity_months=12,
        ),
        "expired": issue_certificate(
            name="Tom Reid",
            email="tom.reid@example.org",
            organisation="Ipswich Borough Council",
            title="Conflict Resolution",
            completed_on=today - timedelta(days=800),
            certificate_validity_months=24,
        ),
    }


@pytest.fixture
def sales(client):
    return staff_client(client, "sally", groups=["Sales"])


def test_sales_see_the_list_with_status_but_cannot_change_or_add(sales, certificates):
    page = sales.get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    for certificate in certificates.values():
        assert certificate.number in html and certificate.holder_name in html and certificate.organisation in html
    assert "Valid, expiring soon" in html and "Expired" in html
    assert "email_again" not in action_names(page)
    assert sales.get(reverse("admin:records_certificate_add")).status_code == 403
    valid = certificates["valid"]
    detail = sales.get(reverse("admin:records_certificate_change", args=[valid.pk]))
    assert detail.status_code == 200
    assert 'name="holder_name"' not in detail.content.decode()  # shown, not an input
    assert 'name="_save"' not in detail.content.decode()
    # Posting a change anyway changes nothing.
    response = sales.post(reverse("admin:records_certificate_change", args=[valid.pk]), {"holder_name": "Someone Else"})
    assert response.status_code == 403
    assert Certificate.objects.get(pk=valid.pk).holder_name == "Priya Shah"
    assert sales.post(reverse("admin:records_certificate_delete", args=[valid.pk]), {"post": "yes"}).status_code == 403
    assert Certificate.objects.filter(pk=valid.pk).exists()


def test_staff_without_any_permission_see_nothing(client, certificates):
    nobody = staff_client(client, "nina")
    assert nobody.get(LIST).status_code == 403


def test_the_detail_links_to_the_pdf_and_the_public_check(sales, certificates):
    valid = certificates["valid"]
    html = sales.get(reverse("admin:records_certificate_change", args=[valid.pk])).content.decode()
    pdf_url = reverse("admin:records_certificate_pdf", args=[valid.pk])
    assert f'href="{pdf_url}"' in html
    assert f'href="{reverse("records:verify")}?number={valid.number}"' in html
    response = sales.get(pdf_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{valid.filename}"'
    assert valid.number in pdf_text(response.content)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("priya", ["valid"]),
        ("tom.reid@example.org", ["expired"]),
        ("Felixstowe", ["expiring"]),
    ],
)
def test_search_by_name_email_or_organisation(sales, certificates, term, expected):
    assert listed(sales.get(LIST, {"q": term})) == sorted(certificates[key].number for key in expected)


def test_search_by_the_number_as_typed(sales, certificates):
    Certificate.objects.filter(pk=certificates["valid"].pk).update(number="7K30-9QXP-2H1D")
    for typed in ["7K30-9QXP-2H1D", "7k3o 9qxp 2hld", "7K309QXP2H1D"]:
        assert listed(sales.get(LIST, {"q": typed})) == ["7K30-9QXP-2H1D"], typed


@pytest.mark.parametrize(
    ("status", "expected"),
    [("valid", ["valid", "expiring"]), ("expiring", ["expiring"]), ("expired", ["expired"])],
)
def test_filter_by_status(sales, certificates, status, expected):
    assert listed(sales.get(LIST, {"status": status})) == sorted(certificates[key].number for key in expected)


def test_filter_by_course(sales, certificates):
    course = certificates["expired"].course
    assert listed(sales.get(LIST, {"course__id__exact": course.pk})) == [certificates["expired"].number]


def test_the_office_emails_a_certificate_again_with_its_pdf(client, certificates, django_capture_on_commit_callbacks):
    office = staff_client(client, "olly", permissions=["view_certificate", "resend_outboundemail"])
    valid = certificates["valid"]
    page = office.get(LIST)
    assert "email_again" in action_names(page)
    with django_capture_on_commit_callbacks(execute=True):
        response = office.post(LIST, {"action": "email_again", "_selected_action": [valid.pk]}, follow=True)
    assert "Emailed again, with the PDF: 1 certificate." in response.content.decode()
    row = OutboundEmail.objects.get(kind="certificate_issued", to=["priya.shah@example.org"])
    assert row.unique_key.startswith(f"certificate_issued:{valid.number}:resend:")
    assert valid.number in row.body_text and "Priya Shah" in row.body_text
    # Sent, with the PDF as kept.
    (message,) = mail.outbox
    assert message.to == ["priya.shah@example.org"]
    (attachment,) = message.attachments
    assert attachment[0] == valid.filename and attachment[2] == "application/pdf"
    assert valid.number in pdf_text(attachment[1])
    # The certificate's page lists it.
    detail = office.get(reverse("admin:records_certificate_change", args=[valid.pk])).content.decode()
    assert "to priya.shah@example.org" in detail

    # A second click straight after sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        response = office.post(LIST, {"action": "email_again", "_selected_action": [valid.pk]}, follow=True)
    assert "Not sent twice" in response.content.decode()
    assert len(mail.outbox) == 1


def test_sales_cannot_email_a_certificate_again(sales, certificates):
    valid = certificates["valid"]
    sales.post(LIST, {"action": "email_again", "_selected_action": [valid.pk]}, follow=True)
    assert not OutboundEmail.objects.filter(kind="certificate_issued").exists()
