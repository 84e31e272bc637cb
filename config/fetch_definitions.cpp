#include "config/fetch_definitions.hpp"

#include <cctz/time_zone.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "config/cron_spec.hpp"
#include "config/definitions.hpp"

namespace tributary::config {
namespace {

using nlohmann::json;

const std::vector<std::string> kGroupKeys = {"concurrency", "spacing", "rate", "burst"};
const std::vector<std::string> kDefaultGroupKeys = {"by", "concurrency", "spacing", "rate",
                                                    "burst"};
const std::vector<std::string> kRetryKeys = {"attempts",        "base",   "cap",
                                             "max_retry_after", "budget", "budget_reserve"};
const std::vector<std::string> kCircuitKeys = {"failures", "cooldown"};
const std::vector<std::string> kRobotsKeys = {"ttl"};
const std::vector<std::string> kHintsKeys = {"use", "max"};
const std::vector<std::string> kAuthKeys = {"basic", "bearer"};
const std::vector<std::string> kBasicKeys = {"user", "password"};
const std::vector<std::string> kTlsKeys = {"verify", "ca_file"};
const std::vector<std::string> kLimitKeys = {
    "connect_timeout",  "low_speed_limit",       "low_speed_time", "max_body",
    "max_decompressed", "max_compression_ratio", "max_header_size"};

std::optional<GroupBy> ParseGroupBy(const json& v, const std::string& p, JsonReader& r) {
  return r.Enum<GroupBy>(
      v, p, "grouping",
      {{"host", GroupBy::kHost}, {"domain", GroupBy::kDomain}, {"ip", GroupBy::kIp}});
}

std::optional<double> Number(const json& v, const std::string& p, JsonReader& r, double min,
                             double max) {
  if (!v.is_number()) {
    r.Error(p, std::string("expected a number, got ") + JsonTypeName(v));
    return std::nullopt;
  }
  const double d = v.get<double>();
  if (!(d >= min && d <= max)) {
    r.Error(p, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return d;
}

void ParseRateValue(const json& v, const std::string& p, JsonReader& r, double& rate) {
  auto text = r.String(v, p);
  if (!text) return;
  if (auto parsed = ParseRate(*text)) {
    rate = *parsed;
  } else {
    r.Error(p, "invalid rate " + Quote(*text) + "; expected e.g. \"5/s\", \"30/m\" or \"100/h\"");
  }
}

// The keys of a group's limits; false when `k` is not one of them.
bool ParseLimitKey(const std::string& k, const json& v, const std::string& p, JsonReader& r,
                   GroupLimits& g) {
  if (k == "concurrency") {
    if (auto n = r.Integer(v, p, 1, 1000)) g.concurrency = static_cast<int>(*n);
  } else if (k == "spacing") {
    if (auto d = r.DurationValue(v, p, Duration(0))) g.spacing = *d;
  } else if (k == "rate") {
    ParseRateValue(v, p, r, g.rate);
  } else if (k == "burst") {
    if (auto n = r.Integer(v, p, 1, 10000)) g.burst = static_cast<double>(*n);
  } else {
    return false;
  }
  return true;
}

void ParseRetry(const json& v, const std::string& path, JsonReader& r, RetryConfig& retry) {
  if (!r.ExpectObject(v, path)) return;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string p = JoinKey(path, it.key());
    const auto& k = it.key();
    if (k == "attempts") {
      if (auto n = r.Integer(it.value(), p, 1, 20)) retry.attempts = static_cast<int>(*n);
    } else if (k == "base") {
      if (auto d = r.DurationValue(it.value(), p, Duration(1))) retry.base = *d;
    } else if (k == "cap") {
      if (auto d = r.DurationValue(it.value(), p, Duration(1))) retry.cap = *d;
    } else if (k == "max_retry_after") {
      if (auto d = r.DurationValue(it.value(), p, Duration(1000))) retry.max_retry_after = *d;
    } else if (k == "budget") {
      if (auto d = Number(it.value(), p, r, 0, 10)) retry.budget = *d;
    } else if (k == "budget_reserve") {
      if (auto n = r.Integer(it.value(), p, 0, 10000))
        retry.budget_reserve = static_cast<double>(*n);
    } else {
      r.UnknownKey(path, k, kRetryKeys);
    }
  }
}

void ParseCircuit(const json& v, const std::string& path, JsonReader& r, RetryConfig& retry) {
  if (!r.ExpectObject(v, path)) return;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string p = JoinKey(path, it.key());
    if (it.key() == "failures") {
      if (auto n = r.Integer(it.value(), p, 1, 1000)) retry.circuit_failures = static_cast<int>(*n);
    } else if (it.key() == "cooldown") {
      if (auto d = r.DurationValue(it.value(), p, Duration(1))) retry.circuit_cooldown = *d;
    } else {
      r.UnknownKey(path, it.key(), kCircuitKeys);
    }
  }
}

bool HasControl(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7F; });
}

