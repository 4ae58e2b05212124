from django.urls import path

from . import views

app_name = "booking"
urlpatterns = [
    path("book/<int:session_id>/", views.book, name="book"),
    path("book/<int:session_id>/review/", views.review, name="review"),
    path("bookings/new-link/", views.new_link, name="new_link"),
    path("bookings/new-link/sent/", views.link_sent, name="link_sent"),
    path("bookings/confirm/<str:token>/", views.confirm_email, name="confirm_email"),
    path("bookings/pending/<str:token>/", views.pending, name="pending"),
    path("bookings/<str:token>/confirmed/", views.confirmed, name="confirmed"),
    path("bookings/<str:token>/", views.manage, name="manage"),
    path("bookings/<str:token>/po/", views.manage_add_po, name="add_po"),
    path("bookings/<str:token>/delegates/", views.manage_add_delegates, name="add_delegates"),
    path(
        "bookings/<str:token>/delegates/<int:delegate_id>/remove/", views.manage_remove_delegate, name="remove_delegate"
    ),
    path("bookings/<str:token>/delegates/<int:delegate_id>/substitute/", views.manage_substitute, name="substitute"),
    path("bookings/<str:token>/cancel/", views.manage_cancel, name="cancel"),
    path("bookings/<str:token>/new-link/", views.manage_new_link, name="manage_new_link"),
    path(
        "bookings/<str:token>/registration-link/",
        views.manage_new_registration_link,
        name="manage_new_registration_link",
    ),
    # An in-house course's private registration link, shared by the client's coordinator.
    path("register/<str:token>/", views.register, name="register"),
    path("register/<str:token>/done/", views.registered, name="registered"),
]
