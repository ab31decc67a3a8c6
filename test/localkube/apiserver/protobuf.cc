#include "test/localkube/apiserver/protobuf.h"

#include <map>

#include "test/localkube/apiserver/meta_util.h"

namespace tusk::localkube {
namespace {

using json = nlohmann::json;

enum class F { kString, kInt, kBool, kBytes, kMessage, kMapStringString, kMapStringBytes, kTime };

struct Field {
  Field(std::string n, F t, bool r = false, std::string m = "")
      : name(std::move(n)), type(t), repeated(r), message(std::move(m)) {}
  std::string name;
  F type;
  bool repeated;
  std::string message;  // for kMessage
};

using Schema = std::map<int, Field>;

const std::map<std::string, Schema>& Schemas() {
  static const std::map<std::string, Schema> s = {
      {"ObjectMeta",
       {{1, {"name", F::kString}}, {2, {"generateName", F::kString}}, {3, {"namespace", F::kString}},
        {5, {"uid", F::kString}}, {6, {"resourceVersion", F::kString}}, {7, {"generation", F::kInt}},
        {11, {"labels", F::kMapStringString}}, {12, {"annotations", F::kMapStringString}},
        {13, {"ownerReferences", F::kMessage, true, "OwnerReference"}}, {14, {"finalizers", F::kString, true}}}},
      {"OwnerReference",
       {{5, {"apiVersion", F::kString}}, {1, {"kind", F::kString}}, {3, {"name", F::kString}},
        {4, {"uid", F::kString}}, {6, {"controller", F::kBool}}, {7, {"blockOwnerDeletion", F::kBool}}}},
      {"ObjectReference",
       {{1, {"kind", F::kString}}, {2, {"namespace", F::kString}}, {3, {"name", F::kString}},
        {4, {"uid", F::kString}}, {5, {"apiVersion", F::kString}}}},
      {"LocalObjectReference", {{1, {"name", F::kString}}}},
      {"TokenRequest",
       {{1, {"metadata", F::kMessage, false, "ObjectMeta"}}, {2, {"spec", F::kMessage, false, "TokenRequestSpec"}}}},
      {"TokenRequestSpec",
       {{1, {"audiences", F::kString, true}}, {4, {"expirationSeconds", F::kInt}},
        {3, {"boundObjectRef", F::kMessage, false, "BoundObjectReference"}}}},
      {"BoundObjectReference",
       {{1, {"kind", F::kString}}, {2, {"apiVersion", F::kString}}, {3, {"name", F::kString}}, {4, {"uid", F::kString}}}},
      {"SelfSubjectAccessReview",
       {{1, {"metadata", F::kMessage, false, "ObjectMeta"}},
        {2, {"spec", F::kMessage, false, "SelfSubjectAccessReviewSpec"}}}},
      {"SelfSubjectAccessReviewSpec",
       {{1, {"resourceAttributes", F::kMessage, false, "ResourceAttributes"}},
        {2, {"nonResourceAttributes", F::kMessage, false, "NonResourceAttributes"}}}},
      {"ResourceAttributes",
       {{1, {"namespace", F::kString}}, {2, {"verb", F::kString}}, {3, {"group", F::kString}},
        {4, {"version", F::kString}}, {5, {"resource", F::kString}}, {6, {"subresource", F::kString}},
        {7, {"name", F::kString}}}},
      {"NonResourceAttributes", {{1, {"path", F::kString}}, {2, {"verb", F::kString}}}},
      {"SelfSubjectRulesReview",
       {{1, {"metadata", F::kMessage, false, "ObjectMeta"}}, {2, {"spec", F::kMessage, false, "SelfSubjectRulesReviewSpec"}}}},
      {"SelfSubjectRulesReviewSpec", {{1, {"namespace", F::kString}}}},
      {"SelfSubjectReview", {{1, {"metadata", F::kMessage, false, "ObjectMeta"}}}},
      {"ServiceAccount",
       {{1, {"metadata", F::kMessage, false, "ObjectMeta"}}, {2, {"secrets", F::kMessage, true, "ObjectReference"}},
        {3, {"imagePullSecrets", F::kMessage, true, "LocalObjectReference"}},
        {4, {"automountServiceAccountToken", F::kBool}}}},
      {"Namespace",
       {{1, {"metadata", F::kMessage, false, "ObjectMeta"}}, {2, {"spec", F::kMessage, false, "NamespaceSpec"}}}},
      {"NamespaceSpec", {{1, {"finalizers", F::kString, true}}}},
      {"ConfigMap",
       {{1, {"metadata", F::kMessage, false, "ObjectMeta"}}, {2, {"data", F::kMapStringString}},
        {3, {"binaryData", F::kMapStringBytes}}, {4, {"immutable", F::kBool}}}},
      {"Secret",
       {{1, {"metadata", F::kMessage, false, "ObjectMeta"}}, {2, {"data", F::kMapStringBytes}},
        {3, {"type", F::kString}}, {4, {"stringData", F::kMapStringString}}, {5, {"immutable", F::kBool}}}},
      {"PolicyRule",
       {{1, {"verbs", F::kString, true}}, {2, {"apiGroups", F::kString, true}}, {3, {"resources", F::kString, true}},
        {4, {"resourceNames", F::kString, true}}, {5, {"nonResourceURLs", F::kString, true}}}},
      {"Role", {{1, {"metadata", F::kMessage, false, "ObjectMeta"}}, {2, {"rules", F::kMessage, true, "PolicyRule"}}}},
      {"ClusterRole",
       {{1, {"metadata", F::kMessage, false, "ObjectMeta"}}, {2, {"rules", F::kMessage, true, "PolicyRule"}}}},
      {"Subject",
       {{1, {"kind", F::kString}}, {2, {"apiGroup", F::kString}}, {3, {"name", F::kString}}, {4, {"namespace", F::kString}}}},
      {"RoleRef", {{1, {"apiGroup", F::kString}}, {2, {"kind", F::kString}}, {3, {"name", F::kString}}}},
      {"RoleBinding",
       {{1, {"metadata", F::kMessage, false, "ObjectMeta"}}, {2, {"subjects", F::kMessage, true, "Subject"}},
        {3, {"roleRef", F::kMessage, false, "RoleRef"}}}},
      {"Deployment",
       {{1, {"metadata", F::kMessage, false, "ObjectMeta"}}, {2, {"spec", F::kMessage, false, "DeploymentSpec"}}}},
      {"DeploymentSpec",
       {{1, {"replicas", F::kInt}}, {2, {"selector", F::kMessage, false, "LabelSelector"}},
        {3, {"template", F::kMessage, false, "PodTemplateSpec"}}, {5, {"minReadySeconds", F::kInt}},
        {6, {"revisionHistoryLimit", F::kInt}}, {7, {"paused", F::kBool}}, {9, {"progressDeadlineSeconds", F::kInt}}}},
      {"LabelSelector", {{1, {"matchLabels", F::kMapStringString}}}},
      {"PodTemplateSpec",
       {{1, {"metadata", F::kMessage, false, "ObjectMeta"}}, {2, {"spec", F::kMessage, false, "PodSpec"}}}},
      {"PodSpec",
       {{2, {"containers", F::kMessage, true, "Container"}}, {3, {"restartPolicy", F::kString}},
        {4, {"terminationGracePeriodSeconds", F::kInt}}, {8, {"serviceAccountName", F::kString}},
        {10, {"nodeName", F::kString}}}},
      {"Container",
       {{1, {"name", F::kString}}, {2, {"image", F::kString}}, {3, {"command", F::kString, true}},
        {4, {"args", F::kString, true}}, {5, {"workingDir", F::kString}},
        {6, {"ports", F::kMessage, true, "ContainerPort"}}, {7, {"env", F::kMessage, true, "EnvVar"}},
        {14, {"imagePullPolicy", F::kString}}}},
      {"ContainerPort",
       {{1, {"name", F::kString}}, {2, {"hostPort", F::kInt}}, {3, {"containerPort", F::kInt}},
        {4, {"protocol", F::kString}}}},
      {"EnvVar", {{1, {"name", F::kString}}, {2, {"value", F::kString}}}},
      {"ClusterRoleBinding",
       {{1, {"metadata", F::kMessage, false, "ObjectMeta"}}, {2, {"subjects", F::kMessage, true, "Subject"}},
        {3, {"roleRef", F::kMessage, false, "RoleRef"}}}},
  };
  return s;
}

class Reader {
 public:
  Reader(const std::string& data, size_t begin, size_t end) : d_(data), pos_(begin), end_(end) {}
  bool done() const { return pos_ >= end_; }
  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= end_) return false;
      uint8_t b = static_cast<uint8_t>(d_[pos_++]);
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  // Reads a tag and the value's bounds (for length-delimited) or varint.
  bool Next(int* field, int* wire, uint64_t* varint, size_t* begin, size_t* end) {
    uint64_t tag;
    if (!Varint(&tag)) return false;
    *field = static_cast<int>(tag >> 3);
    *wire = static_cast<int>(tag & 7);
    if (*wire == 0) return Varint(varint);
    if (*wire == 2) {
      uint64_t len;
      if (!Varint(&len) || pos_ + len > end_) return false;
      *begin = pos_;
      *end = pos_ + len;
      pos_ += len;
      return true;
    }
    if (*wire == 1) return Skip(8);
    if (*wire == 5) return Skip(4);
    return false;
  }

