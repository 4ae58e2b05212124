"""Sessions name a Trainer (trainers app) instead of a free-text name, and may be in-house."""

import django.db.models.deletion
from django.db import migrations, models

import booking.models


def names_to_trainers(apps, schema_editor):
    CourseSession = apps.get_model("booking", "CourseSession")
    Trainer = apps.get_model("trainers", "Trainer")
    by_name = {}
    for session in CourseSession.objects.exclude(trainer_name="").only("pk", "trainer_name", "course_id"):
        name = session.trainer_name.strip()
        trainer = by_name.get(name.lower())
        if trainer is None:
            trainer = by_name[name.lower()] = Trainer.objects.create(name=name)
        trainer.courses.add(session.course_id)
        CourseSession.objects.filter(pk=session.pk).update(trainer=trainer)


def trainers_to_names(apps, schema_editor):
    CourseSession = apps.get_model("booking", "CourseSession")
    for session in CourseSession.objects.exclude(trainer=None).select_related("trainer"):
        CourseSession.objects.filter(pk=session.pk).update(trainer_name=session.trainer.name)


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0004_email_confirmation_and_text_limits"),
        ("trainers", "0001_initial"),
    ]

    operations = [
        migrations.RenameField("coursesession", "trainer", "trainer_name"),
        migrations.AddField(
            model_name="coursesession",
            name="trainer",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sessions",
                to="trainers.trainer",
            ),
        ),
        migrations.RunPython(names_to_trainers, trainers_to_names, elidable=True),
        migrations.RemoveField("coursesession", "trainer_name"),
        migrations.AddField(
            model_name="coursesession",
            name="is_in_house",
            field=models.BooleanField(db_index=True, default=False, verbose_name="in-house"),
        ),
        migrations.AddField(
            model_name="coursesession",
            name="registration_key",
            field=models.CharField(default=booking.models.new_manage_key, editable=False, max_length=20),
        ),
        migrations.AddField(
            model_name="booking",
            name="agreed_lines",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
