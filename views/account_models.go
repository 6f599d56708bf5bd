package views

// AccountPage is /account: who is signed in and their own settings.
type AccountPage struct {
	Name  string
	Email string
	Mail  AccountMail
}

// AccountMail is the mail setting's form, the unit htmx swaps after a save.
type AccountMail struct {
	MailExports bool
	MailEnabled bool   // the server has an SMTP server to send with
	Saved       string // "Saved." after an htmx save, announced
}
