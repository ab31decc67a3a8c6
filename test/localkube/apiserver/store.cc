#include "test/localkube/apiserver/store.h"

#include <fstream>

#include "common/base/files.h"
#include "test/localkube/apiserver/meta_util.h"

namespace tusk::localkube {

const char* EventTypeName(EventType t) {
  switch (t) {
    case EventType::kAdded: return "ADDED";
    case EventType::kModified: return "MODIFIED";
    case EventType::kDeleted: return "DELETED";
    case EventType::kBookmark: return "BOOKMARK";
    case EventType::kError: return "ERROR";
  }
  return "ERROR";
}

std::optional<StoreEvent> WatchChannel::Pop(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait_for(l, timeout, [&] { return closed_ || !queue_.empty(); });
  if (queue_.empty()) return std::nullopt;
  StoreEvent e = std::move(queue_.front());
  queue_.pop_front();
  return e;
}

void WatchChannel::Close() {
  std::lock_guard<std::mutex> l(mu_);
  closed_ = true;
  cv_.notify_all();
}

bool WatchChannel::closed() const {
  std::lock_guard<std::mutex> l(mu_);
  return closed_;
}

uint64_t WatchChannel::seen_rv() const {
  std::lock_guard<std::mutex> l(mu_);
  return seen_rv_;
}

void WatchChannel::MarkSeen(uint64_t rv) {
  std::lock_guard<std::mutex> l(mu_);
  if (rv > seen_rv_) seen_rv_ = rv;
}

void WatchChannel::PushRaw(StoreEvent e) {
  std::lock_guard<std::mutex> l(mu_);
  if (closed_) return;
  if (e.rv > seen_rv_) seen_rv_ = e.rv;
  queue_.push_back(std::move(e));
  cv_.notify_one();
}

void WatchChannel::Offer(const StoreEvent& e) {
  if (!ns_.empty() && e.ns != ns_) {
    MarkSeen(e.rv);
    return;
  }
  bool now = e.object && e.type != EventType::kDeleted && (!match_ || match_(*e.object));
  bool before = e.prev && (!match_ || match_(*e.prev));
  if (e.type == EventType::kDeleted) {
    now = false;
    before = !match_ || match_(*e.object);
  }
  StoreEvent out = e;
  if (now && before) {
    out.type = EventType::kModified;
  } else if (now) {
    out.type = EventType::kAdded;
  } else if (before) {
    out.type = EventType::kDeleted;
  } else {
    MarkSeen(e.rv);
    return;
  }
  PushRaw(std::move(out));
}

Store::Store(size_t history_size) : history_size_(history_size) {}

Store::~Store() {
  if (journal_) std::fclose(journal_);
}

Status Store::Open(const std::string& path) {
  if (PathExists(path)) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      json rec;
      try {
        rec = json::parse(line);
      } catch (const std::exception&) {
        break;  // a torn last line from a crash: everything before it stands
      }
      uint64_t rv = rec.value("rv", uint64_t{0});
      if (rv > rv_) rv_ = rv;
      if (!rec.contains("gr")) continue;
      std::string gr = rec["gr"], key = rec["k"];
      auto& bucket = data_[gr];
      if (rec.contains("o")) {
        auto obj = std::make_shared<const json>(std::move(rec["o"]));
        auto [it, inserted] = bucket.insert_or_assign(key, obj);
        (void)it;
        if (inserted) ++count_;
        std::string uid = StrAt(*obj, "/metadata/uid"_json_pointer);
        if (!uid.empty()) by_uid_[uid] = {gr, key};
      } else {
        auto it = bucket.find(key);
        if (it != bucket.end()) {
          by_uid_.erase(StrAt(*it->second, "/metadata/uid"_json_pointer));
          bucket.erase(it);
          --count_;
        }
      }
    }
  }
  compacted_rv_ = rv_;
  RETURN_IF_ERROR(WriteSnapshot(path));
  journal_ = std::fopen(path.c_str(), "a");
  if (!journal_) return ErrnoError("open " + path, errno);
  return OkStatus();
}

