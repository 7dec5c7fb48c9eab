"""Bad input and the CLI: every error a user can cause has a clear message and an exit code."""
import fcntl
import json
import os
import unittest

import harness
from harness import kpipe


class CliTest(harness.TempDirTest):
    def setUp(self):
        super().setUp()
        self.write("in.txt", b"a\nb\n")

    def pipeline(self, text):
        return self.write("p.yaml", text.replace("IN", self.path("in.txt"))
                          .replace("OUT", self.path("out.txt")), "w")

    def good(self):
        return self.pipeline("name: p\nsource:\n  connector: file\n  file: IN\n"
                             "sink:\n  connector: file\n  file: OUT\n")

    def expect(self, args, code, *fragments, **kw):
        out = kpipe(*args, **kw)
        err = out.stderr.decode()
        self.assertEqual(out.returncode, code, f"stderr: {err}\nstdout: {out.stdout!r}")
        for f in fragments:
            self.assertIn(f, err)
        return out

    def test_yaml_syntax_error_names_line_and_column(self):
        p = self.pipeline("name: p\nsource:\n  connector: file\n   file: [unclosed\n")
        self.expect(["run", p], 2, p + ":4:", "YAML syntax error")

    def test_unknown_key_names_the_line_and_closest_key(self):
        p = self.pipeline("name: p\nsource:\n  connector: file\n  file: IN\n  topik: t\n"
                          "sink:\n  connector: file\n")
        self.expect(["validate", p], 2, p + ":5:3", "unknown key 'topik'", "did you mean 'topic'?")

    def test_unknown_top_level_key(self):
        p = self.pipeline("name: p\nsorce: {connector: file}\nsink: {connector: file}\n")
        self.expect(["run", p], 2, p + ":2:1", "did you mean 'source'?")

    def test_wrong_type_and_out_of_range(self):
        p = self.pipeline("name: p\nsource: {connector: file, file: IN, batch.size: many}\n"
                          "sink: {connector: file}\n")
        self.expect(["run", p], 2, "source.batch.size: expected an integer, got 'many'")
        p = self.pipeline("name: p\nsource: {connector: file, file: IN, batch.size: 0}\n"
                          "sink: {connector: file}\n")
        self.expect(["run", p], 2, "source.batch.size", "below the minimum 1")

    def test_missing_required_keys(self):
        p = self.pipeline("source: {connector: file}\nsink: {connector: file}\n")
        self.expect(["run", p], 2, "missing required key 'name'")
        p = self.pipeline("name: p\nsource: {connector: file}\n")
        self.expect(["run", p], 2, "missing required key 'sink'")
        p = self.pipeline("name: p\nsource: {connector: file}\nsink: {connector: kafka}\n")
        self.expect(["run", p], 2, "missing required key 'bootstrap.servers'")

    def test_unknown_connector_and_converter_list_the_valid_ones(self):
        p = self.pipeline("name: p\nsource: {connector: ftp}\nsink: {connector: file}\n")
        self.expect(["run", p], 2, "unknown source connector 'ftp'", "file", "one of:")
        p = self.pipeline("name: p\nsource: {connector: file}\nsink: {connector: file}\n"
                          "converter: {value: xml}\n")
        self.expect(["run", p], 2, "unknown converter 'xml'", "json", "string")
        p = self.pipeline("name: p\nsource: {connector: file}\nsink: {connector: file}\n"
                          "converter: {value.schema.enable: false}\n")
        self.expect(["run", p], 2, "unknown key 'schema.enable'", "did you mean 'schemas.enable'")

    def test_missing_input_file(self):
        p = self.pipeline("name: p\nsource: {connector: file, file: /no/such/input.txt}\n"
                          "sink: {connector: file, file: OUT}\n")
        self.expect(["run", p], 1, "/no/such/input.txt does not exist")
        self.assertFalse(os.path.exists(self.path("p.offsets.json")))

    def test_unwritable_sink_file(self):
        p = self.pipeline("name: p\nsource: {connector: file, file: IN}\n"
                          "sink: {connector: file, file: /no/such/dir/out.txt}\n")
        self.expect(["run", p], 1, "cannot open output file /no/such/dir/out.txt")

    def test_a_full_disk_fails_the_flush_and_commits_nothing(self):
        if not os.path.exists("/dev/full"):
            self.skipTest("no /dev/full")
        p = self.pipeline("name: p\nsource: {connector: file, file: IN}\n"
                          "sink: {connector: file, file: /dev/full}\n")
        self.expect(["run", p], 1, "No space left on device", "no offsets committed")
        self.assertFalse(os.path.exists(self.path("p.offsets.json")))

    def test_corrupt_offsets_file_is_an_error_and_untouched(self):
        p = self.good()
        self.write("p.offsets.json", b'{"version":1,"pipelines":{"p":')
        self.expect(["run", p], 1, self.path("p.offsets.json"), "corrupt")
        self.assertEqual(self.read("p.offsets.json"), b'{"version":1,"pipelines":{"p":')
        self.assertFalse(os.path.exists(self.path("out.txt")))

    def test_a_second_concurrent_run_exits_3(self):
        p = self.good()
        with open(self.path("p.offsets.json.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running kpipe holds it
            self.expect(["run", p], 3, "another kpipe run holds")
            self.expect(["offsets", "reset", p], 3)
        self.expect(["run", p], 0)

    def test_env_and_file_substitution_and_secrets_stay_hidden(self):
        self.write("secret.txt", b"file-secret-value\n")
        p = self.pipeline("name: p\nsource: {connector: file, file: IN}\n"
                          "sink:\n  connector: kafka\n  bootstrap.servers: ${env:KP_BOOT}\n"
                          "  sasl.password: ${file:" + self.path("secret.txt") + "}\n"
                          "  sasl.username: ${env:KP_USER}\n")
        out = self.expect(["validate", p], 0, env={"KP_BOOT": "127.0.0.1:1", "KP_USER": "bob"})
        text = out.stdout.decode()
        self.assertIn("bootstrap.servers = 127.0.0.1:1", text)
        self.assertIn("sasl.username = bob", text)
        self.assertIn("sasl.password = (secret)", text)
        self.assertNotIn("file-secret-value", text + out.stderr.decode())
        self.expect(["validate", p], 2, "environment variable 'KP_BOOT' is not set", p + ":5:22")

    def test_log_format_json(self):
        p = self.good()
        out = self.expect(["run", p, "--log-format", "json"], 0)
        lines = out.stderr.decode().splitlines()
        self.assertTrue(lines)
        for line in lines:
            record = json.loads(line)
            self.assertEqual(set(record), {"time", "level", "message"})
        self.assertIn("read 2 records, wrote 2", lines[-1])

    def test_plugins_describe_version_usage(self):
        out = self.expect(["plugins", "--format", "json"], 0)
        names = {(p["kind"], p["name"]) for p in json.loads(out.stdout)}
        self.assertTrue({("source", "file"), ("sink", "file"), ("sink", "kafka"),
                         ("converter", "json"), ("converter", "string"),
                         ("converter", "bytearray")} <= names)
        out = self.expect(["describe", "file", "--format", "json"], 0)
        specs = json.loads(out.stdout)
        source = next(s for s in specs if s["kind"] == "source")
        batch = next(f for f in source["fields"] if f["name"] == "batch.size")
        self.assertEqual(batch["default"], "2000")
        self.expect(["describe", "fiel"], 2, "did you mean 'file'?")
        out = self.expect(["--version"], 0)
        self.assertTrue(out.stdout.startswith(b"kpipe "))
        self.expect(["run"], 2)
        self.expect(["frobnicate"], 2)
        self.expect(["run", "/no/such/pipeline.yaml"], 2, "/no/such/pipeline.yaml")


if __name__ == "__main__":
    unittest.main()
