# A deep queue with stale statistics (issue 8, queued -> running):
#  - after a burst of creates, the planner's statistics of dataexport.export
#    can still say that no export is queued; the scanner's checks must not
#    then turn quadratic in the queue's length (each scan ran the
#    unrunnable-role check once per queued export: 11 s for 2600 exports);
#  - with 3000 exports queued behind such statistics, an export still starts
#    within seconds of a worker slot freeing, and the unrunnable check still
#    fails the export of a dropped role, and only that one.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $node = start_node('deep_queue', <<'EOC', demo => 'postgres');
dataexport.max_workers = 1
dataexport.naptime = 3600
dataexport.retry_delay = 200
autovacuum = off
EOC

# Statistics that say nothing is queued: 2000 finished exports, analyzed;
# then 3000 queued ones that the statistics do not know of.
$node->safe_psql(
	'postgres', q{
	CREATE ROLE gone LOGIN;
	-- role settings, as most installations have some (pg_roles reads them)
	ALTER ROLE alice SET work_mem = '8MB';
	ALTER ROLE bob SET work_mem = '8MB';
	INSERT INTO dataexport.export (owner, owner_name, query_type, query_info, dedupe_key,
	                               state, date_finished)
	SELECT 'alice'::regrole, 'alice', 'SQL', '{"sql": "SELECT 1"}', 'done' || g,
	       'failed', now()
	FROM generate_series(1, 2000) g;
	ANALYZE dataexport.export;
});

# The only worker slot is held by a superuser export that waits on an
# advisory lock held here.
my ($lock, $blocker) = hold_worker_slot($node, 7076);

$node->safe_psql(
	'postgres', q{
	INSERT INTO dataexport.export (owner, owner_name, query_type, query_info, dedupe_key)
	SELECT 'alice'::regrole, 'alice', 'Discover',
	       '{"field": ["id"], "query": "", "project": [1], "start": "2026-11-01T00:00:00",
	         "end": "2026-11-02T00:00:00"}', 'deep' || g
	FROM generate_series(1, 3000) g;
	INSERT INTO dataexport.export (owner, owner_name, query_type, query_info, dedupe_key)
	VALUES ('gone'::regrole, 'gone', 'SQL', '{"sql": "SELECT 1"}', 'gone');
	DROP ROLE gone;
});

is( $node->safe_psql(
		'postgres',
		"EXPLAIN SELECT 1 FROM dataexport.export WHERE state = 'queued'") =~ /rows=(\d+)/
	  ? ($1 < 100 ? 'stale' : "fresh ($1)")
	  : 'no estimate',
	'stale',
	'the planner believes that almost no export is queued');

# Free the slot: the scanner claims the next export (alice's first).
my $start = time;
$lock->query_safe('SELECT pg_advisory_unlock(7076)');
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) > 0 FROM dataexport.export WHERE dedupe_key LIKE 'deep%' "
		  . "AND state <> 'queued'",
		't'),
	'an export of the deep queue started');
my $elapsed = time - $start;
cmp_ok($elapsed, '<', 10,
	sprintf('it started %.1f s after the slot freed (under 10 s)', $elapsed));
is( $node->safe_psql(
		'postgres',
		"SELECT state || ': ' || error_detail FROM dataexport.export WHERE dedupe_key = 'gone'"),
	'failed: the requesting role no longer exists',
	'the export of the dropped role failed at once');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM dataexport.export WHERE dedupe_key LIKE 'deep%' AND state = 'failed'"),
	'0',
	'no export of the deep queue was failed by the check');

$lock->quit;
$node->stop('immediate');
done_testing();
