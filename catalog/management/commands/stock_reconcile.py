"""Check that every product's stock counter equals the sum of its ledger rows."""

import sys

from django.core.management.base import BaseCommand

from catalog.services import stock_reconcile


class Command(BaseCommand):
    help = "List products whose stock counter disagrees with the ledger; exit 1 if any do."

    def handle(self, *args, **options) -> None:
        disagreements = stock_reconcile()
        if not disagreements:
            self.stdout.write(
                self.style.SUCCESS("All product stock counters agree with the ledger.")
            )
            return
        self.stdout.write(f"{'SKU':<24} {'counter':>10} {'ledger':>10} {'difference':>10}")
        for row in disagreements:
            self.stdout.write(
                f"{row.sku:<24} {row.stock:>10} {row.ledger:>10} {row.stock - row.ledger:>+10}"
            )
        self.stderr.write(
            self.style.ERROR(f"{len(disagreements)} product(s) disagree with the ledger.")
        )
        sys.exit(1)
