"""Write the permission matrix (backoffice/permissions.py) to docs/permissions.md."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from backoffice.permissions import as_document

DOCUMENT = Path(settings.BASE_DIR) / "docs" / "permissions.md"


class Command(BaseCommand):
    help = "Write who may do what to docs/permissions.md (or print it with --stdout)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--stdout", action="store_true", help="print instead of writing")

    def handle(self, *args, **options) -> None:
        if options["stdout"]:
            self.stdout.write(as_document(), ending="")
            return
        DOCUMENT.parent.mkdir(exist_ok=True)
        DOCUMENT.write_text(as_document())
        self.stdout.write(f"Wrote {DOCUMENT.relative_to(settings.BASE_DIR)}.")
