// The real multi-source data of the corpus: four country datasets under different field names
// and code formats, currency rates from two publishers, and older versions of the datasets for
// change detection. Expected figures are the ground truth of corpus/INVENTORY.md.
#include <gtest/gtest.h>

#include "merge/combine/record_diff.hpp"
#include "merge/combine/view_merger.hpp"
#include "tests/merge/combine/combine_test_util.hpp"

namespace tributary::merge::combine {
namespace {

using nlohmann::json;
using test_util::CorpusDir;
using test_util::CsvRecords;
using test_util::JsonRecords;
using test_util::View;

class CountriesCorpus : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = CorpusDir() / "countries";
    if (CorpusDir().empty() || !std::filesystem::is_directory(dir_)) {
      GTEST_SKIP() << "corpus not found (set TRIBUTARY_CORPUS)";
    }
  }

  SourceSnapshot Mledoze(const std::string& file = "mledoze_countries/countries.json") {
    return {"mledoze", FromUnixMillis(1000),
            JsonRecords(dir_ / file,
                        {{"cca2", "/cca2"},
                         {"ccn3", "/ccn3"},
                         {"name", "/name/common"},
                         {"official", "/name/official"},
                         {"capital", "/capital/0"},
                         {"region", "/region"},
                         {"currencies", "/currencies"}},
                        "cca2")};
  }
  SourceSnapshot Lukes() {
    return {"lukes", FromUnixMillis(2000),
            JsonRecords(dir_ / "lukes_iso3166/all/all.json",
                        {{"alpha-2", "/alpha-2"},
                         {"country-code", "/country-code"},
                         {"name", "/name"},
                         {"region", "/region"}},
                        "alpha-2")};
  }
  SourceSnapshot Annexare() {
    return {"annexare", FromUnixMillis(3000),
            JsonRecords(dir_ / "annexare_countries/dist/countries.min.json",
                        {{"code", ""}, {"name", "/name"}, {"capital", "/capital"}}, "code")};
  }
  SourceSnapshot CountryCodes(const std::string& file =
                                  "datasets_country_codes/data/"
                                  "country-codes.csv") {
    return {"country_codes", FromUnixMillis(4000),
            CsvRecords(dir_ / file,
                       {{"alpha2", "ISO3166-1-Alpha-2"},
                        {"numeric", "ISO3166-1-numeric"},
                        {"name", "CLDR display name"},
                        {"capital", "Capital"},
                        {"currency", "ISO4217-currency_alphabetic_code"},
                        {"official", "UNTERM English Formal"}},
                       "alpha2")};
  }

  std::filesystem::path dir_;
};

// Coverage: how many keys each combination of sources has.
std::map<std::vector<std::string>, size_t> Coverage(const std::vector<MergedRecord>& records) {
  std::map<std::vector<std::string>, size_t> out;
  for (const auto& r : records) ++out[r.sources];
  return out;
}

size_t ConflictsOn(const std::vector<MergedRecord>& records, const std::string& field) {
  size_t n = 0;
  for (const auto& r : records) {
    for (const auto& c : r.conflicts) n += c.field == field ? 1 : 0;
  }
  return n;
}

const MergedRecord* Find(const std::vector<MergedRecord>& records, const std::string& key) {
  for (const auto& r : records) {
    if (r.key == key) return &r;
  }
  return nullptr;
}

