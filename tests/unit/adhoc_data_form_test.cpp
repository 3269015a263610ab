// Data forms (XEP-0004) as commands build and read them, and the command session table: limits,
// owners, expiry.
#include <gtest/gtest.h>

#include "modules/adhoc/command_sessions.hpp"
#include "modules/adhoc/data_form.hpp"
#include "xml/element.hpp"

namespace telex::modules::adhoc {
namespace {

xml::Element submit(std::initializer_list<std::pair<const char*, std::vector<std::string>>> fields) {
  xml::Element x("x", std::string(kDataNs));
  x.setAttr("type", "submit");
  for (const auto& [var, values] : fields) {
    auto& f = x.addChild(xml::Element("field", std::string(kDataNs)));
    f.setAttr("var", var);
    for (const auto& v : values) f.addChild(xml::Element("value", std::string(kDataNs))).addText(v);
  }
  return x;
}

TEST(DataFormTest, SerializesFieldsOptionsAndEscapesText) {
  DataForm form;
  form.title = "T <&'\">";
  form.instructions = "fill in";
  form.add("FORM_TYPE", "hidden").values = {"http://jabber.org/protocol/admin"};
  auto& list = form.add("level", "list-single", "Level");
  list.required = true;
  list.options = {{"Info", "info"}, {"Critical", "critical"}};
  form.add("text", "text-multi", "Text").values = DataForm::lines("one\r\ntwo\n");
  std::string xml = xml::serialize(form.toElement());
  EXPECT_NE(xml.find("xmlns='jabber:x:data'"), std::string::npos) << xml;
  EXPECT_NE(xml.find("type='form'"), std::string::npos) << xml;
  EXPECT_NE(xml.find("T &lt;&amp;'\"&gt;"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<required/>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<option label='Critical'><value>critical</value></option>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<value>one</value><value>two</value>"), std::string::npos) << xml;
}

TEST(DataFormTest, LinesSplitsAndDropsOneTrailingNewline) {
  EXPECT_EQ(DataForm::lines("a\nb"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(DataForm::lines("a\n\nb\n"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_TRUE(DataForm::lines("").empty());
}

TEST(FormValuesTest, ReadsSingleAndMultiValues) {
  auto values = FormValues::parse(submit({{"FORM_TYPE", {"urn:x"}}, {"subject", {"Hi"}},
                                          {"announcement", {"line 1", "line 2"}}, {"empty", {}}}));
  ASSERT_TRUE(values) << values.error();
  EXPECT_EQ(values->formType(), "urn:x");
  EXPECT_EQ(values->single("subject"), "Hi");
  EXPECT_EQ(values->text("announcement"), "line 1\nline 2");
  EXPECT_TRUE(values->has("empty"));
  EXPECT_EQ(values->single("empty"), "");
  EXPECT_EQ(values->single("absent"), "");
  EXPECT_EQ(values->values("absent"), nullptr);
}

TEST(FormValuesTest, RefusesWhatIsNotAWellFormedSubmission) {
  auto form = submit({{"a", {"1"}}});
  form.setAttr("type", "form");
  EXPECT_FALSE(FormValues::parse(form));
  EXPECT_FALSE(FormValues::parse(xml::Element("x", "jabber:x:other")));
  EXPECT_FALSE(FormValues::parse(submit({{"a", {"1"}}, {"a", {"2"}}})));  // the same var twice
  auto noVar = submit({});
  noVar.addChild(xml::Element("field", std::string(kDataNs))).addChild(xml::Element("value", std::string(kDataNs)));
  EXPECT_FALSE(FormValues::parse(noVar));
  auto many = submit({});
  for (std::size_t i = 0; i <= FormValues::kMaxFields; ++i) {
    many.addChild(xml::Element("field", std::string(kDataNs))).setAttr("var", "f" + std::to_string(i));
  }
  EXPECT_FALSE(FormValues::parse(many));
  auto values = submit({});
  auto& field = values.addChild(xml::Element("field", std::string(kDataNs)));
  field.setAttr("var", "v");
  for (std::size_t i = 0; i <= FormValues::kMaxValues; ++i) field.addChild(xml::Element("value", std::string(kDataNs)));
  EXPECT_FALSE(FormValues::parse(values));
  // Foreign elements are ignored, not fatal.
  auto foreign = submit({{"a", {"1"}}});
  foreign.addChild(xml::Element("field", "urn:other")).setAttr("var", "a");
  foreign.addChild(xml::Element::text("  "));
  EXPECT_TRUE(FormValues::parse(foreign));
}

TEST(CommandSessionsTest, OwnerNodeBusyAndExpiry) {
  CommandSessions sessions;
  auto t0 = CommandSessions::Clock::now();
  std::string id = sessions.open("node", "a@x/1", t0);
  ASSERT_FALSE(id.empty());
  std::size_t stage = 99;
  EXPECT_EQ(sessions.take(id, "node", "a@x/1", stage, t0), CommandSessions::Status::Busy);  // opened busy
  sessions.advance(id, 1, t0);
  EXPECT_EQ(sessions.take(id, "node", "a@x/2", stage, t0), CommandSessions::Status::WrongOwner);
  EXPECT_EQ(sessions.take(id, "other", "a@x/1", stage, t0), CommandSessions::Status::WrongNode);
  EXPECT_EQ(sessions.take("nope", "node", "a@x/1", stage, t0), CommandSessions::Status::Unknown);
  EXPECT_EQ(sessions.take(id, "node", "a@x/1", stage, t0), CommandSessions::Status::Ok);
  EXPECT_EQ(stage, 1u);
  sessions.advance(id, 2, t0);
  auto later = t0 + CommandSessions::kIdleTimeout + std::chrono::seconds(1);
  EXPECT_EQ(sessions.take(id, "node", "a@x/1", stage, later), CommandSessions::Status::Expired);
  EXPECT_EQ(sessions.size(), 0u);
}

TEST(CommandSessionsTest, BoundedPerOwner) {
  CommandSessions sessions;
  for (std::size_t i = 0; i < CommandSessions::kMaxPerOwner; ++i) {
    EXPECT_FALSE(sessions.open("n", "a@x/" + std::to_string(i)).empty());
  }
  EXPECT_TRUE(sessions.open("n", "a@x/another").empty());
  EXPECT_FALSE(sessions.open("n", "b@x/1").empty());
}

}  // namespace
}  // namespace telex::modules::adhoc
