#include "common/s3/s3_client.h"

#include <algorithm>
#include <thread>

#include "common/s3/http_parse.h"
#include "common/s3/xml.h"

namespace tusk::s3 {
namespace {

constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

bool Is2xx(int status) { return status >= 200 && status < 300; }

std::string HostPort(const Endpoint& ep, const std::string& host) {
  bool default_port = (ep.scheme == "http" && ep.port == 80) || (ep.scheme == "https" && ep.port == 443);
  return default_port ? host : host + ":" + std::to_string(ep.port);
}

class S3Multipart : public MultipartUpload {
 public:
  S3Multipart(S3Client* client, std::string key, std::string upload_id)
      : client_(client), key_(std::move(key)), upload_id_(std::move(upload_id)) {}
  ~S3Multipart() override {
    if (!done_) Abort().IgnoreError();
  }

  Status UploadPart(int part_number, std::string_view body) override {
    S3Client::Call call{"PUT", key_, {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id_}}, {}, body};
    ASSIGN_OR_RETURN(auto reply, client_->Send(call));
    std::string etag = reply.Header("ETag");
    if (etag.empty()) return InternalError("upload of part " + std::to_string(part_number) + " of " + key_ + " returned no ETag");
    std::lock_guard<std::mutex> lock(mu_);
    etags_.emplace_back(part_number, etag);
    return OkStatus();
  }

  Status Complete() override {
    std::vector<std::pair<int, std::string>> parts;
    {
      std::lock_guard<std::mutex> lock(mu_);
      parts = etags_;
    }
    std::sort(parts.begin(), parts.end());
    std::string xml = "<CompleteMultipartUpload>";
    for (const auto& [n, etag] : parts) {
      xml += "<Part><PartNumber>" + std::to_string(n) + "</PartNumber><ETag>" + XmlEscape(etag) + "</ETag></Part>";
    }
    xml += "</CompleteMultipartUpload>";
    S3Client::Call call{"POST", key_, {{"uploadId", upload_id_}}, {{"content-type", "application/xml"}}, xml};
    ASSIGN_OR_RETURN(auto reply, client_->Send(call));
    // CompleteMultipartUpload can fail with HTTP 200 and an <Error> body.
    if (XmlRoot(reply.body) == "Error") return ErrorFromReply(500, reply.body, "complete upload of " + key_, "");
    done_ = true;
    return OkStatus();
  }

  Status Abort() override {
    done_ = true;
    S3Client::Call call{"DELETE", key_, {{"uploadId", upload_id_}}, {}, {}};
    auto reply = client_->Send(call);
    if (!reply.ok() && reply.status().code() != StatusCode::kNotFound) return reply.status();
    return OkStatus();
  }

 private:
  S3Client* client_;
  std::string key_;
  std::string upload_id_;
  std::mutex mu_;
  std::vector<std::pair<int, std::string>> etags_;
  bool done_ = false;
};

}  // namespace

ListPage ParseListPage(std::string_view xml) {
  ListPage page;
  for (auto block : XmlBlocks(xml, "Contents")) {
    ObjectInfo info;
    info.key = XmlFirst(block, "Key").value_or("");
    info.size = std::strtoull(XmlFirst(block, "Size").value_or("0").c_str(), nullptr, 10);
    info.etag = XmlFirst(block, "ETag").value_or("");
    info.last_modified = XmlFirst(block, "LastModified").value_or("");
    page.listing.objects.push_back(std::move(info));
  }
  for (auto block : XmlBlocks(xml, "CommonPrefixes")) {
    if (auto p = XmlFirst(block, "Prefix")) page.listing.common_prefixes.push_back(*p);
  }
  page.truncated = XmlFirst(xml, "IsTruncated").value_or("false") == "true";
  page.next_token = XmlFirst(xml, "NextContinuationToken").value_or("");
  return page;
}

Status ErrorFromReply(int http_status, std::string_view body, const std::string& what,
                      const std::string& configured_region) {
  std::string code = XmlFirst(body, "Code").value_or("");
  std::string message = XmlFirst(body, "Message").value_or("");
  std::string detail = code.empty() ? "HTTP " + std::to_string(http_status)
                                    : code + (message.empty() ? "" : " (" + message + ")");
  std::string prefix = what + ": " + detail;
  if (code == "NoSuchBucket") {
    return NotFoundError(prefix + ": the bucket does not exist; create it or fix destinationPath");
  }
  if (code == "AuthorizationHeaderMalformed" || code == "PermanentRedirect" || http_status == 301) {
    std::string expected = XmlFirst(body, "Region").value_or("");
    return InvalidArgumentError(prefix + ": wrong region or endpoint (configured '" + configured_region + "'" +
                                (expected.empty() ? "" : ", the bucket wants '" + expected + "'") + ")");
  }
  if (code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch") {
    return PermissionDeniedError(prefix + ": the object store rejected the credentials; check s3Credentials");
  }
  if (code == "RequestTimeTooSkewed") return PermissionDeniedError(prefix + ": the local clock is off by more than 15 minutes");
  if (http_status == 403) return PermissionDeniedError(prefix + ": access denied; check s3Credentials and the bucket policy");
  if (http_status == 404) return NotFoundError(prefix);
  if (http_status == 412) return AlreadyExistsError(prefix);
  if (IsRetriable(http_status, body)) return UnavailableError(prefix + ": the object store is unavailable or throttling");
  return UnknownError(prefix);
}

