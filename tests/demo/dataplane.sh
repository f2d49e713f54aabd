#!/usr/bin/env bash
# The data-plane demo (the main job until `provisioner start --ha` replaces it): three
# "control-plane nodes" and a client as network namespaces on one bridge. node1 takes the VIP
# and announces it; the client reaches it; node1 fails, node2 takes over and announces; the
# client's neighbour entry follows at once. Everything lives in namespaces this script makes and
# removes (also on error or Ctrl-C); addresses are from 192.0.2.0/24, which exists only there.
set -euo pipefail
vipd=${1:-build/vipd/vipd}
[ -x "$vipd" ] || { echo "demo: vipd binary \"$vipd\" not found; build first" >&2; exit 1; }
id="vipd-demo-$$"
vip=192.0.2.254
namespaces=("$id-sw" "$id-node1" "$id-node2" "$id-node3" "$id-client")

cleanup() {
	for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

step() { printf '\n==> %s\n' "$*"; }
in_ns() { local ns=$1; shift; ip netns exec "$id-$ns" "$@"; }
mac_of() { ip -n "$id-$1" -br link show eth0 | awk '{print $3}'; }
neighbour() { ip -n "$id-client" neigh show "$vip" dev eth0; }

step "Creating a bridge and four hosts (node1..3, client) in namespaces"
for ns in "${namespaces[@]}"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$id-sw" link add br0 type bridge
ip -n "$id-sw" link set br0 up
i=1
for host in node1 node2 node3 client; do
	ip -n "$id-$host" link add eth0 type veth peer name "p$i" netns "$id-sw"
	ip -n "$id-sw" link set "p$i" master br0 up
	ip -n "$id-$host" addr add "192.0.2.$i/24" dev eth0
	ip -n "$id-$host" link set eth0 up
	echo "    $host: 192.0.2.$i on eth0 ($(mac_of $host))"
	i=$((i + 1))
done

step "node1 is leader: VIP $vip on eth0, announced with a burst of gratuitous ARP"
in_ns node1 "$vipd" vip add --interface eth0 --address "$vip"
in_ns node1 "$vipd" vip show --interface eth0 --address "$vip"
in_ns node1 "$vipd" announce --interface eth0 --address "$vip" --count 3

step "The client reaches the VIP"
in_ns client ping -c 2 -W 1 "$vip" | tail -2
echo "    client neighbour entry: $(neighbour)"

step "node1 fails: its VIP is removed; node2 takes over and announces"
in_ns node1 "$vipd" vip del --interface eth0 --address "$vip"
start=$(date +%s%N)
in_ns node2 "$vipd" vip add --interface eth0 --address "$vip"
in_ns node2 "$vipd" announce --interface eth0 --address "$vip" --count 3 --interval 50
echo "    client neighbour entry: $(neighbour)"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expected=$(mac_of node2)
if neighbour | grep -q "$expected"; then
	echo "    the client now sends VIP traffic to node2 ($expected)"
else
	echo "demo: the client's entry did not move to node2" >&2
	exit 1
fi
echo "    takeover (VIP add + 3-frame burst, as separate commands) took ${elapsed_ms} ms"
in_ns client ping -c 2 -W 1 "$vip" | tail -2

step "Done: removing the namespaces"
