#include "stream/stream_features.hpp"

#include <memory>
#include <string_view>

#include "router/stanza_error.hpp"
#include "stream/stream_management.hpp"
#include "stream/stream_namespaces.hpp"

namespace telex::stream {
namespace {
constexpr std::string_view kRegisterNs = "http://jabber.org/features/iq-register";
using router::kClientNs;

// The features element is in the stream namespace, written with the stream: prefix.
net::SharedBytes featuresBytes(const xml::Element& features) {
  std::string out = "<stream:features>";
  for (const auto& child : features.children()) xml::serializeTo(out, child, kClientNs);
  out += "</stream:features>";
  return std::make_shared<const std::string>(std::move(out));
}

xml::Element beforeAuthFeatures(bool registration, bool tls, bool plaintextAllowed) {
  xml::Element features("features", std::string(kStreamsNs));
  bool signInOffered = tls || plaintextAllowed;
  if (registration && signInOffered) features.addChild(xml::Element("register", std::string(kRegisterNs)));
  if (!tls) {
    auto& starttls = features.addChild(xml::Element("starttls", std::string(kTlsNs)));
    if (!plaintextAllowed) starttls.addChild(xml::Element("required", std::string(kTlsNs)));
  }
  if (signInOffered) {
    auto& mechanisms = features.addChild(xml::Element("mechanisms", std::string(kSaslNs)));
    for (std::string_view m : {"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"}) {
      mechanisms.addChild(xml::Element("mechanism", std::string(kSaslNs))).addText(m);
    }
  }
  return features;
}
}  // namespace

StreamFeatures::StreamFeatures(bool registration, const std::vector<xml::Element>& bound) {
  for (bool tls : {false, true}) {
    for (bool plaintextAllowed : {false, true}) {
      beforeAuth_[(tls ? 2 : 0) + (plaintextAllowed ? 1 : 0)] =
          featuresBytes(beforeAuthFeatures(registration, tls, plaintextAllowed));
    }
  }
  xml::Element features("features", std::string(kStreamsNs));
  features.addChild(xml::Element("bind", std::string(kBindNs)));
  features.addChild(xml::Element("session", std::string(kSessionNs)))
      .addChild(xml::Element("optional", std::string(kSessionNs)));
  features.addChild(xml::Element("sm", std::string(kSmNs)));
  features.addChild(xml::Element("csi", std::string(kCsiNs)));
  for (const auto& f : bound) features.addChild(f);
  afterAuth_ = featuresBytes(features);
}

}  // namespace telex::stream
