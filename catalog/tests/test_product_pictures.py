"""Product pictures: upload checked by content, thumbnails, history, files, where they show."""

import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from catalog.models import Product, ProductImage
from catalog.resources import ProductResource
from catalog.services import product_image_add, product_image_delete, product_image_prepare
from catalog.tests.factories import make_product, picture_bytes, png_declaring
from foundation.images import ImageRefused

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def change_payload(product: Product, *, images: list[dict] | None = None, initial: int = 0):
    data = {
        "sku": product.sku,
        "name": product.name,
        "category": product.category_id,
        "price": f"{product.price}",
        "low_stock_threshold": product.low_stock_threshold,
        "is_active": "on" if product.is_active else "",
        "images-TOTAL_FORMS": len(images or []),
        "images-INITIAL_FORMS": initial,
        "movements-TOTAL_FORMS": product.movements.count(),
        "movements-INITIAL_FORMS": product.movements.count(),
    }
    for n, image in enumerate(images or []):
        for key, value in image.items():
            data[f"images-{n}-{key}"] = value
    return data


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_picture_upload_on_the_product_page_stores_picture_thumbnail_and_history(
    admin_client_super, superuser, media
):
    product = make_product("PIC-1", stock=3)
    url = reverse("admin:catalog_product_change", args=[product.pk])
    picture = upload("holiday.png", picture_bytes("PNG", (300, 200)))
    response = admin_client_super.post(
        url,
        change_payload(product, images=[{"image": picture, "alt_text": "Red mug", "position": 0}]),
    )
    assert response.status_code == 302
    image = ProductImage.objects.get(product=product)
    assert (image.alt_text, image.width, image.height) == ("Red mug", 300, 200)
    # Stored under a random name, never the uploaded one, with a thumbnail beside it.
    assert "holiday" not in image.image.name and image.image.name.endswith(".png")
    assert image.thumbnail.name.startswith("products/thumbs/")
    assert stored_files(media) == sorted([image.image.name, image.thumbnail.name])
    with Image.open(image.thumbnail.path) as thumb:
        assert max(thumb.size) <= 160 and thumb.format == "WEBP"
    latest = product.history.latest()
    assert latest.history_change_reason == "Picture added: Red mug"
    assert latest.history_user == superuser
    assert Product.objects.get(pk=product.pk).stock == 3  # a picture never touches stock


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "logo.png",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "This is not a PNG, JPEG or WebP picture.",
        ),
        (
            "page.png",
            b"<html><body><script>alert(document.cookie)</script></body></html>",
            "This is not a PNG, JPEG or WebP picture.",
        ),
        ("bomb.png", png_declaring(20_000, 20_000), "declares 400,000,000 pixels"),
        ("cut.png", picture_bytes("PNG")[:60], "damaged"),
        ("anim.gif", picture_bytes("GIF"), "This is not a PNG, JPEG or WebP picture."),
    ],
)
def test_picture_upload_refuses_what_is_not_a_safe_picture(
    admin_client_super, media, name, content, message
):
    product = make_product("PIC-2")
    history_before = product.history.count()
    url = reverse("admin:catalog_product_change", args=[product.pk])
    response = admin_client_super.post(
        url, change_payload(product, images=[{"image": upload(name, content), "position": 0}])
    )
    assert response.status_code == 200  # the form again, with the error
    errors = str(response.context["inline_admin_formsets"][0].formset.errors)
    assert message in errors
    assert not ProductImage.objects.exists()
    assert stored_files(media) == []
    assert product.history.count() == history_before


def test_picture_refuses_more_bytes_than_allowed_before_reading_them(settings):
    settings.PRODUCT_IMAGE_MAX_BYTES = 1000
    with pytest.raises(ImageRefused, match="at most"):
        product_image_prepare(upload("big.png", picture_bytes("PNG", (400, 400))))


def test_picture_bomb_of_a_few_bytes_is_refused_before_decoding():
    bomb = png_declaring(20_000, 20_000)
    assert len(bomb) < 4096
    with pytest.raises(ImageRefused, match="declares 400,000,000 pixels; at most 40 million"):
        product_image_prepare(upload("bomb.png", bomb))


def test_picture_exif_is_dropped_and_orientation_applied():
    exif = Image.Exif()
    exif[0x010E] = "secret place"  # ImageDescription
    exif[0x0112] = 6  # rotated: the picture is shown turned by 90 degrees
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}  # GPS latitude
    content = picture_bytes("JPEG", (40, 20), exif=exif.tobytes())
    with Image.open(io.BytesIO(content)) as original:
        assert original.getexif()  # the upload carries the metadata
    prepared = product_image_prepare(upload("photo.jpg", content, "image/jpeg"))
    with Image.open(io.BytesIO(prepared.image.read())) as stored:
        assert not stored.getexif()
        assert stored.size == (20, 40)
    assert b"secret place" not in prepared.image.read()