Status Store::WriteSnapshot(const std::string& path) {
  std::string out = json({{"rv", rv_}}).dump() + "\n";
  for (const auto& [gr, bucket] : data_) {
    for (const auto& [key, obj] : bucket) {
      out += json({{"gr", gr}, {"k", key}, {"o", *obj}}).dump() + "\n";
    }
  }
  return WriteFileAtomic(path, out, 0600);
}

void Store::Journal(const StoreEvent& ev) {
  if (!journal_) return;
  json rec = {{"rv", ev.rv}, {"gr", ev.gr}, {"k", ev.ns + "/" + ev.name}};
  if (ev.type != EventType::kDeleted) rec["o"] = *ev.object;
  std::string line = rec.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), journal_);
  std::fflush(journal_);
}

uint64_t Store::current_rv() const {
  std::shared_lock<std::shared_mutex> l(mu_);
  return rv_;
}

uint64_t Store::oldest_watchable_rv() const {
  std::shared_lock<std::shared_mutex> l(mu_);
  return compacted_rv_;
}

size_t Store::size() const {
  std::shared_lock<std::shared_mutex> l(mu_);
  return count_;
}

ObjectPtr Store::Get(const std::string& gr, const std::string& ns, const std::string& name) const {
  std::shared_lock<std::shared_mutex> l(mu_);
  auto b = data_.find(gr);
  if (b == data_.end()) return nullptr;
  auto it = b->second.find(ns + "/" + name);
  return it == b->second.end() ? nullptr : it->second;
}

std::optional<std::pair<std::string, ObjectPtr>> Store::GetByUid(const std::string& uid) const {
  std::shared_lock<std::shared_mutex> l(mu_);
  auto it = by_uid_.find(uid);
  if (it == by_uid_.end()) return std::nullopt;
  auto b = data_.find(it->second.first);
  if (b == data_.end()) return std::nullopt;
  auto o = b->second.find(it->second.second);
  if (o == b->second.end()) return std::nullopt;
  return std::make_pair(it->second.first, o->second);
}

Store::ListResult Store::List(const std::string& gr, const std::string& ns, const WatchChannel::Match& match,
                              size_t limit, const std::string& start_key) const {
  std::shared_lock<std::shared_mutex> l(mu_);
  ListResult r;
  r.rv = rv_;
  auto b = data_.find(gr);
  if (b == data_.end()) return r;
  const Bucket& bucket = b->second;
  std::string prefix = ns.empty() ? "" : ns + "/";
  auto it = bucket.lower_bound(std::max(prefix, start_key));
  for (; it != bucket.end(); ++it) {
    if (!prefix.empty() && it->first.compare(0, prefix.size(), prefix) != 0) break;
    if (match && !match(*it->second)) continue;
    if (limit && r.items.size() == limit) {
      r.next_key = it->first;
      for (auto rest = it; rest != bucket.end(); ++rest) {
        if (!prefix.empty() && rest->first.compare(0, prefix.size(), prefix) != 0) break;
        if (!match || match(*rest->second)) ++r.remaining;
      }
      break;
    }
    r.items.push_back(it->second);
  }
  return r;
}

std::vector<std::string> Store::ResourcesInNamespace(const std::string& ns) const {
  std::shared_lock<std::shared_mutex> l(mu_);
  std::vector<std::string> out;
  std::string prefix = ns + "/";
  for (const auto& [gr, bucket] : data_) {
    auto it = bucket.lower_bound(prefix);
    if (it != bucket.end() && it->first.compare(0, prefix.size(), prefix) == 0) out.push_back(gr);
  }
  return out;
}

