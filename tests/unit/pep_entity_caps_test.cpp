// XEP-0115 verification strings and hashes (the §5.2 and §5.3 examples), answer checks, and the
// caps registries behind +notify filtering.
#include <gtest/gtest.h>

#include <thread>

#include "modules/pep/caps_cache.hpp"
#include "modules/pep/entity_caps.hpp"
#include "modules/private_xml/stored_xml.hpp"

namespace telex::modules::pep {
namespace {

xml::Element parse(std::string_view text) {
  auto e = private_xml::fromStoredXml(text);
  EXPECT_TRUE(e) << text;
  return e ? *e : xml::Element();
}

constexpr std::string_view kSimpleExample =
    "<query xmlns='http://jabber.org/protocol/disco#info' "
    "node='http://code.google.com/p/exodus#QgayPKawpkPSDYmwT/WM94uAlu0='>"
    "<identity category='client' name='Exodus 0.9.1' type='pc'/>"
    "<feature var='http://jabber.org/protocol/caps'/>"
    "<feature var='http://jabber.org/protocol/disco#info'/>"
    "<feature var='http://jabber.org/protocol/disco#items'/>"
    "<feature var='http://jabber.org/protocol/muc'/>"
    "</query>";

// In a different order from the spec's, which the hash must not care about.
constexpr std::string_view kComplexExample =
    "<query xmlns='http://jabber.org/protocol/disco#info' node='http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w='>"
    "<x xmlns='jabber:x:data' type='result'>"
    "<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>"
    "<field var='software_version'><value>0.11</value></field>"
    "<field var='ip_version'><value>ipv6</value><value>ipv4</value></field>"
    "<field var='os'><value>Mac</value></field>"
    "<field var='os_version'><value>10.5.1</value></field>"
    "<field var='software'><value>Psi</value></field>"
    "</x>"
    "<identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>"
    "<identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>"
    "<feature var='http://jabber.org/protocol/muc'/>"
    "<feature var='http://jabber.org/protocol/caps'/>"
    "<feature var='http://jabber.org/protocol/disco#items'/>"
    "<feature var='http://jabber.org/protocol/disco#info'/>"
    "</query>";

TEST(PepEntityCapsTest, SimpleGenerationExample) {  // XEP-0115 §5.2
  auto info = parseDiscoInfo(parse(kSimpleExample));
  ASSERT_TRUE(info);
  std::string s = verificationString(*info);
  EXPECT_EQ(s,
            "client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<"
            "http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<");
  EXPECT_EQ(capsHash("sha-1", s), "QgayPKawpkPSDYmwT/WM94uAlu0=");
  EXPECT_EQ(capsHash("sha-256", s), "Wr6IGEKhx6b9627gBmi/cCmpxXBc/GYq5zWuYfWGWoc=");
}

TEST(PepEntityCapsTest, ComplexGenerationExample) {  // XEP-0115 §5.3
  auto info = parseDiscoInfo(parse(kComplexExample));
  ASSERT_TRUE(info);
  std::string s = verificationString(*info);
  EXPECT_EQ(s,
            "client/pc/el/Ψ 0.11<client/pc/en/Psi 0.11<http://jabber.org/protocol/caps<"
            "http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<"
            "http://jabber.org/protocol/muc<urn:xmpp:dataforms:softwareinfo<ip_version<ipv4<ipv6<os<Mac<"
            "os_version<10.5.1<software<Psi<software_version<0.11<");
  EXPECT_EQ(capsHash("sha-1", s), "q07IKJEyjvHSyhy//CH0CxmKi8w=");
}

TEST(PepEntityCapsTest, UnknownHashFunction) {
  EXPECT_FALSE(capsHash("md5", "x"));
  EXPECT_FALSE(capsHash("", "x"));
  EXPECT_FALSE(capsHash("SHA-1", "x"));  // IANA names are lower case
}

TEST(PepEntityCapsTest, DuplicatesMakeAnAnswerUnusable) {  // §5.4 step 3
  EXPECT_FALSE(parseDiscoInfo(parse("<query xmlns='http://jabber.org/protocol/disco#info'>"
                                    "<feature var='a'/><feature var='a'/></query>")));
  EXPECT_FALSE(parseDiscoInfo(parse("<query xmlns='http://jabber.org/protocol/disco#info'>"
                                    "<identity category='client' type='pc' name='x'/>"
                                    "<identity category='client' type='pc' name='x'/></query>")));
  // Same category and type but another language: two identities.
  EXPECT_TRUE(parseDiscoInfo(parse("<query xmlns='http://jabber.org/protocol/disco#info'>"
                                   "<identity category='client' type='pc' name='x' xml:lang='en'/>"
                                   "<identity category='client' type='pc' name='x' xml:lang='de'/></query>")));
  const std::string form =
      "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:a</value></field>"
      "<field var='f'><value>1</value></field></x>";
  EXPECT_FALSE(
      parseDiscoInfo(parse("<query xmlns='http://jabber.org/protocol/disco#info'>" + form + form + "</query>")));
  EXPECT_FALSE(parseDiscoInfo(parse("<query xmlns='http://jabber.org/protocol/disco#info'>"
                                    "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'>"
                                    "<value>urn:a</value><value>urn:b</value></field></x></query>")));
}

TEST(PepEntityCapsTest, FormsWithoutHiddenFormTypeAreLeftOut) {
  auto plain = parseDiscoInfo(parse("<query xmlns='http://jabber.org/protocol/disco#info'><feature var='a'/></query>"));
  auto withForms = parseDiscoInfo(
      parse("<query xmlns='http://jabber.org/protocol/disco#info'><feature var='a'/>"
            "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE'><value>urn:a</value></field></x>"
            "<x xmlns='jabber:x:data' type='result'><field var='other'><value>v</value></field></x></query>"));
  ASSERT_TRUE(plain && withForms);
  EXPECT_TRUE(withForms->forms.empty());
  EXPECT_EQ(verificationString(*plain), verificationString(*withForms));
}

TEST(PepEntityCapsTest, CapsOfPresence) {
  auto caps = capsOfPresence(parse("<presence xmlns='jabber:client'><c xmlns='http://jabber.org/protocol/caps' "
                                   "hash='sha-1' node='http://psi-im.org' ver='q07IKJEyjvHSyhy//CH0CxmKi8w='/>"
                                   "</presence>"));
  ASSERT_TRUE(caps);
  EXPECT_EQ(caps->hash, "sha-1");
  EXPECT_EQ(caps->node, "http://psi-im.org");
  EXPECT_EQ(caps->ver, "q07IKJEyjvHSyhy//CH0CxmKi8w=");
  // Legacy caps (no hash) cannot be verified; no caps at all is nothing to learn.
  EXPECT_FALSE(capsOfPresence(parse("<presence xmlns='jabber:client'><c xmlns='http://jabber.org/protocol/caps' "
                                    "node='http://psi-im.org' ver='0.11' ext='a b'/></presence>")));
  EXPECT_FALSE(capsOfPresence(parse("<presence xmlns='jabber:client'/>")));
}

TEST(PepCapsCacheTest, NotifyNodesFromFeatures) {
  auto f = CapsFeatures::make({"urn:xmpp:avatar:metadata+notify", "http://jabber.org/protocol/caps",
                               "http://jabber.org/protocol/tune+notify", "+notify", "urn:xmpp:avatar:metadata+notify"});
  EXPECT_EQ(f->notifyNodes, (std::vector<std::string>{"http://jabber.org/protocol/tune", "urn:xmpp:avatar:metadata"}));
  EXPECT_TRUE(f->wantsNotify("urn:xmpp:avatar:metadata"));
  EXPECT_TRUE(f->wantsNotify("http://jabber.org/protocol/tune"));
  EXPECT_FALSE(f->wantsNotify("urn:xmpp:avatar:data"));
  EXPECT_FALSE(f->wantsNotify("http://jabber.org/protocol/caps"));
  EXPECT_FALSE(f->wantsNotify(""));
}

TEST(PepCapsCacheTest, BoundedAndKeyedByHashAndVer) {
  CapsCache cache(2);
  auto f = CapsFeatures::make({"a+notify"});
  cache.add("sha-1", "v1", f);
  cache.add("sha-1", "v2", f);
  EXPECT_EQ(cache.find("sha-1", "v1"), f);
  EXPECT_FALSE(cache.find("sha-256", "v1"));
  cache.add("sha-1", "v3", f);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.find("sha-1", "v1"));  // the oldest made way
  EXPECT_TRUE(cache.find("sha-1", "v3"));
}

TEST(PepCapsCacheTest, ResourceInterestsFollowTheLatestCaps) {
  ResourceInterests interests;
  auto f = CapsFeatures::make({"a+notify"});
  EXPECT_TRUE(interests.advertise("u@h/r", "sha-1 v1"));
  EXPECT_FALSE(interests.advertise("u@h/r", "sha-1 v1"));  // same caps again: nothing to redo
  EXPECT_FALSE(interests.features("u@h/r"));
  EXPECT_TRUE(interests.advertise("u@h/r", "sha-1 v2"));
  EXPECT_FALSE(interests.learn("u@h/r", "sha-1 v1", f));  // a late answer for old caps
  EXPECT_TRUE(interests.learn("u@h/r", "sha-1 v2", f));
  EXPECT_EQ(interests.features("u@h/r"), f);
  interests.forget("u@h/r");
  EXPECT_FALSE(interests.features("u@h/r"));
  EXPECT_FALSE(interests.learn("u@h/r", "sha-1 v2", f));
}

TEST(PepCapsCacheTest, QueriesAreTakenOnceAndForgottenWithTheResource) {
  CapsQueries queries(std::chrono::seconds(60));
  std::string id = queries.add({"u@h/r", "sha-1", "n", "v", {}});
  EXPECT_TRUE(id.starts_with("pep-caps-"));
  EXPECT_FALSE(queries.take(id, "u@h/other"));  // only the resource asked may answer
  auto q = queries.take(id, "u@h/r");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->fullJid, "u@h/r");
  EXPECT_FALSE(queries.take(id, "u@h/r"));
  queries.add({"u@h/r", "sha-1", "n", "v", {}});
  queries.add({"u@h/other", "sha-1", "n", "v", {}});
  queries.forgetResource("u@h/r");
  EXPECT_EQ(queries.size(), 1u);
}

TEST(PepCapsCacheTest, UnansweredQueriesExpire) {
  CapsQueries queries(std::chrono::seconds(0));
  queries.add({"u@h/r", "sha-1", "n", "v", {}});
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  queries.add({"u@h/s", "sha-1", "n", "v", {}});
  EXPECT_EQ(queries.size(), 1u);
}

}  // namespace
}  // namespace telex::modules::pep
