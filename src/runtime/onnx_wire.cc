#include "runtime/onnx_wire.h"

#include <cstring>
#include <limits>

namespace paramscale::runtime::onnx_wire {

namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "fixed32/fixed64 fields are decoded by memcpy, which needs a little-endian host");

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// One field as read from the wire: `value` for varint/fixed32/fixed64, `bytes` (and the offset of
// their first byte in the whole input, for error messages) for length-delimited fields.
struct Field {
  uint32_t number = 0;
  uint32_t wire_type = 0;
  uint64_t value = 0;
  std::string_view bytes;
  size_t bytes_offset = 0;
};

Error wire_error(size_t offset, const std::string& what) {
  return bad_input("protobuf parse failed at byte " + std::to_string(offset) + ": " + what);
}

// Decodes a base-128 varint of at most max_bytes bytes at data[*pos]; bits beyond 64 are dropped,
// as libprotobuf does. Returns nullptr on success, else why it failed (*pos is then unchanged).
const char* decode_varint(std::string_view data, size_t* pos, int max_bytes, uint64_t* v) {
  uint64_t result = 0;
  size_t p = *pos;
  for (int i = 0; i < max_bytes; ++i) {
    if (p >= data.size()) return "truncated varint";
    const auto byte = static_cast<uint8_t>(data[p++]);
    result |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if (!(byte & 0x80)) {
      *v = result;
      *pos = p;
      return nullptr;
    }
  }
  return max_bytes == 5 ? "varint longer than 5 bytes" : "varint longer than 10 bytes";
}

// Reads fields from one message's bytes. Every read checks the bytes that are left first; `base` is
// the offset of data[0] in the whole input (for errors) and `depth` the nesting level.
class Reader {
 public:
  Reader(std::string_view data, size_t base, int depth) : data_(data), base_(base), depth_(depth) {}

  bool done() const { return pos_ >= data_.size(); }

  // The next field; a group is skipped whole and returned with wire type kStartGroup.
  Status next(Field* f) {
    const size_t at = pos_;
    if (Status s = tag(f); !s.ok()) return s;
    switch (f->wire_type) {
      case kStartGroup:
        return skip_group(f->number, depth_ + 1);
      case kEndGroup:
        return error(at, "end-group tag without a group");
      default:
        return payload(f);
    }
  }

  // A reader over a length-delimited field's bytes, one level deeper.
  Result<Reader> nested(const Field& f) const {
    if (depth_ + 1 > kMaxDepth)
      return wire_error(f.bytes_offset,
                        "messages nested deeper than " + std::to_string(kMaxDepth) + " levels");
    return Reader(f.bytes, f.bytes_offset, depth_ + 1);
  }

 private:
  Error error(size_t pos, const std::string& what) const { return wire_error(base_ + pos, what); }

  Status varint(uint64_t* v, int max_bytes) {
    const size_t at = pos_;
    const char* why = decode_varint(data_, &pos_, max_bytes, v);
    return why ? Status(error(at, why)) : Status();
  }

  // A tag: a varint32 with a non-zero field number. Like libprotobuf, read at most 5 bytes and
  // keep the low 32 bits.
  Status tag(Field* f) {
    const size_t at = pos_;
    uint64_t v = 0;
    if (Status s = varint(&v, 5); !s.ok()) return s;
    const auto t = static_cast<uint32_t>(v);
    f->number = static_cast<uint32_t>(t >> 3);
    f->wire_type = static_cast<uint32_t>(t & 7);
    if (f->number == 0) return error(at, "field number 0");
    return {};
  }

  // The payload of a field whose tag was just read (not a group tag).
  Status payload(Field* f) {
    switch (f->wire_type) {
      case kVarint:
        return varint(&f->value, 10);
      case kFixed64:
        return fixed(8, &f->value);
      case kFixed32:
        return fixed(4, &f->value);
      case kLengthDelimited:
        return length_delimited(f);
      default:
        return error(pos_, "invalid wire type " + std::to_string(f->wire_type));
    }
  }

