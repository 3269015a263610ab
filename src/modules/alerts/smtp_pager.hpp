// The e-mail pager: one message through an SMTP relay (RFC 5321; plain SMTP, no authentication),
// blocking the calling thread for at most the timeout. Runs on the pager's own thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "util/expected.hpp"

namespace telex::modules::alerts {

struct SmtpSettings {
  std::string host;
  std::uint16_t port = 25;
  std::string from;
  std::string heloName;  // the server's domain
  std::chrono::seconds timeout{15};
};

struct Mail {
  std::string to;
  std::string subject;
  std::string body;
};

// The message as sent after DATA: headers, CRLF line ends, dot-stuffed, ending in CRLF.CRLF.
std::string formatMail(const SmtpSettings& settings, const Mail& mail);
// RFC 2047 encoded-word for non-ASCII header text; CR/LF become spaces.
std::string encodeHeader(std::string_view text);

Expected<bool, std::string> sendMail(const SmtpSettings& settings, const Mail& mail);

}  // namespace telex::modules::alerts
