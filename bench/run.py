"""The benchmark: seed (or reuse) PostgreSQL databases, measure, print a table, write JSON.

    python bench/run.py                 # everything (first run seeds 1M orders: ~10 minutes)
    python bench/run.py --groups pages  # one group
    BENCH_PG=postgres://user@host:5432 python bench/run.py

Databases (created when missing, reused when they already hold the right sizes):
  backoffice_bench_small  1,000 products, 1,000 customers, 1,000 orders
  backoffice_bench_large  100,000 products, 100,000 customers, 1,000,000 orders
  backoffice_bench_race   made afresh on every run for the concurrency measurement
Never part of the test suite.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
MYSQL_SERVER = os.environ.get("BENCH_MYSQL", "mysql://root@127.0.0.1:3306")
# The new-product import on every supported database, the same 20k-row file, fresh each run.
VENDOR_URLS = {
    "postgresql": f"{SERVER}/backoffice_bench_vendor",
    "mysql": f"{MYSQL_SERVER}/backoffice_bench_vendor",
    "sqlite": "",  # DATABASE_URL unset: SQLite, in the file below
}
VENDOR_SQLITE = ROOT / "bench" / "results" / "vendor.sqlite3"
SIZES = {
    "small": {"categories": 20, "products": 1_000, "customers": 1_000, "orders": 1_000},
    "large": {"categories": 50, "products": 100_000, "customers": 100_000, "orders": 1_000_000},
    "race": {"categories": 2, "products": 20, "customers": 8, "orders": 0},
}
# Which database each group runs against.
PLAN = [
    ("imports", "small"),
    ("admin_import", "small"),
    ("pages", "small"),
    ("pages", "large"),
    ("export", "large"),
    ("export_xlsx", "large"),
    ("add_order", "large"),
    ("race", "race"),
    ("import_vendor", "vendors"),
]


def url(size: str) -> str:
    return f"{SERVER}/backoffice_bench_{size}"


def manage(size: str, *args: str, capture: bool = True) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": url(size),
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.development",
    }
    done = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        env=env,
        check=True,
        text=True,
        capture_output=capture,
    )
    return done.stdout if capture else ""


def psql(sql: str, database: str = "postgres") -> str:
    out = subprocess.run(
        ["psql", f"{SERVER}/{database}", "-tAc", sql], check=True, text=True, capture_output=True
    )
    return out.stdout.strip()


def counts(size: str) -> tuple[int, int, int]:
    sql = (
        "select (select count(*) from catalog_product), (select count(*) from orders_customer),"
        " (select count(*) from orders_order)"
    )
    try:
        return tuple(int(x) for x in psql(sql, f"backoffice_bench_{size}").split("|"))
    except subprocess.CalledProcessError:
        return (-1, -1, -1)


def prepare(size: str, fresh: bool = False) -> None:
    target = SIZES[size]
    name = f"backoffice_bench_{size}"
    wanted = (target["products"], target["customers"], target["orders"])
    exists = psql(f"select 1 from pg_database where datname = '{name}'") == "1"
    if exists and not fresh:
        manage(size, "migrate", "--noinput")
        if counts(size) == wanted:
            print(f"[{size}] reusing {name}: {wanted}", flush=True)
            return
    print(f"[{size}] creating {name} and seeding {target} …", flush=True)
    psql(f'DROP DATABASE IF EXISTS "{name}"')
    psql(f'CREATE DATABASE "{name}"')
    manage(size, "migrate", "--noinput")
    started = time.perf_counter()
    manage(
        size,
        "seed",
        *[f"--{key}={value}" for key, value in target.items() if key != "orders"],
        f"--orders={target['orders']}",
        "--days=365",
        "--end=2026-11-20",
        "--seed=42",
        capture=False,
    )
    # What autovacuum does on a live database: statistics, and the visibility map that lets
    # counts read indexes only.
    psql("VACUUM ANALYZE", name)
    print(f"[{size}] seeded in {time.perf_counter() - started:.0f} s", flush=True)


def prepare_vendor(vendor: str) -> dict:
    """A fresh, migrated database of ``vendor``; return the environment that selects it."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.settings.development"}
    if vendor == "postgresql":
        psql('DROP DATABASE IF EXISTS "backoffice_bench_vendor"')
        psql('CREATE DATABASE "backoffice_bench_vendor"')
    elif vendor == "mysql":
        host = MYSQL_SERVER.split("@")[-1].split(":")[0]
        subprocess.run(
            ["mysql", "-h", host, "-uroot", "-e",
             "DROP DATABASE IF EXISTS backoffice_bench_vendor; "
             "CREATE DATABASE backoffice_bench_vendor CHARACTER SET utf8mb4"],
            check=True,
        )  # fmt: skip
    else:
        VENDOR_SQLITE.parent.mkdir(parents=True, exist_ok=True)
        VENDOR_SQLITE.unlink(missing_ok=True)
        env["SQLITE_PATH"] = str(VENDOR_SQLITE)
    if VENDOR_URLS[vendor]:
        env["DATABASE_URL"] = VENDOR_URLS[vendor]
    else:
        env.pop("DATABASE_URL", None)
    subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), "migrate", "--noinput"],
        env=env,
        check=True,
        capture_output=True,
    )
    return env


