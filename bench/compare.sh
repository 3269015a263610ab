#!/usr/bin/env bash
# Runs the same telex-bench scenarios against telexd, Prosody and ejabberd, one server at a time,
# on loopback with equivalent settings (plain TCP, no shaping or rate limits, no archiving), and
# prints a Markdown table with each server's figures and the telexd/peer ratios.
#
#   bench/compare.sh [--scenarios "connect chat presence muc reconnect"] [--users N] [--chat-users N]
#                    [--presence-users N] [--occupants K] [--duration S] [--mechanism scram|plain]
#                    [--servers "telexd prosody ejabberd"] [--build DIR] [--out FILE] [--tsung]
#                    [--telexd PATH] [--bench PATH]   (default: DIR/telexd, DIR/telex-bench)
#                    [--telexd-modules peers|all]
#
# telexd runs the modules the peers run here (roster, presence, disco, ping, MUC) unless
# --telexd-modules all: then also offline storage, carbons, blocking, PEP, vCard and the rest.
# Each scenario gets a fresh server (so RSS and CPU are its own). Everything started here is
# stopped on exit (trap), every step is bounded by `timeout`, and all files live in a temp dir
# under /tmp (kept with KEEP=1).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
scenarios="connect chat"
servers="telexd prosody ejabberd"
users=1000
chat_users=500
presence_users=500
occupants=500
duration=10
mechanism=scram
build="$root/build/release"
telexd=""
bench=""
out=""
tsung=0
telexd_modules=peers
password=benchpw
domain=localhost
while [ $# -gt 0 ]; do
  case "$1" in
    --scenarios) scenarios="$2"; shift 2;;
    --servers) servers="$2"; shift 2;;
    --users) users="$2"; shift 2;;
    --chat-users) chat_users="$2"; shift 2;;
    --presence-users) presence_users="$2"; shift 2;;
    --occupants) occupants="$2"; shift 2;;
    --duration) duration="$2"; shift 2;;
    --mechanism) mechanism="$2"; shift 2;;
    --build) build="$2"; shift 2;;
    --telexd) telexd="$2"; shift 2;;
    --bench) bench="$2"; shift 2;;
    --out) out="$2"; shift 2;;
    --tsung) tsung=1; shift;;
    --telexd-modules) telexd_modules="$2"; shift 2;;
    -h|--help) sed -n '2,17p' "$0"; exit 0;;
    *) echo "compare.sh: unknown argument $1" >&2; exit 64;;
  esac
done

bash "$root/scripts/install-deps.sh" --bench
telexd="${telexd:-$build/telexd}"
bench="${bench:-$build/telex-bench}"
for f in "$telexd" "$bench"; do
  [ -x "$f" ] || { echo "compare.sh: $f missing; build it (cmake --build $build --target telexd telex-bench)" >&2; exit 1; }
done

# One descriptor per session, plus the server's own.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

work="$(mktemp -d /tmp/telex-compare.XXXXXX)"
chmod 711 "$work"  # ejabberd runs as its own user and must reach its dir inside
server_pid=""
ejabberd_node=""
ejabberd_dir=""
epmd_was_running=0
pgrep -x epmd >/dev/null 2>&1 && epmd_was_running=1

