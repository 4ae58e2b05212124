"""The lead's page: the timeline, and the small forms above the details form (log a call, change
status, assign, next action, note, merge or keep apart). Each posts to a view under the lead's URL
that calls one service, which writes the timeline; a refusal shows the page again with the form's
input and the service's reason."""

import copy

from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse

from core.admin import ReadOnlyTabularInline
from core.templatetags.uk import uk_datetime

from .. import services
from ..models import LeadActivity
from . import forms as admin_forms


def person(user):
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def change_url(lead):
    return reverse("admin:enquiries_lead_change", args=[lead.pk])


class TimelineInline(ReadOnlyTabularInline):
    """The lead's activity, newest first. Read-only: entries are written by the services."""

    model = LeadActivity
    fields = ["when", "kind", "outcome", "text", "who"]
    readonly_fields = fields
    ordering = ["-created_at", "-pk"]
    verbose_name = "activity"
    verbose_name_plural = "timeline"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    @admin.display(description="When")
    def when(self, activity):
        return uk_datetime(activity.created_at)

    @admin.display(description="Who")
    def who(self, activity):
        return person(activity.author) or "System"


# The forms on the lead's page: the URL segment, the form, and the method that calls the service.
WORK = {
    "call": (admin_forms.LogCallForm, "work_log_call"),
    "status": (admin_forms.ChangeStatusForm, "work_change_status"),
    "assign": (admin_forms.LeadAssignForm, "work_assign"),
    "next": (admin_forms.NextActionForm, "work_next_action"),
    "note": (admin_forms.NoteForm, "work_add_note"),
    "booking": (admin_forms.LinkBookingForm, "work_link_booking"),
    "duplicate": (admin_forms.DuplicateForm, "work_resolve_duplicate"),
}
WORK_TITLES = {
    "call": "Log a call",
    "status": "Change status",
    "assign": "Assign",
    "next": "Next action and due time",
    "note": "Add a note",
    "booking": "Link a booking",
    "duplicate": "Merge or keep apart",
}


class LeadPageMixin:
    """For LeadAdmin: the forms on the lead's page and the views they post to."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            bound = context.pop("bound_work_forms", {})
            context["work_forms"] = {
                task: bound.get(task) or form_class(lead=obj, prefix=task) for task, (form_class, _) in WORK.items()
            }
            context["work_titles"] = WORK_TITLES
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def work_view(self, request, object_id, task):
        if task not in WORK:
            raise Http404
        if not self.has_change_permission(request):
            raise PermissionDenied
        lead = self.get_object(request, str(object_id))
        if lead is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, str(object_id))
        # Back to the lead's page keeping the list's filters, as the admin's own forms do.
        preserved = {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}
        if request.method != "POST":
            return HttpResponseRedirect(add_preserved_filters(preserved, change_url(lead)))
        if not self.has_change_permission(request, lead):
            raise PermissionDenied
        form_class, method = WORK[task]
        form = form_class(request.POST, lead=lead, prefix=task)
        if form.is_valid():
            try:
                message, target = getattr(self, method)(request, lead, form.cleaned_data)
            except ValidationError as exc:
                admin_forms.add_service_errors(form, exc)
            else:
                self.message_user(request, message, messages.SUCCESS)
                return HttpResponseRedirect(add_preserved_filters(preserved, change_url(target)))
        self.message_user(request, f"Not saved: see the errors under “{WORK_TITLES[task]}”.", messages.ERROR)
        # The lead's page again, with this form's input and errors (and the details form posting
        # to the lead's own URL, not this one).
        page_request = copy.copy(request)
        page_request.method = "GET"
        return self.change_view(
            page_request,
            str(lead.pk),
            form_url=add_preserved_filters(preserved, change_url(lead)),
            extra_context={"bound_work_forms": {task: form}},
        )

    def work_log_call(self, request, lead, data):
        services.lead_log_call(
            lead=lead, outcome=data["outcome"], text=data["text"], retry_at=data["retry_at"], actor=request.user
        )
        lead.refresh_from_db()
        return f"Call logged. The lead is {lead.get_status_display().lower()}.", lead

    def work_change_status(self, request, lead, data):
        lead = services.lead_change_status(
            lead=lead,
            status=data["status"],
            lost_reason=data["lost_reason"],
            retry_at=data["retry_at"],
            actor=request.user,
        )
        return f"Status is now {lead.get_status_display().lower()}.", lead

    def work_assign(self, request, lead, data):
        lead = services.lead_assign(lead=lead, owner=data["owner"], actor=request.user)
        return f"Owner: {person(lead.owner) or 'nobody'}.", lead

    def work_next_action(self, request, lead, data):
        lead = services.lead_set_next_action(
            lead=lead, next_action=data["next_action"], due_at=data["due_at"], actor=request.user
        )
        return "Next action and due time saved.", lead

    def work_add_note(self, request, lead, data):
        services.lead_add_note(lead=lead, text=data["text"], actor=request.user)
        return "Note added.", lead

    def work_link_booking(self, request, lead, data):
        booking = services.lead_link_booking_by_reference(lead=lead, reference=data["reference"], actor=request.user)
        return f"Booking {booking.reference} linked.", lead

    def work_resolve_duplicate(self, request, lead, data):
        original = lead.duplicate_of
        if data["decision"] == "merge":
            original = services.lead_resolve_duplicate(lead=lead, merge=True, actor=request.user)
            return f"{lead.reference} merged into {original.reference} and closed.", original
        services.lead_resolve_duplicate(lead=lead, merge=False, actor=request.user)
        return f"{lead.reference} kept apart from {original.reference if original else 'the other lead'}.", lead
