"""Search helpers for large lists: one indexed predicate per kind of term.

Django's admin search ORs every search field for every word, across joins, which the
database can only answer by reading the whole table. Each app's admin looks at what the
staff member typed (an order number, an email, a SKU, a name) and searches the one column
that can answer it, through its index; these are the pieces they share.
"""

import re

from django.db import connection
from django.db.models import Lookup, Q

# More words than anybody types into a search box; a pasted paragraph is cut here.
MAX_WORDS = 10
# InnoDB's FULLTEXT index leaves out words shorter than this (innodb_ft_min_token_size).
FULLTEXT_MIN_LENGTH = 3
# Characters with a meaning in MySQL's boolean full-text mode.
FULLTEXT_OPERATORS = re.compile(r"[+\-<>()~*\"@]+")
# InnoDB's default stop words: never in its index, so searched without it.
FULLTEXT_STOPWORDS = frozenset(
    {"a", "about", "an", "are", "as", "at", "be", "by", "com", "de", "en", "for", "from",
     "how", "i", "in", "is", "it", "la", "of", "on", "or", "that", "the", "this", "to", "was",
     "what", "when", "where", "who", "will", "with", "und", "www"}
)  # fmt: skip


def words(term: str) -> list[str]:
    """Return the words of ``term`` (at most MAX_WORDS)."""
    return term.split()[:MAX_WORDS]


class WordPrefixMatch(Lookup):
    """MySQL/MariaDB: a word of the column starts with the value (by a FULLTEXT index)."""

    lookup_name = "word_prefix"

    def get_prep_lookup(self) -> str:
        return f"+{self.rhs}*"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"MATCH ({lhs}) AGAINST ({rhs} IN BOOLEAN MODE)", [*lhs_params, *rhs_params]


def text_query(field: str, word: str, *, fulltext: bool = False) -> Q:
    """``field`` contains ``word``: by its FULLTEXT index on MySQL/MariaDB if ``fulltext``.

    There a word matches the start of a word ("tee" finds "Classic tee", "lassic" does
    not); short words, and every word elsewhere, match anywhere in the text.
    """
    plain = FULLTEXT_OPERATORS.sub(" ", word).strip()
    if (
        fulltext
        and connection.vendor == "mysql"
        and len(plain) >= FULLTEXT_MIN_LENGTH
        and " " not in plain  # "t-shirt" is two words to the index: searched without it
        and plain.lower() not in FULLTEXT_STOPWORDS
    ):
        return Q(**{f"{field}__word_prefix": plain})
    return Q(**{f"{field}__icontains": word})


def name_query(term: str, *fields: str) -> Q:
    """Every word must appear in one of ``fields`` (like Django's admin search)."""
    query = Q()
    for word in words(term):
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        query &= any_field
    return query
