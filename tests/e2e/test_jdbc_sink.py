"""The jdbc sink on SQLite (embedded), PostgreSQL 15 and MariaDB (throwaway servers): every
scenario of jdbc_sink_scenarios per database, then what needs two servers or a long run:
MariaDB -> PostgreSQL with exact values, and repeated kill -9 (exactly-once and at-least-once)."""
import os
import sqlite3
import unittest

import dbserver
import harness
import jdbc_sink_scenarios
from harness import kpipe
from test_jdbc_sqlite import SqliteDb

postgres = None
mariadb = None
# Quotes, a backslash, accents, CJK and a 4-byte emoji (MySQL's utf8mb4 only).
TEXT = "h\u00e9llo \u4e16\u754c \U0001f600 \\ ' \""


def setUpModule():
    global postgres, mariadb
    postgres, mariadb = dbserver.postgres_and_mariadb()


def tearDownModule():
    postgres.stop()
    mariadb.stop()


class SqliteSinkTest(jdbc_sink_scenarios.SinkScenarios, harness.TempDirTest):
    PRICE = "printf('%.2f', price)"
    HEX = "hex({})"
    TYPES = {"id": ("BIGINT", "NOT NULL"), "name": ("TEXT", "NOT NULL"), "price": ("DECIMAL(10,2)", "NULL"),
             "at": ("TIMESTAMP", "NOT NULL"), "day": ("DATE", "NULL"), "note": ("TEXT", "NULL")}

    def setUp(self):
        super().setUp()
        self.db = SqliteDb(self.path("target.db"))  # created by the sink

    def column_types(self, table):
        with sqlite3.connect(self.db.path) as c:
            return {r[0]: (r[1], "NOT NULL" if r[2] else "NULL")
                    for r in c.execute("SELECT name, type, \"notnull\" FROM pragma_table_info(?)", (table,))}

    def key_columns(self, table):
        with sqlite3.connect(self.db.path) as c:
            return [r[0] for r in c.execute("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", (table,))]

    def column_names(self, table):
        return list(self.column_types(table))

    def test_target_database_file_is_created(self):
        self.make_source()
        self.pipeline("  auto.create: true\n")
        self.run_ok()
        self.assertTrue(os.path.exists(self.db.path))


