package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gofastdev/gofast/internal/redact"
	"github.com/gofastdev/gofast/mirrors"
)

// mirrorsRun is one `gofast mirrors` invocation's choices.
type mirrorsRun struct {
	json, fresh, throughput bool
}

// mirrorsCommand is `gofast mirrors [test] [--json] [--fresh]` and
// `gofast mirrors use [--write]`.
func (s *session) mirrorsCommand() *cli.Command {
	jsonFlag := &cli.BoolFlag{Name: "json", Usage: "print the result as JSON on stdout"}
	freshFlag := &cli.BoolFlag{Name: "fresh", Usage: "race now even when a recent ranking is remembered (GOFAST_TTL)"}
	usageErr := func(_ *cli.Context, err error, _ bool) error { return &UsageError{Err: err} }
	noArgs := func(c *cli.Context) error {
		if c.Args().Len() > 0 {
			return &UsageError{Err: fmt.Errorf("mirrors: unexpected argument %q", c.Args().First())}
		}
		return nil
	}
	return &cli.Command{
		Name:      "mirrors",
		Usage:     "race the candidate mirrors and show the GOPROXY chain gofast uses",
		UsageText: "gofast mirrors [--json] [--fresh]\ngofast mirrors test [--json]\ngofast mirrors use [--write] [--fresh]",
		Description: "Candidates are GOFAST_MIRRORS when set (gofast may reorder them); else, when GOPROXY is go's\n" +
			"default, go's default proxy and well-known public mirrors; else your GOPROXY, whose order is kept.\n" +
			"Each is asked for a neutral public module under one deadline; the chain puts working mirrors\n" +
			"fastest first, joined with '|', and keeps your direct or off tail. Exit status 1: no mirror works.",
		Flags:        []cli.Flag{jsonFlag, freshFlag},
		OnUsageError: usageErr,
		Action: func(c *cli.Context) error {
			// Checked here, not in Before, which also runs ahead of
			// the subcommands.
			if err := noArgs(c); err != nil {
				return err
			}
			return s.runMirrors(c.Context, mirrorsRun{json: c.Bool("json"), fresh: c.Bool("fresh")})
		},
		Subcommands: []*cli.Command{
			{
				Name:         "test",
				Usage:        "race now and also sample each mirror's download throughput",
				Flags:        []cli.Flag{jsonFlag},
				OnUsageError: usageErr,
				Before:       noArgs,
				Action: func(c *cli.Context) error {
					return s.runMirrors(c.Context, mirrorsRun{json: c.Bool("json"), fresh: true, throughput: true})
				},
			},
			{
				Name:  "use",
				Usage: "print the chosen chain; with --write, save it as your GOPROXY with go env -w",
				Description: "gofast sets GOPROXY only in the environment of the go commands it runs. `use --write`\n" +
					"makes the chain permanent for plain go too; gofast then keeps its order as your own.",
				Flags:        []cli.Flag{&cli.BoolFlag{Name: "write", Usage: "run go env -w GOPROXY=<chain>"}, freshFlag},
				OnUsageError: usageErr,
				Before:       noArgs,
				Action: func(c *cli.Context) error {
					return s.useMirrors(c.Context, c.Bool("write"), c.Bool("fresh"))
				},
			},
		},
	}
}

// selectMirrors runs mirrors.Select with the session's settings and the
// user cache directory.
func (s *session) selectMirrors(ctx context.Context, run mirrorsRun) (*mirrors.Result, error) {
	st, err := s.Settings(ctx, "")
	if err != nil {
		return nil, err
	}
	// Without a cache directory every run races; that is all it costs.
	cacheDir, _ := mirrors.CacheDir(s.env)
	return mirrors.Select(ctx, mirrors.Options{
		Settings:   st,
		Env:        s.env,
		CacheDir:   cacheDir,
		Fresh:      run.fresh,
		Throughput: run.throughput,
	})
}

// runMirrors prints the race as a table or JSON on stdout; when no mirror
// works it returns the one-line reason, which becomes exit status 1.
func (s *session) runMirrors(ctx context.Context, run mirrorsRun) error {
	r, err := s.selectMirrors(ctx, run)
	if err != nil {
		return err
	}
	if run.json {
		err = writeMirrorsJSON(s.opts.Stdout, r)
	} else {
		err = writeMirrorsTable(s.opts.Stdout, r, time.Now())
	}
	if err != nil {
		return err
	}
	if r.Fallback {
		return &ExitError{Code: 1, Err: errors.New(r.Note)}
	}
	return nil
}

