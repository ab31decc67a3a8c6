#include "instance-manager/status_query.h"

#include <nlohmann/json.hpp>

namespace tusk::instance {

const char kStatusQuery[] = R"SQL(
SELECT json_build_object(
  'in_recovery', r.rec,
  'system_identifier', (SELECT system_identifier::text FROM pg_control_system()),
  'timeline', CASE WHEN r.rec
      THEN COALESCE((SELECT received_tli FROM pg_stat_wal_receiver),
                    (SELECT timeline_id FROM pg_control_checkpoint()))
      ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END,
  'current_lsn', CASE WHEN r.rec THEN NULL ELSE pg_current_wal_lsn()::text END,
  'flushed_lsn', CASE WHEN r.rec THEN pg_last_wal_receive_lsn()::text ELSE pg_current_wal_flush_lsn()::text END,
  'received_lsn', pg_last_wal_receive_lsn()::text,
  'replayed_lsn', pg_last_wal_replay_lsn()::text,
  'last_replay_ms', (extract(epoch FROM pg_last_xact_replay_timestamp()) * 1000)::bigint,
  'version', current_setting('server_version'),
  'postmaster_start_ms', (extract(epoch FROM pg_postmaster_start_time()) * 1000)::bigint,
  'synchronous_standby_names', current_setting('synchronous_standby_names'),
  'wal_receiver', (SELECT row_to_json(w) FROM (
      SELECT status, sender_host, sender_port, slot_name, received_tli, latest_end_lsn::text AS latest_end_lsn,
             (extract(epoch FROM last_msg_receipt_time) * 1000)::bigint AS receipt_ms
      FROM pg_stat_wal_receiver) w),
  'standbys', (SELECT coalesce(json_agg(s ORDER BY s.application_name), '[]') FROM (
      SELECT a.application_name, a.client_addr::text AS client_addr, w.state, w.sync_state, w.sync_priority,
             w.sent_lsn::text AS sent_lsn, w.write_lsn::text AS write_lsn, w.flush_lsn::text AS flush_lsn,
             w.replay_lsn::text AS replay_lsn,
             (extract(epoch FROM w.write_lag) * 1000000)::bigint AS write_lag_us,
             (extract(epoch FROM w.flush_lag) * 1000000)::bigint AS flush_lag_us,
             (extract(epoch FROM w.replay_lag) * 1000000)::bigint AS replay_lag_us,
             CASE WHEN r.rec THEN NULL
                  ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), w.replay_lsn)::bigint END AS replay_lag_bytes
      -- The functions behind pg_stat_replication, without its join over
      -- every backend: this query runs several times a second.
      FROM pg_stat_get_wal_senders() w
      LEFT JOIN LATERAL pg_stat_get_activity(w.pid) a ON true) s),
  'slots', (SELECT coalesce(json_agg(sl ORDER BY sl.slot_name), '[]') FROM (
      SELECT slot_name, slot_type, active, restart_lsn::text AS restart_lsn, wal_status,
             CASE WHEN r.rec OR restart_lsn IS NULL THEN NULL
                  ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint END AS retained_bytes
      FROM pg_replication_slots) sl)
)::text
FROM (SELECT pg_is_in_recovery() AS rec) r
)SQL";

namespace {

using nlohmann::json;

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

int64_t Int(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  return it->get<int64_t>();
}

v1::SyncState ParseSyncState(const std::string& s) {
  if (s == "async") return v1::SYNC_STATE_ASYNC;
  if (s == "potential") return v1::SYNC_STATE_POTENTIAL;
  if (s == "sync") return v1::SYNC_STATE_SYNC;
  if (s == "quorum") return v1::SYNC_STATE_QUORUM;
  return v1::SYNC_STATE_UNKNOWN;
}

}  // namespace

Status ParseStatusJson(const std::string& json_text, v1::InstanceStatus* out) {
  json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InternalError("status query: unexpected result: " + json_text.substr(0, 200));
  try {
    out->set_in_recovery(j.value("in_recovery", false));
    out->set_role(out->in_recovery() ? v1::ROLE_REPLICA : v1::ROLE_PRIMARY);
    out->set_system_identifier(std::stoull(Str(j, "system_identifier").empty() ? "0" : Str(j, "system_identifier")));
    out->set_timeline_id(static_cast<uint32_t>(Int(j, "timeline")));
    out->set_current_lsn(Str(j, "current_lsn"));
    out->set_flushed_lsn(Str(j, "flushed_lsn"));
    out->set_received_lsn(Str(j, "received_lsn"));
    out->set_replayed_lsn(Str(j, "replayed_lsn"));
    out->set_last_replay_unix_ms(Int(j, "last_replay_ms"));
    out->set_postgres_version(Str(j, "version"));
    out->set_postmaster_start_unix_ms(Int(j, "postmaster_start_ms"));
    out->set_synchronous_standby_names(Str(j, "synchronous_standby_names"));
    out->clear_wal_receiver();
    if (auto w = j.find("wal_receiver"); w != j.end() && w->is_object()) {
      auto* wr = out->mutable_wal_receiver();
      wr->set_status(Str(*w, "status"));
      wr->set_upstream_host(Str(*w, "sender_host"));
      wr->set_upstream_port(static_cast<uint32_t>(Int(*w, "sender_port")));
      wr->set_slot_name(Str(*w, "slot_name"));
      wr->set_received_tli(static_cast<uint32_t>(Int(*w, "received_tli")));
      wr->set_latest_end_lsn(Str(*w, "latest_end_lsn"));
      wr->set_last_msg_receipt_unix_ms(Int(*w, "receipt_ms"));
    }
    out->clear_standbys();
    for (const auto& s : j.value("standbys", json::array())) {
      auto* st = out->add_standbys();
      st->set_application_name(Str(s, "application_name"));
      st->set_client_addr(Str(s, "client_addr"));
      st->set_state(Str(s, "state"));
      st->set_sync_state(ParseSyncState(Str(s, "sync_state")));
      st->set_sync_priority(static_cast<uint32_t>(Int(s, "sync_priority")));
      st->set_sent_lsn(Str(s, "sent_lsn"));
      st->set_write_lsn(Str(s, "write_lsn"));
      st->set_flush_lsn(Str(s, "flush_lsn"));
      st->set_replay_lsn(Str(s, "replay_lsn"));
      st->set_write_lag_us(static_cast<uint64_t>(Int(s, "write_lag_us")));
      st->set_flush_lag_us(static_cast<uint64_t>(Int(s, "flush_lag_us")));
      st->set_replay_lag_us(static_cast<uint64_t>(Int(s, "replay_lag_us")));
      st->set_replay_lag_bytes(static_cast<uint64_t>(std::max<int64_t>(0, Int(s, "replay_lag_bytes"))));
    }
    out->clear_replication_slots();
    for (const auto& s : j.value("slots", json::array())) {
      auto* sl = out->add_replication_slots();
      sl->set_slot_name(Str(s, "slot_name"));
      sl->set_slot_type(Str(s, "slot_type"));
      sl->set_active(s.value("active", false));
      sl->set_restart_lsn(Str(s, "restart_lsn"));
      sl->set_wal_status(Str(s, "wal_status"));
      sl->set_retained_bytes(static_cast<uint64_t>(std::max<int64_t>(0, Int(s, "retained_bytes"))));
    }
  } catch (const std::exception& e) {
    return InternalError(std::string("status query: ") + e.what());
  }
  return OkStatus();
}

}  // namespace tusk::instance
