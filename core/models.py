"""Shared tables: the stored answers that make retried API requests safe."""

from django.db import models


class IdempotencyKey(models.Model):
    """The first successful answer to a request sent with an Idempotency-Key header.

    The row is written in the same transaction as the work it answers for, so a failed request
    leaves no row and can be retried with the same key; the unique key makes a second,
    simultaneous request with that key wait for the first and then replay its answer.
    """

    key = models.CharField(max_length=255, unique=True)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of the method, path and JSON body.")
    # Empty only inside the transaction that claimed the key; filled in before it commits.
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "idempotency key"

    def __str__(self):
        return self.key
