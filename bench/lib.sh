# Shared helpers for the bench/ scripts (sourced).

# Installs Debian packages that are missing, without letting their daemons start (nginx would
# take port 80, tftpd-hpa port 69): invoke-rc.d consults policy-rc.d, which says no.
bench_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  local policy=/usr/sbin/policy-rc.d had_policy=0
  [ -e "$policy" ] && had_policy=1
  if [ $had_policy -eq 0 ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
  fi
  echo "bench: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ $had_policy -eq 0 ] && $sudo rm -f "$policy"
  return 0
}

# A free TCP port on 127.0.0.1.
bench_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until http://127.0.0.1:$1$2 answers (at most 10 s).
bench_wait_http() {
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$1$2" && return 0
    sleep 0.1
  done
  echo "bench: nothing answers on port $1" >&2
  return 1
}

# Builds the Release tree (without tests) and prints the path of build/stepup in it.
bench_build() {
  local build=${BUILD_DIR:-build-release}
  # A failed build fails the bench (stepup=$(bench_build) under set -e): an old binary would
  # measure old code.
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTEPUP_TESTS=OFF >/dev/null || return 1
  cmake --build "$build" --target stepup planner_bench render_bench tftp_load guess_load >/dev/null ||
    { echo "bench: the Release build failed (cmake --build $build)" >&2; return 1; }
  echo "$build/stepup"
}

# deploy/nginx/stepup-lb.conf with this run's values put in: bench_lb_conf OUT LISTEN FIRMWARE_DIR
# NODE... (LISTEN and each NODE as ADDR:PORT). Fails if the example's EDIT lines changed shape.
bench_lb_conf() {
  python3 - "$@" <<'PY'
import re, sys
out, listen, firmware, nodes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
text = open("deploy/nginx/stepup-lb.conf").read()
servers = re.findall(r"^    server \S+ (.*);$", text, re.M)
if len(servers) < 1 or "    listen 80;" not in text or "alias /var/lib/stepup/firmware/;" not in text:
    sys.exit("bench_lb_conf: deploy/nginx/stepup-lb.conf no longer has the lines it edits")
opts = servers[0]
text = re.sub(r"^    server \S+ .*;\n", "", text, flags=re.M)
text = text.replace("    keepalive 64;", "".join(f"    server {n} {opts};\n" for n in nodes) + "    keepalive 64;")
text = text.replace("    listen 80;", f"    listen {listen};")
text = text.replace("alias /var/lib/stepup/firmware/;", f"alias {firmware.rstrip('/')}/;")
open(out, "w").write(text)
PY
}

# A private PostgreSQL cluster under DIR on a free loopback port (as the postgres user when run
# as root: it refuses root), with database "fleet": sets pg_url, pg_bin and pg_stop (the command
# that stops it; call it from the script's cleanup).
bench_postgres() {
  local dir=$1 as=() port
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  [ "$(id -u)" != 0 ] || as=(runuser -u postgres --)
  mkdir -p "$dir"
  [ ${#as[@]} -eq 0 ] || chown postgres "$dir"
  "${as[@]}" "$pg_bin/initdb" -N -A trust -U stepup -E UTF8 -D "$dir/data" >/dev/null
  port=$(bench_free_port)
  "${as[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o \
    "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off" start >/dev/null
  pg_stop=("${as[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m immediate -w stop)
  "${as[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U stepup fleet
  pg_url="postgresql://stepup@127.0.0.1:$port/fleet"
}
