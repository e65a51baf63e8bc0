"""Key the chain: each row names the HMAC key of its hash (audit/keys.py).

Existing rows keep their plain SHA-256 hashes and get key_id "": rewriting them would itself be the
kind of history rewrite the chain exists to expose. They are accepted up to the keyring's
`legacy_until` (the head when `audit_keys --create` ran), and every later row must be keyed.

On SQLite adding a NOT NULL column rebuilds the table, which drops its trigger: put it back.
"""

import importlib

from django.db import migrations, models

triggers = importlib.import_module("registry.audit.migrations.0002_append_only_triggers")


def restore_sqlite_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(triggers.SQLITE_DOWN)
        schema_editor.execute(triggers.SQLITE_UP)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_triggers"),
    ]

    # Around the rebuild both ways: forwards after adding the column, backwards after removing it.
    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_trigger),
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=32, verbose_name="密钥标识"),
        ),
        migrations.RunPython(restore_sqlite_trigger, migrations.RunPython.noop),
    ]
