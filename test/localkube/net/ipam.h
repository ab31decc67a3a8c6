// IPv4 address bookkeeping for localkube: parsing CIDRs and handing out pod
// IPs and ClusterIPs from their ranges, each address at most once.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "common/base/status.h"

namespace tusk::localkube::net {

struct Ipv4Net {
  uint32_t base = 0;  // host order, masked
  int prefix = 0;
  uint32_t size() const { return prefix == 0 ? 0 : (1u << (32 - prefix)); }
  bool Contains(uint32_t ip) const;
  uint32_t At(uint32_t offset) const { return base + offset; }
  std::string ToString() const;
};

StatusOr<uint32_t> ParseIpv4(const std::string& text);
std::string FormatIpv4(uint32_t ip);
StatusOr<Ipv4Net> ParseCidr(const std::string& text);

// Hands out addresses from a range, skipping the network address, the
// broadcast address and the first `reserved` host addresses (the gateway).
class IpAllocator {
 public:
  IpAllocator(Ipv4Net net, uint32_t reserved) : net_(net), reserved_(reserved) {}
  // A free address; ResourceExhausted when the range is full.
  StatusOr<uint32_t> Allocate();
  // Claims a specific address (a Service's requested clusterIP).
  Status Claim(uint32_t ip);
  void Release(uint32_t ip) { used_.erase(ip); }
  bool InUse(uint32_t ip) const { return used_.count(ip) > 0; }

 private:
  Ipv4Net net_;
  uint32_t reserved_;
  uint32_t next_ = 0;  // offset where the next search starts
  std::set<uint32_t> used_;
};

}  // namespace tusk::localkube::net
