from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.core.errors import ServiceError
from registry.imports.reading import Mapping
from registry.imports.services import import_file
from registry.imports.template import template_csv


class Command(BaseCommand):
    help = (
        "Import existing records (CSV or XLSX) from the system being replaced. Rows that fail the "
        "form's checks, and ID numbers already in the registry, go to FILE.rejected.xlsx; a second run "
        "of the same file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?")
        parser.add_argument("--source", help="Name of the old system (letters, digits, _ or -), e.g. bj2019")
        parser.add_argument("--mapping", help="JSON mapping of their column names and code values to ours")
        parser.add_argument(
            "--workers", type=int, default=1, help="Processes that check rows in parallel (one per spare CPU core)"
        )
        parser.add_argument("--template", action="store_true", help="Print the template's header and exit")

    def handle(self, *args, file=None, source=None, mapping=None, template=False, workers=1, **options):
        if template:
            self.stdout.write(template_csv(), ending="")
            return
        if not file or not source:
            raise CommandError("FILE and --source are required (or --template)")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        try:
            batch = import_file(path=path, source=source, mapping=Mapping.load(mapping), workers=max(1, workers))
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"imported {batch.imported}, rejected {batch.rejected}, already present {batch.already_present}"
        )
        if batch.report:
            out = path.with_name(path.stem + ".rejected.xlsx")
            out.write_bytes(bytes(batch.report))
            self.stdout.write(f"rows not imported, with reasons: {out}")
