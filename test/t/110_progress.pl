# Live progress (issue 10, point 3): while a slow export runs,
# dataexport_running shows the planner's estimate of its rows (taken when
# the query starts), a percent consistent with rows / estimate (capped at
# 99), a rate and an ETA consistent with both; another tenant sees nothing.
# dataexport_wait(..., progress => true) sends a NOTICE a second, which
# psql prints while the call is still waiting.  An estimate that the rows
# outgrow is not sane: no percent, no ETA, and the NOTICE says so.
use strict;
use warnings FATAL => 'all';

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use DataexportTest;
use Time::HiRes qw(time usleep);

my $node = start_node('progress', <<'EOC', demo => 'postgres');
dataexport.max_workers = 1
dataexport.naptime = 2
dataexport.sql_role = 'exporters'
EOC
$node->safe_psql('postgres', 'CREATE ROLE exporters; GRANT exporters TO alice;');

# ~1,500 rows at 2 ms each: about 3 s.  generate_series's planner support
# makes the estimate exact.
my $slow = sql_payload(
	"SELECT g, repeat('x', 100) AS pad, pg_sleep(0.002) AS nap FROM generate_series(1, 1500) AS g");

# ---- dataexport_running while it runs ----
my $id = create_export($node, $slow, user => 'alice')->{id};
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) FROM dataexport_running WHERE id = $id AND rows >= 200",
		'1'),
	'the export runs and counts rows');
my ($rows, $estimate, $percent, $rate, $eta, $expect_percent, $expect_eta) = split /\|/,
  psql_as($node, 'alice', <<"SQL");
SELECT rows, estimated_rows, percent, rows_per_second, extract(epoch FROM eta),
       least(99, floor(rows * 100.0 / estimated_rows)),
       (estimated_rows - rows) / rows_per_second
FROM dataexport_running WHERE id = $id
SQL
is($estimate, 1500, "the planner's estimate of the rows is there (1,500)");
ok($rows > 0 && $rows < 1500, "rows so far ($rows) below the estimate");
is($percent, $expect_percent, "percent ($percent) is rows / estimate");
ok($percent >= 1 && $percent <= 99, 'percent between 1 and 99');
ok($rate > 20 && $rate < 1000, "rows per second ($rate) plausible for 2 ms a row");
ok(abs($eta - $expect_eta) <= 1, "ETA ($eta s) is (estimate - rows) / rate ($expect_eta s)");
is(psql_as($node, 'bob', "SELECT count(*) FROM dataexport_running WHERE id = $id"),
	'0', 'another tenant does not see it');

# ---- wait(progress => true): NOTICEs while waiting ----
# psql runs the wait; its stderr is read while the call is still waiting.
sub wait_with_progress
{
	my ($export) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[
			'psql', '-X', '-At', '-d', user_connstr($node, 'alice'),
			'-c', "SELECT dataexport_wait($export, '60 s', progress => true) ->> 'state'"
		],
		'>', \$out, '2>', \$err);
	my $deadline = time + 60;
	my $seen_running = 0;
	while (time < $deadline)
	{
		$h->pump_nb;
		my $n = () = $err =~ /NOTICE/g;
		if ($n >= 2)
		{
			$seen_running = state_of($node, $export) eq 'running';
			last;
		}
		usleep(50_000);
	}
	$h->finish;
	return ($out, $err, $seen_running);
}

# (a limit makes it another export: the first may still be running, and an
# identical request would be deduplicated onto it)
wait_export($node, $id);
my $id2 = create_export($node, sql_payload(
	"SELECT g, repeat('x', 100) AS pad, pg_sleep(0.002) AS nap FROM generate_series(1, 1500) AS g",
	limit => 1500), user => 'alice')->{id};
isnt($id2, $id, 'a second export');
my ($out, $err, $while_running) = wait_with_progress($id2);
note $err;
is($out, "succeeded\n", 'the wait returns the finished export');
ok($while_running, 'two NOTICEs arrived while the export was still running');
my @notices = $err =~ /^NOTICE:  (.*)$/mg;
cmp_ok(scalar @notices, '>=', 2, 'at least two progress NOTICEs');
my $size = qr/\d+ (?:bytes|kB|MB|GB|TB)/;
my $left = qr/(?:\d+ s|\d+ min \d+ s|\d+ h \d+ min) left|time left unknown/;
my $bad = grep {
	!/^export $id2: (?:queued|starting|\d{1,2}% \([\d,]+ of ~1,500 rows, $size, $left\))$/
} @notices;
is($bad, 0, 'every NOTICE has the documented format');
my @percents = map { /: (\d+)% \(/ ? $1 : () } @notices;
ok(@percents >= 1, 'NOTICEs with a percent');
is_deeply([ sort { $a <=> $b } @percents ], \@percents, 'the percent never goes down');
ok((grep { /\d+% \([\d,]+ of ~1,500 rows, $size, \d+ s left\)/ } @notices),
	'a NOTICE with the time left, e.g. "' . ($notices[-1] // '') . '"');
unlike($err, qr/ERROR|WARNING/, 'nothing but NOTICEs on stderr');

# ---- an estimate that the rows outgrow ----
# "g * 1 = g" gets the planner's default selectivity (0.5%): ~8 rows
# estimated, 1,500 produced.
my $under = sql_payload(
	"SELECT g FROM generate_series(1, 1500) AS g WHERE g * 1 = g AND pg_sleep(0.002) IS NOT NULL");
my $id3 = create_export($node, $under, user => 'alice')->{id};
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) FROM dataexport_running WHERE id = $id3 AND rows > estimated_rows",
		'1'),
	'rows outgrow the estimate');
is( psql_as(
		$node, 'alice',
		"SELECT percent IS NULL, eta IS NULL, rows_per_second > 0 FROM dataexport_running WHERE id = $id3"
	),
	't|t|t',
	'no percent and no ETA once the estimate is exceeded; the rate stays');
($out, $err) = wait_with_progress($id3);
my @over = $err =~ /^NOTICE:  (export $id3: [\d,]+ rows \(~\d+ estimated\), $size, [\d,]+ rows\/s)$/mg;
ok(@over >= 1, 'the NOTICE of an exceeded estimate: "' . ($over[0] // '') . '"');

# Finished exports leave dataexport_running.
is($node->safe_psql('postgres', 'SELECT count(*) FROM dataexport_running'),
	'0', 'nothing running at the end');

$node->stop;
done_testing();
