"""Write the demo fixtures (fixtures/demo_*.json) from backoffice.sampledata.

The committed fixtures were made with this command; run it again to regenerate them
(``--anchor`` fixes the newest order's date, so the output is reproducible).
"""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand

from backoffice.roles import CATALOG_MANAGERS, CUSTOMER_SUPPORT, FULFILMENT, READ_ONLY
from backoffice.sampledata import LedgerBuilder, Plan, StoreGenerator

DEMO_STAFF = [
    ("demo-catalog", "Cleo", "Catalog", CATALOG_MANAGERS),
    ("demo-fulfilment", "Finn", "Fulfilment", FULFILMENT),
    ("demo-support", "Sara", "Support", CUSTOMER_SUPPORT),
    ("demo-readonly", "Rita", "Reader", READ_ONLY),
]
DEMO_PASSWORD = "demo-password"  # demo-only accounts; see docs/deployment.md "Demo data"


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    raise TypeError(value)


def _entry(model: str, row: dict) -> dict:
    fields = {k: v for k, v in row.items() if k != "pk"}
    return {"model": model, "pk": row["pk"], "fields": fields}


HISTORY_REASON = "Demo data"


def _with_history(entries: list[dict], when) -> list[dict]:
    """``entries`` followed by a first ("Created") history row of each, so that the first
    edit of a demo row shows what changed. ``when(entry)`` is the row's date.

    The history rows have the rows' own keys: loading the fixtures again replaces them.
    """
    history = []
    for entry in entries:
        model = apps.get_model(entry["model"])
        tracked = [f.name for f in model.history.model.tracked_fields if f.name != "id"]
        fields = {name: entry["fields"][name] for name in tracked if name in entry["fields"]}
        fields.update(
            id=entry["pk"],
            history_date=when(entry),
            history_change_reason=HISTORY_REASON,
            history_type="+",
            history_user=None,
        )
        label = f"{model._meta.app_label}.{model.history.model._meta.model_name}"
        history.append({"model": label, "pk": entry["pk"], "fields": fields})
    return entries + history


class Command(BaseCommand):
    help = "Regenerate fixtures/demo_catalog, demo_customers, demo_orders and demo_staff (JSON)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--anchor", default="2026-11-20T12:00:00+00:00", help="newest order's time"
        )
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "fixtures"))

    def handle(self, *args, **options) -> None:
        end = datetime.fromisoformat(options["anchor"])
        plan = Plan(
            categories=10,
            products=64,
            customers=45,
            orders=180,
            start=end - timedelta(days=120),
            end=end,
            seed=options["seed"],
        )
        gen = StoreGenerator(plan)
        categories = gen.categories()
        products = gen.products(categories)
        customers = gen.customers()
        final = gen.final_stock(products)
        demand = gen.demand(products, customers)
        initial = {p["pk"]: final[p["pk"]] + demand.get(p["pk"], 0) for p in products}
        ledger = LedgerBuilder(initial, plan.start)
        movements = ledger.initial_rows()
        orders, items = [], []
        item_pk = 1
        for order, lines in gen.orders(products, customers):
            movements += ledger.order_rows(order, lines)
            orders.append({**order, "notes": "", "updated_at": order["placed_at"]})
            for product, quantity in lines:
                items.append(
                    {
                        "pk": item_pk,
                        "order": order["pk"],
                        "product": product["pk"],
                        "quantity": quantity,
                        "unit_price": product["price"],
                    }
                )
                item_pk += 1
        assert ledger.balance == final, "ledger must end at the planned stock"
        for product in products:
            product.update(stock=final[product["pk"]], created_at=plan.start, updated_at=plan.start)

        out = Path(options["output"])
        out.mkdir(parents=True, exist_ok=True)
        placed = {o["pk"]: o["placed_at"] for o in orders}
        self._write(
            out / "demo_catalog.json",
            _with_history(
                [_entry("catalog.category", {**c, "parent": None}) for c in categories],
                lambda _: plan.start,
            )
            + _with_history(
                [_entry("catalog.product", p) for p in products],
                lambda e: e["fields"]["created_at"],
            )
            + [
                _entry("catalog.stockmovement", {**m, "note": "", "created_by": None})
                for m in movements
            ],
        )
        self._write(
            out / "demo_customers.json",
            _with_history(
                [_entry("orders.customer", {**c, "notes": ""}) for c in customers],
                lambda e: e["fields"]["created_at"],
            ),
        )
        self._write(
            out / "demo_orders.json",
            _with_history(
                [_entry("orders.order", o) for o in orders], lambda e: e["fields"]["placed_at"]
            )
            + _with_history(
                [_entry("orders.orderitem", i) for i in items],
                lambda e: placed[e["fields"]["order"]],
            )
            + [_entry("orders.ordernumbersequence", {"pk": 1, "last_value": len(orders)})],
        )
        staff = [
            _entry(
                "backoffice.user",
                {
                    "pk": 1000 + n,
                    "username": username,
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                    "password": make_password(DEMO_PASSWORD),
                    "is_staff": True,
                    "is_active": True,
                    "is_superuser": False,
                    "date_joined": plan.start,
                    "groups": [[role]],
                },
            )
            for n, (username, first, last, role) in enumerate(DEMO_STAFF)
        ]
        self._write(out / "demo_staff.json", staff)
        self.stdout.write(
            f"{len(categories)} categories, {len(products)} products, "
            f"{len(movements)} ledger rows, "
            f"{len(customers)} customers, {len(orders)} orders, {len(items)} lines, "
            f"{len(staff)} demo staff users -> {out}"
        )

    def _write(self, path: Path, entries: list) -> None:
        path.write_text(
            json.dumps(entries, indent=1, default=_json_default, ensure_ascii=False) + "\n"
        )
