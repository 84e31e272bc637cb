#pragma once
// When a cron schedule fires next, in a time zone (CCTZ over the system tzdata). A time skipped
// by a daylight-saving jump fires at the jump; a repeated hour fires once (its first pass).
// Thread safety: pure functions.

#include <cctz/time_zone.h>

#include <optional>
#include <string>

#include "common/time.hpp"
#include "config/cron_spec.hpp"

namespace tributary::service::scheduler {

// The first firing strictly after `after`; nullopt when none within five years.
std::optional<SystemTime> NextCronTime(const config::CronSpec& spec, const cctz::time_zone& tz,
                                       SystemTime after);

// The zone by IANA name ("" is UTC); UTC when unknown (the loader has validated names).
cctz::time_zone LoadZone(const std::string& name);

}  // namespace tributary::service::scheduler
