"""The booking admin: delegates and history inlines, adding a purchase order, and the cancel action."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from core.admin import ReadOnlyTabularInline
from invoicing.admin import BookingInvoiceInline
from outbox.admin import EmailProblemsInline

from .. import links, services
from ..models import Booking, BookingEvent, BookingStatus, Delegate, purchase_order_validator
from .common import confirm_with_reason, model_fields_changed, po_summary, staff_actor, uk_datetime, uk_span


class DelegateInline(ReadOnlyTabularInline):
    """Read-only: adding, removing or substituting a delegate goes through the services (the
    manage link), which check seats and one email per session and record the change."""

    model = Delegate
    fields = ["name", "email", "job_role", "adjustments"]
    readonly_fields = fields


class BookingEventInline(ReadOnlyTabularInline):
    model = BookingEvent
    fields = ["created_at", "kind", "description", "actor"]
    readonly_fields = fields
    ordering = ["created_at", "pk"]
    verbose_name_plural = "history"


class BookingAdminForm(forms.ModelForm):
    add_purchase_order = forms.CharField(
        label="Add purchase order",
        max_length=50,
        required=False,
        validators=[purchase_order_validator],
        help_text="Confirms a booking awaiting its PO (or replaces the PO), and records it in the history.",
    )

    def clean_add_purchase_order(self):
        value = self.cleaned_data["add_purchase_order"].strip()
        if value and self.instance.status == BookingStatus.CANCELLED:
            raise ValidationError("This booking has been cancelled.")
        return value


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    form = BookingAdminForm
    list_display = ["reference", "organisation", "session", "status", "delegate_total", "po", "created"]
    list_filter = [
        "status",
        "organisation_type",
        ("session__course", admin.RelatedOnlyFieldListFilter),
        "po_to_follow",
        ("partner_key", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["session__course", "session__venue"]
    search_fields = ["reference", "organisation", "contact_email", "delegates__email", "purchase_order"]
    ordering = ["-created_at", "-pk"]
    date_hierarchy = "created_at"
    inlines = [DelegateInline, BookingEventInline, BookingInvoiceInline, EmailProblemsInline]
    actions = ["cancel_bookings", "send_new_manage_link"]
    readonly_fields = [
        "reference",
        "session_link",
        "status",
        "totals",
        "purchase_order",
        "po_to_follow",
        "po_deadline",
        "price_per_delegate",
        "terms_accepted_at",
        "terms_version",
        "cancelled_reason",
        "partner_key",
        "created_at",
        "updated_at",
        "manage_link",
    ]
    fieldsets = [
        (None, {"fields": ["reference", "session_link", "status", "totals"]}),
        ("Organisation", {"fields": ["organisation", "organisation_type", "ods_code", "invoice_address"]}),
        ("Booker", {"fields": ["contact_name", "contact_email", "contact_phone", "job_title"]}),
        ("Purchase order", {"fields": ["purchase_order", "po_to_follow", "po_deadline", "add_purchase_order"]}),
        ("Notes", {"fields": ["notes"]}),
        (
            "Terms and record",
            {
                "fields": [
                    "price_per_delegate",
                    "terms_accepted_at",
                    "terms_version",
                    "cancelled_reason",
                    "partner_key",
                    ("created_at", "updated_at"),
                ]
            },
        ),
        (
            "Changing delegates",
            {
                "fields": ["manage_link"],
                "description": "Delegates are added, removed and substituted through the booker's manage "
                "link, which checks the seats and records each change. Cancel with the action on the list.",
            },
        ),
    ]

    def get_fieldsets(self, request, obj=None):
        # The manage link lets whoever holds it act as the booker: office staff who may change
        # bookings see it, view-only staff (Sales) do not.
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_change_permission(request, obj):
            return fieldsets
        return [(name, options) for name, options in fieldsets if "manage_link" not in options["fields"]]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_delegates=Count("delegates", distinct=True))

    def has_add_permission(self, request):
        # Bookings are made on the site or through the API, where the seat rules apply.
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting would free seats without promoting the waiting list or leaving a history.
        return False

    def save_model(self, request, obj, form, change):
        fields = model_fields_changed(form)
        if fields:
            obj.save(update_fields=[*fields, "updated_at"])
        purchase_order = form.cleaned_data.get("add_purchase_order")
        if purchase_order:
            booking = services.booking_add_po(
                booking=obj, purchase_order=purchase_order, actor=staff_actor(request), by_staff=True
            )
            obj.status, obj.purchase_order = booking.status, booking.purchase_order
            self.message_user(
                request, f"Purchase order {purchase_order} added; the booking is {obj.get_status_display().lower()}."
            )

    @admin.display(description="Delegates", ordering="_delegates")
    def delegate_total(self, booking):
        return booking._delegates

    @admin.display(description="PO", ordering="purchase_order")
    def po(self, booking):
        return po_summary(booking)

    @admin.display(description="Booked", ordering="created_at")
    def created(self, booking):
        return uk_datetime(booking.created_at)

    @admin.display(description="Session")
    def session_link(self, booking):
        url = reverse("admin:booking_coursesession_change", args=[booking.session_id])
        return format_html('<a href="{}">{}</a> ({})', url, booking.session, uk_span(booking.session))

    @admin.display(description="Total")
    def totals(self, booking):
        totals = booking.totals()
        return f"{totals['delegates']} delegate(s): £{totals['net']} + VAT £{totals['vat']} = £{totals['gross']}"

    @admin.display(description="Manage link")
    def manage_link(self, booking):
        try:
            url = links.manage_url(booking)
        except NoReverseMatch:
            return "Not available until the booking pages are live."
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.action(description="Cancel selected bookings", permissions=["change"])
    def cancel_bookings(self, request, queryset):
        bookings = list(queryset.exclude(status=BookingStatus.CANCELLED).select_related("session__course"))
        if not bookings:
            self.message_user(request, "The selected bookings are already cancelled.", messages.WARNING)
            return None
        reason = confirm_with_reason(
            self,
            request,
            bookings,
            title="Cancel bookings",
            intro="These bookings will be cancelled, their seats freed and the waiting list promoted.",
            button="Yes, cancel the bookings",
            action="cancel_bookings",
        )
        if not isinstance(reason, str):
            return reason
        cancelled, refused = 0, []
        for booking in bookings:
            try:
                services.booking_cancel(booking=booking, reason=reason, actor=staff_actor(request), by_staff=True)
            except services.BookingError as exc:
                refused.append(f"{booking.reference}: {exc.message}")
            else:
                cancelled += 1
        self.message_user(request, f"Cancelled {cancelled} booking(s).")
        if refused:
            self.message_user(request, "Not cancelled: " + "; ".join(refused), messages.WARNING)
        return None

    @admin.action(description="Email the booker a new manage link (old links stop working)", permissions=["change"])
    def send_new_manage_link(self, request, queryset):
        bookings = list(queryset)
        for booking in bookings:
            services.booking_new_manage_link(booking=booking, actor=staff_actor(request))
        self.message_user(
            request,
            f"New manage links emailed to {len(bookings)} booker(s); the links they had before no longer work.",
        )
