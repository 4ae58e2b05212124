"""What the leads API's contract tests share: callers (a sales person's token, a partner key,
staff outside Sales), leads made through the real services, and the error shapes."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from enquiries import services
from partners.services import partner_key_create

LEADS = "/api/v1/leads/"
ENQUIRIES = "/api/v1/enquiries/"
CALLBACKS = "/api/v1/callbacks/"
BEARER_CHALLENGE = 'Bearer realm="api"'


def sales_group():
    """The Sales group with its lead permissions (a migration makes it; a test that empties the
    database, such as one with a live server, has to make it again)."""
    group, _ = Group.objects.get_or_create(name=services.SALES_GROUP)
    group.permissions.add(*Permission.objects.filter(codename__in=["view_lead", "change_lead"]))
    return group


def make_sales_user(username="sam", **fields):
    user = get_user_model().objects.create_user(
        username=username, password="a-long-test-password", email=f"{username}@example.com", is_staff=True, **fields
    )
    user.groups.add(sales_group())
    return user


def token_client(user, **kwargs):
    return Client(headers={"Authorization": f"Token {Token.objects.create(user=user).key}"}, **kwargs)


def partner_client(**kwargs):
    key = partner_key_create(organisation="Partner Ltd", contact_email="api@partner.example", leads_per_hour=1000)
    return Client(headers={"Authorization": f"Bearer {key.key}"}, **kwargs), key


def make_enquiry(now=None, **fields):
    data = {"name": "Alex Morgan", "organisation": "Riverside Housing", "email": "alex@example.org"} | fields
    return services.enquiry_submit(data=data, now=now)


def make_callback(now=None, **fields):
    data = {"name": "Jo Patel", "phone": "07911 123456"} | fields
    return services.callback_submit(data=data, now=now)


def post(client, url, body, **extra):
    return client.post(url, body, content_type="application/json", **extra)


def errors_of(response):
    """The field errors of a 400, after checking the shared envelope."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"code", "detail", "errors"}
    assert (body["code"], body["detail"]) == ("invalid", "The request has invalid fields.")
    return body["errors"]


def in_days(days, **time):
    """A UK time `days` from now (at the given hour and minute, if any), aware."""
    when = timezone.localtime(timezone.now() + timedelta(days=days))
    return when.replace(second=0, microsecond=0, **time)


def london_iso(value):
    return timezone.localtime(value).isoformat()
