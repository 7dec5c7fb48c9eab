"""End to end: Kafka -> the jdbc sink, through the built binary. Messages are produced with kcat
(an independent client) as Kafka Connect JSON envelopes {"schema":..,"payload":..} for keys and
values into a `kpipe mock-kafka` cluster; rows are checked with psql / mariadb / sqlite3, never
through kpipe. Every scenario runs on PostgreSQL and MariaDB (throwaway servers) and SQLite.

Also here: the shipped example pipelines run as they are, with env overrides only
(pipelines/kafka-to-mysql-upsert.yaml, pipelines/kafka-to-postgres-upsert.yaml,
pipelines/csv-to-postgres.yaml with its sample pipelines/data/orders.csv)."""
import base64
import json
import os
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dbserver  # noqa: E402
import harness  # noqa: E402
from kafka_util import yaml_str  # noqa: E402
from test_jdbc_sqlite import SqliteDb  # noqa: E402

postgres = None
mariadb = None

# A member that rejoins the mock's group waits for the session timeout: keep it short.
SESSION = {"session.timeout.ms": "6000"}
# kcat -K: splits key and value at the first occurrence; JSON text never holds a raw tab.
KEY_DELIMITER = "\t"
UNICODE = "\u00e9\u4e16 \U0001f600 'q\" \\"


def setUpModule():
    global postgres, mariadb
    postgres, mariadb = dbserver.postgres_and_mariadb()


def tearDownModule():
    postgres.stop()
    mariadb.stop()


# ---- Connect JSON envelopes -----------------------------------------------------------------

def dumps(doc):
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def field(field_name, type_, optional=False, **extra):
    return dict({"type": type_, "optional": optional, "field": field_name}, **extra)


DECIMAL = {"name": "org.apache.kafka.connect.data.Decimal", "version": 1, "parameters": {"scale": "2"}}


