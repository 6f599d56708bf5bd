package perfbook

import (
	"archive/zip"
	"compress/flate"
	"fmt"
	"io"
	"math"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// ContentType is the MIME type of the workbook.
const ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Meta says when and by whom a workbook was generated.
type Meta struct {
	GeneratedAt time.Time // in the school's time zone: the workbook shows its wall clock and zone
	GeneratedBy string    // display name of the user who asked
}

// Sheet names that are not periods.
const (
	SummarySheet     = "Summary"
	PerformanceSheet = "Performance" // the single data sheet of a course without periods
	noPeriodSheet    = "No period"   // students without a period in a course with periods
)

// Layout of a data sheet: three header rows (kinds, due dates, names; the
// filter sits on the names row, just above the data), then one row per
// student, then the averages row. Three fixed name columns, then one column
// per assignment, then the student's average.
const (
	headerRows = 3
	nameCols   = 3
)

// Write writes b as an xlsx workbook to w: a Summary sheet, then one sheet per
// period (plus "No period" when some students have none), or a single
// Performance sheet when the course has no periods. The data sheets are
// streamed, so memory grows with the widest row, not with the course.
func Write(w io.Writer, b Book, meta Meta) error {
	f := excelize.NewFile()
	defer f.Close()
	f.SetZipWriter(fastZip)
	st, err := newStyles(f)
	if err != nil {
		return fmt.Errorf("perfbook: styles: %w", err)
	}
	if err := f.SetSheetName("Sheet1", SummarySheet); err != nil {
		return fmt.Errorf("perfbook: summary sheet: %w", err)
	}

	type sheet struct {
		name  string
		title string
		book  Book
	}
	var sheets []sheet
	if len(b.Periods) == 0 {
		sheets = append(sheets, sheet{PerformanceSheet, b.Course.Name, b})
	} else {
		wanted := make([]string, 0, len(b.Periods)+1)
		for _, p := range b.Periods {
			wanted = append(wanted, p.Name)
		}
		var unassigned bool
		for _, s := range b.Students {
			if s.PeriodID == 0 {
				unassigned = true
				break
			}
		}
		if unassigned {
			wanted = append(wanted, noPeriodSheet)
		}
		names := sheetNames([]string{SummarySheet}, wanted, func(i int) string { return fmt.Sprintf("Period %d", i+1) })
		for i, p := range b.Periods {
			sheets = append(sheets, sheet{names[i], b.Course.Name + " — " + p.Name, b.ForPeriod(p.ID)})
		}
		if unassigned {
			sheets = append(sheets, sheet{names[len(names)-1], b.Course.Name + " — " + noPeriodSheet, b.ForPeriod(0)})
		}
	}

	if err := writeSummary(f, st, b, meta, len(sheets)); err != nil {
		return fmt.Errorf("perfbook: summary sheet: %w", err)
	}
	for _, s := range sheets {
		if _, err := f.NewSheet(s.name); err != nil {
			return fmt.Errorf("perfbook: sheet %q: %w", s.name, err)
		}
		if err := writeData(f, st, s.name, s.title, s.book, meta.GeneratedAt); err != nil {
			return fmt.Errorf("perfbook: sheet %q: %w", s.name, err)
		}
	}

	err = f.SetDocProps(&excelize.DocProperties{
		Title:          b.Course.Name + " performance book",
		Subject:        "Performance book",
		Creator:        meta.GeneratedBy,
		LastModifiedBy: meta.GeneratedBy,
		Created:        meta.GeneratedAt.UTC().Format(time.RFC3339),
		Modified:       meta.GeneratedAt.UTC().Format(time.RFC3339),
		Description:    fmt.Sprintf("Course %s (%s), data version %d", b.Course.Name, b.Course.Code, b.Course.DataVersion),
	})
	if err != nil {
		return fmt.Errorf("perfbook: properties: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("perfbook: write: %w", err)
	}
	return nil
}

// fastZip deflates at flate.BestSpeed: it halves the workbook's write time
// (compression was half of it) for a file about a fifth larger; xlsx readers
// accept any deflate level. Compressors are pooled as archive/zip does for
// its own, since each one allocates about a megabyte.
func fastZip(w io.Writer) excelize.ZipWriter {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		fw, ok := flatePool.Get().(*flate.Writer)
		if ok {
			fw.Reset(out)
		} else {
			var err error
			if fw, err = flate.NewWriter(out, flate.BestSpeed); err != nil {
				return nil, err
			}
		}
		return &pooledFlate{fw}, nil
	})
	return zw
}

var flatePool sync.Pool

type pooledFlate struct{ *flate.Writer }

