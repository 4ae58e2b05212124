"""The sales dashboard's numbers, each from one aggregate query whatever the number of leads."""

from collections import defaultdict
from datetime import datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from ..models import OPEN_STATUSES, Lead, LeadStatus, LeadType
from .filters import today_bounds

OVERDUE_LIST_LIMIT = 50


def week_start(now):
    today = timezone.localdate(now)
    return timezone.make_aware(datetime.combine(today - timedelta(days=today.weekday()), time.min))


def dashboard_data(now=None):
    now = now or timezone.now()
    open_leads = Q(status__in=OPEN_STATUSES)
    start_today, end_today = today_bounds(now)
    headline = Lead.objects.aggregate(
        open=Count("pk", filter=open_leads),
        unassigned=Count("pk", filter=open_leads & Q(owner__isnull=True)),
        overdue=Count("pk", filter=open_leads & Q(due_at__lt=now)),
        due_today=Count("pk", filter=open_leads & Q(due_at__gte=max(now, start_today), due_at__lt=end_today)),
        new_this_week=Count("pk", filter=Q(created_at__gte=week_start(now))),
        duplicates=Count("pk", filter=Q(duplicate_review=True)),
    )
    by_status = dict(Lead.objects.order_by().values_list("status").annotate(count=Count("pk")))
    overdue_callbacks = list(
        Lead.objects.filter(open_leads, lead_type=LeadType.CALLBACK, due_at__lt=now)
        .select_related("owner")
        .order_by("due_at", "pk")[:OVERDUE_LIST_LIMIT]
    )
    return {
        "now": now,
        "headline": headline,
        "by_status": [(status, by_status.get(status.value, 0)) for status in LeadStatus],
        "total": sum(by_status.values()),
        "overdue_callbacks": overdue_callbacks,
        "overdue_callbacks_limited": len(overdue_callbacks) == OVERDUE_LIST_LIMIT,
        "sources": conversion_by_source(),
    }


def conversion_by_source():
    """Won and total leads per source (the normalised channel), most leads first."""
    rows = (
        Lead.objects.order_by()
        .values_list("channel")
        .annotate(total=Count("pk"), won=Count("pk", filter=Q(status=LeadStatus.WON)))
    )
    totals = defaultdict(lambda: [0, 0])
    for channel, total, won in rows:
        counts = totals[channel or "direct"]
        counts[0] += total
        counts[1] += won
    return [
        {"source": source, "total": total, "won": won, "rate": round(100 * won / total) if total else 0}
        for source, (total, won) in sorted(totals.items(), key=lambda item: (-item[1][0], item[0].lower()))
    ]
