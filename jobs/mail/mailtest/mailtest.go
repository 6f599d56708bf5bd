// Package mailtest gives tests the real SMTP server .ci/mailpit starts and
// reads what arrived there through mailpit's HTTP API.
package mailtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"
)

// Mailbox is one test's view of the mail server: the mails sent From its
// own address, so tests running at once (other packages too) do not see each
// other's mail.
type Mailbox struct {
	SMTP string // smtp://host:port of the server
	From string // a sender address of this test alone
	api  string
}

// New returns a mailbox on the server .ci/mailpit starts
// (COURSEVAULT_TEST_SMTP, COURSEVAULT_TEST_MAILPIT_API). Without them the
// test skips, and fails under CI=true.
func New(t testing.TB) *Mailbox {
	t.Helper()
	smtp, api := os.Getenv("COURSEVAULT_TEST_SMTP"), os.Getenv("COURSEVAULT_TEST_MAILPIT_API")
	if smtp == "" || api == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("COURSEVAULT_TEST_SMTP and COURSEVAULT_TEST_MAILPIT_API are not set: .ci/run starts the SMTP test server with .ci/mailpit")
		}
		t.Skip("no SMTP test server: run `. .ci/mailpit` to start one and set COURSEVAULT_TEST_SMTP and COURSEVAULT_TEST_MAILPIT_API")
	}
	var b [6]byte
	rand.Read(b[:])
	return &Mailbox{SMTP: smtp, From: "vault-" + hex.EncodeToString(b[:]) + "@coursevault.test", api: api}
}

// Mail is one mail as it arrived.
type Mail struct {
	ID          string
	To          []string // addresses
	Subject     string
	Text        string
	HTML        string
	Attachments int // attached and inline parts
	Headers     map[string][]string
}

// Mails returns what arrived from the mailbox's sender, oldest first.
func (m *Mailbox) Mails(t testing.TB) []Mail {
	t.Helper()
	var list struct {
		Messages []struct{ ID string }
	}
	m.get(t, "/api/v1/search?limit=1000&query="+url.QueryEscape(fmt.Sprintf("from:%q", m.From)), &list)
	out := make([]Mail, 0, len(list.Messages))
	for i := len(list.Messages) - 1; i >= 0; i-- { // the API lists newest first
		var msg struct {
			ID          string
			To          []struct{ Address string }
			Subject     string
			Text, HTML  string
			Attachments []json.RawMessage
			Inline      []json.RawMessage
		}
		id := list.Messages[i].ID
		m.get(t, "/api/v1/message/"+id, &msg)
		mail := Mail{ID: id, Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML, Attachments: len(msg.Attachments) + len(msg.Inline)}
		for _, a := range msg.To {
			mail.To = append(mail.To, a.Address)
		}
		m.get(t, "/api/v1/message/"+id+"/headers", &mail.Headers)
		out = append(out, mail)
	}
	return out
}

// Wait returns the mails from the mailbox's sender once there are n of
// them; it fails the test after 30 seconds.
func (m *Mailbox) Wait(t testing.TB, n int) []Mail {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := m.Mails(t)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mails arrived from %s, want %d", len(got), m.From, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (m *Mailbox) get(t testing.TB, path string, v any) {
	t.Helper()
	res, err := http.Get(m.api + path)
	if err != nil {
		t.Fatalf("mailpit API: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("mailpit API GET %s: %s", path, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("mailpit API GET %s: %v", path, err)
	}
}

// Relay is a mail server address that is down (refuses connections) until
// Up, and then passes connections on to the test server.
type Relay struct {
	URL  string // smtp://127.0.0.1:port
	addr string
	to   string // host:port of the test server
}

// Relay returns a relay to m's server, down.
func (m *Mailbox) Relay(t testing.TB) *Relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	u, err := url.Parse(m.SMTP)
	if err != nil {
		t.Fatal(err)
	}
	return &Relay{URL: "smtp://" + addr, addr: addr, to: u.Host}
}

// Up starts passing connections on, until the test ends.
func (r *Relay) Up(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		t.Fatalf("relay up on %s: %v", r.addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s, err := net.Dial("tcp", r.to)
				if err != nil {
					return
				}
				defer s.Close()
				go func() { io.Copy(s, c); s.(*net.TCPConn).CloseWrite() }()
				io.Copy(c, s)
			}()
		}
	}()
}
