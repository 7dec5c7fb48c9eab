#!/usr/bin/env python3
"""`make bench`: kpipe against its peers on this machine, in the same run, alternating A B A B.

Writes BENCHMARKS.md: median wall time, records/s, peak RSS, and peer-time / kpipe-time per pair
(>= 1 means kpipe is as fast or faster). BENCH_ROWS scales the data (default 1,000,000),
BENCH_REPEAT the runs per side (default 3).
"""
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KPIPE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "kpipe"))
ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
WORK = tempfile.mkdtemp(prefix="kpipe-bench-")
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
os.environ.setdefault("KPIPE", KPIPE)
os.environ.setdefault("KPIPE_SOURCE_DIR", ROOT)
import dbserver  # noqa: E402  (the tests' throwaway servers)
import harness  # noqa: E402

results = []  # (workload, side, [walls], [rss_kb], records)


def timed(cmd, shell=False, env=None):
    """Runs cmd under /usr/bin/time -v; returns (wall seconds, peak RSS kB)."""
    full = ["/usr/bin/time", "-v"] + (["bash", "-c", cmd] if shell else cmd)
    start = time.monotonic()
    out = subprocess.run(full, capture_output=True, env=env)
    wall = time.monotonic() - start
    if out.returncode != 0:
        raise RuntimeError(f"{cmd} failed: {out.stderr.decode()[-2000:]}")
    rss = int(re.search(rb"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1))
    return wall, rss


def alternate(name, records, sides):
    """sides: list of (label, prepare(), command, shell). Runs them A B A B ... REPEAT times."""
    runs = {label: ([], []) for label, *_ in sides}
    for _ in range(REPEAT):
        for label, prepare, cmd, shell in sides:
            if prepare:
                prepare()
            wall, rss = timed(cmd, shell)
            runs[label][0].append(wall)
            runs[label][1].append(rss)
    for label, *_ in sides:
        results.append((name, label, runs[label][0], runs[label][1], records))
    print(f"{name}: " + ", ".join(f"{l} {statistics.median(runs[l][0]):.2f}s" for l, *_ in sides), flush=True)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def fresh(*paths):
    def go():
        for p in paths:
            if os.path.isdir(p):
                shutil.rmtree(p)
            elif os.path.exists(p):
                os.remove(p)
    return go


def file_to_kafka(kafka):
    data = os.path.join(WORK, "lines.txt")
    with open(data, "w") as f:
        for i in range(2 * ROWS):
            f.write(f"2026-11-22T08:00:01Z login user=user{i:08d} ip=10.0.{i % 256}.{i % 199} ok\n")
    p = write(os.path.join(WORK, "f2k.yaml"),
              f"name: f2k\nsource: {{connector: file, file: {data}, topic: lines}}\n"
              f"converter: {{value: string}}\nsink: {{connector: kafka, bootstrap.servers: '{kafka.bootstrap}'}}\n")
    alternate("1. file → Kafka, string", 2 * ROWS, [
        ("kpipe", fresh(os.path.join(WORK, "f2k.offsets.json")), [KPIPE, "run", p], False),
        ("kcat -P", None, ["kcat", "-P", "-b", kafka.bootstrap, "-t", "lines", "-l", data], False),
    ])


def postgres_to_kafka(pg, kafka):
    pg.exec("CREATE TABLE t (id bigint PRIMARY KEY, username text NOT NULL, login_time timestamptz NOT NULL, "
            "amount numeric(12,2), payload text)")
    pg.exec(f"INSERT INTO t SELECT i, 'user' || i, timestamptz '2024-01-01' + i * interval '1 millisecond', "
            f"(i % 100000) / 100.0, repeat(md5(i::text), 3) FROM generate_series(1, {ROWS}) i")
    pg.exec("CREATE INDEX ON t (login_time)")
    pg.exec("VACUUM ANALYZE t")
    for schemas in ("false", "true"):
        write(os.path.join(WORK, f"pg2k-{schemas}.yaml"),
              f"name: pg2k{schemas}\nsource:\n  connector: jdbc\n  connection.url: {pg.url}\n  mode: timestamp\n"
              f"  table.whitelist: t\n  timestamp.column.name: login_time\n  batch.max.rows: 10000\n"
              f"converter: {{value: json, value.schemas.enable: {schemas}}}\n"
              f"sink: {{connector: kafka, bootstrap.servers: '{kafka.bootstrap}', topic: pg}}\n")
    off = lambda s: os.path.join(WORK, f"pg2k{s}.offsets.json")  # noqa: E731
    peer = (f"psql '{pg.url}' -c \"COPY (SELECT row_to_json(t) FROM t ORDER BY login_time) TO STDOUT\" "
            f"| kcat -P -b {kafka.bootstrap} -t pgpeer")
    alternate("2. PostgreSQL → Kafka, JSON", ROWS, [
        ("kpipe", fresh(off("false")), [KPIPE, "run", os.path.join(WORK, "pg2k-false.yaml")], False),
        ("psql COPY → kcat", None, peer, True),
    ])
    alternate("3. PostgreSQL → Kafka, JSON with schemas", ROWS, [
        ("kpipe", fresh(off("true")), [KPIPE, "run", os.path.join(WORK, "pg2k-true.yaml")], False),
    ])
    # 8. Cron no-op: the offsets are at the end; a run finds nothing new.
    alternate("8. cron no-op (nothing new)", 0, [
        ("kpipe", None, [KPIPE, "run", os.path.join(WORK, "pg2k-false.yaml")], False),
        ("psql max()", None, ["psql", pg.url, "-Atc", "SELECT max(login_time) FROM t"], False),
    ])


def memory(pg):
    """7. Peak RSS of workload 2 at ROWS and 5 x ROWS: must not grow with the table."""
    pg.exec("CREATE TABLE big (LIKE t INCLUDING ALL)")
    pg.exec("INSERT INTO big SELECT * FROM t")
    pg.exec(f"INSERT INTO big SELECT id + {ROWS} * k, username, login_time + k * interval '1 day', amount, payload "
            f"FROM t, generate_series(1, 4) k")
    out = os.path.join(WORK, "mem.jsonl")
    for table, n in (("t", ROWS), ("big", 5 * ROWS)):
        p = write(os.path.join(WORK, f"mem-{table}.yaml"),
                  f"name: mem{table}\nsource:\n  connector: jdbc\n  connection.url: {pg.url}\n  mode: timestamp\n"
                  f"  table.whitelist: {table}\n  timestamp.column.name: login_time\n  batch.max.rows: 10000\n"
                  f"converter: {{value: json, value.schemas.enable: false}}\n"
                  f"sink: {{connector: file, file: {out}}}\n")
        fresh(out, os.path.join(WORK, f"mem{table}.offsets.json"))()
        wall, rss = timed([KPIPE, "run", p])
        results.append((f"7. memory, PostgreSQL → file, {n:,} rows", "kpipe", [wall], [rss], n))
        print(f"memory {n}: {rss} kB", flush=True)
    fresh(out)()


def report():
    cpu = "unknown"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    versions = {
        "kpipe": subprocess.run([KPIPE, "--version"], capture_output=True).stdout.decode().strip(),
        "kcat": subprocess.run(["kcat", "-V"], capture_output=True).stdout.decode().splitlines()[0],
        "psql": subprocess.run(["psql", "--version"], capture_output=True).stdout.decode().strip(),
    }
    lines = ["# Benchmarks", "",
             f"`make bench` on {platform.node()}: {os.cpu_count()} cores, {cpu}; "
             f"BENCH_ROWS={ROWS}, {REPEAT} runs per side, alternating. "
             + "; ".join(f"{k}: {v}" for k, v in versions.items()), "",
             "Ratio = peer median time / kpipe median time (>= 1: kpipe as fast or faster).", "",
             "| workload | tool | median s | records/s | peak RSS MB | ratio |",
             "|---|---|---:|---:|---:|---:|"]
    by_name = {}
    for name, side, walls, rss, records in results:
        by_name.setdefault(name, []).append((side, walls, rss, records))
    for name, sides in by_name.items():
        kp = next((statistics.median(w) for s, w, _, _ in sides if s == "kpipe"), None)
        for side, walls, rss, records in sides:
            med = statistics.median(walls)
            rate = f"{records / med:,.0f}" if records else "-"
            ratio = f"{med / kp:.2f}" if side != "kpipe" and kp else ""
            lines.append(f"| {name} | {side} | {med:.3f} | {rate} | {max(rss) / 1024:.1f} | {ratio} |")
    text = "\n".join(lines) + "\n"
    write(os.path.join(ROOT, "BENCHMARKS.md"), text)
    print(text)


def main():
    kafka = harness.MockKafka(topics=["lines:1", "pg:1", "pgpeer:1"])
    pg = dbserver.Postgres()
    try:
        file_to_kafka(kafka)
        postgres_to_kafka(pg, kafka)
        memory(pg)
    finally:
        pg.stop()
        kafka.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    report()


if __name__ == "__main__":
    main()
