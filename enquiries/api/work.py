"""Working a lead through the API: the PATCH (status, owner, next action, a note) and logging a
call. Each has one serializer the view validates with, holding every rule the service does not
already enforce, and the shapes the schema offers (OneOfRequest): the rules JSON Schema can
state, such as "lost needs a reason" and "a call not answered needs a time to try again".
What depends on the clock or the lead (a time in the future; a call on an open lead needs a
next step) is the service's, and a 400 beside the field."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from ..models import CLOSED_STATUSES, LeadActivity, LeadStatus
from .common import MAX_NOTE, VISIBLE_TEXT, LeadsSerializer, LeadStatusField, OneOfRequest

Outcome = LeadActivity.Outcome
NOT_REACHED = [Outcome.NO_ANSWER, Outcome.VOICEMAIL]
# The statuses a call may move a lead to, as the admin's "Log a call" form offers them.
CALL_OPEN_STATUSES = [LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.PROPOSAL_SENT]
CALL_STATUSES = [*CALL_OPEN_STATUSES, LeadStatus.WON, LeadStatus.LOST]
TIME_HELP = "ISO 8601 with its offset, e.g. 2026-05-01T09:00:00+01:00 (without one, UK time); in the future."


def choice_component(component_name, choices, description):
    """A ChoiceField over some of a TextChoices, named once in the schema's components."""
    values = [choice.value for choice in choices]

    @extend_schema_field({"type": "string", "enum": values, "description": description}, component_name=component_name)
    class Field(serializers.ChoiceField):
        def __init__(self, **kwargs):
            super().__init__(choices=[(choice.value, choice.label) for choice in choices], **kwargs)

    Field.__name__ = f"{component_name}Field"
    return Field


OpenStatusField = choice_component(
    "LeadCallOpenStatusEnum", CALL_OPEN_STATUSES, "contacted, qualified or proposal_sent."
)
NotReachedField = choice_component("NotReachedOutcomeEnum", NOT_REACHED, "no_answer or voicemail.")
WonField = choice_component("LeadWonEnum", [LeadStatus.WON], "won.")
LostField = choice_component("LeadLostEnum", [LeadStatus.LOST], "lost.")
NoAnswerField = choice_component("LeadNoAnswerEnum", [LeadStatus.NO_ANSWER], "no_answer.")
ChangeStatusField = choice_component(
    "LeadChangeStatusEnum",
    [status for status in LeadStatus if status not in (LeadStatus.LOST, LeadStatus.NO_ANSWER)],
    "Any status but lost and no_answer, which need more (see the other shapes).",
)


def lost_reason_field(**kwargs):
    return serializers.CharField(max_length=300, validators=[VISIBLE_TEXT], help_text="Why it was lost.", **kwargs)


def note_field(**kwargs):
    return serializers.CharField(
        max_length=MAX_NOTE, validators=[VISIBLE_TEXT], help_text="A note to add to the timeline.", **kwargs
    )


def refuse(errors, name, message):
    errors.setdefault(name, []).append(message)


# The PATCH -------------------------------------------------------------------------------------


def owner_field():
    return serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(),
        allow_null=True,
        required=False,
        help_text="The user id of the new owner, an active sales person; null to unassign.",
    )


def next_action_field():
    return serializers.CharField(max_length=200, allow_blank=True, required=False, help_text="What to do next.")


def due_at_field():
    return serializers.DateTimeField(
        allow_null=True,
        required=False,
        help_text="When the next action is due (ISO 8601; without an offset, UK time); or null.",
    )


class LeadUpdateSerializer(LeadsSerializer):
    """The changes to make; send only those. Unknown fields are refused."""

    status = LeadStatusField(required=False)
    lost_reason = lost_reason_field(required=False)
    retry_at = serializers.DateTimeField(required=False)
    owner = owner_field()
    next_action = next_action_field()
    due_at = due_at_field()
    note = note_field(required=False)

    def validate(self, attrs):
        errors = {}
        if "lost_reason" in attrs and attrs.get("status") != LeadStatus.LOST:
            refuse(errors, "lost_reason", "Send lost_reason with status lost.")
        if "retry_at" in attrs and attrs.get("status") != LeadStatus.NO_ANSWER:
            refuse(errors, "retry_at", "Send retry_at with status no_answer.")
        if errors:
            raise ValidationError(errors)
        return attrs


class LeadChangeSerializer(LeadsSerializer):
    """Any of the changes, with a status other than lost and no_answer, or none."""

    status = ChangeStatusField(required=False, help_text="The new status.")
    owner = owner_field()
    next_action = next_action_field()
    due_at = due_at_field()
    note = note_field(required=False)


