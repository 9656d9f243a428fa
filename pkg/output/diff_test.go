package output

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
)

func TestDiff(t *testing.T) {
	ch := func(path, op, old, nw string) Change {
		c := Change{Path: path, Op: op}
		if old != "" {
			c.Old = json.RawMessage(old)
		}
		if nw != "" {
			c.New = json.RawMessage(nw)
		}
		return c
	}
	tests := []struct {
		name          string
		before, after string
		want          []Change
	}{
		{"both absent", ``, ``, nil},
		{"equal", `{"a":1,"b":{"c":[1,2]}}`, `{ "b": {"c": [1, 2]}, "a": 1.0 }`, nil},
		{"nested change", `{"address":{"city":"Paris","zip":"75001"}}`, `{"address":{"city":"Lyon","zip":"75001"}}`,
			[]Change{ch("address.city", OpChanged, `"Paris"`, `"Lyon"`)}},
		{"added removed", `{"a":1,"gone":{"x":true}}`, `{"a":1,"new":"v"}`,
			[]Change{ch("gone.x", OpRemoved, `true`, ``), ch("new", OpAdded, ``, `"v"`)}},
		{"added empty object", `{}`, `{"o":{}}`, []Change{ch("o", OpAdded, ``, `{}`)}},
		{"null is a value", `{"a":null}`, `{}`, []Change{ch("a", OpRemoved, `null`, ``)}},
		{"arrays whole", `{"roles":["dev"]}`, `{"roles":["dev", "admin"]}`,
			[]Change{ch("roles", OpChanged, `["dev"]`, `["dev","admin"]`)}},
		{"array of objects equal", `{"l":[{"a":1,"b":2}]}`, `{"l":[{"b":2,"a":1}]}`, nil},
		{"type change", `{"a":{"b":1}}`, `{"a":"flat"}`, []Change{ch("a", OpChanged, `{"b":1}`, `"flat"`)}},
		{"creation", ``, `{"name":"bob","team":{"id":7}}`,
			[]Change{ch("name", OpAdded, ``, `"bob"`), ch("team.id", OpAdded, ``, `7`)}},
		{"deletion", `{"name":"bob"}`, `null`, []Change{ch("name", OpRemoved, `"bob"`, ``)}},
		{"scalar states", `"on"`, `"off"`, []Change{ch("", OpChanged, `"on"`, `"off"`)}},
		{"array states", `[1,2]`, `[2,1]`, []Change{ch("", OpChanged, `[1,2]`, `[2,1]`)}},
		{"object to scalar", `{"a":1}`, `5`, []Change{ch("", OpChanged, `{"a":1}`, `5`)}},
		{"scalar created", ``, `5`, []Change{ch("", OpAdded, ``, `5`)}},
		{"odd keys", `{"a.b":1,"x":{"has space":1}}`, `{"a.b":2,"x":{"has space":2}}`,
			[]Change{ch(`["a.b"]`, OpChanged, `1`, `2`), ch(`x["has space"]`, OpChanged, `1`, `2`)}},
		{"numbers by value", `{"n":1e2,"m":10}`, `{"n":100,"m":10.5}`, []Change{ch("m", OpChanged, `10`, `10.5`)}},
		{"huge exponent", `{"n":1e999999999}`, `{"n":2e999999999}`, []Change{ch("n", OpChanged, `1e999999999`, `2e999999999`)}},
		{"sorted", `{"b":1,"a":{"z":1,"c":1}}`, `{"b":2,"a":{"z":2,"c":2}}`,
			[]Change{ch("a.c", OpChanged, `1`, `2`), ch("a.z", OpChanged, `1`, `2`), ch("b", OpChanged, `1`, `2`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Diff(json.RawMessage(tt.before), json.RawMessage(tt.after))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Diff(%s, %s) =\n%s\nwant\n%s", tt.before, tt.after, mustJSON(got), mustJSON(tt.want))
			}
		})
	}
	if _, err := Diff(json.RawMessage(`{"a":`), nil); audit.ErrorCode(err) != audit.EINVALID {
		t.Errorf("invalid before: error %v, want EINVALID", err)
	}
}

func TestFormatChange(t *testing.T) {
	for _, tt := range []struct {
		c    Change
		want string
	}{
		{Change{Path: "a.b", Op: OpChanged, Old: json.RawMessage(`1`), New: json.RawMessage(`2`)}, "~ a.b: 1 → 2"},
		{Change{Path: "x", Op: OpAdded, New: json.RawMessage(`"\u202e"`)}, `+ x: "\u202e"`},
		{Change{Path: "k\x1b", Op: OpRemoved, Old: json.RawMessage(`"\u009b"`)}, `- k\x1b: "\u009b"`},
		{Change{Path: "", Op: OpChanged, Old: json.RawMessage(`"on"`), New: json.RawMessage(`"off"`)}, `~ (document): "on" → "off"`},
	} {
		// The JSON strings above hold the raw runes (Go string escapes).
		if got := formatChange(tt.c); got != tt.want {
			t.Errorf("formatChange = %q, want %q", got, tt.want)
		}
	}
}
