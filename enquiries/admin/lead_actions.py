"""The lead list's bulk actions, for any number of leads ("Select all 5,000" included).

Each hands the list's query string (or the ticked rows) to enquiries/bulk.py, which calls one
service per lead: small runs finish in the request and report with message_user; larger ones
run in a Celery task and the user is taken to the job's page (bulk_jobs.py). The actions that
need input ask on an intermediate page, which posts back the filter, never one field per lead."""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import PAGE_VAR
from django.http import HttpResponseRedirect
from django.urls import reverse

from core import admin as core_admin
from core.templatetags.uk import uk_datetime

from .. import bulk
from ..models import CLOSED_STATUSES, BulkJob, LeadStatus
from . import bulk_forms, exports
from . import forms as admin_forms
from .bulk_jobs import job_url
from .lead_page import person

REFUSALS_IN_MESSAGE = 20


def action_form_page(modeladmin, request, objects, **kwargs):
    """The shared intermediate page (core.admin), in the sales admin's style."""
    return core_admin.action_form_page(
        modeladmin, request, objects, template="admin/enquiries/action_form.html", **kwargs
    )


def list_query(request):
    """The lead list's query string (filters, search, ordering) without its page number."""
    query = request.GET.copy()
    query.pop(PAGE_VAR, None)
    return query


def selection_query(request):
    """What a bulk job works on: the list's filter after "Select all", else the ticked rows."""
    query = list_query(request)
    if not core_admin.selected_across(request):
        ticked = sorted({int(pk) for pk in request.POST.getlist(ACTION_CHECKBOX_NAME) if pk.isdigit()})
        query["id__in"] = ",".join(map(str, ticked))
    return query.urlencode()


class LeadActionsMixin:
    """For LeadAdmin: the bulk actions named in its `actions`."""

    def _run_bulk(self, request, queryset, *, action, params, description, done_message):
        total = queryset.count()
        if core_admin.selected_across(request):
            scope = core_admin.filter_summary(self, request) or "the whole list"
        else:
            scope = "ticked on the list"
        job = bulk.bulk_start(
            action=action,
            params=params,
            queryset_query=selection_query(request),
            request_user=request.user,
            total=total,
            description=f"{description}: {total:,} lead(s), {scope}",
        )
        if job.state in (BulkJob.State.QUEUED, BulkJob.State.RUNNING):
            return HttpResponseRedirect(job_url(job))  # the job's page follows the task
        self._report(request, job, done_message)
        return None

    def _report(self, request, job, done_message):
        if error := bulk.job_error(job):
            self.message_user(request, error, messages.ERROR)
        if job.done:
            self.message_user(request, done_message.format(count=f"{job.done:,}"), messages.SUCCESS)
        if job.skipped:
            self.message_user(
                request,
                f"{job.skipped:,} lead(s) left as they were: {bulk.skipped_means(job)}.",
                messages.WARNING,
            )
        if refused := bulk.refused_count(job):
            lines = [f"{line['reference']}: {line['message']}" for line in job.refused[:REFUSALS_IN_MESSAGE]]
            more = f"; and {refused - len(lines):,} more" if refused > len(lines) else ""
            self.message_user(request, "Not changed: " + "; ".join(lines) + more, messages.ERROR)

    @admin.action(description="Assign selected leads to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        return self._run_bulk(
            request,
            queryset,
            action="assign",
            params={"owner": request.user.pk},
            description=f"Assign to {person(request.user)}",
            done_message="{count} lead(s) assigned to you.",
        )

    @admin.action(description="Assign selected leads to ...", permissions=["change"])
    def assign_to(self, request, queryset):
        data = action_form_page(
            self,
            request,
            queryset,
            form_class=admin_forms.AssignForm,
            title="Assign leads",
            intro="Choose who will own these leads. Each lead's timeline records the change.",
            button="Assign",
            action="assign_to",
        )
        if not isinstance(data, dict):
            return data
        owner = data["owner"]
        return self._run_bulk(
            request,
            queryset,
            action="assign",
            params={"owner": owner.pk},
            description=f"Assign to {person(owner)}",
            done_message=f"{{count}} lead(s) assigned to {person(owner)}.",
        )

    @admin.action(description="Mark selected leads contacted ...", permissions=["change"])
    def mark_contacted(self, request, queryset):
        data = action_form_page(
            self,
            request,
            queryset,
            form_class=bulk_forms.NextStepForm,
            title="Mark leads contacted",
            intro="A call is logged on each open lead (new ones become Contacted), its current action is "
            "closed and this next step is set. Won and lost leads are left as they are.",
            button="Mark contacted",
            action="mark_contacted",
        )
        if not isinstance(data, dict):
            return data
        return self._run_bulk(
            request,
            queryset,
            action="contacted",
            params=data,
            description=f"Mark contacted, next: {data['next_action']} ({uk_datetime(data['due_at'])})",
            done_message="{count} lead(s) marked contacted, with their next step.",
        )

    @admin.action(description="Change status of selected leads ...", permissions=["change"])
    def change_status(self, request, queryset):
        data = action_form_page(
            self,
            request,
            queryset,
            form_class=bulk_forms.BulkStatusForm,
            title="Change the status of leads",
            intro="Each lead moves to the status you choose, recorded on its timeline. Leads already at "
            "that status are left as they are.",
            button="Change status",
            action="change_status",
        )
        if not isinstance(data, dict):
            return data
        label = LeadStatus(data["status"]).label
        return self._run_bulk(
            request,
            queryset,
            action="status",
            params=data,
            description=f"Change status to {label}",
            done_message=f"{{count}} lead(s) moved to {label}.",
        )

    @admin.action(description="Mark selected leads lost ...", permissions=["change"])
    def mark_lost(self, request, queryset):
        if not queryset.exclude(status__in=CLOSED_STATUSES).exists():
            self.message_user(request, "The selected leads are already closed.", messages.WARNING)
            return None
        data = action_form_page(
            self,
            request,
            queryset,
            form_class=admin_forms.LostReasonForm,
            title="Mark leads lost",
            intro="The open leads among these will be closed as lost (won and lost ones are left as they "
            "are). The reason goes on each lead's timeline.",
            button="Mark lost",
            action="mark_lost",
        )
        if not isinstance(data, dict):
            return data
        return self._run_bulk(
            request,
            queryset,
            action="lost",
            params={"lost_reason": data["reason"]},
            description=f"Mark lost: {data['reason']}",
            done_message="{count} lead(s) marked lost.",
        )

    @admin.action(description="Export selected leads (CSV)", permissions=["export"])
    def export_csv(self, request, queryset):
        if core_admin.selected_across(request):
            # The export view builds the same list from its query string, however long it is.
            return HttpResponseRedirect(f"{reverse('admin:enquiries_lead_export')}?{list_query(request).urlencode()}")
        return exports.leads_csv(queryset)

    @admin.action(description="Export everything held about this email address (JSON)", permissions=["export"])
    def export_personal_data(self, request, queryset):
        return exports.personal_data_download(self, request, queryset.values_list("email", flat=True))
