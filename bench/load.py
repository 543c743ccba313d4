"""A bounded load test: simulated staff against gunicorn + PostgreSQL, on loopback only.

    .venv/bin/python bench/load.py [--users 8] [--seconds 60] [--workers 3]

It makes (or reuses) the database backoffice_bench_load (seeded small), starts gunicorn on
a free 127.0.0.1 port, and runs N staff members for the given time: each logs in, then
loops over the product, order and customer lists, searches, opens orders, and saves new
orders with two lines through the admin's add page. It prints requests/s, p50/p95/p99
latency and the error count, then checks the stock ledger with stock_reconcile and the
dashboard's rollups with rollups_check.
Every request goes to 127.0.0.1; each user stops after --seconds or --max-requests.
Not part of the test suite.
"""

import argparse
import http.cookiejar
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DATABASE = "backoffice_bench_load"
PASSWORD = "load-test-password-1"


def run(*args: str, env: dict | None = None) -> str:
    done = subprocess.run(args, check=True, text=True, capture_output=True, env=env, cwd=ROOT)
    return done.stdout


def prepare(users: int) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": f"{SERVER}/{DATABASE}",
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.development",
    }
    exists = run(
        "psql",
        f"{SERVER}/postgres",
        "-tAc",
        f"select 1 from pg_database where datname='{DATABASE}'",
    )
    if exists.strip() != "1":
        run("psql", f"{SERVER}/postgres", "-qc", f'CREATE DATABASE "{DATABASE}"')
        run(sys.executable, "manage.py", "migrate", "--noinput", env=env)
        run(
            sys.executable,
            "manage.py",
            "seed",
            "--products=2000",
            "--customers=2000",
            "--orders=20000",
            "--days=90",
            env=env,
        )
    run(sys.executable, "manage.py", "migrate", "--noinput", env=env)
    code = (
        "from backoffice.models import User;"
        "from django.contrib.auth.models import Group;"
        "g = Group.objects.get(name='Customer support');"
        f"names = ['load{{}}'.format(n) for n in range({users})];"
        "users = [User.objects.get_or_create(username=n, defaults={'is_staff': True})[0]"
        " for n in names];"
        f"[(u.set_password('{PASSWORD}'), u.save(), u.groups.add(g)) for u in users]"
    )
    run(sys.executable, "manage.py", "shell", "-c", code, env=env)
    run(sys.executable, "manage.py", "axes_reset", env=env)
    return env


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Staff:
    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.username = username
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, float]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        headers = {"Referer": self.base + path}
        start = time.perf_counter()
        try:
            with self.opener.open(
                urllib.request.Request(self.base + path, body, headers), timeout=30
            ) as r:
                status, text = r.status, r.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        return status, text, time.perf_counter() - start

    def login(self) -> None:
        _, page, _ = self.request("/admin/login/")
        status, _, _ = self.request(
            "/admin/login/",
            {
                "csrfmiddlewaretoken": csrf(page),
                "username": self.username,
                "password": PASSWORD,
                "next": "/admin/",
            },
        )
        if status != 302:
            raise RuntimeError(f"{self.username} could not log in ({status})")


def csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def ids(html: str, kind: str) -> list[str]:
    return re.findall(rf"/admin/{kind}/(\d+)/change/", html)


