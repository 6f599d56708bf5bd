package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"coursevault/jobs/perfbook"
	"coursevault/views"
)

// bookView is what the book page's URL asks for: ?period=, ?q=, ?sort=
// (id, avg, or a<assignment id>; absent: by name), ?dir=desc, ?page=. Every
// link on the page is this view with one thing changed, so a filter keeps
// the search and the sort, and a new sort or search starts at page 1.
type bookView struct {
	base                 string
	period, q, sort, dir string
	page                 int
}

// bookViewFrom reads the view from the query string. A page number that is
// not one counts as the first page; an unknown sort as the name order (a
// link to a removed assignment's column still opens the book).
func bookViewFrom(c echo.Context, base string) bookView {
	v := bookView{base: base, period: c.QueryParam("period"), q: strings.TrimSpace(c.QueryParam("q")),
		sort: c.QueryParam("sort"), page: 1}
	if c.QueryParam("dir") == "desc" {
		v.dir = "desc"
	}
	if n, err := strconv.Atoi(c.QueryParam("page")); err == nil && n > 1 {
		v.page = n
	}
	return v
}

// query turns the view into the book's query; false when ?period= names no
// period of the course.
func (v *bookView) query(b perfbook.Book) (perfbook.Query, bool) {
	q := perfbook.Query{Search: v.q, Page: v.page, Sort: perfbook.Sort{Desc: v.dir == "desc"}}
	if v.period != "" {
		id, err := strconv.ParseInt(v.period, 10, 64)
		found := false
		for _, p := range b.Periods {
			found = found || (err == nil && p.ID == id)
		}
		if !found {
			return q, false
		}
		q.Period, q.HasPeriod = id, true
	}
	switch {
	case v.sort == "id":
		q.Sort.By = perfbook.SortStudentID
	case v.sort == "avg":
		q.Sort.By = perfbook.SortAverage
	case strings.HasPrefix(v.sort, "a"):
		id, err := strconv.ParseInt(v.sort[1:], 10, 64)
		known := false
		for _, a := range b.Assignments {
			known = known || (err == nil && a.ID == id)
		}
		if known {
			q.Sort.By, q.Sort.Assignment = perfbook.SortAssignment, id
		}
	}
	if q.Sort.By == perfbook.SortName {
		v.sort = "" // what is shown is the name order, whatever was asked
		if !q.Sort.Desc {
			v.dir = ""
		}
	}
	return q, true
}

// url is the view's address; empty parameters and page 1 are left out.
func (v bookView) url() string {
	vals := url.Values{}
	for _, kv := range [][2]string{{"period", v.period}, {"q", v.q}, {"sort", v.sort}, {"dir", v.dir}} {
		if kv[1] != "" {
			vals.Set(kv[0], kv[1])
		}
	}
	if v.page > 1 {
		vals.Set("page", strconv.Itoa(v.page))
	}
	if len(vals) == 0 {
		return v.base
	}
	return v.base + "?" + vals.Encode()
}

// withPage, withPeriod and sortedBy are the view with one thing changed.
func (v bookView) withPage(n int) bookView { v.page = n; return v }

func (v bookView) withPeriod(id string) bookView { v.period, v.page = id, 1; return v }

// sortedBy sorts by key, ascending; by the current key, the other way.
func (v bookView) sortedBy(key string) views.SortHeader {
	h := views.SortHeader{}
	next := v
	next.page, next.sort, next.dir = 1, key, ""
	if v.sort == key {
		h.AriaSort = "ascending"
		if v.dir == "desc" {
			h.AriaSort = "descending"
		} else {
			next.dir = "desc"
		}
	}
	h.URL = next.url()
	return h
}

// decorate fills the page's filters, sort links, pager and range line.
func (v bookView) decorate(p *views.BookPage, b perfbook.Book, w perfbook.Window) {
	p.ViewURL, p.Search, p.Period, p.Sort, p.Dir = v.base, v.q, v.period, v.sort, v.dir
	p.Filters = []views.Tab{{Label: "All", URL: v.withPeriod("").url(), Current: v.period == ""}}
	for _, per := range b.Periods {
		id := strconv.FormatInt(per.ID, 10)
		p.Filters = append(p.Filters, views.Tab{Label: per.Name, URL: v.withPeriod(id).url(), Current: v.period == id})
	}
	p.NameSort, p.IDSort, p.AvgSort = v.sortedBy(""), v.sortedBy("id"), v.sortedBy("avg")
	for i, a := range w.Book.Assignments {
		p.Columns[i].Sort = v.sortedBy("a" + strconv.FormatInt(a.ID, 10))
	}
	if w.Pages == 1 && v.q == "" {
		p.Shown = fmt.Sprintf("%d students", w.Matches) // the whole class on one page, as the book always was
		return
	}
	if w.Matches > 0 {
		p.Shown = fmt.Sprintf("Students %d–%d of %d", w.Offset+1, w.Offset+len(w.Rows), w.Matches)
	} else {
		p.Shown = "No students"
	}
	if w.Matches != len(w.Book.Students) {
		p.Shown += fmt.Sprintf(" found among %d", len(w.Book.Students))
	}
	if w.Pages == 1 {
		return
	}
	if w.Page > 1 {
		p.PrevURL = v.withPage(w.Page - 1).url()
	}
	if w.Page < w.Pages {
		p.NextURL = v.withPage(w.Page + 1).url()
	}
	for _, n := range pagerNumbers(w.Page, w.Pages) {
		if n == 0 {
			p.Pages = append(p.Pages, views.PageLink{Gap: true})
			continue
		}
		p.Pages = append(p.Pages, views.PageLink{Label: strconv.Itoa(n), URL: v.withPage(n).url(), Current: n == w.Page})
	}
}

// pagerNumbers lists the page numbers the pager links to: the first, the
// last and two either side of the current one, with 0 for a gap between.
func pagerNumbers(current, pages int) []int {
	var out []int
	last := 0
	for n := 1; n <= pages; n++ {
		if n != 1 && n != pages && (n < current-2 || n > current+2) {
			continue
		}
		if n > last+1 {
			out = append(out, 0)
		}
		out = append(out, n)
		last = n
	}
	return out
}
