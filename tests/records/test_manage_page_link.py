"""The booker finds their organisation's training record from the booking's manage page."""

import re

import pytest

from booking.links import manage_url
from tests.factories import make_booking, make_session


@pytest.mark.django_db
def test_the_manage_page_links_to_the_organisations_training_record(client, settings):
    settings.SITE_URL = "http://testserver"
    booking = make_booking(make_session(starts_in_days=10), count=2, organisation="Harbourside Care Homes")
    page = client.get(manage_url(booking).removeprefix("http://testserver")).content.decode()
    link = re.search(r'href="(/training-record/[^"]+/)"', page).group(1)
    record = client.get(link)
    assert record.status_code == 200
    assert "Harbourside Care Homes" in record.content.decode()
