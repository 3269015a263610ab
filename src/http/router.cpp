// Route table lookups.
#include "http/router.hpp"

#include <algorithm>

namespace telex::http {

void Router::add(std::string prefix, Handler handler) {
  routes_.push_back({std::move(prefix), std::move(handler)});
  std::stable_sort(routes_.begin(), routes_.end(),
                   [](const Route& a, const Route& b) { return a.prefix.size() > b.prefix.size(); });
}

const Router::Handler* Router::find(std::string_view path) const {
  for (const auto& r : routes_) {
    bool subtree = !r.prefix.empty() && r.prefix.back() == '/';
    if (subtree ? path.starts_with(r.prefix) : path == r.prefix) return &r.handler;
  }
  return nullptr;
}

Response textResponse(Status status, std::string_view text) {
  Response r;
  r.status = status;
  r.headers.set(boost::beast::http::field::content_type, "text/plain; charset=utf-8");
  r.body = std::string(text) + "\n";
  return r;
}

}  // namespace telex::http
