"""The booker's manage pages, reached by the signed manage link, and asking for a new link."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods, require_POST

from core import spam
from core.views import private_page

from .. import links, selectors, services
from ..emails import po_due
from ..forms import CancelForm, DelegateFormSet, NewLinkForm, PurchaseOrderForm, SubstituteForm
from ..in_house_text import agreed_lines_display
from ..models import Booking
from .common import delegate_rows


def _actor(request):
    """Who is changing the booking through its manage link: the booker, or a staff member who
    opened it (recorded by name, so the history never says "booker" for the office)."""
    user = request.user
    if user.is_authenticated and user.is_staff:
        return f"staff:{user.get_username()} (manage link)"
    return "booker (manage link)"


def _too_many_changes(request, booking, token):
    """Delegate changes email people the booker names: BOOKING_CHANGES_PER_HOUR per booking and
    per client address, so a manage link cannot be used to send email after email. None when
    the change may go ahead; else the manage page, saying why."""
    limit = settings.BOOKING_CHANGES_PER_HOUR
    try:
        spam.check_rate_limit(f"booking-{booking.reference}", scope="booking-changes", limit=limit)
        spam.check_rate_limit(spam.client_address(request), scope="booking-changes", limit=limit)
    except spam.Rejected as exc:
        messages.error(
            request,
            f"This booking has had many changes in the last hour. Please call us on {settings.PROVIDER['phone']}.",
        )
        response = redirect("booking:manage", token=token)
        response["Retry-After"] = str(exc.retry_after)
        return response
    return None


def _booking_for(token):
    booking = links.booking_from_token(token, selectors.booking_queryset())
    if booking is None:
        raise Http404("This link is not valid, or it has expired.")
    return booking


@private_page
def confirmed(request, token):
    booking = _booking_for(token)
    return render(
        request,
        "booking/confirmed.html",
        {"booking": booking, "manage_url": links.manage_url(booking), "totals": booking.totals()},
    )


@private_page
@require_http_methods(["GET"])
def manage(request, token):
    return _manage_page(request, token)


def _invoices(booking, token):
    """The booking's invoices and credit notes with the booker's link to each PDF (invoicing)."""
    if not hasattr(booking, "invoices"):
        return []
    rows = []
    for invoice in booking.invoices.all():
        try:
            url = reverse("invoicing:booker_pdf", kwargs={"token": token, "number": invoice.number})
        except NoReverseMatch:
            url = None
        rows.append({"invoice": invoice, "url": url})
    return rows


def _manage_page(request, token, forms=None):
    booking = _booking_for(token)
    forms = forms or {}
    session = booking.session
    reason = session.not_bookable_reason()
    in_house = session.is_in_house
    seats_remaining = services.seats_remaining(session)
    return render(
        request,
        "booking/manage.html",
        {
            "booking": booking,
            "token": token,
            "totals": booking.totals(),
            "can_change": booking.is_active and reason is None and not booking.awaits_email_confirmation,
            # An in-house course is cancelled by arrangement with the office, not from the register.
            "can_cancel": booking.is_active and reason is None and not in_house,
            "closed_reason": reason[1] if reason else None,
            "seats_remaining": seats_remaining,
            "po_form": forms.get("po") or PurchaseOrderForm(),
            "add_formset": forms.get("add") or DelegateFormSet(prefix="add"),
            "cancel_form": forms.get("cancel") or CancelForm(),
            "po_due": po_due(booking),
            "in_house": in_house,
            "registration_url": links.registration_url(session) if in_house else None,
            "registration_open": in_house and booking.is_active and reason is None and seats_remaining > 0,
            "agreed_lines": agreed_lines_display(booking),
            "invoices": _invoices(booking, token),
        },
        status=400 if forms else 200,
    )


def _not_for_in_house(request, booking, token, message):
    """None for a public booking; for an in-house one, the register page saying why not."""
    if not booking.session.is_in_house:
        return None
    messages.error(request, message)
    return redirect("booking:manage", token=token)


def _run(request, token, change, success, bound_forms):
    """Run a manage-page change; on a refusal show the page again with the message."""
    try:
        change()
    except services.BookingError as exc:
        messages.error(request, exc.message)
        return redirect("booking:manage", token=token)
    except ValidationError as exc:
        form = next(iter(bound_forms.values())) if bound_forms else None
        for field, errors in exc.message_dict.items():
            if form is not None and hasattr(form, "fields") and field in form.fields:
                form.add_error(field, errors)
            else:
                messages.error(request, " ".join(errors))
        return (
            _manage_page(request, token, forms=bound_forms) if bound_forms else redirect("booking:manage", token=token)
        )
    messages.success(request, success)
    return redirect("booking:manage", token=token)


@private_page
@require_POST
def manage_add_po(request, token):
    booking = _booking_for(token)
    form = PurchaseOrderForm(request.POST)
    if not form.is_valid():
        return _manage_page(request, token, forms={"po": form})
    return _run(
        request,
        token,
        lambda: services.booking_add_po(
            booking=booking, purchase_order=form.cleaned_data["purchase_order"], actor=_actor(request)
        ),
        "Thank you: your purchase order number has been added.",
        {"po": form},
    )


@private_page
@require_POST
def manage_add_delegates(request, token):
    booking = _booking_for(token)
    if refused := _not_for_in_house(
        request, booking, token, "People join an in-house course by registering from the registration link."
    ):
        return refused
    if limited := _too_many_changes(request, booking, token):
        return limited
    formset = DelegateFormSet(request.POST, prefix="add")
    if not formset.is_valid():
        return _manage_page(request, token, forms={"add": formset})
    rows = delegate_rows(formset)
    return _run(
        request,
        token,
        lambda: services.booking_add_delegates(booking=booking, delegates=rows, actor=_actor(request)),
        f"{len(rows)} delegate{'s' if len(rows) != 1 else ''} added.",
        {"add": formset},
    )


@private_page
@require_POST
def manage_remove_delegate(request, token, delegate_id):
    booking = _booking_for(token)
    if limited := _too_many_changes(request, booking, token):
        return limited
    return _run(
        request,
        token,
        lambda: services.booking_remove_delegate(booking=booking, delegate_id=delegate_id, actor=_actor(request)),
        "The delegate has been removed.",
        {},
    )


@private_page
@require_http_methods(["GET", "POST"])
def manage_substitute(request, token, delegate_id):
    booking = _booking_for(token)
    delegate = get_object_or_404(booking.delegates, pk=delegate_id)
    form = SubstituteForm(request.POST or None, prefix="sub")
    if request.method == "POST" and (limited := _too_many_changes(request, booking, token)):
        return limited
    if request.method == "POST" and form.is_valid():
        replacement = services.DelegateData(
            **{k: form.cleaned_data.get(k, "") for k in ["name", "email", "job_role", "adjustments"]}
        )
        try:
            services.booking_substitute_delegate(
                booking=booking, delegate_id=delegate.pk, replacement=replacement, actor=_actor(request)
            )
        except services.BookingError as exc:
            messages.error(request, exc.message)
            return redirect("booking:manage", token=token)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error("email" if field == "delegates" else None, errors)
        else:
            messages.success(request, f"{delegate.name} has been replaced by {replacement.name}.")
            return redirect("booking:manage", token=token)
    return render(
        request,
        "booking/substitute.html",
        {"booking": booking, "token": token, "delegate": delegate, "form": form},
        status=400 if form.is_bound else 200,
    )


@private_page
@require_POST
def manage_cancel(request, token):
    booking = _booking_for(token)
    if refused := _not_for_in_house(
        request,
        booking,
        token,
        f"To cancel or move an in-house course, please call us on {settings.PROVIDER['phone']}.",
    ):
        return refused
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _manage_page(request, token, forms={"cancel": form})
    return _run(
        request,
        token,
        lambda: services.booking_cancel(booking=booking, reason=form.cleaned_data["reason"], actor=_actor(request)),
        "Your booking has been cancelled.",
        {"cancel": form},
    )


@private_page
@require_POST
def manage_new_registration_link(request, token):
    """From an in-house coordinator's register: a new link to share; the old one stops working."""
    booking = _booking_for(token)
    return _run(
        request,
        token,
        lambda: services.in_house_registration_link_renew(booking=booking, actor=_actor(request)),
        "A new registration link is below, and we have emailed it to you. The old link no longer works.",
        {},
    )


# A new manage link -------------------------------------------------------------------------------


@private_page
@require_POST
def manage_new_link(request, token):
    """From the manage page: email the booker a new link; this one stops working at once."""
    booking = _booking_for(token)
    services.booking_new_manage_link(booking=booking, actor=_actor(request))
    return redirect("booking:link_sent")


@require_http_methods(["GET", "POST"])
def new_link(request):
    """For a booker who lost their link, or fears it was forwarded: the reference and the
    booker's email address bring a new link to that address, and earlier links stop working.
    The answer is the same whether or not they match, so it reveals nothing."""
    form = NewLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            spam.check_rate_limit(spam.client_address(request), scope="manage-link")
        except spam.Rejected as exc:
            form.add_error(None, exc.message)
        else:
            booking = Booking.objects.filter(
                reference=form.cleaned_data["reference"], contact_email__iexact=form.cleaned_data["email"]
            ).first()
            if booking is not None:
                services.booking_new_manage_link(booking=booking, actor="booker (new link page)")
            return redirect("booking:link_sent")
    return render(request, "booking/new_link.html", {"form": form}, status=400 if form.errors else 200)


def link_sent(request):
    return render(request, "booking/link_sent.html")
