#include "bench/json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tvlite::bench {
namespace {

constexpr int kMaxDepth = 64;

class Parser {
 public:
  explicit Parser(std::string_view t) : t_(t) {}

  bool parse(JsonValue* out, std::string* error) {
    skip_ws();
    if (!value(out, 0)) return report(error);
    skip_ws();
    if (i_ != t_.size()) {
      fail("unexpected text after the JSON value");
      return report(error);
    }
    return true;
  }

 private:
  bool report(std::string* error) {
    size_t line = 1, col = 1;
    for (size_t k = 0; k < err_at_ && k < t_.size(); ++k) {
      if (t_[k] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    *error = "line " + std::to_string(line) + ", column " + std::to_string(col) + ": " + err_;
    return false;
  }
  bool fail(const std::string& what) {
    if (err_.empty()) {
      err_ = what;
      err_at_ = i_;
    }
    return false;
  }
  void skip_ws() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) {
      ++i_;
    }
  }
  bool literal(const char* word) {
    const size_t n = std::strlen(word);
    if (t_.substr(i_, n) != word) return fail("unknown literal");
    i_ += n;
    return true;
  }

  bool value(JsonValue* v, int depth) {
    if (depth > kMaxDepth) return fail("nested deeper than 64 levels");
    if (i_ >= t_.size()) return fail("unexpected end of input");
    const char c = t_[i_];
    if (c == '{') return object(v, depth);
    if (c == '[') return array(v, depth);
    if (c == '"') {
      v->type = JsonValue::Type::kString;
      return string(&v->string);
    }
    if (c == 't' || c == 'f') {
      v->type = JsonValue::Type::kBool;
      v->boolean = c == 't';
      return literal(c == 't' ? "true" : "false");
    }
    if (c == 'n') {
      v->type = JsonValue::Type::kNull;
      return literal("null");
    }
    if (c == '-' || (c >= '0' && c <= '9')) return number(v);
    return fail(std::string("unexpected character '") + (c >= 0x20 && c < 0x7f ? c : '?') + "'");
  }

  bool object(JsonValue* v, int depth) {
    v->type = JsonValue::Type::kObject;
    ++i_;  // {
    skip_ws();
    if (i_ < t_.size() && t_[i_] == '}') {
      ++i_;
      return true;
    }
    for (;;) {
      skip_ws();
      if (i_ >= t_.size() || t_[i_] != '"') return fail("expected a string key");
      std::string k;
      if (!string(&k)) return false;
      skip_ws();
      if (i_ >= t_.size() || t_[i_] != ':') return fail("expected ':' after a key");
      ++i_;
      skip_ws();
      v->object.emplace_back(std::move(k), JsonValue());
      if (!value(&v->object.back().second, depth + 1)) return false;
      skip_ws();
      if (i_ < t_.size() && t_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < t_.size() && t_[i_] == '}') {
        ++i_;
        return true;
      }
      return fail("expected ',' or '}' in an object");
    }
  }

  bool array(JsonValue* v, int depth) {
    v->type = JsonValue::Type::kArray;
    ++i_;  // [
    skip_ws();
    if (i_ < t_.size() && t_[i_] == ']') {
      ++i_;
      return true;
    }
    for (;;) {
      skip_ws();
      v->array.emplace_back();
      if (!value(&v->array.back(), depth + 1)) return false;
      skip_ws();
      if (i_ < t_.size() && t_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < t_.size() && t_[i_] == ']') {
        ++i_;
        return true;
      }
      return fail("expected ',' or ']' in an array");
    }
  }

  bool hex4(unsigned* out) {
    if (t_.size() - i_ < 4) return fail("truncated \\u escape");
    unsigned u = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = t_[i_++];
      u <<= 4;
      if (h >= '0' && h <= '9') u |= unsigned(h - '0');
      else if (h >= 'a' && h <= 'f') u |= unsigned(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') u |= unsigned(h - 'A' + 10);
      else return fail("bad hex digit in a \\u escape");
    }
    *out = u;
    return true;
  }

