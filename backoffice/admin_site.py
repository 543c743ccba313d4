"""Callbacks Unfold reads from settings: the environment badge, the sidebar, the list tabs."""

from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

ENVIRONMENT_COLOURS = {"PRODUCTION": "danger", "STAGING": "warning", "DEVELOPMENT": "info"}

# (group title, [(item title, material icon, "app_label.model_name"), ...])
SIDEBAR_GROUPS = [
    (
        _("Catalog"),
        [
            (_("Products"), "inventory_2", "catalog.product"),
            (_("Categories"), "category", "catalog.category"),
            (_("Stock movements"), "swap_vert", "catalog.stockmovement"),
        ],
    ),
    (
        _("Orders & customers"),
        [
            (_("Orders"), "receipt_long", "orders.order"),
            (_("Customers"), "group", "orders.customer"),
        ],
    ),
    (
        _("Staff"),
        [
            (_("Users"), "badge", "backoffice.user"),
            (_("Roles"), "shield_person", "auth.group"),
            (_("Login lockouts"), "lock_person", "axes.accessattempt"),
            (_("API tokens"), "key", "backoffice.apitoken"),
        ],
    ),
]


# Keys Unfold's sidebar template asks every group and link for. Missing, each lookup fails
# through Django's slow path (an exception and a dir() of the dict): about fifty a page.
GROUP_DEFAULTS = {"collapsible": False}
ITEM_DEFAULTS = {"link_callback": None, "link_attrs": None, "icon_template": None}


def environment_callback(request: HttpRequest) -> list[str]:
    """Return the header badge: the environment's name and its colour."""
    name = settings.ENVIRONMENT_NAME.upper()
    return [name, ENVIRONMENT_COLOURS.get(name, "info")]


def _model_item(title: str, icon: str, label: str) -> dict | None:
    app_label, model_name = label.split(".")
    try:
        link = reverse(f"admin:{app_label}_{model_name}_changelist")
    except NoReverseMatch:  # the model is not registered in this build
        return None
    return {
        "title": title,
        "icon": icon,
        "link": link,
        **ITEM_DEFAULTS,
        # Hides the link only; the admin view itself checks the permission again.
        "permission": lambda request: _may_open(request, app_label, model_name),
    }


def _may_open(request: HttpRequest, app_label: str, model_name: str) -> bool:
    """Whether the model's list opens for this user: asked of its ModelAdmin, which may
    grant more than the model's view permission (every staff user sees their own API
    tokens) or less."""
    model_admin = admin.site._registry.get(apps.get_model(app_label, model_name))
    if model_admin is None:
        return request.user.has_perm(f"{app_label}.view_{model_name}")
    return model_admin.has_module_permission(request) and (
        model_admin.has_view_or_change_permission(request)
    )


def sidebar_navigation(request: HttpRequest) -> list[dict]:
    """Return the sidebar groups, each with the links this build has."""
    groups = [
        {
            "title": _("Overview"),
            "items": [
                {
                    "title": _("Dashboard"),
                    "icon": "dashboard",
                    "link": reverse("admin:index"),
                    **ITEM_DEFAULTS,
                }
            ],
            **GROUP_DEFAULTS,
        }
    ]
    for title, items in SIDEBAR_GROUPS:
        links = [item for item in (_model_item(*spec) for spec in items) if item]
        if links:
            groups.append({"title": title, "separator": True, "items": links, **GROUP_DEFAULTS})
    return groups


# Saved views: the tabs above a list, each a set of its filters. (title, {parameter: values})
ORDER_TABS = [
    (_("To pay"), {"status__exact": ["pending"]}),
    (_("To ship"), {"status__exact": ["paid"]}),
    (_("Shipped"), {"status__exact": ["shipped"]}),
    (_("All"), {}),
]
PRODUCT_TABS = [
    (_("Out of stock"), {"stock_state": ["out"]}),
    (_("Low"), {"stock_state": ["low"]}),
    (_("Inactive"), {"is_active__exact": ["0"]}),
    (_("All"), {}),
]


def _tab_items(request: HttpRequest, changelist: str, tabs: list) -> list[dict]:
    """One tab per saved view; a tab is active when the list's filters of these tabs are
    exactly its own (the list's search, sorting and other filters do not matter)."""
    base = reverse(changelist)
    keys = {key for _, params in tabs for key in params}
    current = {key: request.GET.getlist(key) for key in keys if key in request.GET}
    on_list = request.path == base
    return [
        {
            "title": title,
            "link": f"{base}?{urlencode(params, doseq=True)}" if params else base,
            "active": on_list and current == params,
        }
        for title, params in tabs
    ]


def changelist_tabs(request: HttpRequest) -> list[dict]:
    """Unfold's TABS: the saved views of the order and product lists. Computed on every
    admin page (Unfold asks for them to mark the sidebar), so it only reverses URLs."""
    return [
        {
            "models": ["orders.order"],
            "items": _tab_items(request, "admin:orders_order_changelist", ORDER_TABS),
        },
        {
            "models": ["catalog.product"],
            "items": _tab_items(request, "admin:catalog_product_changelist", PRODUCT_TABS),
        },
    ]
