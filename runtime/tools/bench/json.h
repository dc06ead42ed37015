// A small JSON writer and a strict, bounded JSON reader for tvlite-bench's result files.
// The reader takes files a user hands the tool (--compare, --report): any input gets a value or
// an error with its line and column, never a crash (depth and size are bounded).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tvlite::bench {

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;  // in file order

  const JsonValue* find(std::string_view key) const;  // null when absent or not an object
};

// Parses all of `text` (one value, whitespace around it). On failure returns false and sets
// *error to "line L, column C: what was wrong".
bool parse_json(std::string_view text, JsonValue* out, std::string* error);

// "text" with quotes; escapes ", \, control bytes and every byte >= 0x80 as \u00XX, so the
// output is ASCII and valid whatever bytes a path or CPU name holds.
std::string json_quote(std::string_view text);

// Writes one JSON document; commas are placed by the writer.
class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(double v);  // non-finite numbers become null
  JsonWriter& value(int64_t v);
  JsonWriter& value(int v) { return value(int64_t(v)); }
  JsonWriter& value(bool v);
  const std::string& str() const { return out_; }

 private:
  void separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace tvlite::bench
