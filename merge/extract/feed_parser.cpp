#include "merge/extract/feed_parser.hpp"

#include <libxml/tree.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "merge/extract/bounds.hpp"
#include "merge/extract/date_parser.hpp"
#include "merge/extract/dom.hpp"
#include "merge/extract/text_util.hpp"
#include "merge/extract/url_resolver.hpp"
#include "merge/extract/xml_document.hpp"

namespace tributary::merge::extract {
namespace {

using nlohmann::json;

enum class Ns { kNone, kAtom, kAtom03, kRss, kRdf, kDc, kDcTerms, kContent, kMedia, kOther };

Ns NsOf(const xmlNode* node) {
  if (node->ns == nullptr || node->ns->href == nullptr) return Ns::kNone;
  const std::string_view href = reinterpret_cast<const char*>(node->ns->href);
  if (href == "http://www.w3.org/2005/Atom") return Ns::kAtom;
  if (href == "http://purl.org/atom/ns#") return Ns::kAtom03;
  if (href == "http://purl.org/rss/1.0/" || href == "http://my.netscape.com/rdf/simple/0.9/" ||
      href == "http://backend.userland.com/rss2" || href == "http://backend.userland.com/RSS2") {
    return Ns::kRss;
  }
  if (href == "http://www.w3.org/1999/02/22-rdf-syntax-ns#") return Ns::kRdf;
  if (href == "http://purl.org/dc/elements/1.1/") return Ns::kDc;
  if (href == "http://purl.org/dc/terms/") return Ns::kDcTerms;
  if (href == "http://purl.org/rss/1.0/modules/content/") return Ns::kContent;
  if (href == "http://search.yahoo.com/mrss/" || href == "http://search.yahoo.com/mrss") {
    return Ns::kMedia;
  }
  return Ns::kOther;
}

// Atom elements: the Atom 1.0 / 0.3 namespaces, or whatever namespace (or none) a document
// whose root is <feed> uses (pre-standard Atom drafts and careless generators).
bool IsAtom(const xmlNode* n) {
  const Ns ns = NsOf(n);
  if (ns == Ns::kAtom || ns == Ns::kAtom03) return true;
  const xmlNode* root = xmlDocGetRootElement(n->doc);
  if (root == nullptr || root->name == nullptr ||
      std::string_view(reinterpret_cast<const char*>(root->name)) != "feed") {
    return false;
  }
  if (root->ns == nullptr || n->ns == nullptr) return root->ns == n->ns;
  return xmlStrEqual(root->ns->href, n->ns->href) != 0;
}
// RSS elements carry no namespace (RSS 0.9x/2.0) or the RSS 1.0 / 0.90 one.
bool IsRss(const xmlNode* n) { return NsOf(n) == Ns::kNone || NsOf(n) == Ns::kRss; }

bool Named(const xmlNode* n, std::string_view name) {
  return n->name != nullptr && std::string_view(reinterpret_cast<const char*>(n->name)) == name;
}

std::string Trimmed(const xmlNode* n) { return CollapseWhitespace(dom::TextContent(n)); }

// Text values keep their inner line breaks but lose surrounding whitespace.
std::string TrimEnds(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

json OrNull(std::string s) { return s.empty() ? json(nullptr) : json(std::move(s)); }

std::string Base(const xmlNode* node) {
  xmlChar* base = xmlNodeGetBase(node->doc, node);
  if (base == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(base));
  xmlFree(base);
  return out;
}

json Link(const xmlNode* node, const std::string& reference) {
  if (reference.empty()) return nullptr;
  if (auto url = ResolveUrl(reference, Base(node))) return *url;
  return reference;
}

json Date(const std::string& text) {
  if (auto date = NormalizeDate(text)) return *date;
  return nullptr;
}

// Inner markup of an element, serialised (Atom type="xhtml" text constructs).
std::string InnerXml(const xmlNode* element, bool strip_div = true) {
  const xmlNode* scope = element;
  // The XHTML div wrapper of Atom 1.0 is part of the syntax, not of the content.
  for (const xmlNode* c = element->children; strip_div && c != nullptr; c = c->next) {
    if (dom::IsElement(c)) {
      if (Named(c, "div")) scope = c;
      break;
    }
  }
  std::unique_ptr<xmlBuffer, void (*)(xmlBuffer*)> buffer(xmlBufferCreate(), xmlBufferFree);
  if (buffer == nullptr) return {};
  for (xmlNode* c = scope->children; c != nullptr; c = c->next) {
    xmlNodeDump(buffer.get(), element->doc, c, 0, 0);
  }
  return TrimEnds(reinterpret_cast<const char*>(xmlBufferContent(buffer.get())));
}

bool HasElementChild(const xmlNode* element) {
  for (const xmlNode* c = element->children; c != nullptr; c = c->next) {
    if (dom::IsElement(c)) return true;
  }
  return false;
}

std::string DecodeBase64(std::string_view text) {
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    if (c >= '0' && c <= '9') v = c - '0' + 52;
    if (c == '+' || c == '-') v = 62;
    if (c == '/' || c == '_') v = 63;
    if (v < 0) continue;  // whitespace, padding
    bits = (bits << 6) | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

// An Atom text construct (title, summary, content, rights). Atom 1.0: type "text", "html",
// "xhtml" (the wrapping div is syntax) or a media type (base64 unless text or XML). Atom 0.3:
// mode "xml" (the default: inline markup is kept), "escaped" or "base64".
std::string AtomText(const xmlNode* element) {
  const std::string type = dom::Attribute(element, "type").value_or("text");
  if (NsOf(element) == Ns::kAtom) {
    if (type == "xhtml") return InnerXml(element);
    if (type == "text" || type == "html" || type.starts_with("text/") ||
        type.find("xml") != std::string::npos) {
      return TrimEnds(dom::TextContent(element));
    }
    return TrimEnds(DecodeBase64(dom::TextContent(element)));
  }
  const std::string mode = dom::Attribute(element, "mode").value_or("xml");
  if (mode == "base64") return TrimEnds(DecodeBase64(dom::TextContent(element)));
  if (mode == "xml" && HasElementChild(element)) return InnerXml(element, /*strip_div=*/false);
  return TrimEnds(dom::TextContent(element));
}

// "jo@example.com (Jo Doe)", "Jo Doe <jo@example.com>", "jo@example.com" or "Jo Doe".
json RssAuthor(const std::string& text) {
  json author = {{"name", nullptr}, {"email", nullptr}, {"uri", nullptr}};
  const auto open = text.find('(');
  const auto close = text.rfind(')');
  const auto lt = text.find('<');
  const auto gt = text.rfind('>');
  if (open != std::string::npos && close != std::string::npos && close > open) {
    author["email"] = OrNull(CollapseWhitespace(text.substr(0, open)));
    author["name"] = OrNull(CollapseWhitespace(text.substr(open + 1, close - open - 1)));
  } else if (lt != std::string::npos && gt != std::string::npos && gt > lt) {
    author["name"] = OrNull(CollapseWhitespace(text.substr(0, lt)));
    author["email"] = OrNull(CollapseWhitespace(text.substr(lt + 1, gt - lt - 1)));
  } else if (text.find('@') != std::string::npos && text.find(' ') == std::string::npos) {
    author["email"] = text;
  } else {
    author["name"] = text;
  }
  return author;
}

json AtomPerson(const xmlNode* element) {
  json person = {{"name", nullptr}, {"email", nullptr}, {"uri", nullptr}};
  for (const xmlNode* c = element->children; c != nullptr; c = c->next) {
    if (!dom::IsElement(c)) continue;
    if (Named(c, "name")) person["name"] = OrNull(Trimmed(c));
    if (Named(c, "email")) person["email"] = OrNull(Trimmed(c));
    if (Named(c, "uri") || Named(c, "url")) person["uri"] = Link(c, Trimmed(c));
  }
  if (person["name"].is_null() && person["email"].is_null()) {
    const std::string text = Trimmed(element);
    if (!text.empty()) person["name"] = text;
  }
  return person;
}

json NewItem() {
  return {{"id", nullptr},
          {"title", nullptr},
          {"link", nullptr},
          {"published", nullptr},
          {"updated", nullptr},
          {"authors", json::array()},
          {"summary", nullptr},
          {"content", nullptr},
          {"categories", json::array()},
          {"enclosures", json::array()}};
}

json Enclosure(json url, const std::optional<std::string>& type,
               const std::optional<std::string>& length) {
  json e = {{"url", std::move(url)}, {"type", nullptr}, {"length", nullptr}};
  if (type && !type->empty()) e["type"] = *type;
  if (length) {
    try {
      size_t used = 0;
      const long long n = std::stoll(*length, &used);
      if (used == length->size() && n >= 0) e["length"] = n;
    } catch (const std::exception&) {
      // Not a number ("", "unknown"): left null.
    }
  }
  return e;
}

uint64_t Fnv1a(std::string_view text, uint64_t hash = 0xcbf29ce484222325ull) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// The id of an item that has none: its link, else a hash of what identifies it.
void EnsureId(json& item) {
  if (!item["id"].is_null()) return;
  if (item["link"].is_string()) {
    item["id"] = item["link"];
    return;
  }
  uint64_t hash = 0xcbf29ce484222325ull;
  for (const char* key : {"title", "published", "updated", "summary", "content"}) {
    hash = Fnv1a(item[key].is_string() ? item[key].get_ref<const std::string&>() : "", hash);
    hash = Fnv1a("\x1f", hash);
  }
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "urn:tributary:item:%016llx",
                static_cast<unsigned long long>(hash));
  item["id"] = buffer;
}

// One RSS <item> (0.9x, 1.0 or 2.0), with the Dublin Core, content and Atom extensions.
json RssItem(const xmlNode* element) {
  json item = NewItem();
  std::string guid_link;
  if (auto about = dom::Attribute(element, "about")) item["id"] = OrNull(TrimEnds(*about));
  for (const xmlNode* c = element->children; c != nullptr; c = c->next) {
    if (!dom::IsElement(c)) continue;
    const Ns ns = NsOf(c);
    if (IsRss(c)) {
      if (Named(c, "title")) {
        item["title"] = OrNull(TrimEnds(dom::TextContent(c)));
      } else if (Named(c, "link")) {
        if (item["link"].is_null()) item["link"] = Link(c, Trimmed(c));
      } else if (Named(c, "guid")) {
        const std::string guid = Trimmed(c);
        if (!guid.empty()) item["id"] = guid;
        const auto permalink = dom::Attribute(c, "isPermaLink");
        if (!permalink || *permalink != "false") guid_link = guid;
      } else if (Named(c, "pubDate")) {
        item["published"] = Date(Trimmed(c));
      } else if (Named(c, "description")) {
        item["summary"] = OrNull(TrimEnds(dom::TextContent(c)));
      } else if (Named(c, "author")) {
        if (std::string a = Trimmed(c); !a.empty()) item["authors"].push_back(RssAuthor(a));
      } else if (Named(c, "category")) {
        if (std::string t = Trimmed(c); !t.empty()) item["categories"].push_back(t);
      } else if (Named(c, "enclosure")) {
        if (auto url = dom::Attribute(c, "url")) {
          item["enclosures"].push_back(Enclosure(Link(c, TrimEnds(*url)), dom::Attribute(c, "type"),
                                                 dom::Attribute(c, "length")));
        }
      }
    } else if (ns == Ns::kDc || ns == Ns::kDcTerms) {
      if (Named(c, "date") || Named(c, "issued") || Named(c, "created")) {
        if (item["published"].is_null()) item["published"] = Date(Trimmed(c));
      } else if (Named(c, "modified")) {
        item["updated"] = Date(Trimmed(c));
      } else if (Named(c, "creator") || Named(c, "contributor")) {
        if (std::string a = Trimmed(c); !a.empty()) {
          item["authors"].push_back({{"name", a}, {"email", nullptr}, {"uri", nullptr}});
        }
      } else if (Named(c, "subject")) {
        if (std::string t = Trimmed(c); !t.empty()) item["categories"].push_back(t);
      } else if (Named(c, "title") && item["title"].is_null()) {
        item["title"] = OrNull(TrimEnds(dom::TextContent(c)));
      } else if (Named(c, "description") && item["summary"].is_null()) {
        item["summary"] = OrNull(TrimEnds(dom::TextContent(c)));
      }
    } else if (ns == Ns::kContent && Named(c, "encoded")) {
      item["content"] = OrNull(TrimEnds(dom::TextContent(c)));
    } else if (ns == Ns::kAtom) {
      if (Named(c, "updated")) item["updated"] = Date(Trimmed(c));
      if (Named(c, "published") && item["published"].is_null()) {
        item["published"] = Date(Trimmed(c));
      }
      if (Named(c, "link") && item["link"].is_null()) {
        const auto rel = dom::Attribute(c, "rel");
        if (!rel || *rel == "alternate") {
          if (auto href = dom::Attribute(c, "href")) item["link"] = Link(c, TrimEnds(*href));
        }
      }
    } else if (ns == Ns::kMedia && Named(c, "content")) {
      if (auto url = dom::Attribute(c, "url")) {
        item["enclosures"].push_back(Enclosure(Link(c, TrimEnds(*url)), dom::Attribute(c, "type"),
                                               dom::Attribute(c, "fileSize")));
      }
    } else if (ns == Ns::kMedia && Named(c, "title") && item["title"].is_null()) {
      item["title"] = OrNull(TrimEnds(dom::TextContent(c)));
    }
  }
  if (item["link"].is_null() && !guid_link.empty() &&
      (guid_link.starts_with("http://") || guid_link.starts_with("https://"))) {
    item["link"] = guid_link;
  }
  EnsureId(item);
  return item;
}

// One Atom <entry> (1.0 or 0.3).
json AtomEntry(const xmlNode* element) {
  json item = NewItem();
  for (const xmlNode* c = element->children; c != nullptr; c = c->next) {
    if (!dom::IsElement(c)) continue;
    if (IsAtom(c)) {
      if (Named(c, "id")) {
        item["id"] = OrNull(Trimmed(c));
      } else if (Named(c, "title")) {
        item["title"] = OrNull(AtomText(c));
      } else if (Named(c, "link")) {
        const auto href = dom::Attribute(c, "href");
        if (!href) continue;
        const std::string rel = dom::Attribute(c, "rel").value_or("alternate");
        if (rel == "alternate" && item["link"].is_null()) {
          item["link"] = Link(c, TrimEnds(*href));
        } else if (rel == "enclosure") {
          item["enclosures"].push_back(Enclosure(
              Link(c, TrimEnds(*href)), dom::Attribute(c, "type"), dom::Attribute(c, "length")));
        }
      } else if (Named(c, "published") || Named(c, "issued")) {
        item["published"] = Date(Trimmed(c));
      } else if (Named(c, "updated") || Named(c, "modified")) {
        item["updated"] = Date(Trimmed(c));
      } else if (Named(c, "created") && item["published"].is_null()) {
        item["published"] = Date(Trimmed(c));
      } else if (Named(c, "author") || Named(c, "contributor")) {
        if (Named(c, "author")) item["authors"].push_back(AtomPerson(c));
      } else if (Named(c, "summary")) {
        item["summary"] = OrNull(AtomText(c));
      } else if (Named(c, "content")) {
        item["content"] = OrNull(AtomText(c));
      } else if (Named(c, "category")) {
        auto term = dom::Attribute(c, "term");
        if (!term) term = dom::Attribute(c, "label");
        if (term && !term->empty()) item["categories"].push_back(*term);
      }
    } else if (NsOf(c) == Ns::kDc && Named(c, "subject")) {
      if (std::string t = Trimmed(c); !t.empty()) item["categories"].push_back(t);
    } else if (NsOf(c) == Ns::kMedia && Named(c, "content")) {
      if (auto url = dom::Attribute(c, "url")) {
        item["enclosures"].push_back(Enclosure(Link(c, TrimEnds(*url)), dom::Attribute(c, "type"),
                                               dom::Attribute(c, "fileSize")));
      }
    }
  }
  EnsureId(item);
  return item;
}

// Feed-level title, link and the RFC 5005 next page of an RSS channel or Atom feed.
void FeedInfo(const xmlNode* container, bool atom, ParsedFeed& out) {
  for (const xmlNode* c = container->children; c != nullptr; c = c->next) {
    if (!dom::IsElement(c)) continue;
    if (Named(c, "title") && (atom ? IsAtom(c) : IsRss(c)) && !out.feed.contains("title")) {
      out.feed["title"] = OrNull(atom ? AtomText(c) : TrimEnds(dom::TextContent(c)));
    } else if (Named(c, "link") && (IsAtom(c) || IsRss(c))) {
      const auto rel = dom::Attribute(c, "rel");
      const auto href = dom::Attribute(c, "href");
      if (rel && *rel == "next" && href) {
        if (auto url = Link(c, TrimEnds(*href)); url.is_string()) out.next = url;
      } else if (!out.feed.contains("link")) {
        if (IsAtom(c) && href && (!rel || *rel == "alternate")) {
          out.feed["link"] = Link(c, TrimEnds(*href));
        } else if (!IsAtom(c)) {
          out.feed["link"] = Link(c, Trimmed(c));
        }
      }
    } else if ((Named(c, "updated") && IsAtom(c)) || (Named(c, "lastBuildDate") && IsRss(c))) {
      out.feed["updated"] = Date(Trimmed(c));
    }
  }
}

Status CheckRecords(size_t count, const config::ExtractLimits& limits) {
  if (count <= limits.max_records) return Status::Ok();
  return Error::SourceBroken("the feed has more than " + std::to_string(limits.max_records) +
                             " items (bounds.max_records)");
}

Result<ParsedFeed> ParseXmlFeed(std::string_view utf8, const std::string& url,
                                const config::ExtractLimits& limits) {
  auto document = XmlDocument::Parse(utf8, url, &limits);
  if (!document) return document.error();
  if (Status bounds = CheckTreeBounds(document->doc(), limits); !bounds) return bounds.error();
  const xmlNode* root = document->root();
  ParsedFeed out;
  auto add_items = [&](const xmlNode* parent, std::string_view name, bool atom) -> Status {
    for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
      if (!dom::IsElement(c) || !Named(c, name) || (atom ? !IsAtom(c) : !IsRss(c))) continue;
      out.items.push_back(atom ? AtomEntry(c) : RssItem(c));
      if (Status s = CheckRecords(out.items.size(), limits); !s) return s;
    }
    return Status::Ok();
  };
  if (Named(root, "rss") || Named(root, "RDF")) {
    out.kind = Named(root, "rss") ? "rss" : "rdf";
    const xmlNode* channel = nullptr;
    for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
      if (dom::IsElement(c) && Named(c, "channel")) {
        channel = c;
        break;
      }
    }
    if (channel != nullptr) {
      FeedInfo(channel, false, out);
      if (Status s = add_items(channel, "item", false); !s) return s.error();
    }
    // RSS 1.0 puts items next to the channel; some broken RSS 2.0 feeds do too.
    if (Status s = add_items(root, "item", false); !s) return s.error();
    return out;
  }
  if (Named(root, "feed") && IsAtom(root)) {
    out.kind = "atom";
    FeedInfo(root, true, out);
    if (Status s = add_items(root, "entry", true); !s) return s.error();
    return out;
  }
  if (Named(root, "entry") && IsAtom(root)) {
    out.kind = "atom";
    out.items.push_back(AtomEntry(root));
    return out;
  }
  return Error::SourceBroken("not a feed: the root element is <" +
                             std::string(reinterpret_cast<const char*>(root->name)) +
                             ">, expected <rss>, <rdf:RDF> or <feed>");
}

json JsonString(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end()) return nullptr;
  if (it->is_string()) return it->get_ref<const std::string&>().empty() ? json(nullptr) : *it;
  if (it->is_number()) return it->dump();
  return nullptr;
}

