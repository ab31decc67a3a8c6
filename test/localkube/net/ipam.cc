#include "test/localkube/net/ipam.h"

#include <arpa/inet.h>

namespace tusk::localkube::net {

bool Ipv4Net::Contains(uint32_t ip) const {
  const uint32_t mask = prefix == 0 ? 0 : ~0u << (32 - prefix);
  return (ip & mask) == base;
}

std::string Ipv4Net::ToString() const { return FormatIpv4(base) + "/" + std::to_string(prefix); }

StatusOr<uint32_t> ParseIpv4(const std::string& text) {
  in_addr addr{};
  if (::inet_pton(AF_INET, text.c_str(), &addr) != 1) return InvalidArgumentError("not an IPv4 address: " + text);
  return ntohl(addr.s_addr);
}

std::string FormatIpv4(uint32_t ip) {
  in_addr addr{htonl(ip)};
  char buf[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &addr, buf, sizeof buf);
  return buf;
}

StatusOr<Ipv4Net> ParseCidr(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) return InvalidArgumentError("not a CIDR: " + text);
  ASSIGN_OR_RETURN(uint32_t ip, ParseIpv4(text.substr(0, slash)));
  int prefix = -1;
  try {
    prefix = std::stoi(text.substr(slash + 1));
  } catch (const std::exception&) {
  }
  if (prefix < 8 || prefix > 30) return InvalidArgumentError("CIDR prefix must be 8..30: " + text);
  const uint32_t mask = ~0u << (32 - prefix);
  return Ipv4Net{ip & mask, prefix};
}

StatusOr<uint32_t> IpAllocator::Allocate() {
  const uint32_t first = 1 + reserved_;
  const uint32_t last = net_.size() - 2;  // before broadcast
  if (last < first) return ResourceExhaustedError("range " + net_.ToString() + " has no usable addresses");
  const uint32_t span = last - first + 1;
  for (uint32_t i = 0; i < span; ++i) {
    const uint32_t offset = first + (next_ + i) % span;
    const uint32_t ip = net_.At(offset);
    if (!used_.count(ip)) {
      used_.insert(ip);
      // Addresses are handed out round the range rather than lowest-first,
      // so a pod's IP is not reused by the next pod right away (a stale
      // Endpoints entry would then point at the wrong pod).
      next_ = (offset - first + 1) % span;
      return ip;
    }
  }
  return ResourceExhaustedError("no free address left in " + net_.ToString());
}

Status IpAllocator::Claim(uint32_t ip) {
  if (!net_.Contains(ip)) return InvalidArgumentError(FormatIpv4(ip) + " is not in " + net_.ToString());
  if (!used_.insert(ip).second) return AlreadyExistsError(FormatIpv4(ip) + " is already allocated");
  return OkStatus();
}

}  // namespace tusk::localkube::net
