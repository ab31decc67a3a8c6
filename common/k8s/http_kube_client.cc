#include "common/k8s/http_kube_client.h"

#include "common/base/signals.h"

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>


namespace tusk::k8s {
namespace {

std::string Encode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void AddParam(std::string* q, const char* key, const std::string& value) {
  if (value.empty()) return;
  *q += (q->empty() ? "" : "&") + std::string(key) + "=" + Encode(value);
}

std::string WithQuery(std::string path, const std::string& query) {
  return query.empty() ? path : path + "?" + query;
}

// X509_STORE holding every certificate of a PEM bundle.
X509_STORE* StoreFromPem(const std::string& pem) {
  X509_STORE* store = X509_STORE_new();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
  }
  BIO_free(bio);
  return store;
}

StatusOr<Json> ParseBody(const std::string& body) {
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InternalError("API server returned invalid JSON: " + body.substr(0, 200));
  return doc;
}

// Seconds from a Retry-After header (delta-seconds form; dates are not used
// by the API server).
Duration RetryAfter(const httplib::Response& res, Duration fallback) {
  if (!res.has_header("Retry-After")) return fallback;
  try {
    return std::chrono::seconds(std::max(0L, std::stol(res.get_header_value("Retry-After"))));
  } catch (const std::exception&) {
    return fallback;
  }
}

std::string TransportError(httplib::Error err) { return httplib::to_string(err); }

}  // namespace

std::string ListQuery(const ListOptions& o, bool watch) {
  std::string q;
  AddParam(&q, "labelSelector", o.label_selector);
  AddParam(&q, "fieldSelector", o.field_selector);
  AddParam(&q, "resourceVersion", o.resource_version);
  if (o.limit > 0) AddParam(&q, "limit", std::to_string(o.limit));
  AddParam(&q, "continue", o.continue_token);
  if (o.timeout_seconds > 0) AddParam(&q, "timeoutSeconds", std::to_string(o.timeout_seconds));
  if (watch) {
    AddParam(&q, "watch", "1");
    if (o.allow_bookmarks) AddParam(&q, "allowWatchBookmarks", "true");
  }
  return q;
}

HttpKubeClient::HttpKubeClient(const KubeConfig& config, Clock& clock, HttpClientOptions options)
    : config_(config), clock_(clock), options_(options), token_(config) {}

HttpKubeClient::~HttpKubeClient() = default;

StatusOr<std::unique_ptr<HttpKubeClient>> HttpKubeClient::Create(const KubeConfig& config, Clock& clock,
                                                                 HttpClientOptions options) {
  // Writes to a connection the server closed (TLS ones included) must come
  // back as errors, not kill the process.
  IgnoreSigpipe();
  std::unique_ptr<HttpKubeClient> c(new HttpKubeClient(config, clock, options));
  std::string rest;
  if (config.server.rfind("https://", 0) == 0) {
    c->tls_ = true;
    rest = config.server.substr(8);
  } else if (config.server.rfind("http://", 0) == 0) {
    rest = config.server.substr(7);
  } else {
    return InvalidArgumentError("server URL must start with https:// or http://: " + config.server);
  }
  rest = rest.substr(0, rest.find('/'));
  std::string port;
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) return InvalidArgumentError("bad IPv6 server address: " + config.server);
    c->host_ = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else {
    auto colon = rest.rfind(':');
    c->host_ = rest.substr(0, colon);
    if (colon != std::string::npos) port = rest.substr(colon + 1);
  }
  c->port_ = port.empty() ? (c->tls_ ? 443 : 80) : std::atoi(port.c_str());
  if (c->host_.empty() || c->port_ <= 0) return InvalidArgumentError("bad server address: " + config.server);
  // Fail early on unusable credentials rather than on the first request.
  auto probe = c->Connect(options.request_timeout);
  if (!probe.ok()) return probe.status();
  c->Release(std::move(*probe));
  return c;
}

