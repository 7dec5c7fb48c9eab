"""End to end: the kafka source's `stop.at: end-of-task` on a `kpipe mock-kafka` cluster, records
produced by kcat with seed 002's batch headers (taskId, currentIndex, isEnd); and a source's
estimate as the run's status file reports it, against what the run then wrote."""
import json
import os
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from kafka_util import wait_until, yaml_str  # noqa: E402


def events(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class EndOfTaskTest(harness.TempDirTest):
    def setUp(self):
        super().setUp()
        self.mock = harness.MockKafka(brokers=1, topics=["t:2"])

    def tearDown(self):
        self.mock.stop()
        super().tearDown()

    def produce(self, partition, value, task=None, index=None, end=False):
        args = ["kcat", "-P", "-b", self.mock.bootstrap, "-t", "t", "-p", str(partition)]
        if task is not None:
            args += ["-H", "taskId=" + task, "-H", "currentIndex=%d" % index]
        if end:
            args += ["-H", "isEnd=true"]
        subprocess.run(args, input=value + b"\n", capture_output=True, timeout=60, check=True)

    def pipeline(self, task="7"):
        source = {"connector": "kafka", "bootstrap.servers": self.mock.bootstrap, "topics": "t",
                  "session.timeout.ms": "6000", "stop.at": "end-of-task", "task.id": task}
        lines = ["name: tasks", "source:"] + ["  %s: %s" % (k, yaml_str(v)) for k, v in source.items()]
        lines += ["converter:", "  value: string", "sink:", "  connector: file",
                  "  file: " + yaml_str(self.path("out.txt")), "offsets:", "  flush.interval.ms: 0"]
        return self.write("tasks.yaml", "\n".join(lines) + "\n", "w")

    def offsets(self):
        with open(self.path("tasks.offsets.json")) as f:
            doc = json.load(f)
        return {(e["partition"]["kafka_topic"], e["partition"]["kafka_partition"]):
                e["offset"]["kafka_offset"] for e in doc["pipelines"]["tasks"]["offsets"]}

    def out_lines(self):
        if not os.path.exists(self.path("out.txt")):
            return []
        return self.read("out.txt").split(b"\n")[:-1]

    def test_stops_at_the_marker_and_commits_right_after_it(self):
        self.produce(0, b"older")
        self.produce(0, b"a1", "7", 1)
        self.produce(1, b"a2", "7", 2)
        self.produce(1, b"a3", "7", 3, end=True)
        self.produce(1, b"b1", "8", 1)  # the next task, after the marker
        self.produce(0, b"b2", "8", 2, end=True)
        result = harness.kpipe("run", self.pipeline())
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertIn(b"the end of task '7' (record 3) at topic 't' partition 1 offset 1",
                      result.stderr)
        self.assertEqual(sorted(self.out_lines()), [b"a1", b"a2", b"a3", b"older"])
        # Partition 1: the marker's offset + 1; partition 0: right before task 8's record.
        self.assertEqual(self.offsets(), {("t", 0): 2, ("t", 1): 2})

        result = harness.kpipe("run", self.pipeline("8"))
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertEqual(sorted(self.out_lines()[4:]), [b"b1", b"b2"])
        self.assertEqual(self.offsets(), {("t", 0): 3, ("t", 1): 3})

    def test_waits_for_the_marker(self):
        self.produce(0, b"a1", "7", 1)
        proc = subprocess.Popen([harness.KPIPE, "run", self.pipeline()], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            # Read and committed, and the run goes on: the task has not ended.
            self.assertTrue(wait_until(lambda: self.out_lines() == [b"a1"], 60))
            self.assertIsNone(proc.poll())
            self.produce(1, b"a2", "7", 2)
            self.assertTrue(wait_until(lambda: len(self.out_lines()) == 2, 60))
            self.assertIsNone(proc.poll())
            self.produce(1, b"a3", "7", 3, end=True)
            self.produce(1, b"after", "7", 4)
            _, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 0, stderr.decode())
        self.assertEqual(self.out_lines(), [b"a1", b"a2", b"a3"])
        self.assertEqual(self.offsets(), {("t", 0): 1, ("t", 1): 2})

    def test_a_stop_request_ends_the_wait(self):
        self.produce(0, b"a1", "7", 1)
        proc = subprocess.Popen([harness.KPIPE, "run", self.pipeline()], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            self.assertTrue(wait_until(lambda: self.out_lines() == [b"a1"], 60))
            proc.terminate()
            proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(self.offsets(), {("t", 0): 1})


class DescribeTest(unittest.TestCase):
    def test_describe_lists_the_keys(self):
        out = harness.kpipe("describe", "kafka")
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        text = out.stdout.decode()
        for word in ("stop.at", "end-of-task", "end-offsets", "task.id"):
            self.assertIn(word, text)


class StatusEstimateTest(harness.TempDirTest):
    """The start event's description is the source's estimate: exact for a jdbc (SQLite) table
    and a CSV file, equal to what the run then wrote."""

    def run_pipeline(self, source):
        self.write("p.yaml", "name: p\nsource:\n" + "".join(
            "  %s: %s\n" % (k, yaml_str(v)) for k, v in source.items()) +
            "converter: {value: json, value.schemas.enable: false}\n"
            "sink: {connector: file, file: " + yaml_str(self.path("out.jsonl")) + "}\n"
            "run: {status: {file: status.jsonl}}\n", "w")
        if os.path.exists(self.path("status.jsonl")):
            os.remove(self.path("status.jsonl"))
        before = len(self.read("out.jsonl").splitlines()) if os.path.exists(self.path("out.jsonl")) else 0
        result = harness.kpipe("run", self.path("p.yaml"), "--task-id", "e")
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        written = len(self.read("out.jsonl").splitlines()) - before
        return events(self.path("status.jsonl"))[0]["description"], written

    def test_jdbc_sqlite(self):
        db = sqlite3.connect(self.path("db.sqlite"))
        db.execute("CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY, v TEXT)")
        db.executemany("INSERT INTO t VALUES (?, ?)", [(i, "v%d" % i) for i in range(1, 8)])
        db.commit()
        source = {"connector": "jdbc", "connection.url": "jdbc:sqlite:" + self.path("db.sqlite"),
                  "mode": "incrementing", "incrementing.column.name": "id", "batch.max.rows": "2"}
        self.assertEqual(self.run_pipeline(source), ("7", 7))
        db.executemany("INSERT INTO t VALUES (?, ?)", [(8, "x"), (9, "y")])
        db.commit()
        db.close()
        self.assertEqual(self.run_pipeline(source), ("2", 2))

    def test_csv_file(self):
        self.write("in.csv", b'id,text\n1,"two\nlines"\n\n2,x\r\n3,"a ""q"""\n')
        source = {"connector": "file", "file": self.path("in.csv"), "format": "csv"}
        self.assertEqual(self.run_pipeline(source), ("3", 3))
        self.write("in.csv", b"4,y\n", "ab")
        self.assertEqual(self.run_pipeline(source), ("1", 1))


if __name__ == "__main__":
    unittest.main()
