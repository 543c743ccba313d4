"""The benchmark: seed (or reuse) databases, measure, print a table, write JSON and README.

    python bench/run.py                 # everything (first run seeds 1M orders: ~10 minutes)
    python bench/run.py --groups pages  # one group
    BENCH_PG=postgres://user@host:5432 python bench/run.py

Databases (created when missing, reused when they already hold the right sizes), named
BENCH_DB_PREFIX (default backoffice_bench) + _small, _large, _race, _vendor:
  backoffice_bench_small  1,000 products, 1,000 customers, 1,000 orders
  backoffice_bench_large  100,000 products, 100,000 customers, 1,000,000 orders
  backoffice_bench_race   made afresh on every run for the concurrency measurement
Measurements run with the production settings (--settings development to compare), their
static files built by collectstatic into a temporary folder first. Each figure is printed
beside the limit or peer it is held against; a run of every group writes the table into
bench/README.md between the bench-results markers (--readme: after any run).
Never part of the test suite.
"""

import argparse
import datetime
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
MYSQL_SERVER = os.environ.get("BENCH_MYSQL", "mysql://root@127.0.0.1:3306")
PREFIX = os.environ.get("BENCH_DB_PREFIX", "backoffice_bench")
README = ROOT / "bench" / "README.md"
MARKERS = ("<!-- bench-results:start -->", "<!-- bench-results:end -->")
# The host the benchmark's requests name, over HTTPS, as production is served.
HOST = "localhost"
# The new-product import on every supported database, the same 20k-row file, fresh each run.
VENDOR_URLS = {
    "postgresql": f"{SERVER}/{PREFIX}_vendor",
    "mysql": f"{MYSQL_SERVER}/{PREFIX}_vendor",
    "sqlite": "",  # DATABASE_URL unset: SQLite, in the file below
}
VENDOR_SQLITE = ROOT / "bench" / "results" / "vendor.sqlite3"
SIZES = {
    "small": {"categories": 20, "products": 1_000, "customers": 1_000, "orders": 1_000},
    "large": {"categories": 50, "products": 100_000, "customers": 100_000, "orders": 1_000_000},
    "race": {"categories": 2, "products": 220, "customers": 8, "orders": 0},
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
    ("dashboard", "large"),
    ("race", "race"),
    ("import_vendor", "vendors"),
]
# Groups that write (and roll back) a lot: the database is vacuumed after them, as
# autovacuum would (it is off on the benchmark machine), and before every page timing.
WRITES = {"imports", "admin_import", "add_order", "race"}
SETTINGS = {
    "production": "backoffice.settings.production",
    "development": "backoffice.settings.development",
}


def settings_env(settings: str, static_root: str) -> dict:
    """The environment the chosen settings run under, as a deployment would set it."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS[settings], "BENCH_HOST": HOST}
    if settings == "production":
        env.update(
            {
                "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": HOST,
                "STATIC_ROOT": static_root,
                "LOG_LEVEL": "WARNING",
            }
        )
    return env


def build_static(env: dict) -> None:
    """Build the static files and their manifest (the production settings need both)."""
    subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), "collectstatic", "--noinput"],
        env=env,
        check=True,
        capture_output=True,
    )


def url(size: str) -> str:
    return f"{SERVER}/{PREFIX}_{size}"


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
        return tuple(int(x) for x in psql(sql, f"{PREFIX}_{size}").split("|"))
    except subprocess.CalledProcessError:
        return (-1, -1, -1)


def prepare(size: str, fresh: bool = False) -> None:
    target = SIZES[size]
    name = f"{PREFIX}_{size}"
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


def prepare_vendor(vendor: str, base_env: dict) -> dict:
    """A fresh, migrated database of ``vendor``; return the environment that selects it."""
    env = dict(base_env)
    if vendor == "postgresql":
        psql(f'DROP DATABASE IF EXISTS "{PREFIX}_vendor"')
        psql(f'CREATE DATABASE "{PREFIX}_vendor"')
    elif vendor == "mysql":
        host = MYSQL_SERVER.split("@")[-1].split(":")[0]
        subprocess.run(
            ["mysql", "-h", host, "-uroot", "-e",
             f"DROP DATABASE IF EXISTS {PREFIX}_vendor; "
             f"CREATE DATABASE {PREFIX}_vendor CHARACTER SET utf8mb4"],
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


def measure(group: str, size: str, repeat: int, base_env: dict) -> list[dict]:
    if group == "import_vendor":
        results = []
        for vendor in VENDOR_URLS:
            results.extend(run_measure(group, repeat, prepare_vendor(vendor, base_env), vendor))
        return results
    return run_measure(group, repeat, {**base_env, "DATABASE_URL": url(size)}, size)


def run_measure(group: str, repeat: int, env: dict, size: str) -> list[dict]:
    done = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "measure.py"), group, f"--repeat={repeat}"],
        env=env,
        text=True,
        capture_output=True,
    )
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"bench/measure.py {group} failed on {size} (exit {done.returncode})")
    results = json.loads(done.stdout.strip().splitlines()[-1])
    for entry in results:
        entry["database"] = size
    return results


def vacuum(size: str) -> None:
    """Clear the dead rows of rolled-back writes and refresh the planner's statistics."""
    if size in SIZES:
        psql("VACUUM ANALYZE", f"{PREFIX}_{size}")


# The table -------------------------------------------------------------------------------------


# Figures shown beside the main one, when a measurement has them.
NOTES = (
    "sql_ms", "cpu_ms", "write_queries", "history_rows", "ledger_rows", "first_bytes_s",
    "first_rows_s", "file_mb", "cpu_s", "rows_per_cpu_s", "peak_rss_mb", "page_bytes",
    "orders_placed", "orders_per_s", "refused_not_enough_stock", "oversold_products",
    "reconcile_disagreements",
)  # fmt: skip


