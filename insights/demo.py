"""Demo articles for `manage.py load_demo`, written for the demo. Matched on slug, so loading
twice changes nothing; related courses and sectors are linked only if the demo catalogue has them."""

from datetime import timedelta

from django.utils import timezone

from courses.models import Course, Sector

from . import services
from .models import Article, Category

CATEGORIES = [("News", "news"), ("Blog", "blog")]

ARTICLES = [
    {
        "slug": "does-de-escalation-training-work",
        "title": "Does de-escalation training work?",
        "category": "blog",
        "author_name": "Sarah Okafor",
        "days_ago": 6,
        "summary": "Yes, but rarely on its own. A single course fades within months unless it sits in "
        "a programme of complementary courses and regular refreshers.",
        "body": """
<p>We are often asked whether de-escalation training works. The honest answer is that it can, and
that whether it does depends far more on what happens around the course than on the day itself.</p>
<h2>What one course can do</h2>
<p>A good day of de-escalation training gives staff words to use, an understanding of why people
become angry, and the confidence to step in early. Delegates leave with a plan. Most tell us they
feel safer at work the following week.</p>
<h2>Why one course is not enough</h2>
<p>Skills that are not practised fade. Without a refresher, people fall back on habit within a few
months, usually just when a difficult shift tests them. New starters arrive who never had the
training at all. And de-escalation is only one part of keeping staff safe: it works best alongside
conflict resolution, spotting the early signs of trouble, and knowing how to get away safely if
words are not enough.</p>
<h2>Training as part of a wider programme</h2>
<p>The teams that see fewer incidents treat training as a programme rather than an event:</p>
<ul>
<li>a shared foundation in conflict resolution for everyone who meets the public;</li>
<li>de-escalation and managing challenging behaviour for those who face it most;</li>
<li>breakaway skills, so staff can leave a situation that is getting worse;</li>
<li>refreshers at set intervals, booked before certificates run out;</li>
<li>incident reviews that feed back into what is taught.</li>
</ul>
<blockquote><p>Training changes behaviour when it is repeated, joined up and backed by managers.</p></blockquote>
<p>If you are planning training for a ward, a school or a station team, start with the programme,
then choose the courses that fill its gaps.</p>
""",
        "courses": ["de-escalation-skills", "conflict-resolution", "managing-challenging-behaviour"],
        "sectors": ["nhs"],
    },
    {
        "slug": "planning-refresher-training",
        "title": "Planning refresher training before certificates run out",
        "category": "blog",
        "author_name": "Tom Hargreaves",
        "days_ago": 20,
        "summary": "A simple way for training leads to keep a team in date: know the expiry dates, "
        "book early, and spread refreshers across the year.",
        "body": """
<p>Most certificates for conflict management and physical intervention are valid for a set period,
often one to three years. When a whole team was trained together, the whole team falls out of date
together.</p>
<h2>Three habits that help</h2>
<ol>
<li><strong>Keep one list</strong> of who was trained, on what and when it expires.</li>
<li><strong>Book two months ahead</strong>, so there is time to release staff from rotas.</li>
<li><strong>Spread refreshers</strong> across the year rather than sending everyone at once.</li>
</ol>
<p>Refresher days are shorter than the first course and focus on practice, so they are easier to fit
around shifts.</p>
""",
        "courses": ["physical-intervention-refresher", "physical-intervention"],
        "sectors": [],
    },
    {
        "slug": "new-open-course-dates",
        "title": "New open course dates for the spring",
        "category": "news",
        "author_name": "The training team",
        "days_ago": 35,
        "summary": "We have added open dates for de-escalation, breakaway and lone worker safety "
        "courses across the country.",
        "body": """
<p>We have added new open course dates for the spring, including de-escalation skills, breakaway and
personal safety, and lone worker safety.</p>
<p>Open courses suit organisations sending one or two people. For a whole team, an in-house course
at your own site is usually better value. See our <a href="/courses/">courses</a> for dates, or
<a href="mailto:hello@example.com">email us</a> with any questions.</p>
""",
        "courses": ["breakaway-and-personal-safety", "lone-worker-safety"],
        "sectors": [],
    },
    {
        "slug": "keeping-retail-staff-safe",
        "title": "Keeping shop staff safe at the till",
        "category": "blog",
        "author_name": "Priya Shah",
        "days_ago": 50,
        "summary": "Abuse over age checks, refunds and shoplifting is part of the working day for "
        "many shop staff. Here is what helps.",
        "body": """
<p>Age checks, refunds and challenging shoplifters are the moments when shop staff most often face
abuse. Clear policies help, but staff also need the words and the confidence to use them.</p>
<h3>What helps on the shop floor</h3>
<ul>
<li>Agreed phrases for refusing a sale, so no one has to improvise.</li>
<li>Knowing when to step back and let a colleague or manager take over.</li>
<li>Reporting every incident, however small, so patterns are seen.</li>
</ul>
<p>Our <em>conflict management for retail</em> course is built around these moments.</p>
""",
        "courses": ["conflict-management-retail"],
        "sectors": ["retail-leisure"],
    },
]


def load_articles(*, now=None) -> list[Article]:
    now = now or timezone.now()
    categories = {}
    for name, slug in CATEGORIES:
        categories[slug], _ = Category.objects.get_or_create(slug=slug, defaults={"name": name})
    articles = []
    for data in ARTICLES:
        article = Article.objects.filter(slug=data["slug"]).first()
        if article is None:
            article = Article(slug=data["slug"], published_at=now - timedelta(days=data["days_ago"]))
        article.title = data["title"]
        article.category = categories[data["category"]]
        article.author_name = data["author_name"]
        article.summary = data["summary"]
        article.body = data["body"]
        article.is_published = True
        services.article_save(article=article)
        article.related_courses.set(Course.objects.filter(slug__in=data["courses"]))
        article.related_sectors.set(Sector.objects.filter(slug__in=data["sectors"]))
        articles.append(article)
    return articles
