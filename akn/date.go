package akn

// DateOf returns the YYYY-MM-DD date s starts with (digits of any width,
// any hyphen), or "": how Parse reads a date from a title or a file name.
func DateOf(s string) string { return dateOf(s) }
