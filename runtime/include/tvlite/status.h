// Errors as values: every fallible runtime call returns a Status (with a message) or a
// Result<T>. Nothing in the runtime throws or aborts on bad input.
#pragma once
#include <string>
#include <utility>

namespace tvlite {

enum class Code {
  kOk = 0,
  // The caller's arguments.
  kInvalidArgument,  // a bad shape, a null pointer, an option out of range
  // The model file.
  kIoError,          // cannot open / stat / map the file
  kInvalidFile,      // not a .tvl file, or structurally broken
  kVersionMismatch,  // a newer major format version than this build reads
  kChecksumMismatch, // tensor bytes do not match their stored checksum (full verification)
  kMisaligned,       // a borrowed buffer or tensor is not aligned as the format requires
  kUnsupported,      // valid file, but a feature this build lacks (dtype, family, endianness)
  // Resources.
  kOutOfMemory,
  kInternal,
};

const char* to_string(Code code);

// A code plus a human-readable message. Success carries no message (and allocates nothing).
class Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status ok() { return Status(); }

  bool is_ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid file: tensor 'fc.weight' ends past the end of the file"
  std::string to_string() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or a non-ok Status.
template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)), has_value_(true) {}  // NOLINT: implicit on purpose
  Result(Status status) : status_(std::move(status)) {}           // NOLINT
  bool is_ok() const { return has_value_; }
  explicit operator bool() const { return has_value_; }
  const Status& status() const { return status_; }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }
  T& operator*() { return value_; }
  const T& operator*() const { return value_; }

 private:
  T value_{};
  Status status_;
  bool has_value_ = false;
};

}  // namespace tvlite

// Returns the Status of `expr` from the enclosing function when it is not ok.
#define TVLITE_RETURN_IF_ERROR(expr)          \
  do {                                        \
    ::tvlite::Status tvlite_status_ = (expr); \
    if (!tvlite_status_.is_ok()) return tvlite_status_; \
  } while (0)
