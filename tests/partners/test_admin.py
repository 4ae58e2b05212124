"""The office makes and revokes partner keys in the admin; the key is shown once; Sales see nothing."""

import re

import pytest
from django.contrib.auth.models import Group, Permission

from partners import services
from partners.models import PartnerKey

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/partners/partnerkey/"


@pytest.fixture
def office(client, django_user_model):
    user = django_user_model.objects.create_user("olive", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="partners"))
    client.force_login(user)
    return user


def test_office_makes_a_key_shown_once_and_stored_as_a_hash(client, office):
    response = client.post(
        f"{CHANGELIST}add/",
        {
            "organisation": "Care Jobs Ltd",
            "contact_email": "api@carejobs.example",
            "bookings_per_hour": 30,
            "leads_per_hour": 40,
        },
        follow=True,
    )
    assert response.status_code == 200
    keys = re.findall(r"<code>([^<]+)</code>", response.content.decode())
    assert len(keys) == 1
    key = keys[0]
    row = PartnerKey.objects.get()
    assert (row.organisation, row.bookings_per_hour, row.leads_per_hour, row.created_by) == (
        "Care Jobs Ltd",
        30,
        40,
        office,
    )
    assert row.prefix == key[:8]
    assert key not in {str(value) for value in row.__dict__.values()}
    assert services.partner_key_find(key) == row

    # Never again: not in the list, not on the key's page.
    for page in (CHANGELIST, f"{CHANGELIST}{row.pk}/change/"):
        text = client.get(page).content.decode()
        assert key not in text
        assert row.prefix in text


def test_office_revokes_keys_from_the_list(client, office):
    new = services.partner_key_create(organisation="Care Jobs Ltd", contact_email="api@carejobs.example")
    response = client.post(CHANGELIST, {"action": "revoke", "_selected_action": [new.partner_key.pk]}, follow=True)
    assert response.status_code == 200
    new.partner_key.refresh_from_db()
    assert new.partner_key.revoked_at is not None
    assert services.partner_key_find(new.key) is None
    assert client.get("/api/v1/courses/", headers={"Authorization": f"Bearer {new.key}"}).status_code == 401


def test_keys_cannot_be_deleted(client, office):
    new = services.partner_key_create(organisation="Care Jobs Ltd", contact_email="api@carejobs.example")
    assert client.get(f"{CHANGELIST}{new.partner_key.pk}/delete/").status_code == 403


def test_sales_cannot_see_partner_keys(client, django_user_model):
    services.partner_key_create(organisation="Care Jobs Ltd", contact_email="api@carejobs.example")
    sally = django_user_model.objects.create_user("sally", is_staff=True)
    sally.groups.add(Group.objects.get(name="Sales"))
    client.force_login(sally)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert "partnerkey" not in client.get("/admin/").content.decode()
