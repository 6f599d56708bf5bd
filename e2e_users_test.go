package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestE2E_siteAdminMakesALinkAndThePersonSetsAPassword(t *testing.T) {
	t.Parallel()
	srv := startServer(t, t.TempDir())
	// A person added without a password, as rosters and imports add them.
	if out, err := exec.Command(binary(t), withDatabase(t, []string{"user", "add", "--data-dir", srv.DataDir, "--email", "fresh@demo.test", "--name", "Fresh Person"})...).CombinedOutput(); err != nil {
		t.Fatalf("coursevault user add: %v\n%s", err, out)
	}

	admin := newBrowser(t, srv.URL)
	admin.signIn("admin@demo.test")
	admin.open("/admin/users")
	admin.eval(`window.e2eSamePage = true`, nil)
	if bad := admin.unlabelled(); len(bad) > 0 {
		admin.errorf("controls without an accessible name: %q", bad)
	}
	admin.tabTo(`#user-q`)
	admin.do("type a search", chromedp.SendKeys(`#user-q`, "FRESH", chromedp.ByQuery))
	admin.waitFor("the list to narrow to one user as the search is typed",
		`document.querySelectorAll("#users-list tbody tr").length === 1 && location.search === "?q=FRESH"`, 10*time.Second)
	var row string
	admin.eval(`document.querySelector("#users-list tbody tr").id`, &row)
	if got := admin.text("#" + row); !strings.Contains(got, "fresh@demo.test") || !strings.Contains(got, "No password") {
		admin.fatalf("the row is %q", got)
	}
	admin.tabTo("#" + row + ` form[action$="/link"] button`)
	admin.do("press Enter", chromedp.KeyEvent("\r"))
	admin.waitFor("the new link in the row", `document.querySelector(".link-box input")?.value.includes("/password/")`, 10*time.Second)
	var link string
	admin.eval(`document.querySelector(".link-box input").readOnly ? document.querySelector(".link-box input").value : ""`, &link)
	if !strings.HasPrefix(link, srv.URL+"/password/") || !strings.Contains(admin.text("#"+row), "Link pending until") {
		admin.fatalf("link %q (read-only?), row %q", link, admin.text("#"+row))
	}
	var samePage bool
	admin.eval(`window.e2eSamePage === true`, &samePage)
	if !samePage {
		admin.errorf("the page reloaded; htmx should swap the row")
	}

	person := newBrowser(t, srv.URL)
	person.do("open the link", chromedp.Navigate(link), chromedp.WaitReady("#password", chromedp.ByQuery))
	if bad := person.unlabelled(); len(bad) > 0 {
		person.errorf("controls without an accessible name: %q", bad)
	}
	if got := person.text("main"); !strings.Contains(got, "fresh@demo.test") {
		person.errorf("the page does not name the account: %q", got)
	}
	person.do("type two different passwords",
		chromedp.SendKeys("#password", "a good password", chromedp.ByID),
		chromedp.SendKeys("#repeat", "a good passw0rd", chromedp.ByID),
		chromedp.Click(`main form button[type=submit]`, chromedp.ByQuery))
	person.waitFor("the error next to Repeat", `document.querySelector("#repeat-error[role=alert]")`, 10*time.Second)
	person.do("type it twice",
		chromedp.SendKeys("#password", "a good password", chromedp.ByID),
		chromedp.SendKeys("#repeat", "a good password", chromedp.ByID),
		chromedp.Click(`main form button[type=submit]`, chromedp.ByQuery))
	person.waitFor("the course list, signed in", `location.pathname === "/courses" && document.readyState === "complete"`, 10*time.Second)
	if got := person.text(".notice"); !strings.Contains(got, "Your password is set and you are signed in") {
		person.errorf("notice %q", got)
	}
	person.open(strings.TrimPrefix(link, srv.URL))
	if got := person.text("h1"); got != "This link has expired" {
		person.errorf("the used link says %q", got)
	}

	admin.open("/admin/users?q=fresh")
	if got := admin.text("#" + row); !strings.Contains(got, "Has a password") || strings.Contains(got, "Link pending") {
		admin.errorf("after use the row is %q", got)
	}
}
