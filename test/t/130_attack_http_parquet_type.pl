# Attack (examples/http/server.py): a Parquet export's compression names
# its page codec (gzip or zstd pages), the file itself is never wrapped: it
# starts and ends with "PAR1" and its name ends ".parquet".  The service
# chose the Content-Type from the compression first, so a Parquet file with
# "compression": "gzip" was served as application/gzip (and zstd as
# application/zstd): a client that goes by the type gunzips a Parquet file.
use strict;
use warnings FATAL => 'all';

use Cwd qw(abs_path);
use Digest::SHA;
use HTTP::Tiny;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;
use Time::HiRes qw(time usleep);

my $python = '/usr/bin/python3';
plan skip_all => "$python with Debian's python3-psycopg is needed"
  unless system($python, '-c', 'import psycopg') == 0;

my $root = abs_path("$FindBin::RealBin/../..");
my $json = JSON::PP->new->canonical;

my $node = start_node('attack_http_parquet', "dataexport.max_workers = 1\n",
	demo => 'postgres');
$node->safe_psql('postgres', slurp_file("$root/examples/http/schema.sql"));

my ($base, undef, $service) = start_http_service($node, $python, 'attack_http_parquet');
my $http = HTTP::Tiny->new(timeout => 60);

sub api
{
	my ($method, $path, $body) = @_;
	my %args = (headers => { Authorization => 'Bearer alice-token' });
	if (defined $body)
	{
		$args{content} = $json->encode($body);
		$args{headers}{'Content-Type'} = 'application/json';
	}
	my $r = $http->request($method, "$base/api/0/organizations/$path", \%args);
	die "HTTP client: $r->{content}" if $r->{status} == 599;
	return $r;
}

for my $compression ('none', 'gzip', 'zstd')
{
	my $r = api(POST => 'acme/data-export/', {
		query_type => 'Discover',
		format => 'parquet',
		compression => $compression,
		query_info => {
			field => [ 'id', 'message' ],
			query => '',
			start => '2026-11-01T00:00:00',
			end => '2026-11-28T00:00:00',
			sort => 'id'
		}
	});
	is($r->{status}, 201, "create parquet/$compression");
	my $rec = wait_export($node, $json->decode($r->{content})->{id});
	is($rec->{state}, 'succeeded', "parquet/$compression: succeeded");
	$r = api(GET => "acme/data-export/$rec->{id}/?download=true");
	is($r->{status}, 200, "parquet/$compression: downloaded");
	is(substr($r->{content}, 0, 4) . substr($r->{content}, -4), 'PAR1PAR1',
		"parquet/$compression: the bytes are a Parquet file, not a $compression stream");
	is(Digest::SHA::sha1_hex($r->{content}), $rec->{checksum},
		"parquet/$compression: the stored bytes");
	like($r->{headers}{'content-disposition'}, qr/_\d+\.parquet"$/,
		"parquet/$compression: the file name");
	is($r->{headers}{'content-type'}, 'application/vnd.apache.parquet',
		"parquet/$compression: served as Parquet");
}

$service->kill_kill;
$node->stop;
done_testing();
