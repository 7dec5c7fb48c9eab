"""Shared helpers for the end-to-end tests: run the built kpipe binary, temp folders, mock Kafka."""
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

KPIPE = os.environ.get("KPIPE", os.path.join(os.path.dirname(__file__), "..", "..", "build", "kpipe"))
SOURCE_DIR = os.environ.get("KPIPE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
# kill -9 per source/sink pair in the crash tests (the issue asks for at least 20 in CI).
CRASH_KILLS = int(os.environ.get("KPIPE_CRASH_KILLS", "20"))
CRASH_SEED = int(os.environ.get("KPIPE_CRASH_SEED", str(int(time.time()))))
# What one kill may replay in at-least-once mode, in batches: the runner writes the offsets file
# on its own thread, at most 2 x 2 batches behind the sink (runner.cc, Committer), plus the batch
# being written. A sink that acknowledges asynchronously (Kafka, jdbc without exactly.once) may
# also have IN_FLIGHT_BATCHES unacknowledged (runner.h, kMaxUnacknowledgedBatches).
REPLAY_BATCHES = 5
IN_FLIGHT_BATCHES = 4


def kpipe(*args, input=None, timeout=120, env=None, cwd=None):
    """Runs kpipe to completion; returns CompletedProcess with bytes stdout/stderr."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run([KPIPE, *args], input=input, capture_output=True, timeout=timeout,
                          env=full_env, cwd=cwd)


def kill_after_progress(pipeline, progress, kills=None, timeout=60, max_steps=8, before_run=None):
    """Starts `kpipe run pipeline` `kills` times (default CRASH_KILLS) and SIGKILLs each run once
    progress() (a number that grows with the target: a file's size, a row count) has grown a
    random 1 to max_steps times, so kills land after observable work at varying points of a run
    (before, during and after commits). Returns (kills, mid_run): how many runs were started and
    how many were still running when killed. CRASH_SEED makes the points repeatable.
    before_run(i), when given, is called before the i-th run (e.g. to rewrite the pipeline)."""
    kills = CRASH_KILLS if kills is None else kills
    rng = random.Random(CRASH_SEED)
    mid_run = 0
    for i in range(kills):
        if before_run:
            before_run(i)
        steps = rng.randint(1, max_steps)
        last = progress()
        proc = subprocess.Popen([KPIPE, "run", pipeline], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while steps and proc.poll() is None:
            now = progress()
            if now > last:
                last, steps = now, steps - 1
            elif time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise AssertionError(f"no progress in {timeout} s (seed {CRASH_SEED})")
            else:
                time.sleep(0.002)  # polls the condition; leaves the CPU to kpipe on a small machine
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            mid_run += 1
        proc.wait()
    return kills, mid_run


def file_size(path):
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def crash_report(pair, kills, mid_run, lost, duplicates):
    print(f"\n{pair}: {kills} kills ({mid_run} mid-run), {lost} lost, {duplicates} duplicates, seed {CRASH_SEED}",
          flush=True)


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