StatusOr<std::unique_ptr<httplib::ClientImpl>> HttpKubeClient::Connect(Duration read_timeout) {
  std::unique_ptr<httplib::ClientImpl> conn;
  if (tls_) {
    std::unique_ptr<httplib::SSLClient> ssl;
    if (!config_.client_cert_pem.empty()) {
      BIO* cb = BIO_new_mem_buf(config_.client_cert_pem.data(), static_cast<int>(config_.client_cert_pem.size()));
      X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
      BIO_free(cb);
      BIO* kb = BIO_new_mem_buf(config_.client_key_pem.data(), static_cast<int>(config_.client_key_pem.size()));
      EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
      BIO_free(kb);
      if (cert == nullptr || key == nullptr) {
        X509_free(cert);
        EVP_PKEY_free(key);
        return InvalidArgumentError("client certificate or key is not valid PEM");
      }
      ssl = std::make_unique<httplib::SSLClient>(host_, port_, cert, key);
      X509_free(cert);  // the SSL context holds its own references
      EVP_PKEY_free(key);
    } else {
      ssl = std::make_unique<httplib::SSLClient>(host_, port_);
    }
    if (!ssl->is_valid()) return InternalError("cannot create a TLS context for " + config_.server);
    if (config_.insecure_skip_tls_verify) {
      ssl->enable_server_certificate_verification(false);
    } else if (!config_.ca_pem.empty()) {
      ssl->set_ca_cert_store(StoreFromPem(config_.ca_pem));
    }
    conn = std::move(ssl);
  } else {
    conn = std::make_unique<httplib::ClientImpl>(host_, port_);
  }
  auto secs = [](Duration d) { return std::chrono::duration_cast<std::chrono::seconds>(d).count(); };
  conn->set_keep_alive(true);
  conn->set_tcp_nodelay(true);
  conn->set_connection_timeout(secs(options_.connect_timeout), 0);
  conn->set_read_timeout(secs(read_timeout), 0);
  conn->set_write_timeout(secs(options_.request_timeout), 0);
  std::lock_guard<std::mutex> lock(mu_);
  ++opened_;
  return conn;
}

std::unique_ptr<httplib::ClientImpl> HttpKubeClient::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
  }
  auto conn = Connect(options_.request_timeout);
  return conn.ok() ? std::move(*conn) : nullptr;
}

void HttpKubeClient::Release(std::unique_ptr<httplib::ClientImpl> conn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(conn));
}

size_t HttpKubeClient::connections_opened() const {
  std::lock_guard<std::mutex> lock(mu_);
  return opened_;
}

std::vector<std::pair<std::string, std::string>> HttpKubeClient::Headers(const std::string& content_type) {
  std::vector<std::pair<std::string, std::string>> h = {{"Accept", "application/json"},
                                                        {"User-Agent", config_.user_agent}};
  if (!content_type.empty()) h.emplace_back("Content-Type", content_type);
  std::string token = token_.Token();
  if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
  return h;
}

StatusOr<std::string> HttpKubeClient::Request(const std::string& method, const std::string& path_and_query,
                                              const std::string& body, const std::string& content_type) {
  const bool idempotent = method == "GET";
  Duration backoff = std::chrono::milliseconds(100);
  bool reauthenticated = false;
  Status last;
  for (int attempt = 0; attempt <= options_.max_retries; ++attempt) {
    auto conn = Acquire();
    if (conn == nullptr) {
      last = UnavailableError("cannot connect to the API server at " + config_.server);
    } else {
      httplib::Request req;
      req.method = method;
      req.path = path_and_query;
      for (auto& [k, v] : Headers(content_type)) req.set_header(k, v);
      req.body = body;
      auto res = conn->send(req);
      if (!res) {
        // The connection is broken: drop it and the idle ones (a restarted
        // server closed them all). A request that could not even be written
        // never reached the server and is safe to resend whatever its
        // method; after a failed read only reads are resent.
        last = UnavailableError(method + " " + path_and_query + ": " + TransportError(res.error()));
        {
          std::lock_guard<std::mutex> lock(mu_);
          idle_.clear();
        }
        const bool unsent = res.error() == httplib::Error::Write || res.error() == httplib::Error::Connection ||
                            res.error() == httplib::Error::SSLConnection;
        if (!idempotent && !unsent) return last;
        if (unsent && attempt == 0) continue;  // a stale pooled connection: retry at once
      } else {
        const int code = res->status;
        Release(std::move(conn));
        if (code >= 200 && code < 300) return std::move(res->body);
        last = StatusFromResponse(code, res->body, method);
        if (code == 401 && !reauthenticated && !config_.token_file.empty()) {
          token_.Invalidate();  // the token may have rotated under us
          reauthenticated = true;
          continue;
        }
        const bool retryable = code == 429 || (code >= 500 && res->has_header("Retry-After")) ||
                               (idempotent && (code == 503 || code == 504));
        if (!retryable || attempt == options_.max_retries) return last;
        Duration wait = std::min(RetryAfter(*res, std::chrono::seconds(1)), options_.max_retry_wait);
        clock_.SleepFor(wait);
        continue;
      }
    }
    if (attempt == options_.max_retries) break;
    clock_.SleepFor(backoff);
    backoff = std::min<Duration>(backoff * 2, std::chrono::seconds(5));
  }
  return last;
}

