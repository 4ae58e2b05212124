"""URLs of the insights room: article lists by category, articles, the feed."""

app_name = "insights"
urlpatterns = []
