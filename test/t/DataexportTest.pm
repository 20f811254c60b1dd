# Shared set-up of the TAP tests: the extension plus the demo schema (the
# Sentry-like app.* tables with RLS, roles alice and bob, registration).
package DataexportTest;
use strict;
use warnings FATAL => 'all';

use Cwd qw(abs_path);
use Exporter 'import';
use File::Basename qw(dirname);
use PostgreSQL::Test::Utils qw(slurp_file);

our @EXPORT = qw(load_demo);

my $root = abs_path(dirname(__FILE__) . '/../..');

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

1;
