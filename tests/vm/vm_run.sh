#!/bin/bash
# vm_run.sh — run one program inside a throw-away qemu VM booted from this machine's Debian
# kernel, and exit with the program's exit status.
#
# Why: the host kernel may lack what a test needs (IPVS here), and kernel state a test changes
# (IPVS tables, modules, sysctls) must not leak into the host. The VM boots straight into an
# initramfs built here, at test time: busybox, the kernel modules asked for (dependencies
# resolved from modules.dep, loaded in order with insmod), the program and every shared library
# `ldd` names, extra host programs, and an /init that runs the program and prints an exit marker
# carrying a per-run token on the serial console. No disk, and no network device unless --net
# asks for one; ~3 s per boot under TCG.
#
# Exit status: the program's; 77 (ctest SKIP_RETURN_CODE) with "SKIP: <reason>" when this machine
# cannot run a VM (no qemu, no kernel image, neither KVM nor a working TCG); 124 on timeout;
# 125 when the VM never reported an exit status (boot or harness failure).
#
# Usage: vm_run.sh --workdir DIR [options] -- PROGRAM [ARGS...]
#   --workdir DIR        scratch directory, unique per test (wiped and rebuilt)
#   --cache DIR          where the accelerator probe result is kept (default: the workdir's parent)
#   --modules "a b"      kernel modules to load after the defaults
#   --no-default-modules load only --modules (defaults: libcrc32c nf_defrag_ipv4 nf_defrag_ipv6
#                        nf_conntrack ip_vs ip_vs_rr dummy)
#   --program NAME       a host program to include (found on PATH, with its libraries); repeatable
#   --file SRC[:DST]     a host file to include (at DST, default /vm/files/<name>); repeatable
#   --setup FILE         a shell script run before PROGRAM (modules loaded, lo up)
#   --timeout SEC        wall-clock limit of the VM (default 300)
#   --memory MB          VM memory (default 512)
#   --net OPTS           a virtio NIC (eth0 in the VM, left down) on qemu's user-mode network:
#                        `-netdev user,id=n0,OPTS` (e.g. restrict=on,guestfwd=...; the VM reaches
#                        the network qemu runs in through 10.0.2.2 unless restricted); adds the
#                        modules virtio_pci and virtio_net
# Environment: VIPD_VM_KERNEL (kernel image; default the newest /boot/vmlinuz-* whose modules
#   are installed), VIPD_VM_ACCEL (kvm|tcg; default probed once and cached), VIPD_VM_QEMU,
#   VIPD_VM_KEEP=1 keeps the workdir. ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS are passed
#   on to the program.
set -u -o pipefail

die() { echo "vm_run: $*" >&2; exit 125; }
skip() { # in CI (CI set; .ci/run sets it) nothing may be skipped: a missing need fails the test
	[ -z "${CI:-}" ] || die "CI: the VM cannot run here (it would be skipped elsewhere): $*"
	echo "SKIP: $*"
	exit 77
}

workdir="" cache="" modules="" default_modules=1 setup="" timeout_s=300 memory=512 net=""
programs=() files=()
while [ $# -gt 0 ]; do
	case "$1" in
	--workdir) workdir=$2; shift 2 ;;
	--cache) cache=$2; shift 2 ;;
	--modules) modules=$2; shift 2 ;;
	--no-default-modules) default_modules=0; shift ;;
	--program) programs+=("$2"); shift 2 ;;
	--file) files+=("$2"); shift 2 ;;
	--setup) setup=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--memory) memory=$2; shift 2 ;;
	--net) net=$2; shift 2 ;;
	--) shift; break ;;
	*) die "unknown option \"$1\"" ;;
	esac
