"""The bad-input suite: every mistake a user can make, with its exit code, a message naming the
file / line / key / row, and offsets that never move past durable output."""
import json
import os
import resource
import signal
import subprocess
import time
import unittest

import harness
from harness import kpipe

GOOD_SOURCE = "source:\n  connector: file\n  file: IN\n"
GOOD_SINK = "sink:\n  connector: file\n  file: OUT\n"

# (name, pipeline text, exit code, fragments the message must contain)
CONFIG_CASES = [
    ("yaml syntax", "name: p\nsource: {connector: file\n", 2, ["p.yaml:", "YAML syntax error"]),
    ("yaml tab indentation", "name: p\nsource:\n\tconnector: file\n", 2, ["p.yaml:3:", "YAML syntax error"]),
    ("empty file", "", 2, ["a pipeline file is a mapping"]),
    ("a list, not a mapping", "- name: p\n", 2, ["a pipeline file is a mapping"]),
    ("unknown top-level key", "name: p\nsink_: {}\n" + GOOD_SOURCE + GOOD_SINK, 2,
     ["p.yaml:2:1", "unknown top-level key 'sink_'", "did you mean 'sink'"]),
    ("missing name", GOOD_SOURCE + GOOD_SINK, 2, ["missing required key 'name'"]),
    ("empty name", "name: ''\n" + GOOD_SOURCE + GOOD_SINK, 2, ["p.yaml:1:7", "name must be a non-empty string"]),
    ("source not a mapping", "name: p\nsource: file\n" + GOOD_SINK, 2, ["p.yaml:2:9", "source must be a mapping"]),
    ("no connector", "name: p\nsource: {file: IN}\n" + GOOD_SINK, 2, ["missing required key 'connector'", "one of:"]),
    ("unknown sink connector", "name: p\n" + GOOD_SOURCE + "sink: {connector: s3}\n", 2,
     ["p.yaml:5:19", "unknown sink connector 's3'", "file", "kafka", "jdbc"]),
    ("duplicate key", "name: p\nsource:\n  connector: file\n  file: IN\n  file: IN\n" + GOOD_SINK, 2,
     ["file"]),
    ("integer expected", "name: p\n" + GOOD_SOURCE + "  batch.size: ten\n" + GOOD_SINK, 2,
     ["p.yaml:5:3", "source.batch.size: expected an integer, got 'ten'"]),
    ("negative batch", "name: p\n" + GOOD_SOURCE + "  batch.size: -5\n" + GOOD_SINK, 2,
     ["source.batch.size", "below the minimum 1"]),
    ("integer overflow", "name: p\n" + GOOD_SOURCE + "  batch.size: 99999999999999999999999\n" + GOOD_SINK, 2,
     ["expected an integer"]),
    ("boolean expected", "name: p\n" + GOOD_SOURCE + GOOD_SINK + "  exactly.once: sometimes\n", 2,
     ["sink.exactly.once: expected true or false, got 'sometimes'"]),
    ("enum value", "name: p\nsource:\n  connector: jdbc\n  connection.url: jdbc:sqlite:x.db\n  mode: fast\n"
     + GOOD_SINK, 2, ["p.yaml:5:3", "'fast' is not one of: bulk, incrementing, timestamp, timestamp+incrementing"]),
    ("list where a value goes", "name: p\n" + GOOD_SOURCE + "  topic: [a, b]\n" + GOOD_SINK, 2,
     ["source.topic: expected a string, got a list"]),
    ("mapping where a value goes", "name: p\n" + GOOD_SOURCE + "  topic: {a: b}\n" + GOOD_SINK, 2,
     ["source.topic: expected a string, got a mapping"]),
    ("unknown key with a suggestion", "name: p\n" + GOOD_SOURCE + "  batch.sise: 5\n" + GOOD_SINK, 2,
     ["p.yaml:5:3", "unknown key 'batch.sise'", "did you mean 'batch.size'"]),
    ("unknown converter", "name: p\n" + GOOD_SOURCE + GOOD_SINK + "converter: {value: avro2}\n", 2,
     ["unknown converter 'avro2'", "json"]),
    ("unknown converter option", "name: p\n" + GOOD_SOURCE + GOOD_SINK + "converter: {value.schemas.enabled: x}\n",
     2, ["unknown key 'schemas.enabled'", "did you mean 'schemas.enable'"]),
    ("converter option type", "name: p\n" + GOOD_SOURCE + GOOD_SINK + "converter: {value.schemas.enable: maybe}\n",
     2, ["schemas.enable: expected true or false"]),
    ("missing environment variable", "name: p\n" + GOOD_SOURCE + "  topic: ${env:KPIPE_UNSET_VAR}\n" + GOOD_SINK,
     2, ["p.yaml:5:10", "environment variable 'KPIPE_UNSET_VAR' is not set"]),
    ("missing secret file", "name: p\n" + GOOD_SOURCE + "  topic: ${file:/no/such/secret}\n" + GOOD_SINK, 2,
     ["cannot read '/no/such/secret'"]),
    ("kafka: unknown librdkafka property", "name: p\n" + GOOD_SOURCE +
     "sink: {connector: kafka, bootstrap.servers: 'localhost:1', no.such.property: 1}\n", 2,
     ["no.such.property", "No such configuration property"]),
    ("kafka: invalid librdkafka value", "name: p\n" + GOOD_SOURCE +
     "sink: {connector: kafka, bootstrap.servers: 'localhost:1', acks: sometimes}\n", 2, ["acks"]),
    # Judged by librdkafka only when it creates the client: `validate` creates one too.
    ("kafka sink: a CA file that does not exist", "name: p\n" + GOOD_SOURCE +
     "sink: {connector: kafka, bootstrap.servers: 'localhost:1', security.protocol: ssl, "
     "ssl.ca.location: /no/such/ca.pem}\n", 2, ["sink: creating the Kafka producer", "ssl.ca.location"]),
    ("kafka sink: transactional.id without idempotence", "name: p\n" + GOOD_SOURCE +
     "sink: {connector: kafka, bootstrap.servers: 'localhost:1', transactional.id: t, enable.idempotence: false}\n",
     2, ["sink: creating the Kafka producer", "`transactional.id` requires `enable.idempotence=true`"]),
    ("kafka source: a CA file that does not exist", "name: p\nsource: {connector: kafka, "
     "bootstrap.servers: 'localhost:1', topics: t, security.protocol: ssl, ssl.ca.location: /no/such/ca.pem}\n"
     + GOOD_SINK, 2, ["source: creating the Kafka consumer", "ssl.ca.location"]),
    ("jdbc: unsupported URL", "name: p\nsource:\n  connector: jdbc\n  connection.url: jdbc:oracle:thin:@x\n"
     "  mode: bulk\n" + GOOD_SINK, 2, ["unsupported database URL"]),
    ("jdbc: timestamp mode without a column", "name: p\nsource:\n  connector: jdbc\n"
     "  connection.url: jdbc:sqlite:DB\n  mode: timestamp\n" + GOOD_SINK, 2,
     ["timestamp.column.name", "required in mode timestamp"]),
    ("jdbc: unknown time zone", "name: p\nsource:\n  connector: jdbc\n  connection.url: jdbc:sqlite:DB\n"
     "  mode: bulk\n  db.timezone: Mars/Base\n" + GOOD_SINK, 2, ["unknown time zone 'Mars/Base'"]),
    ("jdbc: missing table", "name: p\nsource:\n  connector: jdbc\n  connection.url: jdbc:sqlite:DB\n"
     "  mode: bulk\n  table.whitelist: nope\n" + GOOD_SINK, 2, ["table 'nope' does not exist"]),
    ("errors: tolerance value", "name: p\n" + GOOD_SOURCE + GOOD_SINK + "errors: {tolerance: some}\n", 2,
     ["'some' is not one of: none, all"]),
    ("errors: dead letters without tolerance", "name: p\n" + GOOD_SOURCE + GOOD_SINK +
     "errors: {deadletterqueue.file: dlq.jsonl}\n", 2, ["needs tolerance: all"]),
    ("errors: retry.timeout type", "name: p\n" + GOOD_SOURCE + GOOD_SINK + "errors: {retry.timeout: 1m}\n", 2,
     ["p.yaml:8:", "errors.retry.timeout: expected an integer, got '1m'"]),
    ("errors: retry.timeout below -1", "name: p\n" + GOOD_SOURCE + GOOD_SINK + "errors: {retry.timeout: -5}\n",
     2, ["errors.retry.timeout", "below the minimum -1"]),
    ("errors: negative retry.delay.max.ms", "name: p\n" + GOOD_SOURCE + GOOD_SINK +
     "errors: {retry.timeout: -1, retry.delay.max.ms: -1}\n", 2, ["errors.retry.delay.max.ms", "below the minimum 0"]),
    ("file sink: exactly-once to stdout", "name: p\n" + GOOD_SOURCE + "sink: {connector: file, exactly.once: true}\n",
     2, ["exactly.once", "needs a file"]),
    ("kafka sink: exactly-once without topic", "name: p\n" + GOOD_SOURCE +
     "sink: {connector: kafka, bootstrap.servers: '127.0.0.1:1', exactly.once: true}\n", 2,
     ["sink.exactly.once", "needs `topic`"]),
    ("kafka sink: exactly-once with acks 1", "name: p\n" + GOOD_SOURCE +
     "sink: {connector: kafka, bootstrap.servers: '127.0.0.1:1', topic: t, exactly.once: true, acks: 1}\n",
     2, ["sink.acks", "exactly.once needs acks=all"]),
    ("kafka sink: exactly-once on mock://", "name: p\n" + GOOD_SOURCE +
     "sink: {connector: kafka, bootstrap.servers: 'mock://1', topic: t, exactly.once: true}\n",
     2, ["sink.exactly.once", "kpipe mock-kafka"]),
    ("hbase sink: no exactly-once", "name: p\n" + GOOD_SOURCE +
     "sink: {connector: hbase, hbase.rest.url: 'http://127.0.0.1:1', exactly.once: true}\n",
     2, ["p.yaml:5:", "sink.exactly.once", "hbase sink cannot do exactly-once"]),
    ("offsets: negative interval", "name: p\n" + GOOD_SOURCE + GOOD_SINK + "offsets: {flush.interval.ms: -1}\n",
     2, ["flush.interval.ms", "below the minimum 0"]),
    ("offsets: unknown key", "name: p\n" + GOOD_SOURCE + GOOD_SINK + "offsets: {path: x.json}\n", 2,
     ["unknown key 'path'"]),
]


