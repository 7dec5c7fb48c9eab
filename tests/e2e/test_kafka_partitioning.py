"""End to end: which partition the kafka sink writes a record to (issue #13). By default Kafka's
own choice, as a Java producer makes it: toPositive(murmur2(key bytes)) % partitions, whatever
partition a Kafka source read the record from — checked against python3-kafka's murmur2, an
implementation we did not write. `preserve.partitions: true` keeps the source partition
(mirroring); a partition the target topic does not have ends the run (exit 1) naming topic,
partition and partition count, with nothing committed past what was written. kcat (an independent
client) produces the keyed messages and reads back partitions, keys and values."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from kafka.partitioner.default import murmur2  # noqa: E402  (Debian's python3-kafka)
from kafka_util import yaml_str  # noqa: E402

# A member that rejoins the mock's group waits for the session timeout: keep it short.
SESSION = {"session.timeout.ms": "6000"}


def java_partition(key, partitions):
    """Kafka's Java producer for a keyed record: toPositive(murmur2(key bytes)) % partitions."""
    return (murmur2(key) & 0x7fffffff) % partitions


class PartitioningTest(harness.TempDirTest):
    topics = []

    def setUp(self):
        super().setUp()
        self.mock = harness.MockKafka(brokers=1, topics=self.topics)

    def tearDown(self):
        self.mock.stop()
        super().tearDown()

    def produce(self, topic, lines, partition):
        """Produces `key|value` bytes lines to one partition with kcat."""
        data = b"".join(line + b"\n" for line in lines)
        subprocess.run(["kcat", "-P", "-b", self.mock.bootstrap, "-t", topic, "-p", str(partition),
                        "-K", "|"], input=data, capture_output=True, timeout=60, check=True)

    def pipeline(self, name, source, converter, sink):
        lines = ["name: " + yaml_str(name), "source:"]
        lines += ["  %s: %s" % (k, yaml_str(v)) for k, v in source.items()]
        lines += ["converter:"] + ["  %s: %s" % (k, yaml_str(v)) for k, v in converter.items()]
        lines += ["sink:", "  connector: kafka", "  bootstrap.servers: " + yaml_str(self.mock.bootstrap)]
        lines += ["  %s: %s" % (k, yaml_str(v)) for k, v in sink.items()]
        return self.write(name + ".yaml", "\n".join(lines) + "\n", "w")

    def kafka_pipeline(self, name, sink, converter=None):
        """Topic `in` (a Kafka source) to the kafka sink."""
        source = {"connector": "kafka", "bootstrap.servers": self.mock.bootstrap, "topics": "in"}
        source.update(SESSION)
        return self.pipeline(name, source, converter or {"key": "string", "value": "string"}, sink)

    def read(self, topic):
        """[(partition, key bytes, value bytes)] of a topic, in offset order per partition."""
        out = harness.kcat_consume(self.mock.bootstrap, topic, fmt="%p|%k|%s\n")
        rows = []
        for line in out.split(b"\n")[:-1]:
            partition, key, value = line.split(b"|", 2)
            rows.append((int(partition), key, value))
        return rows

    def offsets(self, name):
        """The offsets file as {(topic, partition): kafka_offset}; {} when there is none."""
        try:
            with open(self.path(name + ".offsets.json")) as f:
                doc = json.load(f)
        except FileNotFoundError:
            return {}
        return {(e["partition"]["kafka_topic"], e["partition"]["kafka_partition"]):
                e["offset"]["kafka_offset"] for e in doc["pipelines"][name]["offsets"]}

    def run_ok(self, pipeline):
        result = harness.kpipe("run", pipeline)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        return result


class ByKeyTest(PartitioningTest):
    """The issue's case: a 1-partition topic copied into an 8-partition one."""
    topics = ["in:1", "out:8"]

    def check_by_key(self, rows, count):
        self.assertEqual(len(rows), count)
        for partition, key, _ in rows:
            self.assertEqual(partition, java_partition(key, 8), key)
        used = {partition for partition, _, _ in rows}
        self.assertEqual(used, set(range(8)), "500 keys should reach all 8 partitions")

    def test_string_keys_land_where_java_puts_them_not_on_the_source_partition(self):
        self.produce("in", [b"key-%d|value-%d" % (i, i) for i in range(500)], partition=0)
        self.run_ok(self.kafka_pipeline("str", {"topic": "out"}))
        rows = self.read("out")
        self.check_by_key(rows, 500)
        self.assertEqual(sorted((k, v) for _, k, v in rows),
                         sorted((b"key-%d" % i, b"value-%d" % i) for i in range(500)))
        self.assertEqual(self.offsets("str"), {("in", 0): 500})

    def test_json_keys_are_hashed_as_the_bytes_written(self):
        # The JSON converter writes the key again, compact: the partition follows the bytes that
        # land in Kafka (here not the bytes that were read).
        self.produce("in", [b'{ "id": %d }|{"n": %d}' % (i, i) for i in range(500)], partition=0)
        converter = {"key": "json", "key.schemas.enable": "false",
                     "value": "json", "value.schemas.enable": "false"}
        self.run_ok(self.kafka_pipeline("json", {"topic": "out"}, converter))
        rows = self.read("out")
        self.check_by_key(rows, 500)
        self.assertEqual(sorted((k, v) for _, k, v in rows),
                         sorted((b'{"id":%d}' % i, b'{"n":%d}' % i) for i in range(500)))