done
[ -n "$workdir" ] || die "--workdir is required"
[ $# -ge 1 ] || die "no program given"
program=$1; shift
[ -x "$program" ] || die "program \"$program\": not an executable file"
[ -n "$cache" ] || cache=$(dirname "$workdir")
if [ "$default_modules" = 1 ]; then
	modules="libcrc32c nf_defrag_ipv4 nf_defrag_ipv6 nf_conntrack ip_vs ip_vs_rr dummy $modules"
fi
nic=(-nic none)
if [ -n "$net" ]; then
	modules="$modules virtio_pci virtio_net"
	# romfile= : no option ROM (no network boot), so no ipxe file is needed.
	nic=(-netdev "user,id=n0,$net" -device virtio-net-pci,netdev=n0,romfile=)
fi

# --- What this machine has ---------------------------------------------------------------------
qemu=${VIPD_VM_QEMU:-$(command -v qemu-system-x86_64)} ||
	skip "qemu-system-x86_64 not found (Debian package qemu-system-x86)"
kernel=${VIPD_VM_KERNEL:-}
if [ -z "$kernel" ]; then
	for k in $(ls -1v /boot/vmlinuz-* 2>/dev/null | tac); do
		if [ -f "/lib/modules/${k#/boot/vmlinuz-}/modules.dep" ]; then
			kernel=$k
			break
		fi
	done
fi
[ -n "$kernel" ] || skip "no /boot/vmlinuz-* with its modules (Debian package linux-image-cloud-amd64)"
[ -r "$kernel" ] || skip "kernel image $kernel is not readable"
kver=${kernel##*/vmlinuz-}
moddir=/lib/modules/$kver
[ -f "$moddir/modules.dep" ] || skip "no $moddir/modules.dep for kernel $kernel"
busybox=$(command -v busybox) || skip "busybox not found (Debian package busybox-static)"
if command -v cpio >/dev/null; then cpio=(cpio --quiet); else cpio=("$busybox" cpio); fi

# --- The initramfs -----------------------------------------------------------------------------
root=$workdir/root
rm -rf "$workdir"
mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,proc,sys,dev,tmp,run,etc,vm/modules,vm/files} ||
	die "cannot create $root"
# The host's layout (merged /usr or not), so "#!/bin/bash" finds what /usr/bin/bash put there.
for d in bin sbin lib lib64; do
	if [ -L "/$d" ]; then
		target=$(readlink "/$d")
		mkdir -p "$root/${target#/}" && ln -s "$target" "$root/$d"
	else
		mkdir -p "$root/$d"
	fi
done

# Copies a file to the same path inside the initramfs, following links.
put() {
	local src=$1 dst=${2:-$1}
	[ -e "$root$dst" ] && return 0
	mkdir -p "$root$(dirname "$dst")" && cp -L "$src" "$root$dst" || die "cannot copy $src"
}

# Copies an executable and every shared library it needs (with the dynamic loader).
put_exe() {
	local src=$1 dst=${2:-$1} lib
	put "$src" "$dst"
	# "not a dynamic executable" (static) is fine: nothing to add.
	for lib in $(ldd "$src" 2>/dev/null | awk '/=> \// { print $3 } /^[ \t]*\// { print $1 }'); do
		put "$lib"
	done
}

put_exe "$busybox" /bin/busybox
# A shell that honours PATH: busybox's own sh runs its built-in applets (ip, ...) ahead of the
# host programs a test asked for. busybox --install does not replace it.
host_sh=$(readlink -f /bin/sh)
if [ "$(basename "$host_sh")" != busybox ]; then put_exe "$host_sh" /bin/sh; fi
for p in "${programs[@]}"; do
	path=$(command -v "$p") || skip "program \"$p\" not found on this machine"
	put_exe "$path"
done
for f in "${files[@]}"; do
	src=${f%%:*}
	dst=${f#*:}
	[ "$dst" = "$f" ] && dst=/vm/files/$(basename "$src")
	[ -e "$src" ] || die "file \"$src\" not found"
	if [ -x "$src" ] && [ ! -d "$src" ]; then put_exe "$src" "$dst"; else put "$src" "$dst"; fi
done
put_exe "$program" "/vm/bin/$(basename "$program")"

# Kernel modules: each after its dependencies, as modules.dep lists them. Prints "name path"
# lines in load order, and "MISSING name..." for modules this kernel does not have as files.
resolve_modules() {
	awk -v want="$1" '
	function norm(f) { sub(".*/", "", f); sub("[.]ko.*", "", f); gsub("-", "_", f); return f }
	function add(m,    k, c, arr) {
		if (m in done) return
		done[m] = 1
		if (!(m in path)) { missing = missing " " m; return }
		c = split(deps[m], arr, " ")
		for (k = 1; k <= c; k++) add(arr[k])
		print m, path[m]
	}
	{
		rel = $1; sub(":$", "", rel); n = norm(rel); path[n] = rel; d = ""
		for (i = 2; i <= NF; i++) d = d " " norm($i)
		deps[n] = d
	}
	END {
		c = split(want, w, " ")
		for (i = 1; i <= c; i++) { m = w[i]; gsub("-", "_", m); add(m) }
		if (missing != "") print "MISSING" missing
	}' "$moddir/modules.dep"
}
mod_order=()
declare -A mod_path=()
while read -r name rel; do
	if [ "$name" = MISSING ]; then
		for m in $rel; do
			# Built into this kernel: nothing to load.
			grep -qs "/${m}.ko" "$moddir/modules.builtin" ||
				grep -qs "/${m//_/-}.ko" "$moddir/modules.builtin" ||
				skip "kernel module \"$m\" is not available for kernel $kver"
		done
		continue
	fi
	mod_order+=("$name")
	mod_path[$name]=$rel
done < <(resolve_modules "$modules")
for m in "${mod_order[@]}"; do
	src=$moddir/${mod_path[$m]}
	case "$src" in
	*.ko.xz) xz -dc "$src" >"$root/vm/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$src" >"$root/vm/modules/$m.ko" ;;
	*.ko.gz) gzip -dc "$src" >"$root/vm/modules/$m.ko" ;;
	*) cp "$src" "$root/vm/modules/$m.ko" ;;
	esac || die "cannot unpack module $src"
done
printf '%s\n' "${mod_order[@]}" >"$root/vm/modules.list"

if [ -n "$setup" ]; then
	cp "$setup" "$root/vm/setup" && chmod +x "$root/vm/setup" || die "cannot copy setup $setup"
