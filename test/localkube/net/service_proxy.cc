#include "test/localkube/net/service_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <future>
#include <random>

#include "test/localkube/net/netns.h"

namespace tusk::localkube::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr auto kConnectTimeout = std::chrono::seconds(2);

// One relayed connection: client <-> backend, each direction copied until
// EOF, which is passed on as a half-close.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket client, tcp::socket upstream) : client_(std::move(client)), upstream_(std::move(upstream)) {}
  void Start() {
    Pump(client_, upstream_, up_buf_);
    Pump(upstream_, client_, down_buf_);
  }

 private:
  void Pump(tcp::socket& from, tcp::socket& to, std::array<char, 16384>& buf) {
    auto self = shared_from_this();
    from.async_read_some(asio::buffer(buf), [this, self, &from, &to, &buf](boost::system::error_code ec, size_t n) {
      if (ec) {
        boost::system::error_code ignored;
        to.shutdown(tcp::socket::shutdown_send, ignored);
        if (ec != asio::error::eof) {
          client_.close(ignored);
          upstream_.close(ignored);
        }
        return;
      }
      asio::async_write(to, asio::buffer(buf.data(), n), [this, self, &from, &to, &buf](boost::system::error_code ec2, size_t) {
        if (ec2) {
          boost::system::error_code ignored;
          client_.close(ignored);
          upstream_.close(ignored);
          return;
        }
        Pump(from, to, buf);
      });
    });
  }

  tcp::socket client_, upstream_;
  std::array<char, 16384> up_buf_{}, down_buf_{};
};

}  // namespace

struct ServiceProxy::Listener : std::enable_shared_from_this<ServiceProxy::Listener> {
  explicit Listener(asio::io_context& io) : acceptor(io) {}
  tcp::acceptor acceptor;
  std::mutex mu;
  std::vector<Backend> backends;
  std::mt19937 random{std::random_device{}()};

  // The backends to try for one connection: from a random one on, as
  // kube-proxy picks at random. (Strict round robin let two clients that poll
  // in step each be sent back to themselves, connection after connection.)
  std::vector<Backend> Rotation() {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<Backend> order;
    if (backends.empty()) return order;
    const size_t first = random() % backends.size();
    for (size_t i = 0; i < backends.size(); ++i) order.push_back(backends[(first + i) % backends.size()]);
    return order;
  }

  void Accept() {
    auto self = shared_from_this();
    acceptor.async_accept([self](boost::system::error_code ec, tcp::socket client) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec) {
        auto order = std::make_shared<std::vector<Backend>>(self->Rotation());
        auto client_ptr = std::make_shared<tcp::socket>(std::move(client));
        Connect(client_ptr, order, 0);
      }
      self->Accept();
    });
  }

  // Tries the backends in order until one accepts; with none, the client is
  // closed, as a Service without endpoints refuses connections.
  static void Connect(std::shared_ptr<tcp::socket> client, std::shared_ptr<std::vector<Backend>> order, size_t i) {
    if (i >= order->size()) {
      boost::system::error_code ignored;
      client->close(ignored);
      return;
    }
    auto& io = static_cast<asio::io_context&>(client->get_executor().context());
    auto upstream = std::make_shared<tcp::socket>(io);
    auto timer = std::make_shared<asio::steady_timer>(io, kConnectTimeout);
    boost::system::error_code addr_ec;
    const auto address = asio::ip::make_address((*order)[i].ip, addr_ec);
    if (addr_ec) return Connect(client, order, i + 1);
    timer->async_wait([upstream](boost::system::error_code ec) {
      if (!ec) {
        boost::system::error_code ignored;
        upstream->close(ignored);
      }
    });
    upstream->async_connect(tcp::endpoint(address, static_cast<unsigned short>((*order)[i].port)),
                            [client, order, i, upstream, timer](boost::system::error_code ec) {
                              timer->cancel();
                              if (ec) return Connect(client, order, i + 1);
                              boost::system::error_code ignored;
                              upstream->set_option(tcp::no_delay(true), ignored);
                              client->set_option(tcp::no_delay(true), ignored);
                              std::make_shared<Session>(std::move(*client), std::move(*upstream))->Start();
                            });
  }
};

ServiceProxy::ServiceProxy(std::string netns_path)
    : netns_path_(std::move(netns_path)), work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}

ServiceProxy::~ServiceProxy() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [key, ports] : listeners_) {
      for (auto& [port, l] : ports) StopListener(l);
    }
    listeners_.clear();
  }
  work_.reset();
  io_.stop();
  thread_.join();
}

void ServiceProxy::StopListener(const std::shared_ptr<Listener>& l) {
  asio::post(io_, [l] {
    boost::system::error_code ignored;
    l->acceptor.close(ignored);
  });
}

Status ServiceProxy::Apply(const ServiceRoute& route) {
  if (route.cluster_ip.empty()) return OkStatus();
  std::lock_guard<std::mutex> lock(mu_);
  auto& ports = listeners_[route.key];
  if (cluster_ips_[route.key] != route.cluster_ip) {
    for (auto& [port, l] : ports) StopListener(l);
    ports.clear();
    cluster_ips_[route.key] = route.cluster_ip;
  }
  std::map<int, std::shared_ptr<Listener>> kept;
  for (const auto& pr : route.ports) {
    std::shared_ptr<Listener> l;
    if (auto it = ports.find(pr.port); it != ports.end()) {
      l = it->second;
    } else {
      // The listening socket is made inside the network namespace, where the
      // ClusterIP is a local address; it stays there after the thread leaves.
      int fd = -1;
      Status made = InNetns(netns_path_, [&]() -> Status {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) return ErrnoError("socket", errno);
        int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(pr.port));
        ::inet_pton(AF_INET, route.cluster_ip.c_str(), &addr.sin_addr);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 512) != 0) {
          return ErrnoError("listen on " + route.cluster_ip + ":" + std::to_string(pr.port), errno);
        }
        return OkStatus();
      });
      if (!made.ok()) {
        if (fd >= 0) ::close(fd);
        return made.WithContext("service " + route.key);
      }
      l = std::make_shared<Listener>(io_);
      std::promise<void> assigned;
      asio::post(io_, [l, fd, &assigned] {
        l->acceptor.assign(tcp::v4(), fd);
        l->Accept();
        assigned.set_value();
      });
      assigned.get_future().wait();
    }
    {
      std::lock_guard<std::mutex> backends_lock(l->mu);
      l->backends = pr.backends;
    }
    kept[pr.port] = l;
  }
  for (auto& [port, l] : ports) {
    if (!kept.count(port)) StopListener(l);
  }
  ports = std::move(kept);
  return OkStatus();
}

void ServiceProxy::Remove(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = listeners_.find(key);
  if (it == listeners_.end()) return;
  for (auto& [port, l] : it->second) StopListener(l);
  listeners_.erase(it);
  cluster_ips_.erase(key);
}

}  // namespace tusk::localkube::net