StatusOr<Json> HttpKubeClient::Get(const ResourceRef& ref) {
  ASSIGN_OR_RETURN(std::string body, Request("GET", ref.Path()));
  return ParseBody(body);
}

StatusOr<ListResult> HttpKubeClient::List(const ResourceRef& ref, const ListOptions& options) {
  ASSIGN_OR_RETURN(std::string body, Request("GET", WithQuery(ref.Named("").Path(), ListQuery(options, false))));
  ASSIGN_OR_RETURN(Json doc, ParseBody(body));
  ListResult out;
  if (doc.contains("items") && doc["items"].is_array()) {
    out.items.reserve(doc["items"].size());
    for (auto& item : doc["items"]) out.items.push_back(std::move(item));
  }
  const Json& meta = doc.value("metadata", Json::object());
  out.resource_version = meta.value("resourceVersion", "");
  out.continue_token = meta.value("continue", "");
  return out;
}

namespace {

ResourceRef Target(const ResourceRef& ref, const Json& object, bool keep_name) {
  ResourceRef r = ref;
  const Json& meta = object.value("metadata", Json::object());
  if (r.namespace_.empty()) r.namespace_ = meta.value("namespace", "");
  if (!keep_name) {
    r.name.clear();
    r.subresource.clear();
  } else if (r.name.empty()) {
    r.name = meta.value("name", "");
  }
  return r;
}

}  // namespace

StatusOr<Json> HttpKubeClient::Create(const ResourceRef& ref, const Json& object) {
  ASSIGN_OR_RETURN(std::string body,
                   Request("POST", Target(ref, object, false).Path(), object.dump(), "application/json"));
  return ParseBody(body);
}

StatusOr<Json> HttpKubeClient::Update(const ResourceRef& ref, const Json& object) {
  ResourceRef target = Target(ref, object, true);
  if (target.name.empty()) return InvalidArgumentError("update needs a name (metadata.name or the reference)");
  ASSIGN_OR_RETURN(std::string body, Request("PUT", target.Path(), object.dump(), "application/json"));
  return ParseBody(body);
}

StatusOr<Json> HttpKubeClient::Patch(const ResourceRef& ref, PatchType type, const std::string& patch,
                                     const PatchOptions& options) {
  std::string content_type;
  std::string query;
  switch (type) {
    case PatchType::kMerge: content_type = "application/merge-patch+json"; break;
    case PatchType::kJson: content_type = "application/json-patch+json"; break;
    case PatchType::kStrategicMerge: content_type = "application/strategic-merge-patch+json"; break;
    case PatchType::kApply:
      content_type = "application/apply-patch+yaml";
      if (options.field_manager.empty()) return InvalidArgumentError("server-side apply needs a field manager");
      if (options.force) query = "force=true";
      break;
  }
  if (!options.field_manager.empty()) {
    query += (query.empty() ? "" : "&") + std::string("fieldManager=") + Encode(options.field_manager);
  }
  ASSIGN_OR_RETURN(std::string body, Request("PATCH", WithQuery(ref.Path(), query), patch, content_type));
  return ParseBody(body);
}

