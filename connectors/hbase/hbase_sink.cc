// The hbase sink: struct records become HBase rows through the REST gateway, batch.size rows per
// PUT (one CellSet with many rows; keys and columns in the body win over the URL's row). Cell
// timestamps are left to the gateway's clock. A PUT that the gateway acknowledged is durable
// (HBase's WAL), so flush() is "send what is buffered". A null value deletes the row.
//
// Row key: pk.fields (value fields) when set, else the record key; a struct's fields are joined
// by rowkey.delimiter, each in its text form (UTF-8).
#include <spdlog/spdlog.h>

#include <map>

#include "connectors/hbase/codec.h"
#include "connectors/hbase/hbase.h"
#include "connectors/hbase/rest_client.h"

namespace kpipe {
namespace {

using hbase::CellType;
using hbase::FieldMapping;
using hbase::HttpResponse;
using hbase::RestClient;
using hbase::Row;

// How the fields of one value schema become cells; built once per schema.
struct Plan {
  struct Column {
    size_t field = 0;
    std::string name;  // family:qualifier
    CellType type = CellType::kString;
  };
  std::vector<Column> columns;
  std::vector<size_t> pk;  // pk.fields indexes
};

class HbaseSink : public Sink {
 public:
  Status open(const Config& config, const RunContext& context) override {
    KPIPE_RETURN_IF_ERROR(client_.open(config, context));
    table_ = config.has("hbase.table") ? config.str("hbase.table") : "";
    table_format_ = config.str("table.name.format");
    family_ = config.str("hbase.column.family");
    pk_fields_ = config.list("pk.fields");
    delimiter_ = config.str("rowkey.delimiter");
    batch_rows_ = static_cast<size_t>(config.integer("batch.size"));
    KPIPE_RETURN_IF_ERROR(hbase::parse_field_mapping(config, "field.mapping", &mapping_));
    if (!table_.empty()) KPIPE_RETURN_IF_ERROR(check_table(table_));
    return Status::Ok();
  }

  bool needs_bytes() const override { return false; }

  Status write(Batch& batch) override {
    for (Record& r : batch) {
      std::string table = table_for(r.topic);
      Row row;
      KPIPE_RETURN_IF_ERROR(to_row(r, &row));
      std::vector<Row>& rows = pending_[table];
      if (r.value.is_null()) {
        // A tombstone: what was buffered for this table goes first, so order is kept.
        KPIPE_RETURN_IF_ERROR(put(table, &rows));
        KPIPE_RETURN_IF_ERROR(remove(table, row.key));
        continue;
      }
      rows.push_back(std::move(row));
      if (rows.size() >= batch_rows_) KPIPE_RETURN_IF_ERROR(put(table, &rows));
    }
    return Status::Ok();
  }

  Status flush() override {
    for (auto& [table, rows] : pending_) KPIPE_RETURN_IF_ERROR(put(table, &rows));
    return Status::Ok();
  }

 private:
  std::string table_for(const std::string& topic) {
    if (!table_.empty()) return table_;
    std::string name = table_format_;
    for (size_t at; (at = name.find("${topic}")) != std::string::npos;) name.replace(at, 8, topic);
    return name;
  }

  Status check_table(const std::string& table) {
    HttpResponse r;
    KPIPE_RETURN_IF_ERROR(client_.call("GET", "/" + RestClient::escape(table) + "/schema", "", &r));
    if (r.status == 404)
      return Status::Runtime("HBase table '" + table + "' does not exist at " + client_.gateway());
    if (r.status != 200)
      return Status::Runtime("reading the schema of HBase table '" + table + "' at " +
                             client_.gateway() + ": HTTP " + std::to_string(r.status));
    return Status::Ok();
  }

  Status put(const std::string& table, std::vector<Row>* rows) {
    if (rows->empty()) return Status::Ok();
    HttpResponse r;
    const std::string path = "/" + RestClient::escape(table) + "/fakerow";
    KPIPE_RETURN_IF_ERROR(client_.call("PUT", path, hbase::write_cell_set(*rows), &r)
                              .with_context("writing " + std::to_string(rows->size()) +
                                            " rows to HBase table '" + table + "'"));
    if (r.status == 404)
      return Status::Runtime("HBase table '" + table + "' does not exist at " + client_.gateway() +
                             " (" + r.body.substr(0, 200) + ")");
    if (r.status != 200)
      return Status::Runtime("writing " + std::to_string(rows->size()) + " rows to HBase table '" +
                             table + "': HTTP " + std::to_string(r.status) + " " +
                             r.body.substr(0, 200));
    rows->clear();
    return Status::Ok();
  }