func (p *pooledFlate) Close() error {
	err := p.Writer.Close()
	flatePool.Put(p.Writer)
	p.Writer = nil
	return err
}

// styles are the cell styles the workbook uses, created once per file.
type styles struct {
	title, label, header, kind, due, text, id                 int
	pct, pctLate, pctProgress, pctLateProgress                int
	avgLabel, avgPct, count, note, legendLate, legendProgress int
}

const (
	pctFormat  = "0.0%"
	dateFormat = "yyyy-mm-dd hh:mm"
	lateFill   = "F8CBAD" // orange: handed in late
	progFill   = "FFF2CC" // pale yellow: still in progress
)

func newStyles(f *excelize.File) (styles, error) {
	pctFmt, dateFmt := pctFormat, dateFormat
	fill := func(color string) excelize.Fill {
		return excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}}
	}
	bottom := []excelize.Border{{Type: "bottom", Color: "000000", Style: 1}}
	top := []excelize.Border{{Type: "top", Color: "000000", Style: 1}}
	type def struct {
		dst *int
		s   excelize.Style
	}
	var st styles
	var defs []def
	add := func(dst *int, s excelize.Style) { defs = append(defs, def{dst, s}) }
	add(&st.title, excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	add(&st.label, excelize.Style{Font: &excelize.Font{Bold: true}})
	add(&st.header, excelize.Style{Font: &excelize.Font{Bold: true}, Border: bottom,
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "bottom"}})
	add(&st.kind, excelize.Style{Font: &excelize.Font{Italic: true, Color: "595959"}})
	add(&st.due, excelize.Style{CustomNumFmt: &dateFmt, Alignment: &excelize.Alignment{Horizontal: "left"}})
	add(&st.text, excelize.Style{})
	add(&st.id, excelize.Style{NumFmt: 49}) // "@": stays text when edited
	add(&st.pct, excelize.Style{CustomNumFmt: &pctFmt})
	add(&st.pctLate, excelize.Style{CustomNumFmt: &pctFmt, Fill: fill(lateFill)})
	add(&st.pctProgress, excelize.Style{CustomNumFmt: &pctFmt, Fill: fill(progFill), Font: &excelize.Font{Italic: true}})
	add(&st.pctLateProgress, excelize.Style{CustomNumFmt: &pctFmt, Fill: fill(lateFill), Font: &excelize.Font{Italic: true}})
	add(&st.avgLabel, excelize.Style{Font: &excelize.Font{Bold: true}, Border: top})
	add(&st.avgPct, excelize.Style{CustomNumFmt: &pctFmt, Font: &excelize.Font{Bold: true}, Border: top})
	add(&st.count, excelize.Style{NumFmt: 1, Alignment: &excelize.Alignment{Horizontal: "left"}})
	add(&st.note, excelize.Style{Font: &excelize.Font{Italic: true, Color: "595959"}})
	add(&st.legendLate, excelize.Style{Fill: fill(lateFill)})
	add(&st.legendProgress, excelize.Style{Fill: fill(progFill), Font: &excelize.Font{Italic: true}})
	for _, d := range defs {
		id, err := f.NewStyle(&d.s)
		if err != nil {
			return styles{}, err
		}
		*d.dst = id
	}
	return st, nil
}

// scoreStyle marks late and in-progress cells with a fill (cheaper to stream
// than comments); a legend on each sheet explains the colours.
func (st styles) scoreStyle(c Cell) int {
	switch {
	case c.Late && c.InProgress():
		return st.pctLateProgress
	case c.Late:
		return st.pctLate
	case c.InProgress():
		return st.pctProgress
	}
	return st.pct
}

const averagesNote = "Averages leave out work not started (blank cells); every assignment weighs the same."

