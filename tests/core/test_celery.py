import pytest
from django.conf import settings

from core.tasks import ping


def test_without_redis_tasks_run_eagerly():
    if settings.REDIS_URL:
        pytest.skip("REDIS_URL is set: tasks go to a real broker (see the worker test)")
    assert settings.CELERY_TASK_ALWAYS_EAGER
    assert ping.delay().get() == "pong"


def test_a_real_worker_consumes_the_queue(celery_worker_process):
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    assert ping.delay().get(timeout=20) == "pong"
