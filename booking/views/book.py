"""The public booking flow: form -> review -> "check your email" -> confirming the address.

Views validate with forms and hand every change to booking/services.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core import spam
from core.views import private_page

from .. import links, selectors, services
from ..forms import BookingForm, DelegateFormSet
from ..models import BookingStatus
from .common import delegate_rows

DRAFT_KEY = "booking-draft-{}"


def _session_or_404(session_id):
    session = selectors.session_list_public().filter(pk=session_id).first()
    if session is None:
        raise Http404("No such session")
    return session


def _apply_service_errors(error, form, formset):
    """Show a service's ValidationError beside the fields it names."""
    for field, messages_ in error.message_dict.items():
        if field in form.fields:
            form.add_error(field, messages_)
        else:
            formset._non_form_errors = formset.error_class(
                [*formset.non_form_errors(), *messages_], renderer=formset.renderer
            )


DELEGATE_FIELDS = ["name", "email", "job_role", "adjustments"]


UNDO_PREFIX = "undo-"  # hidden inputs carrying a removed row's values, for the no-JavaScript "Undo"


def _whole(text):
    """A whole number in ASCII digits: "²".isdigit() is true, but int("²") fails."""
    return text.isascii() and text.isdigit()


def _forms_with_rows(data, *, add=False, remove=None, undo=False):
    """Add, remove or restore a delegate row without JavaScript, keeping what was typed (no errors
    yet). Returns the forms and the row just removed (its number and values), for the notice."""
    total = data.get("form-TOTAL_FORMS", "")
    total = min(int(total) if _whole(total) else 1, DelegateFormSet.max_num)
    rows = [{field: data.get(f"form-{index}-{field}", "") for field in DELEGATE_FIELDS} for index in range(total)]
    removed, focus = None, None
    if remove is not None and len(rows) > 1 and 0 <= remove < len(rows):
        removed = {"index": remove, "number": remove + 1, **rows.pop(remove)}
    if undo and len(rows) < DelegateFormSet.max_num:
        index = data.get(f"{UNDO_PREFIX}index", "")
        focus = min(int(index), len(rows)) if _whole(index) else len(rows)
        rows.insert(focus, {field: data.get(f"{UNDO_PREFIX}{field}", "") for field in DELEGATE_FIELDS})
    if add and len(rows) < DelegateFormSet.max_num:
        rows.append(dict.fromkeys(DELEGATE_FIELDS, ""))
        focus = len(rows) - 1
    booking_initial = {name: data.get(name) for name in BookingForm.base_fields if name in data}
    formset = DelegateFormSet(initial=rows)
    if focus is not None:
        # Without JavaScript the page reloads at the top: take the keyboard to the new row.
        formset.forms[focus].fields["name"].widget.attrs["autofocus"] = True
    return BookingForm(initial=booking_initial), formset, removed


@require_http_methods(["GET", "POST"])
def book(request, session_id):
    session = _session_or_404(session_id)
    reason = session.not_bookable_reason()
    if reason:
        return render(request, "booking/not_bookable.html", {"session": session, "reason": reason[1]}, status=410)

    draft_key = DRAFT_KEY.format(session.pk)
    action = request.POST.get("action", "review")
    if request.method == "GET":
        data = request.session.get(draft_key) if request.GET.get("change") else None
        form = BookingForm(data) if data else BookingForm()
        formset = DelegateFormSet(data) if data else DelegateFormSet()
        if data:
            form.is_valid()
            formset.is_valid()
        elif request.GET.get("prefill"):
            form, formset = _prefilled_forms(request.GET["prefill"])
    elif action in {"add", "undo"} or action.startswith("remove-"):
        remove = int(action[7:]) if _whole(action[7:]) else None
        form, formset, removed = _forms_with_rows(
            request.POST, add=action == "add", remove=remove, undo=action == "undo"
        )
        return render(request, "booking/book.html", _book_context(session, form, formset, removed=removed))
    else:
        form, formset = BookingForm(request.POST), DelegateFormSet(request.POST)
        if form.is_valid() and formset.is_valid():
            request.session[draft_key] = {
                k: v
                for k, v in request.POST.items()
                if k not in {"csrfmiddlewaretoken", "action"} and not k.startswith(UNDO_PREFIX)
            }
            return redirect("booking:review", session_id=session.pk)
    return render(request, "booking/book.html", _book_context(session, form, formset))


def _prefilled_forms(token):
    """Empty forms with the details a signed link carries as starting values; a bad or expired
    link gives the plain form (the person can still book)."""
    values = links.prefill_values(token)
    booking_initial = {
        name: values[name]
        for name in ("organisation", "organisation_type", "ods_code", "contact_name", "contact_email")
        if name in values
    }
    delegate = {name: values[name] for name in ("name", "email", "job_role") if name in values}
    return BookingForm(initial=booking_initial), DelegateFormSet(initial=[delegate] if delegate else None)


