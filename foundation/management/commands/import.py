"""``manage.py import``: django-import-export's command, made all-or-nothing and explicit.

The stock command reports neither validation errors nor their rows and keeps the valid
rows. This one imports nothing when any row is bad, prints every problem as
``Row N, column C: reason``, and exits 1.
"""

import importlib
import sys
import time

from django.conf import settings
from django.core.management.base import CommandError
from import_export.command_utils import get_format_class, get_resource_class
from import_export.formats.base_formats import CSV, XLSX
from import_export.results import RowResult

from foundation.formats import BoundedCSV, BoundedXLSX
from foundation.resources import format_errors, unreadable_file_message

BaseCommand = importlib.import_module("import_export.management.commands.import").Command


class Command(BaseCommand):
    help = (
        "Import a CSV/XLSX file through a resource, all-or-nothing, "
        "e.g. manage.py import catalog.resources.ProductResource products.csv --no-input"
    )

    def handle(self, *args, **options) -> None:
        file_name = options["import_file_name"]
        if options["interactive"] and input("Import the file? [yes/no]: ") != "yes":
            raise CommandError("Import cancelled.")
        resource = get_resource_class(options["resource"])()
        format_class = bounded(
            get_format_class(options.get("format"), file_name, options.get("encoding"))
        )
        data = self._read(file_name, format_class)
        started = time.perf_counter()
        try:
            dataset = format_class.create_dataset(data)
        except Exception as error:  # a file the format cannot parse: say so, no traceback
            raise CommandError(f"{file_name}: {unreadable_file_message(error)}") from None
        result = resource.import_data(
            dataset, dry_run=options.get("dry_run"), raise_errors=options.get("raise_errors")
        )
        elapsed = time.perf_counter() - started
        if result.has_errors() or result.has_validation_errors():
            for line in format_errors(result):
                self.stderr.write(self.style.ERROR(line))
            self.stderr.write(self.style.ERROR("Nothing was imported."))
            sys.exit(1)
        totals = result.totals
        verb = "Dry run, nothing saved" if options.get("dry_run") else "Imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb}: {totals[RowResult.IMPORT_TYPE_NEW]} new, "
                f"{totals[RowResult.IMPORT_TYPE_UPDATE]} updated, "
                f"{totals[RowResult.IMPORT_TYPE_SKIP]} unchanged "
                f"{resource._meta.model._meta.verbose_name_plural} "
                f"({result.total_rows} rows in {elapsed:.1f} s, "
                f"{result.total_rows / elapsed if elapsed else 0:,.0f} rows/s)."
            )
        )

    def _read(self, file_name: str, format_class):
        mode = format_class.get_read_mode()
        limit = settings.IMPORT_MAX_FILE_SIZE
        if file_name == "-":
            stream = sys.stdin.buffer if "b" in mode else sys.stdin
            return stream.read()
        try:
            with open(file_name, "rb") as raw:
                data = raw.read(limit + 1)
        except OSError as error:
            raise CommandError(f"Cannot open {file_name}: {error.strerror}.") from None
        if len(data) > limit:
            raise CommandError(
                f"{file_name} is larger than IMPORT_MAX_FILE_SIZE ({limit:,} bytes)."
            )
        if "b" in mode:
            return data
        try:
            return data.decode(options_encoding(format_class))
        except UnicodeDecodeError as error:
            raise CommandError(f"{file_name}: {unreadable_file_message(error)}") from None


def bounded(format_class):
    """The same format, read within the import limits (foundation.formats)."""
    for plain, limited in ((CSV, BoundedCSV), (XLSX, BoundedXLSX)):
        if type(format_class) is plain:
            return limited(encoding=format_class.encoding) if plain is CSV else limited()
    return format_class


def options_encoding(format_class) -> str:
    return getattr(format_class, "encoding", None) or "utf-8-sig"
