package motoserver

import "testing"

func TestStartAndStop(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	s.Stop()
}
