"""Import files between preview and confirm: chunked in the shared cache, bounded, claimed once."""

import os

import pytest
from django.core.cache import cache

from foundation.previews import CHUNK_SIZE, PreviewExpired, PreviewStorage, preview_owner

pytestmark = pytest.mark.django_db


def test_preview_of_13_mib_survives_until_confirm_on_this_database(previews_kept):
    # Over MySQL's 16 MiB packet once pickled and encoded, had it been one cache value.
    data = os.urandom(13 * 1024 * 1024)
    storage = PreviewStorage()
    storage.save(data)
    assert previews_kept() == 1 + 13  # the manifest and 13 chunks of 1 MiB
    again = PreviewStorage(name=storage.name)
    assert again.read() == data
    assert again.claim() == data
    again.remove()
    assert previews_kept() == 0


def test_preview_text_is_kept_as_utf8_bytes():
    storage = PreviewStorage(encoding="utf-8")
    storage.save("sku,name\nA,Crème\n")
    assert PreviewStorage(name=storage.name).read() == "sku,name\nA,Crème\n".encode()


def test_preview_unknown_or_dropped_reads_as_expired():
    with pytest.raises(PreviewExpired, match="expired or was already imported"):
        PreviewStorage(name="no-such-preview").read()
    with pytest.raises(PreviewExpired):
        PreviewStorage(name="").read()
    storage = PreviewStorage()
    storage.save(b"x" * (CHUNK_SIZE + 10))
    cache.delete(f"import-preview:{storage.name}:1")  # evicted by the cache
    with pytest.raises(PreviewExpired):
        PreviewStorage(name=storage.name).read()


def test_preview_is_claimed_by_one_confirm_only():
    storage = PreviewStorage()
    storage.save(b"sku\nA\n")
    assert PreviewStorage(name=storage.name).claim() == b"sku\nA\n"
    with pytest.raises(PreviewExpired):
        PreviewStorage(name=storage.name).claim()


def test_preview_each_user_keeps_at_most_the_newest_few(settings):
    settings.IMPORT_PREVIEWS_PER_USER = 2
    token = preview_owner.set(7)
    try:
        names = []
        for n in range(3):
            storage = PreviewStorage()
            storage.save(f"file {n}".encode())
            names.append(storage.name)
    finally:
        preview_owner.reset(token)
    with pytest.raises(PreviewExpired):
        PreviewStorage(name=names[0]).read()
    assert [PreviewStorage(name=name).read() for name in names[1:]] == [b"file 1", b"file 2"]


def test_preview_lives_as_long_as_the_setting_says(settings, monkeypatch):
    settings.IMPORT_PREVIEW_SECONDS = 120
    timeouts = []
    real_set_many = cache.set_many

    def spy(mapping, timeout=None, **kwargs):
        timeouts.append(timeout)
        return real_set_many(mapping, timeout, **kwargs)

    monkeypatch.setattr(cache, "set_many", spy)
    PreviewStorage().save(b"x")
    assert timeouts == [120]
