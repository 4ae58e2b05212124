"""The booker's copies of their invoices and credit notes, reached from the booking's manage page."""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from booking import links
from core.views import private_page

from .models import Invoice
from .pdf import document_pdf


@private_page
@require_GET
def booker_pdf(request, token, number):
    """The PDF of one of the booking's invoices or credit notes, as issued. The token is the
    booking's manage token (booking/links.py), checked as the manage page checks it except that
    it still works after the course (payment is due 30 days after the invoice): a bad, tampered
    or revoked token, or a number not of this booking, is a 404."""
    booking = links.booking_from_token(token, after_the_course=True)
    if booking is None:
        raise Http404("This link is not valid, or it has expired.")
    document = Invoice.objects.select_related("booking", "credits").filter(booking=booking, number=number).first()
    if document is None:
        raise Http404("No such invoice on this booking.")
    response = HttpResponse(document_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    return response
