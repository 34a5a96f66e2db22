#include "core/firmware_repo.h"

#include <gtest/gtest.h>

#include "core/bundled_catalog_fixture.h"

namespace stepup {
namespace {

class FirmwareImportRepo : public testing::BundledCatalogTest {};

TEST_F(FirmwareImportRepo, ClassifiesWhatCiscoShips) {
  const auto files = CatalogFiles(*cat_);
  const std::vector<std::pair<std::string, DownloadKind>> cases = {
      {"SPA30x_SPA50x_7.5.5_FW.zip", DownloadKind::kZip},
      {"cmterm-7970_7971-sccp.8-5-2.zip", DownloadKind::kZip},
      {"fw.tar", DownloadKind::kTar},
      {"fw.TAR.GZ", DownloadKind::kTarGz},
      {"fw.tgz", DownloadKind::kTarGz},
      {"cmterm-7936-sccp.3-3-21-0.cop.sgn", DownloadKind::kCop},
      {"cmterm-78xx.14-2-1-0001-14.k3.cop.sha512", DownloadKind::kCop},
      {"cmterm-88xx.14-2-1-0001-14.k4.cop.sha512", DownloadKind::kCop},
      {"spa50x-30x-7-5-5.bin", DownloadKind::kImage},
      {"SCCP70.8-5-2S.loads", DownloadKind::kImage},
      {"ata191.12-0-1-0001.zup", DownloadKind::kImage},
      {"notes.docx", DownloadKind::kUnknown},
      {"sha512", DownloadKind::kUnknown},
  };
  for (const auto& [name, kind] : cases) {
    EXPECT_EQ(ClassifyDownload(name, files), kind) << name;
  }
}

TEST_F(FirmwareImportRepo, ReportsLoadsAnImportCompletesAndWhatTheOthersMiss) {
  // 7940/7960 SIP 8.12: three files; the .sbn alone leaves it incomplete.
  std::unordered_set<std::string> before;
  std::unordered_set<std::string> after = {"p003-8-12-00.sbn"};
  auto loads = LoadsAfterImport(*cat_, {"p003-8-12-00.sbn"}, before, after);
  const LoadState* p0s3 = nullptr;
  for (const auto& s : loads) {
    if (s.load->load == "P0S3-8-12-00") p0s3 = &s;
  }
  ASSERT_NE(p0s3, nullptr);
  EXPECT_FALSE(p0s3->complete);
  EXPECT_EQ(p0s3->missing, (std::vector<std::string>{"P0S3-8-12-00.loads", "P0S3-8-12-00.sb2"}));

  after.insert({"p0s3-8-12-00.loads", "p0s3-8-12-00.sb2"});
  loads = LoadsAfterImport(*cat_, {"p0s3-8-12-00.sb2"}, before, after);
  bool complete = false;
  for (const auto& s : loads) complete = complete || (s.load->load == "P0S3-8-12-00" && s.complete);
  EXPECT_TRUE(complete);

  // A catalog bundle completes its load on its own.
  loads =
      LoadsAfterImport(*cat_, {"spa30x_spa50x_7.5.5_fw.zip"}, {}, {"spa30x_spa50x_7.5.5_fw.zip"});
  ASSERT_EQ(loads.size(), 1u);
  EXPECT_EQ(loads[0].load->load, "7.5.5");
  EXPECT_TRUE(loads[0].complete);
}

TEST_F(FirmwareImportRepo, RepositoryStateCountsCompleteLoadsPerFamily) {
  auto state = RepositoryState(*cat_, {"spa50x-30x-7-5-5.bin", "spa50x-30x-7-5-2b.bin"});
  int seen = 0;
  for (const auto& f : state) {
    EXPECT_FALSE(f.loads.empty());
    if (f.family != "spa50x-30x") continue;
    ++seen;
    EXPECT_EQ(f.complete, 2);
    for (const auto& s : f.loads) EXPECT_EQ(s.complete, s.missing.empty()) << s.load->load;
  }
  EXPECT_EQ(seen, 1);
}

}  // namespace
}  // namespace stepup