def figure(r: dict) -> str:
    """The measurement's main figure: a rate when it has one, else the median time."""
    spread = f"{r['min_s'] * 1000:,.1f} to {r['max_s'] * 1000:,.1f}"
    if "rows_per_s" in r:
        text = f"{r['rows_per_s']:,.0f} rows/s ({r['median_s']:.2f} s)"
    else:
        text = f"{r['median_s'] * 1000:,.1f} ms ({spread})"
    notes = []
    if "queries" in r:
        notes.append(f"{r['queries']} queries")
    for key in NOTES:
        if key in r:
            value = r[key]
            notes.append(f"{key}={value:,.3g}" if isinstance(value, float) else f"{key}={value:,}")
    return ", ".join([text, *notes])


def held_against(r: dict, results: list[dict]) -> tuple[str, bool | None]:
    """What the figure is held against, and whether it is met (None: a comparison only)."""
    parts = [r["limit"]] if "limit" in r else []
    met = r.get("met")
    for name in r.get("peer", []):
        peer = next((p for p in results if p["name"] == name), None)
        if peer is None:
            continue
        if "rows_per_s" in r and "rows_per_s" in peer:
            ratio = r["rows_per_s"] / peer["rows_per_s"]
            parts.append(f"{name}: {peer['rows_per_s']:,.0f} rows/s (ratio {ratio:,.3g})")
        else:
            ratio = r["median_s"] / peer["median_s"]
            parts.append(f"{name}: {peer['median_s'] * 1000:,.1f} ms (ratio {ratio:,.3g})")
    # A list page at 1M orders runs the same queries as on the small database.
    small = next(
        (p for p in results
         if r["database"] == "large" and p["database"] == "small" and p["name"] == r["name"]
         and "queries" in p and "queries" in r),
        None,
    )  # fmt: skip
    if small is not None:
        same = small["queries"] == r["queries"]
        parts.append(
            f"small db: {small['median_s'] * 1000:,.1f} ms, {small['queries']} queries (same)"
        )
        met = same if met is None else met and same
    return "; ".join(parts) or "—", met


def table(results: list[dict]) -> str:
    lines = [
        "| measurement | db | figure | held against | met |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        against, met = held_against(r, results)
        verdict = "" if met is None else "met" if met else "**MISSED**"
        lines.append(f"| {r['name']} | {r['database']} | {figure(r)} | {against} | {verdict} |")
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        postgres = psql("SHOW server_version").split()[0]
    except (subprocess.CalledProcessError, FileNotFoundError):
        postgres = "?"
    return (
        f"{platform.node()}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()},"
        f" PostgreSQL {postgres}"
    )


def heading(settings: str, groups: list[str], started: datetime.datetime, load: float) -> str:
    # Other work on the machine slows every figure down: the load says how busy it was.
    return (
        f"Run {started:%Y-%m-%d %H:%M} UTC on {machine()}; settings: {settings};"
        f" groups: {', '.join(groups)}; load average {load:.1f} at the start,"
        f" {os.getloadavg()[0]:.1f} at the end."
    )


def write_readme(text: str) -> None:
    """Put ``text`` between the bench-results markers of bench/README.md."""
    readme = README.read_text()
    start, end = MARKERS
    if start not in readme or end not in readme:
        raise SystemExit(f"{README} has no {start} … {end} section to write the table into.")
    before, rest = readme.split(start, 1)
    _, after = rest.split(end, 1)
    README.write_text(f"{before}{start}\n{text}\n{end}{after}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--groups", nargs="*", help="only these groups")
    parser.add_argument(
        "--databases", nargs="*", help="only on these databases (small, large, race, vendors)"
    )
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "latest.json"))
    parser.add_argument("--settings", choices=sorted(SETTINGS), default="production")
    parser.add_argument(
        "--readme",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write the table into bench/README.md (default: only when every group ran)",
    )
    args = parser.parse_args()
    started = datetime.datetime.now(datetime.UTC)
    load = os.getloadavg()[0]
    plan = [
        (g, s)
        for g, s in PLAN
        if (not args.groups or g in args.groups) and (not args.databases or s in args.databases)
    ]
    for size in sorted({s for _, s in plan} - {"vendors"}):
        prepare(size, fresh=size == "race")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-static-") as static_root:
        env = settings_env(args.settings, static_root)
        if args.settings == "production":
            print(f"building static files into {static_root} …", flush=True)
            build_static(env)
        for group, size in plan:
            if group == "pages":
                vacuum(size)  # whatever ran before, the pages meet a vacuumed database
            print(f"measuring {group} on {size} …", flush=True)
            heavy = ("imports", "export", "export_xlsx", "admin_import", "import_vendor")
            repeat = 1 if group == "race" else (3 if group in heavy else args.repeat)
            results.extend(measure(group, size, repeat, env))
            if group in WRITES:
                vacuum(size)
    groups = list(dict.fromkeys(g for g, _ in plan))
    report = heading(args.settings, groups, started, load) + "\n\n" + table(results)
    missed = [r for r in results if held_against(r, results)[1] is False]
    report += f"\n\n{len(missed)} of the figures held against a limit missed it."
    print()
    print(report)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"results": results, "table": report}, indent=1))
    print(f"\nJSON: {out}")
    full = plan == PLAN
    if args.readme or (args.readme is None and full):
        write_readme(report)
        print(f"table written into {README}")


if __name__ == "__main__":
    main()
