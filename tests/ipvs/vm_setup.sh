#!/bin/sh
# vm_setup.sh — run by the test VM's /init before the IPVS tests: a dummy interface whose
# subnets make the tests' destinations routable (IPVS refuses unroutable ones), IP forwarding,
# and IPVS's conntrack mode (so masqueraded connections get conntrack entries to clean up).
set -e
ip link add vipd0 type dummy
ip addr add 10.1.0.254/24 dev vipd0
ip -6 addr add 2001:db8:1::fe/64 dev vipd0
ip link set vipd0 up
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.ipv6.conf.all.forwarding=1
sysctl -qw net.ipv4.vs.conntrack=1
