#!/usr/bin/env bash
# Runs every test suite of dataexport and prints one closing line
# "N passed, N failed" that totals them all.
#
#   bash test/run_all.sh            # everything
#   SUITES="unit regress" bash test/run_all.sh
#
# As root on a fresh Debian 12 machine it installs what it needs (Debian's
# PostgreSQL 15, server headers, pg_cron, cmocka, IPC::Run, zlib, clang,
# valgrind, and for the tap suite node and the Parquet readers of
# test/parquet with "npm ci"), builds and installs the extension, and runs the server-side
# suites as the "postgres" OS user (the server refuses to run as root).  As
# another user it expects those packages to be there and the extension to be
# installable (sudo make install).
#
# The counts are what the runners report (cmocka's TAP lines, pg_regress's
# "ok"/"FAILED" lines, prove's summary, the fuzzers' exit lines, the valgrind
# log scan).  A runner that exits non-zero without reporting a failure (a
# test that does not compile, a server that does not start, a crash) counts
# as one failure, named.  The script exits non-zero when anything failed.
#
# Environment:
#   SUITES        unit regress tap fuzz valgrind (the default: all of them)
#   PG_CONFIG     the PostgreSQL to build, install and test against
#                 (default /usr/lib/postgresql/15/bin/pg_config)
#   SKIP_INSTALL  1: install no packages and do not "make install" (the
#                 extension must already be installed for PG_CONFIG)
#   FUZZ_SECONDS  how long each fuzzer runs (30)
#   MALLOC_PERTURB_  glibc fills freed memory with this byte in every server
#                 the suites start, so a use after free shows (165)
#   PG_TEST_PORT_DIR  passed on to the TAP tests (port lock directory)
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# shellcheck source=test/lib/cluster.sh
. test/lib/cluster.sh
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_CONFIG=${PG_CONFIG:-$PG_BIN/pg_config}
SUITES=${SUITES:-"unit regress tap fuzz valgrind"}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
SKIP_INSTALL=${SKIP_INSTALL:-0}
export MALLOC_PERTURB_=${MALLOC_PERTURB_:-165}
PACKAGES="postgresql-15 postgresql-server-dev-15 postgresql-15-cron libcmocka-dev
  libipc-run-perl zlib1g-dev libzstd-dev zstd clang libclang-rt-14-dev make gcc valgrind"
# the reference HTTP service (examples/http, test/t/090_http_example.pl)
PACKAGES="$PACKAGES python3-psycopg"

passed=0
failed=0
failures=()
log() { printf '==> %s\n' "$*"; }

# count <suite> <passed> <failed> <runner exit code> [<failure names>...]
# A non-zero exit with no failure reported counts as one failure.
count() {
	local suite=$1 p=$2 f=$3 rc=$4
	shift 4
	local name
	for name in "$@"; do failures+=("$suite: $name"); done
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
		failures+=("$suite: runner exited with status $rc and reported no failure")
	fi
	log "$suite: $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
}

# Runs a command as an unprivileged user in a copy of the tree it owns.
as_pg_user() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- env PATH="$PG_BIN:$PATH" PG_CONFIG="$PG_CONFIG" \
			MALLOC_PERTURB_="$MALLOC_PERTURB_" \
			${PG_TEST_PORT_DIR:+PG_TEST_PORT_DIR="$PG_TEST_PORT_DIR"} \
			bash -c "cd '$WORK' && $*"
	else
		env PATH="$PG_BIN:$PATH" PG_CONFIG="$PG_CONFIG" bash -c "cd '$WORK' && $*"
	fi
}

# pg_regress's output on stdin: sets p, f and names (one per failed test).
parse_regress() {
	local out
	out=$(cat)
	p=$(grep -cE '\.\.\. ok( |$)' <<<"$out")
	f=$(grep -cE '\.\.\. (FAILED|failed)' <<<"$out")
	mapfile -t names < <(grep -E '\.\.\. (FAILED|failed)' <<<"$out" |
		sed -E 's/^(test )? *([^ ]+) +\.\.\. (FAILED|failed).*/pg_regress \2 failed/')
}

