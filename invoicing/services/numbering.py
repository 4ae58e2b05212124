"""Gap-free document numbers: INV-000001, INV-000002, ... and CN-000001, ... each unbroken.

A UK VAT invoice needs "a unique number from an unbroken sequence". A PostgreSQL SEQUENCE
cannot give that: nextval() is not transactional, so an issue that rolls back after taking a
number (a failed check, a lock timeout, a crash) burns it and leaves a gap. Instead the last
number of each series lives in a counter row, locked with SELECT ... FOR UPDATE and increased
inside the transaction that issues the document. A concurrent issue waits on the lock and then
reads the committed value, so numbers never repeat; a rollback undoes the increment with
everything else, so the next issue takes the same number and nothing is skipped.

The price is that issues are serialised on the row until their transaction commits; the
issuing transactions are short (the PDF is rendered later, when it is first sent or fetched).
"""

from django.db import transaction

from ..models import InvoiceCounter

DIGITS = 6


def next_number(series):
    """The next number of `series` ("INV" or "CN"), taken inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Take a document number inside the transaction that issues the document.")
    # The row may not exist yet (a new database): create it if missing without a race (a
    # concurrent insert waits, then does nothing), then lock it.
    InvoiceCounter.objects.bulk_create([InvoiceCounter(series=series, last=0)], ignore_conflicts=True)
    counter = InvoiceCounter.objects.select_for_update().get(series=series)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{series}-{counter.last:0{DIGITS}d}"