stop_server() {
  if [ -n "$ejabberd_node" ]; then
    timeout 30 ejabberdctl --config-dir "$ejabberd_dir" --config "$ejabberd_dir/ejabberd.yml" \
      --spool "$ejabberd_dir/db" --logs "$ejabberd_dir/log" --node "$ejabberd_node" stop >/dev/null 2>&1 || true
  fi
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$ejabberd_node" ] && [ -n "${ejabberd_wrapper:-}" ]; then
    wait "$ejabberd_wrapper" 2>/dev/null || true
  fi
  server_pid=""
  ejabberd_node=""
  ejabberd_wrapper=""
}
cleanup() {
  stop_server
  # epmd comes with Erlang; stop it only if this script caused it to start.
  if [ "$epmd_was_running" = 0 ] && pgrep -x epmd >/dev/null 2>&1; then epmd -kill >/dev/null 2>&1 || true; fi
  if [ "${KEEP:-0}" = 1 ]; then echo "compare.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # port seconds [pid that must stay alive]
  for _ in $(seq 1 $(( $2 * 10 ))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    if [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}

# ---- telexd ----------------------------------------------------------------------------------
start_telexd() {  # dir port users
  local dir="$1" port="$2" n="$3"
  mkdir -p "$dir"
  local common=(--data-dir "$dir/data" --domain "$domain" --log-level warn)
  if [ "$n" -gt 0 ]; then
    timeout 300 "$telexd" "${common[@]}" user add --bulk bench --count "$n" --password "$password" >"$dir/users.log" || return 1
  fi
  # Equivalent settings: plaintext from loopback, no read shaping, no failed-login throttle in
  # the way, no archive (the peers run without MAM), no HTTP/proxy listeners, and by default
  # none of the modules the peers' configurations below leave out.
  local modules=()
  if [ "$telexd_modules" = peers ]; then
    local off='"version","time","last","offline","register","search","blocking","private_xml","vcard",'
    off+='"carbons","mam","pep","adhoc","announce","alerts","winpopup","upload","proxy65","extdisco"'
    modules=(--set "modules.disabled=[$off]")
  fi
  "$telexd" "${common[@]}" --c2s-port "$port" --c2s-tls-port 0 \
    --set c2s.require_tls=false --set c2s.rate_bytes_per_second=0 --set auth.failure_limit=1000000 \
    --set mam.default=never --set http.port=0 --set http.tls_port=0 --set proxy65.port=0 "${modules[@]}" \
    >"$dir/telexd.out" 2>&1 &
  server_pid=$!
  wait_port "$port" 30 "$server_pid" || { cat "$dir/telexd.out" >&2; return 1; }
}

# ---- Prosody ---------------------------------------------------------------------------------
start_prosody() {  # dir port users
  local dir="$1" port="$2" n="$3"
  mkdir -p "$dir/data"
  cat >"$dir/prosody.cfg.lua" <<EOF
-- Generated by bench/compare.sh: a throw-away Prosody on 127.0.0.1.
run_as_root = true
pidfile = "$dir/prosody.pid"
data_path = "$dir/data"
network_backend = "epoll"
tcp_backlog = 1024
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { $port }
c2s_direct_tls_ports = { }
s2s_ports = { }
component_ports = { }
http_ports = { }
https_ports = { }
modules_disabled = { "s2s"; "limits"; "offline"; "tls" }
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "posix" }
authentication = "internal_hashed"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
allow_registration = false
log = { warn = "$dir/prosody.log" }
VirtualHost "$domain"
Component "conference.$domain" "muc"
  muc_room_locking = false
  muc_room_default_history_length = 0
  max_history_messages = 0
EOF
  # Accounts written straight into Prosody's file store (internal_hashed format: SCRAM-SHA-1
  # stored/server keys in hex, one salt for all as telexd's bulk add does). prosodyctl register
  # costs a Lua start per user.
  /usr/bin/python3 - "$dir/data" "$domain" "$n" "$password" <<'EOF'
import hashlib, hmac, os, sys
data, domain, n, password = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
salt, iterations = "bench-salt-0001", 10000
salted = hashlib.pbkdf2_hmac("sha1", password.encode(), salt.encode(), iterations)
stored = hashlib.sha1(hmac.new(salted, b"Client Key", "sha1").digest()).hexdigest()
server = hmac.new(salted, b"Server Key", "sha1").hexdigest()
d = os.path.join(data, domain.replace(".", "%2e"), "accounts")
os.makedirs(d, exist_ok=True)
body = ('return {\n\t["iteration_count"] = %d;\n\t["salt"] = "%s";\n\t["server_key"] = "%s";\n'
        '\t["stored_key"] = "%s";\n};\n') % (iterations, salt, server, stored)
for i in range(1, n + 1):
    with open(os.path.join(d, "bench%d.dat" % i), "w") as f:
        f.write(body)
EOF
  /usr/bin/prosody --config "$dir/prosody.cfg.lua" -F >"$dir/prosody.out" 2>&1 &
  server_pid=$!
  wait_port "$port" 30 "$server_pid" || { cat "$dir/prosody.out" "$dir/prosody.log" >&2; return 1; }
}

# ---- ejabberd --------------------------------------------------------------------------------
start_ejabberd() {  # dir port users
  local dir="$1" port="$2" n="$3"
  local api_port
  api_port="$(free_port)"
  mkdir -p "$dir/db" "$dir/log"
  cat >"$dir/ejabberd.yml" <<EOF
# Generated by bench/compare.sh: a throw-away ejabberd on 127.0.0.1.
hosts: ["$domain"]
loglevel: warning
log_rotate_count: 0
certfiles: []
listen:
  - port: $port
    ip: "127.0.0.1"
    module: ejabberd_c2s
    backlog: 1024
    starttls: false
    starttls_required: false
    shaper: none
    access: everyone
    max_stanza_size: 262144
  - port: $api_port
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      /api: mod_http_api
auth_method: internal
auth_password_format: scram
auth_scram_hash: sha
shaper: {}
shaper_rules:
  c2s_shaper: none
  s2s_shaper: none
  max_user_sessions: 10
acl:
  loopback:
    ip: ["127.0.0.0/8"]
access_rules:
  everyone:
    allow: all
api_permissions:
  "bench account creation":
    from: [mod_http_api]
    who:
      ip: "127.0.0.0/8"
    what: ["register"]
modules:
  mod_roster: {}
  mod_disco: {}
  mod_ping: {}
  mod_http_api: {}
  mod_muc:
    host: "conference.@HOST@"
    access: everyone
    access_create: everyone
    access_persistent: everyone
    max_users: 1000
    max_users_presence: 1000
    history_size: 0
    min_message_interval: 0
    min_presence_interval: 0
    default_room_options:
      max_users: 1000
      mam: false
EOF
  cp /etc/ejabberd/inetrc "$dir/inetrc" 2>/dev/null || : >"$dir/inetrc"
  chown -R ejabberd:ejabberd "$dir"
  ejabberd_dir="$dir"
  ejabberd_node="bench$$@localhost"
  # As the ejabberd user but through setpriv, not ejabberdctl's own `su`: su's PAM session would
  # cut the open-file limit back to 1024 and the VM would refuse connections past ~1000.
  HOME=/var/lib/ejabberd setpriv --reuid=ejabberd --regid=ejabberd --init-groups \
    ejabberdctl --config-dir "$dir" --config "$dir/ejabberd.yml" --spool "$dir/db" --logs "$dir/log" \
    --node "$ejabberd_node" foreground >"$dir/ejabberd.out" 2>&1 &
  ejabberd_wrapper=$!
  if ! wait_port "$port" 90 "$ejabberd_wrapper" || ! wait_port "$api_port" 10; then
    cat "$dir/ejabberd.out" "$dir/log/"*.log >&2 2>/dev/null || true
    return 1
  fi
  server_pid="$(pgrep -u ejabberd -f "beam.*$ejabberd_node" | head -1)"
  # Accounts through the HTTP API over one keep-alive connection: ejabberdctl starts an Erlang VM
  # per call, far too slow for thousands.
  timeout 900 /usr/bin/python3 - "$api_port" "$domain" "$n" "$password" <<'EOF' || return 1
import http.client, json, sys
port, domain, n, password = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
for i in range(1, n + 1):
    body = json.dumps({"user": "bench%d" % i, "host": domain, "password": password})
    conn.request("POST", "/api/register", body, {"Content-Type": "application/json"})
    r = conn.getresponse()
    text = r.read()
    if r.status != 200 and b"conflict" not in text and b"already" not in text:
        sys.exit("register bench%d: %d %s" % (i, r.status, text[:200]))
EOF
}

# ---- one run ---------------------------------------------------------------------------------
run_one() {  # server scenario
  local server="$1" scenario="$2" n port dir
  case "$scenario" in
    connect|reconnect) n="$users";;
    chat) n="$chat_users";;
    presence) n="$presence_users";;
    muc) n="$occupants";;
  esac
  port="$(free_port)"
  dir="$work/$server-$scenario"
  echo "== $server / $scenario: $n users (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  if ! "start_$server" "$dir" "$port" "$n"; then
    echo "compare.sh: $server failed to start" >&2
    stop_server
    return 0
  fi
  sleep 1
  local args=(--port "$port" --domain "$domain" --password "$password" --users "$n" --server-pid "$server_pid"
              --mechanism "$mechanism" --scenario "$scenario" --duration "$duration" --json "$work/$server-$scenario.json")
  case "$scenario" in
    chat) args+=(--half-rate --window 4);;
    presence) args+=(--contacts 20);;
    muc) args+=(--occupants "$n");;
    # Two idle seconds before RSS is read: every server gets time to settle after the logins.
    connect) args+=(--hold 2);;
    reconnect) args+=(--hold 2 --timeout 300);;
  esac
  timeout $(( 600 + 4 * duration )) "$bench" "${args[@]}" >"$dir/bench.out" 2>"$dir/bench.err" || \
    echo "compare.sh: telex-bench exited with $? against $server (see below)" >&2
  tail -n 5 "$dir/bench.err" >&2 || true
  stop_server
}

