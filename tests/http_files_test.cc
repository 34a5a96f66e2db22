// Firmware files over HTTP end to end, with curl on loopback against `stepup serve`: whole
// files, byte ranges and conditional requests (RFC 9110 sections 14 and 13).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include "tests/server_process.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;
using testing::CurlWithHead;
using testing::Fetched;
using testing::Quote;
using testing::Server;

constexpr time_t kModified = 1704164645;  // Tue, 02 Jan 2024 03:04:05 GMT
constexpr const char* kModifiedDate = "Tue, 02 Jan 2024 03:04:05 GMT";

class HttpFilesE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::Have("curl")) GTEST_SKIP() << "curl is not installed (scripts/bootstrap)";
    dir_ = fs::temp_directory_path() /
           ("stepup-files-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data" / "firmware");
    for (int i = 0; i < 1000; ++i) image_ += static_cast<char>('a' + (i * 7) % 26);
    const fs::path file = dir_ / "data" / "firmware" / "img.bin";
    std::ofstream(file, std::ios::binary) << image_;
    utimbuf times{kModified, kModified};
    ASSERT_EQ(::utime(file.c_str(), &times), 0);
    server_ = std::make_unique<Server>((dir_ / "data").string());
    ASSERT_GT(server_->port(), 0);
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }
  // GET /firmware/img.bin with more curl options.
  Fetched Get(const std::string& extra = "") {
    return CurlWithHead(server_->url("/firmware/img.bin"), extra);
  }
  static std::string Header(const std::string& name, const std::string& value) {
    return "-H " + Quote(name + ": " + value);
  }
  // Whether the head has the field "Name: value" exactly.
  static bool Has(const Fetched& f, const std::string& field) {
    return f.head.find("\r\n" + field + "\r\n") != std::string::npos;
  }

  fs::path dir_;
  std::string image_;
  std::unique_ptr<Server> server_;
};

TEST_F(HttpFilesE2E, AFullGetIs200WithTheWholeFileAndItsLastModified) {
  Fetched f = Get();
  EXPECT_EQ(f.status, 200);
  EXPECT_TRUE(f.body == image_) << f.body.size() << " bytes";
  EXPECT_TRUE(Has(f, "Content-Length: 1000")) << f.head;
  EXPECT_TRUE(Has(f, std::string("Last-Modified: ") + kModifiedDate)) << f.head;
  EXPECT_TRUE(Has(f, "Accept-Ranges: bytes")) << f.head;
  EXPECT_EQ(f.head.find("Content-Range"), std::string::npos) << f.head;
}

TEST_F(HttpFilesE2E, ARangeIs206WithItsContentRangeAndExactlyThoseBytes) {
  Fetched mid = Get("-r 100-199");
  EXPECT_EQ(mid.status, 206);
  EXPECT_TRUE(Has(mid, "Content-Range: bytes 100-199/1000")) << mid.head;
  EXPECT_TRUE(Has(mid, "Content-Length: 100")) << mid.head;
  EXPECT_EQ(mid.body, image_.substr(100, 100));

  Fetched suffix = Get("-r -10");  // the last 10 bytes
  EXPECT_EQ(suffix.status, 206);
  EXPECT_TRUE(Has(suffix, "Content-Range: bytes 990-999/1000")) << suffix.head;
  EXPECT_EQ(suffix.body, image_.substr(990));

  Fetched open = Get("-r 995-");  // from byte 995 to the end
  EXPECT_EQ(open.status, 206);
  EXPECT_TRUE(Has(open, "Content-Range: bytes 995-999/1000")) << open.head;
  EXPECT_EQ(open.body, image_.substr(995));

  Fetched past = Get("-r 900-5000");  // the last byte past the end: cut at the end
  EXPECT_EQ(past.status, 206);
  EXPECT_TRUE(Has(past, "Content-Range: bytes 900-999/1000")) << past.head;
  EXPECT_EQ(past.body, image_.substr(900));
}

TEST_F(HttpFilesE2E, AnUnsatisfiableRangeIs416NamingTheLength) {
  for (const char* range : {"1000-", "5000-6000", "-0"}) {
    Fetched f = Get(Header("Range", std::string("bytes=") + range));
    EXPECT_EQ(f.status, 416) << range;
    EXPECT_TRUE(Has(f, "Content-Range: bytes */1000")) << range << ": " << f.head;
    EXPECT_EQ(f.body, "") << range;
  }
}

TEST_F(HttpFilesE2E, RangesItCannotServeAloneGetTheWholeFile) {
  for (const char* range : {"bytes=0-9,20-29", "items=0-9"}) {
    Fetched f = Get(Header("Range", range));
    EXPECT_EQ(f.status, 200) << range;
    EXPECT_TRUE(f.body == image_) << range;
  }
}

TEST_F(HttpFilesE2E, IfModifiedSinceTheFilesTimeIs304WithoutABody) {
  for (const char* date : {kModifiedDate, "Wed, 01 Jan 2025 00:00:00 GMT",
                           "Tuesday, 02-Jan-24 03:04:05 GMT", "Tue Jan  2 03:04:05 2024"}) {
    Fetched f = Get(Header("If-Modified-Since", date));
    EXPECT_EQ(f.status, 304) << date;
    EXPECT_EQ(f.body, "") << date;
    EXPECT_TRUE(Has(f, std::string("Last-Modified: ") + kModifiedDate)) << date << ": " << f.head;
  }
  // Older than the file, or not a date: the file itself.
  for (const char* date : {"Tue, 02 Jan 2024 03:04:04 GMT", "yesterday"}) {
    Fetched f = Get(Header("If-Modified-Since", date));
    EXPECT_EQ(f.status, 200) << date;
    EXPECT_TRUE(f.body == image_) << date;
  }
}

}  // namespace
}  // namespace stepup
