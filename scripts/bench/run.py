#!/usr/bin/env python3
"""`make bench`: kpipe against its peers on this machine, in the same run, alternating A B A B.

Writes BENCHMARKS.md: median wall time, records/s, peak RSS, and peer-time / kpipe-time per pair
(>= 1 means kpipe is as fast or faster). BENCH_ROWS scales the data (default 1,000,000),
BENCH_REPEAT the runs per side (default 3).
"""
import base64
import hashlib
import json
import math
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
# BENCH_ONLY=1,5: run only these workloads (numbers as in the table); BENCHMARKS.md is then left alone.
ONLY = {int(n) for n in os.environ.get("BENCH_ONLY", "").split(",") if n.strip()}
WORK = tempfile.mkdtemp(prefix="kpipe-bench-")
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
os.environ.setdefault("KPIPE", KPIPE)
os.environ.setdefault("KPIPE_SOURCE_DIR", ROOT)
import dbserver  # noqa: E402  (the tests' throwaway servers)
import harness  # noqa: E402

results = []  # (workload, side, [walls], [rss_kb], records)
notes = []  # lines under the table: skipped peers, wrong results


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
    """sides: list of (label, prepare(), command, shell[, check()]). Runs them A B A B ... REPEAT
    times; check (untimed, after each run) returns None or what is wrong with the result.
    BENCH_KPIPE_B=path adds a side "kpipe B" running that binary, for A/B comparisons of builds."""
    other = os.environ.get("BENCH_KPIPE_B")
    if other:
        sides = sides + [("kpipe B", prepare, [other if c == KPIPE else c for c in cmd], shell, *check)
                         for label, prepare, cmd, shell, *check in sides if label == "kpipe"]
    runs = {label: ([], []) for label, *_ in sides}
    for _ in range(REPEAT):
        for label, prepare, cmd, shell, *check in sides:
            if prepare:
                prepare()
            wall, rss = timed(cmd, shell)
            wrong = check[0]() if check and check[0] else None
            if wrong:
                notes.append(f"{name}, {label}: {wrong}")
                print(f"{name}, {label}: WRONG: {wrong}", flush=True)
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
    # 9. The same pipeline with the transforms a JDBC source usually carries: key by id, a
    # timestamp as text. Ratio: what the chain costs (the issue allows 1.15).
    chain = ("transforms:\n  - {type: ValueToKey, fields: id}\n  - {type: ExtractField$Key, field: id}\n"
             "  - type: TimestampConverter$Value\n    field: login_time\n    target.type: string\n"
             "    format: \"yyyy-MM-dd'T'HH:mm:ss.SSSX\"\n")
    with open(os.path.join(WORK, "pg2k-false.yaml")) as f:
        plain = f.read()
    write(os.path.join(WORK, "pg2k-chain.yaml"),
          plain.replace("name: pg2kfalse", "name: pg2kchain").replace("converter:", chain + "converter:"))
    if not ONLY or 9 in ONLY:
        alternate("9. PostgreSQL → Kafka, JSON, + 3 transforms (ratio: their cost)", ROWS, [
            ("kpipe", fresh(off("false")), [KPIPE, "run", os.path.join(WORK, "pg2k-false.yaml")], False),
            ("kpipe + ValueToKey, ExtractField$Key, TimestampConverter", fresh(off("chain")),
             [KPIPE, "run", os.path.join(WORK, "pg2k-chain.yaml")], False),
        ])
    # 10. Avro with a Schema Registry (the stand-in: one registration per run) against JSON with
    # schemas: the same records in fewer bytes.
    if not ONLY or 10 in ONLY:
        registry = harness.SchemaRegistry()
        try:
            with open(os.path.join(WORK, "pg2k-true.yaml")) as f:
                with_schemas = f.read()
            write(os.path.join(WORK, "pg2k-avro.yaml"),
                  with_schemas.replace("name: pg2ktrue", "name: pg2kavro").replace(
                      "converter: {value: json, value.schemas.enable: true}",
                      f"converter: {{value: avro, value.schema.registry.url: '{registry.url}'}}"))
            alternate("10. PostgreSQL → Kafka, Avro vs JSON with schemas (ratio: JSON / Avro)", ROWS, [
                ("kpipe", fresh(off("avro")), [KPIPE, "run", os.path.join(WORK, "pg2k-avro.yaml")], False),
                ("kpipe, JSON with schemas", fresh(off("true")),
                 [KPIPE, "run", os.path.join(WORK, "pg2k-true.yaml")], False),
            ])
        finally:
            registry.stop()
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


