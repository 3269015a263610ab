// A minimal SMTP client: EHLO (HELO as fallback), MAIL, RCPT, DATA, QUIT.
#include "modules/alerts/smtp_pager.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <istream>

#include "modules/alerts/blocking_io.hpp"
#include "util/base64.hpp"
#include "util/crypto.hpp"

namespace telex::modules::alerts {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class SmtpSession {
 public:
  explicit SmtpSession(const SmtpSettings& s) : settings_(s), runner_(s.timeout), socket_(runner_.context()) {}

  Expected<bool, std::string> send(const Mail& mail) {
    tcp::resolver resolver(runner_.context());
    tcp::resolver::results_type endpoints;
    auto ec = runner_.run(
        [&](auto handler) {
          resolver.async_resolve(settings_.host, std::to_string(settings_.port),
                                 [&endpoints, handler](const boost::system::error_code& e, tcp::resolver::results_type r) {
                                   endpoints = std::move(r);
                                   handler(e);
                                 });
        },
        [&] { resolver.cancel(); });
    if (ec) return unexpected("cannot resolve " + settings_.host + ": " + ec.message());
    ec = runner_.run([&](auto handler) {
      asio::async_connect(socket_, endpoints, [handler](const boost::system::error_code& e, const tcp::endpoint&) { handler(e); });
    }, [&] { close(); });
    if (ec) return unexpected("cannot connect to " + settings_.host + ":" + std::to_string(settings_.port) + ": " + ec.message());

    if (auto r = expect(nullptr, 220); !r) return r;
    if (auto r = expect("EHLO " + settings_.heloName, 250); !r) {
      if (auto h = expect("HELO " + settings_.heloName, 250); !h) return h;
    }
    if (auto r = expect("MAIL FROM:<" + settings_.from + ">", 250); !r) return r;
    if (auto r = expect("RCPT TO:<" + mail.to + ">", 250, 251); !r) return r;
    if (auto r = expect("DATA", 354); !r) return r;
    if (auto r = expectRaw(formatMail(settings_, mail), 250); !r) return r;
    (void)expect("QUIT", 221);  // the message is accepted; a rude goodbye changes nothing
    close();
    return true;
  }

 private:
  void close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  Expected<bool, std::string> expect(const char* line, int code, int alt = 0) {
    return line ? expectRaw(std::string(line) + "\r\n", code, alt) : expectRaw(std::string(), code, alt);
  }
  Expected<bool, std::string> expect(const std::string& line, int code, int alt = 0) {
    return expectRaw(line + "\r\n", code, alt);
  }

  // Sends `bytes` (if any), then reads one reply (possibly multi-line) and checks its code.
  Expected<bool, std::string> expectRaw(const std::string& bytes, int code, int alt = 0) {
    if (!bytes.empty()) {
      auto ec = runner_.run([&](auto handler) { asio::async_write(socket_, asio::buffer(bytes), handler); },
                            [&] { close(); });
      if (ec) return unexpected("SMTP write failed: " + ec.message());
    }
    std::string last;
    for (int lines = 0; lines < 100; ++lines) {
      auto ec = runner_.run([&](auto handler) { asio::async_read_until(socket_, buffer_, "\n", handler); },
                            [&] { close(); });
      if (ec) return unexpected("SMTP read failed: " + ec.message());
      std::istream in(&buffer_);
      std::getline(in, last);
      if (!last.empty() && last.back() == '\r') last.pop_back();
      if (last.size() < 3) return unexpected("SMTP: malformed reply \"" + last + "\"");
      if (last.size() > 3 && last[3] == '-') continue;  // more lines follow
      int got = std::atoi(last.substr(0, 3).c_str());
      if (got == code || (alt != 0 && got == alt)) return true;
      return unexpected("SMTP relay answered \"" + last + "\"");
    }
    return unexpected(std::string("SMTP: reply too long"));
  }

  const SmtpSettings& settings_;
  DeadlineRunner runner_;
  tcp::socket socket_;
  asio::streambuf buffer_{64 * 1024};
};

std::string rfc5322Date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char out[64];
  std::strftime(out, sizeof(out), "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return out;
}

}  // namespace

std::string encodeHeader(std::string_view text) {
  std::string clean(text);
  for (auto& c : clean) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  bool ascii = std::all_of(clean.begin(), clean.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return clean;
  return "=?UTF-8?B?" + util::base64Encode(clean) + "?=";
}

std::string formatMail(const SmtpSettings& settings, const Mail& mail) {
  std::string out;
  out += "From: Telex <" + settings.from + ">\r\n";
  out += "To: <" + mail.to + ">\r\n";
  out += "Subject: " + encodeHeader(mail.subject) + "\r\n";
  out += "Date: " + rfc5322Date() + "\r\n";
  out += "Message-ID: <" + util::randomHex(12) + "@" + settings.heloName + ">\r\n";
  out += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n";
  out += "Auto-Submitted: auto-generated\r\n\r\n";
  // Body: every line end becomes CRLF, and a line starting with '.' gets another (RFC 5321 §4.5.2).
  std::string line;
  auto flush = [&] {
    if (!line.empty() && line.front() == '.') out += '.';
    out += line + "\r\n";
    line.clear();
  };
  for (std::size_t i = 0; i < mail.body.size(); ++i) {
    char c = mail.body[i];
    if (c == '\r') continue;
    if (c == '\n') {
      flush();
    } else {
      line += c;
    }
  }
  flush();
  out += ".\r\n";
  return out;
}

Expected<bool, std::string> sendMail(const SmtpSettings& settings, const Mail& mail) {
  try {
    SmtpSession session(settings);
    return session.send(mail);
  } catch (const std::exception& e) {
    return unexpected(std::string("SMTP: ") + e.what());
  }
}

}  // namespace telex::modules::alerts
