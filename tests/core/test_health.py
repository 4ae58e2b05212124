import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_check_left_running(monkeypatch):
    from core import health

    monkeypatch.setattr(health, "_running", {})


def test_healthz_reports_each_service(client, settings):
    response = client.get("/healthz/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["cache"] == {"status": "ok"}
    assert ("broker" in body["checks"]) == bool(settings.REDIS_URL)


def _healthz_in_subprocess(**env):
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz/', HTTP_HOST='localhost');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "x", **env}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_healthz_is_503_when_the_database_cannot_be_reached():
    # Port 1 on loopback: nothing listens, so the connection is refused at once.
    result = _healthz_in_subprocess(DATABASE_URL="postgres://postgres@127.0.0.1:1/nothing", REDIS_URL="")
    assert result["status"] == 503
    assert result["body"]["status"] == "unavailable"
    assert result["body"]["checks"]["database"]["status"] == "down"
    assert result["body"]["checks"]["cache"]["status"] == "ok"


def test_healthz_is_503_when_redis_cannot_be_reached():
    result = _healthz_in_subprocess(DATABASE_URL="sqlite:///:memory:", REDIS_URL="redis://127.0.0.1:1/0")
    assert result["status"] == 503
    assert result["body"]["checks"]["database"]["status"] == "ok"
    assert result["body"]["checks"]["cache"]["status"] == "down"
    assert result["body"]["checks"]["broker"]["status"] == "down"


def test_healthz_shows_error_text_to_staff_only(client, admin_client, monkeypatch):
    from core import health

    monkeypatch.setattr(health, "check_cache", lambda: "ConnectionError: redis-internal.example:6379 refused")
    public = client.get("/healthz/").json()
    assert public["checks"]["cache"] == {"status": "down"}
    staff = admin_client.get("/healthz/").json()
    assert "refused" in staff["checks"]["cache"]["error"]


def test_a_check_that_hangs_is_down_within_the_deadline(client, monkeypatch):
    import time

    from core import health

    monkeypatch.setattr(health, "check_cache", lambda: time.sleep(3))
    started = time.monotonic()
    response = client.get("/healthz/")
    assert time.monotonic() - started < 1.5
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {"status": "down"}


def test_a_hung_check_is_not_started_again_by_every_caller_and_the_database_stays_up(client, monkeypatch):
    import threading

    from core import health

    started = []
    release = threading.Event()

    def hangs():
        started.append(1)
        release.wait(30)

    monkeypatch.setattr(health, "check_cache", hangs)
    try:
        bodies = [client.get("/healthz/").json() for _ in range(8)]
    finally:
        release.set()
    assert len(started) == 1  # eight callers, one hung check
    assert all(body["checks"]["database"] == {"status": "ok"} for body in bodies)
    assert all(body["checks"]["cache"] == {"status": "down"} for body in bodies)