fi
{
	# The host's sanitizer settings hold inside the VM too.
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[ -n "${!v:-}" ] && printf 'export %s=%q\n' "$v" "${!v}"
	done
	printf 'exec'
	printf ' %q' "/vm/bin/$(basename "$program")" "$@"
	printf '\n'
} >"$root/vm/cmd"

cat >"$root/init" <<'EOF'
#!/bin/busybox sh
# PID 1 of the test VM: mount, load modules, run the setup and the program, report, power off.
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/shm /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
token=$(sed -n 's/.*vipd.token=\([^ ]*\).*/\1/p' /proc/cmdline)
rc=0
for m in $(cat /vm/modules.list); do
	insmod /vm/modules/$m.ko || { echo "vm: insmod $m failed"; rc=125; }
done
ip link set lo up
if [ $rc = 0 ] && [ -x /vm/setup ]; then
	/vm/setup || { rc=$?; echo "vm: setup failed ($rc)"; rc=125; }
fi
if [ $rc = 0 ]; then
	cd /tmp && sh /vm/cmd
	rc=$?
fi
echo "VIPD_VM_EXIT $token $rc"
sync
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | LC_ALL=C sort | "${cpio[@]}" -o -H newc >"$workdir/initramfs.cpio") ||
	die "cannot build the initramfs"

# --- Booting ------------------------------------------------------------------------------------
# Boots $2 with accelerator $1 for at most $3 seconds, serial console to $4, with the NIC
# options that follow; prints nothing.
boot() {
	local accel=$1 initrd=$2 limit=$3 log=$4 token=$5
	shift 5
	timeout --kill-after=5 "$limit" "$qemu" -accel "$accel" -m "$memory" -smp 1 "$@" \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 quiet panic=-1 vipd.token=$token" \
		-display none -monitor none -serial "file:$log" -no-reboot </dev/null >"$log.qemu" 2>&1
}

# Which accelerator works here: probed once with a minimal VM, the answer kept in $cache.
probe_accel() {
	local p=$cache/accel-probe.$$ a
	rm -rf "$p"
	mkdir -p "$p/root/bin" || return 1
	cp "$root/bin/busybox" "$p/root/bin/" && printf '%s\n' '#!/bin/busybox sh' \
		'/bin/busybox echo "VIPD_VM_EXIT probe 0"' '/bin/busybox poweroff -f' >"$p/root/init" &&
		chmod +x "$p/root/init" &&
		(cd "$p/root" && find . | "${cpio[@]}" -o -H newc >"$p/initrd") || return 1
	for a in kvm tcg; do
		if [ "$a" = kvm ] && ! [ -r /dev/kvm -a -w /dev/kvm ]; then continue; fi
		"$qemu" -accel help 2>/dev/null | grep -qx "$a" || continue
		if boot "$a" "$p/initrd" $([ $a = kvm ] && echo 15 || echo 90) "$p/log" probe -nic none &&
			grep -q "VIPD_VM_EXIT probe 0" "$p/log"; then
			rm -rf "$p"
			echo "$a"
			return 0
		fi
		echo "vm_run: accelerator $a does not boot the kernel here; $(tail -c 300 "$p/log.qemu" | tr '\n' ' ')" >&2
	done
	rm -rf "$p"
	return 1
}

accel=${VIPD_VM_ACCEL:-}
if [ -z "$accel" ]; then
	mkdir -p "$cache"
	exec 9>"$cache/accel.lock"
	flock 9
	if [ -s "$cache/accel" ]; then
		accel=$(cat "$cache/accel")
	else
		accel=$(probe_accel) ||
			skip "neither KVM nor TCG could boot $kernel with $qemu (see the messages above)"
		echo "$accel" >"$cache/accel"
	fi
	flock -u 9
	exec 9>&-
fi

token=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
log=$workdir/console.log
echo "vm_run: $(basename "$program") on $kver, accel $accel, ${memory}M, initramfs $(du -h "$workdir/initramfs.cpio" | cut -f1)"
start=$(date +%s.%N)
boot "$accel" "$workdir/initramfs.cpio" "$timeout_s" "$log" "$token" "${nic[@]}"
qrc=$?
end=$(date +%s.%N)
# The console, without terminal control sequences (firmware and colored test output).
sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' -e 's/\r$//' "$log"
rc=$(sed -n "s/.*VIPD_VM_EXIT $token \([0-9]*\).*/\1/p" "$log" | tail -1)
awk -v s="$start" -v e="$end" 'BEGIN { printf "vm_run: VM ran %.1f s\n", e - s }'
if [ -z "$rc" ]; then
	cat "$log.qemu"
	if [ "$qrc" = 124 ]; then
		echo "vm_run: timed out after ${timeout_s}s" >&2
		exit 124
	fi
	echo "vm_run: the VM ended without an exit status (qemu status $qrc)" >&2
	exit 125
fi
[ -n "${VIPD_VM_KEEP:-}" ] || rm -rf "$workdir"
exit "$rc"
