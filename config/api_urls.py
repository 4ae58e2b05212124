"""Every endpoint under /api/v1/, one router for all apps."""

from rest_framework.routers import DefaultRouter

from booking.api import BookingManageViewSet, BookingViewSet, SessionViewSet
from courses.api import CourseViewSet, SectorViewSet
from enquiries.api import CallbackViewSet, EnquiryViewSet, LeadViewSet, NewsletterViewSet
from partners.api import WebhookEndpointViewSet
from trainers.api import SessionTrainerViewSet

router = DefaultRouter()
router.register("sectors", SectorViewSet, basename="sector")
router.register("courses", CourseViewSet, basename="course")
router.register("sessions", SessionTrainerViewSet, basename="session-trainer")  # first, so the root links the list
router.register("sessions", SessionViewSet, basename="session")
router.register("bookings", BookingViewSet, basename="booking")
router.register("bookings", BookingManageViewSet, basename="booking-manage")  # a booking after it is made
router.register("enquiries", EnquiryViewSet, basename="enquiry")
router.register("callbacks", CallbackViewSet, basename="callback")
router.register("newsletter", NewsletterViewSet, basename="newsletter")
router.register("leads", LeadViewSet, basename="lead")
router.register("webhooks", WebhookEndpointViewSet, basename="webhook-endpoint")

app_name = "api"
urlpatterns = router.urls
