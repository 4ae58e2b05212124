"""The forms of the lead list's bulk actions that need more than forms.py's AssignForm and
LostReasonForm: the next step after marking leads contacted, and a status change.

What the services would refuse for every lead alike (a lost lead without a reason, "no answer"
without a future retry time, a next step due in the past) is asked for here, beside its field,
so a run over 5,000 leads is not refused 5,000 times; the services still decide for each lead."""

from django import forms
from django.utils import timezone

from ..models import LeadStatus
from .forms import LocalDateTimeInput


def _in_future(when):
    if when is not None and when <= timezone.now():
        raise forms.ValidationError("Choose a time in the future.")
    return when


class NextStepForm(forms.Form):
    next_action = forms.CharField(
        label="Next action", max_length=200, help_text="What happens next on each lead, e.g. Send the proposal."
    )
    due_at = forms.DateTimeField(label="Due", widget=LocalDateTimeInput(), help_text="UK time.")

    def clean_due_at(self):
        return _in_future(self.cleaned_data["due_at"])


class BulkStatusForm(forms.Form):
    status = forms.ChoiceField(label="New status", choices=LeadStatus.choices)
    lost_reason = forms.CharField(
        label="Reason (if lost)", max_length=300, required=False, help_text="Recorded on each lead's timeline."
    )
    retry_at = forms.DateTimeField(
        label="Try again at (if no answer)",
        required=False,
        widget=LocalDateTimeInput(),
        help_text="UK time.",
    )

    def clean(self):
        data = super().clean()
        status = data.get("status")
        if status == LeadStatus.LOST and not data.get("lost_reason", "").strip():
            self.add_error("lost_reason", "Give a reason when marking leads lost.")
        if status == LeadStatus.NO_ANSWER:
            if data.get("retry_at") is None:
                if "retry_at" not in self.errors:
                    self.add_error("retry_at", "Choose when to try again.")
            else:
                try:
                    _in_future(data["retry_at"])
                except forms.ValidationError as exc:
                    self.add_error("retry_at", exc)
        return data
