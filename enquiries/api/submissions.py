"""What the public endpoints take and answer: an enquiry, a callback request and a newsletter
sign-up as sent (the web forms' fields; unknown fields refused), and the answers."""

from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from booking.models import OrganisationType
from core import business_hours
from core.api import LocalDateTimeField, TrueField

from ..models import CallbackPeriod, HeardAbout, Setting
from .common import (
    MAX_COURSES,
    MAX_STAFF,
    MESSAGE_MAX_LENGTH,
    VISIBLE_TEXT,
    LeadStatusField,
    SectorField,
    TrackingSerializer,
    UKPhoneField,
    course_slugs_field,
    courses_named,
    email_field,
)

CONSENT_MESSAGE = "Please agree to be contacted so that we can reply."
CONSENT_HELP = (
    "Must be true: the person agrees to be contacted about this request under the privacy notice. The time and "
    "the notice's version are stored."
)


class EnquiryCreateSerializer(TrackingSerializer):
    """An in-house training enquiry, with the web form's fields. Unknown fields are refused."""

    name = serializers.CharField(max_length=150, validators=[VISIBLE_TEXT], help_text="The enquirer's name.")
    job_title = serializers.CharField(max_length=150, allow_blank=True, default="", help_text="Their job title.")
    organisation = serializers.CharField(
        max_length=200, validators=[VISIBLE_TEXT], help_text="The organisation whose staff need training."
    )
    organisation_type = serializers.ChoiceField(
        choices=OrganisationType.choices, allow_blank=True, default="", help_text="The kind of organisation."
    )
    sector = SectorField(help_text="The organisation's sector, by slug (see /api/v1/sectors/); null or empty for none.")
    email = email_field("Where we reply; an acknowledgement is sent there.")
    phone = UKPhoneField(
        allow_blank=True,
        default="",
        help_text="A UK number, for example 01473 555 012, 07911 123456 or +44 20 7946 0000; or empty.",
    )
    courses = course_slugs_field(f"Courses of interest, by slug (see /api/v1/courses/); up to {MAX_COURSES}.")
    staff_count = serializers.IntegerField(
        min_value=1, max_value=MAX_STAFF, allow_null=True, default=None, help_text="How many staff need training."
    )
    preferred_town = serializers.CharField(
        max_length=100, allow_blank=True, default="", help_text="Where the training would take place."
    )
    preferred_dates = serializers.CharField(
        max_length=200, allow_blank=True, default="", help_text="Preferred dates or time of year, in words."
    )
    settings_worked_in = serializers.ListField(
        child=serializers.ChoiceField(choices=Setting.choices),
        max_length=len(Setting.choices),
        default=list,
        help_text="Training needs: the settings the staff work in. Each at most once.",
    )
    lone_working = serializers.BooleanField(default=False, help_text="Training needs: do staff work alone?")
    restrictive_practices = serializers.BooleanField(
        default=False, help_text="Training needs: are restrictive practices (restraint, seclusion) in use?"
    )
    previous_training = serializers.CharField(
        max_length=300, allow_blank=True, default="", help_text="Training needs: what training staff have had before."
    )
    message = serializers.CharField(
        max_length=MESSAGE_MAX_LENGTH, allow_blank=True, default="", help_text="Anything else we should know."
    )
    heard_about = serializers.ChoiceField(
        choices=HeardAbout.choices, allow_blank=True, default="", help_text="How they heard of us."
    )
    consent = TrueField(message=CONSENT_MESSAGE, help_text=CONSENT_HELP)

    def validate_courses(self, value):
        return courses_named(value)

    def validate_settings_worked_in(self, value):
        return list(dict.fromkeys(value))


