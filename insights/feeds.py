"""The insights feed (RSS 2.0, and Atom beside it): the latest published articles."""

from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed

from . import selectors

FEED_SIZE = 20


class LatestArticlesFeed(Feed):
    title = "Insights"
    link = reverse_lazy("insights:list")
    description = "News and practical articles on preventing and handling conflict and aggression at work."

    def items(self):
        return selectors.article_list_published()[:FEED_SIZE]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.author_name

    def item_categories(self, item):
        return [item.category.name]


class LatestArticlesAtomFeed(LatestArticlesFeed):
    feed_type = Atom1Feed
    subtitle = LatestArticlesFeed.description
