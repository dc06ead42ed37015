#include "read/unpickler.h"

#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "tvlite/exporter/state_dict.h"

namespace tvlite::exporter::pickle {
namespace {

const char* opcode_name(uint8_t op) {
  switch (op) {
    case 0x80:
      return "PROTO";
    case 0x95:
      return "FRAME";
    case '.':
      return "STOP";
    case '(':
      return "MARK";
    case '0':
      return "POP";
    case '1':
      return "POP_MARK";
    case '2':
      return "DUP";
    case '}':
      return "EMPTY_DICT";
    case ']':
      return "EMPTY_LIST";
    case ')':
      return "EMPTY_TUPLE";
    case 'X':
      return "BINUNICODE";
    case 0x8c:
      return "SHORT_BINUNICODE";
    case 0x8d:
      return "BINUNICODE8";
    case 'T':
      return "BINSTRING";
    case 'U':
      return "SHORT_BINSTRING";
    case 'B':
      return "BINBYTES";
    case 'C':
      return "SHORT_BINBYTES";
    case 0x8e:
      return "BINBYTES8";
    case 'J':
      return "BININT";
    case 'K':
      return "BININT1";
    case 'M':
      return "BININT2";
    case 0x8a:
      return "LONG1";
    case 0x8b:
      return "LONG4";
    case 'G':
      return "BINFLOAT";
    case 0x88:
      return "NEWTRUE";
    case 0x89:
      return "NEWFALSE";
    case 'N':
      return "NONE";
    case 'c':
      return "GLOBAL";
    case 0x93:
      return "STACK_GLOBAL";
    case 'q':
      return "BINPUT";
    case 'r':
      return "LONG_BINPUT";
    case 0x94:
      return "MEMOIZE";
    case 'h':
      return "BINGET";
    case 'j':
      return "LONG_BINGET";
    case 0x85:
      return "TUPLE1";
    case 0x86:
      return "TUPLE2";
    case 0x87:
      return "TUPLE3";
    case 't':
      return "TUPLE";
    case 'R':
      return "REDUCE";
    case 'b':
      return "BUILD";
    case 0x81:
      return "NEWOBJ";
    case 0x92:
      return "NEWOBJ_EX";
    case 's':
      return "SETITEM";
    case 'u':
      return "SETITEMS";
    case 'a':
      return "APPEND";
    case 'e':
      return "APPENDS";
    case 'Q':
      return "BINPERSID";
    case 'P':
      return "PERSID";
    case 'I':
      return "INT";
    case 'L':
      return "LONG";
    case 'F':
      return "FLOAT";
    case 'S':
      return "STRING";
    case 'V':
      return "UNICODE";
    case 'i':
      return "INST";
    case 'o':
      return "OBJ";
    case 'd':
      return "DICT";
    case 'l':
      return "LIST";
    case 'g':
      return "GET";
    case 'p':
      return "PUT";
    case 0x82:
      return "EXT1";
    case 0x83:
      return "EXT2";
    case 0x84:
      return "EXT4";
    case 0x8f:
      return "EMPTY_SET";
    case 0x90:
      return "ADDITEMS";
    case 0x91:
      return "FROZENSET";
    case 0x96:
      return "BYTEARRAY8";
    case 0x97:
      return "NEXT_BUFFER";
    case 0x98:
      return "READONLY_BUFFER";
    default:
      return "unknown";
  }
}

Ref make(Value::Kind k) {
  auto v = std::make_shared<Value>();
  v->kind = k;
  return v;
}

class Unpickler {
 public:
  Unpickler(const uint8_t* data, size_t size, size_t pos) : data_(data), size_(size), pos_(pos) {}

