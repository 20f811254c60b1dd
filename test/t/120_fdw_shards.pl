# Scale beyond one machine (issue 8): the events are sharded over two other
# clusters with PostgreSQL's own means -- a partitioned table whose
# partitions are postgres_fdw foreign tables -- and the requester reaches
# the shards through a user mapping of its own.  Discover and Issues-by-Tag
# exports of the sharded dataset must give exactly the bytes that the same
# data gives in one local table, under the same row-level security.
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

# The coordinator has the extension, the demo schema (app.events, local,
# with RLS) and, below, the sharded copy of the same events.
my $coord = start_node('coord', "dataexport.naptime = 1\n", demo => 'postgres');

# More events than the sample's seven, over all three projects, two
# environments, tags, users and NULLs, with explicit ids.
$coord->safe_psql('postgres', q{
	INSERT INTO app.events (id, project_id, group_id, "timestamp", environment, level,
	                        message, duration, handled, tags, "user")
	OVERRIDING SYSTEM VALUE
	SELECT 1000 + g, 1 + g % 3, 100 * (1 + g % 3) + g % 2,
	       '2026-11-02 00:00:00+00'::timestamptz + g * interval '7 min 3.5 s',
	       CASE g % 4 WHEN 0 THEN NULL WHEN 1 THEN 'staging' ELSE 'prod' END,
	       CASE WHEN g % 7 = 0 THEN 'warning' ELSE 'error' END,
	       'event ' || g || CASE WHEN g % 11 = 0 THEN ', "quoted"' ELSE '' END,
	       CASE WHEN g % 5 = 0 THEN NULL ELSE (g % 97) * 1.25 END,
	       CASE WHEN g % 3 = 0 THEN NULL ELSE g % 2 = 0 END,
	       jsonb_build_object('browser', (ARRAY['Chrome', 'Firefox', 'Safari'])[1 + g % 3],
	                          'release', '1.' || (g % 4)),
	       CASE WHEN g % 6 = 0 THEN NULL
	            ELSE jsonb_build_object('id', (g % 13)::text, 'username', 'u' || (g % 13)) END
	FROM generate_series(1, 3000) AS g});

# The shards: plain clusters, no extension.  Shard 1 holds project 1,
# shard 2 projects 2 and 3.  "reader" may only read.
my @shards;
for my $n (1, 2)
{
	my $s = PostgreSQL::Test::Cluster->new("shard$n");
	$s->init;
	$s->start;
	$s->safe_psql('postgres', q{
		CREATE SCHEMA app;
		CREATE TABLE app.events (
		    id bigint PRIMARY KEY, project_id bigint NOT NULL, group_id bigint NOT NULL,
		    "timestamp" timestamptz NOT NULL, environment text, level text NOT NULL,
		    message text, duration numeric, handled boolean, tags jsonb NOT NULL,
		    "user" jsonb);
		CREATE ROLE reader LOGIN;
		GRANT USAGE ON SCHEMA app TO reader;
		GRANT SELECT ON app.events TO reader;});
	push @shards, $s;
}

my $superuser = $coord->safe_psql('postgres', 'SELECT current_user');
my $sql = "CREATE EXTENSION postgres_fdw;\n";
for my $n (1, 2)
{
	my $s = $shards[ $n - 1 ];
	my ($host, $port) = ($s->host, $s->port);
	$sql .= qq{
		CREATE SERVER shard$n FOREIGN DATA WRAPPER postgres_fdw
		    OPTIONS (host '$host', port '$port', dbname 'postgres');
		-- the loader writes as the shard's superuser; the requesters read as "reader"
		CREATE USER MAPPING FOR "$superuser" SERVER shard$n OPTIONS (user '$superuser');
		CREATE USER MAPPING FOR alice SERVER shard$n
		    OPTIONS (user 'reader', password_required 'false');};
}
$sql .= q{
	CREATE TABLE app.events_sharded (
	    id bigint NOT NULL, project_id bigint NOT NULL, group_id bigint NOT NULL,
	    "timestamp" timestamptz NOT NULL, environment text, level text NOT NULL,
	    message text, duration numeric, handled boolean, tags jsonb NOT NULL,
	    "user" jsonb) PARTITION BY LIST (project_id);
	CREATE FOREIGN TABLE app.events_p1 PARTITION OF app.events_sharded FOR VALUES IN (1)
	    SERVER shard1 OPTIONS (schema_name 'app', table_name 'events');
	CREATE FOREIGN TABLE app.events_p23 PARTITION OF app.events_sharded FOR VALUES IN (2, 3)
	    SERVER shard2 OPTIONS (schema_name 'app', table_name 'events');
	INSERT INTO app.events_sharded SELECT * FROM app.events;
	ALTER TABLE app.events_sharded ENABLE ROW LEVEL SECURITY;
	CREATE POLICY member_events ON app.events_sharded
	    USING (EXISTS (SELECT 1 FROM app.project_members m
	                   WHERE m.project_id = events_sharded.project_id
	                     AND m.role_name = current_user));
	GRANT SELECT ON app.events_sharded TO alice, bob;};
