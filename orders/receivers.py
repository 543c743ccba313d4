"""Signal receivers: saved orders move stock. Each is a few lines that call a service.

``order_saved`` and ``order_deleted`` are sent by ``orders.services`` once an order and all
its lines are written (``orders.signals``). Every other save or delete of an order or a
line is refused here, because its stock would not move with it; loading fixtures
(``raw``) is the exception: fixtures carry their own ledger rows.
"""

from django.db.models.signals import post_save, pre_delete, pre_save
from django.dispatch import receiver

from orders.models import (
    Order,
    OrderItem,
    OrderNumberSequence,
    OrderWriteRefused,
    order_writes_allowed,
)
from orders.services import order_numbers_raise_to, order_sync_stock
from orders.signals import order_deleted, order_saved


@receiver(order_saved, dispatch_uid="orders.move_stock_of_saved_order")
def move_stock_of_saved_order(
    sender, order: Order, user=None, created: bool = False, lines=None, **kwargs
) -> None:
    order_sync_stock(order, user=user, created=created, lines=lines)


@receiver(order_deleted, dispatch_uid="orders.give_back_stock_of_deleted_order")
def give_back_stock_of_deleted_order(sender, order: Order, user=None, **kwargs) -> None:
    order_sync_stock(order, user=user, deleted=True)


@receiver(pre_save, sender=Order, dispatch_uid="orders.refuse_order_save")
@receiver(pre_save, sender=OrderItem, dispatch_uid="orders.refuse_line_save")
@receiver(pre_delete, sender=Order, dispatch_uid="orders.refuse_order_delete")
@receiver(pre_delete, sender=OrderItem, dispatch_uid="orders.refuse_line_delete")
def refuse_writes_outside_the_services(sender, raw: bool = False, **kwargs) -> None:
    if raw or order_writes_allowed():
        return
    raise OrderWriteRefused(
        f"{str(sender._meta.verbose_name_plural).capitalize()} are saved and deleted only "
        "through orders.services (order_save, order_transition, order_delete), which move "
        "their stock."
    )


@receiver(post_save, sender=OrderNumberSequence, dispatch_uid="orders.raise_number_sequence")
def keep_loaded_order_numbers_reserved(sender, instance: OrderNumberSequence, **kwargs) -> None:
    # Fixtures and ``seed`` write orders with their numbers and this row; where a database
    # sequence hands numbers out, it must not hand those out again.
    order_numbers_raise_to(instance.last_value)
