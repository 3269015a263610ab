// XEP-0363 HTTP File Upload on upload.<domain>, files served by telexd's HTTP listener.
#pragma once

#include "modules/module.hpp"

namespace telex::modules::upload {

void setup(ModuleContext& context);

}  // namespace telex::modules::upload