  Status fixed(size_t n, uint64_t* v) {
    if (data_.size() - pos_ < n)
      return error(pos_, "truncated fixed" + std::to_string(8 * n) + " field");
    uint64_t result = 0;
    std::memcpy(&result, data_.data() + pos_, n);  // little-endian host (static_assert above)
    pos_ += n;
    *v = result;
    return {};
  }

  Status length_delimited(Field* f) {
    const size_t at = pos_;
    uint64_t len = 0;
    // libprotobuf reads a length as a varint32 of at most 5 bytes that must fit an int.
    if (Status s = varint(&len, 5); !s.ok()) return s;
    if (len > static_cast<uint64_t>(std::numeric_limits<int32_t>::max()))
      return error(at, "length " + std::to_string(len) + " beyond 2 GiB");
    const size_t left = data_.size() - pos_;
    if (len > left)
      return error(at, "length " + std::to_string(len) + " exceeds the " + std::to_string(left) +
                           " bytes left");
    f->bytes = data_.substr(pos_, static_cast<size_t>(len));
    f->bytes_offset = base_ + pos_;
    pos_ += static_cast<size_t>(len);
    return {};
  }

  // Skips fields up to the end-group tag of `number`; nested groups recurse, depth-limited.
  Status skip_group(uint32_t number, int depth) {
    const size_t start = pos_;
    if (depth > kMaxDepth)
      return error(start, "groups nested deeper than " + std::to_string(kMaxDepth) + " levels");
    for (;;) {
      if (done()) return error(start, "group " + std::to_string(number) + " is not closed");
      const size_t at = pos_;
      Field f;
      if (Status s = tag(&f); !s.ok()) return s;
      if (f.wire_type == kEndGroup)
        return f.number == number ? Status() : error(at, "end-group tag does not match its group");
      Status s = f.wire_type == kStartGroup ? skip_group(f.number, depth + 1) : payload(&f);
      if (!s.ok()) return s;
    }
  }

  std::string_view data_;
  size_t pos_ = 0;
  size_t base_ = 0;
  int depth_ = 0;
};

// Calls fn(value) for each varint of a repeated varint field, packed or not. Other wire types are
// an unknown field to libprotobuf, so they are ignored here too.
template <typename Fn>
Status for_each_varint(const Field& f, Fn fn) {
  if (f.wire_type == kVarint) {
    fn(f.value);
    return {};
  }
  if (f.wire_type != kLengthDelimited) return {};
  size_t pos = 0;
  while (pos < f.bytes.size()) {  // a packed run: varints back to back
    uint64_t v = 0;
    const size_t at = pos;
    if (const char* why = decode_varint(f.bytes, &pos, 10, &v))
      return wire_error(f.bytes_offset + at, std::string(why) + " in a packed field");
    fn(v);
  }
  return {};
}

// The same for fixed-width values (4 or 8 bytes): fn(raw little-endian bits).
template <typename Fn>
Status for_each_fixed(const Field& f, size_t width, Fn fn) {
  const uint32_t single = width == 4 ? kFixed32 : kFixed64;
  if (f.wire_type == single) {
    fn(f.value);
    return {};
  }
  if (f.wire_type != kLengthDelimited) return {};
  if (f.bytes.size() % width != 0)
    return wire_error(f.bytes_offset, "packed field of " + std::to_string(f.bytes.size()) +
                                          " bytes is not a multiple of " + std::to_string(width));
  for (size_t i = 0; i < f.bytes.size(); i += width) {
    uint64_t v = 0;
    std::memcpy(&v, f.bytes.data() + i, width);
    fn(v);
  }
  return {};
}

