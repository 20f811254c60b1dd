# No silent cap on databases (issue 6, sections 3 and 4): the launcher keeps
# its list of databases in its own memory, so exports in 70 databases (more
# than the 64 that shared memory used to track) all finish, with naptime 60 s
# (the wakeups at create, not the periodic rescan, must find them).
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
my $ndb = 70;

my $node = PostgreSQL::Test::Cluster->new('many_databases');
$node->init;
$node->append_conf('postgresql.conf', <<'EOC');
shared_preload_libraries = 'dataexport'
dataexport.max_workers = 2
dataexport.naptime = 60
dataexport.retry_delay = 200
fsync = off
EOC
$node->start;

# The extension in template1, so that every new database has it.
$node->safe_psql('template1', 'CREATE EXTENSION dataexport');
$node->safe_psql('postgres', join('', map { "CREATE DATABASE db$_;\n" } 1 .. $ndb));
is( $node->safe_psql(
		'postgres', "SELECT count(*) FROM pg_database WHERE datname LIKE 'db%'"),
	$ndb,
	"$ndb databases created");

# One export in each (after the launcher has started and scanned).
my %ids;
for my $i (1 .. $ndb)
{
	my $rec = $json->decode(
		$node->safe_psql(
			"db$i",
			"SELECT dataexport_create('{\"query_type\": \"SQL\", "
			  . "\"query_info\": {\"sql\": \"SELECT $i AS n\"}}')"));
	$ids{$i} = $rec->{id};
}

my $done = 0;
for my $i (1 .. $ndb)
{
	my $state = $node->safe_psql("db$i",
		"SELECT dataexport_wait($ids{$i}, '45 s')->>'state'");
	$done++ if $state eq 'succeeded';
	diag("db$i: export $ids{$i} is $state") if $state ne 'succeeded';
}
is($done, $ndb, "the exports of all $ndb databases succeeded");

$node->stop;
done_testing();
