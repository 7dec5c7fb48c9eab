"""The Kafka Connect REST stand-in (tests/fixtures/connect_rest.py) against what Kafka Connect's REST
API does (the reference's section 3 and Kafka's sources), through harness.ConnectCluster: the
handover tests are only as good as it. Needs no kpipe binary."""
import json
import os
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402

STOP_FIRST = ("Connectors must be in the STOPPED state before their offsets can be modified. This can be "
              "done for the specified connector by issuing a 'PUT' request to the '/connectors/{}/stop' endpoint")
NO_OFFSETS = "Partitions / offsets need to be provided for an alter offsets request"
ALTERED = "The offsets for this connector have been altered successfully"
RESET = "The offsets for this connector have been reset successfully"
FRAMEWORK_ALTERED = ("The Connect framework-managed offsets for this connector have been altered successfully. "
                     "However, if this connector manages offsets externally, they will need to be manually "
                     "altered in the system that the connector uses.")
FRAMEWORK_RESET = FRAMEWORK_ALTERED.replace("altered", "reset")
REBALANCE = "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"
JERSEY_404 = {"error_code": 404, "message": "HTTP 404 Not Found"}
JERSEY_405 = {"error_code": 405, "message": "HTTP 405 Method Not Allowed"}


def file_source(name, **extra):
    config = {"connector.class": "FileStreamSource", "file": f"/tmp/{name}.txt", "topic": "t"}
    config.update(extra)
    return {"name": name, "config": config}


def jdbc_sink(name):
    return {"name": name, "config": {"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
                                     "topics": "orders", "connection.url": "jdbc:sqlite:x.db"}}


def source_offset(filename, position):
    return {"partition": {"filename": filename}, "offset": {"position": position}}


def sink_offset(topic, partition, offset):
    return {"partition": {"kafka_topic": topic, "kafka_partition": partition}, "offset": {"kafka_offset": offset}}


class ConnectTest(unittest.TestCase):
    """One cluster for the class (VERSION, else the fixture's default); each test uses its own names."""

    VERSION = None
    KW = {}

    @classmethod
    def setUpClass(cls):
        cls.cluster = harness.ConnectCluster(version=cls.VERSION, **cls.KW)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()

    def call(self, method, path, body=None, **kw):
        return self.cluster.call(method, path, body, **kw)

    def create(self, request):
        status, answer = self.call("POST", "/connectors", request)
        self.assertEqual(status, 201, answer)
        return answer

    def stopped(self, request):
        self.create(request)
        self.assertEqual(self.call("PUT", f"/connectors/{request['name']}/stop"), (204, None))

    def assertError(self, answer, status, message=None, fragment=None):
        self.assertEqual(answer[0], status, answer)
        self.assertEqual(answer[1]["error_code"], status, answer)
        if message is not None:
            self.assertEqual(answer[1]["message"], message)
        if fragment is not None:
            self.assertIn(fragment, answer[1]["message"])


