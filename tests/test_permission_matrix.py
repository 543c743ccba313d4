"""The permission matrix (backoffice/permissions.py), cell by cell, through real HTTP endpoints.

For every kind of user and every (subject, operation): an allowed operation succeeds and
has its effect; a refused one answers 403, a redirect to the login page, or the list
without the action, and changes nothing at all (every table is compared before and after).

The world (the objects every probe acts on, and one logged-in user per actor) is built
once for the module, inside a transaction that is rolled back at the end; each cell runs
in pytest-django's own per-test savepoint, so what one probe changes is gone for the next.
"""

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from backoffice.admin_site import SIDEBAR_GROUPS
from backoffice.models import ApiToken, User
from backoffice.permissions import ACTORS, MATRIX, NO_ROLE, NOT_STAFF, SUPERUSER
from backoffice.services import api_token_create
from catalog.models import Category, Product, StockMovement
from catalog.tests.factories import make_category, make_product
from orders.models import Customer, Order, OrderEvent, OrderItem, OrderStatus
from orders.services import order_save
from orders.tests.factories import lines_of, make_customer, make_order, order_payload

ACTOR_USERNAMES = {
    SUPERUSER: "super",
    NO_ROLE: "norole",
    NOT_STAFF: "outsider",
}


@dataclass
class World:
    """The objects every probe acts on, and a logged-in session per actor."""

    category: Category
    spare_category: Category
    product: Product
    spare_product: Product
    customer: Customer
    spare_customer: Customer
    target: User
    temp_group: Group
    orders: dict[tuple[str, str], Order] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)
    api_keys: dict[str, str] = field(default_factory=dict)
    initial: list = field(default_factory=list)  # dump() right after building

    @classmethod
    def build(cls) -> "World":
        category = make_category("Shoes", "shoes")
        product = make_product("P-1", category=category, stock=50, price="10.00")
        customer = make_customer("buyer@shop.test")
        world = cls(
            category=category,
            spare_category=make_category("Spare", "spare"),
            product=product,
            spare_product=make_product("P-SPARE", category=category),
            customer=customer,
            spare_customer=make_customer("nobody@shop.test"),
            target=User.objects.create_user("target", password="a-long-pass-1", is_staff=True),
            temp_group=Group.objects.create(name="Temp"),
        )
        for status in (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.SHIPPED, "delivered"):
            for copy in ("a", "b"):
                order = make_order([(product, 1)], customer=customer)
                Order.objects.filter(pk=order.pk).update(status=status)
                order.refresh_from_db()
                world.orders[(status, copy)] = order
        for actor in ACTORS:
            username = ACTOR_USERNAMES.get(actor) or actor.lower().replace(" ", "-")
            user = User.objects.create_user(  # no password: the session is made directly
                username, is_staff=actor != NOT_STAFF, is_superuser=actor == SUPERUSER
            )
            if actor not in ACTOR_USERNAMES:
                user.groups.add(Group.objects.get(name=actor))
            client = Client()
            client.force_login(user)
            world.users[actor] = user
            world.sessions[actor] = client.cookies[settings.SESSION_COOKIE_NAME].value
            world.api_keys[actor] = api_token_create(user=user, name="matrix")[1]
        world.initial = dump()
        return world

    def client(self, actor: str) -> Client:
        """A fresh client (no cookies left by an earlier cell) in ``actor``'s session."""
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[actor]
        return client

    def api_client(self, actor: str) -> APIClient:
        """An API client sending ``actor``'s API token."""
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {self.api_keys[actor]}")
        return client


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Build the world once; roll all of it back when the module is done."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = World.build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def dump() -> list:
    tables = [
        Category.objects.all(),
        Product.objects.all(),
        StockMovement.objects.all(),
        Customer.objects.all(),
        Order.objects.all(),
        OrderItem.objects.all(),
        OrderEvent.objects.all(),
        User.objects.all(),
        Group.objects.all(),
        User.groups.through.objects.all(),
        Product.history.all(),
        Category.history.all(),
        Customer.history.all(),
        Order.history.all(),
        User.history.all(),
    ]
    return [sorted(map(repr, qs.values())) for qs in tables]


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def post_action(client, changelist: str, action: str, objects, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objects], "index": 0, **extra}
    return client.post(admin_url(changelist), data)


def refresh(obj):
    return type(obj).objects.filter(pk=obj.pk).first()


# Probes: each performs the operation and returns True if it took effect ---------------------


