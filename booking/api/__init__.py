"""The booking API: serializers.py for shapes, views.py for sessions and making a booking,
manage.py for a booking after it is made."""

from .manage import BookingManageViewSet
from .serializers import BookingSerializer
from .views import BookingViewSet, SessionViewSet

__all__ = ["BookingManageViewSet", "BookingSerializer", "BookingViewSet", "SessionViewSet"]
