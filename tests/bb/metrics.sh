#!/bin/sh
# biofedd's Prometheus metrics, black-box: node.metrics on a free
# loopback port, scraped over HTTP and parsed with the Prometheus
# project's own parser (Debian's python3-prometheus-client): the named
# metrics exist with sane values, the applied count grows after a
# publish, peers up matches the connected peers, a refused change set is
# counted by reason, a failing fetch source shows, other paths get 404 and
# other methods 405, a port someone else holds degrades the node, and
# only loopback addresses are accepted.  Every daemon is stopped by its
# pid at exit.
. "$(dirname "$0")/lib.sh"
FED="$ROOT/deploy/federation.sh"
HOSTILE="$TOOLS/hostile"
PY=/usr/bin/python3
export BUILD

cleanup() {
	[ -f "$T/f/nodes" ] && "$FED" stop "$T/f" >/dev/null 2>&1
	[ -f "$T/squat.pid" ] && kill "$(cat "$T/squat.pid")" 2>/dev/null
	[ -n "$BB_KEEP" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if ! out=$("$PY" -c 'from prometheus_client.parser import text_string_to_metric_families' 2>&1); then
	fail "the Prometheus text parser is installed (Debian package python3-prometheus-client: apt-get install python3-prometheus-client)" "$out"
	exit 1
fi
ok "the Prometheus text parser (python3-prometheus-client) is there"

# scrape: fetches /metrics and parses it; writes "family NAME TYPE" and
# "name{k=v,...} value" per sample (labels sorted) into $T/scrape, or
# the error
scrape() {
	"$PY" -c '
import sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families
r = urllib.request.urlopen(sys.argv[1], timeout=5)
ctype = r.headers.get("Content-Type", "")
text = r.read().decode("utf-8")
if not ctype.startswith("text/plain; version=0.0.4"):
    sys.exit("content type " + ctype)
for fam in text_string_to_metric_families(text):
    print("family %s %s" % (fam.name, fam.type))
    for s in fam.samples:
        labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        print("%s{%s} %r" % (s.name, labels, s.value))
' "$MURL" > "$T/scrape" 2>&1
}
# val 'name{labels}': the value of one sample of the last scrape
val() { awk -v k="$1" '$1 == k { print $2 }' "$T/scrape"; }
# gt A B: A > B, as numbers
gt() { "$PY" -c 'import sys; sys.exit(not float(sys.argv[1]) > float(sys.argv[2]))' "${1:-0}" "${2:-0}"; }
# http METHOD PATH: the status code of a request
http() {
	"$PY" -c '
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[2], method=sys.argv[1],
                             data=b"x" if sys.argv[1] == "POST" else None)
try:
    print(urllib.request.urlopen(req, timeout=5).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception as e:
    print("error", e)
' "$1" "http://127.0.0.1:$PORT$2"
}

if out=$("$FED" start 3 "$T/f" 2>&1); then
	ok "three nodes start"
else
	fail "three nodes start" "$out"
	exit 1
fi
A=$(sed -n 1p "$T/f/nodes") B=$(sed -n 2p "$T/f/nodes")

# --- the option -------------------------------------------------------------
grep_out "biofed config lists node.metrics" '^node\.metrics \(string\)' bf "f/$A" config
cp "$T/f/$A/biofed.conf" "$T/conf.orig"
sed -i 's/^metrics = .*/metrics = 0.0.0.0:9464/' "$T/f/$A/biofed.conf"
out=$("$ROOT/$BUILD/biofedd" -d "$T/f/$A" -n 2>&1); rc=$?
if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q 'node.metrics: "0.0.0.0" is not a loopback address'; then
	ok "a non-loopback metrics address is refused (biofedd -n)"
else
	fail "a non-loopback metrics address is refused" "$out"
fi

# --- serving ------------------------------------------------------------------
PORT=$(free_port)
MURL="http://127.0.0.1:$PORT/metrics"
"$FED" stop-node "$T/f" $A
cp "$T/conf.orig" "$T/f/$A/biofed.conf"
sed -i "s/^metrics = .*/metrics = 127.0.0.1:$PORT/" "$T/f/$A/biofed.conf"
# a source that cannot be reached: its state shows in the metrics
printf '\n[source nowhere]\nurl = http://127.0.0.1:%s/projects.json\nretries = 0\nconnect_timeout = 2\nmap.source_id = id\nmap.title = title\n' \
	"$(free_port)" >> "$T/f/$A/biofed.conf"
"$FED" start-node "$T/f" $A >/dev/null 2>&1 || fail "A restarts with node.metrics = 127.0.0.1:$PORT"
grep_out "A logs where it serves its metrics" "info metrics url=http://127.0.0.1:$PORT/metrics" cat "$T/f/$A/biofedd.log"
until_ok 10 scrape
if scrape; then
	ok "scraped and parsed as Prometheus text format 0.0.4 ($(grep -c '^family ' "$T/scrape") families)"
else
	fail "scraped and parsed as Prometheus text format" "$(cat "$T/scrape")"
fi
missing=""
for f in "process_resident_memory_bytes gauge" "process_start_time_seconds gauge" \
	"biofed_info gauge" "biofed_listening gauge" "biofed_peers_configured gauge" \
	"biofed_peers_up gauge" "biofed_inbound_peers gauge" "biofed_peer_up gauge" \
	"biofed_peer_state gauge" "biofed_peer_state_seconds gauge" \
	"biofed_peer_bytes_received counter" "biofed_peer_bytes_sent counter" \
	"biofed_bytes_received counter" "biofed_bytes_sent counter" \
	"biofed_changesets_applied counter" "biofed_changesets_refused counter" \
	"biofed_connections_refused counter" "biofed_apply_duration_seconds histogram" \
	"biofed_origin_seq gauge" "biofed_origin_lag_changesets gauge" \
	"biofed_origin_lag_seconds gauge" "biofed_fetch_last_success_timestamp_seconds gauge" \
	"biofed_fetch_failing gauge"; do
	grep -qx "family $f" "$T/scrape" || missing="$missing [$f]"
done
[ -z "$missing" ] && ok "every family the test names is there, with its type" ||
	fail "families missing:$missing" "$(grep '^family' "$T/scrape")"
rss=$(val 'process_resident_memory_bytes{}')
gt "$rss" 1e6 && gt 4e9 "$rss" && ok "process_resident_memory_bytes is sane ($rss)" ||
	fail "process_resident_memory_bytes is sane" "$rss"
[ "$(val "biofed_info{node=$A,version=$("$BIOFED" --version | cut -d' ' -f2)}")" = 1.0 ] &&
	ok "biofed_info names the node and the version" || fail "biofed_info" "$(grep '^biofed_info' "$T/scrape")"

# peers up equals the peers connected, as status says
peers_ok() {
	scrape || return 1
	st=$(bf "f/$A" status --format json | "$PY" -c 'import json, sys; j = json.load(sys.stdin); print("%d.0 %d.0" % (sum(p["state"] == "connected" for p in j["peers"]), sum(i["authenticated"] for i in j["inbound"])))')
	[ "$st" = "1.0 1.0" ] && [ "$(val 'biofed_peers_up{}') $(val 'biofed_inbound_peers{}')" = "$st" ]
}
until_ok 10 peers_ok && ok "biofed_peers_up and biofed_inbound_peers match status (1 dialed, 1 inbound)" ||
	fail "biofed_peers_up matches the connected peers" "status: $st; $(grep -E '^biofed_(peers_up|inbound_peers)' "$T/scrape")"
if grep -Eq "^biofed_peer_up\{endpoint=tls\+tcp://127\.0\.0\.1:[0-9]+,member=$B\} 1\.0$" "$T/scrape" &&
	grep -Eq "^biofed_peer_state\{endpoint=[^,]+,member=$B,state=connected\} 1\.0$" "$T/scrape" &&
	grep -Eq "^biofed_peer_state\{endpoint=[^,]+,member=$B,state=down\} 0\.0$" "$T/scrape"; then
	ok "per peer: up 1, state connected"
else
	fail "per peer: up 1, state connected" "$(grep '^biofed_peer_' "$T/scrape")"
fi

# the applied count grows after a publish elsewhere
before=$(val 'biofed_changesets_applied_total{}')
rx=$(val 'biofed_bytes_received_total{side=dialed}')
bf "f/$B" publish "$ROOT/tests/data/refbio/$B/biobanks.csv" >/dev/null || fail "B publishes"
grown() { scrape && gt "$(val 'biofed_changesets_applied_total{}')" "$before"; }
if until_ok 10 grown; then
	ok "biofed_changesets_applied_total grows after B publishes ($before -> $(val 'biofed_changesets_applied_total{}'))"
else
	fail "biofed_changesets_applied_total grows after a publish" "$(grep applied "$T/scrape")"
fi
applied=$(val 'biofed_changesets_applied_total{}')
[ "$(val 'biofed_apply_duration_seconds_count{}')" = "$applied" ] &&
	[ "$(val 'biofed_apply_duration_seconds_bucket{le=+Inf}')" = "$applied" ] &&
	ok "the apply histogram counts every applied change set" || fail "the apply histogram" "$(grep apply_duration "$T/scrape")"
gt "$(val 'biofed_bytes_received_total{side=dialed}')" "$rx" && ok "bytes received grow too" ||
	fail "bytes received grow" "$(grep bytes_received "$T/scrape")"
caught_up() {
	scrape && [ "$(val "biofed_origin_lag_changesets{origin=$B}")" = 0.0 ] &&
		[ "$(val "biofed_origin_lag_seconds{origin=$B}")" = 0.0 ] &&
		[ "$(val "biofed_origin_seq{origin=$B}")" = "$(seq_of "$T/f/$A" $B).0" ]
}
until_ok 5 caught_up && ok "per origin: seq as in the replica, lag 0 change sets and 0 s" ||
	fail "per origin: seq and lag" "$(grep '^biofed_origin' "$T/scrape")"

# a refused change set is counted by its reason
[ "$(val 'biofed_changesets_refused_total{reason=signature}')" = 0.0 ] ||
	fail "no refusal yet" "$(grep refused "$T/scrape")"
url=$(sed -n 's|^endpoint = ||p' "$T/f/$A/biofed.conf")
hout=$("$HOSTILE" -d "$T/f/$B" -c "$T/f/$A/tls.crt" "$url" push badsig 2>&1)
refused() { scrape && [ "$(val 'biofed_changesets_refused_total{reason=signature}')" = 1.0 ]; }
until_ok 10 refused && ok "a change set with a bad signature: biofed_changesets_refused_total{reason=\"signature\"} 1" ||
	fail "a refused change set is counted by reason" "$hout$(grep refused "$T/scrape")"
grep_out "  ... and status says degraded, naming it" \
	"^degraded: .*change sets refused, the last [0-9]+ s ago from $B \\(signature\\)" bf "f/$A" status

# the source that cannot be reached
failing() { scrape && [ "$(val 'biofed_fetch_failing{source=nowhere}')" = 1.0 ]; }
if until_ok 15 failing && grep -q '^biofed_fetch_last_error_info{error=.*,source=nowhere} 1.0$' "$T/scrape" &&
	[ "$(val 'biofed_fetch_last_success_timestamp_seconds{source=nowhere}')" = 0.0 ]; then
	ok "a failing fetch source: failing 1, never a success, the error as a label"
else
	fail "a failing fetch source shows" "$(grep fetch "$T/scrape")"
fi

# --- what is not /metrics ------------------------------------------------------
for req in "GET /other 404" "POST /metrics 405" "HEAD /metrics 200" "GET /metrics?x=1 200"; do
	set -- $req
	got=$(http "$1" "$2")
	[ "$got" = "$3" ] && ok "$1 $2: $3" || fail "$1 $2: $3" "$got"
done

# --- a port someone else holds: the node runs, status says so --------------------
"$FED" stop-node "$T/f" $A
"$PY" -c 'import socket, sys, time; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(60)' "$PORT" &
echo $! > "$T/squat.pid"
sleep 0.3
"$FED" start-node "$T/f" $A >/dev/null 2>&1 || fail "A starts while its metrics port is taken"
grep_out "  ... it logs metrics-failed" "metrics-failed url=http://127.0.0.1:$PORT" cat "$T/f/$A/biofedd.log"
grep_out "  ... and status is degraded: metrics not served" \
	"^degraded: .*metrics not served on 127\\.0\\.0\\.1:$PORT" bf "f/$A" status
kill "$(cat "$T/squat.pid")" 2>/dev/null
rm -f "$T/squat.pid"
"$FED" stop "$T/f" >/dev/null 2>&1
