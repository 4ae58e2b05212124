"""Telling the operators (OPS_EMAIL) that emails are not getting through.

The sweep (every minute) finds emails that failed, or whose delivery became unknown, since it
last looked and sends one alert about them. No other alert is made while one is still waiting to
go out (a mail server that is down gets one alert, sent when it is back), and at most one an
hour, since the alert is an outbox row like any other, keyed by the hour. A failed alert is
never itself reported, so a broken mail server cannot start a loop of alerts.
"""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from . import registry
from .models import PROBLEM_STATUSES, EmailStatus, OutboundEmail

KIND = registry.register(
    "outbox_problem",
    "Operators: emails not getting through",
    {
        "summary": "The emails that failed or may not have arrived: status, subject, recipients and why",
        "admin_link": "The outbox in the admin, showing failed emails and those whose delivery is unknown",
    },
)
SHOWN = 10  # emails listed in one alert; the outbox shows them all


def _summary(rows):
    lines = []
    for row in rows[:SHOWN]:
        why = (row.last_error.splitlines() or ["no error recorded"])[0][:200]
        lines.append(f"{row.get_status_display()}: {row.subject} (to {row.recipients}). {why}")
    if len(rows) > SHOWN:
        lines.append(f"... and {len(rows) - SHOWN} more.")
    return "\n".join(lines)


@transaction.atomic
def ops_alert(*, now=None):
    """Report the problems not yet reported. Returns how many emails that covered."""
    from .services import Email, email_queue

    now = now or timezone.now()
    new = list(
        OutboundEmail.objects.select_for_update(skip_locked=True)
        .filter(status__in=PROBLEM_STATUSES, ops_alerted=False)
        .exclude(kind=KIND.name)
        .order_by("last_attempt_at", "pk")
    )
    if not new:
        return 0
    waiting = OutboundEmail.objects.filter(
        kind=KIND.name, status__in=[EmailStatus.QUEUED, EmailStatus.SENDING]
    ).exists()
    if not waiting:
        changelist = reverse("admin:outbox_outboundemail_changelist")
        email_queue(
            Email(
                kind=KIND.name,
                to=[settings.OPS_EMAIL],
                unique_key=f"{KIND.name}:{now:%Y-%m-%dT%H}",
                placeholders={
                    "summary": _summary(new),
                    "admin_link": f"{settings.SITE_URL}{changelist}?status__in=failed,unknown",
                },
            )
        )
    OutboundEmail.objects.filter(pk__in=[row.pk for row in new]).update(ops_alerted=True)
    return len(new)
