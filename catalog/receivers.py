"""Signal receivers of the catalog: a picture's files leave storage with the picture.

The files are removed only once the transaction commits (``on_commit``): a rolled-back
delete keeps them, and the database and the storage never disagree about a kept picture.
"""

from django.db import transaction
from django.db.models.signals import post_delete, pre_save
from django.dispatch import receiver

from catalog.models import ProductImage


def _remove_later(storage, names: list[str]) -> None:
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: [storage.delete(name) for name in names])


@receiver(post_delete, sender=ProductImage, dispatch_uid="catalog.remove_picture_files")
def remove_files_of_a_deleted_picture(sender, instance: ProductImage, **kwargs) -> None:
    _remove_later(instance.image.storage, [instance.image.name, instance.thumbnail.name])


@receiver(pre_save, sender=ProductImage, dispatch_uid="catalog.remove_replaced_files")
def remove_files_of_a_replaced_picture(
    sender, instance: ProductImage, raw: bool = False, **kwargs
) -> None:
    if raw or instance.pk is None:
        return
    old = ProductImage.objects.filter(pk=instance.pk).values_list("image", "thumbnail").first()
    kept = {instance.image.name, instance.thumbnail.name}
    _remove_later(instance.image.storage, [name for name in old or () if name not in kept])
