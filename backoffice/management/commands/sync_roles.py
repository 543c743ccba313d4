"""Set the permissions of the staff roles to the matrix in backoffice.roles."""

from django.core.management.base import BaseCommand

from backoffice.roles import ROLE_PERMISSIONS, sync_roles


class Command(BaseCommand):
    help = "Set each role group's permissions to exactly the matrix in backoffice/roles.py."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options) -> None:
        sync_roles(using=options["database"])
        for name, perms in ROLE_PERMISSIONS.items():
            self.stdout.write(f"{name}: {len(perms)} permissions")
