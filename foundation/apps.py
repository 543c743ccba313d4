from django.apps import AppConfig
from django.db.models import CharField, TextField


class FoundationConfig(AppConfig):
    name = "foundation"
    verbose_name = "Foundation"

    def ready(self) -> None:
        from foundation.history import build_history_managers_once
        from foundation.search import WordPrefixMatch

        build_history_managers_once()

        CharField.register_lookup(WordPrefixMatch)
        TextField.register_lookup(WordPrefixMatch)
