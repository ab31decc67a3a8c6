#include "common/k8s/informer.h"

#include "common/log/log.h"

namespace tusk::k8s {

Informer::Informer(KubeClient& client, Clock& clock, InformerOptions options)
    : client_(client),
      clock_(clock),
      options_(std::move(options)),
      log_("informer", {{"resource", options_.resource.GroupResource()}}),
      sleeper_(clock) {}

Informer::~Informer() { Stop(); }

void Informer::AddHandler(EventHandler handler) {
  std::lock_guard<std::mutex> dispatch(dispatch_mu_);
  for (const CachedObject& o : cache_.List()) handler(EventKind::kAdd, nullptr, o);
  handlers_.push_back(std::move(handler));
}

void Informer::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void Informer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (canceller_ != nullptr) canceller_->Cancel();
  }
  sleeper_.Interrupt();
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Informer::WaitForSync(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return synced_.load() || stopping_; }) && synced_.load();
}

std::string Informer::last_resource_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return resource_version_;
}

// Callers hold dispatch_mu_.
void Informer::Notify(EventKind kind, const CachedObject* old, const CachedObject& current) {
  for (const auto& h : handlers_) h(kind, old, current);
}

Status Informer::ListAll() {
  ListOptions opts;
  opts.label_selector = options_.label_selector;
  opts.field_selector = options_.field_selector;
  opts.limit = options_.page_size;
  std::vector<CachedObject> objects;
  std::string rv;
  do {
    ASSIGN_OR_RETURN(ListResult page, client_.List(options_.resource, opts));
    for (auto& item : page.items) {
      auto obj = MakeCachedObject(item.dump());
      if (obj.ok()) objects.push_back(std::move(*obj));
    }
    rv = page.resource_version;
    opts.continue_token = page.continue_token;
  } while (!opts.continue_token.empty());
  ++lists_;

  std::vector<CachedObject> removed;
  std::vector<std::pair<std::optional<CachedObject>, CachedObject>> changed;
  {
    std::lock_guard<std::mutex> dispatch(dispatch_mu_);
    cache_.Replace(std::move(objects), &removed, &changed);
    {
      std::lock_guard<std::mutex> lock(mu_);
      resource_version_ = rv;
    }
    // A re-list reconciles what the watch missed: deletions and changes alike.
    for (const auto& o : removed) Notify(EventKind::kDelete, &o, o);
    for (const auto& [old, now] : changed) {
      Notify(old ? EventKind::kUpdate : EventKind::kAdd, old ? &*old : nullptr, now);
    }
  }
  if (!synced_.exchange(true)) {
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
  }
  return OkStatus();
}

Status Informer::ApplyEvent(const WatchEvent& event) {
  if (event.type == WatchEvent::Type::kBookmark) {
    // Bookmarks carry only a resourceVersion (and no name).
    nlohmann::json doc = nlohmann::json::parse(event.object, nullptr, false);
    if (doc.is_object() && doc.contains("metadata")) {
      std::lock_guard<std::mutex> lock(mu_);
      resource_version_ = doc["metadata"].value("resourceVersion", resource_version_);
    }
    return OkStatus();
  }
  ASSIGN_OR_RETURN(CachedObject obj, MakeCachedObject(std::string(event.object)));
  std::lock_guard<std::mutex> dispatch(dispatch_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    resource_version_ = obj.resource_version;
  }
  if (event.type == WatchEvent::Type::kDeleted) {
    std::optional<CachedObject> old = cache_.Remove(obj.Key());
    Notify(EventKind::kDelete, old ? &*old : nullptr, obj);
    return OkStatus();
  }
  CachedObject copy = obj;  // handlers get the stored version
  std::optional<CachedObject> old = cache_.Upsert(std::move(obj));
  Notify(old ? EventKind::kUpdate : EventKind::kAdd, old ? &*old : nullptr, copy);
  return OkStatus();
}

Status Informer::WatchOnce() {
  ListOptions opts;
  opts.label_selector = options_.label_selector;
  opts.field_selector = options_.field_selector;
  opts.resource_version = last_resource_version();
  opts.allow_bookmarks = true;
  opts.timeout_seconds = options_.watch_timeout_seconds;
  WatchCanceller canceller;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return CancelledError("informer stopping");
    canceller_ = &canceller;
  }
  ++watches_;
  Status st = client_.Watch(options_.resource, opts, [this](const WatchEvent& ev) {
    Status applied = ApplyEvent(ev);
    if (!applied.ok()) log_.Warn("skipping malformed watch event", {{"error", applied.message()}});
    return true;
  }, &canceller);
  std::lock_guard<std::mutex> lock(mu_);
  canceller_ = nullptr;
  if (stopping_) return CancelledError("informer stopping");
  return st;
}

void Informer::Run() {
  bool need_list = true;
  Duration backoff = options_.min_backoff;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    if (need_list) {
      Status st = ListAll();
      if (!st.ok()) {
        log_.Warn("list failed, retrying", {{"error", st.ToString()}});
        if (!sleeper_.SleepFor(backoff)) return;
        backoff = std::min(backoff * 2, options_.max_backoff);
        continue;
      }
      need_list = false;
      backoff = options_.min_backoff;
    }
    Status st = WatchOnce();
    if (st.code() == StatusCode::kCancelled) return;
    if (st.ok()) {
      backoff = options_.min_backoff;  // the server ended the stream: resume at once
      continue;
    }
    if (st.code() == StatusCode::kGone) {
      log_.Info("resourceVersion expired, re-listing", {{"resourceVersion", last_resource_version()}});
      need_list = true;
      continue;
    }
    log_.Warn("watch failed, reconnecting", {{"error", st.ToString()}});
    if (!sleeper_.SleepFor(backoff)) return;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

EventHandler EnqueueKey(WorkQueue& queue) {
  return [&queue](EventKind, const CachedObject*, const CachedObject& current) { queue.Add(current.Key()); };
}

EventHandler EnqueueControllerOwner(WorkQueue& queue, const std::string& owner_kind) {
  return [&queue, owner_kind](EventKind, const CachedObject* old, const CachedObject& current) {
    auto enqueue = [&](const CachedObject& o) {
      for (const auto& owner : o.owners) {
        if (owner.controller && owner.kind == owner_kind) {
          queue.Add(o.namespace_.empty() ? owner.name : o.namespace_ + "/" + owner.name);
        }
      }
    };
    enqueue(current);
    if (old != nullptr) enqueue(*old);  // an owner that lost the object hears too
  };
}

InformerFactory::~InformerFactory() { StopAll(); }

Informer& InformerFactory::For(const InformerOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto& r = options.resource;
  std::string key = r.group + "/" + r.version + "/" + r.resource + "|" + r.namespace_ + "|" + options.label_selector +
                    "|" + options.field_selector;
  auto& slot = informers_[key];
  if (!slot) slot = std::make_unique<Informer>(client_, clock_, options);
  return *slot;
}

void InformerFactory::StartAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, informer] : informers_) informer->Start();
}

void InformerFactory::StopAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, informer] : informers_) informer->Stop();
}

bool InformerFactory::WaitForSync(std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, informer] : informers_) {
    if (!informer->WaitForSync(timeout)) return false;
  }
  return true;
}

}  // namespace tusk::k8s
