# "format": "parquet" (issue 10, point 1), verified by real readers: every
# Parquet export here is read by DuckDB (@duckdb/node-api) and by hyparquet,
# two independent implementations, through test/parquet/check.mjs, and every
# value is compared with the source rows as PostgreSQL gives them: NULLs,
# unicode, integer and float extremes, NaN and ±Infinity, timestamps before
# 1970 and after 2038 and ±infinity, dates, numerics with and without typmod,
# json, jsonb, uuid, booleans, arrays.  Also: zstd and gzip pages, several
# row groups (dataexport.parquet_row_group_size) and several pages per chunk,
# a Discover export whose Parquet columns and values equal its CSV export's,
# the record (file name, checksum, bytes), limits and truncation, zero rows,
# values Parquet cannot hold, and the refusal on a 0.1 schema.
#
# The readers are installed by "npm ci" in test/parquet (test/run_all.sh does
# it); without them this test fails rather than skips.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;
use Cwd ();
use Digest::SHA qw(sha1_hex);
use IPC::Run;
use JSON::PP;

my $readers = "$FindBin::RealBin/../parquet";
my $json = JSON::PP->new->canonical;
my $tmp = Cwd::abs_path(PostgreSQL::Test::Utils::tempdir);
my $nfile = 0;

if (!-d "$readers/node_modules/\@duckdb/node-api"
	|| !-d "$readers/node_modules/hyparquet"
	|| system('node --version >/dev/null 2>&1') != 0)
{
	fail('the Parquet readers are installed (node, and "npm ci" in test/parquet)');
	done_testing();
	exit;
}

my $node = start_node('parquet', <<'EOC', demo => 'postgres');
dataexport.max_workers = 2
dataexport.naptime = 2
EOC

# ---- helpers ----

# Creates the export, waits for it, and copies its file out; (record, path).
sub export_file
{
	my ($payload, %opts) = @_;
	my $exp = create_export($node, $payload, %opts);
	my $rec = wait_export($node, $exp->{id});
	my $path;
	if ($rec->{state} eq 'succeeded')
	{
		$path = "$tmp/export_" . $nfile++;
		$node->safe_psql('postgres',
			"SELECT lo_export($rec->{fileOid}, '$path')");
	}
	return ($rec, $path);
}

# The comparable text of a column, per kind (check.mjs's "expected").
sub canon_sql
{
	my ($col) = @_;
	my $c = $col->{name};
	return
	  "CASE WHEN isfinite($c) THEN (extract(epoch FROM $c) * 1000000)::numeric(40, 0)::text ELSE $c\::text END"
	  if $col->{kind} eq 'ts';
	return
	  "CASE WHEN isfinite($c) THEN ($c - DATE '1970-01-01')::text ELSE $c\::text END"
	  if $col->{kind} eq 'date';
	return "$c\::text";
}

# The expected rows of $query (ordered by its id column), as check.mjs wants them.
sub expected_rows
{
	my ($query, $cols) = @_;
	my $list = join(', ', map { canon_sql($_) } @$cols);
	return $json->decode(
		$node->safe_psql(
			'postgres',
			"SELECT coalesce(json_agg(json_build_array($list) ORDER BY id), '[]') FROM ($query) q"
		));
}

# Runs both readers (and the CSV comparison when $spec->{csv}); reader => result.
sub read_back
{
	my ($path, $spec) = @_;
	my $expfile = "$tmp/expected_" . $nfile++ . '.json';
	open(my $fh, '>', $expfile) or die $!;
	print $fh $json->encode($spec);
	close($fh);
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'node', "$readers/check.mjs", $path, $expfile ],
		'>', \$out, '2>', \$err);
	diag($err) if $err ne '';
	my %res;
	for my $line (split /\n/, $out)
	{
		next unless $line =~ /^\{/;
		my $r = $json->decode($line);
		$res{ $r->{reader} } = $r;
	}
	return \%res;
}

