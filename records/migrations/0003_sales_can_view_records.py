"""The "Sales" group may read what happened after a course (attendance, certificates, refresher
reminders, feedback and its results), but not change it: the office and the trainers do."""

from django.db import migrations

PERMISSIONS = [
    "view_attendance",
    "view_certificate",
    "view_refresherreminder",
    "view_feedback",
    "view_sessionattendance",
]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after all migrations; make them now so the group can have them.
    app_config = apps.get_app_config("records")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Sales")
    found = list(Permission.objects.filter(content_type__app_label="records", codename__in=PERMISSIONS))
    missing = set(PERMISSIONS) - {p.codename for p in found}
    if missing:
        raise RuntimeError(f"Permissions not found for the Sales group: {sorted(missing)}")
    group.permissions.add(*found)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Sales").first()
    if group:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="records", codename__in=PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0002_sessionattendance"),
        ("enquiries", "0002_sales_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
