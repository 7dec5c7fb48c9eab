// Fuzz target: the HBase REST gateway's CellSet JSON and its base64, as the source reads them.
// Whatever parse_cell_set accepts must survive write_cell_set and parse again unchanged, and
// every cell value must decode (or be refused) as each cell type without crashing.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "connectors/hbase/codec.h"

namespace {

bool same(const std::vector<kpipe::hbase::Row>& a, const std::vector<kpipe::hbase::Row>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key || a[i].cells.size() != b[i].cells.size()) return false;
    for (size_t j = 0; j < a[i].cells.size(); ++j) {
      const auto &x = a[i].cells[j], &y = b[i].cells[j];
      if (x.column != y.column || x.timestamp != y.timestamp || x.value != y.value) return false;
    }
  }
  return true;
}

constexpr kpipe::hbase::CellType kTypes[] = {
    kpipe::hbase::CellType::kString,  kpipe::hbase::CellType::kInt,
    kpipe::hbase::CellType::kLong,    kpipe::hbase::CellType::kShort,
    kpipe::hbase::CellType::kDouble,  kpipe::hbase::CellType::kFloat,
    kpipe::hbase::CellType::kBoolean, kpipe::hbase::CellType::kBytes,
    kpipe::hbase::CellType::kDecimal};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);

  // base64 on its own: decoding the input never crashes; encoding any bytes decodes back.
  std::string decoded, again;
  (void)kpipe::hbase::base64_decode(body, &decoded);
  if (!kpipe::hbase::base64_decode(kpipe::hbase::base64_encode(body), &again) || again != body)
    throw std::logic_error("base64 does not round-trip");

  std::vector<kpipe::hbase::Row> rows;
  if (!kpipe::hbase::parse_cell_set(body, &rows).ok()) return 0;
  std::vector<kpipe::hbase::Row> reparsed;
  if (!kpipe::hbase::parse_cell_set(kpipe::hbase::write_cell_set(rows), &reparsed).ok() ||
      !same(rows, reparsed))
    throw std::logic_error("a CellSet parse_cell_set accepted does not round-trip");

  for (const auto& row : rows) {
    (void)kpipe::hbase::printable(row.key);
    for (const auto& cell : row.cells) {
      (void)kpipe::hbase::printable(cell.column);
      for (kpipe::hbase::CellType type : kTypes) {
        const int32_t scale =
            cell.value.empty() ? 0 : static_cast<unsigned char>(cell.value[0]) % 40;
        kpipe::Value value;
        std::string error;
        (void)kpipe::hbase::decode_cell(cell.value, type, scale, &value, &error);
      }
    }
  }
  return 0;
}