def user_loop(
    staff: Staff, until: float, max_requests: int, out: list, lock: threading.Lock
) -> None:
    rng = random.Random(staff.username)
    samples: list[tuple[str, int, float]] = []
    products, customers = [], []

    def hit(name: str, path: str, data: dict | None = None, ok=(200, 302)) -> str:
        status, text, seconds = staff.request(path, data)
        samples.append((name, status if status in ok else -status, seconds))
        return text

    try:
        staff.login()
        while time.perf_counter() < until and len(samples) < max_requests:
            page = hit("products list", "/admin/catalog/product/")
            products = ids(page, "catalog/product") or products
            page = hit("orders list", "/admin/orders/order/")
            orders = ids(page, "orders/order")
            hit("orders: status filter", "/admin/orders/order/?status=paid")
            page = hit("customers list", "/admin/orders/customer/")
            customers = ids(page, "orders/customer") or customers
            hit("search SKU", "/admin/catalog/product/?q=SEED")
            if orders:
                hit("order page", f"/admin/orders/order/{rng.choice(orders)}/change/")
            hit("dashboard", "/admin/")
            if products and customers:
                form = hit("add order page", "/admin/orders/order/add/")
                lines = rng.sample(products, 2)
                data = {
                    "csrfmiddlewaretoken": csrf(form),
                    "customer": rng.choice(customers),
                    "placed_at_0": "2026-11-20",
                    "placed_at_1": "10:00:00",
                    "shipping_cost": "0",
                    "discount": "0",
                    "items-TOTAL_FORMS": 2,
                    "items-INITIAL_FORMS": 0,
                    "items-MIN_NUM_FORMS": 1,
                    "items-MAX_NUM_FORMS": 1000,
                }
                for i, product in enumerate(lines):
                    data[f"items-{i}-product"] = product
                    data[f"items-{i}-quantity"] = 1
                # 302: saved; 200: the form again (e.g. not enough stock) — both are answers.
                hit("save order", "/admin/orders/order/add/", data)
    except Exception as error:  # a failure of the loop itself counts as one error
        samples.append((f"loop error: {error}", -1, 0.0))
    with lock:
        out.extend(samples)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--max-requests", type=int, default=5000, help="per user")
    args = parser.parse_args()

    env = prepare(args.users)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.production",
        "SECRET_KEY": "load-test-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "BEHIND_PROXY": "0",
    }
    run(sys.executable, "manage.py", "collectstatic", "--noinput", env=server_env)
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "backoffice.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        samples: list = []
        lock = threading.Lock()
        until = time.perf_counter() + args.seconds
        started = time.perf_counter()
        threads = [
            threading.Thread(
                target=user_loop,
                args=(Staff(base, f"load{n}"), until, args.max_requests, samples, lock),
            )
            for n in range(args.users)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=20)

    times = sorted(seconds for _, status, seconds in samples if status > 0)
    errors = [(name, status) for name, status, _ in samples if status <= 0]

    def pct(p: float) -> float:
        return times[min(len(times) - 1, int(len(times) * p))] * 1000 if times else 0.0

    print(f"{args.users} staff, {elapsed:.0f} s, gunicorn --workers {args.workers}, PostgreSQL")
    print(f"requests: {len(samples)}  ({len(samples) / elapsed:.1f}/s)   errors: {len(errors)}")
    print(f"latency: p50 {pct(0.50):.0f} ms  p95 {pct(0.95):.0f} ms  p99 {pct(0.99):.0f} ms")
    saved = sum(1 for name, status, _ in samples if name == "save order" and status == 302)
    print(f"orders saved: {saved} (the rest of the saves answered with the form, e.g. no stock)")
    by_name: dict[str, list[float]] = {}
    for name, status, seconds in samples:
        if status > 0:
            by_name.setdefault(name, []).append(seconds * 1000)
    for name, values in sorted(by_name.items()):
        print(f"  {name:<24} {len(values):>6} requests  median {statistics.median(values):6.0f} ms")
    if errors:
        print("errors:", errors[:10])
    failed = 0
    for command in ("stock_reconcile", "rollups_check"):
        check = subprocess.run(
            [sys.executable, "manage.py", command],
            cwd=ROOT,
            env=env,
            text=True,
            capture_output=True,
        )
        last = check.stdout.strip().splitlines()[-1] if check.stdout else check.stderr
        print(f"{command}:", last)
        failed = failed or check.returncode
    sys.exit(1 if errors or failed else 0)


if __name__ == "__main__":
    main()
