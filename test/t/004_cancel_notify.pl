# Cancel, NOTIFY, commit-time enqueue and transient-failure retries (SPEC §7):
#  - a queued export is cancelled at once (never runs) and a LISTENing
#    session gets NOTIFY dataexport '{"id": n, "state": "cancelled", ...}';
#    another role cannot cancel it;
#  - a running export is interrupted within a second: its worker is gone,
#    its state is cancelled, its large object rolled back;
#  - an export created in a transaction that rolls back leaves no record;
#  - a statement timeout is retried once (2 attempts in all, with backoff) and
#    the export ends failed with Sentry's timeout message, notified once.
use strict;
use warnings FATAL => 'all';

use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;
use Time::HiRes qw(time usleep);

my $json = JSON::PP->new->canonical;

# One worker slot: a blocked export keeps others in the queue.
my $node = start_node('cancel_notify', <<'EOC', demo => 'postgres');
dataexport.retry_delay = 200
dataexport.naptime = 2
dataexport.max_workers = 1
EOC

my $discover = discover_payload();

# ---- a session LISTENing on the "dataexport" channel ----
my $listener = listen_exports($node);
my @notes;    # every payload received, decoded, in order

sub notes_for
{
	my ($id) = @_;
	return grep { $_->{id} == $id } @notes;
}

# ---- cancel a queued export ----
my $lock = $node->background_psql('postgres');
$lock->query_safe('SELECT pg_advisory_lock(7004)');
my $blocker = create_export($node,
	sql_payload('SELECT pg_advisory_xact_lock_shared(7004)::text AS locked'));
ok( wait_state($node, $blocker->{id}, 'running'),
	'blocker export occupies the only worker slot');

my $queued = create_export($node, $discover, user => 'alice');
is($queued->{state}, 'queued', 'alice\'s export is queued');
my $qid = $queued->{id};

# Someone else's export cannot be cancelled (nor told apart from a missing one).
my ($ret, $out, $err) = $node->psql(
	'postgres',
	"\\set VERBOSITY verbose\nSELECT dataexport_cancel($qid);",
	connstr => user_connstr($node, 'bob'));
like(
	$err,
	qr/ERROR:  42704: data export $qid does not exist/,
	'bob cannot cancel alice\'s export');
is( state_of($node, $qid),
	'queued',
	'still queued after bob\'s attempt');

my $cancelled =
  $json->decode(psql_as($node, 'alice', "SELECT dataexport_cancel($qid)"));
is($cancelled->{state}, 'cancelled', 'cancel of a queued export: state cancelled at once');
is($cancelled->{status}, 'EARLY', 'status stays EARLY (never finished)');
is( state_of($node, $qid),
	'cancelled',
	'the stored state is cancelled');
ok(wait_notification($listener, \@notes, $qid, 'cancelled'),
	'NOTIFY dataexport {"id": n, "state": "cancelled"} received');
is_deeply(
	[ notes_for($qid) ],
	[
		{
			id => $qid + 0,
			state => 'cancelled',
			fileName => undef,
			rows => undef,
			truncated => JSON::PP::false,
			error => undef
		}
	],
	'exactly one notification for the cancelled export, with id and state');

# Cancelling again is harmless and changes nothing.
is( $json->decode(psql_as($node, 'alice', "SELECT dataexport_cancel($qid)"))
	  ->{state},
	'cancelled', 'cancelling twice keeps it cancelled');

$lock->query_safe('SELECT pg_advisory_unlock(7004)');
$lock->quit;
is( $node->safe_psql(
		'postgres', "SELECT dataexport_wait($blocker->{id}, '60 s')->>'state'"),
	'succeeded',
	'blocker export succeeds once unlocked');
ok(wait_notification($listener, \@notes, $blocker->{id}, 'succeeded'),
	'NOTIFY for the succeeded export');

# ---- cancel a running export ----
my $lo_before = lo_count($node);
my $slow = create_export($node,
	sql_payload('SELECT g, pg_sleep(0.02) FROM generate_series(1, 400) g'));
my $sid = $slow->{id};
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) FROM dataexport_progress() WHERE id = $sid "
		  . "AND pid IS NOT NULL AND rows >= 20",
		'1'),
	'slow export is running and streaming');
my $pid = $node->safe_psql('postgres',
	"SELECT pid FROM dataexport_progress() WHERE id = $sid");

