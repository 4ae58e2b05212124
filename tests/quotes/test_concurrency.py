"""Two people accepting the same quote at once, as real requests to a live server on PostgreSQL.

Each request runs in its own server thread with its own connection, as in production. Both tests
widen the race window the same way (a pause after checking that the quote can be accepted), so
the control, with the row lock taken away, shows the double acceptance the lock prevents.
"""

import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.db.models import QuerySet

from booking.models import CourseSession
from quotes import links, services
from quotes.models import Quote, QuoteStatus
from quotes.services import acceptance
from tests.quotes.conftest import draft

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

WINDOW = 0.5  # seconds between checking the quote and recording the acceptance


@pytest.fixture
def server(require_postgres, transactional_db, request):
    # Asked for only once PostgreSQL is known to be there, so a skipped run starts no server.
    return request.getfixturevalue("live_server")


@pytest.fixture
def wide_window(monkeypatch):
    real = acceptance.acceptance_refusal

    def check_then_pause(quote, **kwargs):
        refusal = real(quote, **kwargs)
        if refusal is None:
            time.sleep(WINDOW)
        return refusal

    monkeypatch.setattr(acceptance, "acceptance_refusal", check_then_pause)


@pytest.fixture
def sent_quote(lead, amy):
    # No trainer and PO to follow: nothing but the quote's own lock stands between the two.
    return services.quote_send(quote=draft(lead, amy, trainer=None), user=amy)


def accept_over_http(page_url, name, results):
    """As a browser does it: open the page (for the CSRF cookie and token), then send the form."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(page_url).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    date = re.search(r'name="proposed_date" value="(\d+)"', page).group(1)
    form = {
        "csrfmiddlewaretoken": token,
        "proposed_date": date,
        "name": name,
        "job_title": "Training Lead",
        "email": f"{name.split()[0].lower()}@example.org",
        "phone": "01473 555 321",
        "po_to_follow": "on",
        "invoice_address": "Finance, Heath Road, Ipswich IP4 5PD",
        "confirm": "on",
    }
    request = urllib.request.Request(
        page_url, data=urllib.parse.urlencode(form).encode(), headers={"Referer": page_url}, method="POST"
    )
    try:
        response = opener.open(request)
        results.append((name, response.status, response.url))
    except urllib.error.HTTPError as exc:
        results.append((name, exc.code, exc.read().decode()))


def race(server, quote):
    page_url = server.url + "/quotes/" + links.quote_token(quote) + "/"
    results = []
    threads = [
        threading.Thread(target=accept_over_http, args=(page_url, name, results))
        for name in ("Morgan Reid", "Priya Shah")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_simultaneous_acceptances_accept_once(server, sent_quote, wide_window, settings):
    settings.BOOKING_LOCK_TIMEOUT_MS = 30_000
    results = race(server, sent_quote)
    statuses = sorted(status for _, status, _ in results)
    assert statuses == [200, 409], results  # the winner follows the redirect to the confirmation
    winner = next(name for name, status, _ in results if status == 200)
    loser_page = next(body for _, status, body in results if status == 409)
    assert "Accepted on" in loser_page and winner in loser_page and "Accept this quote" not in loser_page
    quote = Quote.objects.get(pk=sent_quote.pk)
    assert quote.status == QuoteStatus.ACCEPTED and quote.accepted_by_name == winner
    assert CourseSession.objects.filter(is_in_house=True).count() == 1


def test_control_without_the_lock_both_accept(server, sent_quote, wide_window, monkeypatch):
    # Every FOR UPDATE taken away: both requests see a quote that can be accepted.
    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, *args, **kwargs: self)
    results = race(server, sent_quote)
    assert sorted(status for _, status, _ in results) == [200, 200], results
    assert CourseSession.objects.filter(is_in_house=True).count() == 2  # one course sold twice


def test_sending_a_new_version_while_the_client_accepts_the_old_one_waits_and_is_refused(
    require_postgres, lead, amy, monkeypatch
):
    """Accepting version 1 locks it while it works; sending version 2 at that moment waits for it
    (both lock every version in the same order) and is then refused, instead of a deadlock."""
    from django.db import connection

    from tests.quotes.conftest import accept

    first = services.quote_send(quote=draft(lead, amy), user=amy)
    second = services.quote_new_version(quote=first, user=amy)
    checked = acceptance.acceptance_refusal

    def slow_check(quote, **kwargs):
        refusal = checked(quote, **kwargs)
        time.sleep(1.0)  # version 1 is locked; the send starts meanwhile
        return refusal

    monkeypatch.setattr(acceptance, "acceptance_refusal", slow_check)
    results = {}

    def run(name, action):
        try:
            action()
            results[name] = "done"
        except Exception as exc:  # the refusal or, without the ordering, the deadlock
            results[name] = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()

    accepting = threading.Thread(target=run, args=("accept", lambda: accept(first)))
    sending = threading.Thread(target=run, args=("send", lambda: services.quote_send(quote=second, user=amy)))
    accepting.start()
    time.sleep(0.3)
    sending.start()
    accepting.join(30)
    sending.join(30)
    assert results["accept"] == "done"
    assert (
        results["send"].startswith("ValidationError") and "Version 1 of this quote has been accepted" in results["send"]
    )
    assert Quote.objects.get(pk=second.pk).status == QuoteStatus.DRAFT
