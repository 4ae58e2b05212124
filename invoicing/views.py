"""The booker's copies of their invoices and credit notes, reached from the booking's manage page."""

from functools import wraps

from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from booking import links

from .models import Invoice
from .pdf import document_pdf


def _private(view):
    """Never stored by a browser or proxy, never indexed: the URL carries the manage token."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = never_cache(view)(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


@_private
@require_GET
def booker_pdf(request, token, number):
    """The PDF of one of the booking's invoices or credit notes, as issued. The token is the
    booking's manage token (booking/links.py), checked the same way as the manage page: a bad,
    tampered, revoked or expired token, or a number not of this booking, is a 404."""
    booking = links.booking_from_token(token)
    if booking is None:
        raise Http404("This link is not valid, or it has expired.")
    document = Invoice.objects.select_related("booking", "credits").filter(booking=booking, number=number).first()
    if document is None:
        raise Http404("No such invoice on this booking.")
    response = HttpResponse(document_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    return response
