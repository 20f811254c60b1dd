# SPEC §4.5 and the foundation issue: without shared_preload_libraries the
# extension refuses to install with a hint; an export whose database is
# dropped while it waits in the queue leaves no stuck job and no crash.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;


# Not preloaded: CREATE EXTENSION fails with SQLSTATE 55000 and a hint.
my $plain = PostgreSQL::Test::Cluster->new('not_preloaded');
$plain->init;
$plain->start;
my ($rc, $out, $err) = $plain->psql('postgres',
	"\\set VERBOSITY verbose\nCREATE EXTENSION dataexport");
isnt($rc, 0, 'CREATE EXTENSION fails when the library is not preloaded');
like($err, qr/ERROR:  55000: dataexport must be loaded via shared_preload_libraries/,
	'the error says why, with SQLSTATE 55000');
like($err, qr/HINT:  Add dataexport to shared_preload_libraries in postgresql.conf and restart the server\./,
	'and how to fix it');
is($plain->safe_psql('postgres',
	"SELECT count(*) FROM pg_extension WHERE extname = 'dataexport'"),
	'0', 'nothing was installed');
$plain->stop;

# Preloaded, one worker slot kept busy so that the next export waits.
my $node = start_node('drop_database', <<'EOC');
dataexport.max_workers = 1
dataexport.naptime = 2
EOC
$node->safe_psql('postgres', 'CREATE DATABASE doomed');
load_demo($node, 'doomed');
$node->safe_psql('postgres', 'CREATE EXTENSION dataexport');

my $blocker = $node->safe_psql('postgres', q{
	SELECT dataexport_create('{"query_type": "SQL", "query_info": {"sql": "SELECT pg_sleep(3)"}}') ->> 'id'});
$node->poll_query_until('postgres',
	"SELECT state = 'running' FROM dataexport.export WHERE id = $blocker")
  or die 'the blocker never started';
my $queued = $node->safe_psql('doomed', q{
	SET ROLE alice;
	SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}}') ->> 'state'});
is($queued, 'queued', 'an export waits in the queue of database "doomed"');

$node->safe_psql('postgres', 'DROP DATABASE doomed WITH (FORCE)');
is($node->safe_psql('postgres', "SELECT dataexport_wait($blocker, '30 s') ->> 'state'"),
	'succeeded', 'the other database\'s export still completes');

# The launcher keeps working: a new export in postgres runs.
my $after = $node->safe_psql('postgres', q{
	SELECT dataexport_create('{"query_type": "SQL", "query_info": {"sql": "SELECT 1 AS one"}}') ->> 'id'});
is($node->safe_psql('postgres', "SELECT dataexport_wait($after, '30 s') ->> 'state'"),
	'succeeded', 'exports still run after a database with queued work was dropped');
is($node->safe_psql('postgres', 'SELECT count(*) FROM dataexport_progress()'),
	'0', 'no worker slot is left taken');
my $log = slurp_file($node->logfile);
unlike($log, qr/PANIC|TRAP|was terminated by signal (?!15)/, 'no crash in the server log');
$node->stop;
done_testing();
