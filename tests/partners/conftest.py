"""Webhook tests' receiver on loopback and fixtures."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps every request; answers 500 to the first
    `fail_first`, then `status` (with `location` for a redirect)."""

    def __init__(self):
        self.requests = []
        self.fail_first = 0
        self.status = 200
        self.location = None
        self.delay = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    count = len(receiver.requests)
                time.sleep(receiver.delay)
                self.send_response(500 if count <= receiver.fail_first else receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def to(self, path, event_type=None):
        return [
            r
            for r in self.requests
            if r["path"] == path and (event_type is None or json.loads(r["body"])["type"] == event_type)
        ]

    def wait_for(self, check, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not check():
            time.sleep(0.05)
        return check()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def webhooks_in_process(eager_celery):
    """Deliveries run in this process when the change commits, with or without a broker."""


@pytest.fixture
def fresh_counts():
    cache.clear()  # the per-key booking counts outlive a test
    yield
    cache.clear()
