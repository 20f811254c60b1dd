# Shared set-up and helpers of the TAP tests: nodes with the extension
# preloaded, the demo schema (the Sentry-like app.* tables with RLS, roles
# alice and bob, registration), export payloads, creating and waiting for
# exports, and the notifications on the "dataexport" channel.
package DataexportTest;
use strict;
use warnings FATAL => 'all';

use Cwd qw(abs_path);
use Exporter 'import';
use File::Basename qw(dirname);
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils qw(slurp_file);
use Test::More;
use Time::HiRes qw(time usleep);

our @EXPORT = qw(load_demo start_node alter_system user_connstr psql_as
  sql_payload discover_payload create_export wait_export details_of state_of
  wait_state wait_worker lo_count unfinished_count listen_exports
  drain_notifications wait_notification hold_worker_slot start_http_service);

my $root = abs_path(dirname(__FILE__) . '/../..');
my $json = JSON::PP->new->canonical;

# Every node a test starts fills freed memory (test/run_all.sh sets it too).
$ENV{MALLOC_PERTURB_} //= 165;

# CREATE EXTENSION dataexport and the demo SQL files in database $db.
sub load_demo
{
	my ($node, $db) = @_;
	$node->safe_psql($db, 'CREATE EXTENSION dataexport');
	$node->safe_psql($db, slurp_file("$root/demo/$_.sql"))
	  for qw(sample roles register);
	return;
}

