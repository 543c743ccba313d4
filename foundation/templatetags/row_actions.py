"""Unfold's per-row action buttons (``actions_row``), rendered once per page, not per row.

Unfold includes a template with a button component and a URL reversed for every row: on
the order list's 50 rows (one "Mark shipped" each) that was about 20 ms of a 70 ms page.
The buttons differ between rows only by the row's key, so the template is rendered once
with a stand-in key and each row gets that HTML with its own key.
"""

from functools import lru_cache

from django import template
from django.template import engines
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

NAME = "unfold/helpers/actions_row.html"
# A stand-in key: a valid path segment (the action URLs take <path:object_id>) that no
# other part of the template's HTML contains.
_KEY = "0rowkey0"


@lru_cache(maxsize=1)
def _unfold_template():
    """Unfold's own template of that name, behind this project's override of it."""
    engine = engines["django"].engine
    _, ours = engine.find_template(NAME)
    found, _ = engine.find_template(NAME, skip=[ours])
    return found


def _render(context, actions, key) -> str:
    with context.push(actions=actions, instance_pk=key):
        return _unfold_template().render(context)


@register.simple_tag(takes_context=True)
def row_actions(context, actions, instance_pk) -> SafeString | str:
    if not actions:
        return ""
    if type(instance_pk) is not int:
        return mark_safe(_render(context, actions, instance_pk))
    # One rendering per list of actions (the same list object for every row of a page),
    # kept in the bottom state of this context's render context, which lives as long as
    # the list's rendering (each include pushes a state of its own above it). The list is
    # kept beside its HTML so that its id cannot be reused meanwhile.
    rendered = context.render_context.dicts[0].setdefault("row_actions_html", {})
    if id(actions) not in rendered:
        rendered[id(actions)] = (actions, _render(context, actions, _KEY).split(_KEY))
    return mark_safe(str(instance_pk).join(rendered[id(actions)][1]))
