"""The Schema Registry stand-in (tests/fixtures/schema_registry.py) against what Confluent's REST
API documentation says, through harness.SchemaRegistry: the avro e2e tests are only as good as it."""
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402


def record(*fields, name="login", **props):
    """A record schema's text; fields are (name, type) or (name, type, default)."""
    out = {"type": "record", "name": name, "fields": [
        dict(zip(("name", "type", "default"), f)) for f in fields]}
    out.update(props)
    return json.dumps(out)


V1 = record(("id", "int"), ("username", "string"))
V2 = record(("id", "int"), ("username", "string"), ("email", ["null", "string"], None))


class RegistryTest(unittest.TestCase):
    """One registry for the class; each test uses its own subjects."""

    @classmethod
    def setUpClass(cls):
        cls.registry = harness.SchemaRegistry()

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()

    def call(self, method, path, body=None, **kw):
        return self.registry.call(method, path, body, **kw)

    def assertError(self, answer, status, code, *fragments):
        self.assertEqual(answer[0], status, answer)
        self.assertEqual(answer[1]["error_code"], code, answer)
        for f in fragments:
            self.assertIn(f, answer[1]["message"])


class RegisterTest(RegistryTest):
    def test_registering_again_returns_the_id_and_adds_no_version(self):
        r = self.registry
        first = r.register("dedupe-value", V1)
        self.assertEqual(r.register("dedupe-value", V1), first)
        # Whitespace does not matter: the registry stores compact JSON.
        self.assertEqual(r.register("dedupe-value", json.dumps(json.loads(V1), indent=2)), first)
        self.assertEqual(self.call("GET", "/subjects/dedupe-value/versions"), (200, [1]))
        second = r.register("dedupe-value", V2)
        self.assertNotEqual(second, first)
        self.assertEqual(self.call("GET", "/subjects/dedupe-value/versions"), (200, [1, 2]))
        self.assertEqual(r.latest("dedupe-value"), {"subject": "dedupe-value", "version": 2, "id": second,
                                                    "schema": json.dumps(json.loads(V2), separators=(",", ":"))})
        status, v1 = self.call("GET", "/subjects/dedupe-value/versions/1")
        self.assertEqual((status, v1["id"], v1["version"]), (200, first, 1))
        self.assertIn("dedupe-value", self.call("GET", "/subjects")[1])

    def test_ids_are_global_and_shared_across_subjects(self):
        r = self.registry
        schema = record(("k", "long"), name="shared")
        a = r.register("shared-a", schema)
        b = r.register("shared-b", schema)
        self.assertEqual(a, b)
        self.assertEqual(r.latest("shared-b")["version"], 1)
        self.assertEqual(self.call("GET", f"/schemas/ids/{a}/subjects"), (200, ["shared-a", "shared-b"]))
        other = r.register("shared-c", record(("k", "long"), name="other"))
        self.assertEqual(other, a + 1)  # nothing else registered in between: ids count up

    def test_the_stored_text_is_compact_and_keeps_property_order(self):
        r = self.registry
        text = '{"type": "long",  "connect.version": 1, "connect.name": "T", "logicalType": "timestamp-millis"}'
        sid = r.register("order-value", text)
        self.assertEqual(r.schema(sid),
                         '{"type":"long","connect.version":1,"connect.name":"T","logicalType":"timestamp-millis"}')
        # The same properties in another order are another schema (the registry keys on the text).
        swapped = '{"type":"long","connect.name":"T","connect.version":1,"logicalType":"timestamp-millis"}'
        self.assertNotEqual(r.register("order-other", swapped), sid)
        # Non-ASCII stays raw UTF-8, as Jackson writes it.
        sid = r.register("utf8-value", record(("é", "string"), name="r", doc="世"))
        self.assertIn("世", r.schema(sid))

    def test_the_raw_schema_endpoints_answer_the_bare_text(self):
        sid = self.registry.register("raw-value", V1)
        req = urllib.request.Request(self.registry.url + f"/schemas/ids/{sid}/schema")
        with urllib.request.urlopen(req, timeout=30) as resp:
            self.assertEqual(resp.headers["Content-Type"], harness.REGISTRY_MEDIA_TYPE)
            self.assertEqual(json.loads(resp.read()), json.loads(V1))


