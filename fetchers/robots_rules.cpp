#include "fetchers/robots_rules.hpp"

#include <cctype>

namespace tributary::fetchers {
namespace {

constexpr size_t kMaxRobotsBytes = 500 * 1024;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool RobotsPatternMatches(std::string_view pattern, std::string_view path) {
  bool anchored = false;
  if (!pattern.empty() && pattern.back() == '$') {
    anchored = true;
    pattern.remove_suffix(1);
  }
  // Greedy wildcard matching with one backtrack point per '*' (linear in practice).
  size_t p = 0;
  size_t s = 0;
  size_t star = std::string_view::npos;
  size_t star_s = 0;
  while (true) {
    if (p == pattern.size()) {
      if (!anchored || s == path.size()) return true;
      if (star == std::string_view::npos) return false;
      // Anchored but text remains: let the last '*' swallow one more character.
      p = star + 1;
      s = ++star_s;
      if (s > path.size()) return false;
      continue;
    }
    if (pattern[p] == '*') {
      star = p++;
      star_s = s;
      continue;
    }
    if (s < path.size() && pattern[p] == path[s]) {
      ++p;
      ++s;
      continue;
    }
    if (star == std::string_view::npos) return false;
    p = star + 1;
    s = ++star_s;
    if (s > path.size()) return false;
  }
}

std::string RobotsRules::ProductToken(std::string_view agent) {
  agent = Trim(agent);
  size_t end = 0;
  while (end < agent.size() && (std::isalnum(static_cast<unsigned char>(agent[end])) != 0 ||
                                agent[end] == '-' || agent[end] == '_')) {
    ++end;
  }
  return Lower(agent.substr(0, end));
}

RobotsRules RobotsRules::AllowAll() { return RobotsRules(); }

RobotsRules RobotsRules::DisallowAll() {
  RobotsRules r;
  r.disallow_all_ = true;
  return r;
}

RobotsRules RobotsRules::Parse(std::string_view text) {
  RobotsRules out;
  if (text.size() > kMaxRobotsBytes) text = text.substr(0, kMaxRobotsBytes);
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  bool in_agents = false;  // the previous line was a user-agent line
  while (!text.empty()) {
    const size_t eol = text.find_first_of("\r\n");
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string key = Lower(Trim(line.substr(0, colon)));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (key == "user-agent") {
      if (!in_agents) out.groups_.emplace_back();
      in_agents = true;
      std::string token = value == "*" ? std::string("*") : ProductToken(value);
      if (!token.empty()) out.groups_.back().agents.push_back(std::move(token));
      continue;
    }
    if (key == "allow" || key == "disallow") {
      in_agents = false;
      // Rules before any user-agent line belong to no group (RFC 9309 2.1).
      if (out.groups_.empty()) continue;
      // An empty Disallow allows everything: no rule.
      if (value.empty()) continue;
      out.groups_.back().rules.push_back(Rule{key == "allow", std::string(value)});
      continue;
    }
    // sitemap, crawl-delay and unknown lines neither start nor end a group.
  }
  return out;
}

RobotsRules::Verdict RobotsRules::Check(std::string_view agent, std::string_view path) const {
  if (path.empty()) path = "/";
  if (path == "/robots.txt") return {true, ""};
  if (disallow_all_) return {false, "robots.txt unreachable (RFC 9309: assume disallow)"};
  const std::string token = ProductToken(agent);
  std::vector<const Group*> chosen;
  for (const auto& g : groups_) {
    for (const auto& a : g.agents) {
      if (!token.empty() && a == token) {
        chosen.push_back(&g);
        break;
      }
    }
  }
  if (chosen.empty()) {
    for (const auto& g : groups_) {
      for (const auto& a : g.agents) {
        if (a == "*") {
          chosen.push_back(&g);
          break;
        }
      }
    }
  }
  const Rule* best = nullptr;
  for (const Group* g : chosen) {
    for (const Rule& r : g->rules) {
      if (!RobotsPatternMatches(r.pattern, path)) continue;
      if (best == nullptr || r.pattern.size() > best->pattern.size() ||
          (r.pattern.size() == best->pattern.size() && r.allow && !best->allow)) {
        best = &r;
      }
    }
  }
  if (best == nullptr) return {true, ""};
  return {best->allow, std::string(best->allow ? "Allow: " : "Disallow: ") + best->pattern};
}

}  // namespace tributary::fetchers
