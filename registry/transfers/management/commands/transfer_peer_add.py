from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.core.management.base import BaseCommand, CommandError

from registry.core.models import Region
from registry.transfers.documents import key_id_of
from registry.transfers.models import PeerKey


class Command(BaseCommand):
    help = "登记对端系统（外省市）的调转签名公钥（也可在管理后台“对端系统公钥”中登记）。"

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--region", required=True, help="对端所在省份代码，如 130000")
        parser.add_argument("--public-key-file", required=True, type=Path)

    def handle(self, *args, **opts):
        try:
            pem = opts["public_key_file"].read_text()
            public = serialization.load_pem_public_key(pem.encode())
            key_id = key_id_of(public)
        except (OSError, ValueError) as exc:
            raise CommandError(f"无法读取公钥：{exc}") from None
        region = Region.objects.filter(code=opts["region"], level="province").first()
        if region is None:
            raise CommandError("省份代码不正确")
        peer, _ = PeerKey.objects.update_or_create(
            key_id=key_id, defaults={"name": opts["name"], "region": region, "public_key": pem, "active": True}
        )
        self.stdout.write(f"已登记：{peer}")
