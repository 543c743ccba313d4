from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = "Staff"

    def ready(self) -> None:
        from backoffice import checks, roles  # noqa: F401  (checks register themselves)

        post_migrate.connect(roles.sync_roles_after_migrate, dispatch_uid="backoffice.sync_roles")
