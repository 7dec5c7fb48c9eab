"""Kafka Connect's own files, unchanged: `kpipe connect-standalone WORKER CONNECTOR...` and
`kpipe run CONNECTOR --worker W` on Kafka's stock files and the seed 001 connector configs, a
Java-written offsets file (tests/fixtures/connect_offsets, made by OpenJDK from
tests/fixtures/java/ConnectOffsetsGolden.java) resumed mid-file and mid-table, and
`kpipe offsets export-connect` writing it back byte for byte."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dbserver  # noqa: E402
import harness  # noqa: E402
from kafka_util import wait_until  # noqa: E402

FIXTURES = os.path.join(harness.SOURCE_DIR, "tests", "fixtures")
CONNECT = os.path.join(FIXTURES, "connect")
GOLDEN = os.path.join(FIXTURES, "connect_offsets")
STRING_SCHEMA = '{"schema":{"type":"string","optional":false},"payload":%s}'

mock = None


def setUpModule():
    global mock
    mock = harness.MockKafka()


def tearDownModule():
    mock.stop()


def lines(n, start=1):
    """n lines of exactly 10 bytes each: line-0001 ..."""
    return b"".join(b"line-%04d\n" % i for i in range(start, start + n))


def sorted_lines(data):
    """A file's lines sorted, each ending in a newline (records of several partitions)."""
    return b"".join(sorted(data.splitlines(keepends=True)))


def topic(bootstrap, name):
    """[key|value] of every message, in order."""
    out = harness.kcat_consume(bootstrap, name, fmt="%k|%s\n")
    return out.decode().split("\n")[:-1] if out else []


