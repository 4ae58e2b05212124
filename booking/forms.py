from crispy_forms.helper import FormHelper
from django import forms
from django.forms import formset_factory

from core.forms import EMAIL_FORMAT, ErrorSummaryMixin, require_po_or_to_follow

from .models import Booking, Delegate

MAX_DELEGATES = 30


class BookingForm(ErrorSummaryMixin, forms.ModelForm):
    join_waitlist = forms.BooleanField(
        label="If there are not enough seats, put us on the waiting list",
        required=False,
        help_text="A waiting-list booking holds no seats. We will email you as soon as places are yours.",
    )
    accept_terms = forms.BooleanField(
        label="I accept the booking terms, including the cancellation terms",
        required=True,
        error_messages={"required": "Accept the booking terms to continue"},
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
        error_messages = {
            "organisation": {
                "required": "Enter your organisation's name",
                "max_length": "Organisation name must be 200 characters or fewer",
            },
            "organisation_type": {
                "required": "Choose the type of organisation",
                "invalid_choice": "Choose the type of organisation",
            },
            "contact_name": {"required": "Enter your name", "max_length": "Your name must be 150 characters or fewer"},
            "job_title": {"max_length": "Your job title must be 150 characters or fewer"},
            "contact_email": {"required": "Enter your email address", "invalid": EMAIL_FORMAT},
            "contact_phone": {
                "required": "Enter your phone number",
                "invalid": "Enter a UK phone number, like 01473 555012 or 07911 123456",
            },
            "invoice_address": {"required": "Enter the invoice address"},
            "purchase_order": {"max_length": "The purchase order number must be 50 characters or fewer"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation_type"].choices = [("", "Choose one")] + list(
            self.fields["organisation_type"].choices
        )[1:]
        # The model's own validators (ODS code, PO format, UK phone) checked here, beside each
        # field; those the form field already runs are not added twice (one message per problem).
        for name in ["ods_code", "purchase_order", "contact_phone"]:
            field = self.fields[name]
            field.validators += [v for v in Booking._meta.get_field(name).validators if v not in field.validators]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    # On the booking page the delegates come between the purchase order and these.
    fields_after_delegates = {"notes", "join_waitlist", "accept_terms"}

    def error_summary(self, delegates=None):
        """With the delegates' formset: the whole booking page's problems, in the page's order."""
        rows = super().error_summary()
        if delegates is None:
            return rows
        later = [row for row in rows if row["field"] in self.fields_after_delegates]
        return [row for row in rows if row not in later] + delegates.error_summary() + later

    def clean_ods_code(self):
        return self.cleaned_data["ods_code"].strip().upper()

    def clean(self):
        data = super().clean()
        require_po_or_to_follow(self, data)
        return data

    def _post_clean(self):
        # The booking is built by the service; skip the model's own validation of a half-made row.
        pass


class DelegateForm(ErrorSummaryMixin, forms.ModelForm):
    class Meta:
        model = Delegate
        fields = ["name", "email", "job_role", "adjustments"]
        labels = {"name": "Full name", "adjustments": "Access needs or reasonable adjustments (optional)"}
        widgets = {"adjustments": forms.Textarea(attrs={"rows": 2})}
        error_messages = {
            "name": {
                "required": "Enter the delegate's full name",
                "max_length": "The delegate's name must be 150 characters or fewer",
            },
            "email": {
                "required": "Enter the delegate's email address",
                "invalid": "Enter the delegate's email address in the correct format, like name@example.com",
            },
            "job_role": {"max_length": "The job role must be 150 characters or fewer"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def _post_clean(self):
        pass


class BaseDelegateFormSet(forms.BaseFormSet):
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_few_forms": "Add at least one delegate",
        "too_many_forms": f"You can book up to {MAX_DELEGATES} delegates at once",
    }

    def clean(self):
        if any(self.errors):
            return
        # A repeated address is shown on the repeating row, so the summary links to that field.
        first_row = {}
        for number, form in enumerate(self.forms, start=1):
            email = (form.cleaned_data or {}).get("email", "").lower()
            if not email:
                continue
            if email in first_row:
                form.add_error(
                    "email",
                    f"Each delegate needs their own email address: {email} is already delegate {first_row[email]}'s",
                )
            else:
                first_row[email] = number

    def full_clean(self):
        super().full_clean()
        # A left-empty row is counted as no row at all, so Django adds "too few" on top of that
        # row's own "Enter the delegate's full name". The row's messages say it better.
        if self.is_bound and self.forms and any(self._errors):
            kept = [e for e in self._non_form_errors.as_data() if e.code != "too_few_forms"]
            self._non_form_errors = self.error_class(kept, error_class="nonform", renderer=self.renderer)

    def error_summary(self):
        """Each row's problems ("Delegate 2: Enter the delegate's email address"), then the
        formset's own ("Add at least one delegate"), linked to the delegates' first field."""
        rows = []
        for number, form in enumerate(self.forms, start=1):
            form.summary_prefix = f"Delegate {number}: " if self.total_form_count() > 1 else ""
            rows += form.error_summary()
        anchor = self.forms[0]["name"].auto_id if self.forms else "add-delegate"
        rows += [{"field": None, "anchor": anchor, "message": error} for error in self.non_form_errors()]
        return rows


DelegateFormSet = formset_factory(
    DelegateForm,
    formset=BaseDelegateFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=MAX_DELEGATES,
    validate_max=True,
)


class PurchaseOrderForm(ErrorSummaryMixin, forms.Form):
    purchase_order = forms.CharField(
        label="Purchase order number",
        max_length=50,
        validators=Booking._meta.get_field("purchase_order").validators,
        error_messages={
            "required": "Enter your purchase order number",
            "max_length": "The purchase order number must be 50 characters or fewer",
        },
    )


class SubstituteForm(DelegateForm):
    class Meta(DelegateForm.Meta):
        labels = {"name": "New delegate's full name", "email": "New delegate's email"}
        error_messages = {
            **DelegateForm.Meta.error_messages,
            "name": {**DelegateForm.Meta.error_messages["name"], "required": "Enter the new delegate's full name"},
            "email": {
                "required": "Enter the new delegate's email address",
                "invalid": "Enter the new delegate's email address in the correct format, like name@example.com",
            },
        }


class CancelForm(ErrorSummaryMixin, forms.Form):
    confirm = forms.BooleanField(
        label="Yes, cancel this booking",
        error_messages={"required": "Tick the box to confirm the cancellation"},
    )
    reason = forms.CharField(
        label="Reason (optional)",
        max_length=300,
        required=False,
        error_messages={"max_length": "The reason must be 300 characters or fewer"},
    )


class NewLinkForm(forms.Form):
    reference = forms.CharField(
        label="Booking reference",
        max_length=12,
        help_text="8 letters and numbers, for example K7PX3M9Q. It is in your confirmation email.",
        error_messages={"required": "Enter your booking reference"},
    )
    email = forms.EmailField(
        label="Your email address",
        help_text="The address the booking confirmation was sent to.",
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_reference(self):
        return "".join(self.cleaned_data["reference"].split()).upper()


class RegistrationForm(ErrorSummaryMixin, forms.ModelForm):
    """One person registering themselves for an in-house course, from its private link."""

    class Meta:
        model = Delegate
        fields = ["name", "email", "job_role", "adjustments"]
        labels = {
            "name": "Your full name",
            "email": "Your email address",
            "job_role": "Your job role (optional)",
            "adjustments": "Access needs or reasonable adjustments (optional)",
        }
        help_texts = {
            "name": "As it should appear on your certificate.",
            "email": "We send your joining instructions and a calendar invite here.",
            "adjustments": "Anything that would help you take part fully, for example for access, hearing, sight or "
            "a health condition.",
        }
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
            "job_role": forms.TextInput(attrs={"autocomplete": "organization-title"}),
            "adjustments": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "name": {"required": "Enter your full name", "max_length": "Your name must be 150 characters or fewer"},
            "email": {"required": "Enter your email address", "invalid": EMAIL_FORMAT},
            "job_role": {"max_length": "Your job role must be 150 characters or fewer"},
            "adjustments": {"max_length": "Access needs must be 1,000 characters or fewer"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def _post_clean(self):
        # The delegate is made by the service (booking.services.in_house_register).
        pass
