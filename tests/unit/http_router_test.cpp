// The HTTP route table: subtree and exact prefixes, longest match first.
#include <gtest/gtest.h>

#include "http/router.hpp"

namespace telex::http {
namespace {

TEST(HttpRouter, LongestPrefixWins) {
  Router router;
  std::string hit;
  router.add("/", [&](std::shared_ptr<Exchange>) { hit = "root"; });
  router.add("/upload/", [&](std::shared_ptr<Exchange>) { hit = "upload"; });
  router.add("/upload/special/", [&](std::shared_ptr<Exchange>) { hit = "special"; });
  router.add("/metrics", [&](std::shared_ptr<Exchange>) { hit = "metrics"; });

  auto call = [&](std::string_view path) {
    hit.clear();
    if (const auto* h = router.find(path)) (*h)(nullptr);
    return hit;
  };
  EXPECT_EQ(call("/upload/abc/x.png"), "upload");
  EXPECT_EQ(call("/upload/special/x"), "special");
  EXPECT_EQ(call("/metrics"), "metrics");
  EXPECT_EQ(call("/metrics/x"), "root");  // exact paths take nothing below them
  EXPECT_EQ(call("/uploadx"), "root");
  EXPECT_EQ(call("/"), "root");
}

TEST(HttpRouter, NothingMatches) {
  Router router;
  router.add("/upload/", [](std::shared_ptr<Exchange>) {});
  EXPECT_EQ(router.find("/upload"), nullptr);
  EXPECT_EQ(router.find("/"), nullptr);
  EXPECT_NE(router.find("/upload/"), nullptr);
}

TEST(HttpRouter, TextResponse) {
  auto r = textResponse(Status::not_found, "no such file");
  EXPECT_EQ(r.status, Status::not_found);
  EXPECT_EQ(r.body, "no such file\n");
  EXPECT_EQ(std::string(r.headers[boost::beast::http::field::content_type]), "text/plain; charset=utf-8");
}

}  // namespace
}  // namespace telex::http