std::optional<std::string> ProxyValue(const json& v, const std::string& p, JsonReader& r) {
  auto text = r.NonEmptyString(v, p);
  if (!text) return std::nullopt;
  if (*text == "direct") return text;
  const size_t sep = text->find("://");
  const std::string scheme = sep == std::string::npos ? "" : text->substr(0, sep);
  if (scheme != "http" && scheme != "https" && scheme != "socks5" && scheme != "socks5h" &&
      scheme != "socks4") {
    r.Error(p, "invalid proxy " + r.Shown(p, *text) +
                   "; expected http://host:port, https://, socks5:// or \"direct\"");
    return std::nullopt;
  }
  return text;
}

std::optional<std::string> CaFile(const json& v, const std::string& p, JsonReader& r) {
  auto text = r.NonEmptyString(v, p);
  if (text && HasControl(*text)) {
    r.Error(p, "must not contain control characters");
    return std::nullopt;
  }
  return text;
}

}  // namespace

std::optional<double> ParseRate(const std::string& text) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0) return std::nullopt;
  const std::string count = text.substr(0, slash);
  const std::string unit = text.substr(slash + 1);
  if (!std::all_of(count.begin(), count.end(),
                   [](unsigned char c) { return std::isdigit(c) != 0 || c == '.'; })) {
    return std::nullopt;
  }
  char* end = nullptr;
  const double n = std::strtod(count.c_str(), &end);
  if (end != count.c_str() + count.size() || !(n > 0) || !std::isfinite(n)) return std::nullopt;
  if (unit == "s") return n;
  if (unit == "m") return n / 60.0;
  if (unit == "h") return n / 3600.0;
  return std::nullopt;
}

const std::vector<std::string>& FetchPolicyKeys() {
  static const std::vector<std::string> keys = {"default_group",
                                                "retry",
                                                "circuit",
                                                "robots",
                                                "low_speed_limit",
                                                "low_speed_time",
                                                "max_decompressed",
                                                "max_compression_ratio",
                                                "max_header_size",
                                                "ca_file",
                                                "proxy",
                                                "hints",
                                                "startup_spread"};
  return keys;
}

bool ParseFetchPolicyKey(const std::string& k, const json& v, const std::string& p, JsonReader& r,
                         FetchPolicy& f) {
  if (k == "default_group") {
    if (!r.ExpectObject(v, p)) return true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string ip = JoinKey(p, it.key());
      if (it.key() == "by") {
        if (auto by = ParseGroupBy(it.value(), ip, r)) f.default_group_by = *by;
      } else if (!ParseLimitKey(it.key(), it.value(), ip, r, f.default_group)) {
        r.UnknownKey(p, it.key(), kDefaultGroupKeys);
      }
    }
  } else if (k == "retry") {
    ParseRetry(v, p, r, f.retry);
  } else if (k == "circuit") {
    ParseCircuit(v, p, r, f.retry);
  } else if (k == "robots") {
    if (!r.ExpectObject(v, p)) return true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it.key() == "ttl") {
        if (auto d = r.DurationValue(it.value(), JoinKey(p, "ttl"), Duration(1000)))
          f.robots_ttl = *d;
      } else {
        r.UnknownKey(p, it.key(), kRobotsKeys);
      }
    }
  } else if (k == "low_speed_limit") {
    if (auto n = r.Size(v, p, 0)) f.low_speed_limit = *n;
  } else if (k == "low_speed_time") {
    if (auto d = r.DurationValue(v, p, Duration(1000))) f.low_speed_time = *d;
  } else if (k == "max_decompressed") {
    if (auto n = r.Size(v, p, 1)) f.max_decompressed = *n;
  } else if (k == "max_compression_ratio") {
    if (auto d = Number(v, p, r, 1, 1e6)) f.max_compression_ratio = *d;
  } else if (k == "max_header_size") {
    if (auto n = r.Size(v, p, 1024)) f.max_header_size = *n;
  } else if (k == "ca_file") {
    if (auto s = CaFile(v, p, r)) f.ca_file = *s;
  } else if (k == "proxy") {
    if (auto s = ProxyValue(v, p, r)) f.proxy = *s;
  } else if (k == "hints") {
    if (!r.ExpectObject(v, p)) return true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string ip = JoinKey(p, it.key());
      if (it.key() == "use") {
        if (auto b = r.Bool(it.value(), ip)) f.hints = *b;
      } else if (it.key() == "max") {
        if (auto d = r.DurationValue(it.value(), ip, Duration(1000))) f.hints_max = *d;
      } else {
        r.UnknownKey(p, it.key(), kHintsKeys);
      }
    }
  } else if (k == "startup_spread") {
    if (auto d = r.DurationValue(v, p, Duration(0))) f.startup_spread = *d;
  } else {
    return false;
  }
  return true;
}

