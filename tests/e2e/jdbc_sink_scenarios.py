"""The jdbc sink's promises, run against each target database (SQLite, PostgreSQL, MariaDB).

The source is the jdbc source on a SQLite file (the most structured records available without
Kafka); a subclass supplies `db` (exec(sql), query(sql) -> rows of text, url) and the dialect's
type names. Every scenario runs the built binary and checks real rows with an independent client.
"""
import os
import sqlite3

from harness import kpipe

ROWS = [
    # id, name, price, at, day, note
    (1, "alpha", "1.50", "2020-01-01 00:00:00.000001", "2020-02-29", None),
    (2, "b'e \u00e9\u4e2d", "-2.25", "2021-06-30 23:59:59.999999", "1999-12-31", "n2"),
    (3, "gamma", "0.00", "1970-01-01 00:00:00", "1970-01-01", ""),
]


class SinkScenarios:
    db = None
    # Dialect hooks: the column types auto.create makes, as the catalog names them.
    TYPES = {}

    def q(self, name):
        return '"' + name.replace('"', '""') + '"'

    # -- helpers -------------------------------------------------------------------------------
    def source_db(self):
        return self.path("src.db")

    def make_source(self, rows=ROWS):
        with sqlite3.connect(self.source_db()) as c:
            c.execute("DROP TABLE IF EXISTS items")
            c.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, "
                      "price DECIMAL(10,2), at TIMESTAMP(6) NOT NULL, day DATE, note TEXT)")
            c.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)", rows)

    def drop(self, table):
        self.db.exec(f"DROP TABLE IF EXISTS {self.q(table)}")

    def pipeline(self, sink, source="  mode: bulk\n  table.whitelist: items\n", name="p"):
        text = (f"name: {name}\nsource:\n  connector: jdbc\n  connection.url: jdbc:sqlite:{self.source_db()}\n"
                f"{source}sink:\n  connector: jdbc\n  connection.url: \"{self.db.url}\"\n"
                f"  connection.attempts: 1\n{sink}")
        return self.write("p.yaml", text, "w")

    def run_ok(self):
        out = kpipe("run", self.path("p.yaml"), timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        return out

    def run_fails(self, code):
        out = kpipe("run", self.path("p.yaml"), timeout=300)
        self.assertEqual(out.returncode, code, out.stderr.decode())
        return out.stderr.decode()

    PRICE = "price"

    def table_rows(self, table="items"):
        return self.db.query(f"SELECT id, name, {self.PRICE}, COALESCE(note, 'NULL') "
                             f"FROM {self.q(table)} ORDER BY id")

    def expected(self, rows=ROWS):
        return [[str(r[0]), r[1], r[2], "NULL" if r[5] is None else r[5]] for r in rows]

    def remove_offsets(self):
        for f in ("p.offsets.json",):
            if os.path.exists(self.path(f)):
                os.remove(self.path(f))

    # -- insert.mode x pk.mode ------------------------------------------------------------------
    def test_insert_with_pk_none_and_record_value(self):
        for pk in ("none", "record_value"):
            with self.subTest(pk_mode=pk):
                self.drop("items")
                self.make_source()
                fields = "  pk.fields: id\n" if pk == "record_value" else ""
                self.pipeline(f"  auto.create: true\n  insert.mode: insert\n  pk.mode: {pk}\n{fields}")
                self.run_ok()
                self.assertEqual(self.table_rows(), self.expected())

    def test_upsert_twice_gives_the_same_table(self):
        self.drop("items")
        self.make_source()
        self.pipeline("  auto.create: true\n  insert.mode: upsert\n  pk.mode: record_value\n  pk.fields: id\n")
        self.run_ok()
        first = self.table_rows()
        self.assertEqual(first, self.expected())
        self.run_ok()
        self.assertEqual(self.table_rows(), first)
        # A changed row is replaced, a new one added.
        with sqlite3.connect(self.source_db()) as c:
            c.execute("UPDATE items SET name = 'changed' WHERE id = 2")
            c.execute("INSERT INTO items VALUES (4, 'delta', NULL, '2022-01-01 00:00:00', NULL, NULL)")
        self.run_ok()
        rows = self.table_rows()
        self.assertEqual(len(rows), 4)
        self.assertEqual(rows[1][1], "changed")
        self.assertEqual(rows[3][:2], ["4", "delta"])

    def test_upsert_with_every_value_field_as_the_key(self):
        # pk.mode record_value without pk.fields: the whole row is the key (no column to update).
        self.drop("items")
        self.make_source([(1, "a", "1.00", "2020-01-01 00:00:00", "2020-01-01", "x")])
        self.pipeline("  auto.create: true\n  insert.mode: upsert\n  pk.mode: record_value\n")
        self.run_ok()
        self.run_ok()
        self.assertEqual(self.table_rows(), [["1", "a", "1.00", "x"]])

    def test_update_touches_existing_rows_only(self):
        self.drop("items")
        self.make_source()
        self.pipeline("  auto.create: true\n  insert.mode: insert\n  pk.mode: record_value\n  pk.fields: id\n")
        self.run_ok()
        self.db.exec(f"DELETE FROM {self.q('items')} WHERE id = 3")
        with sqlite3.connect(self.source_db()) as c:
            c.execute("UPDATE items SET name = 'updated', price = 9.99")
        self.pipeline("  insert.mode: update\n  pk.mode: record_value\n  pk.fields: id\n")
        self.run_ok()
        self.assertEqual([r[:3] for r in self.table_rows()], [["1", "updated", "9.99"], ["2", "updated", "9.99"]])

    def test_fields_whitelist_and_table_name_format(self):
        self.drop("copy_items")
        self.make_source()
        self.pipeline("  auto.create: true\n  table.name.format: copy_${topic}\n"
                      "  pk.mode: record_value\n  pk.fields: id\n  fields.whitelist: [name]\n")
        self.run_ok()
        self.assertEqual(self.db.query(f"SELECT id, name FROM {self.q('copy_items')} ORDER BY id"),
                         [[str(r[0]), r[1]] for r in ROWS])
        self.assertEqual(sorted(c.lower() for c in self.column_names("copy_items")), ["id", "name"])

    def test_key_modes_that_need_a_key_name_what_is_missing(self):
        self.drop("items")
        self.make_source()
        self.pipeline("  auto.create: true\n  insert.mode: upsert\n  pk.mode: record_key\n  pk.fields: id\n")
        self.assertIn("needs records with a key", self.run_fails(2))
        self.pipeline("  auto.create: true\n  pk.mode: kafka\n")
        self.assertIn("did not come from Kafka", self.run_fails(2))

    def test_special_characters_arrive_byte_for_byte(self):
        names = ["back\\slash", "tab\there", "new\nline\r", "quote'\"s", "\u00e9\u4e2d\U0001f600", "\\N", "\x1a"]
        self.drop("items")
        self.make_source([(i + 1, n, "1.00", "2020-01-01 00:00:00", None, None) for i, n in enumerate(names)])
        for mode in ("insert", "upsert"):
            with self.subTest(mode=mode):
                self.drop("items")
                self.pipeline(f"  auto.create: true\n  insert.mode: {mode}\n  pk.mode: record_value\n  pk.fields: id\n")
                self.run_ok()
                got = self.db.query(f"SELECT {self.HEX.format('name')} FROM {self.q('items')} ORDER BY id")
                self.assertEqual([r[0].lower() for r in got], [n.encode().hex() for n in names])

    # -- auto.create ----------------------------------------------------------------------------
    def test_auto_create_column_types_and_key(self):
        self.drop("items")
        self.make_source()
        self.pipeline("  auto.create: true\n  pk.mode: record_value\n  pk.fields: id\n")
        self.run_ok()
        self.assertEqual(self.column_types("items"), self.TYPES)
        self.assertEqual(self.key_columns("items"), ["id"])

    # -- auto.evolve ----------------------------------------------------------------------------
    def test_auto_evolve_adds_optional_columns(self):
        self.drop("items")
        self.make_source()
        sink = "  auto.create: true\n  insert.mode: upsert\n  pk.mode: record_value\n  pk.fields: id\n"
        self.pipeline(sink)
        self.run_ok()
        with sqlite3.connect(self.source_db()) as c:
            c.execute("ALTER TABLE items ADD COLUMN extra BIGINT")
            c.execute("UPDATE items SET extra = id * 10")
        # Without auto.evolve: a clear error naming the column.
        err = self.run_fails(2)
        self.assertIn("'extra'", err)
        self.assertIn("auto.evolve", err)
        self.pipeline(sink + "  auto.evolve: true\n")
        self.run_ok()
        self.assertEqual(self.db.query(f"SELECT id, extra FROM {self.q('items')} ORDER BY id"),
                         [["1", "10"], ["2", "20"], ["3", "30"]])

    def test_a_required_field_without_default_cannot_evolve(self):
        self.drop("items")
        self.make_source()
        sink = ("  auto.create: true\n  auto.evolve: true\n  insert.mode: upsert\n  pk.mode: record_value\n"
                "  pk.fields: id\n")
        self.pipeline(sink)
        self.run_ok()
        with sqlite3.connect(self.source_db()) as c:
            c.execute("ALTER TABLE items ADD COLUMN must INTEGER NOT NULL DEFAULT 0")
        err = self.run_fails(2)
        self.assertIn("field 'must'", err)
        self.assertIn("required", err)

    # -- bad configurations -------------------------------------------------------------------
    def test_a_missing_table_without_auto_create_is_named(self):
        self.drop("items")
        self.make_source()
        self.pipeline("  pk.mode: record_value\n  pk.fields: id\n")
        err = self.run_fails(2)
        self.assertIn("table 'items' does not exist", err)
        self.assertIn("auto.create", err)

    def test_delete_enabled_needs_record_key(self):
        self.make_source()
        self.pipeline("  delete.enabled: true\n  pk.mode: record_value\n  pk.fields: id\n")
        err = self.run_fails(2)
        self.assertIn("delete.enabled", err)
        self.assertIn("record_key", err)
        self.pipeline("  insert.mode: upsert\n")
        self.assertIn("pk.mode", self.run_fails(2))

    # -- exactly once -------------------------------------------------------------------------
    def test_exactly_once_offsets_live_with_the_rows(self):
        self.drop("items")
        self.drop("kpipe_offsets")
        self.make_source()
        self.pipeline("  auto.create: true\n  exactly.once: true\n",
                      source="  mode: incrementing\n  incrementing.column.name: id\n  table.whitelist: items\n")
        self.run_ok()
        self.assertEqual(len(self.table_rows()), 3)
        stored = self.db.query(f"SELECT pipeline, source_offset FROM {self.q('kpipe_offsets')}")
        self.assertEqual(stored, [["p", '{"incrementing":3}']])
        # The offsets file is lost: the database's own offsets say where to resume.
        self.remove_offsets()
        self.run_ok()
        self.assertEqual(len(self.table_rows()), 3)
        with sqlite3.connect(self.source_db()) as c:
            c.execute("INSERT INTO items VALUES (4, 'delta', NULL, '2022-01-01 00:00:00', NULL, NULL)")
        self.run_ok()
        self.assertEqual([r[0] for r in self.table_rows()], ["1", "2", "3", "4"])
