"""Fill the database with synthetic store data, fast, for load tests and benchmarks.

Rows are written with bulk inserts in batches (no per-row save, no signals, no history),
and the ledger is built alongside so that ``stock_reconcile`` is clean at the end.
"""

import sys
import time
from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from backoffice.sampledata import LedgerBuilder, Plan, StoreGenerator
from catalog.models import Category, Product, StockMovement
from orders.models import (
    HOLDS_STOCK,
    Customer,
    DailyOrderRollup,
    MonthlyProductRollup,
    Order,
    OrderItem,
    OrderNumberSequence,
)
from orders.rollups import rollups_rebuild
from orders.services import order_numbers_last, order_numbers_raise_to

SEED_SKU_PREFIX = "SEED-"
SEED_EMAIL_DOMAIN = "seed.example.com"
SEED_NAME_PREFIX = "Seed "


class Progress:
    """A one-line progress bar with rows/s on a terminal; a summary line otherwise."""

    def __init__(self, stream, label: str, total: int) -> None:
        self.stream, self.label, self.total = stream, label, max(total, 1)
        self.done, self.started, self.tty = 0, time.perf_counter(), stream.isatty()
        self._last = 0.0

    def advance(self, rows: int) -> None:
        self.done += rows
        now = time.perf_counter()
        if self.tty and (now - self._last > 0.2 or self.done >= self.total):
            self._last = now
            rate = self.done / max(now - self.started, 1e-9)
            filled = int(30 * self.done / self.total)
            self.stream.write(
                f"\r{self.label:<14} [{'#' * filled}{'.' * (30 - filled)}] "
                f"{self.done:>10,}/{self.total:,} {rate:>10,.0f} rows/s"
            )
            self.stream.flush()

    def finish(self) -> float:
        elapsed = time.perf_counter() - self.started
        if self.tty:
            self.stream.write("\n")
        self.stream.write(
            f"{self.label:<14} {self.done:>10,} rows in {elapsed:6.1f} s "
            f"({self.done / max(elapsed, 1e-9):,.0f} rows/s)\n"
        )
        return elapsed


