"""`kpipe connect export` and `kpipe connect import` against tests/fixtures/connect_rest.py, a
Kafka Connect REST stand-in written from the documented API (no Connect cluster can be installed
here): the requests kpipe sends, their bodies, the state rules, and a round trip that resumes
where the cluster stopped."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402


def lines(n):
    return b"".join(b"line-%04d\n" % i for i in range(1, n + 1))


class HandoverTest(harness.TempDirTest):
    def setUp(self):
        super().setUp()
        self.clusters = []

    def tearDown(self):
        for c in self.clusters:
            c.stop()
        super().tearDown()

    def cluster(self, **kwargs):
        c = harness.ConnectCluster(**kwargs)
        self.clusters.append(c)
        return c

    def run_kpipe(self, *args, expect=0, env=None):
        out = harness.kpipe(*args, cwd=self.dir, env=env)
        self.assertEqual(out.returncode, expect, out.stdout.decode() + out.stderr.decode())
        return out

    def file_to_kafka(self, position=30):
        self.write("test.txt", lines(5))
        p = self.write("p.yaml", "\n".join([
            "name: lines", "source:", "  connector: file", "  file: test.txt", "  topic: lines",
            "converter:", "  value: string", "sink:", "  connector: kafka",
            "  bootstrap.servers: localhost:9092", "  compression.type: lz4", ""]), "w")
        self.run_kpipe("offsets", "set", p, "--partition",
                       json.dumps({"filename": self.path("test.txt")}),
                       "--offset", json.dumps({"position": position}))
        return p

    def requests(self, cluster):
        return [(r["method"], r["path"], r["body"]) for r in cluster.requests()
                if not r["path"].startswith("/__fixture")]

    def test_export_creates_stopped_writes_offsets_checks_them_and_resumes(self):
        c = self.cluster()
        self.run_kpipe("connect", "export", self.file_to_kafka(), "--connect-url", c.url)
        reqs = self.requests(c)
        methods = [(m, p) for m, p, _ in reqs]
        self.assertEqual(methods[:5], [("GET", "/"), ("POST", "/connectors"),
                                       ("PATCH", "/connectors/lines/offsets"),
                                       ("GET", "/connectors/lines/offsets"),
                                       ("PUT", "/connectors/lines/resume")])
        self.assertTrue(all(m == "GET" and p == "/connectors/lines/status" for m, p in methods[5:]))
        create = reqs[1][2]
        self.assertEqual(create["initial_state"], "STOPPED")
        self.assertEqual(create["config"], {
            "name": "lines",
            "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "tasks.max": "1",
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "file": "test.txt", "topic": "lines",
            "producer.override.compression.type": "lz4"})
        # Connect's partition names the file as the connector config does.
        self.assertEqual(reqs[2][2], {"offsets": [{"partition": {"filename": "test.txt"},
                                                   "offset": {"position": 30}}]})
        status, body = c.call("GET", "/connectors/lines/status")
        self.assertEqual(body["connector"]["state"], "RUNNING")

    def test_dry_run_prints_every_request_and_sends_none(self):
        c = self.cluster()
        out = self.run_kpipe("connect", "export", self.file_to_kafka(), "--connect-url", c.url,
                             "--dry-run").stdout.decode()
        self.assertIn("POST " + c.url + "/connectors", out)
        self.assertIn('"initial_state": "STOPPED"', out)
        self.assertIn("PATCH " + c.url + "/connectors/lines/offsets", out)
        self.assertIn('"position": 30', out)
        self.assertEqual(self.requests(c), [])

    def test_kafka_to_jdbc_is_one_sink_connector_with_the_group_offsets(self):
        c = self.cluster()
        p = self.write("k.yaml", "\n".join([
            "name: orders-sink", "source:", "  connector: kafka", "  bootstrap.servers: localhost:9092",
            "  topics: [orders]", "sink:", "  connector: jdbc",
            "  connection.url: jdbc:sqlite:" + self.path("t.db"), "  insert.mode: upsert",
            "  pk.mode: record_value", "  pk.fields: id", "  auto.create: true", ""]), "w")
        self.run_kpipe("offsets", "set", p, "--partition", '{"kafka_topic":"orders","kafka_partition":0}',
                       "--offset", '{"kafka_offset":5}')
        self.run_kpipe("connect", "export", p, "--connect-url", c.url)
        reqs = self.requests(c)
        config = reqs[1][2]["config"]
        self.assertEqual(config["connector.class"], "io.confluent.connect.jdbc.JdbcSinkConnector")
        self.assertEqual(config["topics"], "orders")
        self.assertEqual(config["pk.mode"], "record_value")
        self.assertEqual(reqs[2][2], {"offsets": [{"partition": {"kafka_topic": "orders", "kafka_partition": 0},
                                                   "offset": {"kafka_offset": 5}}]})

    def test_two_systems_become_two_connectors_joined_by_a_named_topic(self):
        c = self.cluster()
        self.write("in.txt", lines(2))
        p = self.write("ff.yaml", "\n".join([
            "name: copy", "source:", "  connector: file", "  file: in.txt", "sink:",
            "  connector: file", "  file: out.txt", ""]), "w")
        out = self.run_kpipe("connect", "export", p, "--connect-url", c.url)
        self.assertIn("joined by topic 'kpipe.copy'", out.stderr.decode())
        creates = [b for m, path, b in self.requests(c) if m == "POST"]
        self.assertEqual([b["name"] for b in creates], ["copy-source", "copy-sink"])
        self.assertEqual(creates[0]["config"]["transforms.kpipe-topic.replacement"], "kpipe.copy")
        self.assertEqual(creates[1]["config"]["topics"], "kpipe.copy")

    def test_refusals(self):
        c = self.cluster()
        hb = self.write("hb.yaml", "\n".join([
            "name: hb", "source:", "  connector: hbase", "  hbase.rest.url: http://127.0.0.1:1",
            "  hbase.table: t", "sink:", "  connector: file", ""]), "w")
        err = self.run_kpipe("connect", "export", hb, "--connect-url", c.url, expect=2).stderr.decode()
        self.assertIn("no Kafka Connect cluster can run kpipe's hbase source", err)
        old = self.cluster(version="3.4.1")
        err = self.run_kpipe("connect", "export", self.file_to_kafka(), "--connect-url", old.url,
                             expect=2).stderr.decode()
        self.assertIn("needs Kafka Connect 3.6 or later", err)
        self.assertIn("3.4.1", err)
        self.assertEqual([m for m, _, _ in self.requests(old)], ["GET"])
        err = self.run_kpipe("connect", "import", "x", "--connect-url", old.url, "-o",
                             self.path("x.yaml"), expect=2).stderr.decode()
        self.assertIn("importing needs Kafka Connect 3.5 or later", err)
        err = self.run_kpipe("connect", "import", "nobody", "--connect-url", c.url, "-o",
                             self.path("x.yaml"), expect=1).stderr.decode()
        self.assertIn('HTTP 404: {"error_code":404,"message":"No status found for connector nobody"}', err)

    def test_connect_3_6_creates_then_stops_at_once(self):
        c = self.cluster(version="3.6.2")
        out = self.run_kpipe("connect", "export", self.file_to_kafka(), "--connect-url", c.url)
        self.assertIn("needs Kafka Connect 3.7", out.stderr.decode())
        reqs = self.requests(c)
        self.assertNotIn("initial_state", reqs[1][2])
        self.assertEqual(reqs[2][:2], ("PUT", "/connectors/lines/stop"))
        self.assertIn(("PATCH", "/connectors/lines/offsets"), [(m, p) for m, p, _ in reqs])

    def test_import_stops_the_connector_and_the_pipeline_resumes_there(self):
        c = self.cluster()
        status, _ = c.call("POST", "/connectors", {"name": "imported", "config": {
            "connector.class": "FileStreamSource", "file": "test.txt", "topic": "imported-topic",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter"}})
        self.assertEqual(status, 201)
        c.set_offsets("imported", [{"partition": {"filename": "test.txt"}, "offset": {"position": 20}}])
        self.write("test.txt", lines(3))
        mock = harness.MockKafka()
        try:
            worker = self.write("w.properties", "bootstrap.servers=%s\n"
                                "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
                                "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                                % mock.bootstrap, "w")
            out = self.run_kpipe("connect", "import", "imported", "--connect-url", c.url, "-o",
                                 self.path("imported.yaml"), "--worker", worker)
            self.assertIn(("PUT", "/connectors/imported/stop"),
                          [(m, p) for m, p, _ in self.requests(c)])
            self.assertIn("stays STOPPED", out.stderr.decode())
            self.run_kpipe("validate", self.path("imported.yaml"))
            shown = json.loads(self.run_kpipe("offsets", "show", self.path("imported.yaml")).stdout)
            self.assertEqual(shown, {"offsets": [{"partition": {"filename": self.path("test.txt")},
                                                  "offset": {"position": 20}}]})
            self.run_kpipe("run", self.path("imported.yaml"))
            got = harness.kcat_consume(mock.bootstrap, "imported-topic").decode().split("\n")[:-1]
            self.assertEqual(got, ["line-0003"])  # lines 1 and 2 were Connect's: not read again
        finally:
            mock.stop()
        self.run_kpipe("connect", "import", "imported", "--connect-url", c.url, "-o",
                       self.path("again.yaml"), "--delete")
        paths = [(m, p) for m, p, _ in self.requests(c)]
        self.assertIn(("DELETE", "/connectors/imported/offsets"), paths)
        self.assertIn(("DELETE", "/connectors/imported"), paths)

    def test_basic_auth_and_the_clusters_error_shown_as_it_is(self):
        c = self.cluster(user="admin:s3cret-pw")
        p = self.file_to_kafka()
        err = self.run_kpipe("connect", "export", p, "--connect-url", c.url, expect=1).stderr.decode()
        self.assertIn("HTTP 401", err)
        out = self.run_kpipe("connect", "export", p, "--connect-url", c.url, "--connect-user", "admin",
                             env={"KPIPE_CONNECT_PASSWORD": "s3cret-pw"})
        self.assertNotIn("s3cret-pw", out.stdout.decode() + out.stderr.decode())
        self.write("pw", "s3cret-pw\n", "w")
        err = self.run_kpipe("connect", "export", p, "--connect-url", c.url, "--connect-user", "admin",
                             "--connect-password-file", self.path("pw"), expect=1).stderr.decode()
        self.assertIn("Connector lines already exists", err)
        self.assertNotIn("s3cret-pw", err)

    def test_a_rebalance_409_is_not_retried_for_a_create(self):
        c = self.cluster(rebalance_409=1)
        err = self.run_kpipe("connect", "export", self.file_to_kafka(), "--connect-url", c.url,
                             expect=1).stderr.decode()
        self.assertIn("HTTP 409", err)
        self.assertIn("worker rebalance", err)
        self.assertEqual([m for m, _, _ in self.requests(c)], ["GET", "POST"])

    def test_a_rebalance_409_is_retried_for_reads(self):
        c = self.cluster(rebalance_409=1, rebalance_409_gets=True)
        out = self.run_kpipe("connect", "import", "nobody", "--connect-url", c.url, "-o",
                             self.path("r.yaml"), expect=1)
        self.assertIn("trying again", out.stderr.decode())
        self.assertIn("No status found for connector nobody", out.stderr.decode())
        self.assertEqual([(m, p) for m, p, _ in self.requests(c)],
                         [("GET", "/"), ("GET", "/"), ("GET", "/connectors/nobody/status")])

if __name__ == "__main__":
    unittest.main()
