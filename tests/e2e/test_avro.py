"""End to end: the avro converter against the Schema Registry stand-in
(tests/fixtures/schema_registry.py). Every framed record kpipe writes is decoded with Apache Avro's
own Python implementation (Debian's python3-avro) with the schema the registry holds, and must be
consumed to its last byte; rows that come back through the Kafka source and the jdbc sink are
checked in the database with psql."""
import datetime
import decimal
import io
import json
import os
import sqlite3
import struct
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import avro.io  # noqa: E402  (Debian's python3-avro)
import avro.schema  # noqa: E402

import dbserver  # noqa: E402
import harness  # noqa: E402

LOGIN_SCHEMA = (
    '{"type":"record","name":"login","fields":[{"name":"id","type":"int"},'
    '{"name":"username","type":"string"},{"name":"login_time","type":{"type":"long",'
    '"connect.version":1,"connect.name":"org.apache.kafka.connect.data.Timestamp",'
    '"logicalType":"timestamp-millis"}}],"connect.name":"login"}')
UTC = datetime.timezone.utc


def kcat_raw(bootstrap, topic):
    """Every message value of a topic as bytes (kcat -D: a delimiter no frame holds here)."""
    out = harness.kcat_consume(bootstrap, topic, fmt="%s\x1e\x1f")
    return out.split(b"\x1e\x1f")[:-1] if out else []


def decode(registry, frame):
    """A Confluent frame decoded by python3-avro with the registered schema; no byte left over."""
    assert frame[0] == 0, frame[:8]
    schema_id = struct.unpack(">I", frame[1:5])[0]
    schema = avro.schema.parse(registry.schema(schema_id))
    buf = io.BytesIO(frame[5:])
    value = avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(buf))
    assert buf.tell() == len(frame) - 5, "bytes left over after the datum"
    return schema_id, value


class AvroTest(harness.TempDirTest):
    topics = ["login:1"]
    registry_args = {}

    def setUp(self):
        super().setUp()
        self.mock = harness.MockKafka(brokers=1, topics=self.topics)
        self.registry = harness.SchemaRegistry(**self.registry_args)

    def tearDown(self):
        self.registry.stop()
        self.mock.stop()
        super().tearDown()

    def sqlite_login(self, rows):
        self.db = self.path("login.db")
        with sqlite3.connect(self.db) as c:
            c.execute("CREATE TABLE login (id INT NOT NULL, username VARCHAR(30) NOT NULL, "
                      "login_time TIMESTAMP NOT NULL)")
            c.executemany("INSERT INTO login VALUES (?, ?, ?)", rows)

    def pipeline(self, converter_extra="", errors="", source=None):
        source = source or (f"  connector: jdbc\n  connection.url: jdbc:sqlite:{self.db}\n"
                            "  mode: timestamp\n  table.whitelist: login\n"
                            "  timestamp.column.name: login_time\n")
        text = (f"name: p\nsource:\n{source}converter:\n  value: avro\n"
                f"  value.schema.registry.url: {self.registry.url}\n{converter_extra}"
                f"sink:\n  connector: kafka\n  bootstrap.servers: {self.mock.bootstrap}\n{errors}")
        return self.write("p.yaml", text, "w")

    def run_kpipe(self, *extra):
        return harness.kpipe("run", self.path("p.yaml"), *extra)


