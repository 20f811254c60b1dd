#!/usr/bin/env bash
# Runs every test suite of dataexport and prints one closing line
# "N passed, N failed" that totals them all.
#
#   bash test/run_all.sh            # everything
#   SUITES="unit regress" bash test/run_all.sh
#
# As root on a fresh Debian 12 machine it installs what it needs (Debian's
# PostgreSQL 15, server headers, pg_cron, cmocka, IPC::Run, zlib, clang),
# builds and installs the extension, and runs the server-side suites as the
# "postgres" OS user (the server refuses to run as root).  As another user it
# expects those packages to be there and the extension to be installable
# (sudo make install).
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_CONFIG=${PG_CONFIG:-$PG_BIN/pg_config}
SUITES=${SUITES:-"unit regress tap fuzz"}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
PACKAGES="postgresql-15 postgresql-server-dev-15 postgresql-15-cron libcmocka-dev
  libipc-run-perl zlib1g-dev clang libclang-rt-14-dev make gcc"

passed=0
failed=0
log() { printf '==> %s\n' "$*"; }

count() {	# count <suite> <passed> <failed>
	log "$1: $2 passed, $3 failed"
	passed=$((passed + $2))
	failed=$((failed + $3))
}

install_packages() {
	local missing=""
	for p in $PACKAGES; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "missing packages:$missing (install them as root)" >&2
		return 1
	fi
	log "installing:$missing"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
}

# Runs a command as an unprivileged user in a copy of the tree it owns.
as_pg_user() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- env PATH="$PG_BIN:$PATH" bash -c "cd '$WORK' && $*"
	else
		env PATH="$PG_BIN:$PATH" bash -c "cd '$WORK' && $*"
	fi
}

install_packages || exit 1
log "building and installing"
make -s PG_CONFIG="$PG_CONFIG" >/dev/null || { echo "build failed" >&2; exit 1; }
if [ "$(id -u)" = 0 ]; then
	make -s PG_CONFIG="$PG_CONFIG" install >/dev/null || exit 1
else
	make -s PG_CONFIG="$PG_CONFIG" install >/dev/null 2>&1 ||
		sudo make -s PG_CONFIG="$PG_CONFIG" install >/dev/null || exit 1
fi

WORK=$(mktemp -d /tmp/dataexport-test.XXXXXX)
# the tree without build leftovers that may be changing (fuzzer corpora)
tar -C "$ROOT" --exclude=./fuzz/build --exclude=./tmp_check --exclude=./results \
	--exclude=./test/unit/build -cf - . | tar -C "$WORK" -xf -
[ "$(id -u)" = 0 ] && chown -R postgres: "$WORK"
trap 'rm -rf "$WORK"' EXIT

for suite in $SUITES; do
	case $suite in
	unit)
		log "unit tests (cmocka)"
		out=$(as_pg_user "make -s unittest 2>&1")
		echo "$out" | grep -E '^(not ok|# )' || true
		count unit "$(echo "$out" | grep -c '^ok ')" "$(echo "$out" | grep -c '^not ok ')"
		;;
	regress)
		log "pg_regress suite (temporary instance, preloaded)"
		out=$(as_pg_user "make -s installcheck PG_CONFIG='$PG_CONFIG' 2>&1")
		echo "$out" | grep -E '^(test |     |ok |not ok|#)' | grep -vE '\.\.\. ok|^ok ' || true
		count regress "$(echo "$out" | grep -cE '\.\.\. ok|^ok ')" \
			"$(echo "$out" | grep -cE 'FAILED|failed \(ignored\)|^not ok ')"
		[ -f "$WORK/regression.diffs" ] && head -200 "$WORK/regression.diffs"
		;;
	tap)
		log "TAP tests (PostgreSQL::Test::Cluster)"
		perllib=$("$PG_CONFIG" --pgxs | sed 's|/src/makefiles/pgxs.mk$||')/src/test/perl
		out=$(as_pg_user "PERL5LIB='$perllib' PG_REGRESS=/bin/true prove -v --ext=.pl test/t/ 2>&1")
		echo "$out" | grep -E '^(not ok|t/|#   Failed)' || true
		count tap "$(echo "$out" | grep -cE '^ok [0-9]')" "$(echo "$out" | grep -cE '^not ok [0-9]|Dubious|Bailout')"
		;;
	fuzz)
		log "fuzzers, $FUZZ_SECONDS s each"
		out=$(as_pg_user "make -s -C fuzz run SECONDS=$FUZZ_SECONDS 2>&1")
		echo "$out" | tail -20
		count fuzz "$(echo "$out" | grep -cE '^fuzz_[a-z]+ +exit 0,')" \
			"$(echo "$out" | grep -cE '^fuzz_[a-z]+ +exit [^0]|Error|error:')"
		;;
	esac
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
