package bench

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseMatrix(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Shape
		err      string
	}{
		{"seed", "1x1,1x3,3x1,3x3", []Shape{{1, 1}, {1, 3}, {3, 1}, {3, 3}}, ""},
		{"spaces and case", " 2X4 , 1x1 ", []Shape{{2, 4}, {1, 1}}, ""},
		{"auto", "auto", AutoMatrix(2), ""},
		{"missing threads", "3x", nil, `matrix cell "3x": threads missing`},
		{"zero workers", "0x1", nil, `matrix cell "0x1": workers must be between 1 and 256`},
		{"letters", "axb", nil, `matrix cell "axb": workers "a" is not a whole number`},
		{"no x", "3", nil, `matrix cell "3": want WORKERSxTHREADS`},
		{"too many", "1x1000", nil, "threads must be between 1 and 256"},
		{"negative", "-1x2", nil, "workers must be between"},
		{"empty", "", nil, "matrix is empty"},
		{"empty cell", "1x1,,2x2", nil, `matrix cell ""`},
		{"duplicate", "1x1,1X1", nil, "matrix cell 1x1 appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMatrix(tt.in, 2)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseMatrix(%q) error = %v, want containing %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMatrix(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseMatrix(%q) = %v, want %v", tt.in, got, tt.want)
			}
			if back := FormatMatrix(got); tt.name == "seed" && back != tt.in {
				t.Errorf("FormatMatrix = %q, want %q", back, tt.in)
			}
		})
	}
}

func TestAutoMatrix(t *testing.T) {
	want := []Shape{{1, 1}, {1, 4}, {5, 1}, {5, 4}}
	if got := AutoMatrix(2); !reflect.DeepEqual(got, want) {
		t.Errorf("AutoMatrix(2) = %v, want %v", got, want)
	}
}

func FuzzParseMatrix(f *testing.F) {
	for _, s := range []string{"1x1,1x3,3x1,3x3", "3x", "0x1", "axb", "auto", "1x1,,", "99999999999999999999x1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMatrix(s, 2)
		if err != nil {
			return
		}
		for _, c := range m {
			if c.Workers < 1 || c.Threads < 1 || c.Workers > MaxDimension ||
				c.Threads > MaxDimension {
				t.Fatalf("ParseMatrix(%q) accepted %v", s, c)
			}
		}
		if s != "auto" {
			again, err := ParseMatrix(FormatMatrix(m), 2)
			if err != nil || !reflect.DeepEqual(again, m) {
				t.Fatalf("round trip of %q: %v %v", s, again, err)
			}
		}
	})
}
