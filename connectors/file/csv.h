// CSV for the file source: an incremental RFC 4180 record parser over a byte buffer, and typed
// columns (`csv.schema`) that turn a record's text fields into a Connect struct.
//
// Parsing: fields are separated by `delimiter`; a field that starts with `quote` is quoted and may
// hold delimiters, line breaks (kept as written, \r\n included) and doubled quotes (one quote).
// Records end at \n, \r\n or \r outside quotes, or at the end of the input. A quote inside an
// unquoted field is an ordinary character (as Python's csv module reads it); after a closing quote
// only a delimiter or a line end may follow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "schema.h"
#include "status.h"
#include "value.h"

namespace kpipe {

struct CsvFormat {
  char delimiter = ',';
  char quote = '"';
};

enum class CsvParse {
  kRecord,    // one record parsed; a blank line gives a record with no fields
  kNeedMore,  // the input ends inside the record (or right after a \r): read more, parse again
  kError,
};

struct CsvResult {
  CsvParse kind = CsvParse::kNeedMore;
  size_t consumed = 0;  // kRecord: bytes of the record and its line end
  size_t lines = 0;     // line ends consumed (kRecord), or seen before the error (kError)
  std::string error;    // kError: what is wrong
};

// Parses the record at the start of `data` into `fields` (reused: their strings keep their
// capacity). `at_end`: no more input will follow, so the end of `data` ends the record (and an
// open quote is an error). `quoted`, when given, receives one flag per field: was it quoted.
CsvResult parse_csv_record(std::string_view data, bool at_end, const CsvFormat& format,
                           std::vector<std::string>* fields, std::vector<char>* quoted = nullptr);

// One typed column of `csv.schema`.
struct CsvColumn {
  std::string name;
  SchemaPtr schema;       // optional: an empty field is null
  int32_t precision = 0;  // decimal(p,s): p
};

// Parses "id:int64,name:string,amount:decimal(10,2),at:timestamp" (types: int8, int16, int32,
// int64, float32/float, float64/double, boolean, string, decimal(p,s), date, time, timestamp).
// Errors say which entry is wrong.
Status parse_csv_schema(const std::string& text, std::vector<CsvColumn>* out);

// Converts a field's text to the column's in-memory value (value.h): integers, doubles,
// booleans (true/false, any case), Decimal rescaled to the column's scale (more digits than the
// precision allows is an error), Date as days since the epoch (YYYY-MM-DD), Time as nanoseconds
// since midnight (HH:MM:SS[.fraction]), Timestamp as nanoseconds since the epoch
// (YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|+HH:MM|-HH:MM], UTC when no zone is given). Empty text is
// null. On failure, `error` says why.
bool csv_field_value(const CsvColumn& column, std::string&& text, Value* out, std::string* error);

}  // namespace kpipe