  static void append_utf8(unsigned cp, std::string* s) {
    if (cp < 0x80) {
      s->push_back(char(cp));
    } else if (cp < 0x800) {
      s->push_back(char(0xc0 | (cp >> 6)));
      s->push_back(char(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      s->push_back(char(0xe0 | (cp >> 12)));
      s->push_back(char(0x80 | ((cp >> 6) & 0x3f)));
      s->push_back(char(0x80 | (cp & 0x3f)));
    } else {
      s->push_back(char(0xf0 | (cp >> 18)));
      s->push_back(char(0x80 | ((cp >> 12) & 0x3f)));
      s->push_back(char(0x80 | ((cp >> 6) & 0x3f)));
      s->push_back(char(0x80 | (cp & 0x3f)));
    }
  }

  bool string(std::string* s) {
    ++i_;  // opening quote
    for (;;) {
      if (i_ >= t_.size()) return fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(t_[i_++]);
      if (c == '"') return true;
      if (c < 0x20) return fail("control character inside a string");
      if (c != '\\') {
        s->push_back(char(c));
        continue;
      }
      if (i_ >= t_.size()) return fail("unterminated escape");
      const char e = t_[i_++];
      switch (e) {
        case '"': s->push_back('"'); break;
        case '\\': s->push_back('\\'); break;
        case '/': s->push_back('/'); break;
        case 'b': s->push_back('\b'); break;
        case 'f': s->push_back('\f'); break;
        case 'n': s->push_back('\n'); break;
        case 'r': s->push_back('\r'); break;
        case 't': s->push_back('\t'); break;
        case 'u': {
          unsigned cp = 0;
          if (!hex4(&cp)) return false;
          if (cp >= 0xd800 && cp < 0xdc00 && t_.substr(i_, 2) == "\\u") {
            i_ += 2;
            unsigned lo = 0;
            if (!hex4(&lo)) return false;
            if (lo < 0xdc00 || lo >= 0xe000) return fail("bad surrogate pair");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          }
          append_utf8(cp, s);
          break;
        }
        default:
          return fail("unknown escape in a string");
      }
    }
  }

  bool number(JsonValue* v) {
    const size_t start = i_;
    if (t_[i_] == '-') ++i_;
    auto digits = [&] {
      const size_t d = i_;
      while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') ++i_;
      return i_ > d;
    };
    if (i_ < t_.size() && t_[i_] == '0') {
      ++i_;
    } else if (!digits()) {
      return fail("bad number");
    }
    if (i_ < t_.size() && t_[i_] == '.') {
      ++i_;
      if (!digits()) return fail("bad number: no digits after '.'");
    }
    if (i_ < t_.size() && (t_[i_] == 'e' || t_[i_] == 'E')) {
      ++i_;
      if (i_ < t_.size() && (t_[i_] == '+' || t_[i_] == '-')) ++i_;
      if (!digits()) return fail("bad number: no digits in the exponent");
    }
    const std::string token(t_.substr(start, i_ - start));
    v->type = JsonValue::Type::kNumber;
    v->number = std::strtod(token.c_str(), nullptr);
    if (!std::isfinite(v->number)) {
      i_ = start;
      return fail("number out of range");
    }
    return true;
  }

  std::string_view t_;
  size_t i_ = 0;
  std::string err_;
  size_t err_at_ = 0;
};

}  // namespace

const JsonValue* JsonValue::find(std::string_view key) const {
  if (type != Type::kObject) return nullptr;
  for (const auto& kv : object) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

bool parse_json(std::string_view text, JsonValue* out, std::string* error) {
  *out = JsonValue();
  return Parser(text).parse(out, error);
}

std::string json_quote(std::string_view text) {
  std::string s = "\"";
  for (const char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      s.push_back('\\');
      s.push_back(ch);
    } else if (c == '\n') {
      s += "\\n";
    } else if (c == '\t') {
      s += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(c));
      s += buf;
    } else {
      s.push_back(ch);
    }
  }
  s.push_back('"');
  return s;
}

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_.push_back(',');
    first_.back() = false;
  }
}

JsonWriter& JsonWriter::begin_object() {
  separate();
  out_.push_back('{');
  first_.push_back(true);
  return *this;
}
JsonWriter& JsonWriter::end_object() {
  out_.push_back('}');
  first_.pop_back();
  return *this;
}
JsonWriter& JsonWriter::begin_array() {
  separate();
  out_.push_back('[');
  first_.push_back(true);
  return *this;
}
JsonWriter& JsonWriter::end_array() {
  out_.push_back(']');
  first_.pop_back();
  return *this;
}
JsonWriter& JsonWriter::key(std::string_view k) {
  separate();
  out_ += json_quote(k);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}
JsonWriter& JsonWriter::value(std::string_view s) {
  separate();
  out_ += json_quote(s);
  return *this;
}
JsonWriter& JsonWriter::value(double v) {
  separate();
  if (!std::isfinite(v)) {
    out_ += "null";
    return *this;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  out_ += buf;
  return *this;
}
JsonWriter& JsonWriter::value(int64_t v) {
  separate();
  out_ += std::to_string(v);
  return *this;
}
JsonWriter& JsonWriter::value(bool v) {
  separate();
  out_ += v ? "true" : "false";
  return *this;
}

}  // namespace tvlite::bench
