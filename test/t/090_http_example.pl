# The reference HTTP service (examples/http/server.py), driven over HTTP:
#  - Sentry's two endpoints: POST .../data-export/ answers 201 with the record
#    (the user as the application knows them), 200 for an identical unfinished
#    export of the same user, per user although every user is the same
#    database role (dataexport.forward_settings = app.user_id);
#  - 400 {"detail": <Sentry's message>} on validation errors, 403 on a project
#    the user cannot see or an organization they are not in, 401 without a
#    valid token, 404 for another user's, a missing or a malformed id, and
#    for everything while dataexport.enabled is off (Sentry's feature flag);
#  - details, and ?download streaming the large object byte for byte with
#    Content-Type by format/compression, Content-Length and
#    Content-Disposition: attachment; filename="<fileName>";
#  - a 1M-row file (about 95 MB) downloads with the service's resident memory
#    staying within a bound far below the file's size.
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

# One worker slot, so a long export keeps the others queued (dedupe needs
# an unfinished export).
my $node = start_node('http_example', "dataexport.max_workers = 1\n",
	demo => 'postgres');
$node->safe_psql('postgres', slurp_file("$root/examples/http/schema.sql"));

# ---- the service, a child process on a free loopback port ----
my ($base, $pid, $service) = start_http_service($node, $python, 'http_example');

my $http = HTTP::Tiny->new(timeout => 120, keep_alive => 1);