TEST_F(CountriesCorpus, FourSourcesByAlpha2UnderDifferentFieldNames) {
  const auto view = View(R"({"id": "countries", "key": "code", "normalize": ["trim", "casefold"],
      "sources": [{"id": "mledoze", "fields": {"code": "cca2"}},
                  {"id": "lukes", "fields": {"code": "alpha-2"}},
                  "annexare",
                  {"id": "country_codes", "fields": {"code": "alpha2"}}]})");
  MergeStats stats;
  const auto merged = MergeView(view, {Mledoze(), Lukes(), Annexare(), CountryCodes()}, &stats);
  EXPECT_EQ(stats.records_without_key, 0u);
  EXPECT_EQ(stats.duplicate_keys, 0u);
  ASSERT_EQ(merged.size(), 250u);
  // All four share 249; Kosovo (XK, a user-assigned code) is only in mledoze and annexare.
  const auto coverage = Coverage(merged);
  EXPECT_EQ(coverage.size(), 2u);
  EXPECT_EQ((coverage.at({"mledoze", "lukes", "annexare", "country_codes"})), 249u);
  EXPECT_EQ((coverage.at({"mledoze", "annexare"})), 1u);
  EXPECT_EQ(Find(merged, "xk")->sources, (std::vector<std::string>{"mledoze", "annexare"}));

  // Côte d'Ivoire: mledoze's "Ivory Coast" wins by priority; the conflict lists every source.
  const MergedRecord* ci = Find(merged, "ci");
  ASSERT_NE(ci, nullptr);
  EXPECT_EQ(ci->fields["name"], "Ivory Coast");
  EXPECT_EQ(ci->provenance.at("name").source, "mledoze");
  EXPECT_EQ(ci->fields["code"], "CI");
  const auto conflict = std::find_if(ci->conflicts.begin(), ci->conflicts.end(),
                                     [](const auto& c) { return c.field == "name"; });
  ASSERT_NE(conflict, ci->conflicts.end());
  EXPECT_EQ(conflict->values.at("mledoze"), "Ivory Coast");
  EXPECT_EQ(conflict->values.at("lukes"), "Côte d'Ivoire");
  EXPECT_EQ(conflict->values.size(), 4u);
  // Fields only one source has come from it.
  EXPECT_EQ(ci->provenance.at("country-code").source, "lukes");
  EXPECT_EQ(ci->provenance.at("currency").source, "country_codes");
}

TEST_F(CountriesCorpus, PairwiseAgreementMatchesTheInventory) {
  auto pair = [&](SourceSnapshot second, const std::string& second_code) {
    const auto view = View(R"({"id": "v", "key": "code", "sources": [
        {"id": "mledoze", "fields": {"code": "cca2"}},
        {"id": ")" + second.source_id +
                           R"(", "fields": {"code": ")" + second_code + R"("}}]})");
    return MergeView(view, {Mledoze(), std::move(second)});
  };
  const auto with_lukes = pair(Lukes(), "alpha-2");
  // Names agree for 216 of the 249 shared countries, regions for 241.
  EXPECT_EQ(ConflictsOn(with_lukes, "name"), 249u - 216u);
  // Of the 8 region disagreements, lukes has no region for 2 (AQ "", TW null): no value is no
  // conflict.
  EXPECT_EQ(ConflictsOn(with_lukes, "region"), 249u - 241u - 2u);
  EXPECT_EQ(Find(with_lukes, "AQ")->fields["region"], "Antarctic");
  const auto with_annexare = pair(Annexare(), "code");
  EXPECT_EQ(ConflictsOn(with_annexare, "name"), 250u - 232u);
  EXPECT_EQ(ConflictsOn(with_annexare, "capital"), 0u);  // capitals agree 250/250
}

TEST_F(CountriesCorpus, NumericCodesMatchDespiteZeroPadding) {
  // mledoze writes "004", country-codes 4: digits + strip_zeros make them one key. Kosovo has
  // no numeric code and is reported as a record without a key.
  const auto view = View(R"({"id": "v", "key": "num", "normalize": ["digits", "strip_zeros"],
      "sources": [{"id": "mledoze", "fields": {"num": "ccn3"}},
                  {"id": "country_codes", "fields": {"num": "numeric"}}], "join": "inner"})");
  MergeStats stats;
  const auto merged = MergeView(view, {Mledoze(), CountryCodes()}, &stats);
  EXPECT_EQ(merged.size(), 249u);
  EXPECT_EQ(stats.records_without_key, 1u);
  const MergedRecord* af = Find(merged, "4");
  ASSERT_NE(af, nullptr);
  EXPECT_EQ(af->fields["num"], "004");  // the priority source's own spelling
  EXPECT_EQ(af->fields["alpha2"], "AF");
}

TEST_F(CountriesCorpus, CapitalsCompareNormalized) {
  // country-codes strips accents ("Bogota") and has stray spaces (" Willemstad"): exact
  // comparison reports them, normalized comparison does not.
  auto conflicts = [&](const std::string& mode) {
    const auto view = View(R"({"id": "v", "key": "code", "join": "inner",
        "sources": [{"id": "mledoze", "fields": {"code": "cca2"}},
                    {"id": "country_codes", "fields": {"code": "alpha2"}}],
        "fields": {"capital": {"compare": {"mode": ")" +
                           mode + R"("}}}})");
    return ConflictsOn(MergeView(view, {Mledoze(), CountryCodes()}), "capital");
  };
  const size_t exact = conflicts("exact");
  const size_t normalized = conflicts("normalized");
  EXPECT_GT(exact, normalized);
  EXPECT_GE(exact, 249u - 214u - 10u);  // 214 agree exactly; empty values are not conflicts
}

