"""The booking API: serializers.py for shapes, views.py for the endpoints."""

from .serializers import BookingSerializer
from .views import BookingViewSet, SessionViewSet

__all__ = ["BookingSerializer", "BookingViewSet", "SessionViewSet"]
