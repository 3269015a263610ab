// Registration of the search module: the user directory (XEP-0055 Jabber Search), showing who
// exists and who is online, within the server's privacy setting (directory.visibility).
#pragma once

#include "modules/module.hpp"

namespace telex::modules::search {
void setup(ModuleContext& context);
}  // namespace telex::modules::search
