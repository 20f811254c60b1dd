#!/usr/bin/perl
# Reads the valgrind logs of a server run (one vg.<pid>.log per process,
# written with --error-markers=VGERROR-BEGIN,VGERROR-END) and decides whether
# dataexport is at fault.  A report fails the suite when it is
#   - an invalid read, write or free, a mismatched free or an overlapping
#     copy, wherever it happens (freed memory handed out by dataexport is
#     usually read by PostgreSQL's own code);
#   - a use of uninitialised memory whose innermost program frame (skipping
#     libc, zlib and valgrind's own) is dataexport code;
#   - a "definitely lost" leak with a dataexport frame in its stack;
#   - a process killed by SIGSEGV, SIGBUS, SIGILL, SIGFPE or SIGABRT.
# Every other report that test/valgrind/postgres.supp did not suppress is
# PostgreSQL's own noise: it is summarised, not failed.
#
#   perl scan.pl [--all] <path to dataexport.so> <log dir>
#
# Prints each failing report (once per distinct stack, with how many
# processes hit it) as "VALGRIND-FAIL: <what> at <frame>" followed by the
# report, then one closing line
#   valgrind-scan: <logs> logs, <F> failing reports, <O> other reports
# and exits 1 when F > 0 or when there are no logs at all.
use strict;
use warnings;
use FindBin;

my $all = 0;
if (@ARGV && $ARGV[0] eq '--all') { $all = 1; shift @ARGV; }
die "usage: scan.pl [--all] dataexport.so logdir\n" unless @ARGV == 2;
my ($so, $dir) = @ARGV;

# Every function defined in dataexport.so (static ones included).
my %de_fn;
open(my $nm, '-|', 'nm', '--defined-only', $so) or die "nm $so: $!\n";
while (<$nm>)
{
	$de_fn{$2} = 1 if /^[0-9a-f]+ ([tTwW]) (\S+)$/;
}
close $nm;
die "no function symbols in $so\n" unless %de_fn;
# and its source files: inlined static functions have no symbol of their own
my %de_src = map { m{([^/]+)$}; ($1 => 1) } glob("$FindBin::RealBin/../../src/*/*.c");

sub frame_fn
{
	my ($frame) = @_;
	return $frame =~ /^(?:at|by) 0x[0-9A-Fa-f]+: (\S+)/ ? $1 : '???';
}

sub is_de_frame
{
	my ($frame) = @_;
	return 1 if $frame =~ /dataexport\.so/;
	return 1 if $frame =~ /\(([^ ()\/]+\.c):\d+\)$/ && $de_src{$1};
	# with debug info dataexport's frames name a source file, not "(in ...)"
	return $de_fn{ frame_fn($frame) } && $frame !~ /\(in \//;
}

sub is_program_frame
{
	my ($frame) = @_;
	return 1 if is_de_frame($frame);
	return $frame =~ m{\(in [^)]*/bin/postgres\)} ? 1 : 0;
}

my (%fail, %other, @order_fail, @order_other);
my $logs = 0;
for my $log (sort glob("$dir/vg.*.log"))
{
	$logs++;
	open(my $fh, '<', $log) or die "$log: $!\n";
	my (@block, $in);
	while (my $line = <$fh>)
	{
		$line =~ s/^==\d+== ?//;
		if ($line =~ /^Process terminating with default action of signal (\d+) \((\S+)\)/
			&& grep { $_ eq $2 } qw(SIGSEGV SIGBUS SIGILL SIGFPE SIGABRT))
		{
			my $text = $line;
			while (my $next = <$fh>)
			{
				$next =~ s/^==\d+== ?//;
				last if $next =~ /^\s*$/;
				$text .= $next;
			}
			my $key = "signal\n$text";
			push @order_fail, $key unless $fail{$key};
			$fail{$key}{n}++;
			$fail{$key}{what} = "process killed by $2";
			$fail{$key}{at} = $1 if $text =~ /(?:at|by) 0x[0-9A-Fa-f]+: (.*)/;
			$fail{$key}{text} = $text;
			$fail{$key}{log} //= $log;
			next;
		}
		if ($line =~ /^VGERROR-BEGIN/) { $in = 1; @block = (); next; }
		next unless $in;
		if ($line =~ /^VGERROR-END/)
		{
			$in = 0;
			classify($log, @block);
			next;
		}
		push @block, $line;
	}
	close $fh;
}

