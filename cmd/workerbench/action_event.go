package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/publish"
)

// prEvent is the part of a pull_request event the action reads.
type prEvent struct {
	Number      int `json:"number"`
	PullRequest struct {
		Number int    `json:"number"`
		Head   prSide `json:"head"`
		Base   prSide `json:"base"`
	} `json:"pull_request"`
	Repository struct {
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
}

// defaultBranch names the repository's default branch, whose history the
// trend shows: the event's, else the pull request's base branch.
func (ev prEvent) defaultBranch() string {
	if b := ev.Repository.DefaultBranch; b != "" {
		return b
	}
	return ev.PullRequest.Base.Ref
}

type prSide struct {
	SHA  string `json:"sha"`
	Ref  string `json:"ref"`
	Repo struct {
		FullName string `json:"full_name"`
	} `json:"repo"`
}

// eventOf reads the pull request of a pull_request event named eventName;
// other events have none and give the zero prEvent.
func eventOf(o actionOptions, eventName string) (prEvent, error) {
	if !isPREvent(eventName) {
		return prEvent{}, nil
	}
	return readPREvent(o.getenv("GITHUB_EVENT_PATH"))
}

// readPREvent reads the pull_request event at path and validates the
// fields the action acts on.
func readPREvent(path string) (prEvent, error) {
	var ev prEvent
	if path == "" {
		return ev, errors.New("GITHUB_EVENT_PATH is not set: cannot read the pull_request event")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return ev, fmt.Errorf("read event: %w", err)
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return ev, fmt.Errorf("read event %s: %w", path, err)
	}
	if ev.Number == 0 {
		ev.Number = ev.PullRequest.Number
	}
	if ev.Number < 1 || ev.Number > publish.MaxPR {
		return ev, fmt.Errorf("read event %s: pull request number %d is invalid", path, ev.Number)
	}
	for _, s := range []struct{ name, sha string }{{"base", ev.PullRequest.Base.SHA}, {"head", ev.PullRequest.Head.SHA}} {
		if !publish.IsSHA(s.sha) {
			return ev, fmt.Errorf(
				"read event %s: pull_request.%s.sha %q is not a 40-hex-digit commit SHA",
				path,
				s.name,
				report.Clip(s.sha, 60),
			)
		}
	}
	return ev, nil
}
