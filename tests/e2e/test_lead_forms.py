"""The three public lead forms in a real browser: an in-house enquiry from a course page, a
"Let's talk" callback from the header, and a newsletter sign-up from the footer through to the
confirmation link. Each page is checked with axe and photographed."""

import re

import pytest
from playwright.sync_api import expect

from enquiries.models import Lead, LeadType, NewsletterSubscriber, SubscriberStatus
from outbox.models import OutboundEmail

from .conftest import DESKTOP, PHONE, axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def quick_forms(settings):
    settings.LEADS_MIN_SUBMIT_SECONDS = 0
    settings.LEADS_RATE_LIMIT_PER_HOUR = 1000


def test_enquiry_from_a_course_page_with_the_course_preselected(page, site):
    page.set_viewport_size(DESKTOP)
    page.goto(site + "/courses/de-escalation-skills/")
    page.get_by_role("link", name="Enquire about in-house training").click()
    expect(page).to_have_url(re.compile(r"/enquire/\?course=de-escalation-skills$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("In-house training for your team")
    expect(page.get_by_label("De-escalation Skills", exact=True)).to_be_checked()
    assert axe_violations(page) == []

    page.get_by_label("Your name").fill("Jordan Ellis")
    page.get_by_label("Your job title").fill("Head of Tenancy Safety")
    page.get_by_label("Your email").fill("jordan.ellis@example.org")
    page.get_by_role("button", name="Send enquiry").click()
    # Missing organisation and consent: the summary lists them, with links, and takes the focus.
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=re.compile("^Organisation name"))).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile("^Consent"))).to_be_visible()
    screenshot(page, "enquiry-errors-desktop")
    assert axe_violations(page) == []

    main = page.locator("main")
    expect(main.get_by_label("Your name")).to_have_value("Jordan Ellis")
    summary.get_by_role("link", name=re.compile("^Organisation name")).click()
    expect(page.get_by_label("Organisation name")).to_be_focused()
    page.keyboard.type("Riverside Homes")
    page.get_by_label("Type of organisation").select_option("housing")
    page.get_by_label("Your phone number").fill("01473 555013")
    page.get_by_label("Lone Worker Safety").check()
    page.get_by_label("Number of staff to train").fill("40")
    page.get_by_label("Town or site for the training").fill("Ipswich")
    page.get_by_label("Community or home visits").check()
    page.get_by_label("Some staff work alone").check()
    page.get_by_label("Tell us more").fill("Housing officers meet aggression on home visits.")
    page.get_by_label("How did you hear about us?").select_option("recommendation")
    page.get_by_label("I agree that you may contact me").check()
    page.set_viewport_size(PHONE)
    screenshot(page, "enquiry-form-phone")
    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name="Send enquiry").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your enquiry")
    expect(page.get_by_text(re.compile(r"We will reply by \d\d:\d\d"))).to_be_visible()
    lead = Lead.objects.get()
    assert lead.lead_type == LeadType.ENQUIRY
    assert sorted(lead.courses.values_list("slug", flat=True)) == ["de-escalation-skills", "lone-worker-safety"]
    assert lead.organisation == "Riverside Homes"
    assert lead.settings_worked_in == ["community"]
    # Opened with no referrer and no campaign: a direct visit, never our own course page.
    assert (lead.channel, lead.landing_page, lead.referrer) == ("direct", "", "")
    expect(page.get_by_text(lead.reference).first).to_be_visible()
    screenshot(page, "enquiry-thanks-desktop")
    assert axe_violations(page) == []


def test_callback_from_the_header_in_a_chosen_slot(page, site):
    page.set_viewport_size(DESKTOP)
    page.goto(site + "/")
    page.get_by_role("banner").get_by_role("link", name="Let's talk", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Let's talk")
    expect(page.get_by_role("radio", name=re.compile("^As soon as possible"))).to_be_checked()
    assert axe_violations(page) == []
    screenshot(page, "callback-form-desktop")

    page.get_by_label("Your name").fill("Morgan Price")
    page.get_by_label("Your phone number").fill("07911 123456")
    page.get_by_label("Organisation (optional)").fill("High Street Stores")
    slot = page.get_by_role("group", name="When is best to call?").get_by_role("radio").nth(1)
    slot.check()
    page.get_by_label("What would you like to talk about?").fill("Conflict management for shop floor staff")
    page.get_by_label("I agree that you may call me").check()
    page.get_by_role("button", name="Request a call back").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your request")
    expect(page.get_by_text(re.compile(r"We will call you by \d\d:\d\d .*on 07911 123456"))).to_be_visible()
    lead = Lead.objects.get()
    assert lead.lead_type == LeadType.CALLBACK
    assert lead.callback_date is not None and lead.callback_period in ("am", "pm")
    screenshot(page, "callback-thanks-desktop")
    assert axe_violations(page) == []
    page.set_viewport_size(PHONE)
    screenshot(page, "callback-thanks-phone")


def test_newsletter_from_the_footer_then_the_confirmation_link(page, site, settings):
    settings.SITE_URL = site
    page.set_viewport_size(DESKTOP)
    page.goto(site + "/sectors/nhs/")
    footer = page.get_by_role("contentinfo")
    footer.get_by_label("Email address").fill("sam.reader@example.net")
    footer.get_by_role("button", name="Sign up").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Insights newsletter")
    main = page.locator("main")
    expect(main.get_by_label("Your email")).to_have_value("sam.reader@example.net")
    main.get_by_label("Your sector").select_option(label="NHS")
    main.get_by_label("I agree that you may email me").check()
    assert axe_violations(page) == []
    screenshot(page, "newsletter-form-desktop")
    main.get_by_role("button", name="Sign up").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    expect(page.get_by_text("sam.reader@example.net")).to_be_visible()
    assert axe_violations(page) == []
    subscriber = NewsletterSubscriber.objects.get()
    assert subscriber.status == SubscriberStatus.PENDING
    assert subscriber.sector.slug == "nhs"

    email = OutboundEmail.objects.get(kind="newsletter_confirm")
    link = re.search(r"(https?://\S+/newsletter/confirm/\S+/)", email.body_text).group(1)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your sign-up")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Confirm my sign-up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are subscribed")
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.CONFIRMED
    screenshot(page, "newsletter-confirmed-desktop")
    assert axe_violations(page) == []


@pytest.mark.parametrize("path", ["/privacy/", "/accessibility/", "/newsletter/confirm/not-a-token/"])
def test_policy_and_link_pages_meet_wcag_aa(page, site, path):
    for label, size in [("desktop", DESKTOP), ("phone", PHONE)]:
        page.set_viewport_size(size)
        page.goto(site + path)
        expect(page.get_by_role("heading", level=1)).to_have_count(1)
        assert axe_violations(page) == [], f"{path} at {label} width"
    screenshot(page, "page-" + path.strip("/").split("/")[0] + "-phone")
