#!/usr/bin/env bash
# Builds the real upstream programs pinned in upstream/go.mod (Kubernetes, etcd, kube-vip,
# CoreDNS, local-path-provisioner) into a cache directory keyed by the sha256 of go.mod +
# go.sum, so tests and benchmarks run against the genuine parts at known versions. Does nothing
# when that directory is complete. See README.md.
#
# Usage: upstream/build.sh [--print-bindir | --tidy | --help]
#   (no option)     build what is missing; progress on stderr, the bin dir on stdout
#   --print-bindir  print the bin dir for the current pins and exit (builds nothing)
#   --tidy          after changing the k8s.io/kubernetes or etcd pin in go.mod: rewrite the
#                   replaces those releases need and run `go mod tidy`
# Environment:
#   VIPD_UPSTREAM_CACHE  cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/vipd/upstream);
#                        programs land in $VIPD_UPSTREAM_CACHE/<key>/bin
#   GO                   the go command (default: the newer of go on PATH and /usr/local/go/bin/go)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

say() { printf 'upstream: %s\n' "$*" >&2; }
die() {
	say "error: $*"
	exit 1
}

# name|package|flavour; order matters only for the progress lines (the first build compiles
# most of the shared dependencies).
programs=(
	"kube-apiserver|k8s.io/kubernetes/cmd/kube-apiserver|k8s"
	"kube-controller-manager|k8s.io/kubernetes/cmd/kube-controller-manager|k8s"
	"kube-scheduler|k8s.io/kubernetes/cmd/kube-scheduler|k8s"
	"kubelet|k8s.io/kubernetes/cmd/kubelet|k8s"
	"kube-proxy|k8s.io/kubernetes/cmd/kube-proxy|k8s"
	"kubeadm|k8s.io/kubernetes/cmd/kubeadm|k8s"
	"kubectl|k8s.io/kubernetes/cmd/kubectl|k8s"
	"etcd|go.etcd.io/etcd/server/v3|etcd"
	"etcdctl|go.etcd.io/etcd/etcdctl/v3|etcd"
	"kube-vip|github.com/kube-vip/kube-vip|own"
	"coredns|github.com/coredns/coredns|own"
	"local-path-provisioner|github.com/rancher/local-path-provisioner|own"
)

cache_root=${VIPD_UPSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vipd/upstream}
# The key covers every pin: go.sum for the modules built from this module's graph, go.mod for
# those built from their own (kube-vip, CoreDNS, local-path-provisioner; see README.md).
cache_key() { cat go.mod go.sum 2>/dev/null | sha256sum | cut -d' ' -f1; }
key=$(cache_key)
bindir="$cache_root/$key/bin"

mode=build
case "${1:-}" in
"") ;;
--print-bindir) mode=print ;;
--tidy) mode=tidy ;;
-h | --help)
	sed -n '7,15p' "$here/build.sh" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*) die "unknown option \"$1\" (expected --print-bindir, --tidy or --help)" ;;
esac

if [ "$mode" = print ]; then
	printf '%s\n' "$bindir"
	exit 0
fi

# --- Go: present and new enough for the go line of go.mod -------------------------------
need=$(sed -n 's/^go \([0-9.]*\)$/\1/p' go.mod)
[ -n "$need" ] || die "go.mod has no go line"
go=${GO:-}
if [ -z "$go" ]; then
	go=$(command -v go || true)
	have_path=$go
	if [ -z "$go" ] || ! "$go" version >/dev/null 2>&1; then
		go=/usr/local/go/bin/go
	fi
	# Prefer /usr/local/go when the go on PATH is older (Debian's go is 1.19).
	if [ -n "$have_path" ] && [ -x /usr/local/go/bin/go ] && [ "$have_path" != /usr/local/go/bin/go ]; then
		v_path=$("$have_path" env GOVERSION 2>/dev/null | sed 's/^go//')
		v_local=$(/usr/local/go/bin/go env GOVERSION 2>/dev/null | sed 's/^go//')
		if [ "$(printf '%s\n%s\n' "$v_path" "$v_local" | sort -V | tail -n1)" = "$v_local" ]; then
			go=/usr/local/go/bin/go
		fi
	fi
fi
# need_go VERSION WHAT — dies unless the go we use is at least VERSION.
need_go() {
	[ "$(printf '%s\n%s\n' "$1" "$have" | sort -V | head -n1)" = "$1" ] ||
		die "Go >= $1 is needed for $2, $go is go$have; install it from https://go.dev/dl/ and put it on PATH or set GO=/path/to/go"
}
if ! have=$("$go" env GOVERSION 2>/dev/null); then
	die "Go >= $need is needed and none was found (tried \$GO, go on PATH, /usr/local/go/bin/go); install it from https://go.dev/dl/ and put it on PATH or set GO=/path/to/go"
