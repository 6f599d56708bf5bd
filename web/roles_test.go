package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs/assignments"
	"coursevault/jobs/courses"
	"coursevault/jobs/exports"
	"coursevault/jobs/roster"
	"coursevault/web/auth"
)

// The callers of the role matrix, in column order. "revoked token" sends a
// revoked personal access token; "expired session" a session cookie whose
// session has expired.
var matrixRoles = []string{"anonymous", asStudent, asOtherTeacher, asTA, asTeacher, asAdmin, asSiteAdmin, "revoked token", "expired session"}

// routeRule is the expected status per caller for one route, in matrixRoles order.
type routeRule struct {
	path   func() string // a fresh target per call: actions change what they act on
	status [9]int
	fresh  bool // a newly signed-in caller (the call ends its session)
	body   func() string
}

const (
	ok     = http.StatusOK
	see    = http.StatusSeeOther
	unauth = http.StatusUnauthorized
	nf     = http.StatusNotFound
	forb   = http.StatusForbidden
	yes    = -1 // any 2xx: the action was allowed
)

func fixed(p string) func() string { return func() string { return p } }

// roleMatrix has a rule for every route of the router, keyed "METHOD path".
// Unsafe methods are sent as htmx would (HX-Request and the CSRF header); the
// revoked-token and expired-session callers have no CSRF token to send.
func roleMatrix(f *fixture) map[string]routeRule {
	ctx := context.Background()
	course := fmt.Sprint(f.course)
	archive := f.readyArchive()
	exp := fmt.Sprintf("/courses/%d/exports/%d", f.course, archive.ID)
	book := f.readyBook(f.course)
	bookRow := fmt.Sprintf("/courses/%d/performance/exports/%d", f.course, book.ID)
	// fresh returns a new export of kind, cancelled when cancel is set.
	fresh := func(kind string, cancel bool, path func(e db.ExportView) string) func() string {
		return func() string {
			e, _, err := f.srv.exports.Request(ctx, exports.Request{CourseID: f.course, UserID: f.users[asAdmin], Kind: kind, IncludeStatic: true})
			if err != nil {
				f.t.Fatal(err)
			}
			if cancel {
				if e, err = f.srv.exports.Cancel(ctx, e); err != nil {
					f.t.Fatal(err)
				}
			}
			return path(e)
		}
	}
	archiveAt := func(suffix string) func(e db.ExportView) string {
		return func(e db.ExportView) string { return fmt.Sprintf("/courses/%d/exports/%d%s", f.course, e.ID, suffix) }
	}
	bookAt := func(suffix string) func(e db.ExportView) string {
		return func(e db.ExportView) string {
			return fmt.Sprintf("/courses/%d/performance/exports/%d%s", f.course, e.ID, suffix)
		}
	}
	// readyAt points at the ready export of kind made above.
	readyAt := func(kind string, path func(e db.ExportView) string) func() string {
		return func() string {
			if kind == db.ExportBook {
				return path(book)
			}
			return path(archive)
		}
	}
	api := func(p func(e db.ExportView) string) func(e db.ExportView) string {
		return func(e db.ExportView) string { return "/api" + p(e) }
	}
	siteAdminPage := [9]int{see, nf, nf, nf, nf, nf, ok, see, see}
	im, err := f.srv.imports.Upload(ctx, f.users[asSiteAdmin], "x.zip", "", strings.NewReader("not a zip"))
	if err != nil {
		f.t.Fatal(err)
	}
	n := 0 // distinct sign-in attempts, so throttling does not answer instead
	adminPage := [9]int{see, nf, nf, forb, forb, ok, ok, see, see}
	staffPage := [9]int{see, nf, nf, ok, ok, ok, ok, see, see}
	adminAPI := [9]int{unauth, nf, nf, forb, forb, ok, ok, unauth, unauth}
	staffAPI := [9]int{unauth, nf, nf, ok, ok, ok, ok, unauth, unauth}
	adminAction := [9]int{unauth, nf, nf, forb, forb, yes, yes, forb, forb}
	staffAction := [9]int{unauth, nf, nf, yes, yes, yes, yes, forb, forb}
	adminAPIAction := [9]int{unauth, nf, nf, forb, forb, yes, yes, unauth, forb}
	staffAPIAction := [9]int{unauth, nf, nf, yes, yes, yes, yes, unauth, forb}
	archiveFile := [9]int{nf, nf, nf, nf, nf, ok, ok, unauth, nf}
	// A period of the course for the period routes, and fresh ones to remove.
	if err := f.srv.courses.AddPeriod(ctx, f.course, "Matrix", courses.Actor{}); err != nil {
		f.t.Fatal(err)
	}
	periods, _ := f.db.Periods(ctx, f.course)
	period := fmt.Sprintf("/courses/%d/settings/periods/%d", f.course, periods[0].ID)
	freshPeriod := func() string {
		n++
		if err := f.srv.courses.AddPeriod(ctx, f.course, fmt.Sprintf("Gone %d", n), courses.Actor{}); err != nil {
			f.t.Fatal(err)
		}
		ps, _ := f.db.Periods(ctx, f.course)
		return fmt.Sprintf("/courses/%d/settings/periods/%d/remove", f.course, ps[len(ps)-1].ID)
	}
	// freshCourse is a new course staffed like the fixture's, for removals.
	var lastCode string
	freshCourse := func(prefix string) func() string {
		return func() string {
			n++
			lastCode = fmt.Sprintf("GONE%d", n)
			return fmt.Sprintf("%s/courses/%d%s", prefix, f.staffedCourse(lastCode), map[string]string{"": "/remove", "/api": ""}[prefix])
		}
	}
	siteAdminAction := [9]int{unauth, nf, nf, nf, nf, nf, yes, forb, forb}
	siteAdminCourseAction := [9]int{unauth, nf, nf, forb, forb, forb, yes, forb, forb}
	siteAdminAPIAction := [9]int{unauth, forb, forb, forb, forb, forb, yes, unauth, forb}
	siteAdminCourseAPIAction := [9]int{unauth, nf, nf, forb, forb, forb, yes, unauth, forb}
	form := func(s string) func() string { return func() string { return s } }
	// Account actions act on a user of their own, so they change no caller;
	// each call of a set-password route gets a fresh link of another user.
	targetID := f.addUser("matrix-target@test.edu", false)
	target := fmt.Sprintf("/admin/users/%d", targetID)
	linkUser := f.addUser("matrix-link@test.edu", false)
	newLink := func(userID int64) string {
		token, hash := auth.NewLinkToken()
		err := f.db.InTx(ctx, func(tx *db.Queries) error {
			_, err := tx.InsertPasswordLink(ctx, db.PasswordLink{UserID: userID, TokenHash: hash, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})
			return err
		})
		if err != nil {
			f.t.Fatal(err)
		}
		return token
	}
	passwordPage := func() string { return "/password/" + newLink(linkUser) }
	revokable := func() string { newLink(targetID); return target + "/link/revoke" }
	people := "/courses/" + course + "/people"
	adminStatus := func(st int) [9]int { return [9]int{unauth, nf, nf, forb, forb, st, st, forb, forb} }
	// member returns the remove URL of a new member, made for each call.
	member := func() string {
		n++
		email := fmt.Sprintf("member%d@test.edu", n)
		if _, err := roster.AddOne(ctx, f.db, f.course, roster.Entry{Email: email}, roster.Options{}, time.Now()); err != nil {
			f.t.Fatal(err)
		}
		u, err := f.db.UserByEmail(ctx, email)
		if err != nil {
			f.t.Fatal(err)
		}
		return fmt.Sprintf("%s/%d/remove", people, u.ID)
	}
	// staticFile stores a course file at p and returns its static_files id.
	staticFile := func(p string) int64 {
		st, _, err := f.files.PutStatic(ctx, f.course, files.StaticInput{Path: p}, strings.NewReader("matrix"))
		if err != nil {
			f.t.Fatal(err)
		}
		return st.ID
	}
	courseFiles := "/courses/" + course + "/files"
	kept := fmt.Sprintf("%s/%d", courseFiles, staticFile("matrix/kept.txt"))
	freshFile := func(prefix, suffix string) func() string {
		return func() string {
			n++
			p := fmt.Sprintf("matrix/gone-%d.txt", n)
			id := staticFile(p)
			if prefix != "" {
				return prefix + p
			}
			return fmt.Sprintf("%s/%d%s", courseFiles, id, suffix)
		}
	}
	// Assignments of the course: one to edit and move, fresh ones (by key) to remove.
	newAssignment := func(key string) int64 {
		a, _, err := f.srv.assignments.Put(ctx, f.course, key, assignments.Input{Name: "Matrix " + key, Kind: "homework", Points: "10"}, assignments.Actor{})
		if err != nil {
			f.t.Fatal(err)
		}
		return a.ID
	}
	work := fmt.Sprintf("/courses/%d/performance/assignments", f.course)
	newAssignment("matrix-first")
	workItem := fmt.Sprintf("%s/%d", work, newAssignment("matrix"))
	newAssignment("matrix-last")
	freshAssignment := func(prefix, suffix string) func() string {
		return func() string {
			n++
			key := fmt.Sprintf("gone-%d", n)
			id := newAssignment(key)
			if prefix == "/api" {
				return fmt.Sprintf("/api/courses/%d/assignments/%s", f.course, key)
			}
			return fmt.Sprintf("%s/%d%s", work, id, suffix)
		}
	}
	editorAction := [9]int{unauth, nf, nf, forb, yes, yes, yes, forb, forb}
	editorAPIAction := [9]int{unauth, nf, nf, forb, yes, yes, yes, unauth, forb}
	return map[string]routeRule{
		"GET /courses/:id/files":                   {fixed(courseFiles), adminPage, false, nil},
		"POST /courses/:id/files":                  {fixed(courseFiles), adminAction, false, nil},
		"POST /courses/:id/files/:fid/rename":      {fixed(kept + "/rename"), adminAction, false, form("path=matrix/kept.txt")},
		"POST /courses/:id/files/:fid/delete":      {freshFile("", "/delete"), adminAction, false, form("confirm=1")},
		"GET /api/courses/:id/files":               {fixed("/api" + courseFiles), adminAPI, false, nil},
		"PUT /api/courses/:id/files/*":             {fixed("/api" + courseFiles + "/matrix/put.txt"), adminAPIAction, false, nil},
		"DELETE /api/courses/:id/files/*":          {freshFile("/api"+courseFiles+"/", ""), adminAPIAction, false, nil},
		"GET /courses/:id/performance/assignments": {fixed(work), staffPage, false, nil},
		"POST /courses/:id/performance/assignments": {fixed(work), [9]int{unauth, nf, nf, forb, see, see, see, forb, forb}, false,
			func() string { n++; return fmt.Sprintf("name=Added+%d&kind=homework&points=10", n) }},
		"POST /courses/:id/performance/assignments/:aid":        {fixed(workItem), editorAction, false, form("name=Matrix&kind=exam&points=5&key=matrix")},
		"POST /courses/:id/performance/assignments/:aid/up":     {fixed(workItem + "/up"), editorAction, false, nil},
		"POST /courses/:id/performance/assignments/:aid/down":   {fixed(workItem + "/down"), editorAction, false, nil},
		"POST /courses/:id/performance/assignments/:aid/remove": {freshAssignment("", "/remove"), editorAction, false, form("confirm=1")},
		"GET /api/courses/:id/assignments":                      {fixed("/api/courses/" + course + "/assignments"), staffAPI, false, nil},
		"PUT /api/courses/:id/assignments/:key": {fixed("/api/courses/" + course + "/assignments/matrix-put"), editorAPIAction, false,
			form(`{"name":"Put by the matrix","kind":"project","points":20}`)},
		"DELETE /api/courses/:id/assignments/:key": {freshAssignment("/api", ""), editorAPIAction, false, nil},

		"GET /admin/courses": {fixed("/admin/courses"), siteAdminPage, false, nil},
		"POST /admin/courses": {fixed("/admin/courses"), siteAdminAction, false,
			func() string { n++; return fmt.Sprintf("code=NEW%d&name=New+course", n) }},
		"GET /courses/:id/settings":                      {fixed("/courses/" + course + "/settings"), adminPage, false, nil},
		"POST /courses/:id/settings":                     {fixed("/courses/" + course + "/settings"), adminAction, false, form("code=PHYS101&name=Physics+I&term=Fall+2026")},
		"POST /courses/:id/settings/periods":             {fixed("/courses/" + course + "/settings/periods"), adminAction, false, func() string { n++; return fmt.Sprintf("name=Added+%d", n) }},
		"POST /courses/:id/settings/periods/:pid":        {fixed(period), adminAction, false, form("name=Matrix")},
		"POST /courses/:id/settings/periods/:pid/up":     {fixed(period + "/up"), adminAction, false, nil},
		"POST /courses/:id/settings/periods/:pid/down":   {fixed(period + "/down"), adminAction, false, nil},
		"POST /courses/:id/settings/periods/:pid/remove": {freshPeriod, adminAction, false, nil},
		"POST /courses/:id/remove":                       {freshCourse(""), siteAdminCourseAction, false, func() string { return "code=" + lastCode }},
		"POST /api/courses": {fixed("/api/courses"), siteAdminAPIAction, false,
			func() string { n++; return fmt.Sprintf(`{"code":"API%d","name":"By the API"}`, n) }},
		"GET /api/courses/:id":    {fixed("/api/courses/" + course), staffAPI, false, nil},
		"PATCH /api/courses/:id":  {fixed("/api/courses/" + course), adminAPIAction, false, form(`{"name":"Physics I"}`)},
		"DELETE /api/courses/:id": {freshCourse("/api"), siteAdminCourseAPIAction, false, nil},

		"GET /healthz":  {fixed("/healthz"), [9]int{ok, ok, ok, ok, ok, ok, ok, ok, ok}, false, nil},
		"GET /static/*": {fixed("/static/app.css"), [9]int{ok, ok, ok, ok, ok, ok, ok, ok, ok}, false, nil},
		"GET /":         {fixed("/"), [9]int{see, see, see, see, see, see, see, see, see}, false, nil},
		"GET /signin":   {fixed("/signin"), [9]int{ok, see, see, see, see, see, see, ok, ok}, false, nil},
		"POST /signin": {fixed("/signin"), [9]int{unauth, unauth, unauth, unauth, unauth, unauth, unauth, forb, forb}, false,
			func() string { n++; return fmt.Sprintf("email=nobody%d@test.edu&password=wrong", n) }},
		"POST /signout":           {fixed("/signout"), [9]int{see, see, see, see, see, see, see, forb, forb}, true, nil},
		"GET /courses":            {fixed("/courses"), [9]int{see, ok, ok, ok, ok, ok, ok, see, see}, false, nil},
		"GET /account":            {fixed("/account"), [9]int{see, ok, ok, ok, ok, ok, ok, see, see}, false, nil},
		"POST /account":           {fixed("/account"), [9]int{unauth, yes, yes, yes, yes, yes, yes, forb, forb}, false, form("mail_exports=1")},
		"GET /admin/audit":        {fixed("/admin/audit"), siteAdminPage, false, nil},
		"GET /courses/:id/audit":  {fixed("/courses/" + course + "/audit"), adminPage, false, nil},
		"GET /admin/imports":      {fixed("/admin/imports"), siteAdminPage, false, nil},
		"GET /admin/imports/:iid": {fixed(fmt.Sprintf("/admin/imports/%d", im.ID)), siteAdminPage, false, nil},
		"POST /admin/imports":     {fixed("/admin/imports"), [9]int{unauth, nf, nf, nf, nf, nf, http.StatusBadRequest, forb, forb}, false, nil},
		"GET /courses/:id":        {fixed("/courses/" + course), [9]int{see, nf, nf, see, see, see, see, see, see}, false, nil},

		"GET /admin/users":                   {fixed("/admin/users"), siteAdminPage, false, nil},
		"POST /admin/users/:uid/disable":     {fixed(target + "/disable"), siteAdminAction, false, nil},
		"POST /admin/users/:uid/enable":      {fixed(target + "/enable"), siteAdminAction, false, nil},
		"POST /admin/users/:uid/promote":     {fixed(target + "/promote"), siteAdminAction, false, nil},
		"POST /admin/users/:uid/demote":      {fixed(target + "/demote"), siteAdminAction, false, nil},
		"POST /admin/users/:uid/link":        {fixed(target + "/link"), siteAdminAction, false, nil},
		"POST /admin/users/:uid/link/revoke": {revokable, siteAdminAction, false, nil},
		"GET /password/:token":               {passwordPage, [9]int{ok, ok, ok, ok, ok, ok, ok, ok, ok}, false, nil},
		"POST /password/:token": {passwordPage, [9]int{see, see, see, see, see, see, see, forb, forb}, true,
			func() string { return "password=matrix+password&repeat=matrix+password" }},
		"POST /courses/:id/settings/tokens": {fixed("/courses/" + course + "/settings/tokens"), adminAction, false,
			func() string { return "name=Matrix" }},
		"POST /courses/:id/settings/tokens/:tid/revoke": {func() string {
			_, id := f.courseToken(f.course, "to revoke")
			return fmt.Sprintf("/courses/%d/settings/tokens/%d/revoke", f.course, id)
		}, adminAction, false, nil},
		"GET /courses/:id/people": {fixed(people), adminPage, false, nil},
		"POST /courses/:id/people": {fixed(people), adminStatus(see), false,
			func() string { n++; return fmt.Sprintf("email=added%d@test.edu&role=student", n) }},
		"POST /courses/:id/people/:uid": {fixed(fmt.Sprintf("%s/%d", people, f.users[asStudent])), adminAction, false,
			func() string { return "role=student&period=" }},
		"POST /courses/:id/people/:uid/remove":  {member, adminAction, false, func() string { return "confirm=1" }},
		"POST /courses/:id/people/roster":       {fixed(people + "/roster"), adminStatus(http.StatusBadRequest), false, nil},
		"POST /courses/:id/people/roster/apply": {fixed(people + "/roster/apply"), adminStatus(http.StatusGone), false, nil},
		"GET /api/courses/:id/members":          {fixed("/api/courses/" + course + "/members"), staffAPI, false, nil},
		// Gradebook files: course admins and teachers (TAs only read the book).
		"POST /courses/:id/performance/gradebook": {fixed("/courses/" + course + "/performance/gradebook"),
			[9]int{unauth, nf, nf, forb, http.StatusBadRequest, http.StatusBadRequest, http.StatusBadRequest, forb, forb}, false, nil},
		"POST /courses/:id/performance/gradebook/apply": {fixed("/courses/" + course + "/performance/gradebook/apply"),
			[9]int{unauth, nf, nf, forb, http.StatusGone, http.StatusGone, http.StatusGone, forb, forb}, false, nil},
		"PUT /api/courses/:id/gradebook": {fixed("/api/courses/" + course + "/gradebook"),
			[9]int{unauth, nf, nf, forb, http.StatusUnsupportedMediaType, http.StatusUnsupportedMediaType, http.StatusUnsupportedMediaType, unauth, forb}, false, nil},
		"PUT /api/courses/:id/roster": {fixed("/api/courses/" + course + "/roster"),
			[9]int{unauth, nf, nf, forb, forb, http.StatusUnsupportedMediaType, http.StatusUnsupportedMediaType, unauth, forb}, false, nil},
		"POST /api/courses/:id/submissions": {fixed("/api/courses/" + course + "/submissions"),
			[9]int{unauth, nf, nf, forb, forb, http.StatusUnsupportedMediaType, http.StatusUnsupportedMediaType, unauth, forb}, false, nil},

		"GET /files/:token/:name":  {fixed(fileURL(archive.Token, archive.Filename)), archiveFile, false, nil},
		"HEAD /files/:token/:name": {fixed(fileURL(archive.Token, archive.Filename)), archiveFile, false, nil},

		"GET /courses/:id/exports":                          {fixed("/courses/" + course + "/exports"), adminPage, false, nil},
		"POST /courses/:id/exports":                         {fixed("/courses/" + course + "/exports"), adminAction, false, nil},
		"GET /courses/:id/exports/:eid":                     {fixed(exp), adminPage, false, nil},
		"POST /courses/:id/exports/:eid/cancel":             {fresh(db.ExportArchive, false, archiveAt("/cancel")), adminAction, false, nil},
		"POST /courses/:id/exports/:eid/retry":              {fresh(db.ExportArchive, true, archiveAt("/retry")), adminAction, false, nil},
		"POST /courses/:id/exports/:eid/delete":             {fresh(db.ExportArchive, true, archiveAt("/delete")), adminAction, false, nil},
		"POST /courses/:id/exports/:eid/keep":               {readyAt(db.ExportArchive, archiveAt("/keep")), adminAction, false, nil},
		"POST /courses/:id/exports/:eid/unkeep":             {readyAt(db.ExportArchive, archiveAt("/unkeep")), adminAction, false, nil},
		"POST /courses/:id/performance/exports/:eid/keep":   {readyAt(db.ExportBook, bookAt("/keep")), staffAction, false, nil},
		"POST /courses/:id/performance/exports/:eid/unkeep": {readyAt(db.ExportBook, bookAt("/unkeep")), staffAction, false, nil},
		"GET /courses/:id/performance":                      {fixed("/courses/" + course + "/performance"), staffPage, false, nil},
		"POST /courses/:id/performance/exports":             {fixed("/courses/" + course + "/performance/exports"), staffAction, false, nil},
		"GET /courses/:id/performance/exports/:eid":         {fixed(bookRow), staffPage, false, nil},
		"POST /courses/:id/performance/exports/:eid/cancel": {fresh(db.ExportBook, false, bookAt("/cancel")), staffAction, false, nil},
		"POST /courses/:id/performance/exports/:eid/retry":  {fresh(db.ExportBook, true, bookAt("/retry")), staffAction, false, nil},
		"POST /courses/:id/performance/exports/:eid/delete": {fresh(db.ExportBook, true, bookAt("/delete")), staffAction, false, nil},

		"GET /api/courses":                          {fixed("/api/courses"), [9]int{unauth, ok, ok, ok, ok, ok, ok, unauth, unauth}, false, nil},
		"GET /api/courses/:id/performance":          {fixed("/api/courses/" + course + "/performance"), staffAPI, false, nil},
		"POST /api/courses/:id/performance/export":  {fixed("/api/courses/" + course + "/performance/export"), staffAPIAction, false, nil},
		"GET /api/courses/:id/performance/exports":  {fixed("/api/courses/" + course + "/performance/exports"), staffAPI, false, nil},
		"GET /api/courses/:id/exports":              {fixed("/api/courses/" + course + "/exports"), adminAPI, false, nil},
		"POST /api/courses/:id/exports":             {fixed("/api/courses/" + course + "/exports"), adminAPIAction, false, nil},
		"GET /api/courses/:id/exports/:eid":         {fixed("/api" + exp), adminAPI, false, nil},
		"DELETE /api/courses/:id/exports/:eid":      {fresh(db.ExportArchive, true, api(archiveAt(""))), adminAPIAction, false, nil},
		"POST /api/courses/:id/exports/:eid/cancel": {fresh(db.ExportArchive, false, api(archiveAt("/cancel"))), adminAPIAction, false, nil},
		"POST /api/courses/:id/exports/:eid/retry":  {fresh(db.ExportArchive, true, api(archiveAt("/retry"))), adminAPIAction, false, nil},

		// Scheduled backups: a course's schedule is its admins'; the overview and the default are site admins'.
		"POST /courses/:id/exports/schedule": {fixed("/courses/" + course + "/exports/schedule"), adminAction, false, form("frequency=daily&time=03:00&keep=5")},
		"PUT /api/courses/:id/exports/schedule": {fixed("/api/courses/" + course + "/exports/schedule"), adminAPIAction, false,
			form(`{"frequency":"weekly","day":"sunday","time":"02:00","keep":3}`)},
		"GET /admin/backups":       {fixed("/admin/backups"), siteAdminPage, false, nil},
		"POST /admin/backups":      {fixed("/admin/backups"), siteAdminAction, false, form("frequency=off&time=02:00&keep=7")},
		"GET /api/backups":         {fixed("/api/backups"), [9]int{unauth, forb, forb, forb, forb, forb, ok, unauth, unauth}, false, nil},
		"PUT /api/backups/default": {fixed("/api/backups/default"), siteAdminAPIAction, false, form(`{"frequency":"off"}`)},
	}
}

