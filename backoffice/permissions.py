"""Who may do what: the permission matrix, stated in one table.

``backoffice.roles`` gives each role its Django permissions; this table states what those
permissions are meant to allow, operation by operation. The test suite walks every cell
for every kind of user through the real admin and API URLs (tests/test_permission_matrix.py), and
``manage.py permission_matrix`` writes it to docs/permissions.md for the staff guide.
"""

from backoffice.roles import CATALOG_MANAGERS, CUSTOMER_SUPPORT, FULFILMENT, READ_ONLY

SUPERUSER = "Superuser"
NO_ROLE = "Staff, no role"
NOT_STAFF = "Not staff"
ACTORS = [SUPERUSER, CATALOG_MANAGERS, FULFILMENT, CUSTOMER_SUPPORT, READ_ONLY, NO_ROLE, NOT_STAFF]

ALL_ROLES = {SUPERUSER, CATALOG_MANAGERS, FULFILMENT, CUSTOMER_SUPPORT, READ_ONLY}
ORDER_VIEWERS = {SUPERUSER, FULFILMENT, CUSTOMER_SUPPORT, READ_ONLY}
CATALOG_EDITORS = {SUPERUSER, CATALOG_MANAGERS}
ORDER_EDITORS = {SUPERUSER, CUSTOMER_SUPPORT}
ONLY_SUPERUSER = {SUPERUSER}
NOBODY: set[str] = set()

