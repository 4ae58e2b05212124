"""Forms for working leads in the admin. They only collect input: the rules (a logged call needs
a next step or a closing status, a lost lead needs a reason, who may own a lead, what a new lead
gets) are the services', whose ValidationErrors are put back on these forms by
`add_service_errors`."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from .. import services
from ..models import HAND_ADDED_ORIGINS, Lead, LeadActivity, LeadOrigin, LeadStatus, LeadType


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date and time picker; values are Europe/London wall-clock times."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class SalesUserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return services.person_name(user)


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


CALL_STATUSES = [LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.PROPOSAL_SENT, LeadStatus.WON, LeadStatus.LOST]


class LogCallForm(LeadWorkForm):
    """A call closes the action it was for, so the form asks what happens next: a time to try
    again (not reached), a next action and its due time, or a closing status."""

    outcome = forms.ChoiceField(choices=LeadActivity.Outcome.choices, widget=forms.RadioSelect)
    text = forms.CharField(label="What was said", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    retry_at = forms.DateTimeField(
        label="Try again at",
        required=False,
        widget=LocalDateTimeInput(),
        help_text="No answer or voicemail: the lead is due again then.",
    )
    next_action = forms.CharField(
        label="Next action", max_length=200, required=False, help_text="For example: Send the proposal."
    )
    due_at = forms.DateTimeField(label="Due", required=False, widget=LocalDateTimeInput())
    status = forms.ChoiceField(label="Status after the call", required=False)
    lost_reason = forms.CharField(label="Reason (if lost)", max_length=300, required=False)

    groups = [
        (None, "", ["outcome", "text"]),
        (
            "What next",
            "A time to try again, or the next action and when it is due, or won or lost.",
            ["retry_at", "next_action", "due_at", "status", "lost_reason"],
        ),
    ]

    def __init__(self, *args, lead, **kwargs):
        super().__init__(*args, lead=lead, **kwargs)
        # The empty choice leaves the status to the call: a new lead reached becomes contacted,
        # one not reached "no answer"; a lead further on keeps its status.
        waiting = lead.status in (LeadStatus.NEW, LeadStatus.NO_ANSWER)
        keep = "Contacted (No answer if not reached)" if waiting else f"Keep: {lead.get_status_display()}"
        self.fields["status"].choices = [("", keep)] + [
            (status.value, status.label)
            for status in CALL_STATUSES
            if status != lead.status and not (waiting and status == LeadStatus.CONTACTED)
        ]

    def field_groups(self):
        """For _work_form.html: (legend, intro, bound fields) for each group of fields."""
        return [(legend, intro, [self[name] for name in names]) for legend, intro, names in self.groups]


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


# The lead's details ------------------------------------------------------------------------------


class LeadDetailsForm(forms.ModelForm):
    """The details form on the lead's page (LeadAdmin builds it from this). A callback slot
    changed here must be one still on offer: the lead's due time moves to it."""

    def clean(self):
        data = super().clean()
        slot = {"callback_date", "callback_period"}
        if self.instance.pk and self.instance.is_open and slot & set(self.changed_data):
            try:
                services.check_callback_slot(data.get("callback_date"), data.get("callback_period"))
            except ValidationError as exc:
                add_service_errors(self, exc)
        return data


# Adding a lead by hand ---------------------------------------------------------------------------

CONTACT_FIELDS = ["name", "job_title", "organisation", "organisation_type", "sector", "email", "phone"]
ENQUIRY_ONLY = ["courses", "staff_count", "preferred_town", "preferred_dates"]
CALLBACK_ONLY = ["callback_date", "callback_period", "topic"]


class LeadAddForm(forms.ModelForm):
    """A lead taken by phone, at an event or from a referral. The form checks the fields; the lead
    is made by services.lead_add, as the website's are (duplicates, SLA, round robin, timeline)."""

    lead_type = forms.ChoiceField(
        label="Type", choices=LeadType.choices, widget=forms.RadioSelect, initial=LeadType.ENQUIRY
    )
    origin = forms.ChoiceField(
        label="Came in by",
        choices=[(origin.value, origin.label) for origin in HAND_ADDED_ORIGINS],
        widget=forms.RadioSelect,
        initial=LeadOrigin.PHONE,
    )

    class Meta:
        model = Lead
        fields = ["lead_type", "origin", *CONTACT_FIELDS, *ENQUIRY_ONLY, "message", *CALLBACK_ONLY]
        widgets = {
            "courses": forms.CheckboxSelectMultiple,
            "phone": forms.TextInput(attrs={"type": "tel"}),
            "callback_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "message": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "phone": "A UK number, for example 01473 555012 or 07911 123456.",
            "callback_date": "If they asked for a time: the day and morning or afternoon. Otherwise leave both empty.",
        }

    fieldsets = [
        ("The lead", "", ["lead_type", "origin"]),
        ("Who", "An email address or a phone number, or both.", CONTACT_FIELDS),
        ("Enquiry", "For an enquiry about training.", ENQUIRY_ONLY),
        ("Callback", "For a request to be called back.", CALLBACK_ONLY),
        ("What they said", "", ["message"]),
    ]

    def __init__(self, *args, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        self.fields["phone"].validators += Lead._meta.get_field("phone").validators
        self.fields["courses"].queryset = (
            self.fields["courses"].queryset.filter(is_published=True).order_by("display_order", "title")
        )

    def _post_clean(self):
        # The lead is built and fully checked by the service; its errors come back field by field.
        pass

    def clean(self):
        data = super().clean()
        if not data.get("email") and not data.get("phone") and "phone" not in self.errors:
            for name in ["email", "phone"]:
                self.add_error(name, "Give an email address or a phone number (or both).")
        if data.get("lead_type") == LeadType.CALLBACK:
            self.clean_slot(data)
        return data

    def clean_slot(self, data):
        try:
            services.check_callback_slot(data.get("callback_date"), data.get("callback_period"), now=self.now)
        except ValidationError as exc:
            add_service_errors(self, exc)

    def lead_data(self):
        """The lead's fields for services.lead_add: the contact details, the message and those of
        its type (the other type's are ignored)."""
        skip = {
            "lead_type",
            "origin",
            "courses",
            *(CALLBACK_ONLY if self.cleaned_data["lead_type"] == LeadType.ENQUIRY else ENQUIRY_ONLY),
        }
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name not in skip}

    def lead_courses(self):
        return list(self.cleaned_data["courses"]) if self.cleaned_data["lead_type"] == LeadType.ENQUIRY else []

    def field_groups(self):
        return [(legend, intro, [self[name] for name in names]) for legend, intro, names in self.fieldsets]


class TakingLeadsForm(forms.Form):
    """A sales person switching themselves out of the round robin (holiday) and back."""

    taking = forms.TypedChoiceField(choices=[("1", "Taking new leads"), ("0", "Paused")], coerce=lambda v: v == "1")
