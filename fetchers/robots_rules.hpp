#pragma once
// robots.txt as RFC 9309 defines it: groups of user-agent lines with allow/disallow rules; the
// group for our product token (case-insensitive), else the "*" group, else everything is
// allowed. Rules match the path and query by prefix with "*" (any characters) and a trailing
// "$" (end); the longest matching rule wins and allow wins a tie. "/robots.txt" is always
// allowed. Files are read up to 500 KiB (the RFC's minimum).
// Thread safety: an immutable value after Parse; share freely.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tributary::fetchers {

class RobotsRules {
 public:
  static RobotsRules Parse(std::string_view text);
  static RobotsRules AllowAll();
  // What an unreachable robots.txt (5xx, network error) means under RFC 9309 2.3.1.4.
  static RobotsRules DisallowAll();

  struct Verdict {
    bool allowed = true;
    std::string rule;  // "Disallow: /private" (the deciding line), "" when no rule matched
  };
  // `agent` is a User-Agent value ("tributary/0.1 (+https://...)"); its product token
  // ("tributary") selects the group. `path` is the URL's path and query ("/a/b?x=1").
  Verdict Check(std::string_view agent, std::string_view path) const;

  // The product token of a User-Agent value, lower-cased: "tributary/0.1" -> "tributary".
  static std::string ProductToken(std::string_view agent);

 private:
  struct Rule {
    bool allow = false;
    std::string pattern;
  };
  struct Group {
    std::vector<std::string> agents;  // lower-cased tokens; "*" for the default group
    std::vector<Rule> rules;
  };
  std::vector<Group> groups_;
  bool disallow_all_ = false;
};

// True when `pattern` (robots.txt syntax: "*" wildcards, a trailing "$" anchor) matches `path`
// from its start.
bool RobotsPatternMatches(std::string_view pattern, std::string_view path);

}  // namespace tributary::fetchers
