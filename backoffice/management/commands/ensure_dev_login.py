"""Make sure a local superuser exists for development, and print its credentials."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

USERNAME = "admin"
PASSWORD = "admin"  # development only: the command refuses to run with DEBUG off


class Command(BaseCommand):
    help = "Create (or reset) the development login admin/admin. Refused unless DEBUG is on."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "ensure_dev_login only runs with the development settings "
                "(DJANGO_SETTINGS_MODULE=backoffice.settings.development)."
            )
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=USERNAME, defaults={"email": "admin@example.com"}
        )
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(PASSWORD)
        user.save()
        verb = "Created" if created else "Reset"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} local staff login: username '{USERNAME}', password '{PASSWORD}' "
                "(development only)"
            )
        )
