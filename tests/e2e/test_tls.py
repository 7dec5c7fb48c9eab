"""TLS to PostgreSQL and MariaDB: throwaway servers with a self-signed CA that accept TCP clients
over TLS only (hostssl in pg_hba.conf; require_secure_transport), and kpipe pipelines that reach
them with libpq's sslmode settings and Connector/J's sslMode. Also: Kafka's security properties
pass `kpipe validate` as librdkafka properties."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import dbserver
import harness
from harness import kpipe

PASSWORD = "kpipe"  # the server's role password (scripts/test-db.sh)

server = None
mariadb = None
certs = None


def openssl(*args, cwd):
    out = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError("openssl " + " ".join(args) + ": " + out.stderr.decode())


def make_ca(folder, name):
    """A self-signed CA: folder/name.crt and folder/name.key."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
            "-keyout", f"{name}.key", "-out", f"{name}.crt", cwd=folder)


def make_certs(folder):
    """CA "ca" signs server.crt for 127.0.0.1 and localhost; CA "other" signs nothing we meet."""
    make_ca(folder, "ca")
    make_ca(folder, "other")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kpipe-test-server",
            "-keyout", "server.key", "-out", "server.csr", cwd=folder)
    with open(os.path.join(folder, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "san.ext", "-out", "server.crt", cwd=folder)


def setUpModule():
    global server, mariadb, certs
    certs = tempfile.mkdtemp(prefix="kpipe-tls-")
    make_certs(certs)
    server = dbserver.Postgres(ssl_dir=certs)
    server.exec("DROP TABLE IF EXISTS tls_rows")
    server.exec("CREATE TABLE tls_rows (id BIGINT PRIMARY KEY, note VARCHAR(20))")
    server.exec("INSERT INTO tls_rows SELECT i, 'row ' || i FROM generate_series(1, 5) i")
    try:
        mariadb = dbserver.MariaDb(ssl_dir=certs)
    except Exception:
        server.stop()
        raise
    mariadb.exec("CREATE TABLE tls_rows (id BIGINT PRIMARY KEY, note VARCHAR(20))")
    mariadb.exec("INSERT INTO tls_rows SELECT seq, CONCAT('row ', seq) FROM seq_1_to_5")


def tearDownModule():
    server.stop()
    mariadb.stop()
    shutil.rmtree(certs, ignore_errors=True)


class TlsRuns:
    def run_source(self, url, name="p"):
        self.write("p.yaml", f"name: {name}\nsource:\n  connector: jdbc\n  connection.url: \"{url}\"\n"
                             f"  connection.attempts: 1\n  mode: bulk\n  table.whitelist: tls_rows\n"
                             f"converter: {{value: json, value.schemas.enable: false}}\n"
                             f"sink:\n  connector: file\n  file: {self.path('out.jsonl')}\n", "w")
        return kpipe("run", self.path("p.yaml"), timeout=120)

    def assert_rows(self):
        rows = [json.loads(line) for line in self.read("out.jsonl").decode().splitlines()]
        self.assertEqual(sorted(r["id"] for r in rows), [1, 2, 3, 4, 5])

    def assert_refused(self, out, *expected):
        self.assertEqual(out.returncode, 1, out.stderr.decode())
        err = out.stderr.decode()
        for text in expected:
            self.assertIn(text, err)
        # The URL holds the password: neither it nor the URL may be echoed.
        self.assertNotIn(f":{PASSWORD}@", err + out.stdout.decode())
        self.assertNotIn(f"password={PASSWORD}", err + out.stdout.decode())
        self.assertFalse(os.path.exists(self.path("out.jsonl")) and self.read("out.jsonl"), "rows written")


class PostgresTlsTest(TlsRuns, harness.TempDirTest):
    def with_params(self, params):
        # scripts/test-db.sh prints postgresql://kpipe:kpipe@127.0.0.1:PORT/kpipe
        self.assertTrue(server.url.startswith("postgresql://kpipe:kpipe@127.0.0.1:"), server.url)
        return server.url + "?" + params

    def test_sslmode_require_reads(self):
        out = self.run_source(self.with_params("sslmode=require"))
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assert_rows()

    def test_verify_full_with_the_servers_ca_reads(self):
        ca = os.path.join(certs, "ca.crt")
        out = self.run_source(self.with_params(f"sslmode=verify-full&sslrootcert={ca}"))
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assert_rows()

    def test_verify_full_by_host_name_reads(self):
        # localhost is the certificate's other subjectAltName.
        ca = os.path.join(certs, "ca.crt")
        url = self.with_params(f"sslmode=verify-full&sslrootcert={ca}").replace("@127.0.0.1:", "@localhost:")
        out = self.run_source(url)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assert_rows()

    def test_jdbc_url_with_ssl_parameters_reads(self):
        # pgjdbc form: user and password as parameters, sslmode/sslrootcert passed on to libpq.
        port = server.url.split("127.0.0.1:")[1].split("/")[0]
        ca = os.path.join(certs, "ca.crt")
        out = self.run_source(f"jdbc:postgresql://127.0.0.1:{port}/kpipe?user=kpipe&password={PASSWORD}"
                              f"&sslmode=verify-full&sslrootcert={ca}")
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assert_rows()

    def test_verify_full_with_another_ca_fails_without_the_password(self):
        other = os.path.join(certs, "other.crt")
        out = self.run_source(self.with_params(f"sslmode=verify-full&sslrootcert={other}"))
        self.assert_refused(out, "connecting to PostgreSQL", "certificate verify failed")

    def test_verify_full_with_a_missing_ca_file_fails(self):
        missing = os.path.join(self.dir, "no-such-ca.crt")
        out = self.run_source(self.with_params(f"sslmode=verify-full&sslrootcert={missing}"))
        self.assert_refused(out, "connecting to PostgreSQL", "no-such-ca.crt")

    def test_without_tls_the_server_refuses(self):
        # Proves the passing tests above really ran over TLS: plain TCP finds no pg_hba entry.
        out = self.run_source(self.with_params("sslmode=disable"))
        self.assert_refused(out, "connecting to PostgreSQL", "no encryption")

    def test_password_from_the_environment_is_not_printed_on_a_tls_failure(self):
        secret = "Tls-S3cret-Pw!"
        other = os.path.join(certs, "other.crt")
        port = server.url.split("127.0.0.1:")[1].split("/")[0]
        self.write("p.yaml", "name: p\nsource:\n  connector: jdbc\n"
                             f"  connection.url: postgresql://127.0.0.1:{port}/kpipe?sslmode=verify-full"
                             f"&sslrootcert={other}\n  connection.user: kpipe\n"
                             "  connection.password: ${env:KP_PW}\n  connection.attempts: 1\n  mode: bulk\n"
                             "  table.whitelist: tls_rows\n"
                             f"sink:\n  connector: file\n  file: {self.path('out.jsonl')}\n", "w")
        for args in (("run", self.path("p.yaml")),
                     ("run", self.path("p.yaml"), "--log-format", "json", "--log-level", "debug"),
                     ("validate", self.path("p.yaml"))):
            out = kpipe(*args, env={"KP_PW": secret})
            self.assertNotIn(secret.encode(), out.stdout + out.stderr)
            if args[0] == "run":
                self.assertEqual(out.returncode, 1, out.stderr.decode())


class MariaDbTlsTest(TlsRuns, harness.TempDirTest):
    def with_params(self, params):
        # scripts/test-db.sh prints jdbc:mysql://127.0.0.1:PORT/kpipe?user=kpipe&password=kpipe
        self.assertTrue(mariadb.url.endswith(f"?user=kpipe&password={PASSWORD}"), mariadb.url)
        return mariadb.url + ("&" + params if params else "")

    def test_sslmode_required_reads(self):
        # Before kpipe set Connector/C's own TLS switch, REQUIRED connected in clear (refused here).
        for params in ("sslMode=REQUIRED", "useSSL=true"):
            out = self.run_source(self.with_params(params))
            self.assertEqual(out.returncode, 0, params + ": " + out.stderr.decode())
            self.assert_rows()
            os.remove(self.path("out.jsonl"))

    def test_verify_identity_with_the_servers_ca_reads(self):
        ca = os.path.join(certs, "ca.crt")
        for params in (f"sslMode=VERIFY_IDENTITY&serverSslCert={ca}", f"sslMode=VERIFY_CA&sslCA={ca}"):
            out = self.run_source(self.with_params(params))
            self.assertEqual(out.returncode, 0, params + ": " + out.stderr.decode())
            self.assert_rows()
            os.remove(self.path("out.jsonl"))

    def test_verify_identity_with_another_ca_fails_without_the_password(self):
        other = os.path.join(certs, "other.crt")
        out = self.run_source(self.with_params(f"sslMode=VERIFY_IDENTITY&serverSslCert={other}"))
        self.assert_refused(out, "mysql: cannot connect to")

    def test_without_tls_the_server_refuses(self):
        # require_secure_transport: a clear-text login is denied.
        for params in ("sslMode=DISABLED", "useSSL=false", ""):
            out = self.run_source(self.with_params(params))
            self.assert_refused(out, "mysql: cannot connect to", "Access denied")


class KafkaSecurityPropertiesTest(harness.TempDirTest):
    """librdkafka's security.protocol, ssl.* and sasl.* are passthrough properties of both Kafka
    connectors; librdkafka itself judges each one, so a misspelt key is an error with its line."""

    def pipeline(self, kind, props):
        lines = "".join(f"  {k}: {v}\n" for k, v in props.items())
        if kind == "sink":
            text = (f"name: p\nsource:\n  connector: file\n  file: {self.path('in.txt')}\n"
                    f"sink:\n  connector: kafka\n  bootstrap.servers: 127.0.0.1:9\n  topic: t\n{lines}")
        else:
            text = (f"name: p\nsource:\n  connector: kafka\n  bootstrap.servers: 127.0.0.1:9\n"
                    f"  topics: t\n{lines}sink:\n  connector: file\n  file: {self.path('out.txt')}\n")
        return self.write("p.yaml", text, "w")

    SECURE = {
        "security.protocol": "SASL_SSL",
        "sasl.mechanisms": "SCRAM-SHA-512",
        "sasl.username": "kpipe",
        "sasl.password": "Kafka-S3cret-Pw",
        "ssl.ca.location": "/etc/ssl/certs/ca-certificates.crt",
        "ssl.endpoint.identification.algorithm": "https",
    }

    def test_validate_accepts_security_properties_and_hides_the_password(self):
        for kind in ("source", "sink"):
            self.pipeline(kind, self.SECURE)
            out = kpipe("validate", self.path("p.yaml"))
            self.assertEqual(out.returncode, 0, kind + ": " + out.stderr.decode())
            self.assertNotIn(b"Kafka-S3cret-Pw", out.stdout + out.stderr)

    def test_validate_rejects_a_misspelt_security_property(self):
        for kind in ("source", "sink"):
            self.pipeline(kind, {"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN",
                                 "ssl.ca.locaton": "/etc/ssl/certs/ca-certificates.crt"})
            out = kpipe("validate", self.path("p.yaml"))
            self.assertEqual(out.returncode, 2, kind + ": " + out.stderr.decode())
            self.assertIn("ssl.ca.locaton", out.stderr.decode() + out.stdout.decode())

    def test_validate_rejects_an_unknown_security_protocol(self):
        self.pipeline("sink", {"security.protocol": "TLS"})
        out = kpipe("validate", self.path("p.yaml"))
        self.assertEqual(out.returncode, 2, out.stderr.decode())
        self.assertIn("security.protocol", out.stderr.decode() + out.stdout.decode())


if __name__ == "__main__":
    unittest.main()
