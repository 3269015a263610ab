// The muc#roomconfig form: applying submissions (values, errors, unknown fields, password rules,
// history cap), the offered form, change codes and the stored JSON record.
#include <gtest/gtest.h>

#include <map>

#include "modules/muc/room_config.hpp"
#include "modules/muc/room_record.hpp"

namespace telex::modules::muc {
namespace {

constexpr std::string_view kData = "jabber:x:data";

xml::Element form(std::initializer_list<std::pair<std::string_view, std::string_view>> fields,
                  std::string_view type = "submit") {
  xml::Element x("x", std::string(kData));
  x.setAttr("type", type);
  for (auto [var, value] : fields) {
    auto& f = x.addChild(xml::Element("field", std::string(kData)));
    f.setAttr("var", var);
    f.addChild(xml::Element("value", std::string(kData))).addText(value);
  }
  return x;
}

TEST(MucRoomConfig, EmptySubmissionIsAnInstantRoomWithDefaults) {
  auto c = applyConfigForm(defaultRoomConfig(50), form({}), 50);
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, defaultRoomConfig(50));
  EXPECT_FALSE(c->persistent);
  EXPECT_TRUE(c->isPublic);
  EXPECT_EQ(c->whois, Whois::Moderators);
  EXPECT_EQ(c->historyLength, 20);
  EXPECT_EQ(defaultRoomConfig(5).historyLength, 5);
}

TEST(MucRoomConfig, EveryFieldIsRead) {
  auto c = applyConfigForm(defaultRoomConfig(50),
                           form({{"FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig"},
                                 {"muc#roomconfig_roomname", "Team <&'\">"},
                                 {"muc#roomconfig_roomdesc", "about us"},
                                 {"muc#roomconfig_persistentroom", "1"},
                                 {"muc#roomconfig_publicroom", "false"},
                                 {"muc#roomconfig_membersonly", "true"},
                                 {"muc#roomconfig_moderatedroom", "1"},
                                 {"muc#roomconfig_passwordprotectedroom", "1"},
                                 {"muc#roomconfig_roomsecret", "pw"},
                                 {"muc#roomconfig_maxusers", "30"},
                                 {"muc#roomconfig_historylength", "7"},
                                 {"muc#roomconfig_whois", "anyone"},
                                 {"muc#roomconfig_changesubject", "1"},
                                 {"muc#roomconfig_allowinvites", "1"},
                                 {"muc#roomconfig_allowpm", "moderators"},
                                 {"muc#roomconfig_enablearchiving", "0"},
                                 {"muc#roomconfig_lang", "en"},
                                 {"x-client#whatever", "ignored"}}),
                           50);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->name, "Team <&'\">");
  EXPECT_EQ(c->description, "about us");
  EXPECT_TRUE(c->persistent);
  EXPECT_FALSE(c->isPublic);
  EXPECT_TRUE(c->membersOnly);
  EXPECT_TRUE(c->moderated);
  EXPECT_TRUE(c->passwordProtected);
  EXPECT_EQ(c->password, "pw");
  EXPECT_EQ(c->maxUsers, 30);
  EXPECT_EQ(c->historyLength, 7);
  EXPECT_EQ(c->whois, Whois::Anyone);
  EXPECT_TRUE(c->changeSubject);
  EXPECT_TRUE(c->allowInvites);
  EXPECT_EQ(c->allowPm, AllowPm::Moderators);
  EXPECT_FALSE(c->archiving);
}

TEST(MucRoomConfig, UnsetFieldsKeepTheCurrentValues) {
  RoomConfig base = defaultRoomConfig(50);
  base.name = "kept";
  base.membersOnly = true;
  auto c = applyConfigForm(base, form({{"muc#roomconfig_roomdesc", "new"}}), 50);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "kept");
  EXPECT_TRUE(c->membersOnly);
  EXPECT_EQ(c->description, "new");
}

TEST(MucRoomConfig, BadValuesNameTheField) {
  for (auto [var, value] : std::initializer_list<std::pair<std::string_view, std::string_view>>{
           {"muc#roomconfig_persistentroom", "yes"},
           {"muc#roomconfig_maxusers", "-3"},
           {"muc#roomconfig_maxusers", "many"},
           {"muc#roomconfig_historylength", "1.5"},
           {"muc#roomconfig_whois", "everybody"},
           {"muc#roomconfig_allowpm", "all"}}) {
    auto c = applyConfigForm(defaultRoomConfig(50), form({{var, value}}), 50);
    ASSERT_FALSE(c) << var << "=" << value;
    EXPECT_NE(c.error().find(var), std::string::npos) << c.error();
  }
  EXPECT_FALSE(applyConfigForm(defaultRoomConfig(50), form({{"FORM_TYPE", "urn:other"}}), 50));
  EXPECT_FALSE(applyConfigForm(defaultRoomConfig(50), form({}, "form"), 50));
  EXPECT_FALSE(applyConfigForm(defaultRoomConfig(50), xml::Element("query", "jabber:iq:x"), 50));
}

TEST(MucRoomConfig, MaxUsersNoneMeansUnlimited) {
  RoomConfig base = defaultRoomConfig(50);
  base.maxUsers = 10;
  auto c = applyConfigForm(base, form({{"muc#roomconfig_maxusers", "none"}}), 50);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->maxUsers, 0);
}

