"""``manage.py export``: django-import-export's command, with XLSX streamed to a file.

The stock command builds the whole file in memory and writes it to stdout. Here XLSX is
written as it is read (``StrictModelResource.export_xlsx``), to ``--output FILE`` or to
stdout, in constant memory; other formats go through the library as before.
"""

import importlib

from django.core.management.base import CommandError
from import_export.command_utils import get_format_class, get_resource_class
from import_export.formats.base_formats import XLSX

BaseCommand = importlib.import_module("import_export.management.commands.export").Command


class Command(BaseCommand):
    help = (
        "Export a resource, e.g. manage.py export XLSX orders.resources.OrderLineResource "
        "--output lines.xlsx (XLSX is streamed in constant memory)."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "-o", "--output", help="Write the file here instead of to standard output."
        )

    def handle(self, *args, **options) -> None:
        format_class = get_format_class(options["format"], None, options.get("encoding"))
        resource = get_resource_class(options["resource"])()
        if not isinstance(format_class, XLSX) or not hasattr(resource, "export_xlsx"):
            if options.get("output"):
                raise CommandError("--output is for XLSX; redirect other formats to a file.")
            return super().handle(*args, **options)
        output = options.get("output")
        if output is None and self.stdout.isatty():
            raise CommandError("XLSX is binary: give --output FILE or redirect to a file.")
        stream = resource.export_xlsx()
        if output is None:
            self._write(stream, self.stdout.buffer)
            return
        try:
            with open(output, "wb") as target:
                self._write(stream, target)
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}.") from None

    @staticmethod
    def _write(stream, target) -> None:
        for chunk in stream:
            target.write(chunk)
        target.flush()
