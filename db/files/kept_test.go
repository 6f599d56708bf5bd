package files

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestKept_onlyForItsPurposeCourseAndUploaderWithinTheHour: a kept upload
// comes back only to the person who kept it, for the same purpose and
// course, before it expires; nobody may download it.
func TestKept_onlyForItsPurposeCourseAndUploaderWithinTheHour(t *testing.T) {
	fx := newFixture(t, Options{})
	ctx := context.Background()
	f, err := fx.s.Keep(ctx, PurposeGradebook, 1, 1, "grades.csv", strings.NewReader("email,hw\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Category != KeptUpload || Permits(f.Category, Access{SignedIn: true, SiteAdmin: true}) {
		t.Errorf("category %q, downloadable by a site admin", f.Category)
	}
	if _, err := fx.s.Kept(ctx, f.Token, PurposeGradebook, 1, 1, fx.clock.Now()); err != nil {
		t.Errorf("the uploader: %v", err)
	}
	for name, try := range map[string]func() error{
		"another purpose": func() error { _, err := fx.s.Kept(ctx, f.Token, PurposeRoster, 1, 1, fx.clock.Now()); return err },
		"another course":  func() error { _, err := fx.s.Kept(ctx, f.Token, PurposeGradebook, 2, 1, fx.clock.Now()); return err },
		"another user":    func() error { _, err := fx.s.Kept(ctx, f.Token, PurposeGradebook, 1, 2, fx.clock.Now()); return err },
		"after an hour": func() error {
			_, err := fx.s.Kept(ctx, f.Token, PurposeGradebook, 1, 1, fx.clock.Now().Add(KeptTTL+time.Second))
			return err
		},
		"a bad token": func() error { _, err := fx.s.Kept(ctx, "nope", PurposeGradebook, 1, 1, fx.clock.Now()); return err },
	} {
		if err := try(); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
}
