"""Overdue work never falls through: the sales team's alerts, run by beat.

- Every 5 minutes, each open lead (enquiry or callback) that has become overdue is alerted once:
  its owner gets one email listing all their newly overdue leads; a lead with no owner, or an
  owner who has left (inactive or out of the Sales group), goes to SALES_EMAIL instead.
- A lead still overdue LEAD_ESCALATE_AFTER_WORKING_HOURS working hours after it was due is
  escalated once to the sales managers (the "Sales managers" group and SALES_MANAGER_EMAIL).
- Each working morning, every owner with overdue or due-today leads gets a digest: the counts,
  the most urgent LEAD_DIGEST_LIST_LIMIT leads and a link to the full list; SALES_EMAIL gets the
  same for leads nobody active owns.

Which leads are alerted is decided under row locks, in the transaction that records the alert,
so a lead whose action was just done (a call logged, a new due time) is never alerted.
"""

import hashlib
from collections import defaultdict
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from core import business_hours
from core.templatetags.uk import uk_datetime
from outbox.services import Email, email_queue_many

from .models import OPEN_STATUSES, Lead
from .notifications import admin_link
from .services.common import SALES_MANAGERS_GROUP, active_sellers, person_name

User = get_user_model()


def leads_list_url(**filters):
    return f"{settings.SITE_URL}{reverse('admin:enquiries_lead_changelist')}?{urlencode(filters)}"


def _key(kind, address, now):
    digest = hashlib.sha256(address.lower().encode()).hexdigest()[:16]
    return f"{kind}:{digest}:{now.isoformat()}"


def _row(lead):
    """One lead as the alert and digest show it (text line and HTML table row)."""
    who = lead.organisation or lead.name
    return {
        "reference": lead.reference,
        "who": who,
        "name": lead.name,
        "type": lead.get_lead_type_display().lower(),
        "status": lead.get_status_display().lower(),
        "next_action": lead.next_action or "No next action",
        "due": uk_datetime(lead.due_at) if lead.due_at else "no due time",
        "phone": lead.phone.as_national if lead.phone else "",
        "link": admin_link(lead),
        "owner": person_name(lead.owner, "nobody"),
    }


def _line(row, *, with_owner=False):
    parts = [f"{row['reference']} {row['who']} ({row['type']}, {row['status']})", f"due {row['due']}"]
    parts.append(row["next_action"])
    if row["phone"]:
        parts.append(f"call {row['phone']}")
    if with_owner:
        parts.append(f"owner {row['owner']}")
    return " - ".join(parts) + f"\n  {row['link']}"


def _recipient(lead, sellers):
    """The owner if they still work leads, else the sales inbox."""
    if lead.owner_id in sellers and lead.owner.email:
        return lead.owner.email, lead.owner
    return settings.SALES_EMAIL, None


def leads_count(number):
    return f"{number} lead{'' if number == 1 else 's'}"


def overdue_alerts_queue(*, now=None):
    """Alert each newly overdue open lead once, batched per recipient. Returns emails queued."""
    now = now or timezone.now()
    sellers = set(active_sellers().values_list("pk", flat=True))
    with transaction.atomic():
        # The conditions are in the locking query itself: PostgreSQL re-checks them on rows it
        # waited for, so a lead whose call was logged meanwhile drops out. of=("self",): the
        # nullable join to the owner cannot be locked.
        leads = list(
            Lead.objects.select_for_update(of=("self",))
            .filter(
                status__in=OPEN_STATUSES, due_at__lt=now, overdue_alert_sent_at__isnull=True, anonymised_at__isnull=True
            )
            .select_related("owner")
            .order_by("due_at", "pk")
        )
        batches = defaultdict(list)
        for lead in leads:
            batches[_recipient(lead, sellers)].append(lead)
        emails = []
        for (address, owner), batch in batches.items():
            rows = [_row(lead) for lead in batch]
            emails.append(
                Email(
                    kind="lead_overdue",
                    to=[address],
                    unique_key=_key("lead_overdue", address, now),
                    placeholders={
                        "owner": person_name(owner, "sales team"),
                        "for_team": "" if owner else "yes",
                        "count": leads_count(len(batch)),
                        "leads": "\n".join(_line(row, with_owner=owner is None) for row in rows),
                        "admin_link": leads_list_url(owner="me" if owner else "all", state="open", overdue="yes"),
                    },
                    html_context={"rows": rows},
                    lead=batch[0] if len(batch) == 1 else None,
                )
            )
        Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(overdue_alert_sent_at=now)
        return email_queue_many(emails)