# (subject, operation) -> the actors allowed. Operations: view, add, change, delete,
# import, export, history (view), revert (a history version), and named actions.
MATRIX: dict[tuple[str, str], set[str]] = {
    ("dashboard", "view"): ALL_ROLES | {NO_ROLE},
    # Catalog
    ("category", "view"): ALL_ROLES,
    ("category", "add"): CATALOG_EDITORS,
    ("category", "change"): CATALOG_EDITORS,
    ("category", "delete"): CATALOG_EDITORS,
    ("category", "import"): CATALOG_EDITORS,
    ("category", "export"): ALL_ROLES,
    ("category", "history"): ALL_ROLES,
    ("category", "revert"): CATALOG_EDITORS,
    ("product", "view"): ALL_ROLES,
    ("product", "add"): CATALOG_EDITORS,
    ("product", "change"): CATALOG_EDITORS,
    ("product", "delete"): CATALOG_EDITORS,
    ("product", "import"): CATALOG_EDITORS,
    ("product", "export"): ALL_ROLES,
    ("product", "history"): ALL_ROLES,
    ("product", "revert"): CATALOG_EDITORS,
    ("product", "action: activate / deactivate"): CATALOG_EDITORS,
    ("product", "action: change price"): CATALOG_EDITORS,
    ("product", "action: adjust stock"): CATALOG_EDITORS,
    ("stock movement", "view"): ALL_ROLES,
    ("stock movement", "add"): NOBODY,
    ("stock movement", "change"): NOBODY,
    ("stock movement", "delete"): NOBODY,
    ("stock movement", "export"): ALL_ROLES,
    # Orders and customers
    ("customer", "view"): ORDER_VIEWERS,
    ("customer", "add"): ORDER_EDITORS,
    ("customer", "change"): ORDER_EDITORS,
    ("customer", "delete"): ONLY_SUPERUSER,
    ("customer", "import"): ORDER_EDITORS,
    ("customer", "export"): ORDER_VIEWERS,
    ("customer", "history"): ORDER_VIEWERS,
    ("customer", "revert"): ORDER_EDITORS,
    ("order", "view"): ORDER_VIEWERS,
    ("order", "add"): ORDER_EDITORS,
    ("order", "change"): ORDER_EDITORS,
    ("order", "delete"): ONLY_SUPERUSER,
    ("order", "export"): ORDER_VIEWERS,
    ("order", "history"): ORDER_VIEWERS,
    ("order", "revert"): NOBODY,  # would bypass the workflow and the stock
    ("order", "mark paid"): ORDER_EDITORS,
    ("order", "mark shipped"): {SUPERUSER, FULFILMENT},
    ("order", "mark delivered"): {SUPERUSER, FULFILMENT},
    ("order", "cancel"): ORDER_EDITORS,
    ("order", "mark returned"): ORDER_EDITORS,
    ("order", "import"): ORDER_EDITORS,
    # Packing slips, pick lists and invoices show nothing the order page does not.
    ("order", "print packing slip / pick list"): ORDER_VIEWERS,
    ("order", "print invoice"): ORDER_VIEWERS,
    # Staff comments on an order's timeline (append-only): whoever works on orders.
    ("order", "comment"): {SUPERUSER, FULFILMENT, CUSTOMER_SUPPORT},
    # Integration API (/api/v1/), with each actor's API token: the same roles as the admin.
    ("API schema", "read"): ALL_ROLES | {NO_ROLE, NOT_STAFF},  # any API user
    ("API docs page", "view"): ALL_ROLES | {NO_ROLE},  # staff, logged in to the admin
    ("API product", "read"): ALL_ROLES,
    ("API product", "create or replace"): CATALOG_EDITORS,
    ("API product", "change"): CATALOG_EDITORS,
    ("API product", "bulk upsert"): CATALOG_EDITORS,
    ("API stock", "read levels"): ALL_ROLES,
    ("API stock", "adjust"): CATALOG_EDITORS,
    ("API stock", "set levels"): CATALOG_EDITORS,
    ("API stock", "read movements"): ALL_ROLES,
    ("API customer", "read"): ORDER_VIEWERS,
    ("API customer", "add"): ORDER_EDITORS,
    ("API customer", "change"): ORDER_EDITORS,
    ("API order", "read"): ORDER_VIEWERS,
    ("API order", "add"): ORDER_EDITORS,
    ("API order", "mark paid"): ORDER_EDITORS,
    ("API order", "mark shipped"): {SUPERUSER, FULFILMENT},
    ("API order", "mark delivered"): {SUPERUSER, FULFILMENT},
    ("API order", "cancel"): ORDER_EDITORS,
    ("API order", "mark returned"): ORDER_EDITORS,
    ("API token", "view own"): ALL_ROLES | {NO_ROLE},
    ("API token", "add"): ONLY_SUPERUSER,
    # Staff
    ("user", "view"): ONLY_SUPERUSER,
    ("user", "add"): ONLY_SUPERUSER,
    ("user", "change"): ONLY_SUPERUSER,
    ("user", "delete"): ONLY_SUPERUSER,
    ("user", "history"): ONLY_SUPERUSER,
    ("user", "action: deactivate"): ONLY_SUPERUSER,
    ("user", "action: add to a role"): ONLY_SUPERUSER,
    ("role", "view"): ONLY_SUPERUSER,
    ("role", "change"): ONLY_SUPERUSER,
    ("login lockout", "view"): ONLY_SUPERUSER,
}


def allowed(subject: str, operation: str, actor: str) -> bool:
    return actor in MATRIX[(subject, operation)]


def as_markdown() -> str:
    """The matrix as a Markdown table: one row per cell, one column per kind of user."""
    header = "| what | " + " | ".join(ACTORS) + " |"
    lines = [header, "|---|" + "---|" * len(ACTORS)]
    for (subject, operation), actors in MATRIX.items():
        marks = " | ".join("yes" if actor in actors else "-" for actor in ACTORS)
        lines.append(f"| {subject}: {operation} | {marks} |")
    return "\n".join(lines)


def as_document() -> str:
    """The contents of docs/permissions.md."""
    return (
        "# Permission matrix\n\n"
        "Who may do what, operation by operation. Generated from `backoffice/permissions.py` "
        "by `python manage.py permission_matrix`; do not edit by hand (a test checks that "
        "this file is current). Every cell is walked for every kind of user through the "
        "real admin pages and API endpoints (with each kind of user's API token) by "
        "`tests/test_permission_matrix.py`. The roles themselves are "
        "described in [roles.md](roles.md).\n\n" + as_markdown() + "\n"
    )
