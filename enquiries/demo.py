"""Demo leads for the sales desk (`manage.py load_demo`): a few enquiries and callbacks from
different sources, one overdue and one possible duplicate, made through the services as real
ones are. Their people are invented, so the emails they would cause are not kept."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core import business_hours
from outbox.models import OutboundEmail

from . import services
from .models import Lead, LeadOrigin, LeadType

LINKEDIN = {
    "landing_page": "/courses/?utm_source=linkedin&utm_medium=social&utm_campaign=winter-pressures",
    "referrer": "https://www.linkedin.com/",
    "utm_source": "linkedin",
    "utm_medium": "social",
    "utm_campaign": "winter-pressures",
}
GOOGLE = {"landing_page": "/courses/de-escalation-skills/", "referrer": "https://www.google.co.uk/"}


@transaction.atomic
def load_leads(*, added_by, now=None):
    """Five demo leads, once (none are added if any lead exists). Returns how many were added."""
    if Lead.objects.exists():
        return 0
    now = now or timezone.now()
    leads = [
        services.enquiry_submit(
            data={
                "name": "Priya Shah", "job_title": "Practice Educator",
                "organisation": "East Suffolk and North Essex NHS Foundation Trust", "organisation_type": "nhs",
                "email": "priya.shah@example.org", "phone": "01473 555 987", "staff_count": 24,
                "preferred_town": "Colchester", "message": "Ward staff need de-escalation training before winter.",
            },
            tracking=LINKEDIN,
            now=now - timedelta(hours=3),
        ),
        services.callback_submit(
            data={"name": "Dan Okafor", "phone": "07911 123 456", "organisation": "Harbour Leisure Centres",
                  "topic": "Conflict resolution for front-desk staff"},
            tracking=GOOGLE,
            now=now - timedelta(days=7),  # overdue: nobody has called back yet
        ),
        services.enquiry_submit(
            data={"name": "Kim Lowe", "organisation": "Orwell Academy", "organisation_type": "education",
                  "email": "k.lowe@example.org", "staff_count": 40, "message": "Whole-school INSET day in February."},
            now=now - timedelta(days=2),
        ),
        services.lead_add(
            lead_type=LeadType.ENQUIRY,
            origin=LeadOrigin.EVENT,
            data={"name": "Chris Doe", "organisation": "Felixstowe Port Services", "email": "chris.doe@example.org",
                  "message": "Met at the Suffolk Safety Forum: lone worker safety for 15 drivers."},
            actor=added_by,
            now=now - timedelta(hours=5),
        ),
        # The same trust as the first lead: flagged for the sales team to merge or keep apart.
        services.callback_submit(
            data={"name": "Sam Jones", "phone": "01206 555 321",
                  "organisation": "East Suffolk and North Essex NHS Foundation Trust", "topic": "Breakaway"},
            now=now - timedelta(hours=1),
        ),
    ]  # fmt: skip
    # Whatever the hour the demo is loaded (an evening, a weekend), only Dan's callback is overdue:
    # the others, received hours ago, may already be past their working-hours deadline.
    overdue = leads[1]
    soon = business_hours.add_working_time(now, timedelta(hours=2))
    Lead.objects.filter(pk__in=[lead.pk for lead in leads if lead != overdue], due_at__lt=now).update(due_at=soon)
    OutboundEmail.objects.filter(lead__in=leads).delete()
    return len(leads)
