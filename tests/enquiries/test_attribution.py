"""First-touch attribution without cookies (enquiries/attribution.py) and channel normalisation
(enquiries/channels.py): a visit is followed page by page through the links the site rewrites,
as a browser would, into each lead form."""

import html
import re
import time
from unittest import mock

import pytest
from django.core import signing
from django.shortcuts import redirect

from enquiries import attribution
from enquiries.channels import channel_for
from enquiries.models import Lead, NewsletterSubscriber
from tests.enquiries.test_views import callback_data, enquiry_data, newsletter_data
from tests.factories import CourseFactory, SectorFactory

pytestmark = pytest.mark.django_db

HOST = "http://testserver"
LINKEDIN_LANDING = "/courses/?utm_source=LinkedIn&utm_medium=social"


@pytest.fixture(autouse=True)
def lenient_limits(settings):
    settings.LEADS_RATE_LIMIT_PER_HOUR = 1000


@pytest.fixture
def course():
    return CourseFactory(title="De-escalation Skills", slug="de-escalation-skills")


class Visitor:
    """The test client as a browser: links are followed as written in the page, and each request
    sends the page it came from as its Referer (the site's Referrer-Policy is same-origin)."""

    def __init__(self, client):
        self.client = client
        self.url = ""
        self.response = None
        self.cookies_set = set()

    def _keep(self, url, response):
        self.url, self.response = url, response
        self.cookies_set |= set(response.cookies)
        return response

    def open(self, url, referrer=""):
        extra = {"HTTP_REFERER": referrer} if referrer else {}
        response = self.client.get(url, **extra)
        assert response.status_code == 200, (url, response.status_code)
        return self._keep(url, response)

    def page(self):
        return self.response.content.decode()

    def link(self, starts_with):
        for href in re.findall(r'<a\s[^>]*href="([^"]*)"', self.page()):
            if html.unescape(href).startswith(starts_with):
                return html.unescape(href)
        raise AssertionError(f"no link to {starts_with} on {self.url}")

    def click(self, starts_with):
        return self.open(self.link(starts_with), referrer=HOST + self.url)

    def action(self, starts_with, occurrence=0):
        actions = [html.unescape(a) for a in re.findall(r'<form\s[^>]*action="([^"]*)"', self.page())]
        return [a for a in actions if a.startswith(starts_with)][occurrence]

    def submit(self, starts_with, data, occurrence=0):
        url = self.action(starts_with, occurrence)
        return self._keep(url, self.client.post(url, data, HTTP_REFERER=HOST + self.url))


def carried_token(url):
    match = re.search(r"[?&]src=([^&#]+)", url)
    return match and match.group(1)


# The journey the issue names ----------------------------------------------------------------------


def test_linkedin_via_a_course_page_to_the_enquiry_form_records_the_first_page(client, course):
    visitor = Visitor(client)
    visitor.open(LINKEDIN_LANDING, referrer="https://www.linkedin.com/feed/")
    visitor.click("/courses/de-escalation-skills/")
    assert carried_token(visitor.url)
    visitor.click("/enquire/?course=de-escalation-skills")
    response = visitor.submit("/enquire/", enquiry_data(courses=[course.pk]))

    assert response.status_code == 302
    lead = Lead.objects.get()
    assert lead.landing_page == LINKEDIN_LANDING
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == ("LinkedIn", "social", "")
    assert lead.referrer == "https://www.linkedin.com/feed/"
    assert lead.channel == "linkedin"
    assert list(lead.courses.all()) == [course]
    # The thank-you page keeps the visit's token, so a second lead in the visit has the same source.
    assert response["Location"].startswith("/enquire/thank-you/?src=")
    assert client.get(response["Location"]).status_code == 200


def test_a_google_referrer_without_utm_is_channel_google(client, course):
    visitor = Visitor(client)
    visitor.open("/courses/de-escalation-skills/", referrer="https://www.google.co.uk/")
    visitor.click("/enquire/?course=de-escalation-skills")
    visitor.submit("/enquire/", enquiry_data())

    lead = Lead.objects.get()
    assert (lead.channel, lead.referrer) == ("google", "https://www.google.co.uk/")
    assert lead.landing_page == "/courses/de-escalation-skills/"
    assert lead.utm_source == ""


