# A session that holds an export's row lock (a cancel in a transaction left
# open) must not stall anyone else's exports:
#  - the export's worker gives up waiting for the lock (bookkeeping lock
#    timeout) and frees its slot, so another role's export runs meanwhile;
#  - the scanner skips the locked row instead of waiting for it, also when
#    the locked export's worker is gone;
#  - once the session commits, the export ends cancelled; nothing is left
#    running and no large object is orphaned.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;
use Time::HiRes qw(time usleep);

my $node = start_node('row_lock', <<'EOC', demo => 'postgres');
dataexport.max_workers = 1
dataexport.naptime = 2
dataexport.retry_delay = 200
EOC

my $bob_payload = discover_payload();

my $lo_before = lo_count($node);

# ---- the worker of a row-locked export gives its slot up ----
my $lock = $node->background_psql('postgres');
$lock->query_safe('SELECT pg_advisory_lock(7051)');
my $a = create_export($node,
	sql_payload('SELECT 1 AS n, pg_advisory_xact_lock_shared(7051)::text AS locked'));
ok( wait_worker($node, $a->{id}),
	'export A is running in the only slot');

# the canceller leaves its transaction open
my $canceller = $node->background_psql('postgres');
$canceller->query_safe('BEGIN');
$canceller->query_safe("SELECT dataexport_cancel($a->{id})");

# A's query finishes; its worker now needs A's row
$lock->query_safe('SELECT pg_advisory_unlock(7051)');
my $b = create_export($node, $bob_payload, user => 'bob');
my $t0 = time;
ok( wait_state($node, $b->{id}, 'succeeded'),
	'bob\'s export runs while A\'s row stays locked');
my $waited = time - $t0;
ok($waited < 60, sprintf('within a bounded time (%.1f s)', $waited));
is($canceller->query_safe('SELECT 1'), '1',
	'the canceller\'s transaction is still open meanwhile');

$canceller->query_safe('COMMIT');
ok(wait_state($node, $a->{id}, 'cancelled'),
	'A ends cancelled once the canceller commits');

# ---- the scanner skips a locked row whose worker is gone ----
$lock->query_safe('SELECT pg_advisory_lock(7051)');
my $c = create_export($node,
	sql_payload('SELECT 2 AS n, pg_advisory_xact_lock_shared(7051)::text AS locked'));
ok( wait_worker($node, $c->{id}),
	'export C is running');
my $cpid = $node->safe_psql('postgres',
	"SELECT pid FROM dataexport_progress() WHERE id = $c->{id}");
$canceller->query_safe('BEGIN');
$canceller->query_safe("SELECT dataexport_cancel($c->{id})");
$node->safe_psql('postgres', "SELECT pg_terminate_backend($cpid)");
$lock->query_safe('SELECT pg_advisory_unlock(7051)');

my $d = create_export($node, discover_payload(query_info => { field => ['id'] }),
	user => 'bob');
ok( wait_state($node, $d->{id}, 'succeeded'),
	'bob\'s next export runs: the scanner did not wait for C\'s row');
is(state_of($node, $c->{id}), 'running',
	'C is still locked and running meanwhile');
$canceller->query_safe('COMMIT');
is(state_of($node, $c->{id}), 'cancelled', 'C ends cancelled');

ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) FROM dataexport.export WHERE state IN ('queued', 'running')",
		'0'),
	'nothing is left queued or running');
is( $node->safe_psql(
		'postgres',
		'SELECT count(*) FROM pg_largeobject_metadata m WHERE NOT EXISTS '
		  . '(SELECT 1 FROM dataexport.export e WHERE e.file_oid = m.oid)'),
	'0',
	'no orphan large object');
is( lo_count($node),
	$lo_before + 2, 'exactly the two files of bob\'s exports');

$lock->quit;
$canceller->quit;
$node->stop;
done_testing();
