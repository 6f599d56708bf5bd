package restore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs/archive"
	assignmentsjob "coursevault/jobs/assignments"
)

// The rows of the data files as the import reads them. The archive format
// is package archive's (rows.go there); these are read field by field so a
// wrong one is named, and fields this version does not know are ignored.
// So a field whose data an older reader would drop moves the format version
// (archive.FormatVersion), which older readers refuse; fields added in a
// version are optional here, so older archives still import.

type courseRow struct {
	Code, Name, Term string
	CreatedAt        time.Time
}

func parseCourse(r *row) courseRow {
	return courseRow{Code: r.nonEmpty("code"), Name: r.nonEmpty("name"), Term: r.str("term"), CreatedAt: r.time("created_at")}
}

type periodRow struct {
	ID       int64
	Name     string
	Position int64
}

func parsePeriod(r *row) periodRow {
	return periodRow{ID: r.id("id"), Name: r.nonEmpty("name"), Position: r.integer("position")}
}

type memberRow struct {
	UserID                     int64
	Email, Name, Given, Family string
	Role                       string
	PeriodID                   *int64
	Period, StudentIdentifier  string
	CreatedAt                  time.Time
}

func parseMember(r *row) memberRow {
	r.id("id")
	return memberRow{
		UserID: r.id("user_id"), Email: r.nonEmpty("email"), Name: r.str("name"),
		Given: r.str("given_name"), Family: r.str("family_name"),
		Role:     r.oneOf("role", db.RoleAdmin, db.RoleTeacher, db.RoleTA, db.RoleStudent),
		PeriodID: r.optID("period_id"), Period: r.str("period"),
		StudentIdentifier: r.str("student_identifier"), CreatedAt: r.time("created_at"),
	}
}

type assignmentRow struct {
	ID, Position   int64
	Name, Kind     string
	Key            string
	OpensAt, DueAt *time.Time
	Points         float64
}

func parseAssignment(r *row) assignmentRow {
	return assignmentRow{
		ID: r.id("id"), Name: r.nonEmpty("name"),
		Kind:     r.oneOf("kind", db.KindHomework, db.KindReading, db.KindProject, db.KindExam),
		Position: r.integer("position"), OpensAt: r.optTime("opens_at"), DueAt: r.optTime("due_at"),
		Points: r.number("points"), Key: outsideKey(r, "key"),
	}
}

// outsideKey reads an outside key: absent (format 1 archives), null and ""
// all mean none.
func outsideKey(r *row, name string) string {
	if v := r.optStr(name); v != nil {
		return *v
	}
	return ""
}

func parseSubmission(r *row) db.Submission {
	return db.Submission{
		ID: r.id("id"), AssignmentID: r.id("assignment_id"), UserID: r.id("user_id"),
		CommitSHA: r.str("commit_sha"),
		State: r.oneOf("state", db.SubmissionQueued, db.SubmissionBuilding, db.SubmissionTesting,
			db.SubmissionPassed, db.SubmissionFailed, db.SubmissionError),
		CreatedAt: r.time("created_at"), UpdatedAt: r.time("updated_at"),
		ExternalID: outsideKey(r, "external_id"),
	}
}

// stdout is absent from archives made without it: restored as "".
func parseBuildResult(r *row) db.BuildResult {
	r.id("id")
	r.integer("stdout_bytes")
	return db.BuildResult{SubmissionID: r.id("submission_id"), Passed: r.boolean("passed"), CreatedAt: r.time("created_at"),
		Stdout: r.output("stdout")}
}

func parseTestResult(r *row) db.TestResult {
	r.id("id")
	r.integer("stdout_bytes")
	return db.TestResult{SubmissionID: r.id("submission_id"), Name: r.str("name"), Passed: r.boolean("passed"),
		Message: r.str("message"), CreatedAt: r.time("created_at"), Stdout: r.output("stdout")}
}

