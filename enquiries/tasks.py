from celery import shared_task

from . import notifications, services


@shared_task
def send_overdue_alerts():
    """Beat, every 5 minutes: alert owners of callbacks that have just become overdue (once each)."""
    return notifications.overdue_alerts_queue(list(services.leads_due_for_overdue_alert()))


@shared_task
def send_morning_digests():
    """Beat, 08:00 on weekdays (bank holidays skipped): each owner's overdue and due-today leads."""
    return notifications.digests_queue()


@shared_task
def apply_retention():
    """Beat, nightly: anonymise old closed leads, drop unconfirmed newsletter sign-ups."""
    return {
        "leads_anonymised": services.leads_anonymise_closed(),
        "signups_dropped": services.newsletter_drop_unconfirmed(),
    }