@pytest.mark.parametrize(
    "referrer",
    [
        "http://testserver/courses/",  # the host the request was made to
        "https://training.example.com/sectors/nhs/",  # SITE_URL
        "https://www.training.example.com/",  # a subdomain of it
        "http://127.0.0.1:8000/",  # ALLOWED_HOSTS
    ],
)
def test_our_own_host_is_never_a_source(client, settings, course, referrer):
    settings.SITE_URL = "https://training.example.com"
    visitor = Visitor(client)
    visitor.open("/courses/de-escalation-skills/", referrer=referrer)
    assert "src=" not in visitor.link("/enquire/")
    visitor.click("/enquire/?course=de-escalation-skills")
    visitor.submit("/enquire/", enquiry_data())

    lead = Lead.objects.get()
    assert (lead.channel, lead.referrer, lead.landing_page) == ("direct", "", "")


def test_a_direct_visit_carries_nothing_so_crawlers_see_clean_links(client, course):
    visitor = Visitor(client)
    visitor.open("/courses/")
    assert not re.search(r'(href|action)="[^"]*src=', visitor.page())
    assert "Referer" in visitor.response["Vary"]
    visitor.click("/courses/de-escalation-skills/")
    visitor.click("/enquire/")
    visitor.submit("/enquire/", enquiry_data())
    assert Lead.objects.get().channel == "direct"


def test_a_new_campaign_later_in_the_visit_becomes_the_first_touch(client, course):
    visitor = Visitor(client)
    visitor.open(LINKEDIN_LANDING, referrer="https://www.linkedin.com/feed/")
    visitor.open("/courses/de-escalation-skills/?utm_source=newsletter&utm_campaign=may", referrer=HOST + "/courses/")
    visitor.click("/enquire/")
    visitor.submit("/enquire/", enquiry_data())

    lead = Lead.objects.get()
    assert (lead.channel, lead.utm_campaign, lead.referrer) == ("newsletter", "may", "")
    assert lead.landing_page == "/courses/de-escalation-skills/?utm_source=newsletter&utm_campaign=may"


def test_a_form_sent_back_with_errors_still_carries_the_first_touch(client, course):
    visitor = Visitor(client)
    visitor.open(LINKEDIN_LANDING, referrer="https://www.linkedin.com/feed/")
    visitor.click("/enquire/")
    response = visitor.submit("/enquire/", enquiry_data(consent=None))
    assert response.status_code == 400
    visitor.submit("/enquire/", enquiry_data())
    assert Lead.objects.get().channel == "linkedin"


# The other forms ----------------------------------------------------------------------------------


def test_callback_from_the_header_keeps_the_first_touch(client):
    visitor = Visitor(client)
    visitor.open("/?utm_source=google&utm_medium=cpc&utm_campaign=retail", referrer="https://www.google.com/")
    visitor.click("/lets-talk/")
    response = visitor.submit("/lets-talk/", callback_data())

    assert response["Location"].startswith("/lets-talk/thank-you/?src=")
    lead = Lead.objects.get()
    assert (lead.channel, lead.utm_medium, lead.utm_campaign) == ("google", "cpc", "retail")
    assert lead.landing_page == "/?utm_source=google&utm_medium=cpc&utm_campaign=retail"


def test_newsletter_from_the_footer_keeps_the_first_touch(client):
    sector = SectorFactory(name="NHS", slug="nhs")
    visitor = Visitor(client)
    visitor.open("/sectors/nhs/", referrer="https://www.bing.com/")
    # The footer's short form leads to the full form, which must still carry the visit.
    response = visitor.submit("/newsletter/", {"from_footer": "1", "email": "sam.reader@example.net"})
    assert response.status_code == 200
    response = visitor.submit("/newsletter/", newsletter_data(sector=sector.pk))

    assert response["Location"].startswith("/newsletter/check-your-inbox/?src=")
    subscriber = NewsletterSubscriber.objects.get()
    assert (subscriber.channel, subscriber.referrer, subscriber.landing_page) == (
        "bing",
        "https://www.bing.com/",
        "/sectors/nhs/",
    )


def test_newsletter_page_itself_as_the_first_page(client):
    visitor = Visitor(client)
    visitor.open("/newsletter/?utm_source=LinkedIn&utm_content=post-12")
    visitor.submit("/newsletter/", newsletter_data())
    subscriber = NewsletterSubscriber.objects.get()
    assert (subscriber.channel, subscriber.utm_content) == ("linkedin", "post-12")


