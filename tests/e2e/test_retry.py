"""errors.retry.timeout: transient failures (a database that goes away and comes back, an HBase
REST gateway answering 503, a server that never comes) are retried by re-opening the pipeline from
its committed offsets, or fail clearly without retry. Synchronisation is on observable events
only: output on disk and kpipe's own log lines."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

import dbserver
import harness
from harness import kpipe

sys.path.insert(0, os.path.dirname(__file__))
import test_hbase  # noqa: E402  (its Gateway driver for tests/fixtures/hbase_rest.py)

RETRY_LINE = re.compile(r"retry (\d+) in (\d+) ms after a transient failure")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Run:
    """kpipe run in the background; its stderr lines collected as they come."""

    def __init__(self, pipeline, *args):
        self.proc = subprocess.Popen([harness.KPIPE, "run", pipeline, *args], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stderr:
            with self.cond:
                self.lines.append(raw.decode(errors="replace"))
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)  # end of stderr
            self.cond.notify_all()

    def wait_line(self, predicate, timeout=60):
        """The first stderr line (from the start) for which predicate(line) is truthy, or None."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                while seen < len(self.lines):
                    line = self.lines[seen]
                    seen += 1
                    if line is None:
                        return None
                    if predicate(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def text(self):
        with self.cond:
            return "".join(line for line in self.lines if line)

    def finish(self, timeout=300):
        self.proc.wait(timeout=timeout)
        self.reader.join(timeout=30)
        self.proc.stderr.close()
        return self.proc.returncode, self.text()


class PostgresOutageTest(harness.TempDirTest):
    """A PostgreSQL source whose server stops mid-run and starts again on the same port. The runs
    use --follow, so an outage always lands inside a run however fast the machine is."""

    N = 20000     # rows read before the first outage
    MORE = 100000  # rows the retried run reads, long enough for the outage to land mid-stream

    @classmethod
    def setUpClass(cls):
        cls.db = dbserver.Postgres()

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def pipeline(self, errors=""):
        text = (f"name: outage\nsource:\n  connector: jdbc\n  connection.url: {self.db.url}\n"
                "  connection.attempts: 1\n  mode: timestamp+incrementing\n  table.whitelist: big\n"
                "  timestamp.column.name: updated_at\n  incrementing.column.name: id\n"
                "  batch.max.rows: 500\n  poll.interval.ms: 100\n"
                "converter: {value: json, value.schemas.enable: false}\n"
                f"sink:\n  connector: file\n  file: {self.path('out.jsonl')}\n{errors}")
        return self.write("p.yaml", text, "w")

    def ids(self):
        if not os.path.exists(self.path("out.jsonl")):
            return []
        return [json.loads(line)["id"] for line in self.read("out.jsonl").decode().splitlines()]

    def lines(self):
        """Output lines so far (cheap enough to poll, unlike parsing them)."""
        return self.read("out.jsonl").count(b"\n") if os.path.exists(self.path("out.jsonl")) else 0

    def wait_for_ids(self, run, wanted, timeout=120):
        """Until the output holds every id in `wanted` (or the run ended)."""
        deadline = time.monotonic() + timeout
        checked = -1
        while run.proc.poll() is None and time.monotonic() < deadline:
            lines = self.lines()
            if lines >= len(wanted) and lines != checked:
                if wanted <= set(self.ids()):
                    return True
                checked = lines
            time.sleep(0.05)
        return wanted <= set(self.ids())

    def wait_for_more_than(self, run, lines):
        deadline = time.monotonic() + 60
        while run.proc.poll() is None and time.monotonic() < deadline and self.lines() <= lines:
            time.sleep(0.005)

    def test_an_outage_fails_without_retry_and_is_survived_with_it(self):
        self.db.exec('DROP TABLE IF EXISTS "big"')
        self.db.exec('CREATE TABLE "big" (id BIGINT PRIMARY KEY, note VARCHAR(100), '
                     "updated_at TIMESTAMP(6) NOT NULL)")
        self.db.insert_ties("big", self.N, 50)

        # Without retry: the outage ends the run, naming the failure and the key that retries it.
        self.pipeline()
        run = Run(self.path("p.yaml"), "--follow")
        self.wait_for_more_than(run, 0)
        self.assertIsNone(run.proc.poll(), run.text())
        try:
            self.db.pause()
            code, err = run.finish(timeout=120)
        finally:
            self.db.resume()
        self.assertEqual(code, 1, err)
        self.assertIn("PostgreSQL", err)
        self.assertIn("errors.retry.timeout would retry it", err)
        self.assertIn("pipeline 'outage' failed: read", err)
        self.assertNotIn("kpipe:kpipe@", err)  # the URL's password is never printed

        # With retry: the same pipeline resumes from its offsets, survives an outage in the middle
        # of the next N rows and reads what was added after it.
        self.db.exec('INSERT INTO "big" SELECT i, \'more \' || i, timestamp \'2022-01-01 00:00:00\' '
                     f"FROM generate_series({self.N + 1}, {self.N + self.MORE}) i")
        self.pipeline("errors:\n  retry.timeout: 60000\n  retry.delay.max.ms: 500\n")
        run = Run(self.path("p.yaml"), "--follow")
        self.wait_for_more_than(run, self.lines())
        self.assertIsNone(run.proc.poll(), run.text())
        try:
            self.db.pause()
            # kpipe saw the outage and is retrying while the server is down.
            line = run.wait_line(RETRY_LINE.search, timeout=60)
        finally:
            self.db.resume()
        self.assertIsNotNone(line, run.text())
        self.db.exec('INSERT INTO "big" SELECT i, \'late \' || i, timestamp \'2023-01-01 00:00:00\' '
                     f"FROM generate_series({self.N + self.MORE + 1}, {self.N + self.MORE + 10}) i")
        everything = set(range(1, self.N + self.MORE + 11))
        done = self.wait_for_ids(run, everything)
        run.proc.send_signal(signal.SIGTERM)
        code, err = run.finish(timeout=120)
        self.assertTrue(done, err)
        self.assertEqual(code, 0, err)
        self.assertRegex(err, r"pipeline 'outage' done: .*retried \d+ time\(s\)")
        self.assertNotIn("kpipe:kpipe@", err)
        # At-least-once: every row, duplicates only of rows after the last commit.
        self.assertEqual(set(self.ids()), everything, "rows lost")

        # Caught up: a run without any outage emits nothing more.
        count = self.lines()
        out = kpipe("run", self.path("p.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assertEqual(self.lines(), count)


    def test_a_wrong_password_or_a_missing_table_is_not_retried(self):
        url = self.db.url.replace("kpipe:kpipe@", "kpipe:Wr0ngPw@")
        for name, source_url, table, code, fragment in [
                ("wrong password", url, "big", 1, "password authentication failed"),
                ("missing table", self.db.url, "no_such_table", 2, "no_such_table")]:
            with self.subTest(name):
                self.write("p.yaml", f"name: p\nsource:\n  connector: jdbc\n  connection.url: {source_url}\n"
                                     f"  connection.attempts: 1\n  mode: bulk\n  table.whitelist: {table}\n"
                                     f"sink:\n  connector: file\n  file: {self.path('x.jsonl')}\n"
                                     "errors: {retry.timeout: 60000}\n", "w")
                started = time.monotonic()
                out = kpipe("run", self.path("p.yaml"), timeout=60)
                err = out.stderr.decode()
                self.assertEqual(out.returncode, code, err)
                self.assertIn(fragment, err)
                self.assertNotRegex(err, RETRY_LINE)
                self.assertNotIn("Wr0ngPw", err)
                self.assertLess(time.monotonic() - started, 10, err)

    def test_an_exactly_once_sink_outage_is_retried_without_duplicates(self):
        """The jdbc sink stores its offsets with its rows: a retry after the target went away
        resumes from them, so plain inserts (no key to absorb duplicates) land exactly once."""
        import sqlite3
        self.db.exec('DROP TABLE IF EXISTS "items"')
        self.db.exec('DROP TABLE IF EXISTS "kpipe_offsets"')
        self.db.exec('CREATE TABLE "items" (id BIGINT NOT NULL, note TEXT)')  # polled below
        source = self.path("src.db")

        def add(first, last):
            with sqlite3.connect(source) as c:
                c.execute("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, note TEXT)")
                c.executemany("INSERT INTO items VALUES (?, ?)", [(i, f"n{i}") for i in range(first, last + 1)])

        def target():
            [[rows, ids]] = self.db.query('SELECT count(*), count(DISTINCT id) FROM "items"')
            return int(rows), int(ids)

        def wait_for_target(run, rows):
            deadline = time.monotonic() + 120
            while run.proc.poll() is None and time.monotonic() < deadline:
                if target()[0] >= rows:
                    return True
                time.sleep(0.05)
            return False

        add(1, 1000)
        self.write("p.yaml", f"name: eo\nsource:\n  connector: jdbc\n  connection.url: jdbc:sqlite:{source}\n"
                             "  mode: incrementing\n  incrementing.column.name: id\n  table.whitelist: items\n"
                             "  batch.max.rows: 100\n  poll.interval.ms: 100\n"
                             f"sink:\n  connector: jdbc\n  connection.url: \"{self.db.url}\"\n"
                             "  connection.attempts: 1\n  auto.create: true\n  exactly.once: true\n"
                             "errors: {retry.timeout: 60000, retry.delay.max.ms: 500}\n", "w")
        run = Run(self.path("p.yaml"), "--follow")
        self.assertTrue(wait_for_target(run, 1000), run.text())
        try:
            self.db.pause()
            add(1001, 3000)  # the sink fails writing these: its connection is gone
            line = run.wait_line(RETRY_LINE.search, timeout=60)
        finally:
            self.db.resume()
        self.assertIsNotNone(line, run.text())
        self.assertIn("sink", line)
        done = wait_for_target(run, 3000)
        run.proc.send_signal(signal.SIGTERM)
        code, err = run.finish(timeout=120)
        self.assertTrue(done, err)
        self.assertEqual(code, 0, err)
        self.assertRegex(err, r"pipeline 'eo' done: .*retried \d+ time\(s\)")
        self.assertEqual(target(), (3000, 3000))
        self.assertEqual(self.db.query('SELECT source_offset FROM "kpipe_offsets"'), [['{"incrementing":3000}']])


class KafkaOutageTest(harness.TempDirTest):
    """The Kafka sink's brokers go away mid-run (`kpipe mock-kafka` takes them down on SIGUSR1 and
    brings them back on SIGUSR2) while kpipe follows a file: without retry the run fails naming
    the brokers and commits nothing it did not deliver; with retry it survives."""

    def setUp(self):
        super().setUp()
        self.kafka = harness.MockKafka(topics=["lines:1"])
        self.addCleanup(self.kafka.stop)

    def pipeline(self, errors=""):
        self.write("p.yaml", f"name: p\nsource: {{connector: file, file: {self.path('in.txt')}, topic: lines, "
                             f"poll.interval.ms: 50}}\nconverter: {{value: string}}\n"
                             f"sink: {{connector: kafka, bootstrap.servers: '{self.kafka.bootstrap}', "
                             f"message.timeout.ms: 1000}}\n{errors}", "w")

    def append(self, first, count):
        """Appends lines first..first+count-1; returns the file's new size (its last position)."""
        with open(self.path("in.txt"), "a") as f:
            f.writelines(f"line {i}\n" for i in range(first, first + count))
        return os.path.getsize(self.path("in.txt"))

    def outage(self, down):
        """Signals the mock cluster and waits for it to say the brokers are down (or up)."""
        self.kafka.proc.send_signal(signal.SIGUSR1 if down else signal.SIGUSR2)
        want = "brokers down" if down else "brokers up"
        for raw in self.kafka.proc.stderr:
            if want in raw.decode(errors="replace"):
                return
        self.fail("mock-kafka ended without saying " + want)

    def committed(self):
        try:
            with open(self.path("p.offsets.json")) as f:
                offsets = json.load(f)["pipelines"]["p"]["offsets"]
        except FileNotFoundError:
            return 0
        return offsets[0]["offset"]["position"] if offsets else 0

    def wait_committed(self, run, position):
        deadline = time.monotonic() + 60
        while run.proc.poll() is None and time.monotonic() < deadline and self.committed() < position:
            time.sleep(0.01)
        return self.committed() == position

    def test_a_kafka_outage_fails_without_retry_and_is_survived_with_it(self):
        end = self.append(0, 1000)
        self.pipeline()
        run = Run(self.path("p.yaml"), "--follow")
        self.assertTrue(self.wait_committed(run, end), run.text())
        self.outage(True)
        try:
            self.append(1000, 1000)
            code, err = run.finish(timeout=120)
        finally:
            self.outage(False)
        self.assertEqual(code, 1, err)
        self.assertIn("not delivered to Kafka", err)
        self.assertIn(self.kafka.bootstrap, err)
        self.assertIn("errors.retry.timeout would retry it", err)
        self.assertEqual(self.committed(), end, "an offset was committed past what Kafka acknowledged")

        # With retry: the run resumes from its offsets, survives an outage and ends the caught-up.
        self.pipeline("errors:\n  retry.timeout: 60000\n  retry.delay.max.ms: 200\n")
        run = Run(self.path("p.yaml"), "--follow")
        end = os.path.getsize(self.path("in.txt"))
        self.assertTrue(self.wait_committed(run, end), run.text())
        self.outage(True)
        try:
            end = self.append(2000, 1000)
            line = run.wait_line(RETRY_LINE.search, timeout=60)
        finally:
            self.outage(False)
        self.assertIsNotNone(line, run.text())
        self.assertTrue(self.wait_committed(run, end), run.text())
        run.proc.send_signal(signal.SIGTERM)
        code, err = run.finish(timeout=120)
        self.assertEqual(code, 0, err)
        self.assertRegex(err, r"pipeline 'p' done: .*retried \d+ time\(s\)")
        # At-least-once: every line, whatever the outage interrupted sent again.
        got = harness.kcat_consume(self.kafka.bootstrap, "lines").decode().splitlines()
        self.assertEqual(set(got), {f"line {i}" for i in range(3000)}, "lines lost")


class MariaDbKilledConnectionTest(harness.TempDirTest):
    """A MariaDB source whose connections the server kills (KILL): retried, nothing lost."""

    @classmethod
    def setUpClass(cls):
        cls.db = dbserver.MariaDb()

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def ids(self):
        if not os.path.exists(self.path("out.jsonl")):
            return set()
        return {json.loads(line)["id"] for line in self.read("out.jsonl").decode().splitlines()}

    def wait_for_ids(self, run, wanted):
        deadline = time.monotonic() + 120
        while run.proc.poll() is None and time.monotonic() < deadline and not wanted <= self.ids():
            time.sleep(0.05)
        return wanted <= self.ids()

    def test_killed_connections_are_retried(self):
        self.db.exec("DROP TABLE IF EXISTS t")
        self.db.exec("CREATE TABLE t (id BIGINT PRIMARY KEY, note VARCHAR(20))")
        self.db.exec("INSERT INTO t SELECT seq, CONCAT('n', seq) FROM seq_1_to_1000")
        self.write("p.yaml", f"name: m\nsource:\n  connector: jdbc\n  connection.url: \"{self.db.url}\"\n"
                             "  connection.attempts: 1\n  mode: incrementing\n  incrementing.column.name: id\n"
                             "  table.whitelist: t\n  poll.interval.ms: 100\n"
                             "converter: {value: json, value.schemas.enable: false}\n"
                             f"sink:\n  connector: file\n  file: {self.path('out.jsonl')}\n"
                             "errors: {retry.timeout: 60000, retry.delay.max.ms: 500}\n", "w")
        run = Run(self.path("p.yaml"), "--follow")
        self.assertTrue(self.wait_for_ids(run, set(range(1, 1001))), run.text())
        self.db.kill_connections()
        line = run.wait_line(RETRY_LINE.search, timeout=60)
        self.assertIsNotNone(line, run.text())
        self.db.exec("INSERT INTO t SELECT seq, CONCAT('n', seq) FROM seq_1001_to_1010")
        done = self.wait_for_ids(run, set(range(1, 1011)))
        run.proc.send_signal(signal.SIGTERM)
        code, err = run.finish(timeout=120)
        self.assertTrue(done, err)
        self.assertEqual(code, 0, err)
        self.assertRegex(err, r"pipeline 'm' done: .*retried \d+ time\(s\)")
        self.assertNotIn("password=kpipe", err)


class DescribeTest(unittest.TestCase):
    def test_describe_errors_lists_the_retry_keys(self):
        out = kpipe("describe", "errors", "--format", "json")
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        [spec] = json.loads(out.stdout)
        self.assertEqual(spec["kind"], "pipeline")
        fields = {f["name"]: f for f in spec["fields"]}
        self.assertEqual(fields["retry.timeout"]["default"], "0")
        self.assertEqual(fields["retry.timeout"]["min"], -1)
        self.assertEqual(fields["retry.delay.max.ms"]["default"], "60000")
        self.assertEqual(fields["retry.delay.max.ms"]["min"], 0)


class GiveUpTest(harness.TempDirTest):
    """A server that never comes: retry gives up after retry.timeout; SIGTERM ends a wait."""

    def pipeline(self, errors):
        text = (f"name: p\nsource:\n  connector: jdbc\n"
                f"  connection.url: postgresql://kpipe:S3cretPw@127.0.0.1:{free_port()}/kpipe\n"
                "  connection.attempts: 1\n  mode: bulk\n"
                f"sink:\n  connector: file\n  file: {self.path('out.jsonl')}\nerrors:\n{errors}")
        return self.write("p.yaml", text, "w")

    def test_retry_gives_up_after_the_timeout_with_the_last_error(self):
        self.pipeline("  retry.timeout: 1500\n  retry.delay.max.ms: 200\n")
        started = time.monotonic()
        out = kpipe("run", self.path("p.yaml"), timeout=60)
        took = time.monotonic() - started
        err = out.stderr.decode()
        self.assertEqual(out.returncode, 1, err)
        self.assertGreaterEqual(took, 1.5, err)
        self.assertLess(took, 20, err)
        self.assertIn("connecting to PostgreSQL", err)
        self.assertIn("gave up after", err)
        self.assertIn("errors.retry.timeout is 1500 ms", err)
        self.assertRegex(err, RETRY_LINE)
        self.assertNotIn("S3cretPw", err)
        self.assertFalse(os.path.exists(self.path("out.jsonl")) and os.path.getsize(self.path("out.jsonl")))

    def test_sigterm_during_a_backoff_exits_promptly(self):
        self.pipeline("  retry.timeout: -1\n  retry.delay.max.ms: 60000\n")
        run = Run(self.path("p.yaml"))
        # A wait long enough that only an interrupted one can end within the bound below.
        line = run.wait_line(lambda l: (m := RETRY_LINE.search(l)) and int(m.group(2)) >= 3000,
                             timeout=120)
        self.assertIsNotNone(line, "".join(l for l in run.lines if l))
        stopped = time.monotonic()
        run.proc.send_signal(signal.SIGTERM)
        code, err = run.finish(timeout=60)
        self.assertLess(time.monotonic() - stopped, 2.5, err)
        self.assertEqual(code, 1, err)
        self.assertIn("stopped while waiting to retry", err)
        self.assertNotIn("S3cretPw", err)


class HBase503Test(harness.TempDirTest):
    """An HBase REST gateway answering 503: retried by the runner, or a clear failure."""

    @classmethod
    def setUpClass(cls):
        cls.gateway = test_hbase.Gateway()
        cls.gateway.create("t")
        cls.gateway.put("t", {f"r{i:03d}": {"cf:a": f"v{i}"} for i in range(50)})

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()

    def pipeline(self, errors=""):
        # No retries inside the REST client: every 503 reaches the runner.
        text = (f"name: p\nsource:\n  connector: hbase\n  hbase.rest.url: {self.gateway.url}\n"
                "  hbase.table: t\n  hbase.batch.size: 10\n  hbase.rest.retries: 0\n"
                "converter: {value: json, value.schemas.enable: false}\n"
                f"sink:\n  connector: file\n  file: {self.path('out.jsonl')}\n{errors}")
        return self.write("p.yaml", text, "w")

    def rows(self):
        return [json.loads(line) for line in self.read("out.jsonl").decode().splitlines()]

    def test_503s_fail_without_retry(self):
        self.gateway.control(fail_next=1, fail_status=503)
        self.pipeline()
        out = kpipe("run", self.path("p.yaml"))
        err = out.stderr.decode()
        self.assertEqual(out.returncode, 1, err)
        self.assertIn("HTTP 503", err)
        self.assertIn("errors.retry.timeout would retry it", err)

    def test_503s_are_survived_with_retry(self):
        self.gateway.control(fail_next=4, fail_status=503)
        self.pipeline("errors: {retry.timeout: 30000, retry.delay.max.ms: 100}\n")
        out = kpipe("run", self.path("p.yaml"))
        err = out.stderr.decode()
        self.assertEqual(out.returncode, 0, err)
        self.assertIn("HTTP 503", err)
        self.assertRegex(err, r"done: .*retried [1-4] time\(s\)")
        self.assertEqual(sorted({r["rowkey"] for r in self.rows()}), [f"r{i:03d}" for i in range(50)])
        self.assertEqual(self.gateway.stats()["open_scanners"], 0)


if __name__ == "__main__":
    unittest.main()
