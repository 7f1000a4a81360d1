package bench

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// On macOS (or any OS but Linux) run, ab, demo and the action say at once
// why they cannot measure, and start nothing.
func TestMeasuringNeedsLinux(t *testing.T) {
	defer func(was string) { goos = was }(goos)
	goos = "darwin"
	// Neither looks at its Config before refusing: nil would panic.
	for name, run := range map[string]func() error{
		"Runner.Run": func() error { _, err := (&Runner{}).Run(context.Background()); return err },
		"AB.Run":     func() error { _, err := (&AB{}).Run(context.Background()); return err },
	} {
		err := run()
		if !errors.Is(err, ErrNotLinux) {
			t.Fatalf("%s on darwin: %v, want ErrNotLinux", name, err)
		}
		for _, want := range []string{"measuring needs Linux: ", "/proc, which darwin does not have", "compare, merge, plot"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s on darwin: %q lacks %q", name, err, want)
			}
		}
	}
	goos = "linux"
	if err := checkPlatform(); err != nil {
		t.Errorf("on linux: %v", err)
	}
}
