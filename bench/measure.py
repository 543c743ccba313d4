"""One group of measurements against one database; prints JSON. Run by bench/run.py.

    DATABASE_URL=postgres://… python bench/measure.py GROUP [--repeat N]

bench/run.py runs it with the production settings (and their environment: SECRET_KEY,
ALLOWED_HOSTS, a built STATIC_ROOT); by hand, DJANGO_SETTINGS_MODULE chooses (development
by default). Everything that writes runs inside a transaction that is rolled back, so a
benchmark database keeps its size from run to run.

Each figure is recorded with what it is held against (``record``): a limit it must meet
(``at_most``/``at_least``), and/or a peer measurement it is compared with.
"""

import argparse
import io
import json
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.development")
# The host the requests name; bench/run.py sets ALLOWED_HOSTS to it.
HOST = os.environ.get("BENCH_HOST", "localhost")
os.environ.setdefault("ALLOWED_HOSTS", HOST)

import django  # noqa: E402

django.setup()

from django.db import connection, connections, transaction  # noqa: E402
from django.test import Client  # noqa: E402

RESULTS: list[dict] = []


class Rollback(Exception):
    pass


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


# What a figure is held against ----------------------------------------------------------------

# The figure a unit names by default: "ms" is the median time, "rows/s" the median rate.
FIGURES = {
    "ms": lambda entry: entry["median_s"] * 1000,
    "s": lambda entry: entry["median_s"],
    "rows/s": lambda entry: entry.get("rows_per_s"),
    "orders/s": lambda entry: entry.get("orders_per_s"),
    "queries": lambda entry: entry.get("queries"),
    "MB": lambda entry: entry.get("peak_rss_mb"),
}


def at_most(bound: float, unit: str, of: str | None = None) -> dict:
    """A limit: the figure in ``unit`` (or the entry's field ``of``) is at most ``bound``."""
    return {"op": "<=", "bound": bound, "unit": unit, "of": of}


def at_least(bound: float, unit: str, of: str | None = None) -> dict:
    """A limit: the figure in ``unit`` (or the entry's field ``of``) is at least ``bound``."""
    return {"op": ">=", "bound": bound, "unit": unit, "of": of}


def limit_text(limit: dict) -> str:
    sign = "≤" if limit["op"] == "<=" else "≥"
    of = f" {limit['of']}" if limit["of"] else ""
    return f"{sign} {limit['bound']:,g} {limit['unit']}{of}"


def limit_met(limit: dict, entry: dict) -> bool:
    value = entry.get(limit["of"]) if limit["of"] else FIGURES[limit["unit"]](entry)
    if value is None:
        return False
    return value <= limit["bound"] if limit["op"] == "<=" else value >= limit["bound"]


def record(
    name: str,
    times: list[float],
    *,
    rows: int | None = None,
    limit: dict | str | list | None = None,
    peer: str | list[str] | None = None,
    met: bool | None = None,
    **extra,
) -> None:
    """Record one measurement: its times, and what the table holds it against.

    ``limit``: ``at_most(40, "ms")``, ``at_least(100_000, "rows/s")``, a list of them, or a
    sentence (then ``met`` says whether it holds). ``peer``: the name of another
    measurement this one is compared with, or a list of names (bench/run.py prints the
    ratios). Other keywords are figures kept in the JSON and shown as notes (``queries=6``,
    ``peak_rss_mb=70``).
    """
    entry = {
        "name": name,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "runs": len(times),
        **extra,
    }
    if rows:
        entry["rows"] = rows
        entry["rows_per_s"] = rows / statistics.median(times)
    limits = limit if isinstance(limit, list) else [limit] if limit else []
    texts = [item if isinstance(item, str) else limit_text(item) for item in limits]
    if texts:
        entry["limit"] = ", ".join(texts)
    checks = [limit_met(item, entry) for item in limits if not isinstance(item, str)]
    if met is not None:
        checks.append(met)
    if checks:
        entry["met"] = all(checks)
    if peer:
        entry["peer"] = peer if isinstance(peer, list) else [peer]
    RESULTS.append(entry)


class QueryCounter:
    """Count and time statements through an execute wrapper (it survives the reconnect per
    request)."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        self.statements.append(sql)
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start

    def __enter__(self):
        self._cm = connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)

    @property
    def count(self) -> int:
        return len(self.statements)


def rolled_back(fn):
    """Run fn inside a transaction that is always rolled back; return its result."""
    box = {}
    try:
        with transaction.atomic():
            box["value"] = fn()
            raise Rollback
    except Rollback:
        pass
    return box.get("value")


def bench_user():
    from backoffice.models import User

    user, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    return user


class HttpsClient(Client):
    """The test client, sending what production receives: HTTPS, to the served host."""

    def request(self, **request):
        request.update({"wsgi.url_scheme": "https", "SERVER_PORT": "443", "HTTP_HOST": HOST})
        return super().request(**request)


_test_environment = False


def staff_client() -> Client:
    """A logged-in superuser's test client (responses carry their template context)."""
    global _test_environment
    if not _test_environment:
        from django.test.utils import setup_test_environment

        setup_test_environment()  # so that the test client records each response's context
        _test_environment = True
    client = HttpsClient()
    client.force_login(bench_user())
    return client


