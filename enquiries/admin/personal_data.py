"""Personal-data requests in the sales admin: the subject-access export, found by an email address
or a phone number (a page beside the lead list); erasing the person behind one lead (a
confirmation page under the lead's URL); and the record of requests answered (read-only).

Both pages need the export_lead permission (the Sales group has it). The rules, and the record
of each request, are the services' (enquiries/services/personal_data.py).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.admin import RecordAdmin
from core.templatetags.uk import uk_datetime

from .. import services
from ..models import DataRequest
from . import exports
from .forms import add_service_errors

EXPORT_PERMISSION = "enquiries.export_lead"
TEMPLATES = "admin/enquiries/personal_data/"

COUNT_LABELS = {
    "leads": "lead(s)",
    "bookings": "booking(s)",
    "delegate_rows": "delegate row(s)",
    "newsletter": "newsletter record(s)",
    "emails": "email(s)",
    "leads_left_out": "lead(s) left out",
    "bookings_kept": "booking(s) kept",
    "delegate_rows_kept": "delegate row(s) kept",
    "quotes": "quote(s)",
    "invoices": "invoice(s) and credit note(s)",
    "quotes_kept": "accepted quote(s) kept",
    "invoices_kept": "invoice(s) and credit note(s) kept",
}


def describe_counts(counts):
    parts = [f"{number} {COUNT_LABELS.get(name, name)}" for name, number in counts.items() if number]
    return ", ".join(parts) or "nothing found"


class PersonLookupForm(forms.Form):
    # Text fields: the service says what is wrong with an address or number, in one place.
    email = forms.CharField(
        label="Email address",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label="Phone number",
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        help_text="A UK number, as they give it: 01473 555012, 07911 123456 or +44 20 7946 0000.",
    )


class EraseForm(forms.Form):
    reason = forms.CharField(
        label="Reason for erasing",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required. Kept with the record of this request and on each lead's timeline, so do "
        "not write the person's details here: for example “Asked by email on 3 March to be forgotten”.",
        error_messages={"required": "Give the reason for erasing this person's data."},
    )
    # The other matched leads staff confirm are this person's (tick boxes on the page).
    leads = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.fields["leads"].choices = [(lead.pk, lead.reference) for lead in plan.leads if lead.pk != plan.lead.pk]

    def ticked(self):
        """The other leads ticked: as posted, or on first view all but the doubtful ones."""
        if self.is_bound:
            return {int(pk) for pk in self.data.getlist("leads") if pk.isascii() and pk.isdigit() and len(pk) < 19}
        return {lead.pk for lead in self.plan.leads if lead.pk != self.plan.lead.pk and not self.plan.doubtful(lead)}

    def rows(self):
        """Each matched lead: how it was found, whether it may be someone else's, and ticked."""
        ticked = self.ticked()
        for lead in self.plan.leads:
            yield {
                "lead": lead,
                "found_by": " and ".join(self.plan.found_by(lead)),
                "doubtful": self.plan.doubtful(lead),
                "ticked": lead.pk in ticked,
            }


class PersonalDataMixin:
    """For LeadAdmin: the subject-access export page and the erasure of one person."""

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        return [
            path("personal-data/", wrap(self.personal_data_view), name="enquiries_lead_personal_data"),
            path("<int:object_id>/erase/", wrap(self.erase_view), name="enquiries_lead_erase"),
            *super().get_urls(),
        ]

    def has_personal_data_permission(self, request):
        return request.user.has_perm(EXPORT_PERMISSION)

    def _personal_data_page(self, request, template, context):
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            TEMPLATES + template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "changelist_url": reverse("admin:enquiries_lead_changelist"),
                **context,
            },
        )

    def personal_data_view(self, request):
        """Type an email address or a phone number, download everything held about that person."""
        if not self.has_personal_data_permission(request):
            raise PermissionDenied
        form = PersonLookupForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                data = services.personal_data_export(**form.cleaned_data, actor=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return exports.json_download(data, data["email"] or data["phone"])
        return self._personal_data_page(
            request, "lookup.html", {"title": "Personal data: find and export one person", "form": form}
        )

    def erase_view(self, request, object_id):
        """What erasing the person behind this lead will touch, then (POST, with a reason) do it."""
        if not self.has_personal_data_permission(request):
            raise PermissionDenied
        lead = self.get_object(request, str(object_id))
        if lead is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, str(object_id))
        lead_url = reverse("admin:enquiries_lead_change", args=[lead.pk])
        if lead.anonymised_at:
            self.message_user(request, "This lead's personal data has already been removed.", messages.WARNING)
            return HttpResponseRedirect(lead_url)
        form = EraseForm(request.POST if request.method == "POST" else None, plan=services.person_erase_plan(lead=lead))
        if form.is_bound and form.is_valid():
            try:
                done = services.person_erase(
                    lead=lead,
                    reason=form.cleaned_data["reason"],
                    confirmed=form.cleaned_data["leads"],
                    actor=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                self.message_user(
                    request,
                    format_html(
                        'Personal data erased: {}. Recorded as <a href="{}">personal-data request {}</a>.',
                        describe_counts(done.counts),
                        reverse("admin:enquiries_datarequest_change", args=[done.pk]),
                        done.pk,
                    ),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(lead_url)
        # What would go with the leads ticked now (the form's rows list every match).
        plan = services.person_erase_plan(lead=lead, confirmed=form.ticked())
        return self._personal_data_page(
            request,
            "erase.html",
            {
                "title": f"Erase personal data: {lead.reference}",
                "form": form,
                "lead": lead,
                "lead_url": lead_url,
                "plan": plan,
                "found_by": plan.matched_by.replace(", ", " and "),
            },
        )


@admin.register(DataRequest)
class DataRequestAdmin(RecordAdmin):
    """Personal-data requests answered: a record, written only by the services."""

    list_display = ["created", "kind", "matched_by", "summary", "actor_name"]
    list_filter = ["kind"]
    list_select_related = ["actor"]
    # A lead's or booking's reference finds the requests that touched it.
    search_fields = ["references"]
    ordering = ["-created_at"]
    fields = ["kind", "created", "actor_name", "reason", "matched_by", "summary", "reference_list"]
    readonly_fields = fields

    @admin.display(description="When", ordering="created_at")
    def created(self, data_request):
        return uk_datetime(data_request.created_at)

    @admin.display(description="By", ordering="actor__username")
    def actor_name(self, data_request):
        return services.person_name(data_request.actor, "-")

    @admin.display(description="Records")
    def summary(self, data_request):
        return describe_counts(data_request.counts)

    @admin.display(description="References")
    def reference_list(self, data_request):
        return format_html_join(mark_safe("<br>"), "{}", ((ref,) for ref in data_request.references)) or "-"
