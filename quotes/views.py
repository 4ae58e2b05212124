"""The client's quote pages, reached by the signed link in the quote's email: the quote with its
PDF and the acceptance form, and the confirmation once accepted. An expired or superseded
version says so and offers a callback instead of the form."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.views import private_page

from . import display, documents, links, services
from .forms import AcceptForm
from .models import Quote, QuoteStatus
from .services.acceptance import acceptance_refusal


def _quote_for(token):
    queryset = Quote.objects.select_related("course", "trainer", "sent_by", "chosen_date", "host_booking__session")
    quote = links.quote_from_token(token, queryset)
    if quote is None:
        raise Http404("This link is not valid.")
    return quote


def _page(request, quote, token, form=None, status=200):
    lines = list(quote.lines.all())
    refusal = acceptance_refusal(quote)
    if refusal is None and form is None:
        form = AcceptForm(quote=quote)
    return render(
        request,
        "quotes/quote_detail.html",
        {
            "quote": quote,
            "token": token,
            "lines": lines,
            "totals": quote.totals(lines),
            "site": display.site_text(quote),
            "group": display.group_text(quote),
            "dates": [display.date_choice_label(quote, date) for date in quote.proposed_dates.all()],
            "to_be_agreed": display.TO_BE_AGREED,
            "state": quote.state(),
            "refusal": refusal,
            "form": form if refusal is None else None,
            "error_summary": form.error_summary() if form is not None and form.is_bound and refusal is None else [],
            "chosen": display.chosen_date_text(quote) if quote.status == QuoteStatus.ACCEPTED else "",
        },
        status=status,
    )


@private_page
@require_http_methods(["GET", "POST"])
def quote_view(request, token):
    quote = _quote_for(token)
    if request.method == "GET" or acceptance_refusal(quote):
        # A form sent to a quote that can no longer be accepted shows why, not the form.
        return _page(request, quote, token, status=200 if request.method == "GET" else 409)
    form = AcceptForm(request.POST, quote=quote)
    if form.is_valid():
        try:
            services.quote_accept(quote=quote, **form.acceptance())
        except ValidationError as exc:
            quote = _quote_for(token)
            if acceptance_refusal(quote):  # accepted, or superseded, meanwhile
                return _page(request, quote, token, status=409)
            form.add_service_errors(exc)
        else:
            return redirect("quotes:accepted", token=token)
    return _page(request, quote, token, form=form, status=400)


@private_page
@require_GET
def quote_accepted(request, token):
    quote = _quote_for(token)
    if quote.status != QuoteStatus.ACCEPTED:
        return redirect("quotes:view", token=token)
    return render(
        request,
        "quotes/quote_accepted.html",
        {
            "quote": quote,
            "token": token,
            "chosen": display.chosen_date_text(quote),
            "site": display.site_text(quote),
            "totals": quote.totals(),
        },
    )


@private_page
@require_GET
def quote_pdf(request, token):
    quote = _quote_for(token)
    response = HttpResponse(documents.quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{documents.quote_filename(quote)}"'
    return response
