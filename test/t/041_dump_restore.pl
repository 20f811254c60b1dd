# pg_dump / pg_restore keeps finished exports whole (issue 6, orphans):
# the records of succeeded exports, their files (bytes and checksum) and the
# files' owners come back, into another cluster whose roles have other OIDs;
# the restored records belong to the roles of the same names, details works
# for them, unfinished records are not restored, and new ids do not collide.
use strict;
use warnings FATAL => 'all';

use Digest::SHA qw(sha1_hex);
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $json = JSON::PP->new->canonical;
my $conf = "dataexport.naptime = 2\n";

my $src = start_node('dump_source', $conf);
$src->safe_psql('postgres', 'CREATE DATABASE app_db');
load_demo($src, 'app_db');

# safe_psql of $sql as alice in app_db of $node.
sub psql_alice
{
	my ($node, $sql) = @_;
	return psql_as($node, 'alice', $sql, 'app_db');
}

sub export_as_alice
{
	my ($extra) = @_;
	my $id = psql_alice($src, qq{SELECT dataexport_create('{"query_type": "Discover",
		"query_info": {"field": ["id", "message"], "query": "", "statsPeriod": "90d"}$extra}') ->> 'id'});
	return $json->decode(psql_alice($src, "SELECT dataexport_wait($id, '60 s')"));
}

sub file_hex
{
	my ($node, $oid) = @_;
	return $node->safe_psql('app_db', "SELECT encode(lo_get($oid), 'hex')");
}

my @done = (export_as_alice(''), export_as_alice(', "format": "jsonl", "compression": "gzip"'));
is($_->{state}, 'succeeded', "source export $_->{id} succeeded") for @done;
my %hex = map { $_->{id} => file_hex($src, $_->{fileOid}) } @done;

# A cancelled export is not part of the dump.
my $cancelled = psql_alice($src, q{
	BEGIN;
	SELECT dataexport_cancel((dataexport_create('{"query_type": "Discover",
		"query_info": {"field": ["level"], "query": "", "statsPeriod": "3d"}}') ->> 'id')::bigint) ->> 'id';
	COMMIT;});
my $max_id = $src->safe_psql('app_db', 'SELECT max(id) FROM dataexport.export');

my $dump = $src->basedir . '/app_db.dump';
$src->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $src->connstr('app_db') ],
	'pg_dump of the database');

# Another cluster, where alice and bob have other OIDs than in the source.
my $dst = start_node('dump_target', $conf);
$dst->safe_psql('postgres', 'CREATE ROLE filler1; CREATE ROLE filler2; CREATE ROLE filler3;
	CREATE ROLE bob LOGIN; CREATE ROLE alice LOGIN; CREATE DATABASE app_db');
isnt($dst->safe_psql('postgres', "SELECT 'alice'::regrole::oid"),
	$src->safe_psql('postgres', "SELECT 'alice'::regrole::oid"),
	'alice has another OID in the target cluster');
$dst->command_ok([ 'pg_restore', '-d', $dst->connstr('app_db'), $dump ],
	'pg_restore into the other cluster');

is( $dst->safe_psql('app_db', 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM dataexport.export'),
	join(',', sort { $a <=> $b } map { $_->{id} } @done),
	'the succeeded records are restored, the cancelled one is not');
is( $dst->safe_psql('app_db',
		"SELECT bool_and(owner = 'alice'::regrole) FROM dataexport.export"),
	't', 'restored records belong to the role named alice in the target');

for my $before (@done)
{
	my $id = $before->{id};
	my $after = $json->decode(psql_alice($dst, "SELECT dataexport_details($id)"));
	is($after->{state}, 'succeeded', "export $id: details works for alice after restore");
	is($after->{fileOid}, $before->{fileOid}, "export $id: same file OID");
	is($after->{checksum}, $before->{checksum}, "export $id: same checksum");
	my $hex = file_hex($dst, $after->{fileOid});
	is($hex, $hex{$id}, "export $id: the file's bytes are restored");
	is(sha1_hex(pack('H*', $hex)), $after->{checksum}, "export $id: bytes match the checksum");
	is( $dst->safe_psql('app_db',
			"SELECT pg_get_userbyid(lomowner) FROM pg_largeobject_metadata WHERE oid = $after->{fileOid}"),
		'alice', "export $id: the file belongs to alice");
	my ($rc, $out, $err) = $dst->psql('app_db', "SELECT dataexport_details($id)",
		connstr => user_connstr($dst, 'bob', 'app_db'));
	like($err, qr/data export $id does not exist/, "export $id: still not bob's");
}

# New exports continue after the restored ids.
my $new = $json->decode(psql_alice($dst, q{SELECT dataexport_create('{"query_type": "Discover",
	"query_info": {"field": ["id"], "query": "", "statsPeriod": "30d"}}')}));
cmp_ok($new->{id}, '>', $max_id, 'a new export after the restore gets a new id');
is($json->decode(psql_alice($dst, "SELECT dataexport_wait($new->{id}, '60 s')"))->{state},
	'succeeded', 'and runs');

$src->stop;
$dst->stop;
done_testing();
