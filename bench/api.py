"""The integration API over HTTP against gunicorn and PostgreSQL, on loopback only.

    .venv/bin/python bench/api.py [--clients 8] [--seconds 30] [--workers 4] [--products 10000]
                                  [--client wrk|python]

It makes the database api_bench anew, starts gunicorn on a free 127.0.0.1 port (Redis as
the cache when REDIS_URL is set, else the database cache), makes a superuser's API token,
and measures, each printed beside its target (issue 12), with VACUUM ANALYZE between
the three:

1. bulk product upsert: POST /api/v1/products/bulk/ with --products new products, then the
   same again with every price changed (rows/s; target 10,000 in <= 1 s);
2. stock levels after a count: five POSTs to /api/v1/stock/levels/ in a row, each with a
   new level for every product (seconds of each, median SKUs/s; target 10,000 in <= 0.5 s);
3. order intake: --clients clients POST 3-line orders for --seconds; one order in ten has
   a line of one of 20 "hot" products with 2 units each, so that clients run out of
   them and are refused (409) while others take the last units. Prints orders/s,
   p50/p95/p99 of every answer, the oversold products (what the orders hold of a hot
   product beyond the stock there was, read from the database: must be 0) and
   `manage.py stock_reconcile` (target >= 200 orders/s, p99 <= 250 ms). The clients are
   wrk's connections (bench/intake.lua; `apt-get install wrk`), or with --client python
   threads of this process, which take about a tenth of a core from the two the server
   and PostgreSQL share.

Not part of the test suite.
"""

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DATABASE = "api_bench"
HOT_PRODUCTS, HOT_STOCK = 20, 2


def run(*args: str, env: dict | None = None) -> str:
    done = subprocess.run(args, check=True, text=True, capture_output=True, env=env, cwd=ROOT)
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare() -> tuple[dict, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"{SERVER}/{DATABASE}",
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.development",
    }
    run("psql", f"{SERVER}/postgres", "-qc", f'DROP DATABASE IF EXISTS "{DATABASE}"')
    run("psql", f"{SERVER}/postgres", "-qc", f'CREATE DATABASE "{DATABASE}"')
    run(sys.executable, "manage.py", "migrate", "--noinput", env=env)
    code = (
        "from backoffice.models import User;"
        "from catalog.models import Category;"
        "from orders.models import Customer;"
        "User.objects.create_superuser('bench', 'bench@example.com', 'bench-password-1');"
        "[Category.objects.create(name=f'Category {n}', slug=f'cat-{n}') for n in range(20)];"
        "Customer.objects.bulk_create([Customer(email=f'c{n}@bench.test', first_name='C',"
        " last_name=str(n)) for n in range(500)])"
    )
    run(sys.executable, "manage.py", "shell", "-c", code, env=env)
    key = run(sys.executable, "manage.py", "create_api_token", "bench", env=env).split()[-1]
    return env, key


class Api:
    def __init__(self, base: str, key: str) -> None:
        self.base, self.key = base, key

    def call(self, method: str, path: str, body=None) -> tuple[int, dict | list, float]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + path,
            data,
            method=method,
            headers={"Authorization": f"Token {self.key}", "Content-Type": "application/json"},
        )
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        seconds = time.perf_counter() - start
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            payload = {"raw": raw[:300].decode(errors="replace")}
        return status, payload, seconds


