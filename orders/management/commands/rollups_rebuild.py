"""Rebuild the dashboard's daily rollups from the orders."""

import time

from django.core.management.base import BaseCommand

from orders.rollups import rollups_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the daily order and product rollups (what the dashboard reads) from the "
        "orders. Run it after loading orders with loaddata or bulk inserts. On PostgreSQL "
        "orders saved meanwhile wait for it; on other databases run it while none are saved."
    )

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        orders, products = rollups_rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt the rollups: {orders:,} order rows, {products:,} product rows "
                f"in {time.perf_counter() - started:.1f} s."
            )
        )
