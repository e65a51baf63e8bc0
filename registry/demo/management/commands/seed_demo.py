from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from registry.audit.services import audit_record
from registry.core.errors import ServiceError
from registry.demo.people import PHONE_PREFIX, seed_people
from registry.demo.services import refuse_in_production, seed_demo


class Command(BaseCommand):
    help = "载入代码表并创建每个角色的演示账号（可重复运行，账号密码每次重置为演示值）；--people N 生成 N 名演示人员。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--people", type=int, default=0, help="确保共有 N 名生成的演示人员（约 10%% 有待审核的申请）"
        )
        parser.add_argument("--batch", type=int, default=5000, help="每批插入的人数")

    def handle(self, *args, **opts):
        try:
            refuse_in_production()  # before anything is written, --people included
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        logins = seed_demo()
        if opts["people"]:
            from registry.accounts.models import User

            existing = User.objects.filter(phone__startswith=PHONE_PREFIX).count()
            todo = max(0, opts["people"] - existing)
            with tqdm(total=todo, unit="人", desc="生成演示人员", disable=todo == 0) as bar:
                added = seed_people(opts["people"], batch=opts["batch"], progress=bar.update)
            audit_record(action="demo.seed_people", details={"added": added, "total": opts["people"]})
            self.stdout.write(f"演示人员：新增 {added} 名，共 {max(existing, opts['people'])} 名。")
            self._seed_credits()
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。演示账号（手机号 / 密码）："))
        for login in logins:
            self.stdout.write(f"  {login.role_label}：{login.phone} / {login.password}    {login.note}")

    def _seed_credits(self):
        """Continuing-education credits of the generated people (registry/credits/demo.py)."""
        from registry.credits.demo import seed_credits

        with tqdm(unit="人", desc="生成继续教育学分") as bar:
            people = seed_credits(phone_prefix=PHONE_PREFIX, progress=bar.update)
        audit_record(action="demo.seed_credits", details={"people": people})
        self.stdout.write(f"继续教育学分：为 {people} 名演示人员生成了近四年的学分记录。")