COLUMNS = "id, username, login_time, amount, payload"
PG_TABLE = ("(id bigint PRIMARY KEY, username text NOT NULL, login_time timestamp(6) NOT NULL, "
            "amount numeric(12,2), payload text)")


def pgloader_binary():
    """pgloader (Debian package), installed with apt-get when missing; None (and a note) if it can't be
    or BENCH_PGLOADER=0."""
    if os.environ.get("BENCH_PGLOADER") == "0":
        return None
    if shutil.which("pgloader"):
        return shutil.which("pgloader")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"] if shutil.which("sudo") else None
    if sudo is not None:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        install = sudo + ["apt-get", "install", "-y", "-q", "pgloader"]
        for cmd in ([install] if subprocess.run(["apt-cache", "show", "pgloader"], capture_output=True).returncode == 0
                    else []) + [sudo + ["apt-get", "update", "-q"], install]:
            print("bench: " + " ".join(cmd), flush=True)
            subprocess.run(cmd, capture_output=True, env=env, timeout=600)
            if shutil.which("pgloader"):
                return shutil.which("pgloader")
    notes.append("pgloader could not be installed (apt-get install pgloader" +
                 (" needs root or passwordless sudo" if sudo is None else " failed") + "): its rows are skipped.")
    return None


def pg_digest(pg, table):
    """count, sum(amount), sum(length(payload)), max(login_time) to the microsecond."""
    return pg.query(f"SELECT count(*), sum(amount), sum(length(payload)), "
                    f"to_char(max(login_time), 'YYYY-MM-DD HH24:MI:SS.US') FROM {table}")[0]


def expect(pg, table, want):
    def check():
        try:
            got = pg_digest(pg, table)
        except RuntimeError as e:
            return " ".join(str(e).split("LINE 1")[0].split())
        return None if got == want else f"{table} holds (rows, sum amount, sum len payload, max time) {got}, expected {want}"
    return check


def pg_parts(pg):
    """host, port, database, user, password of pg.url (postgresql://user:pw@host:port/db)."""
    m = re.match(r"postgresql://([^:]+):([^@]+)@([^:/]+):(\d+)/(\w+)", pg.url)
    return m.group(3), m.group(4), m.group(5), m.group(1), m.group(2)


def mariadb_to_postgres(my, pg, pgloader):
    """4. MariaDB -> PostgreSQL bulk copy into a fresh table each run; peer pgloader."""
    my.exec("CREATE TABLE t (id BIGINT PRIMARY KEY, username VARCHAR(64) NOT NULL, login_time DATETIME(6) NOT NULL, "
            "amount DECIMAL(12,2), payload TEXT)")
    my.exec(f"INSERT INTO t SELECT seq, CONCAT('user', seq), TIMESTAMP('2024-01-01') + INTERVAL seq * 1000 MICROSECOND, "
            f"(seq % 100000) / 100, REPEAT(MD5(seq), 3) FROM seq_1_to_{ROWS}")
    want = [list(r) for r in my.query("SELECT COUNT(*), SUM(amount), SUM(LENGTH(payload)), "
                                      "DATE_FORMAT(MAX(login_time), '%Y-%m-%d %H:%i:%s.%f') FROM t")][0]
    p = write(os.path.join(WORK, "m2p.yaml"),
              f"name: m2p\nsource:\n  connector: jdbc\n  connection.url: '{my.url}'\n  mode: bulk\n"
              f"  table.whitelist: t\n  batch.max.rows: 10000\n"
              f"sink:\n  connector: jdbc\n  connection.url: {pg.url}\n  insert.mode: insert\n"
              f"  pk.mode: record_value\n  pk.fields: id\n  auto.create: true\n  table.name.format: m2p\n")

    def prepare_kpipe():
        fresh(os.path.join(WORK, "m2p.offsets.json"))()
        pg.exec("DROP TABLE IF EXISTS m2p")
    sides = [("kpipe", prepare_kpipe, [KPIPE, "run", p], False, expect(pg, "m2p", want))]
    if pgloader:
        # MySQL's database `kpipe` becomes a PostgreSQL schema: renamed to m2p_pgloader, dropped before each run.
        host, port, db, user, pw = pg_parts(pg)
        my_port = my.url.split("127.0.0.1:")[1].split("/")[0]
        load = write(os.path.join(WORK, "m2p.load"),
                     f"LOAD DATABASE\n  FROM mysql://kpipe:kpipe@127.0.0.1:{my_port}/kpipe\n"
                     f"  INTO postgresql://{user}:{pw}@{host}:{port}/{db}\n"
                     f"  WITH include drop, create tables, create indexes, reset sequences\n"
                     f"  INCLUDING ONLY TABLE NAMES MATCHING 't'\n"
                     f"  ALTER SCHEMA 'kpipe' RENAME TO 'm2p_pgloader';\n")
        sides.append(("pgloader", lambda: pg.exec("DROP SCHEMA IF EXISTS m2p_pgloader CASCADE"),
                      [pgloader, "--root-dir", os.path.join(WORK, "pgloader"), load], False,
                      expect(pg, "m2p_pgloader.t", want)))
    alternate("4. MariaDB → PostgreSQL, bulk copy", ROWS, sides)


