package main_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/internal/pgtest"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/sqlstore"
)

// binary is the steward command, built once for the package's tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "steward-cli-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "steward")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building steward: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const policyJSON = `{
  "rules": [
    {"preset": "nl-fiscal", "category": "invoice", "fields": ["number", "amount", "client_name"]},
    {"name": "contact-limit", "category": "contact", "delete": "P2Y",
     "anchor": {"event": "contract.ended"}, "zone": "Europe/Amsterdam", "basis": "AVG art. 5(1)(e)"}
  ]
}
`

// workdir is a directory with a policy and a database of two clients: one
// with invoices of 2015 (long due) and of last year, one with contact details.
func workdir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "policy.json"), []byte(policyJSON), 0o644))
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(dir, "steward.db"), nil)
	require.NoError(t, err)
	defer st.Close()
	lastYear := time.Now().AddDate(-1, 0, 0)
	var recs []privacy.Record
	for i := range 3 {
		recs = append(recs, invoice(fmt.Sprintf("2015-%d", i), "client-1", time.Date(2015, 3, 15, 12, 0, 0, 0, time.UTC)))
	}
	recs = append(recs, invoice("recent-1", "client-1", lastYear), privacy.Record{
		Ref: privacy.Ref{Category: "contact", ID: "c-2"}, Subject: "client-2", Created: lastYear,
		Fields: []privacy.Field{{Name: "email", Value: "client2@example.nl", Class: privacy.Personal}},
	})
	for _, r := range recs {
		require.NoError(t, st.PutRecord(ctx, r))
	}
	return dir
}

func invoice(id string, subject privacy.SubjectID, made time.Time) privacy.Record {
	return privacy.Record{
		Ref: privacy.Ref{Category: "invoice", ID: id}, Subject: subject, Created: made,
		Fields: []privacy.Field{
			{Name: "number", Value: id}, {Name: "amount", Value: int64(12100)},
			{Name: "client_name", Value: "Jan de Vries", Class: privacy.Personal},
			{Name: "email", Value: "jan@example.nl", Class: privacy.Personal},
		},
	}
}

type result struct {
	code           int
	stdout, stderr string
}

func steward(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{code, out.String(), errb.String()}
}

func TestSweepPlanApplyAndApplyAgain(t *testing.T) {
	dir := workdir(t)
	r := steward(t, dir, "sweep", "plan")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "invoice/2015-0")
	assert.Contains(t, r.stdout, "3 records are due.")
	assert.NotContains(t, r.stdout, "recent-1")

	r = steward(t, dir, "sweep", "plan", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var plan struct {
		Due []struct{ Ref, Rule string } `json:"due"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &plan))
	require.Len(t, plan.Due, 3)
	assert.Equal(t, "nl-fiscal:invoice", plan.Due[0].Rule)

	r = steward(t, dir, "sweep", "apply", "--max", "2")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Disposed of 2 records")
	r = steward(t, dir, "--json", "sweep", "apply")
	require.Equal(t, 0, r.code, r.stderr)
	var rep struct{ Disposed int }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	assert.Equal(t, 1, rep.Disposed)

	r = steward(t, dir, "sweep", "apply")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Nothing to dispose of", "a second apply finds nothing more")

	r = steward(t, dir, "audit", "verify")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "entries verify")
}

