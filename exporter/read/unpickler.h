// A small, strict, bounds-checked unpickler for the pickles torch.save writes (protocols 2-5).
// It builds a tree of plain values and never imports or calls anything: GLOBAL yields a named
// reference, and REDUCE / NEWOBJ / BUILD on a global yield an Object node that records the
// callable and its arguments. torch_objects.h gives those nodes their meaning.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tvlite::exporter::pickle {

struct Value;
using Ref = std::shared_ptr<Value>;

struct Value {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kBigInt,
    kFloat,
    kStr,
    kBytes,
    kTuple,
    kList,
    kDict,
    kGlobal,      // module + name
    kObject,      // callable (a kGlobal) applied to args, plus BUILD state if any
    kPersistent,  // BINPERSID: the persistent id tuple in items[0]
  };
  Kind kind = Kind::kNone;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;                          // kStr, kBytes, kBigInt (raw little-endian bytes)
  std::string module, name;               // kGlobal
  std::vector<Ref> items;                 // kTuple, kList; kObject: {callable, args, state?}
  std::vector<std::pair<Ref, Ref>> dict;  // kDict, in insertion order

  std::string qualified_name() const { return module + "." + name; }
};

const char* kind_name(Value::Kind k);
// Short description for error messages: "a list", "a str 'abc'", "an object collections.X".
std::string describe(const Value& v);

// Parses one pickle from data[*pos, size), advancing *pos past its STOP. Throws ExportError
// naming the opcode and byte offset of anything malformed or not supported.
Ref unpickle(const uint8_t* data, size_t size, size_t* pos);

}  // namespace tvlite::exporter::pickle
