"""URLs of the invoicing room."""

app_name = "invoicing"
urlpatterns = []