def _book_context(session, form, formset, *, removed=None):
    return {
        "session": session,
        "form": form,
        "formset": formset,
        "max_delegates": formset.max_num,
        "po_hold_days": settings.PO_HOLD_DAYS,
        # Only a submitted form has problems to list; the summary goes at the top of the page.
        "error_summary": form.error_summary(delegates=formset) if form.is_bound else [],
        "removed": removed,
        "undo_prefix": UNDO_PREFIX,
    }


@require_http_methods(["GET", "POST"])
def review(request, session_id):
    session = _session_or_404(session_id)
    draft_key = DRAFT_KEY.format(session.pk)
    data = request.session.get(draft_key)
    if not data:
        messages.info(request, "Please fill in the booking form first.")
        return redirect("booking:book", session_id=session.pk)
    reason = session.not_bookable_reason()
    if reason:
        return render(request, "booking/not_bookable.html", {"session": session, "reason": reason[1]}, status=410)
    form, formset = BookingForm(data), DelegateFormSet(data)
    if not (form.is_valid() and formset.is_valid()):
        return redirect(reverse("booking:book", args=[session.pk]) + "?change=1")
    delegates = delegate_rows(formset)
    if request.method == "POST":
        # The waiting-list button joins the waiting list whether or not the box was ticked.
        details = {**form.cleaned_data}
        if request.POST.get("action") == "waitlist":
            details["join_waitlist"] = True
        try:
            spam.check_rate_limit(
                spam.client_address(request), scope="bookings", limit=settings.BOOKINGS_RATE_LIMIT_PER_HOUR
            )
        except spam.Rejected as exc:
            response = render(
                request,
                "booking/not_bookable.html",
                {
                    "session": session,
                    "reason": "We have received several bookings from you in the last hour. "
                    "Please call us, or try again later.",
                },
                status=429,
            )
            response["Retry-After"] = str(exc.retry_after)
            return response
        try:
            booking = services.booking_create(
                session=session, delegates=delegates, actor="booker (website)", email_confirmation=True, **details
            )
        except services.InsufficientSeats as exc:
            messages.error(request, exc.message)
            return redirect(reverse("booking:book", args=[session.pk]) + "?change=1")
        except services.BookingError as exc:
            return render(request, "booking/not_bookable.html", {"session": session, "reason": exc.message}, status=409)
        except ValidationError as exc:
            _apply_service_errors(exc, form, formset)
            return render(request, "booking/book.html", _book_context(session, form, formset))
        del request.session[draft_key]
        if booking.awaits_email_confirmation:
            return redirect("booking:pending", token=links.pending_token(booking))
        return redirect("booking:confirmed", token=links.manage_token(booking))
    count = len(delegates)
    net, vat = session.price * count, session.vat * count
    return render(
        request,
        "booking/review.html",
        {
            "session": session,
            "data": form.cleaned_data,
            "organisation_type": dict(form.fields["organisation_type"].choices).get(
                form.cleaned_data["organisation_type"]
            ),
            "delegates": delegates,
            "fits": count <= session.seats_remaining,
            "totals": {"net": net, "vat": vat, "gross": net + vat, "count": count},
        },
    )


# Confirming the booker's email address ---------------------------------------------------------


@private_page
def pending(request, token):
    """After submitting: "check your email". It never shows the manage link: that goes only to
    the address the booker confirms, so typing someone else's address gains nothing."""
    booking = links.booking_from_pending_token(token, selectors.booking_queryset())
    if booking is None:
        raise Http404("This link is not valid.")
    return render(request, "booking/pending.html", {"booking": booking, "totals": booking.totals()})


@private_page
@require_http_methods(["GET", "POST"])
def confirm_email(request, token):
    """The link in the booker's first email. GET shows a button rather than confirming at once,
    because mail scanners (Outlook's Safe Links among them) open every link in an email."""
    booking = links.booking_from_confirm_token(token, selectors.booking_queryset())
    if booking is None:
        raise Http404("This link is not valid.")
    lapsed = booking.awaits_email_confirmation and booking.status == BookingStatus.CANCELLED
    if request.method == "POST" or booking.email_confirmed_at is not None or lapsed:
        try:
            booking = services.booking_confirm_email(booking=booking)
        except services.BookingError as exc:
            return render(
                request,
                "booking/not_bookable.html",
                {"session": booking.session, "reason": exc.message, "title": "This booking has lapsed"},
                status=410,
            )
        return redirect("booking:confirmed", token=links.manage_token(booking))
    return render(request, "booking/confirm_email.html", {"booking": booking, "token": token})
