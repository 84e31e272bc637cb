#pragma once
// Helpers shared by the fetcher tests: a request allowed to reach the loopback origin, and a
// blocking fetch synchronised with a promise (never a sleep).

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <utility>

#include "fetchers/fetcher.hpp"

namespace tributary::fetchers {

inline FetchRequest LoopbackRequest(std::string url) {
  FetchRequest request;
  request.source_id = "test-source";
  request.url = std::move(url);
  request.allow_private_networks = true;  // the origin is on 127.0.0.1
  request.timeout = std::chrono::seconds(10);
  request.connect_timeout = std::chrono::seconds(5);
  // Tests of the transport see every attempt: no politeness limits, no retries. Politeness and
  // retry tests set their own.
  request.group.concurrency = 1000;
  request.retry.attempts = 1;
  request.retry.circuit_failures = 1000;
  return request;
}

// Fetches and waits for the callback; fails the test (and returns an empty result) when it does
// not come within `wait`.
inline FetchResult FetchSync(Fetcher& fetcher, FetchRequest request,
                             std::chrono::milliseconds wait = std::chrono::seconds(15)) {
  auto promise = std::make_shared<std::promise<FetchResult>>();
  auto future = promise->get_future();
  fetcher.Fetch(std::move(request),
                [promise](FetchResult result) { promise->set_value(std::move(result)); });
  if (future.wait_for(wait) != std::future_status::ready) {
    ADD_FAILURE() << "the fetch did not complete within " << wait.count() << " ms";
    return {};
  }
  return future.get();
}

inline std::string HeaderValue(const FetchResult& result, const std::string& name) {
  for (const auto& [n, v] : result.headers) {
    if (n == name) return v;
  }
  return {};
}

inline bool HasHeader(const FetchResult& result, const std::string& name) {
  for (const auto& header : result.headers) {
    if (header.first == name) return true;
  }
  return false;
}

}  // namespace tributary::fetchers
