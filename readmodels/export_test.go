package readmodels

// SetFastPaths switches the catch-up fast paths of rawjson.go, and returns
// a function restoring them.
func SetFastPaths(on bool) (restore func()) {
	was := fastPaths.Swap(on)
	return func() { fastPaths.Store(was) }
}
