"""Indexes for the lead desk at hundreds of thousands of leads, on PostgreSQL only.

Search. The admin searches `search_fields` with `icontains`, which Django writes on PostgreSQL as
`UPPER("enquiries_lead"."name"::text) LIKE UPPER('%term%')`. A B-tree cannot answer a LIKE with a
leading wildcard, so every search read the whole table. A GIN index over exactly that expression
with `gin_trgm_ops` (pg_trgm) can: the planner ORs one bitmap index scan per field. The expression
must stay the same as Django's, or the planner ignores the index.

Counts. The list counts its leads on every page ("my open leads": owner and open statuses) and the
dashboard counts by status, owner, due time and channel. Two composite indexes answer those from
the index alone (index-only scans) instead of reading every row: (status, owner, due) carrying
created_at, duplicate_review and id, which the dashboard's headline counts also read; and
(channel, status) carrying id, for the counts by status and by source.

Closed leads in list order. The list is sorted by due time (nulls last), newest first. A closed
lead has no due time, so every closed lead sorts after every open one: for "Closed", "Won" or
"Lost" the planner walked the due_at index past all the open leads, then sorted the closed ones,
taking seconds. A partial index over the closed leads in exactly the list's order gives their
first page at once. Its WHERE must stay CLOSED_STATUSES (tests/enquiries/test_search_indexes.py).

Built CONCURRENTLY (so the migration is not atomic): on a large table a plain CREATE INDEX would
block inserts, that is the public enquiry and callback forms, for as long as it takes. pg_trgm is a
trusted extension (PostgreSQL 13+), so the database owner may create it without being a superuser.

SQLite has no pg_trgm and its LIKE is already case-insensitive: nothing is done there. The indexes
live only in the database, not in the model state, so `makemigrations` sees no change.
"""

from django.db import migrations

TABLE = "enquiries_lead"
SEARCH_FIELDS = ["reference", "name", "organisation", "email", "phone"]
CLOSED_STATUSES = ["won", "lost"]  # as enquiries.models.CLOSED_STATUSES
CLOSED_SQL = ", ".join(f"'{status}'" for status in CLOSED_STATUSES)


def trigram_index(field):
    return f"{TABLE}_{field}_trgm", f'USING gin ((UPPER("{field}"::text)) gin_trgm_ops)'


INDEXES = dict(
    [trigram_index(field) for field in SEARCH_FIELDS]
    + [
        (
            f"{TABLE}_status_owner_due",
            '("status", "owner_id", "due_at") INCLUDE ("created_at", "duplicate_review", "id")',
        ),
        (f"{TABLE}_channel_status", '("channel", "status") INCLUDE ("id")'),
        (f"{TABLE}_closed_in_list_order", f'("due_at", "created_at" DESC, "id" DESC) WHERE "status" IN ({CLOSED_SQL})'),
    ]
)


def _postgres(schema_editor):
    return schema_editor.connection.vendor == "postgresql"


def _drop_if_invalid(schema_editor, name):
    """A CONCURRENTLY build that failed leaves an INVALID index behind, which IF NOT EXISTS would
    then keep for ever: drop it so the build is tried again."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_index JOIN pg_class ON pg_class.oid = pg_index.indexrelid "
            "WHERE pg_class.relname = %s AND NOT pg_index.indisvalid",
            [name],
        )
        invalid = cursor.fetchone() is not None
    if invalid:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


def create_indexes(apps, schema_editor):
    if not _postgres(schema_editor):
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        _drop_if_invalid(schema_editor, name)
        schema_editor.execute(f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "{TABLE}" {definition}')


def drop_indexes(apps, schema_editor):
    if not _postgres(schema_editor):
        return
    # The pg_trgm extension stays: other indexes or queries may use it, and it costs nothing.
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("enquiries", "0003_sales_desk"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
