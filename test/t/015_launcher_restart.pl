# After a launcher restart, queued exports do not wait a full naptime
# (issue 6, section 4): with naptime = 60 s, SIGTERM the launcher while a
# worker runs and another export is queued; the restarted launcher notices
# the old launcher's worker exit, and the queued export starts within a
# couple of seconds of the running one finishing.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $node = start_node('launcher_restart', <<'EOC');
dataexport.max_workers = 1
dataexport.naptime = 60
dataexport.retry_delay = 200
EOC

$node->safe_psql('postgres', 'CREATE EXTENSION dataexport');

# ~10 s, enough to outlive the launcher's 5 s restart delay.
my $running = create_export($node,
	sql_payload('SELECT g, pg_sleep(0.025) FROM generate_series(1, 400) g'))->{id};
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) FROM dataexport_progress() WHERE id = $running AND rows > 0",
		'1'),
	'the first export is streaming');
my $queued = create_export($node, sql_payload('SELECT 2 AS second'))->{id};

my $launcher = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'dataexport launcher'");
is(kill('TERM', $launcher), 1, 'SIGTERM sent to the launcher');
ok( $node->poll_query_until(
		'postgres', qq{
		SELECT count(*) FROM pg_stat_activity
		WHERE backend_type = 'dataexport launcher' AND pid <> $launcher},
		'1'),
	'a new launcher started');
is( state_of($node, $running),
	'running', 'the first export still runs under the new launcher');

is( $node->safe_psql('postgres',
		"SELECT dataexport_wait($running, '60 s')->>'state'"),
	'succeeded', 'the first export succeeds');
is( $node->safe_psql('postgres',
		"SELECT dataexport_wait($queued, '20 s')->>'state'"),
	'succeeded', 'the queued export succeeds well within naptime');
my $gap = $node->safe_psql(
	'postgres', qq{
	SELECT extract(epoch FROM q.date_started - r.date_finished)
	FROM dataexport.export q, dataexport.export r
	WHERE q.id = $queued AND r.id = $running});
cmp_ok($gap, '<', 3,
	"the queued export started ${gap}s after the first one finished");

$node->stop;
done_testing();
