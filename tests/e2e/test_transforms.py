"""End to end: Kafka Connect's transforms and predicates in real pipelines. A SQLite table keyed,
routed and masked into Kafka (bytes and partitions read back with kcat and checked against
python3-kafka's murmur2, an implementation we did not write); Filter with predicates on a Kafka
source; a transform rejecting records, dead-lettered or ending the run; validate's errors."""
import json
import os
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from kafka.partitioner.default import murmur2  # noqa: E402  (Debian's python3-kafka)

SESSION = "  session.timeout.ms: 6000\n"


def java_partition(key, partitions):
    """Kafka's Java producer: toPositive(murmur2(key bytes)) % partitions."""
    return (murmur2(key) & 0x7fffffff) % partitions


def kcat(bootstrap, topic, fmt):
    return harness.kcat_consume(bootstrap, topic, fmt=fmt).decode()


class SqliteToKafkaTest(harness.TempDirTest):
    def setUp(self):
        super().setUp()
        self.mock = harness.MockKafka(brokers=1, topics=["crm-customers:8"])
        self.db = self.path("crm.db")
        with sqlite3.connect(self.db) as c:
            c.execute("CREATE TABLE customers (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(30), "
                      "email VARCHAR(50), updated TIMESTAMP NOT NULL)")
            c.executemany("INSERT INTO customers VALUES (?, ?, ?, ?)",
                          [(i, f"name {i}", f"user{i}@example.com",
                            f"2024-01-01 00:{i // 60:02d}:{i % 60:02d}") for i in range(1, 301)])

    def tearDown(self):
        self.mock.stop()
        super().tearDown()

    def pipeline(self, key_schemas):
        text = f"""name: crm
source:
  connector: jdbc
  connection.url: jdbc:sqlite:{self.db}
  mode: timestamp
  table.whitelist: customers
  timestamp.column.name: updated
  topic.prefix: db.
transforms:
  - name: createKey
    type: org.apache.kafka.connect.transforms.ValueToKey
    fields: id
  - name: extractId
    type: ExtractField$Key
    field: id
  - name: route
    type: RegexRouter
    regex: "db\\\\.(.*)"
    replacement: crm-$1
  - name: mask
    type: MaskField$Value
    fields: email
    replacement: "****"
converter:
  key: json
  key.schemas.enable: {str(key_schemas).lower()}
  value: json
  value.schemas.enable: false
sink:
  connector: kafka
  bootstrap.servers: {self.mock.bootstrap}
"""
        return self.write("p.yaml", text, "w")

    def test_keyed_routed_masked_records_land_where_java_puts_them(self):
        self.pipeline(key_schemas=True)
        out = harness.kpipe("run", self.path("p.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        lines = kcat(self.mock.bootstrap, "crm-customers", "%p|%k|%s\n").splitlines()
        self.assertEqual(len(lines), 300)
        by_id = {}
        for line in lines:
            partition, key, value = line.split("|", 2)
            record = json.loads(value)
            by_id[record["id"]] = (int(partition), key, value)
        self.assertEqual(sorted(by_id), list(range(1, 301)))
        for i, (partition, key, value) in by_id.items():
            self.assertEqual(key, '{"schema":{"type":"int64","optional":false},"payload":%d}' % i)
            self.assertEqual(partition, java_partition(key.encode(), 8), key)
            ts = 1704067200000 + (i // 60) * 60000 + (i % 60) * 1000
            self.assertEqual(value, '{"id":%d,"name":"name %d","email":"****","updated":%d}'
                             % (i, i, ts))
        self.assertEqual(len({p for p, _, _ in by_id.values()}), 8)

    def test_plain_keys_use_the_same_partitioner(self):
        self.pipeline(key_schemas=False)
        out = harness.kpipe("run", self.path("p.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        lines = kcat(self.mock.bootstrap, "crm-customers", "%p|%k\n").splitlines()
        self.assertEqual(len(lines), 300)
        for line in lines:
            partition, key = line.split("|")
            self.assertEqual(int(partition), java_partition(key.encode(), 8), key)
        self.assertEqual({line.split("|")[1] for line in lines}, {str(i) for i in range(1, 301)})


class KafkaFilterTest(harness.TempDirTest):
    def setUp(self):
        super().setUp()
        self.mock = harness.MockKafka(brokers=1, topics=["orders:1", "audit:1"])

    def tearDown(self):
        self.mock.stop()
        super().tearDown()

    def produce(self, topic, lines, headers=()):
        """key|value lines; an empty value is a tombstone (kcat -Z)."""
        args = ["kcat", "-P", "-b", self.mock.bootstrap, "-t", topic, "-K", "|", "-Z"]
        for h in headers:
            args += ["-H", h]
        data = "".join(line + "\n" for line in lines).encode()
        subprocess.run(args, input=data, capture_output=True, timeout=60, check=True)

    def offsets(self, name):
        with open(self.path(name + ".offsets.json")) as f:
            doc = json.load(f)
        return {e["partition"]["kafka_topic"]: e["offset"]["kafka_offset"]
                for e in doc["pipelines"][name]["offsets"]}

    def test_filter_drops_tombstones_and_a_topic_and_commits_their_offsets(self):
        self.produce("orders", ["1|first"], headers=["src=web"])
        self.produce("orders", ["2|", "3|third", "4|"])
        self.produce("orders", ["5|fifth"], headers=["src=web"])
        self.produce("audit", ["a|audit one", "b|audit two"])
        text = f"""name: f
source:
  connector: kafka
  bootstrap.servers: {self.mock.bootstrap}
  topics: orders,audit
{SESSION}transforms:
  - type: Filter
    predicate: isTombstone
  - type: org.apache.kafka.connect.transforms.Filter
    predicate: isAudit
  - type: HoistField$Value
    field: line
  - type: InsertField$Value
    topic.field: topic!
    offset.field: offset
  - name: batchOnly
    type: InsertField$Value
    static.field: source
    static.value: batch
    predicate: fromWeb
    negate: true
predicates:
  isTombstone:
    type: org.apache.kafka.connect.transforms.predicates.RecordIsTombstone
  isAudit:
    type: TopicNameMatches
    pattern: "aud.*"
  fromWeb:
    type: HasHeaderKey
    name: src
converter:
  key: string
  value: string
sink:
  connector: file
  file: {self.path("out.txt")}
"""
        self.write("f.yaml", text, "w")
        out = harness.kpipe("run", self.path("f.yaml"))
        err = out.stderr.decode()
        self.assertEqual(out.returncode, 0, err)
        self.assertIn("filtered 4", err)
        self.assertEqual(self.read("out.txt").decode().splitlines(), [
            '{"line":"first","topic":"orders","offset":0}',
            '{"line":"third","topic":"orders","offset":2,"source":"batch"}',
            '{"line":"fifth","topic":"orders","offset":4}',
        ])
        self.assertEqual(self.offsets("f"), {"orders": 5, "audit": 2})


class TransformErrorsTest(harness.TempDirTest):
    """A transform that rejects a record: Connect's TRANSFORMATION stage under the errors policy."""

    def setUp(self):
        super().setUp()
        self.mock = harness.MockKafka(brokers=1, topics=["nums:1", "dlq:1"])
        self.write("in.txt", b"1\n2\nabc\n4\n")

    def tearDown(self):
        self.mock.stop()
        super().tearDown()

    def pipeline(self, errors):
        text = f"""name: n
source:
  connector: file
  file: {self.path("in.txt")}
  topic: nums
transforms:
  - name: toInt
    type: Cast$Value
    spec: int64
converter:
  value: string
sink:
  connector: kafka
  bootstrap.servers: {self.mock.bootstrap}
errors:
{errors}"""
        return self.write("n.yaml", text, "w")

    def position(self):
        out = harness.kpipe("offsets", "show", self.path("n.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr)
        offsets = json.loads(out.stdout)["offsets"]
        return offsets[0]["offset"]["position"] if offsets else None

    def test_tolerance_none_stops_naming_the_transform_and_commits_only_good_records(self):
        self.pipeline("  tolerance: none\n")
        out = harness.kpipe("run", self.path("n.yaml"))
        err = out.stderr.decode()
        self.assertEqual(out.returncode, 1, err)
        self.assertIn("transformation failed on the record from", err)
        self.assertIn("transforms.toInt (org.apache.kafka.connect.transforms.Cast$Value): "
                      "Value (abc) was out of range for requested data type", err)
        self.assertIn('at {"position":8}', err)  # the bad record's offset: after "abc\n"
        self.assertEqual(kcat(self.mock.bootstrap, "nums", "%s\n").splitlines(), ["1", "2"])
        self.assertEqual(self.position(), 4)

    def test_tolerance_all_dead_letters_with_connect_headers(self):
        self.pipeline("  tolerance: all\n  deadletterqueue.topic.name: dlq\n"
                      "  deadletterqueue.context.headers.enable: true\n")
        out = harness.kpipe("run", self.path("n.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assertEqual(kcat(self.mock.bootstrap, "nums", "%s\n").splitlines(), ["1", "2", "4"])
        [dead] = kcat(self.mock.bootstrap, "dlq", "%h|%s\n").splitlines()
        headers, value = dead.rsplit("|", 1)
        self.assertEqual(value, "abc")
        self.assertIn("__connect.errors.stage=TRANSFORMATION", headers)
        self.assertIn("__connect.errors.class.name=org.apache.kafka.connect.transforms.Cast$Value",
                      headers)
        self.assertIn("__connect.errors.exception.message=transforms.toInt", headers)
        self.assertEqual(self.position(), 10)


class HeadersTest(harness.TempDirTest):
    def setUp(self):
        super().setUp()
        self.mock = harness.MockKafka(brokers=1, topics=["h:1"])

    def tearDown(self):
        self.mock.stop()
        super().tearDown()

    def test_insert_header_and_header_from_reach_kafka(self):
        self.write("in.txt", b"alpha\nbeta\n")
        text = f"""name: h
source:
  connector: file
  file: {self.path("in.txt")}
  topic: h
transforms:
  - {{type: HoistField$Value, field: line}}
  - {{type: InsertField$Value, static.field: n, static.value: "7"}}
  - {{type: HeaderFrom$Value, fields: "line,n", headers: "orig,num", operation: move}}
  - {{type: InsertHeader, header: source, value.literal: file}}
  - {{type: DropHeaders, headers: num}}
converter:
  value: json
  value.schemas.enable: false
sink:
  connector: kafka
  bootstrap.servers: {self.mock.bootstrap}
"""
        self.write("h.yaml", text, "w")
        out = harness.kpipe("run", self.path("h.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assertEqual(kcat(self.mock.bootstrap, "h", "%h|%s\n").splitlines(),
                         ["orig=alpha,source=file|{}", "orig=beta,source=file|{}"])


class ValidateTest(harness.TempDirTest):
    BASE = """name: v
source:
  connector: file
  file: in.txt
sink:
  connector: file
  file: out.txt
"""

    def validate(self, tail):
        self.write("v.yaml", self.BASE + tail, "w")
        return harness.kpipe("validate", self.path("v.yaml"))

    def assert_invalid(self, tail, *needles):
        out = self.validate(tail)
        err = out.stderr.decode()
        self.assertEqual(out.returncode, 2, err)
        for needle in needles:
            self.assertIn(needle, err)
        return err

    def test_a_good_chain_is_listed(self):
        out = self.validate("transforms:\n  - {name: k, type: ValueToKey, fields: id}\n"
                            "  - type: Filter\n    predicate: t\n    negate: true\n"
                            "predicates:\n  t: {type: RecordIsTombstone}\n")
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        text = out.stdout.decode()
        self.assertIn("transforms.k: ValueToKey\n  fields = [id]", text)
        self.assertIn("transforms[1] (where not t): Filter", text)
        self.assertIn("predicates.t: RecordIsTombstone", text)

    def test_errors_name_the_place_and_the_fix(self):
        self.assert_invalid("transforms:\n  - type: ValueToKy\n    fields: id\n",
                            "v.yaml:9:11: transforms[0].type: unknown transform 'ValueToKy'",
                            "did you mean 'ValueToKey'?")
        self.assert_invalid("transforms:\n  - type: ValueToKey\n    fieldz: id\n",
                            "v.yaml:10:5: unknown key 'fieldz'", "did you mean 'fields'?")
        self.assert_invalid("transforms:\n  - name: r\n    type: RegexRouter\n    regex: \"(a\"\n"
                            "    replacement: x\n", "v.yaml:11:5: transforms.r.regex:")
        self.assert_invalid("transforms:\n  - name: f\n    type: Filter\n    negate: true\n",
                            "v.yaml:11:13: Config 'transforms.f.negate' was provided but there is "
                            "no config 'transforms.f.predicate' defining a predicate to be negated.")
        self.assert_invalid("transforms:\n  - type: Filter\n    predicate: isTombstne\n"
                            "predicates:\n  isTombstone: {type: RecordIsTombstone}\n",
                            "v.yaml:10:16: transforms[0].predicate: no predicate 'isTombstne'",
                            "did you mean 'isTombstone'?")
        self.assert_invalid("transforms:\n  - type: Cast$Value\n    spec: amount:money\n",
                            "v.yaml:10:5: transforms[0].spec: Invalid type found in casting spec: money")
        self.assert_invalid("transforms:\n  - type: TimestampConverter$Value\n"
                            "    target.type: String\n",
                            "transforms[0].target.type: 'String' is not one of: string, unix")
        self.assert_invalid("transforms:\n  - type: TimestampConverter$Value\n"
                            "    target.type: string\n    format: yyyy-qq\n",
                            "v.yaml:11:5: transforms[0].format: TimestampConverter requires a "
                            "SimpleDateFormat-compatible pattern for string timestamps: yyyy-qq")
        self.assert_invalid("predicates:\n  p: {type: TopicNameMatches}\n",
                            "predicates.p: missing required key 'pattern'")
        self.assert_invalid("transforms: {type: Filter}\n", "transforms must be a list")

    def test_plugins_and_describe_know_transforms_by_both_names(self):
        out = harness.kpipe("plugins")
        text = out.stdout.decode()
        for name in ["ValueToKey", "ExtractField$Key", "TimestampConverter$Value", "HeaderFrom$Key",
                     "RecordIsTombstone", "TopicNameMatches", "HasHeaderKey"]:
            self.assertIn(name, text)
        out = harness.kpipe("describe", "org.apache.kafka.connect.transforms.InsertField$Value")
        self.assertEqual(out.returncode, 0, out.stderr)
        text = out.stdout.decode()
        self.assertIn("InsertField$Value (transform)", text)
        self.assertIn("class: org.apache.kafka.connect.transforms.InsertField$Value", text)
        self.assertIn("static.field", text)


if __name__ == "__main__":
    unittest.main()
