// The <stream:features/> a c2s stream offers (RFC 6120 §4.3.2), serialized once at start-up:
// they depend only on configuration and on the enabled modules, and every sign-in sends two.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "net/stanza_bytes.hpp"
#include "xml/element.hpp"

namespace telex::stream {

class StreamFeatures {
 public:
  // `registration`: in-band registration (XEP-0077) is offered where sign-in is. `bound`: the
  // features modules offer after authentication.
  StreamFeatures(bool registration, const std::vector<xml::Element>& bound);

  // Before authentication, on a TLS stream or not, where sign-in without TLS is allowed or not.
  const net::SharedBytes& beforeAuth(bool tls, bool plaintextAllowed) const {
    return beforeAuth_[(tls ? 2 : 0) + (plaintextAllowed ? 1 : 0)];
  }
  const net::SharedBytes& afterAuth() const { return afterAuth_; }

 private:
  std::array<net::SharedBytes, 4> beforeAuth_;
  net::SharedBytes afterAuth_;
};

}  // namespace telex::stream
