#!/usr/bin/perl
# One export end to end against an already running server (the valgrind
# suite's, see test/valgrind/run.sh; PGHOST, PGPORT and PGUSER name it and
# PGUSER must be a superuser): in a database of its own with the demo schema,
# the non-superuser alice creates a Discover export, waits for it, and the
# file's bytes (read back with lo_get) must be exactly the expected CSV, with
# the SHA-1 that the record reports.  The database and the demo roles are
# dropped at the end, so the pg_regress suite can run after it.
# Timeouts are generous: under valgrind everything is 20-50 times slower.
use strict;
use warnings FATAL => 'all';

use Digest::SHA qw(sha1_hex);
use FindBin;
use JSON::PP;
use Test::More;

my $root = "$FindBin::RealBin/../..";
my $db = 'dataexport_vg_smoke';
my $json = JSON::PP->new->canonical;
$ENV{PGOPTIONS} = '-c statement_timeout=20min -c client_min_messages=warning';
alarm(45 * 60);    # never hang CI

# psql(user, db, sql, @files): stdout, dies with stderr on failure.
sub psql
{
	my ($user, $dbname, $sql, @files) = @_;
	my @cmd = ('psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1',
		'-U', $user, '-d', $dbname);
	push @cmd, '-c', $sql if defined $sql;
	push @cmd, map { ('-f', $_) } @files;
	open(my $fh, '-|', @cmd) or die "psql: $!";
	local $/;
	my $out = <$fh> // '';
	close($fh) or die "psql failed ($?): @cmd\n";
	$out =~ s/\n\z//;
	return $out;
}

# Drops the database and the roles; retried for a while, since a crash in
# the test makes the server restart.
sub cleanup
{
	for my $try (1 .. 60)
	{
		return if eval {
			psql('postgres', 'postgres', "DROP DATABASE IF EXISTS $db WITH (FORCE)");
			psql('postgres', 'postgres', 'DROP ROLE IF EXISTS alice, bob');
			1;
		};
		sleep 5;
	}
	diag("could not drop database $db and roles alice, bob: $@");
	return;
}

cleanup();
END { local $?; cleanup(); }
psql('postgres', 'postgres', "CREATE DATABASE $db");
psql('postgres', $db, 'CREATE EXTENSION dataexport',
	map { "$root/demo/$_.sql" } qw(sample roles register));
pass('demo schema loaded');

my $payload = $json->encode(
	{
		query_type => 'Discover',
		query_info => {
			field => [ 'id', 'message' ],
			query => '',
			start => '2026-11-01T00:00:00',
			end => '2026-11-28T00:00:00',
			sort => 'id'
		}
	});
my $created = $json->decode(
	psql('alice', $db, "SELECT dataexport_create(\$p\$$payload\$p\$)"));
is($created->{state}, 'queued', 'alice creates a Discover export');
ok($created->{created}, 'the export is new');
my $id = $created->{id};

my $done = $json->decode(
	psql('alice', $db, "SELECT dataexport_wait($id, '15 min')"));
is($done->{state}, 'succeeded', 'the export succeeds')
  or diag(explain($done));
is($done->{rows}, 6, 'six rows');

my $hex = psql('alice', $db,
	"SELECT encode(lo_get((dataexport_details($id) ->> 'fileOid')::oid), 'hex')");
my $bytes = pack('H*', $hex);
my $expected = "id,message\r\n"
  . "1,ZeroDivisionError: division by zero\r\n"
  . "2,ZeroDivisionError: division by zero\r\n"
  . "3,ZeroDivisionError: division by zero\r\n"
  . "4,\"Slow query, \"\"users\"\" table\"\r\n"
  . "5,\"TypeError: undefined, is not a function\r\nat main.js:1\"\r\n"
  . "6,\xc3\x9cn\xc3\xafc\xc3\xb6d\xc3\xa9 \xe2\x80\x93 message \xe2\x9c\x93\r\n";
is($bytes, $expected, 'the file holds exactly the expected CSV');
is($done->{bytes}, length($expected), 'the record counts its bytes');
is($done->{checksum}, sha1_hex($bytes), 'the record holds the SHA-1 of the file');

# The same rows as Parquet (zstd pages: libzstd's memory under memcheck too);
# test/t/100_parquet.pl reads such files back with DuckDB and hyparquet.
my $pq = $json->decode($payload);
$pq->{format} = 'parquet';
$pq = $json->encode($pq);
$created = $json->decode(
	psql('alice', $db, "SELECT dataexport_create(\$p\$$pq\$p\$)"));
$done = $json->decode(
	psql('alice', $db, "SELECT dataexport_wait($created->{id}, '15 min')"));
is($done->{state}, 'succeeded', 'the Parquet export succeeds')
  or diag(explain($done));
is($done->{rows}, 6, 'six rows of Parquet');
$bytes = pack('H*', psql('alice', $db,
	"SELECT encode(lo_get((dataexport_details($created->{id}) ->> 'fileOid')::oid), 'hex')"));
is(substr($bytes, 0, 4) . substr($bytes, -4), 'PAR1PAR1', 'a Parquet file');
is($done->{checksum}, sha1_hex($bytes), 'the record holds the SHA-1 of the Parquet file');

cleanup();
is(psql('postgres', 'postgres',
	"SELECT count(*) FROM pg_database WHERE datname = '$db'"), '0', 'cleaned up');
done_testing();
