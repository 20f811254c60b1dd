# dataexport — PGXS build, pg_regress suite and the server-independent unit tests.

EXTENSION = dataexport
MODULE_big = dataexport
EXTVERSION = 0.2

# Server-independent modules: also linked into test/unit and the fuzzers.
PURE_SRCS = src/common/pure.c src/common/dom.c src/common/dates.c src/common/encode.c src/common/fields.c \
	src/common/search.c src/common/payload.c src/common/discover_sql.c src/common/issues_sql.c
PURE_SRCS += src/common/pyfloat.c
PURE_SRCS += src/common/parquet.c

# Modules that live in the server.
SERVER_SRCS = src/backend/pure_mem_pg.c src/backend/dataexport.c src/backend/settings.c src/backend/spi_owner.c src/backend/pending.c \
	src/backend/api.c src/backend/de_shmem.c src/backend/launcher.c src/backend/worker.c \
	src/backend/sink.c src/backend/registry.c src/backend/runquery.c
SERVER_SRCS += src/backend/drop_hook.c src/backend/restore.c
SERVER_SRCS += src/backend/sqlcheck.c src/backend/lo_guard.c
SERVER_SRCS += src/backend/queue.c
SERVER_SRCS += src/backend/jsonb_dom.c
SERVER_SRCS += src/backend/exports.c
SERVER_SRCS += src/backend/scanner.c
SERVER_SRCS += src/backend/validate.c
SERVER_SRCS += src/backend/dedupe.c
SERVER_SRCS += src/backend/extversion.c
SERVER_SRCS += src/backend/explain.c src/backend/progress.c
SERVER_SRCS += src/backend/parquet_sink.c
SERVER_SRCS += src/backend/stats.c
SERVER_SRCS += src/backend/record.c

OBJS = $(PURE_SRCS:.c=.o) $(SERVER_SRCS:.c=.o)

# dataexport--0.1.sql is frozen; each later version is an upgrade script.
DATA = src/dataexport--0.1.sql src/dataexport--0.1--0.2.sql
PGFILEDESC = "dataexport - asynchronous data exports into large objects"

REGRESS = setup interface validation dedupe exports discover security cleanup
REGRESS_OPTS = --temp-config=$(srcdir)/test/regress.conf --temp-instance=tmp_check \
	--load-extension=dataexport
REGRESS += doors_access doors_orphans
REGRESS += security_lo
REGRESS += security_search_path
REGRESS += security_sql_parse
REGRESS += security_sql_role
REGRESS += security_dos
REGRESS += exports_list
REGRESS += launcher_signals
REGRESS += dedupe_sha256
REGRESS += wait_interval
REGRESS += fidcheck
REGRESS += explain
REGRESS += exports_zstd
REGRESS += exports_parallel
REGRESS += fidbuild_sentry
REGRESS += stats
REGRESS += comments
REGRESS += perf_record
REGRESS += attack_parquet_numeric

# TAP suite (test/t/*.pl, PostgreSQL::Test::Cluster): "make prove_installcheck"
# runs it alone; with TAP_TESTS set, "make installcheck" runs it after
# pg_regress ("make installcheck TAP_TESTS=" runs pg_regress only).
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

SHLIB_LINK = -lz -lzstd
PG_CPPFLAGS = -I$(srcdir)/src/common -I$(srcdir)/src/backend
# -Werror is not forced on users' builds: CI and test/run_all.sh add it
# through PGXS's COPT hook ("make COPT=-Werror").
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers

# "make clean" also removes the unit-test and fuzzer builds (pg_regress's and
# prove's leftovers are PGXS's own).
EXTRA_CLEAN = test/unit/build fuzz/build

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS defines prove_installcheck (used by installcheck when TAP_TESTS is set)
# but no target of that name.
.PHONY: prove_installcheck
prove_installcheck:
	$(prove_installcheck)

# test/run_all.sh: the valgrind suite runs the same REGRESS list against its
# own server; the unit suite builds and runs each test binary on its own.
.PHONY: print-regress print-unit-tests
print-regress:
	@echo $(REGRESS)
print-unit-tests:
	@echo $(UNIT_TESTS)

# ---- unit tests (cmocka), no server needed ----
UNIT_CC ?= cc
UNIT_CFLAGS ?= -O1 -g -Wall -Wextra -Werror -std=gnu11 -Isrc/common
UNIT_BUILD = test/unit/build
UNIT_TESTS = $(patsubst test/unit/%.c,$(UNIT_BUILD)/%,$(wildcard test/unit/test_*.c))
UNIT_PURE_OBJS = $(patsubst src/common/%.c,$(UNIT_BUILD)/%.o,$(PURE_SRCS)) $(UNIT_BUILD)/pure_mem_libc.o
# The tests build the DOM with PostgreSQL's own JSON parser (libpgcommon, a
# frontend build); only that file sees the server include directory.
UNIT_PURE_OBJS += $(UNIT_BUILD)/dom_from_jsonapi.o
UNIT_PG_CPPFLAGS = -I$(shell $(PG_CONFIG) --includedir-server)
UNIT_PG_LIBS = -L$(shell $(PG_CONFIG) --pkglibdir) -L$(shell $(PG_CONFIG) --libdir) \
	-lpgcommon -lpgport -lm
# parquet.c compresses its pages
UNIT_PG_LIBS += -lzstd -lz
UNIT_LIB = $(UNIT_BUILD)/libpure.a

$(UNIT_LIB): $(UNIT_PURE_OBJS)
	rm -f $@
	ar rcs $@ $^

$(UNIT_BUILD)/%.o: src/common/%.c src/common/*.h
	@mkdir -p $(UNIT_BUILD)
	$(UNIT_CC) $(UNIT_CFLAGS) -c -o $@ $<

$(UNIT_BUILD)/pure_mem_libc.o: test/unit/pure_mem_libc.c src/common/pure.h
	@mkdir -p $(UNIT_BUILD)
	$(UNIT_CC) $(UNIT_CFLAGS) -c -o $@ $<

$(UNIT_BUILD)/dom_from_jsonapi.o: test/unit/dom_from_jsonapi.c test/unit/dom_from_jsonapi.h src/common/dom.h src/common/pure.h
	@mkdir -p $(UNIT_BUILD)
	$(UNIT_CC) $(UNIT_CFLAGS) $(UNIT_PG_CPPFLAGS) -c -o $@ $<

$(UNIT_BUILD)/test_%: test/unit/test_%.c test/unit/*.h $(UNIT_LIB)
	$(UNIT_CC) $(UNIT_CFLAGS) -Itest/unit -o $@ $< $(UNIT_LIB) $(UNIT_PG_LIBS) -lcmocka

.PHONY: unittest
unittest: $(UNIT_TESTS)
	@status=0; for t in $(UNIT_TESTS); do \
		CMOCKA_MESSAGE_OUTPUT=TAP ./$$t || status=1; \
	done; exit $$status

# ---- fuzzing (clang 14 + libFuzzer), see fuzz/Makefile ----
.PHONY: fuzz fuzz-run fuzz-check clean-fuzz
fuzz:
	$(MAKE) -C fuzz
fuzz-run:
	$(MAKE) -C fuzz run SECONDS=$(or $(FUZZ_SECONDS),60)
fuzz-check:
	$(MAKE) -C fuzz check
clean-fuzz:
	$(MAKE) -C fuzz clean