def measure(group: str, size: str, repeat: int) -> list[dict]:
    if group == "import_vendor":
        results = []
        for vendor in VENDOR_URLS:
            results.extend(run_measure(group, repeat, prepare_vendor(vendor), vendor))
        return results
    env = {
        **os.environ,
        "DATABASE_URL": url(size),
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.development",
    }
    return run_measure(group, repeat, env, size)


def run_measure(group: str, repeat: int, env: dict, size: str) -> list[dict]:
    done = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "measure.py"), group, f"--repeat={repeat}"],
        env=env,
        check=True,
        text=True,
        capture_output=True,
    )
    results = json.loads(done.stdout.strip().splitlines()[-1])
    for entry in results:
        entry["database"] = size
    return results


def table(results: list[dict]) -> str:
    pages = {
        (r["database"], r["name"]): r
        for r in results
        if "queries" in r
        and r["database"] in ("small", "large")
        and not r["name"].startswith("admin add")
    }
    lines = [
        f"{'measurement':<52} {'db':<6} {'median':>9} {'min':>9} {'max':>9} {'rows/s':>10}  notes",
        "-" * 120,
    ]
    for r in results:
        notes = []
        if r["database"] == "large" and ("small", r["name"]) in pages:
            small = pages[("small", r["name"])]
            notes.append(f"large/small {r['median_s'] / small['median_s']:.2f}")
            notes.append(f"queries {small['queries']}→{r['queries']}")
        elif "queries" in r:
            notes.append(f"queries {r['queries']}")
        for key in ("write_queries", "history_rows", "ledger_rows", "first_bytes_s",
                    "first_rows_s", "peak_rss_mb", "file_mb", "cpu_s", "rows_per_cpu_s",
                    "page_bytes", "orders_placed", "orders_per_s", "refused_not_enough_stock",
                    "oversold_products", "reconcile_disagreements", "target"):  # fmt: skip
            if key in r:
                value = r[key]
                notes.append(f"{key}={value:.3f}" if isinstance(value, float) else f"{key}={value}")
        rate = f"{r['rows_per_s']:,.0f}" if "rows_per_s" in r else ""
        lines.append(
            f"{r['name']:<52} {r['database']:<6} {r['median_s'] * 1000:>7.1f}ms "
            f"{r['min_s'] * 1000:>7.1f}ms {r['max_s'] * 1000:>7.1f}ms {rate:>10}  "
            + ", ".join(notes)
        )
    fast = next((r for r in results if r["name"].startswith("import: 100k new")), None)
    default = next((r for r in results if "defaults" in r["name"]), None)
    copy = next((r for r in results if "raw PostgreSQL COPY" in r["name"]), None)
    if fast and default and copy:
        lines.append(
            f"import ratios: fast/default {fast['rows_per_s'] / default['rows_per_s']:.1f}x, "
            f"fast/raw COPY {fast['rows_per_s'] / copy['rows_per_s']:.3f}"
        )
    streamed = next((r for r in results if "streamed" in r["name"]), None)
    default_export = next((r for r in results if r["name"].startswith("export: django")), None)
    if streamed and default_export:
        lines.append(
            "export ratio: streamed/default "
            f"{streamed['rows_per_s'] / default_export['rows_per_s']:.1f}x"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--groups", nargs="*", help="only these groups")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "latest.json"))
    args = parser.parse_args()
    plan = [(g, s) for g, s in PLAN if not args.groups or g in args.groups]
    for size in sorted({s for _, s in plan} - {"vendors"}):
        prepare(size, fresh=size == "race")
    results = []
    for group, size in plan:
        print(f"measuring {group} on {size} …", flush=True)
        heavy = ("imports", "export", "export_xlsx", "admin_import", "import_vendor")
        repeat = 1 if group == "race" else (3 if group in heavy else args.repeat)
        results.extend(measure(group, size, repeat))
    report = table(results)
    print()
    print(report)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"results": results, "table": report}, indent=1))
    print(f"\nJSON: {out}")


if __name__ == "__main__":
    main()
