"""The public lead forms: in-house training enquiry, "Let's talk" callback request and newsletter
sign-up.

The forms check the fields (required, lengths, UK phone numbers, offered callback slots); the
services in enquiries/services.py do everything else. Each form carries the spam fields of
core/spam.py: a honeypot and the signed time the form was shown.
"""

from crispy_forms.helper import FormHelper
from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core import business_hours, spam
from courses.models import Course
from courses.selectors import sector_list

from .models import Lead, Setting

TIMESTAMP_FIELD = "rendered_at"
ASAP = "asap"
MESSAGE_MAX_LENGTH = 3000
MAX_STAFF = 10000


def _consent_label(purpose):
    return format_html(
        'I agree that you may {} and keep my details as set out in the <a href="{}" target="_blank">privacy notice'
        '<span class="visually-hidden"> (opens in a new tab)</span></a>.',
        purpose,
        reverse("enquiries:privacy"),
    )


def _consent_field():
    # The label, with its link, is set when the form is made: URLs cannot be reversed at import.
    return forms.BooleanField(
        required=True,
        error_messages={"required": "Please tick the box so that we can contact you."},
    )


def _choose_one(field, text="Choose one"):
    if hasattr(field, "empty_label"):
        field.empty_label = text
    else:
        field.choices = [("", text), *[choice for choice in field.choices if choice[0] != ""]]


class SpamFieldsMixin(forms.Form):
    """The honeypot (people never see it: templates/enquiries/_spam_fields.html hides it) and the
    signed time the form was shown. The view checks both before anything else."""

    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    rendered_at = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput, initial=spam.form_timestamp)

    spam_fields = (spam.HONEYPOT_FIELD, TIMESTAMP_FIELD)
    consent_purpose = ""
    summary_labels = {"consent": "Consent"}  # labels too long, or holding a link, for the summary

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "consent" in self.fields:
            self.fields["consent"].label = _consent_label(self.consent_purpose)

    def check_spam(self):
        """Raise spam.Rejected for a filled honeypot or a form sent too soon (or long) after it was shown."""
        spam.check_honeypot(self.data.get(spam.HONEYPOT_FIELD, ""))
        spam.check_min_time(self.data.get(TIMESTAMP_FIELD, ""))

    def renew_spam_fields(self):
        """Before showing a bound form again: a fresh timestamp and an empty honeypot, so a person
        correcting their details can send it (errors are already worked out and stay)."""
        self.data = self.data.copy()
        self.data[TIMESTAMP_FIELD] = spam.form_timestamp()
        self.data[spam.HONEYPOT_FIELD] = ""

    def visible_error_fields(self):
        """(field, anchor) for each field with an error, for the error summary's links."""
        rows = []
        for name, errors in self.errors.items():
            if name in self.spam_fields or name not in self.fields:
                continue
            bound = self[name]
            anchor = bound.auto_id + "_0" if bound.field.widget.use_fieldset else bound.auto_id
            label = self.summary_labels.get(name, bound.label)
            rows.append({"label": label, "errors": errors, "anchor": anchor})
        return rows


