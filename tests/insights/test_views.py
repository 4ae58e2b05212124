"""Public insights pages, the feeds, the related_articles tag and the admin."""

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from insights.models import Article
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def test_list_shows_published_articles_newest_first_and_hides_drafts(client, make_article, news):
    make_article(title="Older", days_ago=10)
    make_article(title="Newer", days_ago=1, category=news)
    make_article(title="Draft", days_ago=None)
    make_article(title="Unpublished", is_published=False)
    make_article(title="Future", days_ago=-3)
    response = client.get(reverse("insights:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Newer") < html.index("Older")
    for hidden in ("Draft", "Unpublished", "Future"):
        assert hidden not in html
    assert 'rel="alternate" type="application/rss+xml"' in html
    assert reverse("insights:feed") in html


def test_list_is_paginated(client, make_article):
    for number in range(12):
        make_article(title=f"Article {number}", days_ago=number + 1)
    first = client.get(reverse("insights:list")).content.decode()
    second = client.get(reverse("insights:list"), {"page": 2}).content.decode()
    assert "Article 0<" in first and "Article 11<" not in first
    assert "Article 11<" in second and "Article 0<" not in second


def test_category_page_shows_only_its_articles(client, make_article, news):
    make_article(title="A blog post")
    make_article(title="Some news", category=news)
    html = client.get(reverse("insights:category", args=["news"])).content.decode()
    assert "Some news" in html and "A blog post" not in html
    assert client.get(reverse("insights:category", args=["nope"])).status_code == 404


def test_article_page_shows_author_uk_date_body_related_links_and_newsletter(client, make_article):
    course = CourseFactory(title="De-escalation Skills", slug="de-escalation-skills")
    article = make_article(body="<h2>Why</h2><p>Because.</p>")
    article.published_at = timezone.make_aware(datetime(2026, 3, 3, 10, 0))
    article.save()
    article.related_courses.add(course)
    response = client.get(article.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "By Sarah Okafor" in html
    assert "Tue 3 March 2026" in html
    assert "<h2>Why</h2><p>Because.</p>" in html
    assert f'href="{course.get_absolute_url()}"' in html
    assert f'action="{reverse("enquiries:newsletter")}"' in html
    assert 'id="article-newsletter-email"' in html


@pytest.mark.parametrize("fields", [{"days_ago": None}, {"days_ago": -1}, {"is_published": False}])
def test_drafts_and_future_articles_are_404(client, make_article, fields):
    article = make_article(**fields)
    assert client.get(article.get_absolute_url()).status_code == 404


def test_article_under_the_wrong_category_or_unknown_slug_is_404(client, make_article, news):
    article = make_article()
    assert client.get(reverse("insights:article", args=["news", article.slug])).status_code == 404
    assert client.get(reverse("insights:article", args=["blog", "no-such-article"])).status_code == 404


def test_rss_feed_is_valid_xml_with_the_latest_published_items(client, make_article):
    for number in range(22):
        make_article(title=f"Article {number}", days_ago=number + 1)
    make_article(title="Draft", days_ago=None)
    response = client.get(reverse("insights:feed"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")
    items = channel.findall("item")
    assert len(items) == 20
    assert items[0].findtext("title") == "Article 0"
    assert items[0].findtext("link") == "http://testserver" + Article.objects.get(title="Article 0").get_absolute_url()
    assert items[0].findtext("description") == "One course is not enough."
    assert items[0].findtext("pubDate")
    assert "Draft" not in response.content.decode()


def test_atom_feed_is_valid_xml(client, make_article):
    article = make_article()
    root = ET.fromstring(client.get(reverse("insights:feed_atom")).content)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 1
    assert entries[0].find(f"{ATOM}link").get("href") == "http://testserver" + article.get_absolute_url()
    assert entries[0].find(f"{ATOM}author/{ATOM}name").text == "Sarah Okafor"


def test_related_articles_tag_shows_up_to_three_latest_published(make_article):
    course = CourseFactory()
    other = CourseFactory()
    for number in range(4):
        make_article(title=f"About it {number}", days_ago=number + 1).related_courses.add(course)
    make_article(title="Draft about it", days_ago=None).related_courses.add(course)
    make_article(title="About another").related_courses.add(other)
    template = Template("{% load insights %}{% related_articles course=course %}")
    html = template.render(Context({"course": course}))
    assert "Related insights" in html
    assert [f"About it {n}<" in html for n in range(4)] == [True, True, True, False]
    assert "Draft" not in html and "another" not in html
    assert template.render(Context({"course": CourseFactory()})).strip() == ""


def test_related_articles_tag_for_a_sector(make_article):
    from courses.models import Sector

    sector = Sector.objects.create(name="NHS", slug="nhs", summary="Wards")
    make_article(title="For wards").related_sectors.add(sector)
    html = Template("{% load insights %}{% related_articles sector=sector %}").render(Context({"sector": sector}))
    assert "For wards" in html


def test_admin_save_sanitises_the_body(admin_client, blog):
    response = admin_client.post(
        reverse("admin:insights_article_add"),
        {
            "title": "Pasted",
            "slug": "pasted",
            "category": blog.pk,
            "author_name": "Staff",
            "summary": "S",
            "body": '<p onclick="x()" style="color:red">Hi<script>alert(1)</script> <a href="javascript:x()">l</a></p>',
            "is_published": "on",
            "published_at_0": (timezone.localdate() - timedelta(days=1)).strftime("%d/%m/%Y"),
            "published_at_1": "09:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Article.objects.get(slug="pasted").body == '<p>Hi <a rel="noopener noreferrer">l</a></p>'


def test_admin_lists_and_searches_for_staff(admin_client, make_article, client):
    make_article(title="Searchable title")
    html = admin_client.get(reverse("admin:insights_article_changelist"), {"q": "Searchable"}).content.decode()
    assert "Searchable title" in html
    assert client.get(reverse("admin:insights_article_changelist")).status_code == 302
