"""Every email is a row here first, written in the same transaction as the change that causes
it, then sent by a Celery task queued on commit (outbox/services.py)."""

from django.db import models
from django.utils import timezone


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # The whole message went out but the server's answer never came (or the worker stopped
    # mid-send): it may have been delivered. Never retried blindly; staff check, then resend.
    UNKNOWN = "unknown", "Delivery unknown"


# What staff and the operators are told about: the email did not go, or may not have.
PROBLEM_STATUSES = [EmailStatus.FAILED, EmailStatus.UNKNOWN]


class OutboundEmail(models.Model):
    kind = models.CharField(max_length=50, db_index=True)
    # One notification, one row: the same key is never created twice.
    unique_key = models.CharField(max_length=200, unique=True)
    to = models.JSONField(help_text="Recipient addresses.")
    recipients = models.CharField(max_length=1000, editable=False, help_text="The addresses as text, for search.")
    from_email = models.CharField(max_length=200)
    reply_to = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # [{"filename": ..., "mimetype": ..., "content": text, "method": REQUEST|CANCEL for calendars}]
    attachments = models.JSONField(default=list, blank=True)
    booking = models.ForeignKey(
        "booking.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    lead = models.ForeignKey("enquiries.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="emails")
    headers = models.JSONField(default=dict, blank=True, help_text="Extra headers, e.g. List-Unsubscribe.")
    status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # Transient errors are retried until EMAIL_RETRY_FOR_HOURS after this (a resend starts again).
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Made at the first attempt and used on every one, so a server or client that gets the same
    # email twice (a reply lost, a resend) can tell it is a copy.
    message_id = models.CharField("Message-ID", max_length=255, blank=True, editable=False)
    # The operators have been told about this failed or unknown email (outbox/alerts.py).
    ops_alerted = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "email"
        permissions = [("resend_outboundemail", "Can resend emails")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self):
        return f"{self.subject} to {', '.join(self.to)}"

    def save(self, *args, **kwargs):
        self.recipients = ", ".join(self.to)[:1000]
        super().save(*args, **kwargs)


class EmailTemplate(models.Model):
    """The administrators' own wording for one kind of email; without one, the file templates
    in templates/emails/<kind>/ are used."""

    kind = models.CharField(max_length=50, unique=True)
    subject = models.CharField(max_length=300)
    body_text = models.TextField(
        "text",
        help_text="Plain text. Use the placeholders listed below, for example {{ reference }}. "
        "The HTML version is made from this text in the site's email layout.",
    )
    is_active = models.BooleanField("use this wording", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = "email wording"
        verbose_name_plural = "email wording"

    def __str__(self):
        from . import registry

        kind = registry.KINDS.get(self.kind)
        return kind.label if kind else self.kind
