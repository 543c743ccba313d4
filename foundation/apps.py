from django.apps import AppConfig
from django.db.models import CharField, TextField


class FoundationConfig(AppConfig):
    name = "foundation"
    verbose_name = "Foundation"

    def ready(self) -> None:
        from foundation.search import WordPrefixMatch

        CharField.register_lookup(WordPrefixMatch)
        TextField.register_lookup(WordPrefixMatch)