  Ref run(size_t* end) {
    for (;;) {
      op_pos_ = pos_;
      op_ = u8();
      if (step()) {
        if (stack_.size() != 1 || !marks_.empty()) fail("STOP with a malformed stack");
        *end = pos_;
        return stack_.back();
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    char buf[96];
    std::snprintf(buf, sizeof buf, "pickle opcode 0x%02x (%s) at byte %zu: ", op_, opcode_name(op_),
                  op_pos_);
    throw ExportError(buf + what);
  }

  const uint8_t* take(uint64_t n) {
    if (n > size_ - pos_)
      fail("needs " + std::to_string(n) + " bytes, only " + std::to_string(size_ - pos_) +
           " left (truncated pickle)");
    const uint8_t* p = data_ + pos_;
    pos_ += size_t(n);
    return p;
  }
  uint8_t u8() {
    if (pos_ >= size_) {
      op_pos_ = pos_;
      throw ExportError("pickle ends at byte " + std::to_string(pos_) +
                        " without STOP (truncated)");
    }
    return data_[pos_++];
  }
  uint64_t le(int n) {
    const uint8_t* p = take(n);
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; --k) v = (v << 8) | p[k];
    return v;
  }
  std::string text(uint64_t n) {
    const uint8_t* p = take(n);
    return std::string(reinterpret_cast<const char*>(p), size_t(n));
  }
  std::string line() {
    size_t start = pos_;
    while (pos_ < size_ && data_[pos_] != '\n') ++pos_;
    if (pos_ >= size_) fail("unterminated line");
    std::string s(reinterpret_cast<const char*>(data_ + start), pos_ - start);
    ++pos_;
    return s;
  }

  void push(Ref v) { stack_.push_back(std::move(v)); }
  Ref pop() {
    if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("stack underflow");
    Ref v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Ref& top() {
    if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("stack underflow");
    return stack_.back();
  }
  std::vector<Ref> pop_mark() {
    if (marks_.empty()) fail("no MARK");
    size_t m = marks_.back();
    marks_.pop_back();
    std::vector<Ref> items(stack_.begin() + m, stack_.end());
    stack_.resize(m);
    return items;
  }
  Ref tuple(std::vector<Ref> items) {
    Ref t = make(Value::Kind::kTuple);
    t->items = std::move(items);
    return t;
  }
  Ref str(Value::Kind k, uint64_t n) {
    Ref v = make(k);
    v->s = text(n);
    return v;
  }
  Ref integer(int64_t i) {
    Ref v = make(Value::Kind::kInt);
    v->i = i;
    return v;
  }
  Ref global(std::string module, std::string name) {
    Ref g = make(Value::Kind::kGlobal);
    g->module = std::move(module);
    g->name = std::move(name);
    return g;
  }
  void memo_put(uint64_t key) { memo_[key] = top(); }
  Ref memo_get(uint64_t key) {
    auto it = memo_.find(key);
    if (it == memo_.end()) fail("memo key " + std::to_string(key) + " was never stored");
    return it->second;
  }
  Ref apply(Ref callable, const Ref& args) {
    // The legacy torch.save records an nn.Module class as the persistent id
    // ('module', class, source_file, source): the class is what is called.
    if (callable->kind == Value::Kind::kPersistent && callable->items[0]->kind == Value::Kind::kTuple) {
      const std::vector<Ref>& pid = callable->items[0]->items;
      if (pid.size() >= 2 && pid[0]->kind == Value::Kind::kStr && pid[0]->s == "module" &&
          pid[1]->kind == Value::Kind::kGlobal)
        callable = pid[1];
    }
    if (callable->kind != Value::Kind::kGlobal)
      fail("calls " + describe(*callable) + ", not a global");
    if (args->kind != Value::Kind::kTuple)
      fail("arguments are " + describe(*args) + ", not a tuple");
    if (callable->module == "collections" && callable->name == "OrderedDict" && args->items.empty())
      return make(Value::Kind::kDict);
    Ref o = make(Value::Kind::kObject);
    o->items = {callable, args};
    return o;
  }
  void set_items(Ref& target, const std::vector<Ref>& kv) {
    if (target->kind != Value::Kind::kDict) fail("sets items of " + describe(*target));
    if (kv.size() % 2) fail("odd number of items");
    for (size_t k = 0; k < kv.size(); k += 2) target->dict.emplace_back(kv[k], kv[k + 1]);
  }
  void append(Ref& target, const std::vector<Ref>& v) {
    if (target->kind != Value::Kind::kList) fail("appends to " + describe(*target));
    target->items.insert(target->items.end(), v.begin(), v.end());
  }

  // Executes op_; true at STOP.
  bool step() {
    using K = Value::Kind;
    switch (op_) {
      case 0x80: {
        uint8_t proto = u8();
        if (proto < 2 || proto > 5) fail("protocol " + std::to_string(proto) + " (supported: 2-5)");
        return false;
      }
      case 0x95:
        le(8);
        return false;  // FRAME: framing is only a read-ahead hint
      case '.':
        return true;
      case '(':
        marks_.push_back(stack_.size());
        return false;
      case '0':
        pop();
        return false;
      case '1':
        pop_mark();
        return false;
      case '2':
        push(top());
        return false;
      case '}':
        push(make(K::kDict));
        return false;
      case ']':
        push(make(K::kList));
        return false;
      case ')':
        push(make(K::kTuple));
        return false;
      case 'X':
        push(str(K::kStr, le(4)));
        return false;
      case 0x8c:
        push(str(K::kStr, le(1)));
        return false;
      case 0x8d:
        push(str(K::kStr, le(8)));
        return false;
      case 'T':
        push(str(K::kStr, le(4)));
        return false;
      case 'U':
        push(str(K::kStr, le(1)));
        return false;
      case 'B':
        push(str(K::kBytes, le(4)));
        return false;
      case 'C':
        push(str(K::kBytes, le(1)));
        return false;
      case 0x8e:
        push(str(K::kBytes, le(8)));
        return false;
      case 'J':
        push(integer(int32_t(uint32_t(le(4)))));
        return false;
      case 'K':
        push(integer(int64_t(le(1))));
        return false;
      case 'M':
        push(integer(int64_t(le(2))));
        return false;
      case 0x8a:
      case 0x8b: {
        uint64_t n = le(op_ == 0x8a ? 1 : 4);
        const uint8_t* p = take(n);
        if (n <= 8) {
          uint64_t v = 0;
          for (uint64_t k = n; k-- > 0;) v = (v << 8) | p[k];
          if (n > 0 && n < 8 && (p[n - 1] & 0x80)) v |= ~uint64_t(0) << (8 * n);  // sign-extend
          push(integer(int64_t(v)));
        } else {
          Ref v = make(K::kBigInt);
          v->s.assign(reinterpret_cast<const char*>(p), size_t(n));
          push(v);
        }
        return false;
      }
      case 'G': {
        const uint8_t* p = take(8);
        uint64_t bits = 0;
        for (int k = 0; k < 8; ++k) bits = (bits << 8) | p[k];  // big-endian
        Ref v = make(K::kFloat);
        std::memcpy(&v->f, &bits, 8);
        push(v);
        return false;
      }
      case 0x88:
      case 0x89: {
        Ref v = make(K::kBool);
        v->b = op_ == 0x88;
        push(v);
        return false;
      }
      case 'N':
        push(make(K::kNone));
        return false;
      case 'c': {
        std::string module = line();
        push(global(module, line()));
        return false;
      }
      case 0x93: {
        Ref name = pop(), module = pop();
        if (module->kind != K::kStr || name->kind != K::kStr) fail("module and name must be str");
        push(global(module->s, name->s));
        return false;
      }
      case 'q':
        memo_put(le(1));
        return false;
      case 'r':
        memo_put(le(4));
        return false;
      case 0x94:
        memo_put(memo_.size());
        return false;
      case 'h':
        push(memo_get(le(1)));
        return false;
      case 'j':
        push(memo_get(le(4)));
        return false;
      case 0x85: {
        Ref a = pop();
        push(tuple({a}));
        return false;
      }
      case 0x86: {
        Ref b = pop(), a = pop();
        push(tuple({a, b}));
        return false;
      }
      case 0x87: {
        Ref c = pop(), b = pop(), a = pop();
        push(tuple({a, b, c}));
        return false;
      }
      case 't':
        push(tuple(pop_mark()));
        return false;
      case 'R':
      case 0x81: {
        Ref args = pop(), callable = pop();
        push(apply(callable, args));
        return false;
      }
      case 'b': {
        Ref state = pop();
        Ref& obj = top();
        if (obj->kind == K::kObject) {
          obj->items.resize(2);
          obj->items.push_back(state);
        } else if (obj->kind != K::kDict) {  // OrderedDict's _metadata: irrelevant here
          fail("BUILD on " + describe(*obj));
        }
        return false;
      }
      case 's': {
        Ref v = pop(), k = pop();
        set_items(top(), {k, v});
        return false;
      }
      case 'u': {
        std::vector<Ref> kv = pop_mark();
        set_items(top(), kv);
        return false;
      }
      case 'a': {
        Ref v = pop();
        append(top(), {v});
        return false;
      }
      case 'e': {
        std::vector<Ref> v = pop_mark();
        append(top(), v);
        return false;
      }
      case 'Q': {
        Ref pid = pop();
        Ref p = make(K::kPersistent);
        p->items = {pid};
        push(p);
        return false;
      }
      default:
        fail("is not supported by tvlite-export's unpickler");
    }
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_;
  size_t op_pos_ = 0;
  uint8_t op_ = 0;
  std::vector<Ref> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Ref> memo_;
};

}  // namespace

const char* kind_name(Value::Kind k) {
  switch (k) {
    case Value::Kind::kNone:
      return "None";
    case Value::Kind::kBool:
      return "bool";
    case Value::Kind::kInt:
      return "int";
    case Value::Kind::kBigInt:
      return "int";
    case Value::Kind::kFloat:
      return "float";
    case Value::Kind::kStr:
      return "str";
    case Value::Kind::kBytes:
      return "bytes";
    case Value::Kind::kTuple:
      return "tuple";
    case Value::Kind::kList:
      return "list";
    case Value::Kind::kDict:
      return "dict";
    case Value::Kind::kGlobal:
      return "global";
    case Value::Kind::kObject:
      return "object";
    case Value::Kind::kPersistent:
      return "persistent id";
  }
  return "?";
}

std::string describe(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNone:
      return "None";
    case Value::Kind::kInt:
      return "an int " + std::to_string(v.i);
    case Value::Kind::kStr: {
      std::string shown = v.s.substr(0, 40);
      for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';  // one line per error
      return "a str '" + shown + "'";
    }
    case Value::Kind::kGlobal:
      return "the global " + v.qualified_name();
    case Value::Kind::kObject:
      return "an object " + v.items[0]->qualified_name();
    case Value::Kind::kBigInt:
      return "a big int";
    default: {
      return std::string("a ") + kind_name(v.kind);
    }
  }
}

Ref unpickle(const uint8_t* data, size_t size, size_t* pos) {
  if (*pos > size) throw ExportError("pickle starts past the end of its data");
  Unpickler u(data, size, *pos);
  return u.run(pos);
}

}  // namespace tvlite::exporter::pickle
