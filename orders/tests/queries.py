"""How many queries an order costs on the database the tests run on."""

from django.db import connection

from orders.services import order_numbers_from_sequence


def expected(postgresql: int) -> int:
    """The count on PostgreSQL, plus what the other databases do differently.

    Elsewhere these are two statements each, one on PostgreSQL: the counters and their
    ledger rows, a new order and its history row, the lines and theirs, the two rollup
    upserts. A counter row costs one query more than a sequence (upsert + read: SQLite,
    MySQL), and MySQL and MariaDB lock the products once more before writing the lines
    (``stock_lock``).
    """
    if connection.vendor == "postgresql":
        return postgresql
    return postgresql + 4 + (not order_numbers_from_sequence()) + (connection.vendor == "mysql")
