package deploy

import (
	"errors"
	"testing"
)

func TestSkeleton(t *testing.T) {
	if _, err := Detect(t.TempDir(), nil, 2); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Detect on an empty directory: %v, want ErrNotFound", err)
	}
	d := Deployment{Profile: "gunicorn", Workers: 3, Threads: 2, Sources: []Source{{File: "Procfile", Line: 1}}}
	if got, want := d.Summary(), "deployed: gunicorn 3x2 from Procfile line 1"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	if d.WorkersFor(8) != 3 {
		t.Errorf("WorkersFor(8) of a literal = %d, want 3", d.WorkersFor(8))
	}
	e := &UnreadableError{Source: Source{File: "Procfile", Line: 1}, Text: "web: bin/start", Reason: "runs a script workerbench cannot read"}
	if got, want := e.Error(), "Procfile line 1: web: bin/start runs a script workerbench cannot read; pass --cmd '…{port}…' or --server NAME"; got != want {
		t.Errorf("Error = %q, want %q", got, want)
	}
}