  Status remove(const std::string& table, const std::string& key) {
    HttpResponse r;
    KPIPE_RETURN_IF_ERROR(client_.call(
        "DELETE", "/" + RestClient::escape(table) + "/" + RestClient::escape(key), "", &r));
    if (r.status != 200 && r.status != 404)
      return Status::Runtime("deleting row '" + hbase::printable(key) + "' of HBase table '" +
                             table + "': HTTP " + std::to_string(r.status));
    return Status::Ok();
  }

  Status plan_for(const SchemaPtr& schema_ptr, const Plan** out) {
    auto it = plans_.find(schema_ptr);
    if (it != plans_.end()) {
      *out = &it->second;
      return Status::Ok();
    }
    const Schema& schema = *schema_ptr;
    Plan plan;
    auto column_name = [&](const std::string& name) {
      return name.find(':') == std::string::npos ? family_ + ":" + name : name;
    };
    if (mapping_.empty()) {
      for (size_t i = 0; i < schema.fields.size(); ++i) {
        const Field& f = schema.fields[i];
        auto type = hbase::natural_cell_type(*f.schema);
        if (!type)
          return Status::Runtime("field '" + f.name + "' is a " + type_name(f.schema->type) +
                                 ": an HBase cell holds a primitive (map it in field.mapping or "
                                 "drop it with a transform)");
        plan.columns.push_back({i, column_name(f.name), *type});
      }
    } else {
      for (const FieldMapping& m : mapping_) {
        int i = schema.field_index(m.source);
        if (i < 0)
          return Status::Runtime("field.mapping names field '" + m.source +
                                 "', which the record does not have");
        plan.columns.push_back({static_cast<size_t>(i), column_name(m.target), m.type});
      }
    }
    for (const std::string& name : pk_fields_) {
      int i = schema.field_index(name);
      if (i < 0) return Status::Runtime("pk.fields names '" + name + "', which the record lacks");
      plan.pk.push_back(static_cast<size_t>(i));
    }
    // Schemas are shared per table or file, so this map stays small.
    *out = &plans_.emplace(schema_ptr, std::move(plan)).first->second;
    return Status::Ok();
  }

  static bool key_text(const Value& v, std::string* out) {
    std::string error;
    if (v.is_null()) return false;
    return hbase::encode_cell(v, nullptr, CellType::kString, out, &error);
  }

  Status to_row(const Record& r, Row* row) {
    const std::string where = "record of topic " + r.topic +
                              (r.source_offset.is_null() ? "" : " at " + r.source_offset.dump());
    const Plan* plan = nullptr;
    const bool has_struct =
        r.value_schema && r.value_schema->type == Type::kStruct && r.value.is<Struct>();
    if (!r.value.is_null() && !has_struct)
      return Status::Runtime(where +
                             ": the hbase sink needs struct values with a schema (use a "
                             "converter with schemas)");
    if (has_struct) {
      KPIPE_RETURN_IF_ERROR(plan_for(r.value_schema, &plan).with_context(where));
    }
    // Row key: pk.fields, else the record key.
    std::vector<const Value*> parts;
    if (!pk_fields_.empty() && plan) {
      for (size_t i : plan->pk) parts.push_back(&r.value.as<Struct>().fields[i]);
    } else if (r.key.is<Struct>()) {
      for (const Value& v : r.key.as<Struct>().fields) parts.push_back(&v);
    } else if (!r.key.is_null()) {
      parts.push_back(&r.key);
    }
    if (parts.empty())
      return Status::Runtime(where + ": no row key (set pk.fields or give records a key)");
    for (size_t i = 0; i < parts.size(); ++i) {
      std::string text;
      if (!key_text(*parts[i], &text))
        return Status::Runtime(where + ": a row key part is null or not a primitive");
      row->key += (i ? delimiter_ : "") + text;
    }
    if (!plan) return Status::Ok();
    const Struct& value = r.value.as<Struct>();
    for (const Plan::Column& c : plan->columns) {
      const Value& v = value.fields[c.field];
      if (v.is_null()) continue;  // HBase has no null: the cell is absent
      hbase::Cell& cell = row->cells.emplace_back();
      cell.column = c.name;
      std::string error;
      const Field& f = r.value_schema->fields[c.field];
      if (!hbase::encode_cell(v, f.schema.get(), c.type, &cell.value, &error))
        return Status::Runtime(where + ": field '" + f.name + "' -> column '" + c.name +
                               "': " + error);
    }
    return Status::Ok();
  }