// useMirrors prints the chosen chain and, with write, saves it with
// `go env -w`. A chain that is the user's GOPROXY unchanged because no
// mirror works is never written.
func (s *session) useMirrors(ctx context.Context, write, fresh bool) error {
	r, err := s.selectMirrors(ctx, mirrorsRun{fresh: fresh})
	if err != nil {
		return err
	}
	if r.Fallback {
		return &ExitError{Code: 1, Err: errors.New(r.Note)}
	}
	fmt.Fprintf(s.opts.Stdout, "GOPROXY=%s\n", r.Chain.Redacted())
	if !write {
		return nil
	}
	goTool, err := s.GoTool()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, goTool, "env", "-w", "GOPROXY="+r.Chain.String())
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = s.opts.Stderr, s.opts.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go env -w GOPROXY=%s: %w", r.Chain.Redacted(), err)
	}
	s.logf("wrote GOPROXY=%s with go env -w", r.Chain.Redacted())
	return nil
}

// mirrorJSON is one mirror in `gofast mirrors --json`, URL redacted.
type mirrorJSON struct {
	URL           string  `json:"url"`
	OK            bool    `json:"ok"`
	Found         bool    `json:"found"`
	Local         bool    `json:"local"`
	Status        int     `json:"status"`
	TTFBms        float64 `json:"ttfb_ms"`
	DNSms         float64 `json:"dns_ms"`
	ConnectMS     float64 `json:"connect_ms"`
	TLSms         float64 `json:"tls_ms"`
	SumDB         bool    `json:"sumdb"`
	ThroughputBps float64 `json:"throughput_bps"`
	Error         string  `json:"error"`
	Demoted       string  `json:"demoted,omitempty"`
}

// mirrorsJSON is the whole `gofast mirrors --json` document.
type mirrorsJSON struct {
	Mirrors   []mirrorJSON `json:"mirrors"`
	Chain     string       `json:"chain"`
	Mode      string       `json:"mode"`
	FromCache bool         `json:"from_cache"`
	Fallback  bool         `json:"fallback"`
	Time      time.Time    `json:"time"`
	Note      string       `json:"note"`
}

func writeMirrorsJSON(w io.Writer, r *mirrors.Result) error {
	doc := mirrorsJSON{
		Mirrors: make([]mirrorJSON, 0, len(r.Mirrors)),
		Chain:   r.Chain.Redacted(), Mode: r.Mode.String(),
		FromCache: r.FromCache, Fallback: r.Fallback, Time: r.Time, Note: r.Note,
	}
	for _, m := range r.Mirrors {
		doc.Mirrors = append(doc.Mirrors, mirrorJSON{
			URL: redact.URL(m.URL), OK: m.OK, Found: m.Found, Local: m.Local, Status: m.Status,
			TTFBms: mirrorMS(m.TTFB), DNSms: mirrorMS(m.DNS), ConnectMS: mirrorMS(m.Connect), TLSms: mirrorMS(m.TLS),
			SumDB: m.SumDB, ThroughputBps: math.Round(m.Throughput), Error: m.Err, Demoted: m.Demoted,
		})
	}
	return writeJSON(w, doc)
}

// mirrorMS is d in milliseconds, to the hundredth.
func mirrorMS(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

// writeMirrorsTable prints one line per mirror, then the chain and the
// note (unless it is the no-mirror-works error, printed on stderr).
func writeMirrorsTable(w io.Writer, r *mirrors.Result, now time.Time) error {
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MIRROR\tSTATUS\tTTFB\tTHROUGHPUT\tSUMDB\tERROR")
	for _, m := range r.Mirrors {
		status, sumdb := "dead", "no"
		switch {
		case m.Local:
			status, sumdb = "local", "-"
		case m.OK:
			status = "ok"
		}
		if m.Status != 0 {
			status += fmt.Sprintf(" %d", m.Status)
		}
		if m.SumDB {
			sumdb = "yes"
		}
		msg := m.Err
		if m.Demoted != "" {
			msg = "demoted: " + m.Demoted
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", redact.URL(m.URL), status, fmtMirrorDuration(m.TTFB), fmtMirrorRate(m.Throughput), sumdb, msg)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(table.String(), "\n") {
		// tabwriter pads an empty last column.
		if trimmed := strings.TrimRight(line, " \n"); trimmed != "" {
			fmt.Fprintln(w, trimmed)
		}
	}
	fmt.Fprintf(w, "\nGOPROXY=%s\n", r.Chain.Redacted())
	if r.FromCache {
		fmt.Fprintf(w, "(ranking from %v ago; --fresh races again)\n", now.Sub(r.Time).Round(time.Second))
	}
	if r.Fallback {
		// The reason is the one error line on stderr.
		return nil
	}
	_, err := fmt.Fprintf(w, "%s\n", r.Note)
	return err
}

// fmtMirrorDuration shows a time to first byte, "-" when unmeasured.
func fmtMirrorDuration(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	if d < 10*time.Millisecond {
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// fmtMirrorRate shows a throughput in decimal units, "-" when unknown.
func fmtMirrorRate(bps float64) string {
	switch {
	case bps <= 0:
		return "-"
	case bps >= 1e6:
		return fmt.Sprintf("%.1f MB/s", bps/1e6)
	case bps >= 1e3:
		return fmt.Sprintf("%.0f kB/s", bps/1e3)
	}
	return fmt.Sprintf("%.0f B/s", bps)
}
