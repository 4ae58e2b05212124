"""Adding a lead by hand: a phone-in enquiry, someone met at an event, a referral. The admin
never saves the lead itself: services.lead_add makes it as the website does (duplicates, SLA,
round robin, timeline, the owner's alert), without the public forms' rate limit."""

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse

from core.templatetags.uk import uk_when

from .. import services
from . import forms as admin_forms
from .lead_page import change_url, person


class LeadAddMixin:
    """For LeadAdmin: its add page. Staff with the "add lead" permission (the Sales group) use it."""

    add_form_template = "admin/enquiries/lead/add_form.html"

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = admin_forms.LeadAddForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                lead = services.lead_add(
                    lead_type=form.cleaned_data["lead_type"],
                    origin=form.cleaned_data["origin"],
                    data=form.lead_data(),
                    courses=form.lead_courses(),
                    actor=request.user,
                )
            except ValidationError as exc:
                admin_forms.add_service_errors(form, exc)
            else:
                return self.response_lead_added(request, lead)
        adminform = helpers.AdminForm(
            form,
            [(legend, {"fields": names, "description": intro}) for legend, intro, names in form.fieldsets],
            prepopulated_fields={},
            model_admin=self,
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Add a lead",
            "subtitle": None,
            "adminform": adminform,
            "object_id": None,
            "original": None,
            "is_popup": False,
            "to_field": None,
            "media": self.media + adminform.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            # After saving, the new lead's own page is where work on it starts.
            "show_save_and_continue": False,
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=True, form_url=form_url)

    def response_lead_added(self, request, lead):
        self.log_addition(request, lead, [{"added": {}}])
        owner = person(lead.owner) or "nobody yet (unassigned)"
        due = uk_when(lead.due_at) if lead.due_at else "no due time"
        self.message_user(
            request, f"Lead {lead.reference} added. Owner: {owner}; due {due} ({lead.next_action}).", messages.SUCCESS
        )
        if lead.duplicate_of_id:
            self.message_user(
                request,
                f"It may be the same as {lead.duplicate_of.reference}: merge or keep apart on its page.",
                messages.WARNING,
            )
        preserved = {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}
        if "_addanother" in request.POST:
            return HttpResponseRedirect(add_preserved_filters(preserved, reverse("admin:enquiries_lead_add")))
        return HttpResponseRedirect(add_preserved_filters(preserved, change_url(lead)))