TEST(MucRoomConfig, HistoryLengthIsCappedByTheServer) {
  auto c = applyConfigForm(defaultRoomConfig(50), form({{"muc#roomconfig_historylength", "500"}}), 50);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->historyLength, 50);
  c = applyConfigForm(defaultRoomConfig(50), form({{"muc#roomconfig_historylength", "0"}}), 50);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->historyLength, 0);
}

TEST(MucRoomConfig, PasswordRules) {
  // Protection needs a secret.
  EXPECT_FALSE(applyConfigForm(defaultRoomConfig(50), form({{"muc#roomconfig_passwordprotectedroom", "1"}}), 50));
  // A secret alone turns protection on.
  auto c = applyConfigForm(defaultRoomConfig(50), form({{"muc#roomconfig_roomsecret", "s"}}), 50);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->passwordProtected);
  // Turning protection off forgets the secret.
  c = applyConfigForm(*c, form({{"muc#roomconfig_passwordprotectedroom", "0"}}), 50);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->passwordProtected);
  EXPECT_TRUE(c->password.empty());
}

TEST(MucRoomConfig, OfferedFormCarriesCurrentValuesAndReadsBack) {
  RoomConfig c = defaultRoomConfig(50);
  c.name = "R";
  c.whois = Whois::Anyone;
  c.maxUsers = 0;
  xml::Element x = configForm(c, 50);
  EXPECT_EQ(x.attrOr("type", ""), "form");
  std::map<std::string, std::string> values;
  for (const auto& f : x.children()) {
    if (f.isText() || f.name() != "field") continue;
    values[std::string(f.attrOr("var", ""))] = f.childText("value", kData);
  }
  EXPECT_EQ(values["FORM_TYPE"], kRoomConfigFormType);
  EXPECT_EQ(values["muc#roomconfig_roomname"], "R");
  EXPECT_EQ(values["muc#roomconfig_whois"], "anyone");
  EXPECT_EQ(values["muc#roomconfig_maxusers"], "none");
  EXPECT_EQ(values["muc#roomconfig_historylength"], "20");
  EXPECT_EQ(values["muc#roomconfig_persistentroom"], "0");
  // Submitting the offered form unchanged (as clients do) changes nothing.
  x.setAttr("type", "submit");
  auto back = applyConfigForm(c, x, 50);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, c);
}

TEST(MucRoomConfig, ChangeCodes) {
  RoomConfig a = defaultRoomConfig(50);
  EXPECT_TRUE(configChangeCodes(a, a).empty());
  RoomConfig b = a;
  b.name = "new";
  EXPECT_EQ(configChangeCodes(a, b), std::vector<int>{104});
  b = a;
  b.whois = Whois::Anyone;
  EXPECT_EQ(configChangeCodes(a, b), std::vector<int>{172});
  EXPECT_EQ(configChangeCodes(b, a), std::vector<int>{173});
  b = a;
  b.archiving = false;
  b.persistent = true;
  EXPECT_EQ(configChangeCodes(a, b), (std::vector<int>{104, 171}));
  EXPECT_EQ(configChangeCodes(b, a), (std::vector<int>{104, 170}));
}

TEST(MucRoomRecord, RoundTrip) {
  RoomRecord r;
  r.config = defaultRoomConfig(50);
  r.config.name = "Team \"quoted\" <&>";
  r.config.persistent = true;
  r.config.passwordProtected = true;
  r.config.password = "pw";
  r.config.whois = Whois::Anyone;
  r.config.allowPm = AllowPm::None;
  r.config.historyLength = 9;
  r.affiliations["alice@example.org"] = {Affiliation::Owner, "Al", ""};
  r.affiliations["mallory@example.org"] = {Affiliation::Outcast, "", "spam"};
  r.subject = "Plans";
  r.subjectBy = "Al";
  r.creator = "alice@example.org";
  auto back = decodeRecord(encodeRecord(r), 50);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->config, r.config);
  ASSERT_EQ(back->affiliations.size(), 2u);
  EXPECT_EQ(back->affiliations["alice@example.org"].affiliation, Affiliation::Owner);
  EXPECT_EQ(back->affiliations["alice@example.org"].nick, "Al");
  EXPECT_EQ(back->affiliations["mallory@example.org"].affiliation, Affiliation::Outcast);
  EXPECT_EQ(back->affiliations["mallory@example.org"].reason, "spam");
  EXPECT_EQ(back->subject, "Plans");
  EXPECT_EQ(back->subjectBy, "Al");
  EXPECT_EQ(back->creator, "alice@example.org");
}

TEST(MucRoomRecord, DamagedRecordsLoadWhatTheyCan) {
  EXPECT_FALSE(decodeRecord("not json", 50));
  EXPECT_FALSE(decodeRecord("[1,2]", 50));
  auto r = decodeRecord(R"({"config":{"name":7,"persistent":true,"history_length":900,"whois":"x"},)"
                        R"("affiliations":[{"jid":"a@b","affiliation":"king"},{"jid":"c@d","affiliation":"member"},)"
                        R"({"affiliation":"owner"},5],"subject":["no"]})",
                        50);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->config.persistent);
  EXPECT_EQ(r->config.name, "");
  EXPECT_EQ(r->config.historyLength, 50);  // capped by the server's limit
  EXPECT_EQ(r->config.whois, Whois::Moderators);
  ASSERT_EQ(r->affiliations.size(), 1u);
  EXPECT_EQ(r->affiliations["c@d"].affiliation, Affiliation::Member);
  EXPECT_EQ(r->subject, "");
}

}  // namespace
}  // namespace telex::modules::muc