def probe_print(c, w, detail: str, action: str, title: str) -> bool:
    """The order page's button and the list's action both lead to the document."""
    order = w.orders[("paid", "a")]
    page = c.get(admin_url(f"orders_order_{detail}", order.pk))
    listed = post_action(c, "orders_order_changelist", action, [order])
    if listed.status_code != 302 or "/print/" not in listed["Location"]:
        return False
    document = c.get(listed["Location"])
    return page.status_code == 200 and title in document.content.decode()


def probe_view(name):
    return lambda c, w: c.get(admin_url(name)).status_code == 200


def probe_dashboard(c, w):
    return c.get(admin_url("index")).status_code == 200


def probe_category_add(c, w):
    c.post(admin_url("catalog_category_add"), {"name": "New", "slug": "new", "parent": ""})
    return Category.objects.filter(slug="new").exists()


def probe_category_change(c, w):
    url = admin_url("catalog_category_change", w.category.pk)
    c.post(url, {"name": "Renamed", "slug": "shoes", "parent": ""})
    return refresh(w.category).name == "Renamed"


def probe_delete(name, attribute):
    def probe(c, w):
        obj = getattr(w, attribute)
        c.post(admin_url(name, obj.pk), {"post": "yes"})
        return refresh(obj) is None

    return probe


def probe_import(model, text):
    def probe(c, w):
        upload = SimpleUploadedFile("f.csv", text.encode(), content_type="text/csv")
        preview = c.post(admin_url(f"{model}_import"), {"import_file": upload, "format": 0})
        if preview.status_code != 200 or preview.context.get("confirm_form") is None:
            # The confirm step must refuse on its own, too.
            forged = {"import_file_name": "x", "original_file_name": "f.csv", "format": 0}
            assert c.post(admin_url(f"{model}_process_import"), forged).status_code in (302, 403)
            return False
        data = dict(preview.context["confirm_form"].initial)
        c.post(admin_url(f"{model}_process_import"), data)
        return True

    return probe


def probe_export(model):
    def probe(c, w):
        response = c.post(admin_url(f"{model}_export"), {"format": 0, "resource": 0})
        return response.status_code == 200 and "attachment" in response.get(
            "Content-Disposition", ""
        )

    return probe


def probe_history(name, attribute):
    def probe(c, w):
        obj = getattr(w, attribute)
        return c.get(admin_url(name, obj.pk)).status_code == 200

    return probe


def probe_product_add(c, w):
    c.post(
        admin_url("catalog_product_add"),
        {
            "sku": "NEW-1",
            "name": "New",
            "category": w.category.pk,
            "price": "1.00",
            "low_stock_threshold": 5,
            "is_active": "on",
            "initial_stock": 0,
            "images-TOTAL_FORMS": 0,
            "images-INITIAL_FORMS": 0,
            "movements-TOTAL_FORMS": 0,
            "movements-INITIAL_FORMS": 0,
        },
    )
    return Product.objects.filter(sku="NEW-1").exists()


def product_payload(w, **changes):
    moves = w.product.movements.count()
    data = {
        "sku": "P-1",
        "name": w.product.name,
        "category": w.category.pk,
        "price": "10.00",
        "low_stock_threshold": 5,
        "is_active": "on",
        "images-TOTAL_FORMS": 0,
        "images-INITIAL_FORMS": 0,
        "movements-TOTAL_FORMS": moves,
        "movements-INITIAL_FORMS": moves,
    }
    data.update(changes)
    return data


def probe_product_change(c, w):
    c.post(admin_url("catalog_product_change", w.product.pk), product_payload(w, name="Renamed"))
    return refresh(w.product).name == "Renamed"


def setup_product_revert(w):
    Product.objects.filter(pk=w.product.pk).update(name="Changed later")  # no history row


def probe_product_revert(c, w):
    first = w.product.history.earliest()
    url = admin_url("catalog_product_simple_history", w.product.pk, first.history_id)
    c.post(url, product_payload(w, name=first.name))
    return refresh(w.product).name == first.name


def setup_category_revert(w):
    Category.objects.filter(pk=w.category.pk).update(name="Changed later")


def probe_category_revert(c, w):
    first = w.category.history.earliest()
    url = admin_url("catalog_category_simple_history", w.category.pk, first.history_id)
    c.post(url, {"name": first.name, "slug": "shoes", "parent": ""})
    return refresh(w.category).name == first.name


def probe_product_actions(action, check, **extra):
    def probe(c, w):
        post_action(c, "catalog_product_changelist", action, [w.product], apply=1, **extra)
        return check(refresh(w.product))

    return probe