class Kills:
    """SQLite -> this database under CRASH_KILLS kill -9, each landing once the target has gained
    rows. Exactly-once: every row arrives exactly once and the offsets row names the last.
    At-least-once (batches committed by the sink's own thread while the next is read): every row
    arrives, duplicates only from the few batches not yet committed to the offsets file."""
    N = 20000
    BATCH = 100

    def kill_and_finish(self, extra):
        n = self.N
        with sqlite3.connect(self.source_db()) as c:
            c.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, note TEXT, amount DECIMAL(12,3), at TIMESTAMP)")
            c.executemany("INSERT INTO big VALUES (?, ?, ?, ?)",
                          [(i, f"row {i}", f"{i}.125", f"2021-01-01 00:00:{i % 60:02d}.{i % 1000000:06d}")
                           for i in range(1, n + 1)])
        self.drop("big")
        self.drop("kpipe_offsets")
        self.pipeline("  auto.create: true\n  insert.mode: insert\n" + extra,
                      source="  mode: incrementing\n  incrementing.column.name: id\n  table.whitelist: big\n"
                             f"  batch.max.rows: {self.BATCH}\n")
        session = self.db.session()
        try:
            kills, mid_run = harness.kill_after_progress(
                self.path("p.yaml"), lambda: int(session.scalar(f"SELECT count(*) FROM {self.q('big')}") or 0))
        finally:
            session.close()
        self.run_ok()
        self.assertGreaterEqual(mid_run, kills // 2, "most kills should land mid-run")
        total, distinct, lo, hi = self.db.query("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM big")[0]
        return kills, mid_run, int(total), int(distinct), int(lo), int(hi)

    def test_exactly_once_survives_kill_9(self):
        n = self.N
        kills, mid_run, total, distinct, lo, hi = self.kill_and_finish("  exactly.once: true\n")
        harness.crash_report(f"SQLite → {self.DB_NAME} exactly-once", kills, mid_run, n - distinct, total - distinct)
        self.assertEqual((total, distinct, lo, hi), (n, n, 1, n))
        self.assertEqual(self.db.query("SELECT source_offset FROM kpipe_offsets WHERE pipeline = 'p'"),
                         [[f'{{"incrementing":{n}}}']])

    def test_at_least_once_survives_kill_9(self):
        n = self.N
        kills, mid_run, total, distinct, lo, hi = self.kill_and_finish("")
        harness.crash_report(f"SQLite → {self.DB_NAME}", kills, mid_run, n - distinct, total - distinct)
        self.assertEqual((distinct, lo, hi), (n, 1, n), "rows lost")
        in_flight = harness.REPLAY_BATCHES + harness.IN_FLIGHT_BATCHES
        self.assertLessEqual(total - distinct, mid_run * in_flight * self.BATCH)


class PostgresCatalog:
    PRICE = "price"
    HEX = "encode(convert_to({}, 'UTF8'), 'hex')"
    TYPES = {"id": ("bigint", "NOT NULL"), "name": ("text", "NOT NULL"), "price": ("numeric(10,2)", "NULL"),
             "at": ("timestamp without time zone(6)", "NOT NULL"), "day": ("date", "NULL"),
             "note": ("text", "NULL")}

    def column_types(self, table):
        rows = self.db.query(
            "SELECT column_name, data_type || CASE WHEN data_type = 'numeric' THEN '(' || numeric_precision || ',' "
            "|| numeric_scale || ')' WHEN data_type LIKE 'time%' THEN '(' || datetime_precision || ')' ELSE '' END, "
            f"is_nullable FROM information_schema.columns WHERE table_name = '{table}'")
        return {r[0]: (r[1], "NULL" if r[2] == "YES" else "NOT NULL") for r in rows}

    def key_columns(self, table):
        return [r[0] for r in self.db.query(
            "SELECT k.column_name FROM information_schema.table_constraints t JOIN "
            "information_schema.key_column_usage k USING (constraint_schema, constraint_name) "
            f"WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_name = '{table}' ORDER BY k.ordinal_position")]

    def column_names(self, table):
        return list(self.column_types(table))


class PostgresSinkTest(PostgresCatalog, Kills, jdbc_sink_scenarios.SinkScenarios, harness.TempDirTest):
    DB_NAME = "PostgreSQL"

    def setUp(self):
        super().setUp()
        self.db = postgres

    def test_a_schema_qualified_table_name(self):
        self.db.exec("CREATE SCHEMA IF NOT EXISTS other")
        self.db.exec("DROP TABLE IF EXISTS other.items")
        self.make_source()
        self.pipeline("  auto.create: true\n  table.name.format: other.${topic}\n")
        self.run_ok()
        self.assertEqual(self.db.query("SELECT count(*) FROM other.items"), [["3"]])


    def test_copy_text_of_several_pieces_and_a_line_longer_than_one(self):
        # A batch's COPY text goes out in 1 MB pieces of whole lines: 3000 rows of 1 kB make three
        # pieces, and 1.5 MB rows (the first, and one in the middle) are lines longer than a piece.
        with sqlite3.connect(self.source_db()) as c:
            c.execute("CREATE TABLE wide (id INTEGER PRIMARY KEY, note TEXT NOT NULL)")
            c.executemany("INSERT INTO wide VALUES (?, ?)",
                          [(i, (f"{i:04d}" + "x" * 1499995 + "\t") if i in (1, 1500) else f"{i:04d}" + "y" * 996)
                           for i in range(1, 3001)])
        self.drop("wide")
        self.pipeline("  auto.create: true\n  batch.size: 5000\n",
                      source="  mode: bulk\n  table.whitelist: wide\n  batch.max.rows: 5000\n")
        self.run_ok()
        self.assertEqual(self.db.query("SELECT count(*), sum(length(note)), count(DISTINCT note), "
                                       "max(length(note)), sum(CASE WHEN note LIKE '%' || chr(9) THEN 1 END) "
                                       "FROM wide"),
                         [["3000", str(2998 * 1000 + 2 * 1500000), "3000", "1500000", "2"]])


class MariaDbSinkTest(Kills, jdbc_sink_scenarios.SinkScenarios, harness.TempDirTest):
    DB_NAME = "MariaDB"
    PRICE = "price"
    HEX = "HEX({})"
    TYPES = {"id": ("bigint(20)", "NOT NULL"), "name": ("longtext", "NOT NULL"), "price": ("decimal(10,2)", "NULL"),
             "at": ("datetime(6)", "NOT NULL"), "day": ("date", "NULL"), "note": ("longtext", "NULL")}

    def setUp(self):
        super().setUp()
        self.db = mariadb

    def q(self, name):
        return "`" + name.replace("`", "``") + "`"

    def column_types(self, table):
        rows = self.db.query("SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS "
                             f"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}'")
        return {r[0]: (r[1], "NULL" if r[2] == "YES" else "NOT NULL") for r in rows}

    def key_columns(self, table):
        return [r[0] for r in self.db.query(
            "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() "
            f"AND TABLE_NAME = '{table}' AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION")]

    def column_names(self, table):
        return list(self.column_types(table))


class MariaDbToPostgresTest(harness.TempDirTest):
    """A bulk copy between two servers, no Kafka: auto.create on PostgreSQL, values exact."""

    def test_every_type_arrives_exactly(self):
        mariadb.exec("DROP TABLE IF EXISTS allt")
        mariadb.exec("CREATE TABLE allt (id BIGINT PRIMARY KEY, dec_a DECIMAL(20,6), dec_b DECIMAL(38,10), "
                     "ts DATETIME(6), tsz TIMESTAMP(6) NULL, day DATE, tod TIME(6), s VARCHAR(100), b BLOB, "
                     "f DOUBLE, fl FLOAT, ok TINYINT(1), tiny TINYINT, small SMALLINT, i INT)")
        mariadb.exec("INSERT INTO allt VALUES "
                     "(1, 12345678901234.123456, -1234567890123456789012345678.0123456789, "
                     "'2021-03-04 05:06:07.123456', '2021-03-04 05:06:07.654321', '2020-02-29', '23:59:59.999999', "
                     f"CONVERT(X'{TEXT.encode().hex()}' USING utf8mb4), X'00ff7f', 0.1, 0.5, 1, -128, -32768, "
                     "2147483647), "
                     "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
                     "(3, -0.000001, 0, '1970-01-01 00:00:00', '1970-01-01 00:00:01', '1970-01-01', '00:00:00', '', X'', "
                     "-1.5e300, -2.25, 0, 127, 32767, -2147483648)")
        postgres.exec("DROP TABLE IF EXISTS allt")
        self.write("p.yaml", f"""name: m2p
source:
  connector: jdbc
  connection.url: "{mariadb.url}"
  mode: bulk
  table.whitelist: allt
sink:
  connector: jdbc
  connection.url: "{postgres.url}"
  auto.create: true
  insert.mode: upsert
  pk.mode: record_value
  pk.fields: id
""", "w")
        for _ in range(2):  # upsert twice: the same table
            out = kpipe("run", self.path("p.yaml"))
            self.assertEqual(out.returncode, 0, out.stderr.decode())
        types = dict(postgres.query("SELECT column_name, format_type(atttypid, atttypmod) FROM "
                                    "information_schema.columns JOIN pg_attribute ON attrelid = 'allt'::regclass "
                                    "AND attname = column_name WHERE table_name = 'allt'"))
        self.assertEqual(types, {
            "id": "bigint", "dec_a": "numeric(20,6)", "dec_b": "numeric(38,10)",
            "ts": "timestamp(6) without time zone", "tsz": "timestamp(6) without time zone", "day": "date",
            "tod": "time(6) without time zone", "s": "text", "b": "bytea", "f": "double precision", "fl": "real",
            "ok": "boolean", "tiny": "smallint", "small": "smallint", "i": "integer"})
        rows = postgres.query(
            "SELECT id, coalesce(dec_a::text, 'NULL'), coalesce(dec_b::text, 'NULL'), coalesce(ts::text, 'NULL'), "
            "coalesce(tsz::text, 'NULL'), coalesce(day::text, 'NULL'), coalesce(tod::text, 'NULL'), "
            "coalesce(encode(convert_to(s, 'UTF8'), 'hex'), 'NULL'), coalesce(encode(b, 'hex'), 'NULL'), "
            "coalesce(f::text, 'NULL'), coalesce(fl::text, 'NULL'), coalesce(ok::text, 'NULL'), "
            "coalesce(tiny::text, 'NULL'), coalesce(small::text, 'NULL'), coalesce(i::text, 'NULL') "
            "FROM allt ORDER BY id")
        text = TEXT.encode().hex()
        self.assertEqual(rows, [
            ["1", "12345678901234.123456", "-1234567890123456789012345678.0123456789",
             "2021-03-04 05:06:07.123456", "2021-03-04 05:06:07.654321", "2020-02-29", "23:59:59.999999",
             text, "00ff7f", "0.1", "0.5", "true", "-128", "-32768", "2147483647"],
            ["2"] + ["NULL"] * 14,
            ["3", "-0.000001", "0.0000000000", "1970-01-01 00:00:00", "1970-01-01 00:00:01", "1970-01-01",
             "00:00:00", "", "", "-1.5e+300", "-2.25", "false", "127", "32767", "-2147483648"],
        ])


if __name__ == "__main__":
    unittest.main()