def csv_to_postgres(pg, pgloader):
    """5. CSV file -> PostgreSQL insert into the same pre-created table, truncated before each run."""
    data = os.path.join(WORK, "rows.csv")
    base = 1704067200  # 2024-01-01T00:00:00Z
    with open(data, "w") as f:
        f.write("id,username,login_time,amount,payload\n")
        for i in range(1, ROWS + 1):
            s, ms = divmod(i, 1000)
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(base + s))
            f.write(f"{i},user{i},{stamp}.{ms:03d}000,{(i % 100000) // 100}.{i % 100:02d},"
                    f"{hashlib.md5(str(i).encode()).hexdigest() * 3}\n")
    pg.exec(f"CREATE TABLE c {PG_TABLE}")
    truncate = lambda: pg.exec("TRUNCATE c")  # noqa: E731
    # What \copy loads is the reference for the others.
    truncate()
    subprocess.run(["psql", pg.url, "-qc", f"\\copy c FROM '{data}' CSV HEADER"], check=True)
    want = pg_digest(pg, "c")
    p = write(os.path.join(WORK, "c2p.yaml"),
              f"name: c2p\nsource:\n  connector: file\n  file: {data}\n  topic: c\n  format: csv\n"
              f"  csv.schema: 'id:int64,username:string,login_time:timestamp,amount:decimal(12,2),payload:string'\n"
              f"sink:\n  connector: jdbc\n  connection.url: {pg.url}\n  insert.mode: insert\n"
              f"  table.name.format: c\n")

    def prepare_kpipe():
        fresh(os.path.join(WORK, "c2p.offsets.json"))()
        truncate()
    check = expect(pg, "c", want)
    sides = [("kpipe", prepare_kpipe, [KPIPE, "run", p], False, check),
             ("psql \\copy", truncate, ["psql", pg.url, "-qc", f"\\copy c FROM '{data}' CSV HEADER"], False, check)]
    if pgloader:
        host, port, db, user, pw = pg_parts(pg)
        load = write(os.path.join(WORK, "c2p.load"),
                     f"LOAD CSV\n  FROM '{data}' ({COLUMNS})\n"
                     f"  INTO postgresql://{user}:{pw}@{host}:{port}/{db}\n  TARGET TABLE c\n  ({COLUMNS})\n"
                     f"  WITH skip header = 1, fields terminated by ',', fields optionally enclosed by '\"';\n")
        sides.append(("pgloader", truncate, [pgloader, "--root-dir", os.path.join(WORK, "pgloader"), load], False,
                      check))
    alternate("5. CSV → PostgreSQL, insert", ROWS, sides)
    return want


