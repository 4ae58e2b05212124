"""The demo's training history: something real on every after-the-course page."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from courses.models import Course
from records import selectors
from records.models import Certificate, Feedback
from records.services import Status, certificate_status, course_rating

pytestmark = pytest.mark.django_db


def test_the_demo_trust_has_certificates_in_every_state_feedback_and_a_quote_to_moderate():
    call_command("load_demo", "--no-user", verbosity=0)
    call_command("load_demo", "--no-user", verbosity=0)  # a second run adds nothing
    today = timezone.localdate()
    statuses = {certificate_status(c, today=today, expiring_days=90) for c in Certificate.objects.all()}
    assert statuses == {Status.VALID, Status.EXPIRING, Status.EXPIRED}
    assert Certificate.objects.filter(expires_on__range=(today, today.replace(year=today.year + 1))).count() >= 7
    assert Feedback.objects.filter(moderation="pending").count() == 1
    assert course_rating(Course.objects.get(slug="de-escalation-skills")).shown

    booking = Certificate.objects.first().delegate.booking
    rows = selectors.training_record(booking)
    assert len(rows) == Certificate.objects.count() + 2  # and two who left early: no certificate
