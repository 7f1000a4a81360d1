package results

// What a run records of each side's own environment: the setup command
// that installed it, and whether the files that pin dependencies differ
// between base and head.

// Setup is the command each side of a run ran once in its directory
// before its first cell, to install its own dependencies or database, and
// where its wall time went: apart from measuring.
type Setup struct {
	Command  string        `json:"command"`
	WallTime SetupWallTime `json:"wall_time"`
}

// SetupWallTime is how long setup took on each side, in seconds; the sides
// set up at once.
type SetupWallTime struct {
	BaseS float64 `json:"base_s,omitempty"` // 0 in a run, which has only a head
	HeadS float64 `json:"head_s"`
}

// Dependencies says which files that pin dependencies (requirements.txt,
// poetry.lock, Gemfile.lock, package-lock.json, go.sum, …) differ between
// the base and head of a comparison.
type Dependencies struct {
	// Changed lists them, relative to the side's directory.
	Changed []string `json:"changed"`
	// Setup is set when each side installed its own (a setup command), so
	// the verdict includes the change; without it both sides ran in one
	// environment and the verdict does not.
	Setup bool `json:"setup"`
}

// Measured reports whether the verdict includes the dependency change:
// there is none, or each side installed its own.
func (d *Dependencies) Measured() bool { return d == nil || len(d.Changed) == 0 || d.Setup }
