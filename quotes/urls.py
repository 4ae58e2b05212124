"""URLs of the quotes room."""

app_name = "quotes"
urlpatterns = []
