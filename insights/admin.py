"""Staff admin for insights. Articles save through `services.article_save`, so a body pasted
from anywhere is sanitised before it is stored."""

from django.contrib import admin

from . import services
from .models import Article, Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "author_name", "published_at", "is_published"]
    list_filter = ["category", "is_published"]
    search_fields = ["title", "summary", "body", "author_name"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "published_at"
    autocomplete_fields = ["related_courses", "related_sectors"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "category", "author_name", "summary", "body"]}),
        ("Publishing", {"fields": ["is_published", "published_at"]}),
        ("Related", {"fields": ["related_courses", "related_sectors"]}),
    ]

    def save_model(self, request, obj, form, change):
        services.article_save(article=obj)
