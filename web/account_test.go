package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var mailBox = regexp.MustCompile(`<input type="checkbox" name="mail_exports" value="1"[^>]*>`)

// mailBoxTicked reports whether the Account page's checkbox is ticked; it
// fails the test when the page has none.
func mailBoxTicked(t *testing.T, body string) bool {
	t.Helper()
	box := mailBox.FindString(body)
	if box == "" {
		t.Fatalf("no mail checkbox on the page: %s", body)
	}
	return strings.Contains(box, " checked")
}

func TestAccount_mailSettingIsOnUntilTurnedOff(t *testing.T) {
	f := newFixture(t)
	c := f.as(asTeacher)
	if _, body := c.get("/courses"); !strings.Contains(body, `<a href="/account">Account</a>`) {
		t.Fatal("the header does not link to the Account page")
	}
	res, body := c.get("/account")
	if res.StatusCode != ok || !strings.Contains(body, "Mail me when my exports are ready or fail") || !mailBoxTicked(t, body) {
		t.Fatalf("account page: %d, want the box ticked: %s", res.StatusCode, body)
	}

	t.Run("plainFormUntickedTurnsItOff", func(t *testing.T) {
		res, _ := c.post("/account", url.Values{})
		if res.StatusCode != see || res.Header.Get("Location") != "/account" {
			t.Fatalf("save: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		_, body := c.get("/account")
		if mailBoxTicked(t, body) || !strings.Contains(body, "Saved: you get no mail about your exports.") {
			t.Fatalf("after saving unticked: %s", body)
		}
		if on, err := f.db.MailExports(context.Background(), f.users[asTeacher]); err != nil || on {
			t.Fatalf("stored setting = %v, %v; want off", on, err)
		}
	})
	t.Run("htmxTickedTurnsItOnInPlace", func(t *testing.T) {
		c.get("/account")
		res, body := c.do("POST", "/account", strings.NewReader("mail_exports=1"), htmx(c))
		if res.StatusCode != ok || !strings.HasPrefix(strings.TrimSpace(body), `<section id="account-mail"`) ||
			!mailBoxTicked(t, body) || !strings.Contains(body, `role="status"`) {
			t.Fatalf("htmx save: %d %s", res.StatusCode, body)
		}
	})
	t.Run("othersUnchanged", func(t *testing.T) {
		if on, err := f.db.MailExports(context.Background(), f.users[asAdmin]); err != nil || !on {
			t.Fatalf("another user's setting = %v, %v; want on", on, err)
		}
	})
	t.Run("audited", func(t *testing.T) {
		events, err := f.db.AuditEvents(context.Background(), 0, 20)
		if err != nil {
			t.Fatal(err)
		}
		if n := countEvents(events, "account.mail", asTeacher); n != 2 {
			t.Fatalf("%d account.mail events, want 2", n)
		}
	})
}

func TestAccount_badValueIs400NamingTheField(t *testing.T) {
	f := newFixture(t)
	c := f.as(asStudent)
	c.get("/account")
	res, body := c.post("/account", url.Values{"mail_exports": {"maybe"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "mail_exports") {
		t.Fatalf("save maybe: %d %s", res.StatusCode, body)
	}
}
