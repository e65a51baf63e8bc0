from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from registry.audit.services import audit_record
from registry.core.errors import ServiceError
from registry.demo.people import DEMO_PASSWORD, PHONE_PREFIX, seed_people
from registry.demo.services import refuse_in_production, seed_demo


class Command(BaseCommand):
    help = (
        "载入代码表并创建每个角色的演示账号（可重复运行，账号密码每次重置为演示值）；"
        "--people N 生成 N 名演示人员及其办理历史。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--people",
            type=int,
            default=0,
            help="确保共有 N 名生成的演示人员（约 90%% 已采集并有审核历史、变更、调出和学分，约 10%% 在审核队列中）",
        )
        parser.add_argument("--batch", type=int, default=5000, help="每批插入的人数（每批一个事务）")
        parser.add_argument("--credit-share", type=float, default=0.3, help="有近两年继续教育学分记录的已采集人员比例")

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
                added = seed_people(
                    opts["people"], batch=opts["batch"], credit_share=opts["credit_share"], progress=bar.update
                )
            audit_record(action="demo.seed_people", details={"added": added, "total": opts["people"]})
            self.stdout.write(f"演示人员：新增 {added} 名，共 {max(existing, opts['people'])} 名。")
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。演示账号（手机号 / 密码）："))
        for login in logins:
            self.stdout.write(f"  {login.role_label}：{login.phone} / {login.password}    {login.note}")
        if opts["people"]:
            self.stdout.write(f"  生成的演示人员：{PHONE_PREFIX}00000000 起的手机号 / {DEMO_PASSWORD}")