Status HttpKubeClient::Delete(const ResourceRef& ref, const DeleteOptions& options) {
  Json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (!options.propagation_policy.empty()) body["propagationPolicy"] = options.propagation_policy;
  if (options.grace_period_seconds) body["gracePeriodSeconds"] = *options.grace_period_seconds;
  if (options.precondition_uid) body["preconditions"]["uid"] = *options.precondition_uid;
  if (options.precondition_resource_version) {
    body["preconditions"]["resourceVersion"] = *options.precondition_resource_version;
  }
  return Request("DELETE", ref.Path(), body.dump(), "application/json").status();
}

Status HttpKubeClient::Watch(const ResourceRef& ref, const ListOptions& options, const WatchHandler& handler,
                             WatchCanceller* canceller) {
  // A watch idles between events: its read timeout must outlast the
  // server-side timeout, or an hour when the server decides.
  Duration read_timeout = options.timeout_seconds > 0 ? std::chrono::seconds(options.timeout_seconds + 30)
                                                      : std::chrono::seconds(3600);
  ASSIGN_OR_RETURN(auto conn, Connect(read_timeout));
  conn->set_keep_alive(false);
  httplib::ClientImpl* raw = conn.get();
  if (canceller != nullptr) canceller->SetHook([raw] { raw->stop(); });
  struct HookReset {
    WatchCanceller* c;
    ~HookReset() {
      if (c != nullptr) c->SetHook(nullptr);
    }
  } reset{canceller};
  if (canceller != nullptr && canceller->cancelled()) return CancelledError("watch cancelled");

  int http_code = 0;
  std::string error_body;
  std::string buffer;
  Status stream_status;
  bool stopped_by_handler = false;

  auto handle_line = [&](std::string_view line) -> bool {
    StatusOr<WatchEvent> ev = ParseWatchLine(line);
    if (!ev.ok()) {
      stream_status = ev.status();
      return false;
    }
    if (!handler(*ev)) {
      stopped_by_handler = true;
      return false;
    }
    return true;
  };

  httplib::Request req;
  req.method = "GET";
  req.path = WithQuery(ref.Named("").Path(), ListQuery(options, true));
  for (auto& [k, v] : Headers("")) req.set_header(k, v);
  // Checking the canceller here too closes the window where Cancel runs its
  // hook before the connection exists (stop() on an idle client is a no-op).
  auto cancelled = [canceller] { return canceller != nullptr && canceller->cancelled(); };
  req.response_handler = [&](const httplib::Response& res) {
    http_code = res.status;
    return !cancelled();
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) -> bool {
    if (cancelled()) return false;
    if (http_code != 200) {
      error_body.append(data, n);
      return error_body.size() < (1 << 20);
    }
    buffer.append(data, n);
    size_t start = 0;
    for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(buffer.data() + start, nl - start);
      if (line.empty()) continue;
      if (!handle_line(line)) return false;
    }
    buffer.erase(0, start);
    return true;
  };
  auto res = conn->send(req);
  if (canceller != nullptr && canceller->cancelled()) return CancelledError("watch cancelled");
  if (!stream_status.ok()) return stream_status;
  if (stopped_by_handler) return OkStatus();
  if (http_code != 0 && http_code != 200) {
    if (http_code == 401 && !config_.token_file.empty()) token_.Invalidate();
    return StatusFromResponse(http_code, error_body, "GET");
  }
  if (!res) {
    // A read timeout or a closed connection ends the stream; the caller re-watches.
    if (res.error() == httplib::Error::Read && http_code == 200) return OkStatus();
    return UnavailableError("watch " + ref.GroupResource() + ": " + TransportError(res.error()));
  }
  if (!buffer.empty() && !handle_line(buffer)) {
    return stream_status.ok() ? OkStatus() : stream_status;
  }
  return OkStatus();
}

}  // namespace tusk::k8s