def kafka_to_postgres(pg, want):
    """6. Kafka (mock) -> PostgreSQL upsert of Connect JSON records with schemas; records/s, no peer."""
    schema = json.dumps({"type": "struct", "optional": False, "name": "t", "fields": [
        {"type": "int64", "optional": False, "field": "id"},
        {"type": "string", "optional": False, "field": "username"},
        {"type": "int64", "optional": False, "name": "org.apache.kafka.connect.data.Timestamp", "version": 1,
         "field": "login_time"},
        {"type": "bytes", "optional": True, "name": "org.apache.kafka.connect.data.Decimal", "version": 1,
         "parameters": {"scale": "2", "connect.decimal.precision": "12"}, "field": "amount"},
        {"type": "string", "optional": True, "field": "payload"}]}, separators=(",", ":"))
    data = os.path.join(WORK, "records.jsonl")
    size = 0
    with open(data, "w") as f:
        for i in range(1, ROWS + 1):
            cents = i % 100000
            amount = base64.b64encode(cents.to_bytes(max(1, (cents.bit_length() + 8) // 8), "big", signed=True))
            line = (f'{i}\t{{"schema":{schema},"payload":{{"id":{i},"username":"user{i}",'
                    f'"login_time":{1704067200000 + i},"amount":"{amount.decode()}",'
                    f'"payload":"{hashlib.md5(str(i).encode()).hexdigest() * 3}"}}}}\n')
            size += len(line)
            f.write(line)
    # The mock cluster keeps ~5 MB per partition: enough partitions that nothing is dropped, and keys
    # (the id, as Connect would key an upsert) so that they fill evenly (kcat's null-key sticky
    # partitioning piles whole batches onto one partition, which then drops its oldest).
    partitions = max(1, math.ceil(size / (4 << 20)))
    kafka = harness.MockKafka(topics=[f"k2p:{partitions}"])
    try:
        subprocess.run(["kcat", "-P", "-b", kafka.bootstrap, "-t", "k2p", "-K", "\t", "-l", data], check=True,
                       capture_output=True)
        p = os.path.join(WORK, "k2p.yaml")
        runs = [0]

        def prepare():
            runs[0] += 1
            write(p, f"name: k2p\nsource:\n  connector: kafka\n  bootstrap.servers: '{kafka.bootstrap}'\n"
                     f"  topics: [k2p]\n  group.id: bench-k2p-{runs[0]}\n  session.timeout.ms: 6000\n"
                     f"converter: {{key: string, value: json, value.schemas.enable: true}}\n"
                     f"sink:\n  connector: jdbc\n  connection.url: {pg.url}\n  insert.mode: upsert\n"
                     f"  pk.mode: record_value\n  pk.fields: id\n  auto.create: true\n  table.name.format: k2p\n")
            fresh(os.path.join(WORK, "k2p.offsets.json"))()
            pg.exec("DROP TABLE IF EXISTS k2p")
        notes.append("6. includes joining a new consumer group: ~3 s on the mock cluster (its initial rebalance "
                     "delay, as Kafka's group.initial.rebalance.delay.ms), whatever BENCH_ROWS is.")
        alternate(f"6. Kafka → PostgreSQL, upsert ({partitions} partitions)", ROWS, [
            ("kpipe", prepare, [KPIPE, "run", p], False, expect(pg, "k2p", want)),
        ])
    finally:
        kafka.stop()


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
    if notes:
        lines += [""] + [f"- {n}" for n in notes]
    text = "\n".join(lines) + "\n"
    if not ONLY:
        write(os.path.join(ROOT, "BENCHMARKS.md"), text)
    print(text)


def main():
    pgloader = pgloader_binary()
    kafka = harness.MockKafka(topics=["lines:1", "pg:1", "pgpeer:1"])
    pg = dbserver.Postgres()
    my = None
    def on(*numbers):
        return not ONLY or bool(ONLY & set(numbers))

    try:
        if on(1):
            file_to_kafka(kafka)
        if on(2, 3, 7, 8, 9, 10):  # 7 reads the table 2 makes
            postgres_to_kafka(pg, kafka)
        if on(7):
            memory(pg)
        if on(4):
            my = dbserver.MariaDb()
            mariadb_to_postgres(my, pg, pgloader)
        if on(5, 6):
            want = csv_to_postgres(pg, pgloader)
            if on(6):
                kafka_to_postgres(pg, want)  # checks against the rows of 5
    finally:
        if my:
            my.stop()
        pg.stop()
        kafka.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    report()


if __name__ == "__main__":
    main()
