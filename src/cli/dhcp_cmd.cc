// stepup dhcp --format kea|isc|dnsmasq [--tftp ADDR[,ADDR...]] [--url URL]
// Prints the DHCP options (66, 150, 160) that point phones at this server.
#include <iostream>
#include <memory>

#include "cli/cli.h"
#include "core/dhcp_options.h"

namespace stepup::cli {
namespace {

struct DhcpCmdOptions {
  std::string format, url;
  std::vector<std::string> tftp;
};

int RunDhcp(const DhcpCmdOptions& o) {
  auto format = ParseDhcpFormat(o.format);
  if (!format) return Fail(BadInput("--format \"" + o.format + "\" is not kea, isc or dnsmasq"));
  auto options = MakeDhcpOptions(o.tftp, o.url);
  if (!options) return Fail(options.error());
  for (const auto& w : options->warnings) std::cerr << "stepup: warning: " << w << "\n";
  std::cout << FormatDhcpOptions(*options, *format);
  return kExitOk;
}

}  // namespace

void AddDhcpCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<DhcpCmdOptions>();
  auto* cmd = app.add_subcommand(
      "dhcp", "Print the DHCP options (66, 150, 160) that point phones at this server");
  cmd->add_option("--format", o->format, "kea, isc or dnsmasq")->required();
  cmd->add_option("--tftp", o->tftp,
                  "IPv4 address phones reach the TFTP listener at (option 66 and 150; "
                  "repeatable or comma-separated)")
      ->delimiter(',');
  cmd->add_option("--url", o->url,
                  "base URL phones reach the HTTP(S) listener at, as serve --public-url "
                  "(default http://TFTP-ADDR:8069); option 160 is its profile rule");
  cmd->callback([&action, o] { action = [o] { return RunDhcp(*o); }; });
}

}  // namespace stepup::cli
