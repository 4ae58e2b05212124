from crispy_forms.helper import FormHelper
from django import forms
from django.forms import formset_factory

from .models import Booking, Delegate

MAX_DELEGATES = 30


class BookingForm(forms.ModelForm):
    join_waitlist = forms.BooleanField(
        label="If there are not enough seats, put us on the waiting list",
        required=False,
        help_text="A waiting-list booking holds no seats. We will email you as soon as places are yours.",
    )
    accept_terms = forms.BooleanField(
        label="I accept the booking terms, including the cancellation terms",
        required=True,
        error_messages={"required": "Please accept the booking terms to continue."},
    )

    class Meta:
        model = Booking
        fields = [
            "organisation",
            "organisation_type",
            "ods_code",
            "contact_name",
            "job_title",
            "contact_email",
            "contact_phone",
            "invoice_address",
            "purchase_order",
            "po_to_follow",
            "notes",
        ]
        labels = {
            "organisation": "Organisation name",
            "contact_name": "Your name",
            "contact_email": "Your email",
            "contact_phone": "Your phone number",
            "job_title": "Your job title",
            "po_to_follow": "PO to follow: I will send the purchase order number later",
            "notes": "Anything else we should know (optional)",
        }
        help_texts = {
            "ods_code": "Optional. NHS organisations only, for example RGT.",
            "contact_phone": "A UK number, for example 01473 555012 or 07911 123456.",
            "purchase_order": "As it appears on your PO.",
            "invoice_address": "Where we send the invoice, with postcode.",
        }
        widgets = {
            "invoice_address": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "contact_email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "contact_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "organisation": forms.TextInput(attrs={"autocomplete": "organization"}),
            "contact_phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation_type"].choices = [("", "Choose one")] + list(
            self.fields["organisation_type"].choices
        )[1:]
        # The model's own validators (ODS code, PO format) checked here, beside each field.
        for name in ["ods_code", "purchase_order", "contact_phone"]:
            self.fields[name].validators += Booking._meta.get_field(name).validators
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_ods_code(self):
        return self.cleaned_data["ods_code"].strip().upper()

    def clean(self):
        data = super().clean()
        purchase_order = (data.get("purchase_order") or "").strip()
        if purchase_order and data.get("po_to_follow"):
            self.add_error("po_to_follow", "Give a purchase order number or choose 'PO to follow', not both.")
        elif not purchase_order and not data.get("po_to_follow"):
            self.add_error(
                "purchase_order", "Give a purchase order number, or choose 'PO to follow' if you will send it later."
            )
        return data

    def _post_clean(self):
        # The booking is built by the service; skip the model's own validation of a half-made row.
        pass


class DelegateForm(forms.ModelForm):
    class Meta:
        model = Delegate
        fields = ["name", "email", "job_role", "adjustments"]
        labels = {"name": "Full name", "adjustments": "Access needs or reasonable adjustments (optional)"}
        widgets = {"adjustments": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def _post_clean(self):
        pass


class BaseDelegateFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        emails = [form.cleaned_data["email"].lower() for form in self.forms if form.cleaned_data]
        repeated = sorted({email for email in emails if emails.count(email) > 1})
        if repeated:
            raise forms.ValidationError(
                f"Each delegate needs their own email address: {', '.join(repeated)} appears more than once."
            )


DelegateFormSet = formset_factory(
    DelegateForm,
    formset=BaseDelegateFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=MAX_DELEGATES,
    validate_max=True,
)


class PurchaseOrderForm(forms.Form):
    purchase_order = forms.CharField(
        label="Purchase order number", max_length=50, validators=Booking._meta.get_field("purchase_order").validators
    )


class SubstituteForm(DelegateForm):
    class Meta(DelegateForm.Meta):
        labels = {"name": "New delegate's full name", "email": "New delegate's email"}


class CancelForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, cancel this booking",
        error_messages={"required": "Tick the box to confirm the cancellation."},
    )
    reason = forms.CharField(label="Reason (optional)", max_length=300, required=False)
