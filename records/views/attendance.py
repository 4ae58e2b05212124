"""The trainer's attendance page, from the signed link in their email (records/links.py): no
sign-in, made for a phone. One form per day; each save goes through attendance_mark(), which
completes the session once every person has a mark for every day."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.views import private_page

from .. import links
from ..forms_attendance import attendance_form_save, attendance_page


def _session_for(token):
    session = links.session_from_attendance_token(token)
    if session is None:
        raise Http404("This link is not valid.")
    return session


def trainer_actor(session):
    return f"{session.trainer.name} (trainer)" if session.trainer else "Trainer (attendance link)"


@private_page
@require_http_methods(["GET", "POST"])
def take(request, token):
    session = _session_for(token)
    bound = None
    status = 200
    if request.method == "POST":
        bound, saved = attendance_form_save(session, request.POST, actor=trainer_actor(session))
        if saved:
            messages.success(request, saved)
            return redirect("records:attendance", token=token)
        if bound is None:
            messages.error(request, "That day is not part of this course: reload the page.")
        session = _session_for(token)  # a completion or cancellation meanwhile shows
        status = 400
    context = attendance_page(session, bound=bound)
    context.update(
        {
            "token": token,
            "action": request.path,
            "can_mark": True,
            "error_summary": bound.error_summary() if bound is not None else [],
        }
    )
    return render(request, "records/attendance.html", context, status=status)
