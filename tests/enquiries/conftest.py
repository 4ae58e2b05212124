"""Sales staff for the lead admin's tests: Amy and Ben, members of the "Sales" group (made by a
migration), and a client signed in as Amy."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


def make_sales_user(username):
    user = get_user_model().objects.create_user(
        username, email=f"{username}@example.com", first_name=username.title(), is_staff=True
    )
    user.groups.add(Group.objects.get(name="Sales"))
    return user


@pytest.fixture
def amy():
    return make_sales_user("amy")


@pytest.fixture
def ben():
    return make_sales_user("ben")


@pytest.fixture
def amy_client(client, amy):
    client.force_login(amy)
    return client
