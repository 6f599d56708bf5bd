package views

// UsersPage is Admin → Users: the search, one page of users and the pager.
type UsersPage struct {
	Query   string
	Summary string // "Users 1–50 of 123"
	PrevURL string // "" on the first page
	NextURL string // "" on the last
	Rows    []UserRow
	Link    *LinkBox // a link just made by a plain form post, shown above the list
}

// UserRow is one user of the list and the unit htmx swaps after an action.
type UserRow struct {
	ID          string // element id, "user-5"
	URL         string // "/admin/users/5"; actions post to URL + "/disable" etc.
	Email       string
	Name        string
	SiteAdmin   bool
	Disabled    bool
	HasPassword bool
	Self        bool // the signed-in admin: no disable, no demote
	Courses     string
	Created     Time
	LinkPending bool
	LinkExpires Time
	Query       string // the list this row is on, for the no-JS way back
	Page        int
	Link        *LinkBox // a link just made (htmx): shown once in the row
}

// LinkBox shows a new set-password link, once.
type LinkBox struct {
	Email   string
	URL     string
	Expires Time
}

// SetPasswordForm is the set-password page of a link.
type SetPasswordForm struct {
	Email         string
	Action        string // the link's own path
	PasswordError string
	RepeatError   string
}