bool IsRetriable(int http_status, std::string_view body) {
  if (http_status >= 500 || http_status == 429) return true;
  std::string code = XmlFirst(body, "Code").value_or("");
  return code == "SlowDown" || code == "RequestTimeout" || code == "Throttling";
}

StatusOr<std::unique_ptr<S3Client>> S3Client::Create(S3Options options) {
  if (options.bucket.empty()) return InvalidArgumentError("destinationPath has no bucket");
  if (options.region.empty()) options.region = "us-east-1";
  if (!options.path_style.has_value()) options.path_style = !options.endpoint_url.empty();
  std::string url = options.endpoint_url.empty() ? "https://s3." + options.region + ".amazonaws.com" : options.endpoint_url;
  ASSIGN_OR_RETURN(Endpoint ep, ParseEndpoint(url));
  std::unique_ptr<S3Client> client(new S3Client(options));
  if (!*options.path_style) ep.host = options.bucket + "." + ep.host;
  client->host_header_ = HostPort(ep, ep.host);
  client->endpoint_ = ep;
  if (ep.scheme == "https") {
    ASSIGN_OR_RETURN(client->tls_, TlsContext::Create(options.ca_pem));
  }
  return client;
}

S3Client::S3Client(S3Options options) : options_(std::move(options)) {}
S3Client::~S3Client() = default;

std::string S3Client::Describe() const { return "s3://" + options_.bucket; }

StatusOr<std::unique_ptr<HttpConnection>> S3Client::Acquire(bool* reused) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (c->Reusable()) {
        *reused = true;
        return c;
      }
    }
  }
  *reused = false;
  return HttpConnection::Open(endpoint_, tls_, options_.timeout);
}

void S3Client::Release(std::unique_ptr<HttpConnection> connection) {
  if (!connection->Reusable()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < options_.max_connections) idle_.push_back(std::move(connection));
}

std::string S3Client::What(const Call& call) const {
  return call.method + " " + Describe() + "/" + call.key;
}

StatusOr<S3Client::Reply> S3Client::Send(const Call& call) {
  const std::string path = *options_.path_style ? "/" + options_.bucket + (call.key.empty() ? "" : "/" + call.key)
                                                : "/" + call.key;
  const std::string payload_hash = call.body.empty() ? kEmptySha256 : Sha256Hex(call.body);
  const std::string query = CanonicalQuery(call.query);
  const std::string wire_path = UriEncode(path, true) + (query.empty() ? "" : "?" + query);
  auto delay = options_.first_backoff;
  Status last;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    SigningInput in{call.method, path, call.query, call.headers, payload_hash};
    in.headers.emplace_back("host", host_header_);
    const std::string amz_date = AmzDate(std::chrono::system_clock::now());
    in.headers.emplace_back("x-amz-date", amz_date);
    in.headers.emplace_back("x-amz-content-sha256", payload_hash);
    if (!options_.credentials.session_token.empty()) {
      in.headers.emplace_back("x-amz-security-token", options_.credentials.session_token);
    }
    HttpRequest req{call.method, wire_path, {}, call.body, call.body_into};
    for (const auto& [k, v] : in.headers) req.headers.emplace_back(k == "host" ? "Host" : k, v);
    req.headers.emplace_back("Authorization", Authorization(in, options_.credentials, options_.region, amz_date));
    if ((call.method == "PUT" || call.method == "POST") &&
        std::none_of(call.headers.begin(), call.headers.end(), [](const auto& h) { return h.first == "content-type"; })) {
      req.headers.emplace_back("Content-Type", "application/octet-stream");
    }
    const size_t into_start = call.body_into != nullptr ? call.body_into->size() : 0;
    HttpResponse res;
    bool reused = false;
    auto connection = Acquire(&reused);
    Status sent = connection.status();
    if (connection.ok()) {
      sent = (*connection)->RoundTrip(req, &res);
      // A kept-alive connection the server dropped a moment ago fails before
      // any reply: that is no failure of the store, so a new connection
      // carries the request at once.
      if (!sent.ok() && reused && !(*connection)->response_started()) {
        connection = HttpConnection::Open(endpoint_, tls_, options_.timeout);
        sent = connection.ok() ? (*connection)->RoundTrip(req, &res) : connection.status();
      }
    }
    if (!sent.ok()) {
      if (call.body_into != nullptr) call.body_into->resize(into_start);
      last = UnavailableError(What(call) + ": cannot reach the object store at " + endpoint_.scheme + "://" +
                              HostPort(endpoint_, endpoint_.host) + ": " + std::string(sent.message()));
    } else {
      Release(std::move(*connection));
      if (Is2xx(res.status)) return res;
      last = ErrorFromReply(res.status, res.body, What(call), options_.region);
      if (!IsRetriable(res.status, res.body)) return last;
    }
    if (attempt < options_.max_attempts) {
      std::this_thread::sleep_for(delay);
      delay *= 2;
    }
  }
  return last.WithContext("after " + std::to_string(options_.max_attempts) + " attempts");
}

