"""Transfer documents (format version 2) carry a salted hash of the transfer code instead of the
code: a per-code salt, ImportedDocument keyed by (signer, code hash), and wrong-code attempts."""

from django.db import migrations, models

import registry.transfers.models


def fresh_salts(apps, schema_editor):
    # AddField gives every existing row the same default; each code gets its own salt.
    TransferCode = apps.get_model("transfers", "TransferCode")
    for pk in TransferCode.objects.values_list("pk", flat=True):
        TransferCode.objects.filter(pk=pk).update(document_salt=registry.transfers.models.new_salt())


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0002_importeddocument"),
    ]

    operations = [
        migrations.AddField(
            model_name="transfercode",
            name="document_salt",
            field=models.CharField(default=registry.transfers.models.new_salt, editable=False, max_length=32),
        ),
        migrations.RunPython(fresh_salts, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="importeddocument", name="document_used_once"),
        migrations.RenameField(model_name="importeddocument", old_name="transfer_code", new_name="code_hash"),
        migrations.AlterField(
            model_name="importeddocument", name="code_hash", field=models.CharField(max_length=64)
        ),
        migrations.AddConstraint(
            model_name="importeddocument",
            constraint=models.UniqueConstraint(fields=("key_id", "code_hash"), name="document_used_once"),
        ),
        migrations.CreateModel(
            name="DocumentCodeAttempt",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key_id", models.CharField(max_length=64)),
                ("code_hash", models.CharField(max_length=64)),
                ("at", models.DateTimeField()),
            ],
            options={
                "indexes": [models.Index(fields=["key_id", "code_hash", "at"], name="document_code_attempts")],
            },
        ),
    ]
