package main

import (
	"strings"
	"testing"
)

func TestCheckTokenNames(t *testing.T) {
	cases := []struct {
		names []string
		want  string // "" for valid, else a fragment of the error
	}{
		{nil, ""},
		{[]string{"node-2", "node3.example"}, ""},
		{[]string{"a", "a"}, "listed twice"},
		{[]string{"bad/name"}, "letters, digits"},
		{[]string{"-lead"}, "host name"},
		{[]string{""}, "1 to 253"},
	}
	for _, tc := range cases {
		err := checkTokenNames(tc.names)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("checkTokenNames(%q) = %v, want no error", tc.names, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("checkTokenNames(%q) = %v, want an error containing %q", tc.names, err, tc.want)
		}
	}
}

func TestPreseedRejectsBadTokensFirst(t *testing.T) {
	p := &Preseed{Mode: "bootstrap", Tokens: []string{"ok", "ok"}}
	if err := p.validate(); err == nil {
		t.Fatal("validate accepted a token name listed twice")
	}
}

func TestReadPreseedEmptyFile(t *testing.T) {
	_, err := readPreseed(strings.NewReader(""), "-")
	if err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("readPreseed of empty input = %v, want an error saying it is empty", err)
	}
}
