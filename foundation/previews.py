"""Import files kept between the preview and the confirm step, in the shared cache.

The preview and the confirm may reach different web processes, so the file waits in the
cache (the database or Redis), never in one process's temp folder. It is cut into chunks
of 1 MiB: one cache value stays far below MySQL's 16 MiB packet limit and Redis' limits.
A preview lives IMPORT_PREVIEW_SECONDS (default an hour); each user keeps at most
IMPORT_PREVIEWS_PER_USER of them (the oldest goes first); a refused preview and a
confirmed one are removed at once. A preview the cache dropped (expiry, eviction, a
second click on "Confirm") reads as ``PreviewExpired``, never as a broken file.
"""

from contextvars import ContextVar
from uuid import uuid4

from django.conf import settings
from django.core.cache import cache
from import_export.tmp_storages import BaseStorage

CHUNK_SIZE = 1024 * 1024
PREFIX = "import-preview:"

# The user whose upload is being previewed (set by the admin for the length of a request).
preview_owner: ContextVar[int | None] = ContextVar("preview_owner", default=None)
# The name of the preview saved during this request, so the admin can drop a refused one.
saved_preview: ContextVar[str | None] = ContextVar("saved_preview", default=None)


class PreviewExpired(Exception):
    """The preview's file is no longer in the cache."""

    def __init__(self) -> None:
        super().__init__(
            "This preview has expired or was already imported. Nothing was imported; "
            "upload the file again."
        )


class PreviewStorage(BaseStorage):
    """django-import-export's temporary storage, in chunks in the shared cache."""

    def _manifest_key(self) -> str:
        return f"{PREFIX}{self.name}"

    def _chunk_keys(self, count: int) -> list[str]:
        return [f"{PREFIX}{self.name}:{n}" for n in range(count)]

    def save(self, data: bytes | str) -> None:
        if not self.name:
            self.name = uuid4().hex
        raw = data.encode(self.encoding or "utf-8") if isinstance(data, str) else bytes(data)
        chunks = [raw[start : start + CHUNK_SIZE] for start in range(0, len(raw), CHUNK_SIZE)]
        timeout = settings.IMPORT_PREVIEW_SECONDS
        owner = preview_owner.get()
        self._count = len(chunks)
        cache.set_many(dict(zip(self._chunk_keys(len(chunks)), chunks, strict=True)), timeout)
        cache.set(self._manifest_key(), {"chunks": len(chunks), "owner": owner}, timeout)
        saved_preview.set(self.name)
        if owner is not None:
            self._keep_at_most(owner)

    def _keep_at_most(self, owner: int) -> None:
        key = f"import-previews-of-user:{owner}"
        names = [n for n in cache.get(key, []) if n != self.name] + [self.name]
        limit = settings.IMPORT_PREVIEWS_PER_USER
        for old in names[:-limit]:
            PreviewStorage(name=old).remove()
        cache.set(key, names[-limit:], settings.IMPORT_PREVIEW_SECONDS)

    def remember(self, **values) -> None:
        """Keep ``values`` with the file (e.g. the state of the rows the preview read)."""
        manifest = cache.get(self._manifest_key()) if self.name else None
        if manifest is not None:
            cache.set(self._manifest_key(), {**manifest, **values}, settings.IMPORT_PREVIEW_SECONDS)

    def read(self) -> bytes:
        manifest = cache.get(self._manifest_key()) if self.name else None
        if manifest is None:
            raise PreviewExpired
        self.manifest = manifest
        self._count = manifest["chunks"]
        keys = self._chunk_keys(self._count)
        found = cache.get_many(keys)
        if len(found) != len(keys):  # a chunk was evicted
            raise PreviewExpired
        return b"".join(found[key] for key in keys)

    def claim(self) -> bytes:
        """Read the file and take it out of the cache; only one confirm gets it."""
        data = self.read()
        if not cache.delete(self._manifest_key()):
            raise PreviewExpired  # another request claimed it between the two calls
        self.remove()
        return data

    def remove(self) -> None:
        if not self.name:
            return
        count = getattr(self, "_count", None)
        if count is None:
            manifest = cache.get(self._manifest_key())
            count = manifest["chunks"] if manifest else 0
        cache.delete_many([self._manifest_key(), *self._chunk_keys(count)])
