"""Deterministic store data for the demo fixtures and for ``manage.py seed``.

The generator yields plain rows (dicts), never model instances, so that the demo fixture
writer and the bulk seeder can share it. Orders come in time order, and the stock ledger
is built alongside: every product gets an initial-stock movement, every order takes its
units (cancelled and returned orders give them back a moment later), and the initial
quantity is chosen so that each product ends at a planned level. Two passes with the
same seed give the same data: the first only counts what the orders take.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from catalog.models import StockMovement
from orders.models import GIVE_BACK_REASONS, HOLDS_STOCK, format_order_number, order_stock_reference

CATEGORY_NAMES = [
    ("T-shirts", ["Classic tee", "Organic tee", "Heavyweight tee", "V-neck tee", "Pocket tee"]),
    ("Hoodies", ["Zip hoodie", "Pullover hoodie", "Fleece hoodie", "Cropped hoodie"]),
    ("Mugs", ["Enamel mug", "Ceramic mug", "Travel mug", "Espresso cup"]),
    ("Posters", ["City poster", "Botanical print", "Typography poster", "Map print"]),
    ("Stickers", ["Sticker pack", "Holo sticker", "Laptop sticker", "Vinyl decal"]),
    ("Notebooks", ["Dot-grid notebook", "Lined notebook", "Sketchbook", "Pocket notebook"]),
    ("Bags", ["Tote bag", "Backpack", "Canvas shopper", "Drawstring bag"]),
    ("Caps", ["Dad cap", "Trucker cap", "Beanie", "Bucket hat"]),
    ("Socks", ["Crew socks", "Ankle socks", "Wool socks", "Sport socks"]),
    ("Phone cases", ["Clear case", "Leather case", "Bumper case", "Wallet case"]),
]
COLOURS = ["Black", "White", "Navy", "Forest", "Sand", "Red", "Grey", "Ochre"]
SIZES = ["S", "M", "L", "XL"]
FIRST_NAMES = [
    "Ada", "Ben", "Chloé", "David", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas",
    "Kira", "Luca", "Maya", "Noah", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara",
    "Uma", "Victor", "Wanda", "Xavier", "Yara", "Zoe",
]  # fmt: skip
LAST_NAMES = [
    "Adler", "Berger", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Horvat", "Ivanova",
    "Jensen", "Kowalski", "Lefèvre", "Müller", "Novak", "Olsen", "Petrov", "Rossi", "Schmidt",
    "Tanaka", "Urban", "Varga", "Weber", "Young", "Zimmermann",
]  # fmt: skip
CITIES = [
    ("Berlin", "10115", "DE"), ("Hamburg", "20095", "DE"), ("Munich", "80331", "DE"),
    ("Paris", "75001", "FR"), ("Lyon", "69001", "FR"), ("Vienna", "1010", "AT"),
    ("Zurich", "8001", "CH"), ("Amsterdam", "1011", "NL"), ("Milan", "20121", "IT"),
    ("Madrid", "28001", "ES"), ("Copenhagen", "1050", "DK"), ("Warsaw", "00-001", "PL"),
]  # fmt: skip
STREETS = ["Main St", "Station Rd", "Park Ave", "Market Sq", "Lindenweg", "Rue Haute"]
LINE_COUNT_WEIGHTS = [(1, 40), (2, 30), (3, 15), (4, 10), (5, 5)]


@dataclass
class Plan:
    categories: int
    products: int
    customers: int
    orders: int
    start: datetime
    end: datetime
    seed: int = 42
    sku_prefix: str = ""
    name_prefix: str = ""
    email_domain: str = "example.com"
    first_order_number: int = 1
    first_pk: dict[str, int] = field(default_factory=lambda: defaultdict(lambda: 1))


class StoreGenerator:
    """Generate categories, products, customers, orders, lines and ledger rows."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    # Catalog and customers ---------------------------------------------------------------------

    def categories(self) -> list[dict]:
        rows = []
        for n in range(self.plan.categories):
            pk = self.plan.first_pk["category"] + n
            base, _ = CATEGORY_NAMES[n % len(CATEGORY_NAMES)]
            if self.plan.name_prefix:  # seeded: numbered, so that runs never collide
                name = f"{self.plan.name_prefix}{base} #{pk}"
            else:
                round_ = n // len(CATEGORY_NAMES)
                name = f"{base} {round_ + 1}" if round_ else base
            rows.append({"pk": pk, "name": name, "slug": slugify(name)})
        return rows

    def products(self, categories: list[dict]) -> list[dict]:
        rng = random.Random(self.plan.seed + 1)
        rows = []
        for n in range(self.plan.products):
            category = categories[n % len(categories)]
            kinds = CATEGORY_NAMES[(category["pk"] - self.plan.first_pk["category"]) % 10][1]
            kind = kinds[(n // len(categories)) % len(kinds)]
            colour = rng.choice(COLOURS)
            needs_size = category["slug"].endswith(("t-shirts", "hoodies", "socks"))
            size = rng.choice(SIZES) if needs_size else ""
            name = f"{kind}, {colour}" + (f" ({size})" if size else "")
            price = Decimal(rng.choice([5, 8, 12, 15, 19, 25, 29, 39, 49, 59, 79])) - Decimal(
                "0.10"
            ) * rng.choice([0, 1, 5])
            pk = self.plan.first_pk["product"] + n
            rows.append(
                {
                    "pk": pk,
                    "sku": f"{self.plan.sku_prefix}{slugify(kind).upper()[:10]}-{pk:06d}",
                    "name": name,
                    "category": category["pk"],
                    "description": f"{kind} in {colour.lower()}.",
                    "price": price,
                    "cost": (price * Decimal("0.45")).quantize(Decimal("0.01")),
                    "low_stock_threshold": rng.choice([3, 5, 5, 10]),
                    "is_active": rng.random() > 0.04,
                }
            )
        return rows

    def customers(self) -> list[dict]:
        rng = random.Random(self.plan.seed + 2)
        rows = []
        span = (self.plan.end - self.plan.start).total_seconds()
        for n in range(self.plan.customers):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            city, postal_code, country = rng.choice(CITIES)
            pk = self.plan.first_pk["customer"] + n
            rows.append(
                {
                    "pk": pk,
                    "email": f"{slugify(first)}.{slugify(last)}.{pk}@{self.plan.email_domain}",
                    "first_name": first,
                    "last_name": last,
                    "phone": f"+{rng.randint(30, 49)} {rng.randint(100, 999)} "
                    f"{rng.randint(1000, 9999)}",
                    "street": f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
                    "city": city,
                    "postal_code": postal_code,
                    "country": country,
                    "created_at": self.plan.start + timedelta(seconds=rng.random() * span * 0.5),
                }
            )
        return rows

    # Orders ----------------------------------------------------------------------------------

    def orders(self, products: list[dict], customers: list[dict]) -> Iterator[tuple[dict, list]]:
        """Yield (order, lines) in time order; each line is (product row, quantity)."""
        rng = random.Random(self.plan.seed + 3)
        span = (self.plan.end - self.plan.start).total_seconds()
        count = self.plan.orders
        active = [p for p in products if p["is_active"]] or products
        # Most orders buy the popular fifth of the catalog.
        popular = active[: max(1, len(active) // 5)]
        line_counts, weights = zip(*LINE_COUNT_WEIGHTS, strict=True)
        for n in range(count):
            placed_at = self.plan.start + timedelta(seconds=span * (n + rng.random()) / count)
            age_days = (self.plan.end - placed_at).total_seconds() / 86400
            status = _status_for_age(rng, age_days)
            chosen: dict[int, tuple[dict, int]] = {}
            for _ in range(rng.choices(line_counts, weights)[0]):
                product = rng.choice(popular if rng.random() < 0.6 else active)
                quantity = rng.choice([1, 1, 1, 2, 2, 3])
                chosen[product["pk"]] = (product, quantity)
            lines = list(chosen.values())
            subtotal = sum((p["price"] * q for p, q in lines), Decimal(0))
            shipping = Decimal("0.00") if subtotal >= 50 else Decimal("4.90")
            discount = (
                (subtotal * Decimal("0.10")).quantize(Decimal("0.01"))
                if rng.random() < 0.1
                else Decimal("0.00")
            )
            customer = customers[rng.randrange(len(customers))]
            order = {
                "pk": self.plan.first_pk["order"] + n,
                "number": format_order_number(self.plan.first_order_number + n),
                "customer": customer["pk"],
                "status": status,
                "shipping_name": f"{customer['first_name']} {customer['last_name']}",
                "shipping_street": customer["street"],
                "shipping_city": customer["city"],
                "shipping_postal_code": customer["postal_code"],
                "shipping_country": customer["country"],
                "shipping_cost": shipping,
                "discount": discount,
                "total": subtotal + shipping - discount,
                "item_count": sum(q for _, q in lines),
                "placed_at": placed_at,
            }
            yield order, lines

    def demand(self, products: list[dict], customers: list[dict]) -> dict[int, int]:
        """Units each product's orders still hold at the end (first pass)."""
        taken: dict[int, int] = defaultdict(int)
        for order, lines in self.orders(products, customers):
            if order["status"] in HOLDS_STOCK:
                for product, quantity in lines:
                    taken[product["pk"]] += quantity
        return taken

    def final_stock(self, products: list[dict]) -> dict[int, int]:
        """The planned stock at the end: some out, some low, most in stock."""
        rng = random.Random(self.plan.seed + 4)
        result = {}
        for product in products:
            roll = rng.random()
            if roll < 0.07:
                result[product["pk"]] = 0
            elif roll < 0.18:
                result[product["pk"]] = rng.randint(1, product["low_stock_threshold"])
            else:
                result[product["pk"]] = rng.randint(15, 180)
        return result


class LedgerBuilder:
    """Turn orders into ledger rows with running balances, after the initial stock."""

    def __init__(self, initial: dict[int, int], start: datetime, first_pk: int = 1) -> None:
        self.balance = dict(initial)
        self.next_pk = first_pk
        self.start = start

    def _row(self, product_id, quantity, reason, reference, created_at) -> dict:
        self.balance[product_id] += quantity
        row = {
            "pk": self.next_pk,
            "product": product_id,
            "quantity": quantity,
            "balance": self.balance[product_id],
            "reason": reason,
            "reference": reference,
            "created_at": created_at,
        }
        self.next_pk += 1
        return row

    def initial_rows(self) -> list[dict]:
        rows = []
        for product_id, quantity in sorted(self.balance.items()):
            self.balance[product_id] = 0
            if quantity:
                rows.append(
                    self._row(
                        product_id,
                        quantity,
                        StockMovement.Reason.INITIAL,
                        "",
                        self.start - timedelta(days=1),
                    )
                )
        return rows

    def order_rows(self, order: dict, lines: list) -> list[dict]:
        reference = order_stock_reference(order["number"])
        lines = sorted(lines, key=lambda line: line[0]["pk"])
        take = StockMovement.Reason.ORDER
        if order["status"] in HOLDS_STOCK:
            return [
                self._row(product["pk"], -quantity, take, reference, order["placed_at"])
                for product, quantity in lines
            ]
        # Cancelled or returned: it took its units and gave them back a second later. A
        # line the stock could not cover was never reserved, so it has no ledger rows.
        back_at = order["placed_at"] + timedelta(seconds=1)
        reason = GIVE_BACK_REASONS[order["status"]]
        rows = []
        for product, quantity in lines:
            if self.balance[product["pk"]] >= quantity:
                rows.append(
                    self._row(product["pk"], -quantity, take, reference, order["placed_at"])
                )
                rows.append(self._row(product["pk"], quantity, reason, reference, back_at))
        return rows


def _status_for_age(rng: random.Random, age_days: float) -> str:
    if age_days < 1:
        return rng.choices(["pending", "paid", "cancelled"], [55, 40, 5])[0]
    if age_days < 4:
        return rng.choices(["paid", "shipped", "pending", "cancelled"], [35, 50, 8, 7])[0]
    if age_days < 10:
        return rng.choices(["shipped", "delivered", "cancelled", "returned"], [30, 60, 5, 5])[0]
    return rng.choices(["delivered", "cancelled", "returned"], [84, 8, 8])[0]


def slugify(text: str) -> str:
    table = str.maketrans("éèàáíóúüöäñç", "eeaaiouuoanc")
    cleaned = "".join(c if c.isalnum() else "-" for c in text.lower().translate(table))
    return "-".join(part for part in cleaned.split("-") if part)
