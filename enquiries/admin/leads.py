"""The lead admin, where sales staff work the pipeline.

Every change to a lead's status, owner, next action or due time, every call and note, and every
duplicate decision goes through enquiries/services, which writes the timeline. Those fields are
read-only on the lead's form; the small forms above it (log a call, change status, assign, next
action, note, merge or keep apart) post to views under the lead's URL that call the services
(lead_page.py). Staff may correct contact and enquiry details on the form itself, and add a lead
taken by phone (lead_add.py). The list's search and round-robin switch are in lead_list.py.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from booking.admin import model_fields_changed
from core.templatetags.uk import uk_datetime
from outbox.admin import EmailProblemsInline

from .. import services
from ..models import Lead, LeadStatus, LeadType, Setting
from ..services.personal_data import uk_phone
from . import dashboard, exports
from .filters import (
    DEFAULT_FILTERS,
    DueTodayFilter,
    OpenClosedFilter,
    OverdueFilter,
    OwnerFilter,
    SourceFilter,
)
from .forms import LeadDetailsForm
from .lead_actions import LeadActionsMixin
from .lead_add import LeadAddMixin
from .lead_list import LeadListMixin
from .lead_page import LeadPageMixin, change_url, due_html, person
from .personal_data import PersonalDataMixin

DUE_ORDER = F("due_at").asc(nulls_last=True)


CONTACT_FIELDS = ["name", "job_title", "organisation", "organisation_type", "sector", "email", "phone"]
ENQUIRY_FIELDS = [
    "courses",
    "staff_count",
    ("preferred_town", "preferred_dates"),
    "settings_list",
    ("lone_working", "restrictive_practices"),
    "previous_training",
    "message",
    "heard_about",
]
CALLBACK_FIELDS = [("callback_date", "callback_period"), "topic", "message"]
TRACKING_FIELDS = ["source", "landing_page", "referrer", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"]  # fmt: skip


@admin.register(Lead)
class LeadAdmin(PersonalDataMixin, LeadActionsMixin, LeadPageMixin, LeadAddMixin, LeadListMixin, admin.ModelAdmin):
    # The day's work first (when, what, who and how to reach them), so that what a narrow window
    # scrolls out of sight is the least needed.
    list_display = [
        "reference",
        "due",
        "next_action_shown",
        "name",
        "organisation",
        "phone_link",
        "status",
        "owner_name",
        "duplicate_flag",
        "lead_type",
        "age",
    ]
    form = LeadDetailsForm
    list_filter = [
        OwnerFilter,
        OpenClosedFilter,
        "status",
        "lead_type",
        OverdueFilter,
        DueTodayFilter,
        "sector",  # every sector: listing only those in use read every lead
        SourceFilter,
        "duplicate_review",
    ]
    list_select_related = ["owner", "sector", "duplicate_of"]
    search_fields = ["reference", "name", "email", "phone", "organisation"]
    ordering = [DUE_ORDER, "-created_at"]
    # No count of every lead on each page ("N total"): at 500,000 leads it cost 60-110 ms.
    show_full_result_count = False
    actions = [
        "assign_to_me",
        "assign_to",
        "mark_contacted",
        "change_status",
        "mark_lost",
        "export_csv",
        "export_personal_data",
    ]
    inlines = [EmailProblemsInline]  # the timeline is drawn above the details (change_form.html)
    readonly_fields = [
        "reference",
        "lead_type",
        "status",
        "lost_reason",
        "owner_name",
        "next_action",
        "due",
        "retry",
        "duplicate",
        "booking_links",
        "quotes_shown",
        "quotes_list",
        "message",
        "settings_list",
        *TRACKING_FIELDS,
        "partner_key",
        "consent",
        "received",
        "closed",
        "anonymised_at",
    ]

    # Pages ---------------------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        pipeline = ["reference", "lead_type", "status", "owner_name", "next_action", "due"]
        if obj is not None and obj.status == LeadStatus.LOST:
            pipeline.insert(3, "lost_reason")
        if obj is not None and obj.lead_type == LeadType.CALLBACK:
            pipeline.append("retry")
        pipeline += ["estimated_value", "duplicate", "booking_links", *self.quote_fields(request, obj)]
        details = (
            ("Callback request", CALLBACK_FIELDS)
            if obj and obj.lead_type == LeadType.CALLBACK
            else ("Enquiry", ENQUIRY_FIELDS)
        )
        return [
            ("Pipeline", {"fields": pipeline}),
            ("Contact", {"fields": CONTACT_FIELDS}),
            (details[0], {"fields": details[1]}),
            ("Where they came from", {"fields": [*TRACKING_FIELDS, "partner_key"], "classes": ["collapse"]}),
            (
                "Consent and record",
                {"fields": ["consent", "received", "closed", "anonymised_at"], "classes": ["collapse"]},
            ),
        ]

    def has_export_permission(self, request):
        return request.user.has_perm(f"{self.opts.app_label}.export_lead")

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET" and not request.GET and self.has_view_or_change_permission(request):
            # The list opens on "my open leads"; any explicit choice (even "All") is kept.
            return HttpResponseRedirect(f"{request.path}?{urlencode(DEFAULT_FILTERS)}")
        extra_context = {
            **(extra_context or {}),
            "has_export_permission": self.has_export_permission(request),
            "round_robin": self.round_robin_state(request),
        }
        return super().changelist_view(request, extra_context)

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = uk_phone(search_term.strip()) if search_term else None
        if number:
            # Phones are stored as +44...; staff type them as 01473 555012.
            results = results | queryset.filter(phone=number)
        return results, may_have_duplicates

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "courses":
            # A list to tick, not a box needing Ctrl-click.
            kwargs["widget"] = forms.CheckboxSelectMultiple(attrs={"class": "radiolist"})
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # Only the fields edited here: a status or owner changed meanwhile by a service stays.
        fields = model_fields_changed(form)
        if fields:
            obj.save(update_fields=[*fields, "updated_at"])

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and form.changed_data:
            # The service notes the correction on the timeline and, for a callback whose slot
            # moved, moves its due time.
            services.lead_correct_details(lead=form.instance, changed=list(form.changed_data), actor=request.user)

    # Columns and read-only fields ----------------------------------------------------------------

    @admin.display(description="Owner", ordering="owner__username")
    def owner_name(self, lead):
        return person(lead.owner) or "Unassigned"

    @admin.display(description="Due", ordering=DUE_ORDER)
    def due(self, lead):
        return due_html(lead)

    @admin.display(description="Next action", ordering="next_action")
    def next_action_shown(self, lead):
        return lead.next_action or "-"

    @admin.display(description="Phone")
    def phone_link(self, lead):
        if not lead.phone:
            return "-"
        # The number as people read it is the link's name; the href dials it from anywhere.
        return format_html('<a class="nowrap" href="tel:{}">{}</a>', lead.phone.as_e164, lead.phone.as_national)

    @admin.display(description="Age", ordering="-created_at")
    def age(self, lead):
        return timesince(lead.created_at, depth=1)

    @admin.display(description="Duplicate?", ordering="-duplicate_review")
    def duplicate_flag(self, lead):
        if lead.duplicate_review and lead.duplicate_of_id:
            return f"Check: may be {lead.duplicate_of.reference}"
        return ""

    @admin.display(description="Try again at")
    def retry(self, lead):
        return uk_datetime(lead.retry_at) or "-"

    @admin.display(description="Duplicates")
    def duplicate(self, lead):
        lines = []
        if lead.duplicate_of_id:
            state = "needs review: merge or keep apart above" if lead.duplicate_review else "reviewed"
            lines.append(
                format_html(
                    'Possible duplicate of <a href="{}">{}</a> ({})',
                    change_url(lead.duplicate_of),
                    lead.duplicate_of,
                    state,
                )
            )
        for other in lead.possible_duplicates.filter(duplicate_review=True):
            lines.append(
                format_html('<a href="{}">{}</a> may be the same (decide on its page)', change_url(other), other)
            )
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)) or "-"

    @admin.display(description="Bookings from this lead")
    def booking_links(self, lead):
        bookings = lead.bookings.select_related("session__course").order_by("created_at")
        rows = (
            (
                reverse("admin:booking_booking_change", args=[b.pk]),
                b.reference,
                b.session.course.title,
                b.get_status_display(),
            )
            for b in bookings
        )
        return format_html_join(mark_safe("<br>"), '<a href="{}">{}</a> {} ({})', rows) or "None yet"

    @admin.display(description="Settings")
    def settings_list(self, lead):
        labels = dict(Setting.choices)
        return ", ".join(labels.get(value, value) for value in lead.settings_worked_in) or "-"

    @admin.display(description="Source")
    def source(self, lead):
        return lead.source

    @admin.display(description="Consent")
    def consent(self, lead):
        if not lead.consent_at:
            return "-"
        return f"{uk_datetime(lead.consent_at)} (privacy notice {lead.privacy_notice_version or 'unknown'})"

    @admin.display(description="Received")
    def received(self, lead):
        return uk_datetime(lead.created_at)

    @admin.display(description="Closed")
    def closed(self, lead):
        return uk_datetime(lead.closed_at) or "-"

    # Views under the lead admin's URL ------------------------------------------------------------

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        return [
            *self.get_list_urls(),
            path("dashboard/", wrap(self.dashboard_view), name="enquiries_lead_dashboard"),
            path("export/", wrap(self.export_view), name="enquiries_lead_export"),
            path("<int:object_id>/work/<slug:task>/", wrap(self.work_view), name="enquiries_lead_work"),
            *super().get_urls(),
        ]

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            **dashboard.dashboard_data(),
            "title": "Sales dashboard",
            "opts": self.opts,
            "changelist_url": reverse("admin:enquiries_lead_changelist"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/enquiries/lead/dashboard.html", context)

    def export_view(self, request):
        """The CSV of the list as filtered, searched and sorted on the page (same query string)."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:enquiries_lead_changelist") + "?e=1")
        return exports.leads_csv(changelist.queryset)
