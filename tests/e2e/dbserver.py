"""Throwaway PostgreSQL and MariaDB servers for the tests (scripts/test-db.sh), and thin clients
(psql, mariadb) to create tables and check rows independently of kpipe."""
import os
import shutil
import subprocess
import tempfile

import harness

SCRIPT = os.path.join(harness.SOURCE_DIR, "scripts", "test-db.sh")


class Server:
    def __init__(self, kind, *start_args):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix=f"kpipe-{kind}-")
        out = subprocess.run(["bash", SCRIPT, "start", kind, self.dir, *start_args], capture_output=True,
                             timeout=180)
        if out.returncode != 0:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise RuntimeError(f"starting {kind} failed: {out.stderr.decode()}")
        self.url = out.stdout.decode().strip().splitlines()[-1]

    def stop(self):
        subprocess.run(["bash", SCRIPT, "stop", self.dir], capture_output=True, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)


class Session:
    """One long-lived client (psql or mariadb reading stdin): a query costs a round trip, not a
    process start, so a test can watch a table grow while kpipe writes it."""
    MARK = "kpipe-session-mark"

    def __init__(self, args, mark_sql):
        self.mark_sql = mark_sql
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def scalar(self, sql):
        """The first output line of sql, or None when it failed (e.g. a missing table)."""
        self.proc.stdin.write(sql.rstrip(";") + ";\n" + self.mark_sql + "\n")
        self.proc.stdin.flush()
        lines = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("database client session ended")
            if line.strip() == self.MARK:
                return lines[0].strip() if lines else None
            lines.append(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()


class Postgres(Server):
    def __init__(self, ssl_dir=None):
        """With ssl_dir (holding server.crt and server.key) the server accepts TLS only."""
        super().__init__("postgres", *([ssl_dir] if ssl_dir else []))

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

    def session(self):
        return Session(["psql", self.url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=0"],
                       f"\\echo {Session.MARK}")

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
    def __init__(self, ssl_dir=None):
        """With ssl_dir (holding ca.crt, server.crt and server.key) TCP clients must use TLS."""
        super().__init__("mariadb", *([ssl_dir] if ssl_dir else []))
        port = self.url.split("127.0.0.1:")[1].split("/")[0]
        self.args = ["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", port, "-u", "kpipe",
                     "-pkpipe", *(["--ssl", f"--ssl-ca={ssl_dir}/ca.crt"] if ssl_dir else []), "kpipe"]

    def _run(self, sql, *flags):
        out = subprocess.run([*self.args, *flags, "-e", sql], capture_output=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError(f"mariadb: {sql}: {out.stderr.decode()}")
        return out.stdout.decode()

    def exec(self, sql):
        self._run(sql)

    def query(self, sql):
        return [line.split("\t") for line in self._run(sql, "-N", "-B").splitlines()]

    def session(self):
        return Session([*self.args, "-N", "-B", "--force", "--unbuffered"], f"SELECT '{Session.MARK}';")

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


def postgres_and_mariadb():
    """Starts both servers for a module that tests against each; stops the first if the second fails."""
    postgres = Postgres()
    try:
        return postgres, MariaDb()
    except Exception:
        postgres.stop()
        raise
