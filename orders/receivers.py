"""Signal receivers: orders move stock. Each receiver is a few lines that call a service.

Every receiver returns at once for ``raw`` saves (``manage.py loaddata``): fixtures carry
their own ledger rows, and loading them must never move stock a second time.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from orders.models import Order, OrderItem
from orders.services import order_changed


@receiver(post_save, sender=Order, dispatch_uid="orders.order_saved")
def order_saved(sender, instance: Order, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    order_changed(instance, user=getattr(instance, "_history_user", None))


@receiver(post_delete, sender=Order, dispatch_uid="orders.order_deleted")
def order_deleted(sender, instance: Order, **kwargs) -> None:
    order_changed(instance)


@receiver(post_save, sender=OrderItem, dispatch_uid="orders.item_saved")
def item_saved(sender, instance: OrderItem, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    order_changed(instance.order)


@receiver(post_delete, sender=OrderItem, dispatch_uid="orders.item_deleted")
def item_deleted(sender, instance: OrderItem, **kwargs) -> None:
    order_changed(instance.order)
