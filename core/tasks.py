from celery import shared_task


@shared_task
def ping():
    """Answers "pong": lets operators and tests check that a worker is consuming the queue."""
    return "pong"