def probe_movement_write(kind):
    def probe(c, w):
        movement = w.product.movements.first()
        if kind == "add":
            data = {"product": w.product.pk, "quantity": 5, "balance": 55, "reason": "adjustment"}
            c.post(admin_url("catalog_stockmovement_add"), data)
            return StockMovement.objects.filter(quantity=5).exists()
        if kind == "change":
            c.post(
                admin_url("catalog_stockmovement_change", movement.pk),
                {"quantity": 99, "balance": 99, "reason": "adjustment"},
            )
            return refresh(movement).quantity == 99
        c.post(admin_url("catalog_stockmovement_delete", movement.pk), {"post": "yes"})
        return refresh(movement) is None

    return probe


def customer_payload(email, first_name, **extra):
    return {
        "email": email,
        "first_name": first_name,
        "last_name": "Shopper",
        "orders-TOTAL_FORMS": 0,
        "orders-INITIAL_FORMS": 0,
        **extra,
    }


def probe_customer_add(c, w):
    c.post(admin_url("orders_customer_add"), customer_payload("fresh@shop.test", "Fresh"))
    return Customer.objects.filter(email="fresh@shop.test").exists()


def probe_customer_change(c, w):
    orders = w.customer.orders.count()
    c.post(
        admin_url("orders_customer_change", w.customer.pk),
        customer_payload(
            w.customer.email,
            "Renamed",
            **{"orders-TOTAL_FORMS": orders, "orders-INITIAL_FORMS": orders},
        ),
    )
    return refresh(w.customer).first_name == "Renamed"


def setup_customer_revert(w):
    Customer.objects.filter(pk=w.customer.pk).update(first_name="Changed later")


def probe_customer_revert(c, w):
    first = w.customer.history.earliest()
    orders = w.customer.orders.count()
    url = admin_url("orders_customer_simple_history", w.customer.pk, first.history_id)
    c.post(
        url,
        customer_payload(
            w.customer.email,
            first.first_name,
            country=first.country,
            **{"orders-TOTAL_FORMS": orders, "orders-INITIAL_FORMS": orders},
        ),
    )
    return refresh(w.customer).first_name == first.first_name


def probe_order_add(c, w):
    before = Order.objects.count()
    c.post(
        admin_url("orders_order_add"),
        order_payload(w.customer, [{"product": w.product, "quantity": 1}]),
    )
    return Order.objects.count() == before + 1


def probe_order_change(c, w):
    order = w.orders[("pending", "a")]
    c.post(
        admin_url("orders_order_change", order.pk),
        order_payload(order.customer, lines_of(order), order=order, notes="Changed"),
    )
    return refresh(order).notes == "Changed"


def probe_order_delete(c, w):
    order = w.orders[("pending", "a")]
    c.post(admin_url("orders_order_delete", order.pk), {"post": "yes"})
    return refresh(order) is None


def setup_order_revert(w):
    order = Order.objects.get(pk=w.orders[("pending", "a")].pk)
    order.notes = "v2"
    order_save(order=order, user=w.users[SUPERUSER])


def probe_order_revert(c, w):
    order = w.orders[("pending", "a")]
    first = order.history.earliest()
    url = admin_url("orders_order_simple_history", order.pk, first.history_id)
    c.post(url, order_payload(order.customer, lines_of(order), order=order, notes=""))
    return refresh(order).notes == ""


def probe_transition(from_status, to_status):
    def probe(c, w):
        bulk, detail = w.orders[(from_status, "a")], w.orders[(from_status, "b")]
        url = admin_url(f"orders_order_detail_{to_status}", detail.pk)
        c.get(url)  # a GET on a button's URL never changes anything, whoever asks
        assert refresh(detail).status == from_status
        # Cancel and return ask for a reason (a dialog field; the list's intermediate page).
        post_action(
            c, "orders_order_changelist", f"bulk_{to_status}", [bulk], apply="1", reason="probe"
        )
        c.post(url, {"_form_submitted": "on", "reason": "probe"})
        done = (refresh(bulk).status == to_status, refresh(detail).status == to_status)
        assert done[0] == done[1], "the list action and the order-page button disagree"
        return done[0]

    return probe


def probe_user_add(c, w):
    c.post(
        admin_url("backoffice_user_add"),
        {
            "username": "newbie",
            "password1": "A-long-pass-123",
            "password2": "A-long-pass-123",
            "usable_password": "true",
        },
    )
    return User.objects.filter(username="newbie").exists()