class StandaloneTest(harness.TempDirTest):
    def setUp(self):
        super().setUp()
        self.offsets = self.path("connect.offsets")

    def worker(self, **overrides):
        """Kafka's stock connect-standalone.properties, pointed at the mock cluster and a temp
        offsets file; overrides replace or add keys."""
        with open(os.path.join(CONNECT, "connect-standalone.properties")) as f:
            text = f.read()
        keys = {"bootstrap.servers": mock.bootstrap, "offset.storage.file.filename": self.offsets}
        keys.update(overrides)
        for key, value in keys.items():
            pattern = re.compile(r"^%s=.*$" % re.escape(key), re.M)
            if pattern.search(text):
                text = pattern.sub(lambda _: "%s=%s" % (key, value), text)
            else:
                text += "\n%s=%s\n" % (key, value)
        return self.write("worker.properties", text, "w")

    def stock(self, name, **overrides):
        """A stock connector file copied into the temp folder, keys replaced (topics made unique
        per test so that tests sharing the mock cluster do not see each other's records)."""
        with open(os.path.join(CONNECT, name)) as f:
            text = f.read()
        for key, value in overrides.items():
            text = re.sub(r"^%s=.*$" % re.escape(key), lambda _: "%s=%s" % (key, value), text,
                          flags=re.M)
        return self.write(name, text, "w")

    def run_kpipe(self, *args, expect=0, env=None):
        out = harness.kpipe(*args, cwd=self.dir, env=env)
        self.assertEqual(out.returncode, expect, out.stderr.decode())
        return out

    def test_stock_files_source_then_sink_equal_the_yaml_pipeline(self):
        self.write("test.txt", lines(25))
        worker = self.worker()
        source = self.stock("connect-file-source.properties", topic="stock-1")
        sink = self.stock("connect-file-sink.properties", topics="stock-1")
        self.run_kpipe("connect-standalone", worker, source)
        # Keyless records may take several partitions (sticky per batch): compare as sets.
        got = sorted(topic(mock.bootstrap, "stock-1"))
        # FileStreamSource: a null key (JsonConverter writes no bytes for it), a string value.
        self.assertEqual(got, ["|" + STRING_SCHEMA % json.dumps("line-%04d" % i) for i in range(1, 26)])
        # The YAML pipeline a user would write for the same job writes the same bytes.
        self.write("p.yaml", "\n".join([
            "name: yaml-twin", "source:", "  connector: file", "  file: test.txt",
            "  topic: stock-1-yaml", "converter:", "  key: json", "  value: json", "sink:",
            "  connector: kafka", "  bootstrap.servers: " + json.dumps(mock.bootstrap), ""]), "w")
        self.run_kpipe("run", self.path("p.yaml"))
        self.assertEqual(sorted(topic(mock.bootstrap, "stock-1-yaml")), got)
        # kpipe's offsets beside Connect's, under the connector's name.
        kept = self.offsets + ".kpipe-local-file-source.json"
        with open(kept) as f:
            doc = json.load(f)
        self.assertEqual(doc["pipelines"]["local-file-source"]["offsets"],
                         [{"partition": {"filename": self.path("test.txt")}, "offset": {"position": 250}}])
        # The sink connector reads the topic back into a file, as FileStreamSink prints values.
        out = self.run_kpipe("connect-standalone", worker, sink)
        # Partitions are read concurrently: the file holds every line once, in partition order.
        self.assertEqual(sorted_lines(self.read("test.sink.txt")), lines(25))
        self.assertIn("group 'connect-local-file-sink'", out.stderr.decode())
        # A second run of both reads nothing again.
        self.run_kpipe("connect-standalone", worker, source, sink)
        self.assertEqual(len(topic(mock.bootstrap, "stock-1")), 25)
        self.assertEqual(sorted_lines(self.read("test.sink.txt")), lines(25))

    def test_follow_runs_both_connectors_until_stopped(self):
        self.write("test.txt", lines(10))
        worker = self.worker()
        source = self.stock("connect-file-source.properties", topic="stock-follow")
        sink = self.stock("connect-file-sink.properties", topics="stock-follow")
        proc = subprocess.Popen([harness.KPIPE, "connect-standalone", "--follow", worker, source, sink],
                                cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            self.assertTrue(wait_until(lambda: harness.file_size(self.path("test.sink.txt")) == 100, 60))
            with open(self.path("test.txt"), "ab") as f:
                f.write(lines(5, start=11))
            self.assertTrue(wait_until(lambda: harness.file_size(self.path("test.sink.txt")) == 150, 60))
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, err.decode())
        # Keyless records may land on several partitions (as in Connect): order within each only.
        self.assertEqual(sorted(self.read("test.sink.txt").splitlines()), lines(15).splitlines())

    def test_java_offsets_file_resumes_mid_file(self):
        # Connect stopped at byte 30 of test.txt (golden file, written by Java).
        shutil.copy(os.path.join(GOLDEN, "file-source.offsets"), self.offsets)
        self.write("test.txt", lines(8))
        source = self.stock("connect-file-source.properties", topic="resume-file")
        out = self.run_kpipe("connect-standalone", self.worker(), source)
        self.assertIn("taken from Connect's " + self.offsets, out.stderr.decode())
        got = sorted(topic(mock.bootstrap, "resume-file"))
        self.assertEqual(got, ["|" + STRING_SCHEMA % json.dumps("line-%04d" % i) for i in range(4, 9)])
        # From now on kpipe's own file is the truth: Connect's is not read again.
        with open(self.path("test.txt"), "ab") as f:
            f.write(lines(1, start=9))
        out = self.run_kpipe("run", source, "--worker", self.worker())
        self.assertNotIn("taken from Connect's", out.stderr.decode())
        self.assertEqual(len(topic(mock.bootstrap, "resume-file")), 6)

    def test_export_connect_round_trips_the_java_file_byte_for_byte(self):
        golden = os.path.join(GOLDEN, "file-source.offsets")
        shutil.copy(golden, self.offsets)
        self.write("test.txt", lines(3))  # exactly the 30 bytes Connect had read
        source = self.stock("connect-file-source.properties", topic="round-trip")
        worker = self.worker()
        self.run_kpipe("connect-standalone", worker, source)
        self.assertEqual(topic(mock.bootstrap, "round-trip"), [])
        # Back onto Connect's own file, and into a new one: both are the Java-written bytes.
        self.run_kpipe("offsets", "export-connect", source, "--worker", worker, "--to", self.offsets)
        self.run_kpipe("offsets", "export-connect", source, "--worker", worker, "--to", self.path("new.offsets"))
        with open(golden, "rb") as f:
            expected = f.read()
        self.assertEqual(self.read("connect.offsets"), expected)
        self.assertEqual(self.read("new.offsets"), expected)
        # After more lines, the position moves on in Connect's form ({"filename":"test.txt"}).
        with open(self.path("test.txt"), "ab") as f:
            f.write(lines(2, start=4))
        self.run_kpipe("connect-standalone", worker, source)
        self.run_kpipe("offsets", "export-connect", source, "--worker", worker, "--to", self.offsets)
        data = self.read("connect.offsets")
        self.assertIn(b'["local-file-source",{"filename":"test.txt"}]', data)
        self.assertIn(b'{"position":50}', data)
        self.assertEqual(len(data), len(expected))

    def test_export_connect_keeps_other_connectors_and_tombstones(self):
        several = os.path.join(GOLDEN, "several.offsets")
        with open(os.path.join(GOLDEN, "several.json")) as f:
            expected_offsets = json.load(f)["local-file-source"]["offsets"]
        shutil.copy(several, self.offsets)
        # Make the connector's files exactly as long as Connect's positions.
        for entry in expected_offsets:
            self.write(entry["partition"]["filename"], b"x" * (entry["offset"]["position"] - 1) + b"\n")
        name = expected_offsets[0]["partition"]["filename"]
        source = self.stock("connect-file-source.properties", topic="several", file=name)
        worker = self.worker()
        self.run_kpipe("connect-standalone", worker, source)
        self.assertEqual(topic(mock.bootstrap, "several"), [])
        self.run_kpipe("offsets", "export-connect", source, "--worker", worker, "--to", self.offsets)
        with open(several, "rb") as f:
            self.assertEqual(self.read("connect.offsets"), f.read())

    def test_seed_001_file_source_json(self):
        # Seed 001's request: FileStream-Source reading Kafka's config/server.properties.
        os.makedirs(self.path("config"))
        self.write("config/server.properties", b"broker.id=0\nlog.dirs=/tmp/kafka-logs\n")
        seed = os.path.join(CONNECT, "seed-001-file-source.json")
        self.run_kpipe("connect-standalone", self.worker(), seed)
        got = sorted(topic(mock.bootstrap, "kafka-config-topic"))
        self.assertEqual(got, ["|" + STRING_SCHEMA % json.dumps(v)
                               for v in ["broker.id=0", "log.dirs=/tmp/kafka-logs"]])

    def test_seed_002_file_source_json(self):
        self.write("demo-file.txt", lines(4))
        seed = os.path.join(CONNECT, "seed-002-file-source.json")
        out = self.run_kpipe("connect-standalone", self.worker(), seed)
        with open(seed) as f:
            cfg = json.load(f)["config"]
        got = sorted(topic(mock.bootstrap, cfg["topic"]))
        self.assertEqual(got, ["|" + STRING_SCHEMA % json.dumps("line-%04d" % i) for i in range(1, 5)])
        self.assertIn("tasks.max", out.stderr.decode() + self.run_kpipe(
            "--log-level", "debug", "validate", seed, "--worker", self.worker()).stderr.decode())

    def test_convert_prints_a_pipeline_that_runs_the_same(self):
        self.write("test.txt", lines(6))
        source = self.stock("connect-file-source.properties", topic="converted")
        out = self.run_kpipe("convert", source, "--worker", self.worker())
        yaml_text = out.stdout.decode()
        self.assertIn("# Kafka Connect connector 'local-file-source'", yaml_text)
        self.assertIn('connector: "file"', yaml_text)
        self.assertIn("tasks.max", yaml_text)  # listed as ignored, with why
        self.write("converted.yaml", yaml_text, "w")
        self.run_kpipe("validate", self.path("converted.yaml"))
        self.run_kpipe("run", self.path("converted.yaml"))
        self.assertEqual(len(topic(mock.bootstrap, "converted")), 6)

    def test_convert_never_prints_a_password(self):
        conn = self.write("jdbc.properties", "\n".join([
            "name=pg-orders", "connector.class=io.confluent.connect.jdbc.JdbcSourceConnector",
            "connection.url=jdbc:postgresql://127.0.0.1:5432/db", "connection.user=u",
            "connection.password=hunter2-secret", "mode=bulk", "table.whitelist=orders",
            "topic.prefix=pg.", ""]), "w")
        out = self.run_kpipe("convert", conn)
        self.assertNotIn("hunter2", out.stdout.decode() + out.stderr.decode())
        self.assertIn("${env:PG_ORDERS_CONNECTION_PASSWORD}", out.stdout.decode())

    def test_config_providers_resolve_and_stay_secret(self):
        self.write("test.txt", lines(2))
        self.write("creds.properties", "topic.name=from-provider\n", "w")
        os.makedirs(self.path("secrets"))
        self.write("secrets/pw", "dir-secret-value", "w")
        worker = self.worker(**{
            "config.providers": "file,env,dir",
            "config.providers.file.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
            "config.providers.env.class": "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
            "config.providers.dir.class": "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
        })
        source = self.write("src.properties", "\n".join([
            "name=provided", "connector.class=FileStreamSource", "file=${env:KPIPE_TEST_FILE}",
            "topic=${file:%s:topic.name}" % self.path("creds.properties"), ""]), "w")
        self.run_kpipe("connect-standalone", worker, source, env={"KPIPE_TEST_FILE": "test.txt"})
        self.assertEqual(len(topic(mock.bootstrap, "from-provider")), 2)
        # What a provider gave is a secret in every output.
        out = self.run_kpipe("validate", source, "--worker", worker, env={"KPIPE_TEST_FILE": "test.txt"})
        self.assertIn("topic = (secret)", out.stdout.decode())
        self.assertNotIn("from-provider", out.stdout.decode() + out.stderr.decode())
        # convert keeps them as variables kpipe resolves itself.
        out = self.run_kpipe("convert", source, "--worker", worker)
        self.assertIn('"${env:KPIPE_TEST_FILE}"', out.stdout.decode())
        self.assertIn('"${file:%s:topic.name}"' % self.path("creds.properties"), out.stdout.decode())

    def test_initial_state_stopped_is_not_run(self):
        self.write("test.txt", lines(2))
        conn = self.write("stopped.json", json.dumps({
            "name": "stopped-one", "initial_state": "stopped",
            "config": {"connector.class": "FileStreamSource", "file": "test.txt", "topic": "never"}}), "w")
        out = self.run_kpipe("connect-standalone", self.worker(), conn)
        self.assertIn("created in state STOPPED", out.stderr.decode())
        self.assertFalse(os.path.exists(self.offsets + ".kpipe-stopped-one.json"))

    def test_errors_name_the_file_line_and_key(self):
        worker = self.worker()
        seed_sink = self.write("custom.json", json.dumps({"name": "jdbcsink_connector_001", "config": {
            "connector.class": "io.confluent.connect.jdbc.MyJdbcSinkConnector", "topics": "t"}}), "w")
        out = self.run_kpipe("connect-standalone", worker, seed_sink, expect=2)
        err = out.stderr.decode()
        self.assertIn("kpipe has no connector for 'io.confluent.connect.jdbc.MyJdbcSinkConnector'", err)
        self.assertIn("io.confluent.connect.jdbc.JdbcSinkConnector", err)
        bad = self.write("bad.properties", "name=bad\nconnector.class=FileStreamSource\ntopic=t\n"
                         "batch.size=lots\n", "w")
        err = self.run_kpipe("connect-standalone", worker, bad, expect=2).stderr.decode()
        self.assertIn(bad + ":4", err)
        self.assertIn("batch.size", err)
        typo = self.write("typo.properties", "name=typo\nconnector.class=FileStreamSource\ntopic=t\n"
                          "fiel=test.txt\n", "w")
        err = self.run_kpipe("run", typo, expect=2).stderr.decode()
        self.assertIn(typo + ":4", err)
        self.assertIn("'file'", err)
        nameless = self.write("nameless.properties", "connector.class=FileStreamSource\n", "w")
        self.run_kpipe("connect-standalone", worker, nameless, expect=2)
        err = self.run_kpipe("run", self.path("missing.properties"), expect=2).stderr.decode()
        self.assertIn("missing.properties", err)


