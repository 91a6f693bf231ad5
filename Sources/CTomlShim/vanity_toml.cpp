// Flattens a toml++ document into the C node list declared in vanity_toml.h.
// toml++ 3.3 asserts (or, under NDEBUG, *assumes*) conditions that some
// malformed inputs violate; its parser reports those inputs as errors right
// after the check, so the check is disabled rather than allowed to abort the
// process or become undefined behaviour. Found by ManifestFuzzTests.
#undef NDEBUG
#define TOML_ASSERT(expr) ((void)0)
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

#include "vanity_toml.h"

#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

struct Builder {
  std::vector<vt_node> nodes;
  std::deque<std::string> strings;  // stable storage for every const char*

  const char *keep(std::string s, size_t *len) {
    strings.push_back(std::move(s));
    *len = strings.back().size();
    return strings.back().c_str();
  }

  template <typename T>
  static std::string text_of(const T &v) {
    std::string out;
    char buf[64];
    if constexpr (std::is_same_v<T, toml::date>) {
      std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", unsigned(v.year), unsigned(v.month), unsigned(v.day));
      out = buf;
    } else if constexpr (std::is_same_v<T, toml::time>) {
      std::snprintf(buf, sizeof buf, "%02u:%02u:%02u", unsigned(v.hour), unsigned(v.minute), unsigned(v.second));
      out = buf;
    } else {
      out = text_of(v.date) + "T" + text_of(v.time);
    }
    return out;
  }

  void add(const toml::node &n, int32_t parent, const toml::key *key) {
    vt_node out;
    std::memset(&out, 0, sizeof out);
    out.parent = parent;
    if (key) {
      out.key = keep(std::string(key->str()), &out.key_len);
      out.key_line = key->source().begin.line;
      out.key_col = key->source().begin.column;
    }
    out.line = n.source().begin.line;
    out.col = n.source().begin.column;
    const int32_t self = static_cast<int32_t>(nodes.size());
    switch (n.type()) {
    case toml::node_type::table: {
      out.kind = VT_TABLE;
      out.inline_table = n.as_table()->is_inline() ? 1 : 0;
      nodes.push_back(out);
      for (auto &&[k, v] : *n.as_table()) add(v, self, &k);
      return;
    }
    case toml::node_type::array: {
      out.kind = VT_ARRAY;
      out.inline_table = 1;
      nodes.push_back(out);
      for (auto &&v : *n.as_array()) add(v, self, nullptr);
      return;
    }
    case toml::node_type::string:
      out.kind = VT_STRING;
      out.text = keep(n.as_string()->get(), &out.text_len);
      break;
    case toml::node_type::integer:
      out.kind = VT_INTEGER;
      out.integer = n.as_integer()->get();
      break;
    case toml::node_type::floating_point:
      out.kind = VT_FLOAT;
      out.real = n.as_floating_point()->get();
      break;
    case toml::node_type::boolean:
      out.kind = VT_BOOLEAN;
      out.boolean = n.as_boolean()->get() ? 1 : 0;
      break;
    case toml::node_type::date:
      out.kind = VT_DATE;
      out.text = keep(text_of(n.as_date()->get()), &out.text_len);
      break;
    case toml::node_type::time:
      out.kind = VT_TIME;
      out.text = keep(text_of(n.as_time()->get()), &out.text_len);
      break;
    case toml::node_type::date_time:
      out.kind = VT_DATETIME;
      out.text = keep(text_of(n.as_date_time()->get()), &out.text_len);
      break;
    default:
      out.kind = VT_STRING;
      out.text = keep("", &out.text_len);
      break;
    }
    nodes.push_back(out);
  }
};

struct Document {
  vt_document doc;
  Builder builder;
};

} // namespace

extern "C" vt_document *vt_parse(const char *text, size_t len) {
  Document *d = new (std::nothrow) Document();
  if (!d) return nullptr;
  std::memset(&d->doc, 0, sizeof d->doc);
  d->doc.opaque = d;
  toml::parse_result result = toml::parse(std::string_view(text, len));
  if (!result) {
    const toml::parse_error &err = result.error();
    std::string desc(err.description());
    d->doc.error = static_cast<char *>(std::malloc(desc.size() + 1));
    if (d->doc.error) std::memcpy(d->doc.error, desc.c_str(), desc.size() + 1);
    d->doc.error_line = err.source().begin.line;
    d->doc.error_col = err.source().begin.column;
    return &d->doc;
  }
  d->builder.add(result.table(), -1, nullptr);
  d->doc.nodes = d->builder.nodes.data();
  d->doc.count = d->builder.nodes.size();
  return &d->doc;
}

extern "C" void vt_free(vt_document *doc) {
  if (!doc) return;
  std::free(doc->error);
  delete static_cast<Document *>(doc->opaque);
}