func writeSummary(f *excelize.File, st styles, b Book, meta Meta, dataSheets int) error {
	sw, err := f.NewStreamWriter(SummarySheet)
	if err != nil {
		return err
	}
	for _, c := range []struct {
		col   int
		width float64
	}{{1, 24}, {2, 14}, {3, 18}, {4, 12}, {5, 12}, {6, 16}} {
		if err := sw.SetColWidth(c.col, c.col, c.width); err != nil {
			return err
		}
	}
	// The first column holds labels and, further down, assignment names.
	nameWidth := 24.0
	for _, a := range b.Assignments {
		nameWidth = max(nameWidth, math.Min(60, float64(utf8.RuneCountInString(a.Name))+2))
	}
	if err := sw.SetColWidth(1, 1, nameWidth); err != nil {
		return err
	}

	r := 0
	row := func(vals ...any) error {
		r++
		if len(vals) == 0 {
			return nil
		}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		return sw.SetRow(cell, vals)
	}
	lbl := func(s string) excelize.Cell { return excelize.Cell{StyleID: st.label, Value: s} }
	cnt := func(n int) excelize.Cell { return excelize.Cell{StyleID: st.count, Value: n} }
	loc := meta.GeneratedAt.Location()
	rows := [][]any{
		{excelize.Cell{StyleID: st.title, Value: b.Course.Name + " — performance book"}},
		{},
		{lbl("Course"), b.Course.Name},
		{lbl("Code"), b.Course.Code},
		{lbl("Term"), b.Course.Term},
		{lbl("Generated at"), formatWithZone(meta.GeneratedAt)},
		{lbl("Generated by"), meta.GeneratedBy},
		{lbl("Students"), cnt(len(b.Students))},
		{lbl("Assignments"), cnt(len(b.Assignments))},
		{lbl("Periods"), cnt(len(b.Periods))},
		{lbl("Class average"), pctCell(b.Average, st.pct)},
		{excelize.Cell{StyleID: st.note, Value: averagesNote}},
		{},
		{
			excelize.Cell{StyleID: st.header, Value: "Assignment"},
			excelize.Cell{StyleID: st.header, Value: "Kind"},
			excelize.Cell{StyleID: st.header, Value: "Due (" + zoneName(meta.GeneratedAt) + ")"},
			excelize.Cell{StyleID: st.header, Value: "Average"},
			excelize.Cell{StyleID: st.header, Value: "Completed"},
			excelize.Cell{StyleID: st.header, Value: "Completion rate"},
		},
	}
	for _, vals := range rows {
		if err := row(vals...); err != nil {
			return err
		}
	}
	for _, a := range b.Assignments {
		err := row(a.Name, a.Kind, dueCell(a.DueAt, loc, st.due), pctCell(a.Average, st.pct),
			cnt(a.Completed), excelize.Cell{StyleID: st.pct, Value: a.CompletionRate})
		if err != nil {
			return err
		}
	}
	if dataSheets > 0 {
		_ = row()
		if err := row(excelize.Cell{StyleID: st.note, Value: fmt.Sprintf("Scores per student: the next %d sheet(s).", dataSheets)}); err != nil {
			return err
		}
	}
	return sw.Flush()
}