  RestClient client_;
  std::string table_, table_format_, family_, delimiter_;
  std::vector<std::string> pk_fields_;
  std::vector<FieldMapping> mapping_;
  size_t batch_rows_ = 1000;
  std::map<std::string, std::vector<Row>> pending_;  // table -> rows not yet PUT
  // Holding the schema keeps its address from being reused by another schema.
  std::map<SchemaPtr, Plan> plans_;
};

}  // namespace

ConfigSpec hbase_source_spec();
std::unique_ptr<Source> make_hbase_source();

ConfigSpec hbase_sink_spec() {
  std::vector<FieldSpec> fields = hbase::rest_fields();
  std::vector<FieldSpec> own = {
      {"hbase.table", FieldType::kString, std::nullopt, false,
       "Table to write (table or ns:table); overrides table.name.format"},
      {"table.name.format", FieldType::kString, "${topic}", false,
       "Table name; ${topic} is replaced by the record's topic"},
      {"hbase.column.family", FieldType::kString, "cf", false,
       "Family of fields and of mapping targets given without one"},
      {"field.mapping", FieldType::kObjects, "", false,
       "Fields to columns: [{source: field, target: [family:]qualifier, type: string|int|long|"
       "short|double|float|boolean|bytes|decimal}]; default: every field, encoded by its type"},
      {"pk.fields", FieldType::kList, "", false,
       "Value fields forming the row key; default: the record key"},
      {"rowkey.delimiter", FieldType::kString, "_", false, "Joins the parts of a row key"},
      {"batch.size", FieldType::kInt, "1000", false, "Rows per PUT", {}, false, 1, 1000000},
  };
  fields.insert(fields.end(), own.begin(), own.end());
  ConfigSpec spec{"hbase", ComponentKind::kSink,
                  "Records as rows of HBase tables through the REST gateway", std::move(fields)};
  // Confluent's HBase sink (commercial) talks to ZooKeeper and the region servers, and wants the
  // value as a struct of families of columns; kpipe talks to the REST gateway and maps flat
  // fields to one family (README: Kafka Connect).
  ConnectSpec& connect = spec.connect;
  connect.connector_class = "io.confluent.connect.hbase.HBaseSinkConnector";
  connect.renamed = {{"row.key.delimiter", "rowkey.delimiter"}, {"max.batch.size", "batch.size"}};
  const std::string rest = "kpipe reaches HBase through its REST gateway (hbase.rest.url)";
  for (const char* key :
       {"hbase.zookeeper.quorum", "hbase.zookeeper.property.clientPort", "zookeeper.znode.parent",
        "hbase.cluster.distributed", "hbase.master.kerberos.principal",
        "hbase.regionserver.kerberos.principal", "hbase.keytab.file", "hbase.user.principal",
        "hbase.rpc.protection", "kerberos.ticket.renew.period.ms", "proxy.url", "proxy.user",
        "proxy.password"})
    connect.ignored.emplace_back(key, rest);
  for (const char* key : {"confluent.topic.bootstrap.servers", "confluent.topic.replication.factor",
                          "confluent.license"})
    connect.ignored.emplace_back(key, "Confluent's license topic; kpipe needs none");
  connect.ignored.emplace_back("auto.create.tables", "kpipe writes to existing tables");
  connect.ignored.emplace_back("auto.create.column.families", "kpipe writes to existing tables");
  connect.ignored.emplace_back("insert.mode", "kpipe's PUTs are upserts");
  connect.ignored.emplace_back("error.mode", "the errors.* keys say what a bad record does");
  connect.ignored.emplace_back("retry.timeout.ms", "errors.retry.timeout covers it");
  connect.kpipe_only = {"field.mapping", "pk.fields", "hbase.table"};
  connect.not_exported = {"hbase.rest."};
  connect.export_needs = {"hbase.zookeeper.quorum"};
  return spec;
}

void register_hbase(Registry& registry) {
  // A wrong field.mapping entry is found by `kpipe validate`, not only at run time.
  auto check_mapping = [](const Config& config) {
    std::vector<hbase::FieldMapping> mapping;
    return hbase::parse_field_mapping(config, "field.mapping", &mapping);
  };
  ConfigSpec source = hbase_source_spec(), sink = hbase_sink_spec();
  source.check = sink.check = check_mapping;
  registry.add_source(std::move(source), make_hbase_source);
  registry.add_sink(std::move(sink), [] { return std::make_unique<HbaseSink>(); });
}

}  // namespace kpipe