fi
have=${have#go}
need_go "$need" "upstream/go.mod"
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly

# The pinned releases whose own go.mod points modules of the same release at local
# directories (replaces a dependency's go.mod cannot carry): k8s.io/kubernetes's staging
# modules ("=> ./staging/…", published as v0.X.Y) and etcd server's siblings ("=> ../…",
# published at the server's version). Our go.mod must replace each with its published version,
# or the build would mix two releases.
pin_version() { "$go" mod edit -json | sed -n "\#\"Path\": \"$1\"#{n;s/.*\"Version\": \"\(.*\)\".*/\1/p;q}"; }
k8s_version=$(pin_version k8s.io/kubernetes)
etcd_version=$(pin_version go.etcd.io/etcd/server/v3)
[ -n "$k8s_version" ] || die "go.mod does not require k8s.io/kubernetes"
[ -n "$etcd_version" ] || die "go.mod does not require go.etcd.io/etcd/server/v3"

# module_file MODULE VERSION FIELD — a path from `go mod download -json` (GoMod, Dir), fetching
# the module if needed. Callers use `|| exit 1`: a die in $(…) only ends the subshell.
module_file() {
	local out path
	out=$(GOFLAGS= "$go" mod download -json "$1@$2" 2>&1) || true
	path=$(printf '%s\n' "$out" | sed -n "s/.*\"$3\": \"\(.*\)\".*/\1/p")
	[ -n "$path" ] || die "module fetch failed: $1@$2: $(printf '%s\n' "$out" |
		sed -n 's/.*"Error": "\(.*\)".*/\1/p;/^go: /p' | head -n 1 | sed 's/\\n.*//')"
	printf '%s\n' "$path"
}
k8s_gomod=$(module_file k8s.io/kubernetes "$k8s_version" GoMod) || exit 1
etcd_gomod=$(module_file go.etcd.io/etcd/server/v3 "$etcd_version" GoMod) || exit 1
wanted_replaces() { # prints "module version", sorted
	{
		sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\1 v0.'"${k8s_version#v1.}"'#p' "$k8s_gomod"
		sed -n 's#^[[:space:]]*\(go\.etcd\.io/[a-z0-9/-]*\) => \.\./.*#\1 '"$etcd_version"'#p' "$etcd_gomod"
	} | sort
}
all_replaces() { # prints "module version" for every replace of go.mod
	"$go" mod edit -json | sed -n '/"Replace"/,$p' | sed -n '/"New"/{n;s/.*"Path": "\(.*\)".*/\1/p;n;s/.*"Version": "\(.*\)".*/\1/p}' |
		paste -d' ' - - | sort
}
actual_replaces() { all_replaces | grep -E '^(k8s\.io|go\.etcd\.io)/' || true; }
# own_pin MODULE — the version of a program built from its own release's go.mod.
own_pin() {
	local v
	v=$(all_replaces | awk -v m="$1" '$1 == m { print $2 }')
	[ -n "$v" ] || die "go.mod has no pin (replace $1 => $1 vX.Y.Z) for $1"
	printf '%s\n' "$v"
}

