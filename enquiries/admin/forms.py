"""Small forms for working a lead in the admin. They only collect input: the rules (a lost lead
needs a reason, 'no answer' is for callbacks and needs a future retry time, who may own a lead)
are the services', whose ValidationErrors are put back on these forms by `add_service_errors`."""

from django import forms

from .. import services
from ..models import LeadActivity, LeadStatus


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date and time picker; values are Europe/London wall-clock times."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class SalesUserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.get_username()


def add_service_errors(form, exc):
    """Show a service's ValidationError beside the form's matching fields (else on the form)."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, messages in errors.items():
        form.add_error(field if field in form.fields else None, messages)


# Bulk actions --------------------------------------------------------------------------------------


class AssignForm(forms.Form):
    owner = SalesUserChoiceField(queryset=None, label="Assign to", empty_label=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = services.sales_staff()


class LostReasonForm(forms.Form):
    reason = forms.CharField(
        label="Why were they lost?", max_length=300, help_text="Required. Recorded on each lead's timeline."
    )


# The lead's page ----------------------------------------------------------------------------------


class LeadWorkForm(forms.Form):
    def __init__(self, *args, lead, **kwargs):
        self.lead = lead
        super().__init__(*args, **kwargs)


class LogCallForm(LeadWorkForm):
    outcome = forms.ChoiceField(choices=LeadActivity.Outcome.choices, widget=forms.RadioSelect)
    text = forms.CharField(label="What was said", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    retry_at = forms.DateTimeField(
        label="Try again at",
        required=False,
        widget=LocalDateTimeInput(),
        help_text="Callbacks not reached: the lead becomes 'No answer' and is due again then.",
    )


class ChangeStatusForm(LeadWorkForm):
    status = forms.ChoiceField(choices=LeadStatus.choices)
    lost_reason = forms.CharField(label="Reason (if lost)", max_length=300, required=False)
    retry_at = forms.DateTimeField(label="Try again at (if no answer)", required=False, widget=LocalDateTimeInput())

    def __init__(self, *args, lead, **kwargs):
        super().__init__(*args, lead=lead, **kwargs)
        self.fields["status"].initial = lead.status


class LeadAssignForm(LeadWorkForm):
    owner = SalesUserChoiceField(queryset=None, label="Owner", required=False, empty_label="Nobody (unassigned)")

    def __init__(self, *args, lead, **kwargs):
        super().__init__(*args, lead=lead, **kwargs)
        people = services.sales_staff()
        if lead.owner_id:
            # The current owner stays choosable even if they have since left the Sales group.
            people = people | type(lead.owner).objects.filter(pk=lead.owner_id)
        self.fields["owner"].queryset = people.distinct()
        self.fields["owner"].initial = lead.owner_id


class NextActionForm(LeadWorkForm):
    next_action = forms.CharField(label="Next action", max_length=200, required=False)
    due_at = forms.DateTimeField(label="Due", required=False, widget=LocalDateTimeInput())

    def __init__(self, *args, lead, **kwargs):
        super().__init__(*args, lead=lead, **kwargs)
        self.fields["next_action"].initial = lead.next_action
        self.fields["due_at"].initial = lead.due_at


class NoteForm(LeadWorkForm):
    text = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3}), required=False)


class LinkBookingForm(LeadWorkForm):
    reference = forms.CharField(label="Booking reference", max_length=12, help_text="For example K7PX3M9Q.")


class DuplicateForm(LeadWorkForm):
    decision = forms.ChoiceField(choices=[("merge", "Merge"), ("keep_apart", "Keep apart")])
