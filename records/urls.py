from django.urls import path

from .views import attendance, certificates, feedback, training_record

app_name = "records"
urlpatterns = [
    # The trainer's phone page, from the signed link in their email.
    path("attendance/<str:token>/", attendance.take, name="attendance"),
    # Anyone may check a certificate number; the holder downloads the PDF from their email's link.
    path("certificates/verify/", certificates.verify, name="verify"),
    path("certificates/<str:token>/certificate.pdf", certificates.pdf, name="certificate_pdf"),
    path("feedback/<str:token>/", feedback.give, name="feedback"),
    path("feedback/<str:token>/thanks/", feedback.thanks, name="feedback_thanks"),
    path("training-record/<str:token>/", training_record.record, name="training_record"),
    path("training-record/<str:token>/training-record.csv", training_record.csv_download, name="training_record_csv"),
]
