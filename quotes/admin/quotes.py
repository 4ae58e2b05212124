"""QuoteAdmin: the list, the draft's form with its lines and dates, and the page's buttons (send,
new version, schedule, PDF), each calling one service."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from core.templatetags.uk import gbp, uk_datetime
from enquiries.models import Lead

from .. import display, documents, services
from ..models import Quote, QuoteLine, QuoteStatus
from ..services.drafting import EDITABLE_FIELDS, LINE_FIELDS, quote_prefill
from .inlines import LocalDateTimeInput, ProposedDateInline, QuoteLineInline


def change_url(quote):
    return reverse("admin:quotes_quote_change", args=[quote.pk])


def error_lines(exc):
    """A service's ValidationError as lines for the admin's messages."""
    if hasattr(exc, "error_dict"):
        return [message for messages_ in exc.message_dict.values() for message in messages_]
    return exc.messages


class ScheduleForm(forms.Form):
    starts_at = forms.DateTimeField(
        label="First day starts",
        widget=LocalDateTimeInput(),
        help_text="The date agreed with the client (UK time). The course's length decides the days.",
    )


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    change_form_template = "admin/quotes/quote/change_form.html"
    list_display = ["label_shown", "organisation", "course", "state_shown", "total_shown", "valid_until", "sent_shown"]
    list_filter = ["status", "course"]
    search_fields = ["number", "organisation", "contact_name", "contact_email", "lead__reference"]
    list_select_related = ["course", "lead"]
    inlines = [QuoteLineInline, ProposedDateInline]
    readonly_fields = [
        "lead_shown", "label_shown", "state_shown", "totals_shown", "versions", "acceptance", "host_booking_shown",
    ]  # fmt: skip

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            ("Quote", {"fields": ["lead_shown", "label_shown", "state_shown", "totals_shown"]}),
            ("For", {"fields": ["contact_name", "contact_email", "organisation"]}),
            (
                "The training",
                {
                    "fields": [
                        "course",
                        "delegates",
                        "trainer",
                        "site_name",
                        "site_address",
                        ("site_town", "site_postcode"),
                    ]
                },
            ),
            ("Terms", {"fields": ["dates_to_be_agreed", "valid_until", "terms_version", "notes"]}),
        ]
        if obj is not None and obj.number:
            fieldsets.append(("Versions", {"fields": ["versions"]}))
        if obj is not None and obj.status == QuoteStatus.ACCEPTED:
            fieldsets.insert(1, ("Acceptance", {"fields": ["acceptance", "host_booking_shown"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_draft:
            return [*self.readonly_fields, *EDITABLE_FIELDS]  # a sent quote is a record
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        # Only a draft may go; a sent quote is what the client was told.
        return (obj is None or obj.is_draft) and super().has_delete_permission(request, obj)

    # Adding: from the lead's page -------------------------------------------------------------------

    def _lead_from(self, request):
        value = request.GET.get("lead", "")
        return Lead.objects.filter(pk=int(value), anonymised_at__isnull=True).first() if value.isdigit() else None

    def add_view(self, request, form_url="", extra_context=None):
        lead = self._lead_from(request)
        if lead is None:
            self.message_user(request, "Open the lead and use “Create quote” on its page.", messages.INFO)
            return HttpResponseRedirect(reverse("admin:enquiries_lead_changelist"))
        request._quote_lead = lead
        return super().add_view(request, form_url, {**(extra_context or {}), "quote_lead": lead})

    def get_changeform_initial_data(self, request):
        lead = getattr(request, "_quote_lead", None)
        return quote_prefill(lead) if lead else super().get_changeform_initial_data(request)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A refusal from the services while saving (the quote was sent from another tab
        # meanwhile, say) undoes the whole save and comes back as a message, never a 500.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            for message in exc.messages:
                self.message_user(request, f"Nothing was saved: {message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS if name in form.cleaned_data}
        if change:
            saved = services.quote_update(
                quote=obj, user=request.user, **{name: fields[name] for name in form.changed_data if name in fields}
            )
        else:
            saved = services.quote_create(lead=request._quote_lead, user=request.user, **fields)
        # The inlines are bound to `obj`: it becomes the saved row.
        obj.__dict__.update({key: value for key, value in saved.__dict__.items() if key != "_state"})
        obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        """Lines and proposed dates through the services (the formsets only validated them)."""
        quote = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.forms:
            instance = row.instance
            if formset.can_delete and formset._should_delete_form(row):
                if instance.pk:
                    self._remove(instance)
                    formset.deleted_objects.append(instance)
            elif row.has_changed():
                saved = self._save_row(quote, row)
                if instance.pk:
                    formset.changed_objects.append((saved, row.changed_data))
                else:
                    formset.new_objects.append(saved)

    def _remove(self, instance):
        if isinstance(instance, QuoteLine):
            services.quote_line_remove(line=instance)
        else:
            services.quote_date_remove(date=instance)

    def _save_row(self, quote, row):
        data = row.cleaned_data
        if isinstance(row.instance, QuoteLine):
            fields = {name: data[name] for name in LINE_FIELDS if name in data}
            if row.instance.pk:
                return services.quote_line_update(line=row.instance, **fields)
            return services.quote_line_add(quote=quote, **fields)
        if row.instance.pk:
            return services.quote_date_update(date=row.instance, starts_at=data["starts_at"])
        return services.quote_date_add(quote=quote, starts_at=data["starts_at"])

    # "Save and send": after the draft is saved, the send service checks and sends it ---------------

    def response_add(self, request, obj, post_url_continue=None):
        if "_send" in request.POST:
            return self._send_after_save(request, obj)
        # The new draft's own page (the add form's ?lead= stays behind).
        self.message_user(request, "Draft saved. Nothing has gone to the client yet.", messages.SUCCESS)
        return HttpResponseRedirect(change_url(obj))

    def response_change(self, request, obj):
        if "_send" in request.POST:
            return self._send_after_save(request, obj)
        return super().response_change(request, obj)

    def _send_after_save(self, request, quote):
        try:
            quote = services.quote_send(quote=quote, user=request.user)
        except ValidationError as exc:
            self.message_user(request, "Saved, but not sent:", messages.ERROR)
            for line in error_lines(exc):
                self.message_user(request, line, messages.ERROR)
        else:
            self.message_user(
                request,
                f"Quote {quote.number} version {quote.version} sent to {quote.contact_email}.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(change_url(quote))

    # The page's other buttons ---------------------------------------------------------------------

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        return [
            path("<int:object_id>/pdf/", wrap(self.pdf_view), name="quotes_quote_pdf"),
            path("<int:object_id>/new-version/", wrap(self.new_version_view), name="quotes_quote_new_version"),
            path("<int:object_id>/schedule/", wrap(self.schedule_view), name="quotes_quote_schedule"),
            *super().get_urls(),
        ]

    def _quote_or_404(self, request, object_id, *, change=False):
        quote = get_object_or_404(Quote.objects.select_related("course", "lead"), pk=object_id)
        allowed = self.has_change_permission(request, quote) if change else self.has_view_permission(request, quote)
        if not allowed:
            raise PermissionDenied
        return quote

    def pdf_view(self, request, object_id):
        """The PDF as the client gets it (a draft's says so), shown in the browser."""
        quote = self._quote_or_404(request, object_id)
        response = HttpResponse(documents.quote_pdf(quote), content_type="application/pdf")
        disposition = "attachment" if request.GET.get("download") else "inline"
        response["Content-Disposition"] = f'{disposition}; filename="{documents.quote_filename(quote)}"'
        return response

    def new_version_view(self, request, object_id):
        return require_POST(self._new_version)(request, object_id)

    def _new_version(self, request, object_id):
        quote = self._quote_or_404(request, object_id, change=True)
        if not self.has_add_permission(request):
            raise PermissionDenied
        try:
            new = services.quote_new_version(quote=quote, user=request.user)
        except ValidationError as exc:
            for line in error_lines(exc):
                self.message_user(request, line, messages.ERROR)
            return HttpResponseRedirect(change_url(quote))
        self.message_user(
            request,
            f"Version {new.version} of {new.number} is a draft: change it, then save and send it.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(change_url(new))

    def schedule_view(self, request, object_id):
        """For a quote accepted with dates to be agreed: the date agreed with the client."""
        quote = self._quote_or_404(request, object_id, change=True)
        form = ScheduleForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                booking = services.quote_schedule(
                    quote=quote, starts_at=form.cleaned_data["starts_at"], user=request.user
                )
            except ValidationError as exc:
                errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
                for field, messages_ in errors.items():
                    form.add_error(field if field in form.fields else None, messages_)
            else:
                self.message_user(
                    request,
                    f"Scheduled: {booking.session}. {booking.contact_name} has been sent the registration link.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url(quote))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Schedule the course for {quote}",
            "opts": self.opts,
            "original": quote,
            "form": form,
            "quote": quote,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/quotes/quote/schedule.html", context, status=400 if form.errors else 200
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["show_save_and_add_another"] = False
        if obj is not None and not obj.is_draft:
            context.update(show_save=False, show_save_and_continue=False)
        if obj is not None:
            latest = obj.status == QuoteStatus.SENT
            context.update(
                pdf_url=reverse("admin:quotes_quote_pdf", args=[obj.pk]),
                new_version_url=reverse("admin:quotes_quote_new_version", args=[obj.pk]) if latest else None,
                schedule_url=reverse("admin:quotes_quote_schedule", args=[obj.pk])
                if obj.status == QuoteStatus.ACCEPTED and not obj.host_booking_id
                else None,
            )
        context["can_send"] = (obj is None or obj.is_draft) and self.has_change_permission(request, obj)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    # Columns and read-only fields -----------------------------------------------------------------

    @admin.display(description="Quote", ordering="number")
    def label_shown(self, quote):
        if not quote.pk:
            return "Draft: numbered when first sent"
        return f"{quote.number} version {quote.version}" if quote.number else "Draft: numbered when first sent"

    @admin.display(description="Status", ordering="status")
    def state_shown(self, quote):
        if not quote.pk:
            return "Draft"
        if quote.is_expired():
            return f"Expired (valid until {quote.valid_until_text})"
        return quote.get_status_display()

    @admin.display(description="Total incl. VAT")
    def total_shown(self, quote):
        return gbp(quote.totals()["gross"]) if quote.pk else "-"

    @admin.display(description="Sent", ordering="sent_at")
    def sent_shown(self, quote):
        return uk_datetime(quote.sent_at) or "-"

    @admin.display(description="Lead")
    def lead_shown(self, quote):
        lead = quote.lead if quote.pk else None
        if lead is None:
            return "-"
        return format_html('<a href="{}">{}</a>', reverse("admin:enquiries_lead_change", args=[lead.pk]), lead)

    @admin.display(description="Totals")
    def totals_shown(self, quote):
        if not quote.pk:
            return "Add lines below; the totals show once saved."
        totals = quote.totals()
        return f"{gbp(totals['net'])} + VAT at {totals['vat_percent']} {gbp(totals['vat'])} = {gbp(totals['gross'])}"

    @admin.display(description="Versions")
    def versions(self, quote):
        family = Quote.objects.filter(number=quote.number).order_by("version") if quote.number else []
        rows = (
            (
                change_url(other),
                f"Version {other.version}",
                other.state_display(),
                f", sent {uk_datetime(other.sent_at)}" if other.sent_at else "",
                " (this one)" if other.pk == quote.pk else "",
            )
            for other in family
        )
        return format_html_join(mark_safe("<br>"), '<a href="{}">{}</a>: {}{}{}', rows) or "-"

    @admin.display(description="Accepted")
    def acceptance(self, quote):
        if quote.status != QuoteStatus.ACCEPTED:
            return "-"
        lines = [
            f"{uk_datetime(quote.accepted_at)} by {quote.accepted_by_name}, {quote.accepted_by_job_title}",
            f"{quote.accepted_by_email}, {quote.accepted_by_phone}",
            display.po_text(quote),
            f"Dates: {display.chosen_date_text(quote)}",
            f"Invoice address: {quote.invoice_address}",
        ]
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    @admin.display(description="In-house session")
    def host_booking_shown(self, quote):
        booking = quote.host_booking
        if booking is None:
            return "Not scheduled yet: use “Schedule the course” once the date is agreed."
        return format_html(
            '<a href="{}">{}</a>: {}',
            reverse("admin:booking_booking_change", args=[booking.pk]),
            booking.reference,
            booking.session,
        )


def lead_quotes_html(lead, *, can_add):
    """The lead's quotes for its page: each number, version, status and total, newest first, and a
    link to create one."""
    quotes = lead.quotes.select_related("course").prefetch_related("lines").order_by("-created_at", "-pk")
    rows = [
        format_html(
            '<a href="{}">{}</a>: {}, {} ({})',
            change_url(quote),
            f"{quote.number} version {quote.version}" if quote.number else "Draft",
            quote.course.title,
            gbp(quote.totals()["gross"]),
            quote.state_display().lower(),
        )
        for quote in quotes
    ]
    if can_add and lead.anonymised_at is None:
        rows.append(
            format_html(
                '<a class="button" href="{}?lead={}">Create quote</a>', reverse("admin:quotes_quote_add"), lead.pk
            )
        )
    return format_html_join(mark_safe("<br>"), "{}", ((row,) for row in rows)) or "None yet"


__all__ = ["QuoteAdmin", "lead_quotes_html"]