my $poller = $node->background_psql('postgres');
my $t0 = time;
my $rec = $json->decode($poller->query_safe("SELECT dataexport_cancel($sid)"));
is($rec->{state}, 'cancelled', 'cancel of a running export returns state cancelled');
my ($gone, $elapsed) = (0, undef);
while (time - $t0 < 10)
{
	my $r = $poller->query_safe(
		"SELECT (SELECT count(*) FROM dataexport_progress() WHERE id = $sid) "
		  . "+ (SELECT count(*) FROM pg_stat_activity WHERE pid = $pid)");
	if ($r eq '0')
	{
		$elapsed = time - $t0;
		$gone = 1;
		last;
	}
	usleep(20_000);
}
ok($gone, 'the worker of the cancelled export exits');
note(sprintf('worker gone %.3f s after cancel', $elapsed // -1));
ok(defined $elapsed && $elapsed < 1.0,
	'the running export is interrupted within 1 second');
$poller->quit;

$rec = details_of($node, $sid);
is($rec->{state}, 'cancelled', 'state is cancelled after the worker stopped');
is($rec->{fileOid}, undef, 'no file for the cancelled export');
is($rec->{error}, undef, 'no error recorded for a cancel');
is($rec->{attempts}, 1, 'it was not retried');
is(lo_count($node), $lo_before,
	'no large object leaked by the cancelled export');
ok(wait_notification($listener, \@notes, $sid, 'cancelled'),
	'NOTIFY cancelled for the running export');
is(scalar(notes_for($sid)), 1, 'exactly one notification for it');

# ---- an export created in a transaction that rolls back ----
my $count_before =
  $node->safe_psql('postgres', 'SELECT count(*) FROM dataexport.export');
my $rb_out = psql_as($node, 'alice',
	"BEGIN;\nSELECT dataexport_create(\$p\$$discover\$p\$)->>'id';\nROLLBACK;");
like($rb_out, qr/^\d+$/, 'create inside the transaction returned an id');
my $rb_id = $rb_out;
is($node->safe_psql('postgres', 'SELECT count(*) FROM dataexport.export'),
	$count_before, 'no export record after ROLLBACK');
is( $node->safe_psql(
		'postgres', "SELECT count(*) FROM dataexport.export WHERE id = $rb_id"),
	'0',
	'the rolled-back id does not exist');
($ret, $out, $err) = $node->psql(
	'postgres',
	"\\set VERBOSITY verbose\nSELECT dataexport_details($rb_id);",
	connstr => user_connstr($node, 'alice'));
like(
	$err,
	qr/ERROR:  42704: data export $rb_id does not exist/,
	'details of the rolled-back export: does not exist');
# A later identical request is not deduplicated against it.
my $fresh = create_export($node, $discover, user => 'alice');
is($fresh->{created}, JSON::PP::true, 'identical request after rollback creates');
is( $node->safe_psql(
		'postgres', "SELECT dataexport_wait($fresh->{id}, '60 s')->>'state'"),
	'succeeded',
	'and that export runs');
drain_notifications($listener, \@notes);
is(scalar(notes_for($rb_id)), 0, 'no notification about the rolled-back export');

# The scanner claims queued exports in id order, so had the cancelled queued
# export still been claimable it would have run before this later one.
is( $node->safe_psql(
		'postgres',
		"SELECT state || ',' || attempts || ',' || (date_started IS NULL) || ',' || (file_oid IS NULL) "
		  . "FROM dataexport.export WHERE id = $qid"),
	'cancelled,0,true,true',
	'the cancelled queued export never ran');

# ---- statement timeout: retried, then failed ----
ok(alter_system($node, 'dataexport.statement_timeout', '500ms'),
	'statement timeout lowered to 500ms');

$lo_before = lo_count($node);
my $log_offset = -s $node->logfile;
my $to = create_export($node,
	sql_payload('SELECT g AS n, pg_sleep(0.02) AS s FROM generate_series(1, 400) g'));
my $tid = $to->{id};

# Watch it: between attempts it goes back to the queue with the error set.
my $watch = $node->background_psql('postgres');
my %seen_attempts;
my $saw_retry_wait = 0;
my $final;
my $deadline = time + 60;
while (time < $deadline)
{
	my $r = $watch->query_safe(
		"SELECT state || '|' || attempts || '|' || (error IS NOT NULL) "
		  . "|| '|' || (not_before IS NOT NULL) FROM dataexport.export WHERE id = $tid");
	my ($state, $attempts, $has_error, $has_not_before) = split /\|/, $r;
	$seen_attempts{$attempts} = 1;
	$saw_retry_wait = 1
	  if $state eq 'queued'
	  && $attempts >= 1
	  && $has_error eq 'true'
	  && $has_not_before eq 'true';
	if ($state ne 'queued' && $state ne 'running')
	{
		$final = $state;
		last;
	}
	usleep(50_000);
}
$watch->quit;
is($final, 'failed', 'the timing-out export ends failed');
ok($saw_retry_wait,
	'between attempts it was re-queued with the error and a retry time');
ok(scalar(keys %seen_attempts) >= 2,
	'attempts increased while retrying (saw: '
	  . join(',', sort keys %seen_attempts) . ')');

$rec = details_of($node, $tid);
is($rec->{state}, 'failed', 'details: state failed');
is($rec->{attempts}, 2, 'details: 2 attempts (a timeout is retried once)');
is( $rec->{error},
	'Query timeout. Please try again. If the problem persists try a smaller date range or fewer projects.',
	'details: Sentry\'s timeout message');
like($rec->{errorDetail}, qr/^57014: canceling statement due to statement timeout/,
	'details: the PostgreSQL error is kept for the DBA');
is($rec->{fileOid}, undef, 'details: no file');
is(lo_count($node), $lo_before, 'no large object left by the failed attempts');

my $log = substr(slurp_file($node->logfile), $log_offset);
my @timeouts = ($log =~ /canceling statement due to statement timeout/g);
is(scalar(@timeouts), 2, 'the server log shows 2 statement timeouts');

ok(wait_notification($listener, \@notes, $tid, 'failed'),
	'NOTIFY failed for the timed-out export');
is_deeply(
	[ notes_for($tid) ],
	[
		{
			id => $tid + 0,
			state => 'failed',
			fileName => undef,
			rows => undef,
			truncated => JSON::PP::false,
			error => $rec->{error}
		}
	],
	'one notification only: retries are not notified');

$node->safe_psql('postgres',
	'ALTER SYSTEM RESET dataexport.statement_timeout');
$node->safe_psql('postgres', 'SELECT pg_reload_conf()');

is( unfinished_count($node),
	'0',
	'nothing left queued or running');
is($node->safe_psql('postgres', 'SELECT count(*) FROM dataexport_progress()'),
	'0', 'no worker slot in use');

$listener->quit;
$node->stop;
done_testing();
