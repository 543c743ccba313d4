"""Two gunicorn processes on two loopback ports, one database server (PostgreSQL or MariaDB).

A session made through one works through the other, and an import previewed through one
is confirmed through the other: nothing lives in one process's memory or temp folder.
With REDIS_URL set (CI runs it once so), the cache and the sessions are in Redis.
"""

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import connection

from catalog.models import Product
from catalog.tests.factories import make_category

ROOT = Path(__file__).resolve().parent.parent
TOKEN_RATE = 40  # API requests per token and hour on the two servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database, as a URL the servers' settings read."""
    db = settings.DATABASES["default"]
    scheme, port = ("mysql", 3306) if db["ENGINE"].endswith("mysql") else ("postgres", 5432)
    user = urllib.parse.quote(db["USER"] or "")
    password = f":{urllib.parse.quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db["HOST"] or "127.0.0.1"
    return f"{scheme}://{user}{password}@{host}:{db['PORT'] or port}/{db['NAME']}"


@pytest.fixture
def two_servers():
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.development",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECRET_KEY": "shared-test-secret-" + "x" * 40,
        "API_RATE_TOKEN": f"{TOKEN_RATE}/hour",
    }
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "backoffice.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--timeout", "60"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]  # fmt: skip
    try:
        for port in ports:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                    break
                except OSError:
                    time.sleep(0.3)
            else:
                pytest.fail(f"gunicorn on port {port} did not start")
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


class Browser:
    """A cookie jar shared by both servers, like one person behind a load balancer."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            NoRedirect(),
        )

    def get(self, url: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(url))

    def post(self, url: str, fields: dict, referer: str, files: dict | None = None):
        if files:
            boundary = uuid.uuid4().hex
            body, content_type = multipart(fields, files, boundary)
        else:
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            content_type = "application/x-www-form-urlencoded"
        request = urllib.request.Request(
            url, data=body, headers={"Content-Type": content_type, "Referer": referer}
        )
        return self._open(request)

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def multipart(fields: dict, files: dict, boundary: str) -> tuple[bytes, str]:
    parts = []
    for name, value in fields.items():
        header = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{header}{value}\r\n".encode())
    for name, (filename, content) in files.items():
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    return match.group(1)


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_two_processes_share_sessions_and_import_files(
    two_servers, make_staff, staff_password, previews_kept
):
    one, two = two_servers
    merch = make_staff("Catalog managers", username="merch")
    # The servers run the development settings, whose hashers are base's (the suite uses MD5).
    merch.password = make_password(staff_password, hasher="pbkdf2_sha256")
    merch.save(update_fields=["password"])
    make_category("Shoes", "shoes")
    browser = Browser()

    status, page = browser.get(f"{one}/admin/login/")
    assert status == 200
    status, _ = browser.post(
        f"{one}/admin/login/",
        {
            "csrfmiddlewaretoken": csrf(page),
            "username": "merch",
            "password": staff_password,
            "next": "/admin/",
        },
        referer=f"{one}/admin/login/",
    )
    assert status == 302
    status, page = browser.get(f"{two}/admin/")  # the session made through one, used on two
    assert status == 200 and "merch" in page

    status, page = browser.get(f"{one}/admin/catalog/product/import/")
    assert status == 200
    csv = b"sku,name,category,price,stock,is_active\nMP-1,Two servers,shoes,3.00,4,1\n"
    status, preview = browser.post(
        f"{one}/admin/catalog/product/import/",
        {"csrfmiddlewaretoken": csrf(page), "format": "0"},
        referer=f"{one}/admin/catalog/product/import/",
        files={"import_file": ("mp.csv", csv)},
    )
    assert status == 200 and "1 rows: 1 new" in preview
    assert not Product.objects.filter(sku="MP-1").exists()
    # The preview waits in the shared cache: Redis when REDIS_URL is set, else the database.
    name = hidden(preview, "import_file_name")
    assert cache.get(f"import-preview:{name}") is not None
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        assert "backoffice_cache" not in connection.introspection.table_names()
    else:
        assert previews_kept() >= 2  # manifest and chunks (and state), in the cache table

    fields = {
        "csrfmiddlewaretoken": csrf(preview),
        "import_file_name": hidden(preview, "import_file_name"),
        "original_file_name": hidden(preview, "original_file_name"),
        "format": hidden(preview, "format"),
    }
    status, _ = browser.post(
        f"{two}/admin/catalog/product/process_import/",
        fields,
        referer=f"{two}/admin/catalog/product/import/",
    )
    assert status == 302
    product = Product.objects.get(sku="MP-1")
    assert (product.name, product.stock) == ("Two servers", 4)
    assert product.history.get().history_user.username == "merch"


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_a_tokens_requests_are_counted_once_across_processes(two_servers, make_staff):
    """Requests sent at once through both servers: exactly the rate is let through."""
    if not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        # The database cache's increment is a read and a write: exact only in Redis, the
        # cache production runs (CI runs this file once with REDIS_URL).
        pytest.skip("needs Redis as the cache (REDIS_URL)")
    from backoffice.services import api_token_create

    _, key = api_token_create(user=make_staff(superuser=True), name="counted")
    if time.time() % 3600 > 3600 - 30:  # the hour's window must not end meanwhile
        time.sleep(31)

    def call(n: int) -> int:
        request = urllib.request.Request(
            f"{two_servers[n % 2]}/api/v1/products/?page_size=1",
            headers={"Authorization": f"Token {key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                json.load(response)
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(call, range(TOKEN_RATE + 20)))
    assert (statuses.count(200), statuses.count(429)) == (TOKEN_RATE, 20)