sub classify
{
	my ($log, @lines) = @_;
	my $head = $lines[0] // '';
	chomp $head;
	my (@frames, @freed, $sub);
	for (@lines)
	{
		# "Address ... alloc'd/free'd" sub-stacks are about the block, not
		# where the error happened; keep who freed it
		$sub = $1 if /^ (Address|Block|Uninitialised value)/;
		$sub = 'freed' if /^ Address .* free'd/;
		if (/^\s+((?:at|by) 0x.*)$/)
		{
			push @frames, $1 unless $sub;
			push @freed, $1 if ($sub // '') eq 'freed';
		}
	}
	my ($de) = grep { is_de_frame($_) } @frames;
	my ($inner) = grep { is_program_frame($_) } @frames;
	my ($de_freed) = grep { is_de_frame($_) } @freed;
	my $what;
	if ($head =~ /^(Invalid (read|write|free)|Mismatched free|Source and destination overlap)/)
	{
		$what = $1;
	}
	elsif ($head =~ /uninitialised/i && $inner && is_de_frame($inner))
	{
		$what = "uninitialised value";
	}
	elsif ($head =~ /definitely lost/ && $de)
	{
		$what = "definitely lost";
	}
	my $at = ($what ? $de // $inner : $inner) // $frames[0] // '?';
	$at =~ s/^(?:at|by) 0x[0-9A-Fa-f]+: //;
	if ($de_freed)
	{
		$de_freed =~ s/^(?:at|by) 0x[0-9A-Fa-f]+: //;
		$at .= ", on memory freed under $de_freed";
	}
	(my $kind = $head) =~ s/^[\d,]+ (\(.*?\) )?bytes in [\d,]+ blocks/N bytes/;
	$kind =~ s/ in loss record .*//;
	$kind =~ s/Invalid (read|write) of size \d+/Invalid $1/;
	my $key = join("\n", $kind, map { frame_fn($_) } @frames[ 0 .. ($#frames < 7 ? $#frames : 7) ]);
	my $text = join('', @lines);
	if ($what)
	{
		push @order_fail, $key unless $fail{$key};
		$fail{$key}{n}++;
		$fail{$key}{what} = $what;
		$fail{$key}{at} = $at;
		$fail{$key}{text} //= $text;
		$fail{$key}{log} //= $log;
	}
	else
	{
		push @order_other, $key unless $other{$key};
		$other{$key}{n}++;
		$other{$key}{head} = $kind;
		$other{$key}{at} = $at;
		$other{$key}{text} //= $text;
		$other{$key}{log} //= $log;
	}
	return;
}

for my $key (@order_fail)
{
	my $f = $fail{$key};
	printf "VALGRIND-FAIL: %s at %s (%d report%s, e.g. %s)\n", $f->{what},
	  $f->{at} // '?', $f->{n}, $f->{n} == 1 ? '' : 's', $f->{log};
	print map { "    $_\n" } split /\n/, $f->{text};
}
my $others = 0;
$others += $other{$_}{n} for keys %other;
if (@order_other)
{
	print "other unsuppressed reports (PostgreSQL's own, not failed):\n";
	for my $key (@order_other)
	{
		my $o = $other{$key};
		printf "  %4d x %s at %s\n", $o->{n}, $o->{head}, $o->{at};
		print map { "      $_\n" } split /\n/, $o->{text} if $all;
	}
}
printf "valgrind-scan: %d logs, %d failing reports, %d other reports\n",
  $logs, scalar(@order_fail), $others;
exit(($logs == 0 || @order_fail) ? 1 : 0);