class LeadLostSerializer(LeadChangeSerializer):
    """Marking the lead lost, with why (and any other change)."""

    status = LostField(help_text="lost.")
    lost_reason = lost_reason_field()


class LeadNoAnswerSerializer(LeadChangeSerializer):
    """No answer: when to try again (and any other change). The next action becomes "Try calling
    again", due then."""

    status = NoAnswerField(help_text="no_answer.")
    retry_at = serializers.DateTimeField(help_text="When to try again. " + TIME_HELP)


LEAD_UPDATE_REQUEST = OneOfRequest("LeadUpdate", [LeadChangeSerializer, LeadLostSerializer, LeadNoAnswerSerializer])


# Logging a call --------------------------------------------------------------------------------


class LeadCallSerializer(LeadsSerializer):
    """A call made to the lead and what comes next. Unknown fields are refused."""

    outcome = serializers.ChoiceField(choices=Outcome.choices, help_text="How the call went.")
    note = serializers.CharField(
        max_length=MAX_NOTE, allow_blank=True, default="", help_text="What was said; recorded on the timeline."
    )
    retry_at = serializers.DateTimeField(required=False)
    next_action = serializers.CharField(max_length=200, validators=[VISIBLE_TEXT], required=False)
    due_at = serializers.DateTimeField(required=False)
    status = serializers.ChoiceField(choices=[(s.value, s.label) for s in CALL_STATUSES], required=False)
    lost_reason = lost_reason_field(required=False)

    def validate(self, attrs):
        errors = {}
        status = attrs.get("status")
        if "lost_reason" in attrs and status != LeadStatus.LOST:
            refuse(errors, "lost_reason", "Send lost_reason with status lost.")
        if "retry_at" in attrs:
            if attrs["outcome"] not in NOT_REACHED:
                refuse(
                    errors,
                    "retry_at",
                    "Send retry_at only for a call that did not reach them (no_answer or voicemail).",
                )
            elif "next_action" in attrs or "due_at" in attrs:
                refuse(errors, "retry_at", "Give retry_at, or next_action with due_at, not both.")
        if status in CLOSED_STATUSES:
            for name in ["next_action", "due_at", "retry_at"]:
                if name in attrs:
                    refuse(errors, name, f"Leave {name} out when the call closes the lead ({status}).")
        if errors:
            raise ValidationError(errors)
        return attrs

    def as_service_arguments(self):
        """lead_log_call's keyword arguments, as the admin's form gives them."""
        data = self.validated_data
        return {
            "outcome": data["outcome"],
            "text": data["note"],
            "retry_at": data.get("retry_at"),
            "next_action": data.get("next_action", ""),
            "due_at": data.get("due_at"),
            "status": data.get("status"),
            "lost_reason": data.get("lost_reason", ""),
        }


class LeadCallRecordedSerializer(LeadsSerializer):
    """Only the call: for a lead already won or lost (an open lead needs a next step, 400)."""

    outcome = serializers.ChoiceField(choices=Outcome.choices, help_text="How the call went.")
    note = serializers.CharField(
        max_length=MAX_NOTE, allow_blank=True, default="", help_text="What was said; recorded on the timeline."
    )


class LeadCallNextActionSerializer(LeadCallRecordedSerializer):
    """The next action and when it is due. A new or no-answer lead that was reached (spoke)
    becomes contacted, unless status says otherwise."""

    next_action = serializers.CharField(
        max_length=200, validators=[VISIBLE_TEXT], help_text="What happens next, e.g. Send the proposal."
    )
    due_at = serializers.DateTimeField(help_text="When the next action is due. " + TIME_HELP)
    status = OpenStatusField(required=False, help_text="The status after the call, if it changes.")


class LeadCallTryAgainSerializer(LeadCallRecordedSerializer):
    """Not reached: when to try again. The next action becomes "Try calling again", due then; a
    new lead becomes no_answer."""

    outcome = NotReachedField(help_text="no_answer or voicemail.")
    retry_at = serializers.DateTimeField(help_text="When to try again. " + TIME_HELP)
    status = OpenStatusField(required=False, help_text="The status after the call, if it changes.")


class LeadCallWonSerializer(LeadCallRecordedSerializer):
    """Won: the lead is closed and its next action ended."""

    status = WonField(help_text="won.")


class LeadCallLostSerializer(LeadCallRecordedSerializer):
    """Lost, with why: the lead is closed and its next action ended."""

    status = LostField(help_text="lost.")
    lost_reason = lost_reason_field()


LEAD_CALL_REQUEST = OneOfRequest(
    "LeadCall",
    [
        LeadCallNextActionSerializer,
        LeadCallTryAgainSerializer,
        LeadCallWonSerializer,
        LeadCallLostSerializer,
        LeadCallRecordedSerializer,
    ],
)
