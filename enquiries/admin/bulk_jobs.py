"""Bulk changes (enquiries/bulk.py) as their user sees them: what was asked, how far it has got,
what each service refused. Read-only; each user sees only their own, superusers everyone's."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.admin import RecordAdmin
from core.templatetags.uk import uk_datetime

from .. import bulk
from ..models import BulkJob
from .lead_page import person

RUNNING_STATES = (BulkJob.State.QUEUED, BulkJob.State.RUNNING)


def job_url(job):
    """The job's page, where the lead list's actions send the user while a large run goes on."""
    return reverse("admin:enquiries_bulkjob_change", args=[job.pk])


@admin.register(BulkJob)
class BulkJobAdmin(RecordAdmin):
    list_display = ["description", "state", "progress", "started_by", "started"]
    list_filter = ["state"]
    list_select_related = ["requested_by"]
    # What was asked is the page's heading, state and progress the line under it (bulk/job.html).
    readonly_fields = ["error", "refused_lines", "started_by", "started", "finished"]
    change_form_template = "admin/enquiries/bulk/job.html"

    def get_queryset(self, request):
        jobs = super().get_queryset(request)
        return jobs if request.user.is_superuser else jobs.filter(requested_by=request.user)

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj and bulk.job_error(obj) else self.readonly_fields[1:]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, unquote(object_id))
        if job is not None:
            extra_context = {
                **(extra_context or {}),
                "running": job.state in RUNNING_STATES,
                "progress_line": self.progress(job),
                "leads_url": f"{reverse('admin:enquiries_lead_changelist')}?{job.query}",
            }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="Progress")
    def progress(self, job):
        handled = bulk.handled_count(job)
        parts = [f"{job.done:,} changed"]
        if job.skipped:
            parts.append(f"{job.skipped:,} left as they were ({bulk.skipped_means(job)})")
        if refused := bulk.refused_count(job):
            parts.append(f"{refused:,} refused")
        line = f"{handled:,} of {job.total:,} leads handled: {', '.join(parts)}."
        if job.state == BulkJob.State.DONE and handled < job.total:
            line += f" {job.total - handled:,} no longer matched the list when reached and were left alone."
        return line

    @admin.display(description="Refused")
    def refused_lines(self, job):
        more = bulk.refused_count(job) - len(job.refused)
        lines = format_html_join("", "<li>{}: {}</li>", ((line["reference"], line["message"]) for line in job.refused))
        if not lines:
            return "None"
        return format_html("<ul>{}{}</ul>", lines, format_html("<li>and {} more</li>", f"{more:,}") if more else "")

    @admin.display(description="Stopped because")
    def error(self, job):
        return bulk.job_error(job)

    @admin.display(description="Started by", ordering="requested_by__username")
    def started_by(self, job):
        return person(job.requested_by) or "-"

    @admin.display(description="Started", ordering="created_at")
    def started(self, job):
        return uk_datetime(job.created_at)

    @admin.display(description="Finished")
    def finished(self, job):
        return uk_datetime(job.finished_at) or "-"
