#include "service/api/record_format.hpp"

#include <gtest/gtest.h>

namespace tributary::service::api {
namespace {

using nlohmann::json;

TEST(RecordFormatTest, FormatParameterWinsOverAccept) {
  std::string csv = "csv";
  EXPECT_EQ(ChooseRecordFormat(&csv, "application/json").format, RecordFormat::kCsv);
  std::string bad = "xml";
  auto choice = ChooseRecordFormat(&bad, "");
  EXPECT_FALSE(choice.format);
  EXPECT_EQ(choice.status, 400);
  EXPECT_NE(choice.error.find("format:"), std::string::npos);
}

TEST(RecordFormatTest, AcceptHeaderNegotiation) {
  EXPECT_EQ(ChooseRecordFormat(nullptr, "").format, RecordFormat::kJson);
  EXPECT_EQ(ChooseRecordFormat(nullptr, "*/*").format, RecordFormat::kJson);
  EXPECT_EQ(ChooseRecordFormat(nullptr, "text/csv").format, RecordFormat::kCsv);
  EXPECT_EQ(ChooseRecordFormat(nullptr, "application/x-ndjson").format, RecordFormat::kNdjson);
  EXPECT_EQ(ChooseRecordFormat(nullptr, "application/json;q=0.5, text/csv;q=0.9").format,
            RecordFormat::kCsv);
  EXPECT_EQ(ChooseRecordFormat(nullptr, "text/html, */*;q=0.1").format, RecordFormat::kJson);
  auto choice = ChooseRecordFormat(nullptr, "image/png");
  EXPECT_FALSE(choice.format);
  EXPECT_EQ(choice.status, 406);
}

TEST(RecordFormatTest, RendersJsonNdjsonAndCsv) {
  std::vector<json> records = {
      {{"key", "a"}, {"fields", {{"t", "x,y"}, {"n", 1}}}, {"sources", {"s1", "s2"}}},
      {{"key", "b\"q"}, {"fields", {{"t", "line\nbreak"}, {"l", {1, 2}}}}, {"sources", {"s1"}}}};
  EXPECT_EQ(RenderRecords(RecordFormat::kJson, {records[0]}, std::string("c1"), {}),
            "{\"records\":[{\"fields\":{\"n\":1,\"t\":\"x,y\"},\"key\":\"a\",\"sources\":[\"s1\","
            "\"s2\"]}],\"next_cursor\":\"c1\"}\n");
  EXPECT_EQ(RenderRecords(RecordFormat::kJson, {}, std::nullopt, {}),
            "{\"records\":[],\"next_cursor\":null}\n");
  const auto nd = RenderRecords(RecordFormat::kNdjson, records, std::nullopt, {});
  EXPECT_EQ(std::count(nd.begin(), nd.end(), '\n'), 2);
  EXPECT_EQ(json::parse(nd.substr(0, nd.find('\n')))["key"], "a");
  EXPECT_EQ(RenderRecords(RecordFormat::kCsv, records, std::nullopt, {"t", "n", "l"}),
            "key,t,n,l,sources\r\n"
            "a,\"x,y\",1,,s1;s2\r\n"
            "\"b\"\"q\",\"line\nbreak\",,\"[1,2]\",s1\r\n");
}

}  // namespace
}  // namespace tributary::service::api
