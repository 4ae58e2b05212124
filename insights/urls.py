"""URLs of the insights room: article lists by category, articles, the feed."""

from django.urls import path

from . import views
from .feeds import LatestArticlesAtomFeed, LatestArticlesFeed

app_name = "insights"
urlpatterns = [
    path("", views.article_list, name="list"),
    # The feeds come before the category pattern so "feed" is never taken for a category slug.
    path("feed/", LatestArticlesFeed(), name="feed"),
    path("feed/atom/", LatestArticlesAtomFeed(), name="feed_atom"),
    path("<slug:category_slug>/", views.category_detail, name="category"),
    path("<slug:category_slug>/<slug:slug>/", views.article_detail, name="article"),
]