$coord->safe_psql('postgres', $sql);

is($shards[0]->safe_psql('postgres', 'SELECT count(*) FROM app.events'),
	$coord->safe_psql('postgres', 'SELECT count(*) FROM app.events WHERE project_id = 1'),
	'shard 1 holds project 1');
is($shards[1]->safe_psql('postgres', 'SELECT count(*) FROM app.events'),
	$coord->safe_psql('postgres', 'SELECT count(*) FROM app.events WHERE project_id <> 1'),
	'shard 2 holds projects 2 and 3');

# The dataset "discover" names the local table or the sharded one.
sub register
{
	my ($relation) = @_;
	$coord->safe_psql('postgres', qq{
		SELECT dataexport_register_dataset('discover', '$relation',
		    '{"project": "project_id", "timestamp": "timestamp", "environment": "environment",
		      "group": "group_id", "tags": "tags", "message": "message", "user": "user"}')});
	return;
}

my %payloads = (
	'Discover rows' => {
		query_type => 'Discover',
		query_info => {
			field => [ 'id', 'project_id', 'group_id', 'timestamp', 'environment',
				'level', 'message', 'duration', 'handled', 'tags[browser]' ],
			query => 'level:error',
			start => '2026-11-01T00:00:00',
			end => '2026-11-30T00:00:00',
			sort => '-timestamp'
		}
	},
	'Discover aggregate' => {
		query_type => 'Discover',
		query_info => {
			field => [ 'environment', 'level', 'count()', 'p95(duration)', 'count_unique(group_id)' ],
			query => '',
			statsPeriod => '90d',
			sort => [ '-count', 'environment', 'level' ]
		}
	},
	'Discover, gzip, environment filter' => {
		query_type => 'Discover',
		query_info => {
			field => [ 'id', 'message', 'tags[release]' ],
			query => 'browser:Chrome',
			statsPeriod => '90d',
			sort => 'id'
		},
		environment => 'prod',
		compression => 'gzip'
	},
	'Issues-by-Tag' => {
		query_type => 'Issues-by-Tag',
		query_info => { project => [1], group => 100, key => 'browser' }
	},
	'Issues-by-Tag, user' => {
		query_type => 'Issues-by-Tag',
		query_info => { project => [2], group => 200, key => 'user' }
	},
);

# Runs every payload as alice against the current registration; returns
# name -> [hex of the file, checksum, rows].
sub export_all
{
	my %out;
	for my $name (sort keys %payloads)
	{
		my $rec = create_export($coord, $json->encode($payloads{$name}), user => 'alice');
		my $done = wait_export($coord, $rec->{id});
		is($done->{state}, 'succeeded', "$name: export $rec->{id} succeeded")
		  or diag explain $done;
		$out{$name} = [
			$coord->safe_psql('postgres',
				"SELECT encode(lo_get($done->{fileOid}), 'hex')"),
			$done->{checksum}, $done->{rows} ];
	}
	return \%out;
}

register('app.events');
my $local = export_all();

my $scans_before = join ',', map {
	$_->safe_psql('postgres',
		"SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'events'")
} @shards;
register('app.events_sharded');
my $sharded = export_all();
my $scans_after = join ',', map {
	$_->poll_query_until('postgres',
		"SELECT seq_scan + coalesce(idx_scan, 0) > 0 FROM pg_stat_user_tables WHERE relname = 'events'");
	$_->safe_psql('postgres',
		"SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'events'")
} @shards;
isnt($scans_after, $scans_before, "the sharded exports read the shards ($scans_before -> $scans_after)");

for my $name (sort keys %payloads)
{
	ok($local->{$name}[2] > 0, "$name: the local export has rows ($local->{$name}[2])");
	is($sharded->{$name}[1], $local->{$name}[1], "$name: same checksum, sharded and local");
	ok($sharded->{$name}[0] eq $local->{$name}[0], "$name: the same bytes, sharded and local");
}

# Row-level security holds across the shards: bob's project is not in
# alice's files (project 3 = globex), and bob, who has no user mapping,
# cannot read the shards at all.
my $rows = $payloads{'Discover rows'};
my $text = pack('H*', $sharded->{'Discover rows'}[0]);
unlike($text, qr/globex secret failure/, "alice's sharded file has none of bob's events");
my $bob = create_export($coord, $json->encode($rows), user => 'bob');
my $bob_done = wait_export($coord, $bob->{id});
is($bob_done->{state}, 'failed', 'bob, without a user mapping, gets a failed export');
like($bob_done->{error} // '', qr/./, "bob's export says why: " . ($bob_done->{error} // ''));

$_->stop for @shards;
$coord->stop;
done_testing();
