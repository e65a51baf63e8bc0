from django.core.management.base import BaseCommand, CommandError

from registry.core.errors import ServiceError
from registry.transfers.documents import key_id_of, load_private_key, public_pem


class Command(BaseCommand):
    help = "管理本系统的调转文件签名密钥（Ed25519）：--create 生成（已存在则不变），--show 显示公钥供对端系统登记。"

    def add_arguments(self, parser):
        parser.add_argument("--create", action="store_true", help="没有密钥时生成")
        parser.add_argument("--show", action="store_true", help="显示密钥标识和公钥（PEM）")

    def handle(self, *args, **opts):
        try:
            key = load_private_key(create=opts["create"])
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        public = key.public_key()
        self.stdout.write(f"密钥标识：{key_id_of(public)}")
        if opts["show"] or opts["create"]:
            self.stdout.write(public_pem(public), ending="")
