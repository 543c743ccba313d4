"""Make an API token for a user and print its key (the last line of the output)."""

from django.core.management.base import BaseCommand, CommandError

from backoffice.models import User
from backoffice.services import api_token_create


class Command(BaseCommand):
    help = "Make an API token for USERNAME; its key is printed once, as the last line."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What uses it (default: the command).")
        parser.add_argument("--expires-days", type=int, default=None, help="Default: never.")

    def handle(self, *args, username: str, name: str, expires_days: int | None, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username!r} is deactivated; activate the user first.")
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be 1 or more.")
        token, key = api_token_create(
            user=user, name=name or "create_api_token", expires_days=expires_days
        )
        expiry = "never expires"
        if token.expires_at:
            expiry = f"expires {token.expires_at:%Y-%m-%d %H:%M %Z}"
        self.stdout.write(f"Token {token.prefix}… for {username} ({expiry}). Keep the key secret:")
        self.stdout.write(key)
