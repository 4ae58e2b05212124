"""A lead as the staff endpoints answer it: in the list, in detail with its timeline, and the
answer when a lead can no longer be worked."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from booking.models import OrganisationType
from core.api import LocalDateTimeField

from .. import services
from ..models import CallbackPeriod, HeardAbout, Lead, LeadActivity, LeadType, Setting
from .common import LeadStatusField


@extend_schema_field({"oneOf": [{"type": "string", "format": "email"}, {"type": "string", "maxLength": 0}]})
class EmailOrEmptyField(serializers.EmailField):
    """An email address, or empty (a callback may come with a phone number only)."""


class UserSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="The user's id.")
    username = serializers.CharField(read_only=True, help_text="The user's username.")
    name = serializers.SerializerMethodField(help_text="Full name, or the username when none is set.")

    def get_name(self, user) -> str:
        return services.person_name(user)


class LeadActivitySerializer(serializers.Serializer):
    at = LocalDateTimeField(source="created_at", read_only=True, help_text="When, UK time with its offset.")
    kind = serializers.ChoiceField(choices=LeadActivity.Kind.choices, read_only=True, help_text="What happened.")
    outcome = serializers.ChoiceField(
        choices=LeadActivity.Outcome.choices, allow_blank=True, read_only=True, help_text="For calls; else empty."
    )
    text = serializers.CharField(read_only=True, help_text="The note, or what changed.")
    author = UserSummarySerializer(read_only=True, allow_null=True, help_text="Who; null for the system.")


class LeadSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="The lead's id, for /api/v1/leads/{id}/.")
    reference = serializers.CharField(read_only=True, help_text="The reference the enquirer was given.")
    type = serializers.ChoiceField(
        source="lead_type", choices=LeadType.choices, read_only=True, help_text="enquiry or callback."
    )
    status = LeadStatusField(read_only=True, help_text="Where the lead is in the pipeline.")
    lost_reason = serializers.CharField(read_only=True, help_text="Why it was lost; empty unless status is lost.")
    retry_at = LocalDateTimeField(
        read_only=True, allow_null=True, help_text="For a callback with no answer: when to try again."
    )
    owner = UserSummarySerializer(read_only=True, allow_null=True, help_text="The sales person working it; or null.")
    next_action = serializers.CharField(read_only=True, help_text="What to do next.")
    due_at = LocalDateTimeField(read_only=True, allow_null=True, help_text="When the next action is due.")
    overdue = serializers.BooleanField(source="is_overdue", read_only=True, help_text="Open and past its due time.")
    estimated_value = serializers.DecimalField(
        max_digits=10, decimal_places=2, read_only=True, allow_null=True, help_text="GBP, excluding VAT; or null."
    )
    name = serializers.CharField(read_only=True, help_text="The person's name.")
    job_title = serializers.CharField(read_only=True, help_text="Their job title.")
    organisation = serializers.CharField(read_only=True, help_text="Their organisation.")
    organisation_type = serializers.ChoiceField(
        choices=OrganisationType.choices, allow_blank=True, read_only=True, help_text="The kind of organisation."
    )
    sector = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="The sector's slug, or null."
    )
    email = EmailOrEmptyField(read_only=True, help_text="Their email address; may be empty for a callback.")
    phone = serializers.SerializerMethodField(help_text="Their phone number in E.164 (+441473555012); or empty.")
    courses = serializers.SlugRelatedField(
        many=True, slug_field="slug", read_only=True, help_text="Slugs of the courses of interest."
    )
    staff_count = serializers.IntegerField(read_only=True, allow_null=True, help_text="How many staff to train.")
    preferred_town = serializers.CharField(read_only=True, help_text="Where they would like the training.")
    preferred_dates = serializers.CharField(read_only=True, help_text="When they would like it, in words.")
    settings_worked_in = serializers.ListField(
        child=serializers.ChoiceField(choices=Setting.choices),
        read_only=True,
        help_text="Training needs: the settings the staff work in.",
    )
    lone_working = serializers.BooleanField(read_only=True, help_text="Training needs: staff work alone.")
    restrictive_practices = serializers.BooleanField(
        read_only=True, help_text="Training needs: restrictive practices are in use."
    )
    previous_training = serializers.CharField(read_only=True, help_text="Training needs: previous training.")
    message = serializers.CharField(read_only=True, help_text="Their message.")
    heard_about = serializers.ChoiceField(
        choices=HeardAbout.choices, allow_blank=True, read_only=True, help_text="How they heard of us."
    )
    topic = serializers.CharField(read_only=True, help_text="For a callback: what they want to talk about.")
    callback_date = serializers.DateField(
        read_only=True, allow_null=True, help_text="For a callback: the UK date of the slot asked for; or null."
    )
    callback_period = serializers.ChoiceField(
        choices=CallbackPeriod.choices,
        allow_blank=True,
        read_only=True,
        help_text="am or pm with callback_date; empty for as soon as possible.",
    )
    source = serializers.CharField(
        read_only=True, help_text="A short label: the UTM source, else the referrer's host, else direct."
    )
    landing_page = serializers.CharField(read_only=True, help_text="The page the visitor arrived on.")
    referrer = serializers.CharField(read_only=True, help_text="The referring page.")
    utm_source = serializers.CharField(read_only=True, help_text="UTM source.")
    utm_medium = serializers.CharField(read_only=True, help_text="UTM medium.")
    utm_campaign = serializers.CharField(read_only=True, help_text="UTM campaign.")
    utm_term = serializers.CharField(read_only=True, help_text="UTM term.")
    utm_content = serializers.CharField(read_only=True, help_text="UTM content.")
    duplicate_of = serializers.SlugRelatedField(
        slug_field="reference",
        read_only=True,
        allow_null=True,
        help_text="The reference of the open lead this one may duplicate (same email, phone or organisation).",
    )
    duplicate_review = serializers.BooleanField(
        read_only=True, help_text="Flagged for staff to merge with duplicate_of or keep apart."
    )
    bookings = serializers.SlugRelatedField(
        many=True, slug_field="reference", read_only=True, help_text="References of bookings that came from it."
    )
    consent_at = LocalDateTimeField(read_only=True, allow_null=True, help_text="When they consented to contact.")
    created_at = LocalDateTimeField(read_only=True, help_text="When it arrived, UK time with its offset.")

    class Meta:
        # Every field is declared above; the model tells the schema what the related slugs are.
        model = Lead
        fields = [
            "id", "reference", "type", "status", "lost_reason", "retry_at", "owner", "next_action", "due_at",
            "overdue", "estimated_value", "name", "job_title", "organisation", "organisation_type", "sector",
            "email", "phone", "courses", "staff_count", "preferred_town", "preferred_dates", "settings_worked_in",
            "lone_working", "restrictive_practices", "previous_training", "message", "heard_about", "topic",
            "callback_date", "callback_period", "source", "landing_page", "referrer", "utm_source", "utm_medium",
            "utm_campaign", "utm_term", "utm_content", "duplicate_of", "duplicate_review", "bookings",
            "consent_at", "created_at",
        ]  # fmt: skip

    def get_phone(self, lead) -> str:
        return lead.phone.as_e164 if lead.phone else ""


class LeadDetailSerializer(LeadSerializer):
    timeline = LeadActivitySerializer(
        source="activities",
        many=True,
        read_only=True,
        help_text="Notes, calls and every status or owner change, newest first.",
    )

    class Meta(LeadSerializer.Meta):
        fields = [*LeadSerializer.Meta.fields, "timeline"]


class LeadConflictSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[("lead_anonymised", "The lead's personal data was removed under the retention policy")],
        help_text="lead_anonymised.",
    )
    detail = serializers.CharField(help_text="What went wrong.")
