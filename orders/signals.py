"""Signals of the order services.

Django's own model signals cannot say "this order and all its lines are written" (lines
are written in bulk, which sends none), so the services send these instead, inside the
transaction of the write; ``orders.receivers`` moves the stock from them.
"""

from django.dispatch import Signal

# An order and all its lines were written. Arguments: order, user, created, and lines
# (all the order's lines as written, or None when they were not read).
order_saved = Signal()
# An order and its lines were deleted (the instance still holds their values).
# Arguments: order, user.
order_deleted = Signal()
