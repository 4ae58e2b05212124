"""In-house training from enquiry to invoice, in a real browser and through real email.

A Sales user (not a superuser) turns an enquiry into a quote from the lead's page and sends it;
the client opens the link in the email as received, accepts with a date and a PO; the in-house
session appears with its trainer; three of the client's staff register from the coordinator's
link and each receives joining instructions with a calendar invite; the invoice PDF quoting the
PO reaches the booker.

With PostgreSQL and Redis the emails go through a real Celery worker to an SMTP server on
loopback; without them, tasks run in-process and still send over SMTP on loopback.
"""

import importlib
import io
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from booking.models import Booking, CourseSession
from enquiries.models import LeadStatus
from quotes.models import Quote, QuoteStatus
from tests.quotes.conftest import working_start
from trainers.models import Trainer

from .conftest import DESKTOP, PHONE, axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
LAPTOP = {"width": 1280, "height": 800}
CLIENT = "morgan.reid@example.org"
STAFF = [
    ("Alex Green", "alex.green@example.org", "Staff nurse"),
    ("Sam Okoro", "sam.okoro@example.org", "Healthcare assistant"),
    ("Jo Wright", "jo.wright@example.org", "Ward clerk"),
]


def sales_group():
    """The Sales group as the migrations make it (a browser test's flush removes it)."""
    group, _ = Group.objects.get_or_create(name="Sales")
    grants = [("enquiries.migrations.0002_sales_group", None)]
    for module, _unused in grants:
        for app_label, codenames in importlib.import_module(module).SALES_PERMISSIONS.items():
            group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
    for app_label, module in [
        ("quotes", "quotes.migrations.0002_sales_quote_permissions"),
        ("trainers", "trainers.migrations.0002_sales_can_view_trainers"),
    ]:
        codenames = importlib.import_module(module).PERMISSIONS
        group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
    return group


@pytest.fixture
def mail(request, live_server, smtp_server, settings):
    """Where the emails go: a real worker when PostgreSQL and Redis are here, else in-process.
    Links in them lead to the test's server."""
    settings.SITE_URL = live_server.url
    if connection.vendor == "postgresql" and settings.REDIS_URL:
        request.getfixturevalue("start_worker")(EMAIL_URL=smtp_server.url, SITE_URL=live_server.url)
    else:
        request.getfixturevalue("eager_celery")
    return smtp_server


@pytest.fixture
def amy(transactional_db):
    user = get_user_model().objects.create_user(
        "amy", email="amy@example.com", password=PASSWORD, first_name="Amy", last_name="Clarke", is_staff=True
    )
    user.groups.add(sales_group())
    return user


@pytest.fixture
def lead(amy, demo_catalogue):
    from courses.models import Course
    from enquiries.services import lead_add, lead_assign

    course = Course.objects.get(slug="de-escalation-skills")
    lead = lead_add(
        lead_type="enquiry",
        origin="phone",
        data={
            "name": "Morgan Reid",
            "job_title": "Head of Learning",
            "organisation": "Orwell Valley NHS Foundation Trust",
            "organisation_type": "nhs",
            "email": CLIENT,
            "phone": "01473 555 321",
            "staff_count": 12,
            "preferred_town": "Ipswich",
            "message": "De-escalation for our emergency department team, at our hospital.",
        },
        courses=[course],
        actor=amy,
    )
    return lead_assign(lead=lead, owner=amy, actor=amy)


@pytest.fixture
def trainer(lead):
    trainer = Trainer.objects.create(name="Helen Ward", email="helen.ward@example.com")
    trainer.courses.set(lead.courses.all())
    return trainer


