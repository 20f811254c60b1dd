# The README's alert recipe through a real pg_cron (issue 10, point 4):
#  - demo/stats_alert.sql as shipped, scheduled with cron.schedule by a
#    monitoring role that is a member of the extension owner (not a
#    superuser), so the job counts every export of the database: alice's
#    and bob's failed exports, 2 > threshold 1;
#  - the job inserts one alert row and NOTIFYs dataexport_alert, and
#    cron.job_run_details records the run as succeeded, as the monitor.
# pg_cron schedules have minute granularity, so this test takes ~1 min.
use strict;
use warnings FATAL => 'all';

use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $json = JSON::PP->new->canonical;
my $root = "$FindBin::RealBin/../..";

my $node = start_node('stats_cron', <<'EOC', pg_cron => 1, demo => 'postgres');
dataexport.retry_delay = 200
dataexport.naptime = 2
EOC
$node->safe_psql('postgres', 'CREATE EXTENSION pg_cron');
$node->safe_psql('postgres', slurp_file("$root/demo/stats_alert.sql"));
my $owner = $node->safe_psql('postgres',
	"SELECT extowner::regrole FROM pg_extension WHERE extname = 'dataexport'");
$node->safe_psql('postgres', qq{
	CREATE ROLE exporters;
	GRANT exporters TO alice, bob;
	CREATE ROLE monitor LOGIN;
	GRANT "$owner" TO monitor;});
ok(alter_system($node, 'dataexport.sql_role', 'exporters'), 'sql_role set');
is($node->safe_psql('postgres', "SELECT rolsuper FROM pg_roles WHERE rolname = 'monitor'"),
	'f', 'the monitor is not a superuser');

# one failed export each for alice and bob
for my $user (qw(alice bob))
{
	my $e = create_export($node,
		sql_payload("SELECT 1 / (random() * 0)::int AS boom_$user"), user => $user);
	is( $json->decode(psql_as($node, $user, "SELECT dataexport_wait($e->{id}, '60 s')"))
		  ->{state},
		'failed',
		"$user\'s export failed");
}

my $listener = $node->background_psql('postgres', extra_params => [ '-U', 'monitor' ]);
$listener->query_safe('LISTEN dataexport_alert');

my $job = psql_as($node, 'monitor',
	"SELECT cron.schedule('dataexport-failed-alert', '* * * * *', "
	  . "'SELECT dataexport_alert_failed(1)')");
like($job, qr/^\d+$/, 'the monitor scheduled the alert job');

ok( $node->poll_query_until('postgres', 'SELECT count(*) FROM dataexport_alerts', '1'),
	'the job raised an alert');
is( $node->safe_psql('postgres',
		'SELECT database, failed, threshold, period FROM dataexport_alerts'),
	'postgres|2|1|01:00:00',
	"it counted alice's and bob's failures, over the threshold of 1, in the last hour");

my $seen = '';
my $deadline = time + 30;
while (time < $deadline)
{
	$seen .= $listener->query_safe('SELECT 1');
	last if $seen =~ /Asynchronous notification "dataexport_alert"/;
	usleep(100_000);
}
like($seen,
	qr/Asynchronous notification "dataexport_alert" with payload "postgres: 2 exports failed in the last 01:00:00 \(threshold 1\)"/,
	'and sent the notification');
$listener->quit;

ok( $node->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM cron.job_run_details WHERE jobid = $job AND status = 'succeeded'"),
	'cron.job_run_details: the run succeeded');
is( $node->safe_psql('postgres',
		"SELECT username FROM cron.job_run_details WHERE jobid = $job LIMIT 1"),
	'monitor', 'as the monitor');
psql_as($node, 'monitor', "SELECT cron.unschedule($job)");

$node->stop;
done_testing();
