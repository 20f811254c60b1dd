# The upgrade path 0.1 -> 0.2 (issue 10, point 5), on a live database:
#  - CREATE EXTENSION dataexport VERSION '0.1' with today's library: the
#    library serves the 0.1 objects (create, details, wait, cancel, list,
#    my_exports, progress work as 0.1 had them; the state between a package
#    upgrade and ALTER EXTENSION UPDATE) and refuses a 0.2 feature with
#    55000 and a hint to run the update;
#  - exports of two non-superusers: succeeded, failed, cancelled, one running
#    (held by an advisory lock) and one queued behind it (max_workers = 1);
#  - ALTER EXTENSION dataexport UPDATE while they are running and queued;
#  - after it: every old record and file is still its owner's (details,
#    fileOid, the large object's bytes and SHA-1 checksum) and hidden from
#    the other tenant with the very error a missing id gets; the running and
#    the queued export complete; 0.2 features work (dataexport_stats; zstd
#    once the library has it);
#  - the catalog after the update equals a fresh CREATE EXTENSION (0.2) in
#    another database: functions (definition, volatility, strictness,
#    security, settings, ACL, comment), views, tables, columns, constraints,
#    indexes, triggers, sequences, ACLs and initial privileges, comments,
#    config-dump registrations, \dx+ dataexport and pg_dump --schema-only
#    --binary-upgrade (the dump that lists extension members) of them.
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
my $root = "$FindBin::RealBin/../..";

my $node = start_node('upgrade', <<'EOC');
dataexport.max_workers = 1
dataexport.naptime = 2
dataexport.retry_delay = 200
EOC

# ---- 0.1, as it was released, with the demo schema ----
$node->safe_psql('postgres', "CREATE EXTENSION dataexport VERSION '0.1'");
$node->safe_psql('postgres', slurp_file("$root/demo/$_.sql"))
  for qw(sample roles register);
is( $node->safe_psql('postgres',
		"SELECT extversion FROM pg_extension WHERE extname = 'dataexport'"),
	'0.1',
	'version 0.1 installed');
$node->safe_psql('postgres', q{
	CREATE ROLE exporters;
	GRANT exporters TO alice, bob;
	ALTER ROLE alice SET dataexport.sql_role = 'exporters';
	ALTER ROLE bob SET dataexport.sql_role = 'exporters';});

# psql as $user; returns (stdout, stderr with SQLSTATEs).
sub try_as
{
	my ($user, $sql, $db) = @_;
	my ($out, $err) = ('', '');
	$node->psql($db // 'postgres', "\\set VERBOSITY verbose\n$sql",
		stdout => \$out, stderr => \$err,
		connstr => user_connstr($node, $user, $db));
	return ($out, $err);
}

sub json_as
{
	my ($user, $sql) = @_;
	return $json->decode(psql_as($node, $user, $sql));
}

sub file_hex
{
	my ($oid) = @_;
	return $node->safe_psql('postgres', "SELECT encode(lo_get($oid), 'hex')");
}

# ---- the library on the 0.1 schema: every 0.1 door ----
my $succeeded = create_export($node, discover_payload(), user => 'alice');
is($succeeded->{state}, 'queued', '0.1 schema: create queues an export');
$succeeded = json_as('alice', "SELECT dataexport_wait($succeeded->{id}, '60 s')");
is($succeeded->{state}, 'succeeded', '0.1 schema: it succeeds (wait)');
like($succeeded->{fileOid}, qr/^\d+$/, '0.1 schema: it has a file');
is_deeply(json_as('alice', "SELECT dataexport_details($succeeded->{id})"),
	$succeeded, '0.1 schema: details returns the record');

my $failed = create_export($node,
	sql_payload('SELECT 1 / (random() * 0)::int AS boom'), user => 'bob');
$failed = json_as('bob', "SELECT dataexport_wait($failed->{id}, '60 s')");
is($failed->{state}, 'failed', '0.1 schema: a failing export fails');

