"""Scheduled runs (issue #16, seed 002): batch headers read back with kcat, status events in a
file and in a topic, the metrics file through Prometheus' own parser, the run summary, --dry-run,
and a kill -9 that the next run's start reports."""
import json
import os
import signal
import subprocess
import unittest

from prometheus_client.parser import text_string_to_metric_families

import dbserver
import harness
from kafka_util import wait_until

pg = None
mock = None
ROWS = 10000


def setUpModule():
    global pg, mock
    pg = dbserver.Postgres()
    mock = harness.MockKafka(topics=["rows:1", "lines:1", "pkuse_status:1", "tasks:1"])


def tearDownModule():
    mock.stop()
    pg.stop()


def headers_of(topic, task=None):
    """Each record's headers as a dict (kcat's %h: k=v,k=v), of one task when given."""
    out = harness.kcat_consume(mock.bootstrap, topic, fmt="%h\n").decode().splitlines()
    rows = [dict(kv.split("=", 1) for kv in line.split(",")) for line in out if line]
    return [r for r in rows if task is None or r.get("taskId") == task]


def events(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def metrics(path):
    with open(path) as f:
        text = f.read()
    return {s.name: s.value for family in text_string_to_metric_families(text) for s in family.samples}


class RunBlockTest(harness.TempDirTest):
    def file_pipeline(self, run_block, sink=None, name="p", batch=2000):
        sink = sink or "{connector: file, file: out.txt}"
        self.write("p.yaml", f"name: {name}\nsource: {{connector: file, file: in.txt, topic: lines, "
                   f"batch.size: {batch}}}\n"
                   f"sink: {sink}\nconverter: {{value: string}}\n{run_block}", "w")
        return self.path("p.yaml")

    def run_kpipe(self, *args, expect=0):
        out = harness.kpipe(*args, cwd=self.dir)
        self.assertEqual(out.returncode, expect, out.stderr.decode())
        return out

    def test_postgres_to_kafka_batch_headers_count_each_run(self):
        pg.exec("DROP TABLE IF EXISTS rows; CREATE TABLE rows (id INT PRIMARY KEY, at TIMESTAMP NOT NULL)")
        pg.exec(f"INSERT INTO rows SELECT i, timestamp '2024-01-01' + i * interval '1 second' "
                f"FROM generate_series(1, {ROWS}) i")
        self.write("p.yaml", f"name: pg\nsource:\n  connector: jdbc\n  connection.url: {pg.url}\n"
                   "  mode: timestamp\n  table.whitelist: rows\n  timestamp.column.name: at\n"
                   "  batch.max.rows: 700\n"
                   f"sink: {{connector: kafka, bootstrap.servers: '{mock.bootstrap}'}}\n"
                   "run:\n  headers: true\n  status: {file: status.jsonl}\n", "w")
        self.run_kpipe("run", self.path("p.yaml"), "--task-id", "t1")
        got = headers_of("rows", "t1")
        self.assertEqual(len(got), ROWS)
        self.assertEqual({h["predictedTotal"] for h in got}, {str(ROWS)})
        self.assertEqual(sorted(int(h["currentIndex"]) for h in got), list(range(1, ROWS + 1)))
        ends = [h for h in got if "isEnd" in h]
        self.assertEqual(len(ends), 1)
        self.assertEqual((ends[0]["isEnd"], ends[0]["currentIndex"]), ("true", str(ROWS)))
        # The next incremental run counts only its own rows.
        pg.exec("INSERT INTO rows SELECT i, timestamp '2025-01-01' + i * interval '1 second' "
                f"FROM generate_series({ROWS + 1}, {ROWS + 300}) i")
        self.run_kpipe("run", self.path("p.yaml"), "--task-id", "t2")
        got = headers_of("rows", "t2")
        self.assertEqual(sorted(int(h["currentIndex"]) for h in got), list(range(1, 301)))
        self.assertEqual({h["predictedTotal"] for h in got}, {"300"})
        self.assertEqual([h["currentIndex"] for h in got if h.get("isEnd") == "true"], ["300"])
        self.assertEqual(len(headers_of("rows")), ROWS + 300)
        stages = [(e["taskId"], e["stage"], e["description"]) for e in events(self.path("status.jsonl"))]
        self.assertEqual(stages, [("t1", "start", str(ROWS)), ("t1", "end", str(ROWS)),
                                  ("t2", "start", "300"), ("t2", "end", "300")])

    def test_renamed_headers_and_an_empty_run(self):
        self.write("in.txt", b"a\nb\n")
        p = self.file_pipeline("run:\n  task.id: job-7\n  headers: {taskId: job, isEnd: last}\n"
                               "  status: {file: s.jsonl, connector.name: conn-1}\n",
                               sink=f"{{connector: kafka, bootstrap.servers: '{mock.bootstrap}'}}")
        self.run_kpipe("run", p)
        got = [h for h in headers_of("lines") if h.get("job") == "job-7"]
        self.assertEqual(got, [{"job": "job-7", "predictedTotal": "2", "currentIndex": "1"},
                               {"job": "job-7", "predictedTotal": "2", "currentIndex": "2", "last": "true"}])
        # Nothing new: no data record, and the status events say so.
        self.run_kpipe("run", p)
        self.assertEqual(len([h for h in headers_of("lines") if h.get("job") == "job-7"]), 2)
        ev = events(self.path("s.jsonl"))
        self.assertEqual([(e["connectorName"], e["stage"], e["description"]) for e in ev[2:]],
                         [("conn-1", "start", "0"), ("conn-1", "end", "0")])

    def test_status_topic_on_the_sinks_cluster(self):
        self.write("in.txt", b"".join(b"line %d\n" % i for i in range(50)))
        p = self.file_pipeline("run:\n  task.id: \"100003\"\n"
                               "  status: {topic: pkuse_status, interval.records: 20}\n",
                               sink=f"{{connector: kafka, bootstrap.servers: '{mock.bootstrap}'}}", batch=10)
        self.run_kpipe("run", p)
        out = harness.kcat_consume(mock.bootstrap, "pkuse_status", fmt="%k\t%s\n").decode().splitlines()
        got = [(k, json.loads(v)) for k, v in (line.split("\t", 1) for line in out)]
        mine = [e for k, e in got if e["taskId"] == "100003"]
        self.assertTrue(all(k == "p" for k, e in got if e["taskId"] == "100003"))
        self.assertEqual(list(mine[0]), ["connectorName", "taskId", "dataTopicName", "stage", "description",
                                         "timestamp", "records"])
        self.assertEqual([e["stage"] for e in mine], ["start", "processing", "processing", "end"])
        self.assertEqual([e["description"] for e in mine], ["50", "20", "40", "50"])
        self.assertEqual({e["dataTopicName"] for e in mine}, {"lines"})

    def test_failure_mid_run_sends_one_error_event(self):
        pg.exec("DROP TABLE IF EXISTS flow; CREATE TABLE flow (id INT PRIMARY KEY, at TIMESTAMP NOT NULL)")
        pg.exec("INSERT INTO flow SELECT i, timestamp '2024-01-01' + i * interval '1 second' "
                "FROM generate_series(1, 500) i")
        self.write("p.yaml", f"name: flow\nsource:\n  connector: jdbc\n  connection.url: {pg.url}\n"
                   "  mode: timestamp\n  table.whitelist: flow\n  timestamp.column.name: at\n"
                   "  poll.interval.ms: 100\nsink: {connector: file, file: out.txt}\n"
                   "run:\n  status: {file: status.jsonl, interval.records: 100}\n", "w")
        proc = subprocess.Popen([harness.KPIPE, "run", self.path("p.yaml"), "--follow",
                                 "--metrics-file", self.path("m.prom")], cwd=self.dir,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            # Once every row is out, the database goes away: the next poll fails.
            self.assertTrue(wait_until(lambda: os.path.exists(self.path("status.jsonl")) and any(
                e["stage"] == "processing" and e["records"] == 500 for e in events(self.path("status.jsonl"))), 60))
            pg.pause()
            try:
                self.assertEqual(proc.wait(timeout=60), 1)
            finally:
                pg.resume()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stderr.close()
        ev = events(self.path("status.jsonl"))
        self.assertEqual([e["stage"] for e in ev], ["start", "processing", "error"])
        self.assertIn("source: PostgreSQL", ev[-1]["description"])
        self.assertIn("500 records written", ev[-1]["description"])
        self.assertNotIn("kpipe:kpipe", ev[-1]["description"])  # the URL's password never shows
        m = metrics(self.path("m.prom"))
        self.assertEqual(m["kpipe_records_written_total"], 500)
        self.assertEqual(m["kpipe_run_failed"], 1)
        self.assertNotIn("kpipe_last_success_timestamp_seconds", m)

    def test_sigterm_ends_a_follow_run_with_one_end_event(self):
        self.write("in.txt", b"x\ny\n")
        p = self.file_pipeline("run:\n  status: {file: s.jsonl}\n")
        proc = subprocess.Popen([harness.KPIPE, "run", p, "--follow", "--task-id", "f"], cwd=self.dir,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.assertTrue(wait_until(lambda: harness.file_size(self.path("out.txt")) == 4, 30))
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=30), 0)
        self.assertEqual([e["stage"] for e in events(self.path("s.jsonl"))], ["start", "end"])

    def test_kill_9_leaves_a_start_the_next_run_reports(self):
        self.write("in.txt", b"x\n")
        p = self.file_pipeline("run:\n  status: {file: s.jsonl}\n")
        proc = subprocess.Popen([harness.KPIPE, "run", p, "--follow", "--task-id", "killed"], cwd=self.dir,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.assertTrue(wait_until(lambda: harness.file_size(self.path("out.txt")) == 2, 30))
        proc.kill()
        proc.wait()
        out = self.run_kpipe("run", p, "--task-id", "next")
        self.assertIn(b"previous run (task killed) ended without status", out.stderr)
        ev = events(self.path("s.jsonl"))
        self.assertEqual([(e["taskId"], e["stage"]) for e in ev],
                         [("killed", "start"), ("next", "start"), ("next", "end")])
        self.assertIn("previous run (task killed) ended without status", ev[1]["description"])
        # That run ended properly: the one after it has nothing to report.
        self.run_kpipe("run", p, "--task-id", "third")
        self.assertNotIn("previous", events(self.path("s.jsonl"))[-2]["description"])

    def test_metrics_file_and_summary(self):
        self.write("p.yaml", "name: m\nsource: {connector: file, file: in.txt, format: jsonl, topic: t}\n"
                   "sink: {connector: file, file: out.txt}\nconverter: {value: json, value.schemas.enable: false}\n"
                   "errors: {tolerance: all, deadletterqueue.file: dlq.jsonl}\n", "w")
        self.write("in.txt", b'{"a":1}\n{"a":2}\nnot json\n{"a":3}\n')
        self.run_kpipe("run", self.path("p.yaml"), "--metrics-file", "m.prom", "--summary-json", "s.json")
        m = metrics(self.path("m.prom"))
        self.assertEqual((m["kpipe_records_read_total"], m["kpipe_records_written_total"],
                          m["kpipe_records_skipped_total"], m["kpipe_records_dead_lettered_total"],
                          m["kpipe_record_errors_total"], m["kpipe_run_failed"]), (4, 3, 1, 1, 1, 0))
        first_success = m["kpipe_last_success_timestamp_seconds"]
        with open(self.path("m.prom")) as f:
            self.assertIn('kpipe_records_written_total{pipeline="m"} 3\n', f.read())
        s = json.loads(self.read("s.json"))
        self.assertEqual((s["pipeline"], s["exit_code"], s["status"], s["records"]["written"]), ("m", 0, "done", 3))
        self.assertEqual(s["offsets_before"], {"offsets": []})
        self.assertEqual(s["offsets_after"]["offsets"][0]["offset"], {"position": 33})
        # A failing run keeps the last success time and appends its own summary line.
        os.rename(self.path("in.txt"), self.path("gone.txt"))
        self.run_kpipe("run", self.path("p.yaml"), "--metrics-file", "m.prom", "--summary-json", "s.json",
                       expect=1)
        m = metrics(self.path("m.prom"))
        self.assertEqual((m["kpipe_run_failed"], m["kpipe_last_success_timestamp_seconds"]), (1, first_success))
        lines = self.read("s.json").splitlines()
        self.assertEqual(len(lines), 2)
        last = json.loads(lines[1])
        self.assertEqual((last["exit_code"], last["status"]), (1, "failed"))
        self.assertIn("in.txt", last["error"])

    def test_summary_to_stdout_refused_when_the_sink_writes_there(self):
        self.write("in.txt", b"a\n")
        p = self.file_pipeline("", sink="{connector: file}")
        out = self.run_kpipe("run", p, "--summary-json", "-", expect=2)
        self.assertIn(b"--summary-json -", out.stderr)
        p = self.file_pipeline("")
        out = self.run_kpipe("run", p, "--summary-json", "-")
        self.assertEqual(json.loads(out.stdout)["records"]["written"], 1)

    def test_dry_run_writes_and_commits_nothing(self):
        self.write("in.txt", b"one\ntwo\n")
        p = self.file_pipeline("run:\n  headers: true\n  status: {file: s.jsonl}\n")
        self.run_kpipe("run", p, "--task-id", "real")
        self.write("in.txt", b"three\nfour\nfive\n", "ab")
        before = {name: self.read(name) for name in ("out.txt", "p.offsets.json", "s.jsonl")}
        out = self.run_kpipe("run", p, "--dry-run", "--task-id", "dry")
        lines = [json.loads(line) for line in out.stdout.decode().splitlines()]
        self.assertEqual([(r["topic"], r["partition"], r["key"], r["value"]) for r in lines],
                         [("lines", None, None, "three"), ("lines", None, None, "four"),
                          ("lines", None, None, "five")])
        self.assertEqual(lines[2]["headers"], [{"taskId": "dry"}, {"predictedTotal": "3"},
                                               {"currentIndex": "3"}, {"isEnd": "true"}])
        out = self.run_kpipe("run", p, "--dry-run", "--limit", "2")
        self.assertEqual(len(out.stdout.decode().splitlines()), 2)
        self.assertNotIn("isEnd", out.stdout.decode())  # cut short: not the run's end
        self.assertEqual({name: self.read(name) for name in before}, before)
        self.assertFalse(os.path.exists(self.path("p.offsets.json.run.json")))

    def test_kafka_to_postgres_stops_at_the_end_of_its_task(self):
        def produce(task, ids):
            self.write("in.jsonl", b"".join(
                b'{"schema":{"type":"struct","fields":[{"field":"id","type":"int32","optional":false}]},'
                b'"payload":{"id":%d}}\n' % i for i in ids), "wb")
            self.write("produce.yaml", "name: producer\nsource: {connector: file, file: in.jsonl, format: jsonl, "
                       "topic: tasks}\n"
                       f"sink: {{connector: kafka, bootstrap.servers: '{mock.bootstrap}'}}\n"
                       "run: {headers: true}\n", "w")
            self.run_kpipe("run", self.path("produce.yaml"), "--task-id", task, "--offsets", "producer.json")
            os.remove(self.path("producer.json"))

        pg.exec("DROP TABLE IF EXISTS tasks")
        produce("7", range(1, 6))
        produce("8", range(6, 9))
        self.write("consume.yaml", "name: consumer\n"
                   f"source: {{connector: kafka, bootstrap.servers: '{mock.bootstrap}', topics: [tasks], "
                   "stop.at: end-of-task}\n"
                   f"sink: {{connector: jdbc, connection.url: '{pg.url}', auto.create: true}}\n"
                   "run: {status: {file: status.jsonl}}\n", "w")
        self.run_kpipe("run", self.path("consume.yaml"), "--task-id", "7")
        self.assertEqual(pg.query("SELECT id FROM tasks ORDER BY id"), [[str(i)] for i in range(1, 6)])
        out = self.run_kpipe("offsets", "show", self.path("consume.yaml"))
        self.assertEqual(json.loads(out.stdout)["offsets"][0]["offset"], {"kafka_offset": 5})
        # The start event had the topic's records left as an upper bound: all 8 of both tasks.
        self.assertEqual(events(self.path("status.jsonl"))[0]["description"], "8 (estimated)")
        self.run_kpipe("run", self.path("consume.yaml"), "--task-id", "8")
        self.assertEqual(len(pg.query("SELECT id FROM tasks")), 8)
        # Without a task to stop at, the run refuses to start.
        out = self.run_kpipe("run", self.path("consume.yaml"), expect=2)
        self.assertIn(b"end-of-task needs the task", out.stderr)

    def test_status_api_with_curl_during_a_follow_run(self):
        self.write("in.txt", b"x\ny\n")
        p = self.file_pipeline("")
        proc = subprocess.Popen([harness.KPIPE, "run", p, "--follow", "--rest-port", "0"], cwd=self.dir,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stderr.readline()
            port = line.split("http://127.0.0.1:")[1].split("/")[0]
            self.assertTrue(wait_until(lambda: harness.file_size(self.path("out.txt")) == 4, 30))

            def curl(path, *extra):
                out = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", *extra,
                                      f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, timeout=30)
                body, code = out.stdout.rsplit("\n", 1)
                return int(code), body

            self.assertEqual(curl("/connectors"), (200, '["p"]'))
            code, body = curl("/connectors/p/status")
            self.assertEqual(json.loads(body)["connector"]["state"], "RUNNING")
            self.assertTrue(wait_until(lambda: json.loads(curl("/connectors/p/offsets")[1])["offsets"], 30))
            self.assertEqual(json.loads(curl("/connectors/p/offsets")[1])["offsets"][0]["offset"], {"position": 4})
            self.assertEqual(curl("/connectors/q/status"), (404, '{"error_code":404,"message":"Connector q not found"}'))
            self.assertEqual(curl("/connectors/p", "-X", "DELETE")[0], 405)
            self.assertIn('kpipe_records_written_total{pipeline="p"}', curl("/metrics")[1])
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=30), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stderr.close()

    def test_run_block_errors_name_the_line(self):
        self.write("in.txt", b"a\n")
        cases = [("run:\n  headers: {isEnx: last}\n", "p.yaml:6:13: unknown key 'headers.isEnx' in run; did you mean"),
                 ("run:\n  status: {file: a, topic: b}\n", "give status.file or status.topic, not both"),
                 ("run:\n  status: {interval.records: 5}\n", "run.status: give status.file or status.topic"),
                 ("run:\n  headers: {isEnd: taskId}\n", "two headers are named 'taskId'"),
                 ("run:\n  status: {topic: s}\n", "the sink is not Kafka, so set run.status.bootstrap.servers"),
                 ("run:\n  headers: maybe\n", "run.headers")]
        for block, message in cases:
            out = self.run_kpipe("run", self.file_pipeline(block), expect=2)
            self.assertIn(message, out.stderr.decode())
        out = self.run_kpipe("run", self.file_pipeline("run:\n  headers: true\n"), "--follow", expect=2)
        self.assertIn(b"--follow run has no last record", out.stderr)
        out = self.run_kpipe("run", self.file_pipeline(""), "--limit", "1", expect=2)
        self.assertIn(b"--limit requires --dry-run", out.stderr)


if __name__ == "__main__":
    unittest.main()
