from celery import shared_task

from . import delivery


@shared_task(bind=True, acks_late=True, ignore_result=True)
def deliver_webhook(self, delivery_id):
    """One attempt at a webhook delivery (queue "webhooks"); a failure due again within the hour
    is queued with a countdown, later ones are left to the sweep."""
    outcome = delivery.delivery_send(delivery_id)
    if (
        outcome.retry_in is not None
        and not self.request.is_eager
        and outcome.retry_in <= delivery.COUNTDOWN_MAX_SECONDS
    ):
        # One second late rather than early, so the copy finds the row due.
        delivery.enqueue([delivery_id], countdown=outcome.retry_in + 1)
    return outcome.result


@shared_task(ignore_result=True)
def webhook_sweep():
    """Beat, every minute: pending deliveries whose task was lost are queued again."""
    return delivery.webhook_sweep()