// Parses a length-delimited field as a message into *out (merging, as libprotobuf does).
template <typename T, typename Parse>
Status parse_nested(const Reader& r, const Field& f, T* out, Parse parse) {
  auto sub = r.nested(f);
  if (!sub.ok()) return sub.error();
  return parse(*sub, out);
}

std::string text(const Field& f) { return std::string(f.bytes); }

Status parse_dim(Reader r, Dim* d) {
  Field f;
  while (!r.done()) {
    if (Status s = r.next(&f); !s.ok()) return s;
    if (f.number == 1 && f.wire_type == kVarint) {
      *d = Dim{};  // oneof: dim_value clears dim_param
      d->has_value = true;
      d->value = static_cast<int64_t>(f.value);
    } else if (f.number == 2 && f.wire_type == kLengthDelimited) {
      *d = Dim{};
      d->has_param = true;
      d->param = text(f);
    }
  }
  return {};
}

Status parse_shape(Reader r, std::vector<Dim>* dims) {
  Field f;
  while (!r.done()) {
    if (Status s = r.next(&f); !s.ok()) return s;
    if (f.number == 1 && f.wire_type == kLengthDelimited) {
      dims->emplace_back();
      if (Status s = parse_nested(r, f, &dims->back(), parse_dim); !s.ok()) return s;
    }
  }
  return {};
}

Status parse_tensor_type(Reader r, ValueInfo* v) {
  Field f;
  while (!r.done()) {
    if (Status s = r.next(&f); !s.ok()) return s;
    if (f.number == 1 && f.wire_type == kVarint) {
      v->elem_type = static_cast<int32_t>(f.value);
    } else if (f.number == 2 && f.wire_type == kLengthDelimited) {
      v->has_shape = true;
      if (Status s = parse_nested(r, f, &v->shape, parse_shape); !s.ok()) return s;
    }
  }
  return {};
}

// TypeProto: tensor_type(1) is kept; the other oneof members (sequence 4, map 5, opaque 7,
// sparse_tensor 8, optional 9) clear it, as setting another member of a oneof does.
Status parse_type(Reader r, ValueInfo* v) {
  Field f;
  while (!r.done()) {
    if (Status s = r.next(&f); !s.ok()) return s;
    if (f.wire_type != kLengthDelimited) continue;
    if (f.number == 1) {
      v->has_tensor_type = true;
      if (Status s = parse_nested(r, f, v, parse_tensor_type); !s.ok()) return s;
    } else if (f.number == 4 || f.number == 5 || f.number == 7 || f.number == 8 || f.number == 9) {
      v->has_tensor_type = false;
      v->elem_type = kUndefined;
      v->has_shape = false;
      v->shape.clear();
    }
  }
  return {};
}

Status parse_value_info(Reader r, ValueInfo* v) {
  Field f;
  while (!r.done()) {
    if (Status s = r.next(&f); !s.ok()) return s;
    if (f.number == 1 && f.wire_type == kLengthDelimited) {
      v->name = text(f);
    } else if (f.number == 2 && f.wire_type == kLengthDelimited) {
      if (Status s = parse_nested(r, f, v, parse_type); !s.ok()) return s;
    }
  }
  return {};
}

Status parse_node(Reader r, Node* n) {
  Field f;
  while (!r.done()) {
    if (Status s = r.next(&f); !s.ok()) return s;
    if (f.wire_type != kLengthDelimited) continue;
    if (f.number == 1)
      n->inputs.push_back(text(f));
    else if (f.number == 2)
      n->outputs.push_back(text(f));
    else if (f.number == 3)
      n->name = text(f);
    else if (f.number == 4)
      n->op_type = text(f);
    else if (f.number == 7)
      n->domain = text(f);
  }
  return {};
}

