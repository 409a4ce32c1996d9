"""Run every benchmark in turn; each prints its own table."""

import subprocess
import sys
from pathlib import Path

BENCHMARKS = [
    "bench_issue.py",
    "bench_issue_pdf.py",
    "bench_validation.py",
    "bench_throughput.py",
    # The first run fills two databases with 100,000 invoices: 10 to 30 minutes.
    "bench_scale.py",
]


def main() -> int:
    folder = Path(__file__).resolve().parent
    for name in BENCHMARKS:
        print("\n== %s" % name, flush=True)
        result = subprocess.run([sys.executable, str(folder / name)], check=False)
        if result.returncode != 0:
            return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
