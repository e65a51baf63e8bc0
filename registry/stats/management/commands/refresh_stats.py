from django.core.management.base import BaseCommand

from registry.stats.services import stats_refresh


class Command(BaseCommand):
    help = (
        "Refresh the statistics (what the scheduled job stats-refresh does); --all repeats until no change is pending."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=None, help="changed records per run (default STATS_REFRESH_LIMIT)"
        )
        parser.add_argument("--all", action="store_true", help="run again until every changed record is counted")

    def handle(self, *args, **opts):
        while True:
            snapshot = stats_refresh(limit=opts["limit"])
            self.stdout.write(f"facts {snapshot.facts}, pending {snapshot.pending}, {snapshot.seconds:.1f} s")
            if not (opts["all"] and snapshot.pending):
                return
