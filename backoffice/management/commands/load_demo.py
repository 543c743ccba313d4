"""Load the demo store into an empty database, with its dates moved up to today."""

from datetime import timedelta

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from catalog.models import Category, Product, StockMovement
from orders.models import Customer, Order, OrderItem
from orders.rollups import rollups_rebuild

FIXTURES = ["demo_catalog", "demo_customers", "demo_orders", "demo_staff"]


class Command(BaseCommand):
    help = (
        "Load the demo fixtures if the store is empty (no categories, products, customers or "
        "orders), then move their dates so that the newest order is an hour old. "
        "A store with data of its own is left untouched."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--keep-dates", action="store_true", help="do not move the dates")

    def handle(self, *args, **options) -> None:
        if any(m.objects.exists() for m in (Category, Product, Customer, Order)):
            self.stdout.write("The store already has data: demo data not loaded.")
            return
        with transaction.atomic():
            call_command("loaddata", *FIXTURES, verbosity=0)
            if not options["keep_dates"]:
                self._move_dates()
            # loaddata writes around the order services (raw saves): count the orders here.
            rollups_rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the demo store: {Product.objects.count()} products, "
                f"{Customer.objects.count()} customers, {Order.objects.count()} orders."
            )
        )

    def _move_dates(self) -> None:
        newest = Order.objects.aggregate(newest=Max("placed_at"))["newest"]
        if newest is None:
            return
        shift = timezone.now() - timedelta(hours=1) - newest
        if abs(shift) < timedelta(minutes=5):
            return
        Order.objects.update(placed_at=F("placed_at") + shift, updated_at=F("updated_at") + shift)
        StockMovement.objects.update(created_at=F("created_at") + shift)
        Customer.objects.update(created_at=F("created_at") + shift)
        Product.objects.update(
            created_at=F("created_at") + shift, updated_at=F("updated_at") + shift
        )
        # The fixtures' first history rows ("Created", dated with their rows).
        for model in (Category, Product, Customer, Order, OrderItem):
            model.history.update(history_date=F("history_date") + shift)
        Order.history.update(placed_at=F("placed_at") + shift)
