"""Crash harness: kill -9 a pipeline at random moments, restart until it finishes, then compare
the target with the source. Zero records lost in every pair; duplicates only from the batch that
was not committed when a kill came (at-least-once), and none at all with exactly-once.

KPIPE_CRASH_KILLS sets the kills per pair (default 20); KPIPE_CRASH_SEED the random seed.
"""
import os
import random
import signal
import sqlite3
import subprocess
import time
import unittest

import harness
from harness import kpipe

KILLS = harness.CRASH_KILLS
SEED = harness.CRASH_SEED
LINES = 100000
BATCH = 500
REPLAY_BATCHES = harness.REPLAY_BATCHES


class CrashTest(harness.TempDirTest):
    def setUp(self):
        super().setUp()
        self.random = random.Random(SEED)
        with open(self.path("in.txt"), "w") as f:
            for i in range(LINES):
                f.write(f"line {i:06d} ünïcode\n")

    def commit_id(self):
        """Each commit renames a new offsets file into place: a new inode."""
        try:
            st = os.stat(self.path("p.offsets.json"))
            return (st.st_ino, st.st_mtime_ns)
        except FileNotFoundError:
            return None

    def crash_loop(self, pipeline):
        """Kills `kpipe run pipeline` KILLS times, each after a random number of commits (0-4)
        plus a random 0-10 ms, so kills land before, during and after offsets-file writes; then
        runs it to the end. Returns how many kills landed while the run was still going."""
        landed = 0
        for _ in range(KILLS):
            commits = self.random.randint(0, 4)
            extra = self.random.uniform(0, 0.01)
            seen = self.commit_id()
            proc = subprocess.Popen([harness.KPIPE, "run", pipeline],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while commits and proc.poll() is None and time.monotonic() < deadline:
                now = self.commit_id()
                if now != seen:
                    seen, commits = now, commits - 1
            time.sleep(extra)  # fault injection at a random moment, not synchronisation
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                landed += 1
            proc.wait()
        out = kpipe("run", pipeline, timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assertGreaterEqual(landed, KILLS // 2, "most kills should land mid-run")
        return landed

    def expected(self):
        return [f"line {i:06d} ünïcode" for i in range(LINES)]

    def check_at_least_once(self, got, landed):
        expected = self.expected()
        self.assertEqual(set(got), set(expected), f"records lost (seed {SEED})")
        duplicates = len(got) - len(expected)
        # Each kill can replay at most what was written since the last commit.
        self.assertLessEqual(duplicates, landed * REPLAY_BATCHES * BATCH, f"seed {SEED}")
        # Replays repeat a committed-position suffix: first occurrences stay in source order.
        seen, order = set(), []
        for line in got:
            if line not in seen:
                seen.add(line)
                order.append(line)
        self.assertEqual(order, expected)
        return duplicates

    def file_pipeline(self, sink_extra=""):
        return self.write("p.yaml", f"name: p\nsource: {{connector: file, file: {self.path('in.txt')}, "
                                    f"batch.size: {BATCH}}}\nconverter: {{value: string}}\n"
                                    f"sink:\n  connector: file\n  file: {self.path('out.txt')}\n{sink_extra}",
                          "w")

    def test_file_to_file_at_least_once(self):
        landed = self.crash_loop(self.file_pipeline())
        got = self.read("out.txt").decode().splitlines()
        dups = self.check_at_least_once(got, landed)
        print(f"\nfile → file: {KILLS} kills ({landed} mid-run), 0 lost, {dups} duplicates, seed {SEED}")

    def test_file_to_file_exactly_once(self):
        landed = self.crash_loop(self.file_pipeline("  exactly.once: true\n"))
        got = self.read("out.txt").decode().splitlines()
        self.assertEqual(got, self.expected(), f"seed {SEED}")
        print(f"\nfile → file exactly-once: {KILLS} kills ({landed} mid-run), 0 lost, 0 duplicates")

    def test_file_to_kafka_at_least_once(self):
        kafka = harness.MockKafka(topics=["lines:4"])
        try:
            # linger.ms 20, a slow network's round trip: 100k lines take a second, not 50 ms, so
            # most kills land mid-run.
            p = self.write("p.yaml", f"name: p\nsource: {{connector: file, file: {self.path('in.txt')}, "
                                     f"topic: lines, batch.size: {BATCH}}}\nconverter: {{value: string}}\n"
                                     f"sink: {{connector: kafka, bootstrap.servers: '{kafka.bootstrap}', "
                                     f"linger.ms: 20}}\n", "w")
            landed = self.crash_loop(p)
            got = []
            # The mock keeps ~5 MB per partition: 4 partitions hold the 2.5 MB of lines and replays.
            data = harness.kcat_consume(kafka.bootstrap, "lines", fmt="%s\n").decode().splitlines()
            got.extend(data)
        finally:
            kafka.stop()
        expected = self.expected()
        self.assertEqual(set(got), set(expected), f"records lost (seed {SEED})")
        replay = REPLAY_BATCHES + harness.IN_FLIGHT_BATCHES
        self.assertLessEqual(len(got) - len(expected), landed * replay * BATCH)
        print(f"\nfile → kafka: {KILLS} kills ({landed} mid-run), 0 lost, {len(got) - len(expected)} duplicates")

    def test_file_to_kafka_exactly_once(self):
        # A cluster that outlives the runs. Each message carries a ~100-byte kpipe.source header:
        # 16 partitions keep every partition far below the mock's ~5 MB retention. Batches of 100:
        # more commit points per line, so the input lasts through more kills, and more kills land
        # after lines were produced but before their commit (what recovery must read back).
        kafka = harness.MockKafka(topics=["lines:16"])
        try:
            p = self.write("p.yaml", f"name: p\nsource: {{connector: file, file: {self.path('in.txt')}, "
                                     f"topic: lines, batch.size: 100}}\nconverter: {{value: string}}\n"
                                     f"sink: {{connector: kafka, bootstrap.servers: '{kafka.bootstrap}', "
                                     f"topic: lines, exactly.once: true}}\n", "w")
            landed = self.crash_loop(p)
            got = harness.kcat_consume(kafka.bootstrap, "lines", fmt="%s\n").decode().splitlines()
        finally:
            kafka.stop()
        expected = self.expected()
        self.assertEqual(set(got), set(expected), f"records lost (seed {SEED})")
        self.assertEqual(len(got), len(expected), f"duplicates (seed {SEED})")
        print(f"\nfile → kafka exactly-once: {KILLS} kills ({landed} mid-run), 0 lost, 0 duplicates")

    def test_sqlite_to_sqlite_exactly_once(self):
        src, dst = self.path("src.db"), self.path("dst.db")
        with sqlite3.connect(src) as c:
            c.execute("CREATE TABLE ev (id INTEGER PRIMARY KEY, note TEXT, at TIMESTAMP NOT NULL)")
            c.executemany("INSERT INTO ev VALUES (?, ?, ?)",
                          [(i, f"n{i}", f"2021-01-01 00:00:{i % 7:02d}") for i in range(1, LINES // 2 + 1)])
        sqlite3.connect(dst).close()
        p = self.write("p.yaml", f"name: p\nsource:\n  connector: jdbc\n  connection.url: jdbc:sqlite:{src}\n"
                                 f"  mode: timestamp\n  table.whitelist: ev\n  timestamp.column.name: at\n"
                                 f"  batch.max.rows: {BATCH}\nsink:\n  connector: jdbc\n"
                                 f"  connection.url: jdbc:sqlite:{dst}\n  auto.create: true\n"
                                 f"  exactly.once: true\n", "w")
        landed = self.crash_loop(p)
        with sqlite3.connect(dst) as c:
            count, distinct = c.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM ev").fetchone()
        self.assertEqual((count, distinct), (LINES // 2, LINES // 2), f"seed {SEED}")
        print(f"\nsqlite → sqlite exactly-once: {KILLS} kills ({landed} mid-run), 0 lost, 0 duplicates")


if __name__ == "__main__":
    unittest.main()
