"""End to end: the `kafka` source on a `kpipe mock-kafka` cluster. kcat (an independent client)
produces the messages and checks the consumer group's committed offsets; the offsets file holds
KIP-875's sink shape, {"kafka_topic","kafka_partition"} -> {"kafka_offset": next offset to read}."""
import json
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from kafka_util import wait_until, yaml_str  # noqa: E402

# A member that rejoins the mock's group waits for the session timeout: keep it short.
SESSION = {"session.timeout.ms": "6000"}


def envelope(payload):
    return json.dumps({"schema": {"type": "string", "optional": False}, "payload": payload},
                      ensure_ascii=False, separators=(",", ":"))


class KafkaSourceTest(harness.TempDirTest):
    topics = ["t:2"]

    def setUp(self):
        super().setUp()
        self.mock = harness.MockKafka(brokers=1, topics=self.topics)

    def tearDown(self):
        self.mock.stop()
        super().tearDown()

    # --- helpers ---------------------------------------------------------------------------

    def produce(self, topic, lines, partition=0, key_delimiter=None, headers=()):
        """Produces each bytes line as one message with kcat."""
        args = ["kcat", "-P", "-b", self.mock.bootstrap, "-t", topic, "-p", str(partition)]
        if key_delimiter:
            args += ["-K", key_delimiter]
        for h in headers:
            args += ["-H", h]
        data = b"".join(line + b"\n" for line in lines)
        subprocess.run(args, input=data, capture_output=True, timeout=60, check=True)

    def pipeline(self, name="ks", source=None, converter=None, sink=None, out="out.txt", errors=None):
        src = {"connector": "kafka", "bootstrap.servers": self.mock.bootstrap, "topics": "t"}
        src.update(SESSION)
        src.update(source or {})
        lines = ["name: " + yaml_str(name), "source:"]
        lines += ["  %s: %s" % (k, yaml_str(v)) for k, v in src.items()]
        if converter:
            lines += ["converter:"] + ["  %s: %s" % (k, yaml_str(v)) for k, v in converter.items()]
        lines.append("sink:")
        snk = sink or {"connector": "file", "file": self.path(out)}
        lines += ["  %s: %s" % (k, yaml_str(v)) for k, v in snk.items()]
        if errors:
            lines += ["errors:"] + ["  %s: %s" % (k, yaml_str(v)) for k, v in errors.items()]
        return self.write(name + ".yaml", "\n".join(lines) + "\n", "w")

    def run_ok(self, pipeline, *extra):
        result = harness.kpipe("run", pipeline, *extra)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        return result

    def offsets(self, name="ks"):
        """The offsets file as {(topic, partition): kafka_offset}."""
        try:
            with open(self.path(name + ".offsets.json")) as f:
                doc = json.load(f)
        except FileNotFoundError:
            return {}
        return {(e["partition"]["kafka_topic"], e["partition"]["kafka_partition"]):
                e["offset"]["kafka_offset"] for e in doc["pipelines"][name]["offsets"]}

    def group_reads(self, group, topic):
        """What a kcat member of `group` reads from the group's committed offsets to the end:
        [(partition, offset, value)]. Does not commit."""
        out = subprocess.run(
            ["kcat", "-b", self.mock.bootstrap, "-G", group, "-X", "session.timeout.ms=6000",
             "-X", "enable.auto.commit=false", "-e", "-q", "-f", "%p %o %s\n", topic],
            capture_output=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        rows = []
        for line in out.stdout.decode().splitlines():
            p, o, v = line.split(" ", 2)
            rows.append((int(p), int(o), v))
        return sorted(rows)

    def out_lines(self, name="out.txt"):
        if not os.path.exists(self.path(name)):
            return []
        return self.read(name).split(b"\n")[:-1]


class JsonAndResumeTest(KafkaSourceTest):
    def test_connect_json_round_trips_and_a_second_run_reads_only_new_messages(self):
        p0 = [envelope("zero %d \u00e9\u65e5" % i).encode() for i in range(5)]
        p1 = [b'{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,'
              b'"field":"id"},{"type":"string","optional":true,"field":"name"}],'
              b'"optional":false,"name":"row"},"payload":{"id":%d,"name":"n\\"q"}}' % i
              for i in range(3)]
        self.produce("t", p0, partition=0)
        self.produce("t", p1, partition=1)
        pipeline = self.pipeline()
        result = self.run_ok(pipeline)
        self.assertIn(b"read 8 records, wrote 8", result.stderr)
        lines = self.out_lines()
        # Byte-identical, each partition in order.
        self.assertEqual([x for x in lines if b'"struct"' not in x], p0)
        self.assertEqual([x for x in lines if b'"struct"' in x], p1)
        # The next offset to read per partition, in the file and in the consumer group.
        self.assertEqual(self.offsets(), {("t", 0): 5, ("t", 1): 3})

        self.produce("t", [envelope("new").encode()], partition=1)
        result = self.run_ok(pipeline)
        self.assertIn(b"read 1 records, wrote 1", result.stderr)
        self.assertEqual(self.out_lines()[8:], [envelope("new").encode()])
        self.assertEqual(self.offsets(), {("t", 0): 5, ("t", 1): 4})

        # An independent client in the same group starts exactly where the offsets file says.
        self.produce("t", [b"probe0"], partition=0)
        self.produce("t", [b"probe1"], partition=1)
        self.assertEqual(self.group_reads("kpipe-ks", "t"), [(0, 5, "probe0"), (1, 4, "probe1")])

    def test_offsets_set_and_reset_rewind(self):
        self.produce("t", [b"a", b"b", b"c"], partition=0)
        pipeline = self.pipeline(converter={"value": "string"})
        self.run_ok(pipeline)
        self.assertEqual(self.out_lines(), [b"a", b"b", b"c"])
        partition = json.dumps({"kafka_topic": "t", "kafka_partition": 0})
        out = harness.kpipe("offsets", "set", pipeline, "--partition", partition,
                            "--offset", '{"kafka_offset":1}')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.run_ok(pipeline)
        self.assertEqual(self.out_lines()[3:], [b"b", b"c"])
        # reset forgets the entry: the partition starts over (auto.offset.reset=earliest), not at
        # the group's committed offset.
        out = harness.kpipe("offsets", "reset", pipeline, "--partition", partition)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.run_ok(pipeline)
        self.assertEqual(self.out_lines()[5:], [b"a", b"b", b"c"])
        self.assertEqual(self.offsets(), {("t", 0): 3})


class ConvertersTest(KafkaSourceTest):
    topics = ["t:1", "rx-a:1", "rx-b:1", "empty:3"]

    def test_string_and_bytearray_values(self):
        # (kcat skips empty lines, so no empty message here)
        text = ["plain", "h\u00e9llo \u2014 \u65e5\u672c \U0001f600", "tab\there \x01 \\"]
        self.produce("t", [x.encode() for x in text])
        self.run_ok(self.pipeline(name="str", converter={"value": "string"}, out="str.txt"))
        self.assertEqual(self.out_lines("str.txt"), [x.encode() for x in text])
        self.run_ok(self.pipeline(name="raw", converter={"value": "bytearray"}, out="raw.txt"))
        self.assertEqual(self.out_lines("raw.txt"), [x.encode() for x in text])

    def test_regex_subscription_and_an_empty_topic(self):
        self.produce("rx-a", [b"from a"])
        self.produce("rx-b", [b"from b"])
        self.run_ok(self.pipeline(source={"topics.regex": "rx-.*", "topics": ""},
                                  converter={"value": "string"}))
        self.assertEqual(sorted(self.out_lines()), [b"from a", b"from b"])
        self.assertEqual(self.offsets(), {("rx-a", 0): 1, ("rx-b", 0): 1})
        # An empty topic ends at once: exit 0, nothing written, nothing committed.
        result = self.run_ok(self.pipeline(name="e", source={"topics": "empty"}, out="e.txt",
                                           converter={"value": "string"}))
        self.assertIn(b"read 0 records", result.stderr)
        self.assertEqual(self.out_lines("e.txt"), [])
        self.assertEqual(self.offsets("e"), {})


class MetadataTest(KafkaSourceTest):
    topics = ["t:2", "copy:2"]

    def test_keys_headers_timestamps_and_partitions_reach_the_sink(self):
        self.produce("t", [b"k1|v1", b"k2|v2"], partition=0, key_delimiter="|",
                     headers=["h1=x", "h2=y"])
        self.produce("t", [b"k3|v3"], partition=1, key_delimiter="|")
        # A mirror: the partition kept too (by default the sink partitions by key instead).
        sink = {"connector": "kafka", "bootstrap.servers": self.mock.bootstrap, "topic": "copy",
                "preserve.partitions": "true"}
        self.run_ok(self.pipeline(converter={"key": "string", "value": "string"}, sink=sink))
        fmt = "%p|%k|%h|%T|%s\n"

        def read(topic):
            return sorted(harness.kcat_consume(self.mock.bootstrap, topic, fmt=fmt)
                          .decode().splitlines())

        original = read("t")
        self.assertEqual(len(original), 3)
        self.assertIn("h1=x,h2=y", original[0])
        self.assertEqual(read("copy"), original)


class FailuresTest(KafkaSourceTest):
    topics = ["t:1"]

    def test_malformed_json_fails_naming_the_position_and_commits_nothing_past_it(self):
        self.produce("t", [envelope("a").encode(), envelope("b").encode(), b"{not json",
                           envelope("d").encode()])
        result = harness.kpipe("run", self.pipeline(source={"batch.size": "1"}))
        self.assertEqual(result.returncode, 1, result.stderr.decode())
        err = result.stderr.decode()
        # The message's own position.
        self.assertIn("topic 't' partition 0 offset 2", err)
        self.assertIn("JsonConverter", err)
        self.assertEqual(self.out_lines(), [envelope("a").encode(), envelope("b").encode()])
        self.assertEqual(self.offsets(), {("t", 0): 2})
        self.assertEqual([r[:2] for r in self.group_reads("kpipe-ks", "t")], [(0, 2), (0, 3)])

    def test_tolerated_malformed_messages_go_to_the_dead_letter_file(self):
        self.produce("t", [envelope("a").encode(), b"{not json", envelope("c").encode()])
        dlq = self.path("dlq.jsonl")
        result = self.run_ok(self.pipeline(errors={"tolerance": "all", "log.enable": "true",
                                                   "deadletterqueue.file": dlq}))
        self.assertIn("skipped 1", result.stderr.decode())
        self.assertEqual(self.out_lines(), [envelope("a").encode(), envelope("c").encode()])
        self.assertEqual(self.offsets(), {("t", 0): 3})
        with open(dlq) as f:
            [line] = [json.loads(x) for x in f]
        self.assertEqual(line["value"], "{not json")
        self.assertEqual(line["stage"], "converter (from bytes)")
        self.assertEqual(line["source_offset"], {"kafka_offset": 2})

    def test_configuration_errors_exit_2(self):
        cases = [
            ({"no.such.property": "1"}, b"No such configuration property"),
            ({"topics.regex": "x.*"}, b"not both"),
            ({"topics": ""}, b"topics.regex"),
            ({"auto.offset.reset": "sideways"}, b"auto.offset.reset"),
        ]
        for source, message in cases:
            result = harness.kpipe("run", self.pipeline(source=source))
            self.assertEqual(result.returncode, 2, (source, result.stderr))
            self.assertIn(message, result.stderr)


class FollowTest(KafkaSourceTest):
    topics = ["t:2"]

    def test_follow_picks_up_new_messages_until_sigterm(self):
        self.produce("t", [b"one", b"two"], partition=0)
        pipeline = self.pipeline(converter={"value": "string"})
        proc = subprocess.Popen([harness.KPIPE, "run", pipeline, "--follow"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            self.assertTrue(wait_until(lambda: len(self.out_lines()) == 2, 60))
            self.produce("t", [b"three"], partition=1)
            self.produce("t", [b"four"], partition=0)
            self.assertTrue(wait_until(lambda: len(self.out_lines()) == 4, 60))
            self.assertTrue(wait_until(lambda: self.offsets() == {("t", 0): 3, ("t", 1): 1}, 60))
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.assertEqual(proc.returncode, 0, err.decode())
        self.assertEqual(sorted(self.out_lines()), [b"four", b"one", b"three", b"two"])


if __name__ == "__main__":
    unittest.main()