if [ "$mode" = tidy ]; then
	say "pins: k8s.io/kubernetes $k8s_version, go.etcd.io/etcd/server/v3 $etcd_version; rewriting their release replaces"
	args=()
	while read -r old _; do args+=("-dropreplace=$old"); done < <(actual_replaces)
	[ ${#args[@]} = 0 ] || "$go" mod edit "${args[@]}"
	wanted=$(wanted_replaces)
	{
		printf '\n// Written by build.sh --tidy: the pinned releases'"'"' own modules at their published versions.\n'
		printf 'replace (\n'
		while read -r m v; do printf '\t%s => %s %s\n' "$m" "$m" "$v"; done <<<"$wanted"
		printf ')\n'
	} >>go.mod
	GOFLAGS= "$go" mod tidy
	say "done; the new cache key is $(cache_key)"
	exit 0
fi

if ! diff <(wanted_replaces) <(actual_replaces) >/dev/null; then
	say "go.mod's replaces do not match the pinned releases (< wanted, > in go.mod):"
	diff <(wanted_replaces) <(actual_replaces) | grep '^[<>]' | head -n 10 >&2
	die "run upstream/build.sh --tidy"
fi

complete() {
	local p
	[ -f "$bindir/.complete" ] || return 1
	for p in "${programs[@]}"; do
		[ -x "$bindir/${p%%|*}" ] || return 1
	done
}

if complete; then
	say "all ${#programs[@]} programs present in $bindir (nothing to do)"
	printf '%s\n' "$bindir"
	exit 0
fi

# --- fetch: every module the programs need, failing with the module and its error ---------
# fetch_failed OUTPUT — prints the "module@version: error" lines of go's output, if any.
fetch_failed() {
	local lines
	lines=$(printf '%s\n' "$1" | grep -E '^(go: )?[^ ]+@v[^ :]*: ' | sed 's/^go: //' | head -n 5) || return 1
	while read -r line; do say "module fetch failed: $line"; done <<<"$lines"
}
pkgs=()
for p in "${programs[@]}"; do
	IFS='|' read -r _ pkg flavour <<<"$p"
	[ "$flavour" = own ] || pkgs+=("$pkg")
done
t0=$(date +%s.%N)
for p in "${programs[@]}"; do # programs built from their own go.mod may need a newer Go
	IFS='|' read -r name pkg flavour <<<"$p"
	[ "$flavour" = own ] || continue
	v=$(own_pin "$pkg") || exit 1
	gomod=$(module_file "$pkg" "$v" GoMod) || exit 1
	need_go "$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod")" "$name $v"
done
say "fetching modules for ${#programs[@]} programs (go$have, cache key ${key:0:12})"
if ! err=$("$go" list -deps -f '{{if .Module}}{{.Module.Path}}{{end}}' "${pkgs[@]}" 2>&1 >/dev/null); then
	fetch_failed "$err" || say "module fetch failed: $(printf '%s' "$err" | head -n 3)"
	exit 1
fi

# --- build --------------------------------------------------------------------------------
module_version() { "$go" list -m -f '{{.Version}}' "$1"; }
module_time() { "$go" list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' "$1"; }

# Kubernetes: hack/lib/version.sh + golang.sh of the release (gitCommit/gitTreeState are only
# stamped there when a git commit is known; a module zip carries none). buildDate is the
# release's own timestamp, so rebuilding gives the same binaries.
k8s_date=$(module_time k8s.io/kubernetes)
k8s_major=${k8s_version#v}
k8s_major=${k8s_major%%.*}
k8s_minor=${k8s_version#v*.}
k8s_minor=${k8s_minor%%.*}
k8s_ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
	k8s_ldflags+=" -X '$pkg.buildDate=$k8s_date' -X '$pkg.gitVersion=$k8s_version'"
	k8s_ldflags+=" -X '$pkg.gitMajor=$k8s_major' -X '$pkg.gitMinor=$k8s_minor'"
done

stage="$cache_root/$key/bin.tmp.$$"
trap 'rm -rf "$stage" "$stage.src"' EXIT
mkdir -p "$stage"

for p in "${programs[@]}"; do
	IFS='|' read -r name pkg flavour <<<"$p"
	s=$(date +%s.%N)
	case $flavour in
	k8s)
		ver=$k8s_version
		cmd=(build -trimpath -tags=selinux,notest,grpcnotrace "-ldflags=all=$k8s_ldflags"
			-o "$stage/$name" "$pkg")
		;;
	etcd) # etcd's own build.sh only adds the git SHA, which a module zip does not carry.
		ver=$(module_version "$pkg")
		cmd=(build -trimpath "-ldflags=-s -w" -o "$stage/$name" "$pkg")
		;;
	own) # From the release's own go.mod and go.sum: a copy of its module source is the
		# main module. (Not `go install module@version`: that also reads the module's version
		# list for deprecations, which the proxy here refuses.)
		ver=$(own_pin "$pkg") || exit 1
		ldflags="-s -w"
		[ "$name" = kube-vip ] && ldflags+=" -X=main.Version=$ver" # kube-vip's Makefile
		# local-path-provisioner's scripts/build (its --version then names the pin)
		[ "$name" = local-path-provisioner ] && ldflags+=" -X=main.VERSION=$ver"
		src=$(module_file "$pkg" "$ver" Dir) || exit 1
		rm -rf "$stage.src"
		cp -r "$src" "$stage.src" && chmod -R u+w "$stage.src"
		cmd=(build -C "$stage.src" -trimpath -mod=readonly "-ldflags=$ldflags" -o "$stage/$name" .)
		;;
	esac
	if ! out=$(GOFLAGS= CGO_ENABLED=0 "$go" "${cmd[@]}" 2>&1); then
		fetch_failed "$out" || printf '%s\n' "$out" | tail -n 30 >&2
		die "$name ($pkg $ver) failed to build"
	fi
	say "$(printf '%-24s %-9s built in %6.1f s' "$name" "$ver" "$(echo "$(date +%s.%N) - $s" | bc)")"
done

rm -rf "$stage.src"
printf '%s\n' "${programs[@]%%|*}" >"$stage/.complete"
rm -rf "$bindir"
mv "$stage" "$bindir"
trap - EXIT
say "$(printf '%d programs in %s, total %.1f s' "${#programs[@]}" "$bindir" \
	"$(echo "$(date +%s.%N) - $t0" | bc)")"
printf '%s\n' "$bindir"