# No cookies, no storage ---------------------------------------------------------------------------


def test_browsing_and_opening_the_forms_sets_no_cookie_but_csrftoken(client, course):
    SectorFactory(name="NHS", slug="nhs")
    visitor = Visitor(client)
    visitor.open(LINKEDIN_LANDING, referrer="https://www.linkedin.com/feed/")
    visitor.click("/courses/de-escalation-skills/")
    visitor.click("/sectors/")
    visitor.click("/sectors/nhs/")
    visitor.click("/enquire/")
    visitor.click("/lets-talk/")
    visitor.submit("/newsletter/", {"from_footer": "1", "email": "sam.reader@example.net"})
    assert visitor.cookies_set == {"csrftoken"}
    assert not client.session.keys()


# Tokens that do not count -------------------------------------------------------------------------


def expired_token():
    with mock.patch("time.time", return_value=time.time() - attribution.MAX_AGE - 60):
        return attribution.make_token({"landing_page": LINKEDIN_LANDING, "referrer": "https://www.linkedin.com/"})


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("garbage", id="garbage"),
        pytest.param("WyIvIiwiIl0:1xXwXC:not-the-signature", id="bad-signature"),
        pytest.param(signing.dumps(["/", "https://evil.example/"], salt="another.salt"), id="another-salt"),
        pytest.param(signing.dumps("/", salt=attribution.SALT), id="wrong-shape"),
        pytest.param("x" * 5000, id="too-long"),
        pytest.param(expired_token(), id="expired"),
    ],
)
def test_a_bad_token_is_ignored(client, course, token):
    response = client.get(f"/courses/?src={token}")
    assert response.status_code == 200
    assert not re.search(r'(href|action)="[^"]*src=', response.content.decode())

    response = client.post(f"/enquire/?src={token}", enquiry_data())
    assert response.status_code == 302
    assert Lead.objects.get().channel == "direct"


@pytest.mark.parametrize("referrer", ["http://[", "not a url", "android-app://com.linkedin.android/"])
def test_odd_referrers_do_no_harm(client, referrer):
    assert client.get("/courses/", HTTP_REFERER=referrer).status_code == 200


# What is left alone -------------------------------------------------------------------------------


def test_pages_with_a_secret_in_their_url_never_become_a_landing_page(client):
    response = client.get("/newsletter/confirm/not-a-token/?utm_source=email", HTTP_REFERER="https://mail.example/")
    assert response.status_code == 404
    assert not re.search(r'(href|action)="[^"]*src=', response.content.decode())
    assert "Referer" not in response.get("Vary", "")


@pytest.mark.parametrize("url", ["/api/v1/courses/?utm_source=x", "/healthz/?utm_source=x"])
def test_the_api_and_health_check_are_left_alone(client, url):
    response = client.get(url, HTTP_REFERER="https://www.linkedin.com/")
    assert "Referer" not in response.get("Vary", "")
    assert b"src=" not in response.content


def test_admin_pages_are_left_alone(client):
    response = client.get("/admin/login/?utm_source=x", HTTP_REFERER="https://www.linkedin.com/")
    assert not re.search(r'(href|action)="[^"]*src=', response.content.decode())


def test_the_course_filter_form_carries_the_token_in_a_hidden_field(client, course):
    visitor = Visitor(client)
    visitor.open(LINKEDIN_LANDING, referrer="https://www.linkedin.com/feed/")
    token = carried_token(visitor.link("/courses/de-escalation-skills/"))
    assert f'<input type="hidden" name="src" value="{token}">' in visitor.page()
    # The browser sends the form's fields as the query: the token goes with them.
    visitor.open(f"/courses/?q=calm&src={token}", referrer=HOST + visitor.url)
    assert carried_token(visitor.link("/enquire/")) == token


