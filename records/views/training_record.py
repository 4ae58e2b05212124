"""The booker's organisation training record, from the signed link in their emails: everyone
their organisation has had trained, with certificates, expiry and status, and a CSV download."""

import csv

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from core.spreadsheets import csv_cell
from core.views import private_page

from .. import links, selectors

CSV_COLUMNS = ["Name", "Job role", "Course", "Completed on", "Certificate number", "Expires on", "Status"]
# The page's status filter: the choices a person can make, by their slug.
FILTERS = {
    "expired": ("Expired", {selectors.EXPIRED}),
    "expiring": ("Expiring soon", {selectors.EXPIRING}),
    "in-date": ("In date", {selectors.IN_DATE, selectors.NO_EXPIRY}),
}


def _booking_or_404(token):
    booking = links.booking_from_training_record_token(token)
    if booking is None:
        raise Http404("This link is not valid.")
    return booking


@private_page
@require_GET
def record(request, token):
    booking = _booking_or_404(token)
    rows = selectors.training_record(booking)
    chosen = request.GET.get("status", "")
    chosen = chosen if chosen in FILTERS else ""
    shown = [row for row in rows if row.status in FILTERS[chosen][1]] if chosen else rows
    return render(
        request,
        "records/training_record.html",
        {
            "booking": booking,
            "token": token,
            "rows": shown,
            "total": len(rows),
            "counts": selectors.record_counts(rows),
            "filters": [(slug, label) for slug, (label, _) in FILTERS.items()],
            "chosen": chosen,
            "chosen_label": FILTERS[chosen][0] if chosen else "",
            "expiring_label": selectors.STATUS_TEXT[selectors.EXPIRING],
        },
    )


def _date(day):
    return f"{day:%d/%m/%Y}" if day else ""


@private_page
@require_GET
def csv_download(request, token):
    booking = _booking_or_404(token)
    today = timezone.localdate()
    rows = selectors.training_record(booking, today=today)
    name = slugify(booking.organisation)[:60] or "organisation"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="training-record-{name}-{today:%Y-%m-%d}.csv"'
    response.write("\ufeff")  # so Excel reads the names as UTF-8
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                csv_cell(value)
                for value in (
                    row.name,
                    row.job_role,
                    row.course,
                    _date(row.completed_on),
                    row.certificate_number,
                    _date(row.expires_on),
                    row.status_text,
                )
            ]
        )
    return response
