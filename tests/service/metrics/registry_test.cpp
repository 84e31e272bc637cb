#include "service/metrics/registry.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace tributary::service::metrics {
namespace {

TEST(RegistryTest, ExposesCountersGaugesAndHistogramsInTextFormat) {
  Registry r;
  auto& fetches =
      r.CounterFamily("tributary_fetches_total", "Fetches by outcome.", {"source", "status"});
  fetches.With({"shop", "200"}).Inc();
  fetches.With({"shop", "200"}).Inc(2);
  fetches.With({"warehouse", "500"}).Inc();
  r.GaugeFamily("tributary_up", "Always 1.").With({}).Set(1);
  auto& h =
      r.HistogramFamily("tributary_fetch_duration_seconds", "Durations.", {"source"}, {0.1, 1});
  h.With({"shop"}).Observe(0.05);
  h.With({"shop"}).Observe(0.5);
  h.With({"shop"}).Observe(5);

  const std::string text = r.Expose();
  EXPECT_NE(text.find("# HELP tributary_fetches_total Fetches by outcome.\n"
                      "# TYPE tributary_fetches_total counter\n"
                      "tributary_fetches_total{source=\"shop\",status=\"200\"} 3\n"
                      "tributary_fetches_total{source=\"warehouse\",status=\"500\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE tributary_up gauge\ntributary_up 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tributary_fetch_duration_seconds_bucket{source=\"shop\",le=\"0.1\"} 1\n"
                      "tributary_fetch_duration_seconds_bucket{source=\"shop\",le=\"1\"} 2\n"
                      "tributary_fetch_duration_seconds_bucket{source=\"shop\",le=\"+Inf\"} 3\n"
                      "tributary_fetch_duration_seconds_sum{source=\"shop\"} 5.55\n"
                      "tributary_fetch_duration_seconds_count{source=\"shop\"} 3\n"),
            std::string::npos)
      << text;
}

TEST(RegistryTest, EscapesLabelValuesAndHelp) {
  Registry r;
  r.CounterFamily("x_total", "a \\ b\nc", {"l"}).With({"q\"uote\\back\nline"}).Inc();
  const std::string text = r.Expose();
  EXPECT_NE(text.find("# HELP x_total a \\\\ b\\nc\n"), std::string::npos) << text;
  EXPECT_NE(text.find("x_total{l=\"q\\\"uote\\\\back\\nline\"} 1\n"), std::string::npos) << text;
}

TEST(RegistryTest, SameNameGivesTheSameFamilyAndMismatchesThrow) {
  Registry r;
  auto& a = r.CounterFamily("a_total", "help", {"x"});
  auto& b = r.CounterFamily("a_total", "help", {"x"});
  EXPECT_EQ(&a, &b);
  EXPECT_THROW(r.GaugeFamily("a_total", "help", {"x"}), std::logic_error);
  EXPECT_THROW(r.CounterFamily("a_total", "help", {"y"}), std::logic_error);
  EXPECT_THROW(r.CounterFamily("bad name", "help"), std::logic_error);
  EXPECT_THROW(a.With({"1", "2"}), std::logic_error);
}

TEST(RegistryTest, CollectorsRunBeforeEachExpositionAndCanBeRemoved) {
  Registry r;
  auto& depth = r.GaugeFamily("queue_depth", "Jobs queued.");
  int runs = 0;
  const int id = r.AddCollector([&] { depth.With({}).Set(++runs * 10); });
  EXPECT_NE(r.Expose().find("queue_depth 10\n"), std::string::npos);
  EXPECT_NE(r.Expose().find("queue_depth 20\n"), std::string::npos);
  r.RemoveCollector(id);
  EXPECT_NE(r.Expose().find("queue_depth 20\n"), std::string::npos);
  EXPECT_EQ(runs, 2);
}

TEST(RegistryTest, RemovedChildrenDisappear) {
  Registry r;
  auto& g = r.GaugeFamily("g", "help", {"source"});
  g.With({"a"}).Set(1);
  g.With({"b"}).Set(2);
  g.Remove({"a"});
  const std::string text = r.Expose();
  EXPECT_EQ(text.find("source=\"a\""), std::string::npos);
  EXPECT_NE(text.find("g{source=\"b\"} 2"), std::string::npos);
}

TEST(RegistryTest, ConcurrentUpdatesAreAllCounted) {
  Registry r;
  auto& c = r.CounterFamily("c_total", "help", {"t"});
  auto& h = r.HistogramFamily("h_seconds", "help", {}, LatencyBuckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.With({"x"}).Inc();
        h.With({}).Observe(0.001);
        if (i % 1000 == 0) r.Expose();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.With({"x"}).Value(), 40000);
  EXPECT_EQ(h.With({}).Read().count, 40000u);
}

TEST(RegistryTest, FormatsValuesAsPrometheusExpects) {
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(-2), "-2");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(0.0 / 0.0), "NaN");
}

}  // namespace
}  // namespace tributary::service::metrics
