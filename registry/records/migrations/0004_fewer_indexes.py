# Issue 15: every index is paid by every write (a million of them in an import). Dropped: the
# district_id indexes of records_record (the (district, status) index leads with district) and of
# records_recordversion (versions are read through their record), their varchar_pattern_ops copies,
# the one of id_number (no query uses LIKE on it: the uniqueness is now a constraint, which has no
# such copy), record_id alone (the unique (record, version) leads with it); created_by only where set.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_load_code_tables"),
        ("records", "0003_record_user_nullable_for_import"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="record",
            name="district",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.region",
                verbose_name="管理区",
            ),
        ),
        migrations.AlterField(
            model_name="record",
            name="id_number",
            field=models.CharField(max_length=18, verbose_name="证件号码"),
        ),
        migrations.AddConstraint(
            model_name="record",
            constraint=models.UniqueConstraint(fields=("id_number",), name="record_id_number_unique"),
        ),
        migrations.AlterField(
            model_name="recordversion",
            name="record",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="versions",
                to="records.record",
            ),
        ),
        migrations.AlterField(
            model_name="recordversion",
            name="district",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="core.region"
            ),
        ),
        migrations.AlterField(
            model_name="recordversion",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="recordversion",
            index=models.Index(
                condition=models.Q(("created_by__isnull", False)),
                fields=["created_by"],
                name="recordversion_created_by",
            ),
        ),
    ]