// The typed data fields of a TensorProto: counted, float_data kept on request.
Status tensor_values(const Field& f, Tensor* t, bool keep_floats) {
  const auto count = [t](uint64_t) { ++t->typed_values; };
  switch (f.number) {
    case 4:  // float_data
      return for_each_fixed(f, 4, [t, keep_floats](uint64_t bits) {
        ++t->typed_values;
        if (!keep_floats) return;
        const auto b = static_cast<uint32_t>(bits);
        float x;
        std::memcpy(&x, &b, sizeof x);
        t->float_data.push_back(x);
      });
    case 5:   // int32_data
    case 7:   // int64_data
    case 11:  // uint64_data
      return for_each_varint(f, count);
    case 10:  // double_data
      return for_each_fixed(f, 8, count);
    case 6:  // string_data: one value per field
      if (f.wire_type == kLengthDelimited) ++t->typed_values;
      return {};
    default:
      return {};
  }
}

Status parse_tensor_fields(Reader r, Tensor* t, bool keep_floats) {
  Field f;
  while (!r.done()) {
    if (Status s = r.next(&f); !s.ok()) return s;
    if (f.number == 1) {
      Status s = for_each_varint(f, [t](uint64_t v) { t->dims.push_back(int64_t(v)); });
      if (!s.ok()) return s;
    } else if (f.number == 2 && f.wire_type == kVarint) {
      t->data_type = static_cast<int32_t>(f.value);
    } else if (f.number == 8 && f.wire_type == kLengthDelimited) {
      t->name = text(f);
    } else if (f.number == 9 && f.wire_type == kLengthDelimited) {
      t->has_raw_data = true;
      t->raw_data = f.bytes;
    } else if (Status s = tensor_values(f, t, keep_floats); !s.ok()) {
      return s;
    }
  }
  return {};
}

Status parse_initializer(Reader r, Tensor* t) { return parse_tensor_fields(r, t, false); }

Status parse_graph(Reader r, Graph* g) {
  Field f;
  while (!r.done()) {
    if (Status s = r.next(&f); !s.ok()) return s;
    if (f.wire_type != kLengthDelimited) continue;
    Status s;
    if (f.number == 1) {
      g->nodes.emplace_back();
      s = parse_nested(r, f, &g->nodes.back(), parse_node);
    } else if (f.number == 5) {
      g->initializers.emplace_back();
      s = parse_nested(r, f, &g->initializers.back(), parse_initializer);
    } else if (f.number == 11 || f.number == 12) {
      auto& list = f.number == 11 ? g->inputs : g->outputs;
      list.emplace_back();
      s = parse_nested(r, f, &list.back(), parse_value_info);
    }
    if (!s.ok()) return s;
  }
  return {};
}

Status parse_opset(Reader r, OpsetId* o) {
  Field f;
  while (!r.done()) {
    if (Status s = r.next(&f); !s.ok()) return s;
    if (f.number == 1 && f.wire_type == kLengthDelimited)
      o->domain = text(f);
    else if (f.number == 2 && f.wire_type == kVarint)
      o->version = static_cast<int64_t>(f.value);
  }
  return {};
}

}  // namespace

Result<Model> parse_model(std::string_view bytes) {
  Model m;
  Reader r(bytes, 0, 0);
  Field f;
  while (!r.done()) {
    if (Status s = r.next(&f); !s.ok()) return s.error();
    if (f.wire_type != kLengthDelimited) continue;
    Status s;
    if (f.number == 7) {
      m.has_graph = true;  // a second graph field merges into the first
      s = parse_nested(r, f, &m.graph, parse_graph);
    } else if (f.number == 8) {
      m.opset_import.emplace_back();
      s = parse_nested(r, f, &m.opset_import.back(), parse_opset);
    }
    if (!s.ok()) return s.error();
  }
  return m;
}

Result<Tensor> parse_tensor(std::string_view bytes, bool keep_float_data) {
  Tensor t;
  if (Status s = parse_tensor_fields(Reader(bytes, 0, 0), &t, keep_float_data); !s.ok())
    return s.error();
  return t;
}

}  // namespace paramscale::runtime::onnx_wire
