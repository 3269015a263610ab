// XEP-0115 §5: building and hashing the verification string, checking a disco#info answer.
#include "modules/pep/entity_caps.hpp"

#include <algorithm>
#include <memory>
#include <openssl/evp.h>
#include <set>

#include "modules/pep/node_config.hpp"
#include "util/base64.hpp"

namespace telex::modules::pep {
namespace {

// Strings are compared as octets (XEP-0115 §5.1 "i;octet"): std::string's ordering is bytewise
// on unsigned char, which is that.
template <class T>
bool hasDuplicates(std::vector<T> values) {
  std::sort(values.begin(), values.end());
  return std::adjacent_find(values.begin(), values.end()) != values.end();
}

struct DigestCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

std::optional<CapsAdvert> capsOfPresence(const xml::Element& presence) {
  const xml::Element* c = presence.child("c", kCapsNs);
  if (!c) return std::nullopt;
  CapsAdvert advert{std::string(c->attrOr("hash", "")), std::string(c->attrOr("node", "")),
                    std::string(c->attrOr("ver", ""))};
  if (advert.hash.empty() || advert.node.empty() || advert.ver.empty()) return std::nullopt;
  return advert;
}

std::optional<DiscoInfo> parseDiscoInfo(const xml::Element& query) {
  DiscoInfo info;
  std::set<std::string> formTypes;
  for (const auto& child : query.children()) {
    if (child.isText()) continue;
    if (child.xmlns() == kDiscoInfoNs && child.name() == "identity") {
      info.identities.push_back({std::string(child.attrOr("category", "")), std::string(child.attrOr("type", "")),
                                 std::string(child.attrOr("xml:lang", "")), std::string(child.attrOr("name", ""))});
    } else if (child.xmlns() == kDiscoInfoNs && child.name() == "feature") {
      info.features.emplace_back(child.attrOr("var", ""));
    } else if (child.xmlns() == kDataFormsNs && child.name() == "x") {
      CapsForm form;
      bool typed = false;
      for (const auto& field : child.children()) {
        if (field.isText() || field.name() != "field") continue;
        std::vector<std::string> values;
        for (const auto& v : field.children()) {
          if (!v.isText() && v.name() == "value") values.push_back(v.textContent());
        }
        if (field.attrOr("var", "") == "FORM_TYPE") {
          if (values.size() != 1) return std::nullopt;
          // A FORM_TYPE that is not hidden makes the form an ordinary one, outside the hash.
          if (field.attrOr("type", "") != "hidden") break;
          form.formType = values.front();
          typed = true;
        } else {
          form.fields.push_back({std::string(field.attrOr("var", "")), std::move(values)});
        }
      }
      if (!typed) continue;
      if (!formTypes.insert(form.formType).second) return std::nullopt;
      info.forms.push_back(std::move(form));
    }
  }
  if (hasDuplicates(info.identities) || hasDuplicates(info.features)) return std::nullopt;
  return info;
}

std::string verificationString(const DiscoInfo& info) {
  std::string s;
  std::vector<CapsIdentity> identities = info.identities;
  std::sort(identities.begin(), identities.end());
  for (const auto& id : identities) s += id.category + "/" + id.type + "/" + id.lang + "/" + id.name + "<";
  std::vector<std::string> features = info.features;
  std::sort(features.begin(), features.end());
  for (const auto& f : features) s += f + "<";
  std::vector<const CapsForm*> forms;
  for (const auto& form : info.forms) forms.push_back(&form);
  std::sort(forms.begin(), forms.end(), [](const CapsForm* a, const CapsForm* b) { return a->formType < b->formType; });
  for (const CapsForm* form : forms) {
    s += form->formType + "<";
    std::vector<CapsFormField> fields = form->fields;
    std::sort(fields.begin(), fields.end(),
              [](const CapsFormField& a, const CapsFormField& b) { return a.var < b.var; });
    for (auto& field : fields) {
      s += field.var + "<";
      std::sort(field.values.begin(), field.values.end());
      for (const auto& v : field.values) s += v + "<";
    }
  }
  return s;
}

std::optional<std::string> capsHash(std::string_view hashName, std::string_view verificationString) {
  // The IANA "Hash Function Textual Names" the caps element uses, to OpenSSL's digests.
  const EVP_MD* md = nullptr;
  if (hashName == "sha-1") {
    md = EVP_sha1();
  } else if (hashName == "sha-224") {
    md = EVP_sha224();
  } else if (hashName == "sha-256") {
    md = EVP_sha256();
  } else if (hashName == "sha-384") {
    md = EVP_sha384();
  } else if (hashName == "sha-512") {
    md = EVP_sha512();
  } else {
    return std::nullopt;
  }
  std::unique_ptr<EVP_MD_CTX, DigestCtxDeleter> ctx(EVP_MD_CTX_new());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), verificationString.data(), verificationString.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1) {
    return std::nullopt;
  }
  return util::base64Encode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace telex::modules::pep