def decimal_payload(text):
    """Connect's Decimal in JSON: base64 of the unscaled value, big-endian two's complement."""
    unscaled = int(text.replace(".", ""))
    size = max(1, (unscaled.bit_length() + 8) // 8)
    return base64.b64encode(unscaled.to_bytes(size, "big", signed=True)).decode()


def struct_key(**fields):
    """A struct key envelope: region (string) and id (int64), or id alone."""
    schema_fields = []
    if "region" in fields:
        schema_fields.append(field("region", "string"))
    schema_fields.append(field("id", "int64"))
    return dumps({"schema": {"type": "struct", "fields": schema_fields, "optional": False, "name": "k2j.Key"},
                  "payload": fields})


def int_key(n):
    return dumps({"schema": {"type": "int64", "optional": False}, "payload": n})


def item_value(name, amount, id_=None):
    """A struct value: [id int64,] name string, amount Decimal(scale 2) optional."""
    fields = [field("name", "string"), field("amount", "bytes", True, **DECIMAL)]
    payload = {"name": name, "amount": None if amount is None else decimal_payload(amount)}
    if id_ is not None:
        fields.insert(0, field("id", "int64"))
        payload["id"] = id_
    return dumps({"schema": {"type": "struct", "fields": fields, "optional": False, "name": "k2j.Item"},
                  "payload": payload})


class KafkaToJdbc:
    """The scenarios; a subclass supplies make_db() -> db (exec, query, url), AMOUNT (SQL text of
    the amount column as 'd.dd'), q(name) (a quoted identifier)."""

    topics = ["k2j:2"]
    AMOUNT = "amount"

    def q(self, name):
        return '"' + name + '"'

    def setUp(self):
        super().setUp()
        self.db = self.make_db()
        self.mock = harness.MockKafka(brokers=1, topics=self.topics)

    def tearDown(self):
        self.mock.stop()
        super().tearDown()

    # ---- helpers ------------------------------------------------------------------------------

    def produce(self, topic, messages, partition=0):
        """Produces (key, value) pairs with kcat; a value of None is a tombstone (kcat -Z)."""
        args = ["kcat", "-P", "-b", self.mock.bootstrap, "-t", topic, "-p", str(partition),
                "-K", KEY_DELIMITER, "-Z"]
        data = b"".join((k + KEY_DELIMITER + (v or "") + "\n").encode() for k, v in messages)
        out = subprocess.run(args, input=data, capture_output=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr.decode())

    def kcat_positions(self, topic):
        """[(partition, offset, value payload or None)] as kcat reads the topic, sorted."""
        out = harness.kcat_consume(self.mock.bootstrap, topic, fmt="%p\t%o\t%s\n")
        rows = []
        for line in out.decode().splitlines():
            p, o, v = line.split("\t", 2)
            rows.append((int(p), int(o), json.loads(v)["payload"] if v else None))
        return sorted(rows, key=lambda r: (r[0], r[1]))

    def pipeline(self, name, topic, sink, source=None):
        src = {"connector": "kafka", "bootstrap.servers": self.mock.bootstrap, "topics": topic}
        src.update(SESSION)
        src.update(source or {})
        snk = {"connector": "jdbc", "connection.url": self.db.url, "auto.create": "true"}
        snk.update(sink)
        lines = ["name: " + yaml_str(name), "source:"]
        lines += ["  %s: %s" % (k, yaml_str(v)) for k, v in src.items()]
        lines += ["converter:", "  key: json", "  key.schemas.enable: true", "  value: json",
                  "  value.schemas.enable: true", "sink:"]
        lines += ["  %s: %s" % (k, yaml_str(v)) for k, v in snk.items()]
        return self.write(name + ".yaml", "\n".join(lines) + "\n", "w")

    def run_ok(self, pipeline, *extra):
        out = harness.kpipe("run", pipeline, *extra, timeout=180)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        return out.stderr.decode()

    def drop(self, table):
        self.db.exec("DROP TABLE IF EXISTS " + self.q(table))

    def rows(self, table, columns):
        return self.db.query("SELECT %s FROM %s ORDER BY %s" % (", ".join(columns), self.q(table),
                                                                  ", ".join(columns)))

    def offsets_file(self, name):
        with open(self.path(name + ".offsets.json")) as f:
            doc = json.load(f)
        return {(e["partition"]["kafka_topic"], e["partition"]["kafka_partition"]): e["offset"]["kafka_offset"]
                for e in doc["pipelines"][name]["offsets"]}

    # ---- (a) pk.mode record_key, upsert: the last message of a key wins ------------------------

    def test_record_key_struct_key_upsert_last_message_wins(self):
        self.drop("k2j")
        # Keys keep to one partition each (Kafka orders a key's messages within its partition).
        self.produce("k2j", [
            (struct_key(region="eu", id=1), item_value("a1", "1.10")),
            (struct_key(region="us", id=1), item_value("u1", "2.00")),
            (struct_key(region="eu", id=1), item_value("a1 v2 " + UNICODE, "1.25")),
        ], partition=0)
        self.produce("k2j", [
            (struct_key(region="eu", id=2), item_value("b", None)),
            (struct_key(region="eu", id=2), item_value("b v2", "-3.50")),
        ], partition=1)
        p = self.pipeline("skey", "k2j", {"insert.mode": "upsert", "pk.mode": "record_key"},
                          source={"batch.size": "2"})  # a key's messages span batches
        self.run_ok(p)
        cols = ["region", "id", "name", self.AMOUNT]
        self.assertEqual(self.rows("k2j", cols), [
            ["eu", "1", "a1 v2 " + UNICODE, "1.25"],
            ["eu", "2", "b v2", "-3.50"],
            ["us", "1", "u1", "2.00"],
        ])
        self.assertEqual(self.key_columns("k2j"), ["region", "id"])
        # A second run: only the new messages, and again the last one per key wins.
        self.produce("k2j", [(struct_key(region="us", id=1), item_value("u1 v2", "9.99")),
                             (struct_key(region="us", id=1), item_value("u1 v3", "0.01"))], partition=0)
        err = self.run_ok(p)
        self.assertIn("read 2 records, wrote 2", err)
        self.assertEqual(self.rows("k2j", cols)[2], ["us", "1", "u1 v3", "0.01"])
        self.assertEqual(len(self.rows("k2j", ["id"])), 3)

    def test_record_key_primitive_key_with_pk_fields(self):
        self.drop("k2j")
        self.produce("k2j", [(int_key(i), item_value("first %d" % i, "%d.00" % i)) for i in (1, 2, 3)]
                     + [(int_key(2), item_value("second 2", "20.00")), (int_key(1), item_value("second 1", None))])
        p = self.pipeline("pkey", "k2j", {"insert.mode": "upsert", "pk.mode": "record_key", "pk.fields": "id"},
                          source={"batch.size": "1"})
        self.run_ok(p)
        cols = ["id", "name", "COALESCE(%s, 'NULL')" % self.AMOUNT]
        self.assertEqual(self.rows("k2j", cols),
                         [["1", "second 1", "NULL"], ["2", "second 2", "20.00"], ["3", "first 3", "3.00"]])
        self.assertEqual(self.key_columns("k2j"), ["id"])
        self.produce("k2j", [(int_key(3), item_value("third 3", "33.00")), (int_key(4), item_value("new 4", "4.00"))],
                     partition=1)
        self.run_ok(p)
        self.assertEqual(self.rows("k2j", cols)[2:],
                         [["3", "third 3", "33.00"], ["4", "new 4", "4.00"]])

    # ---- (b) delete.enabled: a tombstone deletes the row of its key ----------------------------

    def test_tombstones_delete_by_key(self):
        self.drop("k2j")
        k = lambda i: struct_key(id=i)  # noqa: E731
        self.produce("k2j", [
            (k(9), None),                     # nothing to delete (the table does not exist yet)
            (k(1), item_value("one", "1.00")),
            (k(2), item_value("two", "2.00")),
            (k(3), item_value("three", "3.00")),
            (k(2), None),                     # deletes 2
            (k(3), None),                     # deletes 3 ...
            (k(3), item_value("three again", "3.30")),  # ... which comes back
            (k(4), item_value("four", "4.00")),
            (k(4), None),                     # inserted and deleted within one batch
        ])
        p = self.pipeline("del", "k2j", {"insert.mode": "upsert", "pk.mode": "record_key",
                                         "delete.enabled": "true"})
        self.run_ok(p)
        cols = ["id", "name"]
        self.assertEqual(self.rows("k2j", cols), [["1", "one"], ["3", "three again"]])
        # A later run: a tombstone alone deletes a row written by an earlier run.
        self.produce("k2j", [(k(1), None)])
        err = self.run_ok(p)
        self.assertIn("read 1 records, wrote 1", err)
        self.assertEqual(self.rows("k2j", cols), [["3", "three again"]])

    def test_tombstones_one_per_batch_delete_too(self):
        self.drop("k2j")
        k = lambda i: struct_key(id=i)  # noqa: E731
        self.produce("k2j", [(k(7), None), (k(1), item_value("one", "1.00")), (k(2), item_value("two", "2.00")),
                             (k(1), None), (k(5), None)])
        p = self.pipeline("del1", "k2j", {"insert.mode": "upsert", "pk.mode": "record_key",
                                          "delete.enabled": "true"}, source={"batch.size": "1"})
        self.run_ok(p)
        self.assertEqual(self.rows("k2j", ["id", "name"]), [["2", "two"]])

    # ---- (c) pk.mode kafka: the message's own position is the key -----------------------------

    def test_kafka_coordinates_are_the_real_offsets(self):
        self.drop("k2j")
        self.produce("k2j", [(int_key(i), item_value("p0 #%d" % i, "1.00")) for i in range(4)], partition=0)
        self.produce("k2j", [(int_key(i), item_value("p1 #%d" % i, "2.00")) for i in range(2)], partition=1)
        p = self.pipeline("kco", "k2j", {"insert.mode": "insert", "pk.mode": "kafka"})
        self.run_ok(p)
        # A second run: offsets continue where Kafka's continue, not from 0.
        self.produce("k2j", [(int_key(9), item_value("p1 late", "3.00"))], partition=1)
        self.run_ok(p)
        self.assertEqual(self.key_columns("k2j"), ["__connect_topic", "__connect_partition", "__connect_offset"])
        got = self.rows("k2j", ["__connect_topic", "__connect_partition", "__connect_offset", "name"])
        expected = sorted([["k2j", str(part), str(off), v["name"]] for part, off, v in self.kcat_positions("k2j")])
        self.assertEqual(len(expected), 7)
        self.assertEqual(sorted(got), expected)
        self.assertIn(["k2j", "1", "2", "p1 late"], got)
        # Upserting the same messages again (offsets rewound) changes nothing.
        p2 = self.pipeline("kco2", "k2j", {"insert.mode": "upsert", "pk.mode": "kafka"})
        self.run_ok(p2)
        self.assertEqual(sorted(self.rows("k2j", ["__connect_topic", "__connect_partition", "__connect_offset",
                                                  "name"])), expected)

    # ---- (e) a restart resumes from the committed offsets -------------------------------------

    def test_restart_reads_only_new_messages(self):
        self.drop("k2j")
        self.produce("k2j", [(int_key(i), item_value("r%d" % i, "1.00", id_=i)) for i in range(0, 5)], partition=0)
        self.produce("k2j", [(int_key(i), item_value("r%d" % i, "1.00", id_=i)) for i in range(5, 8)], partition=1)
        # insert mode without a key: a message read twice would be a second row.
        p = self.pipeline("rs", "k2j", {"insert.mode": "insert", "pk.mode": "none"})
        self.assertIn("read 8 records, wrote 8", self.run_ok(p))
        self.assertEqual(self.offsets_file("rs"), {("k2j", 0): 5, ("k2j", 1): 3})
        self.assertIn("read 0 records", self.run_ok(p))
        self.produce("k2j", [(int_key(i), item_value("r%d" % i, "1.00", id_=i)) for i in range(8, 10)], partition=1)
        self.produce("k2j", [(int_key(10), item_value("r10", "1.00", id_=10))], partition=0)
        self.assertIn("read 3 records, wrote 3", self.run_ok(p))
        self.assertEqual(self.offsets_file("rs"), {("k2j", 0): 6, ("k2j", 1): 5})
        self.assertEqual(self.db.query("SELECT id, name FROM %s ORDER BY id" % self.q("k2j")),
                         [[str(i), "r%d" % i] for i in range(11)])
        self.assertEqual(self.db.query("SELECT count(*), count(DISTINCT id) FROM " + self.q("k2j")), [["11", "11"]])

    # ---- (f) exactly.once: the offsets stored with the rows win over a lost offsets file -------

    def test_exactly_once_without_the_offsets_file_duplicates_nothing(self):
        self.drop("k2j")
        self.produce("k2j", [(int_key(i), item_value("x%d" % i, "1.00", id_=i)) for i in range(0, 4)], partition=0)
        self.produce("k2j", [(int_key(i), item_value("x%d" % i, "1.00", id_=i)) for i in range(4, 6)], partition=1)
        p = self.pipeline("eo", "k2j", {"insert.mode": "insert", "pk.mode": "none", "exactly.once": "true"})
        self.assertIn("wrote 6", self.run_ok(p))
        offsets = self.path("eo.offsets.json")
        os.remove(offsets)
        self.assertIn("read 0 records", self.run_ok(p))
        self.produce("k2j", [(int_key(6), item_value("x6", "1.00", id_=6))], partition=1)
        os.remove(offsets)
        self.assertIn("read 1 records, wrote 1", self.run_ok(p))
        self.assertEqual(self.db.query("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM "
                                       + self.q("k2j")), [["7", "7", "0", "6"]])
        stored = self.db.query("SELECT source_partition, source_offset FROM kpipe_offsets WHERE pipeline = 'eo'")
        self.assertEqual(sorted((json.loads(a)["kafka_partition"], json.loads(b)) for a, b in stored),
                         [(0, {"kafka_offset": 4}), (1, {"kafka_offset": 3})])
        # The offsets file was rebuilt from them.
        self.assertEqual(self.offsets_file("eo"), {("k2j", 0): 4, ("k2j", 1): 3})


class PostgresCatalog:
    def make_db(self):
        return postgres

    def key_columns(self, table):
        return [r[0] for r in self.db.query(
            "SELECT k.column_name FROM information_schema.table_constraints t JOIN "
            "information_schema.key_column_usage k USING (constraint_schema, constraint_name) "
            f"WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_name = '{table}' ORDER BY k.ordinal_position")]


class PostgresTest(PostgresCatalog, KafkaToJdbc, harness.TempDirTest):
    # The mock keeps about 5 MB per partition: k2jalo's 60000 messages need 8 partitions.
    topics = ["k2j:2", "k2jkill:2", "k2jalo:8"]
    AMOUNT = "CAST(amount AS TEXT)"

    def produce_kill_topic(self, topic, n, partitions):
        self.drop(topic)
        for partition in range(partitions):
            self.produce(topic, [(int_key(i), item_value("k%d" % i, "1.00", id_=i))
                                 for i in range(partition, n, partitions)], partition=partition)

    def test_at_least_once_survives_kill_9(self):
        """Kafka -> PostgreSQL through the asynchronous sink (batches in flight), under
        CRASH_KILLS kill -9: no row lost, duplicates only from what was not committed. More rows
        and earlier kills than exactly-once: runs go faster, and would finish before the kills."""
        n = 60000
        self.produce_kill_topic("k2jalo", n, 8)

        def pipeline(run):  # a fresh group per run, as below; the offsets file is the authority
            return self.pipeline("kill", "k2jalo", {"insert.mode": "insert", "pk.mode": "none"},
                                 source={"batch.size": "100", "group.id": "kpipe-alo-%d" % run})

        session = self.db.session()
        try:
            kills, mid_run = harness.kill_after_progress(
                self.path("kill.yaml"), lambda: int(session.scalar("SELECT count(*) FROM k2jalo") or 0),
                before_run=pipeline, max_steps=4)
        finally:
            session.close()
        self.run_ok(pipeline(kills))
        total, distinct, lo, hi = self.db.query("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM k2jalo")[0]
        total, distinct = int(total), int(distinct)
        harness.crash_report("kafka → PostgreSQL", kills, mid_run, n - distinct, total - distinct)
        self.assertEqual((distinct, int(lo), int(hi)), (n, 0, n - 1), "rows lost")
        self.assertGreaterEqual(mid_run, kills // 2, "most kills should land mid-run")
        replay = (harness.REPLAY_BATCHES + harness.IN_FLIGHT_BATCHES) * 100
        self.assertLessEqual(total - distinct, mid_run * replay)

    def test_exactly_once_survives_kill_9(self):
        """Kafka -> PostgreSQL, exactly-once, under CRASH_KILLS kill -9 (each after rows arrived)."""
        n = 20000
        self.produce_kill_topic("k2jkill", n, 2)

        def pipeline(run):
            # The mock's coordinator makes a first join wait 3 s, and a member rejoining after a
            # kill wait for the dead member's session timeout too (librdkafka 2.0's mock cannot
            # shorten either): each run joins a fresh group, which kpipe allows because its
            # offsets (here the sink's kpipe_offsets table) are the authority, not the group's.
            return self.pipeline("kill", "k2jkill",
                                 {"insert.mode": "insert", "pk.mode": "none", "exactly.once": "true"},
                                 source={"batch.size": "100", "group.id": "kpipe-kill-%d" % run})

        session = self.db.session()  # one client: a round trip per look, no process start
        try:
            kills, mid_run = harness.kill_after_progress(
                self.path("kill.yaml"), lambda: int(session.scalar("SELECT count(*) FROM k2jkill") or 0),
                before_run=pipeline)
        finally:
            session.close()
        self.run_ok(pipeline(kills))
        total, distinct, lo, hi = self.db.query("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM k2jkill")[0]
        harness.crash_report("kafka → PostgreSQL exactly-once", kills, mid_run, n - int(distinct),
                             int(total) - int(distinct))
        self.assertEqual((int(total), int(distinct), int(lo), int(hi)), (n, n, 0, n - 1))
        self.assertGreaterEqual(mid_run, kills // 2, "most kills should land mid-run")
        stored = self.db.query("SELECT source_offset FROM kpipe_offsets WHERE pipeline = 'kill'")
        self.assertEqual(sorted(json.loads(o)["kafka_offset"] for [o] in stored), [n // 2, n // 2])

    def test_the_postgres_upsert_example_runs_as_it_is(self):
        self.mock.stop()
        self.mock = harness.MockKafka(brokers=1, topics=["orders:1"])
        self.drop("orders")
        if self.db.query("SELECT to_regclass('kpipe_offsets') IS NOT NULL") == [["t"]]:
            self.db.exec("DELETE FROM kpipe_offsets WHERE pipeline = 'kafka-to-postgres-upsert'")
        self.produce("orders", [("", item_value("o1", "10.00", id_=1)), ("", item_value("o2", "20.00", id_=2)),
                                ("", item_value("o1 v2 " + UNICODE, "11.00", id_=1))])
        env = {"KAFKA_BOOTSTRAP": self.mock.bootstrap, "PG_URL": self.db.url}
        pipeline = os.path.join(harness.SOURCE_DIR, "pipelines", "kafka-to-postgres-upsert.yaml")
        offsets = self.path("example.offsets.json")
        for _ in range(2):
            out = harness.kpipe("run", pipeline, "--offsets", offsets, env=env, timeout=180)
            self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assertEqual(self.rows("orders", ["id", "name", "amount"]),
                         [["1", "o1 v2 " + UNICODE, "11.00"], ["2", "o2", "20.00"]])

    def test_the_csv_example_loads_its_sample_exactly(self):
        self.drop("orders")
        if self.db.query("SELECT to_regclass('kpipe_offsets') IS NOT NULL") == [["t"]]:
            self.db.exec("DELETE FROM kpipe_offsets WHERE pipeline = 'csv-to-postgres'")
        pipeline = os.path.join(harness.SOURCE_DIR, "pipelines", "csv-to-postgres.yaml")
        offsets = self.path("csv.offsets.json")
        # Run from the project folder: the example's default file is pipelines/data/orders.csv.
        env = {"PG_URL": self.db.url}
        for run in range(2):  # the second run finds nothing new (exactly.once, insert mode)
            out = harness.kpipe("run", pipeline, "--offsets", offsets, env=env, cwd=harness.SOURCE_DIR,
                                timeout=180)
            self.assertEqual(out.returncode, 0, out.stderr.decode())
            self.assertIn(b"read 10 records, wrote 10" if run == 0 else b"read 0 records", out.stderr)
        got = self.db.query("SELECT id, customer, amount, ordered_at, COALESCE(note, 'NULL') FROM orders ORDER BY id")
        self.assertEqual(got, ORDERS)
        types = dict((r[0], r[1]) for r in self.db.query(
            "SELECT column_name, data_type || COALESCE('(' || numeric_precision || ',' || numeric_scale || ')', '') "
            "FROM information_schema.columns WHERE table_name = 'orders' AND table_schema = 'public'"))
        self.assertEqual(types, {"id": "bigint(64,0)", "customer": "text", "amount": "numeric(10,2)",
                                 "ordered_at": "timestamp without time zone", "note": "text"})
        self.assertEqual(self.key_columns("orders"), ["id"])


# pipelines/data/orders.csv as psql prints it (amount numeric(10,2), ordered_at timestamp(6)).
ORDERS = [
    ["1", "Ada Lovelace", "19.99", "2024-01-05 09:15:00", "first order"],
    ["2", "Alan Turing", "250.00", "2024-01-05 10:30:15.5", "gift wrap, please"],
    ["3", "Grace Hopper", "0.01", "2024-01-06 00:00:00", "NULL"],
    ["4", "Zoë Müller", "1234.50", "2024-01-06 23:59:59.999999", "café, crème brûlée"],
    ["5", "Edsger Dijkstra", "-5.00", "2024-01-07 12:00:00", "refund"],
    ["6", "Barbara Liskov", "42.00", "2024-01-08 08:08:08.123", 'says "hi"'],
    ["7", "Donald Knuth", "2.56", "2024-02-29 16:20:00", "$2.56, a hexadecimal dollar"],
    ["8", "Frances Allen", "99999999.99", "2024-03-01 07:45:00", "largest amount"],
    ["9", "Ken Thompson", "7.70", "2024-03-02 13:37:00", "日本語のメモ"],
    ["10", "Margaret Hamilton", "3.14", "2024-03-03 03:03:03", ""],
]


class MariaDbClient:
    """dbserver's MariaDb, its rows read raw (no backslash escapes) in utf8mb4 (4-byte emoji)."""

    def __init__(self, server):
        self.server = server
        self.url = server.url

    def exec(self, sql):
        self.server.exec(sql)

    def query(self, sql):
        out = self.server._run(sql, "-N", "-B", "-r", "--default-character-set=utf8mb4")
        return [line.split("\t") for line in out.splitlines()]


class MariaDbTest(KafkaToJdbc, harness.TempDirTest):
    def make_db(self):
        return MariaDbClient(mariadb)

    def q(self, name):
        return "`" + name + "`"

    def key_columns(self, table):
        return [r[0] for r in self.db.query(
            "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() "
            f"AND TABLE_NAME = '{table}' AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION")]

    def test_the_seeds_mysql_upsert_example_runs_as_it_is(self):
        self.mock.stop()
        self.mock = harness.MockKafka(brokers=1, topics=["login:1"])
        self.drop("login")
        login = lambda i, user, ms: dumps({  # noqa: E731
            "schema": {"type": "struct", "optional": False, "name": "login", "fields": [
                field("id", "int64"), field("username", "string"),
                field("login_time", "int64", True, name="org.apache.kafka.connect.data.Timestamp", version=1)]},
            "payload": {"id": i, "username": user, "login_time": ms}})
        # Keys are plain strings (the example's key converter); values Connect JSON with schemas.
        self.produce("login", [("1", login(1, "ann", 1609459200123)), ("2", login(2, "bob", 0)),
                               ("1", login(1, "ann " + UNICODE, 1700000000000)), ("3", login(3, "cy", None))])
        env = {"KAFKA_BOOTSTRAP": self.mock.bootstrap, "MYSQL_URL": self.db.url.split("?")[0],
               "MYSQL_USER": "kpipe", "MYSQL_PASSWORD": "kpipe"}
        pipeline = os.path.join(harness.SOURCE_DIR, "pipelines", "kafka-to-mysql-upsert.yaml")
        offsets = self.path("example.offsets.json")
        out = harness.kpipe("run", pipeline, "--offsets", offsets, env=env, timeout=180)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        cols = ["id", "username", "COALESCE(login_time, 'NULL')"]
        self.assertEqual(self.rows("login", cols), [
            ["1", "ann " + UNICODE, "2023-11-14 22:13:20.000000"],
            ["2", "bob", "1970-01-01 00:00:00.000000"],
            ["3", "cy", "NULL"],
        ])
        self.assertEqual(self.key_columns("login"), ["id"])
        # Resumes: only the new message, which replaces its row.
        self.produce("login", [("2", login(2, "bob again", 1609459200123))])
        out = harness.kpipe("run", pipeline, "--offsets", offsets, env=env, timeout=180)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assertIn(b"read 1 records, wrote 1", out.stderr)
        self.assertEqual(self.rows("login", cols)[1], ["2", "bob again", "2021-01-01 00:00:00.123000"])
        self.assertEqual(len(self.rows("login", ["id"])), 3)


class SqliteTest(KafkaToJdbc, harness.TempDirTest):
    AMOUNT = "CASE WHEN amount IS NULL THEN NULL ELSE printf('%.2f', amount) END"

    def make_db(self):
        return SqliteDb(self.path("target.db"))

    def key_columns(self, table):
        with sqlite3.connect(self.db.path) as c:
            return [r[0] for r in c.execute("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk",
                                             (table,))]


if __name__ == "__main__":
    unittest.main()
