"""The jdbc source on a throwaway PostgreSQL 15 server."""
import os
import subprocess
import unittest

import dbserver
import harness
import jdbc_scenarios

server = None


def setUpModule():
    global server
    server = dbserver.Postgres()


def tearDownModule():
    server.stop()


class PostgresTest(jdbc_scenarios.JdbcScenarios, jdbc_scenarios.ServerScenarios, harness.TempDirTest):
    DB_NAME = "PostgreSQL"
    UNREACHABLE_URL = "postgresql://kpipe:kpipe@127.0.0.1:1/kpipe"
    TS = "TIMESTAMP(6)"
    MICROS = True

    def setUp(self):
        super().setUp()
        self.db = server

    def test_dialect_integration(self):
        binary = os.environ.get("KPIPE_INTEGRATION")
        if not binary:
            self.skipTest("KPIPE_INTEGRATION not set")
        env = dict(os.environ, KPIPE_PG_URL=server.url)
        out = subprocess.run([binary, "--test-case-exclude=*MySQL*,*mysql*,*MariaDB*"], env=env,
                             capture_output=True, timeout=600)
        self.assertEqual(out.returncode, 0, out.stdout.decode()[-5000:])


if __name__ == "__main__":
    unittest.main()
