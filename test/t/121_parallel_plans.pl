# Exports whose plan is parallel.  The worker lets the planner choose
# parallel query for the requester's query, and the executor is in parallel
# mode while the sink receives rows: a large-object write then would fail
# ("cannot start commands during a parallel operation"), so the sink keeps
# what it writes in parallel mode in a temporary file and moves it into the
# large object when the executor is done.  The bytes must be those of the
# same export planned without parallelism, in every format.
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
my $node = start_node('parallel', "dataexport.naptime = 1\ndataexport.sql_role = 'alice'\n",
	demo => 'postgres');

# A table large enough for several flushes of the sink (a few MB of CSV).
$node->safe_psql('postgres', q{
	CREATE TABLE public.big AS
	SELECT g AS id, 'row ' || g || repeat('x', 90) AS label, g % 7 AS bucket,
	       '2026-01-01'::timestamptz + g * interval '1 s' AS at
	FROM generate_series(1, 40000) AS g;
	ANALYZE public.big;
	GRANT SELECT ON public.big TO alice;});

my $query = 'SELECT id, label, bucket, at FROM public.big ORDER BY id';
my @cases = (
	[ 'csv', sql_payload($query) ],
	[ 'gzip', sql_payload($query, compression => 'gzip') ],
	[ 'jsonl', sql_payload($query, format => 'jsonl') ],
	[ 'aggregate', sql_payload('SELECT bucket, count(*), sum(id) FROM public.big GROUP BY bucket ORDER BY bucket') ],
	[ 'discover', discover_payload(query_info => { field => [ 'id', 'message', 'timestamp' ] }) ],
);

# The worker runs with alice's role defaults.
sub alice_settings
{
	my ($parallel) = @_;
	my $sql = $parallel
	  ? q{ALTER ROLE alice SET force_parallel_mode = on;
		ALTER ROLE alice SET parallel_setup_cost = 0;
		ALTER ROLE alice SET parallel_tuple_cost = 0;
		ALTER ROLE alice SET min_parallel_table_scan_size = 0;}
	  : q{ALTER ROLE alice RESET ALL; ALTER ROLE alice SET max_parallel_workers_per_gather = 0;};
	$node->safe_psql('postgres', "ALTER ROLE alice RESET ALL; $sql");
	return;
}

sub export_all
{
	my ($label) = @_;
	my %out;
	for my $case (@cases)
	{
		my ($name, $payload) = @$case;
		my $rec = create_export($node, $payload, user => 'alice');
		my $done = wait_export($node, $rec->{id});
		is($done->{state}, 'succeeded', "$label, $name: export $rec->{id} succeeded")
		  or diag(($done->{error} // '') . ' ' . ($done->{errorDetail} // ''));
		$out{$name} = [
			$done->{fileOid}
			? $node->safe_psql('postgres', "SELECT md5(lo_get($done->{fileOid}))")
			: '',
			$done->{checksum} // '', $done->{rows} // -1, $done->{bytes} // -1 ];
	}
	return \%out;
}

alice_settings(0);
my $serial = export_all('serial');

alice_settings(1);
like(psql_as($node, 'alice', "EXPLAIN $query"), qr/Gather/,
	"with alice's settings the planner picks a parallel plan");
my $parallel = export_all('parallel');

for my $case (@cases)
{
	my $name = $case->[0];
	ok($serial->{$name}[2] > 0, "$name: rows ($serial->{$name}[2])");
	is_deeply($parallel->{$name}, $serial->{$name},
		"$name: parallel plan gives the same file, checksum, rows and bytes");
}
cmp_ok($serial->{csv}[3], '>', 3_000_000, 'the CSV file spans several sink flushes');

$node->stop;
done_testing();
