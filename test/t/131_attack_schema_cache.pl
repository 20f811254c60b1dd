# Attack (the one library on a 0.1 schema): extversion.c remembers the
# schema version for the rest of the transaction, but a transaction can see
# the version go back: ALTER EXTENSION dataexport UPDATE inside a savepoint
# that is rolled back.  The version read after the update (0.2) was kept, so
# a zstd or Parquet request passed the 0.2 gate and hit the 0.1 table's CHECK
# constraint (23514, a constraint name and the whole row in DETAIL) instead
# of the clean refusal (55000 "... needs version 0.2 ..." with its hint).
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $node = start_node('attack_schema_cache', "dataexport.max_workers = 1\n");
$node->safe_psql('postgres', "CREATE EXTENSION dataexport VERSION '0.1'");

for my $case (
	[ 'zstd compression', '"compression": "zstd"' ],
	[ '"format": "parquet"', '"format": "parquet"' ])
{
	my ($feature, $key) = @$case;
	my ($ret, $out, $err) = $node->psql(
		'postgres', <<"SQL");
\\set VERBOSITY verbose
BEGIN;
SAVEPOINT s;
ALTER EXTENSION dataexport UPDATE;
SELECT dataexport_create('{"query_type": "SQL", $key, "query_info": {"sql": "SELECT 1"}}') ->> 'state';
ROLLBACK TO s;
SELECT extversion FROM pg_extension WHERE extname = 'dataexport';
SELECT dataexport_create('{"query_type": "SQL", $key, "query_info": {"sql": "SELECT 2"}}') ->> 'state';
COMMIT;
SQL
	like($out, qr/^queued\n0\.1$/m, "$feature: the update was rolled back");
	like(
		$err,
		qr/ERROR:  55000: \Q$feature\E needs version 0\.2 of extension "dataexport"/,
		"$feature: refused as on a 0.1 schema (55000), not by the 0.1 CHECK constraint");
	unlike($err, qr/23514|check constraint/, "$feature: no constraint violation");
}
is($node->safe_psql('postgres', 'SELECT count(*) FROM dataexport.export'),
	'0', 'nothing was created');

$node->stop;
done_testing();