ApiOr<ObjectPtr> Store::Mutate(const std::string& gr, const std::string& ns, const std::string& name,
                               const std::function<ApiOr<Mutation>(const json* current)>& fn) {
  std::unique_lock<std::shared_mutex> l(mu_);
  auto& bucket = data_[gr];
  std::string key = ns + "/" + name;
  auto it = bucket.find(key);
  ObjectPtr current = it == bucket.end() ? nullptr : it->second;
  ApiOr<Mutation> decided = fn(current.get());
  if (!decided.ok()) return decided.error();
  Mutation& m = *decided;
  if (m.kind == Mutation::Kind::kNoop) return current;
  auto ev = std::make_shared<StoreEvent>();
  ev->gr = gr;
  ev->ns = ns;
  ev->name = name;
  ev->rv = ++rv_;
  ev->prev = current;
  if (m.kind == Mutation::Kind::kDelete) {
    if (!current) return ApiError{404, "NotFound", "not found"};
    json last = *current;
    last["metadata"]["resourceVersion"] = std::to_string(ev->rv);
    ev->type = EventType::kDeleted;
    ev->object = std::make_shared<const json>(std::move(last));
    by_uid_.erase(StrAt(*current, "/metadata/uid"_json_pointer));
    bucket.erase(it);
    --count_;
  } else {
    m.object["metadata"]["resourceVersion"] = std::to_string(ev->rv);
    ev->type = current ? EventType::kModified : EventType::kAdded;
    auto obj = std::make_shared<const json>(std::move(m.object));
    ev->object = obj;
    if (!current) ++count_;
    bucket[key] = obj;
    std::string uid = StrAt(*obj, "/metadata/uid"_json_pointer);
    if (!uid.empty()) by_uid_[uid] = {gr, key};
  }
  Journal(*ev);
  Record(ev);
  return ev->object;
}

void Store::Record(std::shared_ptr<StoreEvent> ev) {
  history_.push_back(ev);
  while (history_.size() > history_size_) {
    compacted_rv_ = history_.front()->rv;
    history_.pop_front();
  }
  std::lock_guard<std::mutex> wl(watchers_mu_);
  auto w = watchers_.find(ev->gr);
  if (w == watchers_.end() || w->second.empty()) return;
  auto& list = w->second;
  ev->serialized = std::make_shared<const std::string>(ev->object->dump());
  for (size_t i = 0; i < list.size();) {
    auto ch = list[i].lock();
    if (!ch || ch->closed()) {
      list[i] = list.back();
      list.pop_back();
      continue;
    }
    ch->Offer(*ev);
    ++i;
  }
}

StatusOr<ChannelPtr> Store::Watch(const std::string& gr, const std::string& ns, std::optional<uint64_t> from_rv,
                                  WatchChannel::Match match) {
  // Holding the write lock keeps the replay and the registration atomic: no
  // change can fall between them.
  std::unique_lock<std::shared_mutex> l(mu_);
  auto ch = std::make_shared<WatchChannel>(gr, ns, std::move(match));
  if (from_rv) {
    if (*from_rv < compacted_rv_) {
      return GoneError("too old resource version: " + std::to_string(*from_rv) + " (" +
                       std::to_string(compacted_rv_ + 1) + ")");
    }
    for (const auto& ev : history_) {
      if (ev->rv > *from_rv && ev->gr == gr) ch->Offer(*ev);
    }
    ch->MarkSeen(std::max(*from_rv, rv_));
  } else {
    auto b = data_.find(gr);
    if (b != data_.end()) {
      std::string prefix = ns.empty() ? "" : ns + "/";
      for (auto it = b->second.lower_bound(prefix); it != b->second.end(); ++it) {
        if (!prefix.empty() && it->first.compare(0, prefix.size(), prefix) != 0) break;
        StoreEvent e;
        e.type = EventType::kAdded;
        e.gr = gr;
        e.ns = (*it->second)["metadata"].value("namespace", "");
        e.name = (*it->second)["metadata"].value("name", "");
        e.object = it->second;
        ch->Offer(e);
      }
    }
    ch->MarkSeen(rv_);
  }
  std::lock_guard<std::mutex> wl(watchers_mu_);
  watchers_[gr].push_back(ch);
  return ch;
}

}  // namespace tusk::localkube