class PreserveTest(PartitioningTest):
    topics = ["in:8", "same:8", "small:2"]

    def produce_range(self, partition, first, count):
        self.produce("in", [b"p%d-key-%d|p%d-value-%d" % (partition, i, partition, i)
                            for i in range(first, first + count)], partition=partition)

    def test_each_record_keeps_its_source_partition(self):
        for p in range(8):
            self.produce_range(p, 0, 40)
        self.run_ok(self.kafka_pipeline("mirror", {"topic": "same", "preserve.partitions": "true"}))
        rows = self.read("same")
        self.assertEqual(len(rows), 8 * 40)
        for p in range(8):
            # In order, and only this partition's records.
            self.assertEqual([(k, v) for q, k, v in rows if q == p],
                             [(b"p%d-key-%d" % (p, i), b"p%d-value-%d" % (p, i)) for i in range(40)])
        # The partitioner would have put most of them elsewhere: the option did something.
        moved = sum(1 for p, k, _ in rows if java_partition(k, 8) != p)
        self.assertGreater(moved, len(rows) // 2)
        self.assertEqual(self.offsets("mirror"), {("in", p): 40 for p in range(8)})

    def test_a_partition_the_target_lacks_fails_and_commits_nothing_past_what_was_written(self):
        pipeline = self.kafka_pipeline("narrow", {"topic": "small", "preserve.partitions": "true"})
        # Partitions 0 and 1 fit: a first run copies and commits them.
        self.produce_range(0, 0, 40)
        self.produce_range(1, 0, 40)
        self.run_ok(pipeline)
        self.assertEqual(self.offsets("narrow"), {("in", 0): 40, ("in", 1): 40})

        # Then partition 5, which the target lacks, beside more for partition 0: every run fails
        # on it (it is never skipped), and no offset moves past what is in the target.
        self.produce_range(5, 0, 20)
        self.produce_range(0, 40, 10)
        for attempt in range(2):
            result = harness.kpipe("run", pipeline)
            err = result.stderr.decode()
            self.assertEqual(result.returncode, 1, err)
            self.assertIn("topic 'small' partition 5: Local: Unknown partition", err)
            self.assertIn("topic 'small' has 2 partitions, so no partition 5", err)
            self.assertIn("preserve.partitions", err)

            rows = self.read("small")
            self.assertEqual({p for p, _, _ in rows}, {0, 1})
            written = {p: [k for q, k, _ in rows if q == p] for p in range(2)}
            self.assertEqual(written[1], [b"p1-key-%d" % i for i in range(40)])
            # Partition 0: the first run's 40, then what failed runs delivered of the 10 new
            # ones without committing them (at least once: a later run may send them again).
            self.assertEqual(written[0][:40], [b"p0-key-%d" % i for i in range(40)])
            first_seen = list(dict.fromkeys(written[0]))
            self.assertEqual(first_seen, [b"p0-key-%d" % i for i in range(len(first_seen))])
            offsets = self.offsets("narrow")
            self.assertNotIn(("in", 5), offsets, attempt)
            self.assertEqual(offsets[("in", 1)], 40)
            self.assertGreaterEqual(offsets[("in", 0)], 40)
            self.assertLessEqual(offsets[("in", 0)], len(first_seen))


class FileSourceTest(PartitioningTest):
    """The file source gives records neither a key nor a partition: preserve.partitions has
    nothing to preserve, and librdkafka's partitioner places them (murmur2_random: a random
    partition, sticky for sticky.partitioning.linger.ms, so not necessarily spread in a short
    run). Keys from a file need a transform; SMT-keyed records are checked against murmur2 in
    test_transforms.py."""
    topics = ["out:8"]

    def test_records_without_a_partition_go_to_the_partitioner_under_preserve_partitions(self):
        self.write("in.txt", b"".join(b"line %d\n" % i for i in range(400)))
        source = {"connector": "file", "file": self.path("in.txt"), "topic": "out"}
        self.run_ok(self.pipeline("file", source, {"value": "string"},
                                  {"preserve.partitions": "true"}))
        rows = self.read("out")
        self.assertEqual(sorted(v for _, _, v in rows), sorted(b"line %d" % i for i in range(400)))
        self.assertEqual({k for _, k, _ in rows}, {b""})
        self.assertLessEqual({p for p, _, _ in rows}, set(range(8)))


if __name__ == "__main__":
    unittest.main()
