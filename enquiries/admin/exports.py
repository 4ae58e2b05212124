"""Downloads from the sales admin: a CSV of leads (streamed), and everything held about one person
(the subject-access export, JSON)."""

import csv
import json
import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from core.spreadsheets import csv_cell
from core.templatetags.uk import uk_datetime
from courses.models import Course

from .. import services
from ..services import person_name

CSV_HEADER = [
    "Reference",
    "Type",
    "Status",
    "Lost reason",
    "Owner",
    "Next action",
    "Due",
    "Overdue",
    "Name",
    "Job title",
    "Organisation",
    "Organisation type",
    "Sector",
    "Email",
    "Phone",
    "Courses",
    "Staff to train",
    "Estimated value (GBP)",
    "Source",
    "Received",
    "Needs duplicate review",
]


class _Line:
    """csv.writer's file: hands each written line back instead of keeping it."""

    def write(self, line):
        return line


CSV_BATCH = 500  # rows a chunk: few writes to the socket, little held in memory


def _national(phone):
    # Not `if phone`: a PhoneNumber's truth value validates it, the slowest step of a row.
    return phone.as_national if getattr(phone, "national_number", None) else ""


def _csv_row(lead):
    row = [
        lead.reference,
        lead.get_lead_type_display(),
        lead.get_status_display(),
        lead.lost_reason,
        person_name(lead.owner),
        lead.next_action,
        uk_datetime(lead.due_at),
        "Yes" if lead.is_overdue else "",
        lead.name,
        lead.job_title,
        lead.organisation,
        lead.get_organisation_type_display(),
        lead.sector.name if lead.sector else "",
        lead.email,
        _national(lead.phone),
        "; ".join(course.title for course in lead.courses.all()),
        lead.staff_count or "",
        lead.estimated_value if lead.estimated_value is not None else "",
        lead.source,
        uk_datetime(lead.created_at),
        "Yes" if lead.duplicate_review else "",
    ]
    # Enquirers typed much of this: nothing may run as a spreadsheet formula.
    return [csv_cell(value) for value in row]


def _csv_lines(leads):
    writer = csv.writer(_Line())
    # The BOM (so Excel reads names as UTF-8) and header go before the first query runs.
    yield "\ufeff" + writer.writerow(CSV_HEADER)
    batch = []
    # iterator() streams from the database; prefetch_related runs once per chunk of 2,000.
    for lead in leads.iterator(chunk_size=2000):
        batch.append(writer.writerow(_csv_row(lead)))
        if len(batch) == CSV_BATCH:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def leads_csv(leads):
    """The leads as a CSV download, streamed: constant memory and the first bytes at once, however
    many leads there are."""
    leads = (
        leads.select_related("owner", "sector")
        .prefetch_related(Prefetch("courses", queryset=Course.objects.only("pk", "title")))
        .defer("message")  # the longest text, not in the file
    )
    response = StreamingHttpResponse(_csv_lines(leads), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="leads-{timezone.localdate():%Y-%m-%d}.csv"'
    return response


def json_download(data, name):
    """A JSON attachment; `name` becomes a safe file name."""
    slug = re.sub(r"[^a-z0-9.@_+-]+", "-", name.lower()).strip("-") or "export"
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="personal-data-{slug}.json"'
    return response


def personal_data_download(modeladmin, request, emails):
    """The subject access export for the one email address among `emails`, or None (with a
    message) when there are none or several."""
    distinct = sorted({email.strip().lower() for email in emails if email and email.strip()})
    if not distinct:
        modeladmin.message_user(request, "The selection has no email address to export.", messages.ERROR)
        return None
    if len(distinct) > 1:
        modeladmin.message_user(
            request,
            f"Select records for one email address at a time (the selection has {len(distinct)}: "
            f"{', '.join(distinct)}).",
            messages.ERROR,
        )
        return None
    email = distinct[0]
    try:
        data = services.personal_data_export(email=email, actor=request.user)
    except ValidationError as exc:  # an address typed by hand into a lead, say
        modeladmin.message_user(request, " ".join(exc.messages), messages.ERROR)
        return None
    return json_download(data, email)
