"""URLs of the quotes room: the client's pages, reached by the signed link (quotes/links.py)."""

from django.urls import path

from . import views

app_name = "quotes"
urlpatterns = [
    path("<str:token>/", views.quote_view, name="view"),
    path("<str:token>/accepted/", views.quote_accepted, name="accepted"),
    path("<str:token>/pdf/", views.quote_pdf, name="pdf"),
]
