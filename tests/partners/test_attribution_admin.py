"""Office staff see which partner key made a booking or sent a lead, and can list a partner's
bookings; a Sales user sees the same on the pages they may read."""

import pytest
from django.contrib.auth.models import Group

from enquiries.models import Lead
from partners import services
from tests.factories import make_booking, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales_client(client, django_user_model):
    user = django_user_model.objects.create_user("sam", is_staff=True)
    user.groups.add(Group.objects.get(name="Sales"))
    client.force_login(user)
    return client


@pytest.fixture
def partner():
    return services.partner_key_create(organisation="Care Jobs Ltd", contact_email="api@carejobs.example").partner_key


def test_a_booking_page_names_the_partner_key_that_made_it(sales_client, partner):
    booking = make_booking(make_session(), count=1)
    booking.partner_key = partner
    booking.save(update_fields=["partner_key"])

    page = sales_client.get(f"/admin/booking/booking/{booking.pk}/change/").content.decode()
    assert "Made with partner key" in page
    assert f"Care Jobs Ltd ({partner.prefix}…)" in page


def test_the_booking_list_filters_by_partner_key(sales_client, partner):
    session = make_session()
    made_by_partner = make_booking(session, count=1, prefix="p")
    made_by_partner.partner_key = partner
    made_by_partner.save(update_fields=["partner_key"])
    direct = make_booking(session, count=1, prefix="d")

    page = sales_client.get(f"/admin/booking/booking/?partner_key__id__exact={partner.pk}").content.decode()
    assert made_by_partner.reference in page
    assert direct.reference not in page


def test_a_lead_page_names_the_partner_key_that_sent_it(sales_client, partner):
    lead = Lead.objects.create(name="Priya Shah", email="priya@example.com", message="Team of 12", partner_key=partner)

    page = sales_client.get(f"/admin/enquiries/lead/{lead.pk}/change/").content.decode()
    assert "Sent with partner key" in page
    assert f"Care Jobs Ltd ({partner.prefix}…)" in page
