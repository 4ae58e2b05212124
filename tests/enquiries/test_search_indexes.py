"""The lead desk at scale: the indexes made by enquiries/migrations/0004 exist on PostgreSQL and
fit the SQL the admin writes (its search, the closed leads in list order), and
tests/load/bench_leads.py still runs.

No timings are asserted: whether the planner may use an index is proved with EXPLAIN, seq scans
and plain index scans switched off, so that only an index on the search's own expression can
answer it (a bitmap index scan).
"""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import RequestFactory

from enquiries.models import CLOSED_STATUSES, Lead, LeadStatus, LeadType

ROOT = Path(__file__).resolve().parents[2]
migration = importlib.import_module("enquiries.migrations.0004_lead_search_indexes")

pytestmark = pytest.mark.services


def lead_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'enquiries_lead'")
        return dict(cursor.fetchall())


def admin_list_queryset(**params):
    """The lead list's queryset as the admin builds it for a Sales user."""
    user = get_user_model().objects.create_user("searcher", is_staff=True)
    user.groups.add(Group.objects.get(name="Sales"))
    user = get_user_model().objects.get(pk=user.pk)  # fresh permission cache
    request = RequestFactory().get("/admin/enquiries/lead/", params)
    request.user = user
    return admin.site._registry[Lead].get_changelist_instance(request).queryset


def admin_search_queryset(term):
    return admin_list_queryset(q=term, owner="all", state="all")


def explain(queryset, *switched_off):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # The test runs in a transaction: SET LOCAL ends with it.
        for setting in switched_off:
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def explain_without_scans(queryset):
    return explain(queryset, "enable_seqscan", "enable_indexscan")


@pytest.fixture
def leads(db):
    Lead.objects.bulk_create(
        Lead(
            lead_type=LeadType.ENQUIRY,
            name=f"Person {i} {'Whitfield' if i % 50 == 0 else 'Smith'}",
            organisation=f"Organisation {i}",
            email=f"person{i}@example.org",
            phone=f"+447700{i:06d}",
        )
        for i in range(300)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE enquiries_lead")


def test_migration_made_a_trigram_index_on_each_searched_field(require_postgres, db):
    indexes = lead_indexes()
    for field in ["reference", "name", "organisation", "email", "phone"]:
        definition = indexes[f"enquiries_lead_{field}_trgm"]
        # The expression Django's icontains writes: UPPER("enquiries_lead"."name"::text).
        assert f"USING gin (upper(({field})::text) gin_trgm_ops)" in definition
    assert (
        "(status, owner_id, due_at) INCLUDE (created_at, duplicate_review, id)"
        in (indexes["enquiries_lead_status_owner_due"])
    )
    assert "(channel, status) INCLUDE (id)" in indexes["enquiries_lead_channel_status"]
    assert "(due_at, created_at DESC, id DESC) WHERE" in indexes["enquiries_lead_closed_in_list_order"]


def test_closed_leads_index_is_over_the_closed_statuses():
    # Its WHERE is fixed in the migration; a new closing status needs a new index.
    assert [status.value for status in CLOSED_STATUSES] == migration.CLOSED_STATUSES


def test_closed_leads_list_can_use_the_closed_index(require_postgres, leads):
    Lead.objects.filter(pk__in=Lead.objects.order_by("pk")[:150].values("pk")).update(
        status=LeadStatus.WON, due_at=None
    )
    queryset = admin_list_queryset(owner="all", state="closed")
    assert "ORDER BY" in str(queryset.query)

    # The first page in the list's order straight from the index, not a sort of every closed lead.
    plan = explain(queryset[:100], "enable_seqscan", "enable_bitmapscan", "enable_sort", "enable_incremental_sort")

    assert "Index Scan using enquiries_lead_closed_in_list_order" in plan, plan


def test_admin_search_by_name_can_use_the_trigram_indexes(require_postgres, leads):
    queryset = admin_search_queryset("whitfield")
    assert 'UPPER("enquiries_lead"."name"::text) LIKE UPPER(' in str(queryset.query)

    plan = explain_without_scans(queryset)

    # Every searched field is ORed, so each needs its index for the bitmap scans to be possible.
    assert "BitmapOr" in plan, plan
    for field in ["reference", "name", "organisation", "email", "phone"]:
        assert f"Bitmap Index Scan on enquiries_lead_{field}_trgm" in plan, plan
    assert {lead.name for lead in queryset} == {f"Person {i} Whitfield" for i in range(0, 300, 50)}


def test_admin_search_by_typed_phone_number_can_use_indexes(require_postgres, leads):
    # Typed as staff say it; the admin adds an exact match on the stored +44 form.
    queryset = admin_search_queryset("07700 000123")

    plan = explain_without_scans(queryset)

    assert "Seq Scan on enquiries_lead" not in plan, plan
    assert "enquiries_lead_phone" in plan, plan
    assert [lead.phone for lead in queryset] == ["+447700000123"]


@pytest.mark.django_db(transaction=True)
def test_migration_reverses_and_reapplies(require_postgres):
    # CREATE INDEX CONCURRENTLY needs to run outside a transaction, as the migration does.
    with connection.schema_editor(atomic=False) as schema_editor:
        migration.drop_indexes(None, schema_editor)
    assert not set(migration.INDEXES) & set(lead_indexes())

    with connection.schema_editor(atomic=False) as schema_editor:
        migration.create_indexes(None, schema_editor)
    assert set(migration.INDEXES) <= set(lead_indexes())
    assert len(migration.INDEXES) == 8


def test_bench_leads_runs_end_to_end(require_postgres, tmp_path):
    db = settings.DATABASES["default"]
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    pg_url = f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    result = subprocess.run(
        [sys.executable, "tests/load/bench_leads.py", "--leads", "200", "--repeat", "2", "--warmup", "1"]
        + ["--export-repeat", "1", "--workers", "2", "--explain", "--pg-url", pg_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    table = result.stdout.split("| Page |", 1)[1]
    for page in ["Lead list: my open leads", "Search, all leads: name", "Status filter", "Dashboard"]:
        assert f"| {page}" in table
    assert "| Export CSV, all leads: first byte" in table
    assert "| Export CSV, all leads: whole file" in table
