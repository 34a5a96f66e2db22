// A test fixture holding the bundled catalog, loaded once per suite, and a plan that must
// succeed. For tests that check the shipped catalog and the planner against the sheets.
#pragma once

#include <gtest/gtest.h>

#include <utility>

#include "core/catalog_loader.h"
#include "core/planner.h"

namespace stepup::testing {

class BundledCatalogTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto c = LoadCatalog(BundledCatalog());
    ASSERT_TRUE(c.ok()) << c.error().message;
    cat_ = new Catalog(std::move(c).value());
  }
  static void TearDownTestSuite() {
    delete cat_;
    cat_ = nullptr;
  }
  static Plan MustPlan(const PlanRequest& r) {
    auto p = MakePlan(*cat_, r);
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
    return p.ok() ? std::move(p).value() : Plan{};
  }
  static inline Catalog* cat_ = nullptr;
};

}  // namespace stepup::testing
