// Internal: per-Client state of the features implemented outside client.cpp (MUC rooms, the
// upload service found by disco). Owned by Client::Impl; reached through Client::featureState().
#pragma once

#include <optional>

#include "client/muc.hpp"
#include "client/upload.hpp"

namespace telex::client::detail {

struct FeatureState {
  MucRooms rooms;
  std::optional<UploadService> uploadService;  // cached for the session
};

}  // namespace telex::client::detail
