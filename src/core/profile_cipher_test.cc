// Encrypted profiles: our AES-256-CBC is `openssl enc -aes-256-cbc -md md5 -k KEY`'s, checked
// against the real openssl command both ways, and the Profile_Rule --key option.
#include "core/profile_cipher.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace stepup {
namespace {

const std::string kProfile =
    "<flat-profile>\n<Password_1_ ua=\"na\">s3cret</Password_1_>\n</flat-profile>\n";

TEST(ProfileCipher, RoundTripsAndHidesThePlainText) {
  auto enc = EncryptProfile(kProfile, "k3y-Phrase", "12345678");
  ASSERT_TRUE(enc.ok()) << enc.error().message;
  EXPECT_EQ(enc->substr(0, 16), "Salted__12345678");
  EXPECT_EQ(enc->find("s3cret"), std::string::npos);
  EXPECT_EQ((enc->size() - 16) % 16, 0u);
  auto dec = DecryptProfile(*enc, "k3y-Phrase");
  ASSERT_TRUE(dec.ok()) << dec.error().message;
  EXPECT_EQ(*dec, kProfile);
  // Another salt, another ciphertext; the same plain text comes back.
  auto other = EncryptProfile(kProfile, "k3y-Phrase", "abcdefgh");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->substr(16), enc->substr(16));
}

TEST(ProfileCipher, BadInputIsNamed) {
  auto enc = EncryptProfile(kProfile, "right", "12345678");
  ASSERT_TRUE(enc.ok());
  auto wrong = DecryptProfile(*enc, "wrong");
  // A wrong key almost always breaks the padding; when it does not, the text is garbage.
  if (!wrong.ok()) {
    EXPECT_NE(wrong.error().message.find("does not decrypt"), std::string::npos);
  } else {
    EXPECT_NE(*wrong, kProfile);
  }
  auto plain = DecryptProfile(kProfile, "right");
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.error().message.find("Salted__"), std::string::npos);
  EXPECT_FALSE(EncryptProfile(kProfile, "", "12345678").ok());
  EXPECT_FALSE(EncryptProfile(kProfile, "k", "short").ok());
  auto truncated = DecryptProfile(enc->substr(0, enc->size() - 5), "right");
  EXPECT_FALSE(truncated.ok());
}

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The phones' reference tool is `openssl enc` (README "Encrypted profiles").
TEST(ProfileCipher, MatchesTheOpensslCommandBothWays) {
  if (std::system("openssl version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl command";
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("stepup-cipher-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "plain.xml", std::ios::binary) << kProfile;
  // openssl encrypts, we decrypt.
  const std::string enc_cmd = "openssl enc -e -aes-256-cbc -md md5 -k 'Secret Key' -in " +
                              (dir / "plain.xml").string() + " -out " + (dir / "a.cfg").string() +
                              " 2>/dev/null";
  ASSERT_EQ(std::system(enc_cmd.c_str()), 0);
  auto dec = DecryptProfile(ReadAll(dir / "a.cfg"), "Secret Key");
  ASSERT_TRUE(dec.ok()) << dec.error().message;
  EXPECT_EQ(*dec, kProfile);
  // We encrypt, openssl decrypts.
  auto enc = EncryptProfile(kProfile, "Secret Key", "SALTsalt");
  ASSERT_TRUE(enc.ok());
  std::ofstream(dir / "b.cfg", std::ios::binary) << *enc;
  const std::string dec_cmd = "openssl enc -d -aes-256-cbc -md md5 -k 'Secret Key' -in " +
                              (dir / "b.cfg").string() + " -out " + (dir / "b.xml").string() +
                              " 2>/dev/null";
  ASSERT_EQ(std::system(dec_cmd.c_str()), 0);
  EXPECT_EQ(ReadAll(dir / "b.xml"), kProfile);
  // Newer openssl's default digest (SHA-256) is another key: it does not read as MD5.
  const std::string sha_cmd = "openssl enc -e -aes-256-cbc -md sha256 -k 'Secret Key' -in " +
                              (dir / "plain.xml").string() + " -out " +
                              (dir / "c.cfg").string() + " 2>/dev/null";
  ASSERT_EQ(std::system(sha_cmd.c_str()), 0);
  auto sha = DecryptProfile(ReadAll(dir / "c.cfg"), "Secret Key", KeyDigest::kSha256);
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(*sha, kProfile);
  auto as_md5 = DecryptProfile(ReadAll(dir / "c.cfg"), "Secret Key");
  EXPECT_TRUE(!as_md5.ok() || *as_md5 != kProfile);
  fs::remove_all(dir);
}

TEST(ProfileCipher, SplitsTheKeyOption) {
  auto r = SplitKeyOption("[--key abc123]https://h/cfg/x.xml?a=1");
  EXPECT_EQ(r.key, "abc123");
  EXPECT_EQ(r.url, "https://h/cfg/x.xml?a=1");
  r = SplitKeyOption(" [ --key  abc ] http://h/p");
  EXPECT_EQ(r.key, "abc");
  EXPECT_EQ(r.url, "http://h/p");
  r = SplitKeyOption("http://h/p");
  EXPECT_EQ(r.key, "");
  EXPECT_EQ(r.url, "http://h/p");
  r = SplitKeyOption("[--uid u --pwd p]http://h/p");
  EXPECT_EQ(r.key, "");
  EXPECT_EQ(r.url, "http://h/p");
  EXPECT_EQ(WithKeyOption("k", "http://h/p"), "[--key k]http://h/p");
  EXPECT_EQ(SplitKeyOption(WithKeyOption("k", "http://h/p")).key, "k");
}

}  // namespace
}  // namespace stepup
