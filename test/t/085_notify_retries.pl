# Issue 9, items 10 and 11 (SPEC §7):
#  - the NOTIFY on channel "dataexport" carries exactly
#    {id, state, fileName, rows, truncated, error}: what a listener needs to
#    tell the requester, never row data (error is the user-facing message,
#    not the PostgreSQL error, which can quote a value);
#  - each retry is logged; a lost connection (SQLSTATE class 08) is retried
#    like a serialization failure (3 retries, 4 attempts); a statement
#    timeout is retried at most once (2 attempts) and the export then fails
#    with Sentry's exact timeout message.
use strict;
use warnings FATAL => 'all';

use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $json = JSON::PP->new->canonical;

my $node = start_node('notify_retries', <<'EOC', demo => 'postgres');
dataexport.retry_delay = 100
dataexport.naptime = 1
EOC

my $listener = listen_exports($node);
my @notes;

sub notes_for
{
	my ($id) = @_;
	return grep { $_->{id} == $id } @notes;
}

sub retry_lines
{
	my ($log, $id) = @_;
	my @lines = ($log =~ /dataexport: export $id will be retried in \d+ ms after attempt (\d+) of at most (\d+) failed with SQLSTATE (\w+)/g);
	my @pairs;
	push @pairs, [ shift @lines, shift @lines, shift @lines ] while @lines;
	return @pairs;
}

# ---- success: file name, rows, truncation ----
my $ok = create_export($node,
	sql_payload('SELECT g AS n FROM generate_series(1, 5) g', limit => 3));
my $okrec = wait_export($node, $ok->{id});
is($okrec->{state}, 'succeeded', 'the truncated export succeeds');
ok(wait_notification($listener, \@notes, $ok->{id}, 'succeeded'),
	'NOTIFY for the succeeded export');
my @n = notes_for($ok->{id});
is(scalar(@n), 1, 'one notification for it');
is_deeply(
	$n[0],
	{
		id => $ok->{id} + 0,
		state => 'succeeded',
		fileName => $okrec->{fileName},
		rows => 3,
		truncated => JSON::PP::true,
		error => undef
	},
	'succeeded: {id, state, fileName, rows, truncated, error}');
like($okrec->{fileName}, qr/^SQL_\d{4}-[A-Z][a-z]+-\d{2}_$ok->{id}\.csv$/,
	'fileName as details gives it');

# ---- failure: Sentry's message, never the value in the PostgreSQL error ----
my $bad = create_export($node,
	sql_payload(q{SELECT ('secret' || g)::int AS n FROM generate_series(1, 2) g}));
my $badrec = wait_export($node, $bad->{id});
is($badrec->{state}, 'failed', 'the export of a bad cast fails');
like($badrec->{errorDetail}, qr/secret1/, 'details keep the PostgreSQL error for the DBA');
ok(wait_notification($listener, \@notes, $bad->{id}, 'failed'),
	'NOTIFY for the failed export');
is_deeply(
	[ notes_for($bad->{id}) ],
	[
		{
			id => $bad->{id} + 0,
			state => 'failed',
			fileName => undef,
			rows => undef,
			truncated => JSON::PP::false,
			error => 'Invalid query. Please fix the query and try again.'
		}
	],
	'failed: the user-facing error only');
unlike($json->encode([ notes_for($bad->{id}) ]), qr/secret/,
	'no value of the rows in the notification');

# ---- a lost connection is retried three times, each retry logged ----
$node->safe_psql('postgres', <<'EOS');
CREATE FUNCTION public.lost_connection() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'server closed the connection unexpectedly'
        USING ERRCODE = 'connection_failure';
END $$;
EOS
my $log_offset = -s $node->logfile;
my $lost = create_export($node, sql_payload('SELECT public.lost_connection() AS x'));
my $lostrec = wait_export($node, $lost->{id});
is($lostrec->{state}, 'failed', 'an export that keeps losing its connection fails');
is($lostrec->{attempts}, 4, 'after 3 retries (4 attempts)');
like($lostrec->{errorDetail}, qr/^08006: /, 'with the connection error kept');
my $log = substr(slurp_file($node->logfile), $log_offset);
is_deeply([ retry_lines($log, $lost->{id}) ], [ [ 1, 4, '08006' ], [ 2, 4, '08006' ], [ 3, 4, '08006' ] ],
	'each retry is logged, with its attempt');
ok(wait_notification($listener, \@notes, $lost->{id}, 'failed'),
	'NOTIFY once it failed');
is(scalar(notes_for($lost->{id})), 1, 'retries are not notified');

# ---- a statement timeout is retried once ----
ok(alter_system($node, 'dataexport.statement_timeout', '300ms'),
	'statement timeout lowered to 300ms');
$log_offset = -s $node->logfile;
my $slow = create_export($node, sql_payload('SELECT pg_sleep(5) AS s'));
my $slowrec = wait_export($node, $slow->{id});
is($slowrec->{state}, 'failed', 'the timing-out export fails');
is($slowrec->{attempts}, 2, 'after one retry');
is( $slowrec->{error},
	'Query timeout. Please try again. If the problem persists try a smaller date range or fewer projects.',
	'with Sentry\'s timeout message');
$log = substr(slurp_file($node->logfile), $log_offset);
is_deeply([ retry_lines($log, $slow->{id}) ], [ [ 1, 2, '57014' ] ],
	'one retry, logged');
ok(wait_notification($listener, \@notes, $slow->{id}, 'failed'),
	'NOTIFY once it failed');
is_deeply(
	[ notes_for($slow->{id}) ],
	[
		{
			id => $slow->{id} + 0,
			state => 'failed',
			fileName => undef,
			rows => undef,
			truncated => JSON::PP::false,
			error => $slowrec->{error}
		}
	],
	'failed after the timeout: one notification with the timeout message');

is(unfinished_count($node), '0', 'nothing left queued or running');
$listener->quit;
$node->stop;
done_testing();
