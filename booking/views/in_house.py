"""An in-house course's private registration page: each of the client's staff registers
themselves from the link their coordinator shared (booking/links.py registration_token).

The page names the coordinator to ask when the course is full or registration has closed. The
coordinator's own view of the register is the host booking's manage page (manage.py).
"""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.views import private_page

from .. import links, selectors, services
from ..forms import RegistrationForm
from ..services.in_house import course_full_message, registration_closed_reason

# The session key of the success page: who has just registered, shown once.
REGISTERED_KEY = "registered-{}"


def _session_for(token):
    session = links.session_from_registration_token(token, selectors.session_list().select_related("trainer"))
    if session is None:
        raise Http404("This link is not valid.")
    return session


def _page(request, token, session, form, *, status=200):
    booking = services.host_booking(session)
    reason = registration_closed_reason(session, booking)
    full = reason is None and session.seats_remaining <= 0
    return render(
        request,
        "booking/register.html",
        {
            "session": session,
            "booking": booking,
            "token": token,
            "form": form,
            "closed_reason": reason[1] if reason else None,
            "full_message": course_full_message(session, booking) if full else None,
            "error_summary": form.error_summary() if form.is_bound else [],
        },
        status=status,
    )


@private_page
@require_http_methods(["GET", "POST"])
def register(request, token):
    session = _session_for(token)
    if request.method == "GET":
        return _page(request, token, session, RegistrationForm())
    form = RegistrationForm(request.POST)
    if not form.is_valid():
        return _page(request, token, session, form, status=400)
    try:
        delegate = services.in_house_register(
            session=session, actor="delegate (registration link)", **form.cleaned_data
        )
    except services.BookingError:
        # Full, closed or cancelled since the page was shown: the page now says so.
        return _page(request, token, _session_for(token), form, status=409)
    except ValidationError as exc:
        for field, messages_ in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
        return _page(request, token, session, form, status=400)
    request.session[REGISTERED_KEY.format(session.pk)] = {"name": delegate.name, "email": delegate.email}
    return redirect("booking:registered", token=token)


@private_page
@require_http_methods(["GET"])
def registered(request, token):
    session = _session_for(token)
    delegate = request.session.pop(REGISTERED_KEY.format(session.pk), None)
    if delegate is None:
        return redirect("booking:register", token=token)
    return render(
        request,
        "booking/registered.html",
        {"session": session, "booking": services.host_booking(session), "delegate": delegate, "token": token},
    )
