"""Idempotency-Key answers are kept for IDEMPOTENCY_KEY_HOURS, then removed by a daily task."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from core.models import IdempotencyKey
from core.tasks import expire_idempotency_keys

pytestmark = pytest.mark.django_db


def test_the_daily_task_removes_only_answers_past_their_time(settings):
    settings.IDEMPOTENCY_KEY_HOURS = 48
    now = timezone.now()
    for key, age in [("old", 49), ("edge", 47), ("new", 0)]:
        row = IdempotencyKey.objects.create(key=key, request_hash="x", status_code=201, response_body={})
        IdempotencyKey.objects.filter(pk=row.pk).update(created_at=now - timedelta(hours=age))

    assert expire_idempotency_keys() == 1
    assert set(IdempotencyKey.objects.values_list("key", flat=True)) == {"edge", "new"}


def test_it_is_on_the_beat_schedule():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "core.tasks.expire_idempotency_keys")
    assert entry["schedule"].hour == {3}
