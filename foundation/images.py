"""Uploaded pictures, checked by their content and made safe to store and show.

A file is accepted only if Pillow reads it as PNG, JPEG or WebP, whatever its name or
content type says (SVG, HTML and other text are refused). Its size is checked in bytes
before reading and in pixels before decoding, so a small file that declares a huge
picture (a decompression bomb) is refused without being decoded. The picture is then
decoded and written anew: turned upright per its EXIF orientation, with every metadata
block dropped (EXIF with GPS positions, comments, anything appended to the file), under a
random name. A thumbnail is made at the same time.
"""

import io
import re
import uuid
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
THUMBNAIL_SIZE = (160, 160)


class ImageRefused(ValueError):
    """An upload that is not an acceptable picture; the message says why."""


@dataclass(frozen=True)
class PreparedImage:
    image: ContentFile
    thumbnail: ContentFile
    width: int
    height: int


def prepare_image(upload, *, max_bytes: int, max_pixels: int, folder: str) -> PreparedImage:
    """Check ``upload`` and return the picture and its thumbnail, re-encoded, to store.

    Raise ``ImageRefused`` with a message for the person who uploaded it.
    """
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ImageRefused(
            f"The file is {size / 1024 / 1024:.1f} MiB; pictures may be at most "
            f"{max_bytes / 1024 / 1024:.1f} MiB."
        )
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageRefused(f"Pictures may be at most {max_bytes / 1024 / 1024:.1f} MiB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data), formats=list(FORMATS))
            # Only the header is read so far: refuse a huge canvas before decoding it.
            width, height = picture.size
            if width * height > max_pixels:
                raise ImageRefused(
                    f"The picture is {width:,} x {height:,} pixels; at most "
                    f"{max_pixels / 1_000_000:.0f} million pixels are allowed."
                )
            picture.load()
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
        # Pillow refused the canvas size itself, before we could read it; it names it.
        declared = re.search(r"\((\d+) pixels\)", str(bomb))
        size = f"{int(declared.group(1)):,} pixels" if declared else "too many pixels"
        raise ImageRefused(
            f"The picture declares {size}; at most {max_pixels / 1_000_000:.0f} million "
            "pixels are allowed."
        ) from None
    except UnidentifiedImageError:
        raise ImageRefused("This is not a PNG, JPEG or WebP picture.") from None
    except (OSError, SyntaxError, ValueError):
        raise ImageRefused("The picture is damaged and cannot be read.") from None
    kind = picture.format
    picture = ImageOps.exif_transpose(picture)
    name = uuid.uuid4().hex
    image = ContentFile(_encode(picture, kind), name=f"{folder}/{name}.{FORMATS[kind]}")
    thumb = picture.copy()
    thumb.thumbnail(THUMBNAIL_SIZE)
    thumbnail = ContentFile(_encode(thumb, "WEBP"), name=f"{folder}/thumbs/{name}.webp")
    return PreparedImage(image, thumbnail, picture.width, picture.height)


def _encode(picture: Image.Image, kind: str) -> bytes:
    """Write ``picture`` anew in ``kind``, without any metadata."""
    out = io.BytesIO()
    if kind == "JPEG":
        if picture.mode not in ("RGB", "L"):
            picture = picture.convert("RGB")
        picture.save(out, "JPEG", quality=88, optimize=True)
    elif kind == "PNG":
        picture.save(out, "PNG", optimize=True)
    else:
        if picture.mode not in ("RGB", "RGBA"):
            picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
        picture.save(out, "WEBP", quality=85)
    return out.getvalue()
