"""The trainer's attendance page, from the signed link in their email (records/links.py): no
sign-in, made for a phone. One form per day; each save goes through attendance_mark(), which
completes the session once every person has a mark for every day."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.views import private_page

from .. import links
from ..forms_attendance import AttendanceDayForm, attendance_page
from ..services.attendance import attendance_mark, attendance_marks, session_delegates


def _session_for(token):
    session = links.session_from_attendance_token(token)
    if session is None:
        raise Http404("This link is not valid.")
    return session


def trainer_actor(session):
    return f"{session.trainer.name} (trainer)" if session.trainer else "Trainer (attendance link)"


def posted_day(session, request):
    """The day a form was posted for, or None when the post names no day of this session."""
    value = request.POST.get("day", "")
    if not (value.isascii() and value.isdigit()):
        return None
    return session.days.filter(pk=int(value)).first()


def save_day(session, request, *, actor):
    """Validate and save one posted day. Returns (form, saved summary or None): the form to show
    again with its errors, or None and the words of the success message."""
    day = posted_day(session, request)
    if day is None:
        return None, None
    form = AttendanceDayForm(request.POST, day=day, delegates=session_delegates(session))
    if not form.is_valid():
        return form, None
    try:
        issued = attendance_mark(session=session, day=day, marks=form.marks(), actor=actor)
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return form, None
    session.refresh_from_db(fields=["completed_at"])
    number = list(session.days.values_list("pk", flat=True)).index(day.pk) + 1
    marks, delegates = attendance_marks(session), list(session_delegates(session))
    marked, expected = sum((delegate.pk, day.pk) in marks for delegate in delegates), len(delegates)
    text = f"Attendance saved for day {number}: {marked} of {expected} marked."
    if session.completed_at:
        text += " Attendance is complete for every day."
        if issued:
            text += f" Certificates issued: {len(issued)}."
    return form, text


@private_page
@require_http_methods(["GET", "POST"])
def take(request, token):
    session = _session_for(token)
    bound = None
    status = 200
    if request.method == "POST":
        bound, saved = save_day(session, request, actor=trainer_actor(session))
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
