"""The office's view of attendance in the admin: sessions, seen as attendance to take. A proxy of
booking.CourseSession (no table of its own), so its admin page lists sessions apart from the
booking admin's."""

from booking.models import CourseSession


class SessionAttendance(CourseSession):
    class Meta:
        proxy = True
        app_label = "records"
        verbose_name = "attendance by session"
        verbose_name_plural = "attendance by session"