def probe_user_change(c, w):
    c.post(
        admin_url("backoffice_user_change", w.target.pk),
        {
            "username": "target",
            "first_name": "Changed",
            "last_name": "",
            "email": "",
            "is_active": "on",
            "is_staff": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    return refresh(w.target).first_name == "Changed"


def probe_user_actions(action, check, **extra):
    def probe(c, w):
        post_action(c, "backoffice_user_changelist", action, [w.target], apply=1, **extra)
        return check(w)

    return probe


def probe_role_change(c, w):
    c.post(admin_url("auth_group_change", w.temp_group.pk), {"name": "Temp renamed"})
    return Group.objects.filter(name="Temp renamed").exists()


# API probes (the client sends the actor's token) ------------------------------------------


def api_ok(response, *codes) -> bool:
    """Whether the API did it; a refusal must be 403 (never a 5xx or a silent 200)."""
    if response.status_code in codes:
        return True
    assert response.status_code == 403, (response.status_code, response.content[:300])
    return False


def probe_api_get(path):
    return lambda c, w: api_ok(c.get(path(w) if callable(path) else path), 200)


def probe_api_product_put(c, w):
    body = {"name": "Via API", "category": "shoes", "price": "3.00", "is_active": True}
    return api_ok(c.put("/api/v1/products/API-1/", body, format="json"), 201)


def probe_api_product_patch(c, w):
    done = api_ok(c.patch("/api/v1/products/P-1/", {"name": "Renamed"}, format="json"), 200)
    return done and refresh(w.product).name == "Renamed"


def probe_api_product_bulk(c, w):
    items = [{"sku": "API-B", "name": "B", "category": "shoes", "price": "1", "is_active": 1}]
    return api_ok(c.post("/api/v1/products/bulk/", items, format="json"), 200)


def probe_api_stock_adjust(c, w):
    body = {"sku": "P-1", "quantity": 2, "reason": "adjustment"}
    done = api_ok(c.post("/api/v1/stock/adjustments/", body, format="json"), 201)
    return done and refresh(w.product).stock == 44  # 50, minus 8 orders of 1, plus 2


def probe_api_stock_levels(c, w):
    body = [{"sku": "P-1", "stock": 100}]
    done = api_ok(c.post("/api/v1/stock/levels/", body, format="json"), 200)
    return done and refresh(w.product).stock == 100


def probe_api_customer_add(c, w):
    body = {"email": "api@shop.test", "first_name": "A", "last_name": "Pi"}
    return api_ok(c.post("/api/v1/customers/", body, format="json"), 201)


def probe_api_customer_change(c, w):
    url = f"/api/v1/customers/{w.customer.email}/"
    done = api_ok(c.patch(url, {"first_name": "Renamed"}, format="json"), 200)
    return done and refresh(w.customer).first_name == "Renamed"


def probe_api_order_add(c, w):
    body = {"customer": w.customer.email, "lines": [{"sku": "P-1", "quantity": 1}]}
    return api_ok(c.post("/api/v1/orders/", body, format="json"), 201)


def probe_order_comment(c, w):
    order = w.orders[("paid", "a")]
    url = admin_url("orders_order_comment", order.pk)
    c.get(url)  # a GET never writes
    assert not OrderEvent.objects.filter(order=order).exists()
    c.post(url, {"text": "Probe comment"})
    return OrderEvent.objects.filter(order=order, kind="comment", text="Probe comment").exists()


def probe_api_transition(from_status, to_status):
    def probe(c, w):
        order = w.orders[(from_status, "a")]
        url = f"/api/v1/orders/{order.number}/transitions/"
        done = api_ok(c.post(url, {"to": to_status}, format="json"), 200)
        assert done == (refresh(order).status == to_status)
        return done

    return probe


def probe_api_docs(c, w):
    response = c.get("/api/v1/docs/")
    return response.status_code == 200


def probe_token_view_own(c, w):
    response = c.get(admin_url("backoffice_apitoken_changelist"))
    return response.status_code == 200 and "matrix" in response.content.decode()


def probe_token_add(c, w):
    before = ApiToken.objects.count()
    c.post(admin_url("backoffice_apitoken_add"), {"user": w.target.pk, "name": "new"})
    return ApiToken.objects.count() == before + 1


CSV_ORDERS = "external_reference,customer_email,sku,quantity\nCSV-1,buyer@shop.test,P-1,1\n"
CSV_PRODUCTS = "sku,name,category,price,stock,is_active\nIMP-1,Imported,shoes,2.00,3,1\n"
CSV_CATEGORIES = "slug,name\nimported,Imported\n"
CSV_CUSTOMERS = "email,first_name,last_name\nimported@shop.test,Imp,Orted\n"

PROBES = {
    ("dashboard", "view"): probe_dashboard,
    ("category", "view"): probe_view("catalog_category_changelist"),
    ("category", "add"): probe_category_add,
    ("category", "change"): probe_category_change,
    ("category", "delete"): probe_delete("catalog_category_delete", "spare_category"),
    ("category", "import"): probe_import("catalog_category", CSV_CATEGORIES),
    ("category", "export"): probe_export("catalog_category"),
    ("category", "history"): probe_history("catalog_category_history", "category"),
    ("category", "revert"): probe_category_revert,
    ("product", "view"): probe_view("catalog_product_changelist"),
    ("product", "add"): probe_product_add,
    ("product", "change"): probe_product_change,
    ("product", "delete"): probe_delete("catalog_product_delete", "spare_product"),
    ("product", "import"): probe_import("catalog_product", CSV_PRODUCTS),
    ("product", "export"): probe_export("catalog_product"),
    ("product", "history"): probe_history("catalog_product_history", "product"),
    ("product", "revert"): probe_product_revert,
    ("product", "action: activate / deactivate"): probe_product_actions(
        "deactivate_products", lambda p: p.is_active is False
    ),
    ("product", "action: change price"): probe_product_actions(
        "change_price", lambda p: p.price == Decimal("11.00"), percent="10"
    ),
    ("product", "action: adjust stock"): probe_product_actions(
        "adjust_stock", lambda p: p.stock == 44, quantity="2", reason="adjustment"
    ),
    ("stock movement", "view"): probe_view("catalog_stockmovement_changelist"),
    ("stock movement", "add"): probe_movement_write("add"),
    ("stock movement", "change"): probe_movement_write("change"),
    ("stock movement", "delete"): probe_movement_write("delete"),
    ("stock movement", "export"): probe_export("catalog_stockmovement"),
    ("customer", "view"): probe_view("orders_customer_changelist"),
    ("customer", "add"): probe_customer_add,
    ("customer", "change"): probe_customer_change,
    ("customer", "delete"): probe_delete("orders_customer_delete", "spare_customer"),
    ("customer", "import"): probe_import("orders_customer", CSV_CUSTOMERS),
    ("customer", "export"): probe_export("orders_customer"),
    ("customer", "history"): probe_history("orders_customer_history", "customer"),
    ("customer", "revert"): probe_customer_revert,
    ("order", "view"): probe_view("orders_order_changelist"),
    ("order", "add"): probe_order_add,
    ("order", "change"): probe_order_change,
    ("order", "delete"): probe_order_delete,
    ("order", "export"): probe_export("orders_order"),
    ("order", "history"): lambda c, w: (
        c.get(admin_url("orders_order_history", w.orders[("paid", "a")].pk)).status_code == 200
    ),
    ("order", "revert"): probe_order_revert,
    ("order", "mark paid"): probe_transition("pending", "paid"),
    ("order", "mark shipped"): probe_transition("paid", "shipped"),
    ("order", "mark delivered"): probe_transition("shipped", "delivered"),
    ("order", "cancel"): probe_transition("pending", "cancelled"),
    ("order", "mark returned"): probe_transition("delivered", "returned"),
    ("order", "import"): probe_import("orders_order", CSV_ORDERS),
    ("order", "print packing slip / pick list"): lambda c, w: probe_print(
        c, w, "packing_slip", "print_pick_list", "Pick list"
    ),
    ("order", "print invoice"): lambda c, w: probe_print(
        c, w, "invoice", "print_invoices", "Invoice"
    ),
    ("order", "comment"): probe_order_comment,
    ("API schema", "read"): probe_api_get("/api/v1/schema/?format=json"),
    ("API docs page", "view"): probe_api_docs,
    ("API product", "read"): probe_api_get("/api/v1/products/P-1/"),
    ("API product", "create or replace"): probe_api_product_put,
    ("API product", "change"): probe_api_product_patch,
    ("API product", "bulk upsert"): probe_api_product_bulk,
    ("API stock", "read levels"): probe_api_get("/api/v1/stock/?sku=P-1"),
    ("API stock", "adjust"): probe_api_stock_adjust,
    ("API stock", "set levels"): probe_api_stock_levels,
    ("API stock", "read movements"): probe_api_get("/api/v1/stock/movements/"),
    ("API customer", "read"): probe_api_get(lambda w: f"/api/v1/customers/{w.customer.email}/"),
    ("API customer", "add"): probe_api_customer_add,
    ("API customer", "change"): probe_api_customer_change,
    ("API order", "read"): probe_api_get(
        lambda w: f"/api/v1/orders/{w.orders[('paid', 'a')].number}/"
    ),
    ("API order", "add"): probe_api_order_add,
    ("API order", "mark paid"): probe_api_transition("pending", "paid"),
    ("API order", "mark shipped"): probe_api_transition("paid", "shipped"),
    ("API order", "mark delivered"): probe_api_transition("shipped", "delivered"),
    ("API order", "cancel"): probe_api_transition("pending", "cancelled"),
    ("API order", "mark returned"): probe_api_transition("delivered", "returned"),
    ("API token", "view own"): probe_token_view_own,
    ("API token", "add"): probe_token_add,
    ("user", "view"): probe_view("backoffice_user_changelist"),
    ("user", "add"): probe_user_add,
    ("user", "change"): probe_user_change,
    ("user", "delete"): probe_delete("backoffice_user_delete", "target"),
    ("user", "history"): probe_history("backoffice_user_history", "target"),
    ("user", "action: deactivate"): probe_user_actions(
        "deactivate_users", lambda w: refresh(w.target).is_active is False
    ),
    ("user", "action: add to a role"): lambda c, w: probe_user_actions(
        "add_to_role",
        lambda w: w.target.groups.filter(pk=w.temp_group.pk).exists(),
        role=str(w.temp_group.pk),
    )(c, w),
    ("role", "view"): probe_view("auth_group_changelist"),
    ("role", "change"): probe_role_change,
    ("login lockout", "view"): probe_view("axes_accessattempt_changelist"),
}


# Changes made before the "before" snapshot: the later version that a revert goes back from.
SETUP = {
    ("category", "revert"): setup_category_revert,
    ("product", "revert"): setup_product_revert,
    ("customer", "revert"): setup_customer_revert,
    ("order", "revert"): setup_order_revert,
}


def test_every_cell_has_a_probe():
    assert set(PROBES) == set(MATRIX)


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("cell", list(MATRIX), ids=lambda cell: f"{cell[0]}:{cell[1]}")
def test_permission_matrix_cell(world, actor, cell):
    api_cell = cell[0].startswith("API") and cell[0] not in ("API docs page", "API token")
    client = world.api_client(actor) if api_cell else world.client(actor)
    if cell in SETUP:
        SETUP[cell](world)
    before = dump()
    if cell not in SETUP:  # what earlier cells did was rolled back with their savepoints
        assert before == world.initial, "an earlier cell's changes leaked into this one"
    done = PROBES[cell](client, world)
    expected = actor in MATRIX[cell]
    assert done == expected, f"{actor} {'could not' if expected else 'could'} {cell}"
    if not expected:
        assert dump() == before, f"{actor} was refused {cell} but something changed"


@pytest.mark.django_db
@pytest.mark.parametrize("actor", [a for a in ACTORS if a != NOT_STAFF])
def test_every_dashboard_link_opens_for_the_user_who_sees_it(world, actor):
    client = world.client(actor)
    response = client.get(admin_url("index"))
    assert response.status_code == 200
    context = response.context
    cards = list(context.get("sales_kpis") or []) + list(context.get("stock_kpis") or [])
    if context.get("waiting"):
        cards.append(context["waiting"])
    links = {card.link for card in cards if card.link}
    for group in context.get("sidebar_navigation") or []:
        for item in group["items"]:
            if item.get("has_permission"):
                links.add(str(item["link"]))
    assert links, "every staff user has at least the dashboard link"
    for link in sorted(links):
        assert client.get(link).status_code == 200, f"{actor}: {link}"


@pytest.mark.django_db
@pytest.mark.parametrize("actor", [a for a in ACTORS if a != NOT_STAFF])
def test_every_list_the_user_may_open_is_in_their_sidebar(world, actor):
    client = world.client(actor)
    context = client.get(admin_url("index")).context
    shown = {
        str(item["link"])
        for group in context["sidebar_navigation"]
        for item in group["items"]
        if item.get("has_permission")
    }
    for _group, items in SIDEBAR_GROUPS:
        for _title, _icon, label in items:
            link = reverse(f"admin:{label.replace('.', '_')}_changelist")
            opens = client.get(link).status_code == 200
            assert (link in shown) == opens, f"{actor}: {link} opens={opens}"
