// Rendering and identification benchmarks (Google Benchmark). bench/render prints renders per
// second against the 200,000/s target on one core.
#include <benchmark/benchmark.h>

#include "core/catalog_loader.h"
#include "core/identify.h"
#include "core/render.h"

namespace {

using namespace stepup;

struct Fixture {
  Catalog cat;
  Renderer renderer;
  RenderInput in;
};

Fixture& F() {
  static Fixture* f = [] {
    auto c = LoadCatalog(BundledCatalog());
    auto r = Renderer::Create(BundledTemplates());
    if (!c.ok() || !r.ok()) std::abort();
    auto* fx = new Fixture{std::move(c).value(), std::move(r).value(), {}};
    RenderInput& in = fx->in;
    in.model = fx->cat.FindModel("SPA504G");
    in.family = fx->cat.FindFamily(in.model->family);
    in.mac = "0002fdff2103";
    in.serial = "CBT141400UK";
    in.base_url = "http://127.0.0.1:8069";
    in.running = "7.5.2b";
    in.next = fx->cat.FindLoad(in.model->family, "7.6.1");
    in.settings = {
        {"display_name", "Front desk"},
        {"sip_user", "1001"},
        {"sip_password", "s3cret-1001"},
        {"sip_proxy", "pbx.example.net"},
        {"admin_password", "adm-7f3e91c2"},
        {"Dial_Plan_1_", "(*xx|[3469]11|0|00|[2-9]xxxxxx|1xxx[2-9]xxxxxxS0|xxxxxxxxxxxx.)"},
        {"Time_Zone", "GMT-05:00"}};
    return fx;
  }();
  return *f;
}

void BM_RenderSpaProfile(benchmark::State& state) {
  Fixture& f = F();
  size_t bytes = 0;
  for (auto _ : state) {
    auto r = f.renderer.Profile(f.in);
    bytes = r->body.size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["renders_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["profile_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderSpaProfile);

void BM_IdentifySpaUserAgent(benchmark::State& state) {
  Fixture& f = F();
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        IdentifyUserAgent("Cisco/SPA504G-7.4.3a (1EDF0F4A6C48)(CXT199006KD)", &f.cat));
  }
}
BENCHMARK(BM_IdentifySpaUserAgent);

}  // namespace

BENCHMARK_MAIN();
