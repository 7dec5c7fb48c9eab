"""The file source's formats on the built binary: csv (RFC 4180, typed columns) and jsonl
(Connect envelopes and plain JSON), read into a file sink with the json converter."""
import json
import os
import unittest

import harness
from harness import kpipe

TYPED = "id:int64,name:string,amount:decimal(10,2),at:timestamp,d:date,flag:boolean,x:float64"
TYPED_SCHEMA = (
    '{"type":"struct","fields":['
    '{"type":"int64","optional":true,"field":"id"},'
    '{"type":"string","optional":true,"field":"name"},'
    '{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,'
    '"parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"amount"},'
    '{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,'
    '"field":"at"},'
    '{"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Date","version":1,'
    '"field":"d"},'
    '{"type":"boolean","optional":true,"field":"flag"},'
    '{"type":"double","optional":true,"field":"x"}],"optional":false}')


class FormatTest(harness.TempDirTest):
    def pipeline(self, fmt, source_extra=None, converter=None, data="in.txt"):
        lines = ["name: p", "source:", "  connector: file", "  file: " + self.path(data),
                 "  format: " + fmt]
        for k, v in (source_extra or {}).items():
            lines.append("  %s: %s" % (k, json.dumps(v)))
        if converter:
            lines += ["converter:"] + ["  %s: %s" % (k, json.dumps(v)) for k, v in converter.items()]
        lines += ["sink:", "  connector: file", "  file: " + self.path("out.jsonl")]
        return self.write("p.yaml", "\n".join(lines) + "\n", "w")

    def run_ok(self):
        out = kpipe("run", self.path("p.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        return out

    def run_fails(self):
        out = kpipe("run", self.path("p.yaml"))
        self.assertEqual(out.returncode, 1, out.stderr.decode())
        return out.stderr.decode()

    def payloads(self):
        return [json.loads(line)["payload"] for line in self.read("out.jsonl").decode().splitlines()]

    def position(self):
        out = kpipe("offsets", "show", self.path("p.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr)
        offsets = json.loads(out.stdout)["offsets"]
        return offsets[0]["offset"]["position"] if offsets else None


class CsvTest(FormatTest):
    def test_rfc4180_quotes_newlines_crlf_empty_fields_unicode(self):
        data = ('a,b,c\r\n'
                '1,"x, y","say ""hi"""\r\n'
                '2,"multi\r\nline\nfield",\r\n'
                '3,,""\r\n'
                '\r\n'
                '4,zo\u00eb \u65e5\u672c \U0001f600,last').encode()
        self.write("in.txt", data)
        self.pipeline("csv")
        out = self.run_ok()
        self.assertIn(b"read 4 records", out.stderr)
        self.assertEqual(self.payloads(), [
            {"a": "1", "b": "x, y", "c": 'say "hi"'},
            {"a": "2", "b": "multi\r\nline\nfield", "c": None},
            {"a": "3", "b": None, "c": ""},  # unquoted empty: null; "" : empty string
            {"a": "4", "b": "zo\u00eb \u65e5\u672c \U0001f600", "c": "last"},
        ])
        schema = json.loads(self.read("out.jsonl").decode().splitlines()[0])["schema"]
        self.assertEqual(schema, {"type": "struct", "fields": [
            {"type": "string", "optional": True, "field": f} for f in "abc"], "optional": False})
        self.assertEqual(self.position(), len(data))

    def test_delimiter_and_quote(self):
        self.write("in.txt", "k;v\n1;'a;b'\n2;'it''s'\n".encode())
        self.pipeline("csv", {"csv.delimiter": ";", "csv.quote": "'"})
        self.run_ok()
        self.assertEqual(self.payloads(), [{"k": "1", "v": "a;b"}, {"k": "2", "v": "it's"}])

    def test_typed_schema_golden_json(self):
        self.write("in.txt", (
            "id,name,amount,at,d,flag,x\n"
            "1,Smith,12.50,2024-01-02T03:04:05.123456Z,2024-01-02,true,1.5\n"
            "2,,,,,,\n"
            "3,\"N\u00e9\",-0.01,2024-01-02 03:04:05+02:00,1970-01-01,FALSE,-2e3\n").encode())
        self.pipeline("csv", {"csv.schema": TYPED})
        self.run_ok()
        expected = [
            '{"id":1,"name":"Smith","amount":"BOI=","at":1704164645123,"d":19724,"flag":true,'
            '"x":1.5}',
            '{"id":2,"name":null,"amount":null,"at":null,"d":null,"flag":null,"x":null}',
            '{"id":3,"name":"N\u00e9","amount":"/w==","at":1704157445000,"d":0,"flag":false,'
            '"x":-2000.0}',
        ]
        golden = "".join('{"schema":%s,"payload":%s}\n' % (TYPED_SCHEMA, p) for p in expected)
        self.assertEqual(self.read("out.jsonl").decode(), golden)

    def test_resume_after_appending_rows_rereads_the_header(self):
        self.write("in.txt", b"id,name\n1,a\n")
        self.pipeline("csv", {"csv.schema": "id:int32"})
        self.run_ok()
        self.assertEqual(self.position(), len(b"id,name\n1,a\n"))
        self.assertEqual(self.run_ok().stderr.count(b"read 0 records"), 1)
        with open(self.path("in.txt"), "ab") as f:
            f.write(b'2,"b\nb"\n3,c')
        self.run_ok()
        self.assertEqual(self.payloads(), [{"id": 1, "name": "a"}, {"id": 2, "name": "b\nb"},
                                           {"id": 3, "name": "c"}])
        self.assertEqual(self.position(), os.path.getsize(self.path("in.txt")))
        # Rewound to the start: position 0 is "before the header".
        partition = json.dumps({"filename": self.path("in.txt")})
        out = kpipe("offsets", "set", self.path("p.yaml"), "--partition", partition,
                    "--offset", '{"position":0}')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.run_ok()
        self.assertEqual(len(self.payloads()), 6)

    def test_malformed_records_name_file_and_line(self):
        good = b"a,b\n1,2\n\"x\ny\",3\n"  # two records over four lines
        typed = b"a,b\n1,2.5\n\"x\ny\",3.25\n"
        cases = [
            (good, b"4,5,6\n7,8\n", 5, "expected 2 fields as in the header, found 3", None),
            (good, b"4,\"open\n\nstill", 5, "not closed", None),
            (good, b"\"q\"x,1\n", 5, "after a closing quote", None),
            (good, b"2,oops\n", 5, "column 'b': not an int64", "b:int64"),
            (typed, b"9,1.234\n", 5, "column 'b': has more than 2 decimal places",
             "b:decimal(5,2)"),
        ]
        for prefix, bad, line, message, schema in cases:
            with self.subTest(message=message):
                self.write("in.txt", prefix + bad)
                for name in ("p.offsets.json", "out.jsonl"):
                    if os.path.exists(self.path(name)):
                        os.remove(self.path(name))
                self.pipeline("csv", {"csv.schema": schema} if schema else {})
                err = self.run_fails()
                self.assertIn("%s:%d: " % (self.path("in.txt"), line), err)
                self.assertIn(message, err)
                # Everything before the bad record is written and committed, nothing after it.
                self.assertEqual(len(self.payloads()), 2)
                self.assertEqual(self.position(), len(prefix))

    def test_tolerated_bad_records_are_skipped_into_the_dead_letter_file(self):
        data = b"id,amount\n1,2.50\n2,lots\n3\n4,1.25\n"
        self.write("in.txt", data)
        self.pipeline("csv", {"csv.schema": "id:int64,amount:decimal(5,2)"})
        with open(self.path("p.yaml"), "a") as f:
            f.write("errors:\n  tolerance: all\n  deadletterqueue.file: %s\n" % self.path("dlq.jsonl"))
        out = self.run_ok()
        self.assertIn(b"skipped 2", out.stderr)
        self.assertEqual([p["id"] for p in self.payloads()], [1, 4])
        self.assertEqual(self.position(), len(data))
        with open(self.path("dlq.jsonl")) as f:
            dead = [json.loads(line) for line in f]
        self.assertEqual([d["value"] for d in dead], ["2,lots\n", "3\n"])
        self.assertIn("in.txt:3: column 'amount'", dead[0]["error"])
        self.assertIn("in.txt:4: expected 2 fields", dead[1]["error"])
        self.assertEqual(dead[0]["stage"], "source")

    def test_configuration_errors(self):
        self.write("in.txt", b"a\n1\n")
        for extra, message in [({"csv.delimiter": ";;"}, b"one character"),
                               ({"csv.schema": "a:int99"}, b"unknown type"),
                               ({"csv.quote": ","}, b"must differ")]:
            self.pipeline("csv", extra)
            out = kpipe("run", self.path("p.yaml"))
            self.assertEqual(out.returncode, 2, out.stderr)
            self.assertIn(message, out.stderr)
        self.pipeline("lines", {"csv.delimiter": ";"})
        out = kpipe("run", self.path("p.yaml"))
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn(b"format: csv only", out.stderr)
        # A csv.schema column the header lacks is a runtime error naming the file.
        self.pipeline("csv", {"csv.schema": "zz:int64"})
        self.assertIn("in.txt:1: csv.schema names column 'zz'", self.run_fails())


class JsonlTest(FormatTest):
    def test_envelopes_keep_their_schema_and_plain_values_are_schemaless(self):
        env = ('{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,'
               '"field":"id"},{"type":"string","optional":true,"field":"n"}],"optional":false,'
               '"name":"row"},"payload":{"id":7,"n":"x"}}')
        lines = [
            env,
            '{"id": 1, "tags": ["a", "b"], "schema": "not an envelope"}',
            '',
            '  42  ',
            '"just a string \u00e9"',
            '{"payload": 1, "schema": {"type": "int64", "optional": false}}',
        ]
        data = ("\n".join(lines) + "\r\n").encode()
        self.write("in.txt", data)
        self.pipeline("jsonl")
        out = self.run_ok()
        self.assertIn(b"read 5 records", out.stderr)
        written = self.read("out.jsonl").decode().splitlines()
        # The envelope round-trips byte for byte through the json converter.
        self.assertEqual(written[0], env)
        # Schemaless values are written without an envelope schema.
        self.assertEqual(json.loads(written[1]),
                         {"schema": None,
                          "payload": {"id": 1, "tags": ["a", "b"], "schema": "not an envelope"}})
        self.assertEqual(json.loads(written[2])["payload"], 42)
        self.assertEqual(json.loads(written[3])["payload"], "just a string \u00e9")
        self.assertEqual(written[4], '{"schema":{"type":"int64","optional":false},"payload":1}')
        self.assertEqual(self.position(), len(data))

    def test_schemaless_output_and_resume(self):
        self.write("in.txt", b'{"a":1}\n')
        self.pipeline("jsonl", converter={"value": "json", "value.schemas.enable": False})
        self.run_ok()
        with open(self.path("in.txt"), "ab") as f:
            f.write(b'{"a":2}\n')
        self.run_ok()
        self.assertEqual(self.read("out.jsonl"), b'{"a":1}\n{"a":2}\n')

    def test_bad_json_names_file_and_line(self):
        data = b'{"a":1}\n\n{"a":2}\n{"a":\n{"a":4}\n'
        self.write("in.txt", data)
        self.pipeline("jsonl")
        err = self.run_fails()
        self.assertIn(self.path("in.txt") + ":4: JsonConverter", err)
        self.assertEqual(self.payloads(), [{"a": 1}, {"a": 2}])
        self.assertEqual(self.position(), len(b'{"a":1}\n\n{"a":2}\n'))
        # A broken envelope is an error, not silently a plain value.
        self.write("in.txt", b'{"schema":{"type":"int99"},"payload":1}\n')
        os.remove(self.path("p.offsets.json"))
        self.assertIn(self.path("in.txt") + ":1: JsonConverter schema", self.run_fails())


if __name__ == "__main__":
    unittest.main()
