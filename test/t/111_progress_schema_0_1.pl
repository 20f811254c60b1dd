# The one library on a 0.1 schema (issue 10, point 3): dataexport_progress()
# through its 0.1 definition (six OUT columns) and dataexport_wait through
# its two-argument one keep working while an export runs, and
# dataexport_explain does not exist.  ALTER EXTENSION dataexport UPDATE then
# recreates progress (ten columns), the view over it and wait (with
# "progress") keeping the DBA's grants, and grants explain to create's
# grantees.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $node = start_node('progress_0_1', <<'EOC', demo => 'postgres');
dataexport.max_workers = 1
dataexport.naptime = 2
EOC
$node->safe_psql('postgres', 'CREATE DATABASE old');
$node->safe_psql('old', <<'EOS');
CREATE EXTENSION dataexport VERSION '0.1';
GRANT EXECUTE ON FUNCTION dataexport_create(jsonb), dataexport_wait(bigint, interval),
    dataexport_progress() TO alice;
EOS

my $slow = sql_payload(
	"SELECT g, pg_sleep(0.002) AS nap FROM generate_series(1, 1000) AS g");

# A running export in "old" (superuser SQL export), seen through 0.1's objects.
sub running_in_old
{
	my ($payload) = @_;
	my $id = create_export($node, $payload, db => 'old')->{id};
	ok( $node->poll_query_until(
			'old', "SELECT count(*) FROM dataexport_progress() WHERE id = $id AND rows > 0",
			'1'),
		"export $id runs");
	return $id;
}

my $id = running_in_old($slow);
my @row = split /\|/, $node->safe_psql('old', "SELECT * FROM dataexport_running WHERE id = $id");
is(scalar @row, 6, '0.1 definition: six columns');
ok($row[3] > 0, "rows counted ($row[3])");
is( $node->safe_psql(
		'old', "SELECT dataexport_wait($id, '60 s') ->> 'state'"),
	'succeeded',
	'0.1 two-argument wait');
is( $node->safe_psql('old', "SELECT to_regprocedure('dataexport_explain(jsonb)') IS NULL"),
	't', 'no dataexport_explain on 0.1');

$node->safe_psql('old', 'ALTER EXTENSION dataexport UPDATE');
is( $node->safe_psql(
		'old', <<'SQL'),
SELECT has_function_privilege('alice', 'dataexport_wait(bigint, interval, boolean)', 'EXECUTE'),
       has_function_privilege('alice', 'dataexport_progress()', 'EXECUTE'),
       has_function_privilege('alice', 'dataexport_explain(jsonb)', 'EXECUTE'),
       has_function_privilege('bob', 'dataexport_wait(bigint, interval, boolean)', 'EXECUTE'),
       has_function_privilege('bob', 'dataexport_explain(jsonb)', 'EXECUTE'),
       has_table_privilege('bob', 'dataexport_running', 'SELECT')
SQL
	't|t|t|f|f|t',
	'after the update: the grants of wait and progress kept, explain granted with create, PUBLIC still revoked');

$id = running_in_old(sql_payload(
	"SELECT g, pg_sleep(0.002) AS nap FROM generate_series(1, 1001) AS g"));
@row = split /\|/, $node->safe_psql('old', "SELECT * FROM dataexport_running WHERE id = $id");
is(scalar @row, 10, '0.2 definition: ten columns');
is($row[6], 1001, 'with the estimate');
my ($ret, $stdout, $stderr) = $node->psql('old',
	"SELECT dataexport_wait($id, '60 s', progress => true) ->> 'state'");
is($stdout, 'succeeded', 'three-argument wait');
like($stderr, qr/NOTICE:  export $id: \d+% \([\d,]+ of ~1,001 rows/, 'with progress NOTICEs');

$node->stop;
done_testing();
