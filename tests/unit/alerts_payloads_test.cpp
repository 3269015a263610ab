// The three alert payload shapes (Telex JSON, Alertmanager, Grafana) and their validation.
#include <gtest/gtest.h>

#include "modules/alerts/payloads.hpp"

namespace telex::modules::alerts {
namespace {

using announce::Severity;

TEST(AlertPayloads, NativeFull) {
  auto r = parseNative(R"({"to": ["alice@localhost", "bob@localhost/desk", "group:ops"], "text": "disk full",
    "title": "db1", "severity": "critical", "escalate": {"after_seconds": 60, "to": "carol"}})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->source, "api");
  EXPECT_EQ(r->to, (std::vector<std::string>{"alice@localhost", "bob@localhost/desk", "group:ops"}));
  EXPECT_EQ(r->text, "disk full");
  EXPECT_EQ(r->title, "db1");
  EXPECT_EQ(r->severity, Severity::Critical);
  ASSERT_TRUE(r->escalate);
  EXPECT_EQ(r->escalate->afterSeconds, 60);
  EXPECT_EQ(r->escalate->to, std::vector<std::string>{"carol"});
}

TEST(AlertPayloads, NativeDefaultsAndSubject) {
  auto r = parseNative(R"({"to": "alice", "text": "hi", "subject": "s"})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->severity, Severity::Warning);
  EXPECT_EQ(r->title, "s");
  EXPECT_FALSE(r->escalate);
}

TEST(AlertPayloads, NativeRejectsBadInput) {
  for (const char* body : {"", "not json", "[1,2]", "{\"to\": [\"a\"]", R"({"text": "x"})", R"({"to": [], "text": "x"})",
                           R"({"to": [1], "text": "x"})", R"({"to": "a", "text": "  "})", R"({"to": "a", "text": 5})",
                           R"({"to": "a", "text": "x", "severity": "urgent"})",
                           R"({"to": "a", "text": "x", "escalate": {"to": "b"}})",
                           R"({"to": "a", "text": "x", "escalate": {"after_seconds": 0, "to": "b"}})",
                           R"({"to": "a", "text": "x", "escalate": {"after_seconds": 10}})",
                           R"({"to": "a", "text": "x", "escalate": 5})"}) {
    EXPECT_FALSE(parseNative(body)) << body;
  }
  std::string huge = R"({"to": "a", "text": ")" + std::string(kMaxAlertTextBytes + 1, 'x') + "\"}";
  EXPECT_FALSE(parseNative(huge));
}

constexpr const char* kAlertmanager = R"({
  "version": "4", "groupKey": "{}:{alertname=\"DiskFull\"}", "truncatedAlerts": 0, "status": "firing",
  "receiver": "telex", "groupLabels": {"alertname": "DiskFull"},
  "commonLabels": {"alertname": "DiskFull", "severity": "critical"},
  "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
  "alerts": [
    {"status": "firing", "labels": {"alertname": "DiskFull", "instance": "db1:9100", "severity": "critical"},
     "annotations": {"summary": "Disk almost full on db1", "description": "98% used"},
     "startsAt": "2026-11-21T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom/graph",
     "fingerprint": "abc"},
    {"status": "firing", "labels": {"alertname": "DiskFull", "instance": "db2:9100", "severity": "critical"},
     "annotations": {"summary": "Disk almost full on db2"}, "startsAt": "2026-11-21T10:00:00Z",
     "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "", "fingerprint": "def"}
  ]})";

TEST(AlertPayloads, Alertmanager) {
  auto r = parseAlertmanager(kAlertmanager);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->source, "alertmanager");
  EXPECT_EQ(r->title, "[FIRING:2] DiskFull");
  EXPECT_EQ(r->severity, Severity::Critical);
  EXPECT_NE(r->text.find("[firing] Disk almost full on db1 — 98% used"), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("instance=db1:9100"), std::string::npos);
  EXPECT_NE(r->text.find("Disk almost full on db2"), std::string::npos);
  EXPECT_NE(r->text.find("http://alertmanager:9093"), std::string::npos);
  EXPECT_TRUE(r->to.empty());
}

TEST(AlertPayloads, AlertmanagerResolvedIsInfo) {
  auto r = parseAlertmanager(R"({"status": "resolved", "commonLabels": {"alertname": "X", "severity": "critical"},
    "alerts": [{"status": "resolved", "labels": {"alertname": "X"}, "annotations": {}}]})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->severity, Severity::Info);
  EXPECT_EQ(r->title, "[RESOLVED] X");
}

TEST(AlertPayloads, AlertmanagerRejectsOtherShapes) {
  EXPECT_FALSE(parseAlertmanager("{}"));
  EXPECT_FALSE(parseAlertmanager(R"({"alerts": []})"));
  EXPECT_FALSE(parseAlertmanager(R"({"alerts": "x"})"));
  EXPECT_FALSE(parseAlertmanager(R"({"alerts": [1, "x"]})"));
  EXPECT_FALSE(parseAlertmanager("{"));
}

TEST(AlertPayloads, GrafanaUnified) {
  auto r = parseGrafana(R"json({"receiver": "telex", "status": "firing", "orgId": 1,
    "alerts": [{"status": "firing", "labels": {"alertname": "HighCPU", "grafana_folder": "infra"},
      "annotations": {"summary": "CPU above 90%"}, "valueString": "[ var='A' value=97 ]"}],
    "groupLabels": {}, "commonLabels": {"alertname": "HighCPU"}, "commonAnnotations": {},
    "externalURL": "http://grafana:3000/", "version": "1", "title": "[FIRING:1] HighCPU (infra)",
    "state": "alerting", "message": "**Firing**"})json");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->source, "grafana");
  EXPECT_EQ(r->title, "[FIRING:1] HighCPU (infra)");
  EXPECT_NE(r->text.find("[firing] CPU above 90% ([ var='A' value=97 ])"), std::string::npos) << r->text;
  EXPECT_EQ(r->severity, Severity::Warning);
}

TEST(AlertPayloads, GrafanaLegacy) {
  auto r = parseGrafana(R"({"title": "[Alerting] Latency", "ruleName": "Latency", "state": "alerting",
    "message": "p99 above 2s", "evalMatches": [{"metric": "api", "value": 2.5}], "ruleUrl": "http://grafana/d/1"})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->title, "[Alerting] Latency");
  EXPECT_EQ(r->severity, Severity::Critical);
  EXPECT_NE(r->text.find("p99 above 2s"), std::string::npos);
  EXPECT_NE(r->text.find("api = 2.5"), std::string::npos);
  auto ok = parseGrafana(R"({"ruleName": "Latency", "state": "ok"})");
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_EQ(ok->severity, Severity::Info);
  EXPECT_FALSE(parseGrafana(R"({"foo": 1})"));
  EXPECT_FALSE(parseGrafana("nope"));
}

TEST(AlertPayloads, SplitList) {
  EXPECT_EQ(splitList(" a, b ,,c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(splitList("").empty());
  EXPECT_TRUE(splitList(" , ").empty());
}

}  // namespace
}  // namespace telex::modules::alerts