void ParseGroups(const json& v, const std::string& path, JsonReader& r,
                 std::map<std::string, GroupLimits>& groups) {
  if (!r.ExpectObject(v, path)) return;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string p = JoinKey(path, it.key());
    if (!IsValidId(it.key())) {
      r.Error(p, "invalid group name; use 1 to 64 letters, digits, '_', '.' or '-'");
      continue;
    }
    if (!r.ExpectObject(it.value(), p)) continue;
    GroupLimits g;
    g.concurrency = 1;  // a named group is usually about being gentle
    for (auto f = it.value().begin(); f != it.value().end(); ++f) {
      if (!ParseLimitKey(f.key(), f.value(), JoinKey(p, f.key()), r, g)) {
        r.UnknownKey(p, f.key(), kGroupKeys);
      }
    }
    groups[it.key()] = g;
  }
}

const std::vector<std::string>& SourceFetchKeys() {
  static const std::vector<std::string> keys = {"group",  "robots",   "retry",
                                                "limits", "auth",     "cookies",
                                                "proxy",  "tls",      "allow_private_networks",
                                                "cron",   "timezone", "jitter",
                                                "hints"};
  return keys;
}

bool ParseSourceFetchKey(const std::string& k, const json& v, const std::string& p, JsonReader& r,
                         SourceConfig& s) {
  SourceFetch& f = s.fetch;
  if (k == "group") {
    if (v.is_object()) {
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (it.key() == "by") {
          if (auto by = ParseGroupBy(it.value(), JoinKey(p, "by"), r)) f.group_by = *by;
        } else {
          r.UnknownKey(p, it.key(), {"by"});
        }
      }
    } else if (auto name = r.NonEmptyString(v, p)) {
      f.group = *name;
    }
  } else if (k == "robots") {
    if (auto m = r.Enum<RobotsMode>(
            v, p, "robots mode", {{"obey", RobotsMode::kObey}, {"ignore", RobotsMode::kIgnore}})) {
      f.robots = *m;
    }
  } else if (k == "retry") {
    if (!r.ExpectObject(v, p)) return true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it.key() == "attempts") {
        if (auto n = r.Integer(it.value(), JoinKey(p, "attempts"), 1, 20)) {
          f.retry_attempts = static_cast<int>(*n);
        }
      } else {
        r.UnknownKey(p, it.key(), {"attempts"});
      }
    }
  } else if (k == "limits") {
    if (!r.ExpectObject(v, p)) return true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string ip = JoinKey(p, it.key());
      const auto& lk = it.key();
      const json& lv = it.value();
      if (lk == "connect_timeout") {
        if (auto d = r.DurationValue(lv, ip, Duration(1))) f.connect_timeout = *d;
      } else if (lk == "low_speed_limit") {
        if (auto n = r.Size(lv, ip, 0)) f.low_speed_limit = *n;
      } else if (lk == "low_speed_time") {
        if (auto d = r.DurationValue(lv, ip, Duration(1000))) f.low_speed_time = *d;
      } else if (lk == "max_body") {
        if (auto n = r.Size(lv, ip, 1)) f.max_body = *n;
      } else if (lk == "max_decompressed") {
        if (auto n = r.Size(lv, ip, 1)) f.max_decompressed = *n;
      } else if (lk == "max_compression_ratio") {
        if (auto d = Number(lv, ip, r, 1, 1e6)) f.max_compression_ratio = *d;
      } else if (lk == "max_header_size") {
        if (auto n = r.Size(lv, ip, 1024)) f.max_header_size = *n;
      } else {
        r.UnknownKey(p, lk, kLimitKeys);
      }
    }
  } else if (k == "auth") {
    if (!r.ExpectObject(v, p)) return true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string ip = JoinKey(p, it.key());
      if (it.key() == "bearer") {
        auto token = r.NonEmptyString(it.value(), ip);
        if (token && HasControl(*token)) {
          r.Error(ip, "must not contain control characters");
        } else if (token) {
          f.bearer_token = *token;
        }
      } else if (it.key() == "basic") {
        if (!r.ExpectObject(it.value(), ip)) continue;
        bool has_user = false;
        for (auto b = it.value().begin(); b != it.value().end(); ++b) {
          const std::string bp = JoinKey(ip, b.key());
          if (b.key() == "user") {
            has_user = true;
            if (auto u = r.NonEmptyString(b.value(), bp)) f.basic_user = *u;
          } else if (b.key() == "password") {
            if (auto pw = r.String(b.value(), bp)) f.basic_password = *pw;
          } else {
            r.UnknownKey(ip, b.key(), kBasicKeys);
          }
        }
        if (!has_user) r.MissingKey(ip, "user");
      } else {
        r.UnknownKey(p, it.key(), kAuthKeys);
      }
    }
    if (!f.bearer_token.empty() && !f.basic_user.empty()) {
      r.Error(p, "use either \"basic\" or \"bearer\", not both");
    }
  } else if (k == "cookies") {
    if (!r.ExpectObject(v, p)) return true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string ip = JoinKey(p, it.key());
      auto value = r.String(it.value(), ip);
      if (!value) continue;
      const auto bad = [](const std::string& s) {
        return std::any_of(s.begin(), s.end(), [](unsigned char c) {
          return c <= 0x20 || c == 0x7F || c == ';' || c == ',' || c == '=';
        });
      };
      if (it.key().empty() || bad(it.key()) || HasControl(*value) ||
          value->find(';') != std::string::npos) {
        r.Error(ip, "cookie names and values must not contain spaces, ';' or control characters");
        continue;
      }
      f.cookies.emplace_back(it.key(), *value);
    }
  } else if (k == "proxy") {
    if (auto s2 = ProxyValue(v, p, r)) f.proxy = *s2;
  } else if (k == "tls") {
    if (!r.ExpectObject(v, p)) return true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string ip = JoinKey(p, it.key());
      if (it.key() == "verify") {
        if (auto b = r.Bool(it.value(), ip)) f.tls_verify = *b;
      } else if (it.key() == "ca_file") {
        if (auto c = CaFile(it.value(), ip, r)) f.ca_file = *c;
      } else {
        r.UnknownKey(p, it.key(), kTlsKeys);
      }
    }
  } else if (k == "allow_private_networks") {
    if (auto b = r.Bool(v, p)) f.allow_private_networks = *b;
  } else if (k == "cron") {
    auto text = r.NonEmptyString(v, p);
    if (!text) return true;
    std::string why;
    if (!CronSpec::Parse(*text, why)) {
      r.Error(p, "invalid cron expression " + Quote(*text) + ": " + why);
    } else {
      f.cron = *text;
    }
  } else if (k == "timezone") {
    auto text = r.NonEmptyString(v, p);
    if (!text) return true;
    cctz::time_zone tz;
    if (!cctz::load_time_zone(*text, &tz)) {
      r.Error(p, "unknown time zone " + Quote(*text) +
                     "; expected an IANA name such as \"Europe/Paris\" or \"UTC\"");
    } else {
      f.timezone = *text;
    }
  } else if (k == "jitter") {
    if (auto d = r.DurationValue(v, p, Duration(0))) f.jitter = *d;
  } else if (k == "hints") {
    if (v.is_boolean()) {
      f.hints = v.get<bool>();
      return true;
    }
    if (!r.ExpectObject(v, p)) return true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string ip = JoinKey(p, it.key());
      if (it.key() == "use") {
        if (auto b = r.Bool(it.value(), ip)) f.hints = *b;
      } else if (it.key() == "max") {
        if (auto d = r.DurationValue(it.value(), ip, Duration(1000))) f.hints_max = *d;
      } else {
        r.UnknownKey(p, it.key(), kHintsKeys);
      }
    }
  } else {
    return false;
  }
  return true;
}

void CheckFetchReferences(const Config& cfg, JsonReader& r) {
  std::vector<std::string> names;
  for (const auto& [name, g] : cfg.groups) names.push_back(name);
  for (size_t i = 0; i < cfg.sources.size(); ++i) {
    const auto& s = cfg.sources[i];
    const std::string path = JoinIndex("sources", i);
    if (!s.fetch.group.empty() && !cfg.groups.count(s.fetch.group)) {
      r.Error(JoinKey(path, "group"), "unknown group " + Quote(s.fetch.group) +
                                          Suggest(s.fetch.group, names, "the groups are"));
    }
    if (!s.fetch.timezone.empty() && s.fetch.cron.empty()) {
      r.Error(JoinKey(path, "timezone"), "a time zone applies to \"cron\" schedules only");
    }
    if (s.fetch.cron.empty() && s.fetch.jitter >= s.every) {
      r.Error(JoinKey(path, "jitter"),
              "must be shorter than \"every\" (" + FormatDuration(s.every) + ")");
    }
  }
}

}  // namespace tributary::config
