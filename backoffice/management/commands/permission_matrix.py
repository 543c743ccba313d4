"""Print the permission matrix (backoffice/permissions.py) as a Markdown table."""

from django.core.management.base import BaseCommand

from backoffice.permissions import as_markdown


class Command(BaseCommand):
    help = "Print who may do what, as the Markdown table in the README."

    def handle(self, *args, **options) -> None:
        self.stdout.write(as_markdown())