// matrixClient returns the client of one caller of the matrix.
func (f *fixture) matrixClient(role, revokedToken string) *client {
	switch role {
	case "anonymous":
		c := f.client()
		c.get("/signin") // a session with a CSRF token, as a visitor has
		return c
	case "revoked token":
		c := f.client()
		c.header = map[string]string{"Authorization": "Bearer " + revokedToken}
		return c
	case "expired session":
		ctx := context.Background()
		store := db.SessionStore{DB: f.db}
		if err := store.CommitCtx(ctx, "expired-session-token", []byte("x"), time.Now().Add(-time.Hour)); err != nil {
			f.t.Fatal(err)
		}
		c := f.client()
		c.hc.Jar.SetCookies(mustURL(f.t, f.http.URL), []*http.Cookie{{Name: "coursevault_session", Value: "expired-session-token"}})
		return c
	}
	c := f.as(role)
	c.get("/courses")
	return c
}

func TestRoleMatrix(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	revoked, hash := auth.NewAccessToken()
	f.db.InTx(ctx, func(tx *db.Queries) error {
		tx.InsertAccessToken(ctx, f.users[asAdmin], hash, "old", time.Now())
		return tx.RevokeAccessTokens(ctx, f.users[asAdmin], time.Now())
	})
	rules := roleMatrix(f)
	clients := make([]*client, len(matrixRoles))
	for i, r := range matrixRoles {
		clients[i] = f.matrixClient(r, revoked)
	}
	var missing []string
	for _, rt := range f.srv.echo.Routes() {
		if strings.HasPrefix(rt.Name, "echo_route_not_found") || rt.Method == "echo_route_not_found" {
			continue // Echo's own not-found handlers
		}
		key := rt.Method + " " + rt.Path
		rule, found := rules[key]
		if !found {
			missing = append(missing, key)
			continue
		}
		for i := range clients {
			c := clients[i]
			// Callers without a session must not pick one up from an earlier answer.
			if rule.fresh || matrixRoles[i] == "revoked token" || matrixRoles[i] == "expired session" {
				c = f.matrixClient(matrixRoles[i], revoked)
			}
			path := rule.path()
			hdr := map[string]string{}
			if rt.Method != http.MethodGet && rt.Method != http.MethodHead {
				hdr["HX-Request"] = "true"
				if c.csrf != "" {
					hdr["X-CSRF-Token"] = c.csrf
				}
			}
			var reqBody io.Reader
			if rule.body != nil {
				reqBody = strings.NewReader(rule.body())
				hdr["Content-Type"] = "application/x-www-form-urlencoded"
			}
			res, body := c.do(rt.Method, path, reqBody, hdr)
			want := rule.status[i]
			got := res.StatusCode
			if want == yes && got >= 200 && got < 300 {
				continue
			}
			if got != want {
				t.Errorf("%s %s as %s: status %d, want %d (%.120s)", rt.Method, path, matrixRoles[i], got, want, body)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("routes without a row in roleMatrix: %s", strings.Join(missing, ", "))
	}
}

func TestBadIDs_are404NotErrors(t *testing.T) {
	f := newFixture(t)
	c := f.as(asSiteAdmin)
	for _, path := range []string{"/courses/abc", "/courses/-1", "/courses/99999", "/courses/1e3", "/nope"} {
		res, body := c.get(path)
		if res.StatusCode != nf || !strings.Contains(body, "Not found") {
			t.Errorf("GET %s: %d", path, res.StatusCode)
		}
	}
	res, body := c.do("GET", "/api/nope", nil, nil)
	var e struct{ Error string }
	if res.StatusCode != nf || json.Unmarshal([]byte(body), &e) != nil || e.Error == "" {
		t.Errorf("API 404 not JSON: %d %s", res.StatusCode, body)
	}
}

func TestBearerToken(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	token, hash := auth.NewAccessToken()
	revoked, revokedHash := auth.NewAccessToken()
	f.db.InTx(ctx, func(tx *db.Queries) error {
		tx.InsertAccessToken(ctx, f.users[asTeacher], hash, "ci", time.Now())
		tx.InsertAccessToken(ctx, f.users[asAdmin], revokedHash, "old", time.Now())
		return tx.RevokeAccessTokens(ctx, f.users[asAdmin], time.Now())
	})
	tests := []struct {
		name, header string
		status       int
	}{
		{"valid token", "Bearer " + token, ok},
		{"revoked token", "Bearer " + revoked, unauth},
		{"mistyped token", "Bearer " + token + "x", unauth},
		{"not a bearer header", "Basic dXNlcjpwYXNz", unauth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := f.client().do("GET", "/api/courses", nil, map[string]string{"Authorization": tt.header})
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, body)
			}
			if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("content type %q", res.Header.Get("Content-Type"))
			}
			if tt.status == ok {
				var cs []apiCourse
				if err := json.Unmarshal([]byte(body), &cs); err != nil || len(cs) != 1 || cs[0].Code != "PHYS101" || cs[0].Role != "teacher" {
					t.Fatalf("courses = %s", body)
				}
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	res, _ := f.client().get("/signin")
	for h, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
	} {
		if !strings.Contains(res.Header.Get(h), want) {
			t.Errorf("%s = %q, want it to contain %q", h, res.Header.Get(h), want)
		}
	}
	if strings.Contains(res.Header.Get("Content-Security-Policy"), "unsafe-inline") {
		t.Error("CSP allows inline code")
	}
}
