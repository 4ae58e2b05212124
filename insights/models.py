"""Insights: articles in categories (news, blog), with related courses and sectors."""

from django.db import models
from django.urls import reverse
from django.utils import timezone


class Category(models.Model):
    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("insights:category", args=[self.slug])


class Article(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="articles")
    author_name = models.CharField("author", max_length=120)
    published_at = models.DateTimeField(
        "publish at", null=True, blank=True, help_text="Blank keeps it a draft. A future time publishes it then."
    )
    is_published = models.BooleanField("published", default=False)
    summary = models.CharField(max_length=300, help_text="One or two sentences for lists and the feed.")
    body = models.TextField(
        help_text="Paragraphs, headings (h2-h4), lists, links, bold, italics and quotes. Anything else is removed."
    )
    related_courses = models.ManyToManyField("courses.Course", blank=True, related_name="articles")
    related_sectors = models.ManyToManyField("courses.Sector", blank=True, related_name="articles")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("insights:article", args=[self.category.slug, self.slug])

    @property
    def is_live(self):
        return self.is_published and self.published_at is not None and self.published_at <= timezone.now()
