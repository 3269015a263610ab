// The HTTP listener's table of path handlers: file upload, and later the admin API, alert webhooks
// and WebSocket each register a path prefix at start-up.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/exchange.hpp"

namespace telex::http {

class Router {
 public:
  using Handler = std::function<void(std::shared_ptr<Exchange> exchange)>;

  // A prefix ending in '/' ("/upload/") takes every path below it; any other ("/metrics") takes only
  // that path. The longest match wins. Register at start-up only: workers read the table without
  // locks afterwards.
  void add(std::string prefix, Handler handler);
  // The handler for `path` (raw, without the query), or null: the listener then answers 404.
  const Handler* find(std::string_view path) const;
  bool empty() const { return routes_.empty(); }

 private:
  struct Route {
    std::string prefix;
    Handler handler;
  };
  std::vector<Route> routes_;  // longest prefix first
};

// Small helpers for handlers.
Response textResponse(Status status, std::string_view text);

}  // namespace telex::http
