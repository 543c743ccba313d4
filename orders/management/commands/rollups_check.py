"""Check the dashboard's daily rollups against the orders."""

import sys
from decimal import Decimal

from django.core.management.base import BaseCommand

from orders.rollups import rollups_check

SHOWN = 50


class Command(BaseCommand):
    help = (
        "List the days where the daily rollups disagree with the orders (per status: "
        "orders and total; per product: units and revenue); exit 1 if any do. "
        "`manage.py rollups_rebuild` puts them right."
    )

    def handle(self, *args, **options) -> None:
        found = rollups_check()
        if not found:
            self.stdout.write(self.style.SUCCESS("The daily rollups agree with the orders."))
            return
        self.stdout.write(
            f"{'day':<10} {'rollup':<8} {'status or SKU':<24} {'expected':>22} {'stored':>22}"
        )
        for row in found[:SHOWN]:
            expected = f"{row.expected[0]} / {Decimal(row.expected[1]) / 100:.2f}"
            stored = f"{row.stored[0]} / {Decimal(row.stored[1]) / 100:.2f}"
            self.stdout.write(
                f"{row.day.isoformat():<10} {row.table:<8} {row.key:<24} {expected:>22} "
                f"{stored:>22}"
            )
        more = f" (the first {SHOWN} shown)" if len(found) > SHOWN else ""
        self.stderr.write(
            self.style.ERROR(
                f"{len(found)} rollup row(s) disagree with the orders{more}. "
                "Run `manage.py rollups_rebuild`."
            )
        )
        sys.exit(1)
