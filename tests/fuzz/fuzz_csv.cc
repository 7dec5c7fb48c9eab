// Fuzz target: the CSV record parser over arbitrary bytes, record by record, as the file source
// drives it.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "connectors/file/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  kpipe::CsvFormat format;
  std::vector<std::string> fields;
  std::vector<char> quoted;
  while (!rest.empty()) {
    kpipe::CsvResult r = kpipe::parse_csv_record(rest, true, format, &fields, &quoted);
    if (r.kind != kpipe::CsvParse::kRecord) break;
    if (r.consumed == 0 || r.consumed > rest.size()) throw std::logic_error("bad consumed count");
    rest.remove_prefix(r.consumed);
  }
  return 0;
}
