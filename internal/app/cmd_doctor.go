package app

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/gofastdev/gofast/doctor"
	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/lockcheck"
	"github.com/gofastdev/gofast/mirrors"
)

// doctorCommand is `gofast doctor [--json]`: diagnose why module downloads
// fail or hang, layer by layer, and print the verdict with its fixes. The
// exit code is 1 when the verdict has an error.
func (s *session) doctorCommand() *cli.Command {
	return &cli.Command{
		Name:      "doctor",
		Usage:     "diagnose, layer by layer, why module downloads fail or hang, and print the fix",
		UsageText: "gofast doctor [--json]",
		Description: "Checks go's settings (GOPROXY, GOSUMDB, GOPRIVATE, proxy variables), then probes every mirror\n" +
			"and the checksum database layer by layer (dns, tcp, tls, http, proxy, sumdb), the module cache\n" +
			"and the toolchain go.mod asks for, all within about 10 seconds. Ends with a verdict: what is\n" +
			"broken, most important first, each with the command that fixes it.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON on stdout"},
		},
		Action: func(c *cli.Context) error {
			return s.doctor(c.Context, c.Bool("json"))
		},
	}
}

func (s *session) doctor(ctx context.Context, asJSON bool) error {
	st, err := s.doctorSettings(ctx)
	if err != nil {
		return err
	}
	rep, err := doctor.Run(ctx, doctor.Options{
		Settings:   st,
		Env:        s.env,
		Candidates: candidates(st, s.env),
		LockScan:   lockScan,
	})
	if err != nil {
		return err
	}
	if err := s.report(asJSON, rep, rep.WriteText); err != nil {
		return err
	}
	if !rep.OK() {
		return &ExitError{Code: 1, Silent: true}
	}
	return nil
}

// brokenByEnv are variables whose bad values make `go env` itself fail;
// doctor is the command that must still run then and say so.
var brokenByEnv = []string{"GOTOOLCHAIN", "GO111MODULE", "GOFLAGS"}

// doctorSettings reads go's settings. When go refuses to report them
// because of a bad value in one of brokenByEnv, it reads them without those
// variables and puts the bad values back, so that doctor diagnoses them.
func (s *session) doctorSettings(ctx context.Context) (*goenv.Settings, error) {
	st, err := s.Settings(ctx, "")
	if err == nil {
		return st, nil
	}
	goTool, gerr := s.GoTool()
	if gerr != nil {
		return nil, gerr
	}
	env := s.env
	for _, k := range brokenByEnv {
		env = env.Without(k)
	}
	st, err2 := goenv.Load(ctx, goTool, "", env)
	if err2 != nil {
		return nil, err
	}
	for _, k := range brokenByEnv {
		if v, ok := s.env.Lookup(k); ok {
			st.Raw[k] = v
			switch k {
			case "GOTOOLCHAIN":
				st.GOTOOLCHAIN = v
			case "GO111MODULE":
				st.GO111MODULE = v
			case "GOFLAGS":
				st.GOFLAGS = v
			}
		}
	}
	s.logf("%v; diagnosing anyway", err)
	return st, nil
}

// lockScan is the module-cache lock check doctor runs: lockcheck's
// read-only scan, reduced to its summary and one line per problem left.
func lockScan(ctx context.Context, root string) (string, []string, error) {
	r, err := lockcheck.Scan(ctx, lockcheck.Options{Root: root})
	if err != nil {
		return "", nil, err
	}
	var problems []string
	for _, p := range r.Remaining() {
		problems = append(problems, p.Path+": "+p.Detail)
	}
	return r.Summary(), problems, nil
}

// candidates are the mirrors `gofast mirrors` races, probed too so that
// the verdict can suggest working ones: with go's default GOPROXY, the
// well-known public mirrors. A list that cannot be built adds none; the
// settings checks report why.
func candidates(st *goenv.Settings, env goenv.Environ) []string {
	l, err := mirrors.Candidates(mirrors.Options{Settings: st, Env: env})
	if err != nil {
		return nil
	}
	var urls []string
	for _, e := range l {
		urls = append(urls, e.URL)
	}
	return urls
}
