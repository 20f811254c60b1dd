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
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils qw(slurp_file);
use Time::HiRes qw(time usleep);

our @EXPORT = qw(load_demo start_node);

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

# Starts node $name with dataexport preloaded and $conf appended to postgresql.conf; %opts: pg_cron (preload it too, reaching the node's socket), demo (load_demo into that database).
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

1;
