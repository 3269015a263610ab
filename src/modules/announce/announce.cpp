// The announce module's commands (ad-hoc and admin socket) on top of Announcer.
#include "modules/announce/announce.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "modules/adhoc/command_registry.hpp"
#include "modules/announce/alert_preferences.hpp"
#include "modules/announce/announcer.hpp"
#include "modules/announce/severity.hpp"

namespace telex::modules::announce {
namespace {
using adhoc::Access;
using adhoc::DataForm;
using adhoc::StepDone;
using adhoc::StepRequest;
using adhoc::StepResult;

constexpr std::string_view kAdminFormType = "http://jabber.org/protocol/admin";
constexpr std::string_view kCliActor = "telexd CLI (admin socket)";

bool blank(std::string_view text) { return text.find_first_not_of(" \t\r\n") == std::string_view::npos; }

DataForm announceForm(Audience::Kind kind, const std::vector<std::string>& groups) {
  DataForm form;
  form.title = "Making an Announcement";
  switch (kind) {
    case Audience::Kind::Online: form.instructions = "Fill out this form to send an announcement to every user online now."; break;
    case Audience::Kind::All: form.instructions = "Fill out this form to send an announcement to every user; users who are offline get it at their next sign-in."; break;
    case Audience::Kind::Group: form.instructions = "Fill out this form to send an announcement to the members of a group; members who are offline get it at their next sign-in."; break;
  }
  form.add("FORM_TYPE", "hidden").values = {std::string(kAdminFormType)};
  if (kind == Audience::Kind::Group) {
    auto& group = form.add("group", "list-single", "Group");
    group.required = true;
    for (const auto& name : groups) group.options.emplace_back(name, name);
  }
  form.add("subject", "text-single", "Subject");
  form.add("announcement", "text-multi", "Announcement").required = true;
  return form;
}

DataForm motdForm(const std::optional<std::string>& current) {
  DataForm form;
  form.title = "Message of the Day";
  form.instructions = "Users see this message each time they sign in.";
  form.add("FORM_TYPE", "hidden").values = {std::string(kAdminFormType)};
  auto& motd = form.add("motd", "text-multi", "Message of the day");
  motd.required = true;
  if (current) motd.values = DataForm::lines(*current);
  return form;
}

std::optional<router::StanzaError> checkText(const std::string& text, std::string_view what) {
  if (blank(text)) return router::StanzaError::badRequest("the " + std::string(what) + " is empty");
  if (text.size() > kMaxAnnouncementBytes) {
    return router::StanzaError::badRequest("the " + std::string(what) + " is longer than " +
                                           std::to_string(kMaxAnnouncementBytes) + " bytes");
  }
  return std::nullopt;
}

router::StanzaError rateLimited() {
  return router::StanzaError::resourceConstraint("too many announcements; try again in a minute");
}

adhoc::CommandHandler announceHandler(std::shared_ptr<Announcer> announcer, Audience::Kind kind,
                                      std::string action) {
  return [announcer, kind, action](StepRequest step, StepDone done) {
    if (step.stage == 0) {
      if (kind != Audience::Kind::Group) {
        done(StepResult::ask(announceForm(kind, {})));
        return;
      }
      announcer->groupNames([done](auto names) {
        if (!names) {
          done(unexpected(router::StanzaError::internalServerError("could not read the groups")));
        } else {
          done(StepResult::ask(announceForm(Audience::Kind::Group, *names)));
        }
      });
      return;
    }
    std::string text = step.values.text("announcement");
    if (auto error = checkText(text, "announcement")) {
      done(unexpected(*error));
      return;
    }
    Audience audience{kind, step.values.single("group")};
    if (kind == Audience::Kind::Group && !GroupStore::validName(audience.group)) {
      done(unexpected(router::StanzaError::badRequest("choose a group")));
      return;
    }
    if (!announcer->admit(step.caller.jid.bareString(), action)) {
      done(unexpected(rateLimited()));
      return;
    }
    std::string subject = step.values.single("subject");
    if (blank(subject)) subject = "Announcement";
    announcer->announce(step.caller.jid.full(), audience, subject, text, [done](auto result) {
      if (!result) {
        bool missing = result.error().starts_with("no such group");
        done(unexpected(missing ? router::StanzaError::itemNotFound(result.error())
                                : router::StanzaError::internalServerError(result.error())));
        return;
      }
      done(StepResult::done("Announcement " + result->summary() + "."));
    });
  };
}

adhoc::CommandHandler setMotdHandler(std::shared_ptr<Announcer> announcer, std::string action) {
  return [announcer, action](StepRequest step, StepDone done) {
    if (step.stage == 0) {
      if (action == "motd-set") {
        done(StepResult::ask(motdForm(std::nullopt)));
        return;
      }
      announcer->readMotd([done](auto current) {
        if (!current) {
          done(unexpected(router::StanzaError::internalServerError("could not read the message of the day")));
        } else {
          done(StepResult::ask(motdForm(*current)));
        }
      });
      return;
    }
    std::string text = step.values.text("motd");
    if (auto error = checkText(text, "message of the day")) {
      done(unexpected(*error));
      return;
    }
    if (!announcer->admit(step.caller.jid.bareString(), action)) {
      done(unexpected(rateLimited()));
      return;
    }
    announcer->setMotd(step.caller.jid.full(), action, text, [done](auto result) {
      if (!result) {
        done(unexpected(router::StanzaError::internalServerError(result.error())));
      } else {
        done(StepResult::done("Message of the day set; users see it when they sign in."));
      }
    });
  };
}

adhoc::CommandHandler deleteMotdHandler(std::shared_ptr<Announcer> announcer) {
  return [announcer](StepRequest step, StepDone done) {
    if (!announcer->admit(step.caller.jid.bareString(), "motd-delete")) {
      done(unexpected(rateLimited()));
      return;
    }
    announcer->deleteMotd(step.caller.jid.full(), [done](auto result) {
      if (!result) {
        done(unexpected(router::StanzaError::internalServerError(result.error())));
      } else {
        done(StepResult::done("Message of the day deleted."));
      }
    });
  };
}

adhoc::CommandHandler alertPreferencesHandler(ModuleContext& ctx) {
  auto prefs = std::make_shared<AlertPreferences>(ctx.storage());
  return [&ctx, prefs](StepRequest step, StepDone done) {
    std::string user = step.caller.jid.local();
    if (step.stage == 0) {
      ctx.runBlocking([prefs, user] { return prefs->minimum(user); }, [done](auto current) {
        if (!current) {
          done(unexpected(router::StanzaError::internalServerError("could not read your preferences")));
          return;
        }
        DataForm form;
        form.title = "Alert Preferences";
        form.instructions = "Alerts below the level you choose are muted. Announcements from the "
                            "administrators always reach you.";
        auto& field = form.add("min_severity", "list-single", "Show alerts from");
        field.required = true;
        field.values = {std::string(severityName(*current))};
        field.options = {{"Information and above (all alerts)", "info"},
                         {"Warnings and above", "warning"},
                         {"Critical alerts only", "critical"}};
        done(StepResult::ask(std::move(form)));
      });
      return;
    }
    auto severity = parseSeverity(step.values.single("min_severity"));
    if (!severity) {
      done(unexpected(router::StanzaError::badRequest("min_severity must be info, warning or critical")));
      return;
    }
    ctx.runBlocking([prefs, user, level = *severity] { prefs->setMinimum(user, level); },
                    [done, level = *severity](auto result) {
                      if (!result) {
                        done(unexpected(router::StanzaError::internalServerError("could not store your preferences")));
                      } else if (level == Severity::Info) {
                        done(StepResult::done("All alerts are shown."));
                      } else {
                        done(StepResult::done("Alerts below " + std::string(severityName(level)) + " are muted."));
                      }
                    });
  };
}

// Admin socket: `announce {"target": "online"|"all"|"group", "group": ..., "subject": ..., "text": ...}`.
// The operator behind the owner-only socket is trusted: audited, not rate-limited.
std::string adminAnnounce(const std::shared_ptr<Announcer>& announcer, const std::string& argument) {
  auto request = nlohmann::json::parse(argument, nullptr, false);
  if (!request.is_object()) return "error: announce expects a JSON object\n";
  std::string target = request.value("target", std::string("online"));
  std::string text = request.value("text", std::string());
  std::string subject = request.value("subject", std::string("Announcement"));
  Audience audience;
  if (target == "online") {
    audience.kind = Audience::Kind::Online;
  } else if (target == "all") {
    audience.kind = Audience::Kind::All;
  } else if (target == "group") {
    audience.kind = Audience::Kind::Group;
    audience.group = request.value("group", std::string());
    if (!GroupStore::validName(audience.group)) return "error: invalid group name\n";
  } else {
    return "error: unknown target \"" + target + "\" (online, all or group)\n";
  }
  if (auto error = checkText(text, "announcement")) return "error: " + error->text + "\n";
  // Online announcements finish before announce() returns; the others continue after storage work.
  auto answer = std::make_shared<std::optional<std::string>>();
  announcer->announce(std::string(kCliActor), audience, subject, text, [answer](auto result) {
    *answer = result ? "announcement " + result->summary() + "\n" : "error: " + result.error() + "\n";
  });
  if (*answer) return **answer;
  return "announcement to " + audience.describe() +
         " accepted; delivery continues in the server (see `telexd audit list`)\n";
}

// Admin socket: `motd {"action": "set", "text": ...}` or `motd {"action": "clear"}`.
std::string adminMotd(const std::shared_ptr<Announcer>& announcer, const std::string& argument) {
  auto request = nlohmann::json::parse(argument, nullptr, false);
  if (!request.is_object()) return "error: motd expects a JSON object\n";
  std::string action = request.value("action", std::string());
  auto logFailure = [](auto result) {
    if (!result) spdlog::error("message of the day: {}", result.error());
  };
  if (action == "set") {
    std::string text = request.value("text", std::string());
    if (auto error = checkText(text, "message of the day")) return "error: " + error->text + "\n";
    announcer->setMotd(std::string(kCliActor), "motd-set", text, logFailure);
    return "message of the day set\n";
  }
  if (action == "clear") {
    announcer->deleteMotd(std::string(kCliActor), logFailure);
    return "message of the day cleared\n";
  }
  return "error: motd action must be set or clear\n";
}

}  // namespace

void setup(ModuleContext& ctx) {
  auto announcer = std::make_shared<Announcer>(ctx);
  auto& registry = adhoc::CommandRegistry::of(ctx.hooks());
  auto refused = [announcer](std::string action) {
    return [announcer, action](const adhoc::Caller& caller) {
      announcer->audit({0, caller.jid.full(), action, "", "refused: forbidden (not an admin or announcer)", ""});
    };
  };
  auto add = [&](std::string_view node, std::string name, std::string action, adhoc::CommandHandler handler) {
    registry.add({std::string(node), std::move(name), Access::Announcer, std::move(handler), refused(action)});
  };
  add(kAnnounceOnlineNode, "Send Announcement to Online Users", "announce",
      announceHandler(announcer, Audience::Kind::Online, "announce"));
  add(kAnnounceAllNode, "Send Announcement to All Users", "announce-all",
      announceHandler(announcer, Audience::Kind::All, "announce-all"));
  add(kAnnounceGroupNode, "Send Announcement to a Group", "announce-group",
      announceHandler(announcer, Audience::Kind::Group, "announce-group"));
  add(kSetMotdNode, "Set Message of the Day", "motd-set", setMotdHandler(announcer, "motd-set"));
  add(kEditMotdNode, "Edit Message of the Day", "motd-edit", setMotdHandler(announcer, "motd-edit"));
  add(kDeleteMotdNode, "Delete Message of the Day", "motd-delete", deleteMotdHandler(announcer));
  registry.add({std::string(kAlertPreferencesNode), "Alert Preferences", Access::LocalUser,
                alertPreferencesHandler(ctx), nullptr});

  registry.addAdminCommand("announce", [announcer](const std::string& argument) {
    return adminAnnounce(announcer, argument);
  });
  registry.addAdminCommand("motd", [announcer](const std::string& argument) { return adminMotd(announcer, argument); });

  // After the offline module (5), which hands over stored messages first.
  ctx.hooks().sessionAvailable.add(4, "announce", [announcer](router::SessionEvent& e) {
    announcer->signedIn(e.session);
    return router::HookResult::Pass;
  });
}

}  // namespace telex::modules::announce