class LookupTest(RegistryTest):
    def test_lookup_answers_subject_version_id_and_schema(self):
        sid = self.registry.register("lookup-value", V1)
        status, answer = self.call("POST", "/subjects/lookup-value", {"schema": V1})
        self.assertEqual(status, 200)
        self.assertEqual(answer["id"], sid)
        self.assertEqual((answer["subject"], answer["version"]), ("lookup-value", 1))
        self.assertEqual(json.loads(answer["schema"]), json.loads(V1))
        self.assertError(self.call("POST", "/subjects/lookup-value", {"schema": V2}), 404, 40403, "Schema not found")
        self.assertError(self.call("POST", "/subjects/nobody", {"schema": V1}), 404, 40401,
                         "Subject 'nobody' not found.")

    def test_not_found_errors_carry_the_documented_codes(self):
        self.registry.register("nf-value", V1)
        self.assertError(self.call("GET", "/schemas/ids/99999"), 404, 40403, "Schema 99999 not found")
        self.assertError(self.call("GET", "/subjects/nobody/versions/latest"), 404, 40401)
        self.assertError(self.call("GET", "/subjects/nobody/versions"), 404, 40401)
        self.assertError(self.call("GET", "/subjects/nf-value/versions/7"), 404, 40402, "Version 7 not found.")
        self.assertError(self.call("GET", "/subjects/nf-value/versions/abc"), 422, 42202)
        self.assertError(self.call("GET", "/no/such/path"), 404, 404, "HTTP 404 Not Found")
        self.assertError(self.call("PUT", "/subjects", {}), 405, 405)

    def test_soft_deleted_subjects_are_gone_unless_asked_for(self):
        self.registry.register("gone-value", V1)
        self.assertEqual(self.call("DELETE", "/subjects/gone-value"), (200, [1]))
        self.assertNotIn("gone-value", self.call("GET", "/subjects")[1])
        self.assertIn("gone-value", self.call("GET", "/subjects?deleted=true")[1])
        self.assertError(self.call("POST", "/subjects/gone-value", {"schema": V1}), 404, 40401)
        self.assertEqual(self.call("POST", "/subjects/gone-value?deleted=true", {"schema": V1})[1]["version"], 1)
        self.assertError(self.call("DELETE", "/subjects/gone-value"), 404, 40404)
        self.assertEqual(self.call("DELETE", "/subjects/gone-value?permanent=true"), (200, [1]))


class InvalidInputTest(RegistryTest):
    def test_an_invalid_schema_is_422_42201(self):
        for text in ("{not json", '{"type":"nosuchtype"}', '{"type":"record","name":"r"}', '["int","int"]'):
            with self.subTest(text=text):
                self.assertError(self.call("POST", "/subjects/bad-value/versions", {"schema": text}),
                                 422, 42201, "Invalid schema")
        self.assertError(self.call("POST", "/subjects/bad-value/versions", {"schemaType": "PROTOBUF",
                                                                            "schema": "syntax"}), 422, 42201)
        self.assertError(self.call("GET", "/subjects/bad-value/versions"), 404, 40401)

    def test_a_body_that_is_not_json_is_400_and_the_wrong_media_type_415(self):
        url = self.registry.url + "/subjects/bad-value/versions"
        for ctype, data, status in ((harness.REGISTRY_MEDIA_TYPE, b'{"schema":', 400),
                                    ("application/json", b'{"schema": {"type": "int"}}', 400),
                                    ("text/plain", b'{"schema":"\\"int\\""}', 415)):
            req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": ctype})
            with self.subTest(ctype=ctype), self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(req, timeout=30)
            self.assertEqual(e.exception.code, status)
            self.assertEqual(json.loads(e.exception.read())["error_code"], status)


class CompatibilityTest(RegistryTest):
    def test_backward_rejects_a_new_field_without_a_default(self):
        r = self.registry
        r.register("compat-value", V1)
        answer = self.call("POST", "/subjects/compat-value/versions",
                           {"schema": record(("id", "int"), ("username", "string"), ("age", "int"))})
        self.assertError(answer, 409, 409, "incompatible with an earlier schema", '"compat-value"',
                         "READER_FIELD_MISSING_DEFAULT_VALUE", "'age'")
        self.assertEqual(self.call("GET", "/subjects/compat-value/versions"), (200, [1]))
        # A default, a removed field, a promotion and a widened union are all fine.
        r.register("compat-value", record(("id", "long"), ("age", "int", 0)))
        r.register("compat-value", record(("id", ["null", "long"]), ("age", "double", 0)))
        self.assertError(self.call("POST", "/subjects/compat-value/versions",
                                   {"schema": record(("id", "long"), ("age", "double", 0))}), 409, 409,
                         "TYPE_MISMATCH")
        self.assertError(self.call("POST", "/subjects/compat-value/versions",
                                   {"schema": record(("id", ["null", "long"]), ("age", "double", 0),
                                                     name="renamed")}), 409, 409, "NAME_MISMATCH")
        self.assertEqual(self.call("POST", "/compatibility/subjects/compat-value/versions/latest",
                                   {"schema": record(("x", "int"))}), (200, {"is_compatible": False}))

    def test_none_accepts_anything_and_config_answers_as_documented(self):
        self.assertEqual(self.call("GET", "/config"), (200, {"compatibilityLevel": "BACKWARD"}))
        self.registry.register("none-value", V1)
        self.assertError(self.call("GET", "/config/none-value"), 404, 40408)
        self.assertEqual(self.call("GET", "/config/none-value?defaultToGlobal=true"),
                         (200, {"compatibilityLevel": "BACKWARD"}))
        self.assertEqual(self.call("PUT", "/config/none-value", {"compatibility": "NONE"}),
                         (200, {"compatibility": "NONE"}))
        self.assertEqual(self.call("GET", "/config/none-value"), (200, {"compatibilityLevel": "NONE"}))
        self.registry.register("none-value", record(("totally", "bytes"), name="different"))
        self.assertEqual(self.call("GET", "/subjects/none-value/versions"), (200, [1, 2]))
        self.assertError(self.call("PUT", "/config/none-value", {"compatibility": "SIDEWAYS"}), 422, 42203)
        self.assertEqual(self.call("GET", "/config"), (200, {"compatibilityLevel": "BACKWARD"}))

    def test_the_compatibility_flag_sets_the_global_level(self):
        registry = harness.SchemaRegistry(compatibility="NONE")
        try:
            self.assertEqual(registry.register("flag-value", V1), 1)  # ids start at 1
            self.assertEqual(registry.register("flag-value", record(("other", "int"))), 2)
            self.assertEqual(registry.call("GET", "/config"), (200, {"compatibilityLevel": "NONE"}))
        finally:
            registry.stop()


