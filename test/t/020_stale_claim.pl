# A stale worker never finishes someone else's export (issue 6, "Faults"):
# export 1 is running; DROP EXTENSION dataexport; CREATE EXTENSION
# dataexport; a new export gets id 1 again.  The old worker's bookkeeping
# matches its claim token, not just the id, so it cannot mark the new export
# succeeded with the old export's file: the new export runs itself and gets
# its own file, the old file is attached nowhere, and no large object (nor
# any page of one) is left orphaned.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;
use Time::HiRes qw(time usleep);

# Two slots: the new export must be running while the old worker finishes.
my $node = start_node('stale_claim', <<'EOC');
dataexport.max_workers = 2
dataexport.naptime = 2
dataexport.retry_delay = 200
EOC
$node->safe_psql('postgres', 'CREATE EXTENSION dataexport');

sub wait_until
{
	my ($what, $cond) = @_;
	my $deadline = time + 60;
	while (time < $deadline)
	{
		return 1 if $cond->();
		usleep(50_000);
	}
	diag("timed out waiting for $what");
	return 0;
}

# ---- the old export, running ----
my $old = create_export($node,
	sql_payload(q{SELECT pg_sleep(4) AS s, 'old file' AS which}));
ok( wait_worker($node, $old->{id}),
	'the old export is running in a worker');
my $old_pid = $node->safe_psql('postgres',
	"SELECT pid FROM dataexport_progress() WHERE id = $old->{id}");
my $old_claim = $node->safe_psql('postgres',
	"SELECT claim FROM dataexport.export WHERE id = $old->{id}");
like($old_claim, qr/^-?\d+$/, 'the claim sets a claim token');

# ---- reinstall; the new export gets the same id ----
$node->safe_psql('postgres',
	'DROP EXTENSION dataexport; CREATE EXTENSION dataexport');
my $new = create_export($node,
	sql_payload(q{SELECT pg_sleep(4) AS s, 'new file' AS which}));
is($new->{id}, $old->{id}, 'the new export reuses the id of the old one');

my $alive = sub {
	$node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE pid = $old_pid") eq '1';
};
ok( wait_until(
		'the new export to run',
		sub {
			state_of($node, $new->{id}) eq 'running';
		}),
	'the new export is running');
ok($alive->(), 'while the old worker is still running');
isnt(
	$node->safe_psql('postgres',
		"SELECT claim FROM dataexport.export WHERE id = $new->{id}"),
	$old_claim,
	'the new export has a claim token of its own');

# ---- the old worker ends: it must not touch the new export ----
ok(wait_until('the old worker to exit', sub { !$alive->() }),
	'the old worker exits');
is( $node->safe_psql('postgres',
		"SELECT state || ',' || (file_oid IS NULL) FROM dataexport.export WHERE id = $new->{id}"),
	'running,true',
	'the old worker did not finish the new export');

my $rec = wait_export($node, $new->{id});
is($rec->{state}, 'succeeded', 'the new export succeeds by itself');
is($rec->{attempts}, 1, 'in one attempt');
is($rec->{rows}, 1, 'with its own row count');
is( $node->safe_psql('postgres',
		"SELECT encode(lo_get($rec->{fileOid}), 'hex')"),
	unpack('H*', "s,which\r\n\"\",new file\r\n"),
	'the new export\'s file is its own, byte for byte');

# ---- nothing orphaned: the old file was rolled back ----
is(lo_count($node),
	'1', 'exactly one large object: the new export\'s file');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_largeobject_metadata WHERE oid = $rec->{fileOid}"),
	'1',
	'and it is the one the record points at');
is( $node->safe_psql('postgres',
		'SELECT count(*) FROM pg_largeobject l WHERE NOT EXISTS '
		  . '(SELECT 1 FROM pg_largeobject_metadata m WHERE m.oid = l.loid)'),
	'0',
	'no orphan large-object pages');
is( unfinished_count($node),
	'0',
	'nothing left queued or running');
like(
	slurp_file($node->logfile),
	qr/data export $old->{id} was cancelled.*\n.*DETAIL:  The export is no longer running under this worker's claim\./,
	'the old worker logs that the export is no longer its own');

$node->stop;
done_testing();