def pct(times: list[float], p: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000 if ordered else 0.0


def measure_bulk(api: Api, count: int) -> None:
    items = [
        {
            "sku": f"B-{n:06d}",
            "name": f"Bench product {n}",
            "category": f"cat-{n % 20}",
            "price": f"{5 + n % 50}.99",
            "is_active": True,
            "stock": HOT_STOCK if n < HOT_PRODUCTS else 1_000_000,
        }
        for n in range(count)
    ]
    for label, payload in (
        ("new", items),
        ("every price changed", [{**i, "price": i["price"].replace(".99", ".49")} for i in items]),
    ):
        status, body, seconds = api.call("POST", "/api/v1/products/bulk/", payload)
        assert status == 200, (status, str(body)[:500])
        print(
            f"bulk upsert, {label}: {count:,} products in {seconds:.2f} s "
            f"({count / seconds:,.0f} rows/s)   target: 10,000 in <= 1 s   {body}"
        )


def measure_levels(api: Api, count: int, rounds: int = 5) -> None:
    """``rounds`` counts in a row, each setting every product to a new level (a count that
    changes nothing writes nothing)."""
    seconds = []
    for round_ in range(rounds):
        levels = [
            {"sku": f"B-{n:06d}", "stock": HOT_STOCK if n < HOT_PRODUCTS else 900_000 + round_}
            for n in range(count)
        ]
        status, body, took = api.call("POST", "/api/v1/stock/levels/", levels)
        assert status == 200, (status, str(body)[:500])
        assert body["changed"] == count - HOT_PRODUCTS, body  # the hot ones stay at 2
        seconds.append(took)
    median = sorted(seconds)[len(seconds) // 2]
    print(
        f"stock levels: {count:,} SKUs per request, {rounds} counts: "
        f"{', '.join(f'{s:.2f}' for s in seconds)} s; median {median:.2f} s "
        f"({count / median:,.0f} SKUs/s)   target: 10,000 in <= 0.5 s"
    )


def client_loop(api: Api, n: int, until: float, count: int, out: list, lock) -> None:
    rng = random.Random(n)
    samples = []
    while time.perf_counter() < until:
        hot = rng.randrange(HOT_PRODUCTS) if rng.random() < 0.1 else None
        others = rng.sample(range(HOT_PRODUCTS, count), 3 if hot is None else 2)
        lines = [{"sku": f"B-{o:06d}", "quantity": rng.randint(1, 3)} for o in others]
        if hot is not None:
            lines.append({"sku": f"B-{hot:06d}", "quantity": 1})
        body = {
            "customer": f"c{rng.randrange(500)}@bench.test",
            "lines": lines,
            "shipping_cost": "4.90",
        }
        status, _, seconds = api.call("POST", "/api/v1/orders/", body)
        samples.append((status, seconds))
    with lock:
        out.extend(samples)


def load_python(api: Api, clients: int, seconds: int, count: int) -> dict:
    """The load from threads of this process (urllib, a connection per request)."""
    samples: list = []
    lock = threading.Lock()
    until = time.perf_counter() + seconds
    started = time.perf_counter()
    threads = [
        threading.Thread(target=client_loop, args=(api, n, until, count, samples, lock))
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    times = [s[1] for s in samples]
    statuses: dict[int, int] = {}
    for status, _ in samples:
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "seconds": time.perf_counter() - started,
        "statuses": statuses,
        **{f"p{p}_ms": pct(times, p / 100) for p in (50, 95, 99)},
        "errors": 0,
    }


def load_wrk(api: Api, clients: int, seconds: int, count: int) -> dict:
    """The load from wrk (bench/intake.lua): one connection per client, two threads."""
    env = {
        **os.environ,
        "BENCH_TOKEN": api.key,
        "BENCH_PRODUCTS": str(count),
        "BENCH_HOT": str(HOT_PRODUCTS),
    }
    output = run(
        *("wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds}s", "--timeout", "10s"),
        *("-s", str(ROOT / "bench" / "intake.lua"), api.base),
        env=env,
    )
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    result = json.loads(line.removeprefix("BENCH "))
    result["statuses"] = {int(k): v for k, v in result["statuses"].items()}
    return result


def measure_orders(api: Api, env: dict, clients: int, seconds: int, count: int, client: str):
    load = load_wrk if client == "wrk" else load_python
    result = load(api, clients, seconds, count)
    elapsed, statuses = result["seconds"], result["statuses"]
    created, refused = statuses.get(201, 0), statuses.get(409, 0)
    others = {s: n for s, n in statuses.items() if s not in (201, 409)}
    print(
        f"order intake: {clients} clients ({client}), {elapsed:.0f} s: {created:,} orders "
        f"({created / elapsed:.0f} orders/s), {refused:,} refused for stock (409), "
        f"{sum(others.values())} other answers {others}, {result['errors']} socket errors"
    )
    print(
        f"latency (all answers): p50 {result['p50_ms']:.0f} ms  p95 {result['p95_ms']:.0f} ms  "
        f"p99 {result['p99_ms']:.0f} ms   target: >= 200 orders/s, p99 <= 250 ms"
    )
    # Oversold: units that orders holding stock have of a hot product beyond the 2 it had.
    code = (
        "from django.db.models import Sum;"
        "from orders.models import HOLDS_STOCK, OrderItem;"
        "from catalog.models import Product;"
        f"hot = [f'B-{{n:06d}}' for n in range({HOT_PRODUCTS})];"
        "held = OrderItem.objects.filter(product__sku__in=hot, order__status__in=HOLDS_STOCK)"
        ".values('product').annotate(units=Sum('quantity'));"
        f"print(sum(1 for h in held if h['units'] > {HOT_STOCK}),"
        " Product.objects.filter(sku__in=hot, stock__gt=0).count(),"
        " Product.objects.filter(stock__lt=0).count())"
    )
    output = run(sys.executable, "manage.py", "shell", "-c", code, env=env)
    oversold, hot_left, negative = map(int, output.strip().splitlines()[-1].split())
    print(
        f"oversold products: {oversold + negative}   hot products with stock left: "
        f"{hot_left} of {HOT_PRODUCTS}   target: 0 oversold"
    )
    reconcile = subprocess.run(
        [sys.executable, "manage.py", "stock_reconcile"],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
    )
    lines = (reconcile.stdout or reconcile.stderr).strip().splitlines()
    print("stock_reconcile:", " ".join(lines[-2:]))
    return (
        not others
        and not result["errors"]
        and not oversold + negative
        and (reconcile.returncode == 0)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument(
        "--client",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="the order intake's load: wrk (Debian's package; the default when installed) "
        "or threads of this process",
    )
    args = parser.parse_args()
    env, key = prepare()
    port = free_port()
    server_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.production",
        "SECRET_KEY": "api-bench-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "API_RATE_TOKEN": "1000000/min",
        "LOG_LEVEL": "WARNING",
        "DATA_UPLOAD_MAX_MEMORY_SIZE": str(20 * 1024 * 1024),
    }
    run(sys.executable, "manage.py", "collectstatic", "--noinput", env=server_env)
    gunicorn = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "backoffice.wsgi"),
            *("--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--timeout", "120"),
        ],
        cwd=ROOT,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ok = False
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        api = Api(base, key)
        print(
            f"gunicorn --workers {args.workers}, PostgreSQL, cache: "
            f"{'Redis' if os.environ.get('REDIS_URL') else 'database'}"
        )
        # Each measurement starts from a settled database: the upserts leave 10,000 dead
        # product rows and the counts 50,000, whose clean-up (autovacuum) would otherwise
        # share the two cores with the next measurement.
        measure_bulk(api, args.products)
        run("psql", f"{SERVER}/{DATABASE}", "-qc", "VACUUM ANALYZE")
        measure_levels(api, args.products)
        run("psql", f"{SERVER}/{DATABASE}", "-qc", "VACUUM ANALYZE")
        ok = measure_orders(api, env, args.clients, args.seconds, args.products, args.client)
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=20)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
