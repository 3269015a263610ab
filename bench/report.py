#!/usr/bin/python3
"""Turns the JSON files compare.sh collected (<server>-<scenario>.json) into one Markdown table:
each server's figures and the ratios telexd/peer. Usage: report.py WORKDIR SCENARIO..."""
import json
import os
import sys

SERVERS = ["telexd", "prosody", "ejabberd"]

# (scenario, label, better, getter); better: "high" or "low" (shown next to the metric).
def g(*path):
    def get(d):
        for p in path:
            if not isinstance(d, dict) or p not in d:
                return None
            d = d[p]
        return d
    return get

def div(get, by):
    return lambda d: None if get(d) is None else get(d) / by

ROWS = [
    ("connect", "sessions held", "high", g("sessions_held")),
    ("connect", "login failures", "low", g("login_failures")),
    ("connect", "logins/s", "high", g("logins_per_s")),
    ("connect", "logins per server CPU-second", "high", g("logins_per_server_cpu_s")),
    ("connect", "server RSS after login (MiB)", "low", div(g("rss_after_kb"), 1024)),
    ("connect", "RSS per idle session (bytes)", "low", g("rss_per_session_bytes")),
    ("chat", "sessions", "high", g("sessions")),
    ("chat", "saturation: delivered msgs/s", "high", g("chat", "deliveries_per_s")),
    ("chat", "saturation: lost messages", "low", g("chat", "lost")),
    ("chat", "saturation: p50 latency (ms)", "low", div(g("chat", "p50_us"), 1000)),
    ("chat", "saturation: p99 latency (ms)", "low", div(g("chat", "p99_us"), 1000)),
    ("chat", "server CPU-s per 1000 msgs", "low", g("chat", "server_cpu_s_per_1000")),
    ("chat", "msgs per server CPU-second", "high", g("chat", "deliveries_per_server_cpu_s")),
    ("chat", "half rate: offered msgs/s", "high", g("chat_half", "rate")),
    ("chat", "half rate: delivered msgs/s", "high", g("chat_half", "deliveries_per_s")),
    ("chat", "half rate: lost messages", "low", g("chat_half", "lost")),
    ("chat", "half rate: p50 latency (ms)", "low", div(g("chat_half", "p50_us"), 1000)),
    ("chat", "half rate: p99 latency (ms)", "low", div(g("chat_half", "p99_us"), 1000)),
    ("chat", "half rate: p99.9 latency (ms)", "low", div(g("chat_half", "p999_us"), 1000)),
    ("presence", "sessions", "high", g("sessions")),
    ("presence", "contacts per user", "high", g("contacts")),
    ("presence", "presence deliveries/s", "high", g("presence", "deliveries_per_s")),
    ("presence", "deliveries per server CPU-second", "high", g("presence", "deliveries_per_server_cpu_s")),
    ("presence", "missing deliveries", "low", g("presence", "lost")),
    ("presence", "p99 latency (ms)", "low", div(g("presence", "p99_us"), 1000)),
    ("muc", "occupants", "high", g("occupants")),
    ("muc", "deliveries/s", "high", g("muc", "deliveries_per_s")),
    ("muc", "deliveries per server CPU-second", "high", g("muc", "deliveries_per_server_cpu_s")),
    ("muc", "missing deliveries", "low", g("muc", "lost")),
    ("muc", "p50 latency (ms)", "low", div(g("muc", "p50_us"), 1000)),
    ("muc", "p99 latency (ms)", "low", div(g("muc", "p99_us"), 1000)),
    ("reconnect", "sessions back after the storm", "high", g("reconnect", "sessions_back")),
    ("reconnect", "storm failures", "low", g("reconnect", "failures")),
    ("reconnect", "storm duration (s)", "low", g("reconnect", "storm_s")),
    ("reconnect", "storm logins per server CPU-second", "high", g("reconnect", "logins_per_server_cpu_s")),
    ("reconnect", "messages lost after the storm", "low", g("reconnect", "check", "lost")),
    ("reconnect", "server RSS after the storm (MiB)", "low", div(g("reconnect", "rss_after_kb"), 1024)),
]


def fmt(v):
    if v is None:
        return "—"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) >= 100):
        return "{:,}".format(int(v))
    if abs(v) >= 100:
        return "{:,.0f}".format(v)
    if abs(v) >= 1:
        return "{:.2f}".format(v)
    return "{:.3f}".format(v)


def ratio(a, b):
    if a is None or b is None or b == 0 or isinstance(a, bool):
        return "—"
    return "{:.2f}×".format(a / b)


def main():
    work, scenarios = sys.argv[1], sys.argv[2:]
    data = {}
    for s in SERVERS:
        for sc in scenarios:
            path = os.path.join(work, "%s-%s.json" % (s, sc))
            if os.path.exists(path):
                with open(path) as f:
                    data[(s, sc)] = json.load(f)
    print("| scenario | metric (better) | telexd | Prosody | ejabberd | telexd/Prosody | telexd/ejabberd |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for sc, label, better, get in ROWS:
        if sc not in scenarios:
            continue
        vals = [get(data[(s, sc)]) if (s, sc) in data else None for s in SERVERS]
        if all(v is None for v in vals):
            continue
        print("| %s | %s (%s) | %s | %s | %s | %s | %s |" % (
            sc, label, better, fmt(vals[0]), fmt(vals[1]), fmt(vals[2]),
            ratio(vals[0], vals[1]), ratio(vals[0], vals[2])))
    errors = [(s, sc, d.get("first_error")) for (s, sc), d in data.items() if d.get("first_error")]
    for s, sc, e in errors:
        print("\n%s/%s: first session error: %s" % (s, sc, e))
    missing = [(s, sc) for s in SERVERS for sc in scenarios if (s, sc) not in data]
    if missing:
        print("\nNo result for: " + ", ".join("%s/%s" % m for m in missing))


if __name__ == "__main__":
    main()
