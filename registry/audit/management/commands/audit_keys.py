from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from registry.audit import keys
from registry.audit.models import AuditChainHead


class Command(BaseCommand):
    help = (
        "管理审计日志哈希链的密钥（HMAC，保存在 AUDIT_KEY_PATH，不在数据库中）：--create 生成（已存在则不变），"
        "--rotate 换用新密钥（旧密钥保留，用于校验旧记录），--show 显示密钥标识。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--create", action="store_true", help="没有密钥文件时生成")
        parser.add_argument("--rotate", action="store_true", help="生成新密钥并设为当前密钥")
        parser.add_argument("--show", action="store_true", help="显示密钥标识（不显示密钥本身）")

    def handle(self, *args, **opts):
        if opts["create"]:
            with transaction.atomic():
                # Rows already written stay plain SHA-256; from here on every row must be keyed.
                head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
                keys.load(create_with_legacy_until=head.seq if head else 0)
        if opts["rotate"]:
            try:
                key_id = keys.rotate()
            except FileNotFoundError:
                raise CommandError("密钥文件不存在：请先运行 manage.py audit_keys --create。") from None
            self.stdout.write(f"已换用新密钥 {key_id}；旧密钥仍保留在 {keys.key_path()} 中，用于校验旧记录。")
        try:
            keyring = keys.load()
        except keys.AuditKeyMissing as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"密钥文件：{keys.key_path()}")
        self.stdout.write(f"当前密钥：{keyring.current}（共 {len(keyring.keys)} 个）")
        if opts["show"]:
            for key_id in sorted(keyring.keys):
                self.stdout.write(f"  {key_id}")
            self.stdout.write(f"第 {keyring.legacy_until} 条及之前的记录可为未加密钥的旧记录。")