func parseScore(r *row) db.Score {
	r.id("id")
	return db.Score{
		AssignmentID: r.id("assignment_id"), UserID: r.id("user_id"), Fraction: r.optNumber("fraction"),
		Status: r.oneOf("status", db.ScoreNotStarted, db.ScoreInProgress, db.ScoreCompleted),
		Late:   r.boolean("late"), SubmittedAt: r.optTime("submitted_at"), UpdatedAt: r.time("updated_at"),
	}
}

type staticFileRow struct {
	Path, Filename, ContentType, SHA256 string
	Size                                int64
	CreatedAt                           time.Time
	ArchivePath                         *string
}

func parseStaticFile(r *row) staticFileRow {
	r.id("id")
	sf := staticFileRow{
		Path: r.nonEmpty("path"), Filename: r.nonEmpty("filename"), ContentType: r.str("content_type"),
		Size: r.integer("size"), SHA256: r.str("sha256"), CreatedAt: r.time("created_at"),
	}
	var ap string
	if r.decode("archive_path", "a string or null", true, &ap) {
		sf.ArchivePath = &ap
	}
	return sf
}

// check reads every data file but the results (checkedOnWrite) once before
// anything is written: each row's shape, duplicate ids and keys the schema
// would refuse, and every reference, so the writes that follow cannot fail
// on the archive's account except for a result row, which insert refuses.
func (im *importer) check() error {
	bad := func(r *row, field, problem string, args ...any) error {
		return &ShapeError{File: r.file, Line: r.line, Field: field, Problem: fmt.Sprintf(problem, args...)}
	}
	im.note("Checking data/course.json")
	courses := 0
	if err := table(im, "data/course.json", parseCourse, func(r *row, c courseRow) error {
		if courses++; courses > 1 {
			return &ShapeError{File: r.file, Line: r.line, Problem: "more than one course"}
		}
		im.course = c
		return nil
	}); err != nil {
		return err
	}
	if courses == 0 {
		return &ShapeError{File: "data/course.json", Line: 1, Problem: "no course"}
	}

	im.note("Checking data/periods.json")
	periods := map[int64]string{}
	periodNames := map[string]bool{}
	if err := table(im, "data/periods.json", parsePeriod, func(r *row, p periodRow) error {
		if _, dup := periods[p.ID]; dup {
			return bad(r, "id", "period %d appears twice", p.ID)
		}
		if periodNames[p.Name] {
			return bad(r, "name", "period %q appears twice", p.Name)
		}
		periods[p.ID], periodNames[p.Name] = p.Name, true
		return nil
	}); err != nil {
		return err
	}

	im.note("Checking data/members.json")
	users := map[int64]bool{}
	emails := map[string]bool{}
	if err := table(im, "data/members.json", parseMember, func(r *row, m memberRow) error {
		if users[m.UserID] {
			return bad(r, "user_id", "user %d is a member twice", m.UserID)
		}
		if key := strings.ToLower(m.Email); emails[key] {
			return bad(r, "email", "%s is a member twice", m.Email)
		} else {
			emails[key] = true
		}
		if m.PeriodID != nil {
			name, ok := periods[*m.PeriodID]
			if !ok {
				return bad(r, "period_id", "no period with id %d in data/periods.json", *m.PeriodID)
			}
			if name != m.Period {
				return bad(r, "period", "%q, but period %d is called %q", m.Period, *m.PeriodID, name)
			}
		}
		users[m.UserID] = true
		return nil
	}); err != nil {
		return err
	}
	missingUser := func(r *row, id int64) error {
		return bad(r, "user_id", "no member with user_id %d in data/members.json", id)
	}

	im.note("Checking data/assignments.json")
	assignments := map[int64]bool{}
	keys := map[string]bool{}
	if err := table(im, "data/assignments.json", parseAssignment, func(r *row, a assignmentRow) error {
		switch {
		case assignments[a.ID]:
			return bad(r, "id", "assignment %d appears twice", a.ID)
		case keys[a.Key]:
			return bad(r, "key", "key %q appears twice", a.Key)
		}
		if msg := assignmentsjob.CheckKey(a.Key, false); msg != "" {
			return bad(r, "key", "%s", msg)
		}
		assignments[a.ID] = true
		if a.Key != "" {
			keys[a.Key] = true
		}
		return nil
	}); err != nil {
		return err
	}
	missingAssignment := func(r *row, id int64) error {
		return bad(r, "assignment_id", "no assignment with id %d in data/assignments.json", id)
	}

	im.note("Checking data/submissions.json")
	submissions := map[int64]bool{}
	if err := table(im, "data/submissions.json", parseSubmission, func(r *row, s db.Submission) error {
		switch {
		case submissions[s.ID]:
			return bad(r, "id", "submission %d appears twice", s.ID)
		case !assignments[s.AssignmentID]:
			return missingAssignment(r, s.AssignmentID)
		case !users[s.UserID]:
			return missingUser(r, s.UserID)
		}
		submissions[s.ID] = true
		return nil
	}); err != nil {
		return err
	}
	// The two largest files, the build and test results, refer only to
	// submissions: they are checked as they are written (checkedOnWrite),
	// so their bytes are read once.

	im.note("Checking data/scores.json")
	scored := map[[2]int64]bool{}
	if err := table(im, "data/scores.json", parseScore, func(r *row, s db.Score) error {
		switch {
		case !assignments[s.AssignmentID]:
			return missingAssignment(r, s.AssignmentID)
		case !users[s.UserID]:
			return missingUser(r, s.UserID)
		case scored[[2]int64{s.AssignmentID, s.UserID}]:
			return bad(r, "user_id", "user %d has a second score for assignment %d", s.UserID, s.AssignmentID)
		}
		scored[[2]int64{s.AssignmentID, s.UserID}] = true
		return nil
	}); err != nil {
		return err
	}

	im.note("Checking data/static_files.json")
	paths := map[string]bool{}
	var staticBytes int64
	err := table(im, "data/static_files.json", parseStaticFile, func(r *row, sf staticFileRow) error {
		clean, err := files.CleanStaticPath(sf.Path)
		if err != nil {
			return bad(r, "path", "%q is not a safe relative path", sf.Path)
		}
		if paths[clean] {
			return bad(r, "path", "%q appears twice", sf.Path)
		}
		paths[clean] = true
		sf.Path = clean
		if sf.ArchivePath != nil {
			e, ok := im.entries[*sf.ArchivePath]
			switch {
			case !ok || !strings.HasPrefix(*sf.ArchivePath, archive.StaticDir):
				return bad(r, "archive_path", "no entry %q under %s in the archive", *sf.ArchivePath, archive.StaticDir)
			case e.Bytes != sf.Size:
				return bad(r, "size", "%d, but entry %s holds %d bytes", sf.Size, e.Path, e.Bytes)
			case e.SHA256 != sf.SHA256:
				return bad(r, "sha256", "differs from the manifest's for entry %s", e.Path)
			}
		}
		im.statics = append(im.statics, sf)
		if sf.ArchivePath != nil {
			staticBytes += sf.Size
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The new course's static files count against its quota, as they do
	// when added one by one: refused before any byte is stored.
	if q := im.fs.Quota(); staticBytes > q {
		return &files.QuotaError{Owner: files.Course(0), Quota: q, Size: staticBytes}
	}
	return nil
}

// insert writes the course: its row first, hidden (see db/restore.go), then
// every data file in batches (inBatches), then the static files, the audit
// event and the showing of the course in one last transaction. References
// were checked by check; ids are remapped through the maps as rows go in.
func (im *importer) insert(code string, stored []storedFile) (err error) {
	ctx := im.ctx
	res := &im.res
	err = im.d.InTx(ctx, func(tx *db.Queries) error {
		var err error
		res.CourseID, err = tx.InsertRestoringCourse(ctx, db.Course{Code: code, Name: im.course.Name, Term: im.course.Term, CreatedAt: im.course.CreatedAt},
			im.owner, time.Now().Add(restoreLease))
		return err
	})
	if db.IsUniqueViolation(err) {
		// Created since the check, or held by an import still writing.
		_, err := im.d.CourseByCode(ctx, code)
		return codeTaken{code: code, importing: errors.Is(err, db.ErrNotFound)}
	}
	if err != nil {
		return err
	}
	res.Code, res.Name, res.Term = code, im.course.Name, im.course.Term
	courseID := res.CourseID

	// The WAL is copied into the database in the background while the next
	// batch is written, not by the writer in the commits (db.Checkpointer).
	stopCtx := context.WithoutCancel(ctx) // to turn it back on whatever happens
	if im.ckpt, err = im.d.StartCheckpointer(stopCtx); err != nil {
		return err
	}
	defer func() {
		if serr := im.ckpt.Stop(stopCtx); err == nil {
			err = serr
		}
	}()

	// The rows of a batch are written without the import's cancellation:
	// with it, the driver watches the context on a goroutine of its own for
	// each statement, which costs more than the insert. inBatches checks it
	// between batches, and a batch is some tens of milliseconds.
	rowCtx := context.WithoutCancel(ctx)

	im.note("Writing periods")
	periods := map[int64]int64{}
	res.Periods, err = inBatches(im, "data/periods.json", parsePeriod, nil, func(tx *db.Queries, rows []periodRow) error {
		for _, p := range rows {
			id, err := tx.InsertPeriod(rowCtx, db.Period{CourseID: courseID, Name: p.Name, Position: int(p.Position)})
			if err != nil {
				return err
			}
			periods[p.ID] = id
		}
		return nil
	})
	if err != nil {
		return err
	}

	im.note("Writing members")
	users := map[int64]int64{}
	res.Members, err = inBatches(im, "data/members.json", parseMember, nil, func(tx *db.Queries, rows []memberRow) error {
		for _, m := range rows {
			if err := im.insertMember(tx, m, users, periods); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}

	im.note("Writing assignments")
	assignments := map[int64]int64{}
	res.Assignments, err = inBatches(im, "data/assignments.json", parseAssignment, nil, func(tx *db.Queries, rows []assignmentRow) error {
		for _, a := range rows {
			id, err := tx.InsertAssignment(rowCtx, db.Assignment{CourseID: courseID, Name: a.Name, Kind: a.Kind,
				Position: int(a.Position), OpensAt: a.OpensAt, DueAt: a.DueAt, Points: a.Points, Key: a.Key})
			if err != nil {
				return err
			}
			assignments[a.ID] = id
		}
		return nil
	})
	if err != nil {
		return err
	}

	im.note("Writing submissions")
	submissions := map[int64]int64{}
	res.Submissions, err = inBatches(im, "data/submissions.json", parseSubmission, nil, func(tx *db.Queries, rows []db.Submission) error {
		for i := range rows {
			rows[i].AssignmentID, rows[i].UserID = assignments[rows[i].AssignmentID], users[rows[i].UserID]
		}
		ids, err := tx.InsertSubmissions(rowCtx, rows)
		for i, id := range ids {
			submissions[rows[i].ID] = id
		}
		return err
	})
	if err != nil {
		return err
	}

	// The results are checked here, on their only read (see check): a row
	// that names no submission or a second build result refuses the archive
	// as check would, and the course written so far is removed (discard).
	missingSubmission := func(r *row, id int64) {
		r.fail("submission_id", fmt.Sprintf("no submission with id %d in data/submissions.json", id))
	}
	im.note("Writing build results")
	built := map[int64]bool{}
	res.BuildResults, err = inBatches(im, "data/build_results.json", func(r *row) db.BuildResult {
		b := parseBuildResult(r)
		switch {
		case r.err != nil:
		case submissions[b.SubmissionID] == 0:
			missingSubmission(r, b.SubmissionID)
		case built[b.SubmissionID]:
			r.fail("submission_id", fmt.Sprintf("submission %d has a second build result", b.SubmissionID))
		default:
			built[b.SubmissionID] = true
		}
		return b
	},
		func(b db.BuildResult) int { return len(b.Stdout) },
		func(tx *db.Queries, rows []db.BuildResult) error {
			for i := range rows {
				rows[i].SubmissionID = submissions[rows[i].SubmissionID]
			}
			return tx.InsertBuildResults(rowCtx, rows)
		})
	if err != nil {
		return err
	}

	im.note("Writing test results")
	built = nil
	res.TestResults, err = inBatches(im, "data/test_results.json", func(r *row) db.TestResult {
		t := parseTestResult(r)
		if r.err == nil && submissions[t.SubmissionID] == 0 {
			missingSubmission(r, t.SubmissionID)
		}
		return t
	},
		func(t db.TestResult) int { return len(t.Stdout) + len(t.Message) },
		func(tx *db.Queries, rows []db.TestResult) error {
			for i := range rows {
				rows[i].SubmissionID = submissions[rows[i].SubmissionID]
			}
			return tx.InsertTestResults(rowCtx, rows)
		})
	if err != nil {
		return err
	}

	im.note("Writing scores")
	res.Scores, err = inBatches(im, "data/scores.json", parseScore, nil, func(tx *db.Queries, rows []db.Score) error {
		for i := range rows {
			rows[i].AssignmentID, rows[i].UserID = assignments[rows[i].AssignmentID], users[rows[i].UserID]
		}
		return tx.InsertScores(rowCtx, rows)
	})
	if err != nil {
		return err
	}

	im.note("Writing static files")
	return im.d.InTx(ctx, func(tx *db.Queries) error {
		for _, s := range stored {
			if _, err := tx.InsertStaticFile(ctx, courseID, s.row.Path, s.file.ID, s.row.CreatedAt); err != nil {
				return err
			}
			if err := tx.ClaimImportedFile(ctx, s.file.ID, PendingOwnerType, courseID); err != nil {
				return fmt.Errorf("static file %s was removed while the import ran (expired?): %w", s.row.Path, err)
			}
			res.StaticFiles++
			res.StaticBytes += s.file.Size
		}
		im.done += int64(len(im.statics)) // static_files.json rows
		if err := tx.InsertAuditEvent(ctx, db.AuditEvent{At: im.now, UserID: im.opts.By, Action: "course.import",
			CourseID: courseID, Subject: code,
			Detail: fmt.Sprintf("from an archive of %s made %s (format %d, coursevault %s)", im.m.Course.Code,
				im.m.GeneratedAt.UTC().Format(time.RFC3339), im.m.FormatVersion, orUnknown(im.m.AppVersion))}); err != nil {
			return err
		}
		return tx.FinishRestore(ctx, courseID)
	})
}

// insertMember adds one member, matching an existing user by email or
// creating one (noted, so an import that dies takes it away again).
func (im *importer) insertMember(tx *db.Queries, m memberRow, users, periods map[int64]int64) error {
	ctx, res := context.WithoutCancel(im.ctx), &im.res // see rowCtx in insert
	u, err := tx.UserByEmail(ctx, m.Email)
	switch {
	case errors.Is(err, db.ErrNotFound):
		// Unknown people come in unable to sign in until an admin invites them.
		u.ID, err = tx.InsertUser(ctx, db.User{Email: m.Email, Name: m.Name, GivenName: m.Given,
			FamilyName: m.Family, Disabled: true, CreatedAt: im.now})
		if err == nil {
			err = tx.NoteRestoreCreatedUser(ctx, res.CourseID, u.ID)
		}
		res.UsersCreated++
	case err == nil:
		res.UsersMatched++
	}
	if err != nil {
		return err
	}
	users[m.UserID] = u.ID
	var period int64
	if m.PeriodID != nil {
		period = periods[*m.PeriodID]
	}
	_, err = tx.InsertMembership(ctx, db.Membership{CourseID: res.CourseID, UserID: u.ID, Role: m.Role,
		PeriodID: period, StudentIdentifier: m.StudentIdentifier, CreatedAt: m.CreatedAt})
	return err
}
