# One database must not starve the others (issue 6, section 4):
#  - with 10 exports queued in each of three databases, the first starts
#    interleave the databases (the first three starts cover all three);
#  - a database with a backlog of exports holds back another database's
#    export for at most about two export durations.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;

my $node = start_node('database_fairness', <<'EOC');
dataexport.max_workers = 2
dataexport.naptime = 60
dataexport.retry_delay = 200
EOC

$node->safe_psql('postgres', 'CREATE EXTENSION dataexport');
$node->safe_psql('postgres', "CREATE DATABASE d$_") for 1 .. 3;
$node->safe_psql("d$_", 'CREATE EXTENSION dataexport') for 1 .. 3;

sub create_many_in
{
	my ($db, $tag, $n, $secs) = @_;
	$node->safe_psql(
		$db, qq{
		SELECT count(dataexport_create(jsonb_build_object('query_type', 'SQL',
			'query_info', jsonb_build_object('sql',
				'SELECT ' || g || ' AS $tag, pg_sleep($secs) AS z'))))
		FROM generate_series(1, $n) AS g});
	return;
}

sub wait_all_done
{
	my ($db) = @_;
	return $node->poll_query_until($db,
		"SELECT count(*) FROM dataexport.export WHERE state IN ('queued', 'running')",
		'0');
}

# ---- (a) three queues: the first starts interleave ----
my $lock = $node->background_psql('postgres');
$lock->query_safe('SELECT pg_advisory_lock(7013)');
my @blockers = map {
	create_export($node,
		sql_payload("SELECT $_ AS n, pg_advisory_xact_lock_shared(7013)::text AS l"))
	  ->{id}
} 1 .. 2;
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) FROM dataexport.export WHERE state = 'running'", '2'),
	'(a) both worker slots are held by blocked exports');
create_many_in("d$_", "d$_", 10, 0.2) for 1 .. 3;
$lock->query_safe('SELECT pg_advisory_unlock(7013)');
$lock->quit;
ok(wait_all_done("d$_"), "(a) d$_: all exports done") for 1 .. 3;

my @starts;
for my $db (1 .. 3)
{
	for my $t (
		split /\n/,
		$node->safe_psql("d$db",
			"SELECT extract(epoch FROM date_started) FROM dataexport.export "
			  . "WHERE state = 'succeeded'"))
	{
		push @starts, [ $t, $db ];
	}
}
@starts = sort { $a->[0] <=> $b->[0] } @starts;
is(scalar(@starts), 30, '(a) 30 exports succeeded');
my %first3 = map { $_->[1] => 1 } @starts[ 0 .. 2 ];
is( join(',', sort keys %first3),
	'1,2,3',
	'(a) the first three starts cover all three databases (order: '
	  . join('', map { $_->[1] } @starts[ 0 .. 8 ]) . '...)');
my %rank;
for my $i (0 .. $#starts) { $rank{ $starts[$i][1] } //= $i; }
cmp_ok($rank{$_}, '<=', 3, "(a) d$_ first starts at rank $rank{$_}") for 1 .. 3;

# ---- (b) a backlog in postgres does not hold d3 back ----
create_many_in('postgres', 'backlog', 30, 0.5);
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) FROM dataexport.export WHERE state = 'running'", '2'),
	'(b) both slots run postgres\'s backlog');
my $lone = create_export($node,
	sql_payload('SELECT 1 AS lone, pg_sleep(0.5) AS z'), db => 'd3')->{id};
is( $node->safe_psql('d3', "SELECT dataexport_wait($lone, '60 s')->>'state'"),
	'succeeded', '(b) d3\'s export succeeds');
my ($created, $started) = split /\|/,
  $node->safe_psql('d3',
	"SELECT extract(epoch FROM date_created), extract(epoch FROM date_started) "
	  . "FROM dataexport.export WHERE id = $lone");
my $ahead = $node->safe_psql('postgres',
	"SELECT count(*) FROM dataexport.export WHERE date_started > to_timestamp($created) "
	  . "AND date_started < to_timestamp($started)");
cmp_ok($ahead, '<=', 2,
	"(b) postgres exports started between d3's create and start: $ahead (at most 2)");
cmp_ok(
	unfinished_count($node),
	'>=', 20,
	'(b) most of the backlog was still waiting');

$node->stop('immediate');
done_testing();
