// The local admin channel: a Unix socket in the data folder (owner-only) through which the
// `telexd` command line asks the running server things only it knows, such as who is online.
#pragma once

#include <boost/asio/local/stream_protocol.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "net/worker.hpp"
#include "util/expected.hpp"

namespace telex::admin {

// One request line in, the command's text out, then the connection closes.
using AdminCommand = std::function<std::string(const std::string& argument)>;

class AdminSocket {
 public:
  static Expected<std::unique_ptr<AdminSocket>, std::string> open(net::Worker& worker,
                                                                  const std::filesystem::path& path);
  ~AdminSocket();

  void add(std::string name, AdminCommand command);  // before start()
  void start();
  void stop();

 private:
  AdminSocket(net::Worker& worker, std::filesystem::path path,
              boost::asio::local::stream_protocol::acceptor acceptor);
  void acceptNext();
  std::string run(const std::string& line) const;

  net::Worker& worker_;
  std::filesystem::path path_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::map<std::string, AdminCommand, std::less<>> commands_;
};

// Client side, for the command line: sends one line, returns the reply (or why it failed).
Expected<std::string, std::string> askServer(const std::filesystem::path& path, const std::string& line);

}  // namespace telex::admin
