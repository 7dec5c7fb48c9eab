"""The jdbc source's promises, run against each database (SQLite, PostgreSQL, MariaDB).

A subclass supplies `db` (an object with exec(sql), query(sql) -> rows, url) and the dialect's
column types; every scenario runs the built binary and checks real rows.
"""
import json
import os
import subprocess
import time

import harness
from harness import kpipe

LOGIN_GOLDEN = (
    '{"schema":{"type":"struct","fields":[{"type":"string","optional":true,"field":"username"},'
    '{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,'
    '"field":"login_time"}],"optional":false,"name":"login"},'
    '"payload":{"username":"%s","login_time":%d}}')


class JdbcScenarios:
    # Dialect hooks.
    TS = "TIMESTAMP"          # a zone-less timestamp column type with the best precision
    TEXT = "VARCHAR(100)"
    INT = "BIGINT"
    DB_NAME = "jdbc"          # names the pair in the crash report
    db = None                 # set by the subclass's setUpClass

    def q(self, name):
        return '"' + name.replace('"', '""') + '"'

    # -- helpers -------------------------------------------------------------------------------
    def pipeline(self, name="p", source="", converter="converter: {value: json, value.schemas.enable: false}\n"):
        text = (f"name: {name}\nsource:\n  connector: jdbc\n  connection.url: {self.db.url}\n"
                f"  connection.attempts: 1\n{source}"
                f"{converter}sink:\n  connector: file\n  file: {self.path('out.jsonl')}\n")
        return self.write("p.yaml", text, "w")

    def run_ok(self, *extra):
        out = kpipe("run", self.path("p.yaml"), *extra, timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        return out

    def rows(self):
        if not os.path.exists(self.path("out.jsonl")):
            return []
        return [json.loads(line) for line in self.read("out.jsonl").decode().splitlines()]

    def offsets(self):
        out = kpipe("offsets", "show", self.path("p.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)["offsets"]

    def fresh_table(self, name, columns):
        self.db.exec(f"DROP TABLE IF EXISTS {self.q(name)}")
        self.db.exec(f"CREATE TABLE {self.q(name)} ({columns})")

    # -- scenarios ------------------------------------------------------------------------------
    def test_login_walkthrough_byte_for_byte(self):
        self.fresh_table("login", f"username VARCHAR(30), login_time {self.TS}")
        self.db.exec("INSERT INTO login VALUES ('gwenshap', '2016-10-14 05:46:02'), "
                     "('tpalino', '2016-10-14 05:46:21')")
        self.pipeline(source="  mode: timestamp\n  table.whitelist: login\n"
                             "  timestamp.column.name: login_time\n  validate.non.null: false\n"
                             "  topic.prefix: mysql.\n",
                      converter="")
        self.run_ok()
        self.assertEqual(self.read("out.jsonl").decode().splitlines(),
                         [LOGIN_GOLDEN % ("gwenshap", 1476423962000),
                          LOGIN_GOLDEN % ("tpalino", 1476423981000)])
        [entry] = self.offsets()
        self.assertEqual(entry["partition"]["protocol"], "1")
        self.assertTrue(entry["partition"]["table"].endswith(".login"))
        self.assertEqual(entry["offset"], {"timestamp": 1476423981000, "timestamp_nanos": 0})
        # Cron behaviour: nothing new, nothing emitted, offsets unchanged.
        self.run_ok()
        self.assertEqual(len(self.rows()), 2)
        self.assertEqual(self.offsets(), [entry])

    def ties_table(self, name, with_key, n=20000, distinct=13):
        key = f"id {self.INT} PRIMARY KEY" if with_key else f"id {self.INT} NOT NULL"
        self.fresh_table(name, f"{key}, note {self.TEXT}, updated_at {self.TS} NOT NULL")
        self.db.insert_ties(name, n, distinct)

    def read_ids(self):
        return [r["id"] for r in self.rows()]

    # Rows of the kill -9 ties tests: enough that most kills land while a run is still reading.
    TIES_ROWS = 20000

    def check_ties(self, with_key):
        n = self.TIES_ROWS
        self.ties_table("ties", with_key, n=n)
        self.pipeline(source="  mode: timestamp\n  table.whitelist: ties\n"
                             "  timestamp.column.name: updated_at\n  batch.max.rows: 100\n")
        kills, mid_run = harness.kill_after_progress(self.path("p.yaml"),
                                                     lambda: harness.file_size(self.path("out.jsonl")))
        self.run_ok()
        ids = self.read_ids()
        lost = len(set(range(1, n + 1)) - set(ids))
        harness.crash_report(f"{self.DB_NAME} → file ({'key' if with_key else 'no key'}, ties)", kills,
                             mid_run, lost, len(ids) - len(set(ids)))
        self.assertEqual(set(ids), set(range(1, n + 1)), f"rows lost (seed {harness.CRASH_SEED})")
        self.assertGreaterEqual(mid_run, kills // 2, "most kills should land mid-run")
        # A kill replays what was not committed: a few batches, or with ties and no key to resume
        # inside a timestamp, also the whole tie group (n rows over 13 timestamps).
        replay = harness.REPLAY_BATCHES * 100 + (0 if with_key else n // 13 + 1)
        self.assertLessEqual(len(ids) - len(set(ids)), mid_run * replay, f"seed {harness.CRASH_SEED}")
        # Nothing left: a rerun emits nothing.
        before = len(ids)
        self.run_ok()
        self.assertEqual(len(self.read_ids()), before)
        return ids

    def test_ties_with_a_primary_key_survive_kill_9(self):
        self.check_ties(with_key=True)
        [entry] = self.offsets()
        self.assertIn("key", entry["offset"])

    def test_ties_without_a_key_survive_kill_9(self):
        self.check_ties(with_key=False)

    def test_incremental_runs_emit_exactly_new_and_changed_rows(self):
        self.fresh_table("items", f"id {self.INT} PRIMARY KEY, name {self.TEXT}, updated_at {self.TS} NOT NULL")
        self.db.exec("INSERT INTO items VALUES (1, 'a', '2020-01-01 00:00:00'), (2, 'b', '2020-01-01 00:00:01')")
        self.pipeline(source="  mode: timestamp\n  table.whitelist: items\n  timestamp.column.name: updated_at\n")
        self.run_ok()
        self.assertEqual(self.read_ids(), [1, 2])
        self.db.exec("INSERT INTO items VALUES (3, 'c', '2020-01-02 00:00:00')")
        self.db.exec("UPDATE items SET name = 'a2', updated_at = '2020-01-03 00:00:00' WHERE id = 1")
        self.run_ok()
        self.assertEqual(self.read_ids(), [1, 2, 3, 1])
        self.assertEqual(self.rows()[-1]["name"], "a2")

    def test_timestamp_incrementing_incrementing_and_bulk(self):
        self.fresh_table("ev", f"id {self.INT} NOT NULL, v {self.TEXT}, at {self.TS} NOT NULL")
        self.db.exec("INSERT INTO ev VALUES (1, 'x', '2020-01-01 00:00:00'), (2, 'y', '2020-01-01 00:00:00'), "
                     "(3, 'z', '2020-01-01 00:00:00')")
        for mode, extra in [("timestamp+incrementing", "  timestamp.column.name: at\n  incrementing.column.name: id\n"),
                            ("incrementing", "  incrementing.column.name: id\n"),
                            ("bulk", "")]:
            with self.subTest(mode=mode):
                for f in ("out.jsonl", "p.offsets.json"):
                    if os.path.exists(self.path(f)):
                        os.remove(self.path(f))
                self.pipeline(source=f"  mode: {mode}\n  table.whitelist: ev\n  batch.max.rows: 2\n{extra}")
                self.run_ok()
                self.assertEqual(self.read_ids(), [1, 2, 3])
                self.db.exec("INSERT INTO ev VALUES (4, 'w', '2020-01-01 00:00:00')")
                self.run_ok()
                expected = [1, 2, 3, 1, 2, 3, 4] if mode == "bulk" else [1, 2, 3, 4]
                self.assertEqual(self.read_ids(), expected)
                self.db.exec("DELETE FROM ev WHERE id = 4")
                if mode == "timestamp+incrementing":
                    self.assertEqual(self.offsets()[0]["offset"],
                                     {"timestamp": 1577836800000, "timestamp_nanos": 0, "incrementing": 4})
                if mode == "incrementing":
                    self.assertEqual(self.offsets()[0]["offset"], {"incrementing": 4})
                if mode == "bulk":
                    self.assertEqual(self.offsets(), [])

    def test_coalesce_initial_and_upper_bound(self):
        self.fresh_table("co", f"id {self.INT} PRIMARY KEY, created {self.TS} NOT NULL, modified {self.TS}")
        self.db.exec("INSERT INTO co VALUES (1, '2020-01-01 00:00:00', NULL), "
                     "(2, '2020-01-01 00:00:00', '2021-06-01 00:00:00'), "
                     "(3, '2019-01-01 00:00:00', NULL)")
        # A row stamped far in the future is not read: the upper bound is the database's clock.
        self.db.exec("INSERT INTO co VALUES (4, '2999-01-01 00:00:00', NULL)")
        self.pipeline(source="  mode: timestamp\n  table.whitelist: co\n"
                             "  timestamp.column.name: [modified, created]\n  validate.non.null: false\n"
                             "  timestamp.initial: 1546300800001\n")  # 2019-01-01 00:00:00.001
        self.run_ok()
        self.assertEqual(self.read_ids(), [1, 2])

    def test_validate_non_null_names_the_column(self):
        self.fresh_table("nn", f"id {self.INT} PRIMARY KEY, at {self.TS}")
        self.pipeline(source="  mode: timestamp\n  table.whitelist: nn\n  timestamp.column.name: at\n")
        out = kpipe("run", self.path("p.yaml"))
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn(b"column 'at'", out.stderr)
        self.assertIn(b"nullable", out.stderr)
        self.assertIn(b"p.yaml:", out.stderr)

    def test_missing_table_and_column_are_named(self):
        self.fresh_table("t1", f"id {self.INT} PRIMARY KEY, at {self.TS} NOT NULL")
        self.pipeline(source="  mode: timestamp\n  table.whitelist: no_such_table\n  timestamp.column.name: at\n")
        out = kpipe("run", self.path("p.yaml"))
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn(b"no_such_table", out.stderr)
        self.pipeline(source="  mode: timestamp\n  table.whitelist: t1\n  timestamp.column.name: no_such_col\n")
        out = kpipe("run", self.path("p.yaml"))
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn(b"no_such_col", out.stderr)

    def test_a_hostile_table_name_is_read_safely(self):
        name = "x'; DROP TABLE victim; --"
        self.fresh_table("victim", f"id {self.INT} PRIMARY KEY")
        self.fresh_table(name, f"id {self.INT} PRIMARY KEY, at {self.TS} NOT NULL")
        self.db.exec(f"INSERT INTO {self.q(name)} VALUES (7, '2020-01-01 00:00:00')")
        self.pipeline(source=f"  mode: timestamp\n  table.whitelist: [\"{name}\"]\n  timestamp.column.name: at\n")
        self.run_ok()
        self.assertEqual(self.read_ids(), [7])
        self.assertEqual(self.db.query("SELECT COUNT(*) FROM victim"), [["0"]])

    def test_microseconds_are_kept_in_offsets(self):
        if not self.MICROS:
            self.skipTest("this database keeps milliseconds")
        self.fresh_table("us", f"id {self.INT} NOT NULL, at {self.TS} NOT NULL")
        self.db.exec("INSERT INTO us VALUES (1, '2020-01-01 00:00:00.000001'), (2, '2020-01-01 00:00:00.000002')")
        self.pipeline(source="  mode: timestamp\n  table.whitelist: us\n  timestamp.column.name: at\n")
        self.run_ok()
        self.assertEqual(self.offsets()[0]["offset"], {"timestamp": 1577836800000, "timestamp_nanos": 2000})
        self.db.exec("INSERT INTO us VALUES (3, '2020-01-01 00:00:00.000003')")
        self.run_ok()
        self.assertEqual(self.read_ids(), [1, 2, 3])


class ServerScenarios:
    """Failures only a database server can show. Subclasses set UNREACHABLE_URL."""

    def test_an_unreachable_database_fails_after_the_configured_attempts(self):
        text = (f"name: p\nsource:\n  connector: jdbc\n  connection.url: {self.UNREACHABLE_URL}\n"
                "  connection.attempts: 2\n  connection.backoff.ms: 50\n  mode: bulk\n"
                f"sink:\n  connector: file\n  file: {self.path('out.jsonl')}\n")
        self.write("p.yaml", text, "w")
        out = kpipe("run", self.path("p.yaml"))
        err = out.stderr.decode()
        self.assertEqual(out.returncode, 1, err)
        self.assertIn("attempt 1 of 2", err)
        self.assertIn("connecting to the database", err)
        self.assertFalse(os.path.exists(self.path("p.offsets.json")))

    def test_a_wrong_password_is_exit_1_and_never_printed(self):
        self.pipeline(source="  connection.user: kpipe\n  connection.password: Wr0ngSecret!x\n  mode: bulk\n")
        out = kpipe("run", self.path("p.yaml"))
        err = out.stderr.decode() + out.stdout.decode()
        self.assertEqual(out.returncode, 1, err)
        self.assertNotIn("Wr0ngSecret", err)
        out = kpipe("validate", self.path("p.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertNotIn(b"Wr0ngSecret", out.stdout + out.stderr)
        self.assertIn(b"connection.password = (secret)", out.stdout)

    def test_a_connection_lost_mid_run_commits_nothing_past_the_sink(self):
        self.ties_table("big", with_key=True, n=200000, distinct=50)
        self.pipeline(name="lost", source="  mode: timestamp\n  table.whitelist: big\n"
                                            "  timestamp.column.name: updated_at\n  batch.max.rows: 50\n")
        proc = subprocess.Popen([harness.KPIPE, "run", self.path("p.yaml")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if os.path.exists(self.path("out.jsonl")) and os.path.getsize(self.path("out.jsonl")) > 0:
                break
            time.sleep(0.005)
        self.db.kill_connections()
        _, err = proc.communicate(timeout=120)
        if proc.returncode == 0:
            self.skipTest("the run finished before the connection was killed")
        self.assertEqual(proc.returncode, 1, err)
        emitted = self.read_ids()
        [entry] = self.offsets()
        # The committed position is a row the sink already holds.
        self.assertIn(entry["offset"]["key"][0], emitted)
        self.run_ok()
        self.assertEqual(set(self.read_ids()), set(range(1, 200001)))
