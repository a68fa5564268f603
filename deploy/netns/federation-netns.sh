#!/usr/bin/env bash
# A federation across Linux network namespaces: the coordinator and 3 site agents each in a namespace of its own,
# with its own address, connected through a bridge that lives in a fifth ("switch") namespace, so the host's own
# network is never touched. Mid-round it takes one site's link down, brings it back a few seconds later, and checks
# that the federation still finishes: coordinator exit 0, every round in metrics.json, every site exit 0, and
# `fedmil audit verify` OK on the round log. Namespaces and processes are removed on any exit (trap).
#
# Needs root, `ip` (iproute2) and a kernel that lets it create namespaces (CAP_SYS_ADMIN; not granted in most
# unprivileged containers). Exit codes: 0 passed, 1 the federation failed a check, 2 usage or missing jars,
# 77 skipped (not root, no `ip`, or namespaces cannot be created here; the reason is printed).
#
# usage: deploy/netns/federation-netns.sh [--lib DIR] [--work DIR] [--rounds N] [--down-seconds S]
set -uo pipefail

SKIPPED=77
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lib="${FEDMIL_LIB:-$here/../target/fedmil/lib}"
work=""
rounds=4
down_seconds=5
while [ $# -gt 0 ]; do
  case "$1" in
    --lib) lib="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --down-seconds) down_seconds="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "federation-netns: unknown argument $1" >&2; exit 2 ;;
  esac
done

say() { echo "federation-netns: $*"; }
skip() { say "SKIPPED: $*"; exit "$SKIPPED"; }

[ "$(id -u)" = 0 ] || skip "not root (network namespaces need root)"
command -v ip >/dev/null 2>&1 || skip "the 'ip' command (iproute2) is not installed"
command -v java >/dev/null 2>&1 || { say "java is not on PATH"; exit 2; }
ls "$lib"/fedmil-deploy-*.jar >/dev/null 2>&1 || { say "no FedMIL jars in $lib (build first: mvn -DskipTests package)"; exit 2; }

# unique names, so two runs (or a crashed earlier run) never collide; kept short: interface names are ≤ 15 bytes
tag="fm$$"
ns_sw="$tag-sw"; ns_coord="$tag-coord"
sites=(site-1 site-2 site-3)
net=10.231.$(( $$ % 250 ))
coord_ip="$net.1"
port=7443

probe="$tag-probe"
if ! err=$(ip netns add "$probe" 2>&1); then
  skip "cannot create network namespaces here ($err); the container lacks CAP_SYS_ADMIN"
fi
ip netns del "$probe"

[ -n "$work" ] || work="$(mktemp -d /tmp/fedmil-netns.XXXXXX)"
mkdir -p "$work/logs"
work="$(cd "$work" && pwd)"
pids=()
namespaces=()

