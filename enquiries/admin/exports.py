"""Downloads from the sales admin: a CSV of leads, and everything held about one email address."""

import csv
import json
import re

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils import timezone

from booking.admin import csv_cell
from core.templatetags.uk import uk_datetime

from .. import services

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


def _person(user):
    return (user.get_full_name() or user.get_username()) if user else ""


def leads_csv(leads):
    leads = leads.select_related("owner", "sector").prefetch_related("courses")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="leads-{timezone.localdate():%Y-%m-%d}.csv"'
    response.write("\ufeff")  # so Excel reads names as UTF-8
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for lead in leads:
        row = [
            lead.reference,
            lead.get_lead_type_display(),
            lead.get_status_display(),
            lead.lost_reason,
            _person(lead.owner),
            lead.next_action,
            uk_datetime(lead.due_at),
            "Yes" if lead.is_overdue else "",
            lead.name,
            lead.job_title,
            lead.organisation,
            lead.get_organisation_type_display(),
            lead.sector.name if lead.sector else "",
            lead.email,
            lead.phone.as_national if lead.phone else "",
            "; ".join(course.title for course in lead.courses.all()),
            lead.staff_count or "",
            lead.estimated_value if lead.estimated_value is not None else "",
            lead.source,
            uk_datetime(lead.created_at),
            "Yes" if lead.duplicate_review else "",
        ]
        # Enquirers typed much of this: nothing may run as a spreadsheet formula.
        writer.writerow([csv_cell(value) for value in row])
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
    data = services.personal_data_export(email=email)
    slug = re.sub(r"[^a-z0-9.@_-]+", "-", email)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="personal-data-{slug}.json"'
    return response