def arrived(mail, address, subject_start, timeout=30):
    """The one email to `address` whose subject starts so, once it has come in."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in mail.to(address) if m["Subject"].startswith(subject_start)]
        if found:
            [message] = found
            return message
        time.sleep(0.1)
    raise AssertionError(f"no {subject_start!r} email to {address}: {[m['Subject'] for m in mail.to(address)]}")


def fits(page, viewport):
    return page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def text_of(message):
    return message.get_body(("plain",)).get_content()


def link_in(message, pattern):
    return re.search(pattern, text_of(message)).group(0)


def pdf_text(message):
    [pdf] = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.get_content())).pages)


def test_an_enquiry_becomes_a_quote_an_accepted_in_house_course_registrations_and_an_invoice(
    page, live_server, mail, amy, lead, trainer
):
    start = working_start(30)

    # Sales: from the lead's page to a quote sent to the client.
    page.set_viewport_size(LAPTOP)
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("amy")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.goto(f"{live_server.url}/admin/enquiries/lead/{lead.pk}/change/")
    page.get_by_role("link", name="Create quote").click()
    expect(page.get_by_label("Organisation:")).to_have_value("Orwell Valley NHS Foundation Trust")
    assert fits(page, LAPTOP), "the quote form scrolls sideways on a laptop"
    page.get_by_label("Trainer:").select_option(label="Helen Ward")
    page.get_by_label("Delegates (up to):").fill("12")
    page.get_by_label("Training site:").fill("Orwell Valley Hospital, Education Centre")
    page.get_by_label("Site address:").fill("Heath Road")
    page.get_by_label("Site town:").fill("Ipswich")
    page.get_by_label("Site postcode:").fill("IP4 5PD")
    page.locator("[name=lines-0-kind]").select_option("course_days")
    page.locator("[name=lines-0-description]").fill("De-escalation Skills at your site: trainer's day rate")
    page.locator("[name=lines-0-quantity]").fill("1")
    page.locator("[name=lines-0-unit_price]").fill("950.00")
    page.locator("[name=proposed_dates-0-starts_at]").fill(timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save and send to client").click()
    expect(page.get_by_text(re.compile("Q-00001"))).not_to_have_count(0)
    screenshot(page, "in-house-quote-sent-admin")

    quote = Quote.objects.get()
    assert quote.status == QuoteStatus.SENT
    lead.refresh_from_db()
    assert lead.status == LeadStatus.PROPOSAL_SENT

    # The client: the email as received, its PDF, its link; accepting on a phone.
    quote_email = arrived(mail, CLIENT, "Your quote Q-00001")
    quote_pdf = pdf_text(quote_email)
    assert "Q-00001" in quote_pdf and "£950.00" in quote_pdf and "£1,140.00" in quote_pdf  # 950 + VAT 190
    page.set_viewport_size(PHONE)
    page.goto(link_in(quote_email, rf"{re.escape(live_server.url)}/quotes/\S+/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Quote Q-00001")
    page.get_by_role("radio").first.check()
    page.get_by_label("Your name").fill("Morgan Reid")
    page.get_by_label("Your job title").fill("Head of Learning")
    page.get_by_label("Your email").fill(CLIENT)
    page.get_by_label("Your phone number").fill("01473 555 321")
    page.get_by_role("textbox", name="Purchase order number").fill("PO-ORW-4471")
    page.get_by_label("Invoice address").fill("Accounts Payable\nOrwell Valley NHS Foundation Trust\nIpswich IP4 5PD")
    page.get_by_role("checkbox", name=re.compile("I can accept this quote")).check()
    assert axe_violations(page) == []
    page.get_by_label("Invoice address").press("Tab")
    page.get_by_role("button", name="Accept quote").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you: quote Q-00001 is accepted")
    screenshot(page, "in-house-quote-accepted-phone")

    # The in-house session is there with its trainer; the lead is won.
    session = CourseSession.objects.get(is_in_house=True)
    assert session.trainer == trainer and session.capacity == 12 and session.starts_at == start
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WON
    # The lead's timeline tells the story, and still fits a phone.
    page.goto(f"{live_server.url}/admin/enquiries/lead/{lead.pk}/change/")
    expect(page.locator(".lead-timeline")).to_contain_text("Q-00001")
    assert fits(page, PHONE), "the lead page scrolls sideways on a phone"
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/admin/booking/coursesession/?is_in_house__exact=1")
    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Helen Ward")

    # The coordinator's email carries the registration link; three staff register from it.
    confirmation = arrived(mail, CLIENT, "In-house course booked")
    register_link = link_in(confirmation, rf"{re.escape(live_server.url)}/register/\S+/")
    page.set_viewport_size(PHONE)
    for name, email, role in STAFF:
        page.goto(register_link)
        page.get_by_label("Your full name").fill(name)
        page.get_by_label("Your email address").fill(email)
        page.get_by_label("Your job role (optional)").fill(role)
        page.get_by_label("Your job role (optional)").press("Enter")
        expect(page.get_by_role("heading", level=1)).to_contain_text("registered")
    screenshot(page, "in-house-registered-phone")
    booking = Booking.objects.get(session=session)
    assert sorted(booking.delegates.values_list("email", flat=True)) == sorted(email for _n, email, _r in STAFF)

    # Each person's joining instructions arrive with a calendar invite Outlook reads as a meeting.
    for _name, email, _role in STAFF:
        joining = arrived(mail, email, "Joining instructions: De-escalation Skills")
        parts = [part for part in joining.walk() if part.get_content_type() == "text/calendar"]
        assert len(parts) == 1 and parts[0].get_param("method") == "REQUEST"
        assert "Orwell Valley Hospital" in text_of(joining)

    # The invoice, quoting the PO, reaches the booker as a PDF.
    invoice_email = arrived(mail, CLIENT, "Invoice INV-000001 for purchase order PO-ORW-4471")
    invoice = pdf_text(invoice_email)
    assert "INV-000001" in invoice and "PO-ORW-4471" in invoice
    assert "£950.00" in invoice and "£190.00" in invoice and "£1,140.00" in invoice
