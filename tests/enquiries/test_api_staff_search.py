"""Contract tests for the lead list's search (GET /api/v1/leads/?search=...): what it finds, that
it finds what the admin's lead search finds, the 400s for a search it cannot use, and (on
PostgreSQL) that it can be answered from the trigram indexes instead of reading every lead."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from enquiries.api.staff import LeadFilter, LeadViewSet
from enquiries.models import Lead, LeadType

from .api_support import LEADS, errors_of, make_callback, make_enquiry, make_sales_user, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales():
    return make_sales_user("sam")


@pytest.fixture
def api(sales):
    return token_client(sales)


@pytest.fixture
def leads():
    now = timezone.now()
    return {
        "jo": make_enquiry(
            now=now - timedelta(days=3),
            name="Jo Whitfield",
            organisation="Riverside Housing",
            email="jo.whitfield@riverside.example",
            phone="01473 555012",
        ),
        "sam": make_callback(
            now=now - timedelta(days=2), name="Sam Patel", phone="07911 123456", organisation="Harbour Leisure"
        ),
        "alex": make_enquiry(
            now=now - timedelta(days=1),
            name="Alex Morgan",
            organisation="East Coast NHS Trust",
            email="alex@eastcoast.example",
        ),
        "joan": make_enquiry(now=now, name="Joan Riley", organisation="Riverside Care", email="joan@rivercare.example"),
    }


def found(api, **params):
    response = api.get(LEADS, params)
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


def refs(leads, *names):
    return [leads[name].reference for name in names]


@pytest.mark.parametrize(
    ("search", "names"),
    [
        ("whitfield", ["jo"]),  # part of a name, any case
        ("WHITFIELD", ["jo"]),
        ("alex@eastcoast", ["alex"]),  # part of an email address
        ("harbour", ["sam"]),  # the organisation
        ("jo riverside", ["joan", "jo"]),  # every word, each in any field; newest first
        ("whitfield riverside", ["jo"]),
        ("jo harbour", []),
        ('"East Coast"', ["alex"]),  # a quoted phrase is one word
        ("07911 123456", ["sam"]),  # a phone number as people type it; stored as +447911123456
        ("+44 1473 555012", ["jo"]),
        ("555012", ["jo"]),  # part of the stored number
    ],
)
def test_search_finds_leads_by_name_email_phone_or_organisation(api, leads, search, names):
    assert found(api, search=search) == refs(leads, *names)


def test_search_finds_every_match_newest_first(api, leads):
    assert found(api, search="riverside") == refs(leads, "joan", "jo")  # Riverside Care, Riverside Housing
    assert found(api, search="riverside housing") == refs(leads, "jo")


def test_search_by_reference(api, leads):
    assert found(api, search=leads["sam"].reference.lower()) == refs(leads, "sam")


def test_search_narrows_the_filters_and_the_count(api, leads):
    response = api.get(LEADS, {"search": "jo", "type": "enquiry", "page_size": 1})
    body = response.json()
    assert body["count"] == 2  # Jo Whitfield and Joan Riley
    assert [row["reference"] for row in body["results"]] == refs(leads, "joan")
    assert body["next"] is not None
    assert found(api, search="jo", type="callback") == []


@pytest.mark.parametrize(
    "search", ["whitfield", "jo riverside", '"East Coast"', "07911 123456", "555012", "example", "zzz"]
)
def test_search_finds_what_the_admins_lead_search_finds(api, leads, sales, search):
    request = RequestFactory().get("/admin/enquiries/lead/")
    request.user = sales
    by_admin, _ = admin.site._registry[Lead].get_search_results(request, Lead.objects.all(), search)

    assert set(found(api, search=search, page_size=100)) == {lead.reference for lead in by_admin}


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"search": ""}, {"search": ["Give a value, or leave this query parameter out."]}),
        ({"search": "   "}, {"search": ["This field may not be blank."]}),
        ({"search": "x" * 101}, {"search": ["Ensure this value has at most 100 characters (it has 101)."]}),
        ({"search": ["jo", "sam"]}, {"search": ["Give this query parameter once."]}),
        ({"q": "jo"}, {"q": ["This query parameter is not recognised."]}),
        (
            {"search": "jo", "status": "pending"},
            {"status": ["Select a valid choice. pending is not one of the available choices."]},
        ),
    ],
)
def test_a_search_the_list_cannot_use_is_a_400_naming_it(api, leads, params, errors):
    assert errors_of(api.get(LEADS, params)) == errors


def test_search_is_for_sales_staff_only(client, leads):
    response = client.get(LEADS, {"search": "whitfield"})
    assert response.status_code == 401
    assert "results" not in response.json()


# PostgreSQL: the search can use the trigram indexes -----------------------------------------------


def search_queryset(term):
    """The list's queryset for ?search=term, as the view builds it (its filter on its queryset)."""
    return LeadFilter(data={"search": term}, queryset=LeadViewSet.queryset).qs


def explain(queryset, *switched_off):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        for setting in switched_off:  # the test's transaction ends SET LOCAL
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def many_leads(db):
    Lead.objects.bulk_create(
        Lead(
            lead_type=LeadType.ENQUIRY,
            reference=f"T{i:07d}",
            name=f"Person {i} {'Whitfield' if i % 50 == 0 else 'Smith'}",
            organisation=f"Organisation {i}",
            email=f"person{i}@example.org",
            phone=f"+447700{i:06d}",
        )
        for i in range(300)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE enquiries_lead")


@pytest.mark.services
def test_a_search_by_name_can_be_answered_from_the_trigram_indexes(require_postgres, many_leads):
    queryset = search_queryset("whitfield")

    # Seq scans and plain index scans off: only an index on the search's own expressions can answer.
    plan = explain(queryset, "enable_seqscan", "enable_indexscan")

    assert "BitmapOr" in plan, plan
    for field in ["reference", "name", "organisation", "email", "phone"]:
        assert f"Bitmap Index Scan on enquiries_lead_{field}_trgm" in plan, plan
    assert len(queryset) == 6


@pytest.mark.services
def test_a_search_page_is_not_read_by_walking_every_lead_newest_first(require_postgres, many_leads):
    # Ordered by created_at itself, the first page could be read by walking that index newest first
    # and testing every lead until 20 match (all of them, when the matches are few or old): the
    # control shows the planner doing so. The search orders by an expression no index covers.
    walked = explain(search_queryset("whitfield").order_by("-created_at", "-pk")[:20], "enable_seqscan")
    assert "Index Scan Backward using enquiries_lead_created_at" in walked, walked

    plan = explain(search_queryset("whitfield")[:20], "enable_seqscan")

    assert "enquiries_lead_created_at" not in plan, plan


@pytest.mark.services
def test_a_typed_phone_number_is_found_through_the_indexes(require_postgres, many_leads):
    queryset = search_queryset("07700 000123")

    plan = explain(queryset, "enable_seqscan", "enable_indexscan")

    assert "Seq Scan on enquiries_lead" not in plan, plan
    assert [lead.phone for lead in queryset] == ["+447700000123"]


@pytest.mark.parametrize("owner", ["³", "٣", "9" * 30, "nobody-by-that-name"])
def test_an_owner_that_is_no_one_finds_nothing_rather_than_failing(api, leads, owner):
    # "³" and "٣" are digits to str.isdigit() but not to int(): read as usernames.
    assert found(api, owner=owner) == []
