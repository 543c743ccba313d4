"""Staff roles: the permission matrix in code, and its sync to Django groups.

The groups themselves are created by migration ``backoffice.0002_roles``. After every
``migrate`` the permissions of these four groups are set to exactly what this matrix says,
so the matrix here is the single source of truth (docs/deployment.md "Roles").
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

CATALOG_MANAGERS = "Catalog managers"
FULFILMENT = "Fulfilment"
CUSTOMER_SUPPORT = "Customer support"
READ_ONLY = "Read-only"
ROLE_NAMES = [CATALOG_MANAGERS, FULFILMENT, CUSTOMER_SUPPORT, READ_ONLY]


def _crud(label: str, *ops: str) -> list[str]:
    app_label, model = label.split(".")
    return [f"{app_label}.{op}_{model}" for op in ops]


ALL = ("view", "add", "change", "delete")

CATALOG_VIEW = [
    *_crud("catalog.category", "view"),
    *_crud("catalog.product", "view"),
    *_crud("catalog.stockmovement", "view"),
]

ORDERS_VIEW = [
    *_crud("orders.customer", "view"),
    *_crud("orders.order", "view"),
    *_crud("orders.orderitem", "view"),
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    CATALOG_MANAGERS: [
        *_crud("catalog.category", *ALL),
        *_crud("catalog.product", *ALL),
        *_crud("catalog.stockmovement", "view"),
        "catalog.adjust_stock",
    ],
    FULFILMENT: [
        *CATALOG_VIEW,
        *ORDERS_VIEW,
        "orders.mark_shipped",
        "orders.mark_delivered",
        "orders.comment_order",
    ],
    CUSTOMER_SUPPORT: [
        *CATALOG_VIEW,
        *_crud("orders.customer", "view", "add", "change"),
        *_crud("orders.order", "view", "add", "change"),
        *_crud("orders.orderitem", *ALL),
        "orders.mark_paid",
        "orders.cancel_order",
        "orders.mark_returned",
        "orders.comment_order",
    ],
    READ_ONLY: [*CATALOG_VIEW, *ORDERS_VIEW],
}


def sync_roles(*, using: str = "default") -> None:
    """Set each role group's permissions to exactly the matrix above."""
    Group = global_apps.get_model("auth", "Group")
    Permission = global_apps.get_model("auth", "Permission")
    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    found = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.using(using).select_related("content_type")
    }
    missing = wanted - found.keys()
    if missing:
        raise LookupError(f"Role matrix names unknown permissions: {sorted(missing)}")
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set([found[perm] for perm in perms])


def sync_roles_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """post_migrate receiver: create any missing permissions, then sync the roles once."""
    if sender.name != "backoffice":
        return
    # Permissions of apps migrated after this one are not created yet; do it now.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    sync_roles(using=using)
