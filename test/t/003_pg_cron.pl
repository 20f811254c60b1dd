# DBAs schedule cleanup and recurring exports with pg_cron (SPEC §1, §2, §7):
#  - a pg_cron job running dataexport_cleanup() expires a finished export
#    whose dateExpired is past: state 'expired', fileOid null, large object
#    unlinked, status EXPIRED;
#  - a job scheduled by alice (so pg_cron runs it as alice) creates an export
#    owned by alice from a statsPeriod payload, and it succeeds;
#  - cron.job_run_details records both jobs as succeeded.
# pg_cron schedules have minute granularity, so this test takes ~1-2 min.
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

# pg_cron preloaded too; start_node points cron.host at the node's socket.
my $node = start_node('pg_cron', <<'EOC', pg_cron => 1, demo => 'postgres');
dataexport.retry_delay = 200
dataexport.naptime = 2
EOC
$node->safe_psql('postgres', 'CREATE EXTENSION pg_cron');
$node->safe_psql('postgres', 'GRANT USAGE ON SCHEMA cron TO alice');

# ---- a finished export, then backdated so that it is expired ----
my $first = create_export($node, discover_payload(), user => 'alice');
my $done = $json->decode(
	psql_as($node, 'alice', "SELECT dataexport_wait($first->{id}, '60 s')"));
is($done->{state}, 'succeeded', 'first export succeeds');
is($done->{status}, 'VALID', 'first export is VALID');
my $oid = $done->{fileOid};
like($oid, qr/^\d+$/, 'first export has a file');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_largeobject_metadata WHERE oid = $oid"),
	'1',
	'its large object exists');

$node->safe_psql('postgres',
	"UPDATE dataexport.export SET date_expired = now() - interval '1 day' "
	  . "WHERE id = $first->{id}");

# Nothing removes it until cleanup runs.
is( state_of($node, $first->{id}),
	'succeeded',
	'backdated export still succeeded before cleanup');

# ---- schedule both jobs ----
my $cleanup_job = $node->safe_psql('postgres',
	"SELECT cron.schedule('dataexport-cleanup', '* * * * *', 'SELECT dataexport_cleanup()')"
);
like($cleanup_job, qr/^\d+$/, 'cleanup job scheduled');

# Recurring export scheduled by alice herself: pg_cron runs a job as the role
# that scheduled it.  statsPeriod is relative to the time the job runs.
my $recurring = $json->encode(
	{
		query_type => 'Discover',
		query_info => {
			field => [ 'id', 'project_id', 'message' ],
			query => '',
			statsPeriod => '3650d',
			sort => 'id'
		}
	});
my $alice_job = psql_as($node, 'alice',
	"SELECT cron.schedule('alice-export', '* * * * *', "
	  . "\$c\$SELECT dataexport_create('$recurring')\$c\$)");
like($alice_job, qr/^\d+$/, 'alice scheduled her recurring export');
is( $node->safe_psql(
		'postgres', "SELECT username FROM cron.job WHERE jobid = $alice_job"),
	'alice',
	'the job runs as alice');

# ---- cleanup by pg_cron ----
ok( $node->poll_query_until(
		'postgres',
		"SELECT state || ',' || (file_oid IS NULL) FROM dataexport.export "
		  . "WHERE id = $first->{id}",
		'expired,true'),
	'pg_cron cleanup expired the export and cleared its file oid');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_largeobject_metadata WHERE oid = $oid"),
	'0',
	'the large object is unlinked');
my $after = $json->decode(
	psql_as($node, 'alice', "SELECT dataexport_details($first->{id})"));
is($after->{state}, 'expired', 'details: state expired');
is($after->{status}, 'EXPIRED', 'details: status EXPIRED');
is($after->{fileOid}, undef, 'details: fileOid null');
is($after->{checksum}, undef, 'details: checksum null once the file is gone (Sentry serializes None)');
is($after->{id}, $first->{id}, 'details: the record stays');

# ---- the recurring export by pg_cron, as alice ----
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) > 0 FROM dataexport.export "
		  . "WHERE owner_name = 'alice' AND id > $first->{id} AND state = 'succeeded'"
	),
	'pg_cron created an export as alice and it succeeded');
my $cron_export = $node->safe_psql('postgres',
	"SELECT min(id) FROM dataexport.export WHERE owner_name = 'alice' AND id > $first->{id}");
my $rec = $json->decode(
	psql_as($node, 'alice', "SELECT dataexport_wait($cron_export, '60 s')"));
is($rec->{state}, 'succeeded', 'the cron export succeeded');
is($rec->{user}{username}, 'alice', 'the cron export is owned by alice');
ok(!exists $rec->{query}{info}{statsPeriod},
	'statsPeriod was normalized away');
ok(defined $rec->{query}{info}{start} && defined $rec->{query}{info}{end},
	'and replaced by start and end');
note("cron export period: $rec->{query}{info}{start} .. $rec->{query}{info}{end}");
# RLS applies in the worker: alice sees only projects 1 and 2.
my $expected_rows = $node->safe_psql(
	'postgres', qq{
	SELECT count(*) FROM app.events
	WHERE project_id IN (1, 2)
	  AND "timestamp" >= '$rec->{query}{info}{start}'::timestamptz
	  AND "timestamp" < '$rec->{query}{info}{end}'::timestamptz});
is($rec->{rows}, $expected_rows,
	"the cron export has alice's rows of the period ($expected_rows)");
ok($expected_rows > 0, 'the period covers some of the sample events');
is( $node->safe_psql(
		'postgres',
		"SELECT r.rolname FROM pg_largeobject_metadata m "
		  . "JOIN pg_roles r ON r.oid = m.lomowner WHERE m.oid = $rec->{fileOid}"),
	'alice',
	'its file belongs to alice');

# ---- job run details ----
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) > 0 FROM cron.job_run_details "
		  . "WHERE jobid = $cleanup_job AND status = 'succeeded'"),
	'cron.job_run_details: cleanup job succeeded');
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) > 0 FROM cron.job_run_details "
		  . "WHERE jobid = $alice_job AND status = 'succeeded'"),
	'cron.job_run_details: alice\'s export job succeeded');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM cron.job_run_details "
		  . "WHERE jobid IN ($cleanup_job, $alice_job) AND status = 'failed'"),
	'0',
	'no job run failed');
is( $node->safe_psql(
		'postgres',
		"SELECT username FROM cron.job_run_details WHERE jobid = $alice_job LIMIT 1"),
	'alice',
	'alice\'s job ran as alice');

$node->safe_psql('postgres', "SELECT cron.unschedule($cleanup_job)");
psql_as($node, 'alice', "SELECT cron.unschedule($alice_job)");

$node->stop;
done_testing();
