"""Where this deployment keeps what a backup must hold, as shell assignments for scripts/backup.sh
and scripts/restore.sh (one place that reads the settings; the scripts stay plain shell)."""

import shlex
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


class Command(BaseCommand):
    help = "以 shell 赋值语句输出备份和恢复所需的路径（数据库、材料文件、密钥、锚点），供 scripts/backup.sh 和 restore.sh 使用。"

    def add_arguments(self, parser):
        parser.add_argument("--database", help="另给出同一数据库服务器上该数据库的连接地址（TARGET_DATABASE_URL）")

    def handle(self, *args, **opts):
        storage = storages["default"]
        values = {
            "DATABASE_URL": settings.DATABASE_URL,
            "DATABASE_ENGINE": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
            "STORAGE_BACKEND": settings.STORAGE_BACKEND,
            "MEDIA_DIR": str(getattr(storage, "location", "")),
            "TRANSFER_KEY_PATH": settings.TRANSFER_KEY_PATH,
            "AUDIT_KEY_PATH": settings.AUDIT_KEY_PATH,
            "AUDIT_ANCHOR_DIR": settings.AUDIT_ANCHOR_DIR,
        }
        if opts["database"]:
            name = opts["database"]
            if not name.replace("_", "").isalnum() or not name.isascii() or name[0].isdigit():
                raise CommandError("数据库名只能由字母、数字和下划线组成，且不能以数字开头。")
            values["TARGET_DATABASE_URL"] = _with_database(settings.DATABASE_URL, name)
            values["SERVER_DATABASE_URL"] = _with_database(settings.DATABASE_URL, "postgres")
        for key, value in values.items():
            self.stdout.write(f"{key}={shlex.quote(value)}")
