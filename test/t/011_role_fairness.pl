# Fairness between roles (issue 6, section 3):
#  - exports are claimed round-robin across requesters, FIFO within one:
#    with max_workers = 2 and alice holding 100 queued exports, bob's one
#    export starts after at most about two of alice's;
#  - dataexport.max_queued_per_role caps a requester's unfinished exports:
#    beyond it dataexport_create fails with 53400; 0 means no cap.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $node = start_node('role_fairness', <<'EOC', demo => 'postgres');
dataexport.max_workers = 2
dataexport.naptime = 60
dataexport.retry_delay = 200
dataexport.sql_role = 'exporters'
EOC
$node->safe_psql(
	'postgres', q{
	CREATE ROLE exporters NOLOGIN;
	GRANT exporters TO alice, bob;
	GRANT EXECUTE ON FUNCTION dataexport_create(jsonb), dataexport_wait
		TO alice, bob;
});

# n SQL exports of 0.5 s each, created in one statement.
sub create_many
{
	my ($tag, $n) = @_;
	return qq{SELECT count(dataexport_create(jsonb_build_object('query_type', 'SQL',
		'query_info', jsonb_build_object('sql',
			'SELECT ' || g || ' AS $tag, pg_sleep(0.5) AS z'))))
		FROM generate_series(1, $n) AS g};
}

# ---- round-robin: bob is not held back by alice's 100 ----
is( $node->psql(
		'postgres', create_many('alice', 100),
		connstr => user_connstr($node, 'alice')),
	0,
	'alice queues 100 exports');
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) FROM dataexport.export WHERE owner_name = 'alice' "
		  . "AND state = 'running'",
		'2'),
	'both worker slots run alice\'s exports');

my $bob = create_export($node,
	sql_payload('SELECT 0 AS bob, pg_sleep(0.5) AS z'), user => 'bob')->{id};
is( $node->safe_psql('postgres',
		"SELECT dataexport_wait($bob, '60 s')->>'state'"),
	'succeeded',
	'bob\'s export succeeds');
my $before_bob = $node->safe_psql(
	'postgres', qq{
	SELECT count(*) FROM dataexport.export a, dataexport.export b
	WHERE b.id = $bob AND a.owner_name = 'alice'
	  AND a.date_started > b.date_created AND a.date_started < b.date_started});
cmp_ok($before_bob, '<=', 2,
	"alice's exports that started between bob's create and start: $before_bob (at most 2)");
cmp_ok(
	$node->safe_psql('postgres',
		"SELECT count(*) FROM dataexport.export WHERE owner_name = 'alice' "
		  . "AND state IN ('queued', 'running')"),
	'>=', 90,
	'most of alice\'s exports were still waiting when bob\'s ran');

# ---- the cap (default 100) ----
my ($ret, $out, $err) = $node->psql('postgres',
	"\\set VERBOSITY verbose\nBEGIN;\n" . create_many('capped', 100)
	  . ";\nSELECT dataexport_create('{\"query_type\": \"SQL\", "
	  . "\"query_info\": {\"sql\": \"SELECT 101\"}}');\nROLLBACK;",
	connstr => user_connstr($node, 'bob'));
isnt($ret, 0, 'the 101st unfinished export of bob is refused');
like($err,
	qr/ERROR:  53400: too many unfinished data exports/,
	'with SQLSTATE 53400 and a clear message');
like($err, qr/DETAIL:  You have 100 queued or running data exports/,
	'the detail names the limit');

# 0: no cap; a smaller cap applies to the superuser too.
($ret, $out, $err) = $node->psql('postgres',
	"SET dataexport.max_queued_per_role = 2;\nBEGIN;\n"
	  . create_many('two', 3) . ";\nROLLBACK;");
like($err, qr/too many unfinished data exports/, 'a cap of 2 refuses a third');
($ret, $out, $err) = $node->psql('postgres',
	"SET dataexport.max_queued_per_role = 0;\nBEGIN;\n"
	  . create_many('unlimited', 3) . ";\nROLLBACK;");
is($out, '3', '0 means no cap');
($ret, $out, $err) = $node->psql('postgres',
	'SET dataexport.max_queued_per_role = 0',
	connstr => user_connstr($node, 'bob'));
like($err, qr/permission denied to set parameter/,
	'an ordinary role cannot lift its own cap');

$node->stop('immediate');
done_testing();
