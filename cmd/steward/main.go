// Command steward is the operator's tool for a steward database: it plans and
// applies retention sweeps, places and releases legal holds, erases and
// exports a subject's data, publishes safe statistics and verifies the audit
// log.
//
//	steward [--db steward.db | --dsn postgres://...] [--policy policy.json] [--json] COMMAND
//
//	steward sweep plan|apply [--max N]
//	steward hold place --id ID --matter M --ground law|court_order|legal_claim (--subject S | --category C | --record CAT/ID) --by ACTOR
//	steward hold release ID --by ACTOR
//	steward hold list
//	steward erase SUBJECT [--lang en|nl]
//	steward export SUBJECT --format csv,json --out FILE [--recipient AGE_KEY] [--lang en|nl]
//	steward stats [--k 10]
//	steward audit verify
//
// It uses the SQLite file steward.db in the working directory unless --db or
// --dsn says otherwise. It exits 0 on success, 1 when an operation fails and 2
// on bad input.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// usageError is bad input: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

const usage = `usage: steward [--db FILE | --dsn DSN] [--policy FILE] [--json] COMMAND

commands:
  sweep plan              list the records that are due, with their reasons
  sweep apply [--max N]   dispose of them (and complete erasures held back by released holds)
  hold place ...          place a legal hold: --id --matter --ground --by and one of --subject, --category, --record CAT/ID
  hold release ID --by A  release a hold
  hold list               list the active holds
  erase SUBJECT           erase a subject's data as the policy allows
  export SUBJECT --format csv,json --out FILE [--recipient AGE_KEY]
  stats [--k N]           records and subjects per category, safe to publish
  audit verify            check the audit log's hash chain
`

// globals are the flags every command takes.
type globals struct {
	db, dsn, policy, keyFile, lang string
	json                           bool
	dsnSet                         bool
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.db, "db", g.db, "SQLite database file")
	fs.StringVar(&g.dsn, "dsn", g.dsn, "PostgreSQL DSN (postgres://...), instead of --db")
	fs.StringVar(&g.policy, "policy", g.policy, "retention policy file (JSON)")
	fs.StringVar(&g.keyFile, "key-file", g.keyFile, "file with the key that pseudonymises erased subjects' consent history; created if missing")
	fs.StringVar(&g.lang, "lang", g.lang, "language of texts for people: en or nl")
	fs.BoolVar(&g.json, "json", g.json, "print machine-readable JSON")
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globals{db: "steward.db", policy: "policy.json", keyFile: "steward.key", lang: "en"}
	fs := flag.NewFlagSet("steward", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	g.register(fs)
	err := fs.Parse(args)
	if err == nil {
		fs.Visit(func(f *flag.Flag) { g.dsnSet = g.dsnSet || f.Name == "dsn" })
		err = dispatch(ctx, g, fs.Args(), stdout, stderr)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return 0
	}
	var u usageError
	if errors.As(err, &u) || isFlagError(err) {
		fmt.Fprintf(stderr, "steward: %v\n\n%s", err, usage)
		return 2
	}
	fmt.Fprintf(stderr, "steward: %v\n", err)
	return 1
}

func isFlagError(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "flag provided but not defined") || strings.HasPrefix(s, "invalid value") ||
		strings.HasPrefix(s, "flag needs an argument") || strings.HasPrefix(s, "invalid boolean")
}

func dispatch(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("no command")
	}
	sub := func(name string, rest []string, extra func(fs *flag.FlagSet)) (*flag.FlagSet, error) {
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		g.register(fs)
		if extra != nil {
			extra(fs)
		}
		if err := fs.Parse(interleave(rest)); err != nil {
			return nil, err
		}
		fs.Visit(func(f *flag.Flag) { g.dsnSet = g.dsnSet || f.Name == "dsn" })
		return fs, nil
	}
	cmd, rest := args[0], args[1:]
	verb := ""
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		verb = rest[0]
	}
	switch cmd {
	case "sweep":
		var max int
		fs, err := sub("sweep", rest[min(1, len(rest)):], func(fs *flag.FlagSet) { fs.IntVar(&max, "max", 0, "dispose of at most this many records") })
		if err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("sweep %s: unexpected argument %q", verb, fs.Arg(0))
		}
		switch verb {
		case "plan":
			return sweepPlan(ctx, g, stdout)
		case "apply":
			if max < 0 {
				return usagef("--max must not be negative")
			}
			return sweepApply(ctx, g, max, stdout, stderr)
		}
		return usagef("sweep: want plan or apply")
	case "hold":
		var h holdFlags
		fs, err := sub("hold", rest[min(1, len(rest)):], h.register)
		if err != nil {
			return err
		}
		switch verb {
		case "place":
			if fs.NArg() > 0 {
				return usagef("hold place: unexpected argument %q", fs.Arg(0))
			}
			return holdPlace(ctx, g, &h, stdout)
		case "release":
			if fs.NArg() != 1 {
				return usagef("hold release: want one hold ID")
			}
			return holdRelease(ctx, g, fs.Arg(0), h.by, stdout)
		case "list":
			return holdList(ctx, g, stdout)
		}
		return usagef("hold: want place, release or list")
	case "erase":
		fs, err := sub("erase", rest, nil)
		if err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usagef("erase: want one subject")
		}
		return erase(ctx, g, fs.Arg(0), stdout)
	case "export":
		var e exportFlags
		fs, err := sub("export", rest, e.register)
		if err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usagef("export: want one subject")
		}
		return exportSubject(ctx, g, fs.Arg(0), &e, stdout, stderr)
	case "stats":
		var k int
		fs, err := sub("stats", rest, func(fs *flag.FlagSet) {
			fs.IntVar(&k, "k", 10, "publish a figure only if at least k subjects make it up")
		})
		if err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("stats: unexpected argument %q", fs.Arg(0))
		}
		return stats(ctx, g, k, stdout)
	case "audit":
		fs, err := sub("audit", rest[min(1, len(rest)):], nil)
		if err != nil {
			return err
		}
		if verb != "verify" || fs.NArg() > 0 {
			return usagef("audit: want verify")
		}
		return auditVerify(ctx, g, stdout)
	case "help", "-h", "--help":
		return flag.ErrHelp
	}
	return usagef("unknown command %q", cmd)
}

// interleave moves positional arguments after the flags, so that
// "erase client-1 --lang nl" parses like "erase --lang nl client-1".
func interleave(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-"):
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && !isBoolFlag(a) {
				i++
				flags = append(flags, args[i])
			}
		default:
			pos = append(pos, a)
		}
	}
	return append(flags, pos...)
}

func isBoolFlag(a string) bool {
	name := strings.TrimLeft(a, "-")
	return name == "json" || name == "h" || name == "help"
}
