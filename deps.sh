#!/bin/sh
# deps.sh build|test: make sure what the build (or the test suite) needs
# is installed.  On Debian and Ubuntu, missing packages are installed with
# apt-get (through sudo when not root); elsewhere, or without sudo, the
# script prints the exact command to run and fails.
set -eu

build_pkgs="gcc make libc6-dev libcrypt-dev libsystemd-dev libssl-dev"
test_pkgs="bats python3 curl procps dovecot-core systemd xinetd man-db systemd-container mmdebstrap strace openssl swaks libnet-ssleay-perl libio-socket-ssl-perl libauthen-sasl-perl mpop iproute2 haproxy bindfs xfsprogs s-nail git git-email parallel"

# have PACKAGE: is the Debian package installed?
have() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}

case ${1:-build} in
build) want=$build_pkgs ;;
test) want="$build_pkgs $test_pkgs" ;;
*) echo "usage: deps.sh build|test" >&2; exit 100 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
	for cmd in cc make; do
		command -v "$cmd" >/dev/null 2>&1 || {
			echo "deps.sh: $cmd is missing; install a C compiler," \
			    "make, libcrypt and (for tests) bats-core, python3" \
			    "and curl" >&2
			exit 1
		}
	done
	exit 0
fi

missing=
for p in $want; do
	have "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	sudo=
elif command -v sudo >/dev/null 2>&1; then
	sudo=sudo
else
	echo "deps.sh: missing packages:$missing" >&2
	echo "deps.sh: run as root: apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "deps.sh: installing$missing" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
