"""URLs of the invoicing room."""

from django.urls import path

from . import views

app_name = "invoicing"
urlpatterns = [
    # The booker's copy: the booking's manage token and the document's number (INV-000012, CN-000003).
    path("<str:token>/<str:number>.pdf", views.booker_pdf, name="booker_pdf"),
]
