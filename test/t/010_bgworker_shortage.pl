# Short of background-worker slots (issue 6, section 4):
#  - with max_worker_processes = 4 and pg_cron preloaded, one slot is left
#    for dataexport's scanner and workers; with max_workers = 2 the launcher
#    regularly fails to start a claimed export's worker.  Such an export goes
#    back to the queue without spending an attempt: 8 of 8 exports succeed,
#    each with attempts = 1, and none is left running;
#  - while a parallel worker holds the last slot, the scanner cannot start:
#    the launcher retries after a back-off instead of spinning (its CPU time
#    over 3 s stays small), and the export runs once the slot is free.
#  - at startup, dataexport warns when max_worker_processes cannot hold
#    dataexport.max_workers plus the launcher and the scanner.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $node = start_node(
	'bgworker_shortage', <<'EOC', pg_cron => 1, demo => 'postgres');
max_worker_processes = 4
dataexport.max_workers = 2
dataexport.naptime = 60
dataexport.retry_delay = 200
EOC

# The logical replication launcher, pg_cron's launcher and ours hold three
# of the four background-worker slots.
ok( $node->poll_query_until(
		'postgres', q{
		SELECT count(*) FROM pg_stat_activity
		WHERE backend_type IN ('logical replication launcher', 'pg_cron launcher',
							   'dataexport launcher')},
		'3'),
	'three of the four background-worker slots are taken');

# ---- 8 exports through one free background-worker slot ----
my @ids = map {
	create_export($node, sql_payload("SELECT $_ AS n, pg_sleep(0.2) AS z"))->{id}
} 1 .. 8;
for my $id (@ids)
{
	is( $node->safe_psql('postgres',
			"SELECT dataexport_wait($id, '90 s')->>'state'"),
		'succeeded',
		"export $id succeeds");
}
is( $node->safe_psql(
		'postgres',
		'SELECT string_agg(attempts::text, \',\' ORDER BY id) FROM dataexport.export '
		  . "WHERE id IN (" . join(',', @ids) . ")"),
	join(',', (1) x 8),
	'each of the 8 exports spent exactly one attempt');
is( unfinished_count($node),
	'0',
	'nothing left queued or running');
like(
	slurp_file($node->logfile),
	qr/dataexport could not start a worker for export \d+/,
	'a worker start did fail for lack of slots (the path was exercised)');

# ---- the scanner itself cannot start: no spinning ----
my $launcher_pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'dataexport launcher'");
like($launcher_pid, qr/^\d+$/, 'launcher pid');

sub cpu_ticks
{
	my @f = split / /, (split /\) /, slurp_file("/proc/$launcher_pid/stat"))[1];
	return $f[11] + $f[12];    # utime + stime (fields 14 and 15)
}

# A parallel worker holds the last slot for 6 s.
my $holder = $node->background_psql('postgres');
$holder->query_safe(
	'SET force_parallel_mode = on; SET max_parallel_workers_per_gather = 1; '
	  . 'SET parallel_leader_participation = off');
$holder->query_until(qr/holding/, "\\echo holding\nSELECT pg_sleep(6);\n");
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'parallel worker'",
		'1'),
	'a parallel worker holds the last background-worker slot');

my $t0 = time;
my $blocked = create_export($node, sql_payload('SELECT 42 AS answer'))->{id};
usleep(500_000);
my $before = cpu_ticks();
sleep 3;
my $used = cpu_ticks() - $before;
cmp_ok($used, '<', 30,
	"launcher used $used ticks of CPU in 3 s while it could not start a scanner (no spin)");
is( state_of($node, $blocked),
	'queued',
	'the export waits in the queue meanwhile');

$holder->quit;
my $rec = wait_export($node, $blocked);
is($rec->{state}, 'succeeded', 'once the slot is free the export succeeds');
is($rec->{attempts}, 1, 'with one attempt');

# ---- the startup check of background-worker slots ----
my $slots_warning =
  qr/WARNING:  dataexport\.max_workers \(2\) needs more background worker slots than max_worker_processes \((\d+)\) provides/;
ok(!$node->log_contains($slots_warning),
	'no warning at startup when max_worker_processes holds max_workers + 2');
my $offset = -s $node->logfile;
$node->append_conf('postgresql.conf', "max_worker_processes = 3\n");
$node->restart;
ok($node->log_contains(qr/${slots_warning}.*\n.*DETAIL:  The launcher and the scanner take one slot each.*\n.*HINT:  Set max_worker_processes to at least 4, or lower dataexport\.max_workers\./,
		$offset),
	'with max_worker_processes = 3 the server warns at startup, and says how many slots to set');

$node->stop;
done_testing();