my $cancelled = json_as('alice', q{
	SELECT dataexport_cancel((dataexport_create('{"query_type": "SQL",
		"query_info": {"sql": "SELECT 3 AS three"}}') ->> 'id')::bigint)});
is($cancelled->{state}, 'cancelled', '0.1 schema: cancel');

is( psql_as($node, 'alice',
		'SELECT string_agg(id::text, \',\' ORDER BY id) FROM dataexport_my_exports'),
	"$succeeded->{id},$cancelled->{id}",
	'0.1 schema: list and dataexport_my_exports show alice her own exports');

# a 0.2 feature is refused, even through a hand-made function
$node->safe_psql('postgres', q{
	CREATE FUNCTION upgrade_probe(period interval,
	    OUT database name, OUT query_type text,
	    OUT queued bigint, OUT running bigint, OUT succeeded bigint, OUT failed bigint,
	    OUT cancelled bigint, OUT expired bigint,
	    OUT retries bigint, OUT lost_workers bigint, OUT oldest_queued interval,
	    OUT since timestamptz, OUT finished_recent bigint, OUT failed_recent bigint,
	    OUT queue_wait_p50 interval, OUT queue_wait_p95 interval,
	    OUT run_time_p50 interval, OUT run_time_p95 interval,
	    OUT bytes_written bigint, OUT bytes_written_recent bigint, OUT storage_bytes bigint)
	RETURNS SETOF record AS 'dataexport', 'dataexport_stats' LANGUAGE C STRICT;});
my ($out, $err) = try_as('postgres', "SELECT * FROM upgrade_probe('1 day')");
like($err, qr/ERROR:  55000: dataexport_stats needs version 0\.2 of extension "dataexport"/,
	'0.1 schema: dataexport_stats refused with 55000');
like($err, qr/HINT:  Run ALTER EXTENSION dataexport UPDATE\./, '... with the hint');

# zstd: refused on 0.1 with 55000 once the library has it
my $zstd = $json->encode({ query_type => 'SQL', query_info => { sql => 'SELECT 5 AS five' },
		compression => 'zstd' });
($out, $err) = try_as('alice', "SELECT dataexport_create('$zstd')");
my $has_zstd = $err !~ /compression: "zstd" is not a valid choice/;
SKIP:
{
	skip 'this library has no zstd yet', 1 unless $has_zstd;
	like($err, qr/ERROR:  55000: .*needs version 0\.2/, '0.1 schema: zstd refused with 55000');
}

# ---- one export running (held by an advisory lock), one queued behind it ----
my $gate = $node->background_psql('postgres');
$gate->query_safe('SELECT pg_advisory_lock(7060)');
my $running = create_export($node,
	sql_payload('SELECT 6 AS six, pg_advisory_xact_lock_shared(7060)::text AS gate'),
	user => 'alice');
ok(wait_worker($node, $running->{id}), 'export running in the only worker slot');
my $queued = create_export($node, sql_payload('SELECT 7 AS seven'), user => 'bob');
is(state_of($node, $queued->{id}), 'queued', 'the next export is queued');

my %file = ($succeeded->{id} => file_hex($succeeded->{fileOid}));
is(sha1_hex(pack('H*', $file{ $succeeded->{id} })), $succeeded->{checksum},
	'the checksum is the SHA-1 of the file');

# ---- the update, while one export runs and one is queued ----
$node->safe_psql('postgres', 'ALTER EXTENSION dataexport UPDATE');
is( $node->safe_psql('postgres',
		"SELECT extversion FROM pg_extension WHERE extname = 'dataexport'"),
	'0.2',
	'updated to 0.2');
is(state_of($node, $queued->{id}), 'queued', 'the queued export is still queued');
is(state_of($node, $running->{id}), 'running', 'the running export is still running');

# ---- old records and files: still their owners', hidden from others ----
my $after = json_as('alice', "SELECT dataexport_details($succeeded->{id})");
is($after->{$_}, $succeeded->{$_}, "succeeded export: $_ unchanged")
  for qw(id state status fileOid fileName checksum rows bytes dateCreated dateFinished dateExpired);
is(psql_as($node, 'alice', "SELECT encode(lo_get($succeeded->{fileOid}), 'hex')"),
	$file{ $succeeded->{id} }, 'alice still reads her file, byte for byte');
is(json_as('bob', "SELECT dataexport_details($failed->{id})")->{error},
	$failed->{error}, 'bob still sees his failed export and its error');
is(json_as('alice', "SELECT dataexport_details($cancelled->{id})")->{state},
	'cancelled', 'alice still sees her cancelled export');

# another tenant gets exactly what a missing id gets
my $missing = 999999;
my (undef, $err_missing) = try_as('bob', "SELECT dataexport_details($missing)");
for my $case ([ 'bob', $succeeded->{id} ], [ 'bob', $cancelled->{id} ], [ 'alice', $failed->{id} ])
{
	my ($user, $id) = @$case;
	my (undef, $e) = try_as($user, "SELECT dataexport_details($id)");
	(my $norm = $e) =~ s/data export $id /data export N /g;
	(my $want = $err_missing) =~ s/data export $missing /data export N /g;
	is($norm, $want, "$user: export $id looks missing (42704), as an unknown id does");
	like($e, qr/ERROR:  42704: data export $id does not exist/, '... SQLSTATE 42704');
}
(undef, $err) = try_as('bob', "SELECT lo_get($succeeded->{fileOid})");
like($err, qr/ERROR:  42501: permission denied for large object/, "bob cannot read alice's file");

# ---- the running and the queued export complete under 0.2 ----
$gate->query_safe('SELECT pg_advisory_unlock(7060)');
$gate->quit;
my $r = json_as('alice', "SELECT dataexport_wait($running->{id}, '60 s')");
is($r->{state}, 'succeeded', 'the export running across the update succeeds');
is(pack('H*', file_hex($r->{fileOid})), "six,gate\r\n6,\"\"\r\n", '... with its file');
my $q = json_as('bob', "SELECT dataexport_wait($queued->{id}, '60 s')");
is($q->{state}, 'succeeded', 'the export queued across the update succeeds');
is(pack('H*', file_hex($q->{fileOid})), "seven\r\n7\r\n", '... with its file');
is(sha1_hex(pack('H*', file_hex($q->{fileOid}))), $q->{checksum}, '... and its checksum');

is( $node->safe_psql('postgres',
		"SELECT string_agg((date_ended IS NOT NULL)::text, ',' ORDER BY id) FROM dataexport.export "
		  . "WHERE id IN ($running->{id}, $queued->{id})"),
	'true,true', 'both have their end stamped by the 0.2 trigger');
is( $node->safe_psql('postgres',
		"SELECT date_ended = date_finished FROM dataexport.export WHERE id = $succeeded->{id}"),
	't', "the update gave the old succeeded export its end time");

# ---- 0.2 features work ----
$node->safe_psql('postgres',
	'GRANT EXECUTE ON FUNCTION dataexport_stats(interval) TO alice, bob');
is( psql_as($node, 'alice',
		'SELECT query_type, succeeded, failed, cancelled FROM dataexport_stats ORDER BY 1'),
	"Discover|1|0|0\nSQL|1|0|1",
	'dataexport_stats: alice sees her own exports');
is( $node->safe_psql('postgres',
		'SELECT query_type, succeeded, failed, cancelled FROM dataexport_stats ORDER BY 1'),
	"Discover|1|0|0\nSQL|2|1|1",
	'dataexport_stats: the superuser sees every export of the database');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM upgrade_probe('1 day')"),
	'2', 'the same C function works through any definition on 0.2');
$node->safe_psql('postgres', 'DROP FUNCTION upgrade_probe(interval)');
SKIP:
{
	skip 'this library has no zstd yet', 1 unless $has_zstd;
	my $z = json_as('alice', "SELECT dataexport_create('$zstd')");
	is(json_as('alice', "SELECT dataexport_wait($z->{id}, '60 s')")->{state},
		'succeeded', '0.2 schema: a zstd export succeeds');
}
my $new = create_export($node, discover_payload(format => 'jsonl'), user => 'alice');
is(json_as('alice', "SELECT dataexport_wait($new->{id}, '60 s')")->{state},
	'succeeded', 'a new export after the update succeeds');

# ---- the catalog after the update equals a fresh 0.2 install ----
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION dataexport');
# the DBA's own grants, as in the updated database: demo/register.sql's
# GRANT statements and the one above
my @grants = slurp_file("$root/demo/register.sql") =~ /^(GRANT\b[^;]*;)/mg;
ok(@grants > 0, "demo/register.sql's grants replayed in the fresh database");
$node->safe_psql('fresh', join("\n", @grants,
	'GRANT EXECUTE ON FUNCTION dataexport_stats(interval) TO alice, bob;',
	# what the update gave the roles that may create (demo/register.sql's DO block)
	'GRANT EXECUTE ON FUNCTION dataexport_explain(jsonb) TO alice, bob;'));

# One line per fact about the extension's members, OIDs replaced by names.
my $catalog_sql = q{
WITH members AS (
    SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension x ON x.oid = d.refobjid
    WHERE d.refclassid = 'pg_extension'::regclass AND x.extname = 'dataexport'
      AND d.deptype = 'e'),
facts AS (
    SELECT 'member ' || pg_describe_object(classid, objid, 0) AS fact FROM members
    UNION ALL
    SELECT 'comment ' || pg_describe_object(m.classid, m.objid, 0) || ': ' || c.description
    FROM members m JOIN pg_description c ON c.classoid = m.classid AND c.objoid = m.objid
    UNION ALL
    SELECT 'init_privs ' || pg_describe_object(i.classoid, i.objoid, i.objsubid) || ' '
           || i.privtype::text || ' ' || i.initprivs::text
    FROM pg_init_privs i JOIN members m ON m.classid = i.classoid AND m.objid = i.objoid
    UNION ALL
    SELECT 'function ' || pg_get_functiondef(p.oid) || ' acl=' || COALESCE(p.proacl::text, '-')
           || ' owner=' || p.proowner::regrole || ' secdef=' || p.prosecdef
           || ' leakproof=' || p.proleakproof || ' parallel=' || p.proparallel::text
           || ' rows=' || p.prorows || ' cost=' || p.procost
    FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
    UNION ALL
    SELECT 'relation ' || c.oid::regclass || ' kind=' || c.relkind::text
           || ' acl=' || COALESCE(c.relacl::text, '-') || ' owner=' || c.relowner::regrole
           || ' options=' || COALESCE(c.reloptions::text, '-')
           || ' rls=' || c.relrowsecurity || ' persistence=' || c.relpersistence::text
           || COALESCE(' view=' || pg_get_viewdef(c.oid), '')
    FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
    UNION ALL
    SELECT 'column ' || a.attrelid::regclass || '.' || a.attname || ' #' || a.attnum || ' '
           || format_type(a.atttypid, a.atttypmod) || ' notnull=' || a.attnotnull
           || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text
           || ' default=' || COALESCE(pg_get_expr(ad.adbin, ad.adrelid), '-')
           || ' acl=' || COALESCE(a.attacl::text, '-')
           || ' comment=' || COALESCE(col_description(a.attrelid, a.attnum), '-')
    FROM pg_attribute a JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = a.attrelid
    LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'constraint ' || co.conrelid::regclass || ' ' || co.conname || ' '
           || pg_get_constraintdef(co.oid)
    FROM pg_constraint co JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = co.conrelid
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = i.indrelid
    UNION ALL
    SELECT 'trigger ' || pg_get_triggerdef(t.oid)
    FROM pg_trigger t JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = t.tgrelid
    UNION ALL
    SELECT 'sequence ' || s.seqrelid::regclass || ' ' || format_type(s.seqtypid, NULL) || ' '
           || s.seqstart || ' ' || s.seqincrement || ' ' || s.seqmax || ' ' || s.seqmin
           || ' ' || s.seqcache || ' ' || s.seqcycle
    FROM pg_sequence s JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = s.seqrelid
    UNION ALL
    SELECT 'schema ' || n.nspname || ' acl=' || COALESCE(n.nspacl::text, '-')
           || ' owner=' || n.nspowner::regrole
    FROM pg_namespace n JOIN members m ON m.classid = 'pg_namespace'::regclass AND m.objid = n.oid
    UNION ALL
    SELECT 'extension ' || x.extname || ' ' || x.extversion || ' schema=' || x.extnamespace::regnamespace
           || ' relocatable=' || x.extrelocatable || ' owner=' || x.extowner::regrole
           || ' config=' || COALESCE(x.extconfig::regclass[]::text, '-')
           || ' conditions=' || COALESCE(x.extcondition::text, '-')
    FROM pg_extension x WHERE x.extname = 'dataexport')
SELECT fact FROM facts ORDER BY fact};

my $updated_catalog = $node->safe_psql('postgres', $catalog_sql);
my $fresh_catalog = $node->safe_psql('fresh', $catalog_sql);
cmp_ok(scalar(split /\n/, $fresh_catalog), '>', 100, 'the catalog description is not empty');
like($fresh_catalog, qr/^function CREATE OR REPLACE FUNCTION public\.dataexport_stats\(period interval/m,
	'it covers the 0.2 functions');
like($fresh_catalog,
	qr/^extension dataexport 0\.2 .* config=\{dataexport\.export,dataexport\.export_id_seq,dataexport\.projects,dataexport\.datasets\}/m,
	'and the config-dump registrations');
is($updated_catalog, $fresh_catalog,
	'catalog after ALTER EXTENSION UPDATE = catalog of a fresh install');

my $dx_updated = $node->safe_psql('postgres', '\dx+ dataexport');
my $dx_fresh = $node->safe_psql('fresh', '\dx+ dataexport');
like($dx_fresh, qr/view dataexport_stats/, '\dx+ lists the 0.2 objects');
is($dx_updated, $dx_fresh, '\dx+ dataexport: the same after update as fresh');

# pg_dump --binary-upgrade is the dump that lists an extension's members;
# the entries of the extension and its members, with OIDs normalized.
sub extension_dump
{
	my ($db) = @_;
	my ($stdout, $stderr);
	IPC::Run::run [ 'pg_dump', '--schema-only', '--binary-upgrade', '-d', $node->connstr($db) ],
	  '>', \$stdout, '2>', \$stderr
	  or die "pg_dump $db failed: $stderr";
	my @entries = split /(?=^--\n-- (?:Name|Data for Name): )/m, $stdout;
	my @kept = grep {
		/^-- (?:Name|Data for Name): [^;]*dataexport[^;]*;/m
		  || /^-- Name: [^;]*; Type: [^;]*; Schema: dataexport;/m
	} @entries;
	my $text = join '', @kept;
	# what differs between any two databases: OIDs, xids, LSNs, the
	# sequence's position (data), psql's per-dump \restrict key
	$text =~ s/^SELECT pg_catalog\.binary_upgrade_set_next_\w+\(.*\);\n//mg;
	$text =~ s/^SET relfrozenxid = '\d+', relminmxid = '\d+'$/SET relfrozenxid = XID/mg;
	$text =~ s/^(SELECT pg_catalog\.setval\('dataexport\.export_id_seq', )\d+, \w+\);$/$1N);/mg;
	$text =~ s/^\\(un)?restrict \w+$//mg;
	$text =~ s/'\{[\d,]+\}'/'{OIDS}'/g;
	$text =~ s/\b\d{5,}\b/OID/g;
	return $text;
}
my $dump_updated = extension_dump('postgres');
my $dump_fresh = extension_dump('fresh');
# kept for a look when they differ
PostgreSQL::Test::Utils::append_to_file($node->basedir . "/dump_$_->[0].sql", $_->[1])
  for ([ 'updated', $dump_updated ], [ 'fresh', $dump_fresh ]);
like($dump_fresh, qr/ALTER EXTENSION dataexport ADD FUNCTION public\.dataexport_stats\(period interval/,
	'pg_dump --binary-upgrade lists the members');
like($dump_fresh, qr/COMMENT ON VIEW public\.dataexport_stats IS/, '... with their comments');
is($dump_updated, $dump_fresh, 'pg_dump --schema-only: the same after update as fresh');

$node->stop;
done_testing();