 private:
  bool Skip(size_t n) {
    if (pos_ + n > end_) return false;
    pos_ += n;
    return true;
  }
  const std::string& d_;
  size_t pos_, end_;
};

bool DecodeMessage(const std::string& data, size_t begin, size_t end, const std::string& type, json* out);

bool DecodeMapEntry(const std::string& data, size_t begin, size_t end, bool bytes_value, json* target) {
  Reader r(data, begin, end);
  std::string key, value;
  while (!r.done()) {
    int field, wire;
    uint64_t v;
    size_t b = 0, e = 0;
    if (!r.Next(&field, &wire, &v, &b, &e)) return false;
    if (wire != 2) continue;
    (field == 1 ? key : value) = data.substr(b, e - b);
  }
  (*target)[key] = bytes_value ? Base64Encode(value) : value;
  return true;
}

bool DecodeMessage(const std::string& data, size_t begin, size_t end, const std::string& type, json* out) {
  const auto& schemas = Schemas();
  auto s = schemas.find(type);
  if (s == schemas.end()) return false;
  *out = json::object();
  Reader r(data, begin, end);
  while (!r.done()) {
    int field, wire;
    uint64_t v = 0;
    size_t b = 0, e = 0;
    if (!r.Next(&field, &wire, &v, &b, &e)) return false;
    auto f = s->second.find(field);
    if (f == s->second.end()) continue;
    const Field& fd = f->second;
    json value;
    switch (fd.type) {
      case F::kString:
        // Go's generated code writes empty strings; JSON clients omit them.
        if (e == b && !fd.repeated) continue;
        value = data.substr(b, e - b);
        break;
      case F::kBytes: value = Base64Encode(data.substr(b, e - b)); break;
      case F::kInt: value = static_cast<int64_t>(v); break;
      case F::kBool: value = v != 0; break;
      case F::kTime: continue;
      case F::kMessage:
        if (!DecodeMessage(data, b, e, fd.message, &value)) return false;
        break;
      case F::kMapStringString:
      case F::kMapStringBytes:
        if (!out->contains(fd.name)) (*out)[fd.name] = json::object();
        if (!DecodeMapEntry(data, b, e, fd.type == F::kMapStringBytes, &(*out)[fd.name])) return false;
        continue;
    }
    if (fd.repeated) {
      (*out)[fd.name].push_back(value);
    } else {
      (*out)[fd.name] = value;
    }
  }
  return true;
}

}  // namespace

