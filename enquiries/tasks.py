from celery import shared_task

from . import alerts, services
from .bulk import run_bulk_job  # noqa: F401  (the bulk-change task, registered with the worker)


@shared_task
def send_overdue_alerts():
    """Beat, every 5 minutes: alert each newly overdue lead once (batched per owner; leads nobody
    active owns go to SALES_EMAIL), and escalate leads overdue past the setting to managers."""
    return {"alerts": alerts.overdue_alerts_queue(), "escalations": alerts.escalations_queue()}


@shared_task
def send_morning_digests():
    """Beat, 08:00 on weekdays (bank holidays skipped): each owner's overdue and due-today leads."""
    return alerts.digests_queue()


@shared_task
def apply_retention():
    """Beat, nightly: anonymise old closed leads, drop unconfirmed newsletter sign-ups."""
    return {
        "leads_anonymised": services.leads_anonymise_closed(),
        "signups_dropped": services.newsletter_drop_unconfirmed(),
    }