class RootAndPluginsTest(ConnectTest):
    def test_root_answers_version_commit_and_cluster_id(self):
        status, answer = self.call("GET", "/")
        self.assertEqual(status, 200)
        self.assertEqual(answer["version"], "3.7.0")
        self.assertEqual(set(answer), {"version", "commit", "kafka_cluster_id"})

    def test_plugins_list_sinks_then_sources_with_type_and_version(self):
        status, plugins = self.call("GET", "/connector-plugins")
        self.assertEqual(status, 200)
        self.assertEqual([p["class"] for p in plugins], [
            "io.confluent.connect.hbase.HBaseSinkConnector", "io.confluent.connect.jdbc.JdbcSinkConnector",
            "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "io.confluent.connect.jdbc.JdbcSourceConnector", "org.apache.kafka.connect.file.FileStreamSourceConnector"])
        by_class = {p["class"]: p for p in plugins}
        self.assertEqual(by_class["org.apache.kafka.connect.file.FileStreamSourceConnector"],
                         {"class": "org.apache.kafka.connect.file.FileStreamSourceConnector", "type": "source",
                          "version": "3.7.0"})
        self.assertEqual(by_class["io.confluent.connect.jdbc.JdbcSinkConnector"]["type"], "sink")

    def test_connector_class_matches_full_simple_or_short_name(self):
        for i, cls in enumerate(["org.apache.kafka.connect.file.FileStreamSinkConnector",
                                 "FileStreamSinkConnector", "FileStreamSink"]):
            info = self.create({"name": f"alias-{i}", "config": {"connector.class": cls, "topics": "t"}})
            self.assertEqual(info["type"], "sink")
            self.assertEqual(info["config"]["connector.class"], cls)  # stored as sent

    def test_unknown_connector_class_is_500_with_connects_message(self):
        answer = self.call("POST", "/connectors", {"name": "nope", "config": {"connector.class": "Nope"}})
        self.assertError(answer, 500, fragment="Failed to find any class that implements Connector and which "
                                               "name matches Nope, available connectors are: PluginDesc{")
        self.assertError(self.call("GET", "/connectors/nope"), 404, "Connector nope not found")
        answer = self.call("POST", "/connectors", {"name": "noclass", "config": {"file": "x"}})
        self.assertError(answer, 400, "Connector config {name=noclass, file=x} contains no connector type")

    def test_config_errors_are_400_with_the_workers_summary(self):
        answer = self.call("POST", "/connectors", {"name": "bad", "config": {"connector.class": "FileStreamSink"}})
        self.assertError(answer, 400, "Connector configuration is invalid and contains the following 2 error(s):\n"
                                      "Must configure one of topics or topics.regex\n"
                                      "Must configure one of topics or topics.regex\n"
                                      "You can also find the above list of errors at the endpoint "
                                      "`/connector-plugins/{connectorType}/config/validate`")
        answer = self.call("POST", "/connectors", file_source("bad2", **{"tasks.max": "0"}))
        self.assertError(answer, 400, fragment="Invalid value 0 for configuration tasks.max: Value must be at least 1")


class ConnectorsTest(ConnectTest):
    def test_create_answers_201_location_and_info_and_a_second_create_409(self):
        req = urllib.request.Request(self.cluster.url + "/connectors", method="POST",
                                     data=json.dumps(file_source("c1")).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            self.assertEqual(r.status, 201)
            self.assertEqual(r.headers["Location"], self.cluster.url + "/connectors/c1")
            info = json.loads(r.read())
        self.assertEqual(info, {"name": "c1", "config": dict(file_source("c1")["config"], name="c1"),
                                "tasks": [{"connector": "c1", "task": 0}], "type": "source"})
        self.assertError(self.call("POST", "/connectors", file_source("c1")), 409, "Connector c1 already exists")
        self.assertIn("c1", self.call("GET", "/connectors")[1])

    def test_unknown_connectors_are_404_with_the_herders_messages(self):
        self.assertError(self.call("GET", "/connectors/ghost"), 404, "Connector ghost not found")
        self.assertError(self.call("GET", "/connectors/ghost/config"), 404, "Connector ghost not found")
        self.assertError(self.call("DELETE", "/connectors/ghost"), 404, "Connector ghost not found")
        self.assertError(self.call("GET", "/connectors/ghost/offsets"), 404, "Connector ghost not found")
        self.assertError(self.call("PATCH", "/connectors/ghost/offsets", {"offsets": [source_offset("a", 1)]}),
                         404, "Connector ghost not found")
        self.assertError(self.call("GET", "/connectors/ghost/status"), 404, "No status found for connector ghost")
        self.assertError(self.call("PUT", "/connectors/ghost/pause"), 404, "Unknown connector ghost")
        self.assertError(self.call("PUT", "/connectors/ghost/stop"), 404, "Unknown connector ghost")
        self.assertError(self.call("POST", "/connectors/ghost/restart"), 404, "Unknown connector: ghost")
        self.assertEqual(self.call("GET", "/no/such/path"), (404, JERSEY_404))

    def test_put_config_creates_then_updates_and_checks_the_name(self):
        config = {"connector.class": "FileStreamSource", "file": "/tmp/p", "topic": "t"}
        status, info = self.call("PUT", "/connectors/put1/config", config)
        self.assertEqual((status, info["name"]), (201, "put1"))
        status, info = self.call("PUT", "/connectors/put1/config", dict(config, topic="u"))
        self.assertEqual((status, info["config"]["topic"]), (200, "u"))
        self.assertEqual(self.call("GET", "/connectors/put1/config")[1]["topic"], "u")
        self.assertError(self.call("PUT", "/connectors/put1/config", dict(config, name="other")), 400,
                         "Connector name configuration (other) doesn't match connector name in the URL (put1)")

    def test_stop_leaves_no_tasks_and_resume_starts_one(self):
        self.create(file_source("st1"))
        self.assertEqual(self.call("PUT", "/connectors/st1/pause"), (202, None))
        status = self.call("GET", "/connectors/st1/status")[1]
        self.assertEqual((status["connector"]["state"], [t["state"] for t in status["tasks"]]), ("PAUSED", ["PAUSED"]))
        self.assertEqual(self.call("PUT", "/connectors/st1/stop"), (204, None))
        self.assertEqual(self.call("PUT", "/connectors/st1/stop"), (204, None))  # idempotent
        status = self.call("GET", "/connectors/st1/status")[1]
        self.assertEqual(status["connector"]["state"], "STOPPED")
        self.assertEqual(status["connector"]["worker_id"], self.cluster.url.split("//")[1])
        self.assertEqual(status["tasks"], [])
        self.assertEqual(self.call("GET", "/connectors/st1")[1]["tasks"], [])
        self.assertEqual(self.call("GET", "/connectors/st1/tasks"), (200, []))
        self.assertEqual(self.call("PUT", "/connectors/st1/resume"), (202, None))
        status = self.call("GET", "/connectors/st1/status")[1]
        self.assertEqual((status["connector"]["state"], [t["state"] for t in status["tasks"]]), ("RUNNING", ["RUNNING"]))

    def test_create_with_initial_state_stopped_or_paused_generates_no_tasks(self):
        info = self.create(dict(file_source("init1"), initial_state="stopped"))  # case-insensitive
        self.assertEqual(info["tasks"], [])
        self.assertEqual(self.call("GET", "/connectors/init1/status")[1]["connector"]["state"], "STOPPED")
        self.create(dict(file_source("init2"), initial_state="PAUSED"))
        status = self.call("GET", "/connectors/init2/status")[1]
        self.assertEqual((status["connector"]["state"], status["tasks"]), ("PAUSED", []))
        answer = self.call("POST", "/connectors", dict(file_source("init3"), initial_state="SLEEPING"))
        self.assertError(answer, 500, fragment="No enum constant")

    def test_delete_answers_204(self):
        self.create(file_source("del1"))
        self.assertEqual(self.call("DELETE", "/connectors/del1"), (204, None))
        self.assertNotIn("del1", self.call("GET", "/connectors")[1])

    def test_expand_status_and_info(self):
        self.create(file_source("exp1"))
        status, answer = self.call("GET", "/connectors?expand=status&expand=info")
        self.assertEqual(status, 200)
        self.assertEqual(answer["exp1"]["status"]["connector"]["state"], "RUNNING")
        self.assertEqual(answer["exp1"]["info"]["type"], "source")

    def test_bodies_jackson_cannot_bind_are_500(self):
        self.assertError(self.call("POST", "/connectors", b'{"name": "j1", "config": {'), 500,
                         fragment="Unexpected end-of-input")
        self.assertError(self.call("POST", "/connectors", b'{"name": x}'), 500, fragment="Unexpected character ('x'")
        self.assertError(self.call("POST", "/connectors", dict(file_source("j2"), foo=1)), 500,
                         fragment='Unrecognized field "foo"')
        self.assertError(self.call("PUT", "/connectors/j3/config", {"connector.class": {"a": 1}}), 500,
                         fragment="Cannot deserialize value of type `java.lang.String` from Object value")


class OffsetsTest(ConnectTest):
    def test_offsets_can_only_change_when_stopped(self):
        self.create(file_source("o1"))
        body = {"offsets": [source_offset("/tmp/o1.txt", 5)]}
        self.assertError(self.call("PATCH", "/connectors/o1/offsets", body), 400, STOP_FIRST.format("o1"))
        self.assertError(self.call("DELETE", "/connectors/o1/offsets"), 400, STOP_FIRST.format("o1"))
        self.call("PUT", "/connectors/o1/pause")
        self.assertError(self.call("PATCH", "/connectors/o1/offsets", body), 400, STOP_FIRST.format("o1"))
        self.assertEqual(self.call("GET", "/connectors/o1/offsets"), (200, {"offsets": []}))  # reading is allowed
        # STOPPED with tasks still assigned (the window after a stop) is refused too.
        self.cluster.set_state("o1", "STOPPED", tasks=1)
        self.assertError(self.call("PATCH", "/connectors/o1/offsets", body), 400, STOP_FIRST.format("o1"))
        self.cluster.set_state("o1", "STOPPED")
        self.assertEqual(self.call("PATCH", "/connectors/o1/offsets", body), (200, {"message": ALTERED}))
        self.assertEqual(self.call("GET", "/connectors/o1/offsets"), (200, body))

    def test_empty_or_missing_offsets_are_400(self):
        self.stopped(file_source("o2"))
        for body in ({}, {"offsets": []}, {"offsets": None}):
            self.assertError(self.call("PATCH", "/connectors/o2/offsets", body), 400, NO_OFFSETS)
        self.assertError(self.call("PATCH", "/connectors/o2/offsets", {"offsets": {}}), 500,
                         fragment="Cannot deserialize value")
        self.assertError(self.call("PATCH", "/connectors/o2/offsets", {"offsets": [123]}), 500,
                         fragment="Cannot construct instance")
        self.assertError(self.call("PATCH", "/connectors/o2/offsets", {"offsets": [{"key": "val"}]}), 500,
                         fragment="Unrecognized field")

    def test_file_source_offsets_are_checked_and_null_removes_a_partition(self):
        self.stopped(file_source("o3"))
        self.assertError(self.call("PATCH", "/connectors/o3/offsets",
                                   {"offsets": [source_offset("/tmp/o3.txt", -1)]}), 500,
                         "The value for the 'position' key in the offset should be a non-negative value")
        self.assertError(self.call("PATCH", "/connectors/o3/offsets",
                                   {"offsets": [source_offset("/tmp/o3.txt", "7")]}), 500,
                         "The value for the 'position' key in the offset is expected to be a Long value")
        two = {"offsets": [source_offset("a", 1), source_offset("b", 2)]}
        self.assertEqual(self.call("PATCH", "/connectors/o3/offsets", two)[0], 200)
        self.call("PATCH", "/connectors/o3/offsets", {"offsets": [{"partition": {"filename": "a"}, "offset": None}]})
        self.assertEqual(self.call("GET", "/connectors/o3/offsets")[1], {"offsets": [source_offset("b", 2)]})
        self.assertEqual(self.call("DELETE", "/connectors/o3/offsets"), (200, {"message": RESET}))
        self.assertEqual(self.call("GET", "/connectors/o3/offsets")[1], {"offsets": []})

    def test_jdbc_source_gets_the_framework_managed_message(self):
        self.stopped({"name": "o4", "config": {"connector.class": "JdbcSource", "connection.url": "jdbc:sqlite:x",
                                               "topic.prefix": "p-"}})
        body = {"offsets": [{"partition": {"protocol": "1", "table": "db.login"}, "offset": {"incrementing": 42}}]}
        self.assertEqual(self.call("PATCH", "/connectors/o4/offsets", body), (200, {"message": FRAMEWORK_ALTERED}))
        self.assertEqual(self.call("GET", "/connectors/o4/offsets"), (200, body))
        self.assertEqual(self.call("DELETE", "/connectors/o4/offsets"), (200, {"message": FRAMEWORK_RESET}))

    def test_sink_offsets_use_the_fixed_shape(self):
        self.stopped(jdbc_sink("o5"))
        cases = [
            ({"partition": {"topic": "orders"}, "offset": {"kafka_offset": 1}},
             "The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'"),
            ({"partition": {"kafka_topic": "orders", "kafka_partition": "x"}, "offset": {"kafka_offset": 1}},
             "Failed to parse the following Kafka partition value in the provided offsets: 'x'. "
             "Partition values for sink connectors need to be integers."),
            ({"partition": {"kafka_topic": "orders", "kafka_partition": 0}, "offset": {"offset": 1}},
             "The offset for a sink connector should either be null or contain the key 'kafka_offset'"),
            ({"partition": None, "offset": {"kafka_offset": 1}},
             "The partition for a sink connector offset cannot be null or missing"),
        ]
        for entry, message in cases:
            self.assertError(self.call("PATCH", "/connectors/o5/offsets", {"offsets": [entry]}), 400, message)
        body = {"offsets": [sink_offset("orders", 0, 10), sink_offset("orders", "1", "20")]}  # "1" parses as 1
        self.assertEqual(self.call("PATCH", "/connectors/o5/offsets", body), (200, {"message": FRAMEWORK_ALTERED}))
        self.call("PATCH", "/connectors/o5/offsets", {"offsets": [
            {"partition": {"kafka_topic": "orders", "kafka_partition": 0}, "offset": None}]})
        self.assertEqual(self.call("GET", "/connectors/o5/offsets")[1], {"offsets": [sink_offset("orders", 1, 20)]})
        self.assertEqual(self.call("DELETE", "/connectors/o5/offsets"), (200, {"message": FRAMEWORK_RESET}))
        self.stopped({"name": "o6", "config": {"connector.class": "FileStreamSink", "topics": "t"}})
        self.assertEqual(self.call("PATCH", "/connectors/o6/offsets", {"offsets": [sink_offset("t", 0, 1)]}),
                         (200, {"message": ALTERED}))

    def test_offsets_survive_deleting_the_connector(self):
        self.stopped(file_source("o7"))
        body = {"offsets": [source_offset("/tmp/o7.txt", 30)]}
        self.call("PATCH", "/connectors/o7/offsets", body)
        self.assertEqual(self.call("DELETE", "/connectors/o7"), (204, None))
        self.assertError(self.call("GET", "/connectors/o7/offsets"), 404, "Connector o7 not found")
        self.create(dict(file_source("o7"), initial_state="STOPPED"))
        self.assertEqual(self.call("GET", "/connectors/o7/offsets"), (200, body))

    def test_fixture_control_sets_offsets_for_import(self):
        self.create(file_source("o8"))
        offsets = [source_offset("/tmp/o8.txt", 99)]
        self.cluster.set_offsets("o8", offsets)
        self.assertEqual(self.call("GET", "/connectors/o8/offsets"), (200, {"offsets": offsets}))
        self.cluster.set_offsets("o9", [sink_offset("s", 2, 7)], type="sink")  # before it exists
        self.create(jdbc_sink("o9"))
        self.assertEqual(self.call("GET", "/connectors/o9/offsets"), (200, {"offsets": [sink_offset("s", 2, 7)]}))


class OldVersionTest(ConnectTest):
    VERSION = "3.4.1"

    def test_stop_and_offsets_are_unknown_paths_before_3_5(self):
        self.create(file_source("v1"))
        self.assertEqual(self.call("PUT", "/connectors/v1/stop"), (404, JERSEY_404))
        self.assertEqual(self.call("GET", "/connectors/v1/offsets"), (404, JERSEY_404))
        self.assertEqual(self.call("PATCH", "/connectors/v1/offsets", {"offsets": [source_offset("a", 1)]}),
                         (404, JERSEY_404))
        self.assertEqual(self.call("PATCH", "/connectors/v1/config", {"topic": "x"}), (405, JERSEY_405))

    def test_initial_state_is_an_unrecognized_field_before_3_7(self):
        answer = self.call("POST", "/connectors", dict(file_source("v2"), initial_state="STOPPED"))
        self.assertError(answer, 500, fragment='Unrecognized field "initial_state" (class org.apache.kafka.connect.'
                                               'runtime.rest.entities.CreateConnectorRequest), not marked as '
                                               'ignorable (2 known properties: "config", "name"])')
        self.assertError(self.call("GET", "/connectors/v2"), 404, "Connector v2 not found")


class Version35Test(ConnectTest):
    VERSION = "3.5.2"

    def test_3_5_can_stop_and_read_offsets_but_not_change_them(self):
        self.create(file_source("v3"))
        self.assertEqual(self.call("PUT", "/connectors/v3/stop"), (204, None))
        self.assertEqual(self.call("GET", "/connectors/v3/offsets"), (200, {"offsets": []}))
        self.assertEqual(self.call("PATCH", "/connectors/v3/offsets", {"offsets": [source_offset("a", 1)]}),
                         (405, JERSEY_405))
        self.assertEqual(self.call("DELETE", "/connectors/v3/offsets"), (405, JERSEY_405))


class ConfluentVersionTest(ConnectTest):
    VERSION = "7.6.0-ccs"  # Confluent Platform 7.6 carries Apache Kafka 3.6

    def test_confluent_versions_gate_as_their_kafka_release(self):
        self.assertEqual(self.call("GET", "/")[1]["version"], "7.6.0-ccs")
        self.stopped(file_source("v4"))
        self.assertEqual(self.call("PATCH", "/connectors/v4/offsets", {"offsets": [source_offset("a", 1)]})[0], 200)
        self.assertError(self.call("POST", "/connectors", dict(file_source("v5"), initial_state="STOPPED")), 500,
                         fragment='Unrecognized field "initial_state"')


class PatchConfigTest(ConnectTest):
    VERSION = "3.8.0"

    def test_patch_config_merges_and_null_removes_from_3_8(self):
        self.create(file_source("v6", **{"batch.size": "10"}))
        status, info = self.call("PATCH", "/connectors/v6/config", {"topic": "new", "batch.size": None})
        self.assertEqual(status, 200)
        self.assertEqual(info["config"]["topic"], "new")
        self.assertNotIn("batch.size", info["config"])
        self.assertError(self.call("PATCH", "/connectors/ghost/config", {"topic": "x"}), 404, "Connector ghost not found")


class AuthTest(ConnectTest):
    KW = {"user": "admin:secret"}

    def test_requests_need_basic_auth(self):
        self.assertEqual(self.call("GET", "/connectors", auth=False), (401, None))  # bare text, not JSON
        self.assertEqual(self.call("GET", "/connectors", auth=("admin", "wrong")), (401, None))
        self.assertEqual(self.call("GET", "/connectors"), (200, []))
        try:
            urllib.request.urlopen(self.cluster.url + "/", timeout=30)
            self.fail("no 401")
        except urllib.error.HTTPError as e:
            self.assertEqual((e.code, e.read()), (401, b"User cannot access the resource."))
        # Jersey matches before the auth filter runs: an unknown path is 404 without credentials.
        self.assertEqual(self.call("GET", "/nothing/here", auth=False), (404, JERSEY_404))


class RequestLogTest(ConnectTest):
    KW = {"user": "ops:pw"}

    def test_the_log_records_method_path_query_body_and_user(self):
        self.cluster.reset_log()
        self.create(file_source("log1"))
        self.call("GET", "/connectors?expand=status")
        self.call("GET", "/connectors", auth=False)
        log = self.cluster.requests()
        self.assertEqual(log[0], {"method": "POST", "path": "/connectors", "query": {}, "body": file_source("log1"),
                                  "user": "ops", "status": 201})
        self.assertEqual((log[1]["path"], log[1]["query"], log[1]["body"]), ("/connectors", {"expand": ["status"]}, None))
        self.assertEqual((log[2]["user"], log[2]["status"]), (None, 401))
        self.assertEqual(len(log), 3)  # fixture controls are not logged
        self.cluster.reset_log()
        self.assertEqual(self.cluster.requests(), [])


class RebalanceTest(ConnectTest):
    KW = {"rebalance_409": 2}

    def test_the_first_forwarded_requests_conflict_and_change_nothing(self):
        self.assertEqual(self.call("GET", "/connectors"), (200, []))  # reads are not forwarded
        self.assertError(self.call("POST", "/connectors", file_source("r1")), 409, REBALANCE)
        self.assertEqual(self.call("GET", "/connectors"), (200, []))
        # Bodies are bound before the herder sees the request: a bad one is not a rebalance.
        self.assertError(self.call("POST", "/connectors", b"{"), 500)
        self.assertError(self.call("POST", "/connectors", file_source("r1")), 409, REBALANCE)
        self.assertEqual(self.create(file_source("r1"))["name"], "r1")
        self.assertEqual(self.call("PUT", "/connectors/r1/stop"), (204, None))
        statuses = [e["status"] for e in self.cluster.requests() if e["method"] == "POST"]
        self.assertEqual(statuses, [409, 500, 409, 201])


class RebalanceGetsTest(ConnectTest):
    KW = {"rebalance_409": 2, "rebalance_409_gets": True}

    def test_gets_draw_on_the_same_409s(self):
        self.assertError(self.call("GET", "/"), 409, REBALANCE)
        self.assertError(self.call("GET", "/connectors"), 409, REBALANCE)
        self.assertEqual(self.call("GET", "/connectors"), (200, []))
        self.assertEqual(self.create(file_source("g1"))["name"], "g1")
        statuses = [(e["method"], e["path"], e["status"]) for e in self.cluster.requests()]
        self.assertEqual(statuses, [("GET", "/", 409), ("GET", "/connectors", 409),
                                    ("GET", "/connectors", 200), ("POST", "/connectors", 201)])


if __name__ == "__main__":
    unittest.main()
