from django.urls import path

from . import views

app_name = "enquiries"
urlpatterns = [
    path("enquire/", views.enquiry, name="enquiry"),
    path("enquire/thank-you/", views.enquiry_thanks, name="enquiry_thanks"),
    path("lets-talk/", views.callback, name="callback"),
    path("lets-talk/thank-you/", views.callback_thanks, name="callback_thanks"),
    path("newsletter/", views.newsletter, name="newsletter"),
    path("newsletter/check-your-inbox/", views.newsletter_sent, name="newsletter_sent"),
    path("newsletter/confirm/<str:token>/", views.newsletter_confirm, name="newsletter_confirm"),
    path("newsletter/unsubscribe/<str:token>/", views.newsletter_unsubscribe, name="newsletter_unsubscribe"),
    path("privacy/", views.privacy, name="privacy"),
    path("accessibility/", views.accessibility, name="accessibility"),
]
