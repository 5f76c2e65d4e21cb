"""The CSV feed in bounded memory (run by hand): peak RSS while a stock CSV file of N lines is
read and checked, for several N, each in a fresh process.

    DEBUG=1 .venv/bin/python bench/csv_feed.py                # 100k and 1M lines, parse only
    DEBUG=1 .venv/bin/python bench/csv_feed.py --download     # also a whole download of 1M lines
                                                              # (into the configured database)

"parse" streams the file through `csv_stock_records` (every check, the repeated-pair index on
disk) and drops the records; "download" runs `inventory_download` of the file for a new merchant
(staging, checks, apply). Peak RSS is the process's `ru_maxrss`; the baseline is the same
process after Django's set-up, before the file is opened. Its last line is
`csv_lines=<n> parse_peak_mb=<p> parse_baseline_mb=<b> parse_s=<s>` for the largest file.
"""

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_file(path: Path, lines: int) -> None:
    rng = random.Random(lines)
    warehouses = ["EAST", "WEST", "", "NORTH"]
    with open(path, "w", encoding="utf-8", newline="") as output:
        output.write(
            "warehouse,sku,on_hand,available,allocated,on_hold,updated_at,name,alias:UPC\n"
        )
        for number in range(lines):
            warehouse = warehouses[number % 4]
            on_hand = rng.randint(0, 500)
            allocated = rng.randint(0, min(on_hand, 20))
            output.write(
                f"{warehouse},SKU-{number // 4:07d},{on_hand},{on_hand - allocated},{allocated},0,"
                f"2026-01-05T10:00:00Z,Product {number // 4} ‫שם‬,{100000000000 + number // 4}\n"
            )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, path: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integration_manager.settings")
    import django

    django.setup()
    from warehouses.connectors.csv_feed import csv_stock_records

    baseline = peak_mb()
    started = time.monotonic()
    if mode == "parse":
        count = 0
        with open(path, "rb") as source:
            for _ in csv_stock_records(iter(lambda: source.read(65536), b"")):
                count += 1
        detail = f"records={count}"
    else:
        from django.test.utils import override_settings

        from merchants.services import merchant_create
        from sync.models import RunTrigger
        from sync.services.download import inventory_download
        from warehouses.connectors.csv_feed import csv_upload_connector

        upload_root = Path(path).parent / "uploads"
        with override_settings(CSV_UPLOAD_ROOT=upload_root):
            merchant = merchant_create(name=f"CSV bench {time.time_ns()}", connector_key="csv_feed")
            folder = upload_root / str(merchant.pk)
            folder.mkdir(parents=True, exist_ok=True)
            name = time.strftime("%Y%m%dT%H%M%S") + "-00000000.csv"
            (folder / name).symlink_to(path)
            run = inventory_download(
                merchant=merchant,
                trigger=RunTrigger.MANUAL,
                connector=csv_upload_connector(merchant_id=merchant.pk, file_name=name),
                accept_suspicious=True,
            )
        detail = f"state={run.state} read={run.records_read} changed={run.records_changed}"
    seconds = time.monotonic() - started
    print(f"{mode} {detail} baseline_mb={baseline:.0f} peak_mb={peak_mb():.0f} s={seconds:.1f}")


def run_child(mode: str, path: Path) -> dict[str, str]:
    output = (
        subprocess.run(  # noqa: S603 - our own script
            [sys.executable, __file__, "--child", mode, str(path)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    print(f"  {output}", flush=True)
    return dict(part.split("=", 1) for part in output.split()[1:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=2)
    parser.add_argument("--lines", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--download", action="store_true")
    options = parser.parse_args()
    if options.child:
        child(*options.child)
        return
    last = {}
    with tempfile.TemporaryDirectory(prefix="csv-bench-") as folder:
        for lines in options.lines:
            path = Path(folder) / f"stock-{lines}.csv"
            write_file(path, lines)
            size_mb = path.stat().st_size / 1024 / 1024
            print(f"{lines:,} lines ({size_mb:.0f} MB):", flush=True)
            last = run_child("parse", path)
            if options.download and lines == max(options.lines):
                run_child("download", path)
    print(
        f"csv_lines={max(options.lines)} parse_peak_mb={last['peak_mb']} "
        f"parse_baseline_mb={last['baseline_mb']} parse_s={last['s']}"
    )


if __name__ == "__main__":
    main()