# Starts node $name with dataexport preloaded plus $conf; %opts: pg_cron => 1, demo => $db.
sub start_node
{
	my ($name, $conf, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	my $text =
	  "shared_preload_libraries = '"
	  . ($opts{pg_cron} ? 'dataexport,pg_cron' : 'dataexport') . "'\n";
	# pg_cron connects with libpq; the test cluster listens on a Unix socket
	# only, so cron.host is its directory (local connections are trusted).
	$text .=
	  "cron.database_name = 'postgres'\ncron.host = '" . $node->host . "'\n"
	  if $opts{pg_cron};
	$node->append_conf('postgresql.conf', $text . ($conf // ''));
	$node->start;
	load_demo($node, $opts{demo}) if defined $opts{demo};
	return $node;
}

# ALTER SYSTEM SET $name = $value, reload, poll until SHOW $name says so; true if it does.
sub alter_system
{
	my ($node, $name, $value) = @_;
	$node->safe_psql('postgres', "ALTER SYSTEM SET $name = '$value'");
	$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
	return $node->poll_query_until('postgres', "SHOW $name", $value);
}

# The connection string of $node's database $db (default postgres) as $user.
sub user_connstr
{
	my ($node, $user, $db) = @_;
	$db //= 'postgres';
	return $node->connstr($db) . " user=$user";
}

# safe_psql of $sql as $user in database $db (default postgres).
sub psql_as
{
	my ($node, $user, $sql, $db) = @_;
	$db //= 'postgres';
	return $node->safe_psql($db, $sql,
		connstr => user_connstr($node, $user, $db));
}

# The payload of an SQL export of $sql, with the top-level keys %extra (limit, ...).
sub sql_payload
{
	my ($sql, %extra) = @_;
	return $json->encode(
		{ query_type => 'SQL', query_info => { sql => $sql }, %extra });
}

# Discover payload (id, message; 2026-11-01..28); %extra: top-level keys, query_info overrides.
sub discover_payload
{
	my (%extra) = @_;
	my $info = delete $extra{query_info} // {};
	return $json->encode(
		{
			query_type => 'Discover',
			query_info => {
				field => [ 'id', 'message' ],
				query => '',
				start => '2026-11-01T00:00:00',
				end => '2026-11-28T00:00:00',
				sort => 'id',
				%$info
			},
			%extra
		});
}

# Creates an export of $payload, returns its record; %opts: user, db, setup (SQL run first).
sub create_export
{
	my ($node, $payload, %opts) = @_;
	my $db = $opts{db} // 'postgres';
	my $sql = "SELECT dataexport_create(\$p\$$payload\$p\$)";
	$sql = "$opts{setup}\n$sql" if defined $opts{setup};
	return $json->decode(
		$node->safe_psql(
			$db, $sql,
			defined $opts{user}
			? (connstr => user_connstr($node, $opts{user}, $db))
			: ()));
}

# dataexport_wait for export $id (up to $timeout, default '60 s'); returns the record.
sub wait_export
{
	my ($node, $id, $timeout) = @_;
	$timeout //= '60 s';
	return $json->decode($node->safe_psql('postgres',
		"SELECT dataexport_wait($id, '$timeout')"));
}

# dataexport_details of export $id as the superuser.
sub details_of
{
	my ($node, $id) = @_;
	return $json->decode(
		$node->safe_psql('postgres', "SELECT dataexport_details($id)"));
}

# The stored state of export $id in database $db (default postgres).
sub state_of
{
	my ($node, $id, $db) = @_;
	return $node->safe_psql($db // 'postgres',
		"SELECT state FROM dataexport.export WHERE id = $id");
}

# Polls (poll_query_until) until export $id is in state $state; true if it gets there.
sub wait_state
{
	my ($node, $id, $state) = @_;
	return $node->poll_query_until('postgres',
		"SELECT state FROM dataexport.export WHERE id = $id", $state);
}

# Polls (poll_query_until) until a worker runs export $id; true if one does.
sub wait_worker
{
	my ($node, $id) = @_;
	return $node->poll_query_until('postgres',
		"SELECT count(*) FROM dataexport_progress() WHERE id = $id AND pid IS NOT NULL",
		'1');
}

# How many large objects database $db (default postgres) holds.
sub lo_count
{
	my ($node, $db) = @_;
	return $node->safe_psql($db // 'postgres',
		'SELECT count(*) FROM pg_largeobject_metadata');
}

# How many exports of database $db (default postgres) are queued or running.
sub unfinished_count
{
	my ($node, $db) = @_;
	return $node->safe_psql($db // 'postgres',
		"SELECT count(*) FROM dataexport.export WHERE state IN ('queued', 'running')"
	);
}

# A background session on $node's database postgres that LISTENs on "dataexport".
sub listen_exports
{
	my ($node) = @_;
	my $listener = $node->background_psql('postgres');
	$listener->query_safe('LISTEN dataexport');
	return $listener;
}

# Queries $listener so psql prints pending notifications; pushes their payloads onto @$notes.
sub drain_notifications
{
	my ($listener, $notes) = @_;
	my $out = $listener->query_safe('SELECT 1');
	while ($out =~
		/Asynchronous notification "dataexport" with payload "(.*?)" received from server process with PID \d+\./g
	  )
	{
		push @$notes, $json->decode($1);
	}
	return;
}

# Drains until @$notes has one for $id in $state (undef: any), up to $seconds (30); true if so.
sub wait_notification
{
	my ($listener, $notes, $id, $state, $seconds) = @_;
	my $deadline = time + ($seconds // 30);
	while (time < $deadline)
	{
		drain_notifications($listener, $notes);
		return 1
		  if grep { $_->{id} == $id && (!defined $state || $_->{state} eq $state) }
		  @$notes;
		usleep(50_000);
	}
	return 0;
}

# Holds $node's only worker slot (dataexport.max_workers = 1) with a
# superuser export that waits on advisory lock $key, taken here by a
# background session; returns (that session, the blocking export's record).
# $session->query_safe('SELECT pg_advisory_unlock(KEY)') lets it finish.
sub hold_worker_slot
{
	my ($node, $key) = @_;
	my $lock = $node->background_psql('postgres');
	$lock->query_safe("SELECT pg_advisory_lock($key)");
	my $blocker = create_export($node,
		sql_payload("SELECT pg_advisory_xact_lock_shared($key)::text AS locked"));
	ok( $node->poll_query_until(
			'postgres',
			"SELECT count(*) FROM dataexport_progress() WHERE pid IS NOT NULL AND id = $blocker->{id}",
			'1'),
		'the worker slot is busy with a blocked export');
	return ($lock, $blocker);
}

# The reference HTTP service (examples/http/server.py, run by $python) on a
# free loopback port, logging in to $node as dataexport_http; returns its
# base URL, pid and IPC::Run harness.  Its log is tmp_check/$name.log; it is
# killed at exit if still running.
my @services;
END { $_->kill_kill for grep { $_->pumpable } @services; }

sub start_http_service
{
	my ($node, $python, $name) = @_;
	my ($out, $log) = ('', "$PostgreSQL::Test::Utils::tmp_check/$name.log");
	my $service = IPC::Run::start(
		[
			$python, "$root/examples/http/server.py",
			'--port', '0',
			'--dsn', $node->connstr('postgres') . ' user=dataexport_http'
		],
		'<', \undef, '>', \$out, '2>', $log);
	push @services, $service;
	my $deadline = time + 30;
	$service->pump_nb while $out !~ /\n/ && time < $deadline && usleep(50_000) >= 0;
	my ($base, $pid) = $out =~ m{^listening on (http://127\.0\.0\.1:\d+)/ \(pid (\d+)\)$}m
	  or BAIL_OUT("the service did not start: $out " . slurp_file($log));
	return ($base, $pid, $service);
}

1;
