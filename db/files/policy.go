package files

// Access is what the web layer knows about a viewer of a file.
type Access struct {
	SignedIn  bool
	SiteAdmin bool
	// Role is the viewer's role in the course that owns the file:
	// "admin", "teacher", "ta", "student", or "" for none.
	Role string
}

// Permits is the access policy, decided by category in this one place:
// course archives hold everything about a course, so only its admins (and
// site admins) may download them; performance books go to the course's
// admins, teachers and TAs (and site admins); static course material is
// public. Unknown categories are refused to everyone.
func Permits(category string, a Access) bool {
	switch category {
	case CourseStatic:
		return true
	case CourseArchive:
		return a.SignedIn && (a.SiteAdmin || a.Role == "admin")
	case PerformanceBook:
		return a.SignedIn && (a.SiteAdmin || a.Role == "admin" || a.Role == "teacher" || a.Role == "ta")
	}
	return false
}
