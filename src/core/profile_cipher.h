// Encrypted configuration profiles (issue 17): the phones' Profile_Rule option
// `[--key PASSPHRASE]URL` makes a SPA/MPP phone decrypt what it fetches as `openssl enc
// -aes-256-cbc -k PASSPHRASE` output: "Salted__", an 8-byte salt, then AES-256-CBC with PKCS#7
// padding under the key and IV that EVP_BytesToKey derives from the passphrase and salt with one
// round of a digest. Pure: the salt is given, so there is no randomness here.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace stepup {

// The digest of the key derivation: MD5 is what `openssl enc` used before OpenSSL 1.1.0 and
// what the phones expect (README "Encrypted profiles" gives the source); SHA-256 is the
// default of newer `openssl enc`, for reading files made without `-md md5`.
enum class KeyDigest { kMd5, kSha256 };

// `plain` encrypted under `passphrase` with the 8-byte `salt`. kBadInput for an empty
// passphrase or a salt of another length.
Result<std::string> EncryptProfile(std::string_view plain, std::string_view passphrase,
                                   std::string_view salt, KeyDigest digest = KeyDigest::kMd5);

// The inverse; kBadInput naming what is wrong (no "Salted__" header, a wrong passphrase or
// digest: bad padding).
Result<std::string> DecryptProfile(std::string_view data, std::string_view passphrase,
                                   KeyDigest digest = KeyDigest::kMd5);

// The device setting holding its profile key (a secret, generated at enrolment), and the query
// parameter of a profile URL asking for the encrypted form.
inline constexpr const char* kProfileKeySetting = "profile_key";
inline constexpr const char* kEncryptedParam = "enc";
inline constexpr const char* kEncryptedValue = "aes";
inline constexpr const char* kEncryptedQuery = "enc=aes";  // kEncryptedParam=kEncryptedValue

// A profile rule split into its `--key` option and the URL: "[--key abc] http://x/y" ->
// {"abc", "http://x/y"}. A rule without options gives {"", rule}; options other than --key are
// dropped (the simulator's phones know no others).
struct KeyedRule {
  std::string key;
  std::string url;
};
KeyedRule SplitKeyOption(std::string_view rule);

// The rule with the option: "[--key KEY]URL".
std::string WithKeyOption(std::string_view key, std::string_view url);

}  // namespace stepup
