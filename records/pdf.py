"""The certificate as an accessible PDF, drawn once and kept (like an invoice)."""

from core.pdf import render_pdf

from .models import Certificate


def certificate_pdf(certificate):
    if certificate.pdf:
        return bytes(certificate.pdf)
    content = render_pdf("pdf/certificate.html", {"certificate": certificate})
    Certificate.objects.filter(pk=certificate.pk, pdf__isnull=True).update(pdf=content)
    return content


def pdf_by_reference(key):
    return certificate_pdf(Certificate.objects.get(pk=int(key)))
