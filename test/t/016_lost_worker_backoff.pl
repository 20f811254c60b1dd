# Exports whose worker dies (issue 6, section 4):
#  (a) every state change that ends an export notifies: an export whose
#      second worker is terminated (SIGTERM) fails with a NOTIFY;
#  (b) a worker killed with SIGKILL makes the postmaster crash-restart; the
#      export is re-queued only after a back-off (dataexport.retry_delay),
#      and when its second worker is killed too, it ends failed after two
#      attempts instead of crashing the server again and again.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $node = start_node('lost_worker', <<'EOC');
restart_after_crash = on
dataexport.max_workers = 1
dataexport.naptime = 60
dataexport.retry_delay = 3000
EOC

$node->safe_psql('postgres', 'CREATE EXTENSION dataexport');

my $slow = 'SELECT g, pg_sleep(0.02) FROM generate_series(1, 500) g';

# The pid of the export's worker, once it streams (attempt n).
sub worker_pid
{
	my ($id, $attempt) = @_;
	$node->poll_query_until(
		'postgres', qq{
		SELECT count(*) FROM dataexport_progress() p JOIN dataexport.export e USING (id)
		WHERE p.id = $id AND p.rows > 0 AND e.attempts = $attempt},
		'1')
	  or return undef;
	return $node->safe_psql('postgres',
		"SELECT pid FROM dataexport_progress() WHERE id = $id");
}

sub wait_ready
{
	my $deadline = time + 60;
	while (time < $deadline)
	{
		my ($ret) = $node->psql('postgres', 'SELECT 1');
		return 1 if $ret == 0;
		usleep(100_000);
	}
	return 0;
}

# ---- (a) SIGTERM twice, with a listener ----
{
	my $listener = listen_exports($node);
	my $id = create_export($node, sql_payload($slow))->{id};
	my $pid = worker_pid($id, 1);
	is(kill('TERM', $pid), 1, '(a) first worker terminated');
	$pid = worker_pid($id, 2);
	ok(defined $pid, '(a) second worker streams');
	is(kill('TERM', $pid), 1, '(a) second worker terminated');
	ok( wait_state($node, $id, 'failed'),
		'(a) the export ends failed');

	my @notes;    # up to 10 s for a notification about it
	wait_notification($listener, \@notes, $id, undef, 10);
	is_deeply([ grep { $_->{id} == $id } @notes ],
		[
			{
				id => $id,
				state => 'failed',
				fileName => undef,
				rows => undef,
				truncated => JSON::PP::false,
				error => 'Internal error. Your query failed to run.'
			}
		],
		'(a) exactly one NOTIFY, saying failed');
	$listener->quit;
}

# ---- (b) SIGKILL twice ----
{
	my $id = create_export($node, sql_payload($slow))->{id};
	my $pid = worker_pid($id, 1);
	ok(defined $pid, '(b) first worker streams');
	my $killed_at = time;
	is(kill('KILL', $pid), 1, '(b) first worker killed with SIGKILL');
	ok(wait_ready(), '(b) server is back after the crash restart');
	ok( $node->poll_query_until(
			'postgres',
			"SELECT state, not_before > now() "
			  . "FROM dataexport.export WHERE id = $id",
			"queued|t"),
		'(b) the export is re-queued with a back-off');

	$pid = worker_pid($id, 2);
	ok(defined $pid, '(b) second worker streams');
	my $started = $node->safe_psql('postgres',
		"SELECT extract(epoch FROM date_started) FROM dataexport.export WHERE id = $id");
	cmp_ok($started - $killed_at, '>=', 2.5,
		'(b) the retry waited for the back-off (' . sprintf('%.1f', $started - $killed_at) . ' s)');

	is(kill('KILL', $pid), 1, '(b) second worker killed with SIGKILL');
	ok(wait_ready(), '(b) server is back after the second crash restart');
	ok( wait_state($node, $id, 'failed'),
		'(b) the export ends failed');
	my $rec = details_of($node, $id);
	is($rec->{attempts}, 2, '(b) after two attempts');
	like($rec->{errorDetail}, qr/^the export worker stopped before finishing .* 2 times/,
		'(b) errorDetail says the worker was lost twice');
	sleep 4;
	is( state_of($node, $id),
		'failed', '(b) and it stays failed (no third attempt)');
}

$node->stop;
done_testing();