# (response, decoded JSON body or undef) of $method on $path; %o: token,
# body (a reference is sent as JSON, a string as is), data_callback.
sub api
{
	my ($method, $path, %o) = @_;
	my %headers;
	$headers{Authorization} = "Bearer $o{token}" if defined $o{token};
	my %args = (headers => \%headers);
	if (defined $o{body})
	{
		$args{content} = ref $o{body} ? $json->encode($o{body}) : $o{body};
		$headers{'Content-Type'} = 'application/json';
	}
	$args{data_callback} = $o{data_callback} if $o{data_callback};
	my $r = $http->request($method, "$base/api/0/organizations/$path", \%args);
	die "HTTP client: $r->{content}" if $r->{status} == 599;
	my $data;
	$data = $json->decode($r->{content})
	  if ($r->{headers}{'content-type'} // '') eq 'application/json';
	return ($r, $data);
}

sub discover
{
	my (%info) = @_;
	return {
		query_type => 'Discover',
		query_info => {
			field => [ 'id', 'message' ],
			query => '',
			start => '2026-11-01T00:00:00',
			end => '2026-11-28T00:00:00',
			sort => 'id',
			%info
		}
	};
}

# ---- identity and organization ----
my ($r, $d) = api(POST => 'acme/data-export/', body => discover());
is($r->{status}, 401, 'no token: 401');
is_deeply($d, { detail => 'Authentication credentials were not provided.' },
	'no token: DRF\'s detail');
is($r->{headers}{'www-authenticate'}, 'Bearer realm="api"', '401 names the scheme');
($r, $d) = api(POST => 'acme/data-export/', token => 'nope', body => discover());
is_deeply([ $r->{status}, $d ], [ 401, { detail => 'Invalid token' } ],
	'unknown token: 401 Invalid token');
($r, $d) = api(POST => 'nosuch/data-export/', token => 'alice-token', body => discover());
is($r->{status}, 404, 'unknown organization: 404');
($r, $d) = api(POST => 'acme/data-export/', token => 'bob-token', body => discover());
is_deeply([ $r->{status}, $d ],
	[ 403, { detail => 'You do not have permission to perform this action.' } ],
	'an organization the user is not in: 403');

# ---- create and dedupe, while a long export holds the only worker ----
my $sleeper = create_export($node, sql_payload('SELECT pg_sleep(600)'));
ok(wait_worker($node, $sleeper->{id}), 'a long export occupies the worker');

($r, $d) = api(POST => 'acme/data-export/', token => 'alice-token', body => discover());
is($r->{status}, 201, 'create: 201');
is($r->{headers}{'content-type'}, 'application/json', 'create: JSON');
my $id = $d->{id};
is_deeply($d->{user},
	{ id => '1001', email => 'alice@example.com', username => 'alice' },
	'create: the user is the token\'s application user');
is_deeply([ @$d{qw(status state dateFinished checksum fileName)} ],
	[ 'EARLY', 'queued', undef, undef, undef ], 'create: an EARLY record');
is_deeply($d->{query}{info}{project}, [ 1, 2 ], 'create: default projects of the organization');
ok(!exists $d->{created}, 'create: "created" became the status code');

($r, my $again) = api(POST => 'acme/data-export/', token => 'alice-token', body => discover());
is($r->{status}, 200, 'identical unfinished request: 200');
is_deeply([ $again->{id}, $again->{dateCreated} ], [ $id, $d->{dateCreated} ],
	'identical unfinished request: the same export');
($r, $again) = api(POST => '1/data-export/', token => 'alice-token', body => discover());
is_deeply([ $r->{status}, $again->{id} ], [ 200, $id ],
	'the organization by id is the same organization');
($r, my $carol) = api(POST => 'acme/data-export/', token => 'carol-token', body => discover());
is($r->{status}, 201, 'the same request by another user of the same role: 201');
isnt($carol->{id}, $id, 'another user: another export');
is($carol->{user}{id}, '1003', 'another user: their id');

($r, $d) = api(GET => "acme/data-export/$id/?download=true", token => 'alice-token');
is_deeply([ $r->{status}, $d->{id}, $d->{status} ], [ 200, $id, 'EARLY' ],
	'download of an unfinished export: the record (Sentry ignores download without a file)');

# ---- validation: 400 with Sentry's messages, 403 for projects ----
my @bad = (
	[ discover(field => []), 'at least one field is required to export' ],
	[
		discover(field => [ ('id') x 21 ]),
		'You can export up to 20 fields at a time. Please delete some and try again.'
	],
	[ discover(statsPeriod => 'shrug', start => undef, end => undef),
		"Invalid statsPeriod: 'shrug'" ],
	[ discover(end => 'shrug'), 'shrug is not a valid ISO8601 date query' ],
	[ discover(query => 'foo:'), "Empty string after 'foo:'" ],
	[ discover(field => ['min()']), 'min: expected 1 argument(s) but got 0 argument(s)' ],
	[ { query_info => {} }, 'query_type: This field is required.' ],
	[ '{"query_type": ', undef ],
	[ '[1]', 'Invalid data. Expected a dictionary, but got list.' ],);
delete @{ $bad[2][0]{query_info} }{qw(start end)};
for my $case (@bad)
{
	my ($body, $detail) = @$case;
	($r, $d) = api(POST => 'acme/data-export/', token => 'alice-token', body => $body);
	is($r->{status}, 400, '400: ' . ($detail // 'malformed JSON'));
	if (defined $detail) { is_deeply($d, { detail => $detail }, "detail: $detail"); }
	else { like($d->{detail}, qr/^JSON parse error - /, 'detail: JSON parse error'); }
}
($r, $d) = api(POST => 'acme/data-export/?environment=nope', token => 'alice-token',
	body => discover());
is_deeply([ $r->{status}, $d ], [ 400, { detail => 'Requested environment does not exist' } ],
	'unknown environment in the query string: 400');
($r, $d) = api(POST => 'acme/data-export/', token => 'alice-token',
	body => discover(project => [3]));
is_deeply([ $r->{status}, $d ],
	[ 403, { detail => 'You do not have permission to perform this action.' } ],
	'a project of another organization: 403');

# ---- the export runs; details and download ----
$node->safe_psql('postgres', "SELECT dataexport_cancel($sleeper->{id})");
is(wait_export($node, $id)->{state}, 'succeeded', 'the export ran');
($r, $d) = api(GET => "acme/data-export/$id/", token => 'alice-token');
is_deeply([ $r->{status}, $d->{status}, $d->{user}{username} ], [ 200, 'VALID', 'alice' ],
	'details: 200 VALID');
like($d->{fileName}, qr/^Discover_\d{4}-[A-Z][a-z]+-\d\d_$id\.csv$/, 'details: the file name');
ok(!exists $d->{fileOid} && !exists $d->{errorDetail},
	'details: no large object OID, no PostgreSQL error text');
my %rec = %$d;
my $lo = pack('H*', $node->safe_psql('postgres',
	"SELECT encode(lo_get(file_oid), 'hex') FROM dataexport.export WHERE id = $id"));

($r, $d) = api(GET => "acme/data-export/$id/?download=true", token => 'alice-token');
is($r->{status}, 200, 'download: 200');
is($r->{headers}{'content-type'}, 'text/csv', 'download: text/csv');
is($r->{headers}{'content-disposition'}, qq{attachment; filename="$rec{fileName}"},
	'download: attachment with the file name');
is($r->{headers}{'content-length'}, $rec{bytes}, 'download: Content-Length');
ok($r->{content} eq $lo, 'download: the bytes of the large object');
is(Digest::SHA::sha1_hex($r->{content}), $rec{checksum}, 'download: the checksum');
my $head = "id,message\r\n1,ZeroDivisionError: division by zero\r\n"
  . "2,ZeroDivisionError: division by zero\r\n";
is(substr($r->{content}, 0, length $head), $head, 'download: the CSV');
($r, $d) = api(GET => "acme/data-export/$id/?download", token => 'alice-token');
ok($r->{status} == 200 && $r->{content} eq $lo,
	'?download without a value streams too (Sentry tests for presence)');

# ---- who may see it ----
($r, $d) = api(GET => "acme/data-export/$id/", token => 'carol-token');
is_deeply([ $r->{status}, $r->{content} ], [ 404, '' ],
	'another user of the same organization and role: 404');
($r, $d) = api(GET => "acme/data-export/$id/?download=true", token => 'carol-token');
is($r->{status}, 404, 'another user cannot download it');
($r, $d) = api(GET => "globex/data-export/$id/", token => 'bob-token');
is($r->{status}, 404, 'through another organization: 404');
($r, $d) = api(GET => "acme/data-export/$id/", token => 'bob-token');
is($r->{status}, 403, 'a user outside the organization: 403');
($r, $d) = api(GET => 'acme/data-export/999999/', token => 'alice-token');
is($r->{status}, 404, 'a missing id: 404');
($r, $d) = api(GET => 'acme/data-export/abc/', token => 'alice-token');
is($r->{status}, 404, 'a malformed id: 404');
($r, $d) = api(GET => "acme/data-export/$id/", token => 'nope');
is($r->{status}, 401, 'details without a valid token: 401');

$node->safe_psql('postgres',
	"DELETE FROM http_example.project_members WHERE user_id = '1001' AND project_id = 2");
($r, $d) = api(GET => "acme/data-export/$id/?download=true", token => 'alice-token');
is_deeply([ $r->{status}, $d ],
	[ 403,
		{ detail => "You don't have permissions to view some of the data this export contains." } ],
	'a user who lost a project of the export: 403, no file');
$node->safe_psql('postgres', "INSERT INTO http_example.project_members VALUES (2, '1001')");

# ---- content types by format and compression ----
for my $case ([ 'jsonl', 'none', 'application/x-ndjson', qr/_\d+\.jsonl"$/ ],
	[ 'jsonl', 'gzip', 'application/gzip', qr/_\d+\.jsonl\.gz"$/ ])
{
	my ($format, $compression, $type, $name) = @$case;
	($r, $d) = api(POST => 'acme/data-export/', token => 'alice-token',
		body => { %{ discover() }, format => $format, compression => $compression });
	is($r->{status}, 201, "create $format/$compression");
	my $rec = wait_export($node, $d->{id});
	($r, $d) = api(GET => "acme/data-export/$rec->{id}/?download=true", token => 'alice-token');
	is($r->{headers}{'content-type'}, $type, "$format/$compression: $type");
	like($r->{headers}{'content-disposition'}, $name, "$format/$compression: the file name");
	is(Digest::SHA::sha1_hex($r->{content}), $rec->{checksum}, "$format/$compression: the bytes");
}

# ---- dataexport.enabled = off is Sentry's missing feature flag: 404 ----
ok(alter_system($node, 'dataexport.enabled', 'off'), 'feature off');
($r, $d) = api(POST => 'acme/data-export/', token => 'alice-token',
	body => discover(query => 'x'));
is($r->{status}, 404, 'feature off: create 404');
($r, $d) = api(GET => "acme/data-export/$id/", token => 'alice-token');
is($r->{status}, 404, 'feature off: details 404');
ok(alter_system($node, 'dataexport.enabled', 'on'), 'feature on');

# ---- a 1M-row file, memory flat ----
$node->safe_psql('postgres', q{
	INSERT INTO app.events (project_id, group_id, "timestamp", environment, message)
	SELECT 1, 100, timestamptz '2026-10-01 00:00:00+00' + i * interval '10 ms', 'prod',
	       repeat('m', 80) || i
	FROM generate_series(1, 1000000) i});
($r, $d) = api(POST => 'acme/data-export/', token => 'alice-token',
	body => discover(start => '2026-10-01T00:00:00', end => '2026-10-02T00:00:00'));
is($r->{status}, 201, '1M rows: created');
my $big = wait_export($node, $d->{id}, '5 min');
is_deeply([ $big->{state}, $big->{rows} ], [ 'succeeded', 1_000_000 ], '1M rows: exported');

sub kb
{
	my ($field) = @_;
	my ($kb) = slurp_file("/proc/$pid/status") =~ /^$field:\s+(\d+) kB/m;
	return $kb;
}
my $before = kb('VmRSS');
my ($bytes, $peak, $next) = (0, $before, 0);
my $sha = Digest::SHA->new(1);
($r, $d) = api(
	GET => "acme/data-export/$big->{id}/?download=true",
	token => 'alice-token',
	data_callback => sub {
		$sha->add($_[0]);
		$bytes += length $_[0];
		if ($bytes >= $next)
		{
			my $rss = kb('VmRSS');
			$peak = $rss if $rss > $peak;
			$next = $bytes + 1024 * 1024;
		}
	});
# VmHWM is the kernel's high-water mark; it can lag the samples a little.
my $hwm = kb('VmHWM');
$hwm = $peak if $peak > $hwm;
is($r->{status}, 200, '1M rows: downloaded');
is_deeply([ $bytes, $r->{headers}{'content-length'} ], [ $big->{bytes}, $big->{bytes} ],
	"1M rows: all $big->{bytes} bytes");
is($sha->hexdigest, $big->{checksum}, '1M rows: the bytes of the large object');
my $file_kb = int($big->{bytes} / 1024);
note("1M rows: file $file_kb kB; service RSS before $before kB, "
	  . "peak sampled every MB $peak kB, high-water mark $hwm kB");
cmp_ok($hwm - $before, '<', 16 * 1024,
	"1M rows: the service's memory stays flat (high-water mark $hwm kB, "
	  . "RSS before $before kB, file $file_kb kB)");
cmp_ok($hwm, '<', $file_kb / 2, '1M rows: the service never held a large part of the file');

$service->signal('TERM');
$service->finish;
done_testing();
