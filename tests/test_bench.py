"""The benchmarks still run (tiny sizes): they print the figures the README shows, and a
benchmark that rotted would only be found the day someone needs it. Their goals are
ratios printed for people, never asserted on timing here."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.sqlite_only  # once per CI run is enough


def bench(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT,  # noqa: S603 - our scripts
                          capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_pages_bench():
    out = bench("bench/pages.py", "--pledges", "20", "--rounds", "1", "--requests", "2")
    assert "campaign page, signed-in backer" in out and "ratio" in out


def test_close_bench():
    out = bench("bench/close.py", "--pledges", "30", "--pledges", "60")
    assert "failed       60" in out and "funded       60" in out
    assert "(bench: funded: charged (succeeded: 60))" in out
    assert "0 5xx (goal 0)" in out


def test_pledge_bench_and_the_race():
    out = bench("bench/pledge.py", "--clients", "4", "--requests", "1", "--rounds", "1",
                "--race", "120", "--workers", "sync")
    assert "errors: bare 0, ours 0" in out
    assert "race (sync): 100 of 120 won the 100 units" in out


def test_settle_bench():
    out = bench("bench/settle.py", "--pledges", "10")
    assert "(bench: funded: charged (succeeded: 10))" in out


def test_outbox_bench():
    out = bench("bench/outbox.py", "--messages", "40", "--senders", "1", "--senders", "2")
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [(row[0], row[-2], row[-1]) for row in rows] == [("1", "0", "0"), ("2", "0", "0")]


def test_sizes_bench_prints_a_factor_per_reader():
    out = bench("bench/sizes.py", "--small", "20", "--large", "300", "--rounds", "1",
                "--requests", "2")
    assert "campaign page uncached, 20 vs 300 pledges" in out
    rows = {line[:18].strip(): line[18:].split() for line in out.splitlines()
            if line.startswith(("anonymous", "signed-in backer"))}
    assert set(rows) == {"anonymous", "signed-in backer"}
    for small, large, factor in rows.values():  # figures, not blanks: ms, ms, large / small
        assert float(factor) == pytest.approx(float(large) / float(small), abs=0.02)


def test_spike_bench_prints_p99s_replaced_workers_and_their_ratio():
    out = bench("bench/spike.py", "--seconds", "1", "--rounds", "1", "--pledges", "20",
                "--connections", "4", "--max-requests", "5")
    rows = {line[:34].strip(): line[34:].split() for line in out.splitlines()
            if line.startswith(("bare page", "campaign page"))}
    assert set(rows) == {"bare page (1 SELECT + template)", "campaign page, anonymous"}
    for rate, p50, p99, non_200, replaced in rows.values():
        assert float(rate) > 0 and float(p99) >= float(p50) > 0
        assert non_200 == "0" and int(replaced) >= 1  # workers were replaced in the run
    assert "p99 ours / bare: " in out
