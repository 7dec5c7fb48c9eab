"""The jdbc source on a throwaway MariaDB 10.11 server."""
import os
import subprocess
import unittest

import dbserver
import harness
import jdbc_scenarios

server = None


def setUpModule():
    global server
    server = dbserver.MariaDb()


def tearDownModule():
    server.stop()


class MariaDbTest(jdbc_scenarios.JdbcScenarios, jdbc_scenarios.ServerScenarios, harness.TempDirTest):
    DB_NAME = "MariaDB"
    UNREACHABLE_URL = "jdbc:mysql://127.0.0.1:1/kpipe?user=kpipe&password=kpipe"
    TS = "DATETIME(6)"
    MICROS = True

    def q(self, name):
        return "`" + name.replace("`", "``") + "`"

    def setUp(self):
        super().setUp()
        self.db = server

    def test_dialect_integration(self):
        binary = os.environ.get("KPIPE_INTEGRATION")
        if not binary:
            self.skipTest("KPIPE_INTEGRATION not set")
        env = dict(os.environ, KPIPE_MYSQL_URL=server.url)
        out = subprocess.run([binary, "--test-case-exclude=*Postgre*,*postgres*"], env=env,
                             capture_output=True, timeout=600)
        self.assertEqual(out.returncode, 0, out.stdout.decode()[-5000:])


if __name__ == "__main__":
    unittest.main()