def _helper():
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class EnquiryForm(SpamFieldsMixin, forms.ModelForm):
    """An in-house training enquiry."""

    courses = forms.ModelMultipleChoiceField(
        label="Courses you are interested in (optional)",
        queryset=Course.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    settings_worked_in = forms.MultipleChoiceField(
        label="Where do your staff work? (optional)",
        choices=Setting.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    staff_count = forms.IntegerField(
        label="Number of staff to train (optional)",
        required=False,
        min_value=1,
        max_value=MAX_STAFF,
        help_text="An estimate is fine.",
    )
    message = forms.CharField(
        label="Tell us more (optional)",
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="For example, incidents your staff face or what you would like them to be able to do.",
    )
    consent = _consent_field()
    consent_purpose = "contact me about this enquiry"

    class Meta:
        model = Lead
        fields = [
            "name",
            "job_title",
            "organisation",
            "organisation_type",
            "sector",
            "email",
            "phone",
            "courses",
            "staff_count",
            "preferred_town",
            "preferred_dates",
            "settings_worked_in",
            "lone_working",
            "restrictive_practices",
            "previous_training",
            "message",
            "heard_about",
        ]
        labels = {
            "name": "Your name",
            "job_title": "Your job title (optional)",
            "organisation": "Organisation name",
            "organisation_type": "Type of organisation (optional)",
            "sector": "Sector (optional)",
            "email": "Your email",
            "phone": "Your phone number (optional)",
            "preferred_town": "Town or site for the training (optional)",
            "preferred_dates": "Preferred dates (optional)",
            "lone_working": "Some staff work alone (lone working)",
            "restrictive_practices": "Restrictive practices or physical intervention are used",
            "previous_training": "Training your staff have had before (optional)",
            "heard_about": "How did you hear about us? (optional)",
        }
        help_texts = {
            "phone": "A UK number, for example 01473 555012 or 07911 123456.",
            "preferred_dates": "For example: a weekday in March, or two half days after the school term ends.",
            "previous_training": "For example: conflict resolution e-learning in 2024.",
        }
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "job_title": forms.TextInput(attrs={"autocomplete": "organization-title"}),
            "organisation": forms.TextInput(attrs={"autocomplete": "organization"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["courses"].queryset = Course.objects.filter(is_published=True).order_by("display_order", "title")
        self.fields["sector"].queryset = sector_list()
        _choose_one(self.fields["organisation_type"])
        _choose_one(self.fields["sector"], "Choose a sector")
        _choose_one(self.fields["heard_about"])
        # The web form asks for what we need to reply; the model allows less (callbacks, the API).
        self.fields["organisation"].required = True
        self.fields["email"].required = True
        # ModelForm does not run the model's validators when _post_clean is skipped: add them here.
        self.fields["phone"].validators += Lead._meta.get_field("phone").validators
        self.helper = _helper()

    def _post_clean(self):
        # The lead is built and fully validated by the service.
        pass

    def lead_data(self):
        """The lead's fields for enquiries.services.enquiry_submit (courses go separately)."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name != "courses"}


class CallbackForm(SpamFieldsMixin, forms.ModelForm):
    """A "Let's talk" callback request."""

    slot = forms.ChoiceField(
        label="When is best to call?",
        widget=forms.RadioSelect,
        initial=ASAP,
        error_messages={
            "required": "Choose when we should call you.",
            "invalid_choice": "That time is no longer available. Please choose another.",
        },
    )
    consent = _consent_field()
    consent_purpose = "call me about my request"

    class Meta:
        model = Lead
        fields = ["name", "phone", "organisation", "topic"]
        labels = {
            "name": "Your name",
            "phone": "Your phone number",
            "organisation": "Organisation (optional)",
            "topic": "What would you like to talk about? (optional)",
        }
        help_texts = {"phone": "A UK number, for example 01473 555012 or 07911 123456."}
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "organisation": forms.TextInput(attrs={"autocomplete": "organization"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        }

    def __init__(self, *args, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        now = now or timezone.now()
        hours = f"{business_hours.sla_working_time().total_seconds() / 3600:g}"
        plural = "" if hours == "1" else "s"
        # Only the slots offered now are accepted, so every slot chosen is one the SLA clock honours.
        self.fields["slot"].choices = [
            (ASAP, f"As soon as possible (within {hours} working hour{plural})"),
            *business_hours.callback_slots(now),
        ]
        self.fields["phone"].required = True
        self.fields["phone"].validators += Lead._meta.get_field("phone").validators
        self.helper = _helper()

    def _post_clean(self):
        pass

    def lead_data(self):
        """The lead's fields for enquiries.services.callback_submit, the slot as date and period."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        slot = self.cleaned_data["slot"]
        if slot != ASAP:
            data["callback_date"], data["callback_period"] = business_hours.parse_slot(slot)
        return data


class NewsletterForm(SpamFieldsMixin, forms.Form):
    email = forms.EmailField(
        label="Your email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    name = forms.CharField(
        label="Your name (optional)",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    sector = forms.ModelChoiceField(
        label="Your sector (optional)",
        queryset=sector_list(),
        required=False,
        empty_label="Choose a sector",
        help_text="So that we can send you what is most relevant.",
    )
    consent = _consent_field()
    consent_purpose = "email me the newsletter"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].queryset = sector_list()
        self.helper = _helper()