def manager_addresses():
    """Who escalations go to: active members of "Sales managers" and SALES_MANAGER_EMAIL; the
    sales inbox if there is nobody."""
    addresses = set(
        User.objects.filter(is_active=True, groups__name=SALES_MANAGERS_GROUP)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if settings.SALES_MANAGER_EMAIL:
        addresses.add(settings.SALES_MANAGER_EMAIL)
    return sorted(addresses, key=str.lower) or [settings.SALES_EMAIL]


def escalated(lead, now):
    return (
        business_hours.add_working_time(lead.due_at, timedelta(hours=settings.LEAD_ESCALATE_AFTER_WORKING_HOURS)) <= now
    )


def escalations_queue(*, now=None):
    """Escalate, once, each open lead overdue for longer than LEAD_ESCALATE_AFTER_WORKING_HOURS
    working hours. Returns emails queued (one per run, to all managers)."""
    now = now or timezone.now()
    # Working time is never shorter than the same span of clock time, so this bound is safe.
    latest_due = now - timedelta(hours=settings.LEAD_ESCALATE_AFTER_WORKING_HOURS)
    with transaction.atomic():
        candidates = (
            Lead.objects.select_for_update(of=("self",))
            .filter(
                status__in=OPEN_STATUSES, due_at__lte=latest_due, escalated_at__isnull=True, anonymised_at__isnull=True
            )
            .select_related("owner")
            .order_by("due_at", "pk")
        )
        leads = [lead for lead in candidates if escalated(lead, now)]
        if not leads:
            return 0
        rows = [_row(lead) for lead in leads]
        to = manager_addresses()
        email = Email(
            kind="lead_escalation",
            to=to,
            unique_key=_key("lead_escalation", ",".join(to), now),
            placeholders={
                "count": leads_count(len(leads)),
                "hours": f"{settings.LEAD_ESCALATE_AFTER_WORKING_HOURS:g}",
                "leads": "\n".join(_line(row, with_owner=True) for row in rows),
                "admin_link": leads_list_url(owner="all", state="open", overdue="yes"),
            },
            html_context={"rows": rows},
            lead=leads[0] if len(leads) == 1 else None,
        )
        Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(escalated_at=now)
        return email_queue_many([email])


def _digest(leads, now, today_end, limit):
    """Counts and the most urgent open leads of one queryset (two queries whatever its size)."""
    counts = leads.aggregate(
        overdue=Count("pk", filter=Q(due_at__lt=now)),
        due_today=Count("pk", filter=Q(due_at__gte=now, due_at__lt=today_end)),
    )
    urgent = list(leads.filter(due_at__lt=today_end).select_related("owner").order_by("due_at", "pk")[:limit])
    return counts, urgent


def digests_queue(*, now=None):
    """Each owner's morning digest, and the sales inbox's for leads nobody active owns (working
    days only; once a day each). Returns emails queued."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    if not business_hours.is_working_day(today):
        return 0
    today_end = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))
    limit = settings.LEAD_DIGEST_LIST_LIMIT
    open_due = Lead.objects.filter(status__in=OPEN_STATUSES, due_at__isnull=False, anonymised_at__isnull=True)
    sellers = list(active_sellers().exclude(email=""))
    audiences = [(owner.email, owner, open_due.filter(owner=owner)) for owner in sellers]
    nobody = open_due.exclude(owner__in=[owner.pk for owner in active_sellers()])
    audiences.append((settings.SALES_EMAIL, None, nobody))
    emails = []
    for address, owner, leads in audiences:
        counts, urgent = _digest(leads, now, today_end, limit)
        if not counts["overdue"] and not counts["due_today"]:
            continue
        rows = [_row(lead) for lead in urgent]
        more = counts["overdue"] + counts["due_today"] - len(rows)
        emails.append(
            Email(
                kind="lead_digest",
                to=[address],
                unique_key=f"lead_digest:{'user-' + str(owner.pk) if owner else 'unowned'}:{today.isoformat()}",
                placeholders={
                    "owner": person_name(owner, "sales team"),
                    "for_team": "" if owner else "yes",
                    "overdue_count": str(counts["overdue"]),
                    "due_today_count": str(counts["due_today"]),
                    "leads": "\n".join(_line(row, with_owner=owner is None) for row in rows),
                    "more": f"... and {more} more in the full list." if more > 0 else "",
                    "admin_link": leads_list_url(owner="me" if owner else "all", state="open"),
                },
                html_context={"rows": rows},
            )
        )
    with transaction.atomic():
        return email_queue_many(emails)
