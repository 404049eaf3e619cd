package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/pdis/collab-ledger/domain/calendar"
)

var calendarFile = regexp.MustCompile(`^[0-9]{4}\.json$`)

// loadCalendar returns the built-in office calendar with every year of dir
// (files named YYYY.json in the official format of data.gov.tw dataset
// 14718) loaded over it; the built-in one when dir is "". A year loaded
// later re-decides nothing: recorded events keep the windows they were
// decided with, and new decisions use the new data.
func loadCalendar(dir string) (*calendar.Calendar, error) {
	cal := calendar.Taiwan()
	if dir == "" {
		return cal, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	var loaded []string
	for _, e := range entries {
		if e.IsDir() || !calendarFile.MatchString(e.Name()) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("calendar: %w", err)
		}
		if cal, err = cal.WithOfficialYear(data); err != nil {
			return nil, fmt.Errorf("calendar %s: %w", filepath.Join(dir, e.Name()), err)
		}
		loaded = append(loaded, e.Name())
	}
	if len(loaded) == 0 {
		return nil, fmt.Errorf("calendar: no YYYY.json file in %s", dir)
	}
	slices.Sort(loaded)
	slog.Info("office calendar loaded", "dir", dir, "files", loaded, "years", cal.Years())
	return cal, nil
}