class JdbcResumeTest(harness.TempDirTest):
    """The seed's MySQL login connector, resumed mid-table from a Java-written offsets file."""

    @classmethod
    def setUpClass(cls):
        cls.db = dbserver.MariaDb()

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def test_seed_mysql_login_resumes_where_connect_stopped(self):
        db = self.db
        db.exec("CREATE DATABASE IF NOT EXISTS test")
        db.exec("DROP TABLE IF EXISTS test.login")
        db.exec("CREATE TABLE test.login (username VARCHAR(30), login_time DATETIME)")
        # Connect's offset: 2023-11-14 22:13:20.123456 (golden jdbc-source.offsets).
        db.exec("INSERT INTO test.login VALUES ('gwenshap', '2023-11-14 22:13:19'), "
                "('tpalino', '2023-11-14 22:13:20'), ('new-one', '2023-11-14 22:13:21'), "
                "('new-two', '2023-11-14 22:14:00')")
        with open(os.path.join(CONNECT, "seed-001-mysql-login.json")) as f:
            seed = json.load(f)
        port = db.url.split("127.0.0.1:")[1].split("/")[0]
        seed["config"]["connection.url"] = "jdbc:mysql://127.0.0.1:%s/test?user=kpipe&password=kpipe" % port
        seed["name"] = "mysql-login"  # the golden file's connector
        seed["config"].pop("name", None)
        conn = self.write("mysql-login.json", json.dumps(seed), "w")
        offsets = self.path("connect.offsets")
        shutil.copy(os.path.join(GOLDEN, "jdbc-source.offsets"), offsets)
        worker = self.write("worker.properties", "\n".join([
            "bootstrap.servers=" + mock.bootstrap,
            "key.converter=org.apache.kafka.connect.json.JsonConverter",
            "value.converter=org.apache.kafka.connect.json.JsonConverter",
            "offset.storage.file.filename=" + offsets, ""]), "w")
        out = harness.kpipe("connect-standalone", worker, conn, cwd=self.dir)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        got = [json.loads(v.split("|", 1)[1])["payload"]["username"]
               for v in topic(mock.bootstrap, "mysql.login")]
        # Keyless records may take different partitions: the set, not the order.
        self.assertEqual(sorted(got), ["new-one", "new-two"])


if __name__ == "__main__":
    unittest.main()