# Asserts that every reader agrees with every expected value.
sub readers_agree
{
	my ($res, $what, $nrows, $ncols, @readers) = @_;
	@readers = qw(duckdb hyparquet) unless @readers;
	for my $reader (@readers)
	{
		my $r = $res->{$reader};
		ok($r && $r->{ok}, "$what: $reader reads every value back")
		  or diag(explain($r));
		next unless $r;
		is($r->{rows}, $nrows, "$what: $reader reads $nrows rows");
		is($r->{values}, $nrows * $ncols,
			"$what: $reader compared $nrows x $ncols values");
		note("$what: $reader compared $r->{values} values, "
			  . "$r->{row_groups} row group(s), codec " . ($r->{codecs} // "none"))
		  if defined $r->{row_groups};
	}
}

sub file_bytes
{
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or die "$path: $!";
	local $/;
	my $data = <$fh>;
	close($fh);
	return $data;
}

# ---- every type, with its extremes ----

$node->safe_psql('postgres', <<'EOS');
CREATE TABLE public.pq_types (
  id int PRIMARY KEY, s smallint, i int, b bigint, r real, d double precision,
  t boolean, txt text, vc varchar(20), ts timestamptz, tsl timestamp, dt date,
  n52 numeric(5,2), n18 numeric(18,4), n38 numeric(38,10), nfree numeric,
  j json, jb jsonb, u uuid, arr int[], iv interval);
INSERT INTO public.pq_types VALUES
 (1, 32767, 2147483647, 9223372036854775807, 3.4028235e38, 1.7976931348623157e308, true,
  'héllo ☃ 😀 ﷽', 'x,"y"', '2100-01-01 00:00:00.123456+00', '1900-06-15 12:00:00.000001',
  '2040-02-29', 999.99, 99999999999999.9999, 9999999999999999999999999999.9999999999, 1e-30,
  '{"a": [1, 2.5, "x"]}', '{"b": null, "a": 1}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{1,2,NULL}', '1 year 2 mons 3 days 04:05:06.789'),
 (2, -32768, -2147483648, -9223372036854775808, -1.17549435e-38, 5e-324, false,
  '', '', '1969-12-31 23:59:59.999999+00', '0001-01-01 00:00:00', '1900-01-01',
  -999.99, -99999999999999.9999, -9999999999999999999999999999.9999999999, 'NaN',
  'null', '[]', '00000000-0000-0000-0000-000000000000', '{}', '-1 day'),
 (3, NULL, NULL, NULL, 'NaN', 'Infinity', NULL, NULL, NULL, 'infinity', '-infinity',
  'infinity', NULL, 0, -0.0000000001, 'Infinity', NULL, NULL, NULL, NULL, NULL),
 (4, 0, 0, 0, '-Infinity', '-0', true, E'tab\there\nnew line\r\n"quoted"', 'z',
  '-infinity', 'infinity', '-infinity', 0.01, -0.0001, 0,
  '-123456789012345678901234567890.123456789', '"str"', '"s"',
  'ffffffff-ffff-ffff-ffff-ffffffffffff', NULL, '0'),
 (5, 1, 1, 1, 0.1, 0.1, false, 'plain', 'v', '4713-01-01 00:00:00+00 BC',
  '294246-12-31 23:59:59.999999', '4713-01-01 BC', -0.5, 1.5, 1, 3.14, '{}',
  '{"k": "ü"}', 'deadbeef-0000-4000-8000-123456789abc', '{{1,2},{3,4}}', NULL),
 (6, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL),
 (7, -1, -1, -1, -0.0, 2.2250738585072014e-308, true, repeat('ab', 5000), 'w',
  '2038-01-19 03:14:08+00', '1970-01-01 00:00:00', '1970-01-01', 0, 0, 0, -0.0,
  '[1, {"x": "y"}]', '{"nested": {"deep": [true, false]}}',
  '11111111-2222-3333-4444-555555555555', '{-1}', '1 mon');
EOS

my @type_cols = (
	{ name => 'id', kind => 'int', duckdb => 'INTEGER' },
	{ name => 's', kind => 'int', duckdb => 'SMALLINT' },
	{ name => 'i', kind => 'int', duckdb => 'INTEGER' },
	{ name => 'b', kind => 'int', duckdb => 'BIGINT' },
	{ name => 'r', kind => 'float4', duckdb => 'FLOAT' },
	{ name => 'd', kind => 'float8', duckdb => 'DOUBLE' },
	{ name => 't', kind => 'bool', duckdb => 'BOOLEAN' },
	{ name => 'txt', kind => 'text', duckdb => 'VARCHAR' },
	{ name => 'vc', kind => 'text', duckdb => 'VARCHAR' },
	{ name => 'ts', kind => 'ts', duckdb => 'TIMESTAMP WITH TIME ZONE' },
	{ name => 'tsl', kind => 'ts', duckdb => 'TIMESTAMP' },
	{ name => 'dt', kind => 'date', duckdb => 'DATE' },
	{ name => 'n52', kind => 'decimal', duckdb => 'DECIMAL(5,2)', scale => 2 },
	{ name => 'n18', kind => 'decimal', duckdb => 'DECIMAL(18,4)', scale => 4 },
	{ name => 'n38', kind => 'decimal', duckdb => 'DECIMAL(38,10)', scale => 10 },
	{ name => 'nfree', kind => 'text', duckdb => 'VARCHAR' },
	{ name => 'j', kind => 'json', duckdb => 'JSON' },
	{ name => 'jb', kind => 'json', duckdb => 'JSON' },
	{ name => 'u', kind => 'uuid', duckdb => 'UUID' },
	{ name => 'arr', kind => 'text', duckdb => 'VARCHAR' },
	{ name => 'iv', kind => 'text', duckdb => 'VARCHAR' },);
my $types_sql = 'SELECT * FROM public.pq_types ORDER BY id';
my $types_rows = expected_rows($types_sql, \@type_cols);

for my $compression (qw(none gzip))
{
	my ($rec, $path) = export_file(
		sql_payload($types_sql, format => 'parquet', compression => $compression));
	is($rec->{state}, 'succeeded', "types, compression $compression: succeeded")
	  or diag(explain($rec));
	next unless $path;
	like($rec->{fileName}, qr/^SQL_\d{4}-[A-Za-z]+-\d\d_\d+\.parquet$/,
		"types, compression $compression: the file name ends .parquet");
	is($rec->{format}, 'parquet', 'format in the record');
	is($rec->{rows}, 7, 'rows in the record');
	my $data = file_bytes($path);
	is($rec->{bytes}, length($data), 'bytes: the stored file size');
	is($rec->{checksum}, sha1_hex($data), 'checksum: SHA-1 of the stored file');
	is(substr($data, 0, 4) . substr($data, -4), 'PAR1PAR1',
		'the file itself is Parquet, not wrapped in gzip');
	my $res = read_back($path, { columns => \@type_cols, rows => $types_rows });
	readers_agree($res, "types, compression $compression", 7, scalar @type_cols);
	my $codec = $compression eq 'gzip' ? 'GZIP' : 'ZSTD';
	is($res->{duckdb}{codecs}, $codec, "pages are $codec compressed (DuckDB)");
	is($res->{hyparquet}{codecs}, $codec, "pages are $codec compressed (hyparquet)");
}

# ---- several row groups, and several pages per chunk ----

$node->safe_psql('postgres', <<'EOS');
CREATE TABLE public.pq_many AS
SELECT g AS id,
       CASE WHEN g % 7 = 0 THEN NULL ELSE g::bigint * 1000003 - 5000000000 END AS big,
       CASE WHEN g % 11 = 0 THEN 'NaN'::float8 ELSE g / 3.0::float8 END AS dbl,
       CASE WHEN g % 5 = 0 THEN NULL ELSE 'row ' || g || ' ✓ ' || md5(g::text) END AS txt,
       timestamptz '1950-01-01 00:00:00+00' + g * interval '3 days 7 hours 11.000123 seconds' AS ts,
       date '1901-01-01' + g * 3 AS dt,
       (g * 12.345)::numeric(12,3) AS num,
       CASE g % 3 WHEN 0 THEN NULL WHEN 1 THEN true ELSE false END AS flag,
       md5(g::text)::uuid AS u,
       jsonb_build_object('g', g, 'even', g % 2 = 0) AS doc
FROM generate_series(1, 20000) g;
EOS
my @many_cols = (
	{ name => 'id', kind => 'int' },
	{ name => 'big', kind => 'int' },
	{ name => 'dbl', kind => 'float8' },
	{ name => 'txt', kind => 'text' },
	{ name => 'ts', kind => 'ts' },
	{ name => 'dt', kind => 'date' },
	{ name => 'num', kind => 'decimal', duckdb => 'DECIMAL(12,3)', scale => 3 },
	{ name => 'flag', kind => 'bool' },
	{ name => 'u', kind => 'uuid' },
	{ name => 'doc', kind => 'json' },);
my $many_sql = 'SELECT * FROM public.pq_many ORDER BY id';
my $many_rows = expected_rows($many_sql, \@many_cols);

ok(alter_system($node, 'dataexport.parquet_row_group_size', '64kB'),
	'row groups of 64 kB');
my ($rec, $path) =
  export_file(sql_payload($many_sql, format => 'parquet'));
is($rec->{state}, 'succeeded', 'many rows: succeeded') or diag(explain($rec));
# DuckDB answers these filters with the row groups' min/max and NULL counts
my @queries = map {
	[
		"SELECT count(*) FROM f WHERE $_",
		$node->safe_psql('postgres', "SELECT count(*) FROM public.pq_many WHERE $_")
	]
} (
	'id BETWEEN 5000 AND 5100',
	'big IS NULL',
	'big > 15000000000',
	"ts < TIMESTAMPTZ '1970-01-01 00:00:00+00'",
	"dt >= DATE '2040-01-01'",
	'num < 100.5',
	'flag IS NULL');
my $res = read_back($path,
	{ columns => \@many_cols, rows => $many_rows, queries => \@queries });
readers_agree($res, 'many rows, 64 kB row groups', 20000, scalar @many_cols);
is($res->{duckdb}{queries}, scalar @queries,
	'DuckDB filters over the row groups\' statistics count as PostgreSQL does');
is($res->{duckdb}{chunks_with_null_count}, $res->{duckdb}{chunks},
	'every column chunk has a NULL count (DuckDB)');
is($res->{duckdb}{chunks_with_min_max}, $res->{duckdb}{row_groups} * 5,
	'the integer, date, timestamp and decimal chunks have min and max (DuckDB)');
cmp_ok($res->{duckdb}{row_groups}, '>=', 5, 'several row groups (DuckDB)');
is($res->{hyparquet}{row_groups}, $res->{duckdb}{row_groups},
	'hyparquet sees the same row groups');
note("many rows: $res->{duckdb}{row_groups} row groups, $rec->{bytes} bytes");

# gzip pages over several row groups
($rec, $path) =
  export_file(sql_payload($many_sql, format => 'parquet', compression => 'gzip'));
$res = read_back($path, { columns => \@many_cols, rows => $many_rows });
readers_agree($res, 'many rows, gzip pages', 20000, scalar @many_cols);
cmp_ok($res->{hyparquet}{row_groups}, '>=', 5, 'several gzip row groups (hyparquet)');

ok(alter_system($node, 'dataexport.parquet_row_group_size', '64MB'),
	'row groups back to 64 MB');

# big text: chunks of more than one 1 MB page
my $pages_sql =
  "SELECT g AS id, repeat(md5(g::text), 40) AS txt FROM generate_series(1, 2000) g ORDER BY g";
my @pages_cols = ({ name => 'id', kind => 'int' }, { name => 'txt', kind => 'text' });
($rec, $path) = export_file(sql_payload($pages_sql, format => 'parquet'));
$res = read_back($path,
	{ columns => \@pages_cols, rows => expected_rows($pages_sql, \@pages_cols) });
readers_agree($res, 'big text', 2000, 2);
cmp_ok($res->{duckdb}{max_chunk_bytes}, '>', 2 * 1024 * 1024,
	'one column chunk spans several 1 MB pages');
is($res->{duckdb}{row_groups}, 1, 'in one row group');

# ---- a Discover export: the CSV's header and values ----

my $discover = discover_payload(
	query_info => {
		field => [ 'id', 'environment', 'tags[browser]', 'message' ],
		sort => 'id'
	});
my ($csv_rec, $csv_path) = export_file($discover, user => 'alice');
my $pq_payload = $json->decode($discover);
$pq_payload->{format} = 'parquet';
($rec, $path) = export_file($json->encode($pq_payload), user => 'alice');
is($rec->{state}, 'succeeded', 'Discover as alice: succeeded');
cmp_ok($rec->{rows}, '>', 0, 'Discover: rows');
is($rec->{rows}, $csv_rec->{rows}, 'Discover: as many rows as the CSV export');
$res = read_back($path, { columns => [], rows => [], readers => [], csv => $csv_path });
ok($res->{'duckdb-csv'} && $res->{'duckdb-csv'}{ok},
	'Discover: Parquet columns are the CSV header, and every value is the CSV\'s')
  or diag(explain($res));
is_deeply($res->{'duckdb-csv'}{columns},
	[ 'id', 'environment', 'tags[browser]', 'message' ], 'Discover: column names');
is($res->{'duckdb-csv'}{values}, $rec->{rows} * 4, 'Discover: every value compared');

# ---- limits ----

($rec, $path) = export_file(sql_payload($many_sql, format => 'parquet', limit => 7));
ok($rec->{truncated}, 'limit 7: truncated');
is($rec->{rows}, 7, 'limit 7: 7 rows');
$res = read_back($path,
	{ columns => \@many_cols, rows => [ @{$many_rows}[ 0 .. 6 ] ] });
readers_agree($res, 'limit 7', 7, scalar @many_cols);

ok(alter_system($node, 'dataexport.max_file_size', '64kB'), 'file size limit 64 kB');
($rec, $path) = export_file(sql_payload($many_sql, format => 'parquet'));
ok($rec->{truncated}, 'file size limit: truncated');
like($rec->{truncatedReason}, qr/file size limit of 65536 bytes/,
	'file size limit: the reason');
cmp_ok($rec->{rows}, '>', 100, 'file size limit: some rows');
cmp_ok($rec->{rows}, '<', 20000, 'file size limit: not all rows');
my $n = $rec->{rows};
$res = read_back($path,
	{ columns => \@many_cols, rows => [ @{$many_rows}[ 0 .. $n - 1 ] ] });
readers_agree($res, 'file size limit', $n, scalar @many_cols);
ok(alter_system($node, 'dataexport.max_file_size', '1GB'), 'file size limit back');

# ---- zero rows ----

($rec, $path) = export_file(
	sql_payload('SELECT * FROM public.pq_types WHERE false', format => 'parquet'));
is($rec->{state}, 'succeeded', 'zero rows: succeeded');
is($rec->{rows}, 0, 'zero rows: 0 rows');
$res = read_back($path, { columns => \@type_cols, rows => [] });
readers_agree($res, 'zero rows', 0, scalar @type_cols);

# ---- what Parquet cannot hold fails the export, clearly ----

($rec, $path) = export_file(
	sql_payload(q{SELECT 1 AS id, 'NaN'::numeric(5,2) AS n}, format => 'parquet'));
is($rec->{state}, 'failed', 'NaN in a DECIMAL column: failed');
like($rec->{errorDetail}, qr/NaN.*DECIMAL\(5, 2\) column "n"/,
	'NaN in a DECIMAL column: the detail says why');
($rec, $path) = export_file(
	sql_payload(q{SELECT timestamp '294270-01-01' AS far}, format => 'parquet'));
is($rec->{state}, 'failed', 'a timestamp past int64 microseconds: failed');
like($rec->{errorDetail}, qr/timestamp out of range for Parquet column "far"/,
	'a timestamp past int64 microseconds: the detail says why');
($rec, $path) = export_file(sql_payload('SELECT', format => 'parquet'));
is($rec->{state}, 'failed', 'no columns: failed');
like($rec->{errorDetail}, qr/a Parquet file needs at least one column/,
	'no columns: the detail says why');

# ---- a LATIN1 database: names and text become UTF-8 ----

$node->safe_psql('postgres',
	"CREATE DATABASE latin TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'");
$node->safe_psql('latin', 'CREATE EXTENSION dataexport');
# (Unicode escapes: the SQL text itself stays ASCII on its way through psql)
my $latin_sql = q{SELECT 1 AS id, U&'h\00E9llo \00BD' AS U&"na\00EFve"};
my $latin = $json->decode(
	$node->safe_psql(
		'latin',
		"SELECT dataexport_create(\$p\$"
		  . sql_payload($latin_sql, format => 'parquet')
		  . "\$p\$)"));
$latin = $json->decode($node->safe_psql('latin',
	"SELECT dataexport_wait($latin->{id}, '60 s')"));
is($latin->{state}, 'succeeded', 'LATIN1 database: succeeded');
$path = "$tmp/latin.parquet";
$node->safe_psql('latin', "SELECT lo_export($latin->{fileOid}, '$path')");
$res = read_back(
	$path,
	{
		columns => [
			{ name => 'id', kind => 'int' },
			{ name => "na\xc3\xafve", kind => 'text', duckdb => 'VARCHAR' }
		],
		rows => [ [ '1', "h\xc3\xa9llo \xc2\xbd" ] ]
	});
readers_agree($res, 'LATIN1 database', 1, 2);

# ---- a 0.1 schema refuses parquet ----

$node->safe_psql('postgres', 'CREATE DATABASE old');
$node->safe_psql('old', q{CREATE EXTENSION dataexport VERSION '0.1'});
my ($ret, $out, $err) = $node->psql('old',
	"\\set VERBOSITY verbose\nSELECT dataexport_create('"
	  . sql_payload('SELECT 1 AS x', format => 'parquet') . "')");
isnt($ret, 0, '0.1 schema: parquet refused');
like($err, qr/ERROR:  55000: "format": "parquet" needs version 0.2 of extension "dataexport"/,
	'0.1 schema: 55000 and the reason');
like($err, qr/HINT:  Run ALTER EXTENSION dataexport UPDATE/, '0.1 schema: the hint');
is($node->safe_psql('old', 'SELECT count(*) FROM dataexport.export'),
	'0', '0.1 schema: nothing created');

$node->stop;
done_testing();