class LoginWalkthroughTest(AvroTest):
    """The seed 001 walkthrough: MySQL's login table (MariaDB here) into Kafka with Avro values."""

    @classmethod
    def setUpClass(cls):
        cls.maria = dbserver.MariaDb()

    @classmethod
    def tearDownClass(cls):
        cls.maria.stop()

    def test_registered_schema_and_records_are_connects(self):
        rows = [(i, f"user{i}", f"2024-01-02 03:04:{i % 60:02d}.{i % 1000:03d}") for i in range(1, 501)]
        self.maria.exec("DROP TABLE IF EXISTS login")
        self.maria.exec("CREATE TABLE login (id INT NOT NULL, username VARCHAR(30) NOT NULL, "
                        "login_time DATETIME(3) NOT NULL)")
        self.maria.exec("INSERT INTO login VALUES " + ",".join("(%d, '%s', '%s')" % r for r in rows))
        source = (f"  connector: jdbc\n  connection.url: {self.maria.url}\n  mode: timestamp\n"
                  "  table.whitelist: login\n  timestamp.column.name: login_time\n")
        self.pipeline(source=source)
        out = self.run_kpipe()
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assertEqual(self.registry.latest("login-value")["schema"], LOGIN_SCHEMA)
        frames = kcat_raw(self.mock.bootstrap, "login")
        self.assertEqual(len(frames), 500)
        decoded = [decode(self.registry, frame) for frame in frames]
        self.assertEqual({schema_id for schema_id, _ in decoded}, {self.registry.latest("login-value")["id"]})
        got = sorted((v for _, v in decoded), key=lambda v: v["id"])
        want = [{"id": i, "username": name,
                 "login_time": datetime.datetime.strptime(ts, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)}
                for i, name, ts in rows]
        self.assertEqual(got, want)
        # One registration for the run, not one per record; a second run registers nothing new.
        posts = [r for r in self.registry.requests() if r[0] == "POST"]
        self.assertEqual(posts, [["POST", "/subjects/login-value/versions"]])
        out = self.run_kpipe()
        self.assertEqual(out.returncode, 0, out.stderr.decode())

    def test_the_exact_bytes_of_the_reference_example(self):
        self.maria.exec("DROP TABLE IF EXISTS login")
        self.maria.exec("CREATE TABLE login (id INT NOT NULL, username VARCHAR(30) NOT NULL, "
                        "login_time DATETIME(3) NOT NULL)")
        self.maria.exec("INSERT INTO login VALUES (1, 'alice', '2024-01-02 03:04:05.678')")
        self.pipeline(source=(f"  connector: jdbc\n  connection.url: {self.maria.url}\n  mode: timestamp\n"
                              "  table.whitelist: login\n  timestamp.column.name: login_time\n"))
        out = self.run_kpipe()
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        [frame] = kcat_raw(self.mock.bootstrap, "login")
        schema_id = self.registry.latest("login-value")["id"]
        self.assertEqual(frame.hex(), "00" + "%08x" % schema_id + "02" + "0a616c696365" + "dcec86829963")


