"""The draft's lines and proposed dates, edited inline on the quote's page (read-only once sent).
The rows are saved by QuoteAdmin.save_formset through the services, not by the formsets."""

from django import forms
from django.contrib import admin
from django.db import models

from core.templatetags.uk import uk_span

from ..models import ProposedDate, QuoteLine


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date and time picker; values are Europe/London wall-clock times."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class DraftOnlyInline:
    def _draft(self, obj):
        return obj is None or obj.is_draft

    def has_add_permission(self, request, obj=None):
        return self._draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Removing a row is changing the draft: whoever may change the quote may (Sales delete nothing).
        return self._draft(obj) and request.user.has_perm("quotes.change_quote")


class QuoteLineInline(DraftOnlyInline, admin.TabularInline):
    model = QuoteLine
    fields = ["position", "kind", "description", "quantity", "unit_price", "amount"]
    readonly_fields = ["amount"]
    extra = 1
    verbose_name = "line"
    verbose_name_plural = "Lines (prices excluding VAT; a discount as a positive amount)"

    @admin.display(description="Amount")
    def amount(self, line):
        return line.amount_text if line.pk else "-"


class ProposedDateInline(DraftOnlyInline, admin.TabularInline):
    model = ProposedDate
    fields = ["starts_at", "days_shown"]
    readonly_fields = ["days_shown"]
    extra = 1
    verbose_name_plural = "Proposed dates (the client chooses one; leave none and tick 'dates to be agreed' instead)"
    formfield_overrides = {
        # Wall-clock London time from the browser's picker; the course's length decides the days.
        models.DateTimeField: {"form_class": forms.DateTimeField, "widget": LocalDateTimeInput},
    }

    @admin.display(description="Days")
    def days_shown(self, date):
        if not date.pk:
            return "-"
        return "; ".join(uk_span(start, end) for start, end in date.days())