TEST_F(CountriesCorpus, HistoryShowsRenamesAndCurrencyChanges) {
  // mledoze: every record changed between the two versions; Turkey became Türkiye.
  const auto old_m = Mledoze("mledoze_countries/history/countries@2859516_2024-11-09.json");
  const auto new_m = Mledoze();
  const auto changes = DiffRecords(old_m.records, new_m.records);
  const auto tr = std::find_if(changes.begin(), changes.end(),
                               [](const RecordChange& c) { return c.key == "TR"; });
  ASSERT_NE(tr, changes.end());
  EXPECT_EQ(tr->kind, ChangeKind::kChanged);
  const auto name = std::find_if(tr->fields.begin(), tr->fields.end(),
                                 [](const FieldChange& f) { return f.field == "name"; });
  ASSERT_NE(name, tr->fields.end());
  EXPECT_EQ(name->before, "Turkey");
  EXPECT_EQ(name->after, "Türkiye");

  // country-codes: Bulgaria's currency BGN -> EUR.
  const auto old_c =
      CountryCodes("datasets_country_codes/history/country-codes@52552b8_2025-06-01.csv");
  const auto new_c = CountryCodes();
  const auto cc = DiffRecords(old_c.records, new_c.records);
  const auto bg =
      std::find_if(cc.begin(), cc.end(), [](const RecordChange& c) { return c.key == "BG"; });
  ASSERT_NE(bg, cc.end());
  const auto currency = std::find_if(bg->fields.begin(), bg->fields.end(),
                                     [](const FieldChange& f) { return f.field == "currency"; });
  ASSERT_NE(currency, bg->fields.end());
  EXPECT_EQ(currency->before, "BGN");
  EXPECT_EQ(currency->after, "EUR");
  for (const auto& c : cc) EXPECT_EQ(c.kind, ChangeKind::kChanged) << c.key;
  // Same data: no change at all.
  EXPECT_TRUE(DiffRecords(new_c.records, CountryCodes().records).empty());
}

TEST(CurrenciesCorpus, EcbAndOpenExchangeRatesShareTheirCodes) {
  const auto dir = CorpusDir() / "currencies";
  if (CorpusDir().empty() || !std::filesystem::is_directory(dir)) {
    GTEST_SKIP() << "corpus not found (set TRIBUTARY_CORPUS)";
  }
  // ECB daily (EUR base) as records {code, rate}; OXR (USD base) likewise.
  const std::string ecb_xml =
      test_util::ReadFile(dir / "ecb_eu_central_bank/spec/exchange_rates.xml");
  SourceSnapshot ecb{"ecb", FromUnixMillis(1000), {}};
  for (size_t at = ecb_xml.find("currency='"); at != std::string::npos;
       at = ecb_xml.find("currency='", at + 1)) {
    const std::string code = ecb_xml.substr(at + 10, 3);
    const size_t rate_at = ecb_xml.find("rate='", at) + 6;
    const std::string rate = ecb_xml.substr(rate_at, ecb_xml.find('\'', rate_at) - rate_at);
    ecb.records.push_back(Record{code, {{"code", code}, {"rate", std::stod(rate)}}});
  }
  const auto oxr_doc =
      json::parse(test_util::ReadFile(dir / "openexchangerates_spk/test/data/latest.json"));
  SourceSnapshot oxr{"oxr", FromUnixMillis(2000), {}};
  for (const auto& [code, rate] : oxr_doc.at("rates").items()) {
    oxr.records.push_back(Record{code, {{"code", code}, {"rate", rate}}});
  }
  ASSERT_EQ(ecb.records.size(), 32u);
  const auto view = View(R"({"id": "fx", "key": "code", "join": "inner",
      "sources": ["ecb", "oxr"], "fields": {"rate": {"compare": {"relative": 0.0001}}}})");
  const auto merged = MergeView(view, {ecb, oxr});
  EXPECT_EQ(merged.size(), 32u);  // ECB ∩ OXR = 32/32
  // Different bases and dates: every rate conflicts, and the conflict shows both.
  EXPECT_EQ(ConflictsOn(merged, "rate"), 32u);
  const MergedRecord* usd = Find(merged, "USD");
  ASSERT_NE(usd, nullptr);
  EXPECT_EQ(usd->fields["rate"], 1.179);
  EXPECT_EQ(usd->provenance.at("rate").source, "ecb");
}

}  // namespace
}  // namespace tributary::merge::combine
