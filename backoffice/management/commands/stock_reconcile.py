"""Check the stock ledger against the product counters and against the orders."""

import sys

from django.core.management.base import BaseCommand

from catalog.services import stock_reconcile
from orders.services import order_stock_reconcile


class Command(BaseCommand):
    help = (
        "List products whose stock counter disagrees with the ledger, and orders whose "
        "ledger rows disagree with their lines and status; exit 1 if any do."
    )

    def handle(self, *args, **options) -> None:
        products = stock_reconcile()
        orders = order_stock_reconcile()
        if products:
            self.stdout.write(f"{'SKU':<24} {'counter':>10} {'ledger':>10} {'difference':>10}")
            for row in products:
                self.stdout.write(
                    f"{row.sku:<24} {row.stock:>10} {row.ledger:>10} {row.stock - row.ledger:>+10}"
                )
            self.stderr.write(
                self.style.ERROR(f"{len(products)} product(s) disagree with the ledger.")
            )
        else:
            self.stdout.write(
                self.style.SUCCESS("All product stock counters agree with the ledger.")
            )
        if orders:
            self.stdout.write(f"{'order':<24} {'SKU':<24} {'wanted':>8} {'held':>8}")
            for row in orders:
                self.stdout.write(
                    f"{row.reference:<24} {row.sku:<24} {row.wanted:>8} {row.held:>8}"
                )
            names = sorted({row.reference for row in orders})
            self.stderr.write(
                self.style.ERROR(
                    f"{len(names)} order(s) hold other stock than their lines and status want: "
                    + ", ".join(names[:20])
                    + (" …" if len(names) > 20 else "")
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS("Every order holds what its lines and status want.")
            )
        if products or orders:
            sys.exit(1)
