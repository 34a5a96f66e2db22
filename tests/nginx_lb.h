// nginx on loopback in front of stepup nodes, configured with deploy/nginx/stepup-lb.conf (that
// very file, its EDIT lines given this test's values by bench/lib.sh's bench_lb_conf).
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/free_port.h"
#include "tests/server_process.h"
#include "tests/wait_for.h"

namespace stepup::testing {

class NginxLb {
 public:
  // Files under `dir` (made readable to nginx's worker); images from `firmware`.
  // `port`: where it listens (0: a free port).
  NginxLb(const std::filesystem::path& dir, const std::vector<int>& node_ports,
          const std::filesystem::path& firmware, int port = 0) {
    port_ = port > 0 ? port : FreeLoopbackPort();
    const std::string conf = (dir / "stepup-lb.conf").string();
    std::string make = "cd " + Quote(STEPUP_SOURCE_DIR) + " && . bench/lib.sh && bench_lb_conf " +
                       Quote(conf) + " 127.0.0.1:" + std::to_string(port_) + " " +
                       Quote(firmware.string());
    for (int p : node_ports) make += " 127.0.0.1:" + std::to_string(p);
    if (std::system(("bash -c " + Quote(make)).c_str()) != 0) {
      why_ = "bench_lb_conf failed: " + make;
      return;
    }
    const std::string d = dir.string();
    std::ofstream(dir / "nginx.conf")
        << "worker_processes 1;\ndaemon off;\npid " << d << "/nginx.pid;\nerror_log " << d
        << "/nginx-error.log;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n"
        << "  client_body_temp_path " << d << ";\n  proxy_temp_path " << d
        << ";\n  fastcgi_temp_path " << d << ";\n  uwsgi_temp_path " << d
        << ";\n  scgi_temp_path " << d << ";\n  include " << conf << ";\n}\n";
    (void)std::system(("chmod -R a+rX " + Quote(d)).c_str());
    child_ = std::make_unique<Child>(
        std::vector<std::string>{"/usr/sbin/nginx", "-c", (dir / "nginx.conf").string(), "-p", d});
    if (!WaitFor([&] { return Curl(url("/healthz")).status == 200; }, std::chrono::seconds(10)))
      why_ = "nginx did not answer: " + child_->WaitFor("\n", 100) +
             Slurp(dir / "nginx-error.log");
  }
  // "" when nginx answers, else why not.
  const std::string& why() const { return why_; }
  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  int port_ = 0;
  std::string why_;
  std::unique_ptr<Child> child_;
};

}  // namespace stepup::testing