cleanup() {
  local code=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  for n in "${namespaces[@]}"; do ip netns del "$n" 2>/dev/null; done
  say "namespaces removed (${namespaces[*]:-none}); logs in $work/logs"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

java_opts="-Xmx512m -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1"
fedmil() { java $java_opts -cp "$lib/*" org.fedmil.cli.Fedmil "$@"; }
# in a namespace: exec, so that the pid we hold is the JVM's and the trap's kill reaches it
in_ns() { local ns="$1"; shift; exec ip netns exec "$ns" java $java_opts -cp "$lib/*" org.fedmil.cli.Fedmil "$@"; }
fail() { say "FAILED: $*"; exit 1; }

# --- the network: one bridge in the switch namespace, one veth pair per node ---------------------------------
ip netns add "$ns_sw" && namespaces+=("$ns_sw")
ip -n "$ns_sw" link add br0 type bridge
ip -n "$ns_sw" link set br0 up
ip -n "$ns_sw" link set lo up
node() { # name ns address
  local ns="$2" addr="$3" peer="$tag-$1"
  ip netns add "$ns" && namespaces+=("$ns")
  ip link add eth0 netns "$ns" type veth peer name "$peer" netns "$ns_sw"
  ip -n "$ns_sw" link set "$peer" master br0 up
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
}
node c "$ns_coord" "$coord_ip"
for i in 1 2 3; do node "s$i" "$tag-s$i" "$net.$((10 + i))"; done
# reachability without ping (often not installed): nothing listens yet, so a TCP connect that is refused (an RST
# came back) shows the path works, and one that times out shows it does not
reachable() {
  local out
  out=$(ip netns exec "$1" timeout 3 bash -c "exec 3<>/dev/tcp/$2/$port" 2>&1)
  [ $? = 0 ] || [[ "$out" == *refused* ]]
}
for i in 1 2 3; do reachable "$tag-s$i" "$coord_ip" || fail "site-$i cannot reach $coord_ip"; done
say "network: coordinator $coord_ip (ns $ns_coord), sites $net.11-13 (ns $tag-s1..3), bridge in ns $ns_sw"

# --- PKI, data, configs ----------------------------------------------------------------------------------------
cd "$work"
fedmil data synth --sites 3 --bags-per-site 60 --heldout-bags 60 --out data --seed 3 >logs/setup.log 2>&1 || fail "data synth"
fedmil pki init --dir pki --name "FedMIL netns" >>logs/setup.log 2>&1 || fail "pki init"
# the coordinator's certificate names the address the sites dial, in its namespace
fedmil pki issue coordinator --dir pki --host "$coord_ip" >>logs/setup.log 2>&1 || fail "pki issue coordinator"
for s in "${sites[@]}"; do fedmil pki issue site "$s" --dir pki >>logs/setup.log 2>&1 || fail "pki issue site $s"; done
cat > coordinator.yaml <<YAML
# written by deploy/netns/federation-netns.sh
federation_id: netns
listen:
  host: $coord_ip
  port: $port
tls:
  cert: $work/pki/coordinator/cert.pem
  key: $work/pki/coordinator/key.pem
  ca: $work/pki/coordinator/ca.pem
state_dir: state
heldout_dir: data/heldout
min_sites: 3
# every site's update is needed: the cut site must come back for its round to close
min_updates: 3
round_deadline_seconds: 120
on_short_round: retry
rounds: $rounds
model:
  hidden_dim: 8
  attention_dim: 4
training:
  local_epochs: 1
  learning_rate: 0.005
  seed: 3
YAML
for s in "${sites[@]}"; do cat > "$s.yaml" <<YAML
# written by deploy/netns/federation-netns.sh
coordinator:
  host: $coord_ip
  port: $port
tls:
  cert: $work/pki/sites/$s/cert.pem
  key: $work/pki/sites/$s/key.pem
  ca: $work/pki/sites/$s/ca.pem
data_dir: data/$s
state_dir: $s-state
poll_wait_ms: 2000
connect_timeout_seconds: 120
YAML
done

# --- run: each process inside its namespace -------------------------------------------------------------------
in_ns "$ns_coord" coordinator --config coordinator.yaml >logs/coordinator.log 2>&1 &
coord_pid=$!; pids+=("$coord_pid")
for _ in $(seq 1 120); do grep -q "listening on" logs/coordinator.log && break; sleep 1; done
grep -q "listening on" logs/coordinator.log || fail "coordinator did not start (logs/coordinator.log)"
site_pids=()
for i in 1 2 3; do
  in_ns "$tag-s$i" site run --config "site-$i.yaml" >"logs/site-$i.log" 2>&1 &
  site_pids+=($!); pids+=($!)
done
say "coordinator and 3 sites started, $rounds rounds"

# --- the fault: site-2's link goes down while round 2 is open ----------------------------------------------------
rounds_done() { [ -f state/metrics.json ] && grep -o '"round" *: *[0-9]*' state/metrics.json | wc -l || echo 0; }
cut_done=0
for _ in $(seq 1 600); do
  kill -0 "$coord_pid" 2>/dev/null || break
  # metrics.json holds round 0 (initial model) and round 1: round 2 is open now
  if [ "$(rounds_done)" -ge 2 ]; then
    ip -n "$tag-s2" link set eth0 down
    say "cut site-2's link (round 2 open; $(date +%T))"
    sleep "$down_seconds"
    ip -n "$tag-s2" link set eth0 up
    say "restored site-2's link after ${down_seconds}s ($(date +%T))"
    cut_done=1
    break
  fi
  sleep 0.2
done
[ "$cut_done" = 1 ] || fail "the federation ended or stalled before round 2 opened; nothing was cut (logs/coordinator.log)"

# --- checks ----------------------------------------------------------------------------------------------------
deadline=$((SECONDS + 600))
while kill -0 "$coord_pid" 2>/dev/null; do
  [ $SECONDS -lt $deadline ] || fail "coordinator still running after 10 minutes"
  sleep 1
done
wait "$coord_pid"; coord_exit=$?
[ "$coord_exit" = 0 ] || fail "coordinator exited $coord_exit (logs/coordinator.log)"
for i in 1 2 3; do
  wait "${site_pids[$((i - 1))]}"; e=$?
  [ "$e" = 0 ] || fail "site-$i exited $e (logs/site-$i.log)"
done
got=$(rounds_done)
[ "$got" = $((rounds + 1)) ] || fail "metrics.json records $got entries, expected rounds 0..$rounds"
for r in $(seq 0 "$rounds"); do
  grep -q "\"round\" *: *$r\b" state/metrics.json || fail "round $r missing from state/metrics.json"
done
fedmil audit verify state/round-log.jsonl --ca pki/ca/ca.pem >logs/audit.log 2>&1 || fail "fedmil audit verify (logs/audit.log)"
say "PASSED: $rounds rounds across 4 namespaces with site-2's link cut for ${down_seconds}s; coordinator exit 0, 3 sites exit 0, audit verify OK"
tail -n $((rounds + 2)) logs/coordinator.log | sed 's/^/  /'
