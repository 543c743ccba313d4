"""Links between records, for the layers that may not import each other.

The stock ledger (catalog) names what moved the stock by a reference such as
``order:ORD-000180``, but catalog may not import orders. Each app registers, for the
prefixes it owns, how a reference's value becomes an address; ``reference_link`` then
turns a reference into a link wherever one is shown, without knowing the app.
"""

from collections.abc import Callable

from django.urls import NoReverseMatch
from django.utils.html import format_html
from django.utils.safestring import SafeString

LINK = '<a class="text-primary-600 dark:text-primary-500" href="{}">{}</a>'
# prefix -> (value -> address, the permission that opens it)
_RESOLVERS: dict[str, tuple[Callable[[str], str], str | None]] = {}


def register_reference(
    prefix: str, address: Callable[[str], str], *, permission: str | None = None
) -> None:
    """``prefix:value`` references lead to ``address(value)`` (for users with
    ``permission``, when given)."""
    _RESOLVERS[prefix] = (address, permission)


def reference_url(reference: str, user=None) -> str | None:
    """The address a reference leads to, or None (unknown prefix, or not for this user)."""
    prefix, sep, value = (reference or "").partition(":")
    if not sep or not value or prefix not in _RESOLVERS:
        return None
    address, permission = _RESOLVERS[prefix]
    if user is not None and permission and not user.has_perm(permission):
        return None
    try:
        return address(value)
    except NoReverseMatch:  # typed by hand (the API takes any reference): "order:A/B"
        return None


def reference_text(reference: str) -> str:
    """``order:ORD-000180`` reads "order ORD-000180"; other references as they are."""
    prefix, sep, value = (reference or "").partition(":")
    return f"{prefix} {value}" if sep and prefix in _RESOLVERS else reference or ""


def reference_link(reference: str, user=None) -> SafeString | str:
    """A link to the record a reference names, or its plain text (escaped by the caller's
    template) when there is none; "—" for no reference."""
    if not reference:
        return "—"
    url = reference_url(reference, user)
    if url is None:  # not for this user: the same words, without the link
        return reference_text(reference)
    return record_link(url, reference_text(reference))


def record_link(url: str, text) -> SafeString:
    """A link to a record's page, in the admin's link colour."""
    return format_html(
        '<a class="text-primary-600 dark:text-primary-500" href="{}">{}</a>', url, text
    )
