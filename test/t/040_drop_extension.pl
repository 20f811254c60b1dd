# Dropping the extension takes the export files with it (issue 6, orphans):
#  - a DROP EXTENSION that rolls back keeps files and records;
#  - DROP EXTENSION unlinks the file of every succeeded export whose
#    requester still owns it, and leaves every other large object alone
#    (one given to another role, one of the user's own);
#  - so does a drop by cascade (DROP SCHEMA ... CASCADE);
#  - a look-alike dataexport.export table that is not the extension's
#    unlinks nothing when it is dropped.
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

my $node = start_node('drop_extension', <<'EOC');
dataexport.naptime = 2
EOC
$node->safe_psql('postgres', 'CREATE DATABASE d');
load_demo($node, 'd');

# A finished export of alice's; returns its record.
sub export_as_alice
{
	my ($field) = @_;
	my $id = psql_as($node, 'alice', qq{SELECT dataexport_create('{"query_type": "Discover",
		"query_info": {"field": ["$field"], "query": "", "statsPeriod": "90d"}}') ->> 'id'},
		'd');
	return $json->decode(
		psql_as($node, 'alice', "SELECT dataexport_wait($id, '60 s')", 'd'));
}

sub lo_exists
{
	my ($oid) = @_;
	return $node->safe_psql('d',
		"SELECT count(*) FROM pg_largeobject_metadata WHERE oid = $oid");
}

my $e1 = export_as_alice('id');
my $e2 = export_as_alice('message');
my $e3 = export_as_alice('level');
is($_->{state}, 'succeeded', "export $_->{id} succeeded") for ($e1, $e2, $e3);
my ($f1, $f2, $f3) = map { $_->{fileOid} } ($e1, $e2, $e3);
# e3's file now belongs to bob; alice also has a large object of her own
$node->safe_psql('d', "ALTER LARGE OBJECT $f3 OWNER TO bob");
my $own = psql_as($node, 'alice', q{SELECT lo_from_bytea(0, '\x6f776e')}, 'd');

# A DROP EXTENSION that rolls back changes nothing.
$node->safe_psql('d', 'BEGIN; DROP EXTENSION dataexport; ROLLBACK;');
is(lo_exists($f1) + lo_exists($f2), 2, 'rolled-back DROP EXTENSION keeps the files');
is( $json->decode(
		psql_as($node, 'alice', "SELECT dataexport_details($e1->{id})", 'd'))
	  ->{fileOid},
	$f1, 'and the records');

$node->safe_psql('d', 'DROP EXTENSION dataexport');
is(lo_exists($f1), '0', 'DROP EXTENSION unlinks the first export file');
is(lo_exists($f2), '0', 'and the second');
is(lo_exists($f3), '1', 'a file given to another role is left to that role');
is(lo_exists($own), '1', 'a large object that is no export file is left alone');

# Dropped by cascade: DROP SCHEMA public CASCADE takes the extension along.
$node->safe_psql('d', 'CREATE EXTENSION dataexport');
$node->safe_psql('d', $_) for (
	q{SELECT dataexport_register_projects('app.projects', 'id', 'organization_id')},
	q{SELECT dataexport_register_dataset('discover', 'app.events',
		'{"project": "project_id", "timestamp": "timestamp", "message": "message"}')},
	q{GRANT EXECUTE ON FUNCTION dataexport_create(jsonb), dataexport_details(bigint),
		dataexport_wait TO alice});
my $e4 = export_as_alice('id');
is($e4->{state}, 'succeeded', 'an export after reinstalling succeeds');
$node->safe_psql('d', 'DROP SCHEMA public CASCADE; CREATE SCHEMA public');
is(lo_exists($e4->{fileOid}), '0', 'DROP SCHEMA ... CASCADE unlinks the export file too');
is($node->safe_psql('d', "SELECT count(*) FROM pg_extension WHERE extname = 'dataexport'"),
	'0', 'the extension is gone');

# A table that only looks like the bookkeeping unlinks nothing.
my $alice = $node->safe_psql('d', "SELECT 'alice'::regrole::oid");
$node->safe_psql('d', qq{
	CREATE SCHEMA dataexport;
	CREATE TABLE dataexport.export (owner oid, state text, file_oid oid);
	INSERT INTO dataexport.export VALUES ($alice, 'succeeded', $own);
	DROP TABLE dataexport.export;
	DROP SCHEMA dataexport;});
is(lo_exists($own), '1', 'dropping a look-alike table unlinks nothing');

my $log = slurp_file($node->logfile);
unlike($log, qr/PANIC|TRAP|was terminated by signal/, 'no crash in the server log');
$node->stop;
done_testing();