func TestHoldsKeepRecordsFromTheSweep(t *testing.T) {
	dir := workdir(t)
	r := steward(t, dir, "hold", "place", "--id", "h1", "--matter", "FIOD 2026-8", "--ground", "court_order", "--record", "invoice/2015-1", "--by", "legal")
	require.Equal(t, 0, r.code, r.stderr)
	r = steward(t, dir, "hold", "list", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"id": "h1"`)

	r = steward(t, dir, "sweep", "apply")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Disposed of 2 records")
	r = steward(t, dir, "sweep", "plan")
	assert.Contains(t, r.stdout, "Nothing is due.", "the held invoice is not due")

	r = steward(t, dir, "hold", "release", "h1", "--by", "legal")
	require.Equal(t, 0, r.code, r.stderr)
	r = steward(t, dir, "hold", "release", "h1", "--by", "legal")
	assert.Equal(t, 1, r.code, "releasing twice fails")
	assert.Contains(t, r.stderr, "released already")
	r = steward(t, dir, "sweep", "apply")
	assert.Contains(t, r.stdout, "Disposed of 1 records")
}

func TestEraseAndExport(t *testing.T) {
	dir := workdir(t)
	r := steward(t, dir, "export", "client-1", "--format", "csv,json", "--out", "client-1.zip")
	require.Equal(t, 0, r.code, r.stderr)
	zr, err := zip.OpenReader(filepath.Join(dir, "client-1.zip"))
	require.NoError(t, err)
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	zr.Close()
	assert.Contains(t, names, "manifest.json")

	r = steward(t, dir, "erase", "client-1", "--lang", "nl")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "bewaard tot")
	assert.Contains(t, r.stdout, "fiscale bewaarplicht (AWR art. 52 lid 4)")
	r = steward(t, dir, "erase", "client-1")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Nothing changed")
}

func TestStats(t *testing.T) {
	dir := workdir(t)
	r := steward(t, dir, "stats", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"min_subjects": 10`)
	assert.NotContains(t, r.stdout, `"subjects": 1`, "a figure of one subject is withheld")
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name   string
		policy string // written to bad.json, used with --policy bad.json
		args   []string
		code   int
		stderr string
	}{
		{"malformed policy names the line", "{\n  \"rules\": [\n    {\"preset\": \"nl-fiscal\", \"category\": \"invoice\",}\n  ]\n}\n", []string{"sweep", "plan"}, 2, "bad.json:3:"},
		{"unknown field names the line and the rule", "{\"rules\": [\n {\"preset\": \"nl-fiscal\", \"category\": \"invoice\"},\n {\"name\": \"x\", \"category\": \"c\", \"keep\": \"P1Y\", \"colour\": \"red\"}\n]}\n", []string{"sweep", "plan"}, 2, `bad.json:3: rule 2: unknown field "colour"`},
		{"invalid rule names the line and the rule", "{\"rules\": [\n {\"preset\": \"nl-fiscal\", \"category\": \"invoice\"},\n\n {\"name\": \"neg\", \"category\": \"c\", \"keep\": \"P-1Y\"}\n]}\n", []string{"sweep", "plan"}, 2, "bad.json:4: rule 2"},
		{"a rule the policy rejects names its line", "{\"rules\": [\n {\"name\": \"a\", \"category\": \"c\", \"keep\": \"P1Y\"},\n {\"name\": \"a\", \"category\": \"d\", \"keep\": \"P1Y\"}\n]}\n", []string{"sweep", "plan"}, 2, "bad.json:3: rule 2 (a): same name as rule 1"},
		{"unknown preset", "{\"rules\": [{\"preset\": \"nl-lunch\", \"category\": \"c\"}]}", []string{"sweep", "plan"}, 2, `unknown preset "nl-lunch"`},
		{"missing policy file", "", []string{"sweep", "plan", "--policy", "nope.json"}, 2, "nope.json does not exist"},
		{"unknown subject", "", []string{"erase", "nobody"}, 1, `subject "nobody" has no records`},
		{"unknown subject for export", "", []string{"export", "nobody", "--out", "x.zip"}, 1, `subject "nobody" has no records`},
		{"missing DSN", "", []string{"--dsn", "", "audit", "verify"}, 2, "--dsn is empty"},
		{"DSN that is not a database", "", []string{"--dsn", "mysql://x", "audit", "verify"}, 1, "opening the database"},
		{"unknown command", "", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"no command", "", nil, 2, "no command"},
		{"unknown flag", "", []string{"sweep", "plan", "--colour"}, 2, "flag provided but not defined"},
		{"negative cap", "", []string{"sweep", "apply", "--max", "-1"}, 2, "--max must not be negative"},
		{"hold with two scopes", "", []string{"hold", "place", "--id", "h", "--matter", "m", "--ground", "law", "--subject", "s", "--category", "c", "--by", "x"}, 2, "exactly one of"},
		{"hold with an unknown ground", "", []string{"hold", "place", "--id", "h", "--matter", "m", "--ground", "whim", "--subject", "s", "--by", "x"}, 2, "unknown ground"},
		{"export without --out", "", []string{"export", "client-1"}, 2, "--out FILE is required"},
		{"export to an unknown format", "", []string{"export", "client-1", "--format", "pdf", "--out", "x.zip"}, 2, `unknown format "pdf"`},
		{"export to a bad recipient", "", []string{"export", "client-1", "--recipient", "age1nope", "--out", "x.zip"}, 2, "--recipient"},
		{"unknown language", "", []string{"erase", "client-1", "--lang", "fr"}, 2, `--lang "fr"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := workdir(t)
			args := tc.args
			if tc.policy != "" {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.json"), []byte(tc.policy), 0o644))
				args = append([]string{"--policy", "bad.json"}, args...)
			}
			r := steward(t, dir, args...)
			assert.Equal(t, tc.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			assert.Contains(t, r.stderr, tc.stderr)
			assert.NotContains(t, r.stderr, "jan@example.nl", "no personal value in an error")
			_, err := os.Stat(filepath.Join(dir, "x.zip"))
			assert.True(t, os.IsNotExist(err), "no export file left behind")
		})
	}
}

func TestPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "policy.json"), []byte(policyJSON), 0o644))
	r := steward(t, dir, "--dsn", dsn, "hold", "place", "--id", "h1", "--matter", "m", "--ground", "law", "--category", "invoice", "--by", "legal")
	require.Equal(t, 0, r.code, r.stderr)
	r = steward(t, dir, "--dsn", dsn, "hold", "list")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "h1")
	r = steward(t, dir, "--dsn", dsn, "audit", "verify")
	require.Equal(t, 0, r.code, r.stderr)
	assert.True(t, strings.Contains(r.stdout, "entries verify"))
	r = steward(t, dir, "--dsn", dsn, "sweep", "plan", "--json")
	require.Equal(t, 0, r.code, r.stderr)
}
