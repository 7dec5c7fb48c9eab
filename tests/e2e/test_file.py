"""The file source and sink on the built binary: Connect's bytes, byte offsets, follow mode."""
import json
import os
import signal
import subprocess
import time
import unittest

import harness
from harness import kpipe

ENVELOPE = '{"schema":{"type":"string","optional":false},"payload":%s}'


def connect_line(payload):
    # Jackson's escaping as Connect writes it: \" \\ \t \n \r, other controls \u00XX, UTF-8 raw.
    return ENVELOPE % json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


class FileTest(harness.TempDirTest):
    def pipeline(self, extra_source="", extra="", name="p"):
        text = (f"name: {name}\n"
                f"source:\n  connector: file\n  file: {self.path('in.txt')}\n{extra_source}"
                f"sink:\n  connector: file\n  file: {self.path('out.jsonl')}\n{extra}")
        return self.write("p.yaml", text, "w")

    def offsets(self, name="p"):
        out = kpipe("offsets", "show", self.path("p.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)

    def test_lines_become_connect_json_byte_for_byte(self):
        data = ("ascii line\n"
                "zoë ✓ 日本語\r\n"
                "\n"
                "tab\there \"quoted\" back\\slash /slash \x01ctl\r"
                "last line without newline").encode()
        self.write("in.txt", data)
        self.pipeline()
        out = kpipe("run", self.path("p.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr)
        expected = (
            '{"schema":{"type":"string","optional":false},"payload":"ascii line"}\n'
            '{"schema":{"type":"string","optional":false},"payload":"zoë ✓ 日本語"}\n'
            '{"schema":{"type":"string","optional":false},"payload":""}\n'
            '{"schema":{"type":"string","optional":false},"payload":'
            '"tab\\there \\"quoted\\" back\\\\slash /slash \\u0001ctl"}\n'
            '{"schema":{"type":"string","optional":false},"payload":"last line without newline"}\n')
        self.assertEqual(self.read("out.jsonl").decode(), expected)
        # The position is counted in bytes, not characters.
        self.assertEqual(self.offsets(), {"offsets": [
            {"partition": {"filename": self.path("in.txt")}, "offset": {"position": len(data)}}]})
        summary = out.stderr.decode()
        self.assertIn("read 5 records, wrote 5", summary)

    def test_a_second_run_reads_only_the_new_lines(self):
        self.write("in.txt", b"one\ntwo\n")
        self.pipeline()
        self.assertEqual(kpipe("run", self.path("p.yaml")).returncode, 0)
        self.assertEqual(kpipe("run", self.path("p.yaml")).returncode, 0)
        self.assertEqual(self.read("out.jsonl").count(b"\n"), 2)
        with open(self.path("in.txt"), "ab") as f:
            f.write("três\nfour\n".encode())
        out = kpipe("run", self.path("p.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = self.read("out.jsonl").decode().splitlines()
        self.assertEqual(lines, [connect_line(x) for x in ["one", "two", "três", "four"]])
        self.assertEqual(self.offsets()["offsets"][0]["offset"]["position"],
                         os.path.getsize(self.path("in.txt")))

    def test_offsets_set_and_reset_rewind(self):
        self.write("in.txt", b"a\nb\nc\n")
        self.pipeline()
        self.assertEqual(kpipe("run", self.path("p.yaml")).returncode, 0)
        partition = json.dumps({"filename": self.path("in.txt")})
        out = kpipe("offsets", "set", self.path("p.yaml"), "--partition", partition,
                    "--offset", '{"position":2}')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(kpipe("run", self.path("p.yaml")).returncode, 0)
        self.assertEqual(self.read("out.jsonl").decode().splitlines()[3:],
                         [connect_line("b"), connect_line("c")])
        out = kpipe("offsets", "reset", self.path("p.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(self.offsets(), {"offsets": []})
        self.assertEqual(kpipe("run", self.path("p.yaml")).returncode, 0)
        self.assertEqual(len(self.read("out.jsonl").decode().splitlines()), 8)

    def test_a_shorter_file_than_the_offset_is_read_from_the_start(self):
        self.write("in.txt", b"first\nsecond\n")
        self.pipeline()
        self.assertEqual(kpipe("run", self.path("p.yaml")).returncode, 0)
        self.write("in.txt", b"new\n")
        out = kpipe("run", self.path("p.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(b"reading it from the start", out.stderr)
        self.assertEqual(self.read("out.jsonl").decode().splitlines()[-1], connect_line("new"))

    def test_a_torn_last_line_from_a_killed_run_is_cut(self):
        self.write("in.txt", b"x\n")
        self.write("out.jsonl", b"whole line\nhalf a li")
        self.pipeline(extra="converter: {value: string}\n")
        out = kpipe("run", self.path("p.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(b"incomplete line", out.stderr)
        self.assertEqual(self.read("out.jsonl"), b"whole line\nx\n")

    def test_stdin_to_stdout_with_the_string_converter(self):
        self.write("p.yaml", "name: pipe\nsource: {connector: file}\n"
                             "converter: {value: string}\nsink: {connector: file}\n", "w")
        out = kpipe("run", self.path("p.yaml"), input=b"x\r\ny\n\nz")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, b"x\ny\n\nz\n")
        # stdin has no position: nothing is committed.
        self.assertEqual(self.offsets(), {"offsets": []})

    def test_follow_emits_whole_lines_and_follows_truncation(self):
        self.write("in.txt", b"a\n")
        self.pipeline(extra_source="  poll.interval.ms: 50\n",
                      extra="converter: {value: string}\n")
        proc = subprocess.Popen([harness.KPIPE, "run", "--follow", self.path("p.yaml")],
                                stderr=subprocess.PIPE)
        try:
            self.wait_for_output(b"a\n")
            with open(self.path("in.txt"), "ab") as f:
                f.write(b"half")
                f.flush()
                # The half line must not come out; the next whole line proves it was read.
                f.write(b" done\nb\n")
            self.wait_for_output(b"a\nhalf done\nb\n")
            with open(self.path("in.txt"), "wb") as f:  # truncate: like `> file` in a shell
                f.write(b"z\n")
            self.wait_for_output(b"a\nhalf done\nb\nz\n")
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn(b"truncated", err)
        self.assertEqual(self.offsets()["offsets"][0]["offset"]["position"], 2)

    def test_follow_does_not_emit_a_line_before_its_newline(self):
        self.write("in.txt", b"whole\npartial")
        self.pipeline(extra="converter: {value: string}\n")
        proc = subprocess.Popen([harness.KPIPE, "run", "--follow", self.path("p.yaml")],
                                stderr=subprocess.PIPE)
        self.wait_for_output(b"whole\n")
        # The offset of "whole" is committed once it is durable; the runner is then idle.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if os.path.exists(self.path("p.offsets.json")) and self.offsets()["offsets"]:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(self.read("out.jsonl"), b"whole\n")
        self.assertEqual(self.offsets()["offsets"][0]["offset"]["position"], 6)

    def test_follow_waits_for_a_missing_file_and_follows_replacement(self):
        self.pipeline(extra_source="  poll.interval.ms: 50\n", extra="converter: {value: string}\n")
        proc = subprocess.Popen([harness.KPIPE, "run", "--follow", self.path("p.yaml")],
                                stderr=subprocess.PIPE)
        first_line = proc.stderr.readline()  # the source says it waits before the file exists
        try:
            self.assertIn(b"waiting for", first_line)
            self.write("in.txt", b"first\n")
            self.wait_for_output(b"first\n")
            # Replaced like a rotated log: a new file (new inode) at the same path.
            self.write("in.txt.new", b"second\n")
            os.rename(self.path("in.txt.new"), self.path("in.txt"))
            self.wait_for_output(b"first\nsecond\n")
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn(b"was replaced", err)

    def test_progress_line_only_on_a_terminal(self):
        import pty
        self.write("in.txt", b"a\n")
        self.pipeline(extra_source="  poll.interval.ms: 100\n")
        pid, fd = pty.fork()
        if pid == 0:  # the child: stderr is the terminal
            os.execv(harness.KPIPE, [harness.KPIPE, "run", "--follow", self.path("p.yaml")])
        seen = b""
        deadline = time.monotonic() + 30
        try:
            while b"records/s" not in seen and time.monotonic() < deadline:
                try:
                    seen += os.read(fd, 4096)
                except OSError:
                    break
        finally:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
            os.close(fd)
        # The source counted its one line: a bar with the percentage and the time left.
        self.assertIn(b"\r[##############################] 100%  1/1 records", seen)
        # Not a terminal: no progress line, just the summary.
        out = kpipe("run", self.path("p.yaml"))
        self.assertNotIn(b"\r", out.stderr)

    def wait_for_output(self, expected, timeout=30):
        deadline = time.monotonic() + timeout
        got = b""
        while time.monotonic() < deadline:
            if os.path.exists(self.path("out.jsonl")):
                got = self.read("out.jsonl")
                if got == expected:
                    return
                if len(got) > len(expected):
                    break
            time.sleep(0.02)
        self.fail(f"output {got!r}, expected {expected!r}")


if __name__ == "__main__":
    unittest.main()
