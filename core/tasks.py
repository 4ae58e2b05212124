from celery import shared_task


@shared_task
def ping():
    """Answers "pong": lets operators and tests check that a worker is consuming the queue."""
    return "pong"


@shared_task
def expire_idempotency_keys():
    """Daily: remove Idempotency-Key answers past IDEMPOTENCY_KEY_HOURS."""
    from .idempotency import keys_expire

    return keys_expire()
