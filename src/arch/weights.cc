#include "arch/weights.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "util/atomic_file.h"
#include "util/files.h"

namespace paramscale::arch {

namespace {
constexpr char kMagic[8] = {'P', 'S', 'W', 'E', 'I', 'G', 'H', 'T'};
constexpr uint32_t kVersion = 1;
constexpr int64_t kMaxElements = int64_t{1} << 32;

// splitmix64: a portable, seedable generator (std distributions differ between libraries).
struct SplitMix {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  float uniform(float bound) {  // in [-bound, bound)
    return static_cast<float>((static_cast<double>(next() >> 11) / 9007199254740992.0) * 2 - 1) *
           bound;
  }
};

std::string shape_text(const std::vector<int64_t>& s) {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); ++i) t += (i ? "," : "") + std::to_string(s[i]);
  return t + "]";
}
}  // namespace

int64_t Tensor::elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Weights weight_shapes(const Network& net) {
  Weights w;
  for (const Layer& l : net.layers) {
    switch (l.op) {
      case Op::Conv:
        w[l.name + ".weight"].shape = {l.out.c, l.in.c / l.groups, l.kernel, l.kernel};
        if (l.bias) w[l.name + ".bias"].shape = {l.out.c};
        break;
      case Op::Linear:
        w[l.name + ".weight"].shape = {l.out.c, l.in.c};
        if (l.bias) w[l.name + ".bias"].shape = {l.out.c};
        break;
      case Op::BatchNorm:
        for (const char* k : {".weight", ".bias", ".running_mean", ".running_var"})
          w[l.name + k].shape = {l.out.c};
        break;
      default:
        break;
    }
  }
  return w;
}

Weights random_weights(const Network& net, uint64_t seed) {
  Weights w = weight_shapes(net);
  SplitMix rng{seed};
  for (auto& [name, t] : w) {  // std::map: a fixed order, so values depend only on seed and shapes
    t.data.assign(static_cast<size_t>(t.elements()), 0.0f);
    // C++17 lambdas cannot capture a structured binding (clang refuses; the fuzz build is clang).
    const auto ends_with = [&key = name](const char* s) {
      return key.size() >= std::strlen(s) &&
             key.compare(key.size() - std::strlen(s), std::string::npos, s) == 0;
    };
    if (t.shape.size() > 1) {
      const int64_t fan_in = t.elements() / t.shape[0];
      const float bound = std::sqrt(6.0f / static_cast<float>(fan_in));
      for (float& v : t.data) v = rng.uniform(bound);
    } else if (ends_with(".running_var") || (ends_with(".weight"))) {
      std::fill(t.data.begin(), t.data.end(), 1.0f);
    } else if (ends_with(".bias") || ends_with(".running_mean")) {
      for (float& v : t.data) v = rng.uniform(0.01f);
    }
  }
  return w;
}

Status check_weights(const Network& net, const Weights& weights) {
  const Weights expected = weight_shapes(net);
  for (const auto& [name, t] : expected) {
    auto it = weights.find(name);
    if (it == weights.end()) return bad_input("weights lack tensor '" + name + "'");
    if (it->second.shape != t.shape)
      return bad_input("weights tensor '" + name + "' has shape " + shape_text(it->second.shape) +
                       ", the network needs " + shape_text(t.shape));
    if (static_cast<int64_t>(it->second.data.size()) != t.elements())
      return bad_input("weights tensor '" + name + "' holds the wrong number of values");
  }
  for (const auto& [name, t] : weights)
    if (!expected.count(name))
      return bad_input("weights have a tensor '" + name + "' the network does not");
  return {};
}

Status write_weights(const std::string& path, const Weights& weights) {
  std::string bytes(kMagic, 8);
  auto raw = [&](const void* p, size_t n) { bytes.append(static_cast<const char*>(p), n); };
  auto u32 = [&](uint32_t v) { raw(&v, 4); };
  u32(kVersion);
  u32(static_cast<uint32_t>(weights.size()));
  for (const auto& [name, t] : weights) {
    u32(static_cast<uint32_t>(name.size()));
    raw(name.data(), name.size());
    u32(static_cast<uint32_t>(t.shape.size()));
    raw(t.shape.data(), t.shape.size() * sizeof(int64_t));
    raw(t.data.data(), t.data.size() * sizeof(float));
  }
  return write_file_atomic(path, bytes);
}

Result<Weights> read_weights(const std::string& path) {
  auto size = regular_file_size(path, "weights file");
  if (!size.ok()) return size.error();
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad_input("cannot open weights file " + path);
  // Every size the file declares is checked against the bytes it still has before allocating.
  int64_t left = *size;
  const auto truncated = [&] { return bad_input("weights file " + path + " is truncated"); };
  const auto take = [&](void* out, int64_t n) {
    if (n > left || !in.read(static_cast<char*>(out), static_cast<std::streamsize>(n)))
      return false;
    left -= n;
    return true;
  };
  char magic[8];
  if (!take(magic, 8)) return truncated();
  if (std::memcmp(magic, kMagic, 8) != 0)
    return bad_input(path + " is not a paramscale weights file (bad magic)");
  uint32_t version = 0, count = 0;
  if (!take(&version, 4)) return truncated();
  if (version != kVersion)
    return bad_input("weights file " + path + " has version " + std::to_string(version) +
                     ", expected 1");
  if (!take(&count, 4)) return truncated();
  if (count > 100000 || int64_t{count} * 12 > left)
    return bad_input("weights file " + path + " claims " + std::to_string(count) +
                     " tensors, more than it can hold");
  Weights w;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t len = 0, rank = 0;
    if (!take(&len, 4)) return truncated();
    if (len == 0 || len > 4096)
      return bad_input("weights file " + path + " has a bad tensor name length");
    std::string name(std::min<int64_t>(len, left), '\0');
    if (!take(name.data(), len)) return truncated();
    // Names are layer names: printable ASCII (messages quote them, and must stay one line).
    for (const char c : name)
      if (c < 0x21 || c > 0x7e)
        return bad_input("weights file " + path + " has a tensor name that is not printable ASCII");
    if (!take(&rank, 4)) return truncated();
    if (rank > 8)
      return bad_input("weights tensor '" + name + "' in " + path + " has rank " +
                       std::to_string(rank));
    Tensor t;
    t.shape.resize(rank);
    if (!take(t.shape.data(), int64_t{rank} * 8)) return truncated();
    int64_t n = 1;
    for (int64_t d : t.shape) {
      // Divide before multiplying: two dimensions near the cap would overflow int64 (fuzzer find).
      if (d < 0 || d > kMaxElements || (d != 0 && n > kMaxElements / d))
        return bad_input("weights tensor '" + name + "' in " + path + " has an impossible shape");
      n *= d;
    }
    if (n * int64_t{sizeof(float)} > left)
      return bad_input("weights tensor '" + name + "' in " + path + " claims " + std::to_string(n) +
                       " values; the file is truncated or damaged");
    t.data.resize(static_cast<size_t>(n));
    if (!take(t.data.data(), n * int64_t{sizeof(float)})) return truncated();
    if (!w.emplace(name, std::move(t)).second)
      return bad_input("weights file " + path + " has tensor '" + name + "' twice");
  }
  if (left != 0 || in.peek() != std::char_traits<char>::eof())
    return bad_input("weights file " + path + " has trailing bytes after its last tensor");
  return w;
}

}  // namespace paramscale::arch
