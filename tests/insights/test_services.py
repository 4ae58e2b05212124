"""Article bodies are sanitised on save: an allow-list of tags, safe links only."""

import pytest

from insights import demo, services
from insights.models import Article

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "dirty, clean",
    [
        ("<p>Hi</p><script>alert(1)</script>", "<p>Hi</p>"),
        ('<p onclick="steal()">Hi</p>', "<p>Hi</p>"),
        ('<p onmouseover="x()" style="color:red">Hi</p>', "<p>Hi</p>"),
        ('<img src="x" onerror="alert(1)">', ""),
        ("<style>p{display:none}</style><p>Hi</p>", "<p>Hi</p>"),
        ('<iframe src="https://evil.example"></iframe><p>Hi</p>', "<p>Hi</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<a href="data:text/html,hi">x</a>', '<a rel="noopener noreferrer">x</a>'),
        (
            '<a href="https://example.com" target="_blank">x</a>',
            '<a href="https://example.com" rel="noopener noreferrer">x</a>',
        ),
        ('<a href="mailto:a@example.com">x</a>', '<a href="mailto:a@example.com" rel="noopener noreferrer">x</a>'),
        ('<a href="/courses/">x</a>', '<a href="/courses/" rel="noopener noreferrer">x</a>'),
        ('<div class="x"><p>Hi</p></div>', "<p>Hi</p>"),
    ],
)
def test_clean_body_removes_what_is_not_allowed(dirty, clean):
    assert services.clean_body(dirty) == clean


def test_clean_body_keeps_the_allowed_tags():
    html = (
        "<h2>A</h2><h3>B</h3><h4>C</h4><p><strong>s</strong> <em>e</em><br></p>"
        "<ul><li>u</li></ul><ol><li>o</li></ol><blockquote><p>q</p></blockquote>"
    )
    assert services.clean_body(html) == html


def test_article_save_stores_the_sanitised_body(make_article):
    article = make_article(body='<p onclick="x()">Hello <script>alert(1)</script><a href="javascript:x()">me</a></p>')
    article.refresh_from_db()
    assert article.body == '<p>Hello <a rel="noopener noreferrer">me</a></p>'


def test_article_save_refuses_a_duplicate_slug_and_changes_nothing(make_article):
    make_article(slug="same")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        make_article(title="Other", slug="same")
    assert "slug" in caught.value.message_dict
    assert Article.objects.count() == 1


def test_demo_articles_load_twice_without_duplicates():
    from django.core.management import call_command

    call_command("load_demo", "--no-user", "--no-sessions", verbosity=0)
    first = demo.load_articles()
    second = demo.load_articles()
    assert [a.pk for a in first] == [a.pk for a in second]
    assert Article.objects.count() == 4
    article = Article.objects.get(slug="does-de-escalation-training-work")
    assert article.is_live
    assert "programme" in article.body
    assert set(article.related_courses.values_list("slug", flat=True)) == {
        "de-escalation-skills",
        "conflict-resolution",
        "managing-challenging-behaviour",
    }
    assert list(
        Article.objects.get(slug="keeping-retail-staff-safe").related_sectors.values_list("slug", flat=True)
    ) == ["retail-leisure"]
