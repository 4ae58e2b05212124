"""A webhook attempt has a deadline for the whole exchange, not only for each read: a receiver
that answers a byte at a time is cut off and tried again later, over http and https."""

import shutil
import socket
import ssl
import subprocess
import threading
import urllib.request

import pytest
from django.db import transaction

from partners import delivery
from partners.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from partners.webhooks import webhooks_emit
from tests.factories import make_session

pytestmark = pytest.mark.django_db


class TricklingReceiver:
    """Reads the request, then sends its answer one byte every 0.2 s (each well inside the
    socket timeout), 100 bytes before the headers end: 20 s for the whole answer. One request."""

    def __init__(self, tls=None):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.tls = tls
        self.requests = 0
        self.cut = threading.Event()  # the client went away mid-answer
        self.finished = threading.Event()  # the whole answer went out
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        conn, _ = self.listener.accept()
        try:
            if self.tls:
                conn = self.tls.wrap_socket(conn, server_side=True)
            data = b""
            while b"\r\n\r\n" not in data:
                data += self.receive(conn)
            head, body = data.split(b"\r\n\r\n", 1)
            length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))[15:])
            while len(body) < length:
                body += self.receive(conn)
            self.requests += 1
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            for _ in range(100):
                if self.cut.wait(0.2):
                    return
                conn.sendall(b"a")
            conn.sendall(b"\r\nContent-Length: 2\r\n\r\nok")
            self.finished.set()
        except (OSError, ssl.SSLError, EOFError):
            self.cut.set()
        finally:
            conn.close()
            self.listener.close()

    @staticmethod
    def receive(conn):
        data = conn.recv(65536)
        if not data:
            raise EOFError("the client closed the connection before its request was whole")
        return data

    def wait_until_cut(self):
        # The client's shutdown shows here as a broken pipe or reset on the next byte sent.
        return self.cut.wait(15)


def pending_delivery(url):
    WebhookEndpoint.objects.create(url=url, events=["session.cancelled"])
    session = make_session()
    with transaction.atomic():
        webhooks_emit("session.cancelled", {"id": session.pk}, session=session, change="cancelled")
    return WebhookDelivery.objects.get()


@pytest.fixture
def tls_certificate(tmp_path, monkeypatch):
    """A TLS context for a receiver at 127.0.0.1, with a certificate the sender is made to trust."""
    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    # The sender as in production, but trusting this certificate instead of the system's CAs.
    trusting = delivery._HTTPSHandler(context=ssl.create_default_context(cafile=str(cert)))
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), delivery._NoRedirects, delivery._HTTPHandler, trusting
    )
    monkeypatch.setattr(delivery, "_opener", opener)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_an_answer_sent_a_byte_at_a_time_is_cut_off_at_the_deadline_and_retried(scheme, settings, request):
    settings.WEBHOOK_DEADLINE_SECONDS = 2  # time enough for the request on a busy machine
    receiver = TricklingReceiver(tls=request.getfixturevalue("tls_certificate") if scheme == "https" else None)
    row = pending_delivery(receiver.url)

    outcome = delivery.delivery_send(row.pk)

    assert receiver.requests == 1 and receiver.wait_until_cut() and not receiver.finished.is_set()
    row.refresh_from_db()
    assert outcome.result == "retry"
    assert (row.status, row.attempts, row.last_response_status) == (DeliveryStatus.PENDING, 1, None)
    assert row.last_error == "No whole answer within 2 s: cut off."


def test_a_prompt_answer_is_not_affected_by_the_deadline(settings, receiver):
    settings.WEBHOOK_DEADLINE_SECONDS = 1
    row = pending_delivery(receiver.url + "/hook")
    assert delivery.delivery_send(row.pk).result == "sent"
    assert len(receiver.to("/hook")) == 1
