"""Throwaway PostgreSQL and MariaDB servers for the tests (scripts/test-db.sh), and thin clients
(psql, mariadb) to create tables and check rows independently of kpipe."""
import os
import shutil
import subprocess
import tempfile

import harness

SCRIPT = os.path.join(harness.SOURCE_DIR, "scripts", "test-db.sh")


class Server:
    def __init__(self, kind):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix=f"kpipe-{kind}-")
        out = subprocess.run(["bash", SCRIPT, "start", kind, self.dir], capture_output=True, timeout=180)
        if out.returncode != 0:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise RuntimeError(f"starting {kind} failed: {out.stderr.decode()}")
        self.url = out.stdout.decode().strip().splitlines()[-1]

    def stop(self):
        subprocess.run(["bash", SCRIPT, "stop", self.dir], capture_output=True, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)


class Postgres(Server):
    def __init__(self):
        super().__init__("postgres")

    def _psql(self, sql, *flags):
        out = subprocess.run(["psql", self.url, "-v", "ON_ERROR_STOP=1", "-X", "-q", *flags, "-c", sql],
                             capture_output=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError(f"psql: {sql}: {out.stderr.decode()}")
        return out.stdout.decode()

    def exec(self, sql):
        self._psql(sql)

    def query(self, sql):
        return [line.split("\t") for line in self._psql(sql, "-A", "-t", "-F", "\t").splitlines()]

    def pause(self):
        """Stops the server, keeping its data and port (an outage); resume() starts it again."""
        subprocess.run(["bash", SCRIPT, "pause", self.dir], check=True, capture_output=True, timeout=120)

    def resume(self):
        subprocess.run(["bash", SCRIPT, "resume", self.dir], check=True, capture_output=True, timeout=120)

    def kill_connections(self):
        self.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE pid <> pg_backend_pid() AND datname = current_database()")

    def insert_ties(self, table, n, distinct):
        self.exec(f'INSERT INTO "{table}" SELECT i, \'note \' || i, '
                  f"timestamp '2021-03-04 05:06:00' + (i % {distinct}) * interval '1 second' "
                  f"FROM generate_series(1, {n}) i")


class MariaDb(Server):
    def __init__(self):
        super().__init__("mariadb")
        port = self.url.split("127.0.0.1:")[1].split("/")[0]
        self.args = ["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", port, "-u", "kpipe",
                     "-pkpipe", "kpipe"]

    def _run(self, sql, *flags):
        out = subprocess.run([*self.args, *flags, "-e", sql], capture_output=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError(f"mariadb: {sql}: {out.stderr.decode()}")
        return out.stdout.decode()

    def exec(self, sql):
        self._run(sql)

    def query(self, sql):
        return [line.split("\t") for line in self._run(sql, "-N", "-B").splitlines()]

    def kill_connections(self):
        ids = self.query("SELECT id FROM information_schema.processlist "
                         "WHERE id <> CONNECTION_ID() AND user = 'kpipe'")
        for [pid] in ids:
            try:
                self.exec(f"KILL {pid}")
            except RuntimeError:
                pass  # already gone

    def insert_ties(self, table, n, distinct):
        self.exec(f"INSERT INTO `{table}` SELECT seq, CONCAT('note ', seq), "
                  f"TIMESTAMP('2021-03-04 05:06:00') + INTERVAL (seq % {distinct}) SECOND "
                  f"FROM seq_1_to_{n}")
