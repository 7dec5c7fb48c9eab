"""The hbase source and sink on the built binary, against tests/fixtures/hbase_rest.py (an HBase
REST gateway stand-in written from the documented protocol: no HBase server can be installed on
these machines)."""
import base64
import json
import os
import socket
import struct
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

import harness
from harness import kpipe

FIXTURE = os.path.join(harness.SOURCE_DIR, "tests", "fixtures", "hbase_rest.py")
gateway = None


def b64(data):
    return base64.b64encode(data if isinstance(data, bytes) else data.encode()).decode()


class Gateway:
    """The fixture in the background; its base URL from its first stdout line."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([sys.executable, FIXTURE, *args], stdout=subprocess.PIPE)
        self.url = self.proc.stdout.readline().decode().strip()
        if not self.url:
            raise RuntimeError("the HBase REST fixture printed nothing")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()

    def request(self, method, path, body=None, auth=None):
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = "Basic " + b64(f"{auth[0]}:{auth[1]}")
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                self.last_location = resp.headers.get("Location")
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def create(self, table, families=("cf",)):
        if ":" in table:
            self.request("PUT", "/namespaces/" + table.split(":")[0], {})
        status, _ = self.request("PUT", f"/{table}/schema",
                                 {"name": table, "ColumnSchema": [{"name": f} for f in families]})
        assert status == 201, status

    def put(self, table, rows):
        """rows: {key: {column: value or (value, timestamp)}}; keys/values str or bytes."""
        out = []
        for key, cells in rows.items():
            cs = []
            for column, value in cells.items():
                cell = {"column": b64(column)}
                if isinstance(value, tuple):
                    value, cell["timestamp"] = value
                cell["$"] = b64(value)
                cs.append(cell)
            out.append({"key": b64(key), "Cell": cs})
        for i in range(0, len(out), 2000):
            status, body = self.request("PUT", f"/{table}/fakerow", {"Row": out[i:i + 2000]})
            assert status == 200, (status, body)

    def scan_all(self, table):
        """Every row as {key: {column: newest value}} through a plain scanner."""
        status, _ = self.request("PUT", f"/{table}/scanner", {"batch": 100000, "maxVersions": 1})
        loc = self.last_location
        rows = {}
        while True:
            status, body = self.request("GET", loc[len(self.url):])
            if status == 204:
                break
            for r in json.loads(body)["Row"]:
                cells = rows.setdefault(base64.b64decode(r["key"]), {})
                for c in r["Cell"]:
                    cells[base64.b64decode(c["column"]).decode()] = base64.b64decode(c["$"])
        self.request("DELETE", loc[len(self.url):])
        return rows

    def scan_versions(self, table):
        """Every row as {key: {column: [values, newest first]}}: all versions, through a scanner."""
        status, _ = self.request("PUT", f"/{table}/scanner", {"batch": 100000})
        assert status == 201, status
        loc = self.last_location
        rows = {}
        while True:
            status, body = self.request("GET", loc[len(self.url):])
            if status == 204:
                break
            assert status == 200, (status, body)
            for r in json.loads(body)["Row"]:
                cells = rows.setdefault(base64.b64decode(r["key"]), {})
                for c in r["Cell"]:
                    column = base64.b64decode(c["column"]).decode()
                    cells.setdefault(column, []).append(base64.b64decode(c["$"]))
        self.request("DELETE", loc[len(self.url):])
        return rows

    def stats(self):
        return json.loads(self.request("GET", "/_fixture/stats")[1])

    def control(self, **switches):
        self.request("POST", "/_fixture/control", switches)


def setUpModule():
    global gateway
    gateway = Gateway()


def tearDownModule():
    gateway.stop()


def wait_for_clock_past(ms):
    """Cells written at `ms` are inside a window only once the clock passed it: poll, bounded."""
    deadline = time.monotonic() + 10
    while time.time() * 1000 <= ms + 1 and time.monotonic() < deadline:
        time.sleep(0.001)


class HBaseTest(harness.TempDirTest):
    def setUp(self):
        super().setUp()
        gateway.control(expire_after=None, fail_next=0, slow_ms=0)

    def tearDown(self):
        # Scanners are always closed, errors included.
        self.assertEqual(gateway.stats()["open_scanners"], 0, "a scanner was left open")
        super().tearDown()

    def pipeline(self, source, name="p", schemas=False, sink=None, out="out.jsonl"):
        sink = sink or f"sink:\n  connector: file\n  file: {self.path(out)}\n"
        text = (f"name: {name}\nsource:\n  connector: hbase\n  hbase.rest.url: {gateway.url}\n"
                f"  hbase.rest.retry.backoff.ms: 10\n{source}"
                f"converter: {{value: json, value.schemas.enable: {str(schemas).lower()}}}\n{sink}")
        return self.write(f"{name}.yaml", text, "w")

    def run_ok(self, name="p", *extra):
        out = kpipe("run", self.path(f"{name}.yaml"), *extra, timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        return out

    def run_fails(self, name="p"):
        out = kpipe("run", self.path(f"{name}.yaml"), timeout=300)
        self.assertEqual(out.returncode, 1, out.stderr.decode())
        return out.stderr.decode()

    def rows(self, out="out.jsonl"):
        if not os.path.exists(self.path(out)):
            return []
        return [json.loads(line) for line in self.read(out).decode().splitlines()]

    def offsets(self, name="p"):
        out = kpipe("offsets", "show", self.path(f"{name}.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)["offsets"]

    # -- bulk ---------------------------------------------------------------------------------
    def test_bulk_10k_rows_take_the_newest_version_and_a_finished_scan_starts_over(self):
        n = 10000
        gateway.create("big")
        gateway.put("big", {f"row{i:05d}": {"cf:a": (f"old{i}", 1000), "cf:b": (f"old{i}", 1000)}
                            for i in range(n)})
        gateway.put("big", {f"row{i:05d}": {"cf:a": (str(i), 2000), "cf:b": (str(2 * i), 2000)}
                            for i in range(n)})
        self.pipeline("  hbase.table: big\n  hbase.max.versions: 3\n")
        self.run_ok()
        rows = self.rows()
        self.assertEqual(len(rows), n)
        self.assertEqual([r["rowkey"] for r in rows], [f"row{i:05d}" for i in range(n)])
        for i, r in enumerate(rows):
            self.assertEqual(r, {"rowkey": f"row{i:05d}", "cf:a": str(i), "cf:b": str(2 * i)})
        [entry] = self.offsets()
        self.assertEqual(entry["partition"], {"table": "big"})
        self.assertEqual(entry["offset"], {"row": b64(f"row{n - 1:05d}"), "completed": True})
        # A finished bulk scan is not resumed: the next run reads the table again.
        self.run_ok()
        self.assertEqual(len(self.rows()), 2 * n)

    def test_rows_split_across_scanner_responses_are_merged(self):
        gateway.create("split")
        cols = {f"cf:c{j}": f"v{j}" for j in range(5)}
        gateway.put("split", {f"r{i:02d}": cols for i in range(20)})
        for batch in (1, 3, 7, 1000):
            name = f"b{batch}"
            self.pipeline(f"  hbase.table: split\n  hbase.batch.size: {batch}\n", name=name,
                          out=f"{name}.jsonl")
            self.run_ok(name)
            rows = self.rows(f"{name}.jsonl")
            self.assertEqual([r["rowkey"] for r in rows], [f"r{i:02d}" for i in range(20)], batch)
            for r in rows:
                self.assertEqual(r, {"rowkey": r["rowkey"], **cols}, batch)

    def test_typed_mapping_in_a_namespace_byte_for_byte(self):
        gateway.create("hr:typed")
        gateway.put("hr:typed", {
            "k1": {"cf:id": struct.pack(">i", -7), "cf:name": "zoë", "cf:salary": struct.pack(">q", 1 << 40),
                   "cf:rate": struct.pack(">d", 1.25), "cf:ratio": struct.pack(">f", 0.5),
                   "cf:flag": b"\xff", "cf:small": struct.pack(">h", -2), "cf:raw": b"\x00\x01",
                   "cf:amount": "12.5", "cf:ignored": "x"},
            "k2": {"cf:id": struct.pack(">i", 8)},
        })
        self.pipeline(
            "  hbase.table: hr:typed\n  topic: typed\n  field.mapping:\n"
            "    - {source: 'cf:id', target: id, type: int, pk: true}\n"
            "    - {source: 'cf:name', target: name, type: string}\n"
            "    - {source: 'cf:salary', target: salary, type: long}\n"
            "    - {source: 'cf:rate', target: rate, type: double}\n"
            "    - {source: 'cf:ratio', target: ratio, type: float}\n"
            "    - {source: 'cf:flag', target: flag, type: boolean}\n"
            "    - {source: 'cf:small', target: small, type: short}\n"
            "    - {source: 'cf:raw', target: raw, type: bytes}\n"
            "    - {source: 'cf:amount', target: amount, type: decimal, scale: 2}\n",
            schemas=True)
        self.run_ok()
        schema = ('{"type":"struct","fields":[{"type":"string","optional":false,"field":"rowkey"},'
                  '{"type":"int32","optional":true,"field":"id"},'
                  '{"type":"string","optional":true,"field":"name"},'
                  '{"type":"int64","optional":true,"field":"salary"},'
                  '{"type":"double","optional":true,"field":"rate"},'
                  '{"type":"float","optional":true,"field":"ratio"},'
                  '{"type":"boolean","optional":true,"field":"flag"},'
                  '{"type":"int16","optional":true,"field":"small"},'
                  '{"type":"bytes","optional":true,"field":"raw"},'
                  '{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal",'
                  '"version":1,"parameters":{"scale":"2"},"field":"amount"}],'
                  '"optional":false,"name":"hr.typed"}')
        expected = (
            '{"schema":%s,"payload":{"rowkey":"k1","id":-7,"name":"zoë","salary":1099511627776,'
            '"rate":1.25,"ratio":0.5,"flag":true,"small":-2,"raw":"AAE=","amount":"BOI="}}\n'
            '{"schema":%s,"payload":{"rowkey":"k2","id":8,"name":null,"salary":null,"rate":null,'
            '"ratio":null,"flag":null,"small":null,"raw":null,"amount":null}}\n') % (schema, schema)
        self.assertEqual(self.read("out.jsonl").decode(), expected)
        [entry] = self.offsets()
        self.assertEqual(entry["partition"], {"table": "hr:typed"})

    # -- timestamp mode -----------------------------------------------------------------------
    def test_timestamp_runs_read_exactly_the_changed_rows_whole(self):
        gateway.create("inc")
        gateway.put("inc", {f"r{i:02d}": {"cf:a": f"a{i}", "cf:b": f"b{i}", "cf:c": f"c{i}"}
                            for i in range(50)})
        wait_for_clock_past(time.time() * 1000)
        src = "  hbase.table: inc\n  mode: timestamp\n"
        self.pipeline(src)
        self.pipeline(src + "  hbase.incremental.full.rows: false\n", name="cells", out="cells.jsonl")
        self.run_ok()
        self.run_ok("cells")
        self.assertEqual(len(self.rows()), 50)
        [entry] = self.offsets()
        self.assertEqual(list(entry["offset"]), ["lower"])

        gateway.put("inc", {"r03": {"cf:b": "B3"}, "r07": {"cf:b": "B7"},
                            "r50": {"cf:a": "a50", "cf:b": "b50", "cf:c": "c50"}})
        wait_for_clock_past(time.time() * 1000)
        self.run_ok()
        self.run_ok("cells")
        changed = self.rows()[50:]
        self.assertEqual(changed, [
            {"rowkey": "r03", "cf:a": "a3", "cf:b": "B3", "cf:c": "c3"},
            {"rowkey": "r07", "cf:a": "a7", "cf:b": "B7", "cf:c": "c7"},
            {"rowkey": "r50", "cf:a": "a50", "cf:b": "b50", "cf:c": "c50"}])
        # Without full rows a record carries only the changed cells.
        self.assertEqual([{k: v for k, v in r.items() if v is not None}
                          for r in self.rows("cells.jsonl")[50:]], [
            {"rowkey": "r03", "cf:b": "B3"}, {"rowkey": "r07", "cf:b": "B7"},
            {"rowkey": "r50", "cf:a": "a50", "cf:b": "b50", "cf:c": "c50"}])
        # Nothing changed: nothing read.
        self.run_ok()
        self.assertEqual(len(self.rows()), 53)

    # -- crashes and failures -----------------------------------------------------------------
    def check_kill_9(self, table, mode):
        # The source hands the sink up to 1000 rows per batch: the file grows 24 times per scan,
        # and a kill after 1-2 growths leaves most of the scan to the later runs.
        n = 24000
        gateway.create(table)
        gateway.put(table, {f"r{i:05d}": {"cf:a": f"a{i}", "cf:b": f"b{i}", "cf:c": f"c{i}"}
                            for i in range(n)})
        wait_for_clock_past(time.time() * 1000)
        # 299 cells per response: rows of 3 cells are split across responses.
        self.pipeline(f"  hbase.table: {table}\n  mode: {mode}\n  hbase.batch.size: 299\n")
        kills, mid_run = harness.kill_after_progress(self.path("p.yaml"),
                                                     lambda: harness.file_size(self.path("out.jsonl")),
                                                     max_steps=2)
        self.run_ok()
        # Killed runs could not close their scanners: the gateway's lease expires them.
        gateway.control(expire_open_scanners=True)
        rows = self.rows()
        keys = [r["rowkey"] for r in rows]
        lost = len({f"r{i:05d}" for i in range(n)} - set(keys))
        harness.crash_report(f"hbase ({mode}) → file", kills, mid_run, lost, len(keys) - len(set(keys)))
        self.assertEqual(set(keys), {f"r{i:05d}" for i in range(n)}, f"rows lost (seed {harness.CRASH_SEED})")
        self.assertGreaterEqual(mid_run, kills // 2, "most kills should land mid-run")
        if mode == "timestamp":  # (a finished bulk scan starts anew on the next run, by design)
            self.assertLessEqual(len(keys) - len(set(keys)), mid_run * harness.REPLAY_BATCHES * 1000,
                                 f"seed {harness.CRASH_SEED}")
        for r in rows:  # never half a row
            i = int(r["rowkey"][1:])
            self.assertEqual(r, {"rowkey": r["rowkey"], "cf:a": f"a{i}", "cf:b": f"b{i}", "cf:c": f"c{i}"})
        return self.offsets()

    def test_bulk_kill_9_mid_scan_resumes_after_the_last_row(self):
        [entry] = self.check_kill_9("killbulk", "bulk")
        self.assertTrue(entry["offset"]["completed"])

    def test_timestamp_kill_9_mid_scan_resumes_the_same_window(self):
        [entry] = self.check_kill_9("killts", "timestamp")
        self.assertEqual(list(entry["offset"]), ["lower"])
        # The window is finished: a rerun reads nothing.
        before = len(self.rows())
        self.run_ok()
        self.assertEqual(len(self.rows()), before)

    def test_sink_kill_9_loses_no_row_and_never_writes_half_a_row(self):
        # At-least-once (the sink has no exactly.once): a kill may make the next run put again
        # the rows of the batches not yet committed. Puts are idempotent by row key; the gateway
        # stamps each put with its clock, so a row put again shows as a second version.
        n = 20000
        gateway.create("killsink")
        schema = {"type": "struct", "name": "item", "optional": False, "fields": [
            {"field": "id", "type": "int32", "optional": False},
            {"field": "name", "type": "string", "optional": False},
            {"field": "n", "type": "int64", "optional": False}]}
        self.write("in.jsonl", "".join(
            json.dumps({"schema": schema, "payload": {"id": i, "name": f"name {i}", "n": 3 * i}}) + "\n"
            for i in range(n)), "w")
        self.write("in.yaml",
                   f"name: in\nsource:\n  connector: file\n  file: {self.path('in.jsonl')}\n"
                   f"  format: jsonl\n  batch.size: 200\nsink:\n  connector: hbase\n"
                   f"  hbase.rest.url: {gateway.url}\n  hbase.rest.retry.backoff.ms: 10\n"
                   f"  hbase.table: killsink\n  pk.fields: id\n  batch.size: 200\n", "w")
        # A source batch is one PUT of 200 rows. Progress: the gateway's request count (the
        # sink's PUTs; the fixture's own stats calls, polled here, are not counted).
        kills, mid_run = harness.kill_after_progress(self.path("in.yaml"),
                                                     lambda: gateway.stats()["requests"])
        self.run_ok("in")
        stored = gateway.scan_versions("killsink")
        expected = {str(i).encode(): {"cf:id": struct.pack(">i", i), "cf:name": f"name {i}".encode(),
                                      "cf:n": struct.pack(">q", 3 * i)} for i in range(n)}
        lost = len(set(expected) - set(stored))
        duplicates = sum(max(len(v) for v in cells.values()) - 1 for cells in stored.values())
        harness.crash_report("file → hbase", kills, mid_run, lost, duplicates)
        self.assertEqual(lost, 0, f"rows lost (seed {harness.CRASH_SEED})")
        self.assertEqual(set(stored), set(expected), "rows that no line wrote")
        self.assertGreaterEqual(mid_run, kills // 2, "most kills should land mid-run")
        self.assertLessEqual(duplicates, mid_run * harness.REPLAY_BATCHES * 200,
                             f"seed {harness.CRASH_SEED}")
        for key, cells in stored.items():  # never half a row: every put carried the whole row
            self.assertEqual(set(cells), set(expected[key]), key)
            for column, versions in cells.items():
                self.assertEqual(set(versions), {expected[key][column]}, (key, column))
            self.assertEqual(len({len(v) for v in cells.values()}), 1, (key, "cells put apart"))

    def test_expired_scanners_and_http_500_are_recovered(self):
        gateway.create("flaky")
        cols = {f"cf:c{j}": f"v{j}" for j in range(5)}
        gateway.put("flaky", {f"r{i:03d}": cols for i in range(100)})
        # Every scanner expires after three responses of 3 cells: rows are split and re-read.
        # (The last row needs two responses and the end-of-scan one, so three is the minimum.)
        gateway.control(expire_after=3)
        self.pipeline("  hbase.table: flaky\n  hbase.batch.size: 3\n")
        self.run_ok()
        rows = self.rows()
        self.assertEqual([r["rowkey"] for r in rows], [f"r{i:03d}" for i in range(100)])
        self.assertTrue(all(r == {"rowkey": r["rowkey"], **cols} for r in rows))
        self.assertGreater(gateway.stats()["scanners_created"], 50)

        gateway.control(expire_after=None, fail_next=3)
        self.pipeline("  hbase.table: flaky\n  hbase.batch.size: 3\n", name="f500", out="f500.jsonl")
        self.run_ok("f500")
        self.assertEqual(len(self.rows("f500.jsonl")), 100)

        # A lease too short for any row to complete is an error, not an endless loop.
        gateway.control(expire_after=1)
        self.pipeline("  hbase.table: flaky\n  hbase.batch.size: 3\n", name="short", out="short.jsonl")
        self.assertIn("keep expiring", self.run_fails("short"))
        gateway.control(expire_after=None)

        gateway.control(fail_next=1000)
        self.pipeline("  hbase.table: flaky\n  hbase.rest.retries: 2\n", name="dead", out="dead.jsonl")
        err = self.run_fails("dead")
        self.assertIn("HTTP 500", err)
        gateway.control(fail_next=0)

    # -- sink ---------------------------------------------------------------------------------
    def test_sink_to_source_round_trip(self):
        gateway.create("rt")
        schema = {"type": "struct", "name": "person", "optional": False, "fields": [
            {"field": "id", "type": "int32", "optional": False},
            {"field": "name", "type": "string", "optional": True},
            {"field": "salary", "type": "int64", "optional": True},
            {"field": "rate", "type": "double", "optional": True},
            {"field": "active", "type": "boolean", "optional": True}]}
        people = [{"id": i, "name": f"név {i}", "salary": i * 1000 + (1 << 33), "rate": i / 4,
                   "active": i % 2 == 0} for i in range(1, 101)]
        people[5]["name"] = None
        self.write("in.jsonl", "".join(json.dumps({"schema": schema, "payload": p}) + "\n"
                                       for p in people), "w")
        self.write("in.yaml",
                   f"name: in\nsource:\n  connector: file\n  file: {self.path('in.jsonl')}\n"
                   f"  format: jsonl\nsink:\n  connector: hbase\n  hbase.rest.url: {gateway.url}\n"
                   f"  hbase.table: rt\n  pk.fields: id\n  batch.size: 7\n", "w")
        self.run_ok("in")
        stored = gateway.scan_all("rt")
        self.assertEqual(len(stored), 100)
        self.assertEqual(stored[b"1"]["cf:salary"], struct.pack(">q", 1000 + (1 << 33)))
        self.assertEqual(stored[b"1"]["cf:id"], struct.pack(">i", 1))
        self.assertNotIn("cf:name", stored[b"6"])  # null: no cell
        self.pipeline("  hbase.table: rt\n  rowkey.type: string\n  field.mapping:\n"
                      "    - {source: 'cf:id', target: id, type: int, pk: true}\n"
                      "    - {source: 'cf:name', target: name}\n"
                      "    - {source: 'cf:salary', target: salary, type: long}\n"
                      "    - {source: 'cf:rate', target: rate, type: double}\n"
                      "    - {source: 'cf:active', target: active, type: boolean}\n")
        self.run_ok()
        back = sorted(({k: v for k, v in r.items() if k != "rowkey"} for r in self.rows()),
                      key=lambda r: r["id"])
        self.assertEqual(back, people)

    def test_sink_errors_name_the_table_and_field(self):
        self.write("in.jsonl", '{"schema":{"type":"struct","fields":[{"field":"id","type":"string"}]},'
                               '"payload":{"id":"x"}}\n', "w")
        base = (f"name: s\nsource:\n  connector: file\n  file: {self.path('in.jsonl')}\n  format: jsonl\n"
                f"sink:\n  connector: hbase\n  hbase.rest.url: {gateway.url}\n"
                f"  hbase.rest.retry.backoff.ms: 10\n")
        self.write("s.yaml", base + "  hbase.table: no_such_table\n  pk.fields: id\n", "w")
        self.assertIn("HBase table 'no_such_table' does not exist", self.run_fails("s"))
        gateway.create("ints")
        self.write("s.yaml", base + "  hbase.table: ints\n  pk.fields: id\n  field.mapping:\n"
                   "    - {source: id, target: id, type: int}\n", "w")
        err = self.run_fails("s")
        self.assertIn("field 'id' -> column 'cf:id'", err)
        self.assertIn("cannot be written as int", err)
        self.assertEqual(self.offsets("s"), [])

    # -- the seeds' example -------------------------------------------------------------------
    def test_employees_pipeline(self):
        gateway.create("test_employee01")
        employees = [(1, "张三", "男", 8000), (2, "Li Si", "女", 12000), (3, "Wang", "男", 1 << 40)]
        gateway.put("test_employee01", {
            str(i): {"cf:id": struct.pack(">i", i), "cf:name": name, "cf:sex": sex,
                     "cf:salary": struct.pack(">q", salary)} for i, name, sex, salary in employees})
        out = kpipe("run", os.path.join(harness.SOURCE_DIR, "pipelines", "hbase-employees.yaml"),
                    "--offsets", self.path("emp.offsets.json"), env={"HBASE_REST_URL": gateway.url})
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        lines = out.stdout.decode().splitlines()
        self.assertEqual([json.loads(line)["payload"] for line in lines], [
            {"rowkey": str(i), "id": i, "name": name, "sex": sex, "salary": salary}
            for i, name, sex, salary in employees])
        self.assertEqual(json.loads(lines[0])["schema"]["fields"][4],
                         {"type": "int64", "optional": True, "field": "salary"})

    # -- bad inputs ---------------------------------------------------------------------------
    def test_unreachable_gateway_exits_1_naming_it_without_credentials(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.write("p.yaml", f"name: p\nsource:\n  connector: hbase\n"
                             f"  hbase.rest.url: http://kp:s3cret@127.0.0.1:{port}\n"
                             f"  hbase.table: t\n  hbase.rest.retries: 1\n"
                             f"  hbase.rest.retry.backoff.ms: 10\n"
                             f"sink:\n  connector: file\n  file: {self.path('out.jsonl')}\n", "w")
        err = self.run_fails()
        self.assertIn(f"http://127.0.0.1:{port}", err)
        self.assertNotIn("s3cret", err)
        # A second URL that works is used.
        gateway.create("two")
        gateway.put("two", {"r": {"cf:a": "1"}})
        self.write("p.yaml", f"name: p\nsource:\n  connector: hbase\n"
                             f"  hbase.rest.url: [http://127.0.0.1:{port}, {gateway.url}]\n"
                             f"  hbase.table: two\n  hbase.rest.retry.backoff.ms: 10\n"
                             f"sink:\n  connector: file\n  file: {self.path('out.jsonl')}\n", "w")
        self.run_ok()
        self.assertEqual(len(self.rows()), 1)

    def test_missing_table_and_undecodable_value_are_clear_errors(self):
        self.pipeline("  hbase.table: nope\n")
        self.assertIn("HBase table 'nope' does not exist", self.run_fails())
        gateway.create("bad")
        gateway.put("bad", {"r1": {"cf:id": struct.pack(">i", 1)}, "r2": {"cf:id": "abc"}})
        self.pipeline("  hbase.table: bad\n  field.mapping:\n    - {source: 'cf:id', target: id, type: int}\n")
        err = self.run_fails()
        self.assertIn("row 'r2' column 'cf:id': value does not decode as int: 3 bytes, expected 4", err)
        self.pipeline("  hbase.table: bad\n  field.mapping:\n    - {source: 'cf:id', type: varchar}\n")
        out = kpipe("run", self.path("p.yaml"))
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn("unknown type 'varchar' for cf:id", out.stderr.decode())

    def test_basic_auth(self):
        secured = Gateway("--user", "kp", "--password", "pw")
        try:
            status, _ = secured.request("PUT", "/sec/schema", {"name": "sec", "ColumnSchema": [{"name": "cf"}]},
                                        auth=("kp", "pw"))
            self.assertEqual(status, 201)
            src = (f"name: p\nsource:\n  connector: hbase\n  hbase.rest.url: {secured.url}\n"
                   f"  hbase.table: sec\n  hbase.rest.auth: basic\n  hbase.rest.user: kp\n"
                   f"  hbase.rest.password: %s\n  hbase.rest.retries: 0\n"
                   f"sink:\n  connector: file\n  file: {self.path('out.jsonl')}\n")
            self.write("p.yaml", src % "pw", "w")
            self.run_ok()
            self.write("p.yaml", src % "wrong-pw", "w")
            err = self.run_fails()
            self.assertIn("HTTP 401", err)
            self.assertNotIn("wrong-pw", err)
        finally:
            secured.stop()


if __name__ == "__main__":
    unittest.main()