# prove's output on stdin: sets p, f and names from its summary
# ("Files=n, Tests=n" and the "Test Summary Report" lines of the files that
# failed; a file that died or missed its plan counts at least once).
parse_prove() {
	local out total line file nfail
	out=$(cat)
	total=$(sed -nE 's/^Files=[0-9]+, Tests=([0-9]+),.*/\1/p' <<<"$out" | tail -1)
	p=${total:-0}
	f=0
	names=()
	while IFS= read -r line; do
		file=$(sed -E 's/^(\S+) +\(Wstat.*/\1/' <<<"$line")
		nfail=$(sed -nE 's/.*Tests: [0-9]+ Failed: ([0-9]+)\).*/\1/p' <<<"$line")
		p=$((p - ${nfail:-0}))
		[ "${nfail:-0}" -gt 0 ] || nfail=1
		f=$((f + nfail))
		names+=("$file: $(sed -E 's/^\S+ +//' <<<"$line")")
	done < <(grep -E '^\S+ +\(Wstat: ' <<<"$out")
}

if [ "$SKIP_INSTALL" != 1 ]; then
	# shellcheck disable=SC2086
	cluster_packages $PACKAGES || exit 1
fi
PG_BIN=$("$PG_CONFIG" --bindir) || { echo "no pg_config at $PG_CONFIG" >&2; exit 1; }

log "building the extension"
built=1
# -Werror here, not in the Makefile: users' builds do not fail on a new
# compiler's warnings (the unit and fuzz builds have their own -Werror)
make -s PG_CONFIG="$PG_CONFIG" COPT=-Werror >/dev/null || built=0
if [ "$built" = 1 ] && [ "$SKIP_INSTALL" != 1 ]; then
	log "installing it for $PG_CONFIG"
	if [ "$(id -u)" = 0 ]; then
		make -s PG_CONFIG="$PG_CONFIG" install >/dev/null || built=0
	else
		make -s PG_CONFIG="$PG_CONFIG" install >/dev/null 2>&1 ||
			sudo make -s PG_CONFIG="$PG_CONFIG" install >/dev/null || built=0
	fi
fi
[ "$built" = 1 ] || count build 0 1 1 "the extension did not build or install"

WORK=$(mktemp -d /tmp/dataexport-test.XXXXXX)
chmod 755 "$WORK"
# the tree without build leftovers that may be changing (fuzzer corpora)
tar -C "$ROOT" --exclude=./fuzz/build --exclude=./tmp_check --exclude=./results \
	--exclude=./test/unit/build --exclude=./test/parquet/node_modules -cf - . |
	tar -C "$WORK" -xf -