class ControlTest(RegistryTest):
    def test_fail_answers_the_status_count_times_and_the_log_records_requests(self):
        r = self.registry
        r.reset_log()
        r.fail(503, 2)
        for _ in range(2):
            self.assertError(self.call("GET", "/subjects"), 503, 50003)
        self.assertEqual(self.call("GET", "/subjects")[0], 200)
        r.register("log-value", V1)
        self.assertEqual(r.requests(), [["GET", "/subjects"]] * 3 + [["POST", "/subjects/log-value/versions"]])
        r.reset_log()
        self.assertEqual(r.requests(), [])


class AuthTest(unittest.TestCase):
    def test_basic_auth_is_required_when_a_user_is_set(self):
        registry = harness.SchemaRegistry(user="kpipe:s3cret")
        try:
            for auth in (False, ("kpipe", "wrong"), ("other", "s3cret")):
                with self.subTest(auth=auth):
                    status, answer = registry.call("GET", "/subjects", auth=auth)
                    self.assertEqual((status, answer), (401, {"error_code": 401, "message": "Unauthorized"}))
            self.assertEqual(registry.call("GET", "/subjects"), (200, []))
            sid = registry.register("auth-value", V1, auth=("kpipe", "s3cret"))
            self.assertEqual(json.loads(registry.schema(sid)), json.loads(V1))
            self.assertEqual([r[1] for r in registry.requests()][-2:], ["/subjects/auth-value/versions",
                                                                        f"/schemas/ids/{sid}"])
        finally:
            registry.stop()


class DownUpTest(unittest.TestCase):
    def test_down_refuses_connections_and_up_serves_the_same_state_on_the_same_port(self):
        registry = harness.SchemaRegistry()
        try:
            sid = registry.register("down-value", V1)
            registry.down()
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", registry.port), timeout=5)
            with self.assertRaises(urllib.error.URLError):
                registry.schema(sid)
            registry.up()
            self.assertEqual(json.loads(registry.schema(sid)), json.loads(V1))
            registry.down()
            registry.up()
            self.assertEqual(registry.latest("down-value")["id"], sid)
        finally:
            registry.stop()
        self.assertEqual(registry.proc.returncode, 0)

    def test_down_also_cuts_kept_alive_connections(self):
        registry = harness.SchemaRegistry()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", registry.port, timeout=5)
            conn.request("GET", "/subjects")
            self.assertEqual(conn.getresponse().read(), b"[]")
            registry.down()
            with self.assertRaises((http.client.HTTPException, ConnectionError)):
                conn.request("GET", "/subjects")
                conn.getresponse()
            conn.close()
        finally:
            registry.stop()


class TlsTest(unittest.TestCase):
    def test_https_with_a_self_signed_certificate(self):
        folder = tempfile.mkdtemp(prefix="kpipe-sr-tls-")
        try:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                            "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", "key.pem", "-out", "cert.pem"],
                           cwd=folder, check=True, capture_output=True, timeout=60)
            cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
            registry = harness.SchemaRegistry(tls=(cert, key), user="u:p")
            try:
                self.assertTrue(registry.url.startswith("https://127.0.0.1:"), registry.url)
                sid = registry.register("tls-value", V1)
                # A client that verifies the certificate and the IP address accepts it.
                ctx = ssl.create_default_context(cafile=cert)
                req = urllib.request.Request(registry.url + f"/schemas/ids/{sid}",
                                             headers={"Authorization": "Basic dTpw"})
                with urllib.request.urlopen(req, timeout=30, context=ctx) as resp:
                    self.assertEqual(json.loads(json.loads(resp.read())["schema"]), json.loads(V1))
            finally:
                registry.stop()
        finally:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
