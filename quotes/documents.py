"""The quote as a PDF (templates/pdf/quote.html on the shared layout), for the email's attachment,
the client's download and the staff's preview. A sent quote never changes, so its PDF is the same
whenever it is drawn."""

from core.pdf import render_pdf

from . import display
from .models import Quote


def quote_filename(quote):
    if not quote.number:
        return "Draft quote.pdf"
    return f"Quote {quote.number} v{quote.version}.pdf"


def quote_context(quote):
    lines = list(quote.lines.select_related("course"))
    return {
        "quote": quote,
        "lines": lines,
        "totals": quote.totals(lines),
        "site": display.site_text(quote),
        "group": display.group_text(quote),
        "dates": [display.date_choice_label(quote, date) for date in quote.proposed_dates.all()],
        "to_be_agreed": display.TO_BE_AGREED,
    }


def quote_pdf(quote):
    return render_pdf("pdf/quote.html", quote_context(quote))


def quote_pdf_for_key(key):
    """For the outbox: "quote:<pk>" attachments are drawn when the email is sent."""
    quote = Quote.objects.select_related("course", "lead", "sent_by", "trainer").get(pk=int(key))
    return quote_pdf(quote)
