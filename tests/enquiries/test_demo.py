"""`load_demo` gives a newcomer a sales desk to try: a Sales login (not a superuser) and a few
leads from different sources, one overdue and one possible duplicate, with no emails to the
invented people."""

from io import StringIO

import pytest
from django.core.management import call_command

from enquiries.models import Lead
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_sales_login_and_leads_to_work():
    out = StringIO()
    call_command("load_demo", "--no-sessions", stdout=out)
    assert "Demo sales login" in out.getvalue() and "username sales" in out.getvalue()

    leads = list(Lead.objects.select_related("owner"))
    assert len(leads) == 5
    owner = leads[0].owner
    assert {lead.owner for lead in leads} == {owner}
    assert owner.username == "sales" and not owner.is_superuser
    assert owner.groups.filter(name="Sales").exists()
    assert {"linkedin", "google", "event", "direct"} <= {lead.channel for lead in leads}
    assert sum(lead.is_overdue for lead in leads) == 1
    assert sum(lead.duplicate_review for lead in leads) == 1
    assert not OutboundEmail.objects.filter(kind__startswith="lead").exists()

    call_command("load_demo", "--no-sessions", stdout=StringIO())
    assert Lead.objects.count() == 5


@pytest.mark.parametrize(
    "moment",
    ["2026-11-30 17:25", "2026-12-05 10:00", "2026-12-04 16:55", "2026-12-01 08:30"],
    ids=["monday-evening", "saturday", "friday-close", "tuesday-early"],
)
def test_exactly_one_demo_lead_is_overdue_whenever_the_demo_is_loaded(moment, django_user_model):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from enquiries.demo import load_leads

    now = datetime.fromisoformat(moment).replace(tzinfo=ZoneInfo("Europe/London"))
    sales = django_user_model.objects.create_user("sales", is_staff=True)
    assert load_leads(added_by=sales, now=now) == 5
    overdue = [lead.name for lead in Lead.objects.all() if lead.due_at < now]
    assert overdue == ["Dan Okafor"]
