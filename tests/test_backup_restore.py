"""scripts/backup.sh and scripts/restore.sh, end to end on PostgreSQL (issue 9 item 14).

Data with a stored file and an anchored audit chain is backed up, restored into a fresh database
with fresh folders for files and keys, and the restored copy must pass verify_audit and give back
the file by its SHA-256 hash.
"""

import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from registry.applications import services as applications
from registry.audit.services import audit_record
from tests import files
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent


def deployment_env(var: Path, database_url: str) -> dict:
    """The environment of a deployment whose files all live under `var`."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "REGISTRY_", "DATABASE_", "TRANSFER_", "AUDIT_", "SMS_", "STORAGE_"))
    }
    return {
        **clean,
        "PYTHON": sys.executable,
        "DATABASE_URL": database_url,
        "REGISTRY_VAR_DIR": str(var),
        "TRANSFER_KEY_PATH": str(var / "keys" / "transfer_ed25519.pem"),
        "AUDIT_KEY_PATH": str(var / "keys" / "audit_keys.json"),
        "AUDIT_ANCHOR_DIR": str(var / "anchors"),
        "DJANGO_SECRET_KEY": "backup-test-secret-key-" + "x" * 30,
        "SMS_BACKEND": "file",
    }


def run(args, env) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def server_url(database: str) -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{database}"


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_into_a_fresh_database(postgres, settings, tmp_path):
    live, restored = tmp_path / "live", tmp_path / "restored"
    env = deployment_env(live, server_url(connection.settings_dict["NAME"]))
    # This process writes where the scripts will look: the same media folder and keys.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": live / "media"}},
    }
    settings.TRANSFER_KEY_PATH = env["TRANSFER_KEY_PATH"]
    settings.AUDIT_KEY_PATH = env["AUDIT_KEY_PATH"]
    settings.AUDIT_ANCHOR_DIR = env["AUDIT_ANCHOR_DIR"]

    person = UserFactory(phone="13800138000")
    application = applications.application_create(applicant=person, type="first_collection")
    pdf = files.pdf_bytes("Diploma")
    attachment = applications.attachment_add(
        application=application, actor=person, kind="other", uploaded=SimpleUploadedFile("diploma.pdf", pdf)
    )
    audit_record(action="test.backup", actor=person, details={"attachment": str(attachment.pk)})

    backup = run(["bash", "scripts/backup.sh", str(tmp_path / "backups")], env)
    assert backup.returncode == 0, backup.stderr
    folder = Path(backup.stdout.strip().splitlines()[-1])
    assert folder.parent == tmp_path / "backups" and folder.name.startswith("registry-")
    assert {p.name for p in folder.iterdir()} >= {"database.dump", "media.tar.gz", "anchors.tar.gz", "keys"}
    assert {p.name for p in (folder / "keys").iterdir()} == {
        "transfer_ed25519.pem",
        "audit_keys.json",
        "django_secret_key",
    }
    assert "audit_anchor_exit=0" in (folder / "MANIFEST").read_text()

    target = f"registry_restore_{uuid.uuid4().hex[:10]}"
    restored_env = deployment_env(restored, server_url("postgres"))
    try:
        restore = run(["bash", "scripts/restore.sh", str(folder), target], restored_env)
        assert restore.returncode == 0, restore.stdout + restore.stderr
        # restore.sh ends with verify_audit against the restored database, keys and anchors.
        assert "审计日志完整" in restore.stdout and "对照 1 个锚点" in restore.stdout
        restored_env["DATABASE_URL"] = server_url(target)
        read_back = run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-v0",
                "-c",
                "import hashlib; from registry.applications.models import Attachment; "
                f"a = Attachment.objects.get(sha256='{attachment.sha256}'); "
                "print(hashlib.sha256(a.file.open('rb').read()).hexdigest(), a.original_name)",
            ],
            restored_env,
        )
        assert read_back.returncode == 0, read_back.stderr
        assert read_back.stdout.split() == [attachment.sha256, "diploma.pdf"]
        assert attachment.sha256 == hashlib.sha256(attachment.file.open("rb").read()).hexdigest()

        # Restoring again into the same (now existing) database is refused, nothing overwritten.
        again = run(
            ["bash", "scripts/restore.sh", str(folder), target],
            {**restored_env, "DATABASE_URL": server_url("postgres")},
        )
        assert again.returncode != 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
