from celery import shared_task

from . import services


@shared_task(bind=True, max_retries=None, acks_late=True, ignore_result=True)
def send_email(self, email_id):
    """Send one outbox row (at most once); transient failures retry with backoff."""
    result = services.email_send(email_id)
    if result == services.SendResult.RETRY and not self.request.is_eager:
        from .models import OutboundEmail

        row = OutboundEmail.objects.only("attempts").get(pk=email_id)
        raise self.retry(countdown=services.retry_delay(row.attempts))
    return result


@shared_task(ignore_result=True)
def sweep_outbox():
    """Beat, every minute: nothing queued is left behind when the broker was down."""
    return services.outbox_sweep()
