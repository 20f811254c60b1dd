# CONNECT revoked while queued (issue 6, section 4): the scanner checks the
# requester's CONNECT privilege on the database before claiming, and fails
# the export at once with a clear errorDetail and a NOTIFY, instead of a
# worker dying with FATAL four times.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $node = start_node('connect_revoked', <<'EOC', demo => 'postgres');
dataexport.max_workers = 1
dataexport.naptime = 60
dataexport.retry_delay = 200
EOC
$node->safe_psql('postgres',
	'GRANT EXECUTE ON FUNCTION dataexport_create(jsonb) TO alice');

my $listener = listen_exports($node);
my @notes;

# The only worker slot is held by a blocked export.
my $lock = $node->background_psql('postgres');
$lock->query_safe('SELECT pg_advisory_lock(7014)');
my $blocker = create_export($node,
	sql_payload('SELECT pg_advisory_xact_lock_shared(7014)::text AS l'))->{id};
ok( wait_state($node, $blocker, 'running'),
	'the blocker holds the only worker slot');

my $id = create_export($node, discover_payload(), user => 'alice')->{id};
is( state_of($node, $id),
	'queued', 'alice\'s export waits in the queue');

$node->safe_psql('postgres', 'REVOKE CONNECT ON DATABASE postgres FROM PUBLIC');
$lock->query_safe('SELECT pg_advisory_unlock(7014)');
$lock->quit;

ok(wait_notification($listener, \@notes, $id, 'failed'),
	'NOTIFY failed for alice\'s export');
my $rec = details_of($node, $id);
is($rec->{state}, 'failed', 'the export failed');
is( $rec->{errorDetail},
	'the requesting role may no longer connect to database postgres',
	'errorDetail says why');
is($rec->{attempts}, 0, 'no worker was started for it');
is($rec->{fileOid}, undef, 'no file');
unlike(
	slurp_file($node->logfile),
	qr/FATAL:  permission denied for database/,
	'no worker died with FATAL');

$listener->quit;
$node->stop;
done_testing();