class RegistryFailureTest(AvroTest):
    registry_args = {"user": "kpipe:s3cret-pw"}

    def setUp(self):
        super().setUp()
        self.sqlite_login([(1, "alice", "2024-01-02 03:04:05.678"), (2, "bob", "2024-01-02 03:04:06")])

    def auth(self, password):
        return ("  value.basic.auth.credentials.source: USER_INFO\n"
                f"  value.basic.auth.user.info: kpipe:{password}\n")

    def test_a_wrong_password_is_exit_1_naming_the_registry_not_the_password(self):
        self.pipeline(self.auth("wrong-pw"))
        out = self.run_kpipe()
        err = out.stderr.decode()
        self.assertEqual(out.returncode, 1, err)
        self.assertIn(self.registry.url, err)
        self.assertIn("HTTP 401", err)
        self.assertNotIn("wrong-pw", err)
        self.assertEqual(kcat_raw(self.mock.bootstrap, "login"), [])
        # validate checks the keys without contacting the registry, and hides the secret.
        out = harness.kpipe("validate", self.path("p.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assertNotIn(b"wrong-pw", out.stdout)

    def test_an_incompatible_schema_is_exit_1_naming_the_subject(self):
        self.registry.register("login-value",
                               '{"type":"record","name":"login","fields":[{"name":"id","type":"int"}]}',
                               auth=("kpipe", "s3cret-pw"))
        self.pipeline(self.auth("s3cret-pw"))
        out = self.run_kpipe()
        err = out.stderr.decode()
        self.assertEqual(out.returncode, 1, err)
        self.assertIn("subject 'login-value'", err)
        self.assertIn("incompatible", err)
        self.assertEqual(kcat_raw(self.mock.bootstrap, "login"), [])

    def test_a_registry_that_is_down_is_retried(self):
        self.pipeline(self.auth("s3cret-pw"), errors="errors:\n  retry.timeout: 60000\n"
                                                    "  retry.delay.max.ms: 500\n")
        self.registry.down()
        with subprocess.Popen([harness.KPIPE, "run", self.path("p.yaml")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proc:
            for line in proc.stderr:  # the registry comes back once kpipe said it will retry
                if b"retry 1 in" in line:
                    break
            self.registry.up()
            err = proc.stderr.read().decode()
            self.assertEqual(proc.wait(timeout=120), 0, err)
        self.assertEqual(len(kcat_raw(self.mock.bootstrap, "login")), 2)

    def test_a_5xx_is_transient_without_retry_settings_it_fails(self):
        self.pipeline(self.auth("s3cret-pw"))
        self.registry.fail(503, 10)
        out = self.run_kpipe()
        err = out.stderr.decode()
        self.assertEqual(out.returncode, 1, err)
        self.assertIn("HTTP 503", err)
        self.assertIn("errors.retry.timeout would retry it", err)


class KafkaAvroSourceTest(AvroTest):
    """Reading: frames from the topic decoded with the writer schema fetched by id; a frame that
    is not Avro is a bad record for the errors policy, named by topic, partition and offset."""
    topics = ["login:1"]

    def setUp(self):
        super().setUp()
        self.sqlite_login([(i, f"user{i}", f"2024-01-02 03:04:{i:02d}") for i in range(1, 4)])
        self.pipeline()
        out = self.run_kpipe()
        self.assertEqual(out.returncode, 0, out.stderr.decode())

    def read_back(self, errors=""):
        text = (f"name: r\nsource:\n  connector: kafka\n  bootstrap.servers: {self.mock.bootstrap}\n"
                "  topics: login\n  session.timeout.ms: 6000\nconverter:\n  value: avro\n"
                f"  value.schema.registry.url: {self.registry.url}\nsink:\n  connector: file\n"
                f"  file: {self.path('out.jsonl')}\n{errors}")
        self.write("r.yaml", text, "w")
        return harness.kpipe("run", self.path("r.yaml"))

    def test_a_frame_without_the_magic_byte_is_a_bad_record(self):
        subprocess.run(["kcat", "-P", "-b", self.mock.bootstrap, "-t", "login"],
                       input=b"not avro\n", check=True, capture_output=True, timeout=60)
        out = self.read_back()
        err = out.stderr.decode()
        self.assertEqual(out.returncode, 1, err)
        self.assertIn("Unknown magic byte!", err)
        self.assertIn("topic 'login' partition 0 offset 3", err)
        out = self.read_back("errors:\n  tolerance: all\n")
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assertIn(b"skipped 1", out.stderr)

    def test_an_unknown_schema_id_or_a_short_body_is_a_bad_record(self):
        frames = [b"\x00\x00\x00\x03\xe7\x02", b"\x00" + struct.pack(">I", 1) + b"\x02\x0a"]
        for frame in frames:
            subprocess.run(["kcat", "-P", "-b", self.mock.bootstrap, "-t", "login", "-D", "\x1e"],
                           input=frame + b"\x1e", check=True, capture_output=True, timeout=60)
        out = self.read_back()
        err = out.stderr.decode()
        self.assertEqual(out.returncode, 1, err)
        self.assertIn("topic 'login' partition 0 offset 3", err)
        self.assertIn("schema id 999", err)
        out = self.read_back(f"errors:\n  tolerance: all\n  deadletterqueue.file: {self.path('dead.jsonl')}\n")
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assertIn(b"skipped 2", out.stderr)
        with open(self.path("dead.jsonl")) as f:
            dead = [json.loads(line) for line in f]
        self.assertEqual([d["kafka_partition"] for d in dead], [0, 0])
        self.assertIn("schema id 1", dead[1]["error"])


class RegistryTlsTest(AvroTest):
    """https to the registry through libcurl: the CA from schema.registry.ssl.ca.location, the
    host name checked; another CA is refused."""

    @classmethod
    def setUpClass(cls):
        import tempfile
        import test_tls  # the CA and server certificate maker of the TLS tests
        cls.certs = tempfile.mkdtemp(prefix="kpipe-registry-tls-")
        test_tls.make_certs(cls.certs)
        cls.registry_args = {"tls": (os.path.join(cls.certs, "server.crt"),
                                     os.path.join(cls.certs, "server.key"))}

    @classmethod
    def tearDownClass(cls):
        import shutil
        shutil.rmtree(cls.certs, ignore_errors=True)

    def setUp(self):
        super().setUp()
        self.sqlite_login([(1, "alice", "2024-01-02 03:04:05.678")])

    def test_the_registry_ca_is_used_and_another_is_refused(self):
        self.assertTrue(self.registry.url.startswith("https://"))
        self.pipeline(f"  value.schema.registry.ssl.ca.location: {self.certs}/other.crt\n")
        out = self.run_kpipe()
        self.assertEqual(out.returncode, 1, out.stderr.decode())
        self.assertIn("SSL", out.stderr.decode())
        self.pipeline(f"  value.schema.registry.ssl.ca.location: {self.certs}/ca.crt\n")
        out = self.run_kpipe()
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        [frame] = kcat_raw(self.mock.bootstrap, "login")
        self.assertEqual(decode(self.registry, frame)[1]["username"], "alice")


class PostgresRoundTripTest(AvroTest):
    """PostgreSQL -> Kafka (Avro keys and values) -> PostgreSQL through the jdbc sink's auto.create
    and upsert: every column type comes back with the same value (times at Connect's millisecond
    precision, which the test data uses)."""
    topics = ["rt:2"]
    COLUMNS = ("id int PRIMARY KEY, s smallint, i integer, b bigint, r real, d double precision, "
               "flag boolean, t text, v varchar(20), raw bytea, amount numeric(10,2), "
               "big numeric(30,6), day date, clock time(3), ts timestamp(3) NOT NULL, "
               "tstz timestamptz(3), note text")
    SELECT = ("SELECT id, s, i, b, r::float8, d, flag, t, v, encode(raw, 'hex'), amount::text, big::text, "
              "day::text, clock::text, extract(epoch FROM ts)::text, extract(epoch FROM tstz)::text, note "
              "FROM {} ORDER BY id")

    @classmethod
    def setUpClass(cls):
        cls.pg = dbserver.Postgres()

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()

    def test_every_column_type_survives_the_round_trip(self):
        pg = self.pg
        pg.exec("DROP TABLE IF EXISTS src; DROP TABLE IF EXISTS dst")
        pg.exec(f"CREATE TABLE src ({self.COLUMNS})")
        pg.exec("INSERT INTO src SELECT g, g - 100, g * 1000, g * 10000000000, g / 4.0, g / 3.0, "
                "g % 2 = 0, 'text ' || g || ' é世', 'v' || g, decode(lpad(to_hex(g), 4, '0'), 'hex'), "
                "g * 1.25 - 50, g * 123456789.123456, date '2024-02-28' + g, time '23:59:59.123' - g * interval '1 minute', "
                "timestamp '2024-01-01 00:00:00.001' + g * interval '1 hour 1 millisecond', "
                "timestamptz '1969-12-31 23:00:00.5+00' + g * interval '1 day', "
                "CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' || g END FROM generate_series(1, 200) g")
        pg.exec("INSERT INTO src (id, ts) VALUES (0, '2024-01-01')")  # every nullable column null
        text = (f"name: out\nsource:\n  connector: jdbc\n  connection.url: {pg.url}\n  mode: timestamp\n"
                "  table.whitelist: src\n  timestamp.column.name: ts\n  topic.prefix: \"\"\n"
                "transforms:\n  - {type: ValueToKey, fields: id}\n"
                "converter:\n  key: avro\n  value: avro\n"
                f"  key.schema.registry.url: {self.registry.url}\n"
                f"  value.schema.registry.url: {self.registry.url}\n"
                f"sink:\n  connector: kafka\n  bootstrap.servers: {self.mock.bootstrap}\n  topic: rt\n")
        self.write("out.yaml", text, "w")
        out = harness.kpipe("run", self.path("out.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        text = (f"name: back\nsource:\n  connector: kafka\n  bootstrap.servers: {self.mock.bootstrap}\n"
                "  topics: rt\n  session.timeout.ms: 6000\n"
                "converter:\n  key: avro\n  value: avro\n"
                f"  key.schema.registry.url: {self.registry.url}\n"
                f"  value.schema.registry.url: {self.registry.url}\n"
                f"sink:\n  connector: jdbc\n  connection.url: {pg.url}\n  table.name.format: dst\n"
                "  auto.create: true\n  insert.mode: upsert\n  pk.mode: record_key\n  pk.fields: id\n")
        self.write("back.yaml", text, "w")
        out = harness.kpipe("run", self.path("back.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        want = pg.query(self.SELECT.format("src"))
        self.assertEqual(len(want), 201)
        self.assertEqual(pg.query(self.SELECT.format("dst")), want)
        # Every frame decodes with python3-avro, keys too.
        for frame in kcat_raw(self.mock.bootstrap, "rt"):
            decode(self.registry, frame)
        keys = harness.kcat_consume(self.mock.bootstrap, "rt", fmt="%k\x1e\x1f").split(b"\x1e\x1f")[:-1]
        self.assertEqual(sorted(decode(self.registry, k)[1]["id"] for k in keys), list(range(201)))


if __name__ == "__main__":
    unittest.main()
