"""The jdbc source on SQLite (embedded)."""
import sqlite3
import unittest

import harness
import jdbc_scenarios


class SqliteDb:
    def __init__(self, path):
        self.path = path
        self.url = "jdbc:sqlite:" + path

    def exec(self, sql):
        with sqlite3.connect(self.path) as c:
            c.execute(sql)

    def query(self, sql):
        with sqlite3.connect(self.path) as c:
            return [[str(v) for v in row] for row in c.execute(sql)]

    def insert_ties(self, table, n, distinct):
        with sqlite3.connect(self.path) as c:
            c.executemany(f'INSERT INTO "{table}" VALUES (?, ?, ?)',
                          [(i, f"note {i}", f"2021-03-04 05:06:{(i % distinct):02d}") for i in range(1, n + 1)])


class SqliteTest(jdbc_scenarios.JdbcScenarios, harness.TempDirTest):
    DB_NAME = "SQLite"
    TS = "TIMESTAMP"
    MICROS = False
    # Read in process, several times faster than through a server: with 20000 rows, runs under
    # load finished before most kills.
    TIES_ROWS = 100000

    def setUp(self):
        super().setUp()
        self.db = SqliteDb(self.path("test.db"))
        sqlite3.connect(self.db.path).close()

    def test_a_missing_database_file_is_not_created(self):
        self.db.url = "jdbc:sqlite:" + self.path("missing.db")
        self.pipeline(source="  mode: bulk\n")
        out = harness.kpipe("run", self.path("p.yaml"))
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertIn(b"missing.db", out.stderr)


if __name__ == "__main__":
    unittest.main()
