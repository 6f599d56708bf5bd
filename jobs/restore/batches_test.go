package restore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/demo"
)

// A large import writes in batches: a write that another part of the app
// asks for while the import writes its submissions goes in while the import
// is still writing (between two batches), not after its end. Until the
// import's end, the course is hidden.
func TestImport_otherWritersGoInBetweenBatches(t *testing.T) {
	// The default demo's first course has some thousands of rows of work:
	// several batches.
	b := demoInstance(t, demo.Defaults()).export(t, coursePeriods)
	dst := freshInstance(t)
	ctx := context.Background()

	var wg sync.WaitGroup
	defer wg.Wait()
	var asked, committed, committedDuringImport, hiddenWhileWriting atomic.Bool
	hiddenWhileWriting.Store(true)
	res, err := dst.importArchive(b, Options{Progress: func(done, total int64, note string) {
		if note != "Writing submissions" && !asked.Load() {
			return
		}
		// The last report comes after the course is shown.
		if _, err := dst.d.CourseByCode(ctx, "CS101"); err == nil && note != "Writing static files" {
			hiddenWhileWriting.Store(false)
		}
		if committed.Load() {
			committedDuringImport.Store(true)
		}
		if asked.Swap(true) {
			return
		}
		wg.Go(func() {
			err := dst.d.InTx(ctx, func(tx *db.Queries) error {
				return tx.InsertAuditEvent(ctx, db.AuditEvent{At: time.Now(), Action: "test.write"})
			})
			if err != nil {
				t.Error(err)
			}
			committed.Store(true)
		})
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !asked.Load() {
		t.Fatal("the import never reported writing submissions (the test proves nothing)")
	}
	if !committedDuringImport.Load() {
		t.Errorf("a write asked for while the import wrote submissions waited for the import's end (%d rows)",
			res.Submissions+res.BuildResults+res.TestResults+res.Scores)
	}
	if !hiddenWhileWriting.Load() {
		t.Error("the course was visible before the import ended")
	}
	if _, err := dst.d.CourseByCode(ctx, "CS101"); err != nil {
		t.Errorf("the imported course is not visible: %v", err)
	}
}