class CallbackCreateSerializer(TrackingSerializer):
    """A "Let's talk" callback request, with the web form's fields. Unknown fields are refused."""

    name = serializers.CharField(max_length=150, validators=[VISIBLE_TEXT], help_text="Who to ask for.")
    phone = UKPhoneField(
        help_text="The UK number to call, for example 01473 555 012, 07911 123456 or +44 20 7946 0000."
    )
    organisation = serializers.CharField(max_length=200, allow_blank=True, default="", help_text="Their organisation.")
    callback_date = serializers.DateField(
        allow_null=True,
        default=None,
        help_text="The best time to call: a UK date (YYYY-MM-DD), given with callback_period. Omit both (or send "
        "null and an empty callback_period) for as soon as possible; one without the other is a 400. The slot "
        "must be one that /api/v1/callbacks/slots/ offers now, else a 400 listing those on offer.",
    )
    callback_period = serializers.ChoiceField(
        choices=CallbackPeriod.choices,
        allow_blank=True,
        default="",
        help_text="am: 09:00 to 12:30; pm: 12:30 to 17:00 (UK time). Given with callback_date.",
    )
    topic = serializers.CharField(
        max_length=200, allow_blank=True, default="", help_text="What they would like to talk about, or a course."
    )
    consent = TrueField(message=CONSENT_MESSAGE, help_text=CONSENT_HELP)

    def validate(self, attrs):
        day, period = attrs.get("callback_date"), attrs.get("callback_period")
        if bool(day) != bool(period):
            missing = "callback_period" if day else "callback_date"
            raise ValidationError({missing: ["Give callback_date and callback_period together, or neither."]})
        if day:
            offered = [value for value, _label in business_hours.callback_slots(self.context["now"])]
            if business_hours.format_slot(day, period) not in offered:
                raise ValidationError(
                    {
                        "callback_date": [
                            "That time is not available. Choose one of: "
                            + ", ".join(value.replace(":", " ") for value in offered)
                            + "; or leave the time out for as soon as possible."
                        ]
                    }
                )
        return attrs


class NewsletterSignupSerializer(TrackingSerializer):
    """A newsletter sign-up, confirmed by the link emailed to the address. Unknown fields are refused."""

    email = email_field("Where the newsletter (and the confirmation) goes.")
    name = serializers.CharField(max_length=150, allow_blank=True, default="", help_text="Optional.")
    sector = SectorField(
        help_text="Optional: the sector they work in, by slug (see /api/v1/sectors/); null or empty for none."
    )
    consent = TrueField(
        message="Please agree to receive the newsletter.",
        help_text="Must be true: the person agrees to receive the newsletter under the privacy notice.",
    )


class LeadCreatedSerializer(serializers.Serializer):
    reference = serializers.CharField(read_only=True, help_text="The lead's reference, to quote when in touch.")
    status = LeadStatusField(read_only=True, help_text="Always new for a lead just received.")


class CallbackCreatedSerializer(LeadCreatedSerializer):
    due_at = LocalDateTimeField(
        read_only=True,
        help_text="When we will have called by, UK time with its offset: the end of the chosen slot, or within "
        "the callback target in business hours (Monday to Friday 09:00 to 17:00, not bank holidays).",
    )


class CallbackSlotSerializer(serializers.Serializer):
    callback_date = serializers.DateField(read_only=True, help_text="The slot's UK date.")
    callback_period = serializers.ChoiceField(
        choices=CallbackPeriod.choices, read_only=True, help_text="am: 09:00 to 12:30; pm: 12:30 to 17:00."
    )
    label = serializers.CharField(read_only=True, help_text='In words, e.g. "Today, afternoon (12:30pm to 5pm)".')


class NewsletterAcceptedSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[("pending", "Accepted; the subscription starts when the link in the email is followed")],
        read_only=True,
        help_text="Always pending, whether or not the address is already on the list: the answer never says "
        "whether someone subscribes.",
    )
    detail = serializers.CharField(read_only=True, help_text="What happens next, to show the person.")


class RateLimitedSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[("rate_limited", "Too many submissions from this address in the last hour")],
        help_text="rate_limited.",
    )
    detail = serializers.CharField(help_text="A message to show the person.")