@pytest.mark.parametrize(
    "location, carried",
    [
        ("/book/1/?change=1", "/book/1/?change=1&src=T"),
        ("/newsletter/confirm/abc/", "/newsletter/confirm/abc/"),  # a secret in the URL
        ("/bookings/abc/confirmed/", "/bookings/abc/confirmed/"),
        ("https://example.org/", "https://example.org/"),
    ],
)
def test_redirects_carry_the_token_only_within_the_public_site(rf, location, carried):
    def view(request):
        middleware.process_view(request, view, (), {})
        return redirect(location)

    middleware = attribution.AttributionMiddleware(view)
    with mock.patch.object(attribution, "make_token", return_value="T"):
        response = middleware(rf.get("/enquire/?utm_source=google"))
    assert response["Location"] == carried


def test_links_are_rewritten_only_within_the_public_site():
    page = (
        '<a href="/courses/">A</a><a class="x" href="/courses/?delivery=virtual&amp;page=2#list">B</a>'
        '<a href="?page=3&amp;src=old">C</a><a href="#main">D</a><a href="https://example.org/">E</a>'
        '<a href="//cdn.example.org/x.js">F</a><a href="/static/x.css">G</a><a href="/admin/">H</a>'
        '<a href="mailto:a@example.org">I</a><form method="post" action="/newsletter/">'
        '<link href="/courses/"><abbr title="/x">J</abbr>'
    )
    assert attribution.rewrite_html(page, "T") == (
        '<a href="/courses/?src=T">A</a><a class="x" href="/courses/?delivery=virtual&amp;page=2&amp;src=T#list">B</a>'
        '<a href="?page=3&amp;src=T">C</a><a href="#main">D</a><a href="https://example.org/">E</a>'
        '<a href="//cdn.example.org/x.js">F</a><a href="/static/x.css">G</a><a href="/admin/">H</a>'
        '<a href="mailto:a@example.org">I</a><form method="post" action="/newsletter/?src=T">'
        '<link href="/courses/"><abbr title="/x">J</abbr>'
    )


# Channels -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "utm_source, referrer, expected",
    [
        ("google", "", "google"),
        ("Google", "", "google"),
        ("Google Ads", "", "google"),
        ("", "https://www.google.com/", "google"),
        ("", "https://www.google.co.uk/search?q=de-escalation", "google"),
        ("", "https://google.com.au/", "google"),
        ("", "android-app://com.google.android.googlequicksearchbox/", "google"),
        ("www.google.co.uk", "", "google"),
        ("LinkedIn", "", "linkedin"),
        ("li", "", "linkedin"),
        ("linkedin.com", "", "linkedin"),
        ("", "https://www.linkedin.com/feed/", "linkedin"),
        ("", "https://lnkd.in/e4Xyz", "linkedin"),
        ("", "android-app://com.linkedin.android/", "linkedin"),
        ("", "https://t.co/abc", "x"),
        ("twitter", "", "x"),
        ("", "https://x.com/someone", "x"),
        ("", "https://t.me/somechannel", "t.me"),  # Telegram, not X
        ("", "https://l.facebook.com/l.php", "facebook"),
        ("fb", "", "facebook"),
        ("", "https://www.ig.com/", "ig.com"),  # a broker, not Instagram
        ("", "https://youtu.be/abc", "youtube"),
        ("", "https://cn.bing.com/", "bing"),
        ("Newsletter", "https://www.google.com/", "newsletter"),  # the campaign's own word wins
        ("", "https://mft.nhs.uk/staff/", "mft.nhs.uk"),
        ("", "https://www.nhs.uk/", "nhs.uk"),
        ("Spring Fair", "", "spring fair"),
        ("", "", "direct"),
        ("   ", "", "direct"),
        ("", "http://127.0.0.1:8000/courses/", "direct"),
        ("", "http://[::1]:8000/", "direct"),
        ("", "http://localhost:8000/", "direct"),
        ("", "http://[", "direct"),
        ("", "not a url", "direct"),
    ],
)
def test_channels_are_normalised(utm_source, referrer, expected):
    assert channel_for(utm_source, referrer) == expected


def test_our_own_site_is_never_a_channel(settings):
    settings.SITE_URL = "https://training.example.com"
    assert channel_for("", "https://training.example.com/courses/") == "direct"
    assert channel_for("", "https://www.training.example.com/") == "direct"
    assert channel_for("training.example.com", "https://www.bing.com/") == "bing"


def test_a_hand_added_lead_keeps_its_origin():
    assert channel_for("google", "https://www.google.com/", origin="phone") == "phone"
    assert channel_for("google", "", origin="website") == "google"