class BadInputTest(harness.TempDirTest):
    def setUp(self):
        super().setUp()
        self.write("in.txt", b"alpha\nbeta\ngamma\n")
        import sqlite3
        sqlite3.connect(self.path("db.sqlite")).close()

    def pipeline(self, text):
        text = (text.replace("IN", self.path("in.txt")).replace("OUT", self.path("out.txt"))
                .replace("jdbc:sqlite:DB", "jdbc:sqlite:" + self.path("db.sqlite")))
        return self.write("p.yaml", text, "w")

    def run_expect(self, code, fragments, *args, **kw):
        out = kpipe(*(args or ("run", self.path("p.yaml"))), **kw)
        err = out.stderr.decode(errors="replace")
        self.assertEqual(out.returncode, code, err)
        for f in fragments:
            self.assertIn(f.replace("p.yaml", self.path("p.yaml")) if f.startswith("p.yaml") else f, err)
        return out

    def committed(self):
        out = kpipe("offsets", "show", self.path("p.yaml"))
        if out.returncode != 0:
            return None
        offsets = json.loads(out.stdout)["offsets"]
        return offsets[0]["offset"] if offsets else None

    def test_configuration_mistakes(self):
        for name, text, code, fragments in CONFIG_CASES:
            with self.subTest(name):
                self.pipeline(text)
                self.run_expect(code, fragments)
                self.assertFalse(os.path.exists(self.path("p.offsets.json")))
                # Nothing was written (a sink may have created its file before the source failed).
                self.assertFalse(os.path.exists(self.path("out.txt")) and os.path.getsize(self.path("out.txt")))
                if code == 2 and name != "jdbc: missing table":
                    # Configuration mistakes are found by `kpipe validate` too.
                    self.run_expect(2, fragments, "validate", self.path("p.yaml"))

    def good(self, sink_extra="", source_extra=""):
        return self.pipeline("name: p\n" + GOOD_SOURCE + source_extra + "converter: {value: string}\n" +
                             GOOD_SINK + sink_extra)

    # -- data ---------------------------------------------------------------------------------
    def test_invalid_utf8_and_nul_bytes_come_out_as_valid_json(self):
        self.write("in.txt", b"ok\nbad \xff\xfe bytes\nnul \x00 inside\n")
        self.pipeline("name: p\n" + GOOD_SOURCE + GOOD_SINK)
        self.run_expect(0, [])
        lines = [json.loads(l) for l in self.read("out.txt").splitlines()]
        self.assertEqual([l["payload"] for l in lines], ["ok", "bad \ufffd\ufffd bytes", "nul \x00 inside"])

    def test_a_100_mb_line(self):
        with open(self.path("in.txt"), "wb") as f:
            f.write(b"short\n" + b"x" * (100 << 20) + b"\nlast\n")
        self.good()
        self.run_expect(0, [])
        with open(self.path("out.txt"), "rb") as f:
            self.assertEqual(f.readline(), b"short\n")
            self.assertEqual(len(f.readline()), (100 << 20) + 1)
            self.assertEqual(f.readline(), b"last\n")
        self.assertEqual(self.committed(), {"position": 6 + (100 << 20) + 1 + 5})

    def test_malformed_csv_and_json_name_file_and_line(self):
        cases = [("csv", b"a,b\n1,2\n3,4,5\n", "in.txt:3: expected 2 fields"),
                 ("csv", b"a,b\n1,2\n\"open,4\n", "in.txt:3:"),
                 ("jsonl", b'{"a":1}\n{"a":\n', "in.txt:2:")]
        for fmt, data, fragment in cases:
            with self.subTest(fragment):
                for f in ("p.offsets.json", "out.txt"):
                    if os.path.exists(self.path(f)):
                        os.remove(self.path(f))
                self.write("in.txt", data)
                self.good(source_extra=f"  format: {fmt}\n")
                self.run_expect(1, [fragment])
                # The good record before it is written and committed; the bad one is not.
                self.assertEqual(len(self.read("out.txt").splitlines()), 1)
                self.assertEqual(self.committed()["position"], data.index(b"\n", data.index(b"\n") + 1) + 1
                                 if fmt == "csv" else data.index(b"\n") + 1)

    # -- environment --------------------------------------------------------------------------
    def test_missing_input_and_unwritable_output(self):
        self.pipeline("name: p\nsource: {connector: file, file: /no/such/in.txt}\n" + GOOD_SINK)
        self.run_expect(1, ["input file /no/such/in.txt does not exist"])
        self.pipeline("name: p\n" + GOOD_SOURCE + "sink: {connector: file, file: /no/such/dir/out.txt}\n")
        self.run_expect(1, ["cannot open output file /no/such/dir/out.txt"])
        self.assertIsNone(self.committed())

    def test_disk_full_commits_nothing(self):
        self.pipeline("name: p\n" + GOOD_SOURCE + "sink: {connector: file, file: /dev/full}\n")
        self.run_expect(1, ["/dev/full", "No space left on device", "no offsets committed"])
        self.assertIsNone(self.committed())

    def test_file_size_limit_fails_the_flush_and_commits_nothing(self):
        with open(self.path("in.txt"), "w") as f:
            f.write("line of text\n" * 100000)
        self.good()

        def limit():
            resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
        out = subprocess.run([harness.KPIPE, "run", self.path("p.yaml")], capture_output=True,
                             preexec_fn=limit, timeout=60)
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertIn(b"File too large", out.stderr)
        committed = self.committed()
        written = os.path.getsize(self.path("out.txt"))
        # Whatever was committed is on disk.
        self.assertTrue(committed is None or committed["position"] <= written)

    def test_corrupt_truncated_and_foreign_offsets_files(self):
        self.good()
        for content in (b"\x00\x01garbage", b'{"version":1,"pipelines":{"p":{"offsets":[{"partition":'):
            with self.subTest(content=content):
                self.write("p.offsets.json", content)
                self.run_expect(1, [self.path("p.offsets.json"), "corrupt"])
                self.assertEqual(self.read("p.offsets.json"), content)
        self.write("p.offsets.json", b'{"version":2,"pipelines":{}}')
        self.run_expect(1, ["has version 2"])
        # Another pipeline's offsets file: this pipeline starts fresh, the other's entries stay.
        other = {"version": 1, "pipelines": {"other": {"offsets": [
            {"partition": {"filename": "/x"}, "offset": {"position": 7}}]}}}
        self.write("p.offsets.json", json.dumps(other), "w")
        self.run_expect(0, [])
        doc = json.loads(self.read("p.offsets.json"))
        self.assertEqual(doc["pipelines"]["other"], other["pipelines"]["other"])
        self.assertEqual(doc["pipelines"]["p"]["offsets"][0]["offset"], {"position": 17})

    def test_an_unusable_offsets_folder(self):
        self.good(sink_extra="offsets: {file: " + self.path("in.txt") + "/sub/p.offsets.json}\n")
        self.run_expect(1, ["in.txt/sub/p.offsets.json.lock"])

    def test_a_concurrent_run_exits_3(self):
        import fcntl
        self.good()
        with open(self.path("p.offsets.json.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.run_expect(3, ["another kpipe run holds"])

    def test_sigterm_mid_run_stops_cleanly_with_consistent_offsets(self):
        with open(self.path("in.txt"), "w") as f:
            for i in range(2000000):
                f.write(f"{i}\n")
        self.good(source_extra="  batch.size: 1000\n")
        proc = subprocess.Popen([harness.KPIPE, "run", self.path("p.yaml")], stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not os.path.exists(self.path("p.offsets.json")):
            pass
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, err)
        position = self.committed()["position"]
        # A graceful stop flushes and commits exactly what the file holds.
        self.assertEqual(position, os.path.getsize(self.path("out.txt")))
        self.run_expect(0, [])
        self.assertEqual(len(self.read("out.txt").splitlines()), 2000000)

    def test_an_unresolvable_broker_fails_and_commits_nothing(self):
        self.pipeline("name: p\n" + GOOD_SOURCE + "sink:\n  connector: kafka\n"
                      "  bootstrap.servers: no-such-host.invalid:9092\n  message.timeout.ms: 2000\n")
        self.run_expect(1, ["no offsets committed"])
        self.assertIsNone(self.committed())

    def test_secrets_never_appear_in_output(self):
        secret = "S3cr3t-Passw0rd!"
        self.pipeline("name: p\nsource:\n  connector: jdbc\n  connection.url: postgresql://u:" + secret +
                      "@127.0.0.1:1/db\n  connection.password: ${env:KP_PW}\n  connection.attempts: 1\n"
                      "  mode: bulk\n" + GOOD_SINK)
        outputs = []
        for args in (("run", self.path("p.yaml")), ("validate", self.path("p.yaml")), ("describe", "jdbc"),
                     ("run", self.path("p.yaml"), "--log-format", "json", "--log-level", "debug")):
            out = kpipe(*args, env={"KP_PW": secret})
            outputs.append(out.stdout + out.stderr)
        for text in outputs:
            self.assertNotIn(secret.encode(), text)

    def test_tls_and_auth_secrets_never_appear_in_output(self):
        # The other secret-bearing settings: HBase basic auth, Kafka SASL and TLS key passwords.
        secret = "Tls-And-Sasl-S3cret!"
        pipelines = [
            "name: p\nsource:\n  connector: hbase\n  hbase.rest.url: https://127.0.0.1:1\n"
            "  hbase.table: t\n  hbase.rest.auth: basic\n  hbase.rest.user: u\n"
            "  hbase.rest.password: ${env:KP_PW}\n  hbase.rest.retries: 0\n" + GOOD_SINK,
            "name: p\n" + GOOD_SOURCE + "sink:\n  connector: kafka\n  bootstrap.servers: 127.0.0.1:1\n"
            "  topic: t\n  security.protocol: SASL_SSL\n  sasl.mechanisms: SCRAM-SHA-256\n  sasl.username: u\n"
            "  sasl.password: ${env:KP_PW}\n  ssl.key.password: ${env:KP_PW}\n  message.timeout.ms: 1000\n",
        ]
        self.write("in.txt", b"a\n")
        for text in pipelines:
            self.pipeline(text)
            for args in (("validate", self.path("p.yaml")), ("run", self.path("p.yaml")),
                         ("run", self.path("p.yaml"), "--log-format", "json", "--log-level", "debug")):
                out = kpipe(*args, env={"KP_PW": secret}, timeout=60)
                self.assertNotIn(secret.encode(), out.stdout + out.stderr, args)
                if args[0] == "validate":
                    self.assertEqual(out.returncode, 0, out.stderr.decode())
                    self.assertIn(b"(secret)", out.stdout)
                else:
                    self.assertNotEqual(out.returncode, 0)
        for name in ("hbase", "kafka"):
            out = kpipe("describe", name)
            self.assertEqual(out.returncode, 0)


if __name__ == "__main__":
    unittest.main()
