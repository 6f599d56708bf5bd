package submissions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"coursevault/db"
)

const fullExtra = `,"build":{"passed":true,"stdout":"build ok"},"tests":[{"name":"test_add","passed":true,"message":"","stdout":"1+1=2"},{"name":"test_sub","passed":false,"message":"want 0","stdout":"1-1=1"}],"score":0.85,"late":true`

func TestIngest_storesSubmissionBuildTestsAndScore(t *testing.T) {
	c := newCourse(t)
	ctx := context.Background()
	res, err := c.ingest(line("ext-1", "hw1", "ada@school.test", fullExtra) + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 1 || res.Replaced != 0 || len(res.Rejected) != 0 {
		t.Fatalf("result %+v, want 1 accepted", res)
	}
	n := c.counts()
	if n.Submissions != 1 || n.BuildResults != 1 || n.TestResults != 2 || n.Scores != 1 {
		t.Errorf("counts %+v, want 1 submission, 1 build, 2 tests, 1 score", n)
	}
	var sub db.Submission
	c.d.EachSubmission(ctx, c.id, func(s db.Submission) error { sub = s; return nil })
	if sub.UserID != c.users["ada@school.test"] || sub.AssignmentID != c.hw1 || sub.CommitSHA != "3f2a9c" || sub.State != "passed" ||
		!sub.CreatedAt.Equal(testNow.Add(-23*3600e9)) {
		t.Errorf("submission %+v", sub)
	}
	var score db.Score
	c.d.EachScore(ctx, c.id, func(s db.Score) error { score = s; return nil })
	if score.Fraction == nil || *score.Fraction != 0.85 || score.Status != db.ScoreCompleted || !score.Late || score.SubmittedAt == nil {
		t.Errorf("score %+v", score)
	}
	var tests []string
	c.d.EachTestResult(ctx, c.id, true, func(r db.TestResultRow) error {
		tests = append(tests, r.Name+":"+r.Stdout+":"+r.Message)
		return nil
	})
	if strings.Join(tests, ",") != "test_add:1+1=2:,test_sub:1-1=1:want 0" {
		t.Errorf("tests %v", tests)
	}
}

func TestIngest_sameIDAgainReplacesNotDuplicates(t *testing.T) {
	c := newCourse(t)
	ctx := context.Background()
	body := line("ext-1", "hw1", "ada@school.test", fullExtra) + "\n" + line("ext-2", "hw1", "bob@school.test", `,"score":0.5`) + "\n"
	if _, err := c.ingest(body); err != nil {
		t.Fatal(err)
	}
	before := c.counts()
	again := strings.NewReplacer(`"state":"passed"`, `"state":"failed"`, `"stdout":"build ok"`, `"stdout":"build again"`, `0.85`, `0.25`).Replace(body)
	res, err := c.ingest(again)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 2 || res.Replaced != 2 {
		t.Errorf("result %+v, want 2 accepted, 2 replaced", res)
	}
	if after := c.counts(); after != before {
		t.Errorf("counts after sending again %+v, before %+v", after, before)
	}
	states := map[string]bool{}
	c.d.EachSubmission(ctx, c.id, func(s db.Submission) error { states[s.State] = true; return nil })
	if !states["failed"] || states["passed"] {
		t.Errorf("states after replacing: %v", states)
	}
	var stdout string
	c.d.EachBuildResult(ctx, c.id, true, func(r db.BuildResultRow) error { stdout = r.Stdout; return nil })
	if stdout != "build again" {
		t.Errorf("build stdout %q, want the new one", stdout)
	}
	var fractions []float64
	c.d.EachScore(ctx, c.id, func(s db.Score) error { fractions = append(fractions, *s.Fraction); return nil })
	if len(fractions) != 2 || fractions[0]+fractions[1] != 0.75 {
		t.Errorf("scores %v, want 0.25 and 0.5", fractions)
	}
	// The same id twice in one body (one batch): the second replaces the
	// first, its build and tests too, though the first's were not yet
	// written when the second came.
	before = c.counts()
	second := strings.ReplaceAll(fullExtra, `"stdout":"build ok"`, `"stdout":"build second"`)
	res, err = c.ingest(line("ext-3", "hw2", "ada@school.test", fullExtra) + "\n" + line("ext-3", "hw2", "ada@school.test", second) + "\n")
	if err != nil || res.Accepted != 2 || res.Replaced != 1 {
		t.Errorf("one id twice in a body: %+v, %v", res, err)
	}
	after := c.counts()
	if after.Submissions != before.Submissions+1 || after.BuildResults != before.BuildResults+1 || after.TestResults != before.TestResults+2 {
		t.Errorf("one id twice in a body: counts %+v, before %+v; want one more submission, build result and its two tests", after, before)
	}
	builds := map[string]bool{}
	c.d.EachBuildResult(ctx, c.id, true, func(r db.BuildResultRow) error { builds[r.Stdout] = true; return nil })
	if !builds["build second"] || builds["build ok"] {
		t.Errorf("build outputs after one id twice in a body: %v, want the second's", builds)
	}
}

func TestIngest_idOfAnotherStudentOrAssignmentIsRejected(t *testing.T) {
	c := newCourse(t)
	if _, err := c.ingest(line("ext-1", "hw1", "ada@school.test", "")); err != nil {
		t.Fatal(err)
	}
	res, err := c.ingest(line("ext-1", "hw1", "bob@school.test", "") + "\n" + line("ext-1", "hw2", "ada@school.test", ""))
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 0 || len(res.Rejected) != 2 || !strings.Contains(res.Rejected[0].Error, `field "id"`) || res.Rejected[1].Line != 2 {
		t.Errorf("result %+v, want both lines rejected naming id", res)
	}
	if n := c.counts(); n.Submissions != 1 {
		t.Errorf("%d submissions, want 1", n.Submissions)
	}
	// The same within one body (one batch): the first line is new, and
	// the second may not take its id.
	res, err = c.ingest(line("ext-2", "hw1", "ada@school.test", "") + "\n" + line("ext-2", "hw1", "bob@school.test", ""))
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 1 || len(res.Rejected) != 1 || res.Rejected[0].Line != 2 || !strings.Contains(res.Rejected[0].Error, `field "id"`) {
		t.Errorf("result %+v, want line 2 rejected naming id", res)
	}
	if n := c.counts(); n.Submissions != 2 {
		t.Errorf("%d submissions, want 2", n.Submissions)
	}
}

func TestIngest_badLinesReportedGoodLinesKept(t *testing.T) {
	c := newCourse(t)
	body := strings.Join([]string{
		line("ok-1", "hw1", "ada@school.test", ""),                 // 1
		line("bad-1", "hw1", "ada@school.test", `,"colour":"red"`), // 2
		`{"id":"bad-2","assignment":"hw1"`,                         // 3
		"",                                                         // 4: blank, skipped
		line("bad-3", "hw1", "ada@school.test", `,"score":1.5`),                                 // 5
		line("bad-4", "hw1", "ada@school.test", `,"build":{"passed":"yes"}`),                    // 6
		strings.Replace(line("bad-5", "hw1", "S1", ""), "passed", "done", 1),                    // 7
		strings.Replace(line("bad-6", "hw1", "S1", ""), "2026-11-01T10:00:00Z", "yesterday", 1), // 8
		line("bad-7", "hw1", "ada@school.test", `,"tests":[{"passed":true}]`),                   // 9
		line("bad-8", "hw9", "ada@school.test", ""),                                             // 10
		line("bad-9", "hw1", "nobody@school.test", ""),                                          // 11
		line("bad-10", "hw1", "teach@school.test", ""),                                          // 12
		line("bad-11", "hw1", "carl@school.test", ""),                                           // 13: another course's student
		line("bad-12", "lab", "ada@school.test", ""),                                            // 14: another course's assignment
		line("ok-2", "hw1", "S1", "") + " " + line("bad-13", "hw1", "S1", ""),                   // 15
		line("ok-3", "hw2", "ADA@School.Test", ""),                                              // 16
		`"just a string"`,             // 17
		line("ok-4", "hw2", "S1", ""), // 18
	}, "\r\n")
	res, err := c.ingest(body)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{
		2: `unknown field "colour"`, 3: "cut short", 5: `field "score"`, 6: `field "build.passed": must be true or false`,
		7: `field "state"`, 8: `field "submitted_at"`, 9: `field "tests[0].name"`,
		10: `PUT /api/courses/1/assignments/hw9`, 11: `field "student": "nobody@school.test"`,
		12: "as teacher, not as a student", 13: `"carl@school.test" is neither`, 14: `no assignment with key "lab"`,
		15: "more than one JSON value", 17: "must be a JSON object",
	}
	if res.Accepted != 3 {
		t.Errorf("accepted %d, want 3", res.Accepted)
	}
	got := map[int]string{}
	for _, r := range res.Rejected {
		got[r.Line] = r.Error
	}
	for n, w := range want {
		if !strings.Contains(got[n], w) {
			t.Errorf("line %d: %q, want it to say %q", n, got[n], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("rejected %v, want lines %v", got, want)
	}
	if n := c.counts(); n.Submissions != 3 {
		t.Errorf("%d submissions, want 3", n.Submissions)
	}
}

func TestIngest_tooLongLineSkippedNextAccepted(t *testing.T) {
	c := newCourse(t)
	long := line("long", "hw1", "ada@school.test", `,"build":{"passed":true,"stdout":"`+strings.Repeat("x", 300<<10)+`"}`)
	body := long + "\n" + line("next", "hw1", "bob@school.test", "") + "\n" +
		line("big-stdout", "hw2", "bob@school.test", `,"tests":[{"name":"t","passed":true,"stdout":"`+strings.Repeat("y", 5000)+`"}]`) + "\n"
	res, err := c.ingest(body, Limits{MaxLine: 64 << 10, MaxStdout: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 1 || len(res.Rejected) != 2 {
		t.Fatalf("result %+v, want 1 accepted, 2 rejected", res)
	}
	if r := res.Rejected[0]; r.Line != 1 || !strings.Contains(r.Error, "longer than 64.0 KiB (--ingest-max-line)") {
		t.Errorf("too long line: %+v", r)
	}
	if r := res.Rejected[1]; r.Line != 3 || !strings.Contains(r.Error, `field "tests[0].stdout"`) || !strings.Contains(r.Error, "--ingest-max-stdout") {
		t.Errorf("too much stdout: %+v", r)
	}
	// The first line is too long but is NDJSON: not a refused body.
	if res, err := c.ingest(long, Limits{MaxLine: 64 << 10}); err != nil || len(res.Rejected) != 1 {
		t.Errorf("a body of one long line: %+v, %v", res, err)
	}
}

func TestIngest_notNDJSONIsRefusedAndWritesNothing(t *testing.T) {
	for name, body := range map[string]string{
		"empty":      "",
		"blank":      "\n \r\n\n",
		"json array": "[" + line("a", "hw1", "S1", "") + "]",
		"html":       "<!doctype html><p>hello</p>",
		"binary":     "PK\x03\x04\x00\x00\xff\xfe",
		"csv":        "email,assignment,score\nada@school.test,hw1,1\n",
	} {
		t.Run(name, func(t *testing.T) {
			c := newCourse(t)
			v := c.dataVersion(t)
			if strings.TrimSpace(body) != "" { // a good line after the first does not save the body
				body += "\n" + line("later", "hw1", "S1", "")
			}
			_, err := c.ingest(body)
			if !errors.Is(err, ErrNotNDJSON) {
				t.Errorf("err %v, want ErrNotNDJSON", err)
			}
			if n := c.counts(); n.Submissions != 0 || c.dataVersion(t) != v {
				t.Errorf("refused body wrote %d submissions", n.Submissions)
			}
		})
	}
}

func TestIngest_movesDataVersion(t *testing.T) {
	c := newCourse(t)
	v := c.dataVersion(t)
	if _, err := c.ingest(line("ext-1", "hw1", "S1", fullExtra)); err != nil {
		t.Fatal(err)
	}
	v2 := c.dataVersion(t)
	if v2 <= v {
		t.Fatalf("data_version %d after ingest, %d before", v2, v)
	}
	if _, err := c.ingest(line("ext-1", "hw1", "S1", "")); err != nil { // replaced, results deleted
		t.Fatal(err)
	}
	if v3 := c.dataVersion(t); v3 <= v2 {
		t.Errorf("data_version %d after replacing, %d before", v3, v2)
	}
}

func TestIngest_rejectedListIsCapped(t *testing.T) {
	c := newCourse(t)
	var b strings.Builder
	for range MaxRejected + 5 {
		b.WriteString(line("x", "nope", "S1", "") + "\n")
	}
	res, err := c.ingest(b.String())
	if err != nil || len(res.Rejected) != MaxRejected || res.MoreRejected != 5 || res.RejectedCount() != MaxRejected+5 {
		t.Errorf("%d listed, %d more, %v", len(res.Rejected), res.MoreRejected, err)
	}
}

func TestIngest_studentIDSharedOrForeignIsRejected(t *testing.T) {
	c := newCourse(t)
	ctx := context.Background()
	err := c.d.InTx(ctx, func(tx *db.Queries) error {
		id, err := tx.InsertUser(ctx, db.User{Email: "twin@school.test", Name: "Twin", CreatedAt: testNow})
		if err != nil {
			return err
		}
		_, err = tx.InsertMembership(ctx, db.Membership{CourseID: c.id, UserID: id, Role: db.RoleStudent, StudentIdentifier: "S1", CreatedAt: testNow})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.ingest(line("a", "hw1", "S1", "") + "\n" + line("b", "hw1", "S9", "") + "\n" + line("c", "hw1", "twin@school.test", "") + "\n")
	if err != nil || res.Accepted != 1 || len(res.Rejected) != 2 ||
		!strings.Contains(res.Rejected[0].Error, `student id "S1" is shared by 2 members`) || !strings.Contains(res.Rejected[1].Error, `"S9" is neither`) {
		t.Errorf("%+v, %v", res, err)
	}
}

// A body that breaks off (a dropped connection) stops the ingest with the
// error; the batches before it stay, and sending the body again is safe.
func TestIngest_brokenBodyKeepsWhatWasWritten(t *testing.T) {
	c := newCourse(t)
	var b strings.Builder
	const batch = batchRows / 2  // lines of 2 rows
	for i := range batch + 100 { // more than one batch
		b.WriteString(line(fmt.Sprint("ok-", i), "hw1", "S1", `,"score":1`) + "\n")
	}
	broken := errors.New("connection reset")
	res, err := Ingest(context.Background(), c.d, c.id, io.MultiReader(strings.NewReader(b.String()), iotest.ErrReader(broken)), Options{Now: testNow})
	if !errors.Is(err, broken) || res.Accepted != batch {
		t.Fatalf("%d accepted, %v; want the first batch (%d) and the read error", res.Accepted, err, batch)
	}
	if res, err = c.ingest(b.String()); err != nil || res.Accepted != batch+100 || res.Replaced != batch {
		t.Errorf("sent again: %+v, %v", res, err)
	}
}

// A batch is one bulk transaction: the course's data_version moves once per
// batch that wrote something, not once per row, and not at all for a body
// whose lines were all rejected.
func TestIngest_dataVersionMovesOncePerBatch(t *testing.T) {
	c := newCourse(t)
	var small, large strings.Builder
	for i := range 10 { // 10 lines of 5 rows: one batch
		small.WriteString(line(fmt.Sprint("s-", i), "hw1", "S1", fullExtra) + "\n")
	}
	for i := range batchRows { // lines of 2 rows: two batches
		large.WriteString(line(fmt.Sprint("l-", i), "hw2", "bob@school.test", `,"score":1`) + "\n")
	}
	for _, tt := range []struct {
		name, body string
		steps      int64
	}{
		{"one batch of 50 rows", small.String(), 1},
		{"the same again, replacing", small.String(), 1},
		{"two batches", large.String(), 2},
		{"only rejected lines", line("x", "nope", "S1", "") + "\n" + `{"id":1}` + "\n", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := c.dataVersion(t)
			if _, err := c.ingest(tt.body); err != nil {
				t.Fatal(err)
			}
			if got := c.dataVersion(t); got != before+tt.steps {
				t.Errorf("data_version %d → %d, want %d steps", before, got, tt.steps)
			}
		})
	}
}

// cancelAt is a context that cancels itself at its n-th Err call (the
// ingest asks before each line it writes): a failure in the middle of a
// batch, at a line the test chooses.
type cancelAt struct {
	context.Context
	n     int64
	calls atomic.Int64 // database/sql asks from a goroutine of its own too
	done  chan struct{}
	once  sync.Once
}

func newCancelAt(n int64) *cancelAt {
	return &cancelAt{Context: context.Background(), n: n, done: make(chan struct{})}
}

func (c *cancelAt) Done() <-chan struct{} { return c.done }

func (c *cancelAt) Err() error {
	if c.calls.Add(1) == c.n {
		c.once.Do(func() { close(c.done) })
	}
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}

// A batch that fails half-way (here its context is cancelled) rolls back
// all its rows and does not move data_version; the batches before it stay.
func TestIngest_failedBatchRollsBackItsRows(t *testing.T) {
	var body strings.Builder
	const batch = batchRows / 2 // lines of 2 rows
	for i := range 2 * batch {  // two batches
		body.WriteString(line(fmt.Sprint("ok-", i), "hw1", "S1", `,"build":{"passed":true,"stdout":"x"}`) + "\n")
	}
	half := body.String()[:body.Len()/2]
	// How many times writing one batch asks the context for its error.
	probe, pc := newCancelAt(-1), newCourse(t)
	if _, err := Ingest(probe, pc.d, pc.id, strings.NewReader(half), Options{Now: testNow}); err != nil {
		t.Fatal(err)
	}
	perBatch := probe.calls.Load()
	t.Logf("writing one batch asks for the error %d times", perBatch)
	c := newCourse(t)
	before := c.dataVersion(t)
	ctx := newCancelAt(perBatch + perBatch/2) // half-way through the second batch
	res, err := Ingest(ctx, c.d, c.id, strings.NewReader(body.String()), Options{Now: testNow})
	if !errors.Is(err, context.Canceled) || res.Accepted != batch {
		t.Fatalf("%d accepted, %v; want the first batch and the failure", res.Accepted, err)
	}
	if n := c.counts(); n.Submissions != batch || n.BuildResults != batch {
		t.Errorf("counts %+v, want the first batch's %d submissions and builds only", n, batch)
	}
	if got := c.dataVersion(t); got != before+1 {
		t.Errorf("data_version %d → %d, want one step (the first batch)", before, got)
	}
}

// A student's runs in one body each replace the score before: the last
// accepted line's score (and late flag) is the one that stays.
func TestIngest_lastScoreOfABodyWins(t *testing.T) {
	c := newCourse(t)
	body := strings.Join([]string{
		line("run-1", "hw1", "ada@school.test", `,"score":0.2,"late":true`),
		line("run-2", "hw1", "S1", `,"score":0.9`),
		line("bob-1", "hw1", "bob@school.test", `,"score":0.1`),
		line("run-3", "hw1", "ada@school.test", `,"score":0.4,"late":true`),
		line("run-4", "hw9", "ada@school.test", `,"score":1`), // rejected: no hw9
		line("run-5", "hw1", "ada@school.test", ""),           // no score: keeps 0.4
	}, "\n")
	res, err := c.ingest(body)
	if err != nil || res.Accepted != 5 || res.RejectedCount() != 1 {
		t.Fatalf("%+v, %v", res, err)
	}
	got := map[int64]string{}
	c.d.EachScore(context.Background(), c.id, func(s db.Score) error {
		got[s.UserID] = fmt.Sprintf("%g late=%t", *s.Fraction, s.Late)
		return nil
	})
	want := map[int64]string{c.users["ada@school.test"]: "0.4 late=true", c.users["bob@school.test"]: "0.1 late=false"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("scores %v, want %v", got, want)
	}
}

// Any number of tests is stored, in the order sent.
func TestIngest_manyTestsStoredInOrder(t *testing.T) {
	c := newCourse(t)
	for _, n := range []int{1, 8, 9, 17} {
		var tests []string
		for i := range n {
			tests = append(tests, fmt.Sprintf(`{"name":"t%02d","passed":%t,"stdout":"out %d"}`, i, i%2 == 0, i))
		}
		id := fmt.Sprint("many-", n)
		if res, err := c.ingest(line(id, "hw1", "S1", `,"tests":[`+strings.Join(tests, ",")+`]`)); err != nil || res.Accepted != 1 {
			t.Fatalf("%d tests: %+v, %v", n, res, err)
		}
	}
	var got []string
	c.d.EachTestResult(context.Background(), c.id, true, func(r db.TestResultRow) error {
		got = append(got, fmt.Sprintf("%s:%t:%s", r.Name, r.Passed, r.Stdout))
		return nil
	})
	var want []string
	for _, n := range []int{1, 8, 9, 17} {
		for i := range n {
			want = append(want, fmt.Sprintf("t%02d:%t:out %d", i, i%2 == 0, i))
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("test results\n%q\nwant\n%q", got, want)
	}
}
