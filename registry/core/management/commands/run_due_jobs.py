from django.core.management.base import BaseCommand, CommandError

from registry.core.schedule import beat_schedule, run_due_jobs


class Command(BaseCommand):
    help = (
        "运行到期的定时任务（与 Celery beat 相同的 config/celery.py BEAT_SCHEDULE）。"
        "不运行 beat 时由 cron 每分钟调用：* * * * * manage.py run_due_jobs。重复运行不会重复执行。"
    )

    def add_arguments(self, parser):
        parser.add_argument("jobs", nargs="*", help="只运行这些任务（默认：全部到期的）")
        parser.add_argument("--force", action="store_true", help="不论是否到期都运行")
        parser.add_argument("--list", action="store_true", help="列出定时任务")

    def handle(self, *args, **opts):
        if opts["list"]:
            for name, entry in beat_schedule().items():
                self.stdout.write(f"{name}\t{entry['task']}\t{entry['schedule']}")
            return
        try:
            results = run_due_jobs(only=opts["jobs"] or None, force=opts["force"])
        except KeyError as exc:
            raise CommandError(f"没有这些定时任务：{exc.args[0]}") from None
        failed = [r for r in results if not r.ok]
        for result in results:
            state = "未到期" if not result.ran else ("完成" if result.ok else f"失败：{result.error}")
            self.stdout.write(f"{result.name}：{state}")
        if failed:
            raise CommandError(f"{len(failed)} 个任务失败：" + "、".join(r.name for r in failed))