class Server:
    """GET requests handed to Django's WSGI handler as a web server hands them over.

    HTTPS, the served host, a staff session cookie. The time runs from the handler's call
    to the response's last byte and its close: the time spent in Django, middleware and
    template rendering included, without the test client's instrumentation.
    """

    def __init__(self, user) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        login = Client()
        login.force_login(user)
        self.cookie = "; ".join(f"{m.key}={m.coded_value}" for m in login.cookies.values())
        self.handler = WSGIHandler()

    def get(self, url: str) -> tuple[int, bytes, float]:
        path, _, query = url.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SCRIPT_NAME": "",
            "SERVER_NAME": HOST,
            "SERVER_PORT": "443",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": HOST,
            "HTTP_COOKIE": self.cookie,
            "HTTP_ACCEPT": "text/html,application/xhtml+xml",
            "HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9",
            "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        status = []
        start = time.perf_counter()
        response = self.handler(environ, lambda code, headers: status.append(code))
        try:
            body = b"".join(response)
        finally:
            response.close()
        elapsed = time.perf_counter() - start
        return int(status[0].split()[0]), body, elapsed


# Imports -------------------------------------------------------------------------------------


def product_csv(n: int, *, prefix: str, category: str, changed_every: int = 0) -> str:
    lines = ["sku,name,category,price,stock,is_active,description,cost,low_stock_threshold"]
    for i in range(n):
        price = "19.99"
        stock = 10 + i % 50
        if changed_every and i % changed_every == 0:
            price, stock = "21.49", stock + 3
        lines.append(
            f"{prefix}{i:07d},Bench product {i},{category},{price},{stock},1,Bench row {i},9.50,5"
        )
    return "\n".join(lines) + "\n"


