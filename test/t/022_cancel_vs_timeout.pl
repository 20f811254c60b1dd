# A DBA's pg_cancel_backend on an export worker is not a statement timeout
# (issue 6, "Faults"):
#  - pg_cancel_backend(worker pid) fails the export at once (not retried),
#    with "Internal error. Your query failed to run." and a detail that names
#    the cancel; no file is left;
#  - (while it runs, the worker's job is in its named memory context);
#  - a statement timeout gets Sentry's exact timeout message, is retried,
#    and keeps PostgreSQL's "due to statement timeout" in the detail.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;
use Time::HiRes qw(usleep);

my $node = start_node('cancel_vs_timeout', <<'EOC');
dataexport.max_workers = 1
dataexport.naptime = 2
dataexport.retry_delay = 200
EOC
$node->safe_psql('postgres', 'CREATE EXTENSION dataexport');

# ---- a DBA cancels the worker's query ----
my $slow = create_export($node,
	sql_payload('SELECT g, pg_sleep(0.05) FROM generate_series(1, 200) g'));
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) FROM dataexport_progress() WHERE id = $slow->{id} "
		  . 'AND pid IS NOT NULL AND rows >= 5',
		'1'),
	'the slow export is running and streaming');
my $pid = $node->safe_psql('postgres',
	"SELECT pid FROM dataexport_progress() WHERE id = $slow->{id}");
# The job the worker loaded lives in its own named memory context.
my $log_offset = -s $node->logfile;
$node->safe_psql('postgres', "SELECT pg_log_backend_memory_contexts($pid)");
my $contexts = '';
for (my $i = 0; $i < 100 && $contexts !~ /Grand total:/; $i++)
{
	usleep(50_000);
	$contexts = substr(slurp_file($node->logfile), $log_offset);
}
like($contexts, qr/level: 1; dataexport export job: \d+ total in/,
	'the worker keeps its job in the "dataexport export job" context under TopMemoryContext');

is($node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)"),
	't', 'pg_cancel_backend on the worker');

my $rec = wait_export($node, $slow->{id});
is($rec->{state}, 'failed', 'the cancelled export fails');
is($rec->{attempts}, 1, 'it is not retried');
is($rec->{error}, 'Internal error. Your query failed to run.',
	'error: not the timeout message');
is( $rec->{errorDetail},
	'57014: canceling statement due to user request '
	  . '(the export worker was cancelled by pg_cancel_backend)',
	'detail: names the cancel');
is($rec->{fileOid}, undef, 'no file');
is( $node->safe_psql('postgres',
		"SELECT not_before IS NULL FROM dataexport.export WHERE id = $slow->{id}"),
	't', 'no retry is scheduled');

# ---- a statement timeout ----
ok(alter_system($node, 'dataexport.statement_timeout', '300ms'),
	'statement timeout lowered to 300ms');
my $timeout = create_export($node, sql_payload('SELECT pg_sleep(2) AS s'));
$rec = wait_export($node, $timeout->{id});
is($rec->{state}, 'failed', 'the timing-out export fails');
is($rec->{attempts}, 2, 'after being retried once (2 attempts)');
is( $rec->{error},
	'Query timeout. Please try again. If the problem persists try a smaller date range or fewer projects.',
	'error: Sentry\'s exact timeout message');
is($rec->{errorDetail}, '57014: canceling statement due to statement timeout',
	'detail: PostgreSQL\'s timeout error');

is(lo_count($node),
	'0', 'no large object left behind');
is( unfinished_count($node),
	'0',
	'nothing left queued or running');

$node->stop;
done_testing();
