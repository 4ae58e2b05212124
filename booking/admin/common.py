"""Helpers shared by the booking admin: UK dates, the staff actor, cancel-with-reason, CSV cells, PO summary."""

from django import forms
from django.utils import timezone

from core.admin import action_form_page

from ..models import BookingStatus


def uk_datetime(value):
    """'Tue 3 March 2026, 09:30' in Europe/London."""
    local = timezone.localtime(value)
    return f"{local:%a} {local.day} {local:%B %Y}, {local:%H:%M}"


def uk_date(value):
    local = timezone.localtime(value)
    return f"{local:%a} {local.day} {local:%B %Y}"


def uk_span(session):
    """'Tue 3 March 2026, 09:30-16:30', or the first and last day of a multi-day session."""
    days = list(session.days.all()) or [session]
    start, end = timezone.localtime(days[0].starts_at), timezone.localtime(days[-1].ends_at)
    hours = f"{start:%H:%M}-{end:%H:%M}"
    if len(days) == 1:
        return f"{uk_date(start)}, {hours}"
    return f"{uk_date(start)} to {uk_date(end)} ({len(days)} days), {hours}"


def staff_actor(request):
    return f"staff:{request.user.username}"


def model_fields_changed(form):
    """The changed form fields that are model fields: saved alone, so a concurrent service
    change to a read-only field (a status, say) is not overwritten with a stale value."""
    names = {field.name for field in form._meta.model._meta.concrete_fields}
    return [name for name in form.changed_data if name in names]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason, sent to the customers",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Optional. Sent to the customers in the cancellation email, word for word, and recorded in "
        "each booking's history.",
    )


def confirm_with_reason(modeladmin, request, queryset, *, title, intro, button, action, preview=None):
    """The intermediate page of a cancelling action. Returns the cleaned reason once confirmed,
    or a response to show (the page itself, or the page again with errors)."""
    data = action_form_page(
        modeladmin,
        request,
        queryset,
        form_class=ReasonForm,
        title=title,
        intro=intro,
        button=button,
        action=action,
        preview=preview,
    )
    return data["reason"] if isinstance(data, dict) else data


def po_summary(booking):
    if booking.purchase_order:
        return booking.purchase_order
    if booking.po_to_follow and booking.po_deadline and booking.status == BookingStatus.AWAITING_PO:
        return f"PO to follow, by {uk_datetime(booking.po_deadline)}"
    return "PO to follow" if booking.po_to_follow else "-"