json JsonLink(const json& object, const char* key, const std::string& base) {
  json value = JsonString(object, key);
  if (!value.is_string()) return nullptr;
  if (auto url = ResolveUrl(value.get<std::string>(), base)) return *url;
  return value;
}

json JsonDate(const json& object, const char* key) {
  const json value = JsonString(object, key);
  return value.is_string() ? Date(value.get<std::string>()) : json(nullptr);
}

json JsonFeedAuthor(const json& a, const std::string& base) {
  if (!a.is_object()) return nullptr;
  return {{"name", JsonString(a, "name")}, {"email", nullptr}, {"uri", JsonLink(a, "url", base)}};
}

Result<ParsedFeed> ParseJsonFeed(std::string_view utf8, const std::string& url,
                                 const config::ExtractLimits& limits) {
  auto document = ParseJsonBounded(utf8, limits);
  if (!document) return document.error();
  const json& doc = *document;
  const bool versioned =
      doc.is_object() && doc.contains("version") && doc["version"].is_string() &&
      doc["version"].get<std::string>().find("jsonfeed.org") != std::string::npos;
  if (!doc.is_object() || (!versioned && !(doc.contains("items") && doc["items"].is_array()))) {
    return Error::SourceBroken("not a feed: JSON without a JSON Feed \"version\" or \"items\"");
  }
  ParsedFeed out;
  out.kind = "json";
  out.feed["title"] = JsonString(doc, "title");
  out.feed["link"] = JsonLink(doc, "home_page_url", url);
  if (doc.contains("next_url")) {
    if (auto next = JsonLink(doc, "next_url", url); next.is_string()) out.next = next;
  }
  const json items = doc.value("items", json::array());
  if (!items.is_array()) return Error::SourceBroken("JSON Feed: \"items\" is not an array");
  if (Status s = CheckRecords(items.size(), limits); !s) return s.error();
  for (const json& entry : items) {
    if (!entry.is_object()) continue;
    json item = NewItem();
    item["id"] = JsonString(entry, "id");
    item["title"] = JsonString(entry, "title");
    item["link"] = JsonLink(entry, "url", url);
    if (item["link"].is_null()) item["link"] = JsonLink(entry, "external_url", url);
    item["published"] = JsonDate(entry, "date_published");
    item["updated"] = JsonDate(entry, "date_modified");
    item["summary"] = JsonString(entry, "summary");
    item["content"] = JsonString(entry, "content_html");
    if (item["content"].is_null()) item["content"] = JsonString(entry, "content_text");
    const json authors = entry.contains("authors")  ? entry["authors"]
                         : entry.contains("author") ? json::array({entry["author"]})
                         : doc.contains("authors")  ? doc["authors"]
                         : doc.contains("author")   ? json::array({doc["author"]})
                                                    : json::array();
    if (authors.is_array()) {
      for (const json& a : authors) {
        if (json person = JsonFeedAuthor(a, url); !person.is_null()) {
          item["authors"].push_back(std::move(person));
        }
      }
    }
    if (entry.contains("tags") && entry["tags"].is_array()) {
      for (const json& tag : entry["tags"]) {
        if (tag.is_string()) item["categories"].push_back(tag);
      }
    }
    if (entry.contains("attachments") && entry["attachments"].is_array()) {
      for (const json& a : entry["attachments"]) {
        if (!a.is_object() || !JsonString(a, "url").is_string()) continue;
        json e = {{"url", JsonLink(a, "url", url)},
                  {"type", JsonString(a, "mime_type")},
                  {"length", nullptr}};
        if (a.contains("size_in_bytes") && a["size_in_bytes"].is_number_integer()) {
          e["length"] = a["size_in_bytes"];
        }
        item["enclosures"].push_back(std::move(e));
      }
    }
    EnsureId(item);
    out.items.push_back(std::move(item));
  }
  return out;
}

}  // namespace

Result<ParsedFeed> ParseFeed(std::string_view utf8, const std::string& url,
                             const config::ExtractLimits& limits) {
  const size_t first = utf8.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return Error::SourceBroken("the feed is empty");
  if (utf8[first] == '{') return ParseJsonFeed(utf8, url, limits);
  return ParseXmlFeed(utf8, url, limits);
}

}  // namespace tributary::merge::extract
