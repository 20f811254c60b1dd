# Attack (a waiting session versus the DBA): dataexport_wait read the
# bookkeeping table in its own transaction and kept that AccessShareLock
# while it slept for the export.  ALTER EXTENSION dataexport UPDATE (ALTER
# TABLE on dataexport.export; DROP EXTENSION and VACUUM FULL likewise) then
# waited for the waiter, every session and worker touching the table queued
# behind the ALTER, and the export the waiter waited for could not record
# its end: a deadlock no detector sees (the waiter sleeps on a condition
# variable), until the wait's timeout (never, past 100 years).  The worker
# meanwhile hit its bookkeeping lock timeout and its finished file was
# thrown away and run again.
#
# Here: an export runs in a 0.1 database, a session waits for it, and the
# update must get its lock (lock_timeout 10 s); the waiter then sees the
# export succeed on its first attempt.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $node = start_node('attack_wait_ddl', <<'EOC');
dataexport.max_workers = 1
dataexport.naptime = 2
EOC
$node->safe_psql('postgres', "CREATE EXTENSION dataexport VERSION '0.1'");

my $id = create_export($node,
	sql_payload('SELECT g, pg_sleep(0.002) AS nap FROM generate_series(1, 3000) AS g'))
  ->{id};
ok( $node->poll_query_until(
		'postgres', "SELECT count(*) FROM dataexport_progress() WHERE id = $id AND rows > 0",
		'1'),
	'the export runs');

my $waiter = $node->background_psql('postgres');
$waiter->query_until(qr/waiting/, <<"SQL");
\\echo waiting
SELECT dataexport_wait($id, '120 s') ->> 'state' AS waited;
SQL
ok( $node->poll_query_until(
		'postgres', "SELECT count(*) FROM pg_stat_activity
		 WHERE query LIKE 'SELECT dataexport_wait%' AND wait_event = 'Extension'", '1'),
	'a session waits for the export');

my ($ret, $out, $err) = $node->psql('postgres', <<'SQL');
SET lock_timeout = '10s';
ALTER EXTENSION dataexport UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'dataexport';
SQL
is($ret, 0, 'the update is not blocked by the waiting session') or diag($err);
is($out, '0.2', 'updated to 0.2');

my $waited = $waiter->query('');
$waiter->quit;
like($waited, qr/succeeded/, 'the waiter sees the export succeed');
is( $node->safe_psql('postgres', "SELECT state, attempts FROM dataexport.export WHERE id = $id"),
	'succeeded|1', 'on its first attempt: the finished file was kept');

$node->stop;
done_testing();