class Command(BaseCommand):
    help = "Create synthetic categories, products, customers, orders, lines and ledger rows."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--categories", type=int, default=20)
        parser.add_argument("--products", type=int, default=1000)
        parser.add_argument("--customers", type=int, default=1000)
        parser.add_argument("--orders", type=int, default=10000)
        parser.add_argument(
            "--seed", type=int, default=42, help="random seed (same seed, same data)"
        )
        parser.add_argument(
            "--days", type=int, default=365, help="orders spread over this many days"
        )
        parser.add_argument("--end", help="date of the newest order (YYYY-MM-DD), default today")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--force", action="store_true", help="seed even if the database has real data"
        )

    def handle(self, *args, **options) -> None:
        if min(options["categories"], options["products"], options["customers"]) < 1:
            raise CommandError("--categories, --products and --customers must be at least 1.")
        real = self._real_data()
        if real and not options["force"]:
            raise CommandError(
                f"The database has real data ({real}); seeding would mix synthetic rows into it. "
                "Use --force to seed anyway."
            )
        end = (
            datetime.fromisoformat(options["end"]).replace(tzinfo=UTC, hour=18)
            if options["end"]
            else timezone.now()
        )
        plan = Plan(
            categories=options["categories"],
            products=options["products"],
            customers=options["customers"],
            orders=options["orders"],
            start=end - timedelta(days=options["days"]),
            end=end,
            seed=options["seed"],
            sku_prefix=SEED_SKU_PREFIX,
            name_prefix=SEED_NAME_PREFIX,
            email_domain=SEED_EMAIL_DOMAIN,
        )
        started = time.perf_counter()
        with transaction.atomic():
            self._seed(plan, options["batch_size"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {plan.categories:,} categories, {plan.products:,} products, "
                f"{plan.customers:,} customers, {plan.orders:,} orders "
                f"in {time.perf_counter() - started:.1f} s."
            )
        )

    def _real_data(self) -> str:
        checks = {
            "products": Product.objects.exclude(sku__startswith=SEED_SKU_PREFIX),
            "customers": Customer.objects.exclude(email__endswith=f"@{SEED_EMAIL_DOMAIN}"),
            "orders": Order.objects.exclude(customer__email__endswith=f"@{SEED_EMAIL_DOMAIN}"),
        }
        return ", ".join(name for name, qs in checks.items() if qs.exists())

    def _seed(self, plan: Plan, batch: int) -> None:
        out = self.stdout
        for model, key in [
            (Category, "category"),
            (Product, "product"),
            (Customer, "customer"),
            (Order, "order"),
        ]:
            plan.first_pk[key] = (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        sequence, _ = OrderNumberSequence.objects.select_for_update().get_or_create(pk=1)
        plan.first_order_number = order_numbers_last() + 1
        # Reserve the block now: orders placed meanwhile take numbers after it.
        order_numbers_raise_to(plan.first_order_number + plan.orders - 1)
        gen = StoreGenerator(plan)

        categories = gen.categories()
        Category.objects.bulk_create([Category(**row) for row in categories], batch_size=batch)

        products = gen.products(categories)
        customers = gen.customers()
        final = gen.final_stock(products)
        progress = Progress(out, "demand", plan.orders)
        demand: dict[int, int] = {}
        for order, lines in gen.orders(products, customers):
            if order["status"] in HOLDS_STOCK:
                for product, quantity in lines:
                    demand[product["pk"]] = demand.get(product["pk"], 0) + quantity
            progress.advance(1)
        progress.finish()
        initial = {p["pk"]: final[p["pk"]] + demand.get(p["pk"], 0) for p in products}

        progress = Progress(out, "products", len(products))
        for start in range(0, len(products), batch):
            chunk = products[start : start + batch]
            Product.objects.bulk_create(
                [
                    Product(
                        **{k: v for k, v in row.items() if k != "category"},
                        category_id=row["category"],
                        stock=final[row["pk"]],
                        created_at=plan.start,
                        updated_at=plan.start,
                    )
                    for row in chunk
                ]
            )
            progress.advance(len(chunk))
        progress.finish()

        progress = Progress(out, "customers", len(customers))
        for start in range(0, len(customers), batch):
            chunk = customers[start : start + batch]
            Customer.objects.bulk_create([Customer(**row) for row in chunk])
            progress.advance(len(chunk))
        progress.finish()

        first_movement = (StockMovement.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        ledger = LedgerBuilder(initial, plan.start, first_pk=first_movement)
        StockMovement.objects.bulk_create(
            [self._movement(row) for row in ledger.initial_rows()], batch_size=batch
        )

        progress = Progress(out, "orders", plan.orders)
        orders, items, movements = [], [], []
        item_pk = (OrderItem.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        for order, lines in gen.orders(products, customers):
            orders.append(
                Order(
                    **{k: v for k, v in order.items() if k != "customer"},
                    customer_id=order["customer"],
                    updated_at=order["placed_at"],
                )
            )
            for product, quantity in lines:
                items.append(
                    OrderItem(
                        pk=item_pk,
                        order_id=order["pk"],
                        product_id=product["pk"],
                        quantity=quantity,
                        unit_price=product["price"],
                    )
                )
                item_pk += 1
            movements.extend(self._movement(row) for row in ledger.order_rows(order, lines))
            if len(orders) >= batch:
                self._flush(orders, items, movements)
                progress.advance(batch)
                orders, items, movements = [], [], []
        self._flush(orders, items, movements)
        progress.advance(len(orders))
        progress.finish()
        assert ledger.balance == final, "the ledger must end at the planned stock"

        sequence.last_value = plan.first_order_number + plan.orders - 1
        sequence.save(update_fields=["last_value"])
        models = [Category, Product, Customer, Order, OrderItem, StockMovement]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
        # The orders went around the order services: count them into the dashboard's rollups.
        rollups_rebuild()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in [*models, DailyOrderRollup, MonthlyProductRollup]:
                    cursor.execute(f"ANALYZE {model._meta.db_table}")

    @staticmethod
    def _movement(row: dict) -> StockMovement:
        return StockMovement(
            pk=row["pk"],
            product_id=row["product"],
            quantity=row["quantity"],
            balance=row["balance"],
            reason=row["reason"],
            reference=row["reference"],
            created_at=row["created_at"],
        )

    @staticmethod
    def _flush(orders, items, movements) -> None:
        Order.objects.bulk_create(orders)
        OrderItem.objects.bulk_create(items)
        StockMovement.objects.bulk_create(movements)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("Run through manage.py seed")
