from django.db import migrations


def load(apps, schema_editor):
    from registry.core.loaders import load_all

    load_all(
        Region=apps.get_model("core", "Region"),
        Code=apps.get_model("core", "Code"),
        CalendarDay=apps.get_model("core", "CalendarDay"),
        CalendarYear=apps.get_model("core", "CalendarYear"),
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=False)]
