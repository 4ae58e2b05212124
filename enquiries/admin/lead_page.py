"""The lead's page: where the lead stands, the small forms to work it (log a call, change status,
assign, next action, note, merge or keep apart) and its timeline, above the details form. Each
form posts to a view under the lead's URL that calls one service, which writes the timeline; a
refusal shows the page again with the form's input and the service's reason."""

import copy

from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from core.templatetags.uk import uk_datetime, uk_overdue, uk_when

from .. import services
from ..services import person_name as person
from . import forms as admin_forms


def change_url(lead):
    return reverse("admin:enquiries_lead_change", args=[lead.pk])


def due_html(lead, now=None):
    """The due time on one line, near times as people say them ("Today 14:00", "Tue 10:30"),
    overdue in words as well as colour ("Overdue 2 h"); the exact time on hover."""
    if not lead.due_at:
        return "-"
    if lead.is_overdue:
        text = format_html('<strong class="lead-overdue">{}</strong>', uk_overdue(lead.due_at, now))
    else:
        text = uk_when(lead.due_at, now)
    return format_html(
        '<time class="nowrap" datetime="{}" title="{}">{}</time>',
        lead.due_at.isoformat(),
        uk_datetime(lead.due_at),
        text,
    )


def optional_url(name, *args):
    """A URL another part of the admin may not offer yet (the personal-data pages)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


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
            # Correcting a lead's details is not the place to start another lead.
            context["show_save_and_add_another"] = False
            context["due_shown"] = due_html(obj)
            # Newest first; written only by the services.
            context["timeline"] = obj.activities.select_related("author").order_by("-created_at", "-pk")
            if request.user.has_perm("enquiries.export_lead"):
                context["erase_url"] = optional_url("admin:enquiries_lead_erase", obj.pk)
                context["access_export_url"] = optional_url("admin:enquiries_lead_personal_data")
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def quote_fields(self, request, lead):
        """The lead's quotes on its page, for staff who may see quotes; with "Create quote" for
        those who may add them."""
        if lead is None:
            return []
        if request.user.has_perm("quotes.add_quote"):
            return ["quotes_shown"]
        return ["quotes_list"] if request.user.has_perm("quotes.view_quote") else []

    @admin.display(description="Quotes")
    def quotes_shown(self, lead):
        """Each quote (number, version, status, total) and "Create quote", which opens the quote
        admin's add form filled in from the lead (quotes/admin)."""
        from quotes.admin.quotes import lead_quotes_html

        return lead_quotes_html(lead, can_add=True)

    @admin.display(description="Quotes")
    def quotes_list(self, lead):
        from quotes.admin.quotes import lead_quotes_html

        return lead_quotes_html(lead, can_add=False)

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
            lead=lead,
            outcome=data["outcome"],
            text=data["text"],
            actor=request.user,
            retry_at=data["retry_at"],
            next_action=data["next_action"],
            due_at=data["due_at"],
            status=data["status"] or None,
            lost_reason=data["lost_reason"],
        )
        lead.refresh_from_db()
        message = f"Call logged. The lead is {lead.get_status_display().lower()}"
        if lead.is_open and lead.due_at:
            message += f"; next: {lead.next_action or 'no action'}, due {uk_when(lead.due_at)}"
        return message + ".", lead

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
