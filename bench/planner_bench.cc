// Planner benchmarks over the whole bundled catalog (Google Benchmark).
// Run through bench/planner, which prints medians against the 1 ms budget.
#include <benchmark/benchmark.h>

#include "core/catalog_loader.h"
#include "core/planner.h"

namespace {

using namespace stepup;

const Catalog& Cat() {
  static Catalog* c = [] {
    auto r = LoadCatalog(BundledCatalog());
    if (!r.ok()) std::abort();
    return new Catalog(std::move(r).value());
  }();
  return *c;
}

void Counters(benchmark::State& state) {
  state.counters["catalog_loads"] = static_cast<double>(Cat().loads.size());
  state.counters["catalog_models"] = static_cast<double>(Cat().models.size());
}

// One plan per model with firmware, from its oldest catalogued load to the latest.
void BM_PlanEveryModelOldestToLatest(benchmark::State& state) {
  std::vector<PlanRequest> reqs;
  for (const auto& m : Cat().models) {
    if (m.family.empty()) continue;
    reqs.push_back(
        {.model = m.name, .from = Cat().LoadsOf(m.family).front()->load, .to = "latest"});
  }
  size_t i = 0;
  for (auto _ : state) {
    auto p = MakePlan(Cat(), reqs[i++ % reqs.size()]);
    benchmark::DoNotOptimize(p);
  }
  Counters(state);
  state.counters["models_planned"] = static_cast<double>(reqs.size());
}
BENCHMARK(BM_PlanEveryModelOldestToLatest);

// Seed 000 on the largest 79xx family, with the seed's images only.
void BM_PlanSeed000WithAvailability(benchmark::State& state) {
  PlanRequest r{.model = "CP-7970G", .from = "SIP70.8-2-1S", .to = "SIP70.9-4-2SR1-1S"};
  std::unordered_set<const Load*> have;
  for (const char* n : {"SCCP70.8-5-2S", "SCCP70.8-5-3S", "SIP70.9-4-2SR1-1S"}) {
    have.insert(Cat().FindLoad("79-70", n));
  }
  r.available = have;
  for (auto _ : state) benchmark::DoNotOptimize(MakePlan(Cat(), r));
  Counters(state);
}
BENCHMARK(BM_PlanSeed000WithAvailability);

// The no-path case also searches for the fewest missing loads.
void BM_PlanNoPathWithMissingSearch(benchmark::State& state) {
  PlanRequest r{.model = "CP-7970G", .from = "SIP70.8-2-1S", .to = "latest"};
  r.available = std::unordered_set<const Load*>{};
  for (auto _ : state) benchmark::DoNotOptimize(MakePlan(Cat(), r));
  Counters(state);
}
BENCHMARK(BM_PlanNoPathWithMissingSearch);

void BM_LoadBundledCatalog(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(LoadCatalog(BundledCatalog()));
  Counters(state);
}
BENCHMARK(BM_LoadBundledCatalog)->Unit(benchmark::kMillisecond);

void BM_ParseAndCompareVersions(benchmark::State& state) {
  for (auto _ : state) {
    auto a = ParseVersion("sip88xx.12-0-7MPP0201-66");
    auto b = ParseVersion("SCCP41.9-4-2SR1-1S");
    benchmark::DoNotOptimize(Compare(*a, *b));
  }
}
BENCHMARK(BM_ParseAndCompareVersions);

}  // namespace

BENCHMARK_MAIN();
