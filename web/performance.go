package web

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/jobs/exports"
	"coursevault/jobs/perfbook"
	"coursevault/views"
)

// percent formats a fraction as the grid shows it; nil is blank.
func percent(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f*100, 'f', 0, 64) + "%"
}

// bookPage formats one window of a book for the grid.
func bookPage(w perfbook.Window, tz *time.Location) views.BookPage {
	b := w.Book
	p := views.BookPage{Students: len(b.Students), Matches: w.Matches, ClassAverage: percent(b.Average)}
	p.Columns = make([]views.BookColumn, len(b.Assignments))
	p.Averages = make([]string, len(b.Assignments))
	for i, a := range b.Assignments {
		p.Columns[i] = views.BookColumn{Name: a.Name, Kind: a.Kind}
		if a.DueAt != nil {
			p.Columns[i].Due = "Due " + a.DueAt.In(tz).Format("Jan 2")
		}
		p.Averages[i] = percent(a.Average)
	}
	p.Rows = make([]views.BookRow, len(w.Rows))
	for i, s := range w.Rows {
		r := views.BookRow{Name: sortName(s.FamilyName, s.GivenName), StudentID: s.StudentID, Average: percent(s.Average),
			Cells: make([]views.BookCell, len(s.Cells))}
		for j, c := range s.Cells {
			cell := views.BookCell{Text: percent(c.Score())}
			switch {
			case c.Late:
				cell.Class, cell.Title = "late", "Late"
			case c.InProgress():
				cell.Class, cell.Title = "progress", "In progress"
			}
			r.Cells[j] = cell
		}
		p.Rows[i] = r
	}
	return p
}

// sortName is "Family, Given", or whichever name a student has.
func sortName(family, given string) string {
	switch {
	case family == "":
		return given
	case given == "":
		return family
	}
	return family + ", " + given
}

// performancePage shows one page of the book: all students or ?period=<id>,
// narrowed by ?q=, sorted by ?sort= and ?dir=, page ?page=. The pager, the
// filters, the sort links and the search ask htmx for #book-view alone.
func (s *Server) performancePage(c echo.Context) error { return s.renderBook(c, http.StatusOK, "") }

// renderBook renders the book page; gradebookErr is put on the gradebook upload.
func (s *Server) renderBook(c echo.Context, status int, gradebookErr string) error {
	ca := currentCourse(c)
	book, err := s.books.Load(c.Request().Context(), s.db, ca.Course.ID)
	if err != nil {
		return err
	}
	view := bookViewFrom(c, fmt.Sprintf("/courses/%d/performance", ca.Course.ID))
	q, ok := view.query(book)
	if !ok {
		return echo.ErrNotFound
	}
	w := book.Window(q)
	page := bookPage(w, s.cfg.Timezone)
	view.page = w.Page
	view.decorate(&page, book, w)
	if isHTMX(c) && c.Request().Header.Get("HX-Target") == "book-view" && c.Request().Header.Get("HX-History-Restore-Request") != "true" {
		return s.render(c, status, views.BookView(page))
	}
	rows, err := s.exportRows(c, db.ExportBook)
	if err != nil {
		return err
	}
	page.Header = courseHeader(ca, "Performance book")
	page.PostURL = exportsBase(ca.Course.ID, db.ExportBook)
	page.Exports = rows
	page.UpToDate = upToDate(rows)
	page.AssignmentsURL = assignmentsURL(ca)
	page.Gradebook = gradebookForm(ca, gradebookErr)
	return s.render(c, status, views.BookPageView(s.page(c, "Performance book · "+ca.Course.Code), page))
}

// apiBookFile is one workbook in the seed's exports list.
type apiBookFile struct {
	Filename  string    `json:"filename"`
	URL       string    `json:"url"`
	CreatedAt time.Time `json:"created_at"`
}

// apiBookFiles is GET /api/courses/:id/performance/exports exactly as the
// seed asks: the workbooks available for download, newest first.
func (s *Server) apiBookFiles(c echo.Context) error {
	list, err := s.exports.List(c.Request().Context(), currentCourse(c).Course.ID, db.ExportBook)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.bookFiles(list))
}

// bookFiles turns a course's workbook exports into the seed's list: the
// ready ones, newest first.
func (s *Server) bookFiles(list []db.ExportView) []apiBookFile {
	out := []apiBookFile{}
	for _, e := range list {
		if e.Status() == db.ExportReady {
			out = append(out, apiBookFile{Filename: e.Filename, URL: s.absURL(fileURL(e.Token, e.Filename)), CreatedAt: e.FileCreated.UTC()})
		}
	}
	return out
}

// absURL makes a path absolute with the configured base URL.
func (s *Server) absURL(path string) string { return s.cfg.BaseURL + path }

// apiBook is GET /api/courses/:id/performance: the book and, as the seed
// asks, the exports already available, so the page needs one request.
type apiBook struct {
	Course      apiCourse       `json:"course"`
	Periods     []apiPeriod     `json:"periods"`
	Assignments []apiAssignment `json:"assignments"`
	Students    []apiStudent    `json:"students"`
	Average     *float64        `json:"average"`
	Exports     []apiBookFile   `json:"exports"`
	UpToDate    bool            `json:"up_to_date"`
}

