// The jdbc source's estimate() (a COUNT(*) with the run's own predicate and upper bound) against
// the rows it then emits, on PostgreSQL (KPIPE_PG_URL) and MariaDB (KPIPE_MYSQL_URL); SQLite's
// run in tests/unit/test_estimate.cc. Without the URL a case is skipped with a message.
#include <doctest/doctest.h>

#include <cstdlib>

#include "tests/unit/estimate_test_util.h"

namespace kpipe {
namespace {

void run_scenarios(const char* variable, const std::string& ts_type) {
  const char* url = std::getenv(variable);
  if (!url) {
    MESSAGE(variable << " not set: skipping");
    return;
  }
  estimate_test::JdbcEstimateScenarios db(url, ts_type);
  SUBCASE("incrementing, query, bulk") {
    db.incrementing();
  }
  SUBCASE("timestamp, keyless timestamp, timestamp+incrementing") {
    db.timestamps();
  }
  SUBCASE("the count fixes the upper bound") {
    db.fixed_upper_bound();
  }
}

TEST_CASE("estimate: jdbc source on PostgreSQL counts what it emits") {
  run_scenarios("KPIPE_PG_URL", "TIMESTAMP(6)");
}

TEST_CASE("estimate: jdbc source on MariaDB counts what it emits") {
  run_scenarios("KPIPE_MYSQL_URL", "DATETIME(6)");
}

}  // namespace
}  // namespace kpipe