Status S3Client::Put(const std::string& key, std::string_view body) {
  return Send({"PUT", key, {}, {}, body}).status();
}

StatusOr<std::string> S3Client::Get(const std::string& key, uint64_t offset, uint64_t length) {
  if (length > 0) {
    std::string body;
    RETURN_IF_ERROR(GetInto(key, offset, length, &body));
    return body;
  }
  ASSIGN_OR_RETURN(auto reply, Send({"GET", key, {}, {}, {}}));
  return std::move(reply.body);
}

Status S3Client::GetInto(const std::string& key, uint64_t offset, uint64_t length, std::string* into) {
  Call call{"GET", key, {}, {}, {}};
  call.headers.emplace_back("range", "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1));
  into->clear();
  call.body_into = into;
  return Send(call).status();
}

StatusOr<ObjectInfo> S3Client::Head(const std::string& key) {
  ASSIGN_OR_RETURN(auto reply, Send({"HEAD", key, {}, {}, {}}));
  ObjectInfo info;
  info.key = key;
  ASSIGN_OR_RETURN(info.size, ParseContentLength(reply.Header("Content-Length"), UINT64_MAX));
  info.etag = reply.Header("ETag");
  info.last_modified = reply.Header("Last-Modified");
  return info;
}

Status S3Client::Delete(const std::string& key) {
  auto reply = Send({"DELETE", key, {}, {}, {}});
  if (!reply.ok() && reply.status().code() == StatusCode::kNotFound &&
      reply.status().message().find("NoSuchBucket") == std::string::npos) {
    return OkStatus();
  }
  return reply.status();
}

StatusOr<Listing> S3Client::List(const std::string& prefix, const std::string& delimiter) {
  Listing all;
  std::string token;
  // Bounded: a store that keeps answering "truncated" cannot loop us forever.
  for (int page = 0; page < 1000000; ++page) {
    Call call{"GET", "", {{"list-type", "2"}, {"prefix", prefix}}, {}, {}};
    if (!delimiter.empty()) call.query.emplace_back("delimiter", delimiter);
    if (options_.list_page_size != 1000) call.query.emplace_back("max-keys", std::to_string(options_.list_page_size));
    if (!token.empty()) call.query.emplace_back("continuation-token", token);
    ASSIGN_OR_RETURN(auto reply, Send(call));
    ListPage p = ParseListPage(reply.body);
    for (auto& o : p.listing.objects) all.objects.push_back(std::move(o));
    for (auto& c : p.listing.common_prefixes) all.common_prefixes.push_back(std::move(c));
    if (!p.truncated) return all;
    if (p.next_token.empty() || p.next_token == token) {
      return InternalError("listing " + Describe() + "/" + prefix + " is truncated without a new continuation token");
    }
    token = p.next_token;
  }
  return InternalError("listing " + Describe() + "/" + prefix + " did not end");
}

StatusOr<std::unique_ptr<MultipartUpload>> S3Client::StartMultipart(const std::string& key) {
  ASSIGN_OR_RETURN(auto reply, Send({"POST", key, {{"uploads", ""}}, {}, {}}));
  auto id = XmlFirst(reply.body, "UploadId");
  if (!id || id->empty()) return InternalError("starting a multipart upload of " + key + " returned no UploadId");
  return std::unique_ptr<MultipartUpload>(new S3Multipart(this, key, *id));
}

Status S3Client::CheckBucket() {
  Call call{"HEAD", "", {}, {}, {}};
  auto reply = Send(call);
  if (reply.ok()) return OkStatus();
  // HEAD has no body: name the likely cause from the status alone.
  if (reply.status().code() == StatusCode::kNotFound) {
    return NotFoundError("bucket '" + options_.bucket + "' does not exist at " + endpoint_.scheme + "://" + endpoint_.host + ":" +
                         std::to_string(endpoint_.port) +
                         "; create it or fix destinationPath");
  }
  return reply.status();
}

}  // namespace tusk::s3