def group_imports(repeat: int, size: int) -> None:
    import tablib
    from import_export import resources

    from catalog.models import Category, Product, StockMovement
    from catalog.resources import ProductResource

    category = Category.objects.order_by("pk").first().slug
    text = product_csv(size, prefix="BENCH-", category=category)
    changed = product_csv(size, prefix="BENCH-", category=category, changed_every=10)
    dataset = tablib.Dataset().load(text, format="csv")
    changed_dataset = tablib.Dataset().load(changed, format="csv")

    def fast_new():
        result = ProductResource().import_data(dataset, dry_run=False)
        assert result.totals["new"] == size, result.totals

    def vacuum():
        # Each run is rolled back; clear its dead rows as autovacuum would between imports.
        with connection.cursor() as cursor:
            cursor.execute(
                "VACUUM catalog_product, catalog_historicalproduct, catalog_stockmovement"
            )

    def vacuumed_runs(work) -> list[float]:
        times = []
        for _ in range(repeat):
            vacuum()
            times += timed(lambda: rolled_back(work), 1)
        return times

    record(
        "import: 100k new rows (fast path)",
        vacuumed_runs(fast_new),
        rows=size,
        limit=at_least(100_000, "rows/s"),
        peer=[
            "import: raw PostgreSQL COPY of the same file",
            "import: the same rows written by SQL alone (COPY, INSERT … SELECT)",
            "import: django-import-export defaults (5k-row slice)",
        ],
    )

    def reimport_and_changed():
        ProductResource().import_data(dataset, dry_run=False)
        before = (Product.history.count(), StockMovement.objects.count())
        with QueryCounter() as counter:
            start = time.perf_counter()
            result = ProductResource().import_data(dataset, dry_run=False)
            same = time.perf_counter() - start
        writes = [
            sql for sql in counter.statements
            if sql.split()[0].upper() in ("INSERT", "UPDATE", "DELETE", "COPY")
        ]  # fmt: skip
        assert result.totals["skip"] == size, result.totals
        start = time.perf_counter()
        result = ProductResource().import_data(changed_dataset, dry_run=False)
        ten = time.perf_counter() - start
        after = (Product.history.count(), StockMovement.objects.count())
        return same, len(writes), ten, (after[0] - before[0], after[1] - before[1])

    same_times, ten_times, writes, added = [], [], 0, (0, 0)
    for _ in range(repeat):
        vacuum()
        same, writes, ten, added = rolled_back(reimport_and_changed)
        same_times.append(same)
        ten_times.append(ten)
    record(
        "import: re-import 100k unchanged",
        same_times,
        rows=size,
        write_queries=writes,
        limit=at_least(300_000, "rows/s"),
    )
    record(
        "import: 100k rows, 10% changed (price+stock)",
        ten_times,
        rows=size,
        limit=at_least(150_000, "rows/s"),
        history_rows=added[0],
        ledger_rows=added[1],
    )

    class DefaultProductResource(resources.ModelResource):
        class Meta:
            from catalog.models import Product as model

            import_id_fields = ("sku",)
            exclude = ("id", "stock", "created_at", "updated_at")

    slice_size = 5000
    default_dataset = tablib.Dataset().load(
        product_csv(slice_size, prefix="BENCHDEF-", category=category), format="csv"
    )
    default_dataset.headers = [
        h if h != "category" else "category" for h in default_dataset.headers
    ]
    cat_pk = Category.objects.get(slug=category).pk
    for row_index in range(len(default_dataset)):
        row = list(default_dataset[row_index])
        row[2] = cat_pk
        default_dataset[row_index] = row
    del default_dataset["stock"]

    def default_import():
        result = DefaultProductResource().import_data(default_dataset, dry_run=False)
        assert not result.has_errors() and not result.has_validation_errors()

    record(
        "import: django-import-export defaults (5k-row slice)",
        timed(lambda: rolled_back(default_import), max(1, repeat // 2)),
        rows=slice_size,
    )

    def raw_copy():
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE bench_copy (sku text, name text, category text, "
                           "price numeric, stock int, is_active int, description text, "
                           "cost numeric, low_stock_threshold int) ON COMMIT DROP")  # fmt: skip
            with cursor.copy("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                copy.write(text)

    record(
        "import: raw PostgreSQL COPY of the same file",
        timed(lambda: rolled_back(raw_copy), repeat),
        rows=size,
    )

    def sql_only():
        # The database work an import of these rows cannot avoid while the tables keep
        # their indexes and foreign keys: the products, a history row and an opening
        # ledger row each, the foreign keys checked. No Python touches a row.
        raw_copy()
        with connection.cursor() as cursor:
            cursor.execute(SQL_ONLY_IMPORT)
            assert cursor.rowcount == size, cursor.rowcount
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    record(
        "import: the same rows written by SQL alone (COPY, INSERT … SELECT)",
        vacuumed_runs(sql_only),
        rows=size,
        limit="floor: products, history and ledger rows with today's indexes, no Python",
    )
    import_million_rss(category)


def import_million_rss(category: str) -> None:
    """A million-row product file through ``manage.py import --dry-run`` in its own process
    (every row checked, written and rolled back): its time and its peak memory."""
    import subprocess

    rows = 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "million.csv"
        path.write_text(product_csv(rows, prefix="MILLION-", category=category))
        command = [sys.executable, str(ROOT / "manage.py"), "import",
                   "catalog.resources.ProductResource", str(path),
                   "--no-input", "--dry-run"]  # fmt: skip
        wrapper = (
            "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        # The file (70 MB) is above the default upload limit, which is for the admin.
        env = {**os.environ, "IMPORT_MAX_FILE_SIZE": str(path.stat().st_size + 1)}
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", wrapper, *command],
            check=True, text=True, capture_output=True, env=env,
        )  # fmt: skip
        elapsed = time.perf_counter() - start
    peak = int(done.stdout.strip().splitlines()[-1]) / 1024
    record(
        "import: 1M new rows, manage.py import --dry-run",
        [elapsed],
        rows=rows,
        peak_rss_mb=round(peak, 1),
        limit=at_most(500, "MB"),
    )


# The set-based import the issue sketches, as one statement over the COPY of the file
# (bench_copy): it validates nothing and writes only what a valid file would.
SQL_ONLY_IMPORT = """
WITH new AS (
    INSERT INTO catalog_product (sku, name, category_id, description, price, cost,
        low_stock_threshold, is_active, stock, created_at, updated_at)
    SELECT b.sku, b.name, c.id, b.description, b.price, b.cost, b.low_stock_threshold,
        b.is_active = 1, b.stock, now(), now()
    FROM bench_copy b JOIN catalog_category c ON c.slug = b.category
    RETURNING id, sku, name, category_id, description, price, cost, low_stock_threshold,
        is_active, stock, created_at, updated_at
), history AS (
    INSERT INTO catalog_historicalproduct (id, sku, name, category_id, description, price,
        cost, low_stock_threshold, is_active, created_at, updated_at, history_date,
        history_change_reason, history_type, history_user_id)
    SELECT id, sku, name, category_id, description, price, cost, low_stock_threshold,
        is_active, created_at, updated_at, now(), 'bench', '+', NULL FROM new
)
INSERT INTO catalog_stockmovement (product_id, quantity, balance, reason, reference, note,
    created_by_id, created_at)
SELECT id, stock, stock, 'import', 'bench', '', NULL, now() FROM new WHERE stock > 0
"""


def group_admin_import(repeat: int, size: int) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from catalog.models import Category

    category = Category.objects.order_by("pk").first().slug
    text = product_csv(size, prefix="ADMIN-", category=category).encode()
    client = staff_client()
    preview_times, confirm_times, sizes = [], [], []

    def run():
        upload = SimpleUploadedFile("bench.csv", text, content_type="text/csv")
        start = time.perf_counter()
        preview = client.post(
            reverse("admin:catalog_product_import"), {"import_file": upload, "format": 0}
        )
        preview_times.append(time.perf_counter() - start)
        assert preview.status_code == 200 and preview.context["confirm_form"] is not None
        sizes.append(len(preview.content))
        data = dict(preview.context["confirm_form"].initial)
        start = time.perf_counter()
        done = client.post(reverse("admin:catalog_product_process_import"), data)
        confirm_times.append(time.perf_counter() - start)
        assert done.status_code == 302

    for _ in range(repeat):
        rolled_back(run)
    record("admin import 10k: dry-run preview", preview_times, rows=size, page_bytes=max(sizes))
    record("admin import 10k: confirm", confirm_times, rows=size)


# Export --------------------------------------------------------------------------------------


def group_export(repeat: int) -> None:
    from orders.exporting import stream_order_lines_csv
    from orders.models import OrderItem
    from orders.resources import OrderLineResource

    lines = OrderItem.objects.count()
    times, first_bytes = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        first = None
        total = 0
        for chunk in stream_order_lines_csv(OrderItem.objects.all()):
            if first is None and total > 0:
                first = time.perf_counter() - start
            total += len(chunk)
        times.append(time.perf_counter() - start)
        first_bytes.append(first or 0)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    record(
        "export: order lines CSV, streamed",
        times,
        rows=lines,
        first_bytes_s=statistics.median(first_bytes),
        peak_rss_mb=round(peak_mb, 1),
        peer="export: django-import-export default (100k-line slice)",
    )
    slice_size = 100_000
    ids = list(OrderItem.objects.order_by("pk").values_list("pk", flat=True)[:slice_size])
    queryset = (
        OrderLineResource().get_queryset().filter(pk__in=ids[:: max(1, len(ids) // slice_size)])
    )
    default_times = timed(lambda: OrderLineResource().export(queryset).csv, 1)
    record("export: django-import-export default (100k-line slice)", default_times, rows=len(ids))


# XLSX export -----------------------------------------------------------------------------------

XLSX_LIMITS = {"rows_per_s": 50_000, "peak_rss_mb": 150, "first_bytes_s": 1.0}
XLSX_PEER_SLICE = 100_000


def _child(mode: str, *args: str) -> dict:
    """Run one XLSX export in a fresh process, so that its peak RSS is the export's own."""
    import subprocess

    done = subprocess.run(
        [sys.executable, __file__, mode, *args], check=True, text=True, capture_output=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])[0]


def xlsx_admin_once(repeat: int) -> None:
    """In a child: the admin's XLSX export of every order line, read as a browser would."""
    from django.urls import reverse

    from orders.models import OrderItem

    client = staff_client()
    lines = OrderItem.objects.count()
    url = reverse("admin:orders_order_export")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_at_start = usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    response = client.post(url, {"format": 1, "resource": 0})
    assert response.streaming, response.status_code
    first_bytes = first_rows = None
    total = 0
    with open(os.devnull, "wb") as sink:
        for chunk in response.streaming_content:
            now = time.perf_counter() - start
            if first_bytes is None:
                first_bytes = now
            elif first_rows is None:
                first_rows = now  # the first chunk past the workbook's fixed parts
            total += len(chunk)
            sink.write(chunk)
    elapsed = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    record(
        "export: order lines XLSX, streamed (admin)",
        [elapsed],
        rows=lines,
        first_bytes_s=first_bytes,
        first_rows_s=first_rows,
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),
        file_mb=round(total / 1024 / 1024, 1),
        # CPU seconds of this process from start to end: on a shared machine, what the
        # export itself costs whatever else runs (the database works in its own process).
        cpu_s=round(usage.ru_utime + usage.ru_stime - cpu_at_start, 2),
    )


def _slice_start() -> int:
    """The order id from which the newest orders hold about XLSX_PEER_SLICE lines (a range
    the index serves, not a list of 100,000 ids)."""
    from orders.models import OrderItem

    ids = OrderItem.objects.order_by("-order_id").values_list("order_id", flat=True)
    return ids[XLSX_PEER_SLICE - 1 : XLSX_PEER_SLICE][0]


def xlsx_library_once(repeat: int) -> None:
    """In a child: django-import-export's in-memory XLSX of a slice of the lines (the peer)."""
    from import_export.formats.base_formats import XLSX

    from orders.resources import OrderLineResource

    queryset = OrderLineResource().get_queryset().filter(order_id__gte=_slice_start())
    lines = queryset.count()
    start = time.perf_counter()
    data = XLSX().export_data(OrderLineResource().export(queryset, force_native_type=True))
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    record(
        f"export: import-export in-memory XLSX ({XLSX_PEER_SLICE // 1000}k-line slice)",
        [elapsed],
        rows=lines,
        first_bytes_s=elapsed,  # nothing is sent before the whole workbook is built
        peak_rss_mb=round(peak, 1),
        file_mb=round(len(data) / 1024 / 1024, 1),
    )


def xlsx_openpyxl_once(repeat: int) -> None:
    """In a child: openpyxl's write-only mode over the same cells (the other candidate)."""
    import io

    from openpyxl import Workbook

    from orders.exporting import HEADER, _fetched_cells
    from orders.models import OrderItem

    items = OrderItem.objects.filter(order_id__gte=_slice_start())
    lines = items.count()
    start = time.perf_counter()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Order items")
    sheet.append(HEADER)
    for row in _fetched_cells(items.order_by("-order_id", "id"), 5000):
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)  # the sheet went to a temporary file; the zip is made only now
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    record(
        f"export: openpyxl write-only XLSX ({XLSX_PEER_SLICE // 1000}k-line slice)",
        [elapsed],
        rows=lines,
        first_bytes_s=elapsed,
        peak_rss_mb=round(peak, 1),
        file_mb=round(len(data.getvalue()) / 1024 / 1024, 1),
    )


def group_export_xlsx(repeat: int) -> None:
    """The streamed XLSX of every order line: admin and manage.py export, each in a child."""
    import subprocess

    from orders.models import OrderItem

    runs = [_child("_xlsx_admin") for _ in range(repeat)]
    times = [run["median_s"] for run in runs]
    admin = {
        **runs[0],
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "runs": len(runs),
        "first_bytes_s": statistics.median(run["first_bytes_s"] for run in runs),
        "first_rows_s": statistics.median(run["first_rows_s"] for run in runs),
        "peak_rss_mb": max(run["peak_rss_mb"] for run in runs),
        "cpu_s": statistics.median(run["cpu_s"] for run in runs),
    }
    admin["rows_per_s"] = admin["rows"] / admin["median_s"]
    admin["rows_per_cpu_s"] = round(admin["rows"] / admin["cpu_s"])
    limits = [
        at_least(XLSX_LIMITS["rows_per_s"], "rows/s"),
        at_most(XLSX_LIMITS["peak_rss_mb"], "MB"),
        at_most(XLSX_LIMITS["first_bytes_s"], "s", of="first_bytes_s"),
    ]
    admin["limit"] = ", ".join(limit_text(limit) for limit in limits)
    admin["met"] = all(limit_met(limit, admin) for limit in limits)
    RESULTS.append(admin)

    # The floor the database sets: the same rows through COPY, read and dropped.
    from orders.exporting import order_line_cells
    from orders.resources import OrderLineResource

    def copy_only() -> None:
        rows, _ = order_line_cells(OrderLineResource().get_queryset())
        for _ in rows:
            pass

    record(
        "export: the same cells alone (PostgreSQL COPY + csv)",
        timed(copy_only, 1),
        rows=admin["rows"],
        limit="floor: the rows before any XML is written",
    )

    lines = OrderItem.objects.count()
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "lines.xlsx"
        command = [sys.executable, str(ROOT / "manage.py"), "export", "XLSX",
                   "orders.resources.OrderLineResource", f"--output={target}"]  # fmt: skip
        # A wrapper process waits for the command alone and reports the command's peak RSS.
        wrapper = (
            "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", wrapper, *command], check=True, text=True, capture_output=True
        )
        elapsed = time.perf_counter() - start
        size = target.stat().st_size
    peak = int(done.stdout.strip().splitlines()[-1]) / 1024
    entry = {
        "name": "export: order lines XLSX, manage.py export --output",
        "median_s": elapsed,
        "min_s": elapsed,
        "max_s": elapsed,
        "runs": 1,
        "rows": lines,
        "rows_per_s": lines / elapsed,
        "peak_rss_mb": round(peak, 1),
        "file_mb": round(size / 1024 / 1024, 1),
        "limit": "includes Django start-up",
    }
    RESULTS.append(entry)

    peer = _child("_xlsx_library")
    peer["limit"] = "peer; nothing is sent until the whole workbook is built"
    RESULTS.append(peer)
    candidate = _child("_xlsx_openpyxl")
    candidate["limit"] = "candidate not taken: the zip is made only at the end"
    RESULTS.append(candidate)
    admin["peer"] = [peer["name"], candidate["name"]]


# Changelists and dashboard ---------------------------------------------------------------------


def pages() -> dict[str, str]:
    from django.db.models import Count

    from orders.models import Customer, Order

    order = Order.objects.order_by("-pk").first()
    customer = Customer.objects.order_by("-pk").first()
    # A customer with exactly three orders on both databases: the same page to render.
    three = (
        Customer.objects.annotate(n=Count("orders")).filter(n=3).order_by("pk").first() or customer
    )
    from catalog.models import Category, Product

    product = Product.objects.order_by("-pk").first()
    category = Category.objects.order_by("pk").first()
    return {
        "products: unfiltered": "/admin/catalog/product/",
        "products: category": f"/admin/catalog/product/?category__id__exact={category.pk}",
        "products: active": "/admin/catalog/product/?is_active__exact=1",
        "products: low stock": "/admin/catalog/product/?stock_state=low",
        "products: price range": "/admin/catalog/product/?price_from=10&price_to=20",
        "products: search SKU": f"/admin/catalog/product/?q={product.sku}",
        "products: last page": "/admin/catalog/product/?p=LAST",
        "orders: unfiltered": "/admin/orders/order/",
        "orders: status delivered": "/admin/orders/order/?status=delivered",
        "orders: placed range": (
            "/admin/orders/order/?placed_at_from=2026-08-01&placed_at_to=2026-10-31"
        ),
        "orders: total range": "/admin/orders/order/?total_from=100&total_to=120",
        "orders: country": "/admin/orders/order/?country=FR",
        "orders: search number": f"/admin/orders/order/?q={order.number}",
        "orders: search email": f"/admin/orders/order/?q={three.email}",
        "orders: last page": "/admin/orders/order/?p=LAST",
        "customers: unfiltered": "/admin/orders/customer/",
        "customers: country": "/admin/orders/customer/?country__exact=DE",
        "customers: has orders": "/admin/orders/customer/?has_orders=yes",
        "customers: search email": f"/admin/orders/customer/?q={customer.email}",
        "customers: last page": "/admin/orders/customer/?p=LAST",
        "dashboard": "/admin/",
    }


# Admin list pages at any size: the limit, server side, median of the runs.
PAGE_LIMIT = at_most(40, "ms")


def last_page(user, url: str) -> int:
    """The number of the last page the list at ``url`` offers."""
    from django.test import RequestFactory
    from django.urls import resolve

    request = RequestFactory().get(url, secure=True, HTTP_HOST=HOST)
    request.user = user
    model_admin = resolve(url.partition("?")[0]).func.model_admin
    return model_admin.get_changelist_instance(request).paginator.num_pages


def group_pages(repeat: int) -> None:
    user = bench_user()
    server = Server(user)
    for name, url in pages().items():
        if "p=LAST" in url:
            url = url.replace("p=LAST", f"p={last_page(user, url.replace('?p=LAST', ''))}")
        server.get(url)  # warm-up
        with QueryCounter() as counter:
            status, _, _ = server.get(url)
        assert status == 200, (name, status)
        times, sql, cpu = [], [], []
        for _ in range(repeat):
            with QueryCounter() as timer:
                started = time.process_time()
                status, _, elapsed = server.get(url)
                cpu.append(time.process_time() - started)
            assert status == 200, (name, status)
            times.append(elapsed)
            sql.append(timer.seconds)
        # The dashboard here is its cached page; the limit is for the uncached one.
        limit = None if name == "dashboard" else PAGE_LIMIT
        record(
            name,
            times,
            queries=counter.count,
            limit=limit,
            # Where the time goes: waiting for the queries, and this process's own work
            # (on a busy machine the time also holds waiting for a CPU).
            sql_ms=round(statistics.median(sql) * 1000, 1),
            cpu_ms=round(statistics.median(cpu) * 1000, 1),
        )


def direct_dashboard_figures(now) -> None:
    """The dashboard's sales figures as they were computed before the rollups: aggregates
    over the orders and lines of the last 60 days (the peer of the dashboard group)."""
    from datetime import timedelta

    from django.db.models import Count, DecimalField, F, Q, Sum
    from django.db.models.functions import Coalesce
    from django.utils import timezone

    from orders.models import HOLDS_STOCK, Order, OrderItem

    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    bounds = {
        "today": (today, today - timedelta(days=1)),
        "7": (now - timedelta(days=7), now - timedelta(days=14)),
        "30": (now - timedelta(days=30), now - timedelta(days=60)),
    }
    sold, aggregates = Q(status__in=HOLDS_STOCK), {}
    for key, (start, previous_start) in bounds.items():
        window, before = (
            Q(placed_at__gte=start),
            Q(placed_at__gte=previous_start, placed_at__lt=start),
        )
        aggregates[f"rev_{key}"] = Sum("total", filter=window & sold)
        aggregates[f"prev_rev_{key}"] = Sum("total", filter=before & sold)
        aggregates[f"n_{key}"] = Count("pk", filter=window)
        aggregates[f"prev_n_{key}"] = Count("pk", filter=before)
    Order.objects.filter(placed_at__gte=now - timedelta(days=60)).aggregate(**aggregates)
    first = today - timedelta(days=29)
    rows = Order.objects.filter(placed_at__gte=first, status__in=HOLDS_STOCK)
    by_day: dict = {}
    for placed_at, total in rows.values_list("placed_at", "total").iterator(chunk_size=5000):
        day = timezone.localtime(placed_at).date()
        by_day[day] = by_day.get(day, 0) + total
    dict(
        Order.objects.filter(placed_at__gte=now - timedelta(days=30))
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    list(
        OrderItem.objects.filter(
            order__placed_at__gte=now - timedelta(days=30), order__status__in=HOLDS_STOCK
        )
        .values("product_id", "product__sku", "product__name")
        .annotate(
            units=Sum("quantity"),
            revenue=Coalesce(
                Sum(F("quantity") * F("unit_price"), output_field=DecimalField()),
                0,
                output_field=DecimalField(),
            ),
        )
        .order_by("-units", "product__sku")[:10]
    )


def group_dashboard(repeat: int) -> None:
    """The dashboard without its cache, at whatever size DATABASE_URL holds."""
    from django.conf import settings
    from django.utils import timezone

    from backoffice.dashboard import dashboard_blocks, sales_by_day, top_products
    from orders.models import Order
    from orders.rollups import store_day

    settings.DASHBOARD_CACHE_SECONDS = 0
    user = bench_user()
    server = Server(user)
    orders = Order.objects.count()
    server.get("/admin/")  # warm-up
    with QueryCounter() as counter:
        status, _, _ = server.get("/admin/")
    assert status == 200, status
    times = []
    for _ in range(repeat):
        status, _, elapsed = server.get("/admin/")
        times.append(elapsed)
    peer = timed(lambda: direct_dashboard_figures(timezone.now()), max(1, repeat // 2))
    record("dashboard sales figures, direct aggregates (the old uncached page's core)", peer)
    record(
        f"dashboard page, uncached ({orders:,} orders)",
        times,
        queries=counter.count,
        limit=at_most(50, "ms"),
        peer="dashboard sales figures, direct aggregates (the old uncached page's core)",
    )
    record("dashboard blocks, uncached", timed(lambda: dashboard_blocks(user), repeat))
    today = store_day(timezone.now())
    record("dashboard: sales by day (rollups)", timed(lambda: sales_by_day(today), repeat))
    record("dashboard: top products (rollups)", timed(lambda: top_products(today), repeat))


# Orders -------------------------------------------------------------------------------------


def group_add_order(repeat: int) -> None:
    from django.urls import reverse

    from catalog.models import Product
    from orders.models import Customer

    client = staff_client()
    products = list(Product.objects.filter(is_active=True, stock__gte=50)[:10])
    customer = Customer.objects.order_by("pk").first()
    data = {
        "customer": customer.pk,
        "placed_at_0": "2026-11-20",
        "placed_at_1": "10:00:00",
        "shipping_cost": "0",
        "discount": "0",
        "items-TOTAL_FORMS": 10,
        "items-INITIAL_FORMS": 0,
        "items-MIN_NUM_FORMS": 1,
        "items-MAX_NUM_FORMS": 1000,
    }
    for lines in (1, 10):
        payload = {**data, "items-TOTAL_FORMS": lines}
        for i, product in enumerate(products[:lines]):
            payload[f"items-{i}-product"] = product.pk
            payload[f"items-{i}-quantity"] = 1
        counts = []

        def run(payload=payload, counts=counts):
            with QueryCounter() as counter:
                response = client.post(reverse("admin:orders_order_add"), payload)
            assert response.status_code == 302, response.status_code
            counts.append(counter.count)

        times = timed(lambda run=run: rolled_back(run), repeat)
        # Queries that do not grow with the lines; the 10-line add within 25 ms.
        limit = [at_most(25, "queries")] + ([at_most(25, "ms")] if lines == 10 else [])
        record(
            f"admin add order, {lines} line{'s' if lines > 1 else ''}",
            times,
            queries=counts[0],
            limit=limit,
        )


def group_race(repeat: int) -> None:
    """Eight threads place 3-line orders through ``order_save`` (stock moving, history
    written): first on products with plenty of stock (throughput), then on 20 products
    with 3 units each (what must never happen: overselling, a ledger that disagrees)."""
    from catalog.models import Product
    from catalog.services import stock_reconcile, stock_set_bulk
    from orders.models import Customer
    from orders.services import order_stock_reconcile

    products = list(Product.objects.order_by("pk"))
    scarce, plenty = products[:20], products[20:220]
    assert len(plenty) == 200, "the race database holds 220 products (bench/run.py SIZES)"
    customers = list(Customer.objects.order_by("pk")[:8])
    with transaction.atomic():
        stock_set_bulk(
            levels={p.pk: 3 for p in scarce} | {p.pk: 1_000_000 for p in plenty},
            reason="count",
            reference="bench:race",
        )

    for name, pool, per_thread in [
        ("concurrent order placement, 8 threads, 200 products in stock", plenty, 150),
        ("concurrent order placement, 8 threads, 20 products of 3 units", scarce, 25),
    ]:
        sold, refused, elapsed = place_orders(pool, customers, per_thread)
        negative = Product.objects.filter(stock__lt=0).count()
        disagreements = len(stock_reconcile()) + len(order_stock_reconcile())
        clean = negative == 0 and disagreements == 0
        record(
            name,
            [elapsed],
            orders_placed=sold,
            orders_per_s=round(sold / elapsed, 1),
            refused_not_enough_stock=refused,
            oversold_products=negative,
            reconcile_disagreements=disagreements,
            limit=[at_least(250, "orders/s"), "0 oversold, reconcile clean"]
            if pool is plenty
            else "0 oversold, reconcile clean",
            met=clean,
        )


def place_orders(products: list, customers: list, per_thread: int) -> tuple[int, int, float]:
    """Eight threads, each placing ``per_thread`` 3-line orders; (sold, refused, seconds)."""
    import random

    from catalog.services import InsufficientStock
    from orders.models import Order, OrderItem
    from orders.services import order_save

    sold, refused = [], []
    lock = threading.Lock()
    start_line = threading.Barrier(8)

    def worker(n: int) -> None:
        rng = random.Random(n)
        try:
            start_line.wait()
            for _ in range(per_thread):
                lines = rng.sample(products, 3)
                try:
                    order = Order(customer=customers[n])
                    add = [OrderItem(product=p, quantity=rng.randint(1, 3)) for p in lines]
                    order_save(order=order, user=None, add=add)
                    with lock:
                        sold.append(order.pk)
                except InsufficientStock:
                    with lock:
                        refused.append(n)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return len(sold), len(refused), time.perf_counter() - start


def group_import_vendor(repeat: int, size: int) -> None:
    """The same new-product file on whatever database DATABASE_URL names."""
    import tablib

    from catalog.models import Category
    from catalog.resources import ProductResource

    category, _ = Category.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    dataset = tablib.Dataset().load(
        product_csv(size, prefix="VENDOR-", category=category.slug), format="csv"
    )

    def run() -> float:
        start = time.perf_counter()
        result = ProductResource().import_data(dataset, dry_run=False)
        elapsed = time.perf_counter() - start
        assert result.totals["new"] == size, result.totals
        return elapsed

    # Timed inside the transaction: undoing it (slow on InnoDB) is not part of an import.
    times = [rolled_back(run) for _ in range(repeat)]
    limit = at_least(15_000, "rows/s") if connection.vendor == "mysql" else None
    record(f"import: {size // 1000}k new rows, {connection.vendor}", times, rows=size, limit=limit)


GROUPS = {
    "imports": lambda a: group_imports(a.repeat, a.size),
    "import_vendor": lambda a: group_import_vendor(a.repeat, 20_000),
    "admin_import": lambda a: group_admin_import(a.repeat, 10_000),
    "export": lambda a: group_export(a.repeat),
    "export_xlsx": lambda a: group_export_xlsx(min(a.repeat, 3)),
    # Run by export_xlsx in a fresh process each, for a peak RSS of their own.
    "_xlsx_admin": lambda a: xlsx_admin_once(1),
    "_xlsx_library": lambda a: xlsx_library_once(1),
    "_xlsx_openpyxl": lambda a: xlsx_openpyxl_once(1),
    "pages": lambda a: group_pages(a.repeat),
    "add_order": lambda a: group_add_order(a.repeat),
    "race": lambda a: group_race(a.repeat),
    "dashboard": lambda a: group_dashboard(a.repeat),
}

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("group", choices=sorted(GROUPS))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()
    GROUPS[args.group](args)
    print(json.dumps(RESULTS))
