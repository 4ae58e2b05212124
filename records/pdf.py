"""The certificate as an accessible PDF, drawn once and kept (like an invoice).

What the PDF says was copied onto the certificate when it was issued, and the bytes are kept on
the row at first use, so the email's attachment and every later download are the same document.
"""

from core.pdf import render_pdf

from . import links
from .models import Certificate


def certificate_day(value):
    """3 March 2026: a certificate's dates, without the weekday pages and emails add."""
    return f"{value.day} {value:%B %Y}" if value else ""


def cpd_hours_text(hours):
    """6 CPD hours, 6.5 CPD hours, 1 CPD hour; "" when the course gives none."""
    if not hours:
        return ""
    number = f"{hours.normalize():f}"
    return f"{number} CPD hour{'' if hours == 1 else 's'}"


def context(certificate):
    return {
        "certificate": certificate,
        "completed_on": certificate_day(certificate.completed_on),
        "expires_on": certificate_day(certificate.expires_on),
        "cpd_hours": cpd_hours_text(certificate.cpd_hours),
        "verify_url": links.verify_url(certificate),
    }


def render(certificate):
    return render_pdf("pdf/certificate.html", context(certificate))


def certificate_pdf(certificate):
    """The PDF as kept; rendered and kept on first use. Two first uses at once both render, and
    the first to store its copy wins: both copies say the same."""
    if certificate.pdf is not None:
        return bytes(certificate.pdf)
    content = render(certificate)
    Certificate.objects.filter(pk=certificate.pk, pdf__isnull=True).update(pdf=content)
    kept = Certificate.objects.values_list("pdf", flat=True).get(pk=certificate.pk)
    certificate.pdf = kept
    return bytes(kept)


def pdf_by_reference(key):
    """For the outbox: the "certificate:<pk>" attachment of the certificate email."""
    return certificate_pdf(Certificate.objects.get(pk=int(key)))
