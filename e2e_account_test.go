package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestE2E_accountPageTurnsExportMailOffByKeyboard: the header links to the
// Account page, whose one control has a name, is reached by Tab, and saves in
// place (htmx) with the result announced.
func TestE2E_accountPageTurnsExportMailOffByKeyboard(t *testing.T) {
	t.Parallel()
	srv := startServer(t, t.TempDir())
	b := newBrowser(t, srv.URL)
	b.signIn("teacher@demo.test")
	b.tabTo(`header a[href="/account"]`)
	b.do("press Enter", chromedp.KeyEvent("\r"))
	b.waitFor("the Account page", `location.pathname === "/account" && document.readyState === "complete"`, 10*time.Second)
	if bad := b.unlabelled(); len(bad) > 0 {
		b.errorf("controls without an accessible name: %q", bad)
	}
	if got := b.text("#account-mail"); !strings.Contains(got, "This server sends no mail at the moment") {
		b.errorf("the page does not say this server sends no mail: %q", got)
	}
	b.eval(`window.e2eSamePage = true`, nil)
	b.tabTo(`input[name=mail_exports]`)
	var ticked bool
	if b.eval(`document.activeElement.checked`, &ticked); !ticked {
		b.fatalf("the box is not ticked by default")
	}
	b.do("press Space", chromedp.KeyEvent(" "))
	b.tabTo(`#account-mail button[type=submit]`)
	b.do("press Enter", chromedp.KeyEvent(kb.Enter))
	b.waitFor("the saved notice", `document.querySelector("#account-mail [role=status]")?.textContent.includes("you get no mail about your exports")`, 10*time.Second)
	var samePage bool
	b.eval(`window.e2eSamePage === true && !document.querySelector("input[name=mail_exports]").checked`, &samePage)
	if !samePage {
		b.errorf("the page reloaded or the box is ticked again; htmx should swap the section")
	}
	b.open("/account")
	if b.eval(`document.querySelector("input[name=mail_exports]").checked`, &ticked); ticked {
		b.errorf("the setting was not saved")
	}
}
