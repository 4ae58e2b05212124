"""The attendance form for one day of a session, and the page's days in the order they are
marked. The trainer's phone page and the office's admin page both use them (and the template
partial records/_attendance_day.html), so the two never drift apart."""

import re
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.forms import ErrorSummaryMixin
from core.templatetags.uk import uk_date

from .models import AttendanceStatus
from .services.attendance import attendance_mark, attendance_marks, day_can_be_marked, session_delegates


class AttendanceDayForm(ErrorSummaryMixin, forms.Form):
    """One radio group per delegate on the session for one day. Nobody is preselected: a mark
    the trainer did not choose could earn or cost a certificate. Unchosen people stay unmarked."""

    def __init__(self, *args, day, delegates, marks=None, **kwargs):
        kwargs.setdefault("prefix", f"day{day.pk}")
        super().__init__(*args, **kwargs)
        self.day = day
        marks = marks or {}
        for delegate in delegates:
            self.fields[f"d{delegate.pk}"] = forms.ChoiceField(
                label=delegate.name,
                choices=AttendanceStatus.choices,
                required=False,
                widget=forms.RadioSelect,
                initial=marks.get((delegate.pk, day.pk)),
                error_messages={"invalid_choice": f"Choose attended, absent or left early for {delegate.name}"},
            )
            self.fields[f"d{delegate.pk}"].delegate = delegate

    def marks(self):
        """{delegate_id: status} as chosen. Marks posted for someone who is no longer on the
        session (removed after the page was shown) are kept, so the service refuses the save
        with its own message rather than the mark vanishing without a word."""
        chosen = {int(name[1:]): value for name, value in self.cleaned_data.items() if name.startswith("d") and value}
        pattern = re.compile(rf"^{re.escape(self.prefix)}-d([1-9]\d{{0,17}})$")
        for key in self.data:
            found = pattern.match(key)
            if found and f"d{found[1]}" not in self.fields and self.data.get(key):
                chosen[int(found[1])] = self.data[key]
        return chosen


@dataclass
class DayPanel:
    day: object
    number: int
    can_mark: bool
    form: AttendanceDayForm | None
    marked: int
    expected: int
    missing: list = field(default_factory=list)
    rows: list = field(default_factory=list)  # [(delegate, "Attended" or None)], for reading only

    @property
    def opens_on(self):
        return uk_date(timezone.localtime(self.day.starts_at))

    @property
    def anchor(self):
        return f"day-{self.number}"


def _label(status):
    return AttendanceStatus(status).label if status else None


def attendance_page(session, *, now=None, bound=None):
    """What both pages show: the delegates, the days as panels (the latest day that can be marked
    first, then the earlier ones, then the days still to come), and the totals. `bound` is a
    posted AttendanceDayForm to show in place of its day's fresh form."""
    now = now or timezone.now()
    delegates = list(session_delegates(session))
    marks = attendance_marks(session)
    days = list(session.days.all())
    panels = []
    for number, day in enumerate(days, 1):
        can_mark = not session.is_cancelled and day_can_be_marked(day, now)
        form = None
        if can_mark:
            if bound is not None and bound.day.pk == day.pk:
                form = bound
            else:
                form = AttendanceDayForm(day=day, delegates=delegates, marks=marks)
        missing = [delegate for delegate in delegates if (delegate.pk, day.pk) not in marks]
        panels.append(
            DayPanel(
                day=day,
                number=number,
                can_mark=can_mark,
                form=form,
                marked=len(delegates) - len(missing),
                expected=len(delegates),
                missing=missing,
                rows=[(d, _label(marks.get((d.pk, day.pk)))) for d in delegates],
            )
        )
    open_days = [panel for panel in panels if panel.can_mark]
    ordered = list(reversed(open_days)) + [panel for panel in panels if not panel.can_mark]
    marked = sum(panel.marked for panel in panels)
    expected = sum(panel.expected for panel in panels)
    return {
        "session": session,
        "delegates": delegates,
        "panels": ordered,
        "current": open_days[-1] if open_days else None,
        "marked": marked,
        "expected": expected,
        "missing_days": [panel for panel in panels if panel.missing],
        "certificates": list(session.certificates.order_by("holder_name")) if session.completed_at else [],
        "day_count": len(days),
    }


def posted_day(session, data):
    """The day a form was posted for, or None when the post names no day of this session."""
    value = data.get("day", "")
    if not (value.isascii() and value.isdigit()):
        return None
    return session.days.filter(pk=int(value)).first()


def attendance_form_save(session, data, *, actor):
    """Validate and save one posted day through attendance_mark(). Returns (form, message): the
    form with its errors and None, or the form and the words of the success message. (None,
    None) when the post names no day of this session."""
    day = posted_day(session, data)
    if day is None:
        return None, None
    form = AttendanceDayForm(data, day=day, delegates=session_delegates(session))
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
    marked = sum((delegate.pk, day.pk) in marks for delegate in delegates)
    message = f"Attendance saved for day {number}: {marked} of {len(delegates)} marked."
    if session.completed_at:
        message += " Attendance is complete for every day."
        if issued:
            message += f" Certificates issued: {len(issued)}."
    return form, message