def test_picture_delete_removes_its_files_once_committed(
    superuser, media, django_capture_on_commit_callbacks
):
    product = make_product("PIC-3")
    prepared = product_image_prepare(upload("a.png", picture_bytes()))
    image = product_image_add(product=product, prepared=prepared, user=superuser)
    assert len(stored_files(media)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        product_image_delete(image=image, user=superuser)
    assert stored_files(media) == []
    assert product.history.latest().history_change_reason.startswith("Picture removed")


def test_product_delete_removes_its_pictures_files(
    admin_client_super, media, django_capture_on_commit_callbacks
):
    product = make_product("PIC-4")  # no stock: nothing in the ledger keeps it
    product_image_add(
        product=product, prepared=product_image_prepare(upload("a.png", picture_bytes()))
    )
    url = reverse("admin:catalog_product_delete", args=[product.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client_super.post(url, {"post": "yes"}).status_code == 302
    assert not Product.objects.filter(pk=product.pk).exists()
    assert stored_files(media) == []


def test_picture_shows_in_the_product_list_and_the_export_carries_its_link(admin_client_super):
    product = make_product("PIC-5")
    first = product_image_add(
        product=product, prepared=product_image_prepare(upload("a.png", picture_bytes()))
    )
    product_image_add(
        product=product, prepared=product_image_prepare(upload("b.png", picture_bytes()))
    )
    page = admin_client_super.get(reverse("admin:catalog_product_changelist")).content.decode()
    assert first.thumbnail.url in page
    exported = ProductResource().export().dict[0]
    assert exported["image_url"] == first.image.url


def test_product_export_with_image_url_imports_again_unchanged(superuser):
    product = make_product("PIC-6", stock=2)
    product_image_add(
        product=product, prepared=product_image_prepare(upload("a.png", picture_bytes()))
    )
    dataset = ProductResource().export()
    result = ProductResource().import_data(dataset, dry_run=False, user=superuser)
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == 1


def test_media_view_serves_pictures_to_staff_only(admin_client_super, client_for, make_staff):
    product = make_product("PIC-7")
    image = product_image_add(
        product=product, prepared=product_image_prepare(upload("a.png", picture_bytes()))
    )
    response = admin_client_super.get(image.thumbnail.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert Client().get(image.thumbnail.url).status_code == 404  # not signed in
    outsider = client_for(make_staff(staff=False, username="outsider"))
    assert outsider.get(image.thumbnail.url).status_code == 404
    assert admin_client_super.get("/media/../backoffice/settings/base.py").status_code == 404
    assert admin_client_super.get("/media/products/missing.png").status_code == 404
    assert admin_client_super.get("/media/notes.txt").status_code == 404


def test_product_picker_answers_with_picture_price_and_stock(client_for, make_staff):
    product = make_product("PICK-1", stock=0, price="12.50", name="Blue mug")
    image = product_image_add(
        product=product, prepared=product_image_prepare(upload("a.png", picture_bytes()))
    )
    url = reverse("admin:catalog_product_picker")
    query = {
        "term": "PICK",
        "app_label": "orders",
        "model_name": "orderitem",
        "field_name": "product",
    }
    support = client_for(make_staff("Customer support"))
    response = support.get(url, query)
    assert response.status_code == 200
    [row] = json.loads(response.content)["results"]
    assert row == {
        "id": str(product.pk),
        "text": "PICK-1 · Blue mug",
        "sku": "PICK-1",
        "name": "Blue mug",
        "price": "12.50",
        "price_display": "€12.50",
        "stock": 0,
        "out_of_stock": True,
        "active": True,
        "thumbnail": image.thumbnail.url,
    }
    # Like Django's autocomplete: only for staff who may view products.
    assert client_for(make_staff(username="norole")).get(url, query).status_code == 403


@pytest.fixture
def s3_bucket(settings, monkeypatch):
    """A real S3-compatible server (moto) on 127.0.0.1 with one bucket, as default storage."""
    import socket

    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for name, value in [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ]:
        monkeypatch.setenv(name, value)
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="pictures")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "pictures",
                "endpoint_url": endpoint,
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
    }
    yield client
    server.stop()


def bucket_keys(client) -> list[str]:
    listing = client.list_objects_v2(Bucket="pictures")
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_pictures_on_s3_compatible_storage_are_stored_linked_and_removed(
    s3_bucket, admin_client_super, superuser, django_capture_on_commit_callbacks
):
    import urllib.request

    product = make_product("S3-1")
    url = reverse("admin:catalog_product_change", args=[product.pk])
    picture = upload("shelf.jpg", picture_bytes("JPEG", (120, 90)), "image/jpeg")
    response = admin_client_super.post(
        url, change_payload(product, images=[{"image": picture, "position": 0}])
    )
    assert response.status_code == 302
    image = ProductImage.objects.get(product=product)
    assert bucket_keys(s3_bucket) == sorted([image.image.name, image.thumbnail.name])
    # The link is the bucket's (signed), so every web server shows the same file.
    link = image.thumbnail.url
    assert link.startswith(s3_bucket.meta.endpoint_url) and "Signature" in link
    with urllib.request.urlopen(link) as fetched:
        assert Image.open(io.BytesIO(fetched.read())).format == "WEBP"
    with django_capture_on_commit_callbacks(execute=True):
        product_image_delete(image=image, user=superuser)
    assert bucket_keys(s3_bucket) == []