date -u +"%Y-%m-%d %H:%M UTC" >"$work/started"
# The host's own noise, before and after: time the CPUs were taken away (see bench/host_gaps.cpp).
# Latency tails shorter than these gaps cannot be measured here.
host_gaps() {
  if [ -x "$build/telex-host-gaps" ]; then timeout 30 "$build/telex-host-gaps" 5 1 || true; fi
}
gaps_before="$(host_gaps)"

for scenario in $scenarios; do
  for server in $servers; do
    run_one "$server" "$scenario"
  done
done

gaps_after="$(host_gaps)"

if [ "$tsung" = 1 ]; then
  # Best effort: Tsung's chat scenario against telexd (see bench/tsung/chat.xml).
  if command -v tsung >/dev/null; then
    port="$(free_port)"
    dir="$work/tsung"
    tsung_users=$(( chat_users < 200 ? chat_users : 200 ))
    # Tsung signs user <id> in with password <passwd><id>: accounts one by one.
    mkdir -p "$dir"
    for i in $(seq 1 "$tsung_users"); do
      echo "$password$i" | timeout 30 "$telexd" --data-dir "$dir/data" --domain "$domain" --log-level warn \
        user add "bench$i@$domain" >/dev/null
    done
    if start_telexd "$dir" "$port" 0; then
      sed -e "s/@PORT@/$port/g" -e "s/@USERS@/$tsung_users/g" -e "s/@PASSWORD@/$password/g" \
        "$here/tsung/chat.xml" >"$dir/chat.xml"
      (cd "$dir" && timeout 300 tsung -f "$dir/chat.xml" -l "$dir/log" start >"$dir/tsung.out" 2>&1) || \
        echo "compare.sh: tsung failed (see $dir/tsung.out)" >&2
      tail -n 5 "$dir/tsung.out" >&2 || true
      stop_server
    fi
  else
    echo "compare.sh: tsung not installed" >&2
  fi
fi

report="$(/usr/bin/python3 "$here/report.py" "$work" $scenarios)
telexd modules: $telexd_modules
before the runs, $gaps_before
after the runs, $gaps_after"
echo "$report"
[ -n "$out" ] && echo "$report" >"$out"
exit 0
