"""A bad day for Redis: stopped, or hung (SIGSTOP: it accepts connections and never answers).
Leads are never lost, nothing answers 5xx, and /healthz/ answers within a second.

Uses a private redis-server on a free port (never the shared one); skipped without redis-server.
"""

import shutil
import signal
import socket
import subprocess
import time

import pytest
from django.urls import reverse

from enquiries.models import Lead
from tests.enquiries.test_views import callback_data, enquiry_data

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def private_redis(settings):
    """A redis-server of our own, used as this test's cache; the test may stop or freeze it."""
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server (apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    url = f"redis://127.0.0.1:{port}/0"
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    process.url = url
    yield process
    if process.poll() is None:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)


def stop(process):
    process.terminate()
    process.wait(timeout=10)


def freeze(process):
    process.send_signal(signal.SIGSTOP)


@pytest.mark.parametrize("fault", [stop, freeze], ids=["stopped", "hung"])
def test_enquiries_and_callbacks_are_kept_when_redis_fails(client, private_redis, fault):
    fault(private_redis)
    started = time.monotonic()
    enquiry = client.post(reverse("enquiries:enquiry"), enquiry_data())
    callback = client.post(reverse("enquiries:callback"), callback_data())
    api = client.post("/api/v1/enquiries/", _api_enquiry(), content_type="application/json")
    elapsed = time.monotonic() - started
    assert enquiry.status_code == 302, enquiry.content[:500]
    assert callback.status_code == 302, callback.content[:500]
    assert api.status_code == 201, api.content[:500]
    assert Lead.objects.count() == 3
    assert elapsed < 6  # each cache call gives up after half a second


def test_healthz_answers_within_a_second_when_redis_hangs(client, private_redis):
    freeze(private_redis)
    started = time.monotonic()
    response = client.get("/healthz/")
    assert time.monotonic() - started < 1.5
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {"status": "down"}  # no error text for the public


def _api_enquiry():
    data = enquiry_data()
    return {
        "name": data["name"],
        "email": data["email"],
        "phone": data["phone"],
        "organisation": data["organisation"],
        "organisation_type": data["organisation_type"],
        "staff_count": 40,
        "message": "Training for our front desk staff.",
        "consent": True,
    }
