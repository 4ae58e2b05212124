"""Shared by the leads endpoints: the web form's limits, the lead status field, tracking, consent, sector."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.api import StrictSerializer
from courses.models import Sector

from .. import services
from ..models import LeadStatus

# The web form's limits (enquiries/forms.py); not imported from there, as the forms module needs
# the URLconf at import and this module is part of it.
MESSAGE_MAX_LENGTH = 3000
MAX_STAFF = 10000
MAX_COURSES = 20
MAX_NOTE = 5000


@extend_schema_field(
    {
        "type": "string",
        "enum": LeadStatus.values,
        "description": "; ".join(f"{v}: {lbl}" for v, lbl in LeadStatus.choices),
    },
    component_name="LeadStatusEnum",
)
class LeadStatusField(serializers.ChoiceField):
    """A lead's status, one schema component wherever it appears (the name "status" is shared
    with sessions and bookings, whose choices differ)."""

    def __init__(self, **kwargs):
        super().__init__(choices=LeadStatus.choices, **kwargs)


class TrackingSerializer(StrictSerializer):
    """Where the submission came from, as the website records it. All optional."""

    landing_page = serializers.CharField(
        max_length=500, allow_blank=True, default="", help_text="The page the visitor first arrived on (URL or path)."
    )
    referrer = serializers.CharField(
        max_length=500, allow_blank=True, default="", help_text="The referring page's URL, if any."
    )
    utm_source = serializers.CharField(max_length=100, allow_blank=True, default="", help_text="UTM source.")
    utm_medium = serializers.CharField(max_length=100, allow_blank=True, default="", help_text="UTM medium.")
    utm_campaign = serializers.CharField(max_length=100, allow_blank=True, default="", help_text="UTM campaign.")
    utm_term = serializers.CharField(max_length=100, allow_blank=True, default="", help_text="UTM term.")
    utm_content = serializers.CharField(max_length=100, allow_blank=True, default="", help_text="UTM content.")

    def get_fields(self):
        # The submission's own fields first, in the schema too; the tracking fields after them.
        fields = super().get_fields()
        for name in services.TRACKING_FIELDS:
            fields[name] = fields.pop(name)
        return fields

    def split(self):
        """(the submission's own fields, its tracking fields), from validated_data."""
        data = dict(self.validated_data)
        tracking = {name: data.pop(name) for name in services.TRACKING_FIELDS if name in data}
        return data, tracking


def consent_field():
    return serializers.BooleanField(
        help_text="Must be true: the person agrees to be contacted about this request under the privacy notice. "
        "The time and the notice's version are stored."
    )


def validate_consent(value):
    if value is not True:
        raise ValidationError("Please agree to be contacted so that we can reply.")
    return value


def sector_field(help_text):
    return serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Sector.objects.filter(is_active=True),
        allow_null=True,
        default=None,
        help_text=help_text,
        error_messages={"does_not_exist": "There is no sector '{value}'. See /api/v1/sectors/."},
    )