# The tap suite reads Parquet exports back with DuckDB and hyparquet (npm
# packages pinned by test/parquet/package-lock.json); installed in the copy,
# which the postgres user then owns.
case " $SUITES " in *" tap "*)
	if ! command -v node >/dev/null 2>&1 && [ "$SKIP_INSTALL" != 1 ]; then
		cluster_packages nodejs npm
	fi
	if command -v npm >/dev/null 2>&1; then
		log "installing the Parquet readers (npm ci in test/parquet)"
		(cd "$WORK/test/parquet" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
			log "npm ci failed: test/t/100_parquet.pl will fail"
	else
		log "no node/npm: test/t/100_parquet.pl will fail"
	fi
esac
[ "$(id -u)" = 0 ] && chown -R postgres: "$WORK"
trap 'rm -rf "$WORK"' EXIT

for suite in $SUITES; do
	case $suite in regress | tap | valgrind)
		if [ "$built" != 1 ]; then
			count "$suite" 0 1 0 "not run: the extension did not build or install"
			continue
		fi
	esac
	case $suite in
	unit)
		log "unit tests (cmocka)"
		tests=$(as_pg_user "make -s print-unit-tests")
		# -k: one test that does not compile does not stop the others
		build=$(as_pg_user "make -s -k $tests 2>&1")
		up=0 uf=0 names=()
		for t in $tests; do
			name=${t##*/}
			if [ ! -x "$WORK/$t" ]; then
				uf=$((uf + 1))
				names+=("$name did not build")
				continue
			fi
			out=$(as_pg_user "CMOCKA_MESSAGE_OUTPUT=TAP ./$t 2>&1")
			rc=$?
			p=$(grep -c '^ok ' <<<"$out")
			f=$(grep -c '^not ok ' <<<"$out")
			grep -E '^not ok|^# [^o]' <<<"$out" | head -30 | sed "s|^|$name: |"
			mapfile -t -O "${#names[@]}" names < <(grep '^not ok' <<<"$out" | sed "s|^|$name: |")
			if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
				f=1
				names+=("$name exited with status $rc and reported no failure")
				tail -5 <<<"$out"
			fi
			up=$((up + p))
			uf=$((uf + f))
		done
		[ -z "$tests" ] && { uf=1; names+=("no unit tests found"); }
		[ "${#names[@]}" -gt 0 ] && grep -E 'error|Error' <<<"$build" | head -40
		count unit "$up" "$uf" 0 "${names[@]}"
		;;
	regress)
		log "pg_regress suite (temporary instance, preloaded, MALLOC_PERTURB_=$MALLOC_PERTURB_)"
		# TAP_TESTS= : the tap suite below runs prove on its own
		out=$(as_pg_user "make -s installcheck TAP_TESTS= PG_CONFIG='$PG_CONFIG' 2>&1")
		rc=$?
		grep -E '^(test |     |ok |not ok|#)' <<<"$out" | grep -vE '\.\.\. ok( |$)' || true
		parse_regress <<<"$out"
		[ "$rc" != 0 ] && [ "$f" = 0 ] && tail -20 <<<"$out"
		count regress "$p" "$f" "$rc" "${names[@]}"
		[ -f "$WORK/regression.diffs" ] && head -200 "$WORK/regression.diffs"
		;;
	tap)
		log "TAP tests (PostgreSQL::Test::Cluster, MALLOC_PERTURB_=$MALLOC_PERTURB_)"
		out=$(as_pg_user "make -s prove_installcheck PROVE_FLAGS=-v PG_CONFIG='$PG_CONFIG' 2>&1")
		rc=$?
		grep -E '^(not ok|t/|test/t/|#   Failed|Files=|Result:)' <<<"$out" || true
		sed -n '/^Test Summary Report/,$p' <<<"$out"
		parse_prove <<<"$out"
		count tap "$p" "$f" "$rc" "${names[@]}"
		;;
	fuzz)
		log "fuzzers, $FUZZ_SECONDS s each"
		out=$(as_pg_user "make -s -C fuzz run SECONDS=$FUZZ_SECONDS 2>&1")
		rc=$?
		tail -20 <<<"$out"
		mapfile -t names < <(grep -E '^fuzz_[a-z]+ +exit [^0]' <<<"$out")
		count fuzz "$(grep -cE '^fuzz_[a-z]+ +exit 0,' <<<"$out")" "${#names[@]}" "$rc" "${names[@]}"
		;;
	valgrind)
		log "valgrind suite (pg_regress and an end-to-end export on a server under memcheck)"
		start=$(date +%s)
		out=$(as_pg_user "VG_OUT='$WORK/valgrind' bash test/valgrind/run.sh 2>&1")
		rc=$?
		grep -E '^(valgrind:|test [a-z]|     [a-z_0-9]+ +\.\.\.|not ok|#   Failed|Files=|Result:)' <<<"$out" |
			grep -vE '\.\.\. ok( |$)' || true
		sed -n '/^Test Summary Report/,/^Result/p' <<<"$out"
		# every failing report's headline, then the first reports in full
		grep '^VALGRIND-FAIL:' <<<"$out"
		awk '/^VALGRIND-FAIL:/ { on = 1 } /^(other unsuppressed|valgrind-scan:)/ { on = 0 } on' \
			<<<"$out" | head -150
		sed -n '/^other unsuppressed reports/,/^valgrind-scan:/p' <<<"$out" | head -40
		[ -f "$WORK/regression.diffs" ] && head -200 "$WORK/regression.diffs"
		parse_prove <<<"$out"
		vp=$p vf=$f vnames=("${names[@]}")
		parse_regress <<<"$out"
		vp=$((vp + p)) vf=$((vf + f)) vnames+=("${names[@]}")
		mapfile -t names < <(grep '^VALGRIND-FAIL:' <<<"$out")
		if grep -q '^valgrind-scan:' <<<"$out"; then
			[ "${#names[@]}" = 0 ] && vp=$((vp + 1))
		else
			names+=("the valgrind logs were not scanned")
		fi
		vf=$((vf + ${#names[@]})) vnames+=("${names[@]}")
		grep '^valgrind-scan:' <<<"$out"
		log "valgrind: $(($(date +%s) - start)) s"
		count valgrind "$vp" "$vf" "$rc" "${vnames[@]}"
		;;
	*)
		count "$suite" 0 1 0 "unknown suite"
		;;
	esac
done

if [ "${#failures[@]}" -gt 0 ]; then
	echo "failures:"
	printf '  %s\n' "${failures[@]:0:40}"
	[ "${#failures[@]}" -gt 40 ] && echo "  ... and $((${#failures[@]} - 40)) more"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
