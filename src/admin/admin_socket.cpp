// Admin socket: accept, read one line, answer, close.
#include "admin/admin_socket.hpp"

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

namespace telex::admin {
namespace local = boost::asio::local;

Expected<std::unique_ptr<AdminSocket>, std::string> AdminSocket::open(net::Worker& worker,
                                                                      const std::filesystem::path& path) {
  std::error_code fsError;
  // A socket file left by a server that was killed is stale; a live server would answer.
  if (std::filesystem::exists(path, fsError)) {
    if (askServer(path, "ping")) return unexpected("another telexd is running with this data folder (" + path.string() + ")");
    std::filesystem::remove(path, fsError);
  }
  boost::system::error_code ec;
  local::stream_protocol::acceptor acceptor(worker.context());
  acceptor.open(local::stream_protocol(), ec);
  mode_t old = umask(077);  // owner-only: the socket grants admin rights
  if (!ec) acceptor.bind(local::stream_protocol::endpoint(path.string()), ec);
  umask(old);
  if (!ec) acceptor.listen(16, ec);
  if (ec) return unexpected("cannot open admin socket " + path.string() + ": " + ec.message());
  return std::unique_ptr<AdminSocket>(new AdminSocket(worker, path, std::move(acceptor)));
}

AdminSocket::AdminSocket(net::Worker& worker, std::filesystem::path path,
                         local::stream_protocol::acceptor acceptor)
    : worker_(worker), path_(std::move(path)), acceptor_(std::move(acceptor)) {
  add("ping", [](const std::string&) { return std::string("pong\n"); });
}

AdminSocket::~AdminSocket() {
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

void AdminSocket::add(std::string name, AdminCommand command) { commands_[std::move(name)] = std::move(command); }

void AdminSocket::start() {
  worker_.post([this] { acceptNext(); });
}

void AdminSocket::stop() {
  worker_.post([this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
  });
}

std::string AdminSocket::run(const std::string& line) const {
  auto space = line.find(' ');
  std::string name = line.substr(0, space);
  std::string argument = space == std::string::npos ? std::string() : line.substr(space + 1);
  auto it = commands_.find(name);
  if (it == commands_.end()) return "error: unknown command " + name + "\n";
  try {
    return it->second(argument);
  } catch (const std::exception& e) {
    return std::string("error: ") + e.what() + "\n";
  }
}

void AdminSocket::acceptNext() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, local::stream_protocol::socket socket) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      auto peer = std::make_shared<local::stream_protocol::socket>(std::move(socket));
      auto buffer = std::make_shared<boost::asio::streambuf>(4096);
      boost::asio::async_read_until(*peer, *buffer, '\n', [this, peer, buffer](const boost::system::error_code& readError, std::size_t n) {
        if (readError) return;
        std::string line(boost::asio::buffers_begin(buffer->data()), boost::asio::buffers_begin(buffer->data()) + static_cast<std::ptrdiff_t>(n) - 1);
        auto reply = std::make_shared<std::string>(run(line));
        boost::asio::async_write(*peer, boost::asio::buffer(*reply), [peer, reply](const boost::system::error_code&, std::size_t) {});
      });
    }
    acceptNext();
  });
}

Expected<std::string, std::string> askServer(const std::filesystem::path& path, const std::string& line) {
  boost::asio::io_context io;
  local::stream_protocol::socket socket(io);
  boost::system::error_code ec;
  socket.connect(local::stream_protocol::endpoint(path.string()), ec);
  if (ec) return unexpected("telexd is not running with this data folder (" + path.string() + ": " + ec.message() + ")");
  boost::asio::write(socket, boost::asio::buffer(line + "\n"), ec);
  if (ec) return unexpected("admin socket: " + ec.message());
  std::string reply;
  char chunk[4096];
  for (;;) {
    std::size_t n = socket.read_some(boost::asio::buffer(chunk), ec);
    reply.append(chunk, n);
    if (ec) break;
  }
  if (ec != boost::asio::error::eof) return unexpected("admin socket: " + ec.message());
  return reply;
}

}  // namespace telex::admin
