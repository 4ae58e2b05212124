"""The certificate PDF, read back: who, what, when, until when, the number and where to check it;
tagged for screen readers; drawn once and kept; emailed on completion with links that work."""

import email
import email.policy
import io
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from pypdf import PdfReader

from booking.services import DelegateData
from records import links
from records.models import AttendanceStatus, Certificate
from records.pdf import certificate_pdf, render
from records.services import attendance_mark, certificate_issue
from tests.factories import CourseFactory, make_booking, make_session
from tests.invoicing.conftest import pdf_text
from tests.invoicing.test_pdf import structure_tags

pytestmark = pytest.mark.django_db

OUTPUT = Path(__file__).resolve().parents[2] / "test-results" / "pdf"


def issue_certificate(
    *,
    name="Priya Shah",
    email="priya.shah@example.org",
    organisation="East Suffolk and North Essex NHS Foundation Trust",
    completed_on=date(2026, 3, 3),
    course=None,
    **course_fields,
):
    """A certificate through the real services: a session, a booking with one delegate, issued."""
    course = course or CourseFactory(**course_fields)
    session = make_session(course=course)
    booking = make_booking(
        session, organisation=organisation, delegates=[DelegateData(name=name, email=email, job_role="Nurse")]
    )
    return certificate_issue(delegate=booking.delegates.get(), session=session, completed_on=completed_on)


@pytest.fixture
def certificate():
    return issue_certificate(
        title="De-escalation Skills",
        cpd_hours=Decimal("6.0"),
        rrn_certified=True,
        certificate_validity_months=12,
        quality_award="",
    )


def test_the_certificate_says_who_completed_what_when_and_until_when(certificate, settings):
    text = pdf_text(certificate_pdf(certificate))
    assert settings.PROVIDER["name"] in text
    assert "Certificate of completion" in text
    assert "Priya Shah" in text and "De-escalation Skills" in text
    assert "Completed on 3 March 2026" in text
    assert "Valid until 2 March 2027" in text  # 12 months, up to the day before
    assert "6 CPD hours" in text
    assert "RRN certified: meets the Restraint Reduction Network Training Standards" in text
    assert certificate.number in text
    assert f"Check this certificate at {links.verify_url(certificate)}" in text
    # The holder's email and organisation are not printed: the certificate is theirs to show.
    assert "priya.shah@example.org" not in text and "East Suffolk" not in text
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "certificate.pdf").write_bytes(certificate_pdf(certificate))


def test_one_that_does_not_expire_without_cpd_or_accreditation():
    certificate = issue_certificate(cpd_hours=None, rrn_certified=False, certificate_validity_months=None)
    text = pdf_text(certificate_pdf(certificate))
    assert "Does not expire" in text and "Valid until" not in text
    assert "CPD" not in text and "Accreditation" not in text


def test_a_long_name_course_and_accreditation_stay_on_one_page():
    certificate = issue_certificate(
        name="Alexandra Catherine Montgomery-Fitzwilliam-Okonkwo",
        title="Positive Behaviour Support and Restrictive Practices Reduction: Advanced Practitioner Level",
        cpd_hours=Decimal("12.5"),
        rrn_certified=True,
        quality_award="CPD Certification Service accredited provider",
        certificate_validity_months=36,
    )
    reader = PdfReader(io.BytesIO(certificate_pdf(certificate)))
    assert len(reader.pages) == 1
    text = pdf_text(certificate_pdf(certificate)).replace("- ", "-")  # wrapped at a hyphen
    assert "Alexandra Catherine Montgomery-Fitzwilliam-Okonkwo" in text
    assert "12.5 CPD hours" in text and "CPD Certification Service accredited provider" in text
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "certificate-long.pdf").write_bytes(certificate_pdf(certificate))


def test_the_pdf_is_tagged_titled_landscape_and_in_british_english(certificate):
    reader = PdfReader(io.BytesIO(certificate_pdf(certificate)))
    root = reader.trailer["/Root"]
    assert reader.metadata.title == "Certificate of completion: De-escalation Skills, Priya Shah"
    assert root["/Lang"] == "en-GB"
    assert bool(root["/MarkInfo"]["/Marked"])
    tags = structure_tags(root["/StructTreeRoot"])
    assert tags.count("/H1") == 1
    assert "/P" in tags and "/Link" in tags  # the check address is a real link
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # A4 landscape


def test_the_pdf_is_drawn_once_and_kept(certificate, settings):
    first = certificate_pdf(certificate)
    assert bytes(Certificate.objects.get(pk=certificate.pk).pdf) == first
    # A renamed provider (or a new template) changes no issued certificate.
    settings.PROVIDER = {**settings.PROVIDER, "name": "Renamed Training Ltd"}
    assert certificate_pdf(Certificate.objects.get(pk=certificate.pk)) == first
    assert "Renamed" in pdf_text(render(certificate))  # what a redraw would have said


@pytest.mark.usefixtures("eager_celery")
def test_on_completion_the_certificate_is_emailed_with_its_pdf_and_its_links_work(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://training.example.com"
    course = CourseFactory(title="Breakaway Techniques", certificate_validity_months=36, rrn_certified=True)
    session = make_session(course=course, starts_in_days=2)
    booking = make_booking(
        session, delegates=[DelegateData(name="Jo Patel", email="jo.patel@example.org", job_role="Support worker")]
    )
    delegate, day = booking.delegates.get(), session.days.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        attendance_mark(
            session=session,
            day=day,
            marks={delegate.pk: AttendanceStatus.ATTENDED},
            actor="Helen Ward",
            now=day.ends_at + timedelta(hours=1),
        )
    certificate = Certificate.objects.get(delegate=delegate)
    (message,) = [m for m in mail.outbox if m.to == ["jo.patel@example.org"] and certificate.number in m.subject]
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    (attachment,) = [part for part in parsed.walk() if part.get_content_disposition() == "attachment"]
    assert attachment.get_filename() == f"certificate-{certificate.number}.pdf"
    assert attachment.get_content_type() == "application/pdf"
    content = attachment.get_content()
    assert content == bytes(Certificate.objects.get(pk=certificate.pk).pdf)  # the copy kept
    text = pdf_text(content)
    assert "Jo Patel" in text and "Breakaway Techniques" in text and certificate.number in text
    # The email's two links: the PDF as kept, and the public check saying Valid.
    body = message.body
    download = re.search(r"https://training\.example\.com(/certificates/\S+/certificate\.pdf)", body).group(1)
    response = client.get(download)
    assert response.status_code == 200 and response.content == content
    check = re.search(r"https://training\.example\.com(/certificates/verify/\?number=\S+)", body).group(1)
    assert "<title>Valid:" in client.get(check).content.decode()
