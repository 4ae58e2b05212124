"""The client's acceptance form on the quote's signed link. It collects input; the rules (who may
accept, when, with which date) are quote_accept's, whose refusals come back beside the fields."""

from crispy_forms.helper import FormHelper
from django import forms

from booking.models import INVOICE_ADDRESS_MAX
from core.forms import EMAIL_FORMAT, ErrorSummaryMixin, require_po_or_to_follow

from .display import date_choice_label


class AcceptForm(ErrorSummaryMixin, forms.Form):
    proposed_date = forms.TypedChoiceField(
        label="Choose a date",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose one of the proposed dates",
            "invalid_choice": "Choose one of the proposed dates",
        },
    )
    name = forms.CharField(
        label="Your name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Enter your name", "max_length": "Your name must be 150 characters or fewer"},
    )
    job_title = forms.CharField(
        label="Your job title",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
        error_messages={
            "required": "Enter your job title",
            "max_length": "Your job title must be 150 characters or fewer",
        },
    )
    email = forms.EmailField(
        label="Your email",
        help_text="We send the record of this acceptance, and the link for your staff to register, here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"required": "Enter your email address", "invalid": EMAIL_FORMAT},
    )
    phone = forms.CharField(
        label="Your phone number (optional)",
        max_length=30,
        required=False,
        help_text="A UK number, for example 01473 555012. Leave it blank to use the number on your enquiry.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    purchase_order = forms.CharField(
        label="Purchase order number",
        max_length=50,
        required=False,
        help_text="As it appears on your PO.",
        error_messages={"max_length": "The purchase order number must be 50 characters or fewer"},
    )
    po_to_follow = forms.BooleanField(label="PO to follow: I will send the purchase order number later", required=False)
    invoice_address = forms.CharField(
        label="Invoice address",
        max_length=INVOICE_ADDRESS_MAX,
        help_text="Where we send the invoice, with postcode.",
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
        error_messages={
            "required": "Enter the invoice address",
            "max_length": f"The invoice address must be {INVOICE_ADDRESS_MAX} characters or fewer",
        },
    )
    confirm = forms.BooleanField(
        required=True,
        error_messages={"required": "Confirm that you can accept this quote for your organisation"},
    )

    def __init__(self, *args, quote, **kwargs):
        super().__init__(*args, **kwargs)
        self.quote = quote
        if quote.dates_to_be_agreed:
            del self.fields["proposed_date"]
        else:
            self.fields["proposed_date"].choices = [
                (date.pk, date_choice_label(quote, date)) for date in quote.proposed_dates.all()
            ]
        self.fields[
            "confirm"
        ].label = (
            f"I can accept this quote for {quote.organisation}, on the terms shown (version {quote.terms_version})"
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self):
        data = super().clean()
        require_po_or_to_follow(self, data)
        return data

    def acceptance(self):
        """quote_accept's keyword arguments from the cleaned form."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "job_title": data["job_title"],
            "email": data["email"],
            "phone": data["phone"],
            "purchase_order": data["purchase_order"],
            "po_to_follow": data["po_to_follow"],
            "invoice_address": data["invoice_address"],
            "proposed_date": data.get("proposed_date"),
        }

    def add_service_errors(self, exc):
        """quote_accept's ValidationError beside the fields it names (else above the form)."""
        errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
        for field, messages in errors.items():
            self.add_error(field if field in self.fields else None, messages)