type apiPeriod struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type apiAssignment struct {
	ID             int64      `json:"id"`
	Name           string     `json:"name"`
	Kind           string     `json:"kind"`
	DueAt          *time.Time `json:"due_at"`
	Points         float64    `json:"points"`
	Average        *float64   `json:"average"`
	CompletionRate float64    `json:"completion_rate"`
}

type apiStudent struct {
	UserID     int64     `json:"user_id"`
	FamilyName string    `json:"family_name"`
	GivenName  string    `json:"given_name"`
	StudentID  string    `json:"student_id"`
	Period     string    `json:"period"`
	Scores     []apiCell `json:"scores"` // in assignment order
	Average    *float64  `json:"average"`
}

type apiCell struct {
	Fraction *float64 `json:"fraction"` // 0..1; null when not started
	Status   string   `json:"status"`
	Late     bool     `json:"late"`
}

// apiBook answers GET /api/courses/:id/performance, narrowed to one period's
// students (and that period's averages) by ?period=<id>. The JSON is written
// a student at a time as the book is walked, never built whole: a 5,000 × 100
// book was 27 MB of JSON held in memory, on top of the book, before a byte went out.
func (s *Server) apiBook(c echo.Context) error {
	ca := currentCourse(c)
	ctx := c.Request().Context()
	b, err := s.books.Load(ctx, s.db, ca.Course.ID)
	if err != nil {
		return err
	}
	if p := c.QueryParam("period"); p != "" {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || !slices.ContainsFunc(b.Periods, func(per perfbook.Period) bool { return per.ID == id }) {
			return echo.NewHTTPError(http.StatusBadRequest, "The period parameter must be the id of one of the course's periods.")
		}
		b = b.ForPeriod(id)
	}
	list, err := s.exports.List(ctx, ca.Course.ID, db.ExportBook)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	c.Response().WriteHeader(http.StatusOK)
	w := bufio.NewWriterSize(c.Response(), 64<<10)
	if err := s.writeBook(w, b, ca.Role, list); err != nil {
		s.log.Info("book API: the answer was cut short", "course_id", ca.Course.ID, "err", err)
	}
	return nil // the status is sent: nothing more can be said to the client
}

// writeBook writes the book as apiBook's JSON, field by field in its order,
// each student marshalled on its own.
func (s *Server) writeBook(w *bufio.Writer, b perfbook.Book, role string, list []db.ExportView) error {
	head := apiBook{Course: apiCourse{ID: b.Course.ID, Code: b.Course.Code, Name: b.Course.Name, Term: b.Course.Term, Role: role},
		Average: b.Average, Periods: []apiPeriod{}, Assignments: []apiAssignment{}, Exports: s.bookFiles(list)}
	for _, p := range b.Periods {
		head.Periods = append(head.Periods, apiPeriod{ID: p.ID, Name: p.Name})
	}
	for _, a := range b.Assignments {
		head.Assignments = append(head.Assignments, apiAssignment{ID: a.ID, Name: a.Name, Kind: a.Kind, DueAt: a.DueAt, Points: a.Points,
			Average: a.Average, CompletionRate: a.CompletionRate})
	}
	for _, e := range list {
		if e.Status() == db.ExportReady {
			head.UpToDate = e.DataVersion == b.Course.DataVersion
			break
		}
	}
	field := func(prefix string, v any) error {
		w.WriteString(prefix)
		j, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(j)
		return err
	}
	if err := field(`{"course":`, head.Course); err != nil {
		return err
	}
	if err := field(`,"periods":`, head.Periods); err != nil {
		return err
	}
	if err := field(`,"assignments":`, head.Assignments); err != nil {
		return err
	}
	w.WriteString(`,"students":[`)
	for i, st := range b.Students {
		sep := ","
		if i == 0 {
			sep = ""
		}
		if err := field(sep, apiStudentOf(st)); err != nil {
			return err
		}
	}
	w.WriteString("]")
	if err := field(`,"average":`, head.Average); err != nil {
		return err
	}
	if err := field(`,"exports":`, head.Exports); err != nil {
		return err
	}
	if err := field(`,"up_to_date":`, head.UpToDate); err != nil {
		return err
	}
	w.WriteString("}\n")
	return w.Flush() // the writer keeps the first error of any write before
}

// apiStudentOf is one student's row of the book's JSON.
func apiStudentOf(st perfbook.Student) apiStudent {
	as := apiStudent{UserID: st.UserID, FamilyName: st.FamilyName, GivenName: st.GivenName, StudentID: st.StudentID,
		Period: st.PeriodName, Average: st.Average, Scores: make([]apiCell, len(st.Cells))}
	fractions := make([]float64, len(st.Cells)) // what the cells' Fraction pointers point at: one allocation
	for i, cell := range st.Cells {
		as.Scores[i] = apiCell{Status: cell.Status(), Late: cell.Late}
		if cell.Scored {
			fractions[i] = cell.Fraction
			as.Scores[i].Fraction = &fractions[i]
		}
	}
	return as
}

// apiBookExport is POST /api/courses/:id/performance/export: an empty body,
// 202 and the queued export (200 with the pending one on a second request).
func (s *Server) apiBookExport(c echo.Context) error {
	var none struct{}
	if err := decodeJSONBody(c, &none, "{}"); err != nil {
		return err
	}
	return s.apiQueue(c, exports.Request{})
}