std::optional<json> DecodeKubeProtobuf(const std::string& body, std::string* error) {
  if (body.size() < 4 || body.compare(0, 4, std::string("k8s\0", 4)) != 0) {
    *error = "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]";
    return std::nullopt;
  }
  Reader r(body, 4, body.size());
  std::string api_version, kind;
  size_t raw_begin = 0, raw_end = 0;
  while (!r.done()) {
    int field, wire;
    uint64_t v;
    size_t b = 0, e = 0;
    if (!r.Next(&field, &wire, &v, &b, &e)) {
      *error = "malformed protobuf envelope";
      return std::nullopt;
    }
    if (field == 1 && wire == 2) {
      Reader tm(body, b, e);
      while (!tm.done()) {
        int f2, w2;
        uint64_t v2;
        size_t b2 = 0, e2 = 0;
        if (!tm.Next(&f2, &w2, &v2, &b2, &e2)) break;
        if (f2 == 1) api_version = body.substr(b2, e2 - b2);
        if (f2 == 2) kind = body.substr(b2, e2 - b2);
      }
    } else if (field == 2 && wire == 2) {
      raw_begin = b;
      raw_end = e;
    }
  }
  json obj;
  if (!DecodeMessage(body, raw_begin, raw_end, kind, &obj)) {
    *error = "localkube cannot decode protobuf for kind " + kind + "; send JSON instead";
    return std::nullopt;
  }
  obj["apiVersion"] = api_version;
  obj["kind"] = kind;
  return obj;
}

}  // namespace tusk::localkube
