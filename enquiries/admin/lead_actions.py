"""The lead list's bulk actions. Each calls a service per lead and reports what it did (and what
the service refused) with message_user; the ones that need input ask on an intermediate page."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from core import admin as core_admin

from .. import services
from ..models import CLOSED_STATUSES, LeadStatus
from . import exports
from . import forms as admin_forms
from .lead_page import person


def action_form_page(modeladmin, request, objects, **kwargs):
    """The shared intermediate page (core.admin), in the sales admin's style."""
    return core_admin.action_form_page(
        modeladmin, request, objects, template="admin/enquiries/action_form.html", **kwargs
    )


class LeadActionsMixin:
    """For LeadAdmin: the bulk actions named in its `actions`."""

    def _for_each(self, request, leads, call, done_message):
        done, refused = 0, []
        for lead in leads:
            try:
                call(lead)
            except ValidationError as exc:
                refused.append(f"{lead.reference}: {' '.join(exc.messages)}")
            else:
                done += 1
        if done:
            self.message_user(request, done_message.format(count=done), messages.SUCCESS)
        if refused:
            self.message_user(request, "Not changed: " + "; ".join(refused), messages.ERROR)

    @admin.action(description="Assign selected leads to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._for_each(
            request,
            queryset,
            lambda lead: services.lead_assign(lead=lead, owner=request.user, actor=request.user),
            "{count} lead(s) assigned to you.",
        )

    @admin.action(description="Assign selected leads to ...", permissions=["change"])
    def assign_to(self, request, queryset):
        leads = list(queryset)
        data = action_form_page(
            self,
            request,
            leads,
            form_class=admin_forms.AssignForm,
            title="Assign leads",
            intro="Choose who will own these leads. Each lead's timeline records the change.",
            button="Assign",
            action="assign_to",
        )
        if not isinstance(data, dict):
            return data
        owner = data["owner"]
        self._for_each(
            request,
            leads,
            lambda lead: services.lead_assign(lead=lead, owner=owner, actor=request.user),
            f"{{count}} lead(s) assigned to {person(owner)}.",
        )
        return None

    @admin.action(description="Mark selected leads contacted", permissions=["change"])
    def mark_contacted(self, request, queryset):
        # Only leads not yet reached: a qualified or closed lead does not go back to "contacted".
        leads = list(queryset)
        waiting = [lead for lead in leads if lead.status in (LeadStatus.NEW, LeadStatus.NO_ANSWER)]
        self._for_each(
            request,
            waiting,
            lambda lead: services.lead_change_status(lead=lead, status=LeadStatus.CONTACTED, actor=request.user),
            "{count} lead(s) marked contacted.",
        )
        if skipped := len(leads) - len(waiting):
            self.message_user(
                request, f"{skipped} lead(s) left as they were: already past first contact.", messages.WARNING
            )

    @admin.action(description="Mark selected leads lost ...", permissions=["change"])
    def mark_lost(self, request, queryset):
        leads = list(queryset)
        open_leads = [lead for lead in leads if lead.status not in CLOSED_STATUSES]
        if not open_leads:
            self.message_user(request, "The selected leads are already closed.", messages.WARNING)
            return None
        data = action_form_page(
            self,
            request,
            open_leads,
            form_class=admin_forms.LostReasonForm,
            title="Mark leads lost",
            intro="These leads will be closed as lost. The reason goes on each lead's timeline.",
            button="Mark lost",
            action="mark_lost",
        )
        if not isinstance(data, dict):
            return data
        self._for_each(
            request,
            open_leads,
            lambda lead: services.lead_change_status(
                lead=lead, status=LeadStatus.LOST, lost_reason=data["reason"], actor=request.user
            ),
            "{count} lead(s) marked lost.",
        )
        if skipped := len(leads) - len(open_leads):
            self.message_user(request, f"{skipped} closed lead(s) left as they were.", messages.WARNING)
        return None

    @admin.action(description="Export selected leads (CSV)", permissions=["export"])
    def export_csv(self, request, queryset):
        return exports.leads_csv(queryset)

    @admin.action(description="Export everything held about this email address (JSON)", permissions=["export"])
    def export_personal_data(self, request, queryset):
        return exports.personal_data_download(self, request, queryset.values_list("email", flat=True))
