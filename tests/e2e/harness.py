"""Shared helpers for the end-to-end tests: run the built kpipe binary, temp folders, mock Kafka."""
import os
import shutil
import subprocess
import tempfile
import unittest

KPIPE = os.environ.get("KPIPE", os.path.join(os.path.dirname(__file__), "..", "..", "build", "kpipe"))
SOURCE_DIR = os.environ.get("KPIPE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def kpipe(*args, input=None, timeout=120, env=None, cwd=None):
    """Runs kpipe to completion; returns CompletedProcess with bytes stdout/stderr."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run([KPIPE, *args], input=input, capture_output=True, timeout=timeout,
                          env=full_env, cwd=cwd)


class MockKafka:
    """`kpipe mock-kafka` in the background; bootstrap servers from its first stdout line."""

    def __init__(self, brokers=1, topics=()):
        args = [KPIPE, "mock-kafka", "--brokers", str(brokers)]
        for t in topics:
            args += ["--topic", t]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().decode().strip()
        if not line:
            raise RuntimeError("mock-kafka printed nothing: " + self.proc.stderr.read().decode())
        self.bootstrap = line

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()
        self.proc.stderr.close()


def kcat_consume(bootstrap, topic, fmt="%s\n", count=None, timeout=60):
    """Reads a topic from the beginning to its end with kcat (an independent client)."""
    args = ["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", fmt]
    if count is not None:
        args += ["-c", str(count)]
    out = subprocess.run(args, capture_output=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError("kcat failed: " + out.stderr.decode())
    return out.stdout


class TempDirTest(unittest.TestCase):
    """A test case with a fresh temp folder in self.dir."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kpipe-e2e-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data, mode="wb"):
        with open(self.path(name), mode) as f:
            f.write(data)
        return self.path(name)

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()
