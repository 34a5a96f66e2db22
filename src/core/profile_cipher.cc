#include "core/profile_cipher.h"

#include <openssl/evp.h>

#include <memory>

namespace stepup {
namespace {

constexpr std::string_view kMagic = "Salted__";
constexpr size_t kSaltBytes = 8;

const EVP_MD* Digest(KeyDigest d) { return d == KeyDigest::kMd5 ? EVP_md5() : EVP_sha256(); }

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// Runs AES-256-CBC one way over `in`, key and IV derived as `openssl enc -k` does.
Result<std::string> Run(std::string_view in, std::string_view passphrase, std::string_view salt,
                        KeyDigest digest, bool encrypt) {
  unsigned char key[32], iv[16];
  if (EVP_BytesToKey(EVP_aes_256_cbc(), Digest(digest),
                     reinterpret_cast<const unsigned char*>(salt.data()),
                     reinterpret_cast<const unsigned char*>(passphrase.data()),
                     static_cast<int>(passphrase.size()), 1, key, iv) != 32) {
    return BadInput("profile key derivation failed");
  }
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key, iv, encrypt) != 1)
    return BadInput("profile cipher could not start");
  std::string out(in.size() + 16, '\0');
  int n = 0, tail = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_CipherUpdate(ctx.get(), o, &n, reinterpret_cast<const unsigned char*>(in.data()),
                       static_cast<int>(in.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), o + n, &tail) != 1) {
    return BadInput(encrypt ? "profile encryption failed"
                            : "the profile does not decrypt with this key (wrong key or digest, "
                              "or not an AES-256-CBC profile)");
  }
  out.resize(static_cast<size_t>(n + tail));
  return out;
}

}  // namespace

Result<std::string> EncryptProfile(std::string_view plain, std::string_view passphrase,
                                   std::string_view salt, KeyDigest digest) {
  if (passphrase.empty()) return BadInput("profile encryption: the key is empty");
  if (salt.size() != kSaltBytes) return BadInput("profile encryption: the salt must be 8 bytes");
  auto body = Run(plain, passphrase, salt, digest, true);
  if (!body) return body.error();
  return std::string(kMagic) + std::string(salt) + *body;
}

Result<std::string> DecryptProfile(std::string_view data, std::string_view passphrase,
                                   KeyDigest digest) {
  if (data.size() < kMagic.size() + kSaltBytes || data.substr(0, kMagic.size()) != kMagic)
    return BadInput("the profile is not encrypted (no \"Salted__\" header)");
  return Run(data.substr(kMagic.size() + kSaltBytes), passphrase,
             data.substr(kMagic.size(), kSaltBytes), digest, false);
}

KeyedRule SplitKeyOption(std::string_view rule) {
  KeyedRule out;
  size_t i = 0;
  while (i < rule.size() && rule[i] == ' ') ++i;
  if (i >= rule.size() || rule[i] != '[') {
    out.url = std::string(rule.substr(i));
    return out;
  }
  const size_t close = rule.find(']', i);
  if (close == std::string_view::npos) {
    out.url = std::string(rule);
    return out;
  }
  std::string_view opts = rule.substr(i + 1, close - i - 1);
  // Options are words; --key takes the next one.
  size_t p = 0;
  auto word = [&]() {
    while (p < opts.size() && opts[p] == ' ') ++p;
    size_t start = p;
    while (p < opts.size() && opts[p] != ' ') ++p;
    return opts.substr(start, p - start);
  };
  for (std::string_view w = word(); !w.empty(); w = word()) {
    if (w == "--key") out.key = std::string(word());
  }
  std::string_view url = rule.substr(close + 1);
  while (!url.empty() && url.front() == ' ') url.remove_prefix(1);
  out.url = std::string(url);
  return out;
}

std::string WithKeyOption(std::string_view key, std::string_view url) {
  return "[--key " + std::string(key) + "]" + std::string(url);
}

}  // namespace stepup