func writeData(f *excelize.File, st styles, sheet, title string, b Book, at time.Time) error {
	loc := at.Location()
	nA := len(b.Assignments)
	lastCol := nameCols + nA + 1 // the average column
	lastRow := headerRows + len(b.Students)
	lastColName, _ := excelize.ColumnNumberToName(lastCol)

	// AutoFilter must be set before the stream writer copies the worksheet's
	// settings; the stream writer writes it out on Flush.
	if err := f.AutoFilter(sheet, fmt.Sprintf("A%d:%s%d", headerRows, lastColName, lastRow), nil); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	err = sw.SetPanes(&excelize.Panes{
		Freeze: true, XSplit: nameCols, YSplit: headerRows,
		TopLeftCell: fmt.Sprintf("%s%d", colName(nameCols+1), headerRows+1), ActivePane: "bottomRight",
	})
	if err != nil {
		return err
	}

	// Widths fit the longest name (within limits); assignment columns fit a
	// due date, and their names wrap in the header.
	family, given, ids := 12.0, 12.0, 12.0
	for _, s := range b.Students {
		family = max(family, float64(utf8.RuneCountInString(s.FamilyName))+2)
		given = max(given, float64(utf8.RuneCountInString(s.GivenName))+2)
		ids = max(ids, float64(utf8.RuneCountInString(s.StudentID))+2)
	}
	const assignmentWidth = 17
	for _, c := range []struct {
		min, max int
		width    float64
	}{
		{1, 1, math.Min(family, 30)}, {2, 2, math.Min(given, 30)}, {3, 3, math.Min(ids, 20)},
		{nameCols + 1, lastCol, assignmentWidth},
	} {
		if err := sw.SetColWidth(c.min, c.max, c.width); err != nil {
			return err
		}
	}
	headerLines := 1
	for _, a := range b.Assignments {
		headerLines = max(headerLines, min(4, (utf8.RuneCountInString(a.Name)+assignmentWidth-3)/(assignmentWidth-2)))
	}

	vals := make([]any, lastCol)
	cells := make([]excelize.Cell, lastCol)
	// set writes one row; vals points at cells so nothing is boxed per cell
	// except the values themselves.
	set := func(r int, opts ...excelize.RowOpts) error {
		for i := range cells {
			vals[i] = nil // no <c> element at all: a truly blank cell
			if cells[i] != (excelize.Cell{}) {
				vals[i] = &cells[i]
			}
		}
		err := sw.SetRow(fmt.Sprintf("A%d", r), vals, opts...)
		clear(cells)
		return err
	}

	// Row 1: title and kinds; row 2: due dates; row 3: column names.
	cells[0] = excelize.Cell{StyleID: st.title, Value: title}
	cells[2] = excelize.Cell{StyleID: st.kind, Value: "Kind"}
	for j, a := range b.Assignments {
		cells[nameCols+j] = excelize.Cell{StyleID: st.kind, Value: a.Kind}
	}
	if err := set(1); err != nil {
		return err
	}
	cells[0] = excelize.Cell{StyleID: st.note, Value: "Scores in % of points"}
	cells[2] = excelize.Cell{StyleID: st.kind, Value: "Due (" + zoneName(at) + ")"}
	for j, a := range b.Assignments {
		cells[nameCols+j] = dueCell(a.DueAt, loc, st.due)
	}
	if err := set(2); err != nil {
		return err
	}
	for i, h := range []string{"Last name", "First name", "Student ID"} {
		cells[i] = excelize.Cell{StyleID: st.header, Value: h}
	}
	for j, a := range b.Assignments {
		cells[nameCols+j] = excelize.Cell{StyleID: st.header, Value: a.Name}
	}
	cells[lastCol-1] = excelize.Cell{StyleID: st.header, Value: "Average"}
	if err := set(headerRows, excelize.RowOpts{Height: 15 * float64(headerLines)}); err != nil {
		return err
	}

	for i, s := range b.Students {
		cells[0] = excelize.Cell{StyleID: st.text, Value: s.FamilyName}
		cells[1] = excelize.Cell{StyleID: st.text, Value: s.GivenName}
		// A string value is written as an inline string: "00123" stays text.
		cells[2] = excelize.Cell{StyleID: st.id, Value: s.StudentID}
		for j, c := range s.Cells {
			switch {
			case c.Scored:
				cells[nameCols+j] = excelize.Cell{StyleID: st.scoreStyle(c), Value: c.Fraction}
			case c.Late || c.InProgress():
				// Started but without a score yet: an empty cell with the mark.
				cells[nameCols+j] = excelize.Cell{StyleID: st.scoreStyle(c)}
			}
		}
		cells[lastCol-1] = pctCell(s.Average, st.avgPct)
		if err := set(headerRows + 1 + i); err != nil {
			return err
		}
	}

	// The averages row sits just below the filter range, so filtering or
	// sorting the students leaves it in place.
	avgRow := lastRow + 1
	cells[0] = excelize.Cell{StyleID: st.avgLabel, Value: "Average"}
	cells[1] = excelize.Cell{StyleID: st.avgLabel}
	cells[2] = excelize.Cell{StyleID: st.avgLabel}
	for j, a := range b.Assignments {
		cells[nameCols+j] = pctCell(a.Average, st.avgPct)
	}
	cells[lastCol-1] = pctCell(b.Average, st.avgPct)
	if err := set(avgRow); err != nil {
		return err
	}

	cells[0] = excelize.Cell{StyleID: st.label, Value: "Legend"}
	cells[1] = excelize.Cell{StyleID: st.legendLate, Value: "late"}
	cells[2] = excelize.Cell{StyleID: st.legendProgress, Value: "in progress"}
	cells[3] = excelize.Cell{StyleID: st.note, Value: "blank: not started"}
	if err := set(avgRow + 2); err != nil {
		return err
	}
	cells[0] = excelize.Cell{StyleID: st.note, Value: averagesNote}
	if err := set(avgRow + 3); err != nil {
		return err
	}
	return sw.Flush()
}

// pctCell is a percent cell, or a styled blank when there is no value.
func pctCell(v *float64, style int) excelize.Cell {
	if v == nil {
		return excelize.Cell{StyleID: style}
	}
	return excelize.Cell{StyleID: style, Value: *v}
}

// dueCell is a real date cell showing the due time's wall clock in loc.
func dueCell(t *time.Time, loc *time.Location, style int) excelize.Cell {
	if t == nil {
		return excelize.Cell{}
	}
	return excelize.Cell{StyleID: style, Value: t.In(loc)}
}

// formatWithZone shows a time with its UTC offset and zone name.
func formatWithZone(t time.Time) string {
	return t.Format("2006-01-02 15:04:05 -07:00") + " (" + zoneName(t) + ")"
}

// zoneName prefers the IANA name (America/Chicago) to an abbreviation.
func zoneName(t time.Time) string {
	if name := t.Location().String(); name != "Local" && name != "" {
		return name
	}
	abbr, _ := t.Zone()
	return abbr
}

func colName(n int) string {
	s, _ := excelize.ColumnNumberToName(n)
	return s
}
