// Registration of the alerts module: the alert API on the HTTP listener (bearer tokens with the
// "alerts" scope; Telex JSON, Alertmanager and Grafana payloads), acknowledgements through
// XEP-0184 receipts, escalation, pagers for offline users (e-mail, ntfy/Gotify webhooks) set with
// the telex:alerts#pager ad-hoc command, and the `alert-show` admin-socket command.
#pragma once

#include <string_view>

#include "modules/module.hpp"

namespace telex::modules::alerts {

inline constexpr std::string_view kPagerNode = "telex:alerts#pager";

void setup(ModuleContext& context);

}  // namespace telex::modules::alerts
