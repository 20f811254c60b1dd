# No silent cap on databases (issue 6, sections 3 and 4): the launcher keeps
# its list of databases in its own memory, so exports in 70 databases (more
# than the 64 that shared memory used to track) all finish within 90 s, with
# naptime 1 h (the wakeups at create, not the periodic rescan, must find them).  The
# launcher is stopped (SIGSTOP) while the 70 exports are created, so that the
# shared ring of dirtied databases (32) overflows and the launcher must fall
# back to rescanning every database.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $ndb = 70;

my $node = start_node('many_databases', <<'EOC');
dataexport.max_workers = 2
dataexport.naptime = 3600
dataexport.retry_delay = 200
fsync = off
EOC

# The extension in template1, so that every new database has it.
$node->safe_psql('template1', 'CREATE EXTENSION dataexport');
$node->safe_psql('postgres', join('', map { "CREATE DATABASE db$_;\n" } 1 .. $ndb));
is( $node->safe_psql(
		'postgres', "SELECT count(*) FROM pg_database WHERE datname LIKE 'db%'"),
	$ndb,
	"$ndb databases created");

my $launcher = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'dataexport launcher'");
like($launcher, qr/^\d+$/, 'launcher pid');
is(kill('STOP', $launcher), 1, 'launcher stopped');

# One export in each.
my %ids;
for my $i (1 .. $ndb)
{
	$ids{$i} =
	  create_export($node, sql_payload("SELECT $i AS n"), db => "db$i")->{id};
}

is(kill('CONT', $launcher), 1, 'launcher continued');

my %pending = map { $_ => 1 } 1 .. $ndb;
my $deadline = time + 90;
while (%pending && time < $deadline)
{
	for my $i (sort { $a <=> $b } keys %pending)
	{
		delete $pending{$i}
		  if state_of($node, $ids{$i}, "db$i") eq 'succeeded';
	}
	sleep 1 if %pending;
}
is(join(',', map { "db$_" } sort { $a <=> $b } keys %pending),
	'', "the exports of all $ndb databases succeeded within 90 s");

$node->stop;
done_testing();
