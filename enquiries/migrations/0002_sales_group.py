"""The "Sales" group: work leads; read the catalogue, sessions and bookings; delete nothing."""

from django.db import migrations

SALES_PERMISSIONS = {
    "enquiries": [
        "view_lead", "add_lead", "change_lead", "export_lead",
        "view_leadactivity", "add_leadactivity", "change_leadactivity",
        "view_newslettersubscriber", "change_newslettersubscriber",
        "view_salesperson",
    ],
    "courses": ["view_sector", "view_course", "view_testimonial"],
    "booking": ["view_venue", "view_coursesession", "view_sessionday", "view_booking", "view_delegate", "view_bookingevent"],
    "outbox": ["view_outboundemail"],
}  # fmt: skip


def create_sales_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after all migrations; make them now so the group can have them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Sales")
    permissions = []
    for app_label, codenames in SALES_PERMISSIONS.items():
        found = list(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
        missing = set(codenames) - {p.codename for p in found}
        if missing:
            raise RuntimeError(f"Permissions not found for the Sales group: {sorted(missing)}")
        permissions.extend(found)
    group.permissions.set(permissions)


def remove_sales_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Sales").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("enquiries", "0001_initial"),
        ("courses", "0001_initial"),
        ("booking", "0002_coursesession_ics_sequence_alter_bookingevent_kind"),
        ("outbox", "0002_outboundemail_headers_outboundemail_lead"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_sales_group, remove_sales_group)]
