// Status: the outcome of an operation that can fail in an expected way (bad config, unreachable
// server, failed flush). Carries the process exit code the failure maps to, so an error can travel
// from a connector to main() without translation.
#pragma once

#include <string>
#include <utility>

namespace kpipe {

enum class Code {
  kOk = 0,
  kRuntime = 1,  // exit 1: a failure while running; nothing committed past the last durable point
  kInvalid = 2,  // exit 2: invalid configuration or usage
  kLocked = 3,   // exit 3: another run holds the offsets lock
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Runtime(std::string msg) { return Status(Code::kRuntime, std::move(msg)); }
  static Status Invalid(std::string msg) { return Status(Code::kInvalid, std::move(msg)); }
  static Status Locked(std::string msg) { return Status(Code::kLocked, std::move(msg)); }
  // A runtime failure that may pass by itself (a lost or refused connection, HTTP 5xx, brokers
  // down): the runner retries it when the errors policy has retry.timeout. A wrong password, a
  // bad statement or a missing table is never transient.
  static Status Transient(std::string msg) { return Runtime(std::move(msg)).as_transient(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  int exit_code() const { return static_cast<int>(code_); }
  const std::string& message() const { return message_; }
  bool transient() const { return transient_; }
  // The same runtime failure, marked transient (other codes stay as they are).
  Status as_transient() const {
    Status st = *this;
    st.transient_ = code_ == Code::kRuntime;
    return st;
  }
  // A failure the errors policy must not skip as a bad record: it is not the record's fault (a
  // schema registry refusing the credentials or a schema) and would fail every record after it.
  bool unskippable() const { return unskippable_ || transient_; }
  Status as_unskippable() const {
    Status st = *this;
    st.unskippable_ = !ok();
    return st;
  }
  // The same failure with more context in front: "reading offsets: <message>".
  Status with_context(const std::string& context) const {
    if (ok()) return *this;
    Status st(code_, context + ": " + message_);
    st.transient_ = transient_;
    st.unskippable_ = unskippable_;
    return st;
  }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
  bool transient_ = false;
  bool unskippable_ = false;
};

// Early-return helper for functions returning Status.
#define KPIPE_RETURN_IF_ERROR(expr) \
  do {                              \
    ::kpipe::Status _st = (expr);   \
    if (!_st.ok()) return _st;      \
  } while (0)

}  // namespace kpipe
